//! The class table: per class, instances and visible pixels per split, the pixel share of the
//! training split (the seed's `NP_o / NP_s`: the class's pixels over all pixels of the training
//! images) and the real-world surface area from the class's size.

use serde::Serialize;

use crate::project::{ClassId, ObjectSize, Project, Split};
use crate::stats::{ProjectStats, project_stats};

/// One class of the table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassRow {
    pub id: ClassId,
    pub name: String,
    pub color: [u8; 3],
    /// Instances per split, `[train, val, test, unassigned]`.
    pub instances: [usize; 4],
    /// Visible pixels (after draw order) per split, same order.
    pub pixels: [u64; 4],
    /// Pixels / all pixels of the split's labelled images, same order.
    pub share: [f64; 4],
    /// The surface of the class's bounding box in cm² (`2(lw + lh + wh)`), when its size is known.
    pub surface_cm2: Option<f64>,
}

impl ClassRow {
    pub fn total_instances(&self) -> usize {
        self.instances.iter().sum()
    }

    pub fn total_pixels(&self) -> u64 {
        self.pixels.iter().sum()
    }
}

/// The analysis of a project.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DatasetAnalysis {
    pub stats: ProjectStats,
    pub classes: Vec<ClassRow>,
    /// Labelled images per split, `[train, val, test, unassigned]`.
    pub images: [usize; 4],
}

/// The column of a split in the `[train, val, test, unassigned]` arrays.
pub fn split_column(split: Option<Split>) -> usize {
    match split {
        Some(Split::Train) => 0,
        Some(Split::Val) => 1,
        Some(Split::Test) => 2,
        None => 3,
    }
}

/// The names of the columns.
pub const SPLIT_COLUMNS: [&str; 4] = ["train", "val", "test", "unassigned"];

/// The surface of a box of this size in cm² (sizes are in mm).
pub fn surface_cm2(size: &ObjectSize) -> f64 {
    let (l, w, h) = (
        f64::from(size.length),
        f64::from(size.width),
        f64::from(size.height),
    );
    2.0 * (l * w + l * h + w * h) / 100.0
}

/// Analyses the project (rasterises every labelled image once; run it off the UI thread).
pub fn analyse(project: &Project) -> DatasetAnalysis {
    let stats = project_stats(project);
    let mut images = [0usize; 4];
    for (k, name) in SPLIT_COLUMNS.iter().enumerate() {
        images[k] = stats.images_per_split.get(*name).copied().unwrap_or(0);
    }
    let mut classes: Vec<ClassRow> = stats
        .classes
        .iter()
        .map(|c| {
            let def = project.class(c.id);
            let column = |map: &std::collections::BTreeMap<String, u64>| {
                SPLIT_COLUMNS.map(|s| map.get(s).copied().unwrap_or(0))
            };
            ClassRow {
                id: c.id,
                name: c.name.clone(),
                color: def.map_or([128; 3], |d| d.color),
                instances: [0; 4],
                pixels: column(&c.pixels),
                share: SPLIT_COLUMNS.map(|s| c.pixel_share.get(s).copied().unwrap_or(0.0)),
                surface_cm2: def.and_then(|d| d.size_mm.as_ref()).map(surface_cm2),
            }
        })
        .collect();
    for (i, image) in project.file().images.iter().enumerate() {
        let column = split_column(image.split);
        for inst in project.instances(i) {
            if let Some(row) = classes.iter_mut().find(|r| r.id == inst.class_id) {
                row.instances[column] += 1;
            }
        }
    }
    DatasetAnalysis {
        stats,
        classes,
        images,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_surface_of_a_box() {
        // 100 × 20 × 20 mm: 2(2000 + 2000 + 400) mm² = 8800 mm² = 88 cm².
        let size = ObjectSize {
            length: 100.0,
            width: 20.0,
            height: 20.0,
        };
        assert!((surface_cm2(&size) - 88.0).abs() < 1e-9);
    }
}
