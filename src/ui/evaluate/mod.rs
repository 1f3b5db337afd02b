//! The Evaluate workspace: choose a run, its checkpoint and a split; the run is scored as a job at
//! the photos' full resolution and shown as IoU bars per label, IoU against each label's share of
//! the training pixels (the seed's slide), the confusion matrix as a heat map, and a gallery of
//! photo | truth | prediction | errors sorted by the worst image.

mod result;
mod views;

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, channel};

pub use result::EvalResult;

use crate::project::{Project, Split};
use crate::train::store::ListedRun;
use crate::ui::jobs::{JobHandle, JobKind};
use crate::ui::workspace::{OpenProject, Workspace, WorkspaceContext, WorkspaceId};

/// The views of a result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EvalView {
    #[default]
    Bars,
    Share,
    Confusion,
    Gallery,
}

impl EvalView {
    const ALL: [(Self, &'static str, &'static str); 4] = [
        (
            Self::Bars,
            "IoU per class",
            "Intersection over union of every label, mIoU across",
        ),
        (
            Self::Share,
            "IoU vs pixel share",
            "Each label's IoU against its share of the training pixels (the seed's slide)",
        ),
        (
            Self::Confusion,
            "Confusion",
            "Rows: the truth; columns: the prediction; each row normalised (hover for counts)",
        ),
        (
            Self::Gallery,
            "Gallery",
            "Photo | truth | prediction | errors (red), the worst image first",
        ),
    ];
}

/// State of the Evaluate workspace.
#[derive(Default)]
pub struct EvaluateWorkspace {
    runs: Option<Vec<ListedRun>>,
    scanning: Option<Receiver<Vec<ListedRun>>>,
    pub run: Option<String>,
    /// `best` or `last`.
    pub checkpoint: String,
    pub split: Option<Split>,
    pub view: EvalView,
    job: Option<JobHandle<EvalResult, ()>>,
    pub result: Option<EvalResult>,
    error: Option<String>,
    textures: HashMap<(usize, usize), egui::TextureHandle>,
    ctx: Option<egui::Context>,
    /// Score this run as soon as the runs are scanned (`studio --run`).
    pending: Option<String>,
}

impl EvaluateWorkspace {
    fn rescan(&mut self, project: &Project) {
        let Some(ctx) = self.ctx.clone() else {
            return;
        };
        let root = project.root().to_path_buf();
        let (tx, rx) = channel();
        let spawned = std::thread::Builder::new()
            .name("eval-scan".into())
            .spawn(move || {
                tx.send(crate::train::list_runs(&root).0).ok();
                ctx.request_repaint();
            });
        if spawned.is_ok() {
            self.scanning = Some(rx);
        }
    }

    /// Chooses `run` and scores it once the workspace has scanned the runs.
    pub fn score_on_open(&mut self, run: &str) {
        self.pending = Some(run.to_owned());
    }

    /// Whether an evaluation is running.
    pub fn evaluating(&self) -> bool {
        self.job.is_some()
    }

    fn start(&mut self, cx: &mut WorkspaceContext<'_>) {
        let (Some(ctx), Some(run)) = (self.ctx.clone(), self.run.clone()) else {
            return;
        };
        let project = cx.open.project().clone();
        let which = self.checkpoint.clone();
        let split = self.split;
        let title = format!("Evaluating {run}");
        match cx.jobs.start(JobKind::Evaluate, title, &ctx, move |job| {
            result::evaluate_run(&project, &run, Some(&which), split, job.progress()).map_err(|e| {
                if job.progress().is_cancelled() {
                    crate::ui::jobs::JobError::Cancelled
                } else {
                    crate::ui::jobs::JobError::Failed(e)
                }
            })
        }) {
            Ok(handle) => {
                self.job = Some(handle);
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    fn controls_ui(&mut self, ui: &mut egui::Ui, cx: &mut WorkspaceContext<'_>) {
        ui.horizontal_wrapped(|ui| {
            let runs = self.runs.as_deref().unwrap_or(&[]);
            ui.label("Run")
                .on_hover_text("A training run of this project (runs/)");
            egui::ComboBox::from_id_salt("eval-run")
                .width(320.0)
                .selected_text(self.run.as_deref().unwrap_or("choose a run"))
                .show_ui(ui, |ui| {
                    for (run, _) in runs.iter().rev() {
                        ui.selectable_value(&mut self.run, Some(run.id.clone()), &run.id);
                    }
                });
            ui.label("Checkpoint").on_hover_text(
                "best: the weights of the best validation; last: the newest checkpoint",
            );
            egui::ComboBox::from_id_salt("eval-checkpoint")
                .selected_text(&self.checkpoint)
                .show_ui(ui, |ui| {
                    for c in ["best", "last"] {
                        ui.selectable_value(&mut self.checkpoint, c.to_owned(), c);
                    }
                });
            ui.label("Split")
                .on_hover_text("The labelled photos scored");
            egui::ComboBox::from_id_salt("eval-split")
                .selected_text(self.split.map_or("all", Split::name))
                .show_ui(ui, |ui| {
                    for s in Split::ALL {
                        ui.selectable_value(&mut self.split, Some(s), s.name());
                    }
                    ui.selectable_value(&mut self.split, None, "all");
                });
            let can = self.run.is_some() && self.job.is_none();
            if ui
                .add_enabled(can, egui::Button::new("Score run"))
                .on_hover_text("Score the run on the split at the photos' full resolution")
                .clicked()
            {
                self.start(cx);
            }
            if ui
                .button("Rescan")
                .on_hover_text("Scan runs/ again")
                .clicked()
            {
                let project = cx.open.project().clone();
                self.rescan(&project);
            }
        });
        if let Some(handle) = &self.job {
            crate::ui::widgets::job_progress(ui, handle);
        }
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
    }

    fn gallery_ui(&mut self, ui: &mut egui::Ui) {
        let Some(r) = &self.result else {
            return;
        };
        let ctx = ui.ctx().clone();
        let row_height = r
            .gallery
            .first()
            .map_or(100.0, |g| g.thumbs[0].size[1] as f32 + 24.0);
        ui.horizontal(|ui| {
            for title in ["photo", "truth", "prediction", "errors"] {
                ui.add_sized([result::THUMB_WIDTH as f32, 16.0], egui::Label::new(title));
            }
        });
        egui::ScrollArea::vertical().show_rows(ui, row_height, r.gallery.len(), |ui, range| {
            for i in range {
                let image = &r.gallery[i];
                ui.label(format!(
                    "{} — mIoU {}",
                    image.file,
                    image.miou.map_or("–".into(), |m| format!("{m:.1} %"))
                ));
                ui.horizontal(|ui| {
                    for (k, thumb) in image.thumbs.iter().enumerate() {
                        let texture = self.textures.entry((i, k)).or_insert_with(|| {
                            ctx.load_texture(
                                format!("eval-gallery-{i}-{k}"),
                                thumb.clone(),
                                egui::TextureOptions::NEAREST,
                            )
                        });
                        ui.image((texture.id(), texture.size_vec2()));
                    }
                });
            }
        });
    }
}

impl Workspace for EvaluateWorkspace {
    fn id(&self) -> WorkspaceId {
        WorkspaceId::Evaluate
    }

    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut WorkspaceContext<'_>) {
        if self.ctx.is_none() {
            self.ctx = Some(ui.ctx().clone());
            let project = cx.open.project().clone();
            self.rescan(&project);
        }
        egui::CentralPanel::default().show(ui, |ui| {
            self.controls_ui(ui, cx);
            ui.separator();
            let Some(r) = &self.result else {
                if self.runs.as_ref().is_some_and(Vec::is_empty) {
                    ui.weak("No training runs yet: train one in the Train workspace.");
                } else {
                    ui.weak("Choose a run and a split, then Evaluate.");
                }
                return;
            };
            let pct = |v: Option<f64>| v.map_or("–".into(), |v| format!("{v:.2} %"));
            ui.label(format!(
                "{} on {} ({} images, {}): mIoU {}, pixel accuracy {}",
                r.run,
                r.split.map_or("all photos", Split::name),
                r.evaluation.images,
                r.checkpoint,
                pct(r.evaluation.scores.miou),
                pct(r.evaluation.scores.pixel_acc)
            ));
            ui.horizontal(|ui| {
                for (view, title, tip) in EvalView::ALL {
                    ui.selectable_value(&mut self.view, view, title)
                        .on_hover_text(tip);
                }
            });
            ui.separator();
            match self.view {
                EvalView::Bars => views::iou_bars_ui(ui, r),
                EvalView::Share => views::share_ui(ui, r),
                EvalView::Confusion => views::confusion_ui(ui, r),
                EvalView::Gallery => self.gallery_ui(ui),
            }
        });
    }

    fn project_opened(&mut self, project: &Project) {
        let ctx = self.ctx.take();
        let pending = self.pending.take();
        *self = Self {
            ctx,
            pending,
            checkpoint: "best".into(),
            split: Some(Split::Val),
            ..Self::default()
        };
        self.rescan(project);
    }

    fn poll(&mut self, cx: &mut WorkspaceContext<'_>) {
        if let Some(rx) = &self.scanning
            && let Ok(runs) = rx.try_recv()
        {
            if self.run.is_none() {
                self.run = runs.last().map(|(r, _)| r.id.clone());
            }
            self.runs = Some(runs);
            self.scanning = None;
            if let Some(run) = self.pending.take() {
                self.run = Some(run);
                self.start(cx);
            }
        }
        if let Some(handle) = &mut self.job
            && let Some(result) = handle.finished(cx.toasts)
        {
            self.job = None;
            match result {
                Ok(r) => {
                    self.textures.clear();
                    self.result = Some(r);
                }
                Err(crate::ui::jobs::JobError::Cancelled) => {}
                Err(e) => self.error = Some(e.to_string()),
            }
        }
    }

    fn is_settled(&self, open: &OpenProject) -> bool {
        let _ = open;
        self.runs.is_some() && self.job.is_none() && self.pending.is_none()
    }
}
