//! Datasets in the formats other tools read, and the one rasteriser of annotations to labels.
//!
//! - [`masks`]: class-id masks of a variant (and [`render_label_map`], which every exporter, the
//!   trainer and the studio's overlay share);
//! - [`voc`]: PASCAL VOC (JPEGImages, SegmentationClass/Object palette PNGs, ImageSets, class names);
//! - [`coco`]: COCO instances JSON (polygons, RLE where an instance has holes);
//! - [`yolo`]: YOLO segmentation in the Ultralytics layout (polygons; holes cannot be expressed);
//! - [`labelme`]: LabelMe JSON files, read into instances, and [`labelme_export`] writing them;
//! - [`cityscapes`]: Cityscapes-style `leftImg8bit` / `gtFine_labelIds` folders;
//! - [`palette`]: the VOC colormap.
//!
//! Every export writes into a staging folder and moves its files into place only when all of them are
//! written ([`crate::project::fsio::StagedOutput`]), so a cancelled or failed export leaves the output
//! folder as it was.

pub mod cityscapes;
pub mod coco;
pub mod labelme;
pub mod labelme_export;
pub mod masks;
pub mod palette;
pub mod voc;
pub mod yolo;

pub use cityscapes::export_cityscapes;
pub use coco::export_coco;
pub use labelme_export::export_labelme;
pub use masks::{export_masks, render_instance_map, render_label_map, render_label_region};
pub use voc::export_voc;
pub use yolo::export_yolo;

use serde::Serialize;

use crate::project::{ImageStatus, Project, ProjectError, Split, Variant};

/// What an export wrote.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ExportReport {
    pub format: String,
    /// Images written.
    pub written: usize,
    pub skipped_unlabelled: usize,
    /// Images whose annotation file is broken, each with the reason.
    pub skipped_broken: Vec<String>,
    /// What the format could not express, and similar notes.
    pub warnings: Vec<String>,
    pub seconds: f64,
}

/// The folder of an image's split; images without one go to `train`.
pub(crate) fn split_folder(split: Option<Split>) -> &'static str {
    split.map_or("train", Split::name)
}

/// What an exporter writes with: the variant, the staging folder, the images, the report so far.
pub(crate) struct ExportRun<'a> {
    pub variant: &'a Variant,
    pub root: &'a std::path::Path,
    pub todo: Vec<usize>,
    pub report: ExportReport,
}

/// The frame every export shares: finds the variant, selects the labelled images of `split`
/// (refusing two of one stem when the format names its files by stems), writes through `body` into
/// a staging folder that moves into place only when `body` succeeds, and counts and times it.
#[expect(
    clippy::too_many_arguments,
    reason = "the export's parameters, passed through once to the one frame they share"
)]
pub(crate) fn run_export(
    project: &Project,
    variant_name: &str,
    split: Option<Split>,
    out: &std::path::Path,
    format: &str,
    stage: &str,
    named_by_stem: bool,
    progress: &crate::progress::Progress,
    body: impl FnOnce(&mut ExportRun<'_>) -> Result<(), ProjectError>,
) -> Result<ExportReport, ProjectError> {
    let started = std::time::Instant::now();
    let variant = find_variant(project, variant_name)?;
    let (todo, report) = select_images(project, format, split);
    if named_by_stem {
        require_unique_stems(project, &todo)?;
    }
    let staged = crate::project::fsio::StagedOutput::create(out)?;
    progress.start_stage(stage, todo.len() as u64);
    let mut run = ExportRun {
        variant,
        root: staged.path(),
        todo,
        report,
    };
    body(&mut run)?;
    let mut report = run.report;
    report.written = run.todo.len();
    staged.commit()?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The images an export writes: the labelled ones of `split` (all splits for `None`); the report
/// starts with what was skipped.
pub(crate) fn select_images(
    project: &Project,
    format: &str,
    split: Option<Split>,
) -> (Vec<usize>, ExportReport) {
    let mut report = ExportReport {
        format: format.to_owned(),
        ..ExportReport::default()
    };
    let mut todo = Vec::new();
    for (i, image) in project.file().images.iter().enumerate() {
        if split.is_some_and(|s| image.split != Some(s)) {
            continue;
        }
        match project.status(i) {
            ImageStatus::Labelled => todo.push(i),
            ImageStatus::Unlabelled => report.skipped_unlabelled += 1,
            ImageStatus::Broken => report.skipped_broken.push(format!(
                "{}: {}",
                image.file,
                project.broken_reason(i).unwrap_or_default()
            )),
        }
    }
    (todo, report)
}

/// Refuses an export whose file names come from image stems when two images share one (`a.jpg`
/// and `a.png` would both be `a.png` masks): one would silently overwrite the other.
pub(crate) fn require_unique_stems(project: &Project, todo: &[usize]) -> Result<(), ProjectError> {
    let mut seen: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
    for &i in todo {
        let file = project.file().images[i].file.as_str();
        if let Some(other) = seen.insert(crate::project::image_stem(file), file) {
            return Err(ProjectError::Other(format!(
                "{other} and {file} have the same name without extension, which this format's files are named by: rename one of them"
            )));
        }
    }
    Ok(())
}

/// The project's variant `name`, or an error listing the ones it has.
pub(crate) fn find_variant<'a>(
    project: &'a Project,
    name: &str,
) -> Result<&'a Variant, ProjectError> {
    project.variant(name).ok_or_else(|| {
        let names: Vec<&str> = project
            .file()
            .variants
            .iter()
            .map(|v| v.name.as_str())
            .collect();
        ProjectError::Other(format!(
            "no variant {name:?}; the project has {}",
            names.join(", ")
        ))
    })
}

/// The formats an export writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Masks,
    Voc,
    Coco,
    Yolo,
    Labelme,
    Cityscapes,
}

impl ExportFormat {
    pub const ALL: [Self; 6] = [
        Self::Masks,
        Self::Voc,
        Self::Coco,
        Self::Yolo,
        Self::Labelme,
        Self::Cityscapes,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Self::Masks => "Label masks",
            Self::Voc => "PASCAL VOC",
            Self::Coco => "COCO",
            Self::Yolo => "YOLO segmentation",
            Self::Labelme => "LabelMe",
            Self::Cityscapes => "Cityscapes",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::Masks => {
                "One 8-bit PNG of label ids per labelled image (0 background, 255 ignore)"
            }
            Self::Voc => {
                "JPEGImages, SegmentationClass and SegmentationObject palette PNGs, ImageSets, class names (TF DeepLab, mmsegmentation)"
            }
            Self::Coco => {
                "annotations.json with the photos: polygons, RLE for instances with holes (detectron2, mmdetection)"
            }
            Self::Yolo => {
                "Ultralytics layout with data.yaml and normalised polygons; holes cannot be expressed"
            }
            Self::Labelme => {
                "A LabelMe 5.x JSON beside each photo; parts with holes as mask shapes"
            }
            Self::Cityscapes => "leftImg8bit photos and gtFine_labelIds PNGs",
        }
    }

    /// Writes the labelled images of `split` (all for `None`) of variant `variant` under `out`.
    pub fn export(
        self,
        project: &Project,
        variant: &str,
        split: Option<Split>,
        out: &std::path::Path,
        progress: &crate::progress::Progress,
    ) -> Result<ExportReport, ProjectError> {
        match self {
            Self::Masks => export_masks(project, variant, split, out, progress),
            Self::Voc => export_voc(project, variant, split, out, progress),
            Self::Coco => export_coco(project, variant, split, out, progress),
            Self::Yolo => export_yolo(project, variant, split, out, progress),
            Self::Labelme => export_labelme(project, variant, split, out, progress),
            Self::Cityscapes => export_cityscapes(project, variant, split, out, progress),
        }
    }
}
