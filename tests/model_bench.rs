//! The benchmark functions run and report consistent numbers (tiny configs, few repeats).

use segstudio::model::{Config, bench, optim::SgdParams};

#[test]
fn bench_functions_report_runs() -> candle_core::Result<()> {
    let cfg = Config::mobilenetv2_plus().with_depth_multiplier(0.35);
    let r = bench::infer(&cfg, 65, 65, 1, 3, 1)?;
    assert_eq!(r.runs_ms.len(), 3);
    assert!(r.ms_min <= r.ms_median && r.ms_median <= r.ms_max && r.ms_min > 0.0);
    let t = bench::train_step(&cfg, 65, 65, 2, 2, 1, SgdParams::default())?;
    assert_eq!(t.runs_ms.len(), 2);
    let p = t.phase_median_ms.expect("phases");
    assert!(p.forward_loss > 0.0 && p.backward > 0.0);
    let json = serde_json::to_string(&t).unwrap();
    assert!(json.contains("\"task\":\"train_step\""));
    Ok(())
}
