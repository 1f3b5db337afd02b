//! Imports refuse photo paths that lead out of the folder being imported (`../`, absolute paths,
//! symlinks out) with the file named, and malformed files give errors naming the file and place.
#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot set up fails loudly, which is what it should do"
)]

use std::path::Path;

use segstudio::import::{ImportOptions, import_coco, import_labelme, import_voc, import_yolo};
use segstudio::progress::Progress;
use segstudio::project::{Preset, Project};

fn photo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    image::RgbImage::from_pixel(20, 10, image::Rgb([9, 9, 9]))
        .save(path)
        .unwrap();
}

fn options(path: &Path) -> ImportOptions {
    ImportOptions {
        paths: vec![path.to_path_buf()],
        ..ImportOptions::default()
    }
}

#[test]
fn coco_file_names_that_escape_are_refused_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    photo(&data.join("ok.png"));
    photo(&dir.path().join("secret.png"));
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path().join("secret.png"), data.join("link.png")).unwrap();
    let json = data.join("annotations.json");
    let images = [
        ("ok.png", 1),
        ("../secret.png", 2),
        ("/etc/passwd", 3),
        ("link.png", 4),
    ];
    let text = serde_json::json!({
        "images": images.iter().map(|(f, id)| serde_json::json!({"id": id, "file_name": f, "width": 20, "height": 10})).collect::<Vec<_>>(),
        "categories": [{"id": 1, "name": "nut"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[1, 1, 9, 1, 9, 8]]}],
    });
    std::fs::write(&json, text.to_string()).unwrap();
    let project = Project::create(&dir.path().join("P"), "p", Preset::Empty).unwrap();
    let (changes, report) = import_coco(&project, &options(&json), &Progress::default()).unwrap();
    assert_eq!(report.photos_added, 1, "{report:?}");
    assert_eq!(changes.new_images[0].0.file, "ok.png");
    let expected = if cfg!(unix) { 3 } else { 2 };
    assert_eq!(report.skipped.len(), expected, "{:?}", report.skipped);
    for line in &report.skipped {
        assert!(
            line.contains("annotations.json") && line.contains("refused"),
            "{line}"
        );
    }
    assert!(!project.root().join("images/secret.png").exists());
}

#[test]
fn a_labelme_image_path_out_of_the_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    photo(&dir.path().join("outside.png"));
    std::fs::create_dir_all(&data).unwrap();
    let json = serde_json::json!({
        "version": "5.5.0", "flags": {}, "shapes": [], "imagePath": "../outside.png",
        "imageData": null, "imageHeight": 10, "imageWidth": 20,
    });
    std::fs::write(data.join("a.json"), json.to_string()).unwrap();
    let project = Project::create(&dir.path().join("P"), "p", Preset::Empty).unwrap();
    let (_, report) = import_labelme(&project, &options(&data), &Progress::default()).unwrap();
    assert_eq!(report.photos_added, 0);
    assert!(
        report.skipped[0].contains("a.json") && report.skipped[0].contains("leads out"),
        "{:?}",
        report.skipped
    );
}

#[test]
fn malformed_files_name_the_file_and_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let project = Project::create(&dir.path().join("P"), "p", Preset::Empty).unwrap();
    let json = dir.path().join("bad.json");
    std::fs::write(&json, "{\n  \"images\": [\n    {\"id\": \"x\"}\n  ]\n}").unwrap();
    let err = import_coco(&project, &options(&json), &Progress::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("bad.json:3:"), "{err}");

    let yolo = dir.path().join("yolo");
    photo(&yolo.join("images/train/a.png"));
    std::fs::create_dir_all(yolo.join("labels/train")).unwrap();
    std::fs::write(
        yolo.join("labels/train/a.txt"),
        "0 0.1 0.1 0.5 0.1 0.5 0.5\n0 0.2\n",
    )
    .unwrap();
    std::fs::write(yolo.join("data.yaml"), "names: [nut]\n").unwrap();
    let (_, report) = import_yolo(&project, &options(&yolo), &Progress::default()).unwrap();
    assert!(
        report.skipped[0].contains("a.txt:2:"),
        "{:?}",
        report.skipped
    );
    std::fs::write(yolo.join("data.yaml"), "names: {0: nut\n").unwrap();
    let err = import_yolo(&project, &options(&yolo), &Progress::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("data.yaml:"), "{err}");

    let voc = dir.path().join("voc");
    std::fs::create_dir_all(voc.join("SegmentationClass")).unwrap();
    std::fs::write(voc.join("SegmentationClass/a.png"), b"not a png").unwrap();
    photo(&voc.join("JPEGImages/a.jpg"));
    let (_, report) = import_voc(&project, &options(&voc), &Progress::default()).unwrap();
    assert!(
        report.skipped[0].contains("a.png") && report.skipped[0].contains("not a readable PNG"),
        "{:?}",
        report.skipped
    );
}
