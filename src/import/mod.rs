//! Bringing existing datasets into a project: plain photos ([`photos`]), class-id masks
//! ([`masks`]), and other tools' annotations — LabelMe, COCO, VOC, YOLO — read by one reader each
//! and brought in by [`foreign`].

pub mod coco;
pub mod foreign;
pub mod labelme;
mod masks;
pub mod photos;
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
pub use photos::{PhotoImportOptions, PhotoImportReport, import_photos, parse_split_ratio};
pub use voc::import_voc;
pub use yolo::import_yolo;

use crate::label::ProjectChanges;
use crate::progress::Progress;
use crate::project::{Project, ProjectError, Tool};

/// The formats of other tools' annotations an import reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForeignFormat {
    Labelme,
    Coco,
    Voc,
    Yolo,
}

impl ForeignFormat {
    pub const ALL: [Self; 4] = [Self::Labelme, Self::Coco, Self::Voc, Self::Yolo];

    pub fn title(self) -> &'static str {
        match self {
            Self::Labelme => "LabelMe",
            Self::Coco => "COCO",
            Self::Voc => "PASCAL VOC",
            Self::Yolo => "YOLO segmentation",
        }
    }

    /// What the path names, for the import form.
    pub fn path_hint(self) -> &'static str {
        match self {
            Self::Labelme => "a LabelMe JSON file, or a folder searched for them",
            Self::Coco => "the COCO JSON file (photos beside it, in images/, or in ../images/)",
            Self::Voc => "the VOC folder (SegmentationClass/, JPEGImages/)",
            Self::Yolo => "the YOLO dataset folder (data.yaml, images/, labels/)",
        }
    }

    fn tool(self) -> Tool {
        match self {
            Self::Labelme => Tool::LabelmeImport,
            Self::Coco => Tool::CocoImport,
            Self::Voc => Tool::VocImport,
            Self::Yolo => Tool::YoloImport,
        }
    }

    /// Reads the files of `options.paths` (nothing is written).
    pub fn read(
        self,
        options: &ImportOptions,
        progress: &Progress,
    ) -> Result<ForeignDataset, ProjectError> {
        let mut dataset = ForeignDataset {
            format: match self {
                Self::Labelme => "LabelMe",
                Self::Coco => "COCO",
                Self::Voc => "VOC",
                Self::Yolo => "YOLO",
            }
            .into(),
            ..ForeignDataset::default()
        };
        if self == Self::Labelme {
            return labelme::read_labelme(&options.paths, progress);
        }
        for path in &options.paths {
            progress.check().map_err(|_| ProjectError::Cancelled)?;
            let read = match self {
                Self::Coco => coco::read_coco(path, options.images_dir.as_deref())?,
                Self::Voc => voc::read_voc(path, progress)?,
                Self::Yolo => yolo::read_yolo(path, progress)?,
                Self::Labelme => unreachable!("read above"),
            };
            dataset.files += read.files;
            dataset.images.extend(read.images);
            dataset.skipped.extend(read.skipped);
            dataset.warnings.extend(read.warnings);
        }
        Ok(dataset)
    }

    /// Reads the files and brings them into the project (see [`import_foreign`]).
    pub fn import(
        self,
        project: &Project,
        options: &ImportOptions,
        progress: &Progress,
    ) -> Result<(ProjectChanges, ImportReport), ProjectError> {
        let dataset = self.read(options, progress)?;
        self.import_read(project, dataset, options, progress)
    }

    /// Brings an already read dataset into the project.
    pub fn import_read(
        self,
        project: &Project,
        dataset: ForeignDataset,
        options: &ImportOptions,
        progress: &Progress,
    ) -> Result<(ProjectChanges, ImportReport), ProjectError> {
        import_foreign(project, dataset, options, self.tool(), progress)
    }
}
