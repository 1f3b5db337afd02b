//! `SegStudio's` model layer: `DeepLab` (`MobileNetV2` and Xception-65 backbones) on Candle, the
//! custom operations it needs for fast CPU training, the optimiser, statistics, checkpoints
//! and benchmarks.

pub mod bench;
pub mod checkpoint;
pub mod config;
pub mod deeplab;
pub mod graph;
pub mod layers;
pub mod mobilenet;
pub mod ops;
pub mod optim;
pub mod profile;
pub mod stats;
pub mod xception;

pub use config::{Backbone, CONFIG_NAMES, Config};
pub use deeplab::{DeepLab, Model};
pub use stats::{MacsByPart, ModelStats, stats};
