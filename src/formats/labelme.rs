//! LabelMe JSON files (labelme 4.x and 5.x): parsing, and their shapes as instance geometry.
//!
//! LabelMe points are in image coordinates with pixel `(x, y)` covering `[x, x+1) × [y, y+1)` (Qt's
//! convention, and SegStudio's), so polygons come in vertex for vertex. Shapes become parts:
//! `polygon` as it is, `rectangle` as four corners, `circle` as a polygon through its rim, `mask` (a
//! base64 PNG bitmap placed at its first point) traced exactly with its holes. Shapes with no area
//! (`line`, `linestrip`, `point`, `points`) are skipped with a warning. Shapes that share a label and
//! a `group_id` are the parts of one instance.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::geometry::{Point, trace_label_components};
use crate::project::{Part, ProjectError};

/// A LabelMe file. Fields other tools add are ignored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelmeFile {
    pub version: String,
    #[serde(default)]
    pub flags: BTreeMap<String, serde_json::Value>,
    pub shapes: Vec<LabelmeShape>,
    #[serde(rename = "imagePath")]
    pub image_path: String,
    #[serde(rename = "imageData", default)]
    pub image_data: Option<String>,
    #[serde(rename = "imageHeight")]
    pub image_height: u32,
    #[serde(rename = "imageWidth")]
    pub image_width: u32,
}

/// One shape of a LabelMe file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelmeShape {
    pub label: String,
    pub points: Vec<[f64; 2]>,
    #[serde(default)]
    pub group_id: Option<i64>,
    #[serde(default = "polygon")]
    pub shape_type: String,
    #[serde(default)]
    pub flags: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `mask` shapes: a base64 PNG of the bitmap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask: Option<String>,
}

fn polygon() -> String {
    "polygon".to_owned()
}

/// One object of a LabelMe file: its label and its parts, in the order the file paints it.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelmeObject {
    pub label: String,
    pub group_id: Option<i64>,
    pub parts: Vec<Part>,
}

/// Parses a LabelMe file; a syntax or field error names the file, line and column.
pub fn parse_labelme(text: &str, path: &Path) -> Result<LabelmeFile, ProjectError> {
    let file: LabelmeFile = serde_json::from_str(text).map_err(|e| ProjectError::Parse {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    if let Some(problem) = crate::imageio::size_problem(file.image_width, file.image_height) {
        return Err(ProjectError::Invalid {
            path: path.to_path_buf(),
            problems: vec![format!("imageWidth × imageHeight: {problem}")],
        });
    }
    Ok(file)
}

/// The objects of a file (shapes of one label and `group_id` joined), with a warning per shape that
/// could not be used.
pub fn objects(file: &LabelmeFile, path: &Path) -> (Vec<LabelmeObject>, Vec<String>) {
    let mut objects: Vec<LabelmeObject> = Vec::new();
    let mut warnings = Vec::new();
    let (w, h) = (file.image_width, file.image_height);
    for (k, shape) in file.shapes.iter().enumerate() {
        let at = || {
            format!(
                "{}: shape {} ({:?}, {})",
                path.display(),
                k + 1,
                shape.label,
                shape.shape_type
            )
        };
        let parts = match shape_parts(shape, w, h) {
            Ok(parts) if parts.is_empty() => {
                warnings.push(format!("{}: it covers no pixel; skipped", at()));
                continue;
            }
            Ok(parts) => parts,
            Err(problem) => {
                warnings.push(format!("{}: {problem}; skipped", at()));
                continue;
            }
        };
        let joined = shape.group_id.and_then(|g| {
            objects
                .iter_mut()
                .find(|o| o.group_id == Some(g) && o.label == shape.label)
        });
        match joined {
            Some(object) => object.parts.extend(parts),
            None => objects.push(LabelmeObject {
                label: shape.label.clone(),
                group_id: shape.group_id,
                parts,
            }),
        }
    }
    (objects, warnings)
}

/// Clamps a point into the image (shapes drawn past the border are common).
fn clamp(p: [f64; 2], w: u32, h: u32) -> Point {
    [
        p[0].clamp(0.0, f64::from(w)) as f32,
        p[1].clamp(0.0, f64::from(h)) as f32,
    ]
}

fn shape_parts(shape: &LabelmeShape, w: u32, h: u32) -> Result<Vec<Part>, String> {
    let p = &shape.points;
    if p.iter().flatten().any(|v| !v.is_finite()) {
        return Err("a point is not a number".into());
    }
    match shape.shape_type.as_str() {
        "polygon" => {
            if p.len() < 3 {
                return Err(format!("{} points, a polygon needs 3", p.len()));
            }
            Ok(vec![Part::solid(
                p.iter().map(|&q| clamp(q, w, h)).collect(),
            )])
        }
        "rectangle" => {
            let [a, b] = two_points(p)?;
            let (x0, x1) = (a[0].min(b[0]), a[0].max(b[0]));
            let (y0, y1) = (a[1].min(b[1]), a[1].max(b[1]));
            Ok(vec![Part::solid(vec![
                clamp([x0, y0], w, h),
                clamp([x1, y0], w, h),
                clamp([x1, y1], w, h),
                clamp([x0, y1], w, h),
            ])])
        }
        "circle" => {
            let [c, rim] = two_points(p)?;
            let r = (rim[0] - c[0]).hypot(rim[1] - c[1]);
            if r <= 0.0 {
                return Err("the circle has no radius".into());
            }
            // A vertex every 2 px of rim keeps the polygon within 0.1 px of the circle.
            let n = ((std::f64::consts::TAU * r / 2.0).ceil() as usize).clamp(16, 720);
            let ring = (0..n)
                .map(|k| {
                    let t = std::f64::consts::TAU * k as f64 / n as f64;
                    clamp([c[0] + r * t.cos(), c[1] + r * t.sin()], w, h)
                })
                .collect();
            Ok(vec![Part::solid(ring)])
        }
        "mask" => mask_parts(shape, w, h),
        other => Err(format!("a {other} shape has no area")),
    }
}

fn two_points(p: &[[f64; 2]]) -> Result<[[f64; 2]; 2], String> {
    match p {
        [a, b] => Ok([*a, *b]),
        _ => Err(format!("{} points, this shape needs 2", p.len())),
    }
}

/// A `mask` shape: the bitmap's pixel `(i, j)` is image pixel `(x0 + i, y0 + j)`, with `(x0, y0)`
/// its first point truncated to integers (as labelme places it), traced exactly.
fn mask_parts(shape: &LabelmeShape, w: u32, h: u32) -> Result<Vec<Part>, String> {
    let data = shape
        .mask
        .as_deref()
        .ok_or("the mask shape has no bitmap")?;
    let [origin, _] = two_points(&shape.points)?;
    // A bitmap larger than the image cannot be placed in it: refused before it is decoded.
    let bitmap = decode_base64_image(data, w, h).map_err(|e| format!("its bitmap {e}"))?;
    let bitmap = bitmap.to_luma8();
    let (x0, y0) = (origin[0].max(0.0) as u32, origin[1].max(0.0) as u32);
    if x0 >= w || y0 >= h {
        return Err("the bitmap lies outside the image".into());
    }
    // Cropped to the image: labelme cannot paint outside it either.
    let (bw, bh) = (bitmap.width().min(w - x0), bitmap.height().min(h - y0));
    let mut binary = vec![0u8; (bw * bh) as usize];
    for y in 0..bh {
        for x in 0..bw {
            binary[(y * bw + x) as usize] = u8::from(bitmap.get_pixel(x, y)[0] > 0);
        }
    }
    let shift = |ring: Vec<Point>| -> Vec<Point> {
        ring.into_iter()
            .map(|[x, y]| [x + x0 as f32, y + y0 as f32])
            .collect()
    };
    Ok(trace_label_components(&binary, bw, bh, Some(0))
        .into_iter()
        .map(|comp| Part {
            outer: shift(comp.outer),
            holes: comp
                .holes
                .into_iter()
                .map(|(ring, _)| shift(ring))
                .collect(),
        })
        .collect())
}

/// Decodes a base64 image (PNG or JPEG) of at most `max_width × max_height`, as LabelMe embeds mask
/// bitmaps; a larger one is refused from its header, before any memory is spent on its pixels.
pub fn decode_base64_image(
    data: &str,
    max_width: u32,
    max_height: u32,
) -> Result<image::DynamicImage, String> {
    let bytes = decode_base64(data)?;
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("is not a readable image ({e})"))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(max_width);
    limits.max_image_height = Some(max_height);
    reader.limits(limits);
    reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => {
            format!("is larger than the image ({max_width}x{max_height})")
        }
        e => format!("is not a readable image ({e})"),
    })
}

pub fn decode_base64(data: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|e| format!("is not valid base64 ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(label: &str, kind: &str, points: &[[f64; 2]], group: Option<i64>) -> LabelmeShape {
        LabelmeShape {
            label: label.into(),
            points: points.to_vec(),
            group_id: group,
            shape_type: kind.into(),
            flags: None,
            description: None,
            mask: None,
        }
    }

    fn file(shapes: Vec<LabelmeShape>) -> LabelmeFile {
        LabelmeFile {
            version: "5.7.0".into(),
            flags: BTreeMap::new(),
            shapes,
            image_path: "x.jpg".into(),
            image_data: None,
            image_height: 40,
            image_width: 60,
        }
    }

    #[test]
    fn shapes_become_parts_and_groups_join() {
        let f = file(vec![
            shape(
                "a",
                "polygon",
                &[[1.0, 1.0], [9.0, 1.0], [9.0, 9.0]],
                Some(3),
            ),
            shape("b", "rectangle", &[[20.0, 30.0], [10.0, 5.0]], None),
            shape(
                "a",
                "polygon",
                &[[30.0, 1.0], [39.0, 1.0], [39.0, 9.0]],
                Some(3),
            ),
            shape("c", "circle", &[[30.0, 20.0], [35.0, 20.0]], None),
            shape("d", "line", &[[1.0, 1.0], [5.0, 5.0]], None),
            shape(
                "e",
                "polygon",
                &[[1.0, 1.0], [-20.0, 1.0], [1.0, 99.0]],
                None,
            ),
        ]);
        let (objects, warnings) = objects(&f, Path::new("f.json"));
        let labels: Vec<&str> = objects.iter().map(|o| o.label.as_str()).collect();
        assert_eq!(labels, ["a", "b", "c", "e"]);
        assert_eq!(objects[0].parts.len(), 2, "one instance of two parts");
        assert_eq!(
            objects[1].parts[0].outer,
            [[10.0, 5.0], [20.0, 5.0], [20.0, 30.0], [10.0, 30.0]]
        );
        let rim = &objects[2].parts[0].outer;
        assert!(rim.len() >= 16);
        assert!(
            rim.iter()
                .all(|&[x, y]| ((x - 30.0).hypot(y - 20.0) - 5.0).abs() < 1e-4)
        );
        let clamped = &objects[3].parts[0].outer;
        let near = |p: Point, q: Point| (p[0] - q[0]).abs() < 1e-6 && (p[1] - q[1]).abs() < 1e-6;
        assert!(
            near(clamped[1], [0.0, 1.0]),
            "clamped to the image: {clamped:?}"
        );
        assert!(near(clamped[2], [1.0, 40.0]), "{clamped:?}");
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("f.json: shape 5 (\"d\", line)")
                && warnings[0].contains("no area"),
            "{warnings:?}"
        );
    }

    #[test]
    fn a_mask_shape_is_traced_exactly_with_its_hole() {
        // A 6×6 square with a 2×2 hole, placed at (10, 4).
        let mut bitmap = image::GrayImage::new(6, 6);
        for y in 0..6 {
            for x in 0..6 {
                let hole = (2..4).contains(&x) && (2..4).contains(&y);
                bitmap.put_pixel(x, y, image::Luma([if hole { 0 } else { 255 }]));
            }
        }
        let mut png = Vec::new();
        bitmap
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let mut s = shape("m", "mask", &[[10.7, 4.2], [15.0, 9.0]], None);
        s.mask = Some(base64::engine::general_purpose::STANDARD.encode(&png));
        let (objects, warnings) = objects(&file(vec![s]), Path::new("m.json"));
        assert!(warnings.is_empty(), "{warnings:?}");
        let part = &objects[0].parts[0];
        assert_eq!(part.holes.len(), 1);
        let mut labels = vec![0u8; 60 * 40];
        crate::geometry::paint_polygon(part.rings(), &mut labels, 60, 40, 1);
        let set: Vec<(usize, usize)> = (0..60 * 40)
            .filter(|&i| labels[i] == 1)
            .map(|i| (i % 60, i / 60))
            .collect();
        assert_eq!(set.len(), 32);
        assert!(
            set.iter()
                .all(|&(x, y)| (10..16).contains(&x) && (4..10).contains(&y))
        );
        assert!(!set.contains(&(12, 6)), "the hole stays open");
    }

    #[test]
    fn a_broken_file_names_line_and_column() {
        let text = "{\n  \"version\": \"5.0\",\n  \"shapes\": [ {\"label\": 3} ]\n}";
        let err = parse_labelme(text, Path::new("/in/a.json"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("/in/a.json:3:"), "{err}");
        assert!(err.contains("invalid type"), "{err}");
    }
}
