//! LabelMe JSON per image, as labelme 5.x writes it, beside a copy of the photo:
//!
//! ```text
//! OUT/<file>          the photo, copied as it is
//! OUT/<stem>.json     labelme 5.5 fields; `imagePath` is the photo's name, no `imageData`
//! ```
//!
//! A part without holes is a `polygon` shape, vertex for vertex; a part with holes is a `mask` shape
//! (a PNG bitmap of its pixels by the pixel-centre rule, placed at its first point, the second point
//! its last pixel), since a LabelMe polygon cannot leave a hole open. The shapes of an instance of
//! several parts share a `group_id`. Labels are the variant's; ignore regions and classes the variant
//! ignores are `__ignore__`, as labelme's own tools name them. Shapes come in draw order.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use rayon::prelude::*;

use super::labelme::{LabelmeFile, LabelmeShape};
use super::{ExportReport, ExportRun, run_export};
use crate::geometry::{bounds, paint_polygon};
use crate::imageio::encode_label_png;
use crate::progress::Progress;
use crate::project::fsio::{FileError, atomic_write};
use crate::project::{
    Instance, Part, Project, ProjectError, Split, Variant, VariantTarget, image_stem,
};

/// The labelme version the files claim (the fields are those of 5.x).
pub const LABELME_VERSION: &str = "5.5.0";

/// The label of ignore regions in labelme's tools.
pub const IGNORE_NAME: &str = "__ignore__";

/// Writes the labelled images of `split` (all for `None`) as LabelMe files under `out`.
pub fn export_labelme(
    project: &Project,
    variant_name: &str,
    split: Option<Split>,
    out: &Path,
    progress: &Progress,
) -> Result<ExportReport, ProjectError> {
    run_export(
        project,
        variant_name,
        split,
        out,
        "labelme",
        "exporting LabelMe",
        true,
        progress,
        |run| {
            let ExportRun {
                variant,
                root,
                todo,
                report,
            } = run;
            let masks: usize = todo
                .par_iter()
                .map(|&i| {
                    progress.check().map_err(|_| ProjectError::Cancelled)?;
                    let image = &project.file().images[i];
                    let source = project.image_path(i);
                    let bytes = std::fs::read(&source)
                        .map_err(|e| FileError::new("cannot read", &source, e))?;
                    atomic_write(&root.join(&image.file), &bytes)?;
                    let file = labelme_file(
                        project.instances(i),
                        variant,
                        &image.file,
                        image.width,
                        image.height,
                    );
                    let masks = file
                        .shapes
                        .iter()
                        .filter(|s| s.shape_type == "mask")
                        .count();
                    let path = root.join(format!("{}.json", image_stem(&image.file)));
                    let json = serde_json::to_vec_pretty(&file).map_err(|e| {
                        ProjectError::Other(format!("cannot write {}: {e}", path.display()))
                    })?;
                    atomic_write(&path, &json)?;
                    progress.advance(1);
                    Ok(masks)
                })
                .collect::<Result<Vec<usize>, ProjectError>>()?
                .into_iter()
                .sum();
            if masks > 0 {
                report.warnings.push(format!(
            "{masks} parts with holes written as mask shapes (a LabelMe polygon cannot have a hole)"
        ));
            }
            Ok(())
        },
    )
}

/// The LabelMe file of one image's instances.
pub fn labelme_file(
    instances: &[Instance],
    variant: &Variant,
    photo: &str,
    width: u32,
    height: u32,
) -> LabelmeFile {
    let mut ordered: Vec<&Instance> = instances.iter().collect();
    ordered.sort_by_key(|inst| inst.order);
    let mut shapes = Vec::new();
    for inst in ordered {
        let label = match variant.mapping.get(&inst.class_id) {
            Some(VariantTarget::Label(l)) => variant
                .labels
                .get(usize::from(*l) - 1)
                .cloned()
                .unwrap_or_else(|| IGNORE_NAME.to_owned()),
            Some(VariantTarget::Ignore) | None => IGNORE_NAME.to_owned(),
        };
        let group_id = (inst.parts.len() > 1).then_some(i64::from(inst.id));
        for part in &inst.parts {
            let shape = if part.holes.is_empty() {
                Some(polygon_shape(&label, part, group_id))
            } else {
                mask_shape(&label, part, group_id, width, height)
            };
            shapes.extend(shape);
        }
    }
    LabelmeFile {
        version: LABELME_VERSION.to_owned(),
        flags: BTreeMap::new(),
        shapes,
        image_path: photo.to_owned(),
        image_data: None,
        image_height: height,
        image_width: width,
    }
}

fn shape(label: &str, kind: &str, points: Vec<[f64; 2]>, group_id: Option<i64>) -> LabelmeShape {
    LabelmeShape {
        label: label.to_owned(),
        points,
        group_id,
        shape_type: kind.to_owned(),
        flags: Some(BTreeMap::new()),
        description: Some(String::new()),
        mask: None,
    }
}

fn polygon_shape(label: &str, part: &Part, group_id: Option<i64>) -> LabelmeShape {
    let points = part
        .outer
        .iter()
        .map(|&[x, y]| [f64::from(x), f64::from(y)])
        .collect();
    shape(label, "polygon", points, group_id)
}

/// A part's pixels as a `mask` shape over the pixels its outline touches; `None` when it covers
/// none.
fn mask_shape(
    label: &str,
    part: &Part,
    group_id: Option<i64>,
    width: u32,
    height: u32,
) -> Option<LabelmeShape> {
    let [min_x, min_y, max_x, max_y] = bounds(&part.outer)?;
    let x0 = (min_x.floor().max(0.0) as u32).min(width);
    let y0 = (min_y.floor().max(0.0) as u32).min(height);
    let x1 = (max_x.ceil().max(0.0) as u32).min(width);
    let y1 = (max_y.ceil().max(0.0) as u32).min(height);
    let (bw, bh) = (x1.checked_sub(x0)?, y1.checked_sub(y0)?);
    if bw == 0 || bh == 0 {
        return None;
    }
    // Painted over the whole image and cropped: the same pixels as every other export, exactly.
    let mut full = vec![0u8; width as usize * height as usize];
    paint_polygon(part.rings(), &mut full, width, height, 255);
    let mut bitmap = Vec::with_capacity((bw * bh) as usize);
    for y in y0..y1 {
        let row = y as usize * width as usize;
        bitmap.extend_from_slice(&full[row + x0 as usize..row + x1 as usize]);
    }
    let png = encode_label_png(bw, bh, &bitmap);
    let mut s = shape(
        label,
        "mask",
        vec![
            [f64::from(x0), f64::from(y0)],
            [f64::from(x1 - 1), f64::from(y1 - 1)],
        ],
        group_id,
    );
    s.mask = Some(base64::engine::general_purpose::STANDARD.encode(png));
    Some(s)
}
