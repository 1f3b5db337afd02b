//! Ready-made class lists and variants for new projects.
//!
//! The **atWork** preset is the seed's dataset: 18 RoboCup@Work objects with the seed's class ids and its
//! four dataset variants (`full`, `size_invariant`, `similar_shapes`, `binary`), as the author's
//! `create_variants.ipynb` defines them. Real-world sizes are approximate bounding boxes of the competition
//! objects; a user measures their own objects and edits them.

use std::collections::BTreeMap;

use super::schema::{ClassDef, ClassId, FULL_VARIANT, ObjectSize, Variant, VariantTarget};

/// A named starting point for a new project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    /// No classes yet.
    Empty,
    /// The seed's 18 RoboCup@Work objects and four variants.
    AtWork,
}

impl Preset {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "empty" | "none" => Some(Self::Empty),
            "atwork" | "atWork" => Some(Self::AtWork),
            _ => None,
        }
    }

    /// Classes and variants of the preset.
    pub fn build(self) -> (Vec<ClassDef>, Vec<Variant>) {
        match self {
            Self::Empty => (Vec::new(), vec![full_variant(&[])]),
            Self::AtWork => {
                let classes = atwork_classes();
                let variants = atwork_variants(&classes);
                (classes, variants)
            }
        }
    }
}

/// (id, name, colour, length, width, height in mm), ids as in the seed's masks. Length and width are the
/// footprint in the usual resting pose, as the demo renderer models them ([`crate::demo::OBJECT_SIZES_MM`];
/// a test keeps the two in step). m20 and m30 are hex nuts (30 and 46 mm across flats), r20 a slotted tube.
#[rustfmt::skip]
const ATWORK: [(ClassId, &str, [u8; 3], [f32; 3]); 18] = [
    (1, "f20_20_B", [60, 60, 60], [100.0, 20.0, 20.0]),
    (2, "s40_40_B", [140, 86, 75], [100.0, 40.0, 40.0]),
    (3, "f20_20_G", [199, 199, 199], [100.0, 20.0, 20.0]),
    (4, "s40_40_G", [127, 127, 200], [100.0, 40.0, 40.0]),
    (5, "m20_100", [31, 119, 180], [112.5, 34.6, 30.0]),
    (6, "m20", [255, 127, 14], [34.6, 30.0, 16.0]),
    (7, "m30", [44, 160, 44], [53.1, 46.0, 24.0]),
    (8, "r20", [214, 39, 40], [42.0, 28.0, 28.0]),
    (9, "bearing_box_ax01", [148, 103, 189], [54.0, 54.0, 40.0]),
    (10, "bearing", [227, 119, 194], [35.0, 35.0, 11.0]),
    (11, "axis", [188, 189, 34], [75.0, 20.0, 20.0]),
    (12, "distance_tube", [23, 190, 207], [25.0, 25.0, 30.0]),
    (13, "motor", [174, 199, 232], [75.0, 40.0, 40.0]),
    (14, "container_box_blue", [0, 60, 230], [160.0, 105.0, 60.0]),
    (15, "container_box_red", [230, 25, 75], [160.0, 105.0, 60.0]),
    (16, "bearing_box_ax16", [152, 223, 138], [60.0, 50.0, 40.0]),
    (17, "em_01", [255, 187, 120], [91.0, 62.0, 30.0]),
    (18, "em_02", [197, 176, 213], [88.0, 58.0, 30.0]),
];

fn atwork_classes() -> Vec<ClassDef> {
    ATWORK
        .iter()
        .map(|&(id, name, color, [length, width, height])| ClassDef {
            id,
            name: name.to_owned(),
            color,
            size_mm: Some(ObjectSize {
                length,
                width,
                height,
            }),
        })
        .collect()
}

/// The identity variant: every class is its own label, in class order.
pub fn full_variant(classes: &[ClassDef]) -> Variant {
    Variant {
        name: FULL_VARIANT.to_owned(),
        labels: classes.iter().map(|c| c.name.clone()).collect(),
        mapping: classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, VariantTarget::Label(i as u8 + 1)))
            .collect(),
    }
}

/// A variant from groups of class names; each group becomes one label, in the order given.
fn grouped_variant(name: &str, classes: &[ClassDef], groups: &[&[&str]]) -> Variant {
    let id_of = |n: &str| {
        classes
            .iter()
            .find(|c| c.name == n)
            .map_or_else(|| panic!("preset names unknown class {n}"), |c| c.id)
    };
    let mut mapping = BTreeMap::new();
    let mut labels = Vec::new();
    for (i, group) in groups.iter().enumerate() {
        labels.push(group.join("+"));
        for member in *group {
            mapping.insert(id_of(member), VariantTarget::Label(i as u8 + 1));
        }
    }
    Variant {
        name: name.to_owned(),
        labels,
        mapping,
    }
}

fn atwork_variants(classes: &[ClassDef]) -> Vec<Variant> {
    let size_invariant: &[&[&str]] = &[
        &["f20_20_B", "s40_40_B"],
        &["f20_20_G", "s40_40_G"],
        &["m20_100"],
        &["m20", "m30"],
        &["r20"],
        &["bearing_box_ax01", "bearing_box_ax16"],
        &["bearing"],
        &["axis"],
        &["distance_tube"],
        &["motor"],
        &["container_box_blue"],
        &["container_box_red"],
        &["em_01"],
        &["em_02"],
    ];
    let similar_shapes: &[&[&str]] = &[
        &["f20_20_B", "s40_40_B", "f20_20_G", "s40_40_G"],
        &["m20_100"],
        &["m20", "m30"],
        &["r20"],
        &["bearing_box_ax01", "bearing_box_ax16"],
        &["bearing"],
        &["axis"],
        &["distance_tube"],
        &["motor"],
        &["container_box_blue", "container_box_red"],
        &["em_01"],
        &["em_02"],
    ];
    let all: Vec<&str> = classes.iter().map(|c| c.name.as_str()).collect();
    let mut binary = grouped_variant("binary", classes, &[&all]);
    binary.labels = vec!["object".to_owned()];
    vec![
        full_variant(classes),
        grouped_variant("size_invariant", classes, size_invariant),
        grouped_variant("similar_shapes", classes, similar_shapes),
        binary,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_agree_with_the_demo_renderer() {
        for (id, length, width) in crate::demo::OBJECT_SIZES_MM {
            let class = ATWORK
                .iter()
                .find(|c| c.0 == id)
                .expect("every demo class is in the preset");
            assert_eq!(
                (class.3[0], class.3[1]),
                (length, width),
                "class {id} ({})",
                class.1
            );
        }
    }

    #[test]
    fn atwork_matches_the_seed() {
        let (classes, variants) = Preset::AtWork.build();
        assert_eq!(classes.len(), 18);
        assert_eq!(classes[9].name, "bearing");
        assert_eq!(classes[9].id, 10);
        let names: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(
            names,
            ["full", "size_invariant", "similar_shapes", "binary"]
        );
        let label_counts: Vec<usize> = variants.iter().map(|v| v.labels.len()).collect();
        assert_eq!(label_counts, [18, 14, 12, 1]);
        for v in &variants {
            assert_eq!(v.mapping.len(), 18, "variant {} maps every class", v.name);
        }
        // full is the identity on the seed's ids.
        for (&id, &target) in &variants[0].mapping {
            assert_eq!(target, VariantTarget::Label(id as u8));
        }
        // m20 (6) and m30 (7) merge in size_invariant; f20_20_B (1) and s40_40_G (4) merge in similar_shapes.
        assert_eq!(variants[1].mapping[&6], variants[1].mapping[&7]);
        assert_ne!(variants[1].mapping[&1], variants[1].mapping[&3]);
        assert_eq!(variants[2].mapping[&1], variants[2].mapping[&4]);
        assert_eq!(variants[2].mapping[&14], variants[2].mapping[&15]);
    }
}
