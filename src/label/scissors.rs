//! Intelligent scissors (live wire, Mortensen & Barrett 1995): between two clicks the outline
//! follows the cheapest path through the photo, and a path is cheap along strong edges.
//!
//! - [`CostMap`]: one cost per pixel, low on edges: the gradient magnitude (Sobel, the strongest
//!   of the three colour channels) inverted, plus a penalty off the Laplacian's zero crossings,
//!   quantised to 0–255 so that the search can use integer buckets.
//! - [`PathTree`]: the shortest paths from one seed to every pixel of a window around it
//!   (Dijkstra with a bucket queue: step costs are small integers, so the queue is a ring of
//!   buckets and each pixel costs O(1)). Moving the cursor then only walks back from the cursor
//!   to the seed, which is what makes the live preview cheap.

use crate::geometry::{Point, simplify_chain};
use crate::label::mask_edit::Photo;

/// Pixels of the window around the seed that a search covers, each way (bounds the work on large
/// photos; a longer path needs an intermediate click).
pub const SEARCH_RADIUS: u32 = 400;

/// Per-pixel cost of passing through, 0 (strong edge) to 255 (flat).
#[derive(Clone, Debug)]
pub struct CostMap {
    pub width: u32,
    pub height: u32,
    pub cost: Vec<u8>,
}

impl CostMap {
    pub fn of_photo(photo: &Photo) -> Self {
        let (w, h) = (photo.width as usize, photo.height as usize);
        let at = |x: usize, y: usize, c: usize| i32::from(photo.rgb[(y * w + x) * 3 + c]);
        let mut gradient = vec![0f32; w * h];
        let mut laplace = vec![0i32; w * h];
        for y in 1..h.saturating_sub(1) {
            for x in 1..w.saturating_sub(1) {
                let mut best = 0i32;
                let mut lap = 0i32;
                for c in 0..3 {
                    let gx = at(x + 1, y - 1, c) + 2 * at(x + 1, y, c) + at(x + 1, y + 1, c)
                        - at(x - 1, y - 1, c)
                        - 2 * at(x - 1, y, c)
                        - at(x - 1, y + 1, c);
                    let gy = at(x - 1, y + 1, c) + 2 * at(x, y + 1, c) + at(x + 1, y + 1, c)
                        - at(x - 1, y - 1, c)
                        - 2 * at(x, y - 1, c)
                        - at(x + 1, y - 1, c);
                    let g = gx * gx + gy * gy;
                    if g > best {
                        best = g;
                        lap = at(x + 1, y, c) + at(x - 1, y, c) + at(x, y + 1, c) + at(x, y - 1, c)
                            - 4 * at(x, y, c);
                    }
                }
                gradient[y * w + x] = (best as f32).sqrt();
                laplace[y * w + x] = lap;
            }
        }
        let max = gradient.iter().copied().fold(1e-6f32, f32::max);
        let mut cost = vec![255u8; w * h];
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                // A zero crossing: the Laplacian changes sign towards a right or lower neighbour.
                let crossing = (x + 1 < w && laplace[i].signum() * laplace[i + 1].signum() < 0)
                    || (y + 1 < h && laplace[i].signum() * laplace[i + w].signum() < 0)
                    || laplace[i] == 0 && gradient[i] > 0.0;
                let g = 1.0 - gradient[i] / max;
                let c = 0.57 * g + 0.43 * if crossing { 0.0 } else { 1.0 };
                cost[i] = (c * 254.0).round() as u8 + 1;
            }
        }
        Self {
            width: photo.width,
            height: photo.height,
            cost,
        }
    }
}

/// Shortest paths from a seed pixel over a window of the photo.
#[derive(Clone, Debug)]
pub struct PathTree {
    pub seed: (u32, u32),
    x0: u32,
    y0: u32,
    width: u32,
    height: u32,
    /// For each window pixel, the window index of its predecessor (`u32::MAX`: none yet).
    parent: Vec<u32>,
}

/// Buckets of the search's queue: more than the largest step cost (7 × 255).
const RING: usize = 7 * 256 + 1;

// Orthogonal steps cost 5 × the pixel's cost, diagonal ones 7 × (≈ 5√2).
const STEPS: [(i32, i32, u32); 8] = [
    (1, 0, 5),
    (-1, 0, 5),
    (0, 1, 5),
    (0, -1, 5),
    (1, 1, 7),
    (1, -1, 7),
    (-1, 1, 7),
    (-1, -1, 7),
];

impl PathTree {
    /// Every shortest path from `seed` within [`SEARCH_RADIUS`] of it.
    pub fn grow(costs: &CostMap, seed: Point) -> Self {
        let sx = (seed[0].max(0.0) as u32).min(costs.width - 1);
        let sy = (seed[1].max(0.0) as u32).min(costs.height - 1);
        let x0 = sx.saturating_sub(SEARCH_RADIUS);
        let y0 = sy.saturating_sub(SEARCH_RADIUS);
        let x1 = (sx + SEARCH_RADIUS + 1).min(costs.width);
        let y1 = (sy + SEARCH_RADIUS + 1).min(costs.height);
        let (w, h) = ((x1 - x0) as usize, (y1 - y0) as usize);
        let mut dist = vec![u32::MAX; w * h];
        let mut parent = vec![u32::MAX; w * h];
        let mut done = vec![false; w * h];
        // Dial's algorithm: a ring of buckets wider than the largest step cost.
        let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); RING];
        let start = (sy - y0) as usize * w + (sx - x0) as usize;
        dist[start] = 0;
        parent[start] = start as u32;
        buckets[0].push(start as u32);
        let mut pending = 1usize;
        let mut current = 0u32;
        while pending > 0 {
            let slot = current as usize % RING;
            while let Some(i) = buckets[slot].pop() {
                pending -= 1;
                let i = i as usize;
                if done[i] || dist[i] != current {
                    continue;
                }
                done[i] = true;
                let (x, y) = ((i % w) as i32, (i / w) as i32);
                for &(dx, dy, factor) in &STEPS {
                    let (nx, ny) = (x + dx, y + dy);
                    if nx < 0 || ny < 0 || nx >= w as i32 || ny >= h as i32 {
                        continue;
                    }
                    let j = ny as usize * w + nx as usize;
                    if done[j] {
                        continue;
                    }
                    let gx = x0 as usize + nx as usize;
                    let gy = y0 as usize + ny as usize;
                    let step = factor * u32::from(costs.cost[gy * costs.width as usize + gx]);
                    let d = current + step;
                    if d < dist[j] {
                        dist[j] = d;
                        parent[j] = i as u32;
                        buckets[d as usize % RING].push(j as u32);
                        pending += 1;
                    }
                }
            }
            current += 1;
        }
        Self {
            seed: (sx, sy),
            x0,
            y0,
            width: w as u32,
            height: h as u32,
            parent,
        }
    }

    /// The path from the seed to `target` as pixel centres, seed first; `None` outside the
    /// window.
    pub fn path_to(&self, target: Point) -> Option<Vec<Point>> {
        let (tx, ty) = (target[0].floor() as i64, target[1].floor() as i64);
        let (lx, ly) = (tx - i64::from(self.x0), ty - i64::from(self.y0));
        if lx < 0 || ly < 0 || lx >= i64::from(self.width) || ly >= i64::from(self.height) {
            return None;
        }
        let w = self.width as usize;
        let mut i = ly as usize * w + lx as usize;
        let mut path = Vec::new();
        loop {
            let (x, y) = (i % w, i / w);
            path.push([
                (x as u32 + self.x0) as f32 + 0.5,
                (y as u32 + self.y0) as f32 + 0.5,
            ]);
            let p = self.parent[i] as usize;
            if p == i || self.parent[i] == u32::MAX {
                break;
            }
            i = p;
        }
        path.reverse();
        Some(path)
    }

    /// [`Self::path_to`], simplified within half a pixel, without the seed (which the outline
    /// already has).
    pub fn vertices_to(&self, target: Point) -> Option<Vec<Point>> {
        let path = self.path_to(target)?;
        let simplified = simplify_chain(&path, 0.5);
        Some(simplified.into_iter().skip(1).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dark 40×40 square on a light 100×80 photo.
    fn square_photo() -> Photo {
        let (w, h) = (100u32, 80u32);
        let mut rgb = vec![220u8; (w * h * 3) as usize];
        for y in 20..60 {
            for x in 30..70 {
                let i = ((y * w + x) * 3) as usize;
                rgb[i..i + 3].fill(30);
            }
        }
        Photo {
            width: w,
            height: h,
            rgb,
        }
    }

    #[test]
    fn edges_are_cheap_and_flat_areas_dear() {
        let costs = CostMap::of_photo(&square_photo());
        let at = |x: u32, y: u32| costs.cost[(y * costs.width + x) as usize];
        // The edge lies between columns 29 and 30: the zero crossing marks one side of it.
        let edge = at(29, 40).min(at(30, 40));
        assert!(edge < 60, "on the square's left edge: {edge}");
        assert!(at(10, 10) > 200, "in the flat background: {}", at(10, 10));
        assert!(at(50, 40) > 200, "in the flat inside: {}", at(50, 40));
    }

    #[test]
    fn the_wire_follows_the_edge_around_the_corner() {
        // From the middle of the left edge to the middle of the top edge, the cheapest path runs
        // along the square's border through its top-left corner, not across the flat inside or
        // outside along the straight line.
        let costs = CostMap::of_photo(&square_photo());
        let tree = PathTree::grow(&costs, [30.5, 40.5]);
        let path = tree.path_to([50.5, 20.5]).expect("inside the window");
        assert_eq!(path.first(), Some(&[30.5, 40.5]));
        assert_eq!(path.last(), Some(&[50.5, 20.5]));
        let near_border = |p: &Point| {
            let dx = (p[0] - 30.0).abs().min((p[0] - 70.0).abs());
            let dy = (p[1] - 20.0).abs().min((p[1] - 60.0).abs());
            dx.min(dy) <= 1.5
        };
        assert!(path.iter().all(near_border), "{path:?}");
        let corner = path
            .iter()
            .any(|p| (p[0] - 30.0).abs() <= 1.5 && (p[1] - 20.0).abs() <= 1.5);
        assert!(corner, "through the corner: {path:?}");
        // Simplified, the same route is a handful of vertices.
        let vertices = tree.vertices_to([50.5, 20.5]).unwrap();
        assert!(vertices.len() <= 6, "{vertices:?}");
        assert!(tree.path_to([-5.0, 3.0]).is_none());
    }
}
