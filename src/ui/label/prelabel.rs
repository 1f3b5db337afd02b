//! Pre-labelling from the Label workspace: a trained run predicts the open photo (or every
//! unlabelled photo, as a job with progress and cancel); its regions become editable instances
//! marked "pre-label" (one undo step per photo), and its P(object) becomes the click tool's prior
//! for that photo.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

use crate::label::grabcut::Prior;
use crate::project::{ImageStatus, Instance, Project};
use crate::train::prelabel::{PhotoPrediction, prelabel, renumber};
use crate::train::{Predictor, RunDir};
use crate::ui::jobs::{JobError, JobHandle, JobKind};
use crate::ui::workspace::WorkspaceContext;

/// What the job brings back: per image, its new instances and the prior.
pub struct PrelabelOutput {
    pub run: String,
    pub images: Vec<(usize, Vec<Instance>, Prior)>,
}

#[derive(Default)]
pub struct PrelabelPanel {
    /// Runs that can pre-label (their variant has one class per label): id.
    runs: Option<Vec<String>>,
    scanning: Option<Receiver<Vec<String>>>,
    pub run: Option<String>,
    job: Option<JobHandle<PrelabelOutput, ()>>,
    error: Option<String>,
}

impl PrelabelPanel {
    pub fn rescan(&mut self, project: &Project, ctx: &egui::Context) {
        let root = project.root().to_path_buf();
        let ctx = ctx.clone();
        let (tx, rx) = channel();
        let spawned = std::thread::Builder::new()
            .name("prelabel-scan".into())
            .spawn(move || {
                let (runs, _) = crate::train::list_runs(&root);
                let usable = runs
                    .into_iter()
                    .filter(|(run, state)| {
                        state.as_ref().is_some_and(|s| s.checkpoint.is_some())
                            && one_class_per_label(&run.record)
                    })
                    .map(|(run, _)| run.id)
                    .collect();
                tx.send(usable).ok();
                ctx.request_repaint();
            });
        if spawned.is_ok() {
            self.scanning = Some(rx);
        }
    }

    pub fn busy(&self) -> bool {
        self.job.is_some()
    }

    /// Draws the section; `image` is the open photo.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &mut WorkspaceContext<'_>, image: Option<usize>) {
        let Some(runs) = &self.runs else {
            ui.spinner();
            return;
        };
        if runs.is_empty() {
            ui.weak("Train a run on a variant with one class per label (such as full) to pre-label photos with it.");
            if ui.small_button("Rescan runs").clicked() {
                let project = cx.open.project().clone();
                self.rescan(&project, ui.ctx());
            }
            return;
        }
        egui::ComboBox::from_id_salt("prelabel-run")
            .width(ui.available_width() - 8.0)
            .selected_text(self.run.as_deref().unwrap_or("choose a run"))
            .show_ui(ui, |ui| {
                for id in runs.iter().rev() {
                    ui.selectable_value(&mut self.run, Some(id.clone()), id);
                }
            })
            .response
            .on_hover_text("The trained run that predicts the objects");
        let idle = self.job.is_none() && self.run.is_some();
        ui.horizontal(|ui| {
            if ui
                .add_enabled(idle && image.is_some(), egui::Button::new("This photo"))
                .on_hover_text("Predict the open photo: its objects become instances to check and correct, and click segmentation uses the prediction as its prior")
                .clicked()
                && let Some(image) = image
            {
                self.start(ui.ctx(), cx, vec![image]);
            }
            if ui
                .add_enabled(idle, egui::Button::new("Every unlabelled photo"))
                .on_hover_text("Predict every photo without instances, as a job (progress and cancel in the status bar)")
                .clicked()
            {
                let project = cx.open.project();
                let todo = (0..project.file().images.len())
                    .filter(|&i| project.status(i) == ImageStatus::Unlabelled)
                    .collect();
                self.start(ui.ctx(), cx, todo);
            }
        });
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
    }

    fn start(&mut self, ctx: &egui::Context, cx: &mut WorkspaceContext<'_>, images: Vec<usize>) {
        let Some(run) = self.run.clone() else {
            return;
        };
        if images.is_empty() {
            self.error = Some("every photo has instances already".into());
            return;
        }
        let project = cx.open.project().clone();
        let title = format!("Pre-labelling {} photos with {run}", images.len());
        let started = cx.jobs.start(JobKind::PreLabel, title, ctx, move |job| {
            let progress = job.progress();
            let fail = JobError::Failed;
            let predictor = Predictor::load(
                &RunDir::open(project.root(), &run),
                None,
                &candle_core::Device::Cpu,
            )
            .map_err(fail)?;
            crate::train::prelabel::check_run(&predictor).map_err(JobError::Failed)?;
            progress.start_stage("pre-labelling", images.len() as u64);
            let mut out = Vec::with_capacity(images.len());
            for i in images {
                if progress.is_cancelled() {
                    return Err(JobError::Cancelled);
                }
                let photo = crate::imageio::read_photo(&project.image_path(i))
                    .map_err(|e| JobError::Failed(e.to_string()))?;
                let PhotoPrediction {
                    instances,
                    object_probability,
                } = prelabel(&predictor, &photo, 1, 0).map_err(JobError::Failed)?;
                let prior = Prior::new(photo.width(), photo.height(), object_probability)
                    .ok_or_else(|| JobError::Failed("the prediction has the wrong size".into()))?;
                out.push((i, instances, prior));
                progress.advance(1);
            }
            Ok(PrelabelOutput { run, images: out })
        });
        match started {
            Ok(handle) => {
                self.job = Some(handle);
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// Applies a finished job: instances added to each photo (one undo step each), the prior of
    /// the open photo handed to the canvas.
    pub fn poll(
        &mut self,
        cx: &mut WorkspaceContext<'_>,
        canvas_prior: &mut Option<(usize, Arc<Prior>)>,
    ) {
        if let Some(rx) = &self.scanning
            && let Ok(runs) = rx.try_recv()
        {
            if self.run.as_ref().is_none_or(|r| !runs.contains(r)) {
                self.run = runs.last().cloned();
            }
            self.runs = Some(runs);
            self.scanning = None;
        }
        let Some(handle) = &mut self.job else {
            return;
        };
        let Some(result) = handle.finished(cx.toasts) else {
            return;
        };
        self.job = None;
        let output = match result {
            Ok(output) => output,
            Err(JobError::Cancelled) => return,
            Err(e) => {
                self.error = Some(e.to_string());
                return;
            }
        };
        let mut added = 0;
        for (image, predicted, prior) in output.images {
            let existing = cx.open.project().instances(image).to_vec();
            let first_id = existing.iter().map(|i| i.id).max().unwrap_or(0) + 1;
            let order = existing.iter().map(|i| i.order).max().unwrap_or(0);
            let predicted = renumber(predicted, first_id, order);
            added += predicted.len();
            let mut all = existing;
            all.extend(predicted);
            if let Err(e) = cx.open.session.set_instances(image, "pre-label", all) {
                self.error = Some(e.to_string());
            }
            if cx.open.selection.image == Some(image) {
                *canvas_prior = Some((image, Arc::new(prior)));
            }
        }
        cx.toasts.info(format!(
            "Run {} pre-labelled {added} instances: check them, fix them, delete the wrong ones",
            output.run
        ));
    }
}

fn one_class_per_label(record: &crate::train::RunRecord) -> bool {
    let variant = &record.snapshot.variant;
    (1..=variant.labels.len()).all(|l| {
        variant
            .mapping
            .values()
            .filter(|t| **t == crate::project::VariantTarget::Label(l as u8))
            .count()
            == 1
    })
}
