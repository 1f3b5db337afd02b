//! Cutting a hole into an instance (a bearing, a tube, a nut): the hole tool's outline becomes a
//! hole ring of the part it lies in.

use crate::geometry::{Point, polygon_contains, ring_area};
use crate::label::draft::MIN_AREA;
use crate::project::Instance;

/// `inst` with `ring` cut out of the part whose outer ring holds all of it. Refused (with the
/// reason) when the ring is no area, leaves every part, or overlaps a hole already there.
pub fn cut_hole(inst: &Instance, ring: &[Point]) -> Result<Instance, &'static str> {
    if ring.len() < 3 || ring_area(ring) < MIN_AREA {
        return Err("a hole needs at least 3 vertices around some area");
    }
    let inside_outer = |outer: &[Point]| ring.iter().all(|&p| polygon_contains([outer], p));
    let Some(part) = inst.parts.iter().position(|p| inside_outer(&p.outer)) else {
        return Err("a hole must lie inside the selected instance's outline");
    };
    let overlaps = inst.parts[part].holes.iter().any(|hole| {
        ring.iter().any(|&p| polygon_contains([hole.as_slice()], p))
            || hole.iter().any(|&p| polygon_contains([ring], p))
    });
    if overlaps {
        return Err("the hole overlaps a hole the instance already has");
    }
    let mut out = inst.clone();
    out.parts[part].holes.push(ring.to_vec());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::{Part, Tool};

    fn square(x0: f32, size: f32) -> Vec<Point> {
        vec![[x0, 0.0], [x0 + size, 0.0], [x0 + size, size], [x0, size]]
    }

    #[test]
    fn a_hole_goes_into_the_part_that_holds_it() {
        let inst = Instance {
            id: 1,
            class_id: 1,
            parts: vec![
                Part::solid(square(0.0, 10.0)),
                Part::solid(square(20.0, 10.0)),
            ],
            order: 1,
            tool: Tool::Polygon,
        };
        let hole = vec![[23.0, 3.0], [27.0, 3.0], [25.0, 7.0]];
        let cut = cut_hole(&inst, &hole).expect("cut");
        assert!(cut.parts[0].holes.is_empty());
        assert_eq!(cut.parts[1].holes, [hole]);
        // The pixel centre in the hole is no longer on the instance; one beside it still is.
        assert!(inst.contains([25.0, 4.5]) && !cut.contains([25.0, 4.5]));
        assert!(cut.contains([21.0, 9.0]));
        // Across the border, across both parts, or over the first hole: refused.
        assert!(cut_hole(&inst, &[[8.0, 2.0], [12.0, 2.0], [10.0, 6.0]]).is_err());
        assert!(cut_hole(&inst, &[[5.0, 2.0], [25.0, 2.0], [15.0, 6.0]]).is_err());
        assert!(cut_hole(&cut, &[[24.0, 4.0], [26.0, 4.0], [25.0, 6.0]]).is_err());
        assert!(cut_hole(&inst, &[[1.0, 1.0], [2.0, 1.0], [3.0, 1.0]]).is_err());
    }
}
