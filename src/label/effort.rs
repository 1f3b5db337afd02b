//! The annotation-effort benchmark: a simulated user per tool labels every ground-truth object
//! and counts its actions until the result reaches an IoU (NoC@85, NoC@90; at most 20 actions,
//! a failure counts 20).
//!
//! - Click segmentation: the clicker of the interactive-segmentation papers. The first click is at
//!   the object's deepest point; each next one at the deepest point of the largest error region,
//!   positive where the result misses object, negative where it overflows.
//! - Polygon: the vertices of the Douglas–Peucker outline at the largest tolerance that reaches the
//!   IoU (the fewest vertices a careful user would click).
//! - Wand: a click at the deepest error point, then tolerance steps (each one action) until the
//!   region stops improving; regions are added while they help.
//! - Pre-label (with a trained run): the run's prediction offers its connected object regions as
//!   instances; when the one that best covers the object reaches the IoU, keeping it costs nothing;
//!   otherwise the object is labelled by click segmentation with the run's P(object) as its prior,
//!   and those clicks count.

use std::time::Instant;

use super::grabcut::{Click, ClickSettings, Prior, segment_with_prior};
use super::mask_edit::{MaskRegion, Photo, wand_region};
use crate::geometry::{paint_polygon, simplify_ring};
use crate::project::Instance;

/// The most actions counted for one object; an object not reached by then counts this.
pub const MAX_ACTIONS: usize = 20;

/// A full-image 0/1 mask.
#[derive(Clone, Debug)]
pub struct FullMask {
    pub width: usize,
    pub height: usize,
    pub data: Vec<u8>,
}

impl FullMask {
    pub fn of_instance(inst: &Instance, width: u32, height: u32) -> Self {
        let mut data = vec![0u8; width as usize * height as usize];
        for part in &inst.parts {
            let mut piece = vec![0u8; data.len()];
            paint_polygon(part.rings(), &mut piece, width, height, 1);
            for (d, p) in data.iter_mut().zip(piece) {
                *d |= p;
            }
        }
        Self {
            width: width as usize,
            height: height as usize,
            data,
        }
    }

    fn of_region(region: &MaskRegion, width: usize, height: usize) -> Self {
        let mut data = vec![0u8; width * height];
        for y in 0..region.height as usize {
            for x in 0..region.width as usize {
                if region.data[y * region.width as usize + x] != 0 {
                    data[(y + region.y0 as usize) * width + x + region.x0 as usize] = 1;
                }
            }
        }
        Self {
            width,
            height,
            data,
        }
    }

    pub fn area(&self) -> usize {
        self.data.iter().filter(|&&v| v != 0).count()
    }

    pub fn iou(&self, other: &Self) -> f64 {
        let (mut inter, mut union) = (0usize, 0usize);
        for (&a, &b) in self.data.iter().zip(&other.data) {
            inter += usize::from(a & b);
            union += usize::from(a | b);
        }
        if union == 0 {
            1.0
        } else {
            inter as f64 / union as f64
        }
    }
}

/// The point of `mask` farthest from its outside (chamfer distance), as a pixel centre.
pub fn deepest_point(mask: &[u8], width: usize, height: usize) -> Option<([f32; 2], u32)> {
    let big = u32::MAX / 2;
    let mut d: Vec<u32> = mask.iter().map(|&v| if v != 0 { big } else { 0 }).collect();
    let at = |x: isize, y: isize, d: &[u32]| {
        if x < 0 || y < 0 || x >= width as isize || y >= height as isize {
            0
        } else {
            d[y as usize * width + x as usize]
        }
    };
    for y in 0..height as isize {
        for x in 0..width as isize {
            let i = y as usize * width + x as usize;
            if d[i] == 0 {
                continue;
            }
            let best = [
                at(x - 1, y, &d) + 3,
                at(x, y - 1, &d) + 3,
                at(x - 1, y - 1, &d) + 4,
                at(x + 1, y - 1, &d) + 4,
            ]
            .into_iter()
            .min()
            .unwrap_or(big);
            d[i] = d[i].min(best);
        }
    }
    for y in (0..height as isize).rev() {
        for x in (0..width as isize).rev() {
            let i = y as usize * width + x as usize;
            if d[i] == 0 {
                continue;
            }
            let best = [
                at(x + 1, y, &d) + 3,
                at(x, y + 1, &d) + 3,
                at(x + 1, y + 1, &d) + 4,
                at(x - 1, y + 1, &d) + 4,
            ]
            .into_iter()
            .min()
            .unwrap_or(big);
            d[i] = d[i].min(best);
        }
    }
    let (i, &depth) = d.iter().enumerate().max_by_key(|(_, v)| **v)?;
    (depth > 0).then(|| ([(i % width) as f32 + 0.5, (i / width) as f32 + 0.5], depth))
}

/// Where the clicker clicks next: the deepest point of the larger error (missed object →
/// positive, overflow → negative).
fn next_click(truth: &FullMask, result: Option<&FullMask>) -> Option<Click> {
    let missed: Vec<u8> = match result {
        Some(r) => truth
            .data
            .iter()
            .zip(&r.data)
            .map(|(&t, &r)| t & (1 - r))
            .collect(),
        None => truth.data.clone(),
    };
    let over: Vec<u8> = match result {
        Some(r) => truth
            .data
            .iter()
            .zip(&r.data)
            .map(|(&t, &r)| (1 - t) & r)
            .collect(),
        None => vec![0; truth.data.len()],
    };
    let a = deepest_point(&missed, truth.width, truth.height);
    let b = deepest_point(&over, truth.width, truth.height);
    match (a, b) {
        (Some((p, da)), Some((q, db))) => Some(if da >= db {
            Click {
                at: p,
                positive: true,
            }
        } else {
            Click {
                at: q,
                positive: false,
            }
        }),
        (Some((p, _)), None) => Some(Click {
            at: p,
            positive: true,
        }),
        (None, Some((q, _))) => Some(Click {
            at: q,
            positive: false,
        }),
        (None, None) => None,
    }
}

/// Clicks of click segmentation to reach each IoU in `targets`, and the time per click.
pub fn click_segmentation_effort(
    photo: &Photo,
    truth: &FullMask,
    targets: &[f64],
) -> (Vec<usize>, f64, usize) {
    click_effort(photo, truth, targets, None)
}

/// [`click_segmentation_effort`] with a model's prior in the graph cut.
fn click_effort(
    photo: &Photo,
    truth: &FullMask,
    targets: &[f64],
    prior: Option<&Prior>,
) -> (Vec<usize>, f64, usize) {
    let mut clicks: Vec<Click> = Vec::new();
    let mut result: Option<FullMask> = None;
    let mut reached = vec![MAX_ACTIONS; targets.len()];
    let started = Instant::now();
    for n in 1..=MAX_ACTIONS {
        let Some(click) = next_click(truth, result.as_ref()) else {
            break;
        };
        clicks.push(click);
        result = segment_with_prior(photo, &clicks, &ClickSettings::default(), prior)
            .map(|r| FullMask::of_region(&r, truth.width, truth.height));
        let iou = result.as_ref().map_or(0.0, |r| r.iou(truth));
        for (k, &t) in targets.iter().enumerate() {
            if iou >= t && reached[k] == MAX_ACTIONS {
                reached[k] = n;
            }
        }
        if reached.iter().all(|&r| r < MAX_ACTIONS) {
            break;
        }
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0 / clicks.len().max(1) as f64;
    (reached, ms, clicks.len())
}

/// Actions of the pre-label tool for each IoU in `targets`: 0 where one of the run's `predicted`
/// regions already reaches it, else the clicks of click segmentation guided by `prior`.
pub fn prelabel_effort(
    photo: &Photo,
    truth: &FullMask,
    predicted: &[FullMask],
    prior: &Prior,
    targets: &[f64],
) -> Vec<usize> {
    let best = predicted.iter().map(|m| m.iou(truth)).fold(0.0, f64::max);
    let mut out = vec![0; targets.len()];
    if targets.iter().all(|&t| best >= t) {
        return out;
    }
    let (clicks, _, _) = click_effort(photo, truth, targets, Some(prior));
    for (k, &t) in targets.iter().enumerate() {
        if best < t {
            out[k] = clicks[k];
        }
    }
    out
}

/// The 4-connected regions of `mask` (non-zero = object) with at least `min_area` pixels.
pub fn regions(mask: &[u8], width: usize, height: usize, min_area: usize) -> Vec<FullMask> {
    let mut seen = vec![false; mask.len()];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if mask[start] == 0 || seen[start] {
            continue;
        }
        let mut pixels = Vec::new();
        seen[start] = true;
        stack.push(start);
        while let Some(i) = stack.pop() {
            pixels.push(i);
            let (x, y) = (i % width, i / width);
            let mut visit = |j: usize| {
                if mask[j] != 0 && !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < width {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - width);
            }
            if y + 1 < height {
                visit(i + width);
            }
        }
        if pixels.len() >= min_area {
            let mut data = vec![0; mask.len()];
            for i in pixels {
                data[i] = 1;
            }
            out.push(FullMask {
                width,
                height,
                data,
            });
        }
    }
    out
}

/// Vertices of the coarsest Douglas–Peucker outline of the object that reaches each IoU. The
/// outline is scored as it labels pixels: less what `hidden` (1 = under an instance above) covers.
pub fn polygon_effort(
    inst: &Instance,
    truth: &FullMask,
    hidden: &[u8],
    targets: &[f64],
) -> Vec<usize> {
    let (w, h) = (truth.width as u32, truth.height as u32);
    let tolerances = [
        32.0, 24.0, 16.0, 12.0, 8.0, 6.0, 4.0, 3.0, 2.0, 1.5, 1.0, 0.7, 0.5,
    ];
    targets
        .iter()
        .map(|&t| {
            for &tol in &tolerances {
                let mut simplified = inst.clone();
                let mut vertices = 0;
                for part in &mut simplified.parts {
                    part.outer = simplify_ring(&part.outer, tol);
                    vertices += part.outer.len();
                    for hole in &mut part.holes {
                        *hole = simplify_ring(hole, tol);
                        vertices += hole.len();
                    }
                }
                let mut labelled = FullMask::of_instance(&simplified, w, h);
                for (l, &h) in labelled.data.iter_mut().zip(hidden) {
                    *l &= 1 - h;
                }
                if labelled.iou(truth) >= t {
                    return vertices.min(MAX_ACTIONS);
                }
            }
            MAX_ACTIONS
        })
        .collect()
}

/// Actions of the wand (clicks and tolerance steps) to reach each IoU.
pub fn wand_effort(photo: &Photo, truth: &FullMask, targets: &[f64]) -> Vec<usize> {
    const STEPS: [f32; 9] = [32.0, 24.0, 48.0, 16.0, 64.0, 12.0, 96.0, 8.0, 128.0];
    let mut union = FullMask {
        width: truth.width,
        height: truth.height,
        data: vec![0; truth.data.len()],
    };
    let mut actions = 0;
    let mut reached = vec![MAX_ACTIONS; targets.len()];
    let record = |iou: f64, actions: usize, reached: &mut [usize]| {
        for (k, &t) in targets.iter().enumerate() {
            if iou >= t && reached[k] == MAX_ACTIONS {
                reached[k] = actions;
            }
        }
    };
    while actions < MAX_ACTIONS {
        let missed: Vec<u8> = truth
            .data
            .iter()
            .zip(&union.data)
            .map(|(&t, &u)| t & (1 - u))
            .collect();
        let Some((seed, _)) = deepest_point(&missed, truth.width, truth.height) else {
            break;
        };
        // One click, then tolerance steps while they improve the union.
        let mut best: Option<(f64, FullMask)> = None;
        for &tol in &STEPS {
            actions += 1;
            if actions > MAX_ACTIONS {
                break;
            }
            let Some(region) = wand_region(photo, seed, tol) else {
                continue;
            };
            let mut candidate = union.clone();
            for (c, r) in candidate
                .data
                .iter_mut()
                .zip(FullMask::of_region(&region, truth.width, truth.height).data)
            {
                *c |= r;
            }
            let iou = candidate.iou(truth);
            record(iou, actions, &mut reached);
            match &best {
                Some((b, _)) if iou <= *b => break,
                _ => best = Some((iou, candidate)),
            }
        }
        let before = union.iou(truth);
        match best {
            Some((iou, candidate)) if iou > before + 1e-9 => union = candidate,
            _ => break,
        }
        if reached.iter().all(|&r| r < MAX_ACTIONS) {
            break;
        }
    }
    reached
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::{Part, Tool};

    #[test]
    fn the_deepest_point_of_a_rectangle_is_its_middle() {
        let (w, h) = (20usize, 10usize);
        let mut mask = vec![0u8; w * h];
        for y in 2..9 {
            for x in 3..18 {
                mask[y * w + x] = 1;
            }
        }
        let (p, depth) = deepest_point(&mask, w, h).unwrap();
        assert!((p[1] - 5.5).abs() < 0.01, "{p:?}");
        assert!((5.0..15.0).contains(&p[0]), "{p:?}");
        // Four steps of 3 to the nearest outside pixel (row 1 or row 9).
        assert_eq!(depth, 12);
        assert!(deepest_point(&vec![0; w * h], w, h).is_none());
    }

    #[test]
    fn a_square_needs_four_vertices_and_a_clear_one_one_click() {
        let inst = Instance {
            id: 1,
            class_id: 1,
            parts: vec![Part::solid(vec![
                [40.0, 30.0],
                [100.0, 30.0],
                [100.0, 90.0],
                [40.0, 90.0],
            ])],
            order: 1,
            tool: Tool::Polygon,
        };
        let truth = FullMask::of_instance(&inst, 160, 120);
        let nothing_above = vec![0u8; 160 * 120];
        assert_eq!(
            polygon_effort(&inst, &truth, &nothing_above, &[0.85, 0.9]),
            [4, 4]
        );
        // With its right half under another instance, the visible half is a rectangle too, and
        // the full square's outline labels exactly it.
        let mut right_half = nothing_above.clone();
        let mut visible = truth.clone();
        for y in 0..120 {
            for x in 70..160 {
                right_half[y * 160 + x] = 1;
                visible.data[y * 160 + x] = 0;
            }
        }
        assert_eq!(
            polygon_effort(&inst, &visible, &right_half, &[0.85, 0.9]),
            [4, 4]
        );
        assert_eq!(
            polygon_effort(&inst, &visible, &nothing_above, &[0.85, 0.9]),
            [20, 20],
            "the whole square against its visible half is IoU 0.5 at any tolerance"
        );
        let mut rgb = vec![60u8; 160 * 120 * 3];
        for y in 30..90 {
            for x in 40..100 {
                let i = (y * 160 + x) * 3;
                rgb[i..i + 3].copy_from_slice(&[230, 200, 40]);
            }
        }
        let photo = Photo {
            width: 160,
            height: 120,
            rgb,
        };
        let (noc, _, clicks) = click_segmentation_effort(&photo, &truth, &[0.85, 0.9]);
        assert_eq!(noc, [1, 1], "after {clicks} clicks");
        assert_eq!(wand_effort(&photo, &truth, &[0.85, 0.9]), [1, 1]);
    }

    #[test]
    fn regions_are_four_connected_and_small_ones_dropped() {
        // 6×3: a 2×2 block, a diagonal neighbour (not 4-connected), a 3-pixel bar.
        #[rustfmt::skip]
        let mask = [
            1, 1, 0, 0, 1, 1,
            1, 1, 0, 0, 0, 1,
            0, 0, 1, 0, 0, 0,
        ];
        let found = regions(&mask, 6, 3, 2);
        let areas: Vec<usize> = found.iter().map(FullMask::area).collect();
        assert_eq!(areas, vec![4, 3]);
    }
}
