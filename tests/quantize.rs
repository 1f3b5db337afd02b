//! Quantization: the inference graph reproduces the network; the int8 network, run by the integer
//! kernels, agrees with f32 in both weight schemes; its checkpoint round-trips and
//! refuses files that are not one; `segstudio quantize` on a tiny trained run reports the sizes
//! and both scores, and `eval` on the int8 file gives the same score.
#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot set up fails loudly, which is what it should do"
)]

mod common;

use candle_core::{Device, Tensor};
use segstudio::model::{Config, Model};
use segstudio::quantize::{Granularity, QuantizedNet, RangeMethod, calibrate, store};

use common::cli::{last_json, ok, segstudio};

fn max_rel_diff(a: &Tensor, b: &Tensor) -> f32 {
    let a = a.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let b = b.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let scale = a.iter().fold(0f32, |m, v| m.max(v.abs()));
    a.iter()
        .zip(&b)
        .fold(0f32, |m, (x, y)| m.max((x - y).abs()))
        / scale
}

fn argmax_agreement(a: &Tensor, b: &Tensor) -> f64 {
    let a = a
        .argmax(1)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<u32>()
        .unwrap();
    let b = b
        .argmax(1)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<u32>()
        .unwrap();
    a.iter().zip(&b).filter(|(x, y)| x == y).count() as f64 / a.len() as f64
}

fn small_configs() -> Vec<(&'static str, Config)> {
    let mut xception = Config::xception65()
        .with_depth_multiplier(0.1)
        .with_num_classes(5);
    xception.xception_middle_units = 1;
    vec![
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
    ]
}

#[test]
fn the_inference_graph_reproduces_the_network() {
    for (name, cfg) in small_configs() {
        let model = common::random_model(cfg, 3, 0.5..1.5);
        let x = common::smooth_image(1, 48, 64);
        let want = model.forward_t(&x, false).unwrap();
        let graph = model.net.graph().unwrap();
        let got = graph.run_f32(&x, |_, _| Ok(())).unwrap();
        assert_eq!(got.dims(), want.dims(), "{name}");
        let d = max_rel_diff(&want, &got);
        assert!(d < 1e-5, "{name}: graph differs from the network by {d}");
    }
}

#[test]
fn int8_tracks_f32_per_channel_and_per_tensor() {
    for (name, cfg) in small_configs() {
        let model = common::random_model(cfg, 5, 0.01..2.0);
        let graph = model.net.graph().unwrap();
        let calib: Vec<Tensor> = (0..4)
            .map(|s| common::smooth_image(10 + s, 48, 64))
            .collect();
        let ranges = calibrate(&graph, &calib, RangeMethod::MinMax, || Ok(())).unwrap();
        let x = common::smooth_image(99, 48, 64);
        let want = model.forward_t(&x, false).unwrap();
        let data = x.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let run = |g: Granularity| {
            let net = QuantizedNet::new(&graph, &ranges, RangeMethod::MinMax, g).unwrap();
            net.logits(&data, 1, 48, 64).unwrap()
        };
        let pc = run(Granularity::PerChannel);
        let pt = run(Granularity::PerTensor);
        let (d_pc, d_pt) = (max_rel_diff(&want, &pc), max_rel_diff(&want, &pt));
        let agree = argmax_agreement(&want, &pc);
        eprintln!("{name}: per-channel error {d_pc:.4} (argmax {agree:.4}), per-tensor {d_pt:.4}");
        assert!(
            d_pc < 0.1,
            "{name}: int8 logits off by {d_pc} of their range"
        );
        assert!(agree > 0.95, "{name}: int8 argmax agrees on {agree}");
        // Random networks do not show the per-tensor loss (their small channels matter little
        // downstream); the real run in BENCHMARKS.md does. Here per tensor must still work.
        assert!(d_pt < 0.2, "{name}: per-tensor int8 logits off by {d_pt}");
    }
}

#[test]
fn the_int8_checkpoint_round_trips_and_refuses_other_files() {
    let (_, cfg) = small_configs().remove(1);
    let model = common::random_model(cfg.clone(), 8, 0.5..1.5);
    let graph = model.net.graph().unwrap();
    let calib = vec![common::smooth_image(3, 48, 64)];
    let method = RangeMethod::Percentile(99.99);
    let ranges = calibrate(&graph, &calib, method, || Ok(())).unwrap();
    let net = QuantizedNet::new(&graph, &ranges, method, Granularity::PerChannel).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q").join("int8.safetensors");
    store::save(&net, &path).unwrap();
    assert!(store::is_int8(&path));
    // The topology comes from a fresh model of the same config: no f32 weight is needed.
    let fresh = Model::new(cfg.clone(), &Device::Cpu).unwrap();
    let loaded = store::load(&path, &fresh.net.graph().unwrap()).unwrap();
    assert_eq!(loaded.method, method);
    let x = common::smooth_image(4, 48, 64)
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let a = net.logits(&x, 1, 48, 64).unwrap();
    let b = loaded.logits(&x, 1, 48, 64).unwrap();
    // Bit for bit: the same codes and weights give the same integers.
    assert_eq!(
        a.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
        b.flatten_all().unwrap().to_vec1::<f32>().unwrap()
    );

    // Another model's graph: the error names the file and the tensor.
    let other = Model::new(cfg.with_num_classes(7), &Device::Cpu).unwrap();
    let err = store::load(&path, &other.net.graph().unwrap()).unwrap_err();
    assert!(
        err.contains("int8.safetensors") && err.contains("logits.weight"),
        "{err}"
    );
    // An f32 checkpoint is not an int8 one.
    let f32_file = dir.path().join("model.safetensors");
    segstudio::model::checkpoint::save(&model, &f32_file).unwrap();
    assert!(!store::is_int8(&f32_file));
    let err = store::load(&f32_file, &graph).unwrap_err();
    assert!(err.contains("not an int8 checkpoint"), "{err}");
    // A truncated file.
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = store::load(&path, &graph).unwrap_err();
    assert!(err.contains("int8.safetensors"), "{err}");
}

#[test]
fn quantize_cli_reports_sizes_and_scores_that_eval_confirms() {
    let dir = common::trainable_project();
    let root = dir.path().to_str().unwrap();
    let summary = common::cli::train_tiny(
        dir.path(),
        "7",
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
    let report = last_json(&segstudio(&[
        "quantize",
        "--project",
        root,
        "--run",
        &run,
        "--calib",
        "3",
        "--json",
    ]));
    let (f, q) = (
        report["bytes_f32"].as_u64().unwrap(),
        report["bytes_int8"].as_u64().unwrap(),
    );
    assert!(q * 3 < f, "int8 {q} bytes against f32 {f}");
    let miou_int8 = report["miou_int8"].as_f64().unwrap();
    assert!(report["miou_f32"].as_f64().is_some());
    let file = report["file"].as_str().unwrap().to_owned();
    assert!(file.ends_with("int8-per-channel.safetensors"), "{file}");
    // The same int8 file through `eval` gives the same score.
    let eval = last_json(&segstudio(&[
        "eval",
        "--project",
        root,
        "--run",
        &run,
        "--checkpoint",
        &file,
        "--split",
        "val",
        "--json",
    ]));
    assert!(
        (eval["miou"].as_f64().unwrap() - miou_int8).abs() < 1e-9,
        "{eval}"
    );
    // `compare` lays both precisions side by side.
    let rows = last_json(&segstudio(&[
        "compare",
        "--project",
        root,
        "--json",
        "--latency",
        "2",
    ]));
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0]["precision"], "f32");
    assert_eq!(rows[1]["precision"], "int8 per-channel");
    assert_eq!(rows[1]["disk_bytes"].as_u64().unwrap(), q);
    assert!((rows[1]["eval_miou"].as_f64().unwrap() - miou_int8).abs() < 1e-9);
    assert!(rows.iter().all(|r| r["latency_ms"].as_f64().unwrap() > 0.0));
    let csv = ok(&segstudio(&["compare", "--project", root, "--csv"]));
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("run,encoder,variant,precision")
    );
    assert_eq!(lines.count(), 2);
    let md = ok(&segstudio(&["compare", "--project", root, "--markdown"]));
    assert!(md.contains("| int8 per-channel |"), "{md}");
    // Impossible settings are refused with the reason.
    let out = segstudio(&["quantize", "--project", root, "--run", &run, "--calib", "0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--calib"));
    let out = segstudio(&[
        "quantize",
        "--project",
        root,
        "--run",
        &run,
        "--percentile",
        "20",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("percentile"));
}
