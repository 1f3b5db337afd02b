//! A cut-out made ready to paste: scaled, turned and mirrored (bilinear, premultiplied so that no
//! colour of the source photo's background bleeds in), colour-jittered and edge-blended.
//!
//! A sprite keeps two masks: the soft `alpha` that the image is composited with, and the hard
//! `mask` (transformed coverage ≥ ½, before any blending) that labels, instances and boxes are
//! made of, so edge effects change the picture, never the ground truth.

use super::library::Cutout;
use super::params::ColorJitter;

/// How a cut-out is placed, apart from its position.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Transform {
    pub scale: f32,
    pub angle_deg: f32,
    pub flip_h: bool,
    pub flip_v: bool,
}

/// The per-object jitter drawn for one paste.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct JitterDraw {
    pub brightness: f32,
    pub contrast: f32,
    pub saturation: f32,
    pub hue_deg: f32,
    pub gamma: f32,
}

impl JitterDraw {
    pub const IDENTITY: Self = Self {
        brightness: 0.0,
        contrast: 1.0,
        saturation: 1.0,
        hue_deg: 0.0,
        gamma: 1.0,
    };

    pub fn is_identity(&self) -> bool {
        *self == Self::IDENTITY
    }

    /// Draws a jitter within `ranges` from `uniform`, a source of numbers in `[0, 1)`.
    pub fn draw(ranges: &ColorJitter, mut uniform: impl FnMut() -> f32) -> Self {
        if ranges.is_identity() {
            return Self::IDENTITY;
        }
        let mut sym = |r: f32| (uniform() * 2.0 - 1.0) * r;
        let brightness = sym(ranges.brightness);
        let contrast = 1.0 + sym(ranges.contrast);
        let saturation = 1.0 + sym(ranges.saturation);
        let hue_deg = sym(ranges.hue_deg);
        let g = 1.0 + ranges.gamma;
        // Log-uniform between 1/g and g, so brightening and darkening are equally likely.
        let gamma = g.powf(sym(1.0));
        Self {
            brightness,
            contrast,
            saturation,
            hue_deg,
            gamma,
        }
    }
}

/// How a sprite's edge is blended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EdgeBlend {
    None,
    Box,
    Gaussian,
    /// A line kernel of `length` pixels at `angle_deg`.
    Motion {
        length: u32,
        angle_deg: f32,
    },
}

impl EdgeBlend {
    /// Pixels the blend may spread beyond the hard mask.
    fn margin(self) -> u32 {
        match self {
            Self::None => 0,
            Self::Box => 1,
            Self::Gaussian => 2,
            Self::Motion { length, .. } => length.div_ceil(2),
        }
    }
}

/// A transformed cut-out, positioned by its top-left corner at paste time.
#[derive(Clone, Debug)]
pub struct Sprite {
    pub width: u32,
    pub height: u32,
    /// Premultiplied RGB (each channel ≤ alpha), row-major.
    pub rgb: Vec<u8>,
    /// Soft coverage for compositing.
    pub alpha: Vec<u8>,
    /// Hard 0/1 coverage for labels.
    pub mask: Vec<u8>,
    /// Pixels of the hard mask.
    pub pixels: u32,
}

/// Scales, turns and mirrors `cutout` about its centre, then jitters and blends it.
pub fn make_sprite(
    cutout: &Cutout,
    t: &Transform,
    jitter: &JitterDraw,
    blend: EdgeBlend,
) -> Sprite {
    let mut sprite = transform(cutout, t, blend.margin());
    if !jitter.is_identity() {
        apply_jitter(&mut sprite, jitter);
    }
    match blend {
        EdgeBlend::None => harden(&mut sprite),
        EdgeBlend::Box => blur_separable(&mut sprite, &[1, 1, 1]),
        EdgeBlend::Gaussian => {
            // 5 taps of a σ = 2 Gaussian, in 1/256ths: exp(-x²/8) normalised.
            blur_separable(&mut sprite, &[40, 54, 60, 54, 40]);
        }
        EdgeBlend::Motion { length, angle_deg } => motion_blur(&mut sprite, length, angle_deg),
    }
    sprite
}

fn transform(c: &Cutout, t: &Transform, margin: u32) -> Sprite {
    let (cw, ch) = (c.width as f32, c.height as f32);
    let (sw, sh) = (cw * t.scale, ch * t.scale);
    let (sin, cos) = t.angle_deg.to_radians().sin_cos();
    // The small slack keeps a quarter turn from growing a pixel by float error (cos 90° ≈ −4e-8).
    let bw = (cos.abs() * sw + sin.abs() * sh - 1e-3).ceil().max(1.0) as u32 + 2 * margin;
    let bh = (sin.abs() * sw + cos.abs() * sh - 1e-3).ceil().max(1.0) as u32 + 2 * margin;
    let n = bw as usize * bh as usize;
    let mut sprite = Sprite {
        width: bw,
        height: bh,
        rgb: vec![0; n * 3],
        alpha: vec![0; n],
        mask: vec![0; n],
        pixels: 0,
    };
    // Inverse map: output centre offset q → source point A·q + centre, A = F·S⁻¹·R(−θ).
    let inv = 1.0 / t.scale;
    let fx = if t.flip_h { -1.0 } else { 1.0 };
    let fy = if t.flip_v { -1.0 } else { 1.0 };
    let map = InverseMap {
        a: [
            [fx * inv * cos, fx * inv * sin],
            [-fy * inv * sin, fy * inv * cos],
        ],
        out_centre: (bw as f32 / 2.0, bh as f32 / 2.0),
        // Source pixel-centre coordinates (−0.5 so that integer = a pixel's centre).
        src_offset: (cw / 2.0 - 0.5, ch / 2.0 - 0.5),
    };
    if t.angle_deg == 0.0 {
        resample_axis_aligned(c, &map, &mut sprite);
    } else {
        resample_general(c, &map, &mut sprite);
    }
    sprite
}

/// Where each output pixel centre samples the cut-out.
struct InverseMap {
    a: [[f32; 2]; 2],
    out_centre: (f32, f32),
    src_offset: (f32, f32),
}

/// Stores one output pixel from its premultiplied sums (colour and coverage, in 0–255 units):
/// nothing under half a unit of coverage.
fn store(sprite: &mut Sprite, o: usize, rgb: [u8; 3], alpha: u8) {
    if alpha == 0 {
        return;
    }
    sprite.rgb[o * 3..o * 3 + 3].copy_from_slice(&rgb);
    sprite.alpha[o] = alpha;
    if alpha >= 128 {
        sprite.mask[o] = 1;
        sprite.pixels += 1;
    }
}

/// Bilinear sampling for any rotation. The cut-out's colour is straight with alpha 0/255 and
/// zero outside its mask, so the weighted sum of its samples is already the premultiplied colour.
fn resample_general(c: &Cutout, map: &InverseMap, sprite: &mut Sprite) {
    let (cw, ch) = (c.width as f32, c.height as f32);
    let (icw, ich) = (c.width as i32, c.height as i32);
    let [[a00, a01], [a10, a11]] = map.a;
    for y in 0..sprite.height {
        let qy = y as f32 + 0.5 - map.out_centre.1;
        for x in 0..sprite.width {
            let qx = x as f32 + 0.5 - map.out_centre.0;
            let u = a00 * qx + a01 * qy + map.src_offset.0;
            let v = a10 * qx + a11 * qy + map.src_offset.1;
            if u <= -1.0 || v <= -1.0 || u >= cw || v >= ch {
                continue;
            }
            // u, v > −1 here, so truncating u + 1 is floor(u) + 1 without a libm call.
            let (u1, v1) = ((u + 1.0) as i32, (v + 1.0) as i32);
            let (wu, wv) = (u + 1.0 - u1 as f32, v + 1.0 - v1 as f32);
            let (u0, v0) = (u1 - 1, v1 - 1);
            let mut acc = [0.0f32; 4];
            for (dy, wy) in [(0, 1.0 - wv), (1, wv)] {
                let sy = v0 + dy;
                if sy < 0 || sy >= ich || wy == 0.0 {
                    continue;
                }
                for (dx, wx) in [(0, 1.0 - wu), (1, wu)] {
                    let sx = u0 + dx;
                    if sx < 0 || sx >= icw || wx == 0.0 {
                        continue;
                    }
                    let i = (sy * icw + sx) as usize;
                    let w = wx * wy;
                    acc[0] += w * f32::from(c.rgb[i * 3]);
                    acc[1] += w * f32::from(c.rgb[i * 3 + 1]);
                    acc[2] += w * f32::from(c.rgb[i * 3 + 2]);
                    acc[3] += w * f32::from(c.alpha[i]);
                }
            }
            // `as u8` saturates; + 0.5 rounds the non-negative values.
            let rgb = [
                (acc[0] + 0.5) as u8,
                (acc[1] + 0.5) as u8,
                (acc[2] + 0.5) as u8,
            ];
            store(
                sprite,
                (y * sprite.width + x) as usize,
                rgb,
                (acc[3] + 0.5) as u8,
            );
        }
    }
}

/// The two source taps of one output column or row along one axis, in 1/256ths; a tap outside
/// the cut-out has weight 0 (and a clamped index, so that reading it is safe).
#[derive(Clone, Copy)]
struct Taps {
    index: [usize; 2],
    weight: [u32; 2],
}

fn axis_taps(out_len: u32, out_centre: f32, scale: f32, offset: f32, src_len: u32) -> Vec<Taps> {
    let last = src_len as i32 - 1;
    (0..out_len)
        .map(|x| {
            let u = scale * (x as f32 + 0.5 - out_centre) + offset;
            if u <= -1.0 || u >= src_len as f32 {
                return Taps {
                    index: [0, 0],
                    weight: [0, 0],
                };
            }
            let u1 = (u + 1.0) as i32;
            let w1 = ((u + 1.0 - u1 as f32) * 256.0 + 0.5) as u32;
            let u0 = u1 - 1;
            let tap = |s: i32, w: u32| {
                if (0..=last).contains(&s) {
                    (s as usize, w)
                } else {
                    (s.clamp(0, last) as usize, 0)
                }
            };
            let (i0, w0) = tap(u0, 256 - w1);
            let (i1, w1) = tap(u1, w1);
            Taps {
                index: [i0, i1],
                weight: [w0, w1],
            }
        })
        .collect()
}

/// Bilinear sampling without rotation (the seed's setting, and most pastes): the map is separable,
/// so each column's and row's taps are worked out once and the pixels are integer sums.
fn resample_axis_aligned(c: &Cutout, map: &InverseMap, sprite: &mut Sprite) {
    let cols = axis_taps(
        sprite.width,
        map.out_centre.0,
        map.a[0][0],
        map.src_offset.0,
        c.width,
    );
    let rows = axis_taps(
        sprite.height,
        map.out_centre.1,
        map.a[1][1],
        map.src_offset.1,
        c.height,
    );
    let stride = c.width as usize;
    let first_col = cols
        .iter()
        .position(|t| t.weight != [0, 0])
        .unwrap_or(cols.len());
    let end_col = cols
        .iter()
        .rposition(|t| t.weight != [0, 0])
        .map_or(0, |p| p + 1);
    for (y, row) in rows.iter().enumerate() {
        if row.weight == [0, 0] {
            continue;
        }
        let bases = [row.index[0] * stride, row.index[1] * stride];
        for (x, col) in cols.iter().enumerate().take(end_col).skip(first_col) {
            let mut acc = [0u32; 4];
            for (base, wy) in bases.iter().zip(row.weight) {
                for (sx, wx) in col.index.iter().zip(col.weight) {
                    let i = base + sx;
                    let w = wx * wy;
                    acc[0] += w * u32::from(c.rgb[i * 3]);
                    acc[1] += w * u32::from(c.rgb[i * 3 + 1]);
                    acc[2] += w * u32::from(c.rgb[i * 3 + 2]);
                    acc[3] += w * u32::from(c.alpha[i]);
                }
            }
            // Weights sum to 65536: round the 16.16 fixed-point sums to 0–255.
            let round = |v: u32| ((v + 32768) >> 16) as u8;
            let rgb = [round(acc[0]), round(acc[1]), round(acc[2])];
            store(sprite, y * sprite.width as usize + x, rgb, round(acc[3]));
        }
    }
}

/// A hard paste: full coverage exactly on the hard mask, nothing elsewhere, so that the photo and
/// the label agree pixel for pixel.
fn harden(sprite: &mut Sprite) {
    for (i, &m) in sprite.mask.iter().enumerate() {
        let a = u32::from(sprite.alpha[i]);
        let px = &mut sprite.rgb[i * 3..i * 3 + 3];
        if m == 0 || a == 0 {
            px.fill(0);
            sprite.alpha[i] = 0;
        } else if a < 255 {
            for v in px {
                *v = ((u32::from(*v) * 255 + a / 2) / a).min(255) as u8;
            }
            sprite.alpha[i] = 255;
        }
    }
}

/// Brightness, contrast, saturation and hue as one affine colour map, then gamma by table.
fn apply_jitter(sprite: &mut Sprite, j: &JitterDraw) {
    // Hue rotation about the grey axis (the standard luminance-preserving matrix), then saturation
    // as a blend with luma, then contrast about mid-grey, then brightness.
    let (s, c) = j.hue_deg.to_radians().sin_cos();
    let hue = [
        [
            0.213 + c * 0.787 - s * 0.213,
            0.715 - c * 0.715 - s * 0.715,
            0.072 - c * 0.072 + s * 0.928,
        ],
        [
            0.213 - c * 0.213 + s * 0.143,
            0.715 + c * 0.285 + s * 0.140,
            0.072 - c * 0.072 - s * 0.283,
        ],
        [
            0.213 - c * 0.213 - s * 0.787,
            0.715 - c * 0.715 + s * 0.715,
            0.072 + c * 0.928 + s * 0.072,
        ],
    ];
    let luma = [0.2126f32, 0.7152, 0.0722];
    let mut m = [[0.0f32; 3]; 3];
    for (r, row) in m.iter_mut().enumerate() {
        for (k, cell) in row.iter_mut().enumerate() {
            *cell = (0..3)
                .map(|i| {
                    let sat = j.saturation * if r == i { 1.0 } else { 0.0 }
                        + (1.0 - j.saturation) * luma[i];
                    sat * hue[i][k]
                })
                .sum::<f32>()
                * j.contrast;
        }
    }
    let offset = 128.0 * (1.0 - j.contrast) + j.brightness * 255.0;
    let gamma: [u8; 256] = std::array::from_fn(|v| {
        ((v as f32 / 255.0).powf(1.0 / j.gamma) * 255.0)
            .round()
            .clamp(0.0, 255.0) as u8
    });
    for (i, &a) in sprite.alpha.iter().enumerate() {
        if a == 0 {
            continue;
        }
        let af = f32::from(a);
        let px = &mut sprite.rgb[i * 3..i * 3 + 3];
        let straight = [
            f32::from(px[0]) * 255.0 / af,
            f32::from(px[1]) * 255.0 / af,
            f32::from(px[2]) * 255.0 / af,
        ];
        for (ch, row) in m.iter().enumerate() {
            let v = row[0] * straight[0] + row[1] * straight[1] + row[2] * straight[2] + offset;
            // Rounding by + 0.5 on values clamped non-negative: `f32::round` is a libm call that
            // cost a tenth of a preview render here.
            let g = gamma[(v.clamp(0.0, 255.0) + 0.5) as usize];
            px[ch] = (f32::from(g) * af / 255.0 + 0.5) as u8;
        }
    }
}

/// Blurs the premultiplied colour and the soft alpha by a separable kernel (weights sum to `sum`).
fn blur_separable(sprite: &mut Sprite, kernel: &[u32]) {
    let (w, h) = (sprite.width as usize, sprite.height as usize);
    let sum: u32 = kernel.iter().sum();
    let r = kernel.len() / 2;
    let mut planes: Vec<Vec<u8>> = (0..4)
        .map(|c| {
            if c == 3 {
                sprite.alpha.clone()
            } else {
                sprite.rgb.iter().skip(c).step_by(3).copied().collect()
            }
        })
        .collect();
    let mut tmp = vec![0u8; w * h];
    for plane in &mut planes {
        for y in 0..h {
            for x in 0..w {
                let mut acc = 0u32;
                for (k, &wk) in kernel.iter().enumerate() {
                    let sx = x as isize + k as isize - r as isize;
                    if sx >= 0 && (sx as usize) < w {
                        acc += wk * u32::from(plane[y * w + sx as usize]);
                    }
                }
                tmp[y * w + x] = ((acc + sum / 2) / sum) as u8;
            }
        }
        for y in 0..h {
            for x in 0..w {
                let mut acc = 0u32;
                for (k, &wk) in kernel.iter().enumerate() {
                    let sy = y as isize + k as isize - r as isize;
                    if sy >= 0 && (sy as usize) < h {
                        acc += wk * u32::from(tmp[sy as usize * w + x]);
                    }
                }
                plane[y * w + x] = ((acc + sum / 2) / sum) as u8;
            }
        }
    }
    write_planes(sprite, &planes);
}

/// Averages colour and alpha along a line of `length` pixels through each pixel.
fn motion_blur(sprite: &mut Sprite, length: u32, angle_deg: f32) {
    let (w, h) = (sprite.width as i32, sprite.height as i32);
    let (s, c) = angle_deg.to_radians().sin_cos();
    let taps: Vec<(i32, i32)> = (0..length)
        .map(|k| {
            let t = k as f32 - (length as f32 - 1.0) / 2.0;
            ((t * c).round() as i32, (t * s).round() as i32)
        })
        .collect();
    let n = taps.len() as u32;
    // (sum + n/2) / n for every possible sum, looked up: four integer divisions per pixel were
    // most of the blur's time.
    let mean: Vec<u8> = (0..=255 * n).map(|sum| ((sum + n / 2) / n) as u8).collect();
    let src_rgb = sprite.rgb.clone();
    let src_a = sprite.alpha.clone();
    for y in 0..h {
        for x in 0..w {
            let mut acc = [0u32; 4];
            for &(dx, dy) in &taps {
                let (sx, sy) = (x + dx, y + dy);
                if sx < 0 || sy < 0 || sx >= w || sy >= h {
                    continue;
                }
                let i = (sy * w + sx) as usize;
                acc[0] += u32::from(src_rgb[i * 3]);
                acc[1] += u32::from(src_rgb[i * 3 + 1]);
                acc[2] += u32::from(src_rgb[i * 3 + 2]);
                acc[3] += u32::from(src_a[i]);
            }
            let o = (y * w + x) as usize;
            for (ch, &sum) in acc[..3].iter().enumerate() {
                sprite.rgb[o * 3 + ch] = mean[sum as usize];
            }
            sprite.alpha[o] = mean[acc[3] as usize];
        }
    }
}

fn write_planes(sprite: &mut Sprite, planes: &[Vec<u8>]) {
    for (i, px) in sprite.rgb.chunks_exact_mut(3).enumerate() {
        // Rounding may lift a colour channel above its alpha by one: keep premultiplied colour ≤ alpha.
        let a = planes[3][i];
        px[0] = planes[0][i].min(a);
        px[1] = planes[1][i].min(a);
        px[2] = planes[2][i].min(a);
    }
    sprite.alpha.clone_from(&planes[3]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(w: u32, h: u32, colour: [u8; 3]) -> Cutout {
        Cutout {
            class_id: 1,
            source: String::new(),
            instance: 1,
            width: w,
            height: h,
            rgb: colour.repeat((w * h) as usize),
            alpha: vec![255; (w * h) as usize],
            pixels: w * h,
            distractor: false,
        }
    }

    const PLAIN: Transform = Transform {
        scale: 1.0,
        angle_deg: 0.0,
        flip_h: false,
        flip_v: false,
    };

    #[test]
    fn identity_transform_copies_the_cutout() {
        let mut c = block(5, 3, [10, 20, 30]);
        c.alpha[0] = 0;
        c.rgb[0..3].fill(0);
        c.pixels -= 1;
        let s = make_sprite(&c, &PLAIN, &JitterDraw::IDENTITY, EdgeBlend::None);
        assert_eq!((s.width, s.height), (5, 3));
        assert_eq!(s.pixels, 14);
        assert_eq!(s.mask[0], 0);
        assert_eq!(&s.rgb[3..6], &[10, 20, 30]);
        assert_eq!(s.alpha[1], 255);
    }

    #[test]
    fn mirror_and_quarter_turn_move_pixels_where_expected() {
        // A 4×2 block whose left column is marked red.
        let mut c = block(4, 2, [0, 0, 200]);
        for y in 0..2 {
            c.rgb[(y * 4) * 3..(y * 4) * 3 + 3].copy_from_slice(&[200, 0, 0]);
        }
        let flipped = make_sprite(
            &c,
            &Transform {
                flip_h: true,
                ..PLAIN
            },
            &JitterDraw::IDENTITY,
            EdgeBlend::None,
        );
        assert_eq!(&flipped.rgb[9..12], &[200, 0, 0], "red column moves right");
        let turned = make_sprite(
            &c,
            &Transform {
                angle_deg: 90.0,
                ..PLAIN
            },
            &JitterDraw::IDENTITY,
            EdgeBlend::None,
        );
        assert_eq!((turned.width, turned.height), (2, 4));
        assert_eq!(turned.pixels, 8);
        // +90° (y down, clockwise on screen): the left column becomes the top row.
        assert_eq!(&turned.rgb[0..3], &[200, 0, 0]);
        assert_eq!(&turned.rgb[3..6], &[200, 0, 0]);
        assert_eq!(&turned.rgb[21..24], &[0, 0, 200]);
    }

    #[test]
    fn half_scale_keeps_a_quarter_of_the_pixels_and_no_background_colour() {
        let c = block(20, 10, [90, 90, 90]);
        let s = make_sprite(
            &c,
            &Transform {
                scale: 0.5,
                ..PLAIN
            },
            &JitterDraw::IDENTITY,
            EdgeBlend::None,
        );
        assert_eq!((s.width, s.height), (10, 5));
        assert_eq!(s.pixels, 50);
        // Premultiplied grey at full alpha everywhere: no black from outside the cut-out leaks in.
        assert!(s.rgb.iter().all(|&v| v == 90));
    }

    #[test]
    fn an_edge_sample_is_premultiplied_once() {
        // Hand-worked: a 2×3 cut-out, left column opaque grey 200, right column transparent,
        // doubled to 4×6. Output row 2 samples rows 0 and 1 (both inside). Output columns 0 and 1
        // sample u = −0.25 and 0.25: coverage 0.75 → alpha 191, premultiplied colour
        // 0.75 · 200 = 150 (straight 200 again); column 2 samples u = 0.75: alpha 64, colour 50.
        let mut c = block(2, 3, [200, 200, 200]);
        for y in 0..3 {
            c.alpha[y * 2 + 1] = 0;
            c.rgb[(y * 2 + 1) * 3..(y * 2 + 2) * 3].fill(0);
        }
        let doubled = Transform {
            scale: 2.0,
            ..PLAIN
        };
        for turned in [false, true] {
            // A turn by a hair takes the general path; it must agree with the separable one.
            let t = Transform {
                angle_deg: if turned { 1e-4 } else { 0.0 },
                ..doubled
            };
            let s = transform(&c, &t, 0);
            assert_eq!((s.width, s.height), (4, 6));
            let row = 8;
            assert_eq!(s.alpha[row..row + 4], [191, 191, 64, 0], "turned: {turned}");
            assert_eq!(
                s.rgb[(row + 1) * 3..(row + 2) * 3],
                [150; 3],
                "turned: {turned}"
            );
            assert_eq!(
                s.rgb[(row + 2) * 3..(row + 3) * 3],
                [50; 3],
                "turned: {turned}"
            );
            assert_eq!(s.mask[row..row + 4], [1, 1, 0, 0]);
        }
    }

    #[test]
    fn the_separable_path_matches_the_general_one() {
        // A speckled cut-out with holes, at scales and flips of every kind: the integer separable
        // resampler and the float general one may differ by rounding only.
        let (w, h) = (23u32, 17u32);
        let mut c = block(w, h, [0, 0, 0]);
        let mut state = 12345u32;
        let mut next = || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        };
        for i in 0..(w * h) as usize {
            if next() < 60 {
                c.alpha[i] = 0;
                c.rgb[i * 3..i * 3 + 3].fill(0);
            } else {
                for k in 0..3 {
                    c.rgb[i * 3 + k] = next();
                }
            }
        }
        for scale in [0.3, 0.77, 1.0, 1.6, 2.5] {
            for (flip_h, flip_v) in [(false, false), (true, false), (false, true), (true, true)] {
                let t = Transform {
                    scale,
                    angle_deg: 0.0,
                    flip_h,
                    flip_v,
                };
                let fast = transform(&c, &t, 1);
                let mut general = fast.clone();
                general.rgb.fill(0);
                general.alpha.fill(0);
                general.mask.fill(0);
                general.pixels = 0;
                let inv = 1.0 / scale;
                let map = InverseMap {
                    a: [
                        [if flip_h { -inv } else { inv }, 0.0],
                        [0.0, if flip_v { -inv } else { inv }],
                    ],
                    out_centre: (fast.width as f32 / 2.0, fast.height as f32 / 2.0),
                    src_offset: (w as f32 / 2.0 - 0.5, h as f32 / 2.0 - 0.5),
                };
                resample_general(&c, &map, &mut general);
                let close = |a: &[u8], b: &[u8]| a.iter().zip(b).all(|(&x, &y)| x.abs_diff(y) <= 2);
                assert!(close(&fast.alpha, &general.alpha), "alpha at {t:?}");
                assert!(close(&fast.rgb, &general.rgb), "colour at {t:?}");
                assert!(fast.pixels.abs_diff(general.pixels) <= fast.pixels / 50 + 1);
            }
        }
    }

    #[test]
    fn feather_softens_the_image_but_not_the_mask() {
        let c = block(6, 6, [255, 255, 255]);
        let s = make_sprite(&c, &PLAIN, &JitterDraw::IDENTITY, EdgeBlend::Gaussian);
        assert_eq!((s.width, s.height), (10, 10));
        assert_eq!(s.pixels, 36, "the hard mask is the unblended one");
        // The corner of the margin got a little coverage, the centre stays opaque.
        assert!(s.alpha[0] > 0 && s.alpha[0] < s.alpha[11] && s.alpha[11] < 128);
        assert_eq!(s.alpha[5 * 10 + 5], 255);
        assert!(s.rgb.chunks_exact(3).zip(&s.alpha).all(|(p, &a)| p[0] <= a));
    }

    #[test]
    fn jitter_brightness_and_gamma_match_hand_values() {
        let c = block(1, 1, [100, 100, 100]);
        let bright = JitterDraw {
            brightness: 0.1,
            ..JitterDraw::IDENTITY
        };
        let s = make_sprite(&c, &PLAIN, &bright, EdgeBlend::None);
        // 100 + 25.5 → 126 (rounded from 125.5 → 126 by round-half-away).
        assert_eq!(&s.rgb[..], &[126, 126, 126]);
        let gamma = JitterDraw {
            gamma: 2.0,
            ..JitterDraw::IDENTITY
        };
        let s = make_sprite(&c, &PLAIN, &gamma, EdgeBlend::None);
        // 255 · (100/255)^(1/2) = 159.7 → 160.
        assert_eq!(&s.rgb[..], &[160, 160, 160]);
        // Grey stays grey under a hue turn and a saturation change.
        let hue = JitterDraw {
            hue_deg: 40.0,
            saturation: 0.5,
            ..JitterDraw::IDENTITY
        };
        let s = make_sprite(&c, &PLAIN, &hue, EdgeBlend::None);
        assert!(s.rgb.iter().all(|&v| v.abs_diff(100) <= 1), "{:?}", s.rgb);
    }
}
