//! Batch runs: a folder of images with their ground truth and a `manifest.ron` that lets any image be
//! made again alone.
//!
//! A run is written into a hidden sibling folder ([`super::staging`]), synced, and renamed to its
//! name only when every file is in place, so a run that did not finish (cancel, crash, full disk) is
//! never found by the scan of `synth/` and never offered for training. `--shard K/N` writes the K-th
//! of N contiguous slices of the image indices; [`merge_runs`] joins slices into one run identical to
//! the unsharded one.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::backgrounds::{Backgrounds, background_folder};
use super::compose::{PlacedObject, Rendered};
use super::encode::{
    coco_annotations, coco_image_id, encode_instance_png, encode_jpeg, yolo_boxes,
};
use super::library::ObjectLibrary;
use super::params::{BlendMode, SynthParams};
use super::staging::Staging;
use super::{SynthError, SynthSource};
use crate::formats::coco::{CocoAnnotation, CocoCategory, CocoFile, CocoImage};
use crate::imageio::encode_label_png;
use crate::progress::Progress;
use crate::project::fsio::FileError;
use crate::project::runs::DatasetSnapshot;
use crate::project::{FULL_VARIANT, Project, ProjectError, Split, to_ron_string};

/// The manifest's format version.
pub const MANIFEST_FORMAT: u32 = 1;

/// `manifest.ron`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynthManifest {
    pub format: u32,
    pub params: SynthParams,
    /// The split whose objects and backgrounds were used.
    pub split: Split,
    /// Images of the whole run (all shards).
    pub count: u64,
    /// The indices this folder holds, `[start, end)`.
    pub range: [u64; 2],
    /// `(K, N)` when this folder is the K-th of N slices.
    pub shard: Option<[u32; 2]>,
    /// Classes and the `full` variant: label id `l` of `labels/` is `snapshot.variant.labels[l − 1]`.
    pub snapshot: DatasetSnapshot,
    /// The library in order: `PlacedObject::object` indexes it.
    pub library: Vec<LibraryEntry>,
    pub background_folder: PathBuf,
    pub backgrounds: Vec<String>,
    pub images: Vec<ManifestImage>,
    /// Wall time of the run, loading included.
    pub seconds: f64,
}

/// One object of the library as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibraryEntry {
    pub source: String,
    pub instance: u32,
    pub class_id: crate::project::ClassId,
    pub distractor: bool,
}

/// One image as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestImage {
    pub index: u64,
    pub seed: u64,
    pub background: usize,
    pub blend: BlendMode,
    pub objects: Vec<PlacedObject>,
}

/// Which slice of a run to make: `index` of `count`, from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Parses `K/N`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| format!("a shard is K/N (such as 2/8), not {text:?}"))?;
        let (index, count): (u32, u32) = (
            k.trim()
                .parse()
                .map_err(|_| format!("bad shard index {k:?}"))?,
            n.trim()
                .parse()
                .map_err(|_| format!("bad shard count {n:?}"))?,
        );
        if count == 0 || index == 0 || index > count {
            return Err(format!("shard {index}/{count}: need 1 ≤ K ≤ N"));
        }
        Ok(Self { index, count })
    }

    /// The image indices `[start, end)` of this slice of `total`.
    pub fn range(self, total: u64) -> [u64; 2] {
        let (k, n) = (u64::from(self.index), u64::from(self.count));
        [(k - 1) * total / n, k * total / n]
    }
}

/// What a batch run asks for.
#[derive(Clone, Debug)]
pub struct RunRequest {
    pub params: SynthParams,
    pub split: Split,
    pub count: u64,
    pub shard: Option<Shard>,
    pub out: PathBuf,
}

/// What a finished run reports.
#[derive(Clone, Debug)]
pub struct RunReport {
    pub dir: PathBuf,
    pub images: u64,
    pub objects: usize,
    pub seconds: f64,
    pub load_seconds: f64,
    /// Library photos or backgrounds that could not be read.
    pub skipped: Vec<String>,
}

/// The library and backgrounds of a run over `split` with `params`.
pub fn load_source(
    project: &Project,
    params: &SynthParams,
    split: Split,
    progress: &Progress,
) -> Result<SynthSource, SynthError> {
    let folder = background_folder(
        &params
            .backgrounds
            .clone()
            .unwrap_or_else(|| project.root().join("backgrounds")),
        split,
    );
    let library =
        ObjectLibrary::build(project, &BTreeSet::from([split]), &params.library, progress)?;
    let backgrounds = Backgrounds::load(&folder, params.width, params.height, progress)?;
    Ok(SynthSource {
        library,
        backgrounds,
        background_folder: folder,
        snapshot: DatasetSnapshot::of(project, FULL_VARIANT)
            .expect("every project has the full variant"),
    })
}

/// Checks that `out` can become a run folder: absent, or an empty folder.
fn check_output(out: &Path) -> Result<(), SynthError> {
    if out.is_file() {
        return Err(SynthError::Input(format!(
            "the output {} is a file, not a folder",
            out.display()
        )));
    }
    if out.is_dir() {
        let mut entries =
            std::fs::read_dir(out).map_err(|e| FileError::new("cannot list", out, e))?;
        if entries.next().is_some() {
            return Err(SynthError::Input(format!(
                "the output folder {} already holds files; choose a new folder for the run",
                out.display()
            )));
        }
    }
    Ok(())
}

/// Runs a batch: loads the source, renders and writes every image, then the COCO file and the
/// manifest, and moves the folder into place.
pub fn run_batch(
    project: &Project,
    request: &RunRequest,
    progress: &Progress,
) -> Result<RunReport, SynthError> {
    let started = Instant::now();
    check_output(&request.out)?;
    let problems = request.params.problems();
    if !problems.is_empty() {
        return Err(SynthError::Settings(problems));
    }
    if request.count == 0 {
        return Err(SynthError::Settings(vec![
            "a run needs at least one image".to_owned(),
        ]));
    }
    let source = load_source(project, &request.params, request.split, progress)?;
    let load_seconds = started.elapsed().as_secs_f64();
    let mut report = write_run(&source, request, progress, started)?;
    report.load_seconds = load_seconds;
    Ok(report)
}

/// Renders and writes the images of `request` from an already loaded source.
pub fn write_run(
    source: &SynthSource,
    request: &RunRequest,
    progress: &Progress,
    started: Instant,
) -> Result<RunReport, SynthError> {
    let params = &request.params;
    check_output(&request.out)?;
    let generator = source.generator(params)?;
    let staging = Staging::new(&request.out)?;
    let dir = staging.path();
    let outputs = params.outputs;
    for (wanted, sub) in [
        (outputs.images, "images"),
        (outputs.labels, "labels"),
        (outputs.instances, "instances"),
        (outputs.boxes, "boxes"),
    ] {
        if wanted {
            let path = dir.join(sub);
            std::fs::create_dir(&path).map_err(|e| FileError::new("cannot create", &path, e))?;
        }
    }
    let range = request
        .shard
        .map_or([0, request.count], |s| s.range(request.count));
    progress.start_stage("Generating images", range[1] - range[0]);
    let (w, h) = (params.width, params.height);
    // Collecting into a `Result` stops every worker at the first error (a full disk), instead of
    // rendering the rest of the run only to fail writing each image.
    let results: Vec<(ManifestImage, Vec<CocoAnnotation>)> = (range[0]..range[1])
        .into_par_iter()
        .map(|index| {
            progress.check().map_err(|_| SynthError::Cancelled)?;
            let rendered = generator.render(params.seed, index);
            write_image_files(dir, &rendered, params)?;
            let coco = if outputs.coco {
                coco_annotations(&rendered, w, h)
            } else {
                Vec::new()
            };
            progress.advance(1);
            Ok((manifest_image(rendered), coco))
        })
        .collect::<Result<_, SynthError>>()?;
    let mut images = Vec::with_capacity(results.len());
    let mut annotations = Vec::new();
    for (image, coco) in results {
        images.push(image);
        annotations.extend(coco);
    }
    progress.check().map_err(|_| SynthError::Cancelled)?;
    progress.start_stage("Writing the manifest", 1);
    if outputs.coco {
        let coco = coco_file(&source.snapshot, &images, annotations, w, h);
        write_json(&dir.join("coco.json"), &coco)?;
    }
    let manifest = SynthManifest {
        format: MANIFEST_FORMAT,
        params: params.clone(),
        split: request.split,
        count: request.count,
        range,
        shard: request.shard.map(|s| [s.index, s.count]),
        snapshot: source.snapshot.clone(),
        library: source.library_entries(),
        background_folder: source.background_folder.clone(),
        backgrounds: source.backgrounds.names.clone(),
        images,
        seconds: started.elapsed().as_secs_f64(),
    };
    write_manifest(&staging, &manifest)?;
    staging.finish(&request.out)?;
    progress.advance(1);
    Ok(RunReport {
        dir: request.out.clone(),
        images: range[1] - range[0],
        objects: source.library.objects.len(),
        seconds: manifest.seconds,
        load_seconds: 0.0,
        skipped: source
            .library
            .skipped
            .iter()
            .chain(&source.backgrounds.skipped)
            .cloned()
            .collect(),
    })
}

fn manifest_image(rendered: Rendered) -> ManifestImage {
    ManifestImage {
        index: rendered.index,
        seed: rendered.seed,
        background: rendered.background,
        blend: rendered.blend,
        objects: rendered.objects,
    }
}

/// The file stem of image `index`.
pub fn image_stem(index: u64) -> String {
    format!("{index:05}")
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), SynthError> {
    std::fs::write(path, bytes)
        .map_err(|e| SynthError::File(FileError::new("cannot write", path, e)))
}

/// Writes the per-image files of `rendered` that `params.outputs` asks for under `dir`.
pub fn write_image_files(
    dir: &Path,
    rendered: &Rendered,
    params: &SynthParams,
) -> Result<(), SynthError> {
    let stem = image_stem(rendered.index);
    let (w, h) = (params.width, params.height);
    let outputs = params.outputs;
    if outputs.images {
        write_file(
            &dir.join("images").join(format!("{stem}.jpg")),
            &encode_jpeg(&rendered.image, params.jpeg_quality),
        )?;
    }
    if outputs.labels {
        write_file(
            &dir.join("labels").join(format!("{stem}.png")),
            &encode_label_png(w, h, &rendered.labels),
        )?;
    }
    if outputs.instances {
        write_file(
            &dir.join("instances").join(format!("{stem}.png")),
            &encode_instance_png(w, h, &rendered.instances),
        )?;
    }
    if outputs.boxes {
        write_file(
            &dir.join("boxes").join(format!("{stem}.txt")),
            yolo_boxes(rendered, w, h).as_bytes(),
        )?;
    }
    Ok(())
}

fn coco_file(
    snapshot: &DatasetSnapshot,
    images: &[ManifestImage],
    annotations: Vec<CocoAnnotation>,
    width: u32,
    height: u32,
) -> CocoFile {
    CocoFile {
        images: images
            .iter()
            .map(|image| CocoImage {
                id: coco_image_id(image.index),
                file_name: format!("images/{}.jpg", image_stem(image.index)),
                width,
                height,
            })
            .collect(),
        categories: snapshot
            .variant
            .labels
            .iter()
            .enumerate()
            .map(|(i, name)| CocoCategory {
                id: i as u64 + 1,
                name: name.clone(),
                supercategory: "object".to_owned(),
            })
            .collect(),
        annotations,
    }
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<(), SynthError> {
    let text = serde_json::to_vec(value)
        .map_err(|e| SynthError::Input(format!("cannot write JSON {}: {e}", path.display())))?;
    write_file(path, &text)
}

fn write_manifest(staging: &Staging, manifest: &SynthManifest) -> Result<(), SynthError> {
    let path = staging.path().join("manifest.ron");
    let text = to_ron_string(manifest, &path).map_err(SynthError::Project)?;
    write_file(&path, text.as_bytes())
}

/// Reads a run's manifest.
pub fn read_manifest(dir: &Path) -> Result<SynthManifest, SynthError> {
    let path = dir.join("manifest.ron");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| SynthError::File(FileError::new("cannot read", &path, e)))?;
    crate::project::parse_ron(&text, &path).map_err(SynthError::Project)
}

/// Renders image `index` of the run in `dir` again from its manifest and the project, checking that
/// the project still offers the same objects and the folder the same backgrounds.
pub fn regenerate(project: &Project, dir: &Path, index: u64) -> Result<Rendered, SynthError> {
    let manifest = read_manifest(dir)?;
    if index >= manifest.count {
        return Err(SynthError::Input(format!(
            "the run has {} images; there is no image {index}",
            manifest.count
        )));
    }
    let progress = Progress::default();
    let library = ObjectLibrary::build(
        project,
        &BTreeSet::from([manifest.split]),
        &manifest.params.library,
        &progress,
    )?;
    let backgrounds = Backgrounds::load(
        &manifest.background_folder,
        manifest.params.width,
        manifest.params.height,
        &progress,
    )?;
    let source = SynthSource {
        library,
        backgrounds,
        background_folder: manifest.background_folder.clone(),
        snapshot: manifest.snapshot.clone(),
    };
    if source.library_entries() != manifest.library {
        return Err(SynthError::Input(
            "the project's annotated objects changed since the run was made; it cannot be regenerated exactly"
                .to_owned(),
        ));
    }
    if source.backgrounds.names != manifest.backgrounds {
        return Err(SynthError::Input(format!(
            "the backgrounds in {} changed since the run was made",
            manifest.background_folder.display()
        )));
    }
    Ok(source
        .generator(&manifest.params)?
        .render(manifest.params.seed, index))
}

/// Joins slices of one run (made with `--shard`) into the run folder `out`: files are hard-linked
/// (copied across file systems), the manifests and COCO files concatenated in index order.
pub fn merge_runs(dirs: &[PathBuf], out: &Path) -> Result<RunReport, SynthError> {
    let started = Instant::now();
    check_output(out)?;
    let mut slices: Vec<(PathBuf, SynthManifest)> = dirs
        .iter()
        .map(|d| read_manifest(d).map(|m| (d.clone(), m)))
        .collect::<Result<_, _>>()?;
    slices.sort_by_key(|(_, m)| m.range[0]);
    let Some((_, first)) = slices.first() else {
        return Err(SynthError::Input("no run folders to merge".to_owned()));
    };
    let mut expected = 0u64;
    for (dir, m) in &slices {
        let same = m.params == first.params
            && m.count == first.count
            && m.split == first.split
            && m.snapshot == first.snapshot
            && m.library == first.library
            && m.backgrounds == first.backgrounds;
        if !same {
            return Err(SynthError::Input(format!(
                "{} is not a slice of the same run as {} (parameters, seed, count or objects differ)",
                dir.display(),
                slices[0].0.display()
            )));
        }
        if m.range[0] != expected {
            return Err(SynthError::Input(format!(
                "the slices do not fit together: images {expected}–{} are missing or overlap at {}",
                m.range[0],
                dir.display()
            )));
        }
        expected = m.range[1];
    }
    if expected != first.count {
        return Err(SynthError::Input(format!(
            "the slices hold images 0–{expected} of {}; the rest are missing",
            first.count
        )));
    }
    let staging = Staging::new(out)?;
    let mut images = Vec::new();
    let mut annotations = Vec::new();
    for (dir, m) in &slices {
        for sub in ["images", "labels", "instances", "boxes"] {
            let from = dir.join(sub);
            if !from.is_dir() {
                continue;
            }
            let to = staging.path().join(sub);
            std::fs::create_dir_all(&to).map_err(|e| FileError::new("cannot create", &to, e))?;
            for entry in
                std::fs::read_dir(&from).map_err(|e| FileError::new("cannot list", &from, e))?
            {
                let entry = entry.map_err(|e| FileError::new("cannot list", &from, e))?;
                let target = to.join(entry.file_name());
                if std::fs::hard_link(entry.path(), &target).is_err() {
                    std::fs::copy(entry.path(), &target)
                        .map_err(|e| FileError::new("cannot copy", &target, e))?;
                }
            }
        }
        let coco_path = dir.join("coco.json");
        if coco_path.is_file() {
            let text = std::fs::read(&coco_path)
                .map_err(|e| FileError::new("cannot read", &coco_path, e))?;
            let coco: CocoFile = serde_json::from_slice(&text).map_err(|e| {
                SynthError::Input(format!("{}: not a COCO file ({e})", coco_path.display()))
            })?;
            annotations.extend(coco.annotations);
        }
        images.extend(m.images.iter().cloned());
    }
    let (w, h) = (first.params.width, first.params.height);
    if first.params.outputs.coco {
        let coco = coco_file(&first.snapshot, &images, annotations, w, h);
        write_json(&staging.path().join("coco.json"), &coco)?;
    }
    let manifest = SynthManifest {
        range: [0, first.count],
        shard: None,
        seconds: slices.iter().map(|(_, m)| m.seconds).sum(),
        images,
        ..first.clone()
    };
    write_manifest(&staging, &manifest)?;
    staging.finish(out)?;
    Ok(RunReport {
        dir: out.to_path_buf(),
        images: manifest.count,
        objects: manifest.library.len(),
        seconds: started.elapsed().as_secs_f64(),
        load_seconds: 0.0,
        skipped: Vec::new(),
    })
}

/// A finished run found in a project's `synth/` (the Train workspace's data source).
pub fn finished_runs(project_root: &Path) -> crate::project::runs::RunScan<SynthManifest> {
    crate::project::runs::scan_runs(project_root, crate::project::runs::SYNTH_RUNS)
}

impl From<ProjectError> for SynthError {
    fn from(e: ProjectError) -> Self {
        Self::Project(e)
    }
}
