//! `--init`: a torchvision `mobilenet_v2` state dict (a width-reduced fixture with random weights,
//! made by `scripts/make_init_fixture.py`) loads into SegStudio's encoder, whose features then equal
//! torchvision's on the fixture's input within 1e-4; the CLI starts a run from it.
#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot set up fails loudly, which is what it should do"
)]

mod common;

use std::path::PathBuf;

use candle_core::Device;
use segstudio::model::{Config, Model};
use segstudio::train::init::load_init;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/init")
        .join(name)
}

fn max_relative_gap(a: &candle_core::Tensor, b: &candle_core::Tensor) -> f32 {
    assert_eq!(a.dims(), b.dims());
    let a = a.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let b = b.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
    a.iter()
        .zip(&b)
        .fold(0f32, |m, (x, y)| m.max((x - y).abs() / scale))
}

#[test]
fn torchvision_weights_give_torchvision_features() {
    let cfg = Config::mobilenetv2()
        .with_num_classes(2)
        .with_depth_multiplier(0.25);
    let model = Model::new(cfg, &Device::Cpu).unwrap();
    let report = load_init(&model, &fixture("torchvision_mnv2_w025.pth")).unwrap();
    // Stem and 17 blocks: 3 convs each except the first block's 2, each conv with 5 tensors
    // (weight; BN weight, bias, mean, var): (1 + 2 + 16 × 3) × 5 = 255.
    assert_eq!(report.loaded, 255, "{report:?}");
    // Only what DeepLab leaves out: torchvision's last 1×1 conv and the classifier.
    assert!(
        !report.unused.is_empty()
            && report
                .unused
                .iter()
                .all(|n| n.starts_with("features.18.") || n.starts_with("classifier.")),
        "{:?}",
        report.unused
    );
    let expected = candle_core::safetensors::load(
        fixture("torchvision_mnv2_w025_features.safetensors"),
        &Device::Cpu,
    )
    .unwrap();
    let net = model.net.frozen().unwrap();
    let x = &expected["input"];
    // torchvision's features[:4] is SegStudio's stem and blocks 0..3; features[:14] stem + 13.
    let gap4 = max_relative_gap(&net.mobilenet_blocks(x, 3).unwrap(), &expected["stride4"]);
    let gap16 = max_relative_gap(&net.mobilenet_blocks(x, 13).unwrap(), &expected["stride16"]);
    assert!(
        gap4 < 1e-4 && gap16 < 1e-4,
        "stride 4: {gap4}, stride 16: {gap16}"
    );
}

#[test]
fn a_run_starts_from_the_file_and_a_mismatched_one_is_refused() {
    let dir = common::trainable_project();
    let root = dir.path().to_str().unwrap();
    let init = fixture("torchvision_mnv2_w025.pth");
    let run = |multiplier: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_segstudio"))
            .args([
                "train",
                "--project",
                root,
                "--size",
                "64x48",
                "--batch",
                "2",
            ])
            .args(["--steps", "1", "--depth-multiplier", multiplier, "--init"])
            .arg(&init)
            .output()
            .unwrap()
    };
    let out = run("0.25");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("initialised 255 tensors"), "{err}");
    // The full-width encoder has other shapes: refused, naming a tensor, and no run is left.
    let out = run("1");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("in the file and") && err.contains("in the model"),
        "{err}"
    );
    let runs = std::fs::read_dir(dir.path().join("runs")).unwrap().count();
    assert_eq!(runs, 1, "only the first run");
}
