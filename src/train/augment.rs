//! Training-time augmentation of one sample, as the `DeepLab` recipe and the torch peer do it:
//! colour jitter, a random scale, a random crop (padding with the ignore label where the scaled
//! sample is smaller than the input) and a horizontal flip, written straight into the batch.
//!
//! Only the input-sized crop window is computed: each output pixel samples the scaled sample
//! bilinearly (`align_corners = True`, as the peer's `F.interpolate`) and its label by nearest
//! neighbour (`floor(dst · in / out)`, as `F.interpolate(mode="nearest")`).

use rand::{Rng, SeedableRng as _};
use rand_chacha::ChaCha8Rng;

use super::config::Augment;
use super::data::Decoded;
use crate::project::IGNORE_LABEL;

/// A reproducible random stream for `(seed, stream, index)`: batches and samples each get their
/// own, so any step can be rebuilt on any thread (that is what makes resume exact).
pub fn stream(seed: u64, stream: u64, index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng.set_word_pos(u128::from(index) << 20);
    rng
}

/// The parameters drawn for one sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Draw {
    pub scale: f32,
    /// Offsets of the crop in the scaled (and padded) sample.
    pub top: usize,
    pub left: usize,
    pub flip: bool,
    pub brightness: f32,
    pub contrast: f32,
}

impl Draw {
    pub fn random(aug: &Augment, [w, h]: [usize; 2], rng: &mut impl Rng) -> Self {
        let [lo, hi] = aug.scale;
        let scale = if hi > lo {
            rng.random_range(lo..hi)
        } else {
            lo
        };
        let (nw, nh) = scaled([w, h], scale);
        let top = rng.random_range(0..=nh.max(h) - h);
        let left = rng.random_range(0..=nw.max(w) - w);
        let flip = rng.random::<f32>() < aug.flip;
        let mut factor = || {
            if aug.jitter > 0.0 {
                rng.random_range(1.0 - aug.jitter..1.0 + aug.jitter)
            } else {
                1.0
            }
        };
        let brightness = factor();
        let contrast = factor();
        Self {
            scale,
            top,
            left,
            flip,
            brightness,
            contrast,
        }
    }
}

/// The scaled sample's size, as the peer rounds it (`max(8, int(side · s))`).
fn scaled([w, h]: [usize; 2], scale: f32) -> (usize, usize) {
    (
        ((w as f32 * scale) as usize).max(8),
        ((h as f32 * scale) as usize).max(8),
    )
}

/// Writes `sample` (`w`×`h`) augmented by `draw` into `x` (3 planes of `w·h`, scaled to [-1, 1])
/// and `labels` (`w·h`).
pub fn apply(sample: &Decoded, [w, h]: [usize; 2], draw: &Draw, x: &mut [f32], labels: &mut [u8]) {
    let (nw, nh) = scaled([w, h], draw.scale);
    let plane = w * h;
    // Contrast around the sample's mean grey, then brightness, on 0–255 values.
    let mean = if (draw.contrast - 1.0).abs() < f32::EPSILON {
        0.0
    } else {
        sample.rgb.iter().map(|&v| f64::from(v)).sum::<f64>() as f32 / sample.rgb.len() as f32
    };
    let colour = |v: f32| ((v - mean) * draw.contrast + mean) * draw.brightness;
    // align_corners: scaled coordinate d maps to source d · (in − 1) / (out − 1).
    let ratio = |src: usize, dst: usize| {
        if dst > 1 {
            (src - 1) as f32 / (dst - 1) as f32
        } else {
            0.0
        }
    };
    let (ry, rx) = (ratio(h, nh), ratio(w, nw));
    for oy in 0..h {
        let sy = draw.top + oy;
        for ox in 0..w {
            let col = if draw.flip { w - 1 - ox } else { ox };
            let sx = draw.left + col;
            let at = oy * w + ox;
            if sy >= nh || sx >= nw {
                for c in 0..3 {
                    x[c * plane + at] = 0.0;
                }
                labels[at] = IGNORE_LABEL;
                continue;
            }
            let ly = (sy * h / nh).min(h - 1);
            let lx = (sx * w / nw).min(w - 1);
            labels[at] = sample.labels[ly * w + lx];
            let fy = sy as f32 * ry;
            let fx = sx as f32 * rx;
            let (y0, x0) = (fy as usize, fx as usize);
            let (y1, x1) = ((y0 + 1).min(h - 1), (x0 + 1).min(w - 1));
            let (dy, dx) = (fy - y0 as f32, fx - x0 as f32);
            for c in 0..3 {
                let p = |y: usize, x: usize| f32::from(sample.rgb[(y * w + x) * 3 + c]);
                let top = p(y0, x0) * (1.0 - dx) + p(y0, x1) * dx;
                let bottom = p(y1, x0) * (1.0 - dx) + p(y1, x1) * dx;
                let v = colour(top * (1.0 - dy) + bottom * dy).clamp(0.0, 255.0);
                x[c * plane + at] = v / 127.5 - 1.0;
            }
        }
    }
}

/// Writes `sample` without augmentation (validation), scaled to [-1, 1].
pub fn plain(sample: &Decoded, plane: usize, x: &mut [f32], labels: &mut [u8]) {
    to_planar(&sample.rgb, plane, x);
    labels.copy_from_slice(&sample.labels);
}

/// Interleaved RGB bytes into 3 planes of `plane` values scaled to [-1, 1], the model's input.
pub fn to_planar(rgb: &[u8], plane: usize, x: &mut [f32]) {
    for (i, px) in rgb.chunks_exact(3).enumerate() {
        for c in 0..3 {
            x[c * plane + i] = f32::from(px[c]) / 127.5 - 1.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: usize = 10;
    const H: usize = 8;

    /// 10×8: pixel i has grey 3·i (mod 256) and label i.
    fn sample() -> Decoded {
        Decoded {
            rgb: (0..W * H).flat_map(|i| [(3 * i % 256) as u8; 3]).collect(),
            labels: (0..W * H).map(|i| i as u8).collect(),
        }
    }

    fn identity() -> Draw {
        Draw {
            scale: 1.0,
            top: 0,
            left: 0,
            flip: false,
            brightness: 1.0,
            contrast: 1.0,
        }
    }

    fn run(draw: &Draw) -> (Vec<f32>, Vec<u8>) {
        let (mut x, mut l) = (vec![9.0; 3 * W * H], vec![9; W * H]);
        apply(&sample(), [W, H], draw, &mut x, &mut l);
        (x, l)
    }

    fn grey(x: &[f32], i: usize) -> f32 {
        (x[W * H + i] + 1.0) * 127.5
    }

    #[test]
    fn scale_one_without_flip_is_the_sample() {
        let (x, l) = run(&identity());
        assert_eq!(l, (0..W * H).map(|i| i as u8).collect::<Vec<u8>>());
        for i in [0, 1, 17, 79] {
            assert!(
                (grey(&x, i) - (3 * i % 256) as f32).abs() < 1e-3,
                "pixel {i}"
            );
        }
    }

    #[test]
    fn flip_mirrors_rows() {
        let (_, l) = run(&Draw {
            flip: true,
            ..identity()
        });
        assert_eq!(&l[..W], &[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
        assert_eq!(l[W], 19);
    }

    #[test]
    fn a_smaller_scale_pads_with_the_ignore_label() {
        // Scale 0.5: max(8, 5) × max(8, 4) = 8×8, so columns 8 and 9 of the 10×8 input are padding.
        let (x, l) = run(&Draw {
            scale: 0.5,
            ..identity()
        });
        for y in 0..H {
            assert_eq!(&l[y * W + 8..y * W + 10], &[IGNORE_LABEL; 2], "row {y}");
            assert!(
                x[y * W + 9].abs() < 1e-6,
                "padding is mid grey (0 in [-1, 1])"
            );
            // Column 4 → source floor(4 · 10 / 8) = 5.
            assert_eq!(l[y * W + 4], (y * W + 5) as u8);
        }
    }

    #[test]
    fn upscaling_interpolates_with_aligned_corners() {
        // Scale 2: 20×16; crop at (0, 0). Scaled x = 1 → source 1 · 9/19, between grey 0 and 3.
        let (x, l) = run(&Draw {
            scale: 2.0,
            ..identity()
        });
        assert!(
            (grey(&x, 1) - 3.0 * 9.0 / 19.0).abs() < 1e-3,
            "{}",
            grey(&x, 1)
        );
        // Labels: floor(sx · 10 / 20).
        assert_eq!(&l[..4], &[0, 0, 1, 1]);
    }

    #[test]
    fn jitter_scales_contrast_about_the_mean_then_brightness() {
        let draw = Draw {
            brightness: 1.1,
            contrast: 0.5,
            ..identity()
        };
        let (x, _) = run(&draw);
        let s = sample();
        let mean = s.rgb.iter().map(|&v| f32::from(v)).sum::<f32>() / s.rgb.len() as f32;
        let want = ((30.0 - mean) * 0.5 + mean) * 1.1;
        assert!(
            (grey(&x, 10) - want).abs() < 1e-3,
            "{} vs {want}",
            grey(&x, 10)
        );
    }

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: u64 = stream(1, 2, 3).random();
        assert_eq!(a, stream(1, 2, 3).random::<u64>());
        assert_ne!(a, stream(1, 2, 4).random::<u64>());
        assert_ne!(a, stream(1, 3, 3).random::<u64>());
    }
}
