//! SegStudio: label, synthesize, train and evaluate semantic-segmentation datasets of a robot's objects.
//!
//! The library holds everything the studio does, so the GUI ([`ui`]), the CLI ([`cli`]) and tests share one
//! implementation. The core modules have no GUI dependency:
//!
//! - [`project`]: the project folder, its files and their validation;
//! - [`geometry`]: polygons with holes, rasterisation and contour tracing;
//! - [`label`]: the edit model (undo/redo, autosave, merging job results);
//! - [`import`] / [`export`]: datasets in and out;
//! - [`stats`]: dataset statistics; [`eval`]: scores of predicted label maps (IoU, mIoU);
//! - [`demo`] / [`demo_project`]: the procedural renderer of the bundled demo project;
//! - [`model`]: DeepLabv3+ (MobileNetV2, Xception-65) in Candle with the custom ops it needs;
//! - [`progress`]: progress and cancellation of long jobs; [`workers`]: pools for interactive work.

pub mod cli;
pub mod compare;
pub mod dataset;
pub mod demo;
pub mod demo_project;
pub mod eval;
pub mod formats;
pub mod geometry;
pub mod imageio;
pub mod import;
pub mod label;
pub mod model;
pub mod onnx;
pub mod progress;
pub mod project;
pub mod quantize;
pub mod stats;
pub mod synth;
pub mod train;
pub mod ui;
pub mod workers;
