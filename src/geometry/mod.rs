//! Plane geometry of annotations: rings, polygons with holes, their rasterisation and their tracing
//! from masks.
//!
//! Coordinates are image coordinates in pixels with the origin at the top-left *corner* of the image:
//! pixel `(x, y)` covers `[x, x+1) × [y, y+1)` and its centre is `(x + 0.5, y + 0.5)`. A polygon covers
//! a pixel when it contains the pixel's centre (the usual pixel-centre rule).

mod contour;
mod raster;
mod simplify;

pub use contour::{LabelComponent, trace_label_components};
pub use raster::{fill_polygon_spans, fill_polygon_spans_in, paint_polygon};
pub use simplify::{MIN_SIMPLIFIED_IOU, simplify_chain, simplify_faithfully, simplify_ring};

/// A point in image coordinates (pixels; see the module docs for the convention).
pub type Point = [f32; 2];

/// Twice the signed area of a closed ring; positive for clockwise rings on screen (y pointing down).
pub fn ring_signed_area2(ring: &[Point]) -> f64 {
    let n = ring.len();
    if n < 3 {
        return 0.0;
    }
    let mut sum = 0.0f64;
    for i in 0..n {
        let [x0, y0] = ring[i];
        let [x1, y1] = ring[(i + 1) % n];
        sum += f64::from(x0) * f64::from(y1) - f64::from(x1) * f64::from(y0);
    }
    sum
}

/// The absolute area of a closed ring in square pixels.
pub fn ring_area(ring: &[Point]) -> f64 {
    ring_signed_area2(ring).abs() / 2.0
}

/// Axis-aligned bounds `[min_x, min_y, max_x, max_y]` of a set of points, `None` when empty.
pub fn bounds(points: &[Point]) -> Option<[f32; 4]> {
    let first = points.first()?;
    let mut b = [first[0], first[1], first[0], first[1]];
    for &[x, y] in points {
        b[0] = b[0].min(x);
        b[1] = b[1].min(y);
        b[2] = b[2].max(x);
        b[3] = b[3].max(y);
    }
    Some(b)
}

/// Whether `p` lies inside the polygon made of `rings` (outer ring plus holes), by the even-odd rule.
pub fn polygon_contains<'a>(rings: impl IntoIterator<Item = &'a [Point]>, p: Point) -> bool {
    let (px, py) = (f64::from(p[0]), f64::from(p[1]));
    let mut inside = false;
    for ring in rings {
        let n = ring.len();
        for i in 0..n {
            let (x0, y0) = (f64::from(ring[i][0]), f64::from(ring[i][1]));
            let j = (i + 1) % n;
            let (x1, y1) = (f64::from(ring[j][0]), f64::from(ring[j][1]));
            if (y0 <= py) != (y1 <= py) {
                let x = x0 + (py - y0) * (x1 - x0) / (y1 - y0);
                if px < x {
                    inside = !inside;
                }
            }
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_of_unit_square_is_one_and_clockwise_positive() {
        let square = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]];
        assert!((ring_signed_area2(&square) - 2.0).abs() < 1e-12);
        let mut reversed = square;
        reversed.reverse();
        assert!((ring_signed_area2(&reversed) + 2.0).abs() < 1e-12);
        assert!((ring_area(&reversed) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn contains_respects_holes() {
        let outer = vec![[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]];
        let hole = vec![[3.0, 3.0], [3.0, 7.0], [7.0, 7.0], [7.0, 3.0]];
        let rings = [outer.as_slice(), hole.as_slice()];
        assert!(polygon_contains(rings, [1.0, 1.0]));
        assert!(!polygon_contains(rings, [5.0, 5.0]));
        assert!(!polygon_contains(rings, [11.0, 5.0]));
    }
}
