//! Shapes being drawn, before they become instances: the polygon tool's open outline (clicked
//! vertices, freehand runs) and the rectangle tool's two corners. No GUI: the Label canvas feeds
//! them image points, and headless tools and tests drive them the same way.

use crate::geometry::{Point, ring_area};
use crate::project::{ClassId, Instance, Part, Tool};

/// Below this area (square pixels) an outline is a slip of the mouse, not an object.
pub const MIN_AREA: f64 = 1.0;

/// What a click did to the draft.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Click {
    /// A vertex was added.
    Added,
    /// The click was on the first vertex: the outline is closed (finish it).
    Closes,
    /// The click repeated the last vertex (a double-click's second press): finish it.
    Repeats,
}

/// An outline being drawn with the polygon tool.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PolygonDraft {
    pub points: Vec<Point>,
}

impl PolygonDraft {
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// A click at `p`; `snap` is the distance (image pixels) within which a click lands on the
    /// first or the last vertex.
    pub fn click(&mut self, p: Point, snap: f32) -> Click {
        if self.points.len() >= 3 && distance(self.points[0], p) <= snap {
            return Click::Closes;
        }
        if self
            .points
            .last()
            .is_some_and(|&last| distance(last, p) <= snap)
        {
            return Click::Repeats;
        }
        self.points.push(p);
        Click::Added
    }

    /// A pointer position while the freehand key is held: a vertex every `spacing` pixels.
    pub fn freehand(&mut self, p: Point, spacing: f32) {
        if self
            .points
            .last()
            .is_none_or(|&last| distance(last, p) >= spacing)
        {
            self.points.push(p);
        }
    }

    /// Drops the last vertex (Backspace); returns whether there was one.
    pub fn pop(&mut self) -> bool {
        self.points.pop().is_some()
    }

    /// Whether [`Self::finish`] would give an instance.
    pub fn can_finish(&self) -> bool {
        self.points.len() >= 3 && ring_area(&self.points) >= MIN_AREA
    }

    /// The instance the outline makes, its points clamped into the `width`×`height` image; the
    /// draft is emptied. `None` (and the draft kept) for fewer than 3 points or no area.
    pub fn finish(
        &mut self,
        id: u32,
        class_id: ClassId,
        order: i32,
        size: (u32, u32),
    ) -> Option<Instance> {
        if !self.can_finish() {
            return None;
        }
        let outer = std::mem::take(&mut self.points)
            .into_iter()
            .map(|p| clamp(p, size))
            .collect();
        Some(Instance {
            id,
            class_id,
            parts: vec![Part::solid(outer)],
            order,
            tool: Tool::Polygon,
        })
    }
}

/// The rectangle from corner `a` to corner `b`, clamped into the image; `None` without area.
pub fn rectangle(
    a: Point,
    b: Point,
    id: u32,
    class_id: ClassId,
    order: i32,
    size: (u32, u32),
) -> Option<Instance> {
    let (a, b) = (clamp(a, size), clamp(b, size));
    let (x0, x1) = (a[0].min(b[0]), a[0].max(b[0]));
    let (y0, y1) = (a[1].min(b[1]), a[1].max(b[1]));
    if f64::from(x1 - x0) * f64::from(y1 - y0) < MIN_AREA {
        return None;
    }
    Some(Instance {
        id,
        class_id,
        parts: vec![Part::solid(vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]])],
        order,
        tool: Tool::Rectangle,
    })
}

/// The id and draw order a new instance of an image gets: one above every existing one.
pub fn next_id_and_order(instances: &[Instance]) -> (u32, i32) {
    let id = instances.iter().map(|i| i.id).max().unwrap_or(0) + 1;
    let order = instances.iter().map(|i| i.order).max().unwrap_or(0) + 1;
    (id, order)
}

pub fn distance(a: Point, b: Point) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

fn clamp(p: Point, (w, h): (u32, u32)) -> Point {
    [p[0].clamp(0.0, w as f32), p[1].clamp(0.0, h as f32)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clicks_close_on_the_first_vertex_and_finish_a_clamped_instance() {
        let mut d = PolygonDraft::default();
        assert_eq!(d.click([10.0, 10.0], 4.0), Click::Added);
        // Closing needs three vertices: near the first point with one vertex is just a repeat.
        assert_eq!(d.click([11.0, 11.0], 4.0), Click::Repeats);
        assert_eq!(d.click([50.0, 10.0], 4.0), Click::Added);
        assert_eq!(d.click([50.0, 70.0], 4.0), Click::Added);
        assert_eq!(d.click([12.0, 9.0], 4.0), Click::Closes);
        assert_eq!(d.points.len(), 3);
        assert!(d.pop());
        assert!(!d.can_finish(), "two points are no polygon");
        d.click([-5.0, 90.0], 4.0);
        let inst = d.finish(7, 3, 9, (40, 80)).expect("an instance");
        assert!(d.is_empty());
        assert_eq!((inst.id, inst.class_id, inst.order), (7, 3, 9));
        assert_eq!(
            inst.parts[0].outer,
            [[10.0, 10.0], [40.0, 10.0], [0.0, 80.0]],
            "clamped into the 40×80 image"
        );
    }

    #[test]
    fn collinear_points_and_slivers_make_no_instance() {
        let mut d = PolygonDraft::default();
        for p in [[0.0, 0.0], [10.0, 0.0], [20.0, 0.0]] {
            d.click(p, 1.0);
        }
        assert!(d.finish(1, 1, 1, (100, 100)).is_none());
        assert_eq!(d.points.len(), 3, "the draft is kept to go on drawing");
        assert!(rectangle([5.0, 5.0], [5.01, 80.0], 1, 1, 1, (100, 100)).is_none());
    }

    #[test]
    fn freehand_spaces_vertices() {
        let mut d = PolygonDraft::default();
        for i in 0..=20 {
            d.freehand([i as f32 * 0.5, 0.0], 2.0);
        }
        // 0, 2, 4, 6, 8, 10: every 2 pixels of a 10-pixel stroke.
        assert_eq!(d.points.len(), 6);
    }

    #[test]
    fn rectangle_from_any_two_corners() {
        let r = rectangle([30.0, 40.0], [10.0, 5.0], 2, 1, 4, (100, 100)).expect("a rectangle");
        assert_eq!(
            r.parts[0].outer,
            [[10.0, 5.0], [30.0, 5.0], [30.0, 40.0], [10.0, 40.0]]
        );
        assert_eq!(next_id_and_order(&[r]), (3, 5));
        assert_eq!(next_id_and_order(&[]), (1, 1));
    }
}
