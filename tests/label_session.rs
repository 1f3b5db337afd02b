//! The label session: edits, undo and redo reach the files through the autosave worker; schema-1
//! projects open and are upgraded on save; job results merge without losing edits; a failing write
//! is reported and retried.
#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot set up fails loudly, which is what it should do"
)]

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use segstudio::formats::render_label_map;
use segstudio::label::{
    AnnotationChange, AutosaveOptions, EditError, InstanceEdit, LabelSession, ProjectChanges,
};
use segstudio::project::{ImageStatus, Project, SCHEMA_VERSION};

fn session(project: Project) -> LabelSession {
    LabelSession::open(project, Arc::new(|| {})).unwrap()
}

fn ids_on_disk(root: &Path, index: usize) -> Vec<u32> {
    Project::open(root)
        .unwrap()
        .instances(index)
        .iter()
        .map(|i| i.id)
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn edits_undo_and_redo_reach_the_file() {
    let (dir, project) = common::tiny_project(2);
    let mut s = session(project);
    assert_eq!(s.generation(0), 0);
    s.set_instances(
        0,
        "add two nuts",
        vec![common::nut(1, 5.0), common::nut(2, 30.0)],
    )
    .unwrap();
    s.edit(0, "delete #1", |list| InstanceEdit::Delete(1).apply(list))
        .unwrap();
    assert_eq!(s.generation(0), 2);
    s.flush().unwrap();
    assert_eq!(s.durable_generation(0), 2);
    assert_eq!(ids_on_disk(dir.path(), 0), [2]);

    assert_eq!(s.undo_name(0), Some("delete #1"));
    assert_eq!(s.undo(0).unwrap().as_deref(), Some("delete #1"));
    s.flush().unwrap();
    assert_eq!(ids_on_disk(dir.path(), 0), [1, 2]);

    assert_eq!(s.redo(0).unwrap().as_deref(), Some("delete #1"));
    s.flush().unwrap();
    assert_eq!(ids_on_disk(dir.path(), 0), [2]);

    // Undo everything: the image is unlabelled again and its file is gone.
    s.undo(0).unwrap();
    s.undo(0).unwrap();
    assert_eq!(s.undo(0).unwrap(), None, "nothing left to undo");
    s.flush().unwrap();
    assert_eq!(s.project().status(0), ImageStatus::Unlabelled);
    assert!(!dir.path().join("annotations/photo_000.ron").exists());
    assert_eq!(
        s.generation(0),
        6,
        "two edits, two undos, a redo and an undo"
    );
    assert_eq!(s.generation(1), 0, "other images are untouched");

    // An edit that changes nothing is not an edit.
    assert!(!s.edit(0, "nothing", |_| {}).unwrap());
    assert_eq!(s.generation(0), 6);
}

#[test]
fn an_invalid_edit_is_refused_and_changes_nothing() {
    let (_dir, project) = common::tiny_project(1);
    let mut s = session(project);
    s.set_instances(0, "add", vec![common::nut(1, 5.0)])
        .unwrap();
    let mut bad = common::nut(2, 5.0);
    bad.class_id = 99;
    let err = s
        .edit(0, "add a bad one", |list| list.push(bad))
        .unwrap_err();
    assert!(matches!(err, EditError::Invalid(_)));
    assert!(err.to_string().contains("unknown class id 99"), "{err}");
    assert_eq!(s.project().instances(0).len(), 1);
    assert_eq!(s.generation(0), 1);
    assert_eq!(s.undo_name(0), Some("add"));
}

#[test]
fn a_broken_file_is_not_edited() {
    let (dir, _project) = common::tiny_project(1);
    std::fs::write(dir.path().join("annotations/photo_000.ron"), "(oops").unwrap();
    let mut s = session(Project::open(dir.path()).unwrap());
    let err = s
        .set_instances(0, "add", vec![common::nut(1, 5.0)])
        .unwrap_err();
    assert!(err.to_string().contains("kept as it is"), "{err}");
    s.flush().unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("annotations/photo_000.ron")).unwrap(),
        "(oops"
    );
}

#[test]
fn a_schema_1_project_opens_and_is_upgraded_on_its_next_save() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema1");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture, dir.path());
    let project = Project::open(dir.path()).unwrap();
    let ring = &project.instances(0)[0];
    assert_eq!(ring.parts.len(), 1);
    assert_eq!(ring.parts[0].holes.len(), 1);
    // 16×16 square minus its 8×8 hole, by the rasteriser every export uses.
    let labels = render_label_map(project.instances(0), project.full_variant(), 32, 24);
    assert_eq!(labels.iter().filter(|&&l| l == 1).count(), 256 - 64);
    let on_disk = |file: &str| std::fs::read_to_string(dir.path().join(file)).unwrap();
    assert!(on_disk("annotations/ring.ron").contains("schema_version: 1"));

    let mut s = session(project);
    s.edit(0, "nut to bearing", |list| {
        InstanceEdit::SetClass { id: 2, class: 1 }.apply(list);
    })
    .unwrap();
    s.flush().unwrap();
    let text = on_disk("annotations/ring.ron");
    assert!(
        text.contains(&format!("schema_version: {SCHEMA_VERSION}")),
        "{text}"
    );
    assert!(text.contains("parts:"), "{text}");
    s.project().save_project_file().unwrap();
    assert!(on_disk("project.ron").contains(&format!("schema_version: {SCHEMA_VERSION}")));
    let reopened = Project::open(dir.path()).unwrap();
    assert_eq!(reopened.instances(0), s.project().instances(0));
}

#[test]
fn a_job_result_never_overwrites_an_edit_made_while_it_ran() {
    let (dir, project) = common::tiny_project(2);
    let mut s = session(project);
    // The job read both images at generation 0; then the user edits image 0.
    s.set_instances(0, "user edit", vec![common::nut(1, 5.0)])
        .unwrap();
    let import = |image: &str| AnnotationChange {
        image: image.into(),
        base_generation: 0,
        instances: vec![common::nut(7, 40.0)],
        source: "import".into(),
    };
    let report = s.merge(ProjectChanges {
        new_images: Vec::new(),
        annotations: vec![import("photo_000.png"), import("photo_001.png")],
        ..ProjectChanges::default()
    });
    assert_eq!(report.annotations_updated, 1);
    assert_eq!(report.conflicts.len(), 1, "{report:?}");
    assert!(report.conflicts[0].contains("your edit is kept"));
    assert_eq!(s.project().instances(0)[0].id, 1, "the edit wins");
    assert_eq!(
        s.project().instances(1)[0].id,
        7,
        "the untouched image takes the import"
    );
    let kept = dir
        .path()
        .join("annotations/conflicts/photo_000.import.1.ron");
    assert!(report.conflicts[0].contains("photo_000.import.1.ron"));
    assert!(std::fs::read_to_string(kept).unwrap().contains("id: 7"));
    // The merged change is an edit like any other: undoable.
    assert_eq!(s.undo(1).unwrap().as_deref(), Some("import annotations"));
    s.flush().unwrap();
    assert_eq!(ids_on_disk(dir.path(), 0), [1]);
    assert!(ids_on_disk(dir.path(), 1).is_empty());
}

#[test]
fn a_failed_write_is_reported_kept_and_retried() {
    let (dir, project) = common::tiny_project(1);
    let options = AutosaveOptions {
        quiet: Duration::from_millis(5),
        retry: Duration::from_millis(20),
        ..AutosaveOptions::default()
    };
    let mut s = LabelSession::with_options(project, options, Arc::new(|| {})).unwrap();
    // The annotations folder is replaced by a file: every write into it fails.
    let annotations = dir.path().join("annotations");
    std::fs::remove_dir_all(&annotations).unwrap();
    std::fs::write(&annotations, "not a folder").unwrap();
    s.set_instances(0, "add", vec![common::nut(1, 5.0)])
        .unwrap();
    let err = s.flush().unwrap_err();
    assert!(err.contains("photo_000.ron"), "{err}");
    let state = s.save_state();
    assert_eq!(state.unsaved, 1);
    assert!(state.failures[0].contains("photo_000.ron"), "{state:?}");

    // Once the folder is back, the kept change is written on the retry.
    std::fs::remove_file(&annotations).unwrap();
    std::fs::create_dir_all(&annotations).unwrap();
    while s.durable_generation(0) < 1 {
        s.wait_saves(Duration::from_secs(30));
    }
    assert_eq!(s.save_state().unsaved, 0);
    assert!(s.save_state().failures.is_empty());
    assert_eq!(ids_on_disk(dir.path(), 0), [1]);
}

#[test]
fn class_changes_are_undone_in_turn_with_the_photos_edits() {
    use segstudio::project::classes::ClassChange;
    let (dir, project) = common::tiny_project(2);
    let project = common::label(
        project,
        &[
            (0, vec![common::nut(1, 5.0)]),
            (1, vec![common::nut(1, 30.0)]),
        ],
    );
    let mut s = session(project);
    let class = |s: &LabelSession, id: u16| s.project().class(id).map(|c| c.name.clone());

    // A rename, then an edit of photo 0: Ctrl+Z takes the edit back first, then the rename.
    s.change_class(ClassChange::Rename {
        id: 1,
        name: "hex nut".into(),
    })
    .unwrap();
    s.edit(0, "delete #1", Vec::clear).unwrap();
    assert_eq!(s.undo_latest_name(Some(0)), Some("delete #1"));
    s.undo_latest(Some(0)).unwrap();
    assert_eq!(s.project().instances(0).len(), 1);
    assert_eq!(
        s.undo_latest_name(Some(0)),
        Some("renamed \"nut\" to \"hex nut\"")
    );
    s.undo_latest(Some(0)).unwrap();
    assert_eq!(class(&s, 1).as_deref(), Some("nut"));
    // Redo goes forward again: the rename, then the edit.
    s.redo_latest(Some(0)).unwrap();
    assert_eq!(class(&s, 1).as_deref(), Some("hex nut"));
    assert!(s.project().instances(0).len() == 1);
    s.redo_latest(Some(0)).unwrap();
    assert!(s.project().instances(0).is_empty());
    s.undo_latest(Some(0)).unwrap();

    // Deleting "hex nut" with its instances moved to "bolt" is undone whole, in both photos, and
    // its retired id is free again; redo deletes it once more.
    s.change_class(ClassChange::Delete {
        id: 1,
        reassign: Some(2),
    })
    .unwrap();
    assert!(class(&s, 1).is_none());
    assert!(s.project().instances(1).iter().all(|i| i.class_id == 2));
    s.undo_latest(Some(0)).unwrap();
    assert_eq!(class(&s, 1).as_deref(), Some("hex nut"));
    assert!(s.project().file().retired_class_ids.is_empty());
    for image in 0..2 {
        assert!(s.project().instances(image).iter().all(|i| i.class_id == 1));
    }
    s.redo_latest(Some(1)).unwrap();
    assert!(class(&s, 1).is_none());
    assert_eq!(s.project().file().retired_class_ids, [1]);
    assert!(s.project().instances(0).iter().all(|i| i.class_id == 2));
    s.undo_latest(None).unwrap();

    // Undoing an added class that an instance has taken since is refused, and changes nothing.
    s.change_class(ClassChange::Add {
        name: "washer".into(),
    })
    .unwrap();
    let washer = s.project().file().classes.last().unwrap().id;
    s.edit(1, "give #1 the washer class", |list| {
        list[0].class_id = washer;
    })
    .unwrap();
    let err = s.undo_latest(Some(0)).unwrap_err();
    assert!(matches!(err, EditError::Refused(_)), "{err}");
    assert!(err.to_string().contains("washer"), "{err}");
    assert!(class(&s, washer).is_some());

    // What is on disk is what the session holds.
    s.flush().unwrap();
    let reopened = Project::open(dir.path()).unwrap();
    assert_eq!(reopened.file().classes, s.project().file().classes);
    assert_eq!(reopened.instances(0), s.project().instances(0));
}
