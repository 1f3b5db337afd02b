//! Building blocks shared by the object families: common materials and the
//! span fields of basic solids (lying cylinders and hexagons, hexagon tests).

use super::math::{hash3, unit, vnoise};
use super::shading::Material;

/// Clear-anodised / milled aluminium.
pub const ALU: Material = Material::new([0.74, 0.75, 0.77], 0.45, 5, 0.55);
/// Black-anodised aluminium.
pub const ALU_BLACK: Material = Material::new([0.075, 0.075, 0.08], 0.3, 5, 0.12);
/// Black-oxide steel (bolts, nuts).
pub const STEEL_BLACK: Material = Material::new([0.11, 0.11, 0.115], 0.35, 5, 0.3);
/// Zinc-plated steel.
pub const ZINC: Material = Material::new([0.62, 0.63, 0.60], 0.5, 5, 0.6);
/// Bright turned steel.
pub const STEEL: Material = Material::new([0.70, 0.71, 0.73], 0.7, 6, 0.7);

/// `sqrt(3) / 2`.
pub const COS30: f32 = 0.866_025_4;

/// Hexagon "radius" with flats facing ±y: inside iff `<= across_flats / 2`.
pub fn hex_r(x: f32, y: f32) -> f32 {
    let a = y.abs();
    let b = (COS30 * x + 0.5 * y).abs();
    let c = (COS30 * x - 0.5 * y).abs();
    a.max(b).max(c)
}

/// Span of a cylinder of radius `r` lying along x with its axis at height
/// `axis`, at lateral offset `y`.
pub fn lying_cyl(y: f32, r: f32, axis: f32) -> Option<(f32, f32)> {
    if y.abs() >= r {
        return None;
    }
    let s = (r * r - y * y).sqrt();
    Some(((axis - s).max(0.0), axis + s))
}

/// Span of a hexagonal prism lying along x on one of its flats (axis at
/// height `axis`), at lateral offset `y`.
pub fn lying_hex(y: f32, af: f32, axis: f32) -> Option<(f32, f32)> {
    let hc = af / COS30 * 0.5; // half across corners
    let a = y.abs();
    if a >= hc {
        return None;
    }
    let hh = af * 0.5 * ((hc - a) / (hc * 0.5)).min(1.0);
    Some(((axis - hh).max(0.0), axis + hh))
}

/// Brightness variation of a worn/brushed surface along x (streaks across y).
pub fn brushed(x: f32, y: f32, seed: u32) -> f32 {
    1.0 + (vnoise(x * 0.05, y * 3.0, seed) - 0.5) * 0.18
}

/// Small per-point grain (cast/printed surfaces).
pub fn grain(x: f32, y: f32, seed: u32) -> f32 {
    1.0 + (unit(hash3((x * 3.0) as i32, (y * 3.0) as i32, seed)) - 0.5) * 0.08
}
