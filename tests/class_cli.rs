//! `segstudio class …` on a copy of the demo project: every change reaches `project.ron`, a used
//! class is refused with where it is used, and reassignment moves its instances on disk.
#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot set up fails loudly, which is what it should do"
)]

mod common;

use std::path::Path;
use std::process::Command;

use segstudio::project::{ObjectSize, Project};

fn class(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_segstudio"))
        .arg("class")
        .arg(args[0])
        .arg("--project")
        .arg(dir)
        .args(&args[1..])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn the_class_commands_change_the_project_file() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_demo_project(dir.path());
    let before = Project::open(dir.path()).unwrap();
    let first = before.file().classes[0].clone();
    let second = before.file().classes[1].clone();
    let used = before.class_use(second.id);
    assert!(used.instances > 0);

    assert!(class(dir.path(), &["add", "gripper"]).0);
    assert!(class(dir.path(), &["recolour", "gripper", "#ff8000"]).0);
    assert!(class(dir.path(), &["size", "gripper", "120x40x25"]).0);
    let (ok, text) = class(dir.path(), &["recolour", "gripper", "orange"]);
    assert!(!ok && text.contains("not #rrggbb"), "{text}");
    let (ok, text) = class(dir.path(), &["add", "gripper"]);
    assert!(!ok && text.contains("already a class named"), "{text}");

    // Used: refused, naming the count and the first image.
    let (ok, text) = class(dir.path(), &["delete", &second.name]);
    let first_image = &before.file().images[used.images[0]].file;
    assert!(!ok && text.contains(first_image.as_str()), "{text}");
    let (ok, text) = class(
        dir.path(),
        &["delete", &second.name, "--reassign", &first.id.to_string()],
    );
    assert!(ok, "{text}");

    let after = Project::open(dir.path()).unwrap();
    let gripper = after.file().classes.last().unwrap();
    assert_eq!(gripper.name, "gripper");
    assert_eq!(gripper.color, [255, 128, 0]);
    assert_eq!(
        gripper.size_mm,
        Some(ObjectSize {
            length: 120.0,
            width: 40.0,
            height: 25.0
        })
    );
    assert!(after.class(second.id).is_none());
    assert_eq!(after.file().retired_class_ids, [second.id]);
    assert_eq!(after.class_use(second.id).instances, 0);
    assert_eq!(
        after.class_use(first.id).instances,
        before.class_use(first.id).instances + used.instances
    );
    assert!(after.broken_reason(used.images[0]).is_none());
}
