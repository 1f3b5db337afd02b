//! The project: a folder with `project.ron`, the photos and one annotation file per photo.
//!
//! ```text
//! P/project.ron              classes, variants, splits, settings (see [`schema`])
//! P/images/<name>.jpg        the photos
//! P/annotations/<stem>.ron   the instances of one photo
//! P/backgrounds/ synth/ runs/ exports/   reserved for synthesis, training and exports
//! ```
//!
//! Opening a project never fails because of one bad annotation file: that image is marked broken with
//! the reason and its file is left untouched. Every write is atomic ([`fsio`]).

pub mod classes;
pub mod fsio;
pub mod preset;
pub mod runs;
pub mod schema;
pub mod schema_v1;
pub mod validate;

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

pub use preset::Preset;
pub use schema::*;

use fsio::{FileError, atomic_write};

/// Name of the project file inside a project folder.
pub const PROJECT_FILE: &str = "project.ron";
/// Folders of a project, created with it.
pub const FOLDERS: [&str; 6] = [
    "images",
    "annotations",
    "backgrounds",
    "synth",
    "runs",
    "exports",
];

/// Why a project could not be opened, created or saved.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: {}", path.display(), problems.join("; "))]
    Invalid {
        path: PathBuf,
        problems: Vec<String>,
    },
    /// The user cancelled the job; whatever it had written is taken back.
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Other(String),
}

/// The state of one image's annotations.
#[derive(Clone, Debug, PartialEq)]
pub enum AnnotationState {
    /// No annotation file (or one without instances).
    Unlabelled,
    Labelled(AnnotationFile),
    /// The annotation file could not be read; the message says where and why. The file is kept as is.
    Broken(String),
}

impl AnnotationState {
    /// Why the annotation file could not be read, when it could not.
    pub fn broken_reason(&self) -> Option<&str> {
        match self {
            Self::Broken(reason) => Some(reason),
            _ => None,
        }
    }
}

/// What the browser shows for an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImageStatus {
    Unlabelled,
    Labelled,
    Broken,
}

impl ImageStatus {
    pub const ALL: [Self; 3] = [Self::Labelled, Self::Unlabelled, Self::Broken];

    pub fn name(self) -> &'static str {
        match self {
            Self::Unlabelled => "unlabelled",
            Self::Labelled => "labelled",
            Self::Broken => "broken",
        }
    }
}

/// How many images have each status (the status bar and `stats` count the same way).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    pub labelled: usize,
    pub unlabelled: usize,
    pub broken: usize,
}

impl StatusCounts {
    pub fn tally(statuses: impl IntoIterator<Item = ImageStatus>) -> Self {
        let mut counts = Self::default();
        for status in statuses {
            *counts.get_mut(status) += 1;
        }
        counts
    }

    pub fn get(&self, status: ImageStatus) -> usize {
        match status {
            ImageStatus::Labelled => self.labelled,
            ImageStatus::Unlabelled => self.unlabelled,
            ImageStatus::Broken => self.broken,
        }
    }

    fn get_mut(&mut self, status: ImageStatus) -> &mut usize {
        match status {
            ImageStatus::Labelled => &mut self.labelled,
            ImageStatus::Unlabelled => &mut self.unlabelled,
            ImageStatus::Broken => &mut self.broken,
        }
    }
}

/// The name a project gets when none is given: its folder's name.
pub fn default_name(root: &Path) -> String {
    root.file_name().map_or_else(
        || "project".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// An open project: `project.ron` and the state of every image's annotations, read-only from
/// outside the crate. Annotations change only through [`crate::label::LabelSession`] (edits, undo,
/// merged job results) so that one autosave worker writes them; importers return what they added.
#[derive(Clone, Debug)]
pub struct Project {
    root: PathBuf,
    file: ProjectFile,
    /// Parallel to `file.images`.
    annotations: Vec<AnnotationState>,
}

fn pretty() -> ron::ser::PrettyConfig {
    ron::ser::PrettyConfig::new()
        .depth_limit(3)
        .indentor("  ".to_owned())
}

/// Serialises a project or annotation file the way SegStudio writes them (pretty, points inline).
pub fn to_ron_string<T: Serialize>(value: &T, path: &Path) -> Result<String, ProjectError> {
    ron::ser::to_string_pretty(value, pretty())
        .map_err(|e| ProjectError::Other(format!("cannot serialise {}: {e}", path.display())))
}

/// Parses a project or annotation file. A file from a newer schema may not even parse; then the
/// error says so rather than pointing at a field this build does not know.
pub fn parse_ron<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
) -> Result<T, ProjectError> {
    ron::from_str(text).map_err(|e| match ron::from_str::<SchemaProbe>(text) {
        Ok(probe) if probe.schema_version > SCHEMA_VERSION => ProjectError::Invalid {
            path: path.to_path_buf(),
            problems: vec![validate::newer_schema(probe.schema_version)],
        },
        _ => ProjectError::Parse {
            path: path.to_path_buf(),
            line: e.span.start.line,
            column: e.span.start.col,
            message: e.code.to_string(),
        },
    })
}

/// Parses and validates the text of a `project.ron`; errors name `path` and the place or problem.
pub fn parse_project_file(text: &str, path: &Path) -> Result<ProjectFile, ProjectError> {
    let file: ProjectFile = parse_ron(text, path)?;
    let problems = validate::project_problems(&file);
    if !problems.is_empty() {
        return Err(ProjectError::Invalid {
            path: path.to_path_buf(),
            problems,
        });
    }
    Ok(file)
}

impl Project {
    /// Creates a new project folder (which must not contain a project yet).
    pub fn create(root: &Path, name: &str, preset: Preset) -> Result<Self, ProjectError> {
        let project_file = root.join(PROJECT_FILE);
        if project_file.exists() {
            return Err(ProjectError::Other(format!(
                "a project already exists in {}",
                root.display()
            )));
        }
        for folder in FOLDERS {
            let dir = root.join(folder);
            std::fs::create_dir_all(&dir).map_err(|e| FileError::new("cannot create", &dir, e))?;
        }
        let (classes, variants) = preset.build();
        let project = Self {
            root: root.to_path_buf(),
            file: ProjectFile {
                schema_version: SCHEMA_VERSION,
                name: name.to_owned(),
                classes,
                variants,
                images: Vec::new(),
                import: ImportSettings::default(),
                synth: crate::synth::SynthParams::default(),
                retired_class_ids: Vec::new(),
            },
            annotations: Vec::new(),
        };
        project.save_project_file()?;
        Ok(project)
    }

    /// Opens the project in `root`. Fails only when `project.ron` itself is missing or invalid; broken
    /// annotation files are reported per image.
    pub fn open(root: &Path) -> Result<Self, ProjectError> {
        if !root.is_dir() {
            return Err(ProjectError::Other(format!(
                "no such project folder: {}",
                root.display()
            )));
        }
        let path = root.join(PROJECT_FILE);
        let text =
            std::fs::read_to_string(&path).map_err(|e| FileError::new("cannot read", &path, e))?;
        let mut file = parse_project_file(&text, &path)?;
        // Older layouts are upgraded in memory and written as the current schema on the next save.
        file.schema_version = SCHEMA_VERSION;
        fsio::remove_stale_temporaries(root);
        fsio::remove_stale_temporaries(&root.join("annotations"));
        let annotations = file
            .images
            .par_iter()
            .map(|image| load_annotation(root, image, &file))
            .collect();
        Ok(Self {
            root: root.to_path_buf(),
            file,
            annotations,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `project.ron` as loaded (and changed since) in memory.
    pub fn file(&self) -> &ProjectFile {
        &self.file
    }

    /// The annotation state of every image, parallel to `file().images`.
    pub fn annotations(&self) -> &[AnnotationState] {
        &self.annotations
    }

    pub fn annotation(&self, index: usize) -> &AnnotationState {
        &self.annotations[index]
    }

    /// Why the annotation file of image `index` could not be read, when it could not.
    pub fn broken_reason(&self, index: usize) -> Option<&str> {
        self.annotations[index].broken_reason()
    }

    pub fn image_path(&self, index: usize) -> PathBuf {
        self.root.join("images").join(&self.file.images[index].file)
    }

    pub fn annotation_path(&self, index: usize) -> PathBuf {
        annotation_path(&self.root, &self.file.images[index].file)
    }

    pub fn status(&self, index: usize) -> ImageStatus {
        match &self.annotations[index] {
            AnnotationState::Unlabelled => ImageStatus::Unlabelled,
            AnnotationState::Labelled(a) if a.instances.is_empty() => ImageStatus::Unlabelled,
            AnnotationState::Labelled(_) => ImageStatus::Labelled,
            AnnotationState::Broken(_) => ImageStatus::Broken,
        }
    }

    /// Images per status.
    pub fn status_counts(&self) -> StatusCounts {
        StatusCounts::tally((0..self.file.images.len()).map(|i| self.status(i)))
    }

    /// The instances of an image, empty when unlabelled or broken.
    pub fn instances(&self, index: usize) -> &[Instance] {
        match &self.annotations[index] {
            AnnotationState::Labelled(a) => &a.instances,
            _ => &[],
        }
    }

    pub fn class(&self, id: ClassId) -> Option<&ClassDef> {
        self.file.classes.iter().find(|c| c.id == id)
    }

    pub fn variant(&self, name: &str) -> Option<&Variant> {
        self.file.variants.iter().find(|v| v.name == name)
    }

    /// The `full` variant (every project has it, first).
    pub fn full_variant(&self) -> &Variant {
        &self.file.variants[0]
    }

    pub fn image_index(&self, file: &str) -> Option<usize> {
        self.file.images.iter().position(|i| i.file == file)
    }

    /// Writes `project.ron` atomically.
    pub fn save_project_file(&self) -> Result<(), ProjectError> {
        write_project_file(&self.root, &self.file)
    }

    /// The annotation file that `instances` make for image `index`, checked against the image and
    /// the classes; an empty list makes none (the image becomes unlabelled).
    pub fn annotation_for(
        &self,
        index: usize,
        instances: Vec<Instance>,
    ) -> Result<Option<AnnotationFile>, ProjectError> {
        let image = &self.file.images[index];
        let annotation = AnnotationFile {
            schema_version: SCHEMA_VERSION,
            image: image.file.clone(),
            instances,
        };
        let problems = validate::annotation_problems(&annotation, image, &self.file);
        if !problems.is_empty() {
            return Err(ProjectError::Invalid {
                path: annotation_path(&self.root, &image.file),
                problems,
            });
        }
        Ok((!annotation.instances.is_empty()).then_some(annotation))
    }

    /// Replaces the in-memory state of image `index`; the caller has written (or queued) its file.
    pub(crate) fn set_annotation_state(&mut self, index: usize, state: AnnotationState) {
        self.annotations[index] = state;
    }

    /// Adds a photo (already copied into `images/`) to the project without saving `project.ron`,
    /// reading its annotation file if one exists.
    pub fn push_image(&mut self, entry: ImageEntry) {
        let state = load_annotation(&self.root, &entry, &self.file);
        self.add_image(entry, state);
    }

    /// Adds a photo whose annotation state the caller knows (an importer that just wrote it).
    pub(crate) fn add_image(&mut self, entry: ImageEntry, state: AnnotationState) {
        self.file.images.push(entry);
        self.annotations.push(state);
    }

    /// Replaces the synthesis parameters without saving.
    pub fn set_synth_params(&mut self, params: crate::synth::SynthParams) {
        self.file.synth = params;
    }

    /// Assigns image `index` to a split (or none) without saving.
    pub fn set_split(&mut self, index: usize, split: Option<Split>) {
        self.file.images[index].split = split;
    }

    /// Marks image `index` done (every object labelled) or not, without saving.
    pub fn set_done(&mut self, index: usize, done: bool) {
        self.file.images[index].done = done;
    }

    /// Replaces the classes and variants (checked as `project.ron` is on opening) without saving.
    pub fn replace_classes(
        &mut self,
        classes: Vec<ClassDef>,
        variants: Vec<Variant>,
    ) -> Result<(), ProjectError> {
        let mut file = self.file.clone();
        file.classes = classes;
        file.variants = variants;
        let problems = validate::project_problems(&file);
        if !problems.is_empty() {
            return Err(ProjectError::Invalid {
                path: self.root.join(PROJECT_FILE),
                problems,
            });
        }
        self.file = file;
        Ok(())
    }
}

/// Writes a `project.ron` atomically after checking it.
pub fn write_project_file(root: &Path, file: &ProjectFile) -> Result<(), ProjectError> {
    let path = root.join(PROJECT_FILE);
    let problems = validate::project_problems(file);
    if !problems.is_empty() {
        return Err(ProjectError::Invalid { path, problems });
    }
    atomic_write(&path, to_ron_string(file, &path)?.as_bytes())?;
    Ok(())
}

/// Writes the annotation file of image `file` atomically, or removes it when `annotation` is
/// `None` (no instances: the image is unlabelled).
pub fn store_annotation(
    root: &Path,
    file: &str,
    annotation: Option<&AnnotationFile>,
) -> Result<(), ProjectError> {
    if let Some(annotation) = annotation {
        return write_annotation_file(root, annotation);
    }
    let path = annotation_path(root, file);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(FileError::new("cannot remove", &path, e).into()),
    }
}

#[derive(serde::Deserialize)]
struct SchemaProbe {
    schema_version: u32,
}

/// Parses an annotation file of any schema this build reads, upgraded to the current one.
pub fn parse_annotation(text: &str, path: &Path) -> Result<AnnotationFile, ProjectError> {
    match ron::from_str::<SchemaProbe>(text) {
        Ok(probe) if probe.schema_version == schema_v1::VERSION => {
            parse_ron::<schema_v1::AnnotationFileV1>(text, path)
                .map(schema_v1::AnnotationFileV1::upgrade)
        }
        _ => parse_ron(text, path),
    }
}

/// Writes an annotation file atomically into the project's `annotations/` (without validating it;
/// [`Project::annotation_for`] validates).
pub fn write_annotation_file(root: &Path, annotation: &AnnotationFile) -> Result<(), ProjectError> {
    write_annotation_file_in(&root.join("annotations"), annotation)
}

/// Writes an annotation file atomically into `dir` under the image's stem (the demo's ground truth
/// uses the same format in another folder).
pub fn write_annotation_file_in(
    dir: &Path,
    annotation: &AnnotationFile,
) -> Result<(), ProjectError> {
    let path = dir.join(format!("{}.ron", image_stem(&annotation.image)));
    atomic_write(&path, to_ron_string(annotation, &path)?.as_bytes())?;
    Ok(())
}

/// The stem of an image file name, which names its annotation file and its exported mask.
pub fn image_stem(file: &str) -> String {
    Path::new(file)
        .file_stem()
        .map_or_else(|| file.to_owned(), |s| s.to_string_lossy().into_owned())
}

/// Path of the annotation file of the image `file` (its stem plus `.ron`).
pub fn annotation_path(root: &Path, file: &str) -> PathBuf {
    root.join("annotations")
        .join(format!("{}.ron", image_stem(file)))
}

fn load_annotation(root: &Path, image: &ImageEntry, project: &ProjectFile) -> AnnotationState {
    let path = annotation_path(root, &image.file);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return AnnotationState::Unlabelled,
        Err(e) => {
            return AnnotationState::Broken(FileError::new("cannot read", &path, e).to_string());
        }
    };
    let annotation = match parse_annotation(&text, &path) {
        Ok(a) => a,
        Err(err) => return AnnotationState::Broken(err.to_string()),
    };
    let problems = validate::annotation_problems(&annotation, image, project);
    if !problems.is_empty() {
        return AnnotationState::Broken(format!("{}: {}", path.display(), problems.join("; ")));
    }
    if annotation.instances.is_empty() {
        AnnotationState::Unlabelled
    } else {
        AnnotationState::Labelled(annotation)
    }
}
