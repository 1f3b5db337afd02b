//! Reading LabelMe JSON files for an import: each file's photo (next to it, or embedded as
//! `imageData`) and its shapes as objects; [`super::foreign`] brings them in.

use std::path::{Path, PathBuf};

use super::foreign::{
    ForeignDataset, ForeignImage, ForeignObject, ImportOptions, ImportReport, PhotoSource,
    contained_path, find_files, plain_name,
};
use crate::formats::labelme::{decode_base64, objects, parse_labelme};
use crate::label::ProjectChanges;
use crate::progress::Progress;
use crate::project::{Project, ProjectError};

/// Imports the LabelMe files of `options.paths` (files, or folders searched for `.json` files).
pub fn import_labelme(
    project: &Project,
    options: &ImportOptions,
    progress: &Progress,
) -> Result<(ProjectChanges, ImportReport), ProjectError> {
    super::ForeignFormat::Labelme.import(project, options, progress)
}

/// Reads LabelMe files; a photo path must stay inside the folder given (for a file, its folder).
pub fn read_labelme(
    paths: &[PathBuf],
    progress: &Progress,
) -> Result<ForeignDataset, ProjectError> {
    let mut jsons: Vec<(PathBuf, PathBuf)> = Vec::new();
    for path in paths {
        let root = if path.is_file() {
            path.parent().unwrap_or(Path::new(".")).to_path_buf()
        } else {
            path.clone()
        };
        for json in find_files(path, &["json"])? {
            jsons.push((json, root.clone()));
        }
    }
    jsons.sort();
    jsons.dedup_by(|a, b| a.0 == b.0);
    let mut dataset = ForeignDataset {
        format: "LabelMe".into(),
        ..ForeignDataset::default()
    };
    progress.start_stage("reading LabelMe files", jsons.len() as u64);
    for (json, root) in jsons {
        progress.check().map_err(|_| ProjectError::Cancelled)?;
        match read_one(&json, &root) {
            Ok(image) => dataset.images.push(image),
            Err(err) => dataset.skipped.push(err),
        }
        progress.advance(1);
    }
    dataset.files = dataset.images.len();
    Ok(dataset)
}

fn read_one(json: &Path, root: &Path) -> Result<ForeignImage, String> {
    let text = std::fs::read_to_string(json)
        .map_err(|e| format!("{}: cannot read ({e})", json.display()))?;
    let file = parse_labelme(&text, json).map_err(|e| e.to_string())?;
    let dir = json.parent().unwrap_or(Path::new("."));
    let photo = match &file.image_data {
        Some(data) if !data.is_empty() => {
            let bytes =
                decode_base64(data).map_err(|e| format!("{}: imageData {e}", json.display()))?;
            let name = embedded_name(json, &file.image_path, &bytes);
            PhotoSource::Embedded { name, bytes }
        }
        _ => PhotoSource::File(contained_path(root, dir, &file.image_path, json)?),
    };
    let (objects, warnings) = objects(&file, json);
    Ok(ForeignImage {
        origin: json.to_path_buf(),
        photo,
        size: Some((file.image_width, file.image_height)),
        split: None,
        objects: objects
            .into_iter()
            .map(|o| ForeignObject {
                label: o.label,
                parts: o.parts,
            })
            .collect(),
        warnings,
    })
}

/// The name of an embedded photo: its `imagePath` when that is a photo's name, else the JSON's stem
/// with the extension of the embedded format.
fn embedded_name(json: &Path, image_path: &str, bytes: &[u8]) -> String {
    let from_path = plain_name(Path::new(image_path));
    let is_photo = Path::new(&from_path)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["jpg", "jpeg", "png", "bmp"].contains(&e.to_ascii_lowercase().as_str()));
    if is_photo {
        return from_path;
    }
    let ext = match image::guess_format(bytes) {
        Ok(image::ImageFormat::Png) => "png",
        _ => "jpg",
    };
    let stem = json
        .file_stem()
        .map_or_else(|| "photo".to_owned(), |s| s.to_string_lossy().into_owned());
    format!("{}.{ext}", plain_name(Path::new(&stem)))
}
