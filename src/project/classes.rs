//! The class list's edits: add, rename, recolour, set the real-world size, delete. Ids are stable
//! (a deleted class's id is retired, never handed out again) and the variants follow every change:
//! `full` is rebuilt from the classes, the grouped variants keep their groups.
//!
//! These change the project in memory only; [`crate::label::LabelSession`] saves them, and does
//! the annotation edits that a delete with reassignment needs first.

use super::schema::{
    ClassDef, ClassId, FULL_VARIANT, IGNORE_CLASS, MAX_CLASS_ID, ObjectSize, VariantTarget,
};
use super::{Project, ProjectError, preset};

/// Why a class edit was refused; the project is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum ClassError {
    #[error("there is no class with id {0}")]
    NoSuchClass(ClassId),
    #[error("a class name cannot be empty")]
    EmptyName,
    #[error("there is already a class named {0:?}")]
    DuplicateName(String),
    #[error(
        "cannot add class {0:?}: ids 1..={MAX_CLASS_ID} are all taken (deleted classes keep theirs)"
    )]
    IdsExhausted(String),
    #[error("the size of {name:?} must be three positive lengths in mm, not {size:?}")]
    BadSize { name: String, size: [f32; 3] },
    #[error(
        "class {name:?} is used by {instances} instance(s) in {images} image(s), first in {first}: \
         reassign them to another class to delete it"
    )]
    InUse {
        name: String,
        instances: usize,
        images: usize,
        first: String,
    },
    #[error("cannot reassign the instances of {0:?} to itself")]
    ReassignToItself(String),
    #[error(transparent)]
    Invalid(#[from] ProjectError),
}

/// One change to the class list, as the studio and the CLI ask for it.
#[derive(Clone, Debug, PartialEq)]
pub enum ClassChange {
    Add {
        name: String,
    },
    Rename {
        id: ClassId,
        name: String,
    },
    Recolour {
        id: ClassId,
        color: [u8; 3],
    },
    SetSize {
        id: ClassId,
        size: Option<ObjectSize>,
    },
    /// Delete; its instances go to `reassign` (refused while used without one).
    Delete {
        id: ClassId,
        reassign: Option<ClassId>,
    },
}

/// Where a class is used: instances and the images that hold them (readable annotations only).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClassUse {
    pub instances: usize,
    /// Image indices, in project order.
    pub images: Vec<usize>,
}

impl Project {
    fn class_index(&self, id: ClassId) -> Result<usize, ClassError> {
        self.file
            .classes
            .iter()
            .position(|c| c.id == id)
            .ok_or(ClassError::NoSuchClass(id))
    }

    /// A trimmed, non-empty name that no other class has.
    fn checked_name(&self, name: &str, except: Option<ClassId>) -> Result<String, ClassError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(ClassError::EmptyName);
        }
        if self
            .file
            .classes
            .iter()
            .any(|c| Some(c.id) != except && c.name == name)
        {
            return Err(ClassError::DuplicateName(name.to_owned()));
        }
        Ok(name.to_owned())
    }

    /// The id the next class gets: one above every id ever used.
    pub fn next_class_id(&self) -> Option<ClassId> {
        let used = self.file.classes.iter().map(|c| c.id);
        let retired = self.file.retired_class_ids.iter().copied();
        let next = used.chain(retired).max().unwrap_or(0) + 1;
        (next <= MAX_CLASS_ID).then_some(next)
    }

    /// Adds a class named `name` with the next id and a VOC-colormap colour: `full` gets a label for
    /// it, every other variant ignores it until the user groups it. Not saved.
    pub fn add_class(&mut self, name: &str) -> Result<ClassId, ClassError> {
        let name = self.checked_name(name, None)?;
        let id = self
            .next_class_id()
            .ok_or_else(|| ClassError::IdsExhausted(name.clone()))?;
        let mut classes = self.file.classes.clone();
        classes.push(ClassDef {
            id,
            name,
            color: crate::formats::palette::voc_colormap()[usize::from(id)],
            size_mm: None,
        });
        let mut variants = self.file.variants.clone();
        for variant in &mut variants {
            if variant.name != FULL_VARIANT {
                variant.mapping.insert(id, VariantTarget::Ignore);
            }
        }
        variants[0] = preset::full_variant(&classes);
        self.replace_classes(classes, variants)?;
        Ok(id)
    }

    /// Renames class `id`. `full`'s label follows; so does a grouped variant's label that had the
    /// old name and holds this class alone (a class kept as its own label there). Not saved.
    pub fn rename_class(&mut self, id: ClassId, name: &str) -> Result<(), ClassError> {
        let at = self.class_index(id)?;
        let name = self.checked_name(name, Some(id))?;
        let mut classes = self.file.classes.clone();
        let old = std::mem::replace(&mut classes[at].name, name.clone());
        let mut variants = self.file.variants.clone();
        for variant in variants.iter_mut().skip(1) {
            if let Some(VariantTarget::Label(l)) = variant.mapping.get(&id).copied() {
                let alone = variant
                    .mapping
                    .values()
                    .filter(|t| **t == VariantTarget::Label(l))
                    .count()
                    == 1;
                let label = usize::from(l) - 1;
                if alone && variant.labels[label] == old && !variant.labels.contains(&name) {
                    variant.labels[label].clone_from(&name);
                }
            }
        }
        variants[0] = preset::full_variant(&classes);
        self.replace_classes(classes, variants)?;
        Ok(())
    }

    /// Gives class `id` a new display colour. Not saved.
    pub fn recolour_class(&mut self, id: ClassId, color: [u8; 3]) -> Result<(), ClassError> {
        let at = self.class_index(id)?;
        self.file.classes[at].color = color;
        Ok(())
    }

    /// Sets (or clears) the real-world size of class `id`. Not saved.
    pub fn set_class_size(
        &mut self,
        id: ClassId,
        size: Option<ObjectSize>,
    ) -> Result<(), ClassError> {
        let at = self.class_index(id)?;
        if let Some(s) = size {
            let lengths = [s.length, s.width, s.height];
            if !lengths.iter().all(|v| v.is_finite() && *v > 0.0) {
                return Err(ClassError::BadSize {
                    name: self.file.classes[at].name.clone(),
                    size: lengths,
                });
            }
        }
        self.file.classes[at].size_mm = size;
        Ok(())
    }

    /// Where class `id` is used.
    pub fn class_use(&self, id: ClassId) -> ClassUse {
        let mut out = ClassUse::default();
        for index in 0..self.file.images.len() {
            let n = self
                .instances(index)
                .iter()
                .filter(|i| i.class_id == id)
                .count();
            if n > 0 {
                out.instances += n;
                out.images.push(index);
            }
        }
        out
    }

    /// Checks that class `id` may be deleted with its instances going to `reassign` (or refused
    /// while it is used, without one).
    pub fn check_class_delete(
        &self,
        id: ClassId,
        reassign: Option<ClassId>,
    ) -> Result<ClassUse, ClassError> {
        let at = self.class_index(id)?;
        let name = &self.file.classes[at].name;
        match reassign {
            Some(to) if to == id => return Err(ClassError::ReassignToItself(name.clone())),
            Some(to) if to != IGNORE_CLASS => {
                self.class_index(to)?;
            }
            _ => {}
        }
        let used = self.class_use(id);
        if reassign.is_none() && used.instances > 0 {
            return Err(ClassError::InUse {
                name: name.clone(),
                instances: used.instances,
                images: used.images.len(),
                first: self.file.images[used.images[0]].file.clone(),
            });
        }
        Ok(used)
    }

    /// Puts back a class list as it was (undo and redo of class changes): the caller has checked
    /// that no instance uses a class it leaves out. Not saved.
    pub(crate) fn restore_classes(
        &mut self,
        classes: Vec<ClassDef>,
        variants: Vec<super::Variant>,
        retired: Vec<ClassId>,
    ) -> Result<(), ProjectError> {
        self.replace_classes(classes, variants)?;
        self.file.retired_class_ids = retired;
        Ok(())
    }

    /// Deletes class `id`, which no readable annotation may use any more; its id is retired and it
    /// leaves every variant. Not saved.
    pub(crate) fn remove_unused_class(&mut self, id: ClassId) -> Result<(), ClassError> {
        self.check_class_delete(id, None)?;
        let mut classes = self.file.classes.clone();
        classes.retain(|c| c.id != id);
        let mut variants = self.file.variants.clone();
        for variant in &mut variants {
            variant.mapping.remove(&id);
        }
        variants[0] = preset::full_variant(&classes);
        self.replace_classes(classes, variants)?;
        self.file.retired_class_ids.push(id);
        self.file.retired_class_ids.sort_unstable();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::{Preset, Variant};

    fn project() -> (tempfile::TempDir, Project) {
        let dir = tempfile::tempdir().unwrap();
        let p = Project::create(dir.path(), "t", Preset::AtWork).unwrap();
        (dir, p)
    }

    fn variant<'a>(p: &'a Project, name: &str) -> &'a Variant {
        p.file().variants.iter().find(|v| v.name == name).unwrap()
    }

    #[test]
    fn renaming_follows_into_full_and_into_a_label_that_was_the_class_alone() {
        let (_dir, mut p) = project();
        let class = p.file().classes[0].clone();
        p.rename_class(class.id, "  Axis 2 ").unwrap();
        assert_eq!(p.class(class.id).unwrap().name, "Axis 2");
        assert_eq!(p.full_variant().labels[0], "Axis 2");
        // A duplicate and an empty name are refused and change nothing.
        let other = p.file().classes[1].name.clone();
        assert!(matches!(
            p.rename_class(class.id, &other),
            Err(ClassError::DuplicateName(_))
        ));
        assert!(matches!(
            p.rename_class(class.id, " "),
            Err(ClassError::EmptyName)
        ));
        assert_eq!(p.class(class.id).unwrap().name, "Axis 2");
        // The binary variant's one label holds every class: it keeps its name.
        let binary = variant(&p, "binary");
        assert_eq!(binary.labels.len(), 1);
        assert_ne!(binary.labels[0], "Axis 2");
    }

    #[test]
    fn a_deleted_id_is_never_handed_out_again() {
        let (_dir, mut p) = project();
        let last = p.file().classes.last().unwrap().id;
        p.remove_unused_class(last).unwrap();
        assert!(p.class(last).is_none());
        for v in &p.file().variants {
            assert!(!v.mapping.contains_key(&last), "{}", v.name);
        }
        assert_eq!(p.full_variant().labels.len(), p.file().classes.len());
        let new = p.add_class("gripper").unwrap();
        assert_eq!(new, last + 1);
        assert_eq!(
            variant(&p, "binary").mapping[&new],
            VariantTarget::Ignore,
            "a grouped variant ignores a new class until it is grouped"
        );
        assert_eq!(p.full_variant().labels.last().unwrap(), "gripper");
        // The retired id survives a save and reopening.
        p.save_project_file().unwrap();
        let reopened = Project::open(p.root()).unwrap();
        assert_eq!(reopened.file().retired_class_ids, [last]);
        assert_eq!(reopened.next_class_id(), Some(new + 1));
    }

    #[test]
    fn sizes_must_be_positive_and_reassignment_must_go_elsewhere() {
        let (_dir, mut p) = project();
        let id = p.file().classes[0].id;
        let bad = ObjectSize {
            length: 10.0,
            width: 0.0,
            height: f32::NAN,
        };
        assert!(matches!(
            p.set_class_size(id, Some(bad)),
            Err(ClassError::BadSize { .. })
        ));
        let good = ObjectSize {
            length: 100.0,
            width: 20.0,
            height: 20.0,
        };
        p.set_class_size(id, Some(good)).unwrap();
        assert_eq!(p.class(id).unwrap().size_mm, Some(good));
        assert!(matches!(
            p.check_class_delete(id, Some(id)),
            Err(ClassError::ReassignToItself(_))
        ));
        assert!(matches!(
            p.check_class_delete(id, Some(200)),
            Err(ClassError::NoSuchClass(200))
        ));
        assert!(matches!(
            p.rename_class(200, "x"),
            Err(ClassError::NoSuchClass(200))
        ));
    }
}
