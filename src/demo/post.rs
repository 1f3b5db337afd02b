//! Camera effects applied after composition: slight optical blur, a cheap
//! camera's tone (lifted blacks, muted saturation) and sensor noise, then
//! quantisation to 8-bit RGB. Masks are never touched here.

use super::math::hash;
use image::RgbImage;

/// In-place box blur of radius `r` (window `2r + 1`), edges clamped.
pub fn box_blur(buf: &mut [f32], w: usize, h: usize, r: usize) {
    if r == 0 || w == 0 || h == 0 {
        return;
    }
    let mut tmp = vec![0.0f32; w.max(h)];
    let norm = 1.0 / (2 * r + 1) as f32;
    let mut pass = |get: &dyn Fn(usize) -> usize, n: usize, buf: &mut [f32]| {
        let mut sum = 0.0;
        for k in 0..=2 * r {
            sum += buf[get(k.saturating_sub(r).min(n - 1))];
        }
        for (i, slot) in tmp.iter_mut().enumerate().take(n) {
            *slot = sum * norm;
            let add = (i + r + 1).min(n - 1);
            let sub = i.saturating_sub(r);
            sum += buf[get(add)] - buf[get(sub)];
        }
        for i in 0..n {
            buf[get(i)] = tmp[i];
        }
    };
    for y in 0..h {
        pass(&|i| y * w + i, w, buf);
    }
    for x in 0..w {
        pass(&|j| j * w + x, h, buf);
    }
}

/// Post-processing parameters of one photo.
#[derive(Clone, Copy, Debug)]
pub struct Post {
    /// 0..1 strength of the blur (per axis).
    pub blur: f32,
    /// Wider 5-tap blur (a slightly defocused camera).
    pub soft: bool,
    /// Standard deviation of luminance noise, in 0..1 units.
    pub noise: f32,
    /// Lifted blacks of a cheap camera (0..0.1).
    pub haze: f32,
    /// Colour saturation factor (around 0.8..1.05).
    pub saturation: f32,
    pub seed: u32,
}

/// 1-D blur kernel: binomial 1-2-1 (or 1-4-6-4-1 when `soft`) mixed with
/// the identity by `amount`; applied along x then y it gives a mild,
/// separable camera blur.
fn kernel(amount: f32, soft: bool) -> [f32; 5] {
    let k = if soft {
        [1.0, 4.0, 6.0, 4.0, 1.0].map(|v| v / 16.0)
    } else {
        [0.0, 0.25, 0.5, 0.25, 0.0]
    };
    let mut out = k.map(|v| v * amount);
    out[2] += 1.0 - amount;
    out
}

/// In-place separable 5-tap blur with clamped edges.
fn blur(rgb: &mut [[f32; 3]], w: usize, h: usize, k: [f32; 5]) {
    let mut line = vec![[0.0f32; 3]; w];
    let tap = |src: &[[f32; 3]], n: usize, i: usize, out: &mut [f32; 3]| {
        *out = [0.0; 3];
        for (t, kt) in k.iter().enumerate() {
            let j = (i + t).saturating_sub(2).min(n - 1);
            for c in 0..3 {
                out[c] += src[j][c] * kt;
            }
        }
    };
    for y in 0..h {
        let row = &mut rgb[y * w..(y + 1) * w];
        line[..w].copy_from_slice(row);
        for (x, px) in row.iter_mut().enumerate() {
            tap(&line[..w], w, x, px);
        }
    }
    // Vertical pass row by row (cache friendly), keeping copies of the two
    // original rows above, which are overwritten by then.
    let row = |rgb: &[[f32; 3]], y: usize| rgb[y * w..(y + 1) * w].to_vec();
    let mut up2 = row(rgb, 0);
    let mut up1 = row(rgb, 0);
    for y in 0..h {
        let cur = row(rgb, y);
        let (d1, d2) = ((y + 1).min(h - 1) * w, (y + 2).min(h - 1) * w);
        for x in 0..w {
            let (a, b, c, d, e) = (up2[x], up1[x], cur[x], rgb[d1 + x], rgb[d2 + x]);
            let px = &mut rgb[y * w + x];
            for ch in 0..3 {
                px[ch] = a[ch] * k[0] + b[ch] * k[1] + c[ch] * k[2] + d[ch] * k[3] + e[ch] * k[4];
            }
        }
        up2 = std::mem::replace(&mut up1, cur);
    }
}

/// Blur, tone, noise and quantise.
pub fn finish(mut rgb: Vec<[f32; 3]>, w: usize, h: usize, post: &Post) -> RgbImage {
    blur(&mut rgb, w, h, kernel(post.blur, post.soft));
    let mut out = vec![0u8; w * h * 3];
    for (i, v) in rgb.iter().enumerate() {
        let grey = (v[0] + v[1] + v[2]) / 3.0;
        // One hash feeds all noise: two bytes make a triangular luminance
        // sample, the others per-channel chroma noise.
        let hsh = hash(i as u32 ^ post.seed);
        let byte = |k: u32| ((hsh >> (8 * k)) & 0xff) as f32 / 255.0;
        let lum = (byte(0) + byte(1) - 1.0) * post.noise * 2.45;
        let chroma = [byte(2), byte(3), (byte(0) + byte(3)) * 0.5];
        for k in 0..3 {
            let s = grey + (v[k] - grey) * post.saturation;
            let toned = post.haze + s * (1.0 - post.haze);
            let n = toned + lum + (chroma[k] - 0.5) * post.noise * 1.2;
            out[i * 3 + k] = (n.clamp(0.0, 1.0) * 255.0 + 0.5) as u8;
        }
    }
    RgbImage::from_raw(w as u32, h as u32, out).expect("image size")
}
