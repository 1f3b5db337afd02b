//! Merging what a background job changed into the project being edited.
//!
//! Jobs never hand back a whole project: one that ran on a copy would wipe out every edit made while
//! it ran. An importer returns the photos it added (their files already written) and, for photos
//! already in the project, the instances it would give them together with the generation it read.
//! When the user edited such an image meanwhile, the edit wins; the job's version is kept beside it in
//! `annotations/conflicts/` and the merge says so.

use std::path::PathBuf;

use serde::Serialize;

use super::session::LabelSession;
use crate::project::fsio::atomic_write;
use crate::project::{
    AnnotationFile, AnnotationState, ClassId, ImageEntry, Instance, SCHEMA_VERSION, image_stem,
    to_ron_string,
};

/// Folder (inside `annotations/`) of job results that lost against an edit.
pub const CONFLICTS_DIR: &str = "conflicts";

/// What a job changed.
#[derive(Clone, Debug, Default)]
pub struct ProjectChanges {
    /// Classes the job needs that the project does not have yet (by name; ids are given on merging,
    /// the instances below use [`ProjectChanges::class_ids`] to find theirs).
    pub new_classes: Vec<String>,
    /// The ids the job gave its new classes (parallel to `new_classes`), which the merge maps to the
    /// project's real ids.
    pub class_ids: Vec<ClassId>,
    /// New photos, already copied into `images/`, with their annotation files already written.
    pub new_images: Vec<(ImageEntry, AnnotationState)>,
    /// New instances for photos already in the project.
    pub annotations: Vec<AnnotationChange>,
}

/// A job's version of an existing image's instances.
#[derive(Clone, Debug)]
pub struct AnnotationChange {
    /// File name of the image.
    pub image: String,
    /// The image's generation when the job read the project.
    pub base_generation: u64,
    pub instances: Vec<Instance>,
    /// Who made it, for the history and the conflict file ("import").
    pub source: String,
}

/// What a merge did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MergeReport {
    /// Classes created for the job's labels.
    pub classes_added: Vec<String>,
    pub images_added: usize,
    pub annotations_updated: usize,
    /// One sentence per image whose edit won over the job's version, naming where that version is.
    pub conflicts: Vec<String>,
    /// One sentence per change that could not be merged.
    pub refused: Vec<String>,
}

impl LabelSession {
    /// Merges `changes`; `project.ron` and the updated annotation files go through the autosave.
    pub fn merge(&mut self, mut changes: ProjectChanges) -> MergeReport {
        let mut report = MergeReport::default();
        if !changes.new_classes.is_empty() && !self.merge_classes(&mut changes, &mut report) {
            return report;
        }
        for (entry, state) in changes.new_images {
            if self.project().image_index(&entry.file).is_some() {
                report.refused.push(format!(
                    "{} is already in the project; the job's copy was not added",
                    entry.file
                ));
                continue;
            }
            self.project_mut().add_image(entry, state);
            report.images_added += 1;
        }
        if report.images_added > 0 {
            self.project_changed();
        }
        for change in changes.annotations {
            self.merge_annotation(change, &mut report);
        }
        report
    }

    /// Adds the job's new classes (reusing one of the same name created meanwhile) and renumbers the
    /// job's instances to the project's ids. Returns false when the classes cannot be added (then
    /// nothing is merged and the files the job wrote are reported).
    fn merge_classes(&mut self, changes: &mut ProjectChanges, report: &mut MergeReport) -> bool {
        let mut renumber = std::collections::HashMap::new();
        for (name, &job_id) in changes.new_classes.iter().zip(&changes.class_ids) {
            let existing = self
                .project()
                .file()
                .classes
                .iter()
                .find(|c| &c.name == name);
            let id = match existing {
                Some(class) => class.id,
                None => match self.project_mut().add_class(name) {
                    Ok(id) => {
                        report.classes_added.push(name.clone());
                        id
                    }
                    Err(err) => {
                        report.refused.push(format!("{err}; nothing was merged"));
                        return false;
                    }
                },
            };
            renumber.insert(job_id, id);
        }
        self.project_changed();
        let fix = |instances: &mut Vec<Instance>| {
            for inst in instances {
                if let Some(&id) = renumber.get(&inst.class_id) {
                    inst.class_id = id;
                }
            }
        };
        for (entry, state) in &mut changes.new_images {
            if let AnnotationState::Labelled(annotation) = state {
                let before = annotation.instances.clone();
                fix(&mut annotation.instances);
                if annotation.instances != before {
                    // The job wrote the file with its own ids: write it again with the real ones.
                    if let Err(err) =
                        crate::project::write_annotation_file(self.project().root(), annotation)
                    {
                        report.refused.push(format!("{}: {err}", entry.file));
                    }
                }
            }
        }
        for change in &mut changes.annotations {
            fix(&mut change.instances);
        }
        true
    }

    fn merge_annotation(&mut self, change: AnnotationChange, report: &mut MergeReport) {
        let Some(index) = self.project().image_index(&change.image) else {
            report.refused.push(format!(
                "{} is no longer in the project; the {}'s annotations for it were dropped",
                change.image, change.source
            ));
            return;
        };
        if self.generation(index) != change.base_generation {
            match self.keep_beside(&change) {
                Ok(path) => report.conflicts.push(format!(
                    "{} was edited while the {} ran: your edit is kept, the {}'s version is in {}",
                    change.image,
                    change.source,
                    change.source,
                    path.display()
                )),
                Err(err) => report.refused.push(format!(
                    "{} was edited while the {} ran: your edit is kept, and the {}'s version could not be kept beside it: {err}",
                    change.image, change.source, change.source
                )),
            }
            return;
        }
        let name = format!("{} annotations", change.source);
        match self.set_instances(index, &name, change.instances) {
            Ok(true) => report.annotations_updated += 1,
            Ok(false) => {}
            Err(err) => report.refused.push(format!("{}: {err}", change.image)),
        }
    }

    /// Writes a job's losing version to `annotations/conflicts/<stem>.<source>.<n>.ron`.
    fn keep_beside(&self, change: &AnnotationChange) -> Result<PathBuf, String> {
        let dir = self
            .project()
            .root()
            .join("annotations")
            .join(CONFLICTS_DIR);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {} ({e})", dir.display()))?;
        let stem = image_stem(&change.image);
        let path = (1u32..=u32::MAX)
            .map(|n| dir.join(format!("{stem}.{}.{n}.ron", change.source)))
            .find(|p| !p.exists())
            .ok_or_else(|| format!("{} is full", dir.display()))?;
        let annotation = AnnotationFile {
            schema_version: SCHEMA_VERSION,
            image: change.image.clone(),
            instances: change.instances.clone(),
        };
        let text = to_ron_string(&annotation, &path).map_err(|e| e.to_string())?;
        atomic_write(&path, text.as_bytes()).map_err(|e| e.to_string())?;
        Ok(path)
    }
}
