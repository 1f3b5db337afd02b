//! The benchmark functions run and report consistent numbers (tiny configs, few repeats).

use segstudio::model::{Config, bench, optim::SgdParams};

#[test]
fn bench_functions_report_runs() -> candle_core::Result<()> {
    let cfg = Config::mobilenetv2_plus().with_depth_multiplier(0.35);
    let runs = |repeats, profile| bench::Runs {
        repeats,
        warmup: 1,
        profile,
    };
    let r = bench::infer(&cfg, 65, 65, 1, runs(3, false))?;
    assert_eq!(r.runs_ms.len(), 3);
    assert!(r.ms_min <= r.ms_median && r.ms_median <= r.ms_max && r.ms_min > 0.0);
    assert!(r.profile_ms.is_none());
    let t = bench::train_step(&cfg, 65, 65, 2, runs(2, false), SgdParams::default())?;
    assert_eq!(t.runs_ms.len(), 2);
    let p = t.phase_median_ms.expect("phases");
    assert!(p.forward_loss > 0.0 && p.backward > 0.0);
    let json = serde_json::to_string(&t).unwrap();
    assert!(json.contains("\"task\":\"train_step\""));
    Ok(())
}

/// The profile names the kernels a training step runs, and its self times add up to no more
/// than the measured step (scopes never count nested time twice).
#[test]
fn bench_profile_covers_the_kernels() -> candle_core::Result<()> {
    let cfg = Config::mobilenetv2_plus().with_depth_multiplier(0.35);
    let runs = bench::Runs {
        repeats: 2,
        warmup: 1,
        profile: true,
    };
    let t = bench::train_step(&cfg, 65, 65, 2, runs, SgdParams::default())?;
    let profile = t.profile_ms.expect("profile requested");
    for kernel in [
        "depthwise_conv2d_bwd_input.fwd",
        "pointwise_conv2d.fwd",
        "batch_norm_act_train.fwd",
        "cross_entropy_ignore.fwd",
        "backward_other",
        "sgd_step",
    ] {
        assert!(
            profile.get(kernel).is_some_and(|&ms| ms > 0.0),
            "{kernel}: {profile:?}"
        );
    }
    let sum: f64 = profile.values().sum();
    let mean: f64 = t.runs_ms.iter().sum::<f64>() / t.runs_ms.len() as f64;
    assert!(
        sum <= mean * 1.01 + 0.5,
        "profile {sum} ms > step {mean} ms"
    );
    assert!(
        sum >= mean * 0.9,
        "profile {sum} ms misses most of the step ({mean} ms)"
    );
    Ok(())
}
