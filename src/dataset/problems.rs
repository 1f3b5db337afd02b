//! The problem list: what in a dataset will hurt training, each with the image to jump to.

use rayon::prelude::*;
use serde::Serialize;

use super::analysis::{DatasetAnalysis, SPLIT_COLUMNS};
use crate::formats::coco::instance_mask;
use crate::geometry::bounds;
use crate::project::{IGNORE_CLASS, ImageStatus, Instance, Project};

/// Instances with fewer pixels than this are listed as tiny.
pub const TINY_PIXELS: usize = 64;

/// Two instances overlapping on more than this share of the smaller one are listed.
pub const HEAVY_OVERLAP: f64 = 0.5;

/// What kind of problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum ProblemKind {
    Broken,
    Unlabelled,
    Tiny,
    Overlap,
    MissingFromSplit,
}

impl ProblemKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Broken => "broken",
            Self::Unlabelled => "unlabelled",
            Self::Tiny => "tiny instance",
            Self::Overlap => "heavy overlap",
            Self::MissingFromSplit => "class missing from a split",
        }
    }
}

/// One problem.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Problem {
    pub kind: ProblemKind,
    /// The image to show, when the problem is in one.
    pub image: Option<usize>,
    /// The instance (by id) of that image, when it is about one.
    pub instance: Option<u32>,
    pub message: String,
}

fn box_of(inst: &Instance) -> Option<[f32; 4]> {
    let mut all: Option<[f32; 4]> = None;
    for part in &inst.parts {
        let b = bounds(&part.outer)?;
        all = Some(all.map_or(b, |a| {
            [
                a[0].min(b[0]),
                a[1].min(b[1]),
                a[2].max(b[2]),
                a[3].max(b[3]),
            ]
        }));
    }
    all
}

/// The problems of one labelled image: tiny instances and heavy overlaps.
fn image_problems(project: &Project, index: usize) -> Vec<Problem> {
    let image = &project.file().images[index];
    let (w, h) = (image.width, image.height);
    let instances: Vec<&Instance> = project
        .instances(index)
        .iter()
        .filter(|i| i.class_id != IGNORE_CLASS)
        .collect();
    let class_name = |inst: &Instance| {
        project
            .class(inst.class_id)
            .map_or_else(|| format!("class {}", inst.class_id), |c| c.name.clone())
    };
    let masks: Vec<Vec<u8>> = instances.iter().map(|i| instance_mask(i, w, h)).collect();
    let areas: Vec<usize> = masks
        .iter()
        .map(|m| m.iter().filter(|&&v| v != 0).count())
        .collect();
    let mut problems = Vec::new();
    for (k, inst) in instances.iter().enumerate() {
        if areas[k] < TINY_PIXELS {
            problems.push(Problem {
                kind: ProblemKind::Tiny,
                image: Some(index),
                instance: Some(inst.id),
                message: format!(
                    "{}: {} #{} has {} pixels (fewer than {TINY_PIXELS})",
                    image.file,
                    class_name(inst),
                    inst.id,
                    areas[k]
                ),
            });
        }
    }
    let boxes: Vec<Option<[f32; 4]>> = instances.iter().map(|i| box_of(i)).collect();
    for a in 0..instances.len() {
        for b in a + 1..instances.len() {
            let (Some(p), Some(q)) = (boxes[a], boxes[b]) else {
                continue;
            };
            if p[2] <= q[0] || q[2] <= p[0] || p[3] <= q[1] || q[3] <= p[1] {
                continue;
            }
            let both = masks[a]
                .iter()
                .zip(&masks[b])
                .filter(|(x, y)| **x != 0 && **y != 0)
                .count();
            let smaller = areas[a].min(areas[b]).max(1);
            let share = both as f64 / smaller as f64;
            if share > HEAVY_OVERLAP {
                problems.push(Problem {
                    kind: ProblemKind::Overlap,
                    image: Some(index),
                    instance: Some(instances[b].id),
                    message: format!(
                        "{}: {} #{} and {} #{} overlap on {:.0}% of the smaller",
                        image.file,
                        class_name(instances[a]),
                        instances[a].id,
                        class_name(instances[b]),
                        instances[b].id,
                        share * 100.0
                    ),
                });
            }
        }
    }
    problems
}

/// Every problem of the project, images first in image order, then classes missing from a split.
pub fn find_problems(project: &Project, analysis: &DatasetAnalysis) -> Vec<Problem> {
    let mut problems: Vec<Problem> = (0..project.file().images.len())
        .into_par_iter()
        .flat_map_iter(|i| {
            let image = &project.file().images[i];
            match project.status(i) {
                ImageStatus::Broken => vec![Problem {
                    kind: ProblemKind::Broken,
                    image: Some(i),
                    instance: None,
                    message: format!(
                        "{}: {}",
                        image.file,
                        project.broken_reason(i).unwrap_or_default()
                    ),
                }],
                ImageStatus::Unlabelled => vec![Problem {
                    kind: ProblemKind::Unlabelled,
                    image: Some(i),
                    instance: None,
                    message: format!("{}: no annotation yet", image.file),
                }],
                ImageStatus::Labelled => image_problems(project, i),
            }
        })
        .collect();
    for row in &analysis.classes {
        for (column, split) in SPLIT_COLUMNS.iter().enumerate().take(3) {
            if analysis.images[column] > 0 && row.instances[column] == 0 {
                problems.push(Problem {
                    kind: ProblemKind::MissingFromSplit,
                    image: None,
                    instance: None,
                    message: format!(
                        "{} has no instance in {} ({} images there)",
                        row.name, split, analysis.images[column]
                    ),
                });
            }
        }
    }
    problems
}
