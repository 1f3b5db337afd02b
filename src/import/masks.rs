//! Import of photo + class-id mask pairs as editable polygon instances.
//!
//! Each connected region of a class in a mask becomes one instance (outer ring plus holes), simplified
//! within the project's tolerance; regions and holes smaller than the speck size are dropped and counted.
//! Photos are matched to masks by their path relative to the two folders (`images/axis/axis_001.jpg` ↔
//! `labels/axis/axis_001.png`); a photo without a mask comes in unlabelled.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::geometry::{Point, simplify_faithfully, trace_label_components};
use crate::imageio::{LabelImage, decode_photo, read_label_png};
use crate::label::ProjectChanges;
use crate::progress::{Cancelled, Progress};
use crate::project::fsio::{FileError, atomic_write};
use crate::project::{
    AnnotationFile, AnnotationState, ClassId, ImageEntry, Instance, Part, Project, ProjectError,
    SCHEMA_VERSION, Split, Tool, annotation_path, write_annotation_file,
};

/// What to import and how.
#[derive(Clone, Debug)]
pub struct MaskImportOptions {
    pub images_dir: PathBuf,
    pub masks_dir: PathBuf,
    /// The mask value of the background (the seed's masks use 19); 0 is background too.
    pub background: u8,
    /// Per class (the majority class of each mask), the photos sorted by name go: the first `[0]` to
    /// train, the next `[1]` to val, the next `[2]` to test; any further ones stay unassigned.
    pub split_per_class: Option<[usize; 3]>,
    /// Regions and holes smaller than this many pixels are dropped.
    pub min_region_px: u32,
    /// Simplification tolerance in pixels.
    pub simplify_px: f32,
}

/// Parses the per-class split `TRAIN,VAL,TEST` (such as `22,4,4`) of [`MaskImportOptions`].
pub fn parse_split_counts(text: &str) -> Result<[usize; 3], String> {
    let err =
        || format!("the split needs three counts TRAIN,VAL,TEST such as 22,4,4, not {text:?}");
    let parts: Vec<&str> = text.split(',').collect();
    if parts.len() != 3 {
        return Err(err());
    }
    let mut counts = [0usize; 3];
    for (c, p) in counts.iter_mut().zip(parts) {
        *c = p.trim().parse().map_err(|_| err())?;
    }
    Ok(counts)
}

/// What an import did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MaskImportReport {
    pub photos: usize,
    pub labelled: usize,
    pub unlabelled: usize,
    pub instances: usize,
    pub specks_dropped: usize,
    pub holes_dropped: usize,
    pub train: usize,
    pub val: usize,
    pub test: usize,
    pub unassigned: usize,
    /// Photos that were not imported, each with the reason.
    pub skipped: Vec<String>,
    /// Problems that did not stop a photo from coming in (e.g. a mask of the wrong size: unlabelled).
    pub warnings: Vec<String>,
    pub seconds: f64,
}

/// The instances traced from one label image, and what was dropped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TracedMask {
    pub instances: Vec<Instance>,
    pub specks_dropped: usize,
    pub holes_dropped: usize,
    /// Pixels per class id, for the majority class.
    pub class_pixels: BTreeMap<ClassId, usize>,
    /// Values that are neither background nor a class, with their pixel counts.
    pub unknown_values: BTreeMap<u8, usize>,
}

/// Traces a label image into instances. `is_class(v)` says whether mask value `v` is a class id.
pub fn mask_to_instances(
    mask: &LabelImage,
    background: u8,
    is_class: impl Fn(u8) -> bool,
    min_region_px: u32,
    simplify_px: f32,
) -> TracedMask {
    let mut traced = TracedMask::default();
    let mut labels = mask.data.clone();
    for v in &mut labels {
        if *v == background || *v == 0 {
            *v = 0;
        } else if !is_class(*v) {
            *traced.unknown_values.entry(*v).or_default() += 1;
            *v = 0;
        }
    }
    let min_px = min_region_px as usize;
    for comp in trace_label_components(&labels, mask.width, mask.height, Some(0)) {
        if comp.pixels < min_px {
            traced.specks_dropped += 1;
            continue;
        }
        *traced
            .class_pixels
            .entry(ClassId::from(comp.label))
            .or_default() += comp.pixels;
        let kept_holes: Vec<Vec<Point>> = comp
            .holes
            .into_iter()
            .filter_map(|(hole, pixels)| {
                if pixels < min_px {
                    traced.holes_dropped += 1;
                    None
                } else {
                    Some(hole)
                }
            })
            .collect();
        let (outer, holes) = simplify_faithfully(&comp.outer, &kept_holes, simplify_px);
        let id = traced.instances.len() as u32 + 1;
        // One instance per connected region: the mask cannot say which regions are one object.
        traced.instances.push(Instance {
            id,
            class_id: ClassId::from(comp.label),
            parts: vec![Part { outer, holes }],
            order: id as i32,
            tool: Tool::MaskImport,
        });
    }
    traced
}

/// One photo found in the images folder.
struct Candidate {
    photo: PathBuf,
    /// Path relative to the images folder, `/`-separated, for sorting and messages.
    relative: String,
    mask: Option<PathBuf>,
    /// File name in the project's `images/`.
    target: String,
}

/// Result of importing one photo in parallel.
struct Imported {
    entry: ImageEntry,
    state: AnnotationState,
    relative: String,
    majority: Option<ClassId>,
    traced: TracedMask,
    warnings: Vec<String>,
}

const PHOTO_EXTENSIONS: [&str; 4] = ["jpg", "jpeg", "png", "bmp"];

fn find_photos(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), FileError> {
    let entries = std::fs::read_dir(dir).map_err(|e| FileError::new("cannot list", dir, e))?;
    for entry in entries {
        let path = entry
            .map_err(|e| FileError::new("cannot list", dir, e))?
            .path();
        if path.is_dir() {
            find_photos(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| PHOTO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Imports every photo under `options.images_dir` with its mask into the project in `project`'s
/// folder: copies the photos and writes their annotation files, and returns them as changes for
/// [`crate::label::LabelSession::merge`] (the project in memory is not touched, so edits made while
/// the import runs stay). A cancelled import takes back the files it wrote.
pub fn import_masks(
    project: &Project,
    options: &MaskImportOptions,
    progress: &Progress,
) -> Result<(ProjectChanges, MaskImportReport), ProjectError> {
    let started = Instant::now();
    for (dir, what) in [(&options.images_dir, "photo"), (&options.masks_dir, "mask")] {
        if !dir.is_dir() {
            return Err(ProjectError::Other(format!(
                "the {what} folder does not exist: {}",
                dir.display()
            )));
        }
    }
    let mut photos = Vec::new();
    find_photos(&options.images_dir, &mut photos)?;
    let candidates = plan_candidates(project, options, photos);
    let mut report = MaskImportReport::default();
    progress.start_stage("importing photos and masks", candidates.len() as u64);

    let class_ids: Vec<ClassId> = project.file().classes.iter().map(|c| c.id).collect();
    let is_class = |v: u8| class_ids.contains(&ClassId::from(v));
    let root = project.root().to_path_buf();
    let results: Vec<Result<Imported, String>> = candidates
        .par_iter()
        .map(|candidate| {
            if progress.is_cancelled() {
                return Err(String::from("cancelled"));
            }
            let result = import_one(&root, candidate, options, &is_class);
            progress.advance(1);
            result
        })
        .collect();
    if progress.check() == Err(Cancelled) {
        // Take back what the workers already wrote, so a cancelled import leaves the project as it was.
        for item in results.iter().flatten() {
            std::fs::remove_file(root.join("images").join(&item.entry.file)).ok();
            std::fs::remove_file(annotation_path(&root, &item.entry.file)).ok();
        }
        return Err(ProjectError::Cancelled);
    }

    let mut imported = Vec::new();
    for result in results {
        match result {
            Ok(item) => imported.push(item),
            Err(reason) => report.skipped.push(reason),
        }
    }
    // Splits per majority class, photos in name order.
    if let Some(counts) = options.split_per_class {
        let mut by_class: BTreeMap<ClassId, Vec<usize>> = BTreeMap::new();
        for (i, item) in imported.iter().enumerate() {
            if let Some(class) = item.majority {
                by_class.entry(class).or_default().push(i);
            }
        }
        for members in by_class.values_mut() {
            members.sort_by(|&a, &b| imported[a].relative.cmp(&imported[b].relative));
            for (rank, &i) in members.iter().enumerate() {
                imported[i].entry.split = if rank < counts[0] {
                    Some(Split::Train)
                } else if rank < counts[0] + counts[1] {
                    Some(Split::Val)
                } else if rank < counts[0] + counts[1] + counts[2] {
                    Some(Split::Test)
                } else {
                    None
                };
            }
        }
    }
    imported.sort_by(|a, b| a.relative.cmp(&b.relative));
    let mut changes = ProjectChanges::default();
    for item in imported {
        report.photos += 1;
        if matches!(item.state, AnnotationState::Labelled(_)) {
            report.labelled += 1;
        } else {
            report.unlabelled += 1;
        }
        match item.entry.split {
            Some(Split::Train) => report.train += 1,
            Some(Split::Val) => report.val += 1,
            Some(Split::Test) => report.test += 1,
            None => report.unassigned += 1,
        }
        report.instances += item.traced.instances.len();
        report.specks_dropped += item.traced.specks_dropped;
        report.holes_dropped += item.traced.holes_dropped;
        report.warnings.extend(item.warnings);
        changes.new_images.push((item.entry, item.state));
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok((changes, report))
}

/// Pairs photos with masks and picks unique file names in the project.
fn plan_candidates(
    project: &Project,
    options: &MaskImportOptions,
    mut photos: Vec<PathBuf>,
) -> Vec<Candidate> {
    photos.sort();
    let mut taken: std::collections::HashSet<String> = project
        .file()
        .images
        .iter()
        .map(|i| i.file.clone())
        .collect();
    photos
        .into_iter()
        .map(|photo| {
            let rel = photo
                .strip_prefix(&options.images_dir)
                .unwrap_or(&photo)
                .to_path_buf();
            let relative = rel.to_string_lossy().replace('\\', "/");
            let mask = options.masks_dir.join(rel.with_extension("png"));
            let file_name = photo
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            // Flatten sub-folders; on a name clash, prefix the folder path.
            let mut target = file_name.clone();
            if taken.contains(&target) {
                target = relative.replace('/', "__");
            }
            let mut n = 2;
            while taken.contains(&target) {
                target = format!("{n}__{file_name}");
                n += 1;
            }
            taken.insert(target.clone());
            Candidate {
                photo,
                relative,
                mask: mask.is_file().then_some(mask),
                target,
            }
        })
        .collect()
}

fn import_one(
    root: &Path,
    candidate: &Candidate,
    options: &MaskImportOptions,
    is_class: &(impl Fn(u8) -> bool + Sync),
) -> Result<Imported, String> {
    let bytes = std::fs::read(&candidate.photo)
        .map_err(|e| format!("cannot read the photo ({e}): {}", candidate.photo.display()))?;
    let photo = decode_photo(&candidate.photo, &bytes).map_err(|e| e.to_string())?;
    let (width, height) = photo.dimensions();
    drop(photo);
    let mut warnings = Vec::new();
    let mut traced = TracedMask::default();
    if let Some(mask_path) = &candidate.mask {
        match read_label_png(mask_path) {
            Ok(mask) if (mask.width, mask.height) != (width, height) => warnings.push(format!(
                "the mask is {}x{} but its photo {} is {width}x{height}; the photo comes in unlabelled: {}",
                mask.width,
                mask.height,
                candidate.photo.display(),
                mask_path.display()
            )),
            Ok(mask) => {
                traced = mask_to_instances(&mask, options.background, is_class, options.min_region_px, options.simplify_px);
                for (value, count) in &traced.unknown_values {
                    warnings.push(format!(
                        "{count} pixels have value {value}, which is no class; treated as background: {}",
                        mask_path.display()
                    ));
                }
            }
            Err(e) => warnings.push(format!("{e}; the photo comes in unlabelled")),
        }
    }
    let target_path = root.join("images").join(&candidate.target);
    atomic_write(&target_path, &bytes).map_err(|e| e.to_string())?;
    let entry = ImageEntry {
        file: candidate.target.clone(),
        width,
        height,
        split: None,
        done: false,
    };
    let state = if traced.instances.is_empty() {
        AnnotationState::Unlabelled
    } else {
        let annotation = AnnotationFile {
            schema_version: SCHEMA_VERSION,
            image: candidate.target.clone(),
            instances: traced.instances.clone(),
        };
        write_annotation_file(root, &annotation).map_err(|e| e.to_string())?;
        AnnotationState::Labelled(annotation)
    };
    let majority = traced
        .class_pixels
        .iter()
        .max_by_key(|&(id, px)| (*px, std::cmp::Reverse(*id)))
        .map(|(&id, _)| id);
    Ok(Imported {
        entry,
        state,
        relative: candidate.relative.clone(),
        majority,
        traced,
        warnings,
    })
}
