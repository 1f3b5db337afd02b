//! COCO instances JSON, as detectron2, mmdetection and pycocotools read it:
//!
//! ```text
//! OUT/JPEGImages/<file>      the photos, copied as they are
//! OUT/annotations.json       images, categories (the variant's labels, ids from 1), annotations
//! ```
//!
//! An instance is written as polygons (one per part, vertex for vertex) when it has no holes, and as
//! an uncompressed RLE (column-major runs, starting with background) of its mask when it has, since
//! COCO polygons cannot leave a hole open. `area` and `bbox` come from the instance's mask by the
//! pixel-centre rule (the one rasteriser). Instances the variant ignores, and ignore regions, are not
//! annotations; the report counts them.

use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{ExportReport, ExportRun, run_export};
use crate::geometry::paint_polygon;
use crate::progress::Progress;
use crate::project::fsio::{FileError, atomic_write};
use crate::project::{Instance, Project, ProjectError, Split, VariantTarget};

/// `annotations.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CocoFile {
    pub images: Vec<CocoImage>,
    pub categories: Vec<CocoCategory>,
    pub annotations: Vec<CocoAnnotation>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CocoImage {
    pub id: u64,
    pub file_name: String,
    pub width: u32,
    pub height: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CocoCategory {
    pub id: u64,
    pub name: String,
    pub supercategory: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CocoAnnotation {
    pub id: u64,
    pub image_id: u64,
    pub category_id: u64,
    pub segmentation: Segmentation,
    pub area: f64,
    /// `[x, y, width, height]` of the mask's pixels.
    pub bbox: [f64; 4],
    pub iscrowd: u8,
}

/// Polygons (`[[x1, y1, x2, y2, …], …]`), an uncompressed RLE, or pycocotools' compressed RLE.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Segmentation {
    Polygons(Vec<Vec<f64>>),
    Rle(Rle),
    CompressedRle(CompressedRle),
}

/// pycocotools' compressed RLE: the runs of [`Rle`] as the string of [`compress_counts`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompressedRle {
    pub counts: String,
    pub size: [u32; 2],
}

/// pycocotools' `rleToString`, written out from its C source: each run after the second as the
/// difference to the run two before, in 5-bit groups from `'0'` with a continuation bit (0x20) and
/// the sign in the last group's 0x10.
pub fn compress_counts(counts: &[u32]) -> String {
    let mut out = String::new();
    for i in 0..counts.len() {
        let mut x = i64::from(counts[i]);
        if i > 2 {
            x -= i64::from(counts[i - 2]);
        }
        loop {
            let mut c = x & 0x1f;
            x >>= 5;
            let more = if c & 0x10 != 0 { x != -1 } else { x != 0 };
            if more {
                c |= 0x20;
            }
            out.push((c as u8 + 48) as char);
            if !more {
                break;
            }
        }
    }
    out
}

/// Uncompressed COCO RLE: run lengths over the mask in column-major order, the first run counting
/// background; `size` is `[height, width]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rle {
    pub counts: Vec<u32>,
    pub size: [u32; 2],
}

impl Rle {
    /// Encodes a row-major 0/1 mask of `width × height`.
    pub fn encode(mask: &[u8], width: u32, height: u32) -> Self {
        let mut counts = Vec::new();
        let (mut current, mut run) = (0u8, 0u32);
        for x in 0..width as usize {
            for y in 0..height as usize {
                let v = u8::from(mask[y * width as usize + x] != 0);
                if v == current {
                    run += 1;
                } else {
                    counts.push(run);
                    current = v;
                    run = 1;
                }
            }
        }
        counts.push(run);
        Self {
            counts,
            size: [height, width],
        }
    }

    /// The row-major 0/1 mask, or `None` when the runs do not add up to the size.
    pub fn decode(&self) -> Option<Vec<u8>> {
        let [h, w] = self.size;
        let total = h as usize * w as usize;
        if self.counts.iter().map(|&c| c as usize).sum::<usize>() != total {
            return None;
        }
        let mut mask = vec![0u8; total];
        let mut k = 0usize;
        for (i, &run) in self.counts.iter().enumerate() {
            for _ in 0..run {
                let (x, y) = (k / h as usize, k % h as usize);
                mask[y * w as usize + x] = u8::from(i % 2 == 1);
                k += 1;
            }
        }
        Some(mask)
    }
}

/// The mask of one instance alone (no occlusion by others), row-major 0/1.
pub fn instance_mask(inst: &Instance, width: u32, height: u32) -> Vec<u8> {
    let mut mask = vec![0u8; width as usize * height as usize];
    for part in &inst.parts {
        paint_polygon(part.rings(), &mut mask, width, height, 1);
    }
    mask
}

/// Area and `[x, y, w, h]` of a mask's set pixels (zeros when empty).
fn area_and_bbox(mask: &[u8], width: u32) -> (f64, [f64; 4]) {
    let w = width as usize;
    let (mut n, mut x0, mut y0, mut x1, mut y1) = (0usize, usize::MAX, usize::MAX, 0, 0);
    for (i, _) in mask.iter().enumerate().filter(|(_, v)| **v != 0) {
        let (x, y) = (i % w, i / w);
        n += 1;
        x0 = x0.min(x);
        y0 = y0.min(y);
        x1 = x1.max(x);
        y1 = y1.max(y);
    }
    if n == 0 {
        return (0.0, [0.0; 4]);
    }
    (
        n as f64,
        [
            x0 as f64,
            y0 as f64,
            (x1 - x0 + 1) as f64,
            (y1 - y0 + 1) as f64,
        ],
    )
}

/// Writes the labelled images of `split` (all for `None`) as COCO under `out`.
pub fn export_coco(
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
        "coco",
        "exporting COCO",
        false,
        progress,
        |run| {
            let ExportRun {
                variant,
                root,
                todo,
                report,
            } = run;
            let photos = root.join("JPEGImages");
            std::fs::create_dir_all(&photos)
                .map_err(|e| FileError::new("cannot create", &photos, e))?;
            let per_image: Vec<(CocoImage, Vec<CocoAnnotation>, usize)> = todo
                .par_iter()
                .enumerate()
                .map(|(k, &i)| {
                    progress.check().map_err(|_| ProjectError::Cancelled)?;
                    let image = &project.file().images[i];
                    let source = project.image_path(i);
                    let bytes = std::fs::read(&source)
                        .map_err(|e| FileError::new("cannot read", &source, e))?;
                    atomic_write(&photos.join(&image.file), &bytes)?;
                    let image_id = k as u64 + 1;
                    let mut annotations = Vec::new();
                    let mut left_out = 0;
                    for inst in project.instances(i) {
                        let Some(VariantTarget::Label(label)) = variant.mapping.get(&inst.class_id)
                        else {
                            left_out += 1;
                            continue;
                        };
                        let mask = instance_mask(inst, image.width, image.height);
                        let (area, bbox) = area_and_bbox(&mask, image.width);
                        if area == 0.0 {
                            left_out += 1;
                            continue;
                        }
                        let segmentation = if inst.hole_count() == 0 {
                            Segmentation::Polygons(
                                inst.parts
                                    .iter()
                                    .map(|p| {
                                        p.outer
                                            .iter()
                                            .flat_map(|&[x, y]| [f64::from(x), f64::from(y)])
                                            .collect()
                                    })
                                    .collect(),
                            )
                        } else {
                            Segmentation::Rle(Rle::encode(&mask, image.width, image.height))
                        };
                        annotations.push(CocoAnnotation {
                            id: 0,
                            image_id,
                            category_id: u64::from(*label),
                            segmentation,
                            area,
                            bbox,
                            iscrowd: 0,
                        });
                    }
                    progress.advance(1);
                    Ok((
                        CocoImage {
                            id: image_id,
                            file_name: image.file.clone(),
                            width: image.width,
                            height: image.height,
                        },
                        annotations,
                        left_out,
                    ))
                })
                .collect::<Result<_, ProjectError>>()?;
            let mut file = CocoFile {
                images: Vec::new(),
                categories: variant
                    .labels
                    .iter()
                    .enumerate()
                    .map(|(k, name)| CocoCategory {
                        id: k as u64 + 1,
                        name: name.clone(),
                        supercategory: "none".into(),
                    })
                    .collect(),
                annotations: Vec::new(),
            };
            let mut left_out = 0;
            for (image, annotations, skipped) in per_image {
                file.images.push(image);
                left_out += skipped;
                for mut annotation in annotations {
                    annotation.id = file.annotations.len() as u64 + 1;
                    file.annotations.push(annotation);
                }
            }
            if left_out > 0 {
                report.warnings.push(format!(
            "{left_out} instances are not annotations: ignore regions, classes the variant ignores, or empty ones"
        ));
            }
            let path = root.join("annotations.json");
            let json = serde_json::to_vec(&file).map_err(|e| {
                ProjectError::Other(format!("cannot write {}: {e}", path.display()))
            })?;
            atomic_write(&path, &json)?;
            Ok(())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rle_is_column_major_and_starts_with_background() {
        // 3 wide, 2 high:  row 0 = 0 1 1, row 1 = 0 0 1.
        let mask = [0, 1, 1, 0, 0, 1];
        let rle = Rle::encode(&mask, 3, 2);
        // Column by column, top to bottom: 0 0 | 1 0 | 1 1 → runs of 2 zeros, 1 one, 1 zero, 2 ones.
        assert_eq!(rle.counts, [2, 1, 1, 2]);
        assert_eq!(rle.size, [2, 3]);
        assert_eq!(rle.decode().unwrap(), mask);
        let starts_set = Rle::encode(&[1, 0, 0, 0], 2, 2);
        assert_eq!(
            starts_set.counts,
            [0, 1, 3],
            "a leading zero-length background run"
        );
        let bad = Rle {
            counts: vec![1, 2],
            size: [2, 2],
        };
        assert_eq!(bad.decode(), None);
    }

    #[test]
    fn area_and_bbox_of_a_mask() {
        let mut mask = vec![0u8; 10 * 8];
        for y in 2..5 {
            for x in 3..7 {
                mask[y * 10 + x] = 1;
            }
        }
        assert_eq!(area_and_bbox(&mask, 10), (12.0, [3.0, 2.0, 4.0, 3.0]));
        assert_eq!(area_and_bbox(&[0; 4], 2), (0.0, [0.0; 4]));
    }
}
