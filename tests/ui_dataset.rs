//! The Dataset workspace driven like a user would: the class table counts, the variant editor
//! merges two classes (the merged counts follow, from hand-worked pixel counts) and saves the variant
//! to `project.ron`; a problem in the list shows its image.
#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot set up fails loudly, which is what it should do"
)]

mod common;

use common::ui::{open_studio, step_until, type_into};

use std::path::Path;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use segstudio::cli::StudioArgs;
use segstudio::project::{Instance, Part, Project, Tool, VariantTarget};
use segstudio::ui::StudioApp;
use segstudio::ui::workspace::WorkspaceId;

/// A 10 × 5 rectangle of bolt at integer corners: 50 pixels.
fn bolt(id: u32) -> Instance {
    Instance {
        id,
        class_id: 2,
        parts: vec![Part::solid(vec![
            [40.0, 30.0],
            [50.0, 30.0],
            [50.0, 35.0],
            [40.0, 35.0],
        ])],
        order: id as i32,
        tool: Tool::Polygon,
    }
}

fn open(dir: &Path) -> Harness<'static, StudioApp> {
    let args = StudioArgs {
        project: Some(dir.to_path_buf()),
        ..StudioArgs::default()
    };
    let mut harness = open_studio(args, [1280.0, 800.0]);
    harness.get_by_label("Dataset").click();
    step_until(&mut harness, "the analysis", |app| {
        app.active == WorkspaceId::Dataset
            && app
                .workspaces
                .dataset
                .is_current(app.open.as_ref().unwrap())
    });
    harness
}

#[test]
fn the_variant_editor_merges_two_classes_and_the_counts_follow() {
    let (dir, project) = common::tiny_project(2);
    // Two nuts of 12 × 12 − 4 × 4 = 128 pixels each, one bolt of 50.
    common::label(
        project,
        &[
            (0, vec![common::nut(1, 2.0), bolt(2)]),
            (1, vec![common::nut(1, 20.0)]),
        ],
    );
    let mut harness = open(dir.path());
    // The class table counts them.
    harness.get_by_label("Classes").click();
    harness.run_steps(2);
    harness.get_by_label("256");
    harness.get_by_label("50");

    harness.get_by_label("Variants").click();
    harness.run_steps(2);
    harness.get_by_label("New variant").click();
    harness.run_steps(2);
    harness.get_by_label("2 instances, 256 pixels");
    harness.get_by_label("1 instances, 50 pixels");
    harness.get_by_label("bolt").click();
    harness.run_steps(2);
    harness.get_by_label("Move to nut").click();
    harness.run_steps(2);
    harness.get_by_label("3 instances, 306 pixels");
    assert!(harness.query_by_label("1 instances, 50 pixels").is_none());
    harness.get_by_label("Save variant").click();
    harness.run_steps(2);
    step_until(&mut harness, "project.ron to be saved", |app| {
        app.open.as_ref().unwrap().session.save_state().unsaved == 0
    });
    let saved = Project::open(dir.path()).unwrap();
    let variant = saved
        .variant("variant_1")
        .expect("the variant is in project.ron");
    assert_eq!(variant.labels, ["nut"]);
    assert_eq!(variant.mapping[&1], VariantTarget::Label(1));
    assert_eq!(variant.mapping[&2], VariantTarget::Label(1));
    // After the save the draft is clean: nothing left to save.
    harness.run_steps(2);
    assert!(harness.query_by_label("unsaved changes").is_none());
}

#[test]
fn a_problem_shows_its_image_in_browse() {
    let (dir, project) = common::tiny_project(3);
    common::label(project, &[(0, vec![common::nut(1, 2.0)])]);
    let mut harness = open(dir.path());
    harness.get_by_label("Problems").click();
    harness.run_steps(2);
    harness
        .get_by_label("photo_002.png: no annotation yet")
        .click();
    harness.run_steps(2);
    let app = harness.state();
    assert_eq!(app.active, WorkspaceId::Browse);
    assert_eq!(app.open.as_ref().unwrap().selection.image, Some(2));
}

#[test]
fn export_then_import_labelme_with_a_class_mapping() {
    let (dir, project) = common::tiny_project(2);
    common::label(project, &[(0, vec![common::nut(1, 2.0), bolt(2)])]);
    let mut harness = open(dir.path());
    harness.get_by_label("Import / Export").click();
    harness.run_steps(2);

    // Export as LabelMe through the form: format picked from its list, folder typed.
    let out = dir.path().join("exported");
    harness.get_by_value("COCO").click();
    harness.run_steps(2);
    harness.get_by_label("LabelMe").click();
    harness.run_steps(2);
    type_into(&mut harness, "Output folder", &out.display().to_string());
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Export")
        .click();
    harness.run_steps(2);
    step_until(&mut harness, "the export", |app| !app.is_busy());
    assert!(
        out.join("photo_000.json").is_file(),
        "the export wrote the LabelMe file"
    );

    // Import it into a second project: bolt goes into nut, nut stays nut.
    let (dir2, _) = common::tiny_project(0);
    let mut harness = open(dir2.path());
    harness.get_by_label("Import / Export").click();
    harness.run_steps(2);
    type_into(&mut harness, "Path", &out.display().to_string());
    harness.get_by_label("Read").click();
    step_until(&mut harness, "the files to be read", |app| !app.is_busy());
    // The read job's result reaches the form a frame or more after the job ends: wait for its rows.
    let started = std::time::Instant::now();
    while harness.query_all_by_label("1 objects").count() < 2
        && started.elapsed() < std::time::Duration::from_secs(30)
    {
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let toasts = harness.state().toasts.texts().join("\n");
    assert_eq!(
        harness.query_all_by_label("1 objects").count(),
        2,
        "{toasts}"
    );
    harness.get_by_value("into bolt").click();
    harness.run_steps(2);
    harness.get_by_label("into nut").click();
    harness.run_steps(2);
    harness.get_by_label("Import").click();
    harness.run_steps(2);
    step_until(&mut harness, "the import", |app| !app.is_busy());
    step_until(&mut harness, "the files to be saved", |app| {
        app.open.as_ref().unwrap().session.save_state().unsaved == 0
    });
    let saved = Project::open(dir2.path()).unwrap();
    let index = saved
        .image_index("photo_000.png")
        .expect("the photo came in");
    let classes: Vec<u16> = saved.instances(index).iter().map(|i| i.class_id).collect();
    assert_eq!(classes, [1, 1], "both instances are nuts now");
}
