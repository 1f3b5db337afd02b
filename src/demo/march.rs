//! Rasterising one object: the `Shape` trait every object family implements,
//! ray marching along lines of sight (and light rays for shadows), hit
//! classification and normals, anti-aliased compositing onto the canvas, and
//! soft cast/contact shadows.
//!
//! An object is a "span field": at each local table point `(x, y)` (mm) it is
//! solid between heights `lo..=hi`. A pixel shows the object iff its line of
//! sight `(q0 - t d, t)` is inside some span for a `t` found by the march,
//! tested at the pixel centre only. That single test decides the ground-truth
//! mask; sub-pixel samples only blend colours at edges.

use super::camera::{Light, Placement};
use super::math::{V2, V3};
use super::post::box_blur;
use super::shading::{Material, shade};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Upward-facing surface (`t == hi`).
    Top,
    /// Downward-facing surface seen from the side (`t == lo`), e.g. the lower
    /// half of a lying cylinder.
    Bottom,
    /// Vertical step in the span field.
    Wall,
}

/// Where a line of sight meets an object, in local coordinates.
#[derive(Clone, Copy, Debug)]
pub struct Hit {
    pub x: f32,
    pub y: f32,
    pub z: f32,
    pub kind: Kind,
    pub n: V3,
}

pub trait Shape: Send + Sync {
    /// Half sizes of a local rectangle that holds the whole object.
    fn half_extent(&self) -> V2;
    /// Highest point above the object's base.
    fn zmax(&self) -> f32;
    /// Solid material between `lo` and `hi` (mm) at local `(x, y)`.
    fn span(&self, x: f32, y: f32) -> Option<(f32, f32)>;
    /// Surface appearance at a hit; may also tweak the hit normal.
    fn material(&self, hit: &mut Hit) -> Material;
    /// An upper bound of `hi` over the disc of radius `r` around `(x, y)`.
    /// Lets the march skip empty space (deep cavities); the default, `zmax`,
    /// skips nothing. It must never be below the true maximum.
    fn ceiling(&self, _x: f32, _y: f32, _r: f32) -> f32 {
        self.zmax()
    }
    /// Whether `ceiling` is worth asking (saves a call per step otherwise).
    fn has_ceiling(&self) -> bool {
        false
    }
}

/// Lateral reach (mm) of one `Shape::ceiling` query while marching.
const SKIP_R: f32 = 8.0;

/// The image being composed, in linear-ish float RGB, with the id of the
/// top-most object per pixel centre (0 = table).
pub struct Canvas {
    pub w: usize,
    pub h: usize,
    pub rgb: Vec<[f32; 3]>,
    pub id: Vec<u16>,
    /// Height (mm above the table) of the visible surface; -1 on the table.
    pub z: Vec<f32>,
}

fn inside(shape: &dyn Shape, q0: V2, d: V2, t: f32) -> bool {
    let q = q0 - d * t;
    match shape.span(q.x, q.y) {
        Some((lo, hi)) => lo <= t && t <= hi,
        None => false,
    }
}

/// Highest `t` at which `(q0 - t d, t)` is inside the object, searching down
/// from `zmax` in steps of `dt`, then refined by bisection.
pub fn march(shape: &dyn Shape, q0: V2, d: V2, dt: f32) -> Option<f32> {
    let he = shape.half_extent();
    let (mut t0, mut t1) = (0.0f32, shape.zmax());
    // Clip the segment to the bounding rectangle (slab test).
    for (q, dd, e) in [(q0.x, d.x, he.x), (q0.y, d.y, he.y)] {
        if dd.abs() < 1e-9 {
            if q.abs() > e {
                return None;
            }
        } else {
            let ta = (q - e) / dd;
            let tb = (q + e) / dd;
            t0 = t0.max(ta.min(tb));
            t1 = t1.min(ta.max(tb));
        }
    }
    if t0 > t1 {
        return None;
    }
    let mut prev: Option<f32> = None;
    let mut t = t1;
    let dl = d.len();
    let skips = shape.has_ceiling();
    loop {
        if inside(shape, q0, d, t) {
            let Some(mut hi) = prev else { return Some(t) };
            let mut lo = t;
            for _ in 0..7 {
                let m = 0.5 * (lo + hi);
                if inside(shape, q0, d, m) {
                    lo = m;
                } else {
                    hi = m;
                }
            }
            return Some(lo);
        }
        if t <= t0 {
            return None;
        }
        prev = Some(t);
        // Within SKIP_R of q nothing reaches above `ceil`, so the line of
        // sight is empty down to `ceil` for as long as it stays that close.
        let ceil = if skips {
            let q = q0 - d * t;
            shape.ceiling(q.x, q.y, SKIP_R)
        } else {
            f32::MAX
        };
        let next = if ceil < t - dt {
            if dl > 1e-6 {
                (t - SKIP_R / dl).max(ceil)
            } else {
                ceil
            }
        } else {
            t - dt
        };
        t = next.max(t0);
    }
}

const EPS: f32 = 0.03;

/// Central difference of `f` with one-sided fallbacks; `miss` stands in for
/// empty neighbours when `Some`.
fn grad(
    shape: &dyn Shape,
    q: V2,
    centre: f32,
    pick: impl Fn((f32, f32)) -> f32,
    miss: Option<f32>,
) -> V2 {
    let val = |x: f32, y: f32| shape.span(x, y).map(&pick).or(miss);
    let axis = |p: Option<f32>, m: Option<f32>| match (p, m) {
        (Some(a), Some(b)) => (a - b) / (2.0 * EPS),
        (Some(a), None) => (a - centre) / EPS,
        (None, Some(b)) => (centre - b) / EPS,
        (None, None) => 0.0,
    };
    V2::new(
        axis(val(q.x + EPS, q.y), val(q.x - EPS, q.y)),
        axis(val(q.x, q.y + EPS), val(q.x, q.y - EPS)),
    )
}

/// Classifies the hit at `t` and finds its normal.
pub fn hit_at(shape: &dyn Shape, q0: V2, d: V2, t: f32) -> Hit {
    let q = q0 - d * t;
    let (lo, hi) = shape.span(q.x, q.y).unwrap_or((t, t));
    let tol = 0.02;
    let (kind, n) = if hi - t < tol {
        let g = grad(shape, q, hi, |s| s.1, None);
        (Kind::Top, V3::new(-g.x, -g.y, 1.0).norm())
    } else if t - lo < tol {
        let g = grad(shape, q, lo, |s| s.0, None);
        (Kind::Bottom, V3::new(g.x, g.y, -1.0).norm())
    } else {
        let g = grad(shape, q, hi, |s| s.1, Some(-50.0));
        let n = if g.len() > 1e-3 {
            V3::new(-g.x, -g.y, 0.0).norm()
        } else {
            V3::new(-d.x, -d.y, 0.0).norm()
        };
        (Kind::Wall, n)
    };
    Hit {
        x: q.x,
        y: q.y,
        z: t,
        kind,
        n,
    }
}

struct Sample {
    rgb: [f32; 3],
    z: f32,
    kind: Kind,
}

fn sample(
    shape: &dyn Shape,
    pl: &Placement,
    light: &Light,
    dt: f32,
    px: f32,
    py: f32,
) -> Option<Sample> {
    let q0 = pl.ainv.apply(V2::new(px, py) - pl.c);
    let t = march(shape, q0, pl.d_view, dt)?;
    let mut hit = hit_at(shape, q0, pl.d_view, t);
    let m = shape.material(&mut hit);
    Some(Sample {
        rgb: shade(&m, hit.n, pl.view, pl.light, light),
        z: hit.z,
        kind: hit.kind,
    })
}

/// Pixel rectangle `[x0, x1) × [y0, y1)` covering the object, clipped.
fn bbox(
    shape: &dyn Shape,
    pl: &Placement,
    extra: V2,
    w: usize,
    h: usize,
) -> Option<(usize, usize, usize, usize)> {
    let he = shape.half_extent();
    let mut mn = V2::new(f32::MAX, f32::MAX);
    let mut mx = V2::new(f32::MIN, f32::MIN);
    for sx in [-1.0, 1.0] {
        for sy in [-1.0, 1.0] {
            let base = pl.c + pl.a.apply(V2::new(sx * he.x, sy * he.y));
            for p in [base, base + extra] {
                mn = V2::new(mn.x.min(p.x), mn.y.min(p.y));
                mx = V2::new(mx.x.max(p.x), mx.y.max(p.y));
            }
        }
    }
    let x0 = (mn.x.floor() - 1.0).max(0.0) as usize;
    let y0 = (mn.y.floor() - 1.0).max(0.0) as usize;
    let x1 = ((mx.x.ceil() + 2.0).max(0.0) as usize).min(w);
    let y1 = ((mx.y.ceil() + 2.0).max(0.0) as usize).min(h);
    (x0 < x1 && y0 < y1).then_some((x0, y0, x1, y1))
}

/// Sub-pixel offsets (rotated grid) used to anti-alias edges.
const SUB: [(f32, f32); 4] = [
    (0.125, 0.375),
    (-0.375, 0.125),
    (0.375, -0.125),
    (-0.125, -0.375),
];

/// Draws `shape` into the canvas as instance `inst` where it is in front of
/// what is already there; returns how many pixel centres it won.
pub fn draw(
    canvas: &mut Canvas,
    shape: &dyn Shape,
    pl: &Placement,
    light: &Light,
    inst: u16,
) -> u32 {
    let kz = pl.k * shape.zmax();
    let Some((x0, y0, x1, y1)) = bbox(shape, pl, kz, canvas.w, canvas.h) else {
        return 0;
    };
    let kl = pl.k.len();
    let dt = if kl > 1e-6 { 1.0 / kl } else { shape.zmax() };
    let bw = x1 - x0;
    let bh = y1 - y0;
    // Height of the front-most surface decides visibility (a z-buffer: on
    // one line of sight, higher means nearer the camera).
    let front = |s: Option<Sample>, pix: usize| s.filter(|s| pl.z0 + s.z > canvas.z[pix]);
    let mut buf: Vec<Option<Sample>> = Vec::with_capacity(bw * bh);
    for y in y0..y1 {
        for x in x0..x1 {
            let s = sample(shape, pl, light, dt, x as f32 + 0.5, y as f32 + 0.5);
            buf.push(front(s, y * canvas.w + x));
        }
    }
    let at = |i: isize, j: isize| -> Option<&Sample> {
        if i < 0 || j < 0 || i >= bw as isize || j >= bh as isize {
            None
        } else {
            buf[j as usize * bw + i as usize].as_ref()
        }
    };
    let mut count = 0;
    let mut out: Vec<(usize, [f32; 3], Option<f32>)> = Vec::new();
    for j in 0..bh as isize {
        for i in 0..bw as isize {
            let c = at(i, j);
            let mut edge = false;
            for (di, dj) in [(-1, 0), (1, 0), (0, -1), (0, 1)] {
                let n = at(i + di, j + dj);
                edge |= match (c, n) {
                    (Some(a), Some(b)) => a.kind != b.kind || (a.z - b.z).abs() > 1.0,
                    (None, None) => false,
                    _ => true,
                };
            }
            if c.is_none() && !edge {
                continue;
            }
            let pix = (y0 + j as usize) * canvas.w + x0 + i as usize;
            let rgb = if edge {
                let under = canvas.rgb[pix];
                let mut acc = [0.0f32; 3];
                for (sx, sy) in SUB {
                    let px = (x0 as isize + i) as f32 + 0.5 + sx;
                    let py = (y0 as isize + j) as f32 + 0.5 + sy;
                    let s = front(sample(shape, pl, light, dt, px, py), pix);
                    let col = s.map_or(under, |s| s.rgb);
                    for k in 0..3 {
                        acc[k] += col[k] * 0.25;
                    }
                }
                acc
            } else {
                c.map_or([0.0; 3], |s| s.rgb)
            };
            out.push((pix, rgb, c.map(|s| pl.z0 + s.z)));
        }
    }
    for (pix, rgb, covered) in out {
        canvas.rgb[pix] = rgb;
        if let Some(z) = covered {
            canvas.id[pix] = inst;
            canvas.z[pix] = z;
            count += 1;
        }
    }
    count
}

/// Darkens the canvas with the object's soft cast shadow and contact
/// shadow (ambient occlusion at the base). Drawn before the object itself.
pub fn shadow(canvas: &mut Canvas, shape: &dyn Shape, pl: &Placement, light: &Light) {
    let drift = pl.a.apply(pl.d_light * shape.zmax());
    let pad = light.shadow_blur * 3.0 + 3.0 * pl.scale + 4.0;
    let Some((x0, y0, x1, y1)) = bbox(shape, pl, drift, canvas.w, canvas.h) else {
        return;
    };
    let x0 = (x0 as f32 - pad).max(0.0) as usize;
    let y0 = (y0 as f32 - pad).max(0.0) as usize;
    let x1 = ((x1 as f32 + pad) as usize).min(canvas.w);
    let y1 = ((y1 as f32 + pad) as usize).min(canvas.h);
    // Half-resolution grid: shadows are blurred anyway.
    let cw = (x1 - x0).div_ceil(2);
    let ch = (y1 - y0).div_ceil(2);
    let dl = pl.a.apply(pl.d_light).len();
    let dt = if dl > 1e-6 { 2.0 / dl } else { shape.zmax() };
    let mut cast = vec![0.0f32; cw * ch];
    let mut contact = vec![0.0f32; cw * ch];
    for j in 0..ch {
        for i in 0..cw {
            let p = V2::new((x0 + 2 * i) as f32 + 1.0, (y0 + 2 * j) as f32 + 1.0);
            let q0 = pl.ainv.apply(p - pl.c);
            if march(shape, q0, pl.d_light, dt).is_some() {
                cast[j * cw + i] = 1.0;
            }
            if let Some((lo, _)) = shape.span(q0.x, q0.y)
                && lo <= 1.0
            {
                contact[j * cw + i] = 1.0;
            }
        }
    }
    let rb = (light.shadow_blur * 0.5).round().max(1.0) as usize;
    box_blur(&mut cast, cw, ch, rb);
    box_blur(&mut cast, cw, ch, rb);
    let rc = (pl.scale * 1.5).round().max(1.0) as usize;
    box_blur(&mut contact, cw, ch, rc);
    box_blur(&mut contact, cw, ch, rc);
    for y in y0..y1 {
        for x in x0..x1 {
            let i = ((x - x0) / 2).min(cw - 1);
            let j = ((y - y0) / 2).min(ch - 1);
            // Shadows fall on what lies below the object, not on taller
            // neighbours.
            let under = canvas.z[y * canvas.w + x];
            let v = if under < pl.z0 + 0.5 * shape.zmax() {
                cast[j * cw + i] * light.shadow
            } else {
                0.0
            };
            let c = if under < pl.z0 + 1.0 {
                (contact[j * cw + i] * 1.6).min(1.0) * 0.55
            } else {
                0.0
            };
            let dark = v.max(c);
            if dark > 0.0 {
                let px = &mut canvas.rgb[y * canvas.w + x];
                for ch in px.iter_mut() {
                    *ch *= 1.0 - dark;
                }
            }
        }
    }
}
