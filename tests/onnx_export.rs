//! ONNX export: ONNX Runtime loads the files; f32 logits equal SegStudio's within 1e-3, and ORT's
//! QDQ execution of the int8 model agrees with SegStudio's int8 kernels (the same quantized
//! weights) on ≥ 99.5 % of the arg-max labels. Random networks of every encoder go through the
//! library; a tiny run trained in the test goes through `segstudio quantize` and `export-model`.
#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot set up fails loudly, which is what it should do"
)]

mod common;

use std::path::Path;
use std::process::Command;

use candle_core::{Device, Tensor};
use segstudio::model::{Config, Model};
use segstudio::project::Project;
use segstudio::quantize::{Granularity, QuantizedNet, RangeMethod, calibrate};
use segstudio::train::{Predictor, RunDir};

use common::cli::{last_json, segstudio};

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn argmax(logits: &[f32], classes: usize, plane: usize) -> Vec<usize> {
    let mut out = Vec::new();
    for image in logits.chunks(classes * plane) {
        for p in 0..plane {
            let best = (0..classes)
                .max_by(|&a, &b| image[a * plane + p].total_cmp(&image[b * plane + p]))
                .unwrap();
            out.push(best);
        }
    }
    out
}

fn agreement(a: &[f32], b: &[f32], classes: usize, plane: usize) -> f64 {
    let (a, b) = (argmax(a, classes, plane), argmax(b, classes, plane));
    a.iter().zip(&b).filter(|(x, y)| x == y).count() as f64 / a.len() as f64
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()))
}

/// Runs `model` in ONNX Runtime on `x` (`[n, 3, h, w]`); returns the logits and the script's report.
fn run_ort(python: &Path, dir: &Path, model: &Path, x: &[f32]) -> (Vec<f32>, serde_json::Value) {
    let input = dir.join("input.bin");
    std::fs::write(
        &input,
        x.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>(),
    )
    .unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/check_onnx.py");
    let output = dir.join("ort.bin");
    let out = Command::new(python)
        .arg(&script)
        .args([model, &input, &output])
        .output()
        .unwrap();
    let info = last_json(&out);
    (f32s(&std::fs::read(&output).unwrap()), info)
}

/// Kernels and `BatchNorm` statistics drawn from a seed:
/// MobileNetV2 (inverted residuals, ReLU6), MobileNetV2 with the separable ASPP and the decoder,
/// and a thin Xception-65 (pre-activation ReLUs, strided 1×1 shortcuts).
#[test]
fn random_networks_of_every_encoder_export_exactly() {
    let Some(python) = common::python("random_networks_of_every_encoder_export_exactly") else {
        return;
    };
    let mut xception = Config::xception65()
        .with_depth_multiplier(0.1)
        .with_num_classes(5);
    xception.xception_middle_units = 1;
    let configs = [
        (
            "mobilenetv2",
            Config::mobilenetv2()
                .with_depth_multiplier(0.35)
                .with_num_classes(5),
        ),
        (
            "mobilenetv2-plus",
            Config::mobilenetv2_plus()
                .with_depth_multiplier(0.35)
                .with_num_classes(5),
        ),
        ("xception65", xception),
    ];
    let dir = tempfile::tempdir().unwrap();
    let (h, w) = (48, 64);
    for (name, cfg) in configs {
        // Small BatchNorm scales keep the thin random Xception's residual sums from growing without bound.
        let model: Model = common::random_model(cfg, 11, 0.1..0.4);
        // Without the bias the labels follow the image, not one class everywhere.
        let bias = model.varmap.data().lock().unwrap()["logits.bias"].clone();
        bias.set(&bias.zeros_like().unwrap()).unwrap();
        let graph = model.net.graph().unwrap();
        let images: Vec<Tensor> = (0..3).map(|s| common::smooth_image(s, h, w)).collect();
        let batch = Tensor::cat(&images, 0).unwrap();
        let x = batch.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let ranges = calibrate(&graph, &images, RangeMethod::MinMax, || Ok(())).unwrap();
        let net = QuantizedNet::new(
            &graph,
            &ranges,
            RangeMethod::MinMax,
            Granularity::PerChannel,
        )
        .unwrap();
        for int8 in [false, true] {
            let proto = segstudio::onnx::model(&graph, int8.then_some(&net), (h, w), &[]).unwrap();
            let file = dir.path().join(format!("{name}-{int8}.onnx"));
            std::fs::write(&file, segstudio::onnx::encode(&proto)).unwrap();
            let (theirs, _) = run_ort(&python, dir.path(), &file, &x);
            let ours = if int8 {
                net.logits(&x, 3, h, w).unwrap()
            } else {
                graph.run_f32(&batch, |_, _| Ok(())).unwrap()
            };
            let ours = ours.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let spread = ours.iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v))
                - ours.iter().fold(f32::INFINITY, |m, v| m.min(*v));
            let diff = max_abs_diff(&ours, &theirs);
            let agree = agreement(&ours, &theirs, 5, h * w);
            eprintln!(
                "{name} (int8: {int8}): logits spread {spread:.2}, max |ORT − SegStudio| \
                 {diff:.2e}, arg-max agreement {agree:.5}"
            );
            assert!(spread > 0.05, "{name}: the logits hardly vary ({spread})");
            if int8 {
                // The same integers on both sides: a different arithmetic shows as whole
                // quantization steps of the logits.
                assert!(
                    diff <= 0.01 * spread,
                    "{name}: int8 logits differ by {diff}"
                );
                assert!(agree >= 0.995, "{name}: int8 arg-max agrees on {agree}");
            } else {
                // Relative to the logits' range: the thin random Xception's grow large.
                assert!(
                    diff <= 1e-3 * spread.max(1.0),
                    "{name}: f32 logits differ by {diff}"
                );
            }
        }
    }
}

#[test]
fn export_model_writes_what_onnx_runtime_runs_as_segstudio_does() {
    let Some(python) =
        common::python("export_model_writes_what_onnx_runtime_runs_as_segstudio_does")
    else {
        return;
    };
    let dir = common::trainable_project();
    let root = dir.path().to_str().unwrap();
    let summary = common::cli::train_tiny(
        dir.path(),
        "3",
        &[
            "--steps",
            "8",
            "--eval-every",
            "4",
            "--checkpoint-every",
            "4",
        ],
    );
    let run = summary["run"].as_str().unwrap().to_owned();
    // Without an int8 checkpoint the int8 export says what to do.
    let onnx8 = dir.path().join("model-int8.onnx");
    let onnx8_arg = onnx8.to_str().unwrap();
    let out = segstudio(&[
        "export-model",
        "--project",
        root,
        "--run",
        &run,
        "--int8",
        "--out",
        onnx8_arg,
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("segstudio quantize"));
    last_json(&segstudio(&[
        "quantize",
        "--project",
        root,
        "--run",
        &run,
        "--calib",
        "4",
        "--json",
    ]));
    let onnx32 = dir.path().join("model.onnx");
    let onnx32_arg = onnx32.to_str().unwrap();
    last_json(&segstudio(&[
        "export-model",
        "--project",
        root,
        "--run",
        &run,
        "--out",
        onnx32_arg,
        "--json",
    ]));
    last_json(&segstudio(&[
        "export-model",
        "--project",
        root,
        "--run",
        &run,
        "--int8",
        "--out",
        onnx8_arg,
        "--json",
    ]));
    let (size32, size8) = (
        std::fs::metadata(&onnx32).unwrap().len(),
        std::fs::metadata(&onnx8).unwrap().len(),
    );
    assert!(
        size8 * 2 < size32,
        "int8 {size8} bytes against f32 {size32}"
    );

    // Every photo of the project, as the network's input.
    let project = Project::open(dir.path()).unwrap();
    let run_dir = RunDir::open(project.root(), &run);
    let float = Predictor::load(&run_dir, None, &Device::Cpu).unwrap();
    let int8_file = run_dir
        .dir
        .join("quantized")
        .join("int8-per-channel.safetensors");
    let int8 = Predictor::load(&run_dir, Some(int8_file.to_str().unwrap()), &Device::Cpu).unwrap();
    assert_eq!(int8.precision(), "int8 per-channel");
    let n = project.file().images.len();
    let mut x = Vec::new();
    for i in 0..n {
        let photo = segstudio::imageio::read_photo(&project.image_path(i)).unwrap();
        x.extend(float.input_of(&photo));
    }
    let ours = |p: &Predictor| {
        p.logits(&x, n)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()
    };
    let (theirs32, info) = run_ort(&python, dir.path(), &onnx32, &x);
    assert_eq!(info["shape"], serde_json::json!([1, 3, 48, 64]), "{info}");
    let meta = &info["metadata"];
    assert!(
        meta["segstudio.input"]
            .as_str()
            .unwrap()
            .contains("[1, 3, 48, 64]"),
        "{meta}"
    );
    assert!(
        meta["segstudio.labels"]
            .as_str()
            .unwrap()
            .contains("background"),
        "{meta}"
    );
    let diff = max_abs_diff(&ours(&float), &theirs32);
    assert!(diff <= 1e-3, "f32 logits differ by {diff}");
    let (theirs8, info8) = run_ort(&python, dir.path(), &onnx8, &x);
    assert_eq!(info8["metadata"]["segstudio.precision"], "int8 per-channel");
    let agree = agreement(&ours(&int8), &theirs8, 3, 48 * 64);
    assert!(agree >= 0.995, "int8 arg-max agrees on {agree}");
}
