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
}

impl InstanceEdit {
    /// What the edit does, in words, for the Undo/Redo menu items.
    pub fn name(&self) -> String {
        match self {
            Self::Delete(id) => format!("delete instance #{id}"),
            Self::SetClass { id, .. } => format!("change the class of #{id}"),
            Self::Add(inst) => format!("add instance #{}", inst.id),
            Self::Replace { instance, what } => format!("{what} of #{}", instance.id),
            Self::ToFront(id) => format!("bring #{id} to the front"),
            Self::ToBack(id) => format!("send #{id} to the back"),
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
            Self::Replace { instance, .. } => {
                for inst in instances.iter_mut().filter(|i| i.id == instance.id) {
                    inst.clone_from(instance);
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
