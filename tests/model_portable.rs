//! The portable ops (Candle compositions, the path a GPU takes) against the CPU kernels and the
//! naive references, forward and backward, and a whole network run both ways.

#[path = "model_common/mod.rs"]
mod common;

use candle_core::{DType, Device, Result, Tensor, Var};
use common::{
    DW_CASES, conv_params, cross_entropy_naive, depthwise_case, max_abs_diff, resize_naive, tensor,
    values,
};
use segstudio::model::ops::{self, Act, portable};
use segstudio::model::{Config, Model};

const IGNORE_LABEL: u32 = segstudio::project::IGNORE_LABEL as u32;

/// Largest difference between two gradients, relative to the larger magnitude of the pair.
fn rel_diff(a: &Tensor, b: &Tensor) -> Result<f32> {
    let scale = a
        .abs()?
        .flatten_all()?
        .max(0)?
        .to_scalar::<f32>()?
        .max(b.abs()?.flatten_all()?.max(0)?.to_scalar::<f32>()?)
        .max(1e-6);
    Ok(max_abs_diff(a, b)? / scale)
}

/// Runs `f` on fresh `Var`s of `inputs` and returns its output and the gradients of
/// `sum(output * r)` with respect to each input.
fn forward_backward(
    inputs: &[Tensor],
    r_seed: u64,
    f: &dyn Fn(&[Tensor]) -> Result<Tensor>,
) -> Result<(Tensor, Vec<Tensor>)> {
    let vars: Vec<Var> = inputs.iter().map(Var::from_tensor).collect::<Result<_>>()?;
    let tensors: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
    let out = f(&tensors)?;
    let r = tensor(out.dims(), r_seed)?;
    let grads = (&out * &r)?.sum_all()?.backward()?;
    let grads = vars
        .iter()
        .map(|v| {
            grads
                .get(v.as_tensor())
                .cloned()
                .ok_or_else(|| candle_core::Error::Msg("no gradient".into()))
        })
        .collect::<Result<_>>()?;
    Ok((out, grads))
}

/// Checks that `portable_op` and `kernel_op` agree on `inputs`, forward and backward.
fn assert_same_op(
    what: &str,
    inputs: &[Tensor],
    kernel_op: &dyn Fn(&[Tensor]) -> Result<Tensor>,
    portable_op: &dyn Fn(&[Tensor]) -> Result<Tensor>,
) -> Result<()> {
    let (want, want_grads) = forward_backward(inputs, 77, kernel_op)?;
    let (got, got_grads) = forward_backward(inputs, 77, portable_op)?;
    assert_eq!(got.dims(), want.dims(), "{what}: shape");
    let err = max_abs_diff(&got, &want)?;
    assert!(err < 1e-4, "{what}: forward differs by {err}");
    for (i, (g, w)) in got_grads.iter().zip(&want_grads).enumerate() {
        let err = rel_diff(g, w)?;
        assert!(err < 1e-4, "{what}: gradient of input {i} differs by {err}");
    }
    Ok(())
}

#[test]
fn depthwise_matches_the_naive_reference_and_the_kernel() -> Result<()> {
    for (i, &(n, c, h, w, k, s, p, d)) in DW_CASES.iter().enumerate() {
        let (xt, wt, want, _) = depthwise_case(i)?;
        let got = portable::depthwise_conv2d(&xt, &wt, conv_params(s, p, d))?;
        assert!(max_abs_diff(&got, &want)? < 1e-5, "case {i}");
        assert_same_op(
            &format!("depthwise case {i}"),
            &[xt, wt],
            &|t| ops::depthwise_conv2d(&t[0], &t[1], conv_params(s, p, d)),
            &|t| portable::depthwise_conv2d(&t[0], &t[1], conv_params(s, p, d)),
        )?;
        let bias = tensor(&[c], 300 + i as u64)?;
        for act in [Act::None, Act::Relu6] {
            let b = bias.clone();
            let inputs = [tensor(&[n, c, h, w], 9)?, tensor(&[c, 1, k, k], 10)?, b];
            assert_same_op(
                &format!("depthwise + bias + {act:?}, case {i}"),
                &inputs,
                &|t| ops::depthwise_conv2d_bias_act(&t[0], &t[1], &t[2], conv_params(s, p, d), act),
                &|t| {
                    portable::depthwise_conv2d_act_bias_act(
                        &t[0],
                        &t[1],
                        &t[2],
                        conv_params(s, p, d),
                        Act::None,
                        act,
                    )
                },
            )?;
        }
    }
    Ok(())
}

#[test]
fn dense_and_pointwise_convolutions_match_the_kernels() -> Result<()> {
    // (k, stride, padding, dilation): the stems' 3x3 stride 2, a plain 3x3, a strided 1x1.
    for (i, &(k, s, p, d)) in [(3, 2, 1, 1), (3, 1, 1, 1), (1, 2, 0, 1), (3, 1, 2, 2)]
        .iter()
        .enumerate()
    {
        let inputs = [
            tensor(&[2, 3, 13, 11], 20 + i as u64)?,
            tensor(&[5, 3, k, k], 30)?,
        ];
        assert_same_op(
            &format!("dense conv case {i}"),
            &inputs,
            &|t| ops::conv2d_im2col(&t[0], &t[1], conv_params(s, p, d)),
            &|t| portable::conv2d(&t[0], &t[1], conv_params(s, p, d)),
        )?;
    }
    let inputs = [
        tensor(&[2, 6, 7, 5], 40)?,
        tensor(&[4, 6, 1, 1], 41)?,
        tensor(&[4], 42)?,
    ];
    assert_same_op(
        "pointwise",
        &inputs[..2],
        &|t| ops::pointwise_conv2d(&t[0], &t[1]),
        &|t| portable::pointwise_conv2d(&t[0], &t[1]),
    )?;
    for act in [Act::None, Act::Relu, Act::Relu6] {
        assert_same_op(
            &format!("pointwise + bias + {act:?}"),
            &inputs,
            &|t| ops::pointwise_conv2d_bias_act(&t[0], &t[1], &t[2], act),
            &|t| portable::bias_act(&portable::pointwise_conv2d(&t[0], &t[1])?, &t[2], act),
        )?;
        assert_same_op(
            &format!("bias + {act:?}"),
            &[inputs[0].clone(), tensor(&[6], 43)?],
            &|t| ops::bias_act(&t[0], &t[1], act),
            &|t| portable::bias_act(&t[0], &t[1], act),
        )?;
    }
    Ok(())
}

#[test]
fn inference_fusions_match_the_kernels() -> Result<()> {
    let x = tensor(&[1, 4, 9, 8], 50)?;
    let dw = tensor(&[4, 1, 3, 3], 51)?;
    let bias = tensor(&[4], 52)?;
    let want = ops::depthwise_conv2d_act_bias_act(
        &x,
        &dw,
        &bias,
        conv_params(2, 1, 1),
        Act::Relu,
        Act::Relu6,
    )?;
    let got = portable::depthwise_conv2d_act_bias_act(
        &x,
        &dw,
        &bias,
        conv_params(2, 1, 1),
        Act::Relu,
        Act::Relu6,
    )?;
    assert!(max_abs_diff(&got, &want)? < 1e-5);
    let pw = tensor(&[3, 4, 1, 1], 53)?;
    let (b3, residual) = (tensor(&[3], 54)?, tensor(&[1, 3, 9, 8], 55)?);
    let want = ops::pointwise_conv2d_bias_residual(&x, &pw, &b3, &residual)?;
    let got = portable::pointwise_conv2d_bias_residual(&x, &pw, &b3, &residual)?;
    assert!(max_abs_diff(&got, &want)? < 1e-5);
    Ok(())
}

#[test]
fn batch_norm_matches_the_kernel_and_its_statistics() -> Result<()> {
    let (n, c, h, w) = (3, 4, 5, 6);
    let x = (tensor(&[n, c, h, w], 60)? * 3.0)?.broadcast_add(&tensor(&[1, c, 1, 1], 61)?)?;
    let gamma = (tensor(&[c], 62)? + 1.5)?;
    let beta = tensor(&[c], 63)?;
    for act in [Act::None, Act::Relu, Act::Relu6] {
        let inputs = [x.clone(), gamma.clone(), beta.clone()];
        assert_same_op(
            &format!("batch norm + {act:?}"),
            &inputs,
            &|t| Ok(ops::batch_norm_act_train(&t[0], &t[1], &t[2], 1e-3, act)?.output),
            &|t| Ok(portable::batch_norm_act_train(&t[0], &t[1], &t[2], 1e-3, act)?.0),
        )?;
    }
    let kernel = ops::batch_norm_act_train(&x, &gamma, &beta, 1e-3, Act::None)?;
    let (_, mean, var) = portable::batch_norm_act_train(&x, &gamma, &beta, 1e-3, Act::None)?;
    assert!(max_abs_diff(&mean, &kernel.mean)? < 1e-5);
    assert!(max_abs_diff(&var, &kernel.var)? < 1e-4);
    Ok(())
}

#[test]
fn cross_entropy_matches_the_naive_reference_and_the_kernel() -> Result<()> {
    let (n, c, h, w) = (2, 5, 4, 6);
    let logits = (tensor(&[n, c, h, w], 70)? * 4.0)?;
    let labels: Vec<u32> = (0..n * h * w)
        .map(|i| {
            if i % 7 == 3 {
                IGNORE_LABEL
            } else {
                (i as u32 * 3) % c as u32
            }
        })
        .collect();
    let want = cross_entropy_naive(
        &logits.flatten_all()?.to_vec1()?,
        (n, c, h, w),
        &labels,
        IGNORE_LABEL,
    );
    for dtype in [DType::U8, DType::U32, DType::I64] {
        let y = Tensor::from_vec(labels.clone(), (n, h, w), &Device::Cpu)?.to_dtype(dtype)?;
        let got = portable::cross_entropy_ignore(&logits, &y, IGNORE_LABEL)?.to_scalar::<f32>()?;
        assert!(
            (f64::from(got) - want).abs() < 1e-5,
            "{dtype:?}: {got} against {want}"
        );
        assert_same_op(
            &format!("cross-entropy, {dtype:?} labels"),
            std::slice::from_ref(&logits),
            &|t| ops::cross_entropy_ignore(&t[0], &y, IGNORE_LABEL),
            &|t| portable::cross_entropy_ignore(&t[0], &y, IGNORE_LABEL),
        )?;
    }
    let all_ignored = Tensor::full(IGNORE_LABEL, (n, h, w), &Device::Cpu)?;
    let none = portable::cross_entropy_ignore(&logits, &all_ignored, IGNORE_LABEL)?;
    assert!(none.to_scalar::<f32>()?.abs() < f32::MIN_POSITIVE);
    Ok(())
}

#[test]
fn resize_matches_the_naive_reference_and_the_kernel() -> Result<()> {
    for (i, &((h, w), (oh, ow))) in [((5, 7), (17, 25)), ((16, 12), (5, 4)), ((1, 3), (4, 1))]
        .iter()
        .enumerate()
    {
        let x = values(2 * 3 * h * w, 80 + i as u64);
        let want = resize_naive(&x, (2, 3, h, w), oh, ow);
        let x = Tensor::from_vec(x, (2, 3, h, w), &Device::Cpu)?;
        let got = portable::resize_bilinear(&x, oh, ow)?;
        let want = Tensor::from_vec(want, (2, 3, oh, ow), &Device::Cpu)?;
        assert!(max_abs_diff(&got, &want)? < 1e-5, "case {i}");
        assert_same_op(
            &format!("resize case {i}"),
            &[x],
            &|t| ops::resize_bilinear(&t[0], oh, ow),
            &|t| portable::resize_bilinear(&t[0], oh, ow),
        )?;
    }
    Ok(())
}

/// The logits, the loss and the named gradients of one training pass.
type TrainingPass = (Tensor, f32, Vec<(String, Tensor)>);

/// One training pass of `model` on a fixed batch: the logits, the loss, and every trainable
/// variable's gradient, by name.
fn training_pass(model: &Model, x: &Tensor, y: &Tensor) -> Result<TrainingPass> {
    model.set_dropout_seed(5);
    let logits = model.forward_t(x, true)?;
    let loss = ops::cross_entropy_ignore(&logits, y, IGNORE_LABEL)?;
    let grads = loss.backward()?;
    let named = segstudio::model::optim::trainable_vars(&model.varmap)
        .into_iter()
        .filter_map(|(name, var)| grads.get(var.as_tensor()).map(|g| (name, g.clone())))
        .collect();
    Ok((logits, loss.to_scalar()?, named))
}

/// Both backbones, train and eval mode and the frozen inference copy: what a GPU computes
/// through the portable ops is what the CPU kernels compute.
#[test]
fn whole_networks_match_on_the_portable_path() -> Result<()> {
    let xception = Config {
        xception_middle_units: 2,
        head_channels: 32,
        ..Config::xception65().with_depth_multiplier(0.125)
    };
    for cfg in [
        Config::mobilenetv2_plus().with_depth_multiplier(0.35),
        xception,
    ] {
        let name = format!("{:?}", cfg.backbone);
        let model = Model::new(cfg.with_num_classes(3), &Device::Cpu)?;
        model.initialise_from_seed(3)?;
        let x = tensor(&[4, 3, 65, 81], 90)?;
        let y = x
            .narrow(1, 0, 1)?
            .squeeze(1)?
            .gt(0.2f32)?
            .to_dtype(DType::U8)?;
        let (logits, loss, grads) = training_pass(&model, &x, &y)?;
        let (p_logits, p_loss, p_grads) =
            ops::with_portable_kernels(|| training_pass(&model, &x, &y))?;
        assert!(
            rel_diff(&p_logits, &logits)? < 1e-3,
            "{name}: train-mode logits"
        );
        assert!(
            (p_loss - loss).abs() <= 1e-4 * loss.abs(),
            "{name}: loss {p_loss} against {loss}"
        );
        assert_eq!(grads.len(), p_grads.len(), "{name}: gradient count");
        assert!(grads.len() > 50, "{name}: only {} gradients", grads.len());
        // Over the whole gradient, not tensor by tensor: the network's own gradient moves by 2 %
        // (MobileNetV2, ReLU6 kinks) under a 1e-6 relative change of its input, so a per-tensor
        // bound would measure conditioning; a wrong op's gradient moves it by O(1). The op tests
        // above hold each op to 1e-4.
        let (mut diff, mut norm) = (0f64, 0f64);
        for ((n1, g1), (n2, g2)) in grads.iter().zip(&p_grads) {
            assert_eq!(n1, n2);
            diff += f64::from((g1 - g2)?.sqr()?.sum_all()?.to_scalar::<f32>()?);
            norm += f64::from(g1.sqr()?.sum_all()?.to_scalar::<f32>()?);
        }
        let err = (diff / norm).sqrt();
        assert!(
            err < 0.05,
            "{name}: the gradients differ by {err} (relative L2)"
        );
        let eval = model.forward_t(&x, false)?;
        let p_eval = ops::with_portable_kernels(|| model.forward_t(&x, false))?;
        assert!(rel_diff(&p_eval, &eval)? < 1e-3, "{name}: eval-mode logits");
        let frozen = model.net.frozen()?;
        let f_eval = candle_nn::ModuleT::forward_t(&frozen, &x, false)?;
        let p_frozen =
            ops::with_portable_kernels(|| candle_nn::ModuleT::forward_t(&frozen, &x, false))?;
        assert!(rel_diff(&p_frozen, &f_eval)? < 1e-3, "{name}: frozen copy");
    }
    Ok(())
}

/// The switch is scoped: outside it the CPU kernels run again, also after a panic inside.
#[test]
fn the_portable_switch_is_scoped_to_its_closure() -> Result<()> {
    use segstudio::model::profile;
    let x = tensor(&[1, 2, 4, 4], 95)?;
    let w = tensor(&[2, 1, 3, 3], 96)?;
    // The kernel's profile scope says which path ran (the profile is per thread too).
    let kernel_ran = |f: &dyn Fn() -> Result<Tensor>| -> Result<bool> {
        profile::set_enabled(true);
        profile::take();
        f()?;
        profile::set_enabled(false);
        Ok(profile::take().contains_key("depthwise_conv2d.fwd"))
    };
    let conv = || ops::depthwise_conv2d(&x, &w, conv_params(1, 1, 1));
    assert!(kernel_ran(&conv)?);
    assert!(!kernel_ran(&|| ops::with_portable_kernels(conv))?);
    let caught = std::panic::catch_unwind(|| ops::with_portable_kernels(|| panic!("inside")));
    assert!(caught.is_err());
    assert!(kernel_ran(&conv)?, "the switch stayed on after a panic");
    Ok(())
}
