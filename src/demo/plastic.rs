//! Plastic parts: `em_01` (black printed frame with two D-shaped windows, a tab
//! and end clips), `em_02` (orange printed block with a grid of pockets and a
//! tab, or its flat underside) and the open red/blue container boxes with
//! tapered walls, rim and a lowered front.

use super::march::{Hit, Kind, Shape};
use super::math::{V2, lerp, tri};
use super::parts::grain;
use super::shading::Material;

pub struct Em01 {
    shade: f32,
    seed: u32,
}

impl Em01 {
    pub fn new(shade: f32, seed: u32) -> Self {
        Self { shade, seed }
    }
    fn window(x: f32, y: f32) -> bool {
        let ax = x.abs();
        if y.abs() >= 10.0 {
            return false;
        }
        let dx = ax - 22.0;
        (ax >= 22.0 && dx * dx + y * y < 100.0) || (ax > 11.0 && ax < 22.0)
    }
}

impl Shape for Em01 {
    fn half_extent(&self) -> V2 {
        V2::new(45.5, 31.0)
    }
    fn zmax(&self) -> f32 {
        16.0
    }
    fn span(&self, x: f32, y: f32) -> Option<(f32, f32)> {
        let (ax, ay) = (x.abs(), y.abs());
        if ax <= 40.0 && ay <= 23.0 {
            if ax > 36.5 || ay > 19.5 || ax < 1.75 {
                return Some((0.0, 16.0));
            }
            if Self::window(x, y) {
                return None;
            }
            return Some((0.0, 4.0));
        }
        // Tab on one long side.
        if ax < 5.0 && y > 23.0 && y < 31.0 {
            return Some((0.0, 4.0));
        }
        // End clips and their bridges.
        if ax > 42.0 && ax <= 45.5 && ay < 27.0 {
            return Some((0.0, 16.0));
        }
        if ax > 40.0 && ax <= 42.0 && ay < 5.0 {
            return Some((0.0, 10.0));
        }
        None
    }
    fn material(&self, hit: &mut Hit) -> Material {
        let g = grain(hit.x, hit.y + hit.z, self.seed);
        let m = Material::new([self.shade; 3], 0.18, 4, 0.0).darker(g);
        match hit.kind {
            Kind::Top if hit.z < 5.0 => m.darker(0.75),
            Kind::Wall if hit.z < 15.0 => m.darker(0.85 + 0.15 * tri(hit.z * 2.0)),
            _ => m,
        }
    }
}

pub struct Em02 {
    flipped: bool,
    seed: u32,
}

const E2_HX: f32 = 44.0;
const E2_HY: f32 = 21.0;
const E2_H: f32 = 20.0;
const ORANGE: Material = Material::new([0.98, 0.60, 0.06], 0.22, 4, 0.0);

impl Em02 {
    pub fn new(flipped: bool, seed: u32) -> Self {
        Self { flipped, seed }
    }
    fn pocket(x: f32, y: f32) -> bool {
        let i = ((x + 40.0) / 16.0).floor();
        if !(0.0..5.0).contains(&i) {
            return false;
        }
        let cx = -32.0 + 16.0 * i;
        (x - cx).abs() < 6.0 && (y.abs() - 9.5).abs() < 6.5
    }
}

impl Shape for Em02 {
    fn half_extent(&self) -> V2 {
        V2::new(E2_HX, 29.0)
    }
    fn zmax(&self) -> f32 {
        E2_H
    }
    fn span(&self, x: f32, y: f32) -> Option<(f32, f32)> {
        let (ax, ay) = (x.abs(), y.abs());
        if ax <= E2_HX && ay <= E2_HY {
            let edge = (ax - (E2_HX - 0.8)).max(0.0) + (ay - (E2_HY - 0.8)).max(0.0);
            if !self.flipped && Self::pocket(x, y) {
                return Some((0.0, 8.0));
            }
            return Some((0.0, E2_H - edge));
        }
        if x > 6.0 && x < 16.0 && y > E2_HY && y < E2_HY + 8.0 {
            let tab = if self.flipped { E2_H } else { 9.0 };
            return Some((if self.flipped { 11.0 } else { 0.0 }, tab));
        }
        None
    }
    fn material(&self, hit: &mut Hit) -> Material {
        let g = grain(hit.x, hit.y + hit.z, self.seed);
        let m = ORANGE.darker(g);
        match hit.kind {
            Kind::Top if hit.z < 9.0 => m.darker(0.6),
            Kind::Wall if hit.x.abs() < E2_HX - 0.5 && hit.y.abs() < E2_HY - 0.5 => m.darker(0.7),
            Kind::Top if self.flipped => {
                // Printed underside: a faint grid of dimples.
                let d = tri(hit.x / 6.0) * tri(hit.y / 6.0);
                m.darker(1.0 - 0.12 * d)
            }
            _ => m,
        }
    }
}

/// Open plastic container box (bin) with tapered walls.
pub struct Container {
    blue: bool,
}

const C_HX: f32 = 80.0;
const C_HY: f32 = 52.5;
/// Half length and width of a container box's top outline (mm).
pub const CONTAINER_HALF: (f32, f32) = (C_HX, C_HY);
const C_H: f32 = 75.0;
const C_FRONT: f32 = 50.0;
const C_TAPER: f32 = 7.0;
const C_WALL: f32 = 4.0;
const C_FLOOR: f32 = 3.0;

impl Container {
    pub fn new(blue: bool) -> Self {
        Self { blue }
    }
    /// Height of the rim at x (the front end is lowered for picking).
    fn rim(x: f32) -> f32 {
        if x < 15.0 {
            C_H
        } else {
            lerp(C_H, C_FRONT, ((x - 15.0) / 55.0).min(1.0))
        }
    }
}

impl Shape for Container {
    fn half_extent(&self) -> V2 {
        V2::new(C_HX, C_HY)
    }
    fn zmax(&self) -> f32 {
        C_H
    }
    fn span(&self, x: f32, y: f32) -> Option<(f32, f32)> {
        let (ax, ay) = (x.abs(), y.abs());
        // Distance inside the top outline.
        let di = (C_HX - ax).min(C_HY - ay);
        if di < 0.0 {
            return None;
        }
        let rim = Self::rim(x);
        // Outside the base outline the outer wall overhangs: solid only
        // above the tapered outer surface.
        let lo = if di < C_TAPER {
            rim * (1.0 - di / C_TAPER)
        } else {
            0.0
        };
        let hi = if di < 2.0 {
            rim
        } else if di < C_WALL {
            rim - 1.5
        } else if di < C_WALL + C_TAPER {
            lerp(rim - 1.5, C_FLOOR, (di - C_WALL) / C_TAPER)
        } else {
            C_FLOOR
        };
        (lo < hi).then_some((lo, hi))
    }
    fn ceiling(&self, x: f32, y: f32, r: f32) -> f32 {
        // `hi` only falls with the distance inside the outline, so its value
        // at the nearest possible distance bounds the whole disc.
        let di = (C_HX - x.abs()).min(C_HY - y.abs()) - r;
        if di < 0.0 && di + 2.0 * r < 0.0 {
            -1.0
        } else if di < C_WALL {
            C_H
        } else if di < C_WALL + C_TAPER {
            lerp(C_H, C_FLOOR, (di - C_WALL) / C_TAPER)
        } else {
            C_FLOOR
        }
    }
    fn has_ceiling(&self) -> bool {
        true
    }
    fn material(&self, hit: &mut Hit) -> Material {
        let m = if self.blue {
            Material::new([0.10, 0.28, 0.88], 0.25, 4, 0.0)
        } else {
            Material::new([0.92, 0.20, 0.06], 0.25, 4, 0.0)
        };
        let di = (C_HX - hit.x.abs()).min(C_HY - hit.y.abs());
        match hit.kind {
            Kind::Top if di >= C_WALL + C_TAPER => m.darker(0.75),
            Kind::Top if di >= C_WALL => m.darker(0.85),
            Kind::Bottom => {
                // Vertical stiffening ribs on the outside.
                let along = if C_HX - hit.x.abs() < C_HY - hit.y.abs() {
                    hit.y
                } else {
                    hit.x
                };
                m.darker(0.9 + 0.1 * tri(along / 12.0))
            }
            _ => m,
        }
    }
}
