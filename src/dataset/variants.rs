//! A variant as the variant editor sees it: named groups of classes (each group one training
//! label) and the classes it ignores; classes in neither are background.

use std::collections::BTreeMap;

use crate::project::{ClassDef, ClassId, Variant, VariantTarget};

/// One training label and the classes merged into it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariantGroup {
    pub label: String,
    pub classes: Vec<ClassId>,
}

/// A variant being edited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariantDraft {
    pub name: String,
    pub groups: Vec<VariantGroup>,
    /// Classes painted with the ignore label.
    pub ignored: Vec<ClassId>,
}

impl VariantDraft {
    pub fn from_variant(variant: &Variant) -> Self {
        let mut groups: Vec<VariantGroup> = variant
            .labels
            .iter()
            .map(|label| VariantGroup {
                label: label.clone(),
                classes: Vec::new(),
            })
            .collect();
        let mut ignored = Vec::new();
        for (&class, target) in &variant.mapping {
            match target {
                VariantTarget::Label(l) => {
                    if let Some(group) = groups.get_mut(usize::from(*l).wrapping_sub(1)) {
                        group.classes.push(class);
                    }
                }
                VariantTarget::Ignore => ignored.push(class),
            }
        }
        Self {
            name: variant.name.clone(),
            groups,
            ignored,
        }
    }

    /// The variant: labels in group order (empty groups dropped), every class of `classes` mapped
    /// (classes in no group and not ignored are ignored too, so nothing is silently background).
    pub fn to_variant(&self, classes: &[ClassDef]) -> Variant {
        let mut labels = Vec::new();
        let mut mapping = BTreeMap::new();
        for group in self.groups.iter().filter(|g| !g.classes.is_empty()) {
            labels.push(group.label.clone());
            for &class in &group.classes {
                mapping.insert(class, VariantTarget::Label(labels.len() as u8));
            }
        }
        for class in classes {
            mapping.entry(class.id).or_insert(VariantTarget::Ignore);
        }
        Variant {
            name: self.name.clone(),
            labels,
            mapping,
        }
    }

    /// Takes `class` out of wherever it is.
    fn remove(&mut self, class: ClassId) {
        for group in &mut self.groups {
            group.classes.retain(|&c| c != class);
        }
        self.ignored.retain(|&c| c != class);
    }

    /// Moves `class` into group `group` (a new group named after it for `None`).
    pub fn move_to_group(&mut self, class: ClassId, group: Option<usize>, name: &str) {
        self.remove(class);
        match group.and_then(|g| self.groups.get_mut(g)) {
            Some(group) => group.classes.push(class),
            None => self.groups.push(VariantGroup {
                label: name.to_owned(),
                classes: vec![class],
            }),
        }
    }

    /// Marks `class` ignored.
    pub fn ignore(&mut self, class: ClassId) {
        self.remove(class);
        self.ignored.push(class);
    }

    /// Per group: (instances, pixels) summed over its classes from per-class counts.
    pub fn merged_counts(&self, per_class: &BTreeMap<ClassId, (usize, u64)>) -> Vec<(usize, u64)> {
        self.groups
            .iter()
            .map(|g| {
                g.classes.iter().fold((0, 0), |(n, p), c| {
                    let (cn, cp) = per_class.get(c).copied().unwrap_or_default();
                    (n + cn, p + cp)
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(id: ClassId, name: &str) -> ClassDef {
        ClassDef {
            id,
            name: name.into(),
            color: [0; 3],
            size_mm: None,
        }
    }

    #[test]
    fn merging_two_classes_gives_one_label_and_summed_counts() {
        let classes = [class(1, "nut"), class(2, "bolt"), class(3, "washer")];
        let full = crate::project::preset::full_variant(&classes);
        let mut draft = VariantDraft::from_variant(&full);
        assert_eq!(draft.groups.len(), 3);
        draft.move_to_group(2, Some(0), "");
        draft.ignore(3);
        let variant = draft.to_variant(&classes);
        assert_eq!(variant.labels, ["nut"], "the emptied groups are dropped");
        assert_eq!(variant.mapping[&1], VariantTarget::Label(1));
        assert_eq!(variant.mapping[&2], VariantTarget::Label(1));
        assert_eq!(variant.mapping[&3], VariantTarget::Ignore);
        let counts = BTreeMap::from([(1, (3, 100)), (2, (2, 50)), (3, (7, 9))]);
        assert_eq!(draft.merged_counts(&counts)[0], (5, 150));
        assert_eq!(
            VariantDraft::from_variant(&variant).to_variant(&classes),
            variant
        );
    }
}
