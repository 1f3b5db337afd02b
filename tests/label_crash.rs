//! `kill -9` of the studio after a Label workspace edit was reported durable: reopening the
//! project shows the edit.
//!
//! The process killed is this test binary run again as a child (`SEGSTUDIO_LABEL_CHILD` set): it
//! opens the studio (the real `StudioApp`, driven by egui_kittest) on a copy of the demo project,
//! draws a triangle in the Label workspace with the polygon tool, waits until the autosave worker
//! reports that generation durable, prints `DURABLE`, and waits to be killed.
#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot set up fails loudly, which is what it should do"
)]

mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::ui::step_until;
use egui::{Key, Modifiers, PointerButton};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use segstudio::cli::StudioArgs;
use segstudio::project::{ImageStatus, Project};
use segstudio::ui::StudioApp;
use segstudio::ui::workspace::WorkspaceId;

const CHILD: &str = "SEGSTUDIO_LABEL_CHILD";
const TEST: &str = "a_killed_studio_keeps_the_label_edit_it_reported_durable";
const TRIANGLE: [[f32; 2]; 3] = [[100.0, 100.0], [300.0, 120.0], [180.0, 300.0]];

/// The child: edits in the studio, announces the durable edit, and waits for the kill.
fn child(project: PathBuf) -> ! {
    let args = StudioArgs {
        project: Some(project),
        ..StudioArgs::default()
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1360.0, 860.0))
        .build_eframe(move |cc| StudioApp::new(cc, args));
    step_until(&mut harness, "the project", |app| app.open.is_some());
    harness.get_by_label("Label").click();
    harness.run_steps(1);
    harness.key_press_modifiers(Modifiers::SHIFT, Key::D);
    step_until(&mut harness, "an unlabelled photo on the canvas", |app| {
        let open = app.open.as_ref().unwrap();
        app.active == WorkspaceId::Label
            && open.selection.image.is_some_and(|i| {
                open.project().status(i) == ImageStatus::Unlabelled
                    && app.workspaces.label.canvas.is_showing(i)
            })
    });
    let index = harness
        .state()
        .open
        .as_ref()
        .unwrap()
        .selection
        .image
        .unwrap();
    for p in TRIANGLE.into_iter().chain([[101.0, 101.0]]) {
        let pos = harness
            .state()
            .workspaces
            .label
            .canvas
            .to_screen(p)
            .unwrap();
        harness.event(egui::Event::PointerMoved(pos));
        harness.run_steps(1);
        for pressed in [true, false] {
            harness.event(egui::Event::PointerButton {
                pos,
                button: PointerButton::Primary,
                pressed,
                modifiers: Modifiers::NONE,
            });
            harness.run_steps(1);
        }
        harness.run_steps(1);
    }
    step_until(&mut harness, "the edit to be durable", |app| {
        let session = &app.open.as_ref().unwrap().session;
        session.generation(index) > 0
            && session.durable_generation(index) >= session.generation(index)
    });
    let file = common::ui::project(&harness).file().images[index]
        .file
        .clone();
    println!("DURABLE {file}");
    std::io::stdout().flush().unwrap();
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// The child, killed however the test ends (a failed assertion must not leave it running).
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

#[test]
fn a_killed_studio_keeps_the_label_edit_it_reported_durable() {
    if let Some(project) = std::env::var_os(CHILD) {
        child(PathBuf::from(project));
    }
    let dir = tempfile::tempdir().unwrap();
    common::copy_demo_project(dir.path());
    let mut process = KillOnDrop(
        Command::new(std::env::current_exe().unwrap())
            .args(["--exact", TEST, "--nocapture", "--test-threads", "1"])
            .env(CHILD, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let stdout = process.0.stdout.take().unwrap();
    let (sender, lines) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("child-stdout".into())
        .spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                sender.send(line).ok();
            }
        })
        .unwrap();
    let file = loop {
        let line = lines
            .recv_timeout(Duration::from_mins(3))
            .expect("the studio never reported the edit durable");
        // libtest writes "test NAME ... " before the child's own output on the same line.
        if let Some((_, file)) = line.split_once("DURABLE ") {
            break file.trim().to_owned();
        }
    };
    // SIGKILL: no destructor, no flush, no goodbye.
    process.0.kill().unwrap();
    process.0.wait().unwrap();

    let project = Project::open(dir.path()).unwrap();
    let index = project.image_index(&file).unwrap();
    let instances = project.instances(index);
    assert_eq!(instances.len(), 1, "{instances:?}");
    let outer = &instances[0].parts[0].outer;
    assert_eq!(outer.len(), 3);
    for (got, want) in outer.iter().zip(TRIANGLE) {
        assert!(
            (got[0] - want[0]).abs() < 0.75 && (got[1] - want[1]).abs() < 0.75,
            "{got:?} vs {want:?}"
        );
    }
}
