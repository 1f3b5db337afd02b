//! Model structure: parameter counts of the named configs, shapes, and config round trips.

use candle_core::{Device, Result, Tensor};
use segstudio::model::{Config, Model};

fn counts(cfg: Config) -> Result<(usize, usize)> {
    Ok(Model::new(cfg, &Device::Cpu)?.param_counts())
}

#[test]
fn parameter_counts_match_reference() -> Result<()> {
    assert_eq!(counts(Config::mobilenetv2())?, (2_113_043, 2_146_131));
    assert_eq!(counts(Config::mobilenetv2_plus())?, (2_725_059, 2_763_843));
    assert_eq!(counts(Config::xception65())?, (41_054_899, 41_257_699));
    Ok(())
}

#[test]
fn forward_shapes_at_both_output_strides() -> Result<()> {
    for cfg in [
        Config::mobilenetv2(),
        Config::mobilenetv2_plus().with_output_stride(8),
    ] {
        let model = Model::new(cfg.with_depth_multiplier(0.35), &Device::Cpu)?;
        let x = Tensor::zeros((2, 3, 37, 50), candle_core::DType::F32, &Device::Cpu)?;
        assert_eq!(model.forward_t(&x, false)?.dims(), &[2, 19, 37, 50]);
        assert_eq!(model.forward_t(&x, true)?.dims(), &[2, 19, 37, 50]);
    }
    Ok(())
}

#[test]
fn config_ron_round_trip() {
    for name in segstudio::model::CONFIG_NAMES {
        let cfg = Config::named(name).unwrap();
        let text = cfg.to_ron().unwrap();
        assert_eq!(Config::from_ron(&text).unwrap(), cfg);
    }
    let os8 = Config::xception65().with_output_stride(8);
    assert_eq!(os8.atrous_rates, vec![12, 24, 36]);
    assert!(
        Config {
            output_stride: 32,
            ..Config::mobilenetv2()
        }
        .validate()
        .is_err()
    );
}
