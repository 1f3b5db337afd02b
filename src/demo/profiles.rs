//! Aluminium profiles `f20_20` and `s40_40` (black and grey): lying on a side,
//! showing the T-slot groove on top, the side slot as a dark line and the
//! cross-section on the end faces; or standing on end, showing the
//! cross-section with real (see-through) slots and centre bore.

use super::march::{Hit, Kind, Shape};
use super::math::V2;
use super::parts::{ALU, ALU_BLACK, brushed};
use super::shading::Material;

pub struct Profile {
    w: f32,
    len: f32,
    black: bool,
    standing: bool,
    slot: f32,
    lip: f32,
    cav: f32,
    cav_w: f32,
    hole: f32,
    seed: u32,
}

impl Profile {
    pub fn new(wide: bool, black: bool, standing: bool, seed: u32) -> Self {
        if wide {
            Self {
                w: 40.0,
                len: 100.0,
                black,
                standing,
                slot: 8.2,
                lip: 2.6,
                cav: 12.5,
                cav_w: 18.0,
                hole: 3.4,
                seed,
            }
        } else {
            Self {
                w: 20.0,
                len: 100.0,
                black,
                standing,
                slot: 6.0,
                lip: 1.8,
                cav: 6.2,
                cav_w: 11.0,
                hole: 2.1,
                seed,
            }
        }
    }

    /// Whether the cross-section is solid at (u, v), centred coordinates.
    fn solid(&self, u: f32, v: f32) -> bool {
        let h = self.w * 0.5;
        if u.abs() > h || v.abs() > h || u * u + v * v < self.hole * self.hole {
            return false;
        }
        // Each side: depth e from the side, lateral offset a along it.
        for (e, a) in [(h - v, u), (h + v, u), (h - u, v), (h + u, v)] {
            if e < self.lip && a.abs() < self.slot * 0.5 {
                return false;
            }
            if e >= self.lip && e < self.cav && a.abs() < self.cav_w * 0.5 - (e - self.lip) * 0.7 {
                return false;
            }
        }
        if self.w > 30.0 {
            // Hollow corners of the 40 series.
            let (cu, cv) = (u.abs(), v.abs());
            if cu > h - 11.0
                && cu < h - 4.5
                && cv > h - 11.0
                && cv < h - 4.5
                && (cu - cv).abs() < 5.0
            {
                return false;
            }
        }
        true
    }

    fn base(&self) -> Material {
        if self.black { ALU_BLACK } else { ALU }
    }
}

impl Shape for Profile {
    fn half_extent(&self) -> V2 {
        if self.standing {
            V2::new(self.w * 0.5, self.w * 0.5)
        } else {
            V2::new(self.len * 0.5, self.w * 0.5)
        }
    }

    fn zmax(&self) -> f32 {
        if self.standing { self.len } else { self.w }
    }

    fn span(&self, x: f32, y: f32) -> Option<(f32, f32)> {
        let h = self.w * 0.5;
        if self.standing {
            if !self.solid(x, y) {
                return None;
            }
            let edge = (x.abs().max(y.abs()) - (h - 0.6)).max(0.0);
            return Some((0.0, self.len - edge));
        }
        if x.abs() > self.len * 0.5 || y.abs() > h {
            return None;
        }
        let top = if y.abs() < self.slot * 0.5 {
            self.w - self.cav
        } else {
            self.w - (y.abs() - (h - 0.7)).max(0.0)
        };
        let end = (x.abs() - (self.len * 0.5 - 0.4)).max(0.0);
        Some((0.0, top - end))
    }

    fn material(&self, hit: &mut Hit) -> Material {
        let h = self.w * 0.5;
        let m = self.base();
        if self.standing {
            let inner = hit.x.abs().max(hit.y.abs()) < h - 0.25;
            return match hit.kind {
                Kind::Top => m.darker(if self.black { 1.3 } else { 1.05 }),
                _ if inner => m.darker(0.45),
                _ => {
                    let f = brushed(hit.z, hit.x + hit.y, self.seed);
                    m.darker(f)
                }
            };
        }
        let f = brushed(hit.x, hit.y + hit.z, self.seed);
        match hit.kind {
            Kind::Top if hit.y.abs() < self.slot * 0.5 => m.darker(0.3),
            Kind::Wall if hit.x.abs() > self.len * 0.5 - 0.5 => {
                // End face: the cross-section.
                if self.solid(hit.y, hit.z - h) {
                    m.darker(if self.black { 1.6 } else { 1.05 })
                } else {
                    m.darker(0.12)
                }
            }
            Kind::Wall if hit.y.abs() > h - 0.05 => {
                if (hit.z - h).abs() < self.slot * 0.5 {
                    m.darker(0.15)
                } else {
                    m.darker(f)
                }
            }
            Kind::Wall => m.darker(0.45),
            _ => m.darker(f),
        }
    }
}
