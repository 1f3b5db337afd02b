//! Training and using `DeepLab` models on a project's data, with no UI: the run's configuration
//! and folder, the datasets and loader threads, augmentation, the training loop with exact resume,
//! and inference (predictions and scores). The CLI and the Train and Evaluate workspaces drive the
//! same engine and watch it through its events.

pub mod augment;
pub mod config;
pub mod data;
pub mod device;
pub mod engine;
pub mod events;
pub mod infer;
pub mod init;
pub mod loader;
pub mod memory;
pub mod optimizer;
pub mod prelabel;
pub mod store;

pub use config::{Augment, Budget, OptimizerConfig, RunRecord, TrainConfig};
pub use device::device_named;
pub use engine::{TrainError, TrainEvent, TrainSummary, resume, train};
pub use infer::{Evaluation, Predictor, evaluate};
pub use store::{RunDir, RunState, RunStatus, list_runs};
