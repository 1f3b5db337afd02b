//! Threaded parts: the M20×100 hex bolt (`m20_100`), the M20 and M30 hex nuts
//! (classes m20, m30) and r20, a slotted cage tube with rows of windows.

use super::march::{Hit, Kind, Shape};
use super::math::{V2, tri, turns};
use super::parts::{COS30, STEEL_BLACK, ZINC, hex_r, lying_cyl, lying_hex};
use super::shading::Material;

/// M20×100 hex bolt lying on the table, tilted from its head to its tip.
pub struct Bolt {
    zinc: bool,
}

const HEAD_AF: f32 = 30.0;
const HEAD_K: f32 = 12.5;
const SHAFT_R: f32 = 10.0;
const HALF_LEN: f32 = 56.25;
const THREAD_LEN: f32 = 46.0;
const PITCH: f32 = 2.5;

impl Bolt {
    pub fn new(zinc: bool) -> Self {
        Self { zinc }
    }
    fn head_end() -> f32 {
        -HALF_LEN + HEAD_K
    }
    fn axis(x: f32) -> f32 {
        let t = (x - Self::head_end()) / (HALF_LEN - Self::head_end());
        HEAD_AF * 0.5 + (SHAFT_R - HEAD_AF * 0.5) * t.clamp(0.0, 1.0)
    }
    fn thread(x: f32, y: f32) -> f32 {
        if x > HALF_LEN - THREAD_LEN {
            tri((x + y * 0.12) / PITCH)
        } else {
            0.0
        }
    }
}

impl Shape for Bolt {
    fn half_extent(&self) -> V2 {
        V2::new(HALF_LEN, HEAD_AF / COS30 * 0.5)
    }
    fn zmax(&self) -> f32 {
        HEAD_AF
    }
    fn span(&self, x: f32, y: f32) -> Option<(f32, f32)> {
        if x.abs() > HALF_LEN {
            return None;
        }
        if x < Self::head_end() {
            // Slight chamfer on the head's outer face.
            let (lo, hi) = lying_hex(y, HEAD_AF, HEAD_AF * 0.5)?;
            let ch = ((-HALF_LEN + 1.2) - x).max(0.0);
            return Some((lo + ch, hi - ch));
        }
        let r = (SHAFT_R - 0.9 * Self::thread(x, y)).min(SHAFT_R - 1.5 + (HALF_LEN - x));
        lying_cyl(y, r, Self::axis(x))
    }
    fn material(&self, hit: &mut Hit) -> Material {
        let m = if self.zinc { ZINC } else { STEEL_BLACK };
        if hit.x < Self::head_end() {
            return m;
        }
        let th = Self::thread(hit.x, hit.y);
        m.darker(1.0 - 0.45 * th)
    }
}

/// Hex nut, lying flat (hole visible, real) or on one of its flats.
pub struct Nut {
    af: f32,
    thick: f32,
    hole: f32,
    pitch: f32,
    on_side: bool,
    zinc: bool,
}

impl Nut {
    pub fn m20(on_side: bool, zinc: bool) -> Self {
        Self {
            af: 30.0,
            thick: 16.0,
            hole: 8.7,
            pitch: 2.5,
            on_side,
            zinc,
        }
    }
    pub fn m30(on_side: bool, zinc: bool) -> Self {
        Self {
            af: 46.0,
            thick: 24.0,
            hole: 13.2,
            pitch: 3.5,
            on_side,
            zinc,
        }
    }
}

impl Shape for Nut {
    fn half_extent(&self) -> V2 {
        if self.on_side {
            V2::new(self.thick * 0.5, self.af / COS30 * 0.5)
        } else {
            V2::new(self.af / COS30 * 0.5, self.af * 0.5)
        }
    }
    fn zmax(&self) -> f32 {
        if self.on_side { self.af } else { self.thick }
    }
    fn span(&self, x: f32, y: f32) -> Option<(f32, f32)> {
        if self.on_side {
            if x.abs() > self.thick * 0.5 {
                return None;
            }
            let (lo, hi) = lying_hex(y, self.af, self.af * 0.5)?;
            // Chamfered corners show as bevels near both faces.
            let ch = (x.abs() - (self.thick * 0.5 - 1.5)).max(0.0)
                * (y.abs() / (self.af * 0.577)).max(0.5);
            return Some((lo + ch, hi - ch));
        }
        if hex_r(x, y) > self.af * 0.5 {
            return None;
        }
        let rad = (x * x + y * y).sqrt();
        if rad < self.hole {
            return None;
        }
        let chamfer = (rad - 0.95 * self.af * 0.5).max(0.0) * 0.6;
        let sink = (self.hole + 1.4 - rad).max(0.0) * 0.9;
        Some((0.0, self.thick - chamfer - sink))
    }
    fn material(&self, hit: &mut Hit) -> Material {
        let m = if self.zinc { ZINC } else { STEEL_BLACK };
        if self.on_side {
            if hit.kind == Kind::Wall && hit.x.abs() > self.thick * 0.5 - 0.2 {
                let v = hit.z - self.af * 0.5;
                let r = (hit.y * hit.y + v * v).sqrt();
                if r < self.hole {
                    let th = tri(r / self.pitch * 2.0);
                    return m.darker(0.25 + 0.2 * th);
                }
                return m.darker(1.15);
            }
            return m;
        }
        let rad = (hit.x * hit.x + hit.y * hit.y).sqrt();
        if hit.kind == Kind::Wall && rad < self.hole + 0.3 {
            let th = tri(hit.z / self.pitch + turns(hit.x, hit.y));
            return m.darker(0.4 + 0.5 * th);
        }
        m
    }
}

/// r20: a slotted cage tube with rows of rectangular windows, standing
/// (ring seen from above) or lying.
pub struct Cage {
    standing: bool,
    zinc: bool,
}

const CAGE_RO: f32 = 14.0;
const CAGE_RI: f32 = 10.0;
const CAGE_LEN: f32 = 42.0;

impl Cage {
    pub fn new(standing: bool, zinc: bool) -> Self {
        Self { standing, zinc }
    }
    /// Window pattern by axial position `a` (mm from the centre) and angle
    /// in turns.
    fn window(a: f32, turn: f32) -> bool {
        let row = (a + 18.0) / 7.2;
        a.abs() < 17.5
            && row.fract() > 0.3
            && (turn * 8.0).fract() > 0.22
            && (turn * 8.0).fract() < 0.78
    }
}

impl Shape for Cage {
    fn half_extent(&self) -> V2 {
        if self.standing {
            V2::new(CAGE_RO, CAGE_RO)
        } else {
            V2::new(CAGE_LEN * 0.5, CAGE_RO)
        }
    }
    fn zmax(&self) -> f32 {
        if self.standing {
            CAGE_LEN
        } else {
            2.0 * CAGE_RO
        }
    }
    fn span(&self, x: f32, y: f32) -> Option<(f32, f32)> {
        if self.standing {
            let r = (x * x + y * y).sqrt();
            if !(CAGE_RI..=CAGE_RO).contains(&r) || (y.abs() < 1.6 && x > 0.0) {
                return None;
            }
            let round = (r - (CAGE_RO - 0.6)).max(0.0) + (CAGE_RI + 0.6 - r).max(0.0);
            return Some((0.0, CAGE_LEN - round));
        }
        if x.abs() > CAGE_LEN * 0.5 {
            return None;
        }
        let (lo, hi) = lying_cyl(y, CAGE_RO, CAGE_RO)?;
        if y.abs() < CAGE_RI - 0.3 {
            let top = (CAGE_RO * CAGE_RO - y * y).sqrt();
            let turn = turns(top, y);
            if Self::window(x, turn) {
                // Through the window: the inside of the far wall.
                let inner = CAGE_RO - (CAGE_RI * CAGE_RI - y * y).sqrt();
                return Some((lo, inner));
            }
        }
        Some((lo, hi))
    }
    fn material(&self, hit: &mut Hit) -> Material {
        let m = if self.zinc {
            ZINC.darker(0.8)
        } else {
            STEEL_BLACK
        };
        if self.standing {
            let r = (hit.x * hit.x + hit.y * hit.y).sqrt();
            return match hit.kind {
                Kind::Wall if r > CAGE_RO - 0.3 => {
                    if Self::window(hit.z - CAGE_LEN * 0.5, turns(hit.x, hit.y)) {
                        m.darker(0.2)
                    } else {
                        m
                    }
                }
                Kind::Wall => m.darker(0.5),
                _ => m.darker(1.2),
            };
        }
        match hit.kind {
            Kind::Top if hit.z < CAGE_RO => m.darker(0.35),
            Kind::Wall if hit.x.abs() > CAGE_LEN * 0.5 - 0.2 => {
                let v = hit.z - CAGE_RO;
                if hit.y * hit.y + v * v < CAGE_RI * CAGE_RI {
                    m.darker(0.3)
                } else {
                    m.darker(1.2)
                }
            }
            _ => m,
        }
    }
}
