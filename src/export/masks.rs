//! Semantic label masks: one 8-bit PNG per labelled image, values = the variant's label ids.
//!
//! This is the one rasteriser of annotations to labels: training, evaluation and the other exporters use
//! [`render_label_map`] so that every consumer sees the same pixels. Instances are painted in draw order
//! (ascending `order`, then list order), each part by the pixel-centre rule with its holes left open.

use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::geometry::paint_polygon;
use crate::imageio::encode_label_png;
use crate::progress::Progress;
use crate::project::fsio::{StagedOutput, atomic_write};
use crate::project::{
    IGNORE_LABEL, ImageStatus, Instance, Project, ProjectError, Variant, VariantTarget, image_stem,
};

/// What an export wrote.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MaskExportReport {
    pub written: usize,
    pub skipped_unlabelled: usize,
    /// Images whose annotation file is broken, each with the reason.
    pub skipped_broken: Vec<String>,
    pub seconds: f64,
}

/// Paints the instances of one image into a row-major label map of the given size.
pub fn render_label_map(
    instances: &[Instance],
    variant: &Variant,
    width: u32,
    height: u32,
) -> Vec<u8> {
    let mut labels = vec![0u8; width as usize * height as usize];
    let mut order: Vec<&Instance> = instances.iter().collect();
    order.sort_by_key(|inst| inst.order);
    for inst in order {
        let value = match variant.mapping.get(&inst.class_id) {
            Some(VariantTarget::Label(l)) => *l,
            Some(VariantTarget::Ignore) | None => IGNORE_LABEL,
        };
        // Parts are painted one by one: two parts of an instance never cancel out where they nest.
        for part in &inst.parts {
            paint_polygon(part.rings(), &mut labels, width, height, value);
        }
    }
    labels
}

/// Writes `out_dir/<image stem>.png` for every labelled image of the project; nothing appears in
/// `out_dir` unless all of them are written.
pub fn export_masks(
    project: &Project,
    variant_name: &str,
    out_dir: &Path,
    progress: &Progress,
) -> Result<MaskExportReport, ProjectError> {
    let started = Instant::now();
    let variant = project.variant(variant_name).ok_or_else(|| {
        let names: Vec<&str> = project
            .file()
            .variants
            .iter()
            .map(|v| v.name.as_str())
            .collect();
        ProjectError::Other(format!(
            "no variant {variant_name:?}; the project has {}",
            names.join(", ")
        ))
    })?;
    // Masks appear in `out_dir` only once all are written: a cancelled export leaves it as it was.
    let staged = StagedOutput::create(out_dir)?;
    let mut report = MaskExportReport::default();
    let mut todo = Vec::new();
    for (i, image) in project.file().images.iter().enumerate() {
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
    progress.start_stage("exporting masks", todo.len() as u64);
    todo.par_iter().try_for_each(|&i| {
        progress.check().map_err(|_| ProjectError::Cancelled)?;
        let image = &project.file().images[i];
        let labels = render_label_map(project.instances(i), variant, image.width, image.height);
        let path = staged
            .path()
            .join(format!("{}.png", image_stem(&image.file)));
        atomic_write(&path, &encode_label_png(image.width, image.height, &labels))?;
        progress.advance(1);
        Ok::<(), ProjectError>(())
    })?;
    staged.commit()?;
    report.written = todo.len();
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}
