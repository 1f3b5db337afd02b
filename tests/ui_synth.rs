//! The Synthesize workspace driven like a user would: moving a slider re-renders the preview (and
//! the parameter reaches `project.ron`); a batch run cancelled from the status bar leaves no run
//! behind, so nothing half-written is ever offered for training.
mod common;

use common::ui::{open_studio, step_until};

use std::path::Path;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use segstudio::cli::StudioArgs;
use segstudio::ui::StudioApp;
use segstudio::ui::jobs::JobKind;
use segstudio::ui::workspace::WorkspaceId;

fn open_demo_copy(dir: &Path) -> Harness<'static, StudioApp> {
    common::copy_demo_project(dir);
    let args = StudioArgs {
        project: Some(dir.to_path_buf()),
        ..StudioArgs::default()
    };
    let mut harness = open_studio(args, [1360.0, 860.0]);
    harness.get_by_label("Synthesize").click();
    step_until(&mut harness, "the first preview", |app| {
        app.active == WorkspaceId::Synthesize
            && app.workspaces.synth.preview_digest().is_some()
            && app.workspaces.synth.frames_shown() > 0
    });
    harness
}

#[test]
fn moving_a_slider_changes_the_preview_and_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = open_demo_copy(dir.path());
    let before = harness.state().workspaces.synth.preview_digest().unwrap();
    let frames = harness.state().workspaces.synth.frames_shown();
    let rotation = harness
        .state()
        .workspaces
        .synth
        .params
        .as_ref()
        .unwrap()
        .rotation_deg;
    harness
        .get_by_role_and_label(egui::accesskit::Role::Slider, "Rotation (°)")
        .focus();
    harness.run_steps(1);
    for _ in 0..5 {
        harness.key_press(egui::Key::ArrowRight);
    }
    harness.run_steps(1);
    let after_rotation = harness
        .state()
        .workspaces
        .synth
        .params
        .as_ref()
        .unwrap()
        .rotation_deg;
    assert!(
        after_rotation > rotation,
        "the slider moved: {rotation} → {after_rotation}"
    );
    step_until(&mut harness, "a new preview", |app| {
        app.workspaces.synth.frames_shown() > frames && app.open.as_ref().is_some()
    });
    let after = harness.state().workspaces.synth.preview_digest().unwrap();
    assert_ne!(
        before, after,
        "the preview did not change with the rotation"
    );
    // The edit reaches project.ron through the autosave.
    step_until(&mut harness, "project.ron to follow", |_| {
        std::fs::read_to_string(dir.path().join("project.ron"))
            .is_ok_and(|t| t.contains(&format!("rotation_deg: {after_rotation}")))
    });
}

#[test]
fn a_cancelled_run_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = open_demo_copy(dir.path());
    harness.get_by_label("Runs").click();
    harness.run_steps(2);
    harness.get_by_label("Generate").click();
    let synth = dir.path().join("synth");
    let partial_images = |synth: &Path| -> usize {
        std::fs::read_dir(synth)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains(".partial-"))
            .filter_map(|e| std::fs::read_dir(e.path().join("images")).ok())
            .map(Iterator::count)
            .sum()
    };
    step_until(&mut harness, "the run to write images", |app| {
        app.jobs.is_running(JobKind::Synthesize) && partial_images(&synth) > 0
    });
    harness.get_by_label("Cancel").click();
    step_until(&mut harness, "the run to stop", |app| {
        !app.jobs.is_running(JobKind::Synthesize) && !app.workspaces.synth.run_in_progress()
    });
    let left: Vec<String> = std::fs::read_dir(&synth)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "a cancelled run left {left:?} in synth/");
    let scan = segstudio::synth::run::finished_runs(dir.path());
    assert!(scan.runs.is_empty() && scan.skipped.is_empty());
}
