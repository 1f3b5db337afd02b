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

/// A few SGD steps on one fixed batch lower the loss, and train mode moves the BN running
/// statistics by exactly `momentum` towards the batch statistics.
#[test]
fn training_steps_reduce_loss_and_update_running_stats() -> Result<()> {
    use segstudio::model::ops::cross_entropy_ignore;
    const IGNORE_LABEL: u32 = segstudio::project::IGNORE_LABEL as u32;
    use segstudio::model::optim::{Sgd, SgdParams};
    let cfg = Config {
        bn_momentum: 0.5,
        dropout: 0.0,
        ..Config::mobilenetv2_plus()
            .with_depth_multiplier(0.35)
            .with_num_classes(3)
    };
    let model = Model::new(cfg, &Device::Cpu)?;
    let x = Tensor::rand(-1f32, 1f32, (2, 3, 33, 33), &Device::Cpu)?;
    let labels = x
        .narrow(1, 0, 1)?
        .squeeze(1)?
        .gt(0f32)?
        .to_dtype(candle_core::DType::U32)?;
    let stem_mean = || -> Result<Vec<f32>> {
        let data = model.varmap.data().lock().unwrap();
        data["encoder.stem.1.running_mean"]
            .as_tensor()
            .to_vec1::<f32>()
    };
    let before = stem_mean()?;
    let mut opt = Sgd::from_varmap(
        &model.varmap,
        SgdParams {
            lr: 0.05,
            momentum: 0.9,
            weight_decay: 4e-5,
        },
    );
    let mut losses = Vec::new();
    for _ in 0..8 {
        let loss = cross_entropy_ignore(&model.forward_t(&x, true)?, &labels, IGNORE_LABEL)?;
        losses.push(loss.to_scalar::<f32>()?);
        opt.backward_step(&loss)?;
    }
    assert!(losses[7] < losses[0], "loss did not fall: {losses:?}");
    let after = stem_mean()?;
    assert!(
        before.iter().zip(&after).any(|(a, b)| (a - b).abs() > 1e-4),
        "running mean unchanged"
    );
    // Eval mode still runs and gives finite logits with the updated statistics.
    let y = model.forward_t(&x, false)?;
    assert!(
        y.flatten_all()?
            .to_vec1::<f32>()?
            .iter()
            .all(|v| v.is_finite())
    );
    Ok(())
}

/// An eval-mode pass of the live network stays differentiable (fine-tuning with `BatchNorm`
/// frozen, as `DeepLab` does on small batches): every conv weight of the first and last blocks
/// gets a gradient. Only the frozen inference copy uses the fused kernels without a backward.
#[test]
fn eval_mode_passes_reach_every_conv_weight() -> Result<()> {
    let mut xception = Config::xception65();
    xception.xception_middle_units = 1;
    xception.head_channels = 32;
    for cfg in [Config::mobilenetv2().with_depth_multiplier(0.35), xception] {
        let model = Model::new(cfg, &Device::Cpu)?;
        let x = Tensor::rand(-1f32, 1f32, (1, 3, 33, 33), &Device::Cpu)?;
        let grads = model.forward_t(&x, false)?.sqr()?.sum_all()?.backward()?;
        let data = model.varmap.data().lock().unwrap();
        let mut missing: Vec<&String> = data
            .iter()
            .filter(|(name, _)| name.ends_with(".0.weight"))
            .filter(|(_, var)| grads.get(var.as_tensor()).is_none())
            .map(|(name, _)| name)
            .collect();
        missing.sort();
        assert!(missing.is_empty(), "no gradient for {missing:?}");
    }
    Ok(())
}
