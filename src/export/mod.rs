//! Writing a project's annotations in formats other tools and the trainer read.

mod masks;

pub use masks::{MaskExportReport, export_masks, render_label_map};
