//! Materials and the lighting model: Lambert diffuse, Blinn-Phong specular
//! and, for metals, a reflection of a simple room environment (bright
//! ceiling, darker walls and table), which is what makes turned steel and
//! aluminium read as metal.

use super::camera::Light;
use super::math::V3;

#[derive(Clone, Copy, Debug)]
pub struct Material {
    pub albedo: [f32; 3],
    /// Strength of the specular highlight.
    pub spec: f32,
    /// Highlight sharpness: exponent `2^shin`.
    pub shin: u8,
    /// 0 = dielectric, 1 = pure mirror-like metal (tinted by albedo).
    pub metal: f32,
}

impl Material {
    pub const fn new(albedo: [f32; 3], spec: f32, shin: u8, metal: f32) -> Self {
        Self {
            albedo,
            spec,
            shin,
            metal,
        }
    }
    /// Same material with its albedo scaled (grooves, cavities, wear).
    pub fn darker(mut self, f: f32) -> Self {
        for c in &mut self.albedo {
            *c *= f;
        }
        self.spec *= f;
        self.metal *= f;
        self
    }
}

fn pow2n(mut v: f32, n: u8) -> f32 {
    for _ in 0..n {
        v *= v;
    }
    v
}

/// Radiance seen from the camera for surface normal `n`, unit vectors to
/// the camera `v` and light `l`, all in the same frame.
pub fn shade(m: &Material, n: V3, v: V3, l: V3, light: &Light) -> [f32; 3] {
    let ndl = n.dot(l).max(0.0);
    let ndv = n.dot(v).max(0.0);
    let h = V3::new(l.x + v.x, l.y + v.y, l.z + v.z).norm();
    let s = pow2n(n.dot(h).max(0.0), m.shin) * m.spec;
    // Mirror direction; the environment is brightest straight up (ceiling
    // lights), dims towards the horizon and is dark below (table).
    let rz = 2.0 * ndv * n.z - v.z;
    let env = if rz > 0.0 {
        0.25 + 0.9 * rz * rz
    } else {
        0.25 + 0.1 * rz
    };
    let lit = light.ambient + light.diffuse * ndl;
    let mut out = [0.0; 3];
    for (i, o) in out.iter_mut().enumerate() {
        let a = m.albedo[i];
        let body = a * lit * (1.0 - m.metal) + a * env * m.metal;
        *o = (body + s) * light.tint[i];
    }
    out
}
