//! What every import of another tool's annotations shares: labels mapped to classes, photos copied
//! in under names of their own, instances merged through the label session.
//!
//! A format's reader turns its files into [`ForeignImage`]s (a photo, where it comes from, and its
//! objects as labelled parts); [`import_foreign`] does the rest. Labels become classes through a
//! mapping: a class of the same name, an explicit choice per label (another class, create, skip,
//! ignore), and a policy for the rest. `_background_` is skipped and `__ignore__` becomes an ignore
//! region, as labelme's own tools treat them. A photo already in the project (same file name, same
//! bytes) gets the file's instances as an edit merged through the label session (an edit made
//! meanwhile wins); any other photo is copied in under a name of its own. Photo paths a file names
//! are refused when they lead out of the folder being imported ([`contained_path`]).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::imageio::decode_photo;
use crate::label::{AnnotationChange, ProjectChanges};
use crate::progress::Progress;
use crate::project::fsio::atomic_write;
use crate::project::{
    AnnotationFile, AnnotationState, ClassId, IGNORE_CLASS, ImageEntry, Instance, MAX_CLASS_ID,
    Part, Project, ProjectError, SCHEMA_VERSION, Split, Tool, annotation_path,
    write_annotation_file,
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
pub struct ImportOptions {
    /// The files or folders to read (what each format accepts is in its reader).
    pub paths: Vec<PathBuf>,
    /// Where the photos are, when not where the format's layout puts them (COCO).
    pub images_dir: Option<PathBuf>,
    pub mapping: ClassMapping,
    /// Generations of the project's images when the import was started (the studio passes them, so
    /// an edit made while the import runs wins); missing images count as 0.
    pub base_generations: HashMap<String, u64>,
}

/// What an import did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportReport {
    pub format: String,
    /// Annotation files read.
    pub files: usize,
    pub photos_added: usize,
    /// Photos already in the project whose instances the files replace.
    pub photos_updated: usize,
    pub instances: usize,
    pub classes_created: Vec<String>,
    /// Labels left out, with their object counts.
    pub labels_skipped: BTreeMap<String, usize>,
    /// Files or photos that were not imported, each with the reason.
    pub skipped: Vec<String>,
    /// Shapes that could not be used, and similar notes.
    pub warnings: Vec<String>,
    pub seconds: f64,
}

/// Where a photo comes from.
#[derive(Clone, Debug)]
pub enum PhotoSource {
    File(PathBuf),
    /// Bytes carried by the annotation file (LabelMe's `imageData`), with the name to give them.
    Embedded {
        name: String,
        bytes: Vec<u8>,
    },
}

/// One object as another tool describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct ForeignObject {
    pub label: String,
    pub parts: Vec<Part>,
}

/// One photo and its objects, as a reader found them.
#[derive(Clone, Debug)]
pub struct ForeignImage {
    /// The annotation file, named in every message about this photo.
    pub origin: PathBuf,
    pub photo: PhotoSource,
    /// The size the annotation file gives, checked against the photo.
    pub size: Option<(u32, u32)>,
    pub split: Option<Split>,
    pub objects: Vec<ForeignObject>,
    pub warnings: Vec<String>,
}

/// What a reader found: the photos, and what it could not read (each with the reason).
#[derive(Clone, Debug, Default)]
pub struct ForeignDataset {
    pub format: String,
    pub files: usize,
    pub images: Vec<ForeignImage>,
    pub skipped: Vec<String>,
    pub warnings: Vec<String>,
}

/// `relative` (a path an annotation file names) under `base`, when it stays inside `root` once
/// symlinks are followed; absolute paths are refused too. The error names `origin` and the path.
pub fn contained_path(
    root: &Path,
    base: &Path,
    relative: &str,
    origin: &Path,
) -> Result<PathBuf, String> {
    let path = Path::new(relative);
    if path.is_absolute()
        || path
            .components()
            .any(|c| matches!(c, Component::Prefix(_) | Component::RootDir))
        || relative.starts_with('\\')
    {
        return Err(format!(
            "{}: the photo path {relative:?} is absolute; refused (paths must stay inside {})",
            origin.display(),
            root.display()
        ));
    }
    let joined = base.join(path);
    let (Ok(real), Ok(real_root)) = (joined.canonicalize(), root.canonicalize()) else {
        // A missing photo is reported where it is read; a path that climbs out is refused first.
        let climbs = path
            .components()
            .filter(|c| matches!(c, Component::ParentDir))
            .count();
        let depth = base
            .strip_prefix(root)
            .map_or(0, |rest| rest.components().count());
        if climbs > depth {
            return Err(escape_message(origin, relative, root));
        }
        return Ok(joined);
    };
    if real.starts_with(&real_root) {
        Ok(joined)
    } else {
        Err(escape_message(origin, relative, root))
    }
}

fn escape_message(origin: &Path, relative: &str, root: &Path) -> String {
    format!(
        "{}: the photo path {relative:?} leads out of {}; refused",
        origin.display(),
        root.display()
    )
}

/// Where a label goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Class(ClassId),
    Skip,
}

/// Decides every label's target; new classes get provisional ids after the project's.
fn resolve_labels(
    project: &Project,
    labels: &BTreeSet<String>,
    mapping: &ClassMapping,
    changes: &mut ProjectChanges,
    report: &mut ImportReport,
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

/// One photo and its instances, ready to go in.
struct Prepared {
    bytes: Vec<u8>,
    /// The file name the photo has where it comes from.
    name: String,
    width: u32,
    height: u32,
    split: Option<Split>,
    instances: Vec<Instance>,
    warnings: Vec<String>,
    skipped_labels: BTreeMap<String, usize>,
}

/// Brings what a reader found into the project in `project`'s folder. Photos are copied and their
/// annotation files written; everything is returned as changes for the label session to merge. A
/// cancelled or failed import takes back the files it wrote.
pub fn import_foreign(
    project: &Project,
    dataset: ForeignDataset,
    options: &ImportOptions,
    tool: Tool,
    progress: &Progress,
) -> Result<(ProjectChanges, ImportReport), ProjectError> {
    let started = Instant::now();
    let mut report = ImportReport {
        format: dataset.format.clone(),
        files: dataset.files,
        skipped: dataset.skipped,
        warnings: dataset.warnings,
        ..ImportReport::default()
    };
    let labels: BTreeSet<String> = dataset
        .images
        .iter()
        .flat_map(|image| image.objects.iter().map(|o| o.label.clone()))
        .collect();
    let mut changes = ProjectChanges::default();
    let targets = resolve_labels(
        project,
        &labels,
        &options.mapping,
        &mut changes,
        &mut report,
    )?;

    let stage = format!("importing {} photos", dataset.format);
    let prepared = each_in_parallel(dataset.images, &stage, progress, |image| {
        prepare(image, &targets, tool)
    })?;

    let root = project.root().to_path_buf();
    let mut taken: HashSet<String> = project
        .file()
        .images
        .iter()
        .map(|i| i.file.clone())
        .collect();
    let mut written: Vec<PathBuf> = Vec::new();
    let source = format!("{} import", dataset.format);
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
                    source: source.clone(),
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
                    split: item.split,
                    done: false,
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

/// Runs `work` on every item in parallel as one progress stage. An item's failure is its message in
/// the result; a cancel stops the stage and is the error.
pub(crate) fn each_in_parallel<I, R>(
    items: I,
    stage: &str,
    progress: &Progress,
    work: impl Fn(I::Item) -> Result<R, String> + Sync + Send,
) -> Result<Vec<Result<R, String>>, ProjectError>
where
    I: IntoParallelIterator,
    I::Iter: IndexedParallelIterator,
    R: Send,
{
    let items = items.into_par_iter();
    progress.start_stage(stage, items.len() as u64);
    let results = items
        .map(|item| {
            progress.check().map_err(|_| "cancelled".to_owned())?;
            let result = work(item);
            progress.advance(1);
            result
        })
        .collect();
    progress.check().map_err(|_| ProjectError::Cancelled)?;
    Ok(results)
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

/// Reads a photo and turns its objects into instances.
fn prepare(
    image: ForeignImage,
    targets: &HashMap<String, Target>,
    tool: Tool,
) -> Result<Prepared, String> {
    let origin = image.origin.display().to_string();
    let (bytes, name) = match image.photo {
        PhotoSource::Embedded { name, bytes } => (bytes, name),
        PhotoSource::File(photo) => {
            let bytes = std::fs::read(&photo).map_err(|e| {
                format!("{origin}: cannot read its photo {} ({e})", photo.display())
            })?;
            (bytes, plain_name(&photo))
        }
    };
    let rgb =
        decode_photo(Path::new(&name), &bytes).map_err(|e| format!("{origin}: {e} (its photo)"))?;
    let (width, height) = rgb.dimensions();
    if let Some((w, h)) = image.size
        && (w, h) != (width, height)
    {
        return Err(format!(
            "{origin}: its photo {name} is {width}x{height} but the file says {w}x{h}"
        ));
    }
    let mut skipped_labels = BTreeMap::new();
    let mut instances = Vec::new();
    for object in image.objects {
        match targets.get(&object.label) {
            Some(Target::Class(class_id)) => {
                let id = instances.len() as u32 + 1;
                instances.push(Instance {
                    id,
                    class_id: *class_id,
                    parts: object.parts,
                    order: id as i32,
                    tool,
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
        split: image.split,
        instances,
        warnings: image.warnings,
        skipped_labels,
    })
}

/// A plain file name for a photo (the last component, never a hidden or path-like name).
pub fn plain_name(photo: &Path) -> String {
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

/// Files under `path` (itself, when it is a file) whose extension is one of `extensions`, sorted.
pub fn find_files(path: &Path, extensions: &[&str]) -> Result<Vec<PathBuf>, ProjectError> {
    fn walk(path: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) -> Result<(), ProjectError> {
        let entries = std::fs::read_dir(path)
            .map_err(|e| ProjectError::Other(format!("cannot read {} ({e})", path.display())))?;
        for entry in entries.filter_map(Result::ok) {
            let p = entry.path();
            // Symlinked folders are not followed: they could lead anywhere, or in circles.
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                walk(&p, extensions, out)?;
            } else if p
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.iter().any(|x| x.eq_ignore_ascii_case(e)))
            {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    if path.is_file() {
        out.push(path.to_path_buf());
    } else {
        walk(path, extensions, &mut out)?;
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photo_paths_that_leave_the_folder_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("data");
        std::fs::create_dir_all(root.join("ann")).unwrap();
        std::fs::create_dir_all(root.join("img")).unwrap();
        std::fs::write(root.join("img/a.jpg"), b"x").unwrap();
        std::fs::write(dir.path().join("secret.jpg"), b"x").unwrap();
        let origin = root.join("ann/a.json");
        let base = root.join("ann");
        assert!(contained_path(&root, &base, "../img/a.jpg", &origin).is_ok());
        let err = contained_path(&root, &base, "../../secret.jpg", &origin).unwrap_err();
        assert!(err.contains("a.json") && err.contains("leads out"), "{err}");
        assert!(contained_path(&root, &base, "../../../nowhere.jpg", &origin).is_err());
        let err = contained_path(&root, &base, "/etc/passwd", &origin).unwrap_err();
        assert!(err.contains("absolute"), "{err}");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret.jpg"), root.join("img/link.jpg"))
                .unwrap();
            let err = contained_path(&root, &base, "../img/link.jpg", &origin).unwrap_err();
            assert!(err.contains("leads out"), "{err}");
        }
    }
}
