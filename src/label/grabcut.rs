//! Click segmentation: positive and negative clicks refine an object's mask by graph cuts on
//! colour models, iterated as GrabCut does (Rother, Kolmogorov & Blake 2004).
//!
//! Around the clicks a window (the region of interest) is cut: its outermost ring is background,
//! small discs at the clicks are hard foreground or background. Each round fits a Gaussian
//! mixture of colours to each side, sets every pixel's terminal weights to its colour's negative
//! log-likelihood under the other side's model, joins 8-neighbours by the contrast-sensitive
//! smoothness term `γ/dist · exp(−β‖Δc‖²)`, and takes the minimum cut ([`super::maxflow`]). The
//! object is what stays connected to a positive click.
//!
//! A [`Prior`] (a trained model's probability of "object" per pixel, from the Train workspace's
//! pre-label) adds `−λ ln p` to the object's and `−λ ln(1 − p)` to the background's terminal
//! weights and seeds the first guess, so clicks correct a prediction instead of starting blind.

use std::collections::VecDeque;

use super::mask_edit::{MaskRegion, Photo};
use super::maxflow::Graph;
use crate::geometry::Point;

/// Settings of the segmentation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClickSettings {
    /// Pixels of context around the clicks' bounding box.
    pub margin: f32,
    /// Radius of the hard disc at each click, in pixels.
    pub click_radius: f32,
    /// Smoothness weight γ.
    pub smoothness: f64,
    /// Gaussians per colour model.
    pub components: usize,
    /// Graph-cut rounds.
    pub rounds: usize,
}

impl Default for ClickSettings {
    fn default() -> Self {
        Self {
            margin: 80.0,
            click_radius: 4.0,
            smoothness: 50.0,
            components: 5,
            rounds: 4,
        }
    }
}

/// The forward half of the 8-neighbourhood, with each step's length.
const NEIGHBOURS: [(i32, i32, f64); 4] = [
    (1, 0, 1.0),
    (0, 1, 1.0),
    (1, 1, std::f64::consts::SQRT_2),
    (-1, 1, std::f64::consts::SQRT_2),
];

/// A per-pixel probability that a pixel is the object, over the whole photo.
#[derive(Clone, Debug, PartialEq)]
pub struct Prior {
    pub width: u32,
    pub height: u32,
    /// Row-major, 0–1.
    pub probability: Vec<f32>,
    /// λ: how much one pixel's log-odds weigh against the colour models and the smoothness.
    pub weight: f64,
}

impl Prior {
    /// The weight a model gets by default: its log-odds count as much as a colour's. Measured on
    /// the atWork test split with a from-scratch run (BENCHMARKS.md, the pre-label tool): λ = 1
    /// beat click segmentation without a prior, λ = 3 and 10 did worse, as a wrong "background"
    /// then outweighs the clicks.
    pub const DEFAULT_WEIGHT: f64 = 1.0;

    /// A prior of `probability` (row-major, `width × height`) at the default weight; `None` when
    /// the sizes disagree.
    pub fn new(width: u32, height: u32, probability: Vec<f32>) -> Option<Self> {
        (probability.len() == width as usize * height as usize).then_some(Self {
            width,
            height,
            probability,
            weight: Self::DEFAULT_WEIGHT,
        })
    }

    /// P(object) at photo pixel (x, y), kept off 0 and 1 so its logarithms stay finite.
    fn at(&self, x: u32, y: u32) -> f64 {
        let p = self.probability[y as usize * self.width as usize + x as usize];
        f64::from(p).clamp(1e-4, 1.0 - 1e-4)
    }
}

/// One click: where, and whether it says "object" (positive) or "not object".
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Click {
    pub at: Point,
    pub positive: bool,
}

/// A Gaussian mixture over RGB with full covariances.
#[derive(Clone, Debug)]
struct Mixture {
    weight: Vec<f64>,
    mean: Vec<[f64; 3]>,
    /// Inverse covariance and log of the normalising constant per component.
    inverse: Vec<[[f64; 3]; 3]>,
    log_norm: Vec<f64>,
}

fn det3(m: &[[f64; 3]; 3]) -> f64 {
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

fn inverse3(m: &[[f64; 3]; 3], det: f64) -> [[f64; 3]; 3] {
    let c =
        |r0: usize, c0: usize, r1: usize, c1: usize| m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0];
    [
        [
            c(1, 1, 2, 2) / det,
            -c(0, 1, 2, 2) / det,
            c(0, 1, 1, 2) / det,
        ],
        [
            -c(1, 0, 2, 2) / det,
            c(0, 0, 2, 2) / det,
            -c(0, 0, 1, 2) / det,
        ],
        [
            c(1, 0, 2, 1) / det,
            -c(0, 0, 2, 1) / det,
            c(0, 0, 1, 1) / det,
        ],
    ]
}

impl Mixture {
    /// Fits `k` components to `samples`: k-means from evenly spread starts, then one estimate of
    /// weight, mean and covariance per cluster (a small ridge keeps flat clusters invertible).
    fn fit(samples: &[[f64; 3]], k: usize) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        let k = k.min(samples.len()).max(1);
        let mut centres: Vec<[f64; 3]> = (0..k).map(|c| samples[c * samples.len() / k]).collect();
        let mut assignment = vec![0usize; samples.len()];
        let nearest = |x: &[f64; 3], centres: &[[f64; 3]]| {
            (0..centres.len())
                .min_by(|&a, &b| {
                    let d = |c: &[f64; 3]| (0..3).map(|i| (x[i] - c[i]).powi(2)).sum::<f64>();
                    d(&centres[a]).total_cmp(&d(&centres[b]))
                })
                .unwrap_or(0)
        };
        for _ in 0..6 {
            for (s, a) in samples.iter().zip(&mut assignment) {
                *a = nearest(s, &centres);
            }
            let mut sums = vec![[0.0f64; 4]; k];
            for (s, &a) in samples.iter().zip(&assignment) {
                for i in 0..3 {
                    sums[a][i] += s[i];
                }
                sums[a][3] += 1.0;
            }
            for (c, s) in centres.iter_mut().zip(&sums) {
                if s[3] > 0.0 {
                    *c = [s[0] / s[3], s[1] / s[3], s[2] / s[3]];
                }
            }
        }
        let mut out = Self {
            weight: Vec::new(),
            mean: Vec::new(),
            inverse: Vec::new(),
            log_norm: Vec::new(),
        };
        for (c, &mean) in centres.iter().enumerate() {
            let members: Vec<&[f64; 3]> = samples
                .iter()
                .zip(&assignment)
                .filter(|(_, a)| **a == c)
                .map(|(s, _)| s)
                .collect();
            if members.is_empty() {
                continue;
            }
            let n = members.len() as f64;
            let mut cov = [[0.0f64; 3]; 3];
            for m in &members {
                for i in 0..3 {
                    for j in 0..3 {
                        cov[i][j] += (m[i] - mean[i]) * (m[j] - mean[j]);
                    }
                }
            }
            for (i, row) in cov.iter_mut().enumerate() {
                for v in row.iter_mut() {
                    *v /= n;
                }
                row[i] += 4.0;
            }
            let det = det3(&cov);
            if det <= 0.0 {
                continue;
            }
            out.weight.push(n / samples.len() as f64);
            out.mean.push(mean);
            out.inverse.push(inverse3(&cov, det));
            out.log_norm
                .push(-0.5 * (det.ln() + 3.0 * (2.0 * std::f64::consts::PI).ln()));
        }
        (!out.weight.is_empty()).then_some(out)
    }

    /// −ln p(x).
    fn cost(&self, x: &[f64; 3]) -> f64 {
        let mut p = 0.0;
        for c in 0..self.weight.len() {
            let d = [
                x[0] - self.mean[c][0],
                x[1] - self.mean[c][1],
                x[2] - self.mean[c][2],
            ];
            let inv = &self.inverse[c];
            let mut q = 0.0;
            for i in 0..3 {
                for j in 0..3 {
                    q += d[i] * inv[i][j] * d[j];
                }
            }
            p += self.weight[c] * (self.log_norm[c] - 0.5 * q).exp();
        }
        -(p.max(1e-300)).ln()
    }
}

/// The object the clicks say, as a mask over its window; `None` without a positive click.
///
/// An object that reaches the window's ring (it is bigger than the clicks' box plus the margin)
/// is cut again in a window twice as wide, twice at most.
pub fn segment(photo: &Photo, clicks: &[Click], settings: &ClickSettings) -> Option<MaskRegion> {
    segment_with_prior(photo, clicks, settings, None)
}

/// [`segment`] with a model's [`Prior`] (ignored when its size is not the photo's).
pub fn segment_with_prior(
    photo: &Photo,
    clicks: &[Click],
    settings: &ClickSettings,
    prior: Option<&Prior>,
) -> Option<MaskRegion> {
    let prior = prior.filter(|p| p.width == photo.width && p.height == photo.height);
    let mut margin = settings.margin;
    for _ in 0..2 {
        let (region, touches_ring) = segment_in_window(photo, clicks, settings, prior, margin)?;
        if !touches_ring {
            return Some(region);
        }
        margin *= 2.0;
    }
    segment_in_window(photo, clicks, settings, prior, margin).map(|(region, _)| region)
}

/// One cut in the window of `margin` around the clicks; also says whether the object reaches the
/// window's ring where that is not the photo's edge.
fn segment_in_window(
    photo: &Photo,
    clicks: &[Click],
    settings: &ClickSettings,
    prior: Option<&Prior>,
    margin: f32,
) -> Option<(MaskRegion, bool)> {
    let positives: Vec<Point> = clicks.iter().filter(|c| c.positive).map(|c| c.at).collect();
    if positives.is_empty() {
        return None;
    }
    let mut b = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];
    for c in clicks {
        b = [
            b[0].min(c.at[0]),
            b[1].min(c.at[1]),
            b[2].max(c.at[0]),
            b[3].max(c.at[1]),
        ];
    }
    let m = margin;
    let mut region = MaskRegion::empty(
        [b[0] - m, b[1] - m, b[2] + m, b[3] + m],
        (photo.width, photo.height),
    );
    let (w, h) = (region.width as usize, region.height as usize);
    if w < 3 || h < 3 {
        return None;
    }
    let colour = |x: usize, y: usize| {
        let i = ((y + region.y0 as usize) * photo.width as usize + x + region.x0 as usize) * 3;
        [
            f64::from(photo.rgb[i]),
            f64::from(photo.rgb[i + 1]),
            f64::from(photo.rgb[i + 2]),
        ]
    };
    let pixels: Vec<[f64; 3]> = (0..w * h).map(|i| colour(i % w, i / w)).collect();
    // Hard constraints: 1 object, 2 background, 0 free.
    let mut hard = vec![0u8; w * h];
    let border_is_photo_edge = [
        region.x0 == 0,
        region.y0 == 0,
        region.x0 + region.width == photo.width,
        region.y0 + region.height == photo.height,
    ];
    for y in 0..h {
        for x in 0..w {
            // The window's ring is background, except where it is the photo's own edge (an
            // object may be cut by the border).
            let ring = (x == 0 && !border_is_photo_edge[0])
                || (y == 0 && !border_is_photo_edge[1])
                || (x == w - 1 && !border_is_photo_edge[2])
                || (y == h - 1 && !border_is_photo_edge[3]);
            if ring {
                hard[y * w + x] = 2;
            }
        }
    }
    let r2 = settings.click_radius * settings.click_radius;
    for c in clicks {
        let (cx, cy) = (c.at[0] - region.x0 as f32, c.at[1] - region.y0 as f32);
        for y in 0..h {
            for x in 0..w {
                let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
                if dx * dx + dy * dy <= r2 {
                    hard[y * w + x] = if c.positive { 1 } else { 2 };
                }
            }
        }
    }
    // The prior's costs per window pixel: (background pays, object pays).
    let prior_costs: Option<Vec<(f64, f64)>> = prior.map(|prior| {
        (0..w * h)
            .map(|i| {
                let p = prior.at((i % w) as u32 + region.x0, (i / w) as u32 + region.y0);
                (-prior.weight * (1.0 - p).ln(), -prior.weight * p.ln())
            })
            .collect()
    });
    // The first guess: near a positive click is object, far from every one is background (or,
    // with a prior, what it deems likelier object).
    let near = 3.0 * settings.click_radius.max(4.0);
    let mut object: Vec<bool> = (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w) as f32 + 0.5, (i / w) as f32 + 0.5);
            let near_positive = positives.iter().any(|p| {
                let (dx, dy) = (x - (p[0] - region.x0 as f32), y - (p[1] - region.y0 as f32));
                dx * dx + dy * dy <= near * near
            });
            let prior_says = prior_costs.as_ref().is_some_and(|c| c[i].0 > c[i].1);
            hard[i] == 1 || hard[i] != 2 && (near_positive || prior_says)
        })
        .collect();
    // Smoothness: β from the mean squared colour step between neighbours.
    let diff2 = |a: &[f64; 3], b: &[f64; 3]| (0..3).map(|i| (a[i] - b[i]).powi(2)).sum::<f64>();
    let mut total = 0.0;
    let mut count = 0usize;
    for y in 0..h {
        for x in 0..w {
            for &(dx, dy, _) in &NEIGHBOURS {
                let (nx, ny) = (x as i32 + dx, y as i32 + dy);
                if nx >= 0 && ny >= 0 && (nx as usize) < w && (ny as usize) < h {
                    total += diff2(&pixels[y * w + x], &pixels[ny as usize * w + nx as usize]);
                    count += 1;
                }
            }
        }
    }
    let beta = if total > 0.0 {
        count as f64 / (2.0 * total)
    } else {
        0.0
    };
    let mut links: Vec<(usize, usize, f64)> = Vec::with_capacity(count);
    for y in 0..h {
        for x in 0..w {
            for &(dx, dy, dist) in &NEIGHBOURS {
                let (nx, ny) = (x as i32 + dx, y as i32 + dy);
                if nx >= 0 && ny >= 0 && (nx as usize) < w && (ny as usize) < h {
                    let (i, j) = (y * w + x, ny as usize * w + nx as usize);
                    let weight =
                        settings.smoothness / dist * (-beta * diff2(&pixels[i], &pixels[j])).exp();
                    links.push((i, j, weight));
                }
            }
        }
    }
    let hard_weight = 1.0 + 8.0 * settings.smoothness * 2.0;
    for _ in 0..settings.rounds.max(1) {
        let samples = |side: bool| -> Vec<[f64; 3]> {
            (0..w * h)
                .filter(|&i| object[i] == side)
                .map(|i| pixels[i])
                .collect()
        };
        let (Some(fg), Some(bg)) = (
            Mixture::fit(&samples(true), settings.components),
            Mixture::fit(&samples(false), settings.components),
        ) else {
            break;
        };
        let mut graph = Graph::new(w * h, links.len());
        for &(i, j, weight) in &links {
            graph.add_edge(i, j, weight, weight);
        }
        for i in 0..w * h {
            let (source, sink) = match hard[i] {
                1 => (hard_weight * 1e3, 0.0),
                2 => (0.0, hard_weight * 1e3),
                // Background (sink side) pays the source arc: −ln p_bg; object pays −ln p_fg.
                // Densities above 1 give negative costs: only the difference matters, so both
                // are shifted to start at 0.
                _ => {
                    let (mut b, mut f) = (bg.cost(&pixels[i]), fg.cost(&pixels[i]));
                    if let Some(costs) = &prior_costs {
                        b += costs[i].0;
                        f += costs[i].1;
                    }
                    let low = b.min(f);
                    (b - low, f - low)
                }
            };
            graph.add_terminal_weights(i, source, sink);
        }
        graph.max_flow();
        let next: Vec<bool> = (0..w * h).map(|i| graph.is_source_side(i)).collect();
        let changed = next.iter().zip(&object).filter(|(a, b)| a != b).count();
        object = next;
        // Another round would move less than a pixel in a thousand: stop (most of the time).
        if changed <= w * h / 1000 {
            break;
        }
    }
    // Keep what is connected (4-neighbours) to a positive click.
    let mut keep = vec![false; w * h];
    let mut queue = VecDeque::new();
    for p in &positives {
        let (x, y) = (
            p[0] as i64 - i64::from(region.x0),
            p[1] as i64 - i64::from(region.y0),
        );
        if x >= 0 && y >= 0 && (x as usize) < w && (y as usize) < h {
            let i = y as usize * w + x as usize;
            if object[i] && !keep[i] {
                keep[i] = true;
                queue.push_back(i);
            }
        }
    }
    while let Some(i) = queue.pop_front() {
        let (x, y) = (i % w, i / w);
        let mut visit = |j: usize| {
            if object[j] && !keep[j] {
                keep[j] = true;
                queue.push_back(j);
            }
        };
        if x > 0 {
            visit(i - 1);
        }
        if x + 1 < w {
            visit(i + 1);
        }
        if y > 0 {
            visit(i - w);
        }
        if y + 1 < h {
            visit(i + w);
        }
    }
    // The ring itself is hard background: an object that reaches it shows one pixel inside.
    let column = |x: usize| (0..h).any(|y| keep[y * w + x]);
    let row = |y: usize| keep[y * w..(y + 1) * w].contains(&true);
    let touches_ring = (!border_is_photo_edge[0] && column(1))
        || (!border_is_photo_edge[1] && row(1))
        || (!border_is_photo_edge[2] && column(w - 2))
        || (!border_is_photo_edge[3] && row(h - 2));
    for (d, k) in region.data.iter_mut().zip(keep) {
        *d = u8::from(k);
    }
    (region.area() > 0).then_some((region, touches_ring))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A textured orange disc of radius 30 at (80, 60) on a textured blue-grey table, 160×120.
    fn disc_photo() -> Photo {
        let (w, h) = (160u32, 120u32);
        let mut rgb = Vec::with_capacity((w * h * 3) as usize);
        for y in 0..h {
            for x in 0..w {
                let inside =
                    (x as f32 + 0.5 - 80.0).powi(2) + (y as f32 + 0.5 - 60.0).powi(2) <= 900.0;
                let noise = ((x * 7 + y * 13) % 17) as u8;
                let c = if inside {
                    [220 - noise, 120 + noise, 40]
                } else {
                    [90 + noise, 100 + noise, 120 - noise]
                };
                rgb.extend(c);
            }
        }
        Photo {
            width: w,
            height: h,
            rgb,
        }
    }

    fn iou(region: &MaskRegion, truth: impl Fn(u32, u32) -> bool, (w, h): (u32, u32)) -> f64 {
        let (mut inter, mut union) = (0u32, 0u32);
        for y in 0..h {
            for x in 0..w {
                let inside_region = x >= region.x0
                    && y >= region.y0
                    && x < region.x0 + region.width
                    && y < region.y0 + region.height
                    && region.data[((y - region.y0) * region.width + x - region.x0) as usize] == 1;
                let t = truth(x, y);
                inter += u32::from(inside_region && t);
                union += u32::from(inside_region || t);
            }
        }
        f64::from(inter) / f64::from(union.max(1))
    }

    #[test]
    fn one_click_in_a_clear_object_finds_it() {
        let photo = disc_photo();
        let truth = |x: u32, y: u32| {
            (x as f32 + 0.5 - 80.0).powi(2) + (y as f32 + 0.5 - 60.0).powi(2) <= 900.0
        };
        let clicks = [Click {
            at: [80.0, 60.0],
            positive: true,
        }];
        let region = segment(&photo, &clicks, &ClickSettings::default()).expect("a region");
        let score = iou(&region, truth, (160, 120));
        assert!(score > 0.95, "IoU {score}");
        assert!(segment(&photo, &[], &ClickSettings::default()).is_none());
    }

    #[test]
    fn a_negative_click_takes_back_a_wrong_part() {
        // Two touching orange discs; the user wants only the left one.
        let mut photo = disc_photo();
        for y in 0..120u32 {
            for x in 0..160u32 {
                if (x as f32 + 0.5 - 125.0).powi(2) + (y as f32 + 0.5 - 60.0).powi(2) <= 225.0 {
                    let i = ((y * 160 + x) * 3) as usize;
                    photo.rgb[i..i + 3].copy_from_slice(&[215, 125, 40]);
                }
            }
        }
        let left = |x: u32, y: u32| {
            (x as f32 + 0.5 - 80.0).powi(2) + (y as f32 + 0.5 - 60.0).powi(2) <= 900.0
        };
        let one = [Click {
            at: [80.0, 60.0],
            positive: true,
        }];
        let both = segment(&photo, &one, &ClickSettings::default()).unwrap();
        let two = [
            one[0],
            Click {
                at: [128.0, 60.0],
                positive: false,
            },
        ];
        let refined = segment(&photo, &two, &ClickSettings::default()).unwrap();
        let (before, after) = (
            iou(&both, left, (160, 120)),
            iou(&refined, left, (160, 120)),
        );
        assert!(after > before && after > 0.9, "IoU {before} → {after}");
    }

    #[test]
    fn a_prior_finds_what_colour_cannot_tell_apart() {
        // The same texture everywhere: colour models cannot separate the 40×40 square at
        // (20..60, 40..80). A model's prior of 0.9 inside and 0.1 outside can.
        let (w, h) = (160u32, 120u32);
        let rgb = (0..w * h)
            .flat_map(|i| {
                let n = ((i % w * 7 + i / w * 13) % 17) as u8;
                [100 + n, 100 + n, 100 + n]
            })
            .collect();
        let photo = Photo {
            width: w,
            height: h,
            rgb,
        };
        let square = |x: u32, y: u32| (20..60).contains(&x) && (40..80).contains(&y);
        let probability = (0..w * h)
            .map(|i| if square(i % w, i / w) { 0.9 } else { 0.1 })
            .collect();
        // A confident weight: the mechanism is under test here, not the default's calibration.
        let mut prior = Prior::new(w, h, probability).unwrap();
        prior.weight = 10.0;
        let clicks = [Click {
            at: [40.0, 60.0],
            positive: true,
        }];
        let settings = ClickSettings::default();
        let blind = segment(&photo, &clicks, &settings).map_or(0.0, |r| iou(&r, square, (w, h)));
        let guided = segment_with_prior(&photo, &clicks, &settings, Some(&prior))
            .map_or(0.0, |r| iou(&r, square, (w, h)));
        assert!(
            guided > 0.95 && blind < 0.5,
            "IoU {blind} blind, {guided} with the prior"
        );
        // A prior of another size is not this photo's: ignored.
        let wrong = Prior::new(10, 10, vec![0.9; 100]).unwrap();
        let ignored = segment_with_prior(&photo, &clicks, &settings, Some(&wrong))
            .map_or(0.0, |r| iou(&r, square, (w, h)));
        assert!((ignored - blind).abs() < 1e-12);
    }
}
