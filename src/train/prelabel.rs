//! A trained run labelling a photo for the Label workspace: the prediction becomes editable
//! instances through the mask tracer of the import (one instance per connected region, holes kept,
//! specks dropped), marked `Tool::PreLabel`; and the prediction's P(object) becomes the click tool's
//! prior.
//!
//! A label of the run maps back to a project class only when the run's variant gives it exactly one
//! class (`full` does; `binary` merges them all), so pre-labelling needs such a run.

use std::collections::BTreeMap;

use image::RgbImage;

use super::infer::Predictor;
use crate::imageio::LabelImage;
use crate::import::mask_to_instances;
use crate::project::{ClassId, Instance, Tool, VariantTarget};

/// Regions smaller than this many pixels are dropped as noise.
pub const MIN_REGION_PX: u32 = 30;
/// Contours are simplified within this distance (px).
const SIMPLIFY_PX: f32 = 1.0;

/// The project class of each label of `predictor`'s variant (index = label id; 0 and labels
/// without exactly one class are `None`).
pub fn label_classes(predictor: &Predictor) -> Vec<Option<ClassId>> {
    let variant = &predictor.record.snapshot.variant;
    let mut classes: BTreeMap<u8, Vec<ClassId>> = BTreeMap::new();
    for (&class, target) in &variant.mapping {
        if let VariantTarget::Label(l) = target {
            classes.entry(*l).or_default().push(class);
        }
    }
    (0..=variant.labels.len())
        .map(|l| match classes.get(&(l as u8)) {
            Some(c) if l > 0 && c.len() == 1 => Some(c[0]),
            _ => None,
        })
        .collect()
}

/// Refuses runs whose labels do not name single classes.
pub fn check_run(predictor: &Predictor) -> Result<(), String> {
    let classes = label_classes(predictor);
    let merged: Vec<&str> = predictor
        .record
        .snapshot
        .variant
        .labels
        .iter()
        .enumerate()
        .filter(|(i, _)| classes[i + 1].is_none())
        .map(|(_, name)| name.as_str())
        .collect();
    if merged.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "run {} learned variant {:?}, whose labels {} stand for several classes (or none): pre-labelling needs a run on a variant with one class per label, such as full",
            predictor.record.train.variant,
            predictor.record.snapshot.variant.name,
            merged.join(", ")
        ))
    }
}

/// The instances `predictor` sees in `photo`, numbered from `first_id` and drawn above `order`.
pub fn prelabel(
    predictor: &Predictor,
    photo: &RgbImage,
    first_id: u32,
    order: i32,
) -> Result<Vec<Instance>, String> {
    check_run(predictor)?;
    let classes = label_classes(predictor);
    let labels = predictor.predict(photo).map_err(|e| e.to_string())?;
    // Class ids fit a byte (MAX_CLASS_ID is 254).
    let data = labels
        .iter()
        .map(|&l| {
            classes
                .get(usize::from(l))
                .copied()
                .flatten()
                .map_or(0, |c| c as u8)
        })
        .collect();
    let mask = LabelImage {
        width: photo.width(),
        height: photo.height(),
        data,
    };
    let known: Vec<ClassId> = classes.iter().flatten().copied().collect();
    let traced = mask_to_instances(
        &mask,
        0,
        |v| known.contains(&ClassId::from(v)),
        MIN_REGION_PX,
        SIMPLIFY_PX,
    );
    Ok(traced
        .instances
        .into_iter()
        .enumerate()
        .map(|(k, mut inst)| {
            inst.id = first_id + k as u32;
            inst.order = order + 1 + k as i32;
            inst.tool = Tool::PreLabel;
            inst
        })
        .collect())
}
