//! The studio application: the shell every workspace plugs into.
//!
//! It keeps only what the workspaces share — the open project (with its label session and photo
//! cache), the selection, the jobs, toasts and settings — and runs each frame in a fixed order:
//! collect what background work delivered, turn shortcuts into actions, draw the chrome and the active
//! workspace, then apply the frame's commands (the active workspace handles an action first).
//!
//! - `commands.rs`: applying commands; `jobs.rs`: the app's own jobs (open, import, folder dialog);
//! - `chrome.rs`: menu bar, workspace tabs, status bar; `start.rs`: the start screen;
//! - `dialogs.rs`: New / Open / Import over a project; `help.rs`: the F1 overlay;
//! - `screenshot.rs`: `--screenshot`, a picture of the settled window for the README and CI.

mod chrome;
mod commands;
mod dialogs;
mod help;
mod jobs;
mod pointer_script;
mod screenshot;
mod start;

use std::path::PathBuf;

use super::commands::{Command, Dialog, DispatchContext, shortcut_actions};
use super::forms::Forms;
use super::jobs::Jobs;
use super::settings::Settings;
use super::toasts::Toasts;
use super::workspace::{OpenProject, WorkspaceContext, WorkspaceId, Workspaces};
use crate::cli::StudioArgs;
use jobs::AppJob;
use pointer_script::PointerScript;
use screenshot::Screenshot;

/// The studio.
pub struct StudioApp {
    settings: Settings,
    forms: Forms,
    dialog: Dialog,
    help_open: bool,
    pub open: Option<OpenProject>,
    pub workspaces: Workspaces,
    pub active: WorkspaceId,
    pub jobs: Jobs,
    app_jobs: Vec<AppJob>,
    pub toasts: Toasts,
    screenshot: Option<Screenshot>,
    /// `--pointer`: steps still to play into the Label canvas.
    pointer: Option<PointerScript>,
    /// Selected when the first project opens (`--image`).
    initial_image: Option<String>,
}

impl StudioApp {
    pub fn new(cc: &eframe::CreationContext<'_>, args: StudioArgs) -> Self {
        let settings = Settings::load(cc.storage);
        let initial = if args.start_screen {
            None
        } else {
            args.project
                .clone()
                .or_else(|| {
                    settings
                        .last_project
                        .clone()
                        .filter(|p| p.join(crate::project::PROJECT_FILE).is_file())
                })
                .or_else(bundled_demo_project)
        };
        let mut app = Self {
            settings,
            forms: Forms::default(),
            dialog: Dialog::None,
            help_open: false,
            open: None,
            workspaces: Workspaces::default(),
            active: WorkspaceId::Browse,
            jobs: Jobs::default(),
            app_jobs: Vec::new(),
            toasts: Toasts::default(),
            screenshot: args.screenshot.map(Screenshot::new),
            pointer: None,
            initial_image: args.image,
        };
        app.set_up_gestures(args.tool.as_deref(), args.pointer.as_deref());
        if let Some(name) = &args.workspace {
            match WorkspaceId::ALL
                .into_iter()
                .find(|w| w.title().eq_ignore_ascii_case(name))
            {
                Some(id) => app.active = id,
                None => app.toasts.error(format!(
                    "No workspace {name:?}: the workspaces are browse, label, dataset, synthesize, train and evaluate"
                )),
            }
        }
        if let Some(run) = &args.run {
            app.workspaces.train.selected = Some(run.clone());
            app.workspaces.evaluate.score_on_open(run);
        }
        let compare_view = args
            .workspace
            .as_deref()
            .is_some_and(|w| w.eq_ignore_ascii_case("compare"));
        if let Some(name) = args.view.as_ref().filter(|_| compare_view) {
            match crate::ui::compare::View::from_name(name) {
                Some(view) => app.workspaces.compare.view = view,
                None => app.toasts.error(format!(
                    "No view {name:?}: the Compare views are table, charts and seed"
                )),
            }
        } else if let Some(name) = &args.view {
            match crate::ui::dataset::DatasetView::from_name(name) {
                Some(view) => app.workspaces.dataset.view = view,
                None => app.toasts.error(format!(
                    "No view {name:?}: the Dataset views are classes, chart, problems and variants"
                )),
            }
        }
        if let Some(path) = initial {
            app.forms.open_path = path.display().to_string();
            app.start_open(&cc.egui_ctx, path);
        }
        app
    }

    /// Whether any background job is running.
    pub fn is_busy(&self) -> bool {
        self.jobs.any_running() || !self.app_jobs.is_empty()
    }

    /// Runs `f` with the workspace context, when a project is open.
    fn with_context<R>(
        &mut self,
        commands: &mut Vec<Command>,
        f: impl FnOnce(&mut Workspaces, WorkspaceId, &mut WorkspaceContext<'_>) -> R,
    ) -> Option<R> {
        let open = self.open.as_mut()?;
        let mut cx = WorkspaceContext {
            open,
            jobs: &mut self.jobs,
            toasts: &mut self.toasts,
            settings: &mut self.settings,
            commands,
        };
        Some(f(&mut self.workspaces, self.active, &mut cx))
    }

    /// Reports of the autosave worker: failures become sticky errors.
    fn poll_saves(&mut self) {
        let Some(open) = &mut self.open else { return };
        for report in open.session.poll_saves() {
            if let Err(err) = report.outcome {
                self.toasts
                    .error(format!("Cannot save {}: {err}; retrying", report.target));
            }
        }
    }

    fn dispatch_shortcuts(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        let dispatch = DispatchContext {
            active: self.open.as_ref().map(|_| self.active),
            has_project: self.open.is_some(),
            typing: ctx.text_edit_focused(),
            dialog_open: self.dialog != Dialog::None,
        };
        commands.extend(
            shortcut_actions(ctx, dispatch)
                .into_iter()
                .map(Command::Run),
        );
    }

    /// A project folder (or its project.ron) dropped on the window opens it; photos and folders of
    /// photos dropped on an open project are added to it (with the Add photos form's splits).
    fn dropped_project(&mut self, ctx: &egui::Context) -> Option<Command> {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        let path = dropped.first()?.clone();
        let is_project = |p: &std::path::Path| {
            let folder = if p.is_dir() {
                p
            } else {
                p.parent().unwrap_or(p)
            };
            folder.join(crate::project::PROJECT_FILE).is_file()
        };
        if self.open.is_some() && !is_project(&path) {
            return match self.forms.photo_split() {
                Ok(split) => Some(Command::AddPhotos {
                    paths: dropped,
                    split,
                }),
                Err(problem) => {
                    self.toasts
                        .warning(format!("The Add photos form's split: {problem}"));
                    None
                }
            };
        }
        let folder = if path.is_dir() {
            path
        } else {
            path.parent()?.to_path_buf()
        };
        if folder.join(crate::project::PROJECT_FILE).is_file() {
            Some(Command::OpenProject(folder))
        } else {
            self.toasts.warning(format!(
                "No project.ron in {}; drop a project folder",
                folder.display()
            ));
            None
        }
    }
}

/// The demo project shipped in the repository (`projects/demo`), found from the working folder or from
/// the executable's place in `target/<profile>/`.
fn bundled_demo_project() -> Option<PathBuf> {
    let relative = std::path::Path::new("projects").join("demo");
    let from_exe = std::env::current_exe().ok().and_then(|exe| {
        exe.parent()?
            .parent()?
            .parent()
            .map(|root| root.join(&relative))
    });
    [Some(relative.clone()), from_exe]
        .into_iter()
        .flatten()
        .find(|p| p.join(crate::project::PROJECT_FILE).is_file())
}

impl eframe::App for StudioApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let mut commands: Vec<Command> = Vec::new();
        self.poll_jobs(&ctx);
        self.poll_saves();
        if let Some(open) = &mut self.open {
            open.images.begin_frame();
        }
        self.with_context(&mut commands, |workspaces, _, cx| {
            for workspace in workspaces.iter_mut() {
                workspace.poll(cx);
            }
        });
        self.dispatch_shortcuts(&ctx, &mut commands);
        commands.extend(self.dropped_project(&ctx));

        egui::Panel::top("menu").show(ui, |ui| self.menu_bar_ui(ui, &mut commands));
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar_ui(ui, &mut commands));
        if self.open.is_some() {
            self.with_context(&mut commands, |workspaces, active, cx| {
                workspaces.get_mut(active).ui(ui, cx);
            });
        } else {
            egui::CentralPanel::default().show(ui, |ui| self.start_screen_ui(ui, &mut commands));
        }
        self.dialog_ui(&ctx, &mut commands);
        self.help_ui(&ctx);
        self.toasts.show(&ctx);
        for command in commands {
            self.apply(&ctx, command);
        }
        if self.is_busy() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
        self.screenshot_step(&ctx);
    }

    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        self.play_pointer(raw_input);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.settings.save(storage);
    }

    fn on_exit(&mut self) {
        if let Some(mut open) = self.open.take()
            && let Err(err) = open.session.flush()
        {
            log::error!("unsaved changes could not be written on exit: {err}");
        }
    }
}
