//! The studio window driven like a user would: open a project, pick an image, zoom, read the class list.
#![allow(clippy::unwrap_used)] // A test that cannot set up fails loudly, which is what it should do.

mod common;

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use segstudio::cli::StudioArgs;
use segstudio::project::{ImageStatus, Instance, Tool};
use segstudio::ui::StudioApp;

fn studio(args: StudioArgs) -> Harness<'static, StudioApp> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| StudioApp::new(cc, args))
}

/// Steps frames until `done` holds (background threads deliver between frames).
fn step_until(harness: &mut Harness<'_, StudioApp>, what: &str, done: impl Fn(&StudioApp) -> bool) {
    let started = Instant::now();
    while !done(harness.state()) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    harness.step();
}

fn nut(id: u32, x: f32) -> Instance {
    Instance {
        id,
        class_id: 1,
        outer: vec![[x, 10.0], [x + 12.0, 10.0], [x + 12.0, 22.0], [x, 22.0]],
        holes: vec![vec![
            [x + 4.0, 14.0],
            [x + 4.0, 18.0],
            [x + 8.0, 18.0],
            [x + 8.0, 14.0],
        ]],
        order: id as i32,
        tool: Tool::Polygon,
    }
}

#[test]
fn open_project_pick_image_zoom_and_read_class_list() {
    let (dir, mut project) = common::tiny_project(3);
    project
        .set_instances(1, vec![nut(1, 5.0), nut(2, 30.0)])
        .unwrap();
    let mut harness = studio(StudioArgs {
        start_screen: true,
        ..StudioArgs::default()
    });
    harness.run_steps(2);

    // The start screen offers New / Open / Import and no fake content.
    harness.get_by_label("Open a project");
    harness.get_by_label("New project");
    harness.get_by_label("Import photos and masks");
    assert!(harness.state().open.is_none());

    harness.get_by_label("Project folder").focus();
    harness.run_steps(1);
    harness
        .get_by_label("Project folder")
        .type_text(&dir.path().display().to_string());
    harness.run_steps(2);
    harness.get_by_label("Open").click();
    step_until(&mut harness, "the project to open", |app| {
        app.open.is_some()
    });

    // Pick the second photo in the browser.
    harness.get_by_label("photo_001.png").click();
    step_until(&mut harness, "the photo to be shown", |app| {
        app.open
            .as_ref()
            .is_some_and(|o| o.selected == Some(1) && o.viewer.is_showing(1))
    });

    // Its instances appear in the instance list, and the class list counts them.
    harness.get_by_label("#1 nut");
    harness.get_by_label("#2 nut");
    let open = harness.state().open.as_ref().unwrap();
    assert_eq!(open.project.status(1), ImageStatus::Labelled);

    let before = harness.state().open.as_ref().unwrap().viewer.zoom;
    harness.get_by_label("Zoom in").click();
    harness.run_steps(2);
    let after = harness.state().open.as_ref().unwrap().viewer.zoom;
    assert!(after > before * 1.2, "zoom went from {before} to {after}");
}

#[test]
fn opening_a_missing_folder_says_so() {
    let mut harness = studio(StudioArgs {
        start_screen: true,
        ..StudioArgs::default()
    });
    harness.run_steps(2);
    harness.get_by_label("Project folder").focus();
    harness.run_steps(1);
    harness
        .get_by_label("Project folder")
        .type_text("/nonexistent/segstudio-project");
    harness.run_steps(2);
    harness.get_by_label("Open").click();
    harness.run_steps(2);
    harness.get_by_label_contains("No project.ron in /nonexistent/segstudio-project");
    assert!(harness.state().open.is_none());
}

#[test]
fn broken_annotation_is_marked_and_the_rest_loads() {
    let (dir, mut project) = common::tiny_project(3);
    project.set_instances(0, vec![nut(1, 5.0)]).unwrap();
    std::fs::write(
        dir.path().join("annotations/photo_002.ron"),
        "(schema_version: 1, image: \"photo_002.png\", instances: [(id: 1,,)])",
    )
    .unwrap();
    let mut harness = studio(StudioArgs {
        project: Some(dir.path().to_path_buf()),
        ..StudioArgs::default()
    });
    step_until(&mut harness, "the project to open", |app| {
        app.open.is_some()
    });
    let open = harness.state().open.as_ref().unwrap();
    assert_eq!(open.project.status(0), ImageStatus::Labelled);
    assert_eq!(open.project.status(1), ImageStatus::Unlabelled);
    assert_eq!(open.project.status(2), ImageStatus::Broken);
    let toasts = harness.state().toasts.texts().join("\n");
    assert!(toasts.contains("photo_002.ron"), "{toasts}");
    harness.get_by_label_contains("1 broken");
}

#[test]
fn import_from_the_start_screen_creates_and_opens_the_project() {
    let src = tempfile::tempdir().unwrap();
    for sub in ["photos", "masks"] {
        std::fs::create_dir_all(src.path().join(sub)).unwrap();
    }
    for i in 0..3 {
        image::RgbImage::from_pixel(40, 30, image::Rgb([100, 100, 100]))
            .save(src.path().join(format!("photos/p{i}.png")))
            .unwrap();
        let mut labels = vec![19u8; 40 * 30];
        for y in 5..15 {
            for x in 5..(10 + i * 5) {
                labels[y * 40 + x] = 6; // m20 in the atWork preset
            }
        }
        std::fs::write(
            src.path().join(format!("masks/p{i}.png")),
            segstudio::imageio::encode_label_png(40, 30, &labels),
        )
        .unwrap();
    }
    let target = src.path().join("project");
    let mut harness = studio(StudioArgs {
        start_screen: true,
        ..StudioArgs::default()
    });
    harness.run_steps(2);
    for (field, value) in [
        (
            "Photos folder",
            src.path().join("photos").display().to_string(),
        ),
        (
            "Masks folder",
            src.path().join("masks").display().to_string(),
        ),
        ("Into new project", target.display().to_string()),
    ] {
        harness.get_by_label(field).focus();
        harness.run_steps(1);
        harness.get_by_label(field).type_text(&value);
        harness.run_steps(1);
    }
    harness.get_by_label("Background value").focus();
    harness.run_steps(1);
    harness.key_press(egui::Key::Backspace);
    harness.get_by_label("Background value").type_text("19");
    harness.run_steps(1);
    harness.get_by_label("Import").click();
    step_until(&mut harness, "the import to finish", |app| {
        app.open.is_some()
    });
    let open = harness.state().open.as_ref().unwrap();
    assert_eq!(open.project.file.images.len(), 3);
    assert!((0..3).all(|i| open.project.status(i) == ImageStatus::Labelled));
    assert_eq!(open.project.instances(0)[0].class_id, 6);
    assert!(target.join("project.ron").is_file());
    let toasts = harness.state().toasts.texts().join("\n");
    assert!(toasts.contains("Imported 3 photos"), "{toasts}");
}
