//! The undo/redo history of one image: whole edits (the instance list before and after), bounded,
//! in memory only; and the history of the class list, whose edits interleave with the images' by
//! their stamps. It is deliberately not serialisable: an edit history is session state, and a
//! project on disk holds only the annotations themselves.

use std::collections::VecDeque;

use crate::project::{ClassDef, ClassId, Instance, Variant};

/// How many edits of one image can be undone; older ones are forgotten first.
pub const MAX_UNDO: usize = 200;

/// One whole edit: what the image's instances were before it and after it.
#[derive(Clone, Debug, PartialEq)]
pub struct Edit {
    /// What the user did, in words ("delete instance 3"), for the Undo/Redo menu items.
    pub name: String,
    pub before: Vec<Instance>,
    pub after: Vec<Instance>,
    /// When it was made in the session (a counter shared with class edits): Ctrl+Z undoes
    /// whichever of the photo's last edit and the last class change is newer.
    pub stamp: u64,
}

/// The class list with what follows it: the variants and the retired ids.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassState {
    pub classes: Vec<ClassDef>,
    pub variants: Vec<Variant>,
    pub retired: Vec<ClassId>,
}

/// One class change (add, rename, recolour, size, delete).
#[derive(Clone, Debug, PartialEq)]
pub struct ClassEdit {
    pub name: String,
    pub before: ClassState,
    pub after: ClassState,
    pub stamp: u64,
    /// A delete's reassignment: the image (by file) and stamp of each edit that moved instances
    /// to the other class, taken back and made again with it.
    pub reassigned: Vec<(String, u64)>,
}

/// Undo and redo stacks of one image.
#[derive(Debug, Default)]
pub struct History {
    undo: VecDeque<Edit>,
    redo: Vec<Edit>,
}

impl History {
    /// Records an edit that was just made; anything that was undone can no longer be redone.
    pub fn record(&mut self, edit: Edit) {
        self.redo.clear();
        self.undo.push_back(edit);
        while self.undo.len() > MAX_UNDO {
            self.undo.pop_front();
        }
    }

    /// Takes the last edit back: returns it (its `before` is the state to restore).
    pub fn undo(&mut self) -> Option<&Edit> {
        let edit = self.undo.pop_back()?;
        self.redo.push(edit);
        self.redo.last()
    }

    /// Makes the last undone edit again: returns it (its `after` is the state to restore).
    pub fn redo(&mut self) -> Option<&Edit> {
        let edit = self.redo.pop()?;
        self.undo.push_back(edit);
        self.undo.back()
    }

    pub fn undo_name(&self) -> Option<&str> {
        self.undo.back().map(|e| e.name.as_str())
    }

    pub fn redo_name(&self) -> Option<&str> {
        self.redo.last().map(|e| e.name.as_str())
    }

    pub fn undo_len(&self) -> usize {
        self.undo.len()
    }

    /// The stamp of the edit an undo would take back.
    pub fn undo_stamp(&self) -> Option<u64> {
        self.undo.back().map(|e| e.stamp)
    }

    /// The stamp of the edit a redo would make again.
    pub fn redo_stamp(&self) -> Option<u64> {
        self.redo.last().map(|e| e.stamp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(name: &str, before: usize, after: usize) -> Edit {
        let list = |n: usize| {
            (0..n)
                .map(|k| Instance {
                    id: k as u32 + 1,
                    class_id: 1,
                    parts: Vec::new(),
                    order: k as i32,
                    tool: crate::project::Tool::Polygon,
                })
                .collect()
        };
        Edit {
            name: name.into(),
            before: list(before),
            after: list(after),
            stamp: 0,
        }
    }

    #[test]
    fn undo_redo_and_a_new_edit_drops_the_redo_stack() {
        let mut h = History::default();
        h.record(edit("add 1", 0, 1));
        h.record(edit("add 2", 1, 2));
        assert_eq!(h.undo().map(|e| e.before.len()), Some(1));
        assert_eq!(h.redo_name(), Some("add 2"));
        assert_eq!(h.redo().map(|e| e.after.len()), Some(2));
        assert_eq!(h.undo().map(|e| e.name.clone()).as_deref(), Some("add 2"));
        h.record(edit("add other", 1, 2));
        assert_eq!(h.redo_name(), None, "a new edit forgets what was undone");
        assert_eq!(h.undo_name(), Some("add other"));
    }

    #[test]
    fn history_is_bounded() {
        let mut h = History::default();
        for k in 0..MAX_UNDO + 30 {
            h.record(edit(&format!("edit {k}"), k, k + 1));
        }
        assert_eq!(h.undo_len(), MAX_UNDO);
        let mut undone = 0;
        while h.undo().is_some() {
            undone += 1;
        }
        assert_eq!(undone, MAX_UNDO);
        assert_eq!(
            h.redo_name(),
            Some("edit 30"),
            "the oldest edits were forgotten"
        );
    }
}
