//! Hiding and locking instances and classes while labelling (session state, never saved): a
//! hidden instance is neither drawn nor picked, a locked one is drawn but cannot be selected or
//! changed, so that editing one object never disturbs its neighbours.

use std::collections::HashSet;

use crate::project::{ClassId, Instance};

/// What is hidden and locked, per image file and instance id, and per class.
#[derive(Clone, Debug, Default)]
pub struct Visibility {
    hidden: HashSet<(String, u32)>,
    locked: HashSet<(String, u32)>,
    hidden_classes: HashSet<ClassId>,
    locked_classes: HashSet<ClassId>,
    /// Changes with every toggle (the fill overlay is redrawn when it does).
    stamp: u64,
}

impl Visibility {
    pub fn is_hidden(&self, file: &str, inst: &Instance) -> bool {
        self.hidden_classes.contains(&inst.class_id)
            || self.hidden.contains(&(file.to_owned(), inst.id))
    }

    /// Hidden or locked: not to be picked or changed.
    pub fn is_locked(&self, file: &str, inst: &Instance) -> bool {
        self.is_hidden(file, inst)
            || self.locked_classes.contains(&inst.class_id)
            || self.locked.contains(&(file.to_owned(), inst.id))
    }

    pub fn instance_hidden(&self, file: &str, id: u32) -> bool {
        self.hidden.contains(&(file.to_owned(), id))
    }

    pub fn instance_locked(&self, file: &str, id: u32) -> bool {
        self.locked.contains(&(file.to_owned(), id))
    }

    pub fn class_hidden(&self, class: ClassId) -> bool {
        self.hidden_classes.contains(&class)
    }

    pub fn class_locked(&self, class: ClassId) -> bool {
        self.locked_classes.contains(&class)
    }

    pub fn toggle_instance(&mut self, file: &str, id: u32, lock: bool) {
        let set = if lock {
            &mut self.locked
        } else {
            &mut self.hidden
        };
        let key = (file.to_owned(), id);
        if !set.remove(&key) {
            set.insert(key);
        }
        self.stamp += 1;
    }

    pub fn toggle_class(&mut self, class: ClassId, lock: bool) {
        let set = if lock {
            &mut self.locked_classes
        } else {
            &mut self.hidden_classes
        };
        if !set.remove(&class) {
            set.insert(class);
        }
        self.stamp += 1;
    }

    pub fn stamp(&self) -> u64 {
        self.stamp
    }

    /// The instances of `file` that are drawn.
    pub fn visible<'a>(&self, file: &str, instances: &'a [Instance]) -> Vec<&'a Instance> {
        instances
            .iter()
            .filter(|i| !self.is_hidden(file, i))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::{Part, Tool};

    #[test]
    fn hiding_implies_locking_and_classes_cover_their_instances() {
        let inst = Instance {
            id: 3,
            class_id: 7,
            parts: vec![Part::solid(vec![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])],
            order: 1,
            tool: Tool::Polygon,
        };
        let mut v = Visibility::default();
        assert!(!v.is_locked("a.jpg", &inst));
        v.toggle_instance("a.jpg", 3, false);
        assert!(v.is_hidden("a.jpg", &inst) && v.is_locked("a.jpg", &inst));
        assert!(!v.is_hidden("b.jpg", &inst), "per image");
        v.toggle_instance("a.jpg", 3, false);
        v.toggle_class(7, true);
        assert!(!v.is_hidden("a.jpg", &inst) && v.is_locked("b.jpg", &inst));
        assert_eq!(v.stamp(), 3);
    }
}
