//! What a training run reports (its events, streamed to the CLI's progress line and the Train
//! workspace's charts), how it ended, and why it could not start or stopped.

use serde::Serialize;

/// What the loop reports as it goes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum TrainEvent {
    Started {
        run: String,
        first_step: u64,
        total_steps: Option<u64>,
        train_images: usize,
        val_images: usize,
    },
    Step(StepReport),
    Validated(ValReport),
    Checkpoint {
        step: u64,
    },
    /// Pretrained weights were loaded (`--init`).
    Initialised(super::init::InitReport),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepReport {
    /// Steps done, this one included.
    pub step: u64,
    pub loss: f64,
    pub lr: f64,
    pub images_per_s: f64,
    /// Share of the step the model waited for the loader (0: never).
    pub loader_wait: f64,
    /// Training seconds of the run so far.
    pub seconds: f64,
    pub total_steps: Option<u64>,
    pub eta_seconds: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ValReport {
    pub step: u64,
    pub seconds: f64,
    pub miou: Option<f64>,
    pub pixel_acc: Option<f64>,
    pub per_class: std::collections::BTreeMap<String, f64>,
}

/// How a run ended (the `train` command's `--json` line).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrainSummary {
    pub run: String,
    pub steps: u64,
    pub final_loss: Option<f64>,
    pub val_miou: Option<f64>,
    pub best_val_miou: Option<f64>,
    pub cancelled: bool,
    pub seconds: f64,
    pub images_per_s: f64,
    /// Share of the steps' time spent waiting on the loader.
    pub loader_wait: f64,
    /// Seconds the loader threads spent per batch, on average.
    pub loader_seconds_per_batch: f64,
    pub peak_rss_mb: Option<f64>,
}

/// Why a run could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("{0}")]
    Invalid(String),
    #[error(
        "the loss is {loss} at step {step}: training stopped (lower the LR, or check the labels); the run can resume from its last checkpoint"
    )]
    NonFinite { step: u64, loss: f64 },
    #[error("{0}")]
    Failed(String),
}
