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
}

impl InstanceEdit {
    /// What the edit does, in words, for the Undo/Redo menu items.
    pub fn name(&self) -> String {
        match self {
            Self::Delete(id) => format!("delete instance #{id}"),
            Self::SetClass { id, .. } => format!("change the class of #{id}"),
        }
    }

    /// Applies the edit; an id that is not there changes nothing.
    pub fn apply(&self, instances: &mut Vec<Instance>) {
        match *self {
            Self::Delete(id) => instances.retain(|i| i.id != id),
            Self::SetClass { id, class } => {
                for inst in instances.iter_mut().filter(|i| i.id == id) {
                    inst.class_id = class;
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
}
