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

/// The profile names the kernels a training step runs, each with its calls and some time.
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
    Ok(())
}

/// Under the portable switch (`bench --portable`) a training step runs Candle's own ops: the
/// profile has the step's phases and none of the CPU kernels.
#[test]
fn bench_runs_the_portable_ops_when_asked() -> candle_core::Result<()> {
    let cfg = Config::mobilenetv2_plus().with_depth_multiplier(0.35);
    let runs = bench::Runs {
        repeats: 1,
        warmup: 0,
        profile: true,
    };
    let t = segstudio::model::ops::with_portable_kernels(|| {
        bench::train_step(&cfg, 33, 33, 2, runs, SgdParams::default())
    })?;
    let profile = t.profile_ms.expect("profile requested");
    assert!(profile.contains_key("backward_other"), "{profile:?}");
    for kernel in [
        "depthwise",
        "pointwise",
        "batch_norm",
        "cross_entropy",
        "resize",
    ] {
        assert!(
            profile.keys().all(|k| !k.contains(kernel)),
            "{kernel} kernel ran: {profile:?}"
        );
    }
    Ok(())
}
