//! YOLO segmentation in the Ultralytics layout:
//!
//! ```text
//! OUT/data.yaml                          train/val/test folders and the class names (ids from 0)
//! OUT/images/{train,val,test}/<file>     the photos, copied as they are
//! OUT/labels/{train,val,test}/<stem>.txt one line per polygon: `class x1 y1 x2 y2 …`, normalised
//! ```
//!
//! Class `k` is the variant's label `k + 1` (YOLO has no background class). Each part of an instance
//! is a line of its own. YOLO polygons cannot hold a hole: holes are left out and the report counts
//! them. Images without a split go to `train`, also counted. Coordinates are written with 7 decimals,
//! within 5e-8 of the image size.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use rayon::prelude::*;

use super::{ExportReport, ExportRun, run_export, split_folder};
use crate::progress::Progress;
use crate::project::fsio::{FileError, atomic_write};
use crate::project::{Project, ProjectError, Split, VariantTarget, image_stem};

/// Decimals of the normalised coordinates.
const DECIMALS: usize = 7;

/// Writes the labelled images of `split` (all for `None`) as a YOLO segmentation dataset under `out`.
pub fn export_yolo(
    project: &Project,
    variant_name: &str,
    split: Option<Split>,
    out: &Path,
    progress: &Progress,
) -> Result<ExportReport, ProjectError> {
    run_export(
        project,
        variant_name,
        split,
        out,
        "yolo",
        "exporting YOLO",
        true,
        progress,
        |run| {
            let ExportRun {
                variant,
                root,
                todo,
                report,
            } = run;
            // Ultralytics wants train and val folders even when one is empty.
            for kind in ["images", "labels"] {
                for s in ["train", "val"] {
                    let dir = root.join(kind).join(s);
                    std::fs::create_dir_all(&dir)
                        .map_err(|e| FileError::new("cannot create", &dir, e))?;
                }
            }
            // Per image: (split folder, holes dropped, instances left out).
            let per_image: Vec<(&str, usize, usize)> = todo
                .par_iter()
                .map(|&i| {
                    progress.check().map_err(|_| ProjectError::Cancelled)?;
                    let image = &project.file().images[i];
                    let folder = split_folder(image.split);
                    for kind in ["images", "labels"] {
                        let dir = root.join(kind).join(folder);
                        std::fs::create_dir_all(&dir)
                            .map_err(|e| FileError::new("cannot create", &dir, e))?;
                    }
                    let source = project.image_path(i);
                    let bytes = std::fs::read(&source)
                        .map_err(|e| FileError::new("cannot read", &source, e))?;
                    atomic_write(&root.join("images").join(folder).join(&image.file), &bytes)?;
                    let (w, h) = (f64::from(image.width), f64::from(image.height));
                    let mut text = String::new();
                    let (mut holes, mut left_out) = (0, 0);
                    let mut instances: Vec<_> = project.instances(i).iter().collect();
                    instances.sort_by_key(|inst| inst.order);
                    for inst in instances {
                        let Some(VariantTarget::Label(label)) = variant.mapping.get(&inst.class_id)
                        else {
                            left_out += 1;
                            continue;
                        };
                        for part in &inst.parts {
                            holes += part.holes.len();
                            let _ = write!(text, "{}", label - 1);
                            for &[x, y] in &part.outer {
                                let _ = write!(
                                    text,
                                    " {:.DECIMALS$} {:.DECIMALS$}",
                                    f64::from(x) / w,
                                    f64::from(y) / h
                                );
                            }
                            text.push('\n');
                        }
                    }
                    let label_file = root
                        .join("labels")
                        .join(folder)
                        .join(format!("{}.txt", image_stem(&image.file)));
                    atomic_write(&label_file, text.as_bytes())?;
                    progress.advance(1);
                    Ok((folder, holes, left_out))
                })
                .collect::<Result<_, ProjectError>>()?;

            let folders: BTreeSet<&str> = per_image.iter().map(|(f, _, _)| *f).collect();
            let holes: usize = per_image.iter().map(|(_, h, _)| h).sum();
            let left_out: usize = per_image.iter().map(|(_, _, l)| l).sum();
            let unsplit = todo
                .iter()
                .filter(|&&i| project.file().images[i].split.is_none())
                .count();
            if holes > 0 {
                report.warnings.push(format!(
            "{holes} holes left out: YOLO polygons cannot have holes (the objects are filled in)"
        ));
            }
            if left_out > 0 {
                report.warnings.push(format!(
            "{left_out} instances are not labels of variant {variant_name:?} (ignore regions or ignored classes) and were left out"
        ));
            }
            if unsplit > 0 {
                report
                    .warnings
                    .push(format!("{unsplit} images without a split went to train"));
            }
            if !folders.contains("val") {
                report
                    .warnings
                    .push("no image is in val: Ultralytics validates on an empty set".into());
            }
            let yaml = data_yaml(
                &project.file().name,
                variant_name,
                &variant.labels,
                folders.contains("test"),
            );
            atomic_write(&root.join("data.yaml"), yaml.as_bytes())?;
            Ok(())
        },
    )
}

/// `data.yaml`: no `path` key, so Ultralytics resolves the folders against the file's own folder.
/// Names are JSON strings, which YAML reads as double-quoted scalars.
fn data_yaml(project: &str, variant: &str, labels: &[String], test: bool) -> String {
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"?\"".into());
    let mut yaml = format!(
        "# Written by SegStudio: project {}, variant {}\ntrain: images/train\nval: images/val\n",
        quote(project),
        quote(variant)
    );
    if test {
        yaml.push_str("test: images/test\n");
    }
    let _ = writeln!(yaml, "nc: {}\nnames:", labels.len());
    for (k, label) in labels.iter().enumerate() {
        let _ = writeln!(yaml, "  {k}: {}", quote(label));
    }
    yaml
}

/// One line of a label file: its class and polygon in normalised coordinates.
#[derive(Clone, Debug, PartialEq)]
pub struct YoloPolygon {
    pub class: usize,
    pub points: Vec<[f64; 2]>,
}

/// Parses a label file; a bad line is an error naming the file and line. Lines of 4 numbers after
/// the class (detection boxes) become rectangles.
pub fn parse_yolo_labels(text: &str, path: &Path) -> Result<Vec<YoloPolygon>, ProjectError> {
    let mut polygons = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = |problem: String| ProjectError::Parse {
            path: path.to_path_buf(),
            line: n + 1,
            column: 1,
            message: problem,
        };
        let mut words = line.split_whitespace();
        let class = words
            .next()
            .and_then(|w| w.parse::<usize>().ok())
            .ok_or_else(|| bad("the line does not start with a class number".into()))?;
        let values: Vec<f64> = words
            .map(|w| w.parse::<f64>().ok().filter(|v| v.is_finite()))
            .collect::<Option<_>>()
            .ok_or_else(|| bad("a coordinate is not a number".into()))?;
        let points = match values.len() {
            4 => {
                let [cx, cy, bw, bh] = [values[0], values[1], values[2], values[3]];
                let (x0, y0, x1, y1) = (cx - bw / 2.0, cy - bh / 2.0, cx + bw / 2.0, cy + bh / 2.0);
                vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
            }
            k if k >= 6 && k % 2 == 0 => values.chunks_exact(2).map(|c| [c[0], c[1]]).collect(),
            k => {
                return Err(bad(format!(
                    "{k} coordinates: a polygon needs an even number, at least 6"
                )));
            }
        };
        polygons.push(YoloPolygon { class, points });
    }
    Ok(polygons)
}

/// The class names of a `data.yaml` (`names:` as a list, or a map from ids 0, 1, …), in id order.
pub fn parse_data_yaml_names(text: &str, path: &Path) -> Result<Vec<String>, ProjectError> {
    use yaml_rust2::{Yaml, YamlLoader};
    let bad = |line: usize, column: usize, message: String| ProjectError::Parse {
        path: path.to_path_buf(),
        line,
        column,
        message,
    };
    let docs = YamlLoader::load_from_str(text)
        .map_err(|e| bad(e.marker().line(), e.marker().col() + 1, e.info().to_owned()))?;
    let scalar = |v: &Yaml| match v {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    };
    let not_names = || {
        bad(
            1,
            1,
            "`names:` is neither a list nor a map of class names".into(),
        )
    };
    match docs.first().map(|d| &d["names"]) {
        Some(Yaml::Array(list)) => list
            .iter()
            .map(|v| scalar(v).ok_or_else(not_names))
            .collect(),
        Some(Yaml::Hash(map)) => {
            let mut names = Vec::new();
            for (k, v) in map {
                let id = k.as_i64().ok_or_else(not_names)?;
                names.push((id, scalar(v).ok_or_else(not_names)?));
            }
            names.sort_by_key(|(id, _)| *id);
            if names.iter().enumerate().any(|(k, (id, _))| k as i64 != *id) {
                return Err(bad(
                    1,
                    1,
                    "the class numbers of `names:` are not 0, 1, 2, …".into(),
                ));
            }
            Ok(names.into_iter().map(|(_, n)| n).collect())
        }
        Some(Yaml::BadValue) | None => Err(bad(1, 1, "no `names:` key".into())),
        Some(_) => Err(not_names()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse_polygons_and_boxes_and_name_bad_lines() {
        let text = "0 0.1 0.2 0.3 0.2 0.3 0.4\n\n2 0.5 0.5 0.2 0.4\n";
        let polygons = parse_yolo_labels(text, Path::new("a.txt")).unwrap();
        assert_eq!(polygons.len(), 2);
        assert_eq!(polygons[0].points, [[0.1, 0.2], [0.3, 0.2], [0.3, 0.4]]);
        assert_eq!(polygons[1].class, 2);
        let close =
            |a: [f64; 2], b: [f64; 2]| (a[0] - b[0]).abs() < 1e-12 && (a[1] - b[1]).abs() < 1e-12;
        assert!(close(polygons[1].points[0], [0.4, 0.3]));
        assert!(close(polygons[1].points[2], [0.6, 0.7]));
        let err = parse_yolo_labels("0 0.1 0.2\n1 0.1 0.2 0.3 0.4 0.5", Path::new("b.txt"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("b.txt:1:"), "{err}");
        let err = parse_yolo_labels("0 0.1 0.2 0.3 0.2 0.3 x", Path::new("c.txt"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a number"), "{err}");
    }

    #[test]
    fn names_come_from_lists_maps_and_our_own_yaml() {
        let ours = data_yaml("p", "full", &["a".into(), "b \"q\"".into()], false);
        let names = parse_data_yaml_names(&ours, Path::new("data.yaml")).unwrap();
        assert_eq!(names, ["a", "b \"q\""]);
        let list = "path: x\nnames: ['cat', dog]\n";
        assert_eq!(
            parse_data_yaml_names(list, Path::new("d.yaml")).unwrap(),
            ["cat", "dog"]
        );
        let dashes = "names:\n  - cat\n  - dog\nnc: 2\n";
        assert_eq!(
            parse_data_yaml_names(dashes, Path::new("d.yaml")).unwrap(),
            ["cat", "dog"]
        );
        let gap = "names:\n  0: a\n  2: c\n";
        assert!(parse_data_yaml_names(gap, Path::new("g.yaml")).is_err());
        assert!(parse_data_yaml_names("nc: 1\n", Path::new("n.yaml")).is_err());
    }
}
