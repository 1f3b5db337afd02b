//! The training loop: a run started from a [`TrainConfig`] or resumed from its folder, streaming
//! [`TrainEvent`]s to an observer (the CLI's progress line, the Train workspace's charts).
//!
//! Each step takes the next batch from the loader threads, runs the train-mode forward pass, the
//! masked cross-entropy (ignore = 255), the backward pass and the optimiser at the poly LR of that
//! step. Validation and checkpoints come every N steps and at the end. Everything random is drawn
//! from the run's seed and the step (weights, batches, augmentation, dropout), and a checkpoint
//! holds the weights with the `BatchNorm` statistics and the optimiser state, so a resumed run
//! takes exactly the steps the uninterrupted one would have.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use candle_core::{DType, Device, Tensor};

use super::config::{Budget, RUN_FORMAT, RunRecord, TrainConfig};
use super::data::{self, Dataset};
pub use super::events::{StepReport, TrainError, TrainEvent, TrainSummary, ValReport};
use super::infer::{Predictor, validate};
use super::loader::Loader;
pub use super::memory::estimate_bytes;
use super::memory::{check_memory, peak_rss_mb};
use super::optimizer::Optimizer;
use super::store::{RunDir, RunState, RunStatus, timestamp};
use crate::model::Model;
use crate::model::ops::cross_entropy_ignore;
use crate::model::optim::poly_lr;
use crate::progress::Progress;
use crate::project::runs::DatasetSnapshot;
use crate::project::{IGNORE_LABEL, Project};

/// How often (in steps) a time-budgeted run re-estimates its schedule's length.
const HORIZON_EVERY: u64 = 10;

fn failed(e: impl std::fmt::Display) -> TrainError {
    TrainError::Failed(e.to_string())
}

/// Starts a new run of `config` in `runs/<id>/`.
pub fn train(
    project: &Project,
    config: TrainConfig,
    device: &Device,
    progress: &Progress,
    observer: &mut dyn FnMut(&TrainEvent),
) -> Result<TrainSummary, TrainError> {
    config.validate().map_err(TrainError::Invalid)?;
    let snapshot = DatasetSnapshot::of(project, &config.variant).ok_or_else(|| {
        TrainError::Invalid(
            crate::formats::find_variant(project, &config.variant)
                .err()
                .map_or_else(|| "no such variant".into(), |e| e.to_string()),
        )
    })?;
    let model_cfg = config
        .model_config(snapshot.variant.labels.len() + 1)
        .map_err(TrainError::Invalid)?;
    let (train_set, real) = data::build(
        project,
        &snapshot.variant,
        &config.splits,
        &config.synth_runs,
        config.size,
    )
    .map_err(failed)?;
    if train_set.is_empty() {
        return Err(TrainError::Invalid(
            "no training data: the chosen splits have no labelled photo and no synthesis run was chosen"
                .into(),
        ));
    }
    check_memory(&config, &model_cfg, train_set.len())?;
    let created = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let record = RunRecord {
        format: RUN_FORMAT,
        model: model_cfg,
        snapshot,
        created,
        real_images: real,
        synth_images: train_set.len() - real,
        train: config,
    };
    let stem = format!(
        "{}-{}-{}",
        timestamp(created),
        record.train.encoder,
        record.train.variant
    );
    // The model is built (and any --init read) before the run folder exists, so a refused file
    // leaves nothing behind.
    let model = Model::new(record.model.clone(), device).map_err(failed)?;
    initialise(&model, &record, observer)?;
    let run = RunDir::create(project.root(), &stem).map_err(failed)?;
    run.write_record(&record).map_err(failed)?;
    let optimizer = Optimizer::new(&model.varmap, record.train.optimizer);
    let state = RunState {
        status: RunStatus::Running {
            pid: std::process::id(),
        },
        step: 0,
        total_steps: match record.train.budget {
            Budget::Steps(n) => Some(n),
            Budget::Minutes(_) => None,
        },
        seconds: 0.0,
        checkpoint: None,
        checkpoint_seconds: 0.0,
        best: None,
        last_loss: None,
        last_val_miou: None,
    };
    run.write_state(&state).map_err(failed)?;
    let mut session = Session {
        project,
        run,
        record,
        model,
        optimizer,
        state,
        train_set: Arc::new(train_set),
    };
    session.run(progress, observer)
}

/// Resumes run `id` from its newest checkpoint (or from the start when it has none), with the
/// same data, schedule and random streams.
pub fn resume(
    project: &Project,
    id: &str,
    device: &Device,
    progress: &Progress,
    observer: &mut dyn FnMut(&TrainEvent),
) -> Result<TrainSummary, TrainError> {
    let run = RunDir::open(project.root(), id);
    let record = run.read_record().map_err(TrainError::Invalid)?;
    let mut state = run.read_state().map_err(TrainError::Invalid)?;
    match state.liveness() {
        super::store::Liveness::Running => {
            return Err(TrainError::Invalid(format!(
                "run {id} is being trained by another process"
            )));
        }
        _ if state.status == RunStatus::Finished => {
            return Err(TrainError::Invalid(format!(
                "run {id} has finished its {} steps",
                state.step
            )));
        }
        _ => {}
    }
    let model = Model::new(record.model.clone(), device).map_err(failed)?;
    let mut optimizer = Optimizer::new(&model.varmap, record.train.optimizer);
    if let Some(step) = state.checkpoint {
        crate::model::checkpoint::load_weights(&model.varmap, &run.weights_path(step), device)
            .map_err(|e| failed(format!("{}: {e}", run.weights_path(step).display())))?;
        let path = run.optimizer_path(step);
        let tensors = candle_core::safetensors::load(&path, device)
            .map_err(|e| failed(format!("{}: {e}", path.display())))?;
        optimizer
            .set_state(tensors, device)
            .map_err(|e| failed(format!("{}: {e}", path.display())))?;
        state.step = step;
        state.seconds = state.checkpoint_seconds;
    } else {
        initialise(&model, &record, observer)?;
        state.step = 0;
        state.seconds = 0.0;
        state.best = None;
    }
    if state.best.is_some_and(|(step, _)| step > state.step) {
        // The best came after the resume point; the run will find it again (or a better one).
        state.best = None;
    }
    run.cut_csv(&run.metrics_path(), state.step)
        .map_err(failed)?;
    run.cut_csv(&run.val_path(), state.step).map_err(failed)?;
    state.status = RunStatus::Running {
        pid: std::process::id(),
    };
    run.write_state(&state).map_err(failed)?;
    let (train_set, _) = data::build(
        project,
        &record.snapshot.variant,
        &record.train.splits,
        &record.train.synth_runs,
        record.train.size,
    )
    .map_err(failed)?;
    let mut session = Session {
        project,
        run,
        record,
        model,
        optimizer,
        state,
        train_set: Arc::new(train_set),
    };
    session.run(progress, observer)
}

/// The weights a run starts from: drawn from its seed, then `--init`'s file where it names one.
fn initialise(
    model: &Model,
    record: &RunRecord,
    observer: &mut dyn FnMut(&TrainEvent),
) -> Result<(), TrainError> {
    model
        .initialise_from_seed(record.train.seed)
        .map_err(failed)?;
    if let Some(path) = &record.train.init {
        let report = super::init::load_init(model, path).map_err(TrainError::Invalid)?;
        observer(&TrainEvent::Initialised(report));
    }
    Ok(())
}

/// Seed of step `step`'s dropout masks.
fn dropout_seed(seed: u64, step: u64) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ step.wrapping_mul(0xD1B5_4A32_D192_ED03)
}

struct Session<'a> {
    project: &'a Project,
    run: RunDir,
    record: RunRecord,
    model: Model,
    optimizer: Optimizer,
    state: RunState,
    train_set: Arc<Dataset>,
}

/// Running sums for the summary.
#[derive(Default)]
struct Totals {
    steps: u64,
    step_seconds: f64,
    wait_seconds: f64,
    build_seconds: f64,
}

impl Session<'_> {
    fn run(
        &mut self,
        progress: &Progress,
        observer: &mut dyn FnMut(&TrainEvent),
    ) -> Result<TrainSummary, TrainError> {
        let result = self.run_inner(progress, observer);
        if let Err(err) = &result {
            self.state.status = RunStatus::Failed(err.to_string());
            self.run.write_state(&self.state).ok();
        }
        result
    }

    fn run_inner(
        &mut self,
        progress: &Progress,
        observer: &mut dyn FnMut(&TrainEvent),
    ) -> Result<TrainSummary, TrainError> {
        let train = self.record.train.clone();
        self.train_set.preload(progress).map_err(failed)?;
        let val_set = match train.val_split {
            Some(split) => {
                let (set, _) = data::build(
                    self.project,
                    &self.record.snapshot.variant,
                    &[split],
                    &[],
                    train.size,
                )
                .map_err(failed)?;
                set.preload(progress).map_err(failed)?;
                Some(set)
            }
            None => None,
        };
        let first = self.state.step;
        // A time budget's horizon moves as the run goes, so its loader never stops on its own.
        let end = match train.budget {
            Budget::Steps(_) => self.state.total_steps.unwrap_or(u64::MAX),
            Budget::Minutes(_) => u64::MAX,
        };
        let mut loader = Loader::start(
            &self.train_set,
            train.augment,
            train.batch,
            train.seed,
            (first, end),
            train.loader_threads,
        )
        .map_err(failed)?;
        observer(&TrainEvent::Started {
            run: self.run.id.clone(),
            first_step: first,
            total_steps: self.state.total_steps,
            train_images: self.train_set.len(),
            val_images: val_set.as_ref().map_or(0, Dataset::len),
        });
        // The stage counts this session's steps, so its ETA is this session's rate.
        progress.start_stage("training", self.state.total_steps.map_or(0, |t| t - first));
        let budget_seconds = match train.budget {
            Budget::Minutes(m) => Some(m * 60.0),
            Budget::Steps(_) => None,
        };
        let [w, h] = train.size.map(|v| v as usize);
        let labels_header = self.record.label_names().join(",");
        let session_start = Instant::now();
        let seconds_before = self.state.seconds;
        let mut totals = Totals::default();
        let mut last_validated = None;
        let mut seconds_at_10 = 0.0;
        let mut cancelled = false;
        loop {
            let step = self.state.step;
            if self.state.total_steps.is_some_and(|t| step >= t)
                || budget_seconds.is_some_and(|b| self.state.seconds >= b)
            {
                break;
            }
            if progress.is_cancelled() {
                cancelled = true;
                break;
            }
            let t0 = Instant::now();
            let batch = loader.next_batch().map_err(failed)?;
            let waited = t0.elapsed().as_secs_f64();
            debug_assert_eq!(batch.step, step);
            let lr = match self.state.total_steps {
                Some(total) => poly_lr(
                    train.optimizer.base_lr(),
                    step as usize,
                    total as usize,
                    train.poly_power,
                ),
                None => train.optimizer.base_lr(),
            };
            let loss = self.step(&batch.x, &batch.labels, [w, h], lr, step)?;
            let step_seconds = t0.elapsed().as_secs_f64();
            self.state.step = step + 1;
            self.state.seconds = seconds_before + session_start.elapsed().as_secs_f64();
            self.state.last_loss = Some(loss);
            totals.steps += 1;
            totals.step_seconds += step_seconds;
            totals.wait_seconds += waited;
            totals.build_seconds += batch.build_seconds;
            if totals.steps == 10 {
                seconds_at_10 = self.state.seconds;
            }
            if let Some(budget) = budget_seconds
                && totals.steps >= 20
                && totals.steps.is_multiple_of(HORIZON_EVERY)
            {
                // The schedule's length from this session's wall-clock rate since its tenth step
                // (validations and checkpoints included, as they spend the same budget). The
                // first steps are slower (buffers are allocated, caches warm), and counting them
                // (as the torch peer does with its first ten) would end the schedule minutes
                // before the budget. One estimate at step 20 is not enough either: a shared
                // machine's speed drifts, and a run that stopped at 91 % of its horizon never
                // reached the poly schedule's small learning rates. So it is re-estimated.
                let per_step = (self.state.seconds - seconds_at_10) / (totals.steps - 10) as f64;
                let left = (budget - self.state.seconds).max(0.0);
                let total = (self.state.step + (left / per_step) as u64).max(self.state.step + 1);
                self.state.total_steps = Some(total);
                progress.set_total(total.saturating_sub(first));
            }
            progress.advance(1);
            progress.set_detail(format!(
                "loss {loss:.4}, {:.1} images/s",
                train.batch as f64 / step_seconds
            ));
            let report = StepReport {
                step: self.state.step,
                loss,
                lr,
                images_per_s: train.batch as f64 / step_seconds,
                loader_wait: waited / step_seconds,
                seconds: self.state.seconds,
                total_steps: self.state.total_steps,
                eta_seconds: self.eta(&totals, budget_seconds),
            };
            self.run
                .append_csv(
                    &self.run.metrics_path(),
                    "step,seconds,loss,lr,images_per_s,loader_wait",
                    &format!(
                        "{},{:.3},{:.6},{:.6e},{:.3},{:.4}",
                        report.step,
                        report.seconds,
                        loss,
                        lr,
                        report.images_per_s,
                        report.loader_wait
                    ),
                )
                .map_err(failed)?;
            observer(&TrainEvent::Step(report));
            let at = self.state.step;
            if let Some(val) = &val_set
                && train.eval_every > 0
                && at.is_multiple_of(train.eval_every)
            {
                self.validate(val, &labels_header, observer)?;
                last_validated = Some(at);
            }
            if train.checkpoint_every > 0 && at.is_multiple_of(train.checkpoint_every) {
                self.checkpoint(observer)?;
            }
        }
        drop(loader);
        if let Some(val) = &val_set
            && !cancelled
            && last_validated != Some(self.state.step)
        {
            self.validate(val, &labels_header, observer)?;
        }
        if self.state.checkpoint != Some(self.state.step) {
            self.checkpoint(observer)?;
        }
        self.state.status = if cancelled {
            RunStatus::Cancelled
        } else {
            RunStatus::Finished
        };
        self.run.write_state(&self.state).map_err(failed)?;
        let n = totals.steps.max(1) as f64;
        Ok(TrainSummary {
            run: self.run.id.clone(),
            steps: self.state.step,
            final_loss: self.state.last_loss,
            val_miou: self.state.last_val_miou,
            best_val_miou: self.state.best.map(|(_, m)| m),
            cancelled,
            seconds: self.state.seconds,
            images_per_s: if totals.step_seconds > 0.0 {
                totals.steps as f64 * train.batch as f64 / totals.step_seconds
            } else {
                0.0
            },
            loader_wait: if totals.step_seconds > 0.0 {
                totals.wait_seconds / totals.step_seconds
            } else {
                0.0
            },
            loader_seconds_per_batch: totals.build_seconds / n,
            peak_rss_mb: peak_rss_mb(),
        })
    }

    /// One optimisation step; returns the loss.
    fn step(
        &mut self,
        x: &[f32],
        labels: &[u8],
        [w, h]: [usize; 2],
        lr: f64,
        step: u64,
    ) -> Result<f64, TrainError> {
        let batch = self.record.train.batch;
        let device = self.model.device.clone();
        let x = Tensor::from_slice(x, (batch, 3, h, w), &device).map_err(failed)?;
        let y = Tensor::from_slice(labels, (batch, h, w), &device)
            .and_then(|t| t.to_dtype(DType::U8))
            .map_err(failed)?;
        self.model
            .set_dropout_seed(dropout_seed(self.record.train.seed, step));
        let logits = self.model.forward_t(&x, true).map_err(failed)?;
        let loss = cross_entropy_ignore(&logits, &y, u32::from(IGNORE_LABEL)).map_err(failed)?;
        let value = f64::from(loss.to_scalar::<f32>().map_err(failed)?);
        if !value.is_finite() {
            return Err(TrainError::NonFinite {
                step: step + 1,
                loss: value,
            });
        }
        let grads = loss.backward().map_err(failed)?;
        self.optimizer.set_learning_rate(lr);
        self.optimizer.step(&grads).map_err(failed)?;
        Ok(value)
    }

    fn eta(&self, totals: &Totals, budget_seconds: Option<f64>) -> Option<f64> {
        if let Some(budget) = budget_seconds {
            return Some((budget - self.state.seconds).max(0.0));
        }
        let total = self.state.total_steps?;
        let per_step = totals.step_seconds / totals.steps.max(1) as f64;
        Some(total.saturating_sub(self.state.step) as f64 * per_step)
    }

    fn validate(
        &mut self,
        val: &Dataset,
        labels_header: &str,
        observer: &mut dyn FnMut(&TrainEvent),
    ) -> Result<(), TrainError> {
        let predictor = Predictor::from_model(self.record.clone(), &self.model).map_err(failed)?;
        let confusion = validate(&predictor, val, self.record.train.batch).map_err(failed)?;
        let names = self.record.label_names();
        let scores = confusion.scores(&names);
        let step = self.state.step;
        let per_class: Vec<String> = names
            .iter()
            .map(|n| {
                scores
                    .per_class
                    .get(n)
                    .map_or(String::new(), |v| format!("{v:.3}"))
            })
            .collect();
        self.run
            .append_csv(
                &self.run.val_path(),
                &format!("step,seconds,miou,pixel_acc,{labels_header}"),
                &format!(
                    "{step},{:.3},{},{},{}",
                    self.state.seconds,
                    scores.miou.map_or(String::new(), |v| format!("{v:.3}")),
                    scores
                        .pixel_acc
                        .map_or(String::new(), |v| format!("{v:.3}")),
                    per_class.join(",")
                ),
            )
            .map_err(failed)?;
        self.state.last_val_miou = scores.miou;
        if let Some(miou) = scores.miou
            && self.state.best.is_none_or(|(_, best)| miou > best)
        {
            super::store::save_tensors(&self.run.best_path(), &self.weights()).map_err(failed)?;
            self.state.best = Some((step, miou));
        }
        observer(&TrainEvent::Validated(ValReport {
            step,
            seconds: self.state.seconds,
            miou: scores.miou,
            pixel_acc: scores.pixel_acc,
            per_class: scores.per_class,
        }));
        Ok(())
    }

    fn weights(&self) -> HashMap<String, Tensor> {
        let data = self
            .model
            .varmap
            .data()
            .lock()
            .expect("varmap lock poisoned");
        data.iter()
            .map(|(n, v)| (n.clone(), v.as_tensor().clone()))
            .collect()
    }

    fn checkpoint(&mut self, observer: &mut dyn FnMut(&TrainEvent)) -> Result<(), TrainError> {
        let step = self.state.step;
        let optimizer = self.optimizer.state().map_err(failed)?;
        self.run
            .write_checkpoint(step, &self.weights(), &optimizer)
            .map_err(failed)?;
        self.state.checkpoint = Some(step);
        self.state.checkpoint_seconds = self.state.seconds;
        self.run.write_state(&self.state).map_err(failed)?;
        self.run.prune_checkpoints(step);
        observer(&TrainEvent::Checkpoint { step });
        Ok(())
    }
}
