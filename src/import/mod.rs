//! Bringing existing datasets into a project.

pub mod labelme;
mod masks;

pub use labelme::{
    ClassChoice, ClassMapping, LabelmeImportOptions, LabelmeImportReport, UnknownLabels,
    import_labelme,
};
pub use masks::{
    MaskImportOptions, MaskImportReport, import_masks, mask_to_instances, parse_split_counts,
};
