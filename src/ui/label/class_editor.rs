//! The class list's editor in the Label panel: add a class by name, and for the class chosen from
//! a row's context menu, rename it, recolour it, set its real-world size, or delete it (refused
//! while used unless its instances move to another class). The changes go out as commands; the
//! session checks them ([`crate::project::classes`]) and a refusal comes back as a toast.

use crate::project::classes::ClassChange;
use crate::project::{ClassDef, ClassId, ObjectSize, Project};
use crate::ui::commands::Command;

/// The class being edited, with the form's fields.
#[derive(Clone, Debug)]
struct Editing {
    id: ClassId,
    name: String,
    /// Length, width, height in mm, and whether the class has a size at all.
    size: [f32; 3],
    sized: bool,
    /// Where the instances go on delete.
    reassign: Option<ClassId>,
}

#[derive(Default)]
pub struct ClassEditor {
    /// The name typed for the next class.
    pub new_name: String,
    editing: Option<Editing>,
}

impl ClassEditor {
    /// Opens the form for `class`.
    pub fn edit(&mut self, class: &ClassDef) {
        let size = class.size_mm;
        self.editing = Some(Editing {
            id: class.id,
            name: class.name.clone(),
            size: size.map_or([100.0, 50.0, 50.0], |s| [s.length, s.width, s.height]),
            sized: size.is_some(),
            reassign: None,
        });
    }

    /// A class row's context menu.
    pub fn menu_ui(&mut self, ui: &mut egui::Ui, class: &ClassDef) {
        if ui
            .button("Edit class…")
            .on_hover_text("Rename, recolour, set the real-world size, or delete this class")
            .clicked()
        {
            self.edit(class);
            ui.close();
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, project: &Project, commands: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            let label = ui.label("New class");
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut self.new_name)
                        .hint_text("name")
                        .desired_width(ui.available_width() - 80.0),
                )
                .labelled_by(label.id);
            let typed = !self.new_name.trim().is_empty();
            let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let add = ui
                .add_enabled(typed, egui::Button::new("Add class"))
                .on_hover_text(
                    "Add a class with the next free id; `full` gets a label for it, \
                                the other variants ignore it until you group it (Dataset)",
                );
            if typed && (add.clicked() || entered) {
                commands.push(Command::ChangeClass(ClassChange::Add {
                    name: std::mem::take(&mut self.new_name),
                }));
            }
        });
        let Some(editing) = &mut self.editing else {
            return;
        };
        let Some(class) = project.class(editing.id) else {
            // Deleted (or gone with an undo of the project): nothing to edit.
            self.editing = None;
            return;
        };
        let id = class.id;
        let mut close = false;
        ui.group(|ui| {
            ui.strong(format!("Class {:?} (id {id})", class.name));
            ui.horizontal(|ui| {
                let label = ui.label("Name");
                ui.add(egui::TextEdit::singleline(&mut editing.name).desired_width(120.0))
                    .labelled_by(label.id);
                let changed = editing.name.trim() != class.name && !editing.name.trim().is_empty();
                if ui
                    .add_enabled(changed, egui::Button::new("Rename"))
                    .on_hover_text("Rename the class; `full`'s label follows, ids stay")
                    .clicked()
                {
                    commands.push(Command::ChangeClass(ClassChange::Rename {
                        id,
                        name: editing.name.trim().to_owned(),
                    }));
                }
            });
            ui.horizontal(|ui| {
                ui.label("Colour");
                let mut color = class.color;
                if egui::color_picker::color_edit_button_srgb(ui, &mut color)
                    .on_hover_text("The colour its instances are drawn in")
                    .changed()
                {
                    commands.push(Command::ChangeClass(ClassChange::Recolour { id, color }));
                }
            });
            ui.checkbox(&mut editing.sized, "Real-world size known (mm)")
                .on_hover_text(
                    "Length × width × height of the object: the dataset analysis and real-scale \
                     synthesis use it",
                );
            ui.add_enabled_ui(editing.sized, |ui| {
                ui.horizontal(|ui| {
                    for (value, what) in editing.size.iter_mut().zip(["L", "W", "H"]) {
                        ui.label(what);
                        ui.add(
                            egui::DragValue::new(value)
                                .range(0.1..=10_000.0)
                                .speed(1.0)
                                .suffix(" mm"),
                        );
                    }
                });
            });
            let size = editing.sized.then(|| ObjectSize {
                length: editing.size[0],
                width: editing.size[1],
                height: editing.size[2],
            });
            if ui
                .add_enabled(size != class.size_mm, egui::Button::new("Set size"))
                .clicked()
            {
                commands.push(Command::ChangeClass(ClassChange::SetSize { id, size }));
            }
            ui.separator();
            let used = project.class_use(id);
            if used.instances > 0 {
                ui.label(format!(
                    "Used by {} instance(s) in {} image(s): to delete it, choose the class they \
                     go to.",
                    used.instances,
                    used.images.len()
                ));
                let chosen = editing
                    .reassign
                    .and_then(|to| project.class(to))
                    .map_or("choose a class", |c| c.name.as_str());
                egui::ComboBox::from_label("gets its instances")
                    .selected_text(chosen)
                    .show_ui(ui, |ui| {
                        for other in project.file().classes.iter().filter(|c| c.id != id) {
                            ui.selectable_value(&mut editing.reassign, Some(other.id), &other.name);
                        }
                    });
            }
            ui.horizontal(|ui| {
                let can_delete = used.instances == 0 || editing.reassign.is_some();
                if ui
                    .add_enabled(can_delete, egui::Button::new("Delete class"))
                    .on_hover_text(
                        "Delete the class; its id is never given to another class. Moving its \
                         instances is one undoable edit per image",
                    )
                    .clicked()
                {
                    commands.push(Command::ChangeClass(ClassChange::Delete {
                        id,
                        reassign: editing.reassign.filter(|_| used.instances > 0),
                    }));
                    close = true;
                }
                if ui.button("Close").clicked() {
                    close = true;
                }
            });
        });
        if close {
            self.editing = None;
        }
    }
}
