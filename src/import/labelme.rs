//! Import of LabelMe JSON files: each file's photo (next to it, or embedded as `imageData`) and its
//! shapes as instances.
//!
//! Labels become classes through a mapping: a class of the same name, an explicit choice per label
//! (another class, create, skip, ignore), and a policy for the rest. `_background_` is skipped and
//! `__ignore__` becomes an ignore region, as labelme's own tools treat them. A photo already in the
//! project (same file name, same bytes) gets the file's instances as an edit merged through the label
//! session (an edit made meanwhile wins); any other photo is copied in under a name of its own.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::formats::labelme::{LabelmeFile, decode_base64, objects, parse_labelme};
use crate::imageio::decode_photo;
use crate::label::{AnnotationChange, ProjectChanges};
use crate::progress::Progress;
use crate::project::fsio::atomic_write;
use crate::project::{
    AnnotationFile, AnnotationState, ClassId, IGNORE_CLASS, ImageEntry, Instance, MAX_CLASS_ID,
    Project, ProjectError, SCHEMA_VERSION, Tool, annotation_path, write_annotation_file,
};

/// What to do with one label.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClassChoice {
    /// Into the project's class of this name.
    Class(String),
    /// Create a class of the label's name.
    Create,
    /// Leave shapes of this label out.
    Skip,
    /// Make them ignore regions.
    Ignore,
}

/// What to do with labels that neither name a class nor have a choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnknownLabels {
    /// Create a class for each.
    #[default]
    Create,
    Skip,
    /// Stop before writing anything and list them.
    Refuse,
}

/// How an import maps labels to classes (`--map FILE` is this, in RON).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClassMapping {
    pub labels: BTreeMap<String, ClassChoice>,
    pub unknown: UnknownLabels,
}

/// What to import.
#[derive(Clone, Debug, Default)]
pub struct LabelmeImportOptions {
    /// JSON files, or folders searched for them.
    pub paths: Vec<PathBuf>,
    pub mapping: ClassMapping,
    /// Generations of the project's images when the import was started (the studio passes them, so
    /// an edit made while the import runs wins); missing images count as 0.
    pub base_generations: HashMap<String, u64>,
}

/// What an import did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LabelmeImportReport {
    pub files: usize,
    pub photos_added: usize,
    /// Photos already in the project whose instances the files replace.
    pub photos_updated: usize,
    pub instances: usize,
    pub classes_created: Vec<String>,
    /// Labels left out, with their shape counts.
    pub labels_skipped: BTreeMap<String, usize>,
    /// Files that were not imported, each with the reason.
    pub skipped: Vec<String>,
    /// Shapes that could not be used, and similar notes.
    pub warnings: Vec<String>,
    pub seconds: f64,
}

/// Where a label goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Class(ClassId),
    Skip,
}

fn find_json(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), ProjectError> {
    if path.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let entries = std::fs::read_dir(path).map_err(|e| {
        ProjectError::Other(format!(
            "cannot read {} ({e}): give LabelMe JSON files or folders of them",
            path.display()
        ))
    })?;
    for entry in entries.filter_map(Result::ok) {
        let p = entry.path();
        if p.is_dir() {
            find_json(&p, out)?;
        } else if p
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            out.push(p);
        }
    }
    Ok(())
}

/// Decides every label's target; new classes get provisional ids after the project's.
fn resolve_labels(
    project: &Project,
    labels: &BTreeSet<String>,
    mapping: &ClassMapping,
    changes: &mut ProjectChanges,
    report: &mut LabelmeImportReport,
) -> Result<HashMap<String, Target>, ProjectError> {
    let by_name = |name: &str| {
        project
            .file()
            .classes
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.id)
    };
    let mut next = project
        .file()
        .classes
        .iter()
        .map(|c| c.id)
        .max()
        .unwrap_or(0)
        + 1;
    let mut targets = HashMap::new();
    let mut refused = Vec::new();
    for label in labels {
        let choice = mapping
            .labels
            .get(label)
            .cloned()
            .or_else(|| match label.as_str() {
                "_background_" => Some(ClassChoice::Skip),
                "__ignore__" => Some(ClassChoice::Ignore),
                _ => by_name(label).map(|_| ClassChoice::Class(label.clone())),
            });
        let choice = match (choice, mapping.unknown) {
            (Some(choice), _) => choice,
            (None, UnknownLabels::Create) => ClassChoice::Create,
            (None, UnknownLabels::Skip) => ClassChoice::Skip,
            (None, UnknownLabels::Refuse) => {
                refused.push(label.clone());
                continue;
            }
        };
        let target = match choice {
            ClassChoice::Class(name) => Target::Class(by_name(&name).ok_or_else(|| {
                ProjectError::Other(format!(
                    "the mapping sends {label:?} to class {name:?}, which the project does not have"
                ))
            })?),
            ClassChoice::Ignore => Target::Class(IGNORE_CLASS),
            ClassChoice::Skip => Target::Skip,
            ClassChoice::Create => {
                if let Some(id) = by_name(label) {
                    Target::Class(id)
                } else {
                    if next > MAX_CLASS_ID {
                        return Err(ProjectError::Other(format!(
                            "cannot create class {label:?}: class ids 1..={MAX_CLASS_ID} are all taken"
                        )));
                    }
                    changes.new_classes.push(label.clone());
                    changes.class_ids.push(next);
                    report.classes_created.push(label.clone());
                    next += 1;
                    Target::Class(next - 1)
                }
            }
        };
        targets.insert(label.clone(), target);
    }
    if !refused.is_empty() {
        return Err(ProjectError::Other(format!(
            "labels without a class: {}; map them (--map FILE), or pass --unknown create or skip",
            refused.join(", ")
        )));
    }
    Ok(targets)
}

/// One parsed file.
struct Parsed {
    json: PathBuf,
    file: LabelmeFile,
}

/// One file's photo and instances, ready to go in.
struct Prepared {
    bytes: Vec<u8>,
    /// The file name the photo has where it comes from.
    name: String,
    width: u32,
    height: u32,
    instances: Vec<Instance>,
    warnings: Vec<String>,
    skipped_labels: BTreeMap<String, usize>,
}

/// Imports LabelMe files into the project in `project`'s folder. Photos are copied and their
/// annotation files written; everything is returned as changes for the label session to merge. A
/// cancelled import takes back the files it wrote.
pub fn import_labelme(
    project: &Project,
    options: &LabelmeImportOptions,
    progress: &Progress,
) -> Result<(ProjectChanges, LabelmeImportReport), ProjectError> {
    let started = Instant::now();
    let mut jsons = Vec::new();
    for path in &options.paths {
        find_json(path, &mut jsons)?;
    }
    jsons.sort();
    jsons.dedup();
    let mut report = LabelmeImportReport::default();
    progress.start_stage("reading LabelMe files", jsons.len() as u64);
    let mut parsed = Vec::new();
    for json in jsons {
        progress.check().map_err(|_| ProjectError::Cancelled)?;
        let text = std::fs::read_to_string(&json)
            .map_err(|e| format!("cannot read ({e}): {}", json.display()));
        match text.and_then(|t| parse_labelme(&t, &json).map_err(|e| e.to_string())) {
            Ok(file) => parsed.push(Parsed { json, file }),
            Err(err) => report.skipped.push(err),
        }
        progress.advance(1);
    }
    report.files = parsed.len();
    // Labels of the shapes that will become instances (a line's label makes no class).
    let labels: BTreeSet<String> = parsed
        .iter()
        .flat_map(|p| objects(&p.file, &p.json).0.into_iter().map(|o| o.label))
        .collect();
    let mut changes = ProjectChanges::default();
    let targets = resolve_labels(
        project,
        &labels,
        &options.mapping,
        &mut changes,
        &mut report,
    )?;

    progress.start_stage("importing LabelMe photos", parsed.len() as u64);
    let prepared: Vec<Result<Prepared, String>> = parsed
        .par_iter()
        .map(|p| {
            progress.check().map_err(|_| "cancelled".to_owned())?;
            let result = prepare(p, &targets);
            progress.advance(1);
            result
        })
        .collect();
    progress.check().map_err(|_| ProjectError::Cancelled)?;

    let root = project.root().to_path_buf();
    let mut taken: HashSet<String> = project
        .file()
        .images
        .iter()
        .map(|i| i.file.clone())
        .collect();
    let mut written: Vec<PathBuf> = Vec::new();
    let outcome = (|| -> Result<(), ProjectError> {
        for item in prepared {
            progress.check().map_err(|_| ProjectError::Cancelled)?;
            let item = match item {
                Ok(item) => item,
                Err(err) => {
                    report.skipped.push(err);
                    continue;
                }
            };
            report.warnings.extend(item.warnings);
            for (label, n) in item.skipped_labels {
                *report.labels_skipped.entry(label).or_default() += n;
            }
            report.instances += item.instances.len();
            // The same photo already in the project: its instances are an edit to merge.
            if let Some(index) = project.image_index(&item.name)
                && std::fs::read(project.image_path(index)).is_ok_and(|b| b == item.bytes)
            {
                changes.annotations.push(AnnotationChange {
                    image: item.name.clone(),
                    base_generation: options
                        .base_generations
                        .get(&item.name)
                        .copied()
                        .unwrap_or(0),
                    instances: item.instances,
                    source: "LabelMe import".into(),
                });
                report.photos_updated += 1;
                continue;
            }
            let target = unique_name(&item.name, &mut taken);
            let photo = root.join("images").join(&target);
            atomic_write(&photo, &item.bytes)?;
            written.push(photo);
            let state = if item.instances.is_empty() {
                AnnotationState::Unlabelled
            } else {
                let annotation = AnnotationFile {
                    schema_version: SCHEMA_VERSION,
                    image: target.clone(),
                    instances: item.instances,
                };
                write_annotation_file(&root, &annotation)?;
                written.push(annotation_path(&root, &target));
                AnnotationState::Labelled(annotation)
            };
            report.photos_added += 1;
            changes.new_images.push((
                ImageEntry {
                    file: target,
                    width: item.width,
                    height: item.height,
                    split: None,
                },
                state,
            ));
        }
        Ok(())
    })();
    if let Err(err) = outcome {
        // Take back what was written, so a cancelled or failed import leaves the project as it was.
        for path in written {
            std::fs::remove_file(path).ok();
        }
        return Err(err);
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok((changes, report))
}

/// A file name for the photo that no image of the project has.
fn unique_name(name: &str, taken: &mut HashSet<String>) -> String {
    let mut target = name.to_owned();
    let mut n = 2;
    while taken.contains(&target) {
        target = format!("{n}__{name}");
        n += 1;
    }
    taken.insert(target.clone());
    target
}

/// Reads a file's photo and turns its shapes into instances.
fn prepare(p: &Parsed, targets: &HashMap<String, Target>) -> Result<Prepared, String> {
    let file = &p.file;
    let dir = p.json.parent().unwrap_or(Path::new("."));
    let (bytes, name) = match &file.image_data {
        Some(data) if !data.is_empty() => {
            let bytes =
                decode_base64(data).map_err(|e| format!("imageData {e}: {}", p.json.display()))?;
            let name = embedded_name(&p.json, &file.image_path, &bytes);
            (bytes, name)
        }
        _ => {
            let photo = dir.join(&file.image_path);
            let bytes = std::fs::read(&photo).map_err(|e| {
                format!(
                    "cannot read its photo {} ({e}): {}",
                    photo.display(),
                    p.json.display()
                )
            })?;
            (bytes, plain_name(&photo))
        }
    };
    let rgb = decode_photo(Path::new(&name), &bytes)
        .map_err(|e| format!("{e} (the photo of {})", p.json.display()))?;
    let (width, height) = rgb.dimensions();
    if (width, height) != (file.image_width, file.image_height) {
        return Err(format!(
            "its photo is {width}x{height} but the file says {}x{}: {}",
            file.image_width,
            file.image_height,
            p.json.display()
        ));
    }
    let (objects, warnings) = objects(file, &p.json);
    let mut skipped_labels = BTreeMap::new();
    let mut instances = Vec::new();
    for object in objects {
        match targets.get(&object.label) {
            Some(Target::Class(class_id)) => {
                let id = instances.len() as u32 + 1;
                instances.push(Instance {
                    id,
                    class_id: *class_id,
                    parts: object.parts,
                    order: id as i32,
                    tool: Tool::LabelmeImport,
                });
            }
            Some(Target::Skip) | None => {
                *skipped_labels.entry(object.label).or_default() += 1;
            }
        }
    }
    Ok(Prepared {
        bytes,
        name,
        width,
        height,
        instances,
        warnings,
        skipped_labels,
    })
}

/// A plain file name for a photo (the last component, never a hidden or path-like name).
fn plain_name(photo: &Path) -> String {
    let name = photo
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let name = name.trim_start_matches('.').replace(['/', '\\'], "_");
    if name.is_empty() {
        "photo".into()
    } else {
        name
    }
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
