//! The app's own background jobs (opening a project, importing, the folder dialog) and what their
//! results do. Each is started through the job registry and drained here, in one place.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::StudioApp;
use crate::import::{
    MaskImportOptions, MaskImportReport, PhotoImportOptions, PhotoImportReport, import_masks,
    import_photos,
};
use crate::label::{LabelSession, ProjectChanges};
use crate::project::Project;
use crate::ui::forms::FolderField;
use crate::ui::jobs::{JobError, JobHandle, JobKind};
use crate::ui::picker::{PickJob, PickWhat};
use crate::ui::widgets::ImageCache;
use crate::ui::workspace::{OpenProject, Selection};

/// A running job of the app, with what its result is for.
pub(super) enum AppJob {
    Open {
        path: PathBuf,
        handle: JobHandle<Project>,
    },
    Import {
        /// The project the photos go into (the open one).
        root: PathBuf,
        handle: JobHandle<(ProjectChanges, MaskImportReport)>,
    },
    AddPhotos {
        root: PathBuf,
        handle: JobHandle<(ProjectChanges, PhotoImportReport)>,
    },
    PickFolder {
        field: FolderField,
        pick: PickJob,
    },
}

impl StudioApp {
    pub(super) fn start_open(&mut self, ctx: &egui::Context, path: PathBuf) {
        if self.jobs.is_running(JobKind::Import) {
            self.toasts.warning(
                "An import is running into the open project; wait for it or cancel it first",
            );
            return;
        }
        let worker_path = path.clone();
        let started = self.jobs.start(
            JobKind::OpenProject,
            format!("Opening {}", path.display()),
            ctx,
            move |job| {
                job.progress().start_stage("reading annotations", 0);
                Project::open(&worker_path).map_err(JobError::from)
            },
        );
        match started {
            Ok(handle) => self.app_jobs.push(AppJob::Open { path, handle }),
            Err(err) => self.toasts.warning(err.to_string()),
        }
    }

    pub(super) fn start_import(&mut self, ctx: &egui::Context, options: MaskImportOptions) {
        let Some(open) = &self.open else {
            self.toasts.error("Open a project to import into");
            return;
        };
        if self.jobs.is_running(JobKind::Import) {
            self.toasts
                .warning("An import is already running; wait for it or cancel it");
            return;
        }
        // The import reads a snapshot; the project in memory goes on being edited meanwhile.
        let snapshot = open.project().clone();
        let root = snapshot.root().to_path_buf();
        let started = self
            .jobs
            .start(JobKind::Import, "Importing", ctx, move |job| {
                import_masks(&snapshot, &options, job.progress()).map_err(JobError::from)
            });
        match started {
            Ok(handle) => {
                self.dialog = crate::ui::commands::Dialog::None;
                self.app_jobs.push(AppJob::Import { root, handle });
            }
            Err(err) => self.toasts.warning(err.to_string()),
        }
    }

    pub(super) fn start_photo_import(
        &mut self,
        ctx: &egui::Context,
        paths: Vec<std::path::PathBuf>,
        split: Option<[f64; 3]>,
    ) {
        let Some(open) = &self.open else {
            self.toasts.error("Open a project to add photos to");
            return;
        };
        if self.jobs.is_running(JobKind::Import) {
            self.toasts
                .warning("An import is already running; wait for it or cancel it");
            return;
        }
        let snapshot = open.project().clone();
        let root = snapshot.root().to_path_buf();
        let options = PhotoImportOptions {
            paths,
            split_ratio: split,
            seed: 0,
        };
        let started = self
            .jobs
            .start(JobKind::Import, "Adding photos", ctx, move |job| {
                import_photos(&snapshot, &options, job.progress()).map_err(JobError::from)
            });
        match started {
            Ok(handle) => {
                self.dialog = crate::ui::commands::Dialog::None;
                self.app_jobs.push(AppJob::AddPhotos { root, handle });
            }
            Err(err) => self.toasts.warning(err.to_string()),
        }
    }

    pub(super) fn start_folder_pick(&mut self, ctx: &egui::Context, field: FolderField) {
        match PickJob::start(&mut self.jobs, ctx, PickWhat::Folder) {
            Ok(pick) => self.app_jobs.push(AppJob::PickFolder { field, pick }),
            Err(err) => self.toasts.warning(err.to_string()),
        }
    }

    /// Drains every app job; finished ones are handled and dropped.
    pub(super) fn poll_jobs(&mut self, ctx: &egui::Context) {
        for mut job in std::mem::take(&mut self.app_jobs) {
            let running = match &mut job {
                AppJob::Open { path, handle } => match handle.finished(&mut self.toasts) {
                    None => true,
                    Some(Ok(project)) => {
                        let path = path.clone();
                        self.project_opened(ctx, project, &path);
                        false
                    }
                    Some(Err(JobError::Cancelled)) => {
                        self.toasts.info("Opening cancelled");
                        false
                    }
                    Some(Err(err)) => {
                        self.toasts.error(format!("Cannot open the project: {err}"));
                        false
                    }
                },
                AppJob::Import { root, handle } => match handle.finished(&mut self.toasts) {
                    None => true,
                    Some(Ok((changes, report))) => {
                        let root = root.clone();
                        self.import_finished(&root, changes, &report);
                        false
                    }
                    Some(Err(JobError::Cancelled)) => {
                        self.toasts
                            .info("Import cancelled; the project is as it was");
                        false
                    }
                    Some(Err(err)) => {
                        self.toasts.error(format!("Import failed: {err}"));
                        false
                    }
                },
                AppJob::AddPhotos { root, handle } => match handle.finished(&mut self.toasts) {
                    None => true,
                    Some(Ok((changes, report))) => {
                        let root = root.clone();
                        self.photos_added(&root, changes, &report);
                        false
                    }
                    Some(Err(JobError::Cancelled)) => {
                        self.toasts
                            .info("Adding photos cancelled; the project is as it was");
                        false
                    }
                    Some(Err(err)) => {
                        self.toasts.error(format!("Adding photos failed: {err}"));
                        false
                    }
                },
                AppJob::PickFolder { field, pick } => match pick.poll(&mut self.toasts) {
                    None => true,
                    Some(chosen) => {
                        if let Some(path) = chosen {
                            self.forms.set_folder(*field, &path);
                        }
                        false
                    }
                },
            };
            if running {
                self.app_jobs.push(job);
            }
        }
    }

    pub(super) fn project_opened(&mut self, ctx: &egui::Context, project: Project, path: &Path) {
        if let Some(open) = &mut self.open
            && let Err(err) = open.session.flush()
        {
            self.toasts.error(format!(
                "{} was not opened: the open project has changes that cannot be saved ({err})",
                path.display()
            ));
            return;
        }
        let waker_ctx = ctx.clone();
        let session =
            match LabelSession::open(project, Arc::new(move || waker_ctx.request_repaint())) {
                Ok(session) => session,
                Err(err) => {
                    self.toasts
                        .error(format!("Cannot start the autosave worker: {err}"));
                    return;
                }
            };
        self.settings.remember(path);
        let project = session.project();
        let broken: Vec<&str> = project
            .annotations()
            .iter()
            .filter_map(|a| a.broken_reason())
            .collect();
        if let Some(first) = broken.first() {
            self.toasts.warning(format!(
                "{} annotation file(s) could not be read and were left untouched; first: {first}",
                broken.len()
            ));
        }
        let mut selection = Selection {
            image: (!project.file().images.is_empty()).then_some(0),
            instance: None,
        };
        let mut scroll = false;
        if let Some(name) = self.initial_image.take() {
            match project.image_index(&name) {
                Some(i) => {
                    selection.image = Some(i);
                    scroll = true;
                }
                None => self
                    .toasts
                    .warning(format!("No image {name:?} in the project")),
            }
        }
        for workspace in self.workspaces.iter_mut() {
            workspace.project_opened(project);
        }
        self.workspaces.browse.list.scroll_to_selected = scroll;
        // The previous project (if any) writes what is pending as it is dropped.
        self.open = Some(OpenProject {
            session,
            selection,
            images: ImageCache::new(ctx),
        });
    }

    fn photos_added(&mut self, root: &Path, changes: ProjectChanges, report: &PhotoImportReport) {
        let Some(open) = self.open.as_mut().filter(|o| o.project().root() == root) else {
            self.toasts.error(format!(
                "Photos were added to {} after its project was closed; they are in images/ but not listed",
                root.display()
            ));
            return;
        };
        let before = open.project().file().images.len();
        let merged = open.session.merge(changes);
        if report.photos > 0 && open.project().file().images.len() > before {
            open.selection.image = Some(before);
            open.selection.instance = None;
        }
        for problem in report
            .skipped
            .iter()
            .chain(&merged.conflicts)
            .chain(&merged.refused)
            .take(crate::ui::toasts::MAX_TOASTS - 1)
        {
            self.toasts.warning(problem.clone());
        }
        let stratified = if report.stratified_classes > 0 {
            format!(
                ", split class by class for {} classes",
                report.stratified_classes
            )
        } else {
            String::new()
        };
        self.toasts.info(format!(
            "Added {} photos ({} train, {} val, {} test, {} without a split{stratified}); {} duplicates skipped",
            report.photos, report.train, report.val, report.test, report.unassigned, report.duplicates
        ));
    }

    fn import_finished(&mut self, root: &Path, changes: ProjectChanges, report: &MaskImportReport) {
        let Some(open) = self.open.as_mut().filter(|o| o.project().root() == root) else {
            // Opening another project is refused while an import runs, so this cannot happen;
            // should it, the photos are on disk but not listed, and the user must know.
            self.toasts.error(format!(
                "The import into {} finished after its project was closed; its photos are in images/ but not listed",
                root.display()
            ));
            return;
        };
        let merged = open.session.merge(changes);
        if open.selection.image.is_none() && !open.project().file().images.is_empty() {
            open.selection.image = Some(0);
        }
        // The problems first and the summary last, so that the summary is never the toast that a
        // long list of problems pushes out.
        for problem in report
            .skipped
            .iter()
            .chain(&report.warnings)
            .chain(&merged.conflicts)
            .chain(&merged.refused)
            .take(crate::ui::toasts::MAX_TOASTS - 1)
        {
            self.toasts.warning(problem.clone());
        }
        self.toasts.info(format!(
            "Imported {} photos in {:.1} s: {} labelled, {} instances",
            report.photos, report.seconds, report.labelled, report.instances
        ));
    }
}
