//! The class list (every class with its colour, its instances in the selected image and in the
//! project) and the instance list of the selected image, where an instance is selected, given
//! another class or deleted.

use crate::ui::widgets::swatch;
use std::collections::HashMap;

use crate::label::InstanceEdit;
use crate::project::{ClassId, Project};
use crate::ui::commands::{Action, AppAction, Command, shortcut_text};
use crate::ui::workspace::OpenProject;

/// Instances per class over the whole project, recounted when any image changes.
#[derive(Default)]
pub struct ClassCounts {
    /// Sum of the generations of all images when counted (any edit changes it).
    counted_at: Option<(usize, u64)>,
    totals: HashMap<ClassId, usize>,
}

impl ClassCounts {
    fn refresh(&mut self, open: &OpenProject) {
        let project = open.project();
        let n = project.file().images.len();
        let stamp = (n, (0..n).map(|i| open.session.generation(i)).sum::<u64>());
        if self.counted_at == Some(stamp) {
            return;
        }
        self.totals.clear();
        for i in 0..n {
            for inst in project.instances(i) {
                *self.totals.entry(inst.class_id).or_default() += 1;
            }
        }
        self.counted_at = Some(stamp);
    }

    pub fn total(&self, id: ClassId) -> usize {
        self.totals.get(&id).copied().unwrap_or(0)
    }
}

pub fn class_panel_ui(
    ui: &mut egui::Ui,
    open: &OpenProject,
    counts: &mut ClassCounts,
    commands: &mut Vec<Command>,
) {
    counts.refresh(open);
    let project = open.project();
    let selected = open.selection.image;
    let here = |id: ClassId| {
        selected.map_or(0, |i| {
            project
                .instances(i)
                .iter()
                .filter(|inst| inst.class_id == id)
                .count()
        })
    };
    ui.heading("Classes");
    ui.weak("instances in this image / in the project");
    egui::ScrollArea::vertical()
        .id_salt("class-list")
        .max_height(ui.available_height() * 0.55)
        .show(ui, |ui| {
            egui::Grid::new("classes")
                .num_columns(3)
                .striped(true)
                .show(ui, |ui| {
                    for class in &project.file().classes {
                        ui.horizontal(|ui| {
                            swatch(ui, class.color);
                            ui.label(&class.name);
                        });
                        let n = here(class.id);
                        if n > 0 {
                            ui.strong(n.to_string());
                        } else {
                            ui.weak("0");
                        }
                        ui.label(counts.total(class.id).to_string());
                        ui.end_row();
                    }
                });
        });
    ui.separator();
    ui.heading("Instances");
    let Some(index) = selected else {
        ui.weak("No image selected");
        return;
    };
    instance_list_ui(ui, project, index, open.selection.instance, commands);
}

fn instance_list_ui(
    ui: &mut egui::Ui,
    project: &Project,
    index: usize,
    selected: Option<u32>,
    commands: &mut Vec<Command>,
) {
    let instances = project.instances(index);
    if instances.is_empty() {
        ui.weak("None in this image");
        return;
    }
    ui.weak("click to select, right-click to change or delete");
    egui::ScrollArea::vertical()
        .id_salt("instance-list")
        .show(ui, |ui| {
            for inst in instances {
                let name = if inst.class_id == crate::project::IGNORE_CLASS {
                    "ignore region"
                } else {
                    project
                        .class(inst.class_id)
                        .map_or("?", |c| c.name.as_str())
                };
                let holes = match inst.hole_count() {
                    0 => String::new(),
                    1 => ", 1 hole".to_owned(),
                    n => format!(", {n} holes"),
                };
                let parts = match inst.parts.len() {
                    1 => String::new(),
                    n => format!(", {n} parts"),
                };
                let is_selected = selected == Some(inst.id);
                let row = ui
                    .selectable_label(is_selected, format!("#{} {name}", inst.id))
                    .on_hover_text(format!(
                        "{} vertices{parts}{holes}, made by {:?}",
                        inst.vertex_count(),
                        inst.tool
                    ));
                if row.clicked() {
                    commands.push(Command::SelectInstance((!is_selected).then_some(inst.id)));
                }
                row.context_menu(|ui| {
                    ui.menu_button("Change class", |ui| {
                        for class in &project.file().classes {
                            let current = class.id == inst.class_id;
                            if ui
                                .add_enabled(!current, egui::Button::new(&class.name))
                                .clicked()
                            {
                                commands.push(Command::Edit {
                                    image: index,
                                    edit: InstanceEdit::SetClass {
                                        id: inst.id,
                                        class: class.id,
                                    },
                                });
                            }
                        }
                    });
                    let delete = Action::App(AppAction::DeleteInstance);
                    let button =
                        egui::Button::new("Delete").shortcut_text(shortcut_text(ui.ctx(), delete));
                    if ui.add(button).clicked() {
                        commands.push(Command::Edit {
                            image: index,
                            edit: InstanceEdit::Delete(inst.id),
                        });
                    }
                });
            }
        });
}
