//! The Label workspace's side panel: what the active tool does, the classes (the one new instances
//! get, with their hotkeys), and the instances of the photo (select, class, order, delete).

use crate::label::InstanceEdit;
use crate::project::ClassId;
use crate::ui::commands::{Action, AppAction, Command, action_button};
use crate::ui::widgets::swatch;
use crate::ui::workspace::OpenProject;

/// The panel; `drawing` is the class new instances get.
pub fn side_ui(
    ui: &mut egui::Ui,
    open: &OpenProject,
    drawing: Option<ClassId>,
    workspace: &mut super::LabelWorkspace,
    commands: &mut Vec<Command>,
) {
    let tool = workspace.tool;
    let active_class = &mut workspace.active_class;
    let visibility = &mut workspace.visibility;
    let editor = &mut workspace.class_editor;
    commands.extend(action_button(
        ui,
        Action::App(AppAction::AddPhotos),
        "Add photos…",
    ));
    if let Some(image) = open.selection.image {
        let mut done = open.project().file().images[image].done;
        if ui
            .checkbox(&mut done, "This photo is done")
            .on_hover_text(
                "Every object in it is labelled (Ctrl+Enter); the image list filters by it",
            )
            .changed()
        {
            commands.push(Command::SetDone { image, done });
        }
    }
    ui.separator();
    ui.heading(tool.name());
    ui.label(egui::RichText::new(tool.help()).weak());
    ui.separator();
    ui.heading("Classes");
    let project = open.project();
    let selected = open
        .selection
        .image
        .zip(open.selection.instance)
        .and_then(|(image, id)| {
            project
                .instances(image)
                .iter()
                .find(|i| i.id == id)
                .map(|i| (image, i))
        });
    egui::ScrollArea::vertical()
        .id_salt("label-classes")
        .max_height(ui.available_height() * 0.5)
        .show(ui, |ui| {
            for (k, class) in project.file().classes.iter().enumerate() {
                ui.horizontal(|ui| {
                    swatch(ui, class.color);
                    let hotkey = if k < 9 {
                        format!("{} ", k + 1)
                    } else {
                        "  ".to_owned()
                    };
                    let response = ui
                        .selectable_label(
                            drawing == Some(class.id),
                            format!("{hotkey}{}", class.name),
                        )
                        .on_hover_text(
                            "New instances get this class; with an instance selected, it gets it \
                             too. Right-click to rename, recolour, size or delete it",
                        );
                    response.context_menu(|ui| editor.menu_ui(ui, class));
                    if let Some(lock) = toggles(
                        ui,
                        visibility.class_hidden(class.id),
                        visibility.class_locked(class.id),
                        "every instance of this class",
                    ) {
                        visibility.toggle_class(class.id, lock);
                    }
                    if response.clicked() {
                        *active_class = Some(class.id);
                        if let Some((image, inst)) = selected
                            && inst.class_id != class.id
                        {
                            commands.push(Command::Edit {
                                image,
                                edit: InstanceEdit::SetClass {
                                    id: inst.id,
                                    class: class.id,
                                },
                            });
                        }
                    }
                });
            }
        });
    editor.ui(ui, project, commands);
    ui.separator();
    ui.heading("Instances");
    let Some(image) = open.selection.image else {
        return;
    };
    let mut instances: Vec<_> = project.instances(image).iter().collect();
    instances.sort_by_key(|i| std::cmp::Reverse(i.order));
    if instances.is_empty() {
        ui.label(egui::RichText::new("None yet: draw one on the photo").weak());
    }
    // Only the rows in view are laid out: a photo may carry a thousand instances.
    let row_height = ui.spacing().interact_size.y;
    egui::ScrollArea::vertical()
        .id_salt("label-instances")
        .show_rows(ui, row_height, instances.len(), |ui, rows| {
            for &inst in &instances[rows] {
                ui.horizontal(|ui| {
                    let class = project.class(inst.class_id);
                    swatch(ui, class.map_or([255, 0, 255], |c| c.color));
                    let name = class.map_or("unknown class", |c| c.name.as_str());
                    let is_selected = open.selection.instance == Some(inst.id);
                    if ui
                        .selectable_label(
                            is_selected,
                            format!("#{} {name} · {} vertices", inst.id, inst.vertex_count()),
                        )
                        .clicked()
                    {
                        commands.push(Command::SelectInstance((!is_selected).then_some(inst.id)));
                    }
                    let file = &project.file().images[image].file;
                    if let Some(lock) = toggles(
                        ui,
                        visibility.instance_hidden(file, inst.id),
                        visibility.instance_locked(file, inst.id),
                        "this instance",
                    ) {
                        visibility.toggle_instance(file, inst.id, lock);
                    }
                    if ui
                        .small_button("Delete")
                        .on_hover_text("Delete this instance (Delete)")
                        .clicked()
                    {
                        commands.push(Command::Edit {
                            image,
                            edit: InstanceEdit::Delete(inst.id),
                        });
                    }
                });
            }
        });
}

/// The "hide"/"show" and "lock"/"unlock" buttons of a row; returns which was clicked
/// (`Some(true)`: lock).
fn toggles(ui: &mut egui::Ui, hidden: bool, locked: bool, what: &str) -> Option<bool> {
    let mut clicked = None;
    if ui
        .small_button(if hidden { "show" } else { "hide" })
        .on_hover_text(format!(
            "Hide {what} while you label (not saved; a hidden instance cannot be picked)"
        ))
        .clicked()
    {
        clicked = Some(false);
    }
    if ui
        .small_button(if locked { "unlock" } else { "lock" })
        .on_hover_text(format!(
            "Lock {what}: still shown, but it cannot be selected or changed"
        ))
        .clicked()
    {
        clicked = Some(true);
    }
    clicked
}
