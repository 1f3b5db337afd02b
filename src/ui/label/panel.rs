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
                let hotkey = if k < 9 {
                    format!("{} ", k + 1)
                } else {
                    "  ".to_owned()
                };
                let (response, toggled) = row(
                    ui,
                    class.color,
                    drawing == Some(class.id),
                    &format!("{hotkey}{}", class.name),
                    |ui| {
                        toggles(
                            ui,
                            visibility.class_hidden(class.id),
                            visibility.class_locked(class.id),
                            "every instance of this class",
                        )
                    },
                );
                let response = response.on_hover_text(format!(
                    "{}: new instances get this class; with an instance selected, it gets it \
                     too. Right-click to rename, recolour, size or delete it",
                    class.name
                ));
                response.context_menu(|ui| editor.menu_ui(ui, class));
                if let Some(lock) = toggled {
                    visibility.toggle_class(class.id, lock);
                }
                {
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
                }
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
    let mut scroll = egui::ScrollArea::vertical().id_salt("label-instances");
    // An instance selected on the canvas scrolls its row into view (near the top), once, unless
    // the row is in view already (a click in the list itself).
    if open.selection.instance != workspace.listed_selection {
        workspace.listed_selection = open.selection.instance;
        if let Some(row) = open
            .selection
            .instance
            .and_then(|id| instances.iter().position(|i| i.id == id))
            .filter(|row| !workspace.listed_rows.contains(row))
        {
            let pitch = row_height + ui.spacing().item_spacing.y;
            scroll = scroll.vertical_scroll_offset((row as f32 - 2.0).max(0.0) * pitch);
        }
    }
    let listed_rows = &mut workspace.listed_rows;
    scroll.show_rows(ui, row_height, instances.len(), |ui, rows| {
        *listed_rows = rows.clone();
        for &inst in &instances[rows] {
            let class = project.class(inst.class_id);
            let name = class.map_or("unknown class", |c| c.name.as_str());
            let is_selected = open.selection.instance == Some(inst.id);
            let file = &project.file().images[image].file;
            let (response, (delete, toggled)) = row(
                ui,
                class.map_or([255, 0, 255], |c| c.color),
                is_selected,
                &format!("#{} {name} · {} vertices", inst.id, inst.vertex_count()),
                |ui| {
                    // Right to left: Delete at the edge, then lock and hide.
                    let delete = ui
                        .small_button("Delete")
                        .on_hover_text("Delete this instance (Delete)")
                        .clicked();
                    let toggled = toggles(
                        ui,
                        visibility.instance_hidden(file, inst.id),
                        visibility.instance_locked(file, inst.id),
                        "this instance",
                    );
                    (delete, toggled)
                },
            );
            if response
                .on_hover_text(format!("#{} {name}: click to select it", inst.id))
                .clicked()
            {
                commands.push(Command::SelectInstance((!is_selected).then_some(inst.id)));
            }
            if let Some(lock) = toggled {
                visibility.toggle_instance(file, inst.id, lock);
            }
            if delete {
                commands.push(Command::Edit {
                    image,
                    edit: InstanceEdit::Delete(inst.id),
                });
            }
        }
    });
}

/// One row of the class or instance list: a colour swatch and a selectable name on the left
/// (cut short with "…" where it would run into the buttons; the caller's tooltip says it whole),
/// and `buttons` flush right, drawn right to left, so that the rows line up whatever the names.
fn row<R>(
    ui: &mut egui::Ui,
    color: [u8; 3],
    selected: bool,
    text: &str,
    buttons: impl FnOnce(&mut egui::Ui) -> R,
) -> (egui::Response, R) {
    ui.horizontal(|ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let inner = buttons(ui);
            let response = ui
                .with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                    swatch(ui, color);
                    ui.add(egui::Button::selectable(selected, text).truncate())
                })
                .inner;
            (response, inner)
        })
        .inner
    })
    .inner
}

/// The "hide"/"show" and "lock"/"unlock" buttons of a row, drawn into a right-to-left layout
/// (so "lock" first: it reads "hide lock"); returns which was clicked (`Some(true)`: lock).
fn toggles(ui: &mut egui::Ui, hidden: bool, locked: bool, what: &str) -> Option<bool> {
    let mut clicked = None;
    if ui
        .small_button(if locked { "unlock" } else { "lock" })
        .on_hover_text(format!(
            "Lock {what}: still shown, but it cannot be selected or changed"
        ))
        .clicked()
    {
        clicked = Some(true);
    }
    if ui
        .small_button(if hidden { "show" } else { "hide" })
        .on_hover_text(format!(
            "Hide {what} while you label (not saved; a hidden instance cannot be picked)"
        ))
        .clicked()
    {
        clicked = Some(false);
    }
    clicked
}
