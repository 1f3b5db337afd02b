//! Ring simplification (Douglas–Peucker on closed rings).

use super::{Point, bounds, paint_polygon};

/// Simplifies a closed ring so that no removed vertex lies farther than `tolerance` pixels from the
/// simplified ring. Returns the ring unchanged when `tolerance <= 0` or it has fewer than 4 vertices,
/// and never returns fewer than 3 vertices.
pub fn simplify_ring(ring: &[Point], tolerance: f32) -> Vec<Point> {
    let n = ring.len();
    if tolerance <= 0.0 || n < 4 {
        return ring.to_vec();
    }
    // Split the ring at two far-apart vertices, then simplify both open chains.
    let a = 0usize;
    let b = (1..n)
        .max_by(|&i, &j| dist2(ring[a], ring[i]).total_cmp(&dist2(ring[a], ring[j])))
        .unwrap_or(n / 2);
    let mut keep = vec![false; n];
    keep[a] = true;
    keep[b] = true;
    let tol2 = f64::from(tolerance) * f64::from(tolerance);
    douglas_peucker(ring, a, b, tol2, &mut keep);
    douglas_peucker(ring, b, n, tol2, &mut keep);
    let mut out: Vec<Point> = (0..n).filter(|&i| keep[i]).map(|i| ring[i]).collect();
    if out.len() < 3 {
        // Too thin to simplify: keep the three vertices that span the most area.
        let c = (0..n)
            .filter(|&i| i != a && i != b)
            .max_by(|&i, &j| {
                segment_dist2(ring[i], ring[a], ring[b])
                    .total_cmp(&segment_dist2(ring[j], ring[a], ring[b]))
            })
            .unwrap_or(1);
        let mut idx = [a, b, c];
        idx.sort_unstable();
        out = idx.iter().map(|&i| ring[i]).collect();
    }
    out
}

/// Simplifies an open polyline (Douglas–Peucker): its ends stay, and no removed vertex lies
/// farther than `tolerance` pixels from the result.
pub fn simplify_chain(chain: &[Point], tolerance: f32) -> Vec<Point> {
    let n = chain.len();
    if n < 3 || tolerance <= 0.0 {
        return chain.to_vec();
    }
    let mut keep = vec![false; n];
    keep[0] = true;
    keep[n - 1] = true;
    let tol2 = f64::from(tolerance) * f64::from(tolerance);
    douglas_peucker(chain, 0, n - 1, tol2, &mut keep);
    (0..n).filter(|&i| keep[i]).map(|i| chain[i]).collect()
}

/// Marks the vertices to keep on the open chain `first..=last` (index `n` stands for vertex 0).
fn douglas_peucker(ring: &[Point], first: usize, last: usize, tol2: f64, keep: &mut [bool]) {
    let n = ring.len();
    let mut stack = vec![(first, last)];
    while let Some((s, e)) = stack.pop() {
        if e <= s + 1 {
            continue;
        }
        let (p0, p1) = (ring[s % n], ring[e % n]);
        let mut worst = (0.0f64, s);
        for i in s + 1..e {
            let d = segment_dist2(ring[i % n], p0, p1);
            if d > worst.0 {
                worst = (d, i);
            }
        }
        if worst.0 > tol2 {
            keep[worst.1 % n] = true;
            stack.push((s, worst.1));
            stack.push((worst.1, e));
        }
    }
}

fn dist2(a: Point, b: Point) -> f64 {
    let dx = f64::from(a[0]) - f64::from(b[0]);
    let dy = f64::from(a[1]) - f64::from(b[1]);
    dx * dx + dy * dy
}

/// Squared distance from `p` to the segment `a`–`b`.
fn segment_dist2(p: Point, a: Point, b: Point) -> f64 {
    let (ax, ay) = (f64::from(a[0]), f64::from(a[1]));
    let (dx, dy) = (f64::from(b[0]) - ax, f64::from(b[1]) - ay);
    let (px, py) = (f64::from(p[0]) - ax, f64::from(p[1]) - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        ((px * dx + py * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (ex, ey) = (px - t * dx, py - t * dy);
    ex * ex + ey * ey
}

/// The smallest pixel IoU a simplified region must keep with its exact outline; small objects (a nut of
/// 180 pixels) would lose 15% of their area to a full 1-pixel simplification.
pub const MIN_SIMPLIFIED_IOU: f64 = 0.99;

/// Simplifies a region's rings within `tolerance`, halving the tolerance until the rasterised result keeps
/// an IoU of at least [`MIN_SIMPLIFIED_IOU`] with the exact rings (which reproduce the pixels exactly).
pub fn simplify_faithfully(
    outer: &[Point],
    holes: &[Vec<Point>],
    tolerance: f32,
) -> (Vec<Point>, Vec<Vec<Point>>) {
    let Some([x0, y0, x1, y1]) = bounds(outer) else {
        return (outer.to_vec(), holes.to_vec());
    };
    let (ox, oy) = (x0.floor(), y0.floor());
    let (w, h) = ((x1 - ox).ceil() as u32 + 1, (y1 - oy).ceil() as u32 + 1);
    let shift =
        |ring: &[Point]| -> Vec<Point> { ring.iter().map(|&[x, y]| [x - ox, y - oy]).collect() };
    let raster = |outer: &[Point], holes: &[Vec<Point>]| -> Vec<u8> {
        let mut buf = vec![0u8; w as usize * h as usize];
        let rings: Vec<Vec<Point>> = std::iter::once(shift(outer))
            .chain(holes.iter().map(|r| shift(r)))
            .collect();
        paint_polygon(rings.iter().map(Vec::as_slice), &mut buf, w, h, 1);
        buf
    };
    let exact = raster(outer, holes);
    let mut tol = tolerance;
    while tol >= 0.05 {
        let s_outer = simplify_ring(outer, tol);
        let s_holes: Vec<Vec<Point>> = holes.iter().map(|r| simplify_ring(r, tol)).collect();
        let simplified = raster(&s_outer, &s_holes);
        let (mut inter, mut union) = (0u64, 0u64);
        for (&a, &b) in exact.iter().zip(&simplified) {
            inter += u64::from(a & b);
            union += u64::from(a | b);
        }
        if union == 0 || inter as f64 / union as f64 >= MIN_SIMPLIFIED_IOU {
            return (s_outer, s_holes);
        }
        tol /= 2.0;
    }
    (outer.to_vec(), holes.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_near_collinear_vertices_within_tolerance() {
        let ring = vec![
            [0.0, 0.0],
            [5.0, 0.3],
            [10.0, 0.0],
            [10.0, 10.0],
            [5.0, 9.6],
            [0.0, 10.0],
        ];
        let simplified = simplify_ring(&ring, 0.5);
        assert_eq!(
            simplified,
            vec![[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]]
        );
        let strict = simplify_ring(&ring, 0.2);
        assert_eq!(strict.len(), 6);
    }

    #[test]
    fn every_removed_vertex_is_within_tolerance() {
        let ring: Vec<Point> = (0..200)
            .map(|i| {
                let t = i as f32 / 200.0 * std::f32::consts::TAU;
                let r = 50.0 + 3.0 * (t * 7.0).sin();
                [60.0 + r * t.cos(), 60.0 + r * t.sin()]
            })
            .collect();
        let simplified = simplify_ring(&ring, 1.0);
        assert!(simplified.len() < ring.len() / 2);
        let n = simplified.len();
        for &p in &ring {
            let d = (0..n)
                .map(|i| segment_dist2(p, simplified[i], simplified[(i + 1) % n]))
                .fold(f64::INFINITY, f64::min);
            assert!(
                d.sqrt() <= 1.0 + 1e-6,
                "vertex {p:?} is {} px away",
                d.sqrt()
            );
        }
    }
}
