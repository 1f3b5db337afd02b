//! Reading a PASCAL VOC segmentation folder for an import (the layout [`crate::formats::voc`]
//! writes, and TF DeepLab's and labelme2voc's):
//!
//! - `SegmentationClass/<stem>.png` (palette or grey PNG of label ids) with its photo
//!   `JPEGImages/<stem>.jpg` (or `.jpeg`, `.png`);
//! - label names from `class_names.txt` (`labels.txt` too; first line the background), else
//!   `label_<id>` with a warning;
//! - splits from `ImageSets/Segmentation/{train,val,test}.txt`;
//! - `SegmentationObject/<stem>.png`, when there, tells the instances apart: each object id is one
//!   instance (its pieces its parts), over the pixels where the class mask has the object's class.
//!   Class pixels no object accounts for become one instance per connected region; without object
//!   masks every region is one. Label 255 (VOC's void) becomes ignore regions.
//!
//! Regions are traced exactly (no simplification): the class mask comes back pixel for pixel.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::foreign::{
    ForeignDataset, ForeignImage, ForeignObject, ImportOptions, ImportReport, PhotoSource,
    each_in_parallel,
};
use crate::geometry::trace_label_components;
use crate::imageio::read_label_png;
use crate::label::ProjectChanges;
use crate::progress::Progress;
use crate::project::{Part, Project, ProjectError, Split};

/// The label VOC marks void (object borders, unsure pixels) with.
const VOID: u8 = 255;

/// Imports the VOC folders of `options.paths`.
pub fn import_voc(
    project: &Project,
    options: &ImportOptions,
    progress: &Progress,
) -> Result<(ProjectChanges, ImportReport), ProjectError> {
    super::ForeignFormat::Voc.import(project, options, progress)
}

fn read_names(root: &Path) -> Result<Option<Vec<String>>, ProjectError> {
    for name in ["class_names.txt", "labels.txt"] {
        let path = root.join(name);
        if path.is_file() {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                ProjectError::Other(format!("cannot read {} ({e})", path.display()))
            })?;
            return Ok(Some(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ));
        }
    }
    Ok(None)
}

fn read_splits(root: &Path) -> HashMap<String, Split> {
    let mut splits = HashMap::new();
    for split in Split::ALL {
        let path = root.join(format!("ImageSets/Segmentation/{}.txt", split.name()));
        if let Ok(text) = std::fs::read_to_string(path) {
            for stem in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                splits.insert(stem.to_owned(), split);
            }
        }
    }
    splits
}

/// Reads one VOC folder.
pub fn read_voc(root: &Path, progress: &Progress) -> Result<ForeignDataset, ProjectError> {
    let class_dir = root.join("SegmentationClass");
    let entries = std::fs::read_dir(&class_dir).map_err(|e| {
        ProjectError::Other(format!(
            "cannot read {} ({e}): a VOC folder has SegmentationClass/ and JPEGImages/",
            class_dir.display()
        ))
    })?;
    let mut masks: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("png")))
        .collect();
    masks.sort();
    let mut dataset = ForeignDataset {
        format: "VOC".into(),
        files: masks.len(),
        ..ForeignDataset::default()
    };
    let names = read_names(root)?;
    if names.is_none() {
        dataset.warnings.push(format!(
            "{}: no class_names.txt; the labels are named label_1, label_2, …",
            root.display()
        ));
    }
    let label_name = |v: u8| -> String {
        if v == VOID {
            return "__ignore__".into();
        }
        names
            .as_ref()
            .and_then(|n| n.get(usize::from(v)).cloned())
            .unwrap_or_else(|| format!("label_{v}"))
    };
    let splits = read_splits(root);
    let read = each_in_parallel(&masks, "reading VOC masks", progress, |mask| {
        read_one(root, mask, &label_name, &splits)
    })?;
    for item in read {
        match item {
            Ok(image) => dataset.images.push(image),
            Err(err) => dataset.skipped.push(err),
        }
    }
    Ok(dataset)
}

fn read_one(
    root: &Path,
    mask_path: &Path,
    label_name: &(impl Fn(u8) -> String + Sync),
    splits: &HashMap<String, Split>,
) -> Result<ForeignImage, String> {
    let stem = mask_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let photo = ["jpg", "jpeg", "png", "JPG", "JPEG", "PNG"]
        .iter()
        .map(|ext| root.join("JPEGImages").join(format!("{stem}.{ext}")))
        .find(|p| p.is_file())
        .ok_or_else(|| format!("{}: no photo JPEGImages/{stem}.jpg", mask_path.display()))?;
    let classes = read_label_png(mask_path).map_err(|e| e.to_string())?;
    let (w, h) = (classes.width, classes.height);
    let object_path = root.join("SegmentationObject").join(format!("{stem}.png"));
    let objects_map = if object_path.is_file() {
        let objects = read_label_png(&object_path).map_err(|e| e.to_string())?;
        if (objects.width, objects.height) != (w, h) {
            return Err(format!(
                "{}: {}x{}, but its class mask is {w}x{h}",
                object_path.display(),
                objects.width,
                objects.height
            ));
        }
        Some(objects.data)
    } else {
        None
    };
    let mut objects = Vec::new();
    let mut claimed = vec![false; classes.data.len()];
    if let Some(ids) = &objects_map {
        // Each object's class: the commonest class under it (void and background aside).
        let mut votes: BTreeMap<u8, BTreeMap<u8, usize>> = BTreeMap::new();
        for (&o, &c) in ids.iter().zip(&classes.data) {
            if o != 0 && o != VOID && c != 0 && c != VOID {
                *votes.entry(o).or_default().entry(c).or_default() += 1;
            }
        }
        let class_of: BTreeMap<u8, u8> = votes
            .into_iter()
            .filter_map(|(o, v)| v.into_iter().max_by_key(|(_, n)| *n).map(|(c, _)| (o, c)))
            .collect();
        let mut mine = vec![0u8; ids.len()];
        for (i, (&o, &c)) in ids.iter().zip(&classes.data).enumerate() {
            if class_of.get(&o) == Some(&c) {
                mine[i] = o;
                claimed[i] = true;
            }
        }
        let mut parts: BTreeMap<u8, Vec<Part>> = BTreeMap::new();
        for comp in trace_label_components(&mine, w, h, Some(0)) {
            parts.entry(comp.label).or_default().push(part_of(comp));
        }
        for (o, parts) in parts {
            objects.push(ForeignObject {
                label: label_name(class_of[&o]),
                parts,
            });
        }
    }
    let rest: Vec<u8> = classes
        .data
        .iter()
        .zip(&claimed)
        .map(|(&c, &taken)| if taken { 0 } else { c })
        .collect();
    for comp in trace_label_components(&rest, w, h, Some(0)) {
        objects.push(ForeignObject {
            label: label_name(comp.label),
            parts: vec![part_of(comp)],
        });
    }
    Ok(ForeignImage {
        origin: mask_path.to_path_buf(),
        photo: PhotoSource::File(photo),
        size: Some((w, h)),
        split: splits.get(&stem).copied(),
        objects,
        warnings: Vec::new(),
    })
}

fn part_of(comp: crate::geometry::LabelComponent) -> Part {
    Part {
        outer: comp.outer,
        holes: comp.holes.into_iter().map(|(ring, _)| ring).collect(),
    }
}
