//! Bringing existing datasets into a project.

mod masks;

pub use masks::{
    MaskImportOptions, MaskImportReport, import_masks, mask_to_instances, parse_split_counts,
};
