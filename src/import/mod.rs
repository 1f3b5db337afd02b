//! Bringing existing datasets into a project: class-id masks ([`masks`]), and other tools'
//! annotations — LabelMe, COCO, VOC, YOLO — read by one reader each and brought in by
//! [`foreign`].

pub mod coco;
pub mod foreign;
pub mod labelme;
mod masks;
pub mod voc;
pub mod yolo;

pub use coco::import_coco;
pub use foreign::{
    ClassChoice, ClassMapping, ForeignDataset, ForeignImage, ForeignObject, ImportOptions,
    ImportReport, UnknownLabels, import_foreign,
};
pub use labelme::import_labelme;
pub use masks::{
    MaskImportOptions, MaskImportReport, import_masks, mask_to_instances, parse_split_counts,
};
pub use voc::import_voc;
pub use yolo::import_yolo;
