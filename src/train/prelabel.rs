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

/// What a run sees in one photo: its instances and P(object) per pixel (the click tool's prior).
pub struct PhotoPrediction {
    pub instances: Vec<Instance>,
    pub object_probability: Vec<f32>,
}

/// Predicts `photo` once and returns the instances (numbered from `first_id`, drawn above
/// `order`) and the probabilities.
pub fn prelabel(
    predictor: &Predictor,
    photo: &RgbImage,
    first_id: u32,
    order: i32,
) -> Result<PhotoPrediction, String> {
    check_run(predictor)?;
    let logits = predictor.photo_logits(photo).map_err(|e| e.to_string())?;
    let labels = super::infer::argmax_labels(&logits).map_err(|e| e.to_string())?;
    let object_probability =
        super::infer::object_probability(&logits).map_err(|e| e.to_string())?;
    let instances = labels_to_instances(
        &label_classes(predictor),
        &labels,
        (photo.width(), photo.height()),
        first_id,
        order,
    );
    Ok(PhotoPrediction {
        instances,
        object_probability,
    })
}

/// Traces a map of variant labels into instances of the classes `classes[label]`.
pub fn labels_to_instances(
    classes: &[Option<ClassId>],
    labels: &[u8],
    (width, height): (u32, u32),
    first_id: u32,
    order: i32,
) -> Vec<Instance> {
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
        width,
        height,
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
    renumber(traced.instances, first_id, order)
}

/// Gives pre-labelled instances ids from `first_id` and draw orders above `order`.
pub fn renumber(instances: Vec<Instance>, first_id: u32, order: i32) -> Vec<Instance> {
    instances
        .into_iter()
        .enumerate()
        .map(|(k, mut inst)| {
            inst.id = first_id + k as u32;
            inst.order = order + 1 + k as i32;
            inst.tool = Tool::PreLabel;
            inst
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_become_instances_of_their_classes() {
        // 40×20: label 1 (class 7) on the left block, label 2 (class 9) on the right one, a
        // 2-pixel speck of label 1 that is dropped.
        let (w, h) = (40u32, 20u32);
        let mut labels = vec![0u8; (w * h) as usize];
        for y in 2..12 {
            for x in 2..12 {
                labels[(y * w + x) as usize] = 1;
            }
            for x in 20..35 {
                labels[(y * w + x) as usize] = 2;
            }
        }
        labels[(18 * w + 38) as usize] = 1;
        labels[(18 * w + 39) as usize] = 1;
        let got = labels_to_instances(&[None, Some(7), Some(9)], &labels, (w, h), 5, 10);
        let mut classes: Vec<(u32, ClassId, i32)> =
            got.iter().map(|i| (i.id, i.class_id, i.order)).collect();
        classes.sort_by_key(|c| c.1);
        assert_eq!(classes.len(), 2, "{classes:?}");
        assert_eq!((classes[0].1, classes[1].1), (7, 9));
        assert!(
            got.iter()
                .all(|i| i.tool == Tool::PreLabel && i.id >= 5 && i.order > 10)
        );
    }
}
