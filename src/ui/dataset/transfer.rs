//! Import and export in the Dataset workspace. Export: a format, variant, split and folder, run as a
//! job (progress, ETA and Cancel in the status bar; a cancelled export leaves the folder as it was).
//! Import: a format and a path are read first, as a job; then every label found is shown with its
//! object count and a choice (into an existing class, create, skip, ignore region); the import runs
//! as a job and its changes are merged through the label session.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::formats::{ExportFormat, ExportReport};
use crate::import::{
    ClassChoice, ClassMapping, ForeignDataset, ForeignFormat, ImportOptions, ImportReport,
    UnknownLabels,
};
use crate::label::ProjectChanges;
use crate::project::{FULL_VARIANT, Project, Split};
use crate::ui::jobs::{JobError, JobHandle, JobKind};
use crate::ui::picker::{PickJob, PickWhat};
use crate::ui::workspace::WorkspaceContext;

/// Where the import form is.
#[derive(Default)]
enum ImportStage {
    #[default]
    Idle,
    Reading(JobHandle<ForeignDataset, ()>),
    /// The files are read; the user maps their labels.
    Mapping {
        dataset: ForeignDataset,
        /// Per label: its object count and the choice.
        labels: BTreeMap<String, (usize, ClassChoice)>,
    },
    Importing {
        root: PathBuf,
        handle: JobHandle<(ProjectChanges, ImportReport), ()>,
    },
}

/// Which field a file dialog fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PickedField {
    ExportOut,
    ImportPath,
}

pub struct TransferPanel {
    picker: Option<(PickedField, PickJob)>,
    export_format: ExportFormat,
    export_variant: String,
    export_split: Option<Split>,
    export_out: String,
    export_job: Option<JobHandle<ExportReport, ()>>,
    import_format: ForeignFormat,
    import_path: String,
    import_stage: ImportStage,
}

impl Default for TransferPanel {
    fn default() -> Self {
        Self {
            picker: None,
            export_format: ExportFormat::Coco,
            export_variant: FULL_VARIANT.into(),
            export_split: None,
            export_out: String::new(),
            export_job: None,
            import_format: ForeignFormat::Labelme,
            import_path: String::new(),
            import_stage: ImportStage::Idle,
        }
    }
}

/// The choice a label gets before the user says otherwise: the class of its name, `_background_`
/// skipped, `__ignore__` an ignore region, otherwise a new class.
fn default_choice(project: &Project, label: &str) -> ClassChoice {
    match label {
        "_background_" => ClassChoice::Skip,
        "__ignore__" => ClassChoice::Ignore,
        _ if project.file().classes.iter().any(|c| c.name == label) => {
            ClassChoice::Class(label.to_owned())
        }
        _ => ClassChoice::Create,
    }
}

fn choice_text(choice: &ClassChoice) -> String {
    match choice {
        ClassChoice::Class(name) => format!("into {name}"),
        ClassChoice::Create => "create a class".into(),
        ClassChoice::Skip => "skip".into(),
        ClassChoice::Ignore => "ignore region".into(),
    }
}

impl TransferPanel {
    /// Drains the panel's jobs (every frame, shown or not).
    /// Opens the system's dialog for `field`: a folder, or for COCO's import its JSON file.
    fn start_picker(
        &mut self,
        field: PickedField,
        ctx: &egui::Context,
        cx: &mut WorkspaceContext<'_>,
    ) {
        let what = if field == PickedField::ImportPath && self.import_format == ForeignFormat::Coco
        {
            PickWhat::File("COCO JSON", &["json"])
        } else {
            PickWhat::Folder
        };
        match PickJob::start(cx.jobs, ctx, what) {
            Ok(pick) => self.picker = Some((field, pick)),
            Err(err) => cx.toasts.warning(err.to_string()),
        }
    }

    pub fn poll(&mut self, cx: &mut WorkspaceContext<'_>) {
        if let Some((field, pick)) = &mut self.picker
            && let Some(chosen) = pick.poll(cx.toasts)
        {
            if let Some(path) = chosen {
                let text = path.display().to_string();
                match field {
                    PickedField::ExportOut => self.export_out = text,
                    PickedField::ImportPath => self.import_path = text,
                }
            }
            self.picker = None;
        }
        if let Some(handle) = &mut self.export_job
            && let Some(result) = handle.finished(cx.toasts)
        {
            self.export_job = None;
            match result {
                Ok(report) => {
                    cx.toasts.info(format!(
                        "Exported {} images as {} in {:.1} s to {}",
                        report.written, report.format, report.seconds, self.export_out
                    ));
                    for w in report.warnings.iter().chain(&report.skipped_broken).take(4) {
                        cx.toasts.warning(w.clone());
                    }
                }
                Err(JobError::Cancelled) => cx.toasts.info("Export cancelled; nothing was written"),
                Err(err) => cx.toasts.error(format!("Export failed: {err}")),
            }
        }
        match &mut self.import_stage {
            ImportStage::Reading(handle) => {
                if let Some(result) = handle.finished(cx.toasts) {
                    self.import_stage = match result {
                        Ok(dataset) => {
                            let project = cx.open.project();
                            let mut labels: BTreeMap<String, (usize, ClassChoice)> =
                                BTreeMap::new();
                            for object in dataset.images.iter().flat_map(|i| &i.objects) {
                                labels
                                    .entry(object.label.clone())
                                    .or_insert_with(|| (0, default_choice(project, &object.label)))
                                    .0 += 1;
                            }
                            for problem in dataset.skipped.iter().take(4) {
                                cx.toasts.warning(problem.clone());
                            }
                            ImportStage::Mapping { dataset, labels }
                        }
                        Err(err) => {
                            if err != JobError::Cancelled {
                                cx.toasts.error(format!("Cannot read: {err}"));
                            }
                            ImportStage::Idle
                        }
                    };
                }
            }
            ImportStage::Importing { root, handle } => {
                if let Some(result) = handle.finished(cx.toasts) {
                    let same_project = cx.open.project().root() == root.as_path();
                    match result {
                        Ok((changes, report)) if same_project => {
                            let merged = cx.open.session.merge(changes);
                            cx.toasts.info(format!(
                                "Imported {} {} files: {} photos added, {} updated, {} instances",
                                report.files,
                                report.format,
                                report.photos_added,
                                report.photos_updated,
                                report.instances
                            ));
                            for problem in report
                                .skipped
                                .iter()
                                .chain(&report.warnings)
                                .chain(&merged.conflicts)
                                .chain(&merged.refused)
                                .take(6)
                            {
                                cx.toasts.warning(problem.clone());
                            }
                        }
                        Ok(_) => cx.toasts.error(
                            "The import finished after its project was closed; its photos are in images/ but not listed",
                        ),
                        Err(JobError::Cancelled) => {
                            cx.toasts.info("Import cancelled; the project is as it was");
                        }
                        Err(err) => cx.toasts.error(format!("Import failed: {err}")),
                    }
                    self.import_stage = ImportStage::Idle;
                }
            }
            ImportStage::Idle | ImportStage::Mapping { .. } => {}
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &mut WorkspaceContext<'_>) {
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.set_width(460.0);
                ui.heading("Export");
                self.export_ui(ui, cx);
            });
            ui.separator();
            ui.vertical(|ui| {
                ui.heading("Import annotations");
                self.import_ui(ui, cx);
            });
        });
    }

    fn export_ui(&mut self, ui: &mut egui::Ui, cx: &mut WorkspaceContext<'_>) {
        let mut pick = false;
        let project = cx.open.project();
        egui::Grid::new("export-form").num_columns(2).show(ui, |ui| {
            ui.label("Format");
            egui::ComboBox::from_id_salt("export-format")
                .selected_text(self.export_format.title())
                .show_ui(ui, |ui| {
                    for format in ExportFormat::ALL {
                        ui.selectable_value(&mut self.export_format, format, format.title())
                            .on_hover_text(format.description());
                    }
                })
                .response
                .on_hover_text(self.export_format.description());
            ui.end_row();
            ui.label("Variant");
            egui::ComboBox::from_id_salt("export-variant")
                .selected_text(&self.export_variant)
                .show_ui(ui, |ui| {
                    for v in &project.file().variants {
                        ui.selectable_value(&mut self.export_variant, v.name.clone(), &v.name);
                    }
                })
                .response
                .on_hover_text("Which grouping of classes into training labels to write");
            ui.end_row();
            ui.label("Split");
            egui::ComboBox::from_id_salt("export-split")
                .selected_text(self.export_split.map_or("all", Split::name))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.export_split, None, "all");
                    for s in Split::ALL {
                        ui.selectable_value(&mut self.export_split, Some(s), s.name());
                    }
                })
                .response
                .on_hover_text("Only the images of this split, or all");
            ui.end_row();
            let label = ui.label("Output folder");
            ui.add(
                egui::TextEdit::singleline(&mut self.export_out)
                    .id_salt("export-out")
                    .hint_text("/path/to/export")
                    .desired_width(260.0),
            )
            .on_hover_text(
                "Where to write; its files appear only once all are written. Existing files of the same names are replaced",
            )
            .labelled_by(label.id);
            if ui
                .button("Browse…")
                .on_hover_text("Choose the folder in a dialog")
                .clicked()
            {
                pick = true;
            }
            ui.end_row();
        });
        if pick {
            self.start_picker(PickedField::ExportOut, ui.ctx(), cx);
        }
        let project = cx.open.project();
        let running = self.export_job.is_some();
        let ready = !self.export_out.trim().is_empty() && !running;
        if ui
            .add_enabled(ready, egui::Button::new("Export"))
            .on_hover_text(self.export_format.description())
            .clicked()
        {
            let snapshot = project.clone();
            let (format, variant, split) = (
                self.export_format,
                self.export_variant.clone(),
                self.export_split,
            );
            let out = PathBuf::from(self.export_out.trim());
            let started = cx
                .jobs
                .start(JobKind::Export, "Exporting", ui.ctx(), move |job| {
                    format
                        .export(&snapshot, &variant, split, &out, job.progress())
                        .map_err(JobError::from)
                });
            match started {
                Ok(handle) => self.export_job = Some(handle),
                Err(err) => cx.toasts.warning(err.to_string()),
            }
        }
        if running {
            ui.label("Exporting… (the status bar shows the progress and Cancel)");
        }
    }

    fn import_ui(&mut self, ui: &mut egui::Ui, cx: &mut WorkspaceContext<'_>) {
        let idle = matches!(self.import_stage, ImportStage::Idle);
        let mut pick = false;
        ui.add_enabled_ui(idle, |ui| {
            egui::Grid::new("import-form")
                .num_columns(2)
                .show(ui, |ui| {
                    ui.label("Format");
                    egui::ComboBox::from_id_salt("import-format")
                        .selected_text(self.import_format.title())
                        .show_ui(ui, |ui| {
                            for format in ForeignFormat::ALL {
                                ui.selectable_value(
                                    &mut self.import_format,
                                    format,
                                    format.title(),
                                )
                                .on_hover_text(format.path_hint());
                            }
                        });
                    ui.end_row();
                    let label = ui
                        .label("Path")
                        .on_hover_text(self.import_format.path_hint());
                    ui.add(
                        egui::TextEdit::singleline(&mut self.import_path)
                            .id_salt("import-path")
                            .hint_text("/path/to/annotations")
                            .desired_width(260.0),
                    )
                    .on_hover_text(self.import_format.path_hint())
                    .labelled_by(label.id);
                    if ui
                        .button("Browse…")
                        .on_hover_text("Choose it in a dialog")
                        .clicked()
                    {
                        pick = true;
                    }
                    ui.end_row();
                });
            if ui
                .add_enabled(
                    !self.import_path.trim().is_empty(),
                    egui::Button::new("Read"),
                )
                .on_hover_text("Read the files and list their labels; nothing is written yet")
                .clicked()
            {
                let format = self.import_format;
                let options = ImportOptions {
                    paths: vec![PathBuf::from(self.import_path.trim())],
                    ..ImportOptions::default()
                };
                let started = cx
                    .jobs
                    .start(JobKind::Import, "Reading", ui.ctx(), move |job| {
                        format
                            .read(&options, job.progress())
                            .map_err(JobError::from)
                    });
                match started {
                    Ok(handle) => self.import_stage = ImportStage::Reading(handle),
                    Err(err) => cx.toasts.warning(err.to_string()),
                }
            }
        });
        if pick {
            self.start_picker(PickedField::ImportPath, ui.ctx(), cx);
        }
        let stage = std::mem::take(&mut self.import_stage);
        self.import_stage = match stage {
            ImportStage::Mapping {
                dataset,
                mut labels,
            } => self.mapping_ui(ui, cx, dataset, &mut labels),
            ImportStage::Reading(handle) => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Reading…");
                });
                ImportStage::Reading(handle)
            }
            ImportStage::Importing { root, handle } => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Importing… (the status bar shows the progress and Cancel)");
                });
                ImportStage::Importing { root, handle }
            }
            ImportStage::Idle => ImportStage::Idle,
        };
    }

    /// The class-mapping step; returns the next stage.
    fn mapping_ui(
        &mut self,
        ui: &mut egui::Ui,
        cx: &mut WorkspaceContext<'_>,
        dataset: ForeignDataset,
        labels: &mut BTreeMap<String, (usize, ClassChoice)>,
    ) -> ImportStage {
        let project = cx.open.project();
        ui.separator();
        ui.label(format!(
            "{} files, {} photos, {} labels{}",
            dataset.files,
            dataset.images.len(),
            labels.len(),
            if dataset.skipped.is_empty() {
                String::new()
            } else {
                format!("; {} files cannot be used", dataset.skipped.len())
            }
        ));
        egui::Grid::new("import-labels")
            .num_columns(3)
            .striped(true)
            .show(ui, |ui| {
                for (label, (count, choice)) in labels.iter_mut() {
                    ui.label(label);
                    ui.label(format!("{count} objects"));
                    egui::ComboBox::from_id_salt(("import-choice", label.as_str()))
                        .selected_text(choice_text(choice))
                        .show_ui(ui, |ui| {
                            for option in [ClassChoice::Create, ClassChoice::Skip, ClassChoice::Ignore]
                            {
                                let text = choice_text(&option);
                                ui.selectable_value(choice, option, text);
                            }
                            for class in &project.file().classes {
                                let option = ClassChoice::Class(class.name.clone());
                                let text = choice_text(&option);
                                ui.selectable_value(choice, option, text);
                            }
                        })
                        .response
                        .on_hover_text(
                            "Into an existing class, a new class of this name, left out, or an ignore region",
                        );
                    ui.end_row();
                }
            });
        let mut next = None;
        ui.horizontal(|ui| {
            if ui
                .button("Import")
                .on_hover_text("Copy the photos in and add their instances (undoable per image)")
                .clicked()
            {
                next = Some(true);
            }
            if ui.button("Back").clicked() {
                next = Some(false);
            }
        });
        match next {
            Some(true) => {
                let options = ImportOptions {
                    mapping: ClassMapping {
                        labels: labels
                            .iter()
                            .map(|(l, (_, c))| (l.clone(), c.clone()))
                            .collect(),
                        unknown: UnknownLabels::Create,
                    },
                    base_generations: (0..project.file().images.len())
                        .map(|i| {
                            (
                                project.file().images[i].file.clone(),
                                cx.open.session.generation(i),
                            )
                        })
                        .collect(),
                    ..ImportOptions::default()
                };
                let snapshot = project.clone();
                let root = snapshot.root().to_path_buf();
                let format = self.import_format;
                let started = cx
                    .jobs
                    .start(JobKind::Import, "Importing", ui.ctx(), move |job| {
                        format
                            .import_read(&snapshot, dataset, &options, job.progress())
                            .map_err(JobError::from)
                    });
                match started {
                    Ok(handle) => ImportStage::Importing { root, handle },
                    Err(err) => {
                        cx.toasts.warning(err.to_string());
                        ImportStage::Idle
                    }
                }
            }
            Some(false) => ImportStage::Idle,
            None => ImportStage::Mapping {
                dataset,
                labels: std::mem::take(labels),
            },
        }
    }
}
