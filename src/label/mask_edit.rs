//! Pixel tools on instances: the brush and eraser paint into the selected instance's mask, the
//! magic wand grows a region of similar colour, and the result is traced back into polygons with
//! holes, simplified within half a pixel (only as far as the pixels stay ≥ 99 % the same).
//!
//! Work happens in a [`MaskRegion`], the window of the image that the instance and the stroke
//! touch, so a stroke on a 4000×3000 photo costs the size of the object, not of the photo.

use std::collections::VecDeque;

use crate::geometry::{Point, paint_polygon, simplify_faithfully, trace_label_components};
use crate::project::{Instance, Part};

/// How far the traced outline may move from the pixels' boundary, in pixels.
pub const VECTORISE_TOLERANCE: f32 = 0.5;

/// A 0/1 mask over the window `x0..x0+width`, `y0..y0+height` of an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaskRegion {
    pub x0: u32,
    pub y0: u32,
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl MaskRegion {
    /// An empty mask over the pixels that `[x0, y0, x1, y1]` (image coordinates) touches, clipped
    /// to the `w`×`h` image.
    pub fn empty(window: [f32; 4], (w, h): (u32, u32)) -> Self {
        let x0 = window[0].floor().clamp(0.0, w as f32) as u32;
        let y0 = window[1].floor().clamp(0.0, h as f32) as u32;
        let x1 = window[2].ceil().clamp(0.0, w as f32) as u32;
        let y1 = window[3].ceil().clamp(0.0, h as f32) as u32;
        let (width, height) = (x1.saturating_sub(x0), y1.saturating_sub(y0));
        Self {
            x0,
            y0,
            width,
            height,
            data: vec![0; width as usize * height as usize],
        }
    }

    /// Paints `inst`'s pixels (pixel-centre rule, holes left out) into the mask.
    pub fn paint_instance(&mut self, inst: &Instance) {
        let (ox, oy) = (self.x0 as f32, self.y0 as f32);
        for part in &inst.parts {
            let rings: Vec<Vec<Point>> = part
                .rings()
                .map(|r| r.iter().map(|&[x, y]| [x - ox, y - oy]).collect())
                .collect();
            let mut piece = vec![0u8; self.data.len()];
            paint_polygon(
                rings.iter().map(Vec::as_slice),
                &mut piece,
                self.width,
                self.height,
                1,
            );
            for (d, p) in self.data.iter_mut().zip(piece) {
                *d |= p;
            }
        }
    }

    /// Sets (`value` 1) or clears (0) every pixel whose centre is within `radius` of the segment
    /// `a`–`b`: one brush or eraser stroke segment.
    pub fn paint_stroke(&mut self, a: Point, b: Point, radius: f32, value: u8) {
        let r2 = radius * radius;
        let lo_x = (a[0].min(b[0]) - radius).floor() as i64 - i64::from(self.x0);
        let hi_x = (a[0].max(b[0]) + radius).ceil() as i64 - i64::from(self.x0);
        let lo_y = (a[1].min(b[1]) - radius).floor() as i64 - i64::from(self.y0);
        let hi_y = (a[1].max(b[1]) + radius).ceil() as i64 - i64::from(self.y0);
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len2 = dx * dx + dy * dy;
        for y in lo_y.max(0)..hi_y.min(i64::from(self.height)) {
            for x in lo_x.max(0)..hi_x.min(i64::from(self.width)) {
                let p = [
                    (x + i64::from(self.x0)) as f32 + 0.5,
                    (y + i64::from(self.y0)) as f32 + 0.5,
                ];
                let t = if len2 > 0.0 {
                    (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (qx, qy) = (a[0] + t * dx - p[0], a[1] + t * dy - p[1]);
                if qx * qx + qy * qy <= r2 {
                    self.data[y as usize * self.width as usize + x as usize] = value;
                }
            }
        }
    }

    /// Number of set pixels.
    pub fn area(&self) -> usize {
        self.data.iter().filter(|&&v| v != 0).count()
    }

    /// The mask as parts (one per 4-connected region, holes kept), in image coordinates, each
    /// simplified within [`VECTORISE_TOLERANCE`]. Regions under `min_pixels` are dropped.
    pub fn to_parts(&self, min_pixels: usize) -> Vec<Part> {
        let (ox, oy) = (self.x0 as f32, self.y0 as f32);
        let shift = |ring: Vec<Point>| -> Vec<Point> {
            ring.into_iter().map(|[x, y]| [x + ox, y + oy]).collect()
        };
        trace_label_components(&self.data, self.width, self.height, Some(0))
            .into_iter()
            .filter(|c| c.pixels >= min_pixels.max(1))
            .map(|c| {
                let holes: Vec<Vec<Point>> = c.holes.into_iter().map(|(h, _)| h).collect();
                let (outer, holes) = simplify_faithfully(&c.outer, &holes, VECTORISE_TOLERANCE);
                Part {
                    outer: shift(outer),
                    holes: holes.into_iter().map(shift).collect(),
                }
            })
            .collect()
    }
}

/// The window an instance and a stroke (points with `radius`) touch.
pub fn stroke_window(inst: Option<&Instance>, stroke: &[Point], radius: f32) -> [f32; 4] {
    let mut b = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];
    let mut grow = |x: f32, y: f32, r: f32| {
        b[0] = b[0].min(x - r);
        b[1] = b[1].min(y - r);
        b[2] = b[2].max(x + r);
        b[3] = b[3].max(y + r);
    };
    for &[x, y] in stroke {
        grow(x, y, radius + 1.0);
    }
    if let Some(inst) = inst {
        for &[x, y] in inst.rings().flatten() {
            grow(x, y, 1.0);
        }
    }
    b
}

/// The selected instance after a brush (`add`) or eraser stroke through `stroke`, or, with no
/// instance, the parts a brush stroke makes on its own. `None` when nothing is left (the eraser
/// took all of it).
pub fn apply_stroke(
    inst: Option<&Instance>,
    stroke: &[Point],
    radius: f32,
    add: bool,
    size: (u32, u32),
) -> Option<Vec<Part>> {
    let mut region = MaskRegion::empty(stroke_window(inst, stroke, radius), size);
    if let Some(inst) = inst {
        region.paint_instance(inst);
    }
    let value = u8::from(add);
    match stroke {
        [] => {}
        [p] => region.paint_stroke(*p, *p, radius, value),
        _ => {
            for pair in stroke.windows(2) {
                region.paint_stroke(pair[0], pair[1], radius, value);
            }
        }
    }
    let parts = region.to_parts(1);
    (!parts.is_empty()).then_some(parts)
}

/// An RGB photo for the pixel tools.
#[derive(Clone, Debug)]
pub struct Photo {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

impl Photo {
    pub fn from_image(image: &image::RgbImage) -> Self {
        Self {
            width: image.width(),
            height: image.height(),
            rgb: image.as_raw().clone(),
        }
    }

    fn pixel(&self, i: usize) -> [f32; 3] {
        [
            f32::from(self.rgb[i * 3]),
            f32::from(self.rgb[i * 3 + 1]),
            f32::from(self.rgb[i * 3 + 2]),
        ]
    }
}

/// The magic wand: the 4-connected region around `seed` whose colours lie within `tolerance`
/// (Euclidean RGB distance, 0–441) of the seed pixel's colour.
pub fn wand_region(photo: &Photo, seed: Point, tolerance: f32) -> Option<MaskRegion> {
    let (w, h) = (photo.width as usize, photo.height as usize);
    if seed[0] < 0.0 || seed[1] < 0.0 || seed[0] >= w as f32 || seed[1] >= h as f32 {
        return None;
    }
    let start = seed[1] as usize * w + seed[0] as usize;
    let reference = photo.pixel(start);
    let t2 = tolerance * tolerance;
    let similar = |i: usize| {
        let p = photo.pixel(i);
        let d: f32 = (0..3).map(|c| (p[c] - reference[c]).powi(2)).sum();
        d <= t2
    };
    let mut inside = vec![0u8; w * h];
    let mut queue = VecDeque::from([start]);
    inside[start] = 1;
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    while let Some(i) = queue.pop_front() {
        let (x, y) = (i % w, i / w);
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1));
        let mut visit = |j: usize| {
            if inside[j] == 0 && similar(j) {
                inside[j] = 1;
                queue.push_back(j);
            }
        };
        if x > 0 {
            visit(i - 1);
        }
        if x + 1 < w {
            visit(i + 1);
        }
        if y > 0 {
            visit(i - w);
        }
        if y + 1 < h {
            visit(i + w);
        }
    }
    let mut region = MaskRegion::empty(
        [x0 as f32, y0 as f32, x1 as f32, y1 as f32],
        (photo.width, photo.height),
    );
    for y in y0..y1 {
        let row = &inside[y * w + x0..y * w + x1];
        region.data[(y - y0) * region.width as usize..(y - y0 + 1) * region.width as usize]
            .copy_from_slice(row);
    }
    Some(region)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::Tool;

    fn square(x0: f32, y0: f32, s: f32) -> Instance {
        Instance {
            id: 1,
            class_id: 1,
            parts: vec![Part::solid(vec![
                [x0, y0],
                [x0 + s, y0],
                [x0 + s, y0 + s],
                [x0, y0 + s],
            ])],
            order: 1,
            tool: Tool::Polygon,
        }
    }

    fn pixels(parts: &[Part], size: (u32, u32)) -> Vec<u8> {
        let mut out = vec![0u8; (size.0 * size.1) as usize];
        for part in parts {
            paint_polygon(part.rings(), &mut out, size.0, size.1, 1);
        }
        out
    }

    #[test]
    fn an_instance_survives_the_round_trip_through_pixels() {
        // Axis-aligned pixel edges: exact, and the 4 corners are all the vertices needed.
        let inst = square(10.0, 20.0, 8.0);
        let mut region = MaskRegion::empty([5.0, 15.0, 30.0, 40.0], (64, 64));
        region.paint_instance(&inst);
        assert_eq!(region.area(), 64);
        let parts = region.to_parts(1);
        assert_eq!(parts.len(), 1);
        assert_eq!(
            pixels(&parts, (64, 64)),
            pixels(&inst.parts, (64, 64)),
            "the same pixels"
        );
        assert!(parts[0].outer.len() <= 8, "{:?}", parts[0].outer);
    }

    #[test]
    fn brush_adds_eraser_cuts_and_a_hole_appears() {
        let size = (64, 64);
        let inst = square(10.0, 10.0, 20.0);
        // A brush dab to the right of the square, touching it: one part, larger.
        let grown = apply_stroke(Some(&inst), &[[33.0, 20.0]], 4.0, true, size).unwrap();
        assert_eq!(grown.len(), 1);
        let area = |parts: &[Part]| pixels(parts, size).iter().filter(|&&v| v == 1).count();
        assert!(area(&grown) > 400, "{}", area(&grown));
        // An eraser dab in the middle leaves a hole; the pixel there is off the instance.
        let holed = apply_stroke(Some(&inst), &[[20.0, 20.0]], 3.0, false, size).unwrap();
        assert_eq!(holed[0].holes.len(), 1);
        let m = pixels(&holed, size);
        assert_eq!(m[20 * 64 + 20], 0);
        assert_eq!(m[12 * 64 + 12], 1);
        // Erasing a line across it splits it in two parts.
        let split =
            apply_stroke(Some(&inst), &[[5.0, 20.0], [35.0, 20.0]], 2.0, false, size).unwrap();
        assert_eq!(split.len(), 2);
        // Erasing all of it leaves nothing.
        assert!(apply_stroke(Some(&inst), &[[20.0, 20.0]], 30.0, false, size).is_none());
        // A brush stroke without an instance is an instance of its own.
        let fresh = apply_stroke(None, &[[40.0, 40.0], [50.0, 40.0]], 3.0, true, size).unwrap();
        assert_eq!(fresh.len(), 1);
    }

    #[test]
    fn the_wand_stops_at_a_colour_edge_and_keeps_holes() {
        // A 20×20 red square with a 4×4 blue hole, on grey.
        let (w, h) = (40u32, 30u32);
        let mut rgb = vec![128u8; (w * h * 3) as usize];
        for y in 5..25 {
            for x in 10..30 {
                let blue = (18..22).contains(&x) && (13..17).contains(&y);
                let c = if blue { [20, 20, 220] } else { [200, 30, 30] };
                let i = ((y * w + x) * 3) as usize;
                rgb[i..i + 3].copy_from_slice(&c);
            }
        }
        let photo = Photo {
            width: w,
            height: h,
            rgb,
        };
        let region = wand_region(&photo, [12.5, 6.5], 30.0).unwrap();
        assert_eq!(region.area(), 400 - 16);
        assert_eq!(
            (region.x0, region.y0, region.width, region.height),
            (10, 5, 20, 20)
        );
        let parts = region.to_parts(1);
        assert_eq!((parts.len(), parts[0].holes.len()), (1, 1));
        // A tolerance past the grey takes everything but the blue hole.
        let all = wand_region(&photo, [12.5, 6.5], 200.0).unwrap();
        assert_eq!(all.area(), (w * h) as usize - 16);
        assert!(wand_region(&photo, [-1.0, 3.0], 10.0).is_none());
    }
}
