//! `segstudio train`, `eval`, `predict` and `runs` on a tiny project with a tiny model: a run
//! trains, validates, checkpoints and predicts; `eval` agrees with `score` on `predict`'s masks; a
//! run killed with SIGKILL resumes and takes the same steps as the uninterrupted run.
#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot set up fails loudly, which is what it should do"
)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::cli::{ok, segstudio};

/// The tests' tiny run with seed 7 and `extra`; its summary.
fn train(dir: &Path, extra: &[&str]) -> serde_json::Value {
    common::cli::train_tiny(dir, "7", extra)
}

/// The losses by step from a run's `metrics.csv`.
fn losses(dir: &Path, run: &str) -> Vec<(u64, f64)> {
    let text = std::fs::read_to_string(dir.join("runs").join(run).join("metrics.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let cols: Vec<&str> = l.split(',').collect();
            (cols[0].parse().unwrap(), cols[2].parse().unwrap())
        })
        .collect()
}

#[test]
fn a_tiny_run_trains_validates_and_its_predictions_score_as_eval_says() {
    let dir = common::trainable_project();
    let root = dir.path().to_str().unwrap();
    let summary = train(
        dir.path(),
        &[
            "--steps",
            "6",
            "--eval-every",
            "3",
            "--checkpoint-every",
            "3",
        ],
    );
    let run = summary["run"].as_str().unwrap().to_owned();
    assert_eq!(summary["steps"], 6);
    assert!(summary["final_loss"].as_f64().unwrap().is_finite());
    assert!(summary["val_miou"].as_f64().is_some(), "{summary}");
    let run_dir = dir.path().join("runs").join(&run);
    assert_eq!(losses(dir.path(), &run).len(), 6);
    let val = std::fs::read_to_string(run_dir.join("val.csv")).unwrap();
    assert_eq!(val.lines().count(), 3, "header + steps 3 and 6:\n{val}");
    assert!(val.starts_with("step,seconds,miou,pixel_acc,background,nut,bolt"));
    // Only the newest resume point is kept, next to the best weights.
    let mut files: Vec<String> = std::fs::read_dir(run_dir.join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "best.safetensors",
            "step-0000006.optim.safetensors",
            "step-0000006.safetensors"
        ]
    );
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&segstudio(&["runs", "--project", root, "--json"]))).unwrap();
    assert_eq!(listed[0]["run"], run.as_str());
    assert_eq!(listed[0]["status"], "finished");

    // eval at full resolution, and the same through predict's files and score.
    let eval: serde_json::Value = serde_json::from_str(&ok(&segstudio(&[
        "eval",
        "--project",
        root,
        "--run",
        &run,
        "--split",
        "val",
        "--json",
    ])))
    .unwrap();
    assert_eq!(eval["images"], 2);
    let out = dir.path().join("predicted");
    let photos: Vec<String> = (4..6)
        .map(|i| {
            dir.path()
                .join("images")
                .join(format!("photo_{i:03}.png"))
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let mut args = vec![
        "predict",
        "--project",
        root,
        "--run",
        &run,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(photos.iter().map(String::as_str));
    ok(&segstudio(&args));
    let mask = image::open(out.join("photo_004.png")).unwrap();
    assert_eq!((mask.width(), mask.height()), (64, 48));
    let score: serde_json::Value = serde_json::from_str(&ok(&segstudio(&[
        "score",
        "--project",
        root,
        "--predictions",
        out.to_str().unwrap(),
        "--split",
        "val",
        "--json",
    ])))
    .unwrap();
    for key in ["miou", "pixel_acc"] {
        let (a, b) = (eval[key].as_f64().unwrap(), score[key].as_f64().unwrap());
        assert!((a - b).abs() < 1e-9, "{key}: eval {a}, score {b}");
    }
}

#[test]
fn a_run_killed_mid_training_resumes_onto_the_same_steps() {
    let steps = "60";
    let args = [
        "--steps",
        steps,
        "--eval-every",
        "0",
        "--checkpoint-every",
        "10",
    ];
    // The uninterrupted run.
    let dir = common::trainable_project();
    let whole = train(dir.path(), &args);
    let whole_run = whole["run"].as_str().unwrap().to_owned();
    let reference = losses(dir.path(), &whole_run);
    assert_eq!(reference.len(), 60);

    // The same run in another project, killed with SIGKILL once a checkpoint past step 10 exists.
    let other = common::trainable_project();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_segstudio"));
    cmd.args([
        "train",
        "--project",
        other.path().to_str().unwrap(),
        "--json",
    ])
    .args(common::cli::TINY_MODEL)
    .args(["--seed", "7"])
    .args(args)
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let runs = other.path().join("runs");
    let started = Instant::now();
    let killed_run = loop {
        let run = std::fs::read_dir(&runs)
            .ok()
            .and_then(|mut d| d.next())
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned());
        if let Some(run) = &run {
            let state =
                std::fs::read_to_string(runs.join(run).join("state.ron")).unwrap_or_default();
            if state.contains("checkpoint: Some(") && !state.contains("checkpoint: Some(10)") {
                child.kill().unwrap();
                child.wait().unwrap();
                break run.clone();
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run finished before it could be killed"
        );
        assert!(started.elapsed() < Duration::from_mins(5));
        std::thread::sleep(Duration::from_millis(2));
    };
    let listed = ok(&segstudio(&[
        "runs",
        "--project",
        other.path().to_str().unwrap(),
    ]));
    assert!(listed.contains("interrupted"), "{listed}");
    let cut = losses(other.path(), &killed_run);
    assert!(cut.len() < 60, "killed after {} steps", cut.len());

    let out = ok(&segstudio(&[
        "train",
        "--project",
        other.path().to_str().unwrap(),
        "--resume",
        &killed_run,
        "--json",
    ]));
    let resumed: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(resumed["steps"], 60);
    let after = losses(other.path(), &killed_run);
    assert_eq!(
        after.iter().map(|r| r.0).collect::<Vec<_>>(),
        (1..=60).collect::<Vec<u64>>(),
        "one row per step, none twice"
    );
    for ((step, a), (_, b)) in reference.iter().zip(&after) {
        assert!(
            (a - b).abs() <= 1e-3 * a.abs(),
            "step {step}: uninterrupted loss {a}, resumed {b}"
        );
    }
}

#[test]
fn impossible_settings_are_refused_with_the_reason() {
    let dir = common::trainable_project();
    let root = dir.path().to_str().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (
            &["--size", "4096x4096", "--batch", "256", "--steps", "1"],
            "GB of memory",
        ),
        (&["--size", "16x16", "--steps", "1"], "between 32 and 4096"),
        (&["--batch", "0", "--steps", "1"], "--batch 0"),
        (
            &["--variant", "nope", "--steps", "1"],
            "no variant \"nope\"",
        ),
        (
            &["--synth", "missing", "--steps", "1"],
            "no finished synthesis run \"missing\"",
        ),
        (&[], "--steps N or --minutes M"),
    ];
    for (args, want) in cases {
        let mut all = vec!["train", "--project", root];
        all.extend(args);
        let out = segstudio(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(want),
            "{args:?}: {err}"
        );
    }
    let out = segstudio(&["train", "--project", root, "--resume", "gone"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("gone"), "{err}");
    // Nothing half-made is left behind by a refused run.
    assert!(
        !dir.path().join("runs").exists()
            || std::fs::read_dir(dir.path().join("runs")).unwrap().count() == 0
    );
}

#[test]
fn a_non_finite_loss_stops_the_run_naming_the_step() {
    let dir = common::trainable_project();
    let root = dir.path().to_str().unwrap();
    // Finite but huge logits weights: the logits overflow to infinity and so does the loss.
    let init = dir.path().join("huge.safetensors");
    let huge =
        candle_core::Tensor::full(3e38f32, (3, 256, 1, 1), &candle_core::Device::Cpu).unwrap();
    candle_core::safetensors::save(
        &std::collections::HashMap::from([("logits.weight".to_owned(), huge)]),
        &init,
    )
    .unwrap();
    let mut args = vec!["train", "--project", root];
    args.extend(common::cli::TINY_MODEL);
    args.extend(["--seed", "7", "--steps", "5", "--eval-every", "0"]);
    args.extend(["--checkpoint-every", "0", "--init", init.to_str().unwrap()]);
    let out = segstudio(&args);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the loss is") && err.contains("at step 1:"),
        "{err}"
    );
    let runs = ok(&segstudio(&["runs", "--project", root]));
    assert!(runs.contains("failed"), "{runs}");
}

/// A `--minutes` run sizes its poly schedule from its own rate and keeps re-sizing it, so it ends
/// where the schedule ends: the last step's learning rate is near zero, not the base rate.
#[test]
fn a_time_budgeted_run_ends_its_schedule_with_its_budget() {
    let dir = common::trainable_project();
    let summary = train(
        dir.path(),
        &[
            "--minutes",
            "0.2",
            "--eval-every",
            "0",
            "--checkpoint-every",
            "0",
            "--val-split",
            "none",
        ],
    );
    let run = summary["run"].as_str().unwrap();
    let steps = summary["steps"].as_u64().unwrap();
    let text =
        std::fs::read_to_string(dir.path().join("runs").join(run).join("metrics.csv")).unwrap();
    let last_lr: f64 = text
        .lines()
        .last()
        .unwrap()
        .split(',')
        .nth(3)
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        steps >= 25,
        "12 s should be dozens of tiny steps, got {steps}"
    );
    // Base 0.05; within the last re-estimate's ten steps of the horizon, poly 0.9 is far below it.
    assert!(
        last_lr < 0.05 * 0.4,
        "the run stopped with lr {last_lr} after {steps} steps: its schedule was not finished"
    );
}
