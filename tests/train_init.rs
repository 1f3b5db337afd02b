//! `--init`: a torchvision `mobilenet_v2` state dict (a width-reduced fixture with random weights,
//! made by `scripts/make_init_fixture.py`) loads into SegStudio's encoder, whose features then equal
//! torchvision's on the fixture's input within 1e-4; the CLI starts a run from it. TF model-zoo
//! checkpoints (DeepLab's MobileNetV2 and Xception-65, as `.npz` fixtures of TF-named, TF-layout
//! arrays from `scripts/make_tf_init_fixture.py`) go through `scripts/convert_tf_deeplab.py`, load
//! whole, and give the features of numpy's TF-semantics forward pass.
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

/// A copied tensor is bit-for-bit its source, so layouts are compared exactly.
fn assert_same_values(ours: &candle_core::Tensor, theirs: &candle_core::Tensor) {
    assert_eq!(ours.dims(), theirs.dims());
    let bits = |t: &candle_core::Tensor| -> Vec<u32> {
        let values = t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        values.into_iter().map(f32::to_bits).collect()
    };
    assert!(
        bits(ours) == bits(theirs),
        "the values differ from the source's"
    );
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

/// Runs `scripts/convert_tf_deeplab.py` on an `.npz` of TF-named variables.
fn convert_tf(
    python: &std::path::Path,
    npz: &std::path::Path,
    encoder: &str,
    out: &std::path::Path,
) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/convert_tf_deeplab.py");
    let done = std::process::Command::new(python)
        .arg(script)
        .arg(npz)
        .args(["--encoder", encoder, "--out"])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
}

/// TF's layouts, as SegStudio (torch's layouts) holds them: HWIO → OIHW for a convolution,
/// [kh, kw, C, 1] → [C, 1, kh, kw] for a depthwise one; vectors stay as they are.
#[derive(Clone, Copy)]
enum TfLayout {
    Conv,
    Depthwise,
    Vector,
}

/// The model's `ours` holds, bit for bit, the `.npz`'s TF-layout `tf` read by candle (not by the
/// conversion script) and permuted by hand.
fn assert_converted(model: &Model, npz: &std::path::Path, tf: &str, layout: TfLayout, ours: &str) {
    // Only the named array is read, not the whole checkpoint's.
    let source = candle_core::Tensor::read_npz_by_name(npz, &[tf])
        .unwrap_or_else(|e| panic!("{tf} in {}: {e}", npz.display()))
        .remove(0);
    let source = match layout {
        TfLayout::Conv => source.permute((3, 2, 0, 1)).unwrap(),
        TfLayout::Depthwise => source.permute((2, 3, 0, 1)).unwrap(),
        TfLayout::Vector => source,
    };
    let data = model.varmap.data().lock().unwrap();
    let target = data
        .get(ours)
        .unwrap_or_else(|| panic!("the model has no {ours}"))
        .as_tensor();
    assert_same_values(target, &source);
}

#[test]
fn tf_model_zoo_weights_converted_by_the_script_give_the_tf_features() {
    let Some(python) = common::python("train_init: tf zoo") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let converted = dir.path().join("tf_mnv2_w025.safetensors");
    let npz = fixture("tf_mnv2_w025.npz");
    convert_tf(&python, &npz, "mobilenetv2", &converted);
    let cfg = Config::mobilenetv2()
        .with_num_classes(3)
        .with_depth_multiplier(0.25);
    let model = Model::new(cfg, &Device::Cpu).unwrap();
    let report = load_init(&model, &converted).unwrap();
    // The whole net comes from the file: encoder, the image-pooling + 1×1 head, the logits.
    assert_eq!((report.loaded, report.kept), (272, 0), "{report:?}");
    assert!(report.unused.is_empty(), "{:?}", report.unused);
    // Three places checked by hand, one of each layout.
    assert_converted(
        &model,
        &npz,
        "aspp0/weights",
        TfLayout::Conv,
        "aspp.aspp0.0.weight",
    );
    assert_converted(
        &model,
        &npz,
        "MobilenetV2/expanded_conv_5/depthwise/depthwise_weights",
        TfLayout::Depthwise,
        "encoder.layers.5.depthwise.0.weight",
    );
    assert_converted(
        &model,
        &npz,
        "logits/semantic/biases",
        TfLayout::Vector,
        "logits.bias",
    );
    // The features against numpy's TF-semantics forward pass of the same arrays.
    let expected = candle_core::Tensor::read_npz(fixture("tf_mnv2_w025_features.npz")).unwrap();
    let get = |name: &str| {
        expected
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
            .unwrap()
    };
    let net = model.net.frozen().unwrap();
    let x = get("input");
    let gap4 = max_relative_gap(&net.mobilenet_blocks(&x, 3).unwrap(), &get("stride4"));
    let gap16 = max_relative_gap(&net.mobilenet_blocks(&x, 13).unwrap(), &get("stride16"));
    assert!(
        gap4 < 1e-4 && gap16 < 1e-4,
        "stride 4: {gap4}, stride 16: {gap16}"
    );

    // A run with another label set keeps its own logits and takes everything else.
    let cfg = Config::mobilenetv2()
        .with_num_classes(5)
        .with_depth_multiplier(0.25);
    let model = Model::new(cfg, &Device::Cpu).unwrap();
    let report = load_init(&model, &converted).unwrap();
    assert_eq!((report.loaded, report.kept), (270, 2), "{report:?}");
    assert!(
        report.unused.len() == 2
            && report
                .unused
                .iter()
                .all(|u| u.starts_with("logits.")
                    && u.contains("3 classes in the file, 5 in this run")),
        "{:?}",
        report.unused
    );
}

#[test]
fn every_variable_of_a_tf_xception65_deeplab_checkpoint_converts_to_its_place() {
    let Some(python) = common::python("train_init: tf xception65") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let make = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/make_tf_init_fixture.py");
    let made = std::process::Command::new(&python)
        .arg(make)
        .args(["xception65"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let npz = dir.path().join("tf_xception65.npz");
    let converted = dir.path().join("xception65.safetensors");
    convert_tf(&python, &npz, "xception65", &converted);
    let model = Model::new(Config::xception65().with_num_classes(21), &Device::Cpu).unwrap();
    let report = load_init(&model, &converted).unwrap();
    let total = model.varmap.data().lock().unwrap().len();
    // Every tensor of the model (encoder, ASPP with its three atrous branches, decoder, logits)
    // came from the file, with the shape the model has, and nothing of the file was left over.
    assert_eq!((report.loaded, report.kept), (total, 0), "{report:?}");
    assert!(report.unused.is_empty(), "{:?}", report.unused);
    // Two places checked by hand: the last unit of the exit flow (unit 20 after 3 entry and 16
    // middle units and exit block 1), and the third atrous branch.
    assert_converted(
        &model,
        &npz,
        "xception_65/exit_flow/block2/unit_1/xception_module/separable_conv3_pointwise/weights",
        TfLayout::Conv,
        "encoder.units.20.convs.2.pointwise.0.weight",
    );
    assert_converted(
        &model,
        &npz,
        "aspp3_depthwise/depthwise_weights",
        TfLayout::Depthwise,
        "aspp.atrous.2.depthwise.0.weight",
    );
    assert_converted(
        &model,
        &npz,
        "xception_65/middle_flow/block1/unit_16/xception_module/separable_conv2_depthwise/BatchNorm/moving_variance",
        TfLayout::Vector,
        "encoder.units.18.convs.1.depthwise.1.running_var",
    );
}
