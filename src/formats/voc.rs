//! PASCAL VOC segmentation layout, as TF DeepLab, mmsegmentation and labelme's `labelme2voc` write
//! and read it:
//!
//! ```text
//! OUT/JPEGImages/<stem>.jpg                    the photos (JPEG files copied, others encoded, q95)
//! OUT/SegmentationClass/<stem>.png             palette PNG: the variant's label ids, 255 ignore
//! OUT/SegmentationObject/<stem>.png            palette PNG: instance ids 1…, 0 background
//! OUT/ImageSets/Segmentation/{train,val,test}.txt   the stems of each split (also trainval.txt)
//! OUT/class_names.txt                          `_background_`, then the variant's labels
//! ```
//!
//! The palette is the VOC colormap ([`super::palette`]).

use std::fmt::Write as _;
use std::path::Path;

use rayon::prelude::*;

use super::palette::voc_colormap;
use super::{ExportReport, ExportRun, render_instance_map, render_label_map, run_export};
use crate::imageio::encode_palette_png;
use crate::progress::Progress;
use crate::project::fsio::{FileError, atomic_write};
use crate::project::{Project, ProjectError, Split, image_stem};

/// JPEG quality for photos that are not JPEG files already.
const JPEG_QUALITY: u8 = 95;

/// Writes the labelled images of `split` (all for `None`) in the VOC layout under `out`.
pub fn export_voc(
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
        "voc",
        "exporting VOC",
        true,
        progress,
        |run| {
            let ExportRun {
                variant,
                root,
                todo,
                report,
            } = run;
            for dir in [
                "JPEGImages",
                "SegmentationClass",
                "SegmentationObject",
                "ImageSets/Segmentation",
            ] {
                let dir = root.join(dir);
                std::fs::create_dir_all(&dir)
                    .map_err(|e| FileError::new("cannot create", &dir, e))?;
            }
            let palette = voc_colormap();
            let too_many: Vec<String> = todo
                .par_iter()
                .map(|&i| {
                    progress.check().map_err(|_| ProjectError::Cancelled)?;
                    let image = &project.file().images[i];
                    let stem = image_stem(&image.file);
                    let (w, h) = (image.width, image.height);
                    let instances = project.instances(i);
                    write_jpeg(
                        &project.image_path(i),
                        &root.join(format!("JPEGImages/{stem}.jpg")),
                    )?;
                    let labels = render_label_map(instances, variant, w, h);
                    atomic_write(
                        &root.join(format!("SegmentationClass/{stem}.png")),
                        &encode_palette_png(w, h, &labels, &palette),
                    )?;
                    let objects = render_instance_map(instances, w, h);
                    atomic_write(
                        &root.join(format!("SegmentationObject/{stem}.png")),
                        &encode_palette_png(w, h, &objects, &palette),
                    )?;
                    progress.advance(1);
                    Ok(if instances.len() > 254 {
                        Some(format!(
                            "{}: {} instances; SegmentationObject tells only 254 apart",
                            image.file,
                            instances.len()
                        ))
                    } else {
                        None
                    })
                })
                .collect::<Result<Vec<Option<String>>, ProjectError>>()?
                .into_iter()
                .flatten()
                .collect();
            report.warnings.extend(too_many);

            let mut sets: Vec<(&str, String)> = ["train", "val", "test", "trainval"]
                .iter()
                .map(|name| (*name, String::new()))
                .collect();
            for &i in todo.iter() {
                let image = &project.file().images[i];
                let stem = image_stem(&image.file);
                for (name, text) in &mut sets {
                    let member = match (*name, image.split) {
                        ("trainval", Some(Split::Train | Split::Val)) => true,
                        (name, Some(split)) => split.name() == name,
                        (_, None) => false,
                    };
                    if member {
                        let _ = writeln!(text, "{stem}");
                    }
                }
            }
            for (name, text) in &sets {
                atomic_write(
                    &root.join(format!("ImageSets/Segmentation/{name}.txt")),
                    text.as_bytes(),
                )?;
            }
            let mut names = String::from("_background_\n");
            for label in &variant.labels {
                let _ = writeln!(names, "{label}");
            }
            atomic_write(&root.join("class_names.txt"), names.as_bytes())?;
            Ok(())
        },
    )
}

/// Copies a JPEG photo as it is; encodes any other photo as JPEG.
fn write_jpeg(photo: &Path, target: &Path) -> Result<(), ProjectError> {
    let bytes = std::fs::read(photo).map_err(|e| FileError::new("cannot read", photo, e))?;
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(atomic_write(target, &bytes)?);
    }
    let rgb = crate::imageio::decode_photo(photo, &bytes)
        .map_err(|e| ProjectError::Other(e.to_string()))?;
    let mut jpeg = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY);
    rgb.write_with_encoder(encoder)
        .map_err(|e| ProjectError::Other(format!("cannot encode {}: {e}", target.display())))?;
    Ok(atomic_write(target, &jpeg)?)
}
