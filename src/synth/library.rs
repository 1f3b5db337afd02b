//! The object library: every annotated instance of the chosen splits cut out of its photo with an
//! alpha mask (holes transparent, parts hidden by another instance of the photo left out).
//!
//! Only the chosen splits are read, so a training run never sees a val or test object.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use rayon::prelude::*;

use super::SynthError;
use super::params::LibraryChoice;
use crate::geometry::fill_polygon_spans;
use crate::imageio::read_photo;
use crate::progress::Progress;
use crate::project::{ClassId, IGNORE_CLASS, Instance, Project, Split};

/// One object cut out of a photo.
#[derive(Clone, Debug)]
pub struct Cutout {
    pub class_id: ClassId,
    /// The photo it came from (file name in `images/`) and its instance id there.
    pub source: String,
    pub instance: u32,
    pub width: u32,
    pub height: u32,
    /// Row-major RGB of the cut-out's box, black outside the mask.
    pub rgb: Vec<u8>,
    /// Row-major 0 / 255 coverage: the instance's visible pixels by the pixel-centre rule.
    pub alpha: Vec<u8>,
    /// Number of covered pixels.
    pub pixels: u32,
    /// Pasted unlabelled (its class is marked as a distractor).
    pub distractor: bool,
}

/// The cut-outs a run draws from, in a fixed order (photo order, then instance order).
#[derive(Clone, Debug, Default)]
pub struct ObjectLibrary {
    pub objects: Vec<Cutout>,
    /// Instances that the choice left out, and photos that could not be read (one sentence each).
    pub skipped: Vec<String>,
}

impl ObjectLibrary {
    /// Cuts out every instance of the images in `splits` that `choice` keeps.
    pub fn build(
        project: &Project,
        splits: &BTreeSet<Split>,
        choice: &LibraryChoice,
        progress: &Progress,
    ) -> Result<Self, SynthError> {
        let disabled_classes: HashSet<ClassId> = choice.disabled_classes.iter().copied().collect();
        let distractors: HashSet<ClassId> = choice.distractor_classes.iter().copied().collect();
        let disabled: HashSet<(&str, u32)> = choice
            .disabled_instances
            .iter()
            .map(|(file, id)| (file.as_str(), *id))
            .collect();
        let file = project.file();
        let wanted: Vec<usize> = (0..file.images.len())
            .filter(|&i| file.images[i].split.is_some_and(|s| splits.contains(&s)))
            .filter(|&i| {
                project.instances(i).iter().any(|inst| {
                    inst.class_id != IGNORE_CLASS
                        && !disabled_classes.contains(&inst.class_id)
                        && !disabled.contains(&(file.images[i].file.as_str(), inst.id))
                })
            })
            .collect();
        progress.start_stage("Cutting out objects", wanted.len() as u64);
        let per_image: Vec<Result<Vec<Cutout>, String>> = wanted
            .par_iter()
            .map(|&index| {
                if progress.is_cancelled() {
                    return Ok(Vec::new());
                }
                let entry = &file.images[index];
                let photo = read_photo(&project.image_path(index)).map_err(|e| e.to_string())?;
                let keep = |inst: &Instance| {
                    inst.class_id != IGNORE_CLASS
                        && !disabled_classes.contains(&inst.class_id)
                        && !disabled.contains(&(entry.file.as_str(), inst.id))
                };
                let cutouts = cut_out(&photo, project.instances(index), keep)
                    .into_iter()
                    .map(|mut c| {
                        c.source.clone_from(&entry.file);
                        c.distractor = distractors.contains(&c.class_id);
                        c
                    })
                    .collect();
                progress.advance(1);
                Ok(cutouts)
            })
            .collect();
        progress.check().map_err(|_| SynthError::Cancelled)?;
        let mut library = Self::default();
        for result in per_image {
            match result {
                Ok(cutouts) => library.objects.extend(cutouts),
                Err(problem) => library.skipped.push(problem),
            }
        }
        Ok(library)
    }

    /// Labelled (non-distractor) objects per class.
    pub fn counts(&self) -> BTreeMap<ClassId, usize> {
        let mut counts = BTreeMap::new();
        for c in self.objects.iter().filter(|c| !c.distractor) {
            *counts.entry(c.class_id).or_default() += 1;
        }
        counts
    }

    /// Indices of the labelled objects and of the distractors.
    pub fn partition(&self) -> (Vec<usize>, Vec<usize>) {
        (0..self.objects.len()).partition(|&i| !self.objects[i].distractor)
    }
}

/// Cuts the instances that `keep` accepts out of `photo`: each gets the pixels it owns in the
/// photo's painter's order (ascending `order`), so an instance lying under another loses what is
/// hidden; an instance left with no pixel gives no cut-out.
pub fn cut_out(
    photo: &image::RgbImage,
    instances: &[Instance],
    keep: impl Fn(&Instance) -> bool,
) -> Vec<Cutout> {
    let (w, h) = photo.dimensions();
    let mut owner = vec![0u16; w as usize * h as usize];
    let mut order: Vec<usize> = (0..instances.len()).collect();
    order.sort_by_key(|&i| instances[i].order);
    for &i in &order {
        let value = (i + 1).min(usize::from(u16::MAX)) as u16;
        for part in &instances[i].parts {
            fill_polygon_spans(part.rings(), w, h, |y, x0, x1| {
                let row = y as usize * w as usize;
                owner[row + x0 as usize..row + x1 as usize].fill(value);
            });
        }
    }
    // Boxes of the owned pixels, one pass.
    let mut boxes = vec![[u32::MAX, u32::MAX, 0u32, 0u32]; instances.len()];
    for y in 0..h {
        let row = &owner[(y * w) as usize..((y + 1) * w) as usize];
        for (x, &o) in row.iter().enumerate() {
            if o != 0 {
                let b = &mut boxes[usize::from(o) - 1];
                b[0] = b[0].min(x as u32);
                b[1] = b[1].min(y);
                b[2] = b[2].max(x as u32 + 1);
                b[3] = b[3].max(y + 1);
            }
        }
    }
    let raw = photo.as_raw();
    let mut cutouts = Vec::new();
    for (i, inst) in instances.iter().enumerate() {
        let [x0, y0, x1, y1] = boxes[i];
        if x0 >= x1 || !keep(inst) {
            continue;
        }
        let value = (i + 1) as u16;
        let (cw, ch) = (x1 - x0, y1 - y0);
        let mut rgb = Vec::with_capacity((cw * ch * 3) as usize);
        let mut alpha = Vec::with_capacity((cw * ch) as usize);
        let mut pixels = 0;
        for y in y0..y1 {
            let start = (y * w + x0) as usize;
            for (k, &o) in owner[start..start + cw as usize].iter().enumerate() {
                let inside = o == value;
                pixels += u32::from(inside);
                alpha.push(if inside { 255 } else { 0 });
                // Colour outside the mask is zeroed: the sprite samples premultiplied colour.
                let px = &raw[(start + k) * 3..(start + k) * 3 + 3];
                rgb.extend_from_slice(if inside { px } else { &[0, 0, 0] });
            }
        }
        cutouts.push(Cutout {
            class_id: inst.class_id,
            source: String::new(),
            instance: inst.id,
            width: cw,
            height: ch,
            rgb,
            alpha,
            pixels,
            distractor: false,
        });
    }
    cutouts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::{Part, Tool};

    fn square(id: u32, x: f32, y: f32, s: f32, order: i32) -> Instance {
        Instance {
            id,
            class_id: 1,
            parts: vec![Part {
                outer: vec![[x, y], [x + s, y], [x + s, y + s], [x, y + s]],
                holes: vec![vec![
                    [x + s / 4.0, y + s / 4.0],
                    [x + 3.0 * s / 4.0, y + s / 4.0],
                    [x + 3.0 * s / 4.0, y + 3.0 * s / 4.0],
                    [x + s / 4.0, y + 3.0 * s / 4.0],
                ]],
            }],
            order,
            tool: Tool::Polygon,
        }
    }

    #[test]
    fn cut_out_keeps_holes_open_and_drops_hidden_pixels() {
        let photo = image::RgbImage::from_fn(20, 20, |x, y| image::Rgb([x as u8, y as u8, 7]));
        // An 8×8 ring at (2, 2) with a 4×4 hole, and a 4×4 square's ring at (8, 2) on top of it.
        let under = square(1, 2.0, 2.0, 8.0, 0);
        let mut over = square(2, 8.0, 2.0, 4.0, 1);
        over.parts[0].holes.clear();
        let cutouts = cut_out(&photo, &[under, over], |_| true);
        assert_eq!(cutouts.len(), 2);
        let c = &cutouts[0];
        // Box of the visible pixels: x 2..10, y 2..10 (x 8..10 stays visible below y 6).
        assert_eq!((c.width, c.height), (8, 8));
        // 64 − 16 (hole) − 8 hidden by the square (x 8..10, y 2..6, outside the hole) = 40.
        assert_eq!(c.pixels, 40);
        // The hole (x 4..8, y 4..8) is transparent; the ring pixel (2, 2) is opaque with its colour.
        assert_eq!(c.alpha[2 * 8 + 2], 0);
        assert_eq!(c.alpha[0], 255);
        // Hidden by the square: (8, 2) → box (6, 0).
        assert_eq!(c.alpha[6], 0);
        assert_eq!(c.alpha[6 * 8 + 6], 255);
        assert_eq!(&c.rgb[0..3], &[2, 2, 7]);
        assert_eq!(cutouts[1].pixels, 16);
    }
}
