//! Applying the frame's commands: the active workspace gets each action first, the app handles the
//! shared ones and every command that changes shared state.

use super::StudioApp;
use crate::label::InstanceEdit;
use crate::project::Project;
use crate::ui::commands::{Action, AppAction, Command, Dialog};
use crate::ui::jobs::JobKind;

impl StudioApp {
    pub(super) fn apply(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::Run(action) => self.run_action(ctx, action),
            Command::OpenProject(path) => {
                self.dialog = Dialog::None;
                self.start_open(ctx, path);
            }
            Command::CreateProject { path, name, preset } => {
                match Project::create(&path, &name, preset) {
                    Ok(project) => {
                        self.dialog = Dialog::None;
                        self.toasts
                            .info(format!("Created project {name:?} in {}", path.display()));
                        self.project_opened(ctx, project, &path);
                    }
                    Err(err) => self.forms.problem = Some(err.to_string()),
                }
            }
            Command::StartImport {
                new_project,
                options,
            } => {
                if let Some((path, preset)) = new_project {
                    // The start screen's import: the new project opens first, then the photos
                    // arrive in it like any import into an open project.
                    let name = crate::project::default_name(&path);
                    match Project::create(&path, &name, preset) {
                        Ok(project) => self.project_opened(ctx, project, &path),
                        Err(err) => {
                            self.forms.problem = Some(err.to_string());
                            return;
                        }
                    }
                }
                self.start_import(ctx, options);
            }
            Command::PickFolder(field) => self.start_folder_pick(ctx, field),
            Command::SetDone { image, done } => {
                if let Some(open) = &mut self.open
                    && let Err(err) = open.session.set_done(image, done)
                {
                    self.toasts.error(err.to_string());
                }
            }
            Command::ChangeClass(change) => {
                use crate::project::classes::ClassChange;
                if let Some(open) = &mut self.open {
                    // A colour picker sends a change per frame while dragged: no toast for those.
                    let quiet = matches!(change, ClassChange::Recolour { .. });
                    match open.session.change_class(change) {
                        Ok(summary) if !quiet => self.toasts.info(summary),
                        Ok(_) => {}
                        Err(err) => self.toasts.error(err.to_string()),
                    }
                }
            }
            Command::AddPhotos { paths, split } => self.start_photo_import(ctx, paths, split),
            Command::ShowDialog(dialog) => {
                self.forms.problem = None;
                self.dialog = dialog;
            }
            Command::SwitchWorkspace(id) => self.active = id,
            Command::SetVariants(variants) => {
                if let Some(open) = &mut self.open {
                    match open.session.set_variants(variants) {
                        Ok(()) => self.toasts.info("Variants saved to project.ron"),
                        Err(err) => self
                            .toasts
                            .error(format!("Cannot save the variants: {err}")),
                    }
                }
            }
            Command::SetSynthParams(params) => {
                if let Some(open) = &mut self.open {
                    open.session.set_synth_params(*params);
                }
            }
            Command::SelectImage(index) => {
                if let Some(open) = &mut self.open
                    && index < open.project().file().images.len()
                {
                    open.selection.image = Some(index);
                    open.selection.instance = None;
                }
            }
            Command::SelectInstance(id) => {
                if let Some(open) = &mut self.open {
                    open.selection.instance = id;
                }
            }
            Command::Edit { image, edit } => self.edit(image, &edit),
            Command::CancelJob(kind) => self.jobs.cancel(kind),
        }
    }

    fn run_action(&mut self, ctx: &egui::Context, action: Action) {
        let mut follow_up = Vec::new();
        let handled = self
            .with_context(&mut follow_up, |workspaces, active, cx| {
                workspaces.get_mut(active).run_action(action, cx)
            })
            .unwrap_or(false);
        for command in follow_up {
            self.apply(ctx, command);
        }
        if handled {
            return;
        }
        let Action::App(action) = action else {
            // A workspace's action while another workspace is active: nothing to do.
            return;
        };
        match action {
            AppAction::NewProject => self.apply(ctx, Command::ShowDialog(Dialog::New)),
            AppAction::OpenProject => self.apply(ctx, Command::ShowDialog(Dialog::Open)),
            AppAction::ImportMasks => self.apply(ctx, Command::ShowDialog(Dialog::Import)),
            AppAction::AddPhotos => self.apply(ctx, Command::ShowDialog(Dialog::AddPhotos)),
            AppAction::CloseProject => self.close_project(),
            AppAction::SaveNow => {
                if let Some(open) = &mut self.open {
                    match open.session.flush() {
                        Ok(()) => self.toasts.info("Everything is saved"),
                        Err(err) => self
                            .toasts
                            .error(format!("Not everything could be saved: {err}")),
                    }
                }
            }
            AppAction::Undo | AppAction::Redo => self.undo_redo(action == AppAction::Undo),
            AppAction::DeleteInstance => {
                if let Some(open) = &self.open
                    && let (Some(image), Some(id)) = (open.selection.image, open.selection.instance)
                {
                    self.edit(image, &InstanceEdit::Delete(id));
                }
            }
            AppAction::ShowHelp => self.help_open = !self.help_open,
        }
    }

    fn edit(&mut self, image: usize, edit: &InstanceEdit) {
        let Some(open) = &mut self.open else { return };
        match open
            .session
            .edit(image, &edit.name(), |list| edit.apply(list))
        {
            Ok(_) => {
                if let InstanceEdit::Delete(id) = edit
                    && open.selection.instance == Some(*id)
                {
                    open.selection.instance = None;
                }
            }
            Err(err) => self.toasts.error(format!("Cannot {}: {err}", edit.name())),
        }
    }

    fn undo_redo(&mut self, undo: bool) {
        let Some(open) = &mut self.open else { return };
        let image = open.selection.image;
        let result = if undo {
            open.session.undo_latest(image)
        } else {
            open.session.redo_latest(image)
        };
        match result {
            Ok(Some(name)) => {
                let verb = if undo { "Undid" } else { "Redid" };
                self.toasts.info(format!("{verb} {name}"));
                // The selected instance may be gone (an undone add) or back.
                if let (Some(image), Some(id)) = (image, open.selection.instance)
                    && !open.project().instances(image).iter().any(|i| i.id == id)
                {
                    open.selection.instance = None;
                }
            }
            Ok(None) => self.toasts.info(if undo {
                "Nothing to undo in this image or the class list"
            } else {
                "Nothing to redo in this image or the class list"
            }),
            Err(err) => self.toasts.error(err.to_string()),
        }
    }

    fn close_project(&mut self) {
        if self.jobs.is_running(JobKind::Import) {
            self.toasts
                .warning("An import is running into this project; wait for it or cancel it first");
            return;
        }
        if let Some(open) = &mut self.open
            && let Err(err) = open.session.flush()
        {
            // Closing now would lose the edits: the project stays open until they can be written.
            self.toasts.error(format!(
                "The project stays open: some changes cannot be saved ({err})"
            ));
            return;
        }
        self.open = None;
        self.settings.last_project = None;
    }
}
