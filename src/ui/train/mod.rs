//! The Train workspace: the run's settings on the left, the live charts of the run in the middle
//! (loss, LR, images/s, val mIoU against steps, with ETA and cancel), and the project's runs on the
//! right (found by scanning `runs/`), where a stopped run can be resumed. Training runs as a job on
//! a named worker thread; its events stream over the job's channel and the UI only draws them.

mod charts;
mod form;

use std::sync::mpsc::{Receiver, channel};

pub use charts::Curves;
pub use form::{BudgetKind, TrainForm};

use crate::project::Project;
use crate::train::TrainSummary;
use crate::train::engine::TrainEvent;
use crate::train::store::{ListedRun, RunDir};
use crate::ui::jobs::{JobError, JobHandle, JobKind, JobMessage};
use crate::ui::workspace::{OpenProject, Workspace, WorkspaceContext, WorkspaceId};

/// What a scan of the project's folders found.
struct Scan {
    runs: Vec<ListedRun>,
    skipped: Vec<String>,
    /// Finished synthesis runs: (id, images).
    synth: Vec<(String, u64)>,
}

/// State of the Train workspace.
#[derive(Default)]
pub struct TrainWorkspace {
    pub form: TrainForm,
    job: Option<JobHandle<TrainSummary, TrainEvent>>,
    /// The run the job trains, once it has started.
    live_run: Option<String>,
    live: Curves,
    scan: Option<Scan>,
    scanning: Option<Receiver<Scan>>,
    /// The run whose curves are shown.
    pub selected: Option<String>,
    history: Option<(String, Curves)>,
    loading: Option<Receiver<(String, Curves)>>,
    error: Option<String>,
    ctx: Option<egui::Context>,
}

impl TrainWorkspace {
    /// Whether a run started here is training.
    pub fn training(&self) -> bool {
        self.job.is_some()
    }

    /// The curves of the run being trained here.
    pub fn live_curves(&self) -> &Curves {
        &self.live
    }

    /// The runs found by the last scan: (id, status word).
    pub fn listed_runs(&self) -> Vec<(String, String)> {
        self.scan.as_ref().map_or_else(Vec::new, |s| {
            s.runs
                .iter()
                .map(|(run, state)| (run.id.clone(), status_word(state.as_ref())))
                .collect()
        })
    }

    fn rescan(&mut self, project: &Project) {
        let Some(ctx) = self.ctx.clone() else {
            return;
        };
        let root = project.root().to_path_buf();
        let (tx, rx) = channel();
        let spawned = std::thread::Builder::new()
            .name("train-scan".into())
            .spawn(move || {
                let (runs, skipped) = crate::train::list_runs(&root);
                let synth = crate::synth::run::finished_runs(&root)
                    .runs
                    .into_iter()
                    .map(|r| (r.id, r.record.count))
                    .collect();
                tx.send(Scan {
                    runs,
                    skipped,
                    synth,
                })
                .ok();
                ctx.request_repaint();
            });
        if spawned.is_ok() {
            self.scanning = Some(rx);
        }
    }

    fn load_history(&mut self, project: &Project, id: &str) {
        let Some(ctx) = self.ctx.clone() else {
            return;
        };
        let run = RunDir::open(project.root(), id);
        let (tx, rx) = channel();
        let spawned = std::thread::Builder::new()
            .name("train-history".into())
            .spawn(move || {
                let curves = Curves::from_history(&run.read_history());
                tx.send((run.id, curves)).ok();
                ctx.request_repaint();
            });
        if spawned.is_ok() {
            self.loading = Some(rx);
        }
    }

    fn start(&mut self, cx: &mut WorkspaceContext<'_>, resume: Option<String>) {
        let Some(ctx) = self.ctx.clone() else {
            return;
        };
        let project = cx.open.project().clone();
        let config = self.form.config();
        if resume.is_none()
            && let Err(e) = config.validate()
        {
            self.error = Some(e);
            return;
        }
        let device = match crate::train::device_named(&self.form.device) {
            Ok(device) => device,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        let title = resume.as_ref().map_or_else(
            || format!("Training {} on {}", config.encoder, config.variant),
            |id| format!("Resuming {id}"),
        );
        let started = cx.jobs.start(JobKind::Train, title, &ctx, move |job| {
            let mut observer = |event: &TrainEvent| job.emit(event.clone());
            let result = match resume {
                Some(id) => {
                    crate::train::resume(&project, &id, &device, job.progress(), &mut observer)
                }
                None => {
                    crate::train::train(&project, config, &device, job.progress(), &mut observer)
                }
            };
            result.map_err(|e| JobError::Failed(e.to_string()))
        });
        match started {
            Ok(handle) => {
                self.job = Some(handle);
                self.error = None;
                self.live = Curves::default();
                self.live_run = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    fn poll_job(&mut self, cx: &mut WorkspaceContext<'_>) {
        let Some(handle) = &mut self.job else {
            return;
        };
        let mut finished = None;
        for message in handle.drain() {
            match message {
                JobMessage::Event(event) => {
                    if let TrainEvent::Started { run, .. } = &event {
                        // The resumed run's curves so far, then the new points on top.
                        if self.history.as_ref().is_some_and(|(id, _)| id == run) {
                            self.live = self
                                .history
                                .as_ref()
                                .map(|h| h.1.clone())
                                .unwrap_or_default();
                        }
                        self.live_run = Some(run.clone());
                        self.selected = Some(run.clone());
                        finished.get_or_insert(None);
                    }
                    self.live.push(&event);
                }
                JobMessage::Log(level, text) => cx.toasts.log(level, text),
                JobMessage::Finished(result) => finished = Some(Some(result)),
            }
        }
        match finished {
            Some(Some(result)) => {
                self.job = None;
                match result {
                    Ok(s) => cx.toasts.info(format!(
                        "Run {}: {} steps{}, val mIoU {}",
                        s.run,
                        s.steps,
                        if s.cancelled {
                            " (cancelled; resumable)"
                        } else {
                            ""
                        },
                        s.val_miou.map_or("–".into(), |m| format!("{m:.2} %"))
                    )),
                    Err(JobError::Cancelled) => cx.toasts.info("Training cancelled"),
                    Err(e) => {
                        cx.toasts.error(format!("Training stopped: {e}"));
                        self.error = Some(e.to_string());
                    }
                }
                let project = cx.open.project().clone();
                self.history = self.live_run.clone().map(|id| (id, self.live.clone()));
                self.rescan(&project);
            }
            Some(None) => {
                // The run started: list it.
                let project = cx.open.project().clone();
                self.rescan(&project);
            }
            None => {}
        }
    }

    fn status_ui(&self, ui: &mut egui::Ui) {
        let Some(handle) = &self.job else {
            return;
        };
        ui.horizontal(|ui| {
            let progress = handle.progress();
            ui.add(
                egui::ProgressBar::new(progress.fraction())
                    .desired_width(240.0)
                    .show_percentage(),
            );
            if let Some(s) = &self.live.last {
                ui.label(format!(
                    "step {}{} · loss {:.4} · {:.1} images/s · loader wait {:.0} %",
                    s.step,
                    s.total_steps.map_or(String::new(), |t| format!("/{t}")),
                    s.loss,
                    s.images_per_s,
                    s.loader_wait * 100.0
                ));
                if let Some(eta) = s.eta_seconds {
                    ui.label(format!("ETA {}", format_duration(eta)));
                }
            } else {
                ui.spinner();
                ui.label(progress.stage());
            }
            if ui
                .button("Cancel")
                .on_hover_text(
                    "Stop after this step; a checkpoint is written, so the run can be resumed",
                )
                .clicked()
            {
                handle.cancel();
            }
        });
    }

    fn runs_ui(&mut self, ui: &mut egui::Ui, cx: &mut WorkspaceContext<'_>) {
        ui.horizontal(|ui| {
            ui.heading("Runs");
            if ui
                .button("Rescan")
                .on_hover_text("Scan runs/ again")
                .clicked()
            {
                let project = cx.open.project().clone();
                self.rescan(&project);
            }
        });
        let Some(scan) = &self.scan else {
            ui.spinner();
            return;
        };
        for problem in &scan.skipped {
            ui.colored_label(ui.visuals().warn_fg_color, problem);
        }
        if scan.runs.is_empty() {
            ui.weak("No training runs yet.");
        }
        let mut select = None;
        let mut resume = None;
        egui::ScrollArea::vertical().show(ui, |ui| {
            for (run, state) in scan.runs.iter().rev() {
                let word = status_word(state.as_ref());
                let best = state
                    .as_ref()
                    .and_then(|s| s.best)
                    .map_or("–".into(), |b| format!("{:.1} %", b.1));
                let step = state.as_ref().map_or(String::new(), |s| {
                    format!(
                        "{}{}",
                        s.step,
                        s.total_steps.map_or(String::new(), |t| format!("/{t}"))
                    )
                });
                ui.horizontal(|ui| {
                    let chosen = self.selected.as_deref() == Some(run.id.as_str());
                    if ui
                        .selectable_label(chosen, &run.id)
                        .on_hover_text(format!(
                            "{} on {}, {} real + {} synthetic images, {}×{}, batch {}",
                            run.record.train.encoder,
                            run.record.train.variant,
                            run.record.real_images,
                            run.record.synth_images,
                            run.record.train.size[0],
                            run.record.train.size[1],
                            run.record.train.batch
                        ))
                        .clicked()
                    {
                        select = Some(run.id.clone());
                    }
                });
                ui.horizontal(|ui| {
                    ui.weak(format!("{word} · step {step} · best val mIoU {best}"));
                    let resumable = matches!(word.as_str(), "cancelled" | "failed" | "interrupted");
                    if resumable
                        && self.job.is_none()
                        && ui
                            .small_button("Resume")
                            .on_hover_text(
                                "Continue from its last checkpoint with its own settings",
                            )
                            .clicked()
                    {
                        resume = Some(run.id.clone());
                    }
                });
                ui.separator();
            }
        });
        if let Some(id) = select {
            self.selected = Some(id.clone());
            if self.live_run.as_deref() != Some(id.as_str()) {
                let project = cx.open.project().clone();
                self.load_history(&project, &id);
            }
        }
        if let Some(id) = resume {
            let project = cx.open.project().clone();
            self.selected = Some(id.clone());
            self.load_history(&project, &id);
            self.start(cx, Some(id));
        }
    }
}

fn status_word(state: Option<&crate::train::RunState>) -> String {
    state
        .map_or("unreadable", crate::train::RunState::word)
        .to_owned()
}

fn format_duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

impl Workspace for TrainWorkspace {
    fn id(&self) -> WorkspaceId {
        WorkspaceId::Train
    }

    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut WorkspaceContext<'_>) {
        if self.ctx.is_none() {
            self.ctx = Some(ui.ctx().clone());
            let project = cx.open.project().clone();
            self.rescan(&project);
        }
        let project = cx.open.project().clone();
        let synth: Vec<(String, u64)> = self
            .scan
            .as_ref()
            .map_or_else(Vec::new, |s| s.synth.clone());
        egui::Panel::left("train-form")
            .resizable(true)
            .default_size(330.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    ui.heading("New run");
                    ui.add_enabled_ui(self.job.is_none(), |ui| {
                        self.form.ui(ui, &project, &synth);
                    });
                    ui.add_space(8.0);
                    let start = ui
                        .add_enabled(self.job.is_none(), egui::Button::new("Start training"))
                        .on_hover_text("Start a new run in runs/ with these settings");
                    if start.clicked() {
                        self.start(cx, None);
                    }
                    if let Some(e) = &self.error {
                        ui.colored_label(ui.visuals().error_fg_color, e);
                    }
                });
            });
        egui::Panel::right("train-runs")
            .resizable(true)
            .default_size(320.0)
            .show(ui, |ui| self.runs_ui(ui, cx));
        egui::CentralPanel::default().show(ui, |ui| {
            self.status_ui(ui);
            let live = self.live_run.is_some() && self.selected == self.live_run;
            let curves = if live || self.selected.is_none() {
                Some(&self.live)
            } else {
                self.history
                    .as_ref()
                    .filter(|(id, _)| Some(id) == self.selected.as_ref())
                    .map(|(_, c)| c)
            };
            match (&self.selected, curves) {
                (Some(id), Some(curves)) => {
                    ui.label(format!("Run {id}"));
                    charts::charts_ui(ui, curves);
                }
                (Some(_), None) => {
                    ui.spinner();
                }
                (None, Some(curves)) if curves.points() > 0 => charts::charts_ui(ui, curves),
                _ => {
                    ui.weak("Choose the settings on the left and start a run, or pick a run on the right to see its curves.");
                }
            }
        });
    }

    fn project_opened(&mut self, project: &Project) {
        let ctx = self.ctx.take();
        let selected = self.selected.take();
        *self = Self {
            selected,
            ctx,
            ..Self::default()
        };
        if !project
            .file()
            .variants
            .iter()
            .any(|v| v.name == self.form.variant)
            && let Some(v) = project.file().variants.first()
        {
            self.form.variant.clone_from(&v.name);
        }
        self.rescan(project);
    }

    fn poll(&mut self, cx: &mut WorkspaceContext<'_>) {
        if let Some(rx) = &self.scanning
            && let Ok(scan) = rx.try_recv()
        {
            if self.selected.is_none() && self.job.is_none() {
                self.selected = scan.runs.last().map(|(r, _)| r.id.clone());
            }
            self.scan = Some(scan);
            self.scanning = None;
            // Show the chosen run's curves (the newest, or the one `studio --run` named).
            if let Some(id) = self.selected.clone()
                && self.live_run.as_deref() != Some(id.as_str())
                && self.history.as_ref().is_none_or(|(h, _)| *h != id)
            {
                let project = cx.open.project().clone();
                self.load_history(&project, &id);
            }
        }
        if let Some(rx) = &self.loading
            && let Ok(history) = rx.try_recv()
        {
            self.history = Some(history);
            self.loading = None;
        }
        self.poll_job(cx);
    }

    fn is_settled(&self, open: &OpenProject) -> bool {
        let _ = open;
        self.scan.is_some() && self.loading.is_none()
    }
}
