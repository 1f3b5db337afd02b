//! The studio's chrome: the menu bar with the workspace tabs, and the status bar with the project's
//! tallies, the save state and the running jobs (stage, progress, ETA from the stage's start, Cancel).

use super::StudioApp;
use crate::project::{ImageStatus, StatusCounts};
use crate::ui::commands::{Action, AppAction, Command, Dialog, action_menu_item};
use crate::ui::widgets::{shown_status, status_color};
use crate::ui::workspace::WorkspaceId;

impl StudioApp {
    pub(super) fn menu_bar_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        egui::MenuBar::new().ui(ui, |ui| {
            self.project_menu_ui(ui, commands);
            if self.open.is_some() {
                self.edit_menu_ui(ui, commands);
                self.with_context(commands, |workspaces, active, cx| {
                    workspaces.get_mut(active).menu_ui(ui, cx);
                });
            }
            ui.menu_button("Help", |ui| {
                commands.extend(action_menu_item(ui, Action::App(AppAction::ShowHelp), true));
            });
            if let Some(open) = &self.open {
                ui.separator();
                for id in WorkspaceId::ALL {
                    let tab = ui
                        .selectable_label(self.active == id, id.title())
                        .on_hover_text(id.description());
                    if tab.clicked() {
                        commands.push(Command::SwitchWorkspace(id));
                    }
                }
                ui.separator();
                ui.strong(&open.project().file().name);
                ui.weak(open.project().root().display().to_string());
            }
        });
    }

    fn project_menu_ui(&self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        let has_project = self.open.is_some();
        ui.menu_button("Project", |ui| {
            for action in [AppAction::NewProject, AppAction::OpenProject] {
                commands.extend(action_menu_item(ui, Action::App(action), true));
            }
            for action in [AppAction::AddPhotos, AppAction::ImportMasks] {
                commands.extend(action_menu_item(ui, Action::App(action), has_project));
            }
            ui.menu_button("Recent", |ui| {
                if self.settings.recent_projects.is_empty() {
                    ui.weak("None yet");
                }
                for path in &self.settings.recent_projects {
                    if ui.button(path.display().to_string()).clicked() {
                        commands.push(Command::OpenProject(path.clone()));
                    }
                }
            });
            ui.separator();
            for action in [AppAction::SaveNow, AppAction::CloseProject] {
                commands.extend(action_menu_item(ui, Action::App(action), has_project));
            }
        });
    }

    fn edit_menu_ui(&self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        let Some(open) = &self.open else { return };
        let image = open.selection.image;
        let undo = open.session.undo_latest_name(image);
        let redo = open.session.redo_latest_name(image);
        ui.menu_button("Edit", |ui| {
            commands.extend(action_menu_item(
                ui,
                Action::App(AppAction::Undo),
                undo.is_some(),
            ));
            if let Some(name) = undo {
                ui.weak(format!("  {name}"));
            }
            commands.extend(action_menu_item(
                ui,
                Action::App(AppAction::Redo),
                redo.is_some(),
            ));
            if let Some(name) = redo {
                ui.weak(format!("  {name}"));
            }
            ui.separator();
            commands.extend(action_menu_item(
                ui,
                Action::App(AppAction::DeleteInstance),
                open.selection.instance.is_some(),
            ));
        });
    }

    pub(super) fn status_bar_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            if let Some(open) = &self.open {
                let project = open.project();
                let n = project.file().images.len();
                let counts =
                    StatusCounts::tally((0..n).map(|i| shown_status(project, &open.images, i)));
                ui.label(format!("{n} images"));
                for status in ImageStatus::ALL {
                    ui.colored_label(
                        status_color(status),
                        format!("{} {}", counts.get(status), status.name()),
                    );
                }
                if let Some(i) = open.selection.image {
                    let image = &project.file().images[i];
                    ui.separator();
                    ui.label(format!("{} {}×{}", image.file, image.width, image.height));
                    self.workspaces.get(self.active).status_ui(ui, open);
                }
                ui.separator();
                save_state_ui(ui, &open.session.save_state());
            } else {
                ui.label("No project open");
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                self.jobs_ui(ui, commands);
            });
        });
    }

    /// Every running job with its stage, progress, ETA and Cancel (right to left).
    fn jobs_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        for job in self.jobs.statuses().iter().rev() {
            // Each job's widgets get ids of their own: auto ids count the widgets laid out
            // before them in the status bar, which change from frame to frame (the save state,
            // the other jobs' bars), and a click meant for last frame's Cancel would miss.
            let scope = egui::UiBuilder::new()
                .scope_id(egui::Id::unique(("status bar job", job.kind)))
                .layout(egui::Layout::right_to_left(egui::Align::Center));
            ui.scope_builder(scope, |ui| job_ui(ui, job, commands));
        }
    }
}

/// One job of the status bar: Cancel, its bar with counts and ETA (or a spinner), its stage.
fn job_ui(ui: &mut egui::Ui, job: &crate::ui::jobs::JobStatus, commands: &mut Vec<Command>) {
    let progress = &job.progress;
    if progress.is_cancelled() {
        ui.spinner();
        ui.label(format!("{}: cancelling…", job.title));
        return;
    }
    if ui
        .button("Cancel")
        .on_hover_text(format!(
            "Stop {} and take back what it wrote",
            job.kind.name()
        ))
        .clicked()
    {
        commands.push(Command::CancelJob(job.kind));
    }
    let (done, total) = progress.counts();
    if total == 0 {
        ui.spinner();
    } else {
        let eta = progress.eta().map_or_else(
            || "…".to_owned(),
            |d| format!("{:.0} s left", d.as_secs_f64().ceil()),
        );
        ui.add(
            egui::ProgressBar::new(progress.fraction())
                .desired_width(220.0)
                .text(format!("{done}/{total}, {eta}")),
        );
    }
    let stage = progress.stage();
    if stage.is_empty() {
        ui.label(&job.title);
    } else {
        ui.label(format!("{}: {stage}", job.title));
    }
    ui.separator();
}

fn save_state_ui(ui: &mut egui::Ui, state: &crate::label::SaveState) {
    if !state.failures.is_empty() {
        ui.colored_label(ui.visuals().error_fg_color, "Not saved")
            .on_hover_text(state.failures.join("\n"));
    } else if state.unsaved > 0 {
        ui.weak("Saving…")
            .on_hover_text("Changes are written about a second after the last edit");
    } else {
        ui.weak("All changes saved");
    }
}

/// Which dialog a title belongs to.
pub(super) fn dialog_title(dialog: Dialog) -> Option<&'static str> {
    match dialog {
        Dialog::None => None,
        Dialog::New => Some("New project"),
        Dialog::Open => Some("Open project"),
        Dialog::Import => Some("Import photos and masks"),
        Dialog::AddPhotos => Some("Add photos"),
    }
}
