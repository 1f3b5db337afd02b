//! Finding and changing an instance's vertices and edges: what the Label canvas's select tool does
//! under the pointer (pick, drag a vertex, insert a vertex on an edge, delete one, move the whole
//! instance). Each operation returns the changed instance; the caller sends it as one edit.

use crate::geometry::Point;
use crate::label::draft::distance;
use crate::project::Instance;

/// One ring of an instance: the outer ring of a part, or one of its holes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RingRef {
    pub part: usize,
    /// `None` for the outer ring, `Some(k)` for hole `k`.
    pub hole: Option<usize>,
}

/// One vertex of an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VertexRef {
    pub ring: RingRef,
    pub index: usize,
}

/// A point on an edge: the edge from vertex `after` to the next one, at `point`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EdgePoint {
    pub after: VertexRef,
    pub point: Point,
    pub distance: f32,
}

fn ring(inst: &Instance, r: RingRef) -> Option<&Vec<Point>> {
    let part = inst.parts.get(r.part)?;
    match r.hole {
        None => Some(&part.outer),
        Some(k) => part.holes.get(k),
    }
}

fn ring_mut(inst: &mut Instance, r: RingRef) -> Option<&mut Vec<Point>> {
    let part = inst.parts.get_mut(r.part)?;
    match r.hole {
        None => Some(&mut part.outer),
        Some(k) => part.holes.get_mut(k),
    }
}

/// Every ring of `inst` with its reference.
pub fn rings(inst: &Instance) -> impl Iterator<Item = (RingRef, &[Point])> {
    inst.parts.iter().enumerate().flat_map(|(p, part)| {
        std::iter::once((
            RingRef {
                part: p,
                hole: None,
            },
            part.outer.as_slice(),
        ))
        .chain(part.holes.iter().enumerate().map(move |(k, h)| {
            (
                RingRef {
                    part: p,
                    hole: Some(k),
                },
                h.as_slice(),
            )
        }))
    })
}

/// The vertex nearest `p` within `radius`.
pub fn nearest_vertex(inst: &Instance, p: Point, radius: f32) -> Option<VertexRef> {
    let mut best: Option<(f32, VertexRef)> = None;
    for (r, points) in rings(inst) {
        for (index, &v) in points.iter().enumerate() {
            let d = distance(v, p);
            if d <= radius && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, VertexRef { ring: r, index }));
            }
        }
    }
    best.map(|(_, v)| v)
}

/// The point of an edge nearest `p` within `radius` (where a vertex would be inserted).
pub fn nearest_edge(inst: &Instance, p: Point, radius: f32) -> Option<EdgePoint> {
    let mut best: Option<EdgePoint> = None;
    for (r, points) in rings(inst) {
        let n = points.len();
        for i in 0..n {
            let (a, b) = (points[i], points[(i + 1) % n]);
            let q = closest_on_segment(a, b, p);
            let d = distance(q, p);
            if d <= radius && best.is_none_or(|e| d < e.distance) {
                best = Some(EdgePoint {
                    after: VertexRef { ring: r, index: i },
                    point: q,
                    distance: d,
                });
            }
        }
    }
    best
}

fn closest_on_segment(a: Point, b: Point, p: Point) -> Point {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    if len2 == 0.0 {
        return a;
    }
    let t = (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0);
    [a[0] + t * dx, a[1] + t * dy]
}

/// The position of vertex `v`.
pub fn vertex(inst: &Instance, v: VertexRef) -> Option<Point> {
    ring(inst, v.ring)?.get(v.index).copied()
}

/// `inst` with vertex `v` at `to`.
pub fn move_vertex(inst: &Instance, v: VertexRef, to: Point) -> Option<Instance> {
    let mut out = inst.clone();
    *ring_mut(&mut out, v.ring)?.get_mut(v.index)? = to;
    Some(out)
}

/// `inst` with a vertex inserted on an edge; returns it with the new vertex's reference.
pub fn insert_vertex(inst: &Instance, edge: &EdgePoint) -> Option<(Instance, VertexRef)> {
    let mut out = inst.clone();
    let points = ring_mut(&mut out, edge.after.ring)?;
    let at = edge.after.index + 1;
    if at > points.len() {
        return None;
    }
    points.insert(at, edge.point);
    Some((
        out,
        VertexRef {
            ring: edge.after.ring,
            index: at,
        },
    ))
}

/// `inst` without vertex `v`. A ring left with fewer than 3 vertices goes too: a hole closes, a
/// part disappears; `None` when nothing of the instance would be left (delete it instead).
pub fn delete_vertex(inst: &Instance, v: VertexRef) -> Option<Instance> {
    let mut out = inst.clone();
    let points = ring_mut(&mut out, v.ring)?;
    if v.index >= points.len() {
        return None;
    }
    points.remove(v.index);
    if points.len() < 3 {
        let part = &mut out.parts[v.ring.part];
        match v.ring.hole {
            Some(k) => {
                part.holes.remove(k);
            }
            None => {
                out.parts.remove(v.ring.part);
            }
        }
    }
    (!out.parts.is_empty()).then_some(out)
}

/// `inst` moved by `delta`, kept inside the `width`×`height` image as a whole (it stops at the
/// border rather than being squashed against it).
pub fn translate(inst: &Instance, delta: [f32; 2], (w, h): (u32, u32)) -> Instance {
    let all: Vec<Point> = inst.rings().flatten().copied().collect();
    let Some([x0, y0, x1, y1]) = crate::geometry::bounds(&all) else {
        return inst.clone();
    };
    // An instance larger than the image (none made here is) does not move rather than panic.
    let shift = |d: f32, lo: f32, hi: f32| if lo <= hi { d.clamp(lo, hi) } else { 0.0 };
    let dx = shift(delta[0], -x0, w as f32 - x1);
    let dy = shift(delta[1], -y0, h as f32 - y1);
    let mut out = inst.clone();
    for part in &mut out.parts {
        for p in part.outer.iter_mut().chain(part.holes.iter_mut().flatten()) {
            p[0] += dx;
            p[1] += dy;
        }
    }
    out
}

/// Where a dragged vertex near `p` snaps to on the other instances' borders: their nearest
/// vertex within `radius`, else the nearest point of their edges, so two objects can share an edge
/// without a gap or an overlap.
pub fn snap_target<'a>(
    others: impl IntoIterator<Item = &'a Instance>,
    p: Point,
    radius: f32,
) -> Option<Point> {
    let mut best_vertex: Option<(f32, Point)> = None;
    let mut best_edge: Option<EdgePoint> = None;
    for inst in others {
        if let Some(v) = nearest_vertex(inst, p, radius).and_then(|v| vertex(inst, v)) {
            let d = distance(v, p);
            if best_vertex.is_none_or(|(bd, _)| d < bd) {
                best_vertex = Some((d, v));
            }
        }
        if let Some(e) = nearest_edge(inst, p, radius)
            && best_edge.is_none_or(|b| e.distance < b.distance)
        {
            best_edge = Some(e);
        }
    }
    best_vertex.map(|(_, v)| v).or(best_edge.map(|e| e.point))
}

/// The instances under `p`, topmost first (the select tool's repeated click cycles through them).
pub fn instances_at(instances: &[Instance], p: Point) -> Vec<u32> {
    let mut hits: Vec<&Instance> = instances.iter().filter(|i| i.contains(p)).collect();
    hits.sort_by_key(|i| std::cmp::Reverse(i.order));
    hits.into_iter().map(|i| i.id).collect()
}

/// What a click at a point selects: the instance under it after `current` (cycling), else the
/// topmost.
pub fn cycle_selection(under: &[u32], current: Option<u32>) -> Option<u32> {
    let position = current.and_then(|c| under.iter().position(|&id| id == c));
    match position {
        Some(i) => under.get((i + 1) % under.len()).copied(),
        None => under.first().copied(),
    }
}

#[cfg(test)]
#[expect(
    clippy::float_cmp,
    reason = "the points are exact: inserted, moved or shifted by whole pixels"
)]
mod tests {
    use super::*;
    use crate::project::{Part, Tool};

    fn square_with_hole() -> Instance {
        Instance {
            id: 1,
            class_id: 1,
            parts: vec![Part {
                outer: vec![[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]],
                holes: vec![vec![[4.0, 4.0], [6.0, 4.0], [6.0, 6.0]]],
            }],
            order: 1,
            tool: Tool::Polygon,
        }
    }

    #[test]
    fn vertices_and_edges_are_found_within_the_radius() {
        let inst = square_with_hole();
        let v = nearest_vertex(&inst, [9.0, 0.5], 2.0).expect("a vertex");
        assert_eq!(v.index, 1);
        assert_eq!(v.ring.hole, None);
        let hole_v = nearest_vertex(&inst, [6.2, 6.1], 1.0).expect("the hole's vertex");
        assert_eq!(hole_v.ring.hole, Some(0));
        assert!(nearest_vertex(&inst, [5.0, 2.0], 1.0).is_none());
        let e = nearest_edge(&inst, [5.0, 0.7], 1.0).expect("the top edge");
        assert_eq!(e.after.index, 0);
        assert_eq!(e.point, [5.0, 0.0]);
    }

    #[test]
    fn insert_move_and_delete_vertices() {
        let inst = square_with_hole();
        let e = nearest_edge(&inst, [5.0, -0.5], 1.0).expect("edge");
        let (with, v) = insert_vertex(&inst, &e).expect("inserted");
        assert_eq!(with.parts[0].outer.len(), 5);
        assert_eq!(vertex(&with, v), Some([5.0, 0.0]));
        let moved = move_vertex(&with, v, [5.0, -3.0]).expect("moved");
        assert_eq!(moved.parts[0].outer[1], [5.0, -3.0]);
        let back = delete_vertex(&moved, v).expect("deleted");
        assert_eq!(back, inst);
        // A triangle hole losing a vertex closes; the instance stays.
        let hole_v = VertexRef {
            ring: RingRef {
                part: 0,
                hole: Some(0),
            },
            index: 0,
        };
        let no_hole = delete_vertex(&inst, hole_v).expect("instance kept");
        assert!(no_hole.parts[0].holes.is_empty());
        // The outer ring going under 3 vertices leaves nothing.
        let mut tri = no_hole.clone();
        tri.parts[0].outer.truncate(3);
        let outer_v = VertexRef {
            ring: RingRef {
                part: 0,
                hole: None,
            },
            index: 0,
        };
        assert!(delete_vertex(&tri, outer_v).is_none());
    }

    #[test]
    fn a_vertex_snaps_to_a_neighbours_vertex_before_its_edge() {
        let neighbour = square_with_hole(); // 0..10 square
        assert_eq!(
            snap_target([&neighbour], [10.8, 0.4], 1.0),
            Some([10.0, 0.0])
        );
        assert_eq!(
            snap_target([&neighbour], [10.6, 5.0], 1.0),
            Some([10.0, 5.0])
        );
        assert_eq!(snap_target([&neighbour], [13.0, 5.0], 1.0), None);
    }

    #[test]
    fn translation_stops_at_the_border() {
        let inst = square_with_hole();
        let moved = translate(&inst, [25.0, -4.0], (30, 30));
        assert_eq!(
            moved.parts[0].outer[0],
            [20.0, 0.0],
            "x stops at 30 − 10, y at 0"
        );
        assert_eq!(moved.parts[0].holes[0][0], [24.0, 4.0]);
    }

    #[test]
    fn repeated_clicks_cycle_through_stacked_instances() {
        let mut low = square_with_hole();
        low.parts[0].holes.clear();
        let mut high = low.clone();
        high.id = 2;
        high.order = 5;
        let under = instances_at(&[low, high], [5.0, 5.0]);
        assert_eq!(under, [2, 1], "topmost first");
        assert_eq!(cycle_selection(&under, None), Some(2));
        assert_eq!(cycle_selection(&under, Some(2)), Some(1));
        assert_eq!(cycle_selection(&under, Some(1)), Some(2));
        assert_eq!(cycle_selection(&[], Some(1)), None);
        // Inside the hole of the square: nothing there.
        assert!(instances_at(&[square_with_hole()], [5.0, 4.5]).is_empty());
    }
}
