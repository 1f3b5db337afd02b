//! Helpers of the tests that drive the `segstudio` binary the way a user's shell does.

use std::path::Path;
use std::process::{Command, Output};

/// Runs the binary cargo built for these tests with `args`.
pub fn segstudio(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_segstudio"))
        .args(args)
        .output()
        .unwrap()
}

/// The stdout of a command that must have succeeded; otherwise the test fails showing both streams.
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The last line of a successful command's stdout as JSON: where `--json` puts its summary.
pub fn last_json(out: &Output) -> serde_json::Value {
    serde_json::from_str(ok(out).lines().last().unwrap()).unwrap()
}

/// A MobileNetV2 of width 0.35 at 64×48, batch 2: a step takes milliseconds.
pub const TINY_MODEL: [&str; 10] = [
    "--encoder",
    "mobilenetv2",
    "--depth-multiplier",
    "0.35",
    "--size",
    "64x48",
    "--batch",
    "2",
    "--lr",
    "0.05",
];

/// `segstudio train --json` of [`TINY_MODEL`] on `project` with `seed` and `extra`; the summary.
pub fn train_tiny(project: &Path, seed: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["train", "--project", project.to_str().unwrap(), "--json"];
    args.extend(TINY_MODEL);
    args.extend(["--seed", seed]);
    args.extend(extra);
    last_json(&segstudio(&args))
}
