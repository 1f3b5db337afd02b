//! Scan-line rasterisation of polygons with holes by the pixel-centre rule.
//!
//! Every exporter, the trainer and the viewer overlay use this one rasteriser, so a mask means the same
//! thing everywhere: pixel `(x, y)` is inside when its centre `(x + 0.5, y + 0.5)` is inside the polygon
//! by the even-odd rule over all rings (outer ring and holes). Centres exactly on a left edge are inside,
//! on a right edge outside, so two polygons sharing an edge never both claim a pixel.

use super::Point;

struct Edge {
    y_top: f64,
    y_bottom: f64,
    x_at_top: f64,
    dx_per_y: f64,
}

/// Calls `span(y, x_start, x_end)` for every run of covered pixels `x_start..x_end` on row `y`,
/// clipped to a `width × height` image.
pub fn fill_polygon_spans<'a>(
    rings: impl IntoIterator<Item = &'a [Point]>,
    width: u32,
    height: u32,
    span: impl FnMut(u32, u32, u32),
) {
    fill_polygon_spans_in(rings, [0, 0, width, height], span);
}

/// [`fill_polygon_spans`] clipped to the pixel window `[x0, y0, x1, y1)` (image coordinates, as
/// are the spans): the same pixels as the whole image's spans cut to the window, so a region
/// redrawn on its own matches the full rasterisation exactly.
pub fn fill_polygon_spans_in<'a>(
    rings: impl IntoIterator<Item = &'a [Point]>,
    window: [u32; 4],
    mut span: impl FnMut(u32, u32, u32),
) {
    let [wx0, wy0, wx1, wy1] = window;
    let mut edges: Vec<Edge> = Vec::new();
    for ring in rings {
        let n = ring.len();
        if n < 3 {
            continue;
        }
        for i in 0..n {
            let a = ring[i];
            let b = ring[(i + 1) % n];
            let (ax, ay, bx, by) = (
                f64::from(a[0]),
                f64::from(a[1]),
                f64::from(b[0]),
                f64::from(b[1]),
            );
            if ay.total_cmp(&by).is_eq() || !ay.is_finite() || !by.is_finite() {
                continue;
            }
            let (top, bottom) = if ay < by {
                ((ax, ay), (bx, by))
            } else {
                ((bx, by), (ax, ay))
            };
            edges.push(Edge {
                y_top: top.1,
                y_bottom: bottom.1,
                x_at_top: top.0,
                dx_per_y: (bottom.0 - top.0) / (bottom.1 - top.1),
            });
        }
    }
    if edges.is_empty() || wx1 <= wx0 || wy1 <= wy0 {
        return;
    }
    // Sort by the first row whose centre an edge can cross, then sweep with an active list.
    edges.sort_by(|a, b| a.y_top.total_cmp(&b.y_top));
    let first_row = |y_top: f64| (y_top - 0.5).ceil().max(f64::from(wy0));
    let start_row = first_row(edges[0].y_top) as u32;
    let mut next_edge = 0usize;
    let mut active: Vec<usize> = Vec::new();
    let mut crossings: Vec<f64> = Vec::new();
    for y in start_row..wy1 {
        let yc = f64::from(y) + 0.5;
        while next_edge < edges.len() && edges[next_edge].y_top <= yc {
            active.push(next_edge);
            next_edge += 1;
        }
        // Half-open rule: an edge covers centres with y_top <= yc < y_bottom.
        active.retain(|&e| edges[e].y_bottom > yc);
        if active.is_empty() {
            if next_edge >= edges.len() {
                break;
            }
            continue;
        }
        crossings.clear();
        crossings.extend(active.iter().map(|&e| {
            let edge = &edges[e];
            edge.x_at_top + (yc - edge.y_top) * edge.dx_per_y
        }));
        crossings.sort_by(f64::total_cmp);
        for pair in crossings.chunks_exact(2) {
            // Pixel x is covered when pair[0] <= x + 0.5 < pair[1].
            let x_start = (pair[0] - 0.5).ceil().max(f64::from(wx0));
            let x_end = (pair[1] - 0.5).ceil().min(f64::from(wx1));
            if x_end > x_start {
                span(y, x_start as u32, x_end as u32);
            }
        }
    }
}

/// Paints `value` into a row-major `width × height` buffer wherever the polygon covers a pixel.
pub fn paint_polygon<'a>(
    rings: impl IntoIterator<Item = &'a [Point]>,
    buffer: &mut [u8],
    width: u32,
    height: u32,
    value: u8,
) {
    debug_assert_eq!(buffer.len(), width as usize * height as usize);
    fill_polygon_spans(rings, width, height, |y, x0, x1| {
        let row = y as usize * width as usize;
        buffer[row + x0 as usize..row + x1 as usize].fill(value);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raster(rings: &[Vec<Point>], w: u32, h: u32) -> Vec<u8> {
        let mut buf = vec![0u8; (w * h) as usize];
        paint_polygon(rings.iter().map(Vec::as_slice), &mut buf, w, h, 1);
        buf
    }

    #[test]
    fn axis_aligned_rectangle_covers_exactly_its_pixels() {
        // The rectangle (1,1)-(4,3) covers pixel centres x in {1.5,2.5,3.5}, y in {1.5,2.5}: 6 pixels.
        let rect = vec![[1.0, 1.0], [4.0, 1.0], [4.0, 3.0], [1.0, 3.0]];
        let buf = raster(&[rect], 6, 5);
        let covered: Vec<(usize, usize)> = (0..30)
            .filter(|&i| buf[i] == 1)
            .map(|i| (i % 6, i / 6))
            .collect();
        assert_eq!(
            covered,
            vec![(1, 1), (2, 1), (3, 1), (1, 2), (2, 2), (3, 2)]
        );
    }

    #[test]
    fn hole_is_left_empty() {
        let outer = vec![[0.0, 0.0], [6.0, 0.0], [6.0, 6.0], [0.0, 6.0]];
        let hole = vec![[2.0, 2.0], [2.0, 4.0], [4.0, 4.0], [4.0, 2.0]];
        let buf = raster(&[outer, hole], 6, 6);
        assert_eq!(buf.iter().filter(|&&v| v == 1).count(), 36 - 4);
        assert_eq!(buf[2 * 6 + 2], 0);
        assert_eq!(buf[3 * 6 + 3], 0);
        assert_eq!(buf[6 + 1], 1);
    }

    #[test]
    fn triangle_matches_hand_count() {
        // Right triangle (0,0),(4,0),(0,4): centre (x+.5,y+.5) inside iff x+y+1 < 4, i.e. x+y <= 2:
        // 3 + 2 + 1 = 6 pixels. Centres exactly on the hypotenuse (x+y+1 == 4) are outside (right edge).
        let tri = vec![[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]];
        let buf = raster(&[tri], 4, 4);
        let count = buf.iter().filter(|&&v| v == 1).count();
        assert_eq!(count, 6);
    }

    #[test]
    fn polygon_outside_image_is_clipped() {
        let rect = vec![[-5.0, -5.0], [2.0, -5.0], [2.0, 2.0], [-5.0, 2.0]];
        let buf = raster(&[rect], 4, 4);
        assert_eq!(buf.iter().filter(|&&v| v == 1).count(), 4);
    }

    #[test]
    fn shared_edge_is_claimed_once() {
        let left = vec![[0.0, 0.0], [2.5, 0.0], [2.5, 4.0], [0.0, 4.0]];
        let right = vec![[2.5, 0.0], [5.0, 0.0], [5.0, 4.0], [2.5, 4.0]];
        let mut counts = vec![0u8; 20];
        for poly in [left, right] {
            fill_polygon_spans([poly.as_slice()], 5, 4, |y, x0, x1| {
                for x in x0..x1 {
                    counts[(y * 5 + x) as usize] += 1;
                }
            });
        }
        assert!(counts.iter().all(|&c| c == 1), "{counts:?}");
    }

    #[test]
    fn a_window_gets_the_pixels_of_the_whole_image_inside_it() {
        // The square (1,1)-(9,9) less the hole (4,4)-(6,6), seen through the window 3..6 × 3..6
        // that covers the hole's top-left corner: counted by hand, 5 of its 9 pixels.
        let outer = vec![[1.0, 1.0], [9.0, 1.0], [9.0, 9.0], [1.0, 9.0]];
        let hole = vec![[4.0, 4.0], [6.0, 4.0], [6.0, 6.0], [4.0, 6.0]];
        let mut covered = Vec::new();
        fill_polygon_spans_in(
            [outer.as_slice(), hole.as_slice()],
            [3, 3, 6, 6],
            |y, x0, x1| covered.extend((x0..x1).map(|x| (x, y))),
        );
        // Pixels 3..6 in both axes, less the hole's 4..6 × 4..6.
        let expected: Vec<(u32, u32)> = (3..6)
            .flat_map(|y| (3..6).map(move |x| (x, y)))
            .filter(|&(x, y)| !(x >= 4 && y >= 4))
            .collect();
        assert_eq!(covered, expected);
    }
}
