//! Ring simplification (Douglas–Peucker on closed rings).

use super::Point;

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
