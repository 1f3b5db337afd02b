//! Scoring predicted label maps against the truth, as the Evaluate workspace and `segstudio eval`
//! will report it (issue 11): a confusion matrix summed over a split, pixel accuracy, per-class IoU
//! and mIoU, with the variant's ignore label left out.
//!
//! The definitions are the torch peer's (`../shared/peers/train_peer.py`), so that SegStudio's and
//! the peer's figures compare: IoU = diagonal / (row sum + column sum − diagonal), mIoU the mean over
//! the classes present in the truth, pixel accuracy the diagonal over all counted pixels.

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use crate::formats::render_label_map;
use crate::imageio::read_label_png;
use crate::progress::Progress;
use crate::project::{IGNORE_LABEL, Project, ProjectError, Split, image_stem};

/// Why a pair of label maps cannot be scored.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EvalError {
    #[error(
        "the prediction has {prediction} pixels and the truth {truth}: they must be the same size"
    )]
    SizeMismatch { truth: usize, prediction: usize },
    #[error(
        "label {label} in the {which} is not one of the {classes} labels (nor the ignore label {ignore})"
    )]
    UnknownLabel {
        which: &'static str,
        label: u8,
        classes: usize,
        ignore: u8,
    },
}

/// Pixel counts by (truth, prediction) label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confusion {
    classes: usize,
    /// Row-major: `counts[truth * classes + prediction]`.
    counts: Vec<u64>,
}

/// The scores of a confusion matrix, in percent (as the seed's slides and the peer give them).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scores {
    /// Mean IoU over the classes present in the truth; `None` when nothing was counted.
    pub miou: Option<f64>,
    pub pixel_acc: Option<f64>,
    /// IoU of every class that the truth or the prediction has.
    pub per_class: BTreeMap<String, f64>,
}

impl Confusion {
    /// An empty matrix over labels `0..classes`.
    pub fn new(classes: usize) -> Self {
        Self {
            classes,
            counts: vec![0; classes * classes],
        }
    }

    /// Counts one image: row-major `truth` and `prediction` of the same size. Pixels whose truth is
    /// `ignore` are left out; any other label must be below the class count (nothing is counted
    /// when one is not).
    pub fn add(&mut self, truth: &[u8], prediction: &[u8], ignore: u8) -> Result<(), EvalError> {
        if truth.len() != prediction.len() {
            return Err(EvalError::SizeMismatch {
                truth: truth.len(),
                prediction: prediction.len(),
            });
        }
        let unknown = |which, label| EvalError::UnknownLabel {
            which,
            label,
            classes: self.classes,
            ignore,
        };
        if let Some(&label) = truth
            .iter()
            .find(|&&t| t != ignore && usize::from(t) >= self.classes)
        {
            return Err(unknown("truth", label));
        }
        if let Some((_, &label)) = truth
            .iter()
            .zip(prediction)
            .find(|&(&t, &p)| t != ignore && usize::from(p) >= self.classes)
        {
            return Err(unknown("prediction", label));
        }
        for (&t, &p) in truth.iter().zip(prediction) {
            if t != ignore {
                self.counts[usize::from(t) * self.classes + usize::from(p)] += 1;
            }
        }
        Ok(())
    }

    /// Adds another matrix of the same classes (images scored on several threads).
    pub fn merge(&mut self, other: &Self) {
        debug_assert_eq!(self.classes, other.classes);
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
    }

    /// Pixels of truth `truth` predicted as `prediction`.
    /// The number of labels (rows and columns).
    pub fn classes(&self) -> usize {
        self.classes
    }

    pub fn count(&self, truth: usize, prediction: usize) -> u64 {
        self.counts[truth * self.classes + prediction]
    }

    fn row(&self, class: usize) -> u64 {
        (0..self.classes).map(|p| self.count(class, p)).sum()
    }

    fn column(&self, class: usize) -> u64 {
        (0..self.classes).map(|t| self.count(t, class)).sum()
    }

    /// IoU of `class` (0–1), `None` when neither the truth nor the prediction has it.
    pub fn iou(&self, class: usize) -> Option<f64> {
        let inter = self.count(class, class);
        let union = self.row(class) + self.column(class) - inter;
        (union > 0).then(|| inter as f64 / union as f64)
    }

    /// The scores, with `names[label]` naming each class.
    pub fn scores(&self, names: &[String]) -> Scores {
        let total: u64 = self.counts.iter().sum();
        let correct: u64 = (0..self.classes).map(|c| self.count(c, c)).sum();
        let present: Vec<usize> = (0..self.classes).filter(|&c| self.row(c) > 0).collect();
        let miou = (!present.is_empty()).then(|| {
            present
                .iter()
                .map(|&c| self.iou(c).unwrap_or(0.0))
                .sum::<f64>()
                / present.len() as f64
                * 100.0
        });
        let per_class = (0..self.classes)
            .filter_map(|c| {
                let name = names
                    .get(c)
                    .cloned()
                    .unwrap_or_else(|| format!("label {c}"));
                self.iou(c).map(|iou| (name, iou * 100.0))
            })
            .collect();
        Scores {
            miou,
            pixel_acc: (total > 0).then(|| correct as f64 / total as f64 * 100.0),
            per_class,
        }
    }
}

/// The scores of one split, with how many images they cover.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SplitScores {
    pub variant: String,
    pub images: usize,
    #[serde(flatten)]
    pub scores: Scores,
}

/// Scores the prediction masks in `dir` (`<image stem>.png`, 8-bit, the variant's label ids at the
/// photo's resolution, as `export masks` writes the truth and `predict` will write predictions)
/// against the truth of every labelled image of `split` (or all) through `variant_name`.
pub fn score_predictions(
    project: &Project,
    variant_name: &str,
    split: Option<Split>,
    dir: &Path,
    progress: &Progress,
) -> Result<SplitScores, ProjectError> {
    let variant = crate::formats::find_variant(project, variant_name)?;
    // The images `export masks` would write: the labelled ones of the split.
    let (todo, _) = crate::formats::select_images(project, "score", split);
    if todo.is_empty() {
        return Err(ProjectError::Other(
            "no labelled image to score in that split".into(),
        ));
    }
    let classes = variant.labels.len() + 1;
    progress.start_stage("scoring predictions", todo.len() as u64);
    let confusion = todo
        .par_iter()
        .map(|&i| {
            progress.check().map_err(|_| ProjectError::Cancelled)?;
            let image = &project.file().images[i];
            let path = dir.join(format!("{}.png", image_stem(&image.file)));
            let predicted = read_label_png(&path).map_err(|e| ProjectError::Other(e.to_string()))?;
            if (predicted.width, predicted.height) != (image.width, image.height) {
                return Err(ProjectError::Other(format!(
                    "{} is {}x{}, but its photo {} is {}x{}: predictions are scored at the photo's resolution",
                    path.display(),
                    predicted.width,
                    predicted.height,
                    image.file,
                    image.width,
                    image.height
                )));
            }
            let truth = render_label_map(project.instances(i), variant, image.width, image.height);
            let mut one = Confusion::new(classes);
            one.add(&truth, &predicted.data, IGNORE_LABEL)
                .map_err(|e| ProjectError::Other(format!("{}: {e}", path.display())))?;
            progress.advance(1);
            Ok(one)
        })
        .try_reduce(
            || Confusion::new(classes),
            |mut a, b| {
                a.merge(&b);
                Ok(a)
            },
        )?;
    let names: Vec<String> = std::iter::once("background".to_owned())
        .chain(variant.labels.iter().cloned())
        .collect();
    Ok(SplitScores {
        variant: variant.name.clone(),
        images: todo.len(),
        scores: confusion.scores(&names),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hand_worked_case() {
        // Truth and prediction of 8 pixels, labels 0–2, 255 ignored:
        //   truth      0 0 0 1 1 2 255 255
        //   prediction 0 0 1 1 2 2 1   0
        // Counted (truth, prediction): (0,0)×2 (0,1) (1,1) (1,2) (2,2).
        // IoU 0: 2 / (3 + 2 − 2) = 2/3; IoU 1: 1 / (2 + 2 − 1) = 1/3; IoU 2: 1 / (1 + 2 − 1) = 1/2.
        // mIoU = (2/3 + 1/3 + 1/2) / 3 = 1/2; pixel accuracy 4 / 6.
        let mut m = Confusion::new(3);
        m.add(
            &[0, 0, 0, 1, 1, 2, 255, 255],
            &[0, 0, 1, 1, 2, 2, 1, 0],
            255,
        )
        .unwrap();
        let names: Vec<String> = ["background", "nut", "bolt"].map(String::from).to_vec();
        let s = m.scores(&names);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(s.miou.unwrap(), 50.0), "{s:?}");
        assert!(close(s.pixel_acc.unwrap(), 400.0 / 6.0), "{s:?}");
        assert!(close(s.per_class["background"], 200.0 / 3.0));
        assert!(close(s.per_class["nut"], 100.0 / 3.0));
        assert!(close(s.per_class["bolt"], 50.0));
    }

    #[test]
    fn a_class_only_predicted_has_an_iou_but_stays_out_of_the_mean() {
        let mut m = Confusion::new(3);
        m.add(&[0, 0, 1, 1], &[0, 2, 1, 1], 255).unwrap();
        let s = m.scores(&[]);
        // Class 2 is never true: IoU 0, not in the mean of (1/2 + 1) / 2.
        assert!(s.per_class["label 2"].abs() < 1e-12);
        assert!((s.miou.unwrap() - 75.0).abs() < 1e-9);
        assert_eq!(Confusion::new(2).scores(&[]).miou, None);
    }

    #[test]
    fn bad_maps_are_named_and_count_nothing() {
        let mut m = Confusion::new(2);
        assert_eq!(
            m.add(&[0, 1], &[0], 255),
            Err(EvalError::SizeMismatch {
                truth: 2,
                prediction: 1
            })
        );
        let err = m.add(&[0, 7], &[0, 0], 255).unwrap_err();
        assert!(err.to_string().contains("label 7 in the truth"), "{err}");
        let err = m.add(&[0, 1], &[0, 9], 255).unwrap_err();
        assert!(
            err.to_string().contains("label 9 in the prediction"),
            "{err}"
        );
        // A wrong prediction under an ignored truth pixel is not looked at.
        m.add(&[255, 1], &[9, 1], 255).unwrap();
        assert_eq!(m, {
            let mut only = Confusion::new(2);
            only.counts[3] = 1;
            only
        });
    }
}
