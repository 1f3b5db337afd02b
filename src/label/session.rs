//! A project open for editing: the project in memory, one undo/redo history and generation counter
//! per edited image, and the autosave worker that makes each generation durable.
//!
//! Every change to annotations or `project.ron` goes through here: edits, undo and redo, and the
//! changes background jobs return (see [`super::merge`]). An edit updates the project in memory at
//! once, bumps the image's generation and queues the file; the worker reports back which generation
//! is on disk, so "unsaved" is simply a generation newer than the durable one.

use std::collections::HashMap;

use super::autosave::{Autosave, AutosaveOptions, Payload, SaveReport, SaveTarget, Waker};
use super::history::{ClassEdit, ClassState, Edit, History};
use crate::project::classes::{ClassChange, ClassError};
use crate::project::{AnnotationState, ClassId, Instance, Project, ProjectError};

/// Why an edit was refused; the project is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("there is no image {0} in the project")]
    NoSuchImage(usize),
    #[error(
        "the annotation file of {image} could not be read and is kept as it is; fix or remove it first ({reason})"
    )]
    Broken { image: String, reason: String },
    #[error(transparent)]
    Invalid(#[from] ProjectError),
    #[error(transparent)]
    Class(#[from] ClassError),
    #[error("{0}")]
    Refused(String),
}

/// Edit state of one image.
#[derive(Debug, Default)]
struct ImageEdits {
    history: History,
    generation: u64,
    durable: u64,
    /// The last failed write, until a later one succeeds.
    failure: Option<String>,
}

/// Where saving stands, for the status bar.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SaveState {
    /// Files with changes not yet on disk.
    pub unsaved: usize,
    /// Files whose last write failed, each with the error.
    pub failures: Vec<String>,
}

/// A project being edited.
pub struct LabelSession {
    project: Project,
    /// Keyed by image file name, which stays valid when images are added.
    images: HashMap<String, ImageEdits>,
    project_generation: u64,
    project_durable: u64,
    project_failure: Option<String>,
    autosave: Autosave,
    /// Stamps edits in the order they are made (image edits and class changes alike).
    clock: u64,
    class_undo: Vec<ClassEdit>,
    class_redo: Vec<ClassEdit>,
}

/// At most this many class changes can be undone.
const MAX_CLASS_UNDO: usize = 100;

impl LabelSession {
    /// Opens `project` for editing and starts its autosave worker; `waker` is called when a save
    /// report arrives.
    pub fn open(project: Project, waker: Waker) -> std::io::Result<Self> {
        Self::with_options(project, AutosaveOptions::default(), waker)
    }

    pub fn with_options(
        project: Project,
        options: AutosaveOptions,
        waker: Waker,
    ) -> std::io::Result<Self> {
        let autosave = Autosave::start(project.root().to_path_buf(), options, waker)?;
        Ok(Self {
            project,
            images: HashMap::new(),
            project_generation: 0,
            project_durable: 0,
            project_failure: None,
            autosave,
            clock: 0,
            class_undo: Vec::new(),
            class_redo: Vec::new(),
        })
    }

    pub fn project(&self) -> &Project {
        &self.project
    }

    fn key(&self, index: usize) -> Result<String, EditError> {
        self.project
            .file()
            .images
            .get(index)
            .map(|i| i.file.clone())
            .ok_or(EditError::NoSuchImage(index))
    }

    /// Changes the instances of image `index` by `change`, as one undoable edit called `name`.
    /// Returns whether anything changed; an edit that leaves an invalid annotation is refused.
    pub fn edit(
        &mut self,
        index: usize,
        name: &str,
        change: impl FnOnce(&mut Vec<Instance>),
    ) -> Result<bool, EditError> {
        let key = self.key(index)?;
        if let Some(reason) = self.project.broken_reason(index) {
            return Err(EditError::Broken {
                image: key,
                reason: reason.to_owned(),
            });
        }
        let before = self.project.instances(index).to_vec();
        let mut after = before.clone();
        change(&mut after);
        if after == before {
            return Ok(false);
        }
        self.apply(index, &key, after.clone())?;
        self.clock += 1;
        // A new edit anywhere ends what could be redone of the class list, as it does the photo's.
        self.class_redo.clear();
        self.images.entry(key).or_default().history.record(Edit {
            name: name.to_owned(),
            before,
            after,
            stamp: self.clock,
        });
        Ok(true)
    }

    /// Replaces the instances of image `index`, as one undoable edit.
    pub fn set_instances(
        &mut self,
        index: usize,
        name: &str,
        instances: Vec<Instance>,
    ) -> Result<bool, EditError> {
        self.edit(index, name, |list| *list = instances)
    }

    /// Takes back the last edit of image `index`; returns its name.
    pub fn undo(&mut self, index: usize) -> Result<Option<String>, EditError> {
        self.step(index, true)
    }

    /// Makes the last undone edit of image `index` again; returns its name.
    pub fn redo(&mut self, index: usize) -> Result<Option<String>, EditError> {
        self.step(index, false)
    }

    /// Whether Ctrl+Z takes back a class change rather than image `index`'s last edit: the
    /// newer of the two goes first.
    fn class_change_first(&self, index: Option<usize>, back: bool) -> bool {
        let history = index.and_then(|i| self.edits(i)).map(|e| &e.history);
        if back {
            let image = history.and_then(History::undo_stamp);
            self.class_undo
                .last()
                .is_some_and(|c| image.is_none_or(|s| c.stamp > s))
        } else {
            // Redo goes forward in time: the older of the two undone edits first.
            // A delete's own reassignment is redone with it, never before it.
            let image = history.and_then(History::redo_stamp);
            self.class_redo.last().is_some_and(|c| {
                image.is_none_or(|s| c.stamp < s || c.reassigned.iter().any(|(_, r)| *r == s))
            })
        }
    }

    /// Undo as Ctrl+Z does it: the newer of image `index`'s last edit (when an image is
    /// selected) and the last class change; returns its name.
    pub fn undo_latest(&mut self, index: Option<usize>) -> Result<Option<String>, EditError> {
        if self.class_change_first(index, true) {
            return self.step_classes(true).map(Some);
        }
        index.map_or(Ok(None), |i| self.undo(i))
    }

    /// Redo as Ctrl+Shift+Z does it (see [`Self::undo_latest`]).
    pub fn redo_latest(&mut self, index: Option<usize>) -> Result<Option<String>, EditError> {
        if self.class_change_first(index, false) {
            return self.step_classes(false).map(Some);
        }
        index.map_or(Ok(None), |i| self.redo(i))
    }

    /// What [`Self::undo_latest`] would take back, in words.
    pub fn undo_latest_name(&self, index: Option<usize>) -> Option<&str> {
        if self.class_change_first(index, true) {
            return self.class_undo.last().map(|c| c.name.as_str());
        }
        index.and_then(|i| self.undo_name(i))
    }

    /// What [`Self::redo_latest`] would make again, in words.
    pub fn redo_latest_name(&self, index: Option<usize>) -> Option<&str> {
        if self.class_change_first(index, false) {
            return self.class_redo.last().map(|c| c.name.as_str());
        }
        index.and_then(|i| self.redo_name(i))
    }

    fn class_state(&self) -> ClassState {
        let file = self.project.file();
        ClassState {
            classes: file.classes.clone(),
            variants: file.variants.clone(),
            retired: file.retired_class_ids.clone(),
        }
    }

    /// Takes the last class change back (or makes the last undone one again). Refused, changing
    /// nothing, where it would take away a class that instances use now.
    fn step_classes(&mut self, back: bool) -> Result<String, EditError> {
        let edit = if back {
            self.class_undo.last()
        } else {
            self.class_redo.last()
        }
        .cloned()
        .ok_or_else(|| EditError::Refused("there is no class change to take back".into()))?;
        let target = if back { &edit.before } else { &edit.after };
        let images: Vec<usize> = edit
            .reassigned
            .iter()
            .filter_map(|(file, _)| self.project.image_index(file))
            .collect();
        let refuse = |why: String| {
            EditError::Refused(format!(
                "cannot {} {:?}: {why}",
                if back { "undo" } else { "redo" },
                edit.name
            ))
        };
        // Classes the step takes away must be unused once it is done.
        let gone: Vec<ClassId> = self
            .project
            .file()
            .classes
            .iter()
            .map(|c| c.id)
            .filter(|id| !target.classes.iter().any(|c| c.id == *id))
            .collect();
        // What keeps such a class in use, in words.
        let in_use = |session: &Self| {
            gone.iter().find_map(|&id| {
                let used = session.project.class_use(id);
                (used.instances > 0).then(|| {
                    format!(
                        "{} instance(s) in {} image(s) use class {:?}",
                        used.instances,
                        used.images.len(),
                        session.project.class(id).map_or("?", |c| c.name.as_str())
                    )
                })
            })
        };
        if back {
            if let Some(why) = in_use(self) {
                return Err(refuse(format!("{why} now")));
            }
            // The class comes back first, then its instances.
            self.project.restore_classes(
                target.classes.clone(),
                target.variants.clone(),
                target.retired.clone(),
            )?;
            for (&image, (_, stamp)) in images.iter().zip(&edit.reassigned) {
                if self.edits(image).and_then(|e| e.history.undo_stamp()) == Some(*stamp) {
                    self.step(image, true)?;
                }
            }
        } else {
            let redoable = images.len() == edit.reassigned.len()
                && images
                    .iter()
                    .zip(&edit.reassigned)
                    .all(|(&image, (_, stamp))| {
                        self.edits(image).and_then(|e| e.history.redo_stamp()) == Some(*stamp)
                    });
            if !redoable && !edit.reassigned.is_empty() {
                return Err(refuse(
                    "the photos it reassigned have been edited since".into(),
                ));
            }
            for &image in &images {
                self.step(image, false)?;
            }
            if let Some(why) = in_use(self) {
                return Err(refuse(format!("{why} still")));
            }
            self.project.restore_classes(
                target.classes.clone(),
                target.variants.clone(),
                target.retired.clone(),
            )?;
        }
        if back {
            if let Some(e) = self.class_undo.pop() {
                self.class_redo.push(e);
            }
        } else if let Some(e) = self.class_redo.pop() {
            self.class_undo.push(e);
        }
        self.project_changed();
        Ok(edit.name)
    }

    fn step(&mut self, index: usize, back: bool) -> Result<Option<String>, EditError> {
        let key = self.key(index)?;
        let Some(edits) = self.images.get_mut(&key) else {
            return Ok(None);
        };
        let edit = if back {
            edits.history.undo()
        } else {
            edits.history.redo()
        };
        let Some(edit) = edit else { return Ok(None) };
        let name = edit.name.clone();
        let state = if back {
            edit.before.clone()
        } else {
            edit.after.clone()
        };
        if let Err(err) = self.apply(index, &key, state) {
            // The history stays consistent with the project: step it back the other way.
            if let Some(edits) = self.images.get_mut(&key) {
                if back {
                    edits.history.redo();
                } else {
                    edits.history.undo();
                }
            }
            return Err(err);
        }
        Ok(Some(name))
    }

    /// Sets the instances in memory, bumps the generation and queues the file. Not recorded in the
    /// history (callers do that).
    pub(crate) fn apply(
        &mut self,
        index: usize,
        key: &str,
        instances: Vec<Instance>,
    ) -> Result<(), EditError> {
        let annotation = self.project.annotation_for(index, instances)?;
        let state = annotation
            .clone()
            .map_or(AnnotationState::Unlabelled, AnnotationState::Labelled);
        self.project.set_annotation_state(index, state);
        let edits = self.images.entry(key.to_owned()).or_default();
        edits.generation += 1;
        self.autosave.queue(
            SaveTarget::Annotation(key.to_owned()),
            edits.generation,
            Payload::Annotation(annotation),
        );
        Ok(())
    }

    /// Queues `project.ron` after a change to the project in memory.
    pub(crate) fn project_changed(&mut self) {
        self.project_generation += 1;
        self.autosave.queue(
            SaveTarget::ProjectFile,
            self.project_generation,
            Payload::ProjectFile(Box::new(self.project.file().clone())),
        );
    }

    /// Replaces the project's variants (checked as on opening) and autosaves `project.ron`.
    pub fn set_variants(
        &mut self,
        variants: Vec<crate::project::Variant>,
    ) -> Result<(), crate::project::ProjectError> {
        let classes = self.project.file().classes.clone();
        self.project.replace_classes(classes, variants)?;
        self.project_changed();
        Ok(())
    }

    /// Changes the class list and autosaves `project.ron`; returns what happened, in words. A delete
    /// with reassignment first gives every instance of the class the other one, as one undoable
    /// edit per image.
    pub fn change_class(&mut self, change: ClassChange) -> Result<String, EditError> {
        let name_of = |p: &Project, id: ClassId| p.class(id).map(|c| c.name.clone());
        let before = self.project.file().clone();
        let before_classes = self.class_state();
        let mut reassigned = Vec::new();
        let summary = match change {
            ClassChange::Add { name } => {
                let id = self.project.add_class(&name)?;
                format!(
                    "Added class {:?} (id {id})",
                    name_of(&self.project, id).unwrap_or(name)
                )
            }
            ClassChange::Rename { id, name } => {
                let old = name_of(&self.project, id).ok_or(ClassError::NoSuchClass(id))?;
                self.project.rename_class(id, &name)?;
                format!("Renamed {old:?} to {:?}", name.trim())
            }
            ClassChange::Recolour { id, color } => {
                self.project.recolour_class(id, color)?;
                format!(
                    "Recoloured {:?}",
                    name_of(&self.project, id).unwrap_or_default()
                )
            }
            ClassChange::SetSize { id, size } => {
                self.project.set_class_size(id, size)?;
                format!(
                    "Set the size of {:?}",
                    name_of(&self.project, id).unwrap_or_default()
                )
            }
            ClassChange::Delete { id, reassign } => {
                let used = self.project.check_class_delete(id, reassign)?;
                let name = name_of(&self.project, id).unwrap_or_default();
                if let Some(to) = reassign {
                    for &image in &used.images {
                        let changed = self.edit(image, "Reassign class", |list| {
                            for inst in list.iter_mut().filter(|i| i.class_id == id) {
                                inst.class_id = to;
                            }
                        })?;
                        if changed {
                            reassigned
                                .push((self.project.file().images[image].file.clone(), self.clock));
                        }
                    }
                }
                self.project.remove_unused_class(id)?;
                match reassign.and_then(|to| name_of(&self.project, to)) {
                    Some(to) if used.instances > 0 => format!(
                        "Deleted class {name:?}; its {} instance(s) in {} image(s) are {to:?} now",
                        used.instances,
                        used.images.len()
                    ),
                    _ => format!("Deleted class {name:?}"),
                }
            }
        };
        if *self.project.file() != before {
            self.project_changed();
            self.clock += 1;
            self.class_redo.clear();
            // "Undid renamed \"a\" to \"b\"" in the toast and the Edit menu.
            let mut name = summary.clone();
            if let Some(first) = name.get(..1) {
                name.replace_range(..1, &first.to_lowercase());
            }
            self.class_undo.push(ClassEdit {
                name,
                before: before_classes,
                after: self.class_state(),
                stamp: self.clock,
                reassigned,
            });
            if self.class_undo.len() > MAX_CLASS_UNDO {
                self.class_undo.remove(0);
            }
        }
        Ok(summary)
    }

    /// Marks image `index` done or not and autosaves `project.ron`.
    pub fn set_done(&mut self, index: usize, done: bool) -> Result<(), EditError> {
        let entry = self
            .project
            .file()
            .images
            .get(index)
            .ok_or(EditError::NoSuchImage(index))?;
        if entry.done != done {
            self.project.set_done(index, done);
            self.project_changed();
        }
        Ok(())
    }

    /// Replaces the Synthesize workspace's parameters and autosaves `project.ron`.
    pub fn set_synth_params(&mut self, params: crate::synth::SynthParams) {
        if self.project.file().synth != params {
            self.project.set_synth_params(params);
            self.project_changed();
        }
    }

    /// How many times `project.ron` changed in this session (a stamp for views that follow it).
    pub fn project_generation(&self) -> u64 {
        self.project_generation
    }

    pub(crate) fn project_mut(&mut self) -> &mut Project {
        &mut self.project
    }

    /// The generation of image `index`: 0 until its first change in this session, then one more
    /// for every edit, undo, redo or merged change.
    pub fn generation(&self, index: usize) -> u64 {
        self.edits(index).map_or(0, |e| e.generation)
    }

    /// The newest generation of image `index` known to be on disk.
    pub fn durable_generation(&self, index: usize) -> u64 {
        self.edits(index).map_or(0, |e| e.durable)
    }

    fn edits(&self, index: usize) -> Option<&ImageEdits> {
        let key = &self.project.file().images.get(index)?.file;
        self.images.get(key)
    }

    pub fn undo_name(&self, index: usize) -> Option<&str> {
        self.edits(index).and_then(|e| e.history.undo_name())
    }

    pub fn redo_name(&self, index: usize) -> Option<&str> {
        self.edits(index).and_then(|e| e.history.redo_name())
    }

    /// Reads the autosave worker's reports; returns them (failures are for the user to see).
    pub fn poll_saves(&mut self) -> Vec<SaveReport> {
        let reports = self.autosave.reports();
        self.note_reports(&reports);
        reports
    }

    /// Like [`Self::poll_saves`], waiting up to `timeout` for the next report (headless tools).
    pub fn wait_saves(&mut self, timeout: std::time::Duration) -> Vec<SaveReport> {
        let reports = self.autosave.wait_reports(timeout);
        self.note_reports(&reports);
        reports
    }

    fn note_reports(&mut self, reports: &[SaveReport]) {
        for report in reports {
            let (durable, failure) = match &report.target {
                SaveTarget::ProjectFile => (&mut self.project_durable, &mut self.project_failure),
                SaveTarget::Annotation(key) => {
                    let edits = self.images.entry(key.clone()).or_default();
                    (&mut edits.durable, &mut edits.failure)
                }
            };
            match &report.outcome {
                Ok(()) => {
                    *durable = (*durable).max(report.generation);
                    *failure = None;
                }
                Err(err) => *failure = Some(err.clone()),
            }
        }
    }

    /// Where saving stands (after [`Self::poll_saves`]).
    pub fn save_state(&self) -> SaveState {
        let mut state = SaveState::default();
        let files = self
            .images
            .values()
            .map(|e| (e.generation, e.durable, &e.failure))
            .chain(std::iter::once((
                self.project_generation,
                self.project_durable,
                &self.project_failure,
            )));
        for (generation, durable, failure) in files {
            if generation > durable {
                state.unsaved += 1;
                if let Some(failure) = failure {
                    state.failures.push(failure.clone());
                }
            }
        }
        state.failures.sort();
        state
    }

    /// Writes everything changed so far and waits until it is on disk.
    pub fn flush(&mut self) -> Result<(), String> {
        let result = self.autosave.flush();
        self.poll_saves();
        result
    }
}
