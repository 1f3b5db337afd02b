//! The studio window driven like a user would: open a project, pick an image, zoom, read the class
//! list, use shortcuts from the command list, edit while an import runs.
#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot set up fails loudly, which is what it should do"
)]

mod common;

use common::ui::{step_until, type_into};

use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;
use std::time::{Duration, Instant};

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use segstudio::cli::StudioArgs;
use segstudio::project::{ImageStatus, Project};
use segstudio::ui::StudioApp;
use segstudio::ui::commands::Action;
use segstudio::ui::jobs::JobKind;

fn studio(args: StudioArgs) -> Harness<'static, StudioApp> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| StudioApp::new(cc, args))
}

fn open_studio(dir: &Path) -> Harness<'static, StudioApp> {
    let mut harness = studio(StudioArgs {
        project: Some(dir.to_path_buf()),
        ..StudioArgs::default()
    });
    step_until(&mut harness, "the project to open", |app| {
        app.open.is_some()
    });
    harness
}

fn selected_image(app: &StudioApp) -> Option<usize> {
    app.open.as_ref().and_then(|o| o.selection.image)
}

#[test]
fn open_project_pick_image_zoom_and_read_class_list() {
    let (dir, project) = common::tiny_project(3);
    common::label(
        project,
        &[(1, vec![common::nut(1, 5.0), common::nut(2, 30.0)])],
    );
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

    type_into(
        &mut harness,
        "Project folder",
        &dir.path().display().to_string(),
    );
    harness.get_by_label("Open").click();
    step_until(&mut harness, "the project to open", |app| {
        app.open.is_some()
    });

    // Pick the second photo in the browser.
    harness.get_by_label("photo_001.png").click();
    step_until(&mut harness, "the photo to be shown", |app| {
        selected_image(app) == Some(1) && app.workspaces.browse.is_showing(1)
    });

    // Its instances appear in the instance list, and the class list counts them.
    harness.get_by_label("#1 nut");
    harness.get_by_label("#2 nut");
    let open = harness.state().open.as_ref().unwrap();
    assert_eq!(open.project().status(1), ImageStatus::Labelled);

    let before = harness.state().workspaces.browse.zoom();
    harness.get_by_label("Zoom in").click();
    harness.run_steps(2);
    let after = harness.state().workspaces.browse.zoom();
    assert!(after > before * 1.2, "zoom went from {before} to {after}");
}

#[test]
fn opening_a_missing_folder_says_so() {
    let mut harness = studio(StudioArgs {
        start_screen: true,
        ..StudioArgs::default()
    });
    harness.run_steps(2);
    type_into(
        &mut harness,
        "Project folder",
        "/nonexistent/segstudio-project",
    );
    harness.get_by_label("Open").click();
    harness.run_steps(2);
    harness.get_by_label_contains("No project.ron in /nonexistent/segstudio-project");
    assert!(harness.state().open.is_none());
}

#[test]
fn broken_annotation_is_marked_and_the_rest_loads() {
    let (dir, project) = common::tiny_project(3);
    common::label(project, &[(0, vec![common::nut(1, 5.0)])]);
    std::fs::write(
        dir.path().join("annotations/photo_002.ron"),
        "(schema_version: 2, image: \"photo_002.png\", instances: [(id: 1,,)])",
    )
    .unwrap();
    let harness = open_studio(dir.path());
    let project = common::ui::project(&harness);
    assert_eq!(project.status(0), ImageStatus::Labelled);
    assert_eq!(project.status(1), ImageStatus::Unlabelled);
    assert_eq!(project.status(2), ImageStatus::Broken);
    let toasts = harness.state().toasts.texts().join("\n");
    assert!(toasts.contains("photo_002.ron"), "{toasts}");
    harness.get_by_label_contains("1 broken");
}

/// Photo + mask pairs for imports: `n` photos of `w`×`h` with a grid of small objects of class 6.
fn import_source(n: usize, w: usize, h: usize, cells: usize) -> tempfile::TempDir {
    let src = tempfile::tempdir().unwrap();
    for sub in ["photos", "masks"] {
        std::fs::create_dir_all(src.path().join(sub)).unwrap();
    }
    for i in 0..n {
        image::RgbImage::from_pixel(w as u32, h as u32, image::Rgb([100, 100, 100]))
            .save(src.path().join(format!("photos/p{i:03}.png")))
            .unwrap();
        let mut labels = vec![19u8; w * h];
        let step = w / cells;
        for cy in 0..cells * h / w {
            for cx in 0..cells {
                for y in cy * step + 2..cy * step + step - 2 {
                    for x in cx * step + 2..(cx * step + step - 2 - (i + cx) % 3) {
                        labels[y * w + x] = 6; // m20 in the atWork preset
                    }
                }
            }
        }
        std::fs::write(
            src.path().join(format!("masks/p{i:03}.png")),
            segstudio::imageio::encode_label_png(w as u32, h as u32, &labels),
        )
        .unwrap();
    }
    src
}

fn fill_import_form(harness: &mut Harness<'_, StudioApp>, src: &Path) {
    for (field, sub) in [("Photos folder", "photos"), ("Masks folder", "masks")] {
        type_into(harness, field, &src.join(sub).display().to_string());
    }
    harness.get_by_label("Background value").focus();
    harness.run_steps(1);
    harness.key_press(Key::Backspace);
    harness.get_by_label("Background value").type_text("19");
    harness.run_steps(1);
}

/// Ctrl+I, the form, Import: the import runs in the background.
fn start_import_into_open_project(harness: &mut Harness<'_, StudioApp>, src: &Path) {
    harness.key_press_modifiers(Modifiers::COMMAND, Key::I);
    harness.run_steps(2);
    fill_import_form(harness, src);
    harness.get_by_label("Import").click();
    harness.run_steps(2);
    assert!(harness.state().jobs.is_running(JobKind::Import));
}

#[test]
fn import_from_the_start_screen_creates_and_opens_the_project() {
    let src = import_source(3, 40, 30, 2);
    let target = src.path().join("project");
    let mut harness = studio(StudioArgs {
        start_screen: true,
        ..StudioArgs::default()
    });
    harness.run_steps(2);
    fill_import_form(&mut harness, src.path());
    type_into(
        &mut harness,
        "Into new project",
        &target.display().to_string(),
    );
    harness.get_by_label("Import").click();
    step_until(&mut harness, "the import to finish", |app| {
        app.open
            .as_ref()
            .is_some_and(|o| o.project().file().images.len() == 3)
    });
    let project = common::ui::project(&harness);
    assert!((0..3).all(|i| project.status(i) == ImageStatus::Labelled));
    assert_eq!(project.instances(0)[0].class_id, 6);
    let toasts = harness.state().toasts.texts().join("\n");
    assert!(toasts.contains("Imported 3 photos"), "{toasts}");
    // project.ron listing the photos is written by the autosave worker.
    step_until(&mut harness, "project.ron to be saved", |app| {
        app.open
            .as_ref()
            .is_some_and(|o| o.session.save_state().unsaved == 0)
    });
    assert_eq!(Project::open(&target).unwrap().file().images.len(), 3);
}

#[test]
fn a_shortcut_from_the_command_list_works_and_the_help_overlay_lists_every_action() {
    let (dir, _project) = common::tiny_project(3);
    let mut harness = open_studio(dir.path());
    assert_eq!(selected_image(harness.state()), Some(0));

    // D is "next image" in the browse workspace.
    harness.key_press(Key::D);
    harness.run_steps(2);
    assert_eq!(selected_image(harness.state()), Some(1));
    harness.key_press(Key::ArrowUp);
    harness.run_steps(2);
    assert_eq!(selected_image(harness.state()), Some(0));

    // F1 opens the overlay; every action of the one list is in it with its shortcuts.
    let count = |h: &Harness<'_, StudioApp>, text: &str| h.query_all_by_label(text).count();
    let names: Vec<&str> = Action::all().map(|a| a.info().name).collect();
    let before: Vec<usize> = names.iter().map(|n| count(&harness, n)).collect();
    harness.key_press(Key::F1);
    harness.run_steps(2);
    for (name, before) in names.iter().zip(before) {
        assert!(
            count(&harness, name) > before,
            "{name:?} is not in the help overlay"
        );
    }
    harness.get_by_label_contains("PageDown");
    harness.get_by_label_contains("F1");
}

#[test]
fn typing_a_letter_or_digit_into_a_text_field_does_not_trigger_its_shortcut() {
    let (dir, _project) = common::tiny_project(3);
    let mut harness = open_studio(dir.path());
    step_until(&mut harness, "the photo to be shown", |app| {
        app.workspaces.browse.is_showing(0)
    });
    let zoom = harness.state().workspaces.browse.zoom();
    assert!(
        (zoom - 1.0).abs() > 0.1,
        "the fitted zoom is not 1:1 already"
    );

    // "1" is 1:1 and "d" is next image, but not while typing into the filter. A keyboard sends
    // both the key and the text it types.
    harness.get_by_label("Filter").focus();
    harness.run_steps(1);
    for (key, text) in [(Key::Num1, "1"), (Key::D, "d")] {
        harness.key_down(key);
        harness.event(egui::Event::Text(text.into()));
        harness.key_up(key);
        harness.run_steps(1);
    }
    harness.run_steps(1);
    assert_eq!(harness.state().workspaces.browse.list.filter, "1d");
    assert_eq!(selected_image(harness.state()), Some(0));
    assert!((harness.state().workspaces.browse.zoom() - zoom).abs() < 1e-6);

    // Out of the field, the same key does its job.
    harness.key_press(Key::Escape);
    harness.run_steps(2);
    harness.key_press(Key::Num1);
    harness.run_steps(2);
    assert!((harness.state().workspaces.browse.zoom() - 1.0).abs() < 1e-6);
}

#[test]
fn an_import_running_while_an_image_is_edited_keeps_the_edit_and_a_second_import_is_refused() {
    let (dir, project) = common::tiny_project(2);
    let project = {
        let mut p = project;
        // The import's masks use the atWork ids; give the tiny project a class 6 too.
        let mut classes = p.file().classes.clone();
        classes.push(segstudio::project::ClassDef {
            id: 6,
            name: "m20".into(),
            color: [20, 200, 20],
            size_mm: None,
        });
        let variants = vec![segstudio::project::preset::full_variant(&classes)];
        p.replace_classes(classes, variants).unwrap();
        p.save_project_file().unwrap();
        p
    };
    common::label(
        project,
        &[(0, vec![common::nut(1, 5.0), common::nut(2, 30.0)])],
    );
    // Large enough that the import is still running while the edit is made.
    let src = import_source(80, 640, 480, 16);
    let mut harness = open_studio(dir.path());

    start_import_into_open_project(&mut harness, src.path());

    // Meanwhile: select instance #1 of the first photo and delete it with the Delete key.
    harness.get_by_label("#1 nut").click();
    harness.run_steps(1);
    harness.key_press(Key::Delete);
    harness.run_steps(2);
    assert!(harness.query_by_label("#1 nut").is_none());
    assert!(
        harness.state().jobs.is_running(JobKind::Import),
        "the import finished before the edit; the test needs a larger import"
    );

    // A second import is refused while the first runs.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::I);
    harness.run_steps(2);
    harness.get_by_label("Import").click();
    harness.run_steps(2);
    let toasts = harness.state().toasts.texts().join("\n");
    assert!(toasts.contains("An import is already running"), "{toasts}");

    step_until(
        &mut harness,
        "the import to finish and everything to be saved",
        |app| {
            app.open.as_ref().is_some_and(|o| {
                o.project().file().images.len() == 82 && o.session.save_state().unsaved == 0
            }) && !app.jobs.is_running(JobKind::Import)
        },
    );
    let project = common::ui::project(&harness);
    let ids: Vec<u32> = project.instances(0).iter().map(|i| i.id).collect();
    assert_eq!(ids, [2], "the edit made during the import is kept");
    let reopened = Project::open(dir.path()).unwrap();
    assert_eq!(reopened.file().images.len(), 82);
    let ids: Vec<u32> = reopened.instances(0).iter().map(|i| i.id).collect();
    assert_eq!(ids, [2], "and it is on disk");
}

#[test]
fn undo_and_redo_of_an_edit_reach_the_file() {
    let (dir, project) = common::tiny_project(1);
    common::label(
        project,
        &[(0, vec![common::nut(1, 5.0), common::nut(2, 30.0)])],
    );
    let mut harness = open_studio(dir.path());
    let saved = |app: &StudioApp| {
        app.open
            .as_ref()
            .is_some_and(|o| o.session.save_state().unsaved == 0)
    };
    let on_disk = || {
        Project::open(dir.path())
            .unwrap()
            .instances(0)
            .iter()
            .map(|i| i.id)
            .collect::<Vec<u32>>()
    };

    // Change the class of #2 from the instance list's context menu.
    harness.get_by_label("#2 nut").click_secondary();
    harness.run_steps(2);
    harness.get_by_label("Change class").click();
    harness.run_steps(2);
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "bolt")
        .click();
    harness.run_steps(2);
    harness.get_by_label("#2 bolt");
    step_until(&mut harness, "the class change to be saved", saved);
    assert_eq!(
        Project::open(dir.path()).unwrap().instances(0)[1].class_id,
        2
    );

    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run_steps(2);
    harness.get_by_label("#2 nut");
    step_until(&mut harness, "the undo to be saved", saved);
    assert_eq!(
        Project::open(dir.path()).unwrap().instances(0)[1].class_id,
        1
    );

    harness.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    harness.run_steps(2);
    harness.get_by_label("#2 bolt");
    step_until(&mut harness, "the redo to be saved", saved);
    assert_eq!(on_disk(), [1, 2]);
    assert_eq!(
        Project::open(dir.path()).unwrap().instances(0)[1].class_id,
        2
    );
    harness.get_by_label("All changes saved");
}

#[test]
fn the_status_bar_lists_a_running_import_and_cancels_it() {
    let (dir, _project) = common::tiny_project(1);
    let src = import_source(20, 640, 480, 16);
    // The last "photo" is a FIFO: the worker that reads it waits until the test opens it for
    // writing, so the import cannot finish before Cancel lands, however fast the machine.
    let fifo = src.path().join("photos/p999.png");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo failed");
    let mut harness = open_studio(dir.path());
    start_import_into_open_project(&mut harness, src.path());
    // The job names its stage once it has listed the photos: a few frames after it starts.
    let started = Instant::now();
    while harness
        .query_by_label_contains("Importing: importing photos and masks")
        .is_none()
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the status bar never showed the import's stage"
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        harness.state().jobs.is_running(JobKind::Import),
        "the FIFO holds the import"
    );
    harness.get_by_label("Cancel").click();
    // The FIFO stays shut until the job has taken the cancel. On a loaded machine a simulated
    // click now and then does not land (the status bar is laid out anew each frame), so it is
    // clicked again while the job has not got it.
    let started = Instant::now();
    let mut frames = 0u32;
    while !harness
        .state_mut()
        .jobs
        .statuses()
        .iter()
        .any(|s| s.kind == JobKind::Import && s.progress.is_cancelled())
    {
        assert!(
            started.elapsed() < Duration::from_mins(1),
            "Cancel never reached the import"
        );
        frames += 1;
        // The button may be gone already: the cancel landed and the status bar says so.
        if frames.is_multiple_of(20)
            && let Some(cancel) = harness.query_by_label("Cancel")
        {
            cancel.click();
        }
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    // Let the waiting worker go: open the FIFO for writing (without blocking: until the worker
    // has it open for reading there is no one to meet) and close it, giving it an empty photo.
    let started = Instant::now();
    while harness.state().jobs.is_running(JobKind::Import) {
        assert!(
            started.elapsed() < Duration::from_mins(1),
            "the import never stopped"
        );
        drop(
            std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&fifo),
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    step_until(&mut harness, "the import to stop", |app| {
        !app.jobs.is_running(JobKind::Import) && !app.is_busy()
    });
    let toasts = harness.state().toasts.texts().join("\n");
    assert!(toasts.contains("Import cancelled"), "{toasts}");
    assert!(
        !toasts.contains("failed"),
        "a cancel is not a failure: {toasts}"
    );
    assert_eq!(common::ui::project(&harness).file().images.len(), 1);
    let reopened = Project::open(dir.path()).unwrap();
    assert_eq!(reopened.file().images.len(), 1);
    assert_eq!(
        std::fs::read_dir(dir.path().join("images"))
            .unwrap()
            .count(),
        1,
        "the cancelled import took its photos back"
    );
}
