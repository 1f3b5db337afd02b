//! Round trips through our own exports and imports: LabelMe and COCO polygons come back vertex for
//! vertex and holes pixel for pixel; YOLO polygons within 1e-6 of the image size with holes dropped
//! as reported; VOC label maps pixel for pixel; Cityscapes label ids equal to the one rasteriser's.
//! On a tiny project with holes, several parts, an ignore region and splits, and on part of the real
//! atWork import. The LabelMe export also loads in labelme's own `LabelFile` (when
//! `SEGSTUDIO_PYTHON` has labelme).
#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot set up fails loudly, which is what it should do"
)]

mod common;

use std::path::Path;
use std::sync::Arc;

use segstudio::formats::coco::instance_mask;
use segstudio::formats::{
    export_cityscapes, export_coco, export_labelme, export_voc, export_yolo, render_label_map,
};
use segstudio::geometry::paint_polygon;
use segstudio::import::{
    ImportOptions, ImportReport, import_coco, import_labelme, import_voc, import_yolo,
};
use segstudio::label::{LabelSession, ProjectChanges};
use segstudio::progress::Progress;
use segstudio::project::{
    IGNORE_CLASS, Instance, Part, Preset, Project, ProjectError, Split, Tool,
};

type Importer =
    fn(&Project, &ImportOptions, &Progress) -> Result<(ProjectChanges, ImportReport), ProjectError>;

/// Imports `path` into a new empty project and returns it.
fn import_fresh(dir: &Path, importer: Importer, path: &Path) -> (Project, ImportReport) {
    let project = Project::create(dir, "back", Preset::Empty).unwrap();
    let options = ImportOptions {
        paths: vec![path.to_path_buf()],
        ..ImportOptions::default()
    };
    let (changes, report) = importer(&project, &options, &Progress::default()).unwrap();
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    let mut session = LabelSession::open(project, Arc::new(|| {})).unwrap();
    let merged = session.merge(changes);
    assert!(merged.refused.is_empty(), "{:?}", merged.refused);
    session.flush().unwrap();
    (session.project().clone(), report)
}

fn class_name(project: &Project, id: segstudio::project::ClassId) -> String {
    if id == IGNORE_CLASS {
        return "__ignore__".into();
    }
    project.class(id).unwrap().name.clone()
}

/// The label map of an image with class names numbered by `names` (ignore regions 255): two
/// projects with other class ids compare pixel for pixel.
fn named_map(project: &Project, index: usize, names: &[String]) -> Vec<u8> {
    let image = &project.file().images[index];
    let (w, h) = (image.width, image.height);
    let mut map = vec![0u8; (w * h) as usize];
    let mut order: Vec<&Instance> = project.instances(index).iter().collect();
    order.sort_by_key(|i| i.order);
    for inst in order {
        let name = class_name(project, inst.class_id);
        let value = names
            .iter()
            .position(|n| *n == name)
            .map_or(255, |k| k as u8 + 1);
        for part in &inst.parts {
            paint_polygon(part.rings(), &mut map, w, h, value);
        }
    }
    map
}

fn names_of(project: &Project) -> Vec<String> {
    let mut names: Vec<String> = project
        .file()
        .classes
        .iter()
        .map(|c| c.name.clone())
        .collect();
    names.sort();
    names
}

/// Every labelled image of `a` with its counterpart in `b`: the same file name, or the same stem
/// (VOC's JPEGImages turn PNG photos into JPEG files).
fn pairs(a: &Project, b: &Project) -> Vec<(usize, usize)> {
    let stem = segstudio::project::image_stem;
    (0..a.file().images.len())
        .filter(|&i| !a.instances(i).is_empty())
        .map(|i| {
            let file = &a.file().images[i].file;
            let j = b.image_index(file).or_else(|| {
                b.file()
                    .images
                    .iter()
                    .position(|e| stem(&e.file) == stem(file))
            });
            (i, j.unwrap_or_else(|| panic!("{file} did not come back")))
        })
        .collect()
}

/// A class name with an instance's outer rings.
type NamedRings = (String, Vec<Vec<[f32; 2]>>);
/// A class name with an instance's mask.
type NamedMask = (String, Vec<u8>);

/// (class name, outer rings) of the instances without holes, and (class name, mask) of those with.
fn polygons_and_masks(
    project: &Project,
    index: usize,
    with_ignore: bool,
) -> (Vec<NamedRings>, Vec<NamedMask>) {
    let image = &project.file().images[index];
    let (mut polygons, mut masks) = (Vec::new(), Vec::new());
    for inst in project.instances(index) {
        if inst.class_id == IGNORE_CLASS && !with_ignore {
            continue;
        }
        let name = class_name(project, inst.class_id);
        if inst.hole_count() == 0 {
            polygons.push((name, inst.parts.iter().map(|p| p.outer.clone()).collect()));
        } else {
            masks.push((name, instance_mask(inst, image.width, image.height)));
        }
    }
    polygons.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    masks.sort();
    (polygons, masks)
}

/// LabelMe and COCO: instance for instance, polygons exact and holes pixel-exact. COCO has no
/// ignore regions (they are no annotations): `with_ignore` is false for it.
fn assert_exact(a: &Project, b: &Project, what: &str, with_ignore: bool) {
    let names = names_of(a);
    for (i, j) in pairs(a, b) {
        let file = &a.file().images[i].file;
        let (pa, ma) = polygons_and_masks(a, i, with_ignore);
        let (pb, mb) = polygons_and_masks(b, j, true);
        assert_eq!(
            pa, pb,
            "{what}: the polygons of {file} come back vertex for vertex"
        );
        assert_eq!(ma.len(), mb.len(), "{what}: {file}");
        assert!(
            ma == mb,
            "{what}: the instances with holes of {file} come back pixel for pixel"
        );
        assert!(
            !with_ignore || named_map(a, i, &names) == named_map(b, j, &names),
            "{what}: {file}"
        );
    }
}

fn assert_same_maps(a: &Project, b: &Project, what: &str) {
    let names = names_of(a);
    let pairs = pairs(a, b);
    assert!(!pairs.is_empty());
    for (i, j) in pairs {
        assert!(
            named_map(a, i, &names) == named_map(b, j, &names),
            "{what}: the label map of {} comes back pixel for pixel",
            a.file().images[i].file
        );
    }
}

fn assert_yolo(a: &Project, b: &Project) {
    for (i, j) in pairs(a, b) {
        let image = &a.file().images[i];
        let (w, h) = (image.width as f32, image.height as f32);
        let mut ours: Vec<(String, Vec<[f32; 2]>)> = a
            .instances(i)
            .iter()
            .filter(|inst| inst.class_id != IGNORE_CLASS)
            .flat_map(|inst| {
                inst.parts
                    .iter()
                    .map(move |p| (class_name(a, inst.class_id), p.outer.clone()))
            })
            .collect();
        let mut theirs: Vec<(String, Vec<[f32; 2]>)> = b
            .instances(j)
            .iter()
            .map(|inst| {
                assert_eq!(inst.hole_count(), 0, "YOLO has no holes");
                assert_eq!(inst.parts.len(), 1, "one line, one instance");
                (class_name(b, inst.class_id), inst.parts[0].outer.clone())
            })
            .collect();
        let key = |x: &(String, Vec<[f32; 2]>)| {
            (
                x.0.clone(),
                (x.1[0][0] * 16.0).round() as i64,
                (x.1[0][1] * 16.0).round() as i64,
                x.1.len(),
            )
        };
        ours.sort_by_key(key);
        theirs.sort_by_key(key);
        assert_eq!(ours.len(), theirs.len(), "{}", image.file);
        for ((na, ra), (nb, rb)) in ours.iter().zip(&theirs) {
            assert_eq!(na, nb);
            assert_eq!(ra.len(), rb.len());
            for (p, q) in ra.iter().zip(rb) {
                assert!(
                    ((p[0] - q[0]) / w).abs() <= 1e-6 && ((p[1] - q[1]) / h).abs() <= 1e-6,
                    "{}: {p:?} came back as {q:?}",
                    image.file
                );
            }
        }
    }
}

/// Cityscapes has no import: its label ids are compared with the one rasteriser's.
fn assert_cityscapes(project: &Project, out: &Path) {
    let variant = project.full_variant();
    let mut seen = 0;
    for (i, image) in project.file().images.iter().enumerate() {
        if project.instances(i).is_empty() {
            continue;
        }
        let split = image.split.map_or("train", Split::name);
        let stem = segstudio::project::image_stem(&image.file);
        let city = std::fs::read_dir(out.join("gtFine").join(split))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let ids =
            segstudio::imageio::read_label_png(&city.join(format!("{stem}_gtFine_labelIds.png")))
                .unwrap();
        assert!(
            ids.data == render_label_map(project.instances(i), variant, image.width, image.height)
        );
        let photo = city.to_string_lossy().replace("gtFine", "leftImg8bit");
        let rgb = image::open(Path::new(&photo).join(format!("{stem}_leftImg8bit.png"))).unwrap();
        assert_eq!((rgb.width(), rgb.height()), (image.width, image.height));
        seen += 1;
    }
    assert!(seen > 0);
}

/// Exports `project` in every format, imports each back and checks what came back.
fn round_trip_all(project: &Project, dir: &Path) {
    let progress = Progress::default();
    let ex = |name: &str| dir.join(format!("export-{name}"));
    export_labelme(project, "full", None, &ex("labelme"), &progress).unwrap();
    let (back, _) = import_fresh(&dir.join("from-labelme"), import_labelme, &ex("labelme"));
    assert_exact(project, &back, "LabelMe", true);
    check_with_labelme(&ex("labelme"), project);

    export_coco(project, "full", None, &ex("coco"), &progress).unwrap();
    let (back, _) = import_fresh(
        &dir.join("from-coco"),
        import_coco,
        &ex("coco").join("annotations.json"),
    );
    assert_exact(project, &back, "COCO", false);

    export_voc(project, "full", None, &ex("voc"), &progress).unwrap();
    let (back, _) = import_fresh(&dir.join("from-voc"), import_voc, &ex("voc"));
    assert_same_maps(project, &back, "VOC");
    for (i, j) in pairs(project, &back) {
        assert_eq!(
            project.file().images[i].split,
            back.file().images[j].split,
            "VOC keeps the splits"
        );
    }

    let report = export_yolo(project, "full", None, &ex("yolo"), &progress).unwrap();
    let holes: usize = (0..project.file().images.len())
        .map(|i| {
            project
                .instances(i)
                .iter()
                .map(Instance::hole_count)
                .sum::<usize>()
        })
        .sum();
    if holes > 0 {
        assert!(
            report
                .warnings
                .iter()
                .any(|w| w.contains(&format!("{holes} holes left out"))),
            "{:?}",
            report.warnings
        );
    }
    let (back, _) = import_fresh(&dir.join("from-yolo"), import_yolo, &ex("yolo"));
    assert_yolo(project, &back);

    export_cityscapes(project, "full", None, &ex("cityscapes"), &progress).unwrap();
    assert_cityscapes(project, &ex("cityscapes"));
}

/// Loads every exported file with labelme's `LabelFile` and compares its masks with ours.
fn check_with_labelme(out: &Path, project: &Project) {
    let Some(python) = common::python("format_round_trips (labelme LabelFile)") else {
        return;
    };
    let masks = out.with_extension("masks");
    segstudio::formats::export_masks(project, "full", None, &masks, &Progress::default()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/check_labelme.py");
    let run = std::process::Command::new(python)
        .env("QT_QPA_PLATFORM", "offscreen")
        .arg(script)
        .arg(out)
        .arg(&masks)
        .args(&project.full_variant().labels)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    println!("labelme: {stdout}");
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn a_tiny_project_round_trips_through_every_format() {
    let (dir, project) = common::tiny_project(3);
    let two_part = Instance {
        id: 2,
        class_id: 2,
        parts: vec![
            Part::solid(vec![[40.0, 5.0], [50.5, 5.0], [50.5, 12.25], [40.0, 12.25]]),
            Part::solid(vec![[52.1, 30.3], [60.7, 30.0], [56.0, 40.9]]),
        ],
        order: 2,
        tool: Tool::Polygon,
    };
    let mut ignore = common::nut(3, 30.0);
    ignore.class_id = IGNORE_CLASS;
    ignore.parts[0].holes.clear();
    ignore.order = 0;
    let mut project = common::label(
        project,
        &[
            (0, vec![common::nut(1, 5.0), two_part.clone(), ignore]),
            (2, vec![two_part]),
        ],
    );
    project.set_split(0, Some(Split::Train));
    project.set_split(2, Some(Split::Val));
    project.save_project_file().unwrap();
    round_trip_all(&project, dir.path());
}

#[test]
fn the_atwork_import_round_trips_through_every_format() {
    let Some(atwork) = common::atwork_dir("the_atwork_import_round_trips_through_every_format")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let project = common::import_atwork_subset(
        &atwork,
        dir.path(),
        &["axis", "container_box_red", "motor"],
        4,
        Some([2, 1, 1]),
    );
    round_trip_all(&project, dir.path());
}

#[test]
fn two_photos_of_one_stem_are_refused_by_the_formats_named_by_stems() {
    let (dir, mut project) = common::tiny_project(1);
    image::RgbImage::from_pixel(64, 48, image::Rgb([1, 2, 3]))
        .save(dir.path().join("images/photo_000.jpg"))
        .unwrap();
    project.push_image(segstudio::project::ImageEntry {
        file: "photo_000.jpg".into(),
        width: 64,
        height: 48,
        split: None,
        done: false,
    });
    project.save_project_file().unwrap();
    let project = common::label(
        project,
        &[
            (0, vec![common::nut(1, 5.0)]),
            (1, vec![common::nut(1, 9.0)]),
        ],
    );
    let progress = Progress::default();
    for format in [
        segstudio::formats::ExportFormat::Masks,
        segstudio::formats::ExportFormat::Voc,
        segstudio::formats::ExportFormat::Yolo,
        segstudio::formats::ExportFormat::Labelme,
        segstudio::formats::ExportFormat::Cityscapes,
    ] {
        let out = dir.path().join(format!("out-{format:?}"));
        let err = format
            .export(&project, "full", None, &out, &progress)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("photo_000.png") && err.contains("photo_000.jpg"),
            "{format:?}: {err}"
        );
        assert!(!out.exists(), "{format:?} wrote nothing");
    }
    // COCO names files by their full name: both go out.
    let out = dir.path().join("out-coco");
    export_coco(&project, "full", None, &out, &progress).unwrap();
}
