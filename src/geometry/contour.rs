//! Tracing label images into polygons with holes.
//!
//! Each 4-connected region of equal label becomes one [`LabelComponent`] with an outer ring and its hole
//! rings. Rings run through the midpoints of the region's boundary pixel edges: such a ring covers exactly
//! the region's pixels under the pixel-centre rule (a convex corner cuts off a corner of an inside pixel
//! but never its centre; a concave corner adds a corner of an outside pixel but never its centre), and
//! a 45° staircase becomes one straight edge instead of a saw tooth, which simplification then keeps.

use super::Point;

/// One 4-connected region of a label image.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelComponent {
    /// The label value of the region.
    pub label: u8,
    /// Number of pixels of the region (holes excluded).
    pub pixels: usize,
    /// Outer ring, clockwise on screen.
    pub outer: Vec<Point>,
    /// Hole rings, counter-clockwise on screen, each with the number of pixels it encloses.
    pub holes: Vec<(Vec<Point>, usize)>,
}

// Directions in screen coordinates: right, down, left, up.
const STEP: [(i32, i32); 4] = [(1, 0), (0, 1), (-1, 0), (0, -1)];

/// Traces every 4-connected region whose label is not `skip` (typically the background).
///
/// `labels` is a row-major `width × height` image. Components come out in raster order of their first
/// pixel.
pub fn trace_label_components(
    labels: &[u8],
    width: u32,
    height: u32,
    skip: Option<u8>,
) -> Vec<LabelComponent> {
    let (w, h) = (width as usize, height as usize);
    assert_eq!(
        labels.len(),
        w * h,
        "label buffer does not match {width}x{height}"
    );
    let (component_of, sizes) = label_components(labels, w, h);

    let inside = |c: u32, x: i32, y: i32| -> bool {
        x >= 0
            && y >= 0
            && (x as usize) < w
            && (y as usize) < h
            && component_of[y as usize * w + x as usize] == c
    };
    // Whether the boundary edge leaving vertex (vx, vy) in direction `d` exists for component c,
    // with the component on the right-hand side of the edge.
    let edge_exists = |c: u32, vx: i32, vy: i32, d: usize| -> bool {
        match d {
            0 => inside(c, vx, vy) && !inside(c, vx, vy - 1),
            1 => inside(c, vx - 1, vy) && !inside(c, vx, vy),
            2 => inside(c, vx - 1, vy - 1) && !inside(c, vx - 1, vy),
            _ => inside(c, vx, vy - 1) && !inside(c, vx - 1, vy - 1),
        }
    };
    // The pixel whose side an edge is, and which side (0 top, 1 right, 2 bottom, 3 left).
    let side_of = |vx: i32, vy: i32, d: usize| -> (usize, u8) {
        let (px, py, side) = match d {
            0 => (vx, vy, 0u8),
            1 => (vx - 1, vy, 1),
            2 => (vx - 1, vy - 1, 2),
            _ => (vx, vy - 1, 3),
        };
        (py as usize * w + px as usize, side)
    };

    let mut visited = vec![0u8; w * h];
    let mut rings: Vec<Vec<(Vec<Point>, f64)>> = vec![Vec::new(); sizes.len()];
    let mut first_pixel: Vec<usize> = vec![usize::MAX; sizes.len()];
    for y in 0..h {
        for x in 0..w {
            let idx = y * w + x;
            let c = component_of[idx];
            if skip == Some(labels[idx]) {
                continue;
            }
            if first_pixel[c as usize] == usize::MAX {
                first_pixel[c as usize] = idx;
            }
            // Start a ring on every unvisited boundary side of this pixel.
            let (xi, yi) = (x as i32, y as i32);
            let starts = [
                (xi, yi, 0usize),
                (xi + 1, yi, 1),
                (xi + 1, yi + 1, 2),
                (xi, yi + 1, 3),
            ];
            for (side, &(vx, vy, d)) in starts.iter().enumerate() {
                if visited[idx] & (1 << side) != 0 || !edge_exists(c, vx, vy, d) {
                    continue;
                }
                let ring = trace_ring(c, vx, vy, d, &edge_exists, &side_of, &mut visited);
                let area2 = super::ring_signed_area2(&ring);
                rings[c as usize].push((ring, area2));
            }
        }
    }

    let mut order: Vec<u32> = (0..sizes.len() as u32)
        .filter(|&c| first_pixel[c as usize] != usize::MAX)
        .collect();
    order.sort_by_key(|&c| first_pixel[c as usize]);
    order
        .into_iter()
        .filter_map(|c| {
            let label = labels[first_pixel[c as usize]];
            let mut outer = None;
            let mut holes = Vec::new();
            for (ring, area2) in std::mem::take(&mut rings[c as usize]) {
                if area2 > 0.0 && outer.is_none() {
                    outer = Some(ring);
                } else {
                    // A hole ring through edge midpoints encloses its pixels minus half a pixel per
                    // corner; count the hole's pixels exactly from the area of the crack polygon instead.
                    let pixels = hole_pixels(&ring);
                    holes.push((ring, pixels));
                }
            }
            Some(LabelComponent {
                label,
                pixels: sizes[c as usize],
                outer: outer?,
                holes,
            })
        })
        .collect()
}

fn trace_ring(
    c: u32,
    start_x: i32,
    start_y: i32,
    start_d: usize,
    edge_exists: &impl Fn(u32, i32, i32, usize) -> bool,
    side_of: &impl Fn(i32, i32, usize) -> (usize, u8),
    visited: &mut [u8],
) -> Vec<Point> {
    // Midpoints of every boundary edge with their direction.
    let mut edges: Vec<(Point, usize)> = Vec::new();
    let (mut vx, mut vy, mut d) = (start_x, start_y, start_d);
    loop {
        let (pixel, side) = side_of(vx, vy, d);
        visited[pixel] |= 1 << side;
        let (dx, dy) = STEP[d];
        edges.push((
            [vx as f32 + 0.5 * dx as f32, vy as f32 + 0.5 * dy as f32],
            d,
        ));
        vx += dx;
        vy += dy;
        // Prefer the right turn: it keeps diagonal neighbours apart (4-connectivity).
        d = [(d + 1) % 4, d, (d + 3) % 4]
            .into_iter()
            .find(|&nd| edge_exists(c, vx, vy, nd))
            .expect("a boundary edge always continues");
        if vx == start_x && vy == start_y && d == start_d {
            break;
        }
    }
    // Keep the first and last midpoint of every straight run: the ring between them is straight.
    let n = edges.len();
    (0..n)
        .filter(|&i| {
            let d = edges[i].1;
            edges[(i + n - 1) % n].1 != d || edges[(i + 1) % n].1 != d
        })
        .map(|i| edges[i].0)
        .collect()
}

/// Pixels enclosed by a hole ring traced through edge midpoints: its area plus the quarter pixel that each
/// convex-for-the-hole corner cut (which is all of them net of the reflex ones: (convex − reflex) = 4).
fn hole_pixels(ring: &[Point]) -> usize {
    let area = super::ring_area(ring);
    // A midpoint ring loses 1/8 pixel at each convex corner and gains 1/8 at each reflex corner relative to
    // the crack polygon; for a simple rectilinear ring convex − reflex = 4, so the loss is 0.5 pixel.
    (area + 0.5).round() as usize
}

fn find(parent: &mut [u32], mut i: u32) -> u32 {
    while parent[i as usize] != i {
        parent[i as usize] = parent[parent[i as usize] as usize];
        i = parent[i as usize];
    }
    i
}

/// 4-connected labelling of equal values; returns the component index of every pixel and the sizes.
fn label_components(labels: &[u8], w: usize, h: usize) -> (Vec<u32>, Vec<usize>) {
    let mut parent: Vec<u32> = Vec::new();
    let mut component_of = vec![0u32; w * h];
    for y in 0..h {
        for x in 0..w {
            let idx = y * w + x;
            let v = labels[idx];
            let left = (x > 0 && labels[idx - 1] == v).then(|| component_of[idx - 1]);
            let up = (y > 0 && labels[idx - w] == v).then(|| component_of[idx - w]);
            component_of[idx] = match (left, up) {
                (None, None) => {
                    let id = parent.len() as u32;
                    parent.push(id);
                    id
                }
                (Some(a), None) | (None, Some(a)) => a,
                (Some(a), Some(b)) => {
                    let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                    if ra != rb {
                        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
                        parent[hi as usize] = lo;
                    }
                    a.min(b)
                }
            };
        }
    }
    // Compact roots to dense ids.
    let mut dense = vec![u32::MAX; parent.len()];
    let mut sizes = Vec::new();
    for c in &mut component_of {
        let root = find(&mut parent, *c);
        if dense[root as usize] == u32::MAX {
            dense[root as usize] = sizes.len() as u32;
            sizes.push(0);
        }
        *c = dense[root as usize];
        sizes[*c as usize] += 1;
    }
    (component_of, sizes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::paint_polygon;

    fn from_ascii(rows: &[&str]) -> (Vec<u8>, u32, u32) {
        let h = rows.len() as u32;
        let w = rows[0].len() as u32;
        let data = rows
            .iter()
            .flat_map(|r| r.bytes().map(|b| if b == b'.' { 0 } else { b - b'0' }))
            .collect();
        (data, w, h)
    }

    fn rasterise(components: &[LabelComponent], w: u32, h: u32) -> Vec<u8> {
        let mut out = vec![0u8; (w * h) as usize];
        for comp in components {
            let rings = std::iter::once(comp.outer.as_slice())
                .chain(comp.holes.iter().map(|(r, _)| r.as_slice()));
            paint_polygon(rings, &mut out, w, h, comp.label);
        }
        out
    }

    #[test]
    fn square_gives_one_ring_of_midpoints() {
        let (labels, w, h) = from_ascii(&["....", ".11.", ".11.", "...."]);
        let comps = trace_label_components(&labels, w, h, Some(0));
        assert_eq!(comps.len(), 1);
        assert_eq!(comps[0].pixels, 4);
        // An octagon through the edge midpoints of the 2x2 block.
        assert_eq!(comps[0].outer.len(), 8);
        assert!(comps[0].holes.is_empty());
        assert_eq!(rasterise(&comps, w, h), labels);
    }

    #[test]
    fn ring_with_hole_round_trips() {
        let rows = [
            ".......", ".11111.", ".1...1.", ".1...1.", ".11111.", ".......",
        ];
        let (labels, w, h) = from_ascii(&rows);
        let comps = trace_label_components(&labels, w, h, Some(0));
        assert_eq!(comps.len(), 1);
        assert_eq!(comps[0].holes.len(), 1);
        assert_eq!(comps[0].holes[0].1, 6, "the hole encloses 3x2 pixels");
        assert_eq!(comps[0].pixels, 14);
        assert_eq!(rasterise(&comps, w, h), labels);
    }

    #[test]
    fn diagonal_pixels_are_separate_components_and_several_labels_trace() {
        let rows = ["1.2.", ".1.2", "3333", "3..3"];
        let (labels, w, h) = from_ascii(&rows);
        let comps = trace_label_components(&labels, w, h, Some(0));
        let summary: Vec<(u8, usize)> = comps.iter().map(|c| (c.label, c.pixels)).collect();
        assert_eq!(summary, vec![(1, 1), (2, 1), (1, 1), (2, 1), (3, 6)]);
        assert_eq!(rasterise(&comps, w, h), labels);
    }

    #[test]
    fn random_blobs_round_trip_exactly() {
        // A deterministic pseudo-random label image with many pinches, holes and touching regions.
        let (w, h) = (37u32, 29u32);
        let mut state = 12345u32;
        let mut labels = vec![0u8; (w * h) as usize];
        for v in &mut labels {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            *v = ((state >> 16) % 4) as u8;
        }
        let comps = trace_label_components(&labels, w, h, Some(0));
        assert_eq!(rasterise(&comps, w, h), labels);
        let total: usize = comps.iter().map(|c| c.pixels).sum();
        assert_eq!(total, labels.iter().filter(|&&v| v != 0).count());
    }
}
