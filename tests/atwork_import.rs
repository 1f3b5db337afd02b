//! The seed's real photos imported from their masks and exported again reproduce the masks.
//!
//! Reads `../shared/data/atwork` at run time; nothing derived from it is written outside a temp folder.

mod common;

use std::collections::BTreeMap;

use segstudio::formats::export_masks;
use segstudio::imageio::read_label_png;
use segstudio::import::MaskImportOptions;
use segstudio::progress::Progress;
use segstudio::project::{Preset, Project};

#[test]
fn atwork_import_reexport_reproduces_the_masks() {
    let Some(atwork) = common::atwork_dir("atwork_import_reexport_reproduces_the_masks") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("P");
    let project = Project::create(&root, "atwork", Preset::AtWork).unwrap();
    let options = MaskImportOptions {
        images_dir: atwork.join("images"),
        masks_dir: atwork.join("labels"),
        background: 19,
        split_per_class: Some([22, 4, 4]),
        min_region_px: project.file().import.min_region_px,
        simplify_px: project.file().import.simplify_px,
    };
    let (project, report) = common::import_into(project, &options);
    assert_eq!(report.photos, 543);
    assert_eq!(report.labelled, 537);
    assert_eq!(report.unlabelled, 6);
    assert_eq!((report.train, report.val, report.test), (396, 72, 69));
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);

    // The project reopens from disk with the same content.
    let reopened = Project::open(&root).unwrap();
    assert_eq!(reopened.file(), project.file());
    assert_eq!(reopened.annotations(), project.annotations());

    let out = dir.path().join("masks");
    let exported = export_masks(&reopened, "full", None, &out, &Progress::default()).unwrap();
    assert_eq!(exported.written, 537);

    // IoU per object (class) per photo between the source mask (19 -> 0) and the re-export.
    let mut min_iou = (f64::INFINITY, String::new());
    let mut per_class_min: BTreeMap<u8, f64> = BTreeMap::new();
    let mut objects = 0;
    for class_dir in std::fs::read_dir(atwork.join("labels")).unwrap() {
        for mask in std::fs::read_dir(class_dir.unwrap().path()).unwrap() {
            let mask = mask.unwrap().path();
            let source = read_label_png(&mask).unwrap();
            let exported = read_label_png(&out.join(mask.file_name().unwrap())).unwrap();
            let mut inter = [0u64; 256];
            let mut union = [0u64; 256];
            for (&s, &e) in source.data.iter().zip(&exported.data) {
                let s = if s == 19 { 0 } else { s };
                if s == e {
                    inter[usize::from(s)] += 1;
                    union[usize::from(s)] += 1;
                } else {
                    union[usize::from(s)] += 1;
                    union[usize::from(e)] += 1;
                }
            }
            for class in 1..=18usize {
                let present = source.data.iter().any(|&v| usize::from(v) == class);
                if !present {
                    continue;
                }
                objects += 1;
                let iou = inter[class] as f64 / union[class] as f64;
                let entry = per_class_min.entry(class as u8).or_insert(1.0);
                *entry = entry.min(iou);
                if iou < min_iou.0 {
                    min_iou = (iou, mask.display().to_string());
                }
            }
        }
    }
    println!(
        "objects compared: {objects}; minimum IoU {:.5} ({})",
        min_iou.0, min_iou.1
    );
    println!("minimum IoU per class id: {per_class_min:?}");
    assert!(objects >= 537);
    assert!(
        min_iou.0 >= 0.98,
        "minimum IoU {:.5} at {}",
        min_iou.0,
        min_iou.1
    );
}
