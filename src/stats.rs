//! Dataset statistics: images per split and, per class, instances and pixels per split.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::formats::render_label_map;
use crate::project::{ImageStatus, Project, Split};

/// Statistics of a project under its `full` variant.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ProjectStats {
    pub images: usize,
    pub labelled: usize,
    pub unlabelled: usize,
    pub broken: usize,
    /// Images per split name (`train`, `val`, `test`, `unassigned`).
    pub images_per_split: BTreeMap<String, usize>,
    /// Labelled pixels (all pixels of labelled images) per split.
    pub pixels_per_split: BTreeMap<String, u64>,
    pub classes: Vec<ClassStats>,
}

/// Statistics of one class.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ClassStats {
    pub id: u16,
    pub name: String,
    pub instances: usize,
    /// Visible pixels (after draw order) per split.
    pub pixels: BTreeMap<String, u64>,
    /// Pixels of the class / all pixels of the split's labelled images.
    pub pixel_share: BTreeMap<String, f64>,
}

fn split_name(split: Option<Split>) -> &'static str {
    split.map_or("unassigned", Split::name)
}

const SPLIT_NAMES: [&str; 4] = ["train", "val", "test", "unassigned"];

/// Computes the statistics; rasterises every labelled image once.
pub fn project_stats(project: &Project) -> ProjectStats {
    let full = project.full_variant();
    let classes = &project.file().classes;
    let zero_map = || {
        SPLIT_NAMES
            .iter()
            .map(|s| ((*s).to_owned(), 0u64))
            .collect::<BTreeMap<_, _>>()
    };
    let counts = project.status_counts();
    let mut stats = ProjectStats {
        images: project.file().images.len(),
        labelled: counts.labelled,
        unlabelled: counts.unlabelled,
        broken: counts.broken,
        images_per_split: SPLIT_NAMES.iter().map(|s| ((*s).to_owned(), 0)).collect(),
        pixels_per_split: zero_map(),
        classes: classes
            .iter()
            .map(|c| ClassStats {
                id: c.id,
                name: c.name.clone(),
                instances: 0,
                pixels: zero_map(),
                pixel_share: BTreeMap::new(),
            })
            .collect(),
    };
    // Label histograms per labelled image, in parallel; label i+1 of `full` is class i.
    let histograms: Vec<(usize, Vec<u64>)> = (0..project.file().images.len())
        .into_par_iter()
        .filter(|&i| project.status(i) == ImageStatus::Labelled)
        .map(|i| {
            let image = &project.file().images[i];
            let labels = render_label_map(project.instances(i), full, image.width, image.height);
            let mut histogram = vec![0u64; 256];
            for &l in &labels {
                histogram[usize::from(l)] += 1;
            }
            (i, histogram)
        })
        .collect();
    for (i, image) in project.file().images.iter().enumerate() {
        *stats
            .images_per_split
            .entry(split_name(image.split).to_owned())
            .or_default() += 1;
        for inst in project.instances(i) {
            if let Some(c) = stats.classes.iter_mut().find(|c| c.id == inst.class_id) {
                c.instances += 1;
            }
        }
    }
    for (i, histogram) in histograms {
        let image = &project.file().images[i];
        let split = split_name(image.split).to_owned();
        *stats.pixels_per_split.entry(split.clone()).or_default() +=
            u64::from(image.width) * u64::from(image.height);
        for (k, class) in stats.classes.iter_mut().enumerate() {
            *class.pixels.entry(split.clone()).or_default() += histogram[k + 1];
        }
    }
    for class in &mut stats.classes {
        for name in SPLIT_NAMES {
            let total = stats.pixels_per_split[name];
            let share = if total == 0 {
                0.0
            } else {
                class.pixels[name] as f64 / total as f64
            };
            class.pixel_share.insert(name.to_owned(), share);
        }
    }
    stats
}
