//! Checks of loaded project and annotation files, reporting every problem with where it is.

use std::collections::{BTreeSet, HashSet};

use super::schema::{
    AnnotationFile, FULL_VARIANT, IGNORE_CLASS, ImageEntry, MAX_CLASS_ID, ProjectFile,
    SCHEMA_VERSION, VariantTarget,
};
use crate::geometry::Point;

/// Coordinates may sit on the image border (a polygon through pixel corners) plus a little slack for
/// float round-off of edited vertices.
const COORD_SLACK: f32 = 0.01;

/// Problems of `project.ron`, each a sentence that says where it is.
pub fn project_problems(project: &ProjectFile) -> Vec<String> {
    let mut problems = Vec::new();
    if project.schema_version > SCHEMA_VERSION {
        problems.push(newer_schema(project.schema_version));
        return problems;
    }
    let mut ids = HashSet::new();
    let mut names = HashSet::new();
    for (i, class) in project.classes.iter().enumerate() {
        let at = format!("class {} ({:?})", i + 1, class.name);
        if class.id == 0 || class.id > MAX_CLASS_ID {
            problems.push(format!(
                "{at}: id {} is outside 1..={MAX_CLASS_ID}",
                class.id
            ));
        }
        if !ids.insert(class.id) {
            problems.push(format!("{at}: duplicate class id {}", class.id));
        }
        if class.name.trim().is_empty() {
            problems.push(format!("{at}: empty name"));
        }
        if !names.insert(class.name.as_str()) {
            problems.push(format!("{at}: duplicate class name"));
        }
    }
    let mut variant_names = HashSet::new();
    for variant in &project.variants {
        let at = format!("variant {:?}", variant.name);
        if !variant_names.insert(variant.name.as_str()) {
            problems.push(format!("{at}: duplicate variant name"));
        }
        if variant.labels.len() > 254 {
            problems.push(format!(
                "{at}: {} labels do not fit in an 8-bit mask",
                variant.labels.len()
            ));
        }
        for class in &project.classes {
            match variant.mapping.get(&class.id) {
                None => problems.push(format!(
                    "{at}: class {} ({:?}) has no target",
                    class.id, class.name
                )),
                Some(VariantTarget::Label(l))
                    if *l == 0 || usize::from(*l) > variant.labels.len() =>
                {
                    problems.push(format!(
                        "{at}: class {} maps to label {l}, outside 1..={}",
                        class.id,
                        variant.labels.len()
                    ));
                }
                Some(_) => {}
            }
        }
        for id in variant.mapping.keys() {
            if !ids.contains(id) {
                problems.push(format!("{at}: maps unknown class id {id}"));
            }
        }
    }
    match project.variants.first() {
        Some(v) if v.name == FULL_VARIANT => {
            let identity = super::preset::full_variant(&project.classes);
            if v.mapping != identity.mapping {
                problems.push(format!(
                    "variant {FULL_VARIANT:?} must map every class to its own label, in class order"
                ));
            }
        }
        _ => problems.push(format!(
            "the first variant must be {FULL_VARIANT:?}, the identity variant"
        )),
    }
    let mut files = BTreeSet::new();
    for (i, image) in project.images.iter().enumerate() {
        if !files.insert(image.file.as_str()) {
            problems.push(format!("image {} ({:?}): listed twice", i + 1, image.file));
        }
        if image.width == 0 || image.height == 0 {
            problems.push(format!(
                "image {} ({:?}): size {}x{} is empty",
                i + 1,
                image.file,
                image.width,
                image.height
            ));
        }
        if image.file.contains(['/', '\\']) || image.file.starts_with('.') {
            problems.push(format!(
                "image {} ({:?}): must be a plain file name inside images/",
                i + 1,
                image.file
            ));
        }
    }
    problems
}

/// Problems of one annotation file against its image and the project's classes.
pub fn annotation_problems(
    annotation: &AnnotationFile,
    image: &ImageEntry,
    project: &ProjectFile,
) -> Vec<String> {
    let mut problems = Vec::new();
    if annotation.schema_version > SCHEMA_VERSION {
        problems.push(newer_schema(annotation.schema_version));
        return problems;
    }
    if annotation.image != image.file {
        problems.push(format!(
            "belongs to image {:?}, not {:?}",
            annotation.image, image.file
        ));
    }
    let mut ids = HashSet::new();
    for (i, inst) in annotation.instances.iter().enumerate() {
        let at = format!("instance {} (id {})", i + 1, inst.id);
        if !ids.insert(inst.id) {
            problems.push(format!("{at}: duplicate instance id"));
        }
        if inst.class_id != IGNORE_CLASS && !project.classes.iter().any(|c| c.id == inst.class_id) {
            problems.push(format!("{at}: unknown class id {}", inst.class_id));
        }
        if inst.parts.is_empty() {
            problems.push(format!("{at}: no parts, an instance needs at least one"));
        }
        for (k, part) in inst.parts.iter().enumerate() {
            // Single-part instances (most of them) are named without the part number.
            let at = if inst.parts.len() == 1 {
                at.clone()
            } else {
                format!("{at}, part {}", k + 1)
            };
            ring_problems(
                &mut problems,
                &format!("{at}, outer ring"),
                &part.outer,
                image,
            );
            for (h, hole) in part.holes.iter().enumerate() {
                ring_problems(&mut problems, &format!("{at}, hole {}", h + 1), hole, image);
            }
        }
    }
    problems
}

fn ring_problems(problems: &mut Vec<String>, at: &str, ring: &[Point], image: &ImageEntry) {
    if ring.len() < 3 {
        problems.push(format!(
            "{at}: {} points, a ring needs at least 3",
            ring.len()
        ));
    }
    let (w, h) = (
        image.width as f32 + COORD_SLACK,
        image.height as f32 + COORD_SLACK,
    );
    for (v, &[x, y]) in ring.iter().enumerate() {
        if !x.is_finite() || !y.is_finite() {
            problems.push(format!(
                "{at}, point {}: coordinate is not a number ({x}, {y})",
                v + 1
            ));
        } else if x < -COORD_SLACK || y < -COORD_SLACK || x > w || y > h {
            problems.push(format!(
                "{at}, point {}: ({x}, {y}) is outside the {}x{} image",
                v + 1,
                image.width,
                image.height
            ));
        }
    }
}

/// The message for a file written with a newer schema.
pub fn newer_schema(found: u32) -> String {
    format!(
        "written by a newer SegStudio (schema version {found}; this build reads up to {SCHEMA_VERSION}); update SegStudio to open it"
    )
}
