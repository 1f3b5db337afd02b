//! Edits of one image's instances, as values: the studio's panels send them as commands and the
//! session applies each as one undoable edit. The Label workspace adds its tools' edits here.

use crate::project::{ClassId, Instance};

/// One edit of an image's instances.
#[derive(Clone, Debug, PartialEq)]
pub enum InstanceEdit {
    /// Remove the instance with this id.
    Delete(u32),
    /// Give the instance with this id another class.
    SetClass { id: u32, class: ClassId },
    /// Add a new instance (its id unused in the image).
    Add(Instance),
    /// Add several new instances as one edit (copied from another photo).
    AddAll(Vec<Instance>),
    /// Replace the instance with the same id by this one (a reshaped outline); `what` names the
    /// change for the Undo menu ("move a vertex").
    Replace {
        instance: Instance,
        what: &'static str,
    },
    /// Paint the instance above every other one.
    ToFront(u32),
    /// Paint the instance below every other one.
    ToBack(u32),
    /// Join `other` into `into`: one instance of `into`'s class with the parts of both.
    Merge { into: u32, other: u32 },
    /// Make each part of the instance an instance of its own (same class, new ids).
    Split(u32),
}

impl InstanceEdit {
    /// What the edit does, in words, for the Undo/Redo menu items.
    pub fn name(&self) -> String {
        match self {
            Self::Delete(id) => format!("delete instance #{id}"),
            Self::SetClass { id, .. } => format!("change the class of #{id}"),
            Self::Add(inst) => format!("add instance #{}", inst.id),
            Self::AddAll(list) => format!("add {} instances", list.len()),
            Self::Replace { instance, what } => format!("{what} of #{}", instance.id),
            Self::ToFront(id) => format!("bring #{id} to the front"),
            Self::ToBack(id) => format!("send #{id} to the back"),
            Self::Merge { into, other } => format!("merge #{other} into #{into}"),
            Self::Split(id) => format!("split #{id} into its parts"),
        }
    }

    /// Applies the edit; an id that is not there changes nothing (and an `Add` whose id is taken
    /// adds nothing).
    pub fn apply(&self, instances: &mut Vec<Instance>) {
        match self {
            Self::Delete(id) => instances.retain(|i| i.id != *id),
            Self::SetClass { id, class } => {
                for inst in instances.iter_mut().filter(|i| i.id == *id) {
                    inst.class_id = *class;
                }
            }
            Self::Add(inst) => {
                if instances.iter().all(|i| i.id != inst.id) {
                    instances.push(inst.clone());
                }
            }
            Self::AddAll(list) => {
                for inst in list {
                    if instances.iter().all(|i| i.id != inst.id) {
                        instances.push(inst.clone());
                    }
                }
            }
            Self::Replace { instance, .. } => {
                for inst in instances.iter_mut().filter(|i| i.id == instance.id) {
                    inst.clone_from(instance);
                }
            }
            Self::Merge { into, other } => {
                if into == other {
                    return;
                }
                let Some(taken) = instances.iter().position(|i| i.id == *other) else {
                    return;
                };
                if !instances.iter().any(|i| i.id == *into) {
                    return;
                }
                let taken = instances.remove(taken);
                if let Some(target) = instances.iter_mut().find(|i| i.id == *into) {
                    target.parts.extend(taken.parts);
                    target.order = target.order.max(taken.order);
                }
            }
            Self::Split(id) => {
                let Some(at) = instances.iter().position(|i| i.id == *id) else {
                    return;
                };
                if instances[at].parts.len() < 2 {
                    return;
                }
                let first_new = instances.iter().map(|i| i.id).max().unwrap_or(0) + 1;
                let parts = std::mem::take(&mut instances[at].parts);
                let mut parts = parts.into_iter();
                instances[at].parts = parts.next().into_iter().collect();
                let template = instances[at].clone();
                for (id, part) in (first_new..).zip(parts) {
                    instances.push(Instance {
                        id,
                        parts: vec![part],
                        ..template.clone()
                    });
                }
            }
            Self::ToFront(id) | Self::ToBack(id) => {
                let front = matches!(self, Self::ToFront(_));
                let others = instances.iter().filter(|i| i.id != *id).map(|i| i.order);
                let target = if front {
                    others.max().map(|m| m + 1)
                } else {
                    others.min().map(|m| m - 1)
                };
                if let Some(order) = target {
                    for inst in instances.iter_mut().filter(|i| i.id == *id) {
                        inst.order = order;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::{Part, Tool};

    fn inst(id: u32, class_id: ClassId) -> Instance {
        Instance {
            id,
            class_id,
            parts: vec![Part::solid(vec![[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])],
            order: id as i32,
            tool: Tool::Polygon,
        }
    }

    #[test]
    fn delete_and_set_class() {
        let mut list = vec![inst(1, 1), inst(2, 1), inst(3, 2)];
        InstanceEdit::Delete(2).apply(&mut list);
        assert_eq!(list.iter().map(|i| i.id).collect::<Vec<_>>(), [1, 3]);
        InstanceEdit::SetClass { id: 3, class: 1 }.apply(&mut list);
        assert_eq!(list[1].class_id, 1);
        let before = list.clone();
        InstanceEdit::Delete(9).apply(&mut list);
        assert_eq!(list, before, "an unknown id changes nothing");
    }

    #[test]
    fn merge_and_split_through_parts() {
        let mut list = vec![inst(1, 1), inst(2, 3), inst(3, 1)];
        InstanceEdit::Merge { into: 1, other: 2 }.apply(&mut list);
        assert_eq!(list.len(), 2);
        assert_eq!(
            (list[0].id, list[0].class_id, list[0].parts.len()),
            (1, 1, 2)
        );
        assert_eq!(list[0].order, 2, "on top of where either was");
        let before = list.clone();
        InstanceEdit::Merge { into: 1, other: 1 }.apply(&mut list);
        InstanceEdit::Merge { into: 1, other: 9 }.apply(&mut list);
        assert_eq!(list, before, "self or unknown: nothing");
        InstanceEdit::Split(1).apply(&mut list);
        assert_eq!(
            list.iter()
                .map(|i| (i.id, i.parts.len()))
                .collect::<Vec<_>>(),
            [(1, 1), (3, 1), (4, 1)]
        );
        assert_eq!(list[2].class_id, 1, "the split-off part keeps the class");
        let before = list.clone();
        InstanceEdit::Split(4).apply(&mut list);
        assert_eq!(list, before, "one part: nothing to split");
    }

    #[test]
    fn add_replace_and_reorder() {
        let mut list = vec![inst(1, 1), inst(2, 1)];
        InstanceEdit::Add(inst(5, 2)).apply(&mut list);
        InstanceEdit::Add(inst(5, 1)).apply(&mut list);
        assert_eq!(list.len(), 3, "a taken id adds nothing");
        let mut moved = inst(2, 1);
        moved.parts[0].outer[0] = [1.0, 1.0];
        InstanceEdit::Replace {
            instance: moved.clone(),
            what: "move a vertex",
        }
        .apply(&mut list);
        assert_eq!(list[1], moved);
        InstanceEdit::ToBack(5).apply(&mut list);
        assert_eq!(list[2].order, 0, "below 1 and 2");
        InstanceEdit::ToFront(1).apply(&mut list);
        assert_eq!(list[0].order, 3, "above 2");
    }
}
