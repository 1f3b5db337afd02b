//! The per-photo camera and light, and how one object's local frame (mm on
//! the table, z up) maps into the image.
//!
//! The camera looks down at a slight angle. Rather than a full perspective
//! camera, each object gets a local scaled-orthographic view of its own: a
//! point `(q, z)` of the object maps to pixel `c + A q + z k`. `A` holds the
//! object's rotation, the apparent scale (smaller further from the camera)
//! and the foreshortening of the table along the viewing direction; `k` is
//! how far a point moves up the image per mm of height. Both follow from one
//! per-photo "nadir" point (where the camera's vertical meets the table, below
//! the image), so objects further up the image are seen more from the side.

use super::math::{M2, V2, V3, sin_cos};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Lighting of one photo, in table ("world") coordinates: x right, y down the
/// image, z up.
#[derive(Clone, Copy, Debug)]
pub struct Light {
    /// Unit vector towards the (main, ceiling) light.
    pub dir: V3,
    pub ambient: f32,
    pub diffuse: f32,
    /// Colour of the light (white balance), multiplies everything.
    pub tint: [f32; 3],
    /// Strength of cast shadows (0..1) and their blur radius in pixels.
    pub shadow: f32,
    pub shadow_blur: f32,
}

#[derive(Clone, Debug)]
pub struct Camera {
    pub width: u32,
    pub height: u32,
    /// Pixels per mm at the image centre.
    pub scale0: f32,
    pub nadir: V2,
    /// Camera height expressed in pixels of table at the nadir.
    pub dist: f32,
    pub light: Light,
}

/// How one object's local frame maps into the image.
#[derive(Clone, Copy, Debug)]
pub struct Placement {
    /// Image position of the local origin (on the object's base plane).
    pub c: V2,
    pub a: M2,
    pub ainv: M2,
    /// Image displacement per mm of height.
    pub k: V2,
    /// Local drift per mm of height along a line of sight (`A⁻¹ k`).
    pub d_view: V2,
    /// Local drift per mm of height along a light ray (shadow direction).
    pub d_light: V2,
    /// Unit vectors towards camera and light, in local coordinates.
    pub view: V3,
    pub light: V3,
    /// Pixels per mm for this object.
    pub scale: f32,
    /// Height of the object's base above the table (resting on another).
    pub z0: f32,
}

impl Camera {
    pub fn random(rng: &mut ChaCha8Rng, width: u32, height: u32) -> Self {
        let (w, h) = (width as f32, height as f32);
        // Varying camera height: 0.85..2.4 px/mm at 640 px wide.
        let scale0 = rng.random_range(0.85f32..2.4) * w / 640.0;
        let nadir = V2::new(
            w * rng.random_range(0.2f32..0.8),
            h * rng.random_range(1.3f32..2.6),
        );
        // tan of the viewing angle at the image centre: a slight tilt.
        let tan_c = rng.random_range(0.12f32..0.5);
        let dist = (V2::new(w * 0.5, h * 0.5) - nadir).len() / tan_c;
        let az = rng.random_range(0.0f64..std::f64::consts::TAU);
        let el = rng.random_range(0.35f64..0.85); // angle from vertical, radians
        let (saz, caz) = sin_cos(az);
        let (sel, cel) = sin_cos(el);
        let dir = V3::new((caz * sel) as f32, (saz * sel) as f32, cel as f32).norm();
        let warm = rng.random_range(-0.06f32..0.06);
        let light = Light {
            dir,
            ambient: rng.random_range(0.3f32..0.45),
            diffuse: rng.random_range(0.6f32..0.8),
            tint: [1.0 + warm, 1.0, 1.0 - warm],
            shadow: rng.random_range(0.2f32..0.5),
            shadow_blur: rng.random_range(2.0f32..6.0) * w / 640.0,
        };
        Self {
            width,
            height,
            scale0,
            nadir,
            dist,
            light,
        }
    }

    /// Brightness of a flat, upward-facing surface of albedo 1.
    pub fn flat_light(&self) -> f32 {
        self.light.ambient + self.light.diffuse * self.light.dir.z
    }

    /// Placement of an object whose local origin lies at image position `pos`
    /// (for a resting height of 0), rotated by `angle` radians.
    pub fn place(&self, pos: V2, angle: f64) -> Placement {
        self.place_at(pos, angle, 0.0)
    }

    /// As `place`, with the object's base raised to `z0` mm.
    pub fn place_at(&self, pos: V2, angle: f64, z0: f32) -> Placement {
        let rel = pos - self.nadir;
        let r = rel.len();
        let u = if r > 0.0 {
            rel * (1.0 / r)
        } else {
            V2::new(0.0, -1.0)
        };
        let tan = r / self.dist;
        let sec = (1.0 + tan * tan).sqrt();
        let (cos_t, sin_t) = (1.0 / sec, tan / sec);
        let centre = V2::new(self.width as f32 * 0.5, self.height as f32 * 0.5) - self.nadir;
        let scale = self.scale0 * (self.dist * self.dist + centre.dot(centre)).sqrt()
            / (self.dist * self.dist + r * r).sqrt();
        let (sa, ca) = sin_cos(angle);
        let (sa, ca) = (sa as f32, ca as f32);
        let rot = M2 {
            a: ca,
            b: -sa,
            c: sa,
            d: ca,
        };
        let g = cos_t - 1.0;
        let fore = M2 {
            a: 1.0 + g * u.x * u.x,
            b: g * u.x * u.y,
            c: g * u.x * u.y,
            d: 1.0 + g * u.y * u.y,
        };
        let mut a = fore.mul(&rot);
        a.a *= scale;
        a.b *= scale;
        a.c *= scale;
        a.d *= scale;
        let ainv = a.inverse();
        let k = u * (scale * sin_t);
        let d_view = ainv.apply(k);
        // Rotate world vectors into the local frame with R^T.
        let to_local = |v: V2| V2::new(ca * v.x + sa * v.y, -sa * v.x + ca * v.y);
        let l = self.light.dir;
        let shadow_world = V2::new(-l.x / l.z, -l.y / l.z);
        // A table point q is shadowed by a solid point at (q - t d_light, t).
        let d_light = to_local(shadow_world);
        let lh = to_local(V2::new(l.x, l.y));
        Placement {
            c: pos + k * z0,
            a,
            ainv,
            k,
            d_view,
            d_light,
            view: V3::new(-d_view.x, -d_view.y, 1.0).norm(),
            light: V3::new(lh.x, lh.y, l.z),
            scale,
            z0,
        }
    }
}
