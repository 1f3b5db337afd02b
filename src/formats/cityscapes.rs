//! Cityscapes-style label-id PNGs, as mmsegmentation's and torchvision's Cityscapes loaders find them:
//!
//! ```text
//! OUT/leftImg8bit/<split>/<city>/<stem>_leftImg8bit.png      the photo, as PNG
//! OUT/gtFine/<split>/<city>/<stem>_gtFine_labelIds.png       8-bit label ids (0 background, 255 ignore)
//! OUT/labels.json                                            id, name and colour of every label
//! ```
//!
//! `<city>` is the project's name made safe for a folder. Images without a split go to `train`; the
//! report counts them. The label ids are the variant's, painted by the one rasteriser.

use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use super::palette::voc_colormap;
use super::split_folder;
use super::{ExportReport, ExportRun, render_label_map, run_export};
use crate::imageio::{decode_photo, encode_label_png};
use crate::progress::Progress;
use crate::project::fsio::{FileError, atomic_write};
use crate::project::{Project, ProjectError, Split, image_stem};

/// One entry of `labels.json`.
#[derive(Clone, Debug, Serialize)]
struct LabelEntry {
    id: u8,
    name: String,
    color: [u8; 3],
}

/// A folder name from the project's name: letters, digits, `-` and `_`.
fn city_name(project: &str) -> String {
    let name: String = project
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = name.trim_matches('_');
    if name.is_empty() {
        "project".into()
    } else {
        name.to_owned()
    }
}

/// Writes the labelled images of `split` (all for `None`) in the Cityscapes layout under `out`.
pub fn export_cityscapes(
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
        "cityscapes",
        "exporting Cityscapes",
        true,
        progress,
        |run| {
            let ExportRun {
                variant,
                root,
                todo,
                report,
            } = run;
            let city = city_name(&project.file().name);
            todo.par_iter().try_for_each(|&i| {
                progress.check().map_err(|_| ProjectError::Cancelled)?;
                let image = &project.file().images[i];
                let folder = split_folder(image.split);
                let stem = image_stem(&image.file);
                let photos = root.join("leftImg8bit").join(folder).join(&city);
                let labels = root.join("gtFine").join(folder).join(&city);
                for dir in [&photos, &labels] {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| FileError::new("cannot create", dir, e))?;
                }
                let source = project.image_path(i);
                let bytes = std::fs::read(&source)
                    .map_err(|e| FileError::new("cannot read", &source, e))?;
                let target = photos.join(format!("{stem}_leftImg8bit.png"));
                if bytes.starts_with(b"\x89PNG") {
                    atomic_write(&target, &bytes)?;
                } else {
                    let rgb = decode_photo(&source, &bytes)
                        .map_err(|e| ProjectError::Other(e.to_string()))?;
                    let mut png = Vec::new();
                    let encoder = image::codecs::png::PngEncoder::new_with_quality(
                        &mut png,
                        image::codecs::png::CompressionType::Fast,
                        image::codecs::png::FilterType::Adaptive,
                    );
                    rgb.write_with_encoder(encoder).map_err(|e| {
                        ProjectError::Other(format!("cannot encode {}: {e}", target.display()))
                    })?;
                    atomic_write(&target, &png)?;
                }
                let ids =
                    render_label_map(project.instances(i), variant, image.width, image.height);
                atomic_write(
                    &labels.join(format!("{stem}_gtFine_labelIds.png")),
                    &encode_label_png(image.width, image.height, &ids),
                )?;
                progress.advance(1);
                Ok::<(), ProjectError>(())
            })?;
            let unsplit = todo
                .iter()
                .filter(|&&i| project.file().images[i].split.is_none())
                .count();
            if unsplit > 0 {
                report
                    .warnings
                    .push(format!("{unsplit} images without a split went to train"));
            }
            let palette = voc_colormap();
            let mut entries = vec![LabelEntry {
                id: 0,
                name: "background".into(),
                color: palette[0],
            }];
            for (k, name) in variant.labels.iter().enumerate() {
                let id = k as u8 + 1;
                entries.push(LabelEntry {
                    id,
                    name: name.clone(),
                    color: palette[usize::from(id)],
                });
            }
            entries.push(LabelEntry {
                id: 255,
                name: "ignore".into(),
                color: palette[255],
            });
            let path = root.join("labels.json");
            let json = serde_json::to_vec_pretty(&entries).map_err(|e| {
                ProjectError::Other(format!("cannot write {}: {e}", path.display()))
            })?;
            atomic_write(&path, &json)?;
            Ok(())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::city_name;

    #[test]
    fn city_names_are_safe_folders() {
        assert_eq!(city_name("atWork 2024/demo"), "atWork_2024_demo");
        assert_eq!(city_name("../"), "project");
    }
}
