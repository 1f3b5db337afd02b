//! Turned round parts: the axis (stepped steel shaft), the ball bearing and
//! the distance tube (rings with real holes), and the motor (black cylinder
//! with a steel shaft), standing or lying.

use super::march::{Hit, Kind, Shape};
use super::math::{V2, tri};
use super::parts::{ALU, STEEL, lying_cyl};
use super::shading::Material;

/// Stepped shaft: short stub, collar, long thin shaft; rests on the collar
/// and the shaft tip, so its axis is tilted.
pub struct Axis;

impl Axis {
    fn radius(x: f32) -> f32 {
        if x < -33.0 {
            6.0
        } else if x < -17.0 {
            if (x + 25.0).abs() < 0.7 { 9.3 } else { 10.0 }
        } else {
            5.0f32.min(4.2 + (37.5 - x))
        }
    }
    fn axis_h(x: f32) -> f32 {
        10.0 - (x + 33.0).max(0.0) * 5.0 / 70.5
    }
}

impl Shape for Axis {
    fn half_extent(&self) -> V2 {
        V2::new(37.5, 10.0)
    }
    fn zmax(&self) -> f32 {
        20.5
    }
    fn span(&self, x: f32, y: f32) -> Option<(f32, f32)> {
        if x.abs() > 37.5 {
            return None;
        }
        lying_cyl(y, Self::radius(x), Self::axis_h(x))
    }
    fn material(&self, hit: &mut Hit) -> Material {
        // Fine turning marks.
        STEEL.darker(0.9 + 0.1 * tri(hit.x * 2.5))
    }
}

/// Ball bearing lying flat: outer ring, black seal, inner ring, hole.
pub struct Bearing {
    shield: bool,
}

const B_RO: f32 = 17.5;
const B_SEAL_O: f32 = 14.8;
const B_SEAL_I: f32 = 9.8;
const B_HOLE: f32 = 7.5;
const B_W: f32 = 11.0;

impl Bearing {
    pub fn new(shield: bool) -> Self {
        Self { shield }
    }
}

impl Shape for Bearing {
    fn half_extent(&self) -> V2 {
        V2::new(B_RO, B_RO)
    }
    fn zmax(&self) -> f32 {
        B_W
    }
    fn span(&self, x: f32, y: f32) -> Option<(f32, f32)> {
        let r = (x * x + y * y).sqrt();
        if !(B_HOLE..=B_RO).contains(&r) {
            return None;
        }
        let top = if r > B_SEAL_O {
            B_W - (r - (B_RO - 0.7)).max(0.0)
        } else if r > B_SEAL_I {
            B_W - 0.6
        } else {
            B_W - (B_HOLE + 0.5 - r).max(0.0)
        };
        Some((0.0, top))
    }
    fn material(&self, hit: &mut Hit) -> Material {
        let r = (hit.x * hit.x + hit.y * hit.y).sqrt();
        if hit.kind == Kind::Top && r < B_SEAL_O - 0.1 && r > B_SEAL_I + 0.1 {
            return if self.shield {
                Material::new([0.45, 0.46, 0.47], 0.3, 4, 0.4)
            } else {
                Material::new([0.05, 0.05, 0.055], 0.15, 4, 0.0)
            };
        }
        if hit.kind == Kind::Wall && r < B_HOLE + 0.5 {
            return STEEL.darker(0.55);
        }
        STEEL.darker(0.85)
    }
}

/// Thin-walled distance tube: a ring seen from above, or lying.
pub struct Tube {
    lying: bool,
}

const T_RO: f32 = 12.5;
const T_RI: f32 = 10.5;
const T_LEN: f32 = 12.0;

impl Tube {
    pub fn new(lying: bool) -> Self {
        Self { lying }
    }
}

impl Shape for Tube {
    fn half_extent(&self) -> V2 {
        if self.lying {
            V2::new(T_LEN * 0.5, T_RO)
        } else {
            V2::new(T_RO, T_RO)
        }
    }
    fn zmax(&self) -> f32 {
        if self.lying { 2.0 * T_RO } else { T_LEN }
    }
    fn span(&self, x: f32, y: f32) -> Option<(f32, f32)> {
        if self.lying {
            if x.abs() > T_LEN * 0.5 {
                return None;
            }
            let (lo, hi) = lying_cyl(y, T_RO, T_RO)?;
            let end = (x.abs() - (T_LEN * 0.5 - 0.3)).max(0.0);
            return Some((lo + end, hi - end));
        }
        let r = (x * x + y * y).sqrt();
        if !(T_RI..=T_RO).contains(&r) {
            return None;
        }
        let mid = 0.5 * (T_RO + T_RI);
        Some((0.0, T_LEN - (r - mid).abs() * 0.5))
    }
    fn material(&self, hit: &mut Hit) -> Material {
        if self.lying && hit.kind == Kind::Wall && hit.x.abs() > T_LEN * 0.5 - 0.5 {
            let v = hit.z - T_RO;
            if hit.y * hit.y + v * v < T_RI * T_RI {
                return ALU.darker(0.35);
            }
        }
        if !self.lying && hit.kind == Kind::Wall {
            let r = (hit.x * hit.x + hit.y * hit.y).sqrt();
            if r < T_RI + 0.3 {
                return ALU.darker(0.6);
            }
        }
        ALU
    }
}

/// Motor: black body with two grooves, a boss and a steel shaft.
pub struct Motor {
    standing: bool,
}

const M_R: f32 = 20.0;
const M_BODY: f32 = 55.0;
const M_SHAFT_R: f32 = 3.0;
const M_SHAFT: f32 = 18.0;
const M_BODY_MAT: Material = Material::new([0.075, 0.075, 0.08], 0.25, 4, 0.05);

impl Motor {
    pub fn new(standing: bool) -> Self {
        Self { standing }
    }
    fn groove(a: f32) -> bool {
        (a - 8.0).abs() < 0.6 || (a - 46.0).abs() < 0.6
    }
}

impl Shape for Motor {
    fn half_extent(&self) -> V2 {
        if self.standing {
            V2::new(M_R, M_R)
        } else {
            V2::new(37.5, M_R)
        }
    }
    fn zmax(&self) -> f32 {
        if self.standing {
            M_BODY + 2.0 + M_SHAFT
        } else {
            2.0 * M_R
        }
    }
    fn span(&self, x: f32, y: f32) -> Option<(f32, f32)> {
        if self.standing {
            let r = (x * x + y * y).sqrt();
            if r > M_R {
                return None;
            }
            let top = if r < M_SHAFT_R {
                M_BODY + 2.0 + M_SHAFT
            } else if r < 6.0 {
                M_BODY + 2.0
            } else {
                M_BODY - (r - (M_R - 1.5)).max(0.0) * 0.8
            };
            return Some((0.0, top));
        }
        // Lying along x: body from -37.5, boss, shaft to +37.5.
        let a = x + 37.5;
        if !(0.0..=75.0).contains(&a) {
            return None;
        }
        let r = if a < M_BODY {
            let edge = (1.0 - a).max(0.0) + (a - (M_BODY - 1.0)).max(0.0);
            M_R - edge * 0.8 - if Self::groove(a) { 0.5 } else { 0.0 }
        } else if a < M_BODY + 2.0 {
            6.0
        } else {
            M_SHAFT_R
        };
        lying_cyl(y, r, M_R)
    }
    fn material(&self, hit: &mut Hit) -> Material {
        if self.standing {
            let r = (hit.x * hit.x + hit.y * hit.y).sqrt();
            if hit.z > M_BODY + 1.0 && r < 6.5 {
                return if r < M_SHAFT_R + 0.2 {
                    STEEL
                } else {
                    M_BODY_MAT.darker(1.5)
                };
            }
            if hit.kind == Kind::Wall && Self::groove(hit.z) {
                return M_BODY_MAT.darker(0.5);
            }
            return M_BODY_MAT;
        }
        let a = hit.x + 37.5;
        if a >= M_BODY + 2.0 {
            STEEL
        } else if Self::groove(a) {
            M_BODY_MAT.darker(0.5)
        } else {
            M_BODY_MAT
        }
    }
}
