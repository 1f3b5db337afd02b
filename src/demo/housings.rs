//! Milled aluminium bearing housings: `bearing_box_ax01` (square block with a
//! counterbored through bore and four corner holes) and `bearing_box_ax16`
//! (a flange plate with an upright block whose sloped top carries the bore).

use super::march::{Hit, Kind, Shape};
use super::math::{V2, tri};
use super::parts::ALU;
use super::shading::Material;

pub struct BoxAx01;

impl Shape for BoxAx01 {
    fn half_extent(&self) -> V2 {
        V2::new(27.0, 27.0)
    }
    fn zmax(&self) -> f32 {
        32.0
    }
    fn span(&self, x: f32, y: f32) -> Option<(f32, f32)> {
        let (ax, ay) = (x.abs(), y.abs());
        if ax > 27.0 || ay > 27.0 {
            return None;
        }
        let r2 = x * x + y * y;
        if r2 < 13.0 * 13.0 {
            return None;
        }
        let (cx, cy) = (ax - 20.0, ay - 20.0);
        if cx * cx + cy * cy < 2.6 * 2.6 {
            return None;
        }
        if r2 < 16.0 * 16.0 {
            return Some((0.0, 26.0));
        }
        Some((0.0, 32.0 - (ax.max(ay) - 26.0).max(0.0)))
    }
    fn material(&self, hit: &mut Hit) -> Material {
        let r = (hit.x * hit.x + hit.y * hit.y).sqrt();
        match hit.kind {
            Kind::Wall if r < 16.5 => ALU.darker(0.75),
            Kind::Wall if hit.x.abs() < 26.0 && hit.y.abs() < 26.0 => ALU.darker(0.4),
            // Fly-cutter marks on the milled top.
            Kind::Top => {
                let (dx, dy) = (hit.x + 40.0, hit.y);
                ALU.darker(0.93 + 0.07 * tri((dx * dx + dy * dy).sqrt() * 0.6))
            }
            _ => ALU.darker(0.95),
        }
    }
}

pub struct BoxAx16;

impl BoxAx16 {
    fn block_top(x: f32) -> f32 {
        44.0 - (x + 30.0) * 14.0 / 36.0
    }
}

impl Shape for BoxAx16 {
    fn half_extent(&self) -> V2 {
        V2::new(30.0, 25.0)
    }
    fn zmax(&self) -> f32 {
        44.0
    }
    fn span(&self, x: f32, y: f32) -> Option<(f32, f32)> {
        if x.abs() > 30.0 || y.abs() > 25.0 {
            return None;
        }
        let edge = (y.abs() - 24.2).max(0.0);
        if x < 6.0 {
            let (bx, by) = (x + 12.0, y);
            let r2 = bx * bx + by * by;
            if r2 < 10.0 * 10.0 {
                return None;
            }
            let top = Self::block_top(x) - if r2 < 12.5 * 12.5 { 3.0 } else { 0.0 };
            return Some((0.0, top - edge));
        }
        let (hx, hy) = (x - 19.0, y.abs() - 16.0);
        if hx * hx + hy * hy < 3.2 * 3.2 {
            return None;
        }
        Some((0.0, 10.0 - edge - (x - 29.2).max(0.0)))
    }
    fn material(&self, hit: &mut Hit) -> Material {
        match hit.kind {
            Kind::Wall => {
                let (bx, by) = (hit.x + 12.0, hit.y);
                if bx * bx + by * by < 13.0 * 13.0 {
                    ALU.darker(0.7)
                } else if hit.x > 6.5 && hit.y.abs() < 24.0 {
                    ALU.darker(0.55)
                } else {
                    ALU
                }
            }
            _ => ALU.darker(0.95 + 0.05 * tri(hit.y * 0.8)),
        }
    }
}
