//! Semantic label masks: one 8-bit PNG per labelled image, values = the variant's label ids.
//!
//! This is the one rasteriser of annotations to labels: training, evaluation and the other exporters use
//! [`render_label_map`] so that every consumer sees the same pixels. Instances are painted in draw order
//! (ascending `order`, then list order), each part by the pixel-centre rule with its holes left open.

use std::path::Path;

use rayon::prelude::*;

use super::{ExportReport, ExportRun, run_export};
use crate::geometry::{fill_polygon_spans_in, paint_polygon};
use crate::imageio::encode_label_png;
use crate::progress::Progress;
use crate::project::fsio::atomic_write;
use crate::project::{
    IGNORE_CLASS, IGNORE_LABEL, Instance, Project, ProjectError, Split, Variant, VariantTarget,
    image_stem,
};

/// Paints the instances of one image into a row-major label map of the given size.
pub fn render_label_map(
    instances: &[Instance],
    variant: &Variant,
    width: u32,
    height: u32,
) -> Vec<u8> {
    render_label_region(instances, variant, [0, 0, width, height])
}

/// The label map of the pixel window `[x0, y0, x1, y1)` alone, row-major, `(x1 - x0) × (y1 - y0)`:
/// exactly those pixels of [`render_label_map`] (the viewer redraws an edited region this way).
pub fn render_label_region(instances: &[Instance], variant: &Variant, window: [u32; 4]) -> Vec<u8> {
    let [x0, y0, x1, y1] = window;
    let width = x1.saturating_sub(x0) as usize;
    let mut labels = vec![0u8; width * y1.saturating_sub(y0) as usize];
    let mut order: Vec<&Instance> = instances.iter().collect();
    order.sort_by_key(|inst| inst.order);
    for inst in order {
        // Ignore regions (IGNORE_CLASS) are in no variant's mapping: they paint the ignore label.
        let value = match variant.mapping.get(&inst.class_id) {
            Some(VariantTarget::Label(l)) => *l,
            Some(VariantTarget::Ignore) | None => IGNORE_LABEL,
        };
        // Parts are painted one by one: two parts of an instance never cancel out where they nest.
        for part in &inst.parts {
            // A part wholly outside the window costs only its bounds (the viewer's small regions);
            // every ring counts, as the even-odd rule paints a stray hole too.
            let outside = part.rings().all(|ring| {
                crate::geometry::bounds(ring).is_none_or(|[bx0, by0, bx1, by1]| {
                    bx1 < x0 as f32 || by1 < y0 as f32 || bx0 > x1 as f32 || by0 > y1 as f32
                })
            });
            if outside {
                continue;
            }
            fill_polygon_spans_in(part.rings(), window, |y, xs, xe| {
                let row = (y - y0) as usize * width;
                labels[row + (xs - x0) as usize..row + (xe - x0) as usize].fill(value);
            });
        }
    }
    labels
}

/// Paints instance ids (1, 2, … in list order; ignore regions use up their number but paint 0, as
/// labelme2voc does; background 0) in draw order, for instance masks. More than 254 instances cannot be told apart in 8 bits: those share 254.
pub fn render_instance_map(instances: &[Instance], width: u32, height: u32) -> Vec<u8> {
    let mut ids = vec![0u8; width as usize * height as usize];
    let mut next = 0usize;
    let mut order: Vec<(u8, &Instance)> = instances
        .iter()
        .map(|inst| {
            // Ignore regions take a number too (as labelme2voc counts them) but paint 0.
            next += 1;
            let value = u8::try_from(next).unwrap_or(254).min(254);
            (
                if inst.class_id == IGNORE_CLASS {
                    0
                } else {
                    value
                },
                inst,
            )
        })
        .collect();
    order.sort_by_key(|(_, inst)| inst.order);
    for (value, inst) in order {
        for part in &inst.parts {
            paint_polygon(part.rings(), &mut ids, width, height, value);
        }
    }
    ids
}

/// Writes `out_dir/<image stem>.png` for every labelled image of the project (of `split`, or all);
/// nothing appears in `out_dir` unless all of them are written.
pub fn export_masks(
    project: &Project,
    variant_name: &str,
    split: Option<Split>,
    out_dir: &Path,
    progress: &Progress,
) -> Result<ExportReport, ProjectError> {
    run_export(
        project,
        variant_name,
        split,
        out_dir,
        "masks",
        "exporting masks",
        true,
        progress,
        |run| {
            let ExportRun {
                variant,
                root,
                todo,
                ..
            } = run;
            todo.par_iter().try_for_each(|&i| {
                progress.check().map_err(|_| ProjectError::Cancelled)?;
                let image = &project.file().images[i];
                let labels =
                    render_label_map(project.instances(i), variant, image.width, image.height);
                let path = root.join(format!("{}.png", image_stem(&image.file)));
                atomic_write(&path, &encode_label_png(image.width, image.height, &labels))?;
                progress.advance(1);
                Ok::<(), ProjectError>(())
            })?;
            Ok(())
        },
    )
}
