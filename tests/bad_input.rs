//! Bad input gets a clear message naming the file and the problem, and everything else still loads.
#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot set up fails loudly, which is what it should do"
)]

mod common;

use segstudio::imageio::encode_label_png;
use segstudio::import::{MaskImportOptions, import_masks};
use segstudio::progress::Progress;
use segstudio::project::{ImageStatus, Project};

fn write_pair(dir: &std::path::Path, name: &str, photo: (u32, u32), mask: (u32, u32)) {
    image::RgbImage::from_pixel(photo.0, photo.1, image::Rgb([120, 110, 100]))
        .save(dir.join("images").join(format!("{name}.jpg")))
        .unwrap();
    let mut labels = vec![0u8; (mask.0 * mask.1) as usize];
    for y in 4..20 {
        for x in 4..20 {
            labels[(y * mask.0 + x) as usize] = 2;
        }
    }
    std::fs::write(
        dir.join("masks").join(format!("{name}.png")),
        encode_label_png(mask.0, mask.1, &labels),
    )
    .unwrap();
}

#[test]
fn import_reports_corrupt_photos_and_mismatched_masks_and_keeps_the_rest() {
    let (dir, project) = common::tiny_project(0);
    let src = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(src.path().join("images")).unwrap();
    std::fs::create_dir_all(src.path().join("masks")).unwrap();
    write_pair(src.path(), "good", (64, 48), (64, 48));
    write_pair(src.path(), "wrong_size", (64, 48), (32, 24));
    write_pair(src.path(), "corrupt", (64, 48), (64, 48));
    // Truncate the JPEG after its header.
    let corrupt = src.path().join("images/corrupt.jpg");
    let bytes = std::fs::read(&corrupt).unwrap();
    std::fs::write(&corrupt, &bytes[..bytes.len() / 3]).unwrap();
    std::fs::write(src.path().join("masks/bad_mask.png"), b"not a png").unwrap();
    image::RgbImage::new(64, 48)
        .save(src.path().join("images/bad_mask.jpg"))
        .unwrap();

    let options = MaskImportOptions {
        images_dir: src.path().join("images"),
        masks_dir: src.path().join("masks"),
        background: 0,
        split_per_class: None,
        min_region_px: 5,
        simplify_px: 1.0,
    };
    let (_project, report) = common::import_into(project, &options);
    assert_eq!(report.photos, 3, "{report:?}");
    assert_eq!(report.labelled, 1);
    assert_eq!(report.skipped.len(), 1);
    assert!(
        report.skipped[0].contains("corrupt.jpg") && report.skipped[0].contains("corrupt"),
        "{:?}",
        report.skipped
    );
    let warnings = report.warnings.join("\n");
    assert!(
        warnings.contains("wrong_size.png")
            && warnings.contains("32x24")
            && warnings.contains("64x48"),
        "{warnings}"
    );
    assert!(
        warnings.contains("bad_mask.png") && warnings.contains("not a readable PNG"),
        "{warnings}"
    );

    let reopened = Project::open(dir.path()).unwrap();
    let good = reopened.image_index("good.jpg").unwrap();
    assert_eq!(reopened.status(good), ImageStatus::Labelled);
    assert_eq!(reopened.instances(good)[0].class_id, 2);
    assert_eq!(
        reopened.status(reopened.image_index("wrong_size.jpg").unwrap()),
        ImageStatus::Unlabelled
    );
}

#[test]
fn project_file_with_a_typo_names_file_line_and_column() {
    let (dir, _project) = common::tiny_project(1);
    let path = dir.path().join("project.ron");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replacen("classes:", "clases:", 1);
    std::fs::write(&path, text).unwrap();
    let err = Project::open(dir.path()).unwrap_err().to_string();
    assert!(err.contains("project.ron:"), "{err}");
    assert!(err.contains("clases"), "{err}");
}

#[test]
fn missing_folder_is_named() {
    let err = Project::open(std::path::Path::new("/nonexistent/segstudio-p"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nonexistent/segstudio-p"), "{err}");
}

#[test]
fn newer_schema_is_refused_with_a_reason() {
    let (dir, _project) = common::tiny_project(1);
    let path = dir.path().join("project.ron");
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "schema_version: 2",
        "schema_version: 7",
        1,
    );
    std::fs::write(
        &path,
        text.replacen("classes:", "future_field: 3,\n  classes:", 1),
    )
    .unwrap();
    let err = Project::open(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("newer SegStudio") && err.contains("project.ron"),
        "{err}"
    );
}

#[test]
fn invalid_annotations_are_broken_with_every_problem_and_left_untouched() {
    let (dir, _project) = common::tiny_project(2);
    let bad = r#"(
  schema_version: 1,
  image: "photo_000.png",
  instances: [
    (id: 1, class_id: 9, outer: [(1.0, 1.0), (5.0, 1.0), (5.0, 5.0)], order: 0, tool: Polygon),
    (id: 1, class_id: 1, outer: [(1.0, 1.0), (5.0, 1.0)], order: 1, tool: Polygon),
    (id: 2, class_id: 1, outer: [(1.0, 1.0), (500.0, 1.0), (5.0, NaN)], order: 2, tool: Polygon),
  ],
)"#;
    let path = dir.path().join("annotations/photo_000.ron");
    std::fs::write(&path, bad).unwrap();
    let project = Project::open(dir.path()).unwrap();
    assert_eq!(project.status(0), ImageStatus::Broken);
    assert_eq!(project.status(1), ImageStatus::Unlabelled);
    let Some(reason) = project.broken_reason(0) else {
        panic!("not broken")
    };
    for expected in [
        "photo_000.ron",
        "unknown class id 9",
        "duplicate instance id",
        "2 points, a ring needs at least 3",
        "(500, 1) is outside the 64x48 image",
        "not a number",
    ] {
        assert!(
            reason.contains(expected),
            "missing {expected:?} in {reason}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        bad,
        "a broken file is left as it was"
    );
}

#[test]
fn cli_errors_name_the_path_and_exit_non_zero() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_segstudio"))
        .args(["stats", "--project", "/nonexistent/segstudio-q", "--json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/segstudio-q"), "{stderr}");
}

#[test]
fn a_cancelled_import_leaves_the_project_unchanged() {
    let (dir, project) = common::tiny_project(0);
    let src = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(src.path().join("images")).unwrap();
    std::fs::create_dir_all(src.path().join("masks")).unwrap();
    // Enough photos that the import is still running when the canceller wakes, even on a busy machine.
    for i in 0..150 {
        write_pair(src.path(), &format!("p{i:03}"), (64, 48), (64, 48));
    }
    let options = MaskImportOptions {
        images_dir: src.path().join("images"),
        masks_dir: src.path().join("masks"),
        background: 0,
        split_per_class: None,
        min_region_px: 5,
        simplify_px: 1.0,
    };
    let progress = std::sync::Arc::new(Progress::default());
    let watcher = {
        let progress = progress.clone();
        std::thread::Builder::new()
            .name("canceller".into())
            .spawn(move || {
                // Cancel once a couple of photos are in.
                let started = std::time::Instant::now();
                while progress.counts().0 < 3
                    && started.elapsed() < std::time::Duration::from_secs(20)
                {
                    std::thread::yield_now();
                }
                progress.cancel();
            })
            .unwrap()
    };
    let err = import_masks(&project, &options, &progress)
        .unwrap_err()
        .to_string();
    watcher.join().unwrap();
    assert!(err.contains("cancelled"), "{err}");
    assert!(project.file().images.is_empty());
    let reopened = Project::open(dir.path()).unwrap();
    assert!(reopened.file().images.is_empty());
    let left: Vec<_> = ["images", "annotations"]
        .iter()
        .flat_map(|d| {
            std::fs::read_dir(dir.path().join(d))
                .unwrap()
                .filter_map(Result::ok)
        })
        .map(|e| e.file_name())
        .collect();
    assert!(
        left.is_empty(),
        "files left behind by a cancelled import: {left:?}"
    );
}
