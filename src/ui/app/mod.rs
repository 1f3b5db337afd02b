//! The studio application: owns the open project and the UI state, applies the commands the panels
//! return, and runs long jobs on worker threads.

mod chrome;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::browser::Browser;
use super::classes::{ClassCounts, class_list_ui};
use super::forms::{FolderField, Forms};
use super::settings::Settings;
use super::tasks::{Poll, Task};
use super::toasts::Toasts;
use super::viewer::Viewer;
use crate::cli::StudioArgs;
use crate::import::{MaskImportOptions, MaskImportReport, import_masks};
use crate::project::{Preset, Project};

/// What the panels ask the application to do; applied after the frame's drawing.
#[derive(Clone, Debug)]
pub enum Command {
    OpenProject(PathBuf),
    CreateProject {
        path: PathBuf,
        name: String,
        preset: Preset,
    },
    CloseProject,
    SelectImage(usize),
    StartImport {
        /// `Some` to create this project first (start screen), `None` to import into the open one.
        new_project: Option<(PathBuf, Preset)>,
        options: MaskImportOptions,
    },
    PickFolder(FolderField),
    ShowDialog(Dialog),
}

/// The dialog over an open project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialog {
    None,
    New,
    Open,
    Import,
}

/// An open project with its view state.
pub struct OpenProject {
    pub project: Project,
    pub selected: Option<usize>,
    /// Bumped whenever annotations change, to refresh caches.
    pub version: u64,
    pub browser: Browser,
    pub viewer: Viewer,
    counts: ClassCounts,
}

impl OpenProject {
    fn new(project: Project) -> Self {
        let selected = (!project.file.images.is_empty()).then_some(0);
        Self {
            project,
            selected,
            version: 0,
            browser: Browser::default(),
            viewer: Viewer::default(),
            counts: ClassCounts::default(),
        }
    }
}

type ImportResult = Result<(Project, MaskImportReport), String>;

struct Screenshot {
    path: PathBuf,
    settled_frames: u32,
    requested: bool,
    done: Arc<AtomicBool>,
    started: Instant,
}

/// The studio.
pub struct StudioApp {
    settings: Settings,
    forms: Forms,
    dialog: Dialog,
    pub open: Option<OpenProject>,
    opening: Option<(PathBuf, Task<Result<Project, String>>)>,
    import: Option<Task<ImportResult>>,
    folder_pick: Option<(FolderField, Instant, Task<Option<PathBuf>>)>,
    pub toasts: Toasts,
    screenshot: Option<Screenshot>,
    initial_image: Option<String>,
    initial_project: Option<PathBuf>,
}

impl StudioApp {
    pub fn new(cc: &eframe::CreationContext<'_>, args: StudioArgs) -> Self {
        let settings = Settings::load(cc.storage);
        let mut app = Self::with_settings(settings, args);
        if let Some(path) = app.initial_project.take() {
            app.start_open(&cc.egui_ctx, path);
        }
        app
    }
}

impl StudioApp {
    fn with_settings(settings: Settings, args: StudioArgs) -> Self {
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
            open: None,
            opening: None,
            import: None,
            folder_pick: None,
            toasts: Toasts::default(),
            screenshot: args.screenshot.map(|path| Screenshot {
                path,
                settled_frames: 0,
                requested: false,
                done: Arc::new(AtomicBool::new(false)),
                started: Instant::now(),
            }),
            initial_image: args.image,
            initial_project: initial,
        };
        if let Some(p) = &app.initial_project {
            app.forms.open_path = p.display().to_string();
        }
        app
    }

    /// Whether a project is being opened or imported right now.
    pub fn is_busy(&self) -> bool {
        self.opening.is_some() || self.import.is_some()
    }

    fn start_open(&mut self, ctx: &egui::Context, path: PathBuf) {
        let worker_path = path.clone();
        match Task::spawn("project-open", ctx, move |_| {
            Project::open(&worker_path).map_err(|e| e.to_string())
        }) {
            Ok(task) => self.opening = Some((path, task)),
            Err(err) => self.toasts.error(err),
        }
    }

    fn apply(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::OpenProject(path) => {
                self.dialog = Dialog::None;
                self.start_open(ctx, path);
            }
            Command::CreateProject { path, name, preset } => {
                match Project::create(&path, &name, preset) {
                    Ok(project) => {
                        self.dialog = Dialog::None;
                        self.settings.remember(&path);
                        self.toasts
                            .info(format!("Created project {name:?} in {}", path.display()));
                        self.open = Some(OpenProject::new(project));
                    }
                    Err(err) => self.forms.problem = Some(err.to_string()),
                }
            }
            Command::CloseProject => {
                self.open = None;
                self.settings.last_project = None;
            }
            Command::SelectImage(index) => {
                if let Some(open) = &mut self.open
                    && index < open.project.file.images.len()
                {
                    open.selected = Some(index);
                }
            }
            Command::StartImport {
                new_project,
                options,
            } => self.start_import(ctx, new_project, options),
            Command::PickFolder(field) => {
                let task =
                    Task::spawn("file-dialog", ctx, |_| rfd::FileDialog::new().pick_folder());
                match task {
                    Ok(task) => self.folder_pick = Some((field, Instant::now(), task)),
                    Err(err) => self.toasts.error(err),
                }
            }
            Command::ShowDialog(dialog) => {
                self.forms.problem = None;
                self.dialog = dialog;
            }
        }
    }

    fn start_import(
        &mut self,
        ctx: &egui::Context,
        new_project: Option<(PathBuf, Preset)>,
        options: MaskImportOptions,
    ) {
        if self.import.is_some() {
            self.toasts.warning("An import is already running");
            return;
        }
        let target = if let Some((path, preset)) = new_project {
            Err((path, preset))
        } else {
            let Some(open) = &self.open else {
                self.toasts.error("Open a project to import into");
                return;
            };
            Ok(open.project.clone())
        };
        let task = Task::spawn("import", ctx, move |progress| {
            let mut project = match target {
                Ok(project) => project,
                Err((path, preset)) => {
                    let name = path.file_name().map_or_else(
                        || "project".to_owned(),
                        |n| n.to_string_lossy().into_owned(),
                    );
                    Project::create(&path, &name, preset).map_err(|e| e.to_string())?
                }
            };
            let report =
                import_masks(&mut project, &options, progress).map_err(|e| e.to_string())?;
            Ok((project, report))
        });
        match task {
            Ok(task) => {
                self.dialog = Dialog::None;
                self.import = Some(task);
            }
            Err(err) => self.toasts.error(err),
        }
    }

    /// Collects the results of background jobs.
    fn poll_tasks(&mut self, ctx: &egui::Context) {
        if let Some((path, task)) = &self.opening {
            match task.poll() {
                Poll::Pending => {}
                Poll::Done(result) => {
                    let path = path.clone();
                    self.opening = None;
                    match result {
                        Ok(project) => self.project_opened(project, &path),
                        Err(err) => self.toasts.error(format!("Cannot open the project: {err}")),
                    }
                }
                Poll::Died => {
                    self.opening = None;
                    self.toasts
                        .error("Opening the project stopped unexpectedly");
                }
            }
        }
        if let Some(task) = &self.import {
            match task.poll() {
                Poll::Pending => {}
                Poll::Done(Ok((project, report))) => {
                    self.import = None;
                    let root = project.root().to_path_buf();
                    self.toasts.info(format!(
                        "Imported {} photos in {:.1} s: {} labelled, {} instances",
                        report.photos, report.seconds, report.labelled, report.instances
                    ));
                    for problem in report.skipped.iter().chain(&report.warnings).take(5) {
                        self.toasts.warning(problem.clone());
                    }
                    self.project_opened(project, &root);
                }
                Poll::Done(Err(err)) => {
                    self.import = None;
                    self.toasts.error(format!("Import failed: {err}"));
                }
                Poll::Died => {
                    self.import = None;
                    self.toasts.error("The import stopped unexpectedly");
                }
            }
        }
        if let Some((field, started, task)) = &self.folder_pick {
            match task.poll() {
                Poll::Pending => {}
                Poll::Done(Some(path)) => {
                    self.forms.set_folder(*field, &path);
                    self.folder_pick = None;
                }
                Poll::Done(None) | Poll::Died => {
                    // rfd returns None at once when no dialog backend exists; tell the user to type.
                    if started.elapsed() < Duration::from_millis(300) {
                        self.toasts
                            .warning("No folder dialog is available here; type the path instead");
                    }
                    self.folder_pick = None;
                }
            }
        }
        if self.is_busy() || self.folder_pick.is_some() {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
    }

    fn project_opened(&mut self, project: Project, path: &std::path::Path) {
        self.settings.remember(path);
        let broken: Vec<String> = project
            .annotations
            .iter()
            .filter_map(|a| match a {
                crate::project::AnnotationState::Broken(reason) => Some(reason.clone()),
                _ => None,
            })
            .collect();
        if !broken.is_empty() {
            self.toasts.warning(format!(
                "{} annotation file(s) could not be read and were left untouched; first: {}",
                broken.len(),
                broken[0]
            ));
        }
        let mut open = OpenProject::new(project);
        if let Some(name) = self.initial_image.take() {
            match open.project.image_index(&name) {
                Some(i) => {
                    open.selected = Some(i);
                    open.browser.scroll_to_selected = true;
                }
                None => self
                    .toasts
                    .warning(format!("No image {name:?} in the project")),
            }
        }
        self.open = Some(open);
    }

    fn handle_shortcuts(&mut self, ctx: &egui::Context) -> Option<Command> {
        use egui::{Key, KeyboardShortcut, Modifiers};
        let mut cmd = None;
        let ctrl = |key| KeyboardShortcut::new(Modifiers::COMMAND, key);
        ctx.input_mut(|i| {
            if i.consume_shortcut(&ctrl(Key::O)) {
                cmd = Some(Command::ShowDialog(Dialog::Open));
            }
            if i.consume_shortcut(&ctrl(Key::N)) {
                cmd = Some(Command::ShowDialog(Dialog::New));
            }
            if i.consume_shortcut(&ctrl(Key::I)) {
                cmd = Some(Command::ShowDialog(Dialog::Import));
            }
        });
        if ctx.egui_wants_keyboard_input() || self.dialog != Dialog::None {
            return cmd;
        }
        let Some(open) = &mut self.open else {
            return cmd;
        };
        let (next, prev, fit, one, zoom_in, zoom_out) = ctx.input(|i| {
            (
                i.key_pressed(Key::ArrowDown)
                    || i.key_pressed(Key::D)
                    || i.key_pressed(Key::PageDown),
                i.key_pressed(Key::ArrowUp) || i.key_pressed(Key::A) || i.key_pressed(Key::PageUp),
                i.key_pressed(Key::F),
                i.key_pressed(Key::Num1),
                i.key_pressed(Key::Plus) || i.key_pressed(Key::Equals),
                i.key_pressed(Key::Minus),
            )
        });
        if next || prev {
            let visible = open.browser.visible_images(&open.project);
            let pos = open
                .selected
                .and_then(|s| visible.iter().position(|&i| i == s));
            let target = match (pos, next) {
                (Some(p), true) => visible.get(p + 1).copied(),
                (Some(p), false) => p.checked_sub(1).and_then(|p| visible.get(p).copied()),
                (None, _) => visible.first().copied(),
            };
            if let Some(t) = target {
                open.browser.scroll_to_selected = true;
                cmd = Some(Command::SelectImage(t));
            }
        }
        if fit {
            open.viewer.request_fit();
        }
        if one {
            open.viewer.actual_size();
        }
        if zoom_in {
            open.viewer.zoom_centre(1.25);
        }
        if zoom_out {
            open.viewer.zoom_centre(1.0 / 1.25);
        }
        cmd
    }

    /// A project folder (or its project.ron) dropped on the window opens it.
    fn dropped_project(&mut self, ctx: &egui::Context) -> Option<Command> {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        let path = dropped.into_iter().next()?;
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

    fn screenshot_step(&mut self, ctx: &egui::Context) {
        let Some(shot) = &mut self.screenshot else {
            return;
        };
        if shot.done.load(Ordering::Relaxed) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            return;
        }
        let ready = self.opening.is_none()
            && self.import.is_none()
            && self
                .open
                .as_ref()
                .is_none_or(|o| o.selected.is_none_or(|i| o.viewer.is_showing(i)));
        let timed_out = shot.started.elapsed() > Duration::from_secs(30);
        if (ready || timed_out) && !shot.requested {
            shot.settled_frames += 1;
            // A few frames let thumbnails arrive and layout settle.
            if shot.settled_frames > 40 || timed_out {
                shot.requested = true;
                let path = shot.path.clone();
                let done = shot.done.clone();
                let repaint = ctx.clone();
                ctx.request_screenshot(move |image| {
                    let [w, h] = image.size;
                    let rgba: Vec<u8> = image
                        .pixels
                        .iter()
                        .flat_map(egui::Color32::to_array)
                        .collect();
                    if let Err(err) = image::save_buffer(
                        &path,
                        &rgba,
                        w as u32,
                        h as u32,
                        image::ExtendedColorType::Rgba8,
                    ) {
                        eprintln!(
                            "error: cannot save the screenshot {}: {err}",
                            path.display()
                        );
                    }
                    done.store(true, Ordering::Relaxed);
                    repaint.request_repaint();
                });
            }
        }
        ctx.request_repaint_after(Duration::from_millis(30));
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
        self.poll_tasks(&ctx);
        let mut commands: Vec<Command> = Vec::new();
        commands.extend(self.handle_shortcuts(&ctx));
        commands.extend(self.dropped_project(&ctx));

        egui::Panel::top("menu").show(ui, |ui| commands.extend(self.menu_ui(ui)));
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar_ui(ui));
        if let Some(open) = &mut self.open {
            egui::Panel::left("browser")
                .resizable(true)
                .default_size(280.0)
                .show(ui, |ui| {
                    commands.extend(open.browser.ui(ui, &open.project, open.selected));
                });
            egui::Panel::right("classes")
                .resizable(true)
                .default_size(260.0)
                .show(ui, |ui| {
                    class_list_ui(
                        ui,
                        &open.project,
                        open.selected,
                        &mut open.counts,
                        open.version,
                    );
                });
            egui::CentralPanel::default().show(ui, |ui| {
                open.viewer
                    .ui(ui, &open.project, open.selected, open.version);
            });
        } else {
            egui::CentralPanel::default().show(ui, |ui| commands.extend(self.start_screen_ui(ui)));
        }
        commands.extend(self.dialog_ui(&ctx));
        self.toasts.show(&ctx);
        for command in commands {
            self.apply(&ctx, command);
        }
        self.screenshot_step(&ctx);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.settings.save(storage);
    }
}
