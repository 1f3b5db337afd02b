//! Reading a YOLO segmentation dataset (Ultralytics layout) for an import: class names from
//! `data.yaml`, photos under `images/`, each with `labels/…/<stem>.txt` at the same place under
//! `labels/`. The folder under `images/` gives the split (`train`, `val` or `valid`, `test`). Each
//! line is one instance (YOLO cannot group parts); box lines become rectangles. Coordinates are
//! scaled by the photo's size, read from its header.

use std::path::{Component, Path, PathBuf};

use super::foreign::{
    ForeignDataset, ForeignImage, ForeignObject, ImportOptions, ImportReport, PhotoSource,
    each_in_parallel, find_files,
};
use crate::formats::yolo::{parse_data_yaml_names, parse_yolo_labels};
use crate::imageio::photo_dimensions;
use crate::label::ProjectChanges;
use crate::progress::Progress;
use crate::project::{Part, Project, ProjectError, Split};

/// Imports the YOLO datasets of `options.paths` (folders with `data.yaml`, or the YAML files).
pub fn import_yolo(
    project: &Project,
    options: &ImportOptions,
    progress: &Progress,
) -> Result<(ProjectChanges, ImportReport), ProjectError> {
    super::ForeignFormat::Yolo.import(project, options, progress)
}

/// `labels/…/<stem>.txt` for `images/…/<file>`: the last `images` component becomes `labels`.
fn label_path(photo: &Path) -> Option<PathBuf> {
    let components: Vec<Component> = photo.components().collect();
    let k = components.iter().rposition(|c| c.as_os_str() == "images")?;
    let mut path = PathBuf::new();
    for (i, c) in components.iter().enumerate() {
        path.push(if i == k {
            "labels".as_ref()
        } else {
            c.as_os_str()
        });
    }
    Some(path.with_extension("txt"))
}

fn split_of(photo: &Path, images: &Path) -> Option<Split> {
    let first = photo.strip_prefix(images).ok()?.components().next()?;
    match first.as_os_str().to_str()? {
        "train" => Some(Split::Train),
        "val" | "valid" => Some(Split::Val),
        "test" => Some(Split::Test),
        _ => None,
    }
}

/// Reads one YOLO dataset.
pub fn read_yolo(path: &Path, progress: &Progress) -> Result<ForeignDataset, ProjectError> {
    let (root, yaml) = if path.is_file() {
        (
            path.parent().unwrap_or(Path::new(".")).to_path_buf(),
            path.to_path_buf(),
        )
    } else {
        let yaml = ["data.yaml", "data.yml", "dataset.yaml"]
            .iter()
            .map(|n| path.join(n))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                ProjectError::Other(format!(
                    "{}: no data.yaml (a YOLO dataset names its classes there)",
                    path.display()
                ))
            })?;
        (path.to_path_buf(), yaml)
    };
    let text = std::fs::read_to_string(&yaml)
        .map_err(|e| ProjectError::Other(format!("cannot read {} ({e})", yaml.display())))?;
    let names = parse_data_yaml_names(&text, &yaml)?;
    let images = root.join("images");
    let photos = find_files(&images, &["jpg", "jpeg", "png", "bmp"])?;
    let mut dataset = ForeignDataset {
        format: "YOLO".into(),
        ..ForeignDataset::default()
    };
    let read = each_in_parallel(&photos, "reading YOLO labels", progress, |photo| {
        read_one(photo, &images, &names)
    })?;
    for item in read {
        match item {
            Ok(Some(image)) => {
                dataset.files += 1;
                dataset.images.push(image);
            }
            Ok(None) => {}
            Err(err) => dataset.skipped.push(err),
        }
    }
    Ok(dataset)
}

fn read_one(photo: &Path, images: &Path, names: &[String]) -> Result<Option<ForeignImage>, String> {
    let Some(labels) = label_path(photo).filter(|p| p.is_file()) else {
        // A photo without a label file is a background image in YOLO: it comes in unlabelled.
        return Ok(Some(ForeignImage {
            origin: photo.to_path_buf(),
            photo: PhotoSource::File(photo.to_path_buf()),
            size: None,
            split: split_of(photo, images),
            objects: Vec::new(),
            warnings: Vec::new(),
        }));
    };
    let text = std::fs::read_to_string(&labels)
        .map_err(|e| format!("{}: cannot read ({e})", labels.display()))?;
    let polygons = parse_yolo_labels(&text, &labels).map_err(|e| e.to_string())?;
    let (w, h) = photo_dimensions(photo).map_err(|e| e.to_string())?;
    let mut warnings = Vec::new();
    let mut objects = Vec::new();
    for (n, polygon) in polygons.into_iter().enumerate() {
        let Some(label) = names.get(polygon.class) else {
            warnings.push(format!(
                "{}: polygon {}: class {} is not in data.yaml ({} names); skipped",
                labels.display(),
                n + 1,
                polygon.class,
                names.len()
            ));
            continue;
        };
        let outer = polygon
            .points
            .iter()
            .map(|&[x, y]| {
                [
                    (x.clamp(0.0, 1.0) * f64::from(w)) as f32,
                    (y.clamp(0.0, 1.0) * f64::from(h)) as f32,
                ]
            })
            .collect();
        objects.push(ForeignObject {
            label: label.clone(),
            parts: vec![Part::solid(outer)],
        });
    }
    Ok(Some(ForeignImage {
        origin: labels,
        photo: PhotoSource::File(photo.to_path_buf()),
        size: Some((w, h)),
        split: split_of(photo, images),
        objects,
        warnings,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_files_sit_under_labels_and_splits_come_from_the_folder() {
        let photo = Path::new("/d/images/val/a.b.jpg");
        assert_eq!(
            label_path(photo).unwrap(),
            Path::new("/d/labels/val/a.b.txt")
        );
        assert_eq!(split_of(photo, Path::new("/d/images")), Some(Split::Val));
        assert_eq!(
            split_of(Path::new("/d/images/x.jpg"), Path::new("/d/images")),
            None
        );
    }
}
