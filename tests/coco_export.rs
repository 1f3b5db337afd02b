//! COCO export: polygons vertex for vertex, RLE exactly for instances with holes, area and bbox from
//! the mask; and the file loads in pycocotools with the same masks (when `SEGSTUDIO_PYTHON` is set).
#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot set up fails loudly, which is what it should do"
)]

mod common;

use std::path::Path;

use segstudio::formats::coco::{CocoFile, Segmentation, instance_mask};
use segstudio::formats::export_coco;
use segstudio::progress::Progress;
use segstudio::project::{IGNORE_CLASS, Instance, Part, Project, Tool};

fn two_part(id: u32) -> Instance {
    Instance {
        id,
        class_id: 2,
        parts: vec![
            Part::solid(vec![[40.0, 5.0], [50.5, 5.0], [50.5, 12.25], [40.0, 12.25]]),
            Part::solid(vec![[52.0, 30.0], [60.0, 30.0], [56.0, 40.0]]),
        ],
        order: id as i32,
        tool: Tool::Polygon,
    }
}

/// Exports `project` and checks every annotation against the project's instances.
fn export_and_check(project: &Project, out: &Path) -> CocoFile {
    let report = export_coco(project, "full", None, out, &Progress::default()).unwrap();
    let coco: CocoFile =
        serde_json::from_slice(&std::fs::read(out.join("annotations.json")).unwrap()).unwrap();
    assert_eq!(coco.images.len(), report.written);
    let masks = out.join("check-masks");
    std::fs::create_dir_all(&masks).unwrap();
    for ann in &coco.annotations {
        let image = &coco.images[ann.image_id as usize - 1];
        assert!(out.join("JPEGImages").join(&image.file_name).is_file());
        let index = project.image_index(&image.file_name).unwrap();
        let mask_of = |inst: &Instance| instance_mask(inst, image.width, image.height);
        let candidates: Vec<&Instance> = project
            .instances(index)
            .iter()
            .filter(|i| i.class_id != IGNORE_CLASS)
            .collect();
        let inst = match &ann.segmentation {
            Segmentation::Polygons(polygons) => {
                let flat = |i: &Instance| -> Vec<Vec<f64>> {
                    i.parts
                        .iter()
                        .map(|p| {
                            p.outer
                                .iter()
                                .flat_map(|&[x, y]| [f64::from(x), f64::from(y)])
                                .collect()
                        })
                        .collect()
                };
                *candidates
                    .iter()
                    .find(|i| &flat(i) == polygons)
                    .expect("polygons come back vertex for vertex")
            }
            Segmentation::Rle(rle) => {
                let decoded = rle.decode().unwrap();
                *candidates
                    .iter()
                    .find(|i| mask_of(i) == decoded)
                    .expect("the RLE is the instance's mask exactly")
            }
            Segmentation::CompressedRle(_) => panic!("the exporter writes uncompressed RLE"),
        };
        assert_eq!(
            inst.hole_count() > 0,
            matches!(ann.segmentation, Segmentation::Rle(_)),
            "RLE exactly where there are holes"
        );
        let mask = mask_of(inst);
        assert!((ann.area - mask.iter().filter(|&&v| v != 0).count() as f64).abs() < 1e-9);
        std::fs::write(masks.join(format!("{}.bin", ann.id)), &mask).unwrap();
    }
    coco
}

fn check_with_pycocotools(test: &str, out: &Path) {
    let Some(python) = common::python(test) else {
        return;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/check_coco.py");
    let run = std::process::Command::new(python)
        .arg(script)
        .arg(out)
        .arg(out.join("check-masks"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    println!("pycocotools: {stdout}");
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn coco_export_is_exact_and_loads_in_pycocotools() {
    let (dir, project) = common::tiny_project(2);
    let mut ignore = common::nut(4, 20.0);
    ignore.class_id = IGNORE_CLASS;
    ignore.parts[0].holes.clear();
    let project = common::label(
        project,
        &[
            (0, vec![common::nut(1, 5.0), two_part(2), ignore]),
            (1, vec![two_part(1)]),
        ],
    );
    let out = dir.path().join("coco");
    let coco = export_and_check(&project, &out);
    assert_eq!(
        coco.annotations.len(),
        3,
        "the ignore region is no annotation"
    );
    let names: Vec<&str> = coco.categories.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["nut", "bolt"]);
    assert_eq!(coco.categories[0].id, 1, "categories count from 1");
    let nut = &coco.annotations[0];
    // A 12×12 square with a 4×4 hole: 128 pixels in [5, 17) × [10, 22).
    assert_eq!((nut.area, nut.bbox), (128.0, [5.0, 10.0, 12.0, 12.0]));
    check_with_pycocotools("coco_export_is_exact_and_loads_in_pycocotools", &out);
}

#[test]
fn the_atwork_import_exports_to_coco_exactly() {
    let Some(atwork) = common::atwork_dir("the_atwork_import_exports_to_coco_exactly") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let project = common::import_atwork_subset(&atwork, dir.path(), &["axis", "bearing"], 8, None);
    let out = dir.path().join("coco");
    let coco = export_and_check(&project, &out);
    assert!(coco.annotations.len() >= 14, "{}", coco.annotations.len());
    check_with_pycocotools("the_atwork_import_exports_to_coco_exactly", &out);
}
