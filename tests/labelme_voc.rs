//! LabelMe import and VOC export against labelme's own outputs (`../shared/data/labelme-examples`,
//! golden files written by `labelme2voc.py` and `labelme_json_to_dataset`).
#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot set up fails loudly, which is what it should do"
)]

mod common;

use std::path::Path;
use std::sync::Arc;

use segstudio::formats::export_voc;
use segstudio::formats::labelme::{objects, parse_labelme};
use segstudio::imageio::read_label_png;
use segstudio::import::{ImportOptions, import_labelme};
use segstudio::label::LabelSession;
use segstudio::progress::Progress;
use segstudio::project::{IGNORE_CLASS, Preset, Project};

fn examples(test: &str) -> Option<std::path::PathBuf> {
    common::shared(test, "data/labelme-examples", "README.md")
}

/// A project whose classes are the lines of a labelme label list, in order (label ids as labelme's).
fn project_with_labels(root: &Path, labels: &Path) -> Project {
    let mut project = Project::create(root, "labelme", Preset::Empty).unwrap();
    for label in std::fs::read_to_string(labels).unwrap().lines() {
        let label = label.trim();
        if !label.is_empty() && label != "__ignore__" && label != "_background_" {
            project.add_class(label).unwrap();
        }
    }
    project.save_project_file().unwrap();
    project
}

fn import(project: Project, data: &Path) -> Project {
    let options = ImportOptions {
        paths: vec![data.to_path_buf()],
        ..ImportOptions::default()
    };
    let (changes, report) = import_labelme(&project, &options, &Progress::default()).unwrap();
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert!(
        report.classes_created.is_empty(),
        "{:?}",
        report.classes_created
    );
    let mut session = LabelSession::open(project, Arc::new(|| {})).unwrap();
    let merged = session.merge(changes);
    assert!(merged.refused.is_empty(), "{merged:?}");
    session.flush().unwrap();
    session.project().clone()
}

/// Share of equal pixels between our PNG and labelme's, how many differ, and how many of those lie
/// away from every edge of ours (more than one pixel from a change of value).
fn agreement(ours: &Path, theirs: &Path) -> (f64, usize, usize) {
    let (a, b) = (
        read_label_png(ours).unwrap(),
        read_label_png(theirs).unwrap(),
    );
    assert_eq!(
        (a.width, a.height),
        (b.width, b.height),
        "{}",
        ours.display()
    );
    let (w, h) = (a.width as usize, a.height as usize);
    let at = |x: usize, y: usize| a.data[y * w + x];
    let on_edge = |x: usize, y: usize| {
        let v = at(x, y);
        (y.saturating_sub(1)..(y + 2).min(h))
            .any(|yy| (x.saturating_sub(1)..(x + 2).min(w)).any(|xx| at(xx, yy) != v))
    };
    let mut differ = 0;
    let mut inland = 0;
    for y in 0..h {
        for x in 0..w {
            if a.data[y * w + x] != b.data[y * w + x] {
                differ += 1;
                if !on_edge(x, y) {
                    inland += 1;
                }
            }
        }
    }
    (1.0 - differ as f64 / a.data.len() as f64, differ, inland)
}

fn check_voc(example: &str, labels: &str, data: &str, golden: &[(&str, &str)]) {
    let test = format!("labelme_to_voc_{example}");
    let Some(root) = examples(&test) else { return };
    let dir = tempfile::tempdir().unwrap();
    let project = project_with_labels(&dir.path().join("P"), &root.join(example).join(labels));
    let project = import(project, &root.join(example).join(data));
    let out = dir.path().join("voc");
    let report = export_voc(&project, "full", None, &out, &Progress::default()).unwrap();
    assert!(report.written > 0);
    let mut worst = 1.0f64;
    for (ours_dir, theirs_dir) in golden {
        for entry in std::fs::read_dir(root.join(example).join(theirs_dir)).unwrap() {
            let theirs = entry.unwrap().path();
            let ours = out.join(ours_dir).join(theirs.file_name().unwrap());
            let (share, differ, inland) = agreement(&ours, &theirs);
            println!(
                "{example} {ours_dir}/{}: {:.4} % equal ({differ} pixels differ, {inland} off an edge)",
                theirs.file_name().unwrap().to_string_lossy(),
                100.0 * share
            );
            worst = worst.min(share);
            assert!(
                inland <= 10,
                "{example}: {inland} differing pixels lie off our edges"
            );
        }
    }
    // labelme paints polygons with PIL, fill *and* outline: every pixel the boundary touches. The
    // pixel-centre rule takes those whose centre is inside. Both agree away from the edges (above);
    // on them, 0.2–0.6 % of an image differs.
    assert!(
        worst >= 0.993,
        "{example}: only {:.4} % of pixels agree",
        100.0 * worst
    );
}

#[test]
fn semantic_segmentation_matches_labelme2voc() {
    check_voc(
        "semantic_segmentation",
        "labels.txt",
        "data_annotated",
        &[("SegmentationClass", "data_dataset_voc/SegmentationClass")],
    );
}

#[test]
fn instance_segmentation_matches_labelme2voc() {
    check_voc(
        "instance_segmentation",
        "labels.txt",
        "data_annotated",
        &[
            ("SegmentationClass", "data_dataset_voc/SegmentationClass"),
            ("SegmentationObject", "data_dataset_voc/SegmentationObject"),
        ],
    );
}

#[test]
fn the_tutorial_with_its_embedded_photo_matches_labelme() {
    let Some(root) = examples("the_tutorial_with_its_embedded_photo_matches_labelme") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let labels = root.join("tutorial/apc2016_obj3/label_names.txt");
    let project = project_with_labels(&dir.path().join("P"), &labels);
    // The JSON's imagePath is its own name: the photo must come from imageData.
    let project = import(project, &root.join("tutorial/apc2016_obj3.json"));
    assert_eq!(project.file().images[0].file, "apc2016_obj3.jpg");
    assert_eq!(
        (
            project.file().images[0].width,
            project.file().images[0].height
        ),
        (1210, 907)
    );
    let out = dir.path().join("voc");
    export_voc(&project, "full", None, &out, &Progress::default()).unwrap();
    let (share, differ, inland) = agreement(
        &out.join("SegmentationClass/apc2016_obj3.png"),
        &root.join("tutorial/apc2016_obj3/label.png"),
    );
    println!(
        "tutorial: {:.4} % equal ({differ} pixels differ, {inland} off an edge)",
        100.0 * share
    );
    assert!(inland <= 10, "{inland} differing pixels lie off our edges");
    assert!(share >= 0.993, "only {:.4} % agree", 100.0 * share);
}

#[test]
fn every_shape_type_of_primitives_is_read_or_named() {
    let Some(root) = examples("every_shape_type_of_primitives_is_read_or_named") else {
        return;
    };
    let path = root.join("primitives/primitives.json");
    let file = parse_labelme(&std::fs::read_to_string(&path).unwrap(), &path).unwrap();
    let (objects, warnings) = objects(&file, &path);
    let labels: Vec<&str> = objects.iter().map(|o| o.label.as_str()).collect();
    assert_eq!(
        labels,
        ["rectangle", "circle", "rectangle", "polygon", "octagon"]
    );
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    for kind in ["line", "point", "linestrip"] {
        assert!(
            warnings.iter().any(|w| w.contains(&format!(", {kind})"))),
            "{warnings:?}"
        );
    }
    // The mask shape is a traced bitmap: an octagon has more than 4 vertices.
    assert!(objects[4].parts[0].outer.len() > 4);
}

#[test]
fn ignore_shapes_become_ignore_regions_painted_255() {
    let Some(root) = examples("ignore_shapes_become_ignore_regions_painted_255") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let example = root.join("semantic_segmentation");
    let project = project_with_labels(&dir.path().join("P"), &example.join("labels.txt"));
    let project = import(project, &example.join("data_annotated/2011_000003.json"));
    let ignores = project
        .instances(0)
        .iter()
        .filter(|i| i.class_id == IGNORE_CLASS)
        .count();
    assert_eq!(ignores, 1);
    // Statistics count the ignore region under no class.
    let stats = segstudio::stats::project_stats(&project);
    let instances: usize = stats.classes.iter().map(|c| c.instances).sum();
    assert_eq!(instances, project.instances(0).len() - 1);
}
