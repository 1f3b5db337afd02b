//! The Train and Evaluate workspaces driven like a user would: a tiny run started from the Train
//! workspace streams points into its charts and is cancelled (resumable, listed as such); the
//! Evaluate workspace scores a finished run and shows its per-class IoU.
mod common;

use common::ui::{open_studio, step_until};

use std::path::Path;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use segstudio::cli::StudioArgs;
use segstudio::ui::StudioApp;
use segstudio::ui::workspace::WorkspaceId;

fn open(dir: &Path) -> Harness<'static, StudioApp> {
    let args = StudioArgs {
        project: Some(dir.to_path_buf()),
        ..StudioArgs::default()
    };
    open_studio(args, [1400.0, 900.0])
}

/// A tiny model on 64×48 photos, so a step takes milliseconds.
fn tiny(form: &mut segstudio::ui::train::TrainForm) {
    form.width = 64;
    form.height = 48;
    form.batch = 2;
    form.depth_multiplier = 0.35;
    form.lr = 0.05;
}

#[test]
fn a_run_started_from_the_train_workspace_charts_its_steps_and_cancels() {
    let dir = common::trainable_project();
    let mut harness = open(dir.path());
    harness.get_by_label("Train").click();
    step_until(&mut harness, "the Train workspace", |app| {
        app.active == WorkspaceId::Train
    });
    {
        let form = &mut harness.state_mut().workspaces.train.form;
        tiny(form);
        form.steps = 100_000;
        form.eval_every = 5;
        form.checkpoint_every = 1000;
    }
    harness.get_by_label("Start training").click();
    step_until(&mut harness, "the chart to gain points", |app| {
        let curves = app.workspaces.train.live_curves();
        curves.loss.len() >= 6 && !curves.val_miou.is_empty()
    });
    // The status line shows the step, loss and ETA while it runs.
    harness.get_by_label_contains("images/s");
    harness.get_by_label_contains("ETA");
    harness
        .get_all_by_label("Cancel")
        .next()
        .expect("a Cancel button")
        .click();
    step_until(&mut harness, "the run to stop", |app| {
        !app.workspaces.train.training()
    });
    step_until(&mut harness, "the run list to show it cancelled", |app| {
        app.workspaces
            .train
            .listed_runs()
            .iter()
            .any(|(_, status)| status == "cancelled")
    });
    harness.get_by_label("Resume");
    let state = std::fs::read_dir(dir.path().join("runs")).unwrap().count();
    assert_eq!(state, 1, "one run folder");
}

#[test]
fn the_evaluate_workspace_shows_the_scores_of_a_finished_run() {
    let dir = common::trainable_project();
    let project = segstudio::project::Project::open(dir.path()).unwrap();
    let mut config = common::tiny_train_config(4);
    config.eval_every = 2;
    let summary = common::train_in_process(&project, config);
    let mut harness = open(dir.path());
    harness.get_by_label("Evaluate").click();
    step_until(&mut harness, "the run to be chosen", |app| {
        app.workspaces.evaluate.run.as_deref() == Some(summary.run.as_str())
    });
    harness.get_by_label("Score run").click();
    step_until(&mut harness, "the scores", |app| {
        app.workspaces.evaluate.result.is_some()
    });
    let result = harness.state().workspaces.evaluate.result.as_ref().unwrap();
    assert_eq!(result.evaluation.images, 2, "the val split");
    assert!(
        result
            .evaluation
            .scores
            .per_class
            .contains_key("background")
    );
    assert_eq!(result.gallery.len(), 2);
    harness.get_by_label_contains("pixel accuracy");
    harness.get_by_label("Gallery").click();
    harness.run_steps(2);
    harness.get_by_label_contains("photo_004.png");
}

#[test]
fn pre_labelling_the_open_photo_adds_marked_instances_and_a_prior() {
    let dir = common::trainable_project();
    let project = segstudio::project::Project::open(dir.path()).unwrap();
    let config = segstudio::train::TrainConfig {
        optimizer: segstudio::train::OptimizerConfig::Sgd(segstudio::model::optim::SgdParams {
            lr: 0.05,
            ..Default::default()
        }),
        val_split: None,
        ..common::tiny_train_config(30)
    };
    common::train_in_process(&project, config);
    let args = StudioArgs {
        project: Some(dir.path().to_path_buf()),
        image: Some("photo_004.png".into()),
        workspace: Some("label".into()),
        ..StudioArgs::default()
    };
    let mut harness = open_studio(args, [1400.0, 900.0]);
    step_until(&mut harness, "the photo", |app| {
        app.open
            .as_ref()
            .is_some_and(|o| o.selection.image == Some(4))
            && app.workspaces.label.prelabel.run.is_some()
    });
    let before = common::ui::project(&harness).instances(4).len();
    harness.get_by_label("Pre-label with a trained run").click();
    harness.run_steps(2);
    harness.get_by_label("This photo").click();
    step_until(&mut harness, "the prior of the photo", |app| {
        app.workspaces
            .label
            .canvas
            .prior
            .as_ref()
            .is_some_and(|p| p.0 == 4)
    });
    let instances = common::ui::project(&harness).instances(4);
    assert!(instances.len() >= before);
    assert!(
        instances[before..]
            .iter()
            .all(|i| i.tool == segstudio::project::Tool::PreLabel)
    );
    let prior = &harness
        .state()
        .workspaces
        .label
        .canvas
        .prior
        .as_ref()
        .unwrap()
        .1;
    assert_eq!((prior.width, prior.height), (64, 48));
}
