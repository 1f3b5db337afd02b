//! The Compare workspace lists every run of a tiny project per precision (a trained run and its
//! int8 checkpoint) and sorts by a column when its header is clicked, the other way on a second
//! click; its charts take the ticked rows (a val curve per run, latency measured as a job); its
//! seed table puts the run beside the seed's rows; `--view` chooses the view at start-up.
mod common;

use common::ui::{open_studio, step_until};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use segstudio::cli::StudioArgs;
use segstudio::ui::StudioApp;

#[test]
fn the_compare_table_lists_the_runs_and_sorts_by_a_column() {
    let dir = common::trainable_project();
    let project = segstudio::project::Project::open(dir.path()).expect("project");
    let mut config = common::tiny_train_config(4);
    config.eval_every = 2;
    let summary = common::train_in_process(&project, config);
    let progress = segstudio::progress::Progress::default();
    let run = segstudio::train::RunDir::open(project.root(), &summary.run);
    let options = segstudio::quantize::job::QuantizeOptions {
        calib_images: 2,
        ..Default::default()
    };
    segstudio::quantize::job::quantize_run(&project, &run, &options, &progress)
        .expect("the run quantizes");

    let args = StudioArgs {
        project: Some(dir.path().to_path_buf()),
        ..StudioArgs::default()
    };
    let mut harness = open_studio(args, [1400.0, 900.0]);
    harness.get_by_label("Compare").click();
    step_until(&mut harness, "the rows", |app| {
        app.workspaces.compare.is_loaded() && !app.workspaces.compare.rows.is_empty()
    });
    let rows = &harness.state().workspaces.compare.rows;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].precision, "f32");
    harness.get_by_label("int8 per-channel");
    assert!(
        harness.query_all_by_label(&summary.run).count() >= 2,
        "a row per precision"
    );

    harness.get_by_label("disk (MB)").click();
    harness.run_steps(2);
    let first =
        |h: &Harness<'_, StudioApp>| h.state().workspaces.compare.sorted()[0].precision.clone();
    assert_eq!(
        first(&harness),
        "int8 per-channel",
        "the smaller file first"
    );
    harness.get_by_label("disk (MB) ^").click();
    harness.run_steps(2);
    assert_eq!(first(&harness), "f32", "a second click sorts the other way");
    harness.get_by_label("disk (MB) v");

    // Charts: both rows ticked, the run's val curve read; untick the f32 row.
    harness.get_by_label("Charts").click();
    harness.run_steps(2);
    let compare = &harness.state().workspaces.compare;
    assert_eq!(compare.ticked().len(), 2);
    assert_eq!(
        compare.curves.get(&summary.run).map(Vec::len),
        Some(2),
        "validations at steps 2 and 4"
    );
    harness
        .get_by_label(&format!("{} · f32", summary.run))
        .click();
    harness.run_steps(2);
    let ticked: Vec<String> = harness
        .state()
        .workspaces
        .compare
        .ticked()
        .iter()
        .map(|(_, r)| r.precision.clone())
        .collect();
    assert_eq!(ticked, vec!["int8 per-channel".to_owned()]);
    // Latency of the ticked row only, on a job.
    harness.get_by_label("Measure latency").click();
    step_until(&mut harness, "the latency", |app| {
        app.workspaces
            .compare
            .rows
            .iter()
            .any(|r| r.latency_ms.is_some())
    });
    let rows = &harness.state().workspaces.compare.rows;
    let timed: Vec<(&str, bool)> = rows
        .iter()
        .map(|r| {
            (
                r.precision.as_str(),
                r.latency_ms.is_some_and(|ms| ms > 0.0),
            )
        })
        .collect();
    assert!(timed.contains(&("int8 per-channel", true)));
    assert!(
        timed.contains(&("f32", false)),
        "the unticked row is not timed"
    );

    // The seed table: the run sits beside the seed's MobileNetV2 rows.
    harness.get_by_label("Seed table").click();
    harness.run_steps(2);
    harness.get_by_label("MobileNetv2, atWork_full");
    harness.get_by_label("77.47");
    assert_eq!(
        harness.query_all_by_label(&summary.run).count(),
        2,
        "beside atWork_full and the mean of the variants"
    );
    harness.get_by_label(&format!("{} (int8 per-channel)", summary.run));
}

#[test]
fn the_command_lines_view_outlives_the_project_opening_and_the_seed_table_needs_no_run() {
    let dir = common::trainable_project();
    let args = StudioArgs {
        project: Some(dir.path().to_path_buf()),
        workspace: Some("compare".into()),
        view: Some("seed".into()),
        ..StudioArgs::default()
    };
    let mut harness = open_studio(args, [1400.0, 900.0]);
    harness.run_steps(2);
    assert_eq!(
        harness.state().workspaces.compare.view,
        segstudio::ui::compare::View::Seed
    );
    // A project without runs still shows the seed's rows.
    harness.get_by_label("MobileNetv2, atWork_full");
}
