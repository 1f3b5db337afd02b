//! Small deterministic maths: 2-D/3-D vectors, polynomial trigonometry and
//! hash-based value noise.
//!
//! Everything per pixel uses only `+ - * /` and `sqrt` (all correctly rounded
//! in IEEE 754), never libm transcendental functions, so the rendered bytes
//! are identical on every platform.

use std::ops::{Add, Mul, Sub};

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct V2 {
    pub x: f32,
    pub y: f32,
}

impl V2 {
    pub const fn new(x: f32, y: f32) -> Self {
        Self { x, y }
    }
    pub fn dot(self, o: Self) -> f32 {
        self.x * o.x + self.y * o.y
    }
    pub fn len(self) -> f32 {
        self.dot(self).sqrt()
    }
}

impl Add for V2 {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self::new(self.x + o.x, self.y + o.y)
    }
}
impl Sub for V2 {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Self::new(self.x - o.x, self.y - o.y)
    }
}
impl Mul<f32> for V2 {
    type Output = Self;
    fn mul(self, s: f32) -> Self {
        Self::new(self.x * s, self.y * s)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct V3 {
    pub x: f32,
    pub y: f32,
    pub z: f32,
}

impl V3 {
    pub const fn new(x: f32, y: f32, z: f32) -> Self {
        Self { x, y, z }
    }
    pub fn dot(self, o: Self) -> f32 {
        self.x * o.x + self.y * o.y + self.z * o.z
    }
    pub fn norm(self) -> Self {
        let l = self.dot(self).sqrt();
        if l > 0.0 {
            Self::new(self.x / l, self.y / l, self.z / l)
        } else {
            Self::new(0.0, 0.0, 1.0)
        }
    }
}

/// 2×2 matrix, row major.
#[derive(Clone, Copy, Debug)]
pub struct M2 {
    pub a: f32,
    pub b: f32,
    pub c: f32,
    pub d: f32,
}

impl M2 {
    pub fn apply(&self, v: V2) -> V2 {
        V2::new(self.a * v.x + self.b * v.y, self.c * v.x + self.d * v.y)
    }
    pub fn mul(&self, o: &M2) -> M2 {
        M2 {
            a: self.a * o.a + self.b * o.c,
            b: self.a * o.b + self.b * o.d,
            c: self.c * o.a + self.d * o.c,
            d: self.c * o.b + self.d * o.d,
        }
    }
    pub fn inverse(&self) -> M2 {
        let det = self.a * self.d - self.b * self.c;
        M2 {
            a: self.d / det,
            b: -self.b / det,
            c: -self.c / det,
            d: self.a / det,
        }
    }
}

/// `(sin a, cos a)` by range reduction and Taylor polynomials, so that the
/// result does not depend on the platform's libm.
pub fn sin_cos(a: f64) -> (f64, f64) {
    let tau = std::f64::consts::TAU;
    let mut r = a - tau * (a / tau).floor(); // [0, tau)
    if r > std::f64::consts::PI {
        r -= tau;
    }
    // r in (-pi, pi]; reduce to [-pi/2, pi/2] with sign flip of cos.
    let (r, flip) = if r > std::f64::consts::FRAC_PI_2 {
        (std::f64::consts::PI - r, true)
    } else if r < -std::f64::consts::FRAC_PI_2 {
        (-std::f64::consts::PI - r, true)
    } else {
        (r, false)
    };
    let r2 = r * r;
    let mut s = 0.0;
    let mut c = 0.0;
    let mut term_s = r;
    let mut term_c = 1.0;
    for n in 0..12 {
        s += term_s;
        c += term_c;
        let k = f64::from(2 * n + 2);
        term_s *= -r2 / (k * (k + 1.0));
        term_c *= -r2 / ((k - 1.0) * k);
    }
    (s, if flip { -c } else { c })
}

/// Angle of (x, y) in turns, `[0, 1)`; polynomial atan (max error ~1e-4 turn).
pub fn turns(x: f32, y: f32) -> f32 {
    let ax = x.abs();
    let ay = y.abs();
    let mx = ax.max(ay);
    if mx == 0.0 {
        return 0.0;
    }
    let a = ax.min(ay) / mx;
    let s = a * a;
    let mut r = ((-0.046_496_473 * s + 0.159_314_22) * s - 0.327_622_77) * s * a + a; // radians
    if ay > ax {
        r = std::f32::consts::FRAC_PI_2 - r;
    }
    if x < 0.0 {
        r = std::f32::consts::PI - r;
    }
    if y < 0.0 {
        r = -r;
    }
    let t = r / std::f32::consts::TAU;
    if t < 0.0 { t + 1.0 } else { t }
}

pub fn clamp01(v: f32) -> f32 {
    v.clamp(0.0, 1.0)
}

pub fn lerp(a: f32, b: f32, t: f32) -> f32 {
    a + (b - a) * t
}

/// Triangle wave with period 1: 0 at integers, 1 at half-integers.
pub fn tri(v: f32) -> f32 {
    let f = v - v.floor();
    1.0 - (2.0 * f - 1.0).abs()
}

/// 32-bit integer hash (lowbias32).
pub fn hash(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^= x >> 16;
    x
}

pub fn hash3(a: i32, b: i32, seed: u32) -> u32 {
    hash((a as u32).wrapping_mul(0x9e37_79b1) ^ hash((b as u32) ^ hash(seed)))
}

/// Uniform in [0, 1) from a hash.
pub fn unit(h: u32) -> f32 {
    (h >> 8) as f32 / 16_777_216.0
}

/// Smooth value noise in [0, 1] at lattice scale 1.
pub fn vnoise(x: f32, y: f32, seed: u32) -> f32 {
    let xf = x.floor();
    let yf = y.floor();
    let (xi, yi) = (xf as i32, yf as i32);
    let (fx, fy) = (x - xf, y - yf);
    let ux = fx * fx * (3.0 - 2.0 * fx);
    let uy = fy * fy * (3.0 - 2.0 * fy);
    let v00 = unit(hash3(xi, yi, seed));
    let v10 = unit(hash3(xi + 1, yi, seed));
    let v01 = unit(hash3(xi, yi + 1, seed));
    let v11 = unit(hash3(xi + 1, yi + 1, seed));
    lerp(lerp(v00, v10, ux), lerp(v01, v11, ux), uy)
}

/// Fractal value noise, `octaves` layers, result roughly in [0, 1].
pub fn fbm(x: f32, y: f32, octaves: u32, seed: u32) -> f32 {
    let mut sum = 0.0;
    let mut amp = 0.5;
    let mut f = 1.0;
    let mut norm = 0.0;
    for o in 0..octaves {
        sum += amp * vnoise(x * f, y * f, seed.wrapping_add(o * 1013));
        norm += amp;
        amp *= 0.5;
        f *= 2.03;
    }
    sum / norm
}

/// A low-resolution noise field, evaluated on a coarse grid and sampled
/// bilinearly: large-scale texture at a fraction of the per-pixel cost.
pub struct Field {
    w: usize,
    h: usize,
    cell: f32,
    v: Vec<f32>,
}

impl Field {
    pub fn new(width: u32, height: u32, cell: f32, f: impl Fn(f32, f32) -> f32) -> Self {
        let w = (width as f32 / cell).ceil() as usize + 2;
        let h = (height as f32 / cell).ceil() as usize + 2;
        let mut v = Vec::with_capacity(w * h);
        for j in 0..h {
            for i in 0..w {
                v.push(f(i as f32 * cell, j as f32 * cell));
            }
        }
        Self { w, h, cell, v }
    }
    pub fn at(&self, x: f32, y: f32) -> f32 {
        let gx = (x / self.cell).max(0.0);
        let gy = (y / self.cell).max(0.0);
        let i = (gx as usize).min(self.w - 2);
        let j = (gy as usize).min(self.h - 2);
        let fx = (gx - i as f32).min(1.0);
        let fy = (gy - j as f32).min(1.0);
        let r0 = j * self.w + i;
        let r1 = r0 + self.w;
        lerp(
            lerp(self.v[r0], self.v[r0 + 1], fx),
            lerp(self.v[r1], self.v[r1 + 1], fx),
            fy,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trig_matches_std() {
        for i in -100..100 {
            let a = f64::from(i) * 0.173;
            let (s, c) = sin_cos(a);
            assert!((s - a.sin()).abs() < 1e-9, "{a}");
            assert!((c - a.cos()).abs() < 1e-9, "{a}");
        }
        for i in 0..64 {
            let a = f64::from(i) / 64.0 * std::f64::consts::TAU;
            let t = turns(a.cos() as f32, a.sin() as f32);
            let d = (f64::from(t) - f64::from(i) / 64.0).abs();
            assert!(d < 2e-4 || (1.0 - d) < 2e-4, "{i} {t}");
        }
    }
}
