//! Reading a COCO instances file for an import, as CVAT, detectron2 and our own export write it:
//! polygons (each polygon a part of the instance), uncompressed RLE and compressed RLE (the string
//! form of pycocotools), traced exactly with their holes. Crowd annotations come in like the others.
//!
//! Photos are looked for beside the file, in `images/` or `JPEGImages/` there, or — for CVAT's
//! `annotations/instances_default.json` — in `../images/`; `--images DIR` says where they are. A
//! `file_name` that would lead out of that folder is refused.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::foreign::{
    ForeignDataset, ForeignImage, ForeignObject, ImportOptions, ImportReport, PhotoSource,
    contained_path,
};
use crate::formats::coco::Rle;
use crate::geometry::{Point, trace_label_components};
use crate::label::ProjectChanges;
use crate::progress::Progress;
use crate::project::{Part, Project, ProjectError};

#[derive(Debug, Deserialize)]
struct File {
    images: Vec<Image>,
    #[serde(default)]
    categories: Vec<Category>,
    #[serde(default)]
    annotations: Vec<Annotation>,
}

#[derive(Debug, Deserialize)]
struct Image {
    id: u64,
    file_name: String,
    width: u32,
    height: u32,
}

#[derive(Debug, Deserialize)]
struct Category {
    id: u64,
    name: String,
}

#[derive(Debug, Deserialize)]
struct Annotation {
    #[serde(default)]
    id: Option<u64>,
    image_id: u64,
    category_id: u64,
    #[serde(default)]
    segmentation: Option<Segmentation>,
    #[serde(default)]
    bbox: Option<[f64; 4]>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Segmentation {
    Polygons(Vec<Vec<f64>>),
    Rle { counts: Counts, size: [u32; 2] },
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Counts {
    Runs(Vec<u32>),
    Compressed(String),
}

/// Imports the COCO files of `options.paths`.
pub fn import_coco(
    project: &Project,
    options: &ImportOptions,
    progress: &Progress,
) -> Result<(ProjectChanges, ImportReport), ProjectError> {
    super::ForeignFormat::Coco.import(project, options, progress)
}

/// The folder that holds a COCO file's photos.
fn photo_dir(json: &Path, first: Option<&str>) -> PathBuf {
    let dir = json.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut candidates = vec![dir.join("images"), dir.join("JPEGImages")];
    if let Some(parent) = dir.parent() {
        candidates.push(parent.join("images"));
    }
    candidates.insert(0, dir.clone());
    first
        .and_then(|name| candidates.iter().find(|c| c.join(name).is_file()).cloned())
        .unwrap_or(dir)
}

/// Reads one COCO file into photos and objects; a syntax or field error names the file, line and
/// column, and an annotation that cannot be used is a warning naming its id.
pub fn read_coco(json: &Path, images_dir: Option<&Path>) -> Result<ForeignDataset, ProjectError> {
    let text = std::fs::read_to_string(json)
        .map_err(|e| ProjectError::Other(format!("cannot read {} ({e})", json.display())))?;
    parse_coco(&text, json, images_dir)
}

/// [`read_coco`] of a file's text.
pub fn parse_coco(
    text: &str,
    json: &Path,
    images_dir: Option<&Path>,
) -> Result<ForeignDataset, ProjectError> {
    let file: File = serde_json::from_str(text).map_err(|e| ProjectError::Parse {
        path: json.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let root = images_dir.map_or_else(
        || photo_dir(json, file.images.first().map(|i| i.file_name.as_str())),
        Path::to_path_buf,
    );
    let names: HashMap<u64, &str> = file
        .categories
        .iter()
        .map(|c| (c.id, c.name.as_str()))
        .collect();
    let mut dataset = ForeignDataset {
        format: "COCO".into(),
        files: 1,
        ..ForeignDataset::default()
    };
    let mut index: HashMap<u64, usize> = HashMap::new();
    for image in &file.images {
        if let Some(problem) = crate::imageio::size_problem(image.width, image.height) {
            dataset.skipped.push(format!(
                "{}: image {} ({}): {problem}",
                json.display(),
                image.id,
                image.file_name
            ));
            continue;
        }
        match contained_path(&root, &root, &image.file_name, json) {
            Ok(photo) => {
                index.insert(image.id, dataset.images.len());
                dataset.images.push(ForeignImage {
                    origin: json.to_path_buf(),
                    photo: PhotoSource::File(photo),
                    size: Some((image.width, image.height)),
                    split: None,
                    objects: Vec::new(),
                    warnings: Vec::new(),
                });
            }
            Err(err) => dataset.skipped.push(err),
        }
    }
    for (k, ann) in file.annotations.iter().enumerate() {
        let at = || {
            format!(
                "{}: annotation {}",
                json.display(),
                ann.id.unwrap_or(k as u64 + 1)
            )
        };
        let Some(&slot) = index.get(&ann.image_id) else {
            dataset.warnings.push(format!(
                "{}: image {} is not in the file; skipped",
                at(),
                ann.image_id
            ));
            continue;
        };
        let Some(label) = names.get(&ann.category_id) else {
            dataset.warnings.push(format!(
                "{}: category {} is not in the file; skipped",
                at(),
                ann.category_id
            ));
            continue;
        };
        let (w, h) = dataset.images[slot].size.unwrap_or_default();
        match annotation_parts(ann, w, h) {
            Ok(parts) if !parts.is_empty() => dataset.images[slot].objects.push(ForeignObject {
                label: (*label).to_owned(),
                parts,
            }),
            Ok(_) => dataset
                .warnings
                .push(format!("{}: it covers no pixel; skipped", at())),
            Err(problem) => dataset
                .warnings
                .push(format!("{}: {problem}; skipped", at())),
        }
    }
    Ok(dataset)
}

fn annotation_parts(ann: &Annotation, w: u32, h: u32) -> Result<Vec<Part>, String> {
    let clamp = |x: f64, y: f64| -> Point {
        [
            x.clamp(0.0, f64::from(w)) as f32,
            y.clamp(0.0, f64::from(h)) as f32,
        ]
    };
    match &ann.segmentation {
        Some(Segmentation::Polygons(polygons)) if !polygons.is_empty() => {
            let mut parts = Vec::new();
            for polygon in polygons {
                if polygon.iter().any(|v| !v.is_finite()) {
                    return Err("a coordinate is not a number".into());
                }
                if polygon.len() < 6 || polygon.len() % 2 != 0 {
                    return Err(format!(
                        "a polygon of {} numbers (needs an even number ≥ 6)",
                        polygon.len()
                    ));
                }
                parts.push(Part::solid(
                    polygon.chunks_exact(2).map(|c| clamp(c[0], c[1])).collect(),
                ));
            }
            Ok(parts)
        }
        Some(Segmentation::Rle { counts, size }) => {
            if *size != [h, w] {
                return Err(format!(
                    "the RLE is {}x{} but the image {w}x{h}",
                    size[1], size[0]
                ));
            }
            let runs = match counts {
                Counts::Runs(runs) => runs.clone(),
                Counts::Compressed(text) => decompress_counts(text)?,
            };
            let mask = Rle {
                counts: runs,
                size: *size,
            }
            .decode()
            .ok_or("the RLE's runs do not add up to the image")?;
            Ok(trace_label_components(&mask, w, h, Some(0))
                .into_iter()
                .map(|c| Part {
                    outer: c.outer,
                    holes: c.holes.into_iter().map(|(ring, _)| ring).collect(),
                })
                .collect())
        }
        // No segmentation: the box, as detection datasets have it.
        _ => match ann.bbox {
            Some([x, y, bw, bh])
                if bw > 0.0 && bh > 0.0 && [x, y, bw, bh].iter().all(|v| v.is_finite()) =>
            {
                Ok(vec![Part::solid(vec![
                    clamp(x, y),
                    clamp(x + bw, y),
                    clamp(x + bw, y + bh),
                    clamp(x, y + bh),
                ])])
            }
            _ => Err("no segmentation and no box".into()),
        },
    }
}

/// The runs of pycocotools' compressed RLE string (`rleFrString`): 5 bits per character from `0`,
/// a continuation bit, a sign bit on the last, and each run after the second stored as the
/// difference to the run two before.
pub fn decompress_counts(text: &str) -> Result<Vec<u32>, String> {
    let bytes = text.as_bytes();
    let mut counts: Vec<i64> = Vec::new();
    let mut p = 0;
    while p < bytes.len() {
        let (mut x, mut k) = (0i64, 0u32);
        loop {
            let c = i64::from(
                bytes
                    .get(p)
                    .copied()
                    .ok_or("the RLE string ends in a run")?,
            ) - 48;
            if !(0..64).contains(&c) || k > 12 {
                return Err("the RLE string has a character out of its alphabet".into());
            }
            x |= (c & 0x1f) << (5 * k);
            p += 1;
            k += 1;
            if c & 0x20 == 0 {
                if c & 0x10 != 0 {
                    x |= -1i64 << (5 * k);
                }
                break;
            }
        }
        if counts.len() > 2 {
            x += counts[counts.len() - 2];
        }
        counts.push(x);
    }
    counts
        .into_iter()
        .map(|c| u32::try_from(c).map_err(|_| format!("the RLE string holds a run of {c}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::formats::coco::compress_counts as compress;

    #[test]
    fn compressed_rle_decodes_hand_worked_and_round_trip_cases() {
        // [3, 40] : 3 → '3'; 40 = 0b101000 → low 5 bits 8 with the continuation bit (8|32 = 40 →
        // 'X'), then 1 → '1'.
        assert_eq!(decompress_counts("3X1").unwrap(), [3, 40]);
        assert_eq!(compress(&[3, 40]), "3X1");
        let runs = [0, 5, 1000, 7, 3, 123_456, 2, 2, 90];
        assert_eq!(decompress_counts(&compress(&runs)).unwrap(), runs);
        assert!(decompress_counts("3X").is_err(), "ends inside a run");
        assert!(decompress_counts("~~~~~~~~~~~~~~~~").is_err());
    }
}
