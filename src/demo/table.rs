//! Procedural tabletops (white laminate, speckled floor, concrete, wood,
//! cloth, sheet metal) and the light falling on them: a gradient, vignetting
//! and, on glossy tops, the soft reflection of a ceiling lamp.
//!
//! Large-scale noise is evaluated on a coarse grid (`Field`) and fine detail
//! with one hash per pixel, which keeps a 640×480 table at a few ms.

use super::camera::Camera;
use super::math::{Field, V2, clamp01, fbm, hash, hash3, lerp, sin_cos, tri, unit, vnoise};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    Laminate,
    Speckled,
    Concrete,
    Wood,
    Cloth,
    Metal,
}

fn smooth01(t: f32) -> f32 {
    let t = clamp01(t);
    t * t * (3.0 - 2.0 * t)
}

fn pick_surface(rng: &mut ChaCha8Rng) -> Surface {
    let r = rng.random_range(0u32..100);
    match r {
        0..26 => Surface::Laminate,
        26..44 => Surface::Speckled,
        44..56 => Surface::Concrete,
        56..72 => Surface::Wood,
        72..88 => Surface::Cloth,
        _ => Surface::Metal,
    }
}

fn jitter(rng: &mut ChaCha8Rng, c: [f32; 3], a: f32) -> [f32; 3] {
    let g = rng.random_range(-a..a);
    c.map(|v| clamp01(v + g + rng.random_range(-a..a) * 0.3))
}

/// Lit table colours, row major, `width × height`.
pub fn render(rng: &mut ChaCha8Rng, cam: &Camera) -> Vec<[f32; 3]> {
    let (w, h) = (cam.width as usize, cam.height as usize);
    let surface = pick_surface(rng);
    let seed: u32 = rng.random();
    let mm = 1.0 / cam.scale0; // mm per pixel
    let (sa, ca) = sin_cos(rng.random_range(0.0f64..std::f64::consts::PI));
    let (sa, ca) = (sa as f32, ca as f32);
    // Along/across a grain direction, in mm.
    let uv = move |x: f32, y: f32| V2::new((ca * x + sa * y) * mm, (-sa * x + ca * y) * mm);

    let base = match surface {
        Surface::Laminate => jitter(rng, [0.84, 0.84, 0.83], 0.06),
        Surface::Speckled => jitter(rng, [0.62, 0.67, 0.76], 0.05),
        Surface::Concrete => jitter(rng, [0.56, 0.55, 0.52], 0.07),
        Surface::Wood => jitter(rng, [0.66, 0.48, 0.30], 0.07),
        Surface::Cloth => {
            let k = rng.random_range(0u32..3);
            let c = [[0.10, 0.11, 0.18], [0.07, 0.07, 0.08], [0.30, 0.31, 0.36]][k as usize];
            jitter(rng, c, 0.02)
        }
        Surface::Metal => jitter(rng, [0.62, 0.64, 0.66], 0.05),
    };
    let gloss = match surface {
        Surface::Laminate => rng.random_range(0.02f32..0.12),
        Surface::Metal => rng.random_range(0.08f32..0.25),
        Surface::Wood => rng.random_range(0.0f32..0.06),
        _ => 0.0,
    };
    // Low-frequency modulation (stains, folds, cloudiness).
    let lowf = match surface {
        Surface::Cloth => 1.0 / 90.0,
        Surface::Concrete => 1.0 / 25.0,
        _ => 1.0 / 45.0,
    };
    let s1 = seed.wrapping_add(11);
    // Cloth folds are long and parallel-ish: stretch the noise along the
    // (random) grain direction.
    let stretch = if surface == Surface::Cloth { 3.5 } else { 1.0 };
    let low = Field::new(cam.width, cam.height, 8.0, |x, y| {
        let p = uv(x, y);
        fbm(p.x * lowf, p.y * lowf * stretch, 4, s1)
    });
    let s2 = seed.wrapping_add(29);
    let low2 = matches!(
        surface,
        Surface::Speckled | Surface::Concrete | Surface::Cloth
    )
    .then(|| {
        Field::new(cam.width, cam.height, 4.0, |x, y| {
            fbm(x * mm * 0.15, y * mm * 0.15, 3, s2)
        })
    });
    // Wood: warped growth rings across the grain.
    let ring_mm = rng.random_range(5.0f32..12.0);
    let plank_mm = rng.random_range(60.0f32..160.0);
    let s3 = seed.wrapping_add(47);
    // Only the (low-frequency) warp of the growth rings is gridded; the
    // rings themselves are evaluated per pixel so they cannot alias.
    let warp = (surface == Surface::Wood).then(|| {
        Field::new(cam.width, cam.height, 4.0, |x, y| {
            let p = uv(x, y);
            fbm(p.x * 0.0025, p.y * 0.012, 2, s3) * 90.0
        })
    });
    let speck_rate = rng.random_range(0.05f32..0.14);
    let palette = [
        [0.28, 0.33, 0.55],
        [0.78, 0.72, 0.60],
        [0.88, 0.89, 0.92],
        [0.45, 0.40, 0.34],
    ];

    // Lighting: linear gradient, vignette, lamp reflection.
    let gx = rng.random_range(-0.25f32..0.25);
    let gy = rng.random_range(-0.25f32..0.25);
    let vig = rng.random_range(0.1f32..0.35);
    let lamp = V2::new(
        rng.random_range(0.0f32..1.0) * w as f32,
        rng.random_range(0.0f32..1.0) * h as f32,
    );
    let lamp_r = rng.random_range(0.2f32..0.5) * w as f32;
    let flat = cam.flat_light();
    let tint = cam.light.tint;

    let mut out = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let (xf, yf) = (x as f32 + 0.5, y as f32 + 0.5);
            let hp = hash3(x as i32, y as i32, seed);
            let fine = unit(hp) - 0.5;
            let l1 = low.at(xf, yf);
            let mut c = base;
            match surface {
                Surface::Laminate => {
                    let f = 1.0 + (l1 - 0.5) * 0.08 + fine * 0.025;
                    c = c.map(|v| v * f);
                }
                Surface::Speckled => {
                    let f = 1.0 + (l1 - 0.5) * 0.12 + fine * 0.03;
                    c = c.map(|v| v * f);
                    // Speckles ~1 mm, decided per mm cell.
                    let cx = (xf * mm * 1.2).floor() as i32;
                    let cy = (yf * mm * 1.2).floor() as i32;
                    let hs = hash3(cx, cy, seed ^ 0x5bd1);
                    if unit(hs) < speck_rate {
                        let p = palette[(hash(hs) % 4) as usize];
                        c = [
                            lerp(c[0], p[0], 0.7),
                            lerp(c[1], p[1], 0.7),
                            lerp(c[2], p[2], 0.7),
                        ];
                    }
                    let dirt = clamp01((low2.as_ref().map_or(0.5, |f| f.at(xf, yf)) - 0.68) * 6.0)
                        * clamp01((l1 - 0.45) * 4.0);
                    c = [
                        lerp(c[0], 0.42, dirt),
                        lerp(c[1], 0.36, dirt),
                        lerp(c[2], 0.26, dirt),
                    ];
                }
                Surface::Concrete => {
                    let f = 1.0
                        + (l1 - 0.5) * 0.35
                        + (low2.as_ref().map_or(0.5, |f| f.at(xf, yf)) - 0.5) * 0.2
                        + fine * 0.08;
                    let pore = if unit(hash(hp)) < 0.006 { 0.6 } else { 1.0 };
                    c = c.map(|v| v * f * pore);
                }
                Surface::Wood => {
                    let p = uv(xf, yf);
                    let wv = warp.as_ref().map_or(0.0, |f| f.at(xf, yf));
                    let ring = tri((p.y + wv) / ring_mm);
                    // Ring contrast drifts along the board, as in real grain.
                    let ring = ring * ring * ring * (0.3 + 1.4 * l1);
                    let streak = vnoise(p.x * 0.02, p.y * 1.2, seed ^ 0x77) - 0.5;
                    let plank = (p.y / plank_mm).floor() as i32;
                    let pv = unit(hash3(plank, 7, seed)) - 0.5;
                    let gap = ((p.y / plank_mm).fract() * plank_mm) < 0.8;
                    let f = (0.9 - 0.14 * ring
                        + streak * 0.14
                        + pv * 0.1
                        + (l1 - 0.5) * 0.12
                        + fine * 0.03)
                        * if gap { 0.45 } else { 1.0 };
                    c = [
                        c[0] * f,
                        c[1] * f * (1.0 - 0.04 * ring),
                        c[2] * f * (1.0 - 0.1 * ring),
                    ];
                }
                Surface::Cloth => {
                    // Soft folds dominate the brightness; a fine weave and
                    // fibre noise on top.
                    let fold = low2.as_ref().map_or(0.5, |f| f.at(xf, yf));
                    let shade = 0.45 + 1.1 * smooth01(l1 * 1.4 - 0.2) + (fold - 0.5) * 0.3;
                    let weave = if (x + y) % 2 == 0 { 1.04 } else { 0.96 };
                    let f = shade * weave * (1.0 + fine * 0.16);
                    c = c.map(|v| v * f);
                }
                Surface::Metal => {
                    let p = uv(xf, yf);
                    let brush = vnoise(p.x * 0.01, p.y * 3.0, seed ^ 0x33) - 0.5;
                    let f = 1.0 + brush * 0.12 + (l1 - 0.5) * 0.1 + fine * 0.02;
                    c = c.map(|v| v * f);
                }
            }
            let rx = xf / w as f32 - 0.5;
            let ry = yf / h as f32 - 0.5;
            let light = (1.0 + gx * rx + gy * ry) * (1.0 - vig * (rx * rx + ry * ry) * 2.0) * flat;
            let dl = V2::new(xf, yf) - lamp;
            let spot = gloss / (1.0 + dl.dot(dl) / (lamp_r * lamp_r));
            out.push([
                c[0] * light * tint[0] + spot,
                c[1] * light * tint[1] + spot,
                c[2] * light * tint[2] + spot,
            ]);
        }
    }
    out
}
