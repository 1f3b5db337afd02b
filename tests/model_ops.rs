//! Custom ops against naive references and finite differences.

#[path = "model_common/mod.rs"]
mod common;

use candle_core::{D, DType, Device, Result, Tensor, Var};
use common::{
    DW_CASES, conv_params, cross_entropy_naive, depthwise_case, max_abs_diff, resize_naive, tensor,
    values,
};
use segstudio::model::ops::{cross_entropy_ignore, depthwise_conv2d, resize_bilinear};
use segstudio::model::optim::{Sgd, SgdParams, poly_lr};

/// The ignore label of the project's masks, as the loss takes it.
const IGNORE_LABEL: u32 = segstudio::project::IGNORE_LABEL as u32;

#[test]
fn depthwise_forward_matches_naive() -> Result<()> {
    for i in 0..DW_CASES.len() {
        let (xt, wt, want, params) = depthwise_case(i)?;
        let got = depthwise_conv2d(&xt, &wt, params)?;
        assert_eq!(got.dims(), want.dims(), "case {i}");
        let err = max_abs_diff(&got, &want)?;
        assert!(err < 1e-5, "case {i}: max err {err}");
    }
    Ok(())
}

/// Gradients of `sum(depthwise(x, w) * r)` against Candle's (slow but independent) grouped conv.
#[test]
fn depthwise_backward_matches_grouped_conv() -> Result<()> {
    for (i, &(n, c, h, w, k, s, p, d)) in DW_CASES.iter().enumerate() {
        let x = Var::from_tensor(&tensor(&[n, c, h, w], 10 + i as u64)?)?;
        let wt = Var::from_tensor(&tensor(&[c, 1, k, k], 200 + i as u64)?)?;
        let ours = depthwise_conv2d(&x, &wt, conv_params(s, p, d))?;
        let r = tensor(ours.dims(), 300 + i as u64)?;
        let g1 = (&ours * &r)?.sum_all()?.backward()?;
        let theirs = x.conv2d(&wt, p, s, d, c)?;
        // Candle's own conv backward rejects some strided shapes (e.g. stride 2 on an even
        // width without padding); those cases are covered by the finite-difference test.
        let Ok(g2) = (&theirs * &r)?.sum_all()?.backward() else {
            continue;
        };
        let ex = max_abs_diff(g1.get(&x).unwrap(), g2.get(&x).unwrap())?;
        let ew = max_abs_diff(g1.get(&wt).unwrap(), g2.get(&wt).unwrap())?;
        assert!(
            ex < 1e-4 && ew < 1e-3,
            "case {i}: input grad err {ex}, weight grad err {ew}"
        );
    }
    Ok(())
}

/// Directional derivative `<grad, v>` against a central difference along `v`.
fn check_directional(
    f: &dyn Fn(&Tensor) -> Result<Tensor>,
    x: &Tensor,
    seed: u64,
    eps: f64,
    tol: f64,
) -> Result<()> {
    let var = Var::from_tensor(x)?;
    let grads = f(&var)?.backward()?;
    let g = grads.get(&var).expect("gradient");
    let v = tensor(x.dims(), seed)?;
    let analytic = f64::from((g * &v)?.sum_all()?.to_scalar::<f32>()?);
    let plus = f64::from(f(&(x + (&v * eps)?)?)?.to_scalar::<f32>()?);
    let minus = f64::from(f(&(x - (&v * eps)?)?)?.to_scalar::<f32>()?);
    let numeric = (plus - minus) / (2.0 * eps);
    let err = (analytic - numeric).abs() / analytic.abs().max(numeric.abs()).max(1e-3);
    assert!(
        err < tol,
        "analytic {analytic} vs numeric {numeric} (rel err {err})"
    );
    Ok(())
}

#[test]
fn depthwise_finite_differences() -> Result<()> {
    for (i, &(n, c, h, w, k, s, p, d)) in DW_CASES.iter().enumerate() {
        let params = conv_params(s, p, d);
        let x = tensor(&[n, c, h, w], 20 + i as u64)?;
        let wt = tensor(&[c, 1, k, k], 40 + i as u64)?;
        let (ho, wo) = (params.out_len(h, k), params.out_len(w, k));
        let r = tensor(&[n, c, ho, wo], 60 + i as u64)?;
        check_directional(
            &|x| (depthwise_conv2d(x, &wt, params)? * &r)?.sum_all(),
            &x,
            80 + i as u64,
            1e-2,
            1e-3,
        )?;
        check_directional(
            &|wt| (depthwise_conv2d(&x, wt, params)? * &r)?.sum_all(),
            &wt,
            90 + i as u64,
            1e-2,
            1e-3,
        )?;
    }
    Ok(())
}

const RESIZE_CASES: &[(usize, usize, usize, usize, usize, usize)] = &[
    (2, 3, 5, 7, 13, 11),
    (1, 2, 33, 33, 129, 129),
    (1, 2, 9, 10, 4, 3),
    (1, 1, 1, 1, 5, 5),
    (1, 2, 6, 6, 1, 1),
    (1, 1, 17, 9, 65, 33),
];

#[test]
fn resize_forward_matches_naive() -> Result<()> {
    for (i, &(n, c, h, w, oh, ow)) in RESIZE_CASES.iter().enumerate() {
        let x = values(n * c * h * w, 7 + i as u64);
        let want = Tensor::from_vec(
            resize_naive(&x, (n, c, h, w), oh, ow),
            (n, c, oh, ow),
            &Device::Cpu,
        )?;
        let got = resize_bilinear(&Tensor::from_vec(x, (n, c, h, w), &Device::Cpu)?, oh, ow)?;
        let err = max_abs_diff(&got, &want)?;
        assert!(err < 1e-5, "case {i}: max err {err}");
    }
    Ok(())
}

#[test]
fn resize_finite_differences() -> Result<()> {
    for (i, &(n, c, h, w, oh, ow)) in RESIZE_CASES.iter().enumerate() {
        let x = tensor(&[n, c, h, w], 30 + i as u64)?;
        let r = tensor(&[n, c, oh, ow], 50 + i as u64)?;
        check_directional(
            &|x| (resize_bilinear(x, oh, ow)? * &r)?.sum_all(),
            &x,
            70 + i as u64,
            1e-2,
            1e-3,
        )?;
    }
    Ok(())
}

fn labels(n: usize, hw: usize, classes: u32, seed: u64) -> Vec<u32> {
    values(n * hw, seed)
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if i % 7 == 3 {
                IGNORE_LABEL
            } else {
                (((v + 1.0) * 0.5 * classes as f32) as u32).min(classes - 1)
            }
        })
        .collect()
}

#[test]
fn cross_entropy_matches_naive_and_candle() -> Result<()> {
    let (n, c, h, w) = (2, 5, 9, 70);
    let logits: Vec<f32> = values(n * c * h * w, 3).iter().map(|v| v * 4.0).collect();
    let lab = labels(n, h * w, c as u32, 4);
    let want = cross_entropy_naive(&logits, (n, c, h, w), &lab, IGNORE_LABEL);
    let lt = Tensor::from_vec(logits, (n, c, h, w), &Device::Cpu)?;
    let labt = Tensor::from_vec(lab.clone(), (n, h, w), &Device::Cpu)?;
    let got = f64::from(cross_entropy_ignore(&lt, &labt, IGNORE_LABEL)?.to_scalar::<f32>()?);
    assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    // u8 labels give the same value.
    let lab8 = labt.to_dtype(DType::U8)?;
    let got8 = f64::from(cross_entropy_ignore(&lt, &lab8, IGNORE_LABEL)?.to_scalar::<f32>()?);
    assert!((got8 - want).abs() < 1e-5);

    // Gradient against Candle's log_softmax + masked gather formulation.
    let var = Var::from_tensor(&lt)?;
    let g1 = cross_entropy_ignore(&var, &labt, IGNORE_LABEL)?.backward()?;
    let mask: Vec<f32> = lab
        .iter()
        .map(|&l| if l == IGNORE_LABEL { 0.0 } else { 1.0 })
        .collect();
    let valid: f32 = mask.iter().sum();
    let clamped: Vec<u32> = lab
        .iter()
        .map(|&l| if l == IGNORE_LABEL { 0 } else { l })
        .collect();
    let flat = var.permute((0, 2, 3, 1))?.reshape(((), c))?;
    let logp = candle_nn::ops::log_softmax(&flat, D::Minus1)?;
    let idx = Tensor::from_vec(clamped, (n * h * w, 1), &Device::Cpu)?;
    let picked = logp.gather(&idx, 1)?.squeeze(1)?;
    let mask = Tensor::from_vec(mask, n * h * w, &Device::Cpu)?;
    let loss2 = ((picked * mask)?.sum_all()?.neg()? / f64::from(valid))?;
    assert!((f64::from(loss2.to_scalar::<f32>()?) - want).abs() < 1e-5);
    let g2 = loss2.backward()?;
    let err = max_abs_diff(g1.get(&var).unwrap(), g2.get(&var).unwrap())?;
    assert!(err < 1e-6, "grad err {err}");
    check_directional(
        &|x| cross_entropy_ignore(x, &labt, IGNORE_LABEL),
        &lt,
        5,
        1e-2,
        1e-2,
    )?;
    Ok(())
}

#[test]
fn cross_entropy_edge_cases() -> Result<()> {
    let lt = tensor(&[1, 3, 2, 2], 1)?;
    let all_ignored = Tensor::from_vec(vec![255u32; 4], (1, 2, 2), &Device::Cpu)?;
    let loss = cross_entropy_ignore(&lt, &all_ignored, IGNORE_LABEL)?.to_scalar::<f32>()?;
    assert!(loss.abs() < f32::EPSILON, "loss {loss}");
    let bad = Tensor::from_vec(vec![0u32, 1, 3, 2], (1, 2, 2), &Device::Cpu)?;
    let err = cross_entropy_ignore(&lt, &bad, IGNORE_LABEL)
        .unwrap_err()
        .to_string();
    assert!(err.contains("out of range"), "{err}");
    Ok(())
}

#[test]
fn sgd_momentum_weight_decay_matches_closed_form() -> Result<()> {
    // Loss = sum(w * g) has constant gradient g, so the trajectory is known in closed form.
    let w0 = [1.0f32, -2.0, 0.5];
    let g = [0.3f32, 0.1, -0.2];
    let var = Var::from_vec(w0.to_vec(), 3, &Device::Cpu)?;
    let gt = Tensor::new(&g, &Device::Cpu)?;
    let p = SgdParams {
        lr: 0.1,
        momentum: 0.9,
        weight_decay: 0.01,
    };
    let mut opt = Sgd::new(vec![var.clone()], p);
    let mut w = w0.map(f64::from);
    let mut v = [0f64; 3];
    for _ in 0..4 {
        opt.backward_step(&(var.as_tensor() * &gt)?.sum_all()?)?;
        for i in 0..3 {
            v[i] = p.momentum * v[i] + f64::from(g[i]) + p.weight_decay * w[i];
            w[i] -= p.lr * v[i];
        }
    }
    let got = var.as_tensor().to_vec1::<f32>()?;
    for i in 0..3 {
        assert!((f64::from(got[i]) - w[i]).abs() < 1e-6, "{got:?} vs {w:?}");
    }
    Ok(())
}

#[test]
fn poly_schedule() {
    assert!((poly_lr(0.01, 0, 100, 0.9) - 0.01).abs() < 1e-12);
    assert!((poly_lr(0.01, 50, 100, 0.9) - 0.01 * 0.5f64.powf(0.9)).abs() < 1e-12);
    assert!(poly_lr(0.01, 100, 100, 0.9).abs() < 1e-12);
}

#[test]
fn bias_act_matches_candle_ops_and_gradients() -> Result<()> {
    use segstudio::model::ops::Act;
    use segstudio::model::ops::bias_act;
    let x = (tensor(&[2, 3, 5, 7], 11)? * 8.0)?;
    let b = tensor(&[3], 12)?;
    let pre = x.broadcast_add(&b.reshape((1, 3, 1, 1))?)?;
    for act in [Act::None, Act::Relu, Act::Relu6] {
        let want = act.apply(&pre)?;
        assert!(max_abs_diff(&bias_act(&x, &b, act)?, &want)? < 1e-6);
        // Gradients against Candle's autograd through the same ops (kinks make finite
        // differences unreliable for ReLU, so those check the smooth case only).
        let r = tensor(&[2, 3, 5, 7], 13)?;
        let (xv, bv) = (Var::from_tensor(&x)?, Var::from_tensor(&b)?);
        let g1 = (bias_act(&xv, &bv, act)? * &r)?.sum_all()?.backward()?;
        let g2 = (act.apply(&xv.broadcast_add(&bv.reshape((1, 3, 1, 1))?)?)? * &r)?
            .sum_all()?
            .backward()?;
        assert!(max_abs_diff(g1.get(&xv).unwrap(), g2.get(&xv).unwrap())? < 1e-5);
        assert!(max_abs_diff(g1.get(&bv).unwrap(), g2.get(&bv).unwrap())? < 1e-4);
        if act == Act::None {
            check_directional(
                &|x| (bias_act(x, &b, act)? * &r)?.sum_all(),
                &x,
                14,
                1e-2,
                5e-3,
            )?;
            check_directional(
                &|b| (bias_act(&x, b, act)? * &r)?.sum_all(),
                &b,
                15,
                1e-2,
                5e-3,
            )?;
        }
    }
    Ok(())
}

#[test]
fn batch_norm_train_matches_candle_and_gradients() -> Result<()> {
    use segstudio::model::ops::Act;
    use segstudio::model::ops::batch_norm_act_train;
    let (n, c, h, w) = (3, 4, 5, 6);
    let x = ((tensor(&[n, c, h, w], 21)? * 3.0)? + 1.5)?;
    let gamma = (tensor(&[c], 22)? + 1.5)?;
    let beta = tensor(&[c], 23)?;
    // Candle's BatchNorm in training mode as the reference for the forward pass.
    let bn = candle_nn::BatchNorm::new(
        c,
        Tensor::zeros(c, DType::F32, &Device::Cpu)?,
        Tensor::ones(c, DType::F32, &Device::Cpu)?,
        gamma.clone(),
        beta.clone(),
        1e-3,
    )?;
    let want = candle_nn::ModuleT::forward_t(&bn, &x, true)?;
    for act in [Act::None, Act::Relu, Act::Relu6] {
        let want = act.apply(&want)?;
        let got = batch_norm_act_train(&x, &gamma, &beta, 1e-3, act)?;
        assert!(max_abs_diff(&got.output, &want)? < 1e-5);
        let mean = x
            .mean_keepdim(3)?
            .mean_keepdim(2)?
            .mean_keepdim(0)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        for (a, b) in got.mean.to_vec1::<f32>()?.iter().zip(&mean) {
            assert!((a - b).abs() < 1e-5);
        }
        let r = tensor(&[n, c, h, w], 24)?;
        let (xv, gv, bv) = (
            Var::from_tensor(&x)?,
            Var::from_tensor(&gamma)?,
            Var::from_tensor(&beta)?,
        );
        let g1 = (batch_norm_act_train(&xv, &gv, &bv, 1e-3, act)?.output * &r)?
            .sum_all()?
            .backward()?;
        let bn_ref = candle_nn::BatchNorm::new(
            c,
            Tensor::zeros(c, DType::F32, &Device::Cpu)?,
            Tensor::ones(c, DType::F32, &Device::Cpu)?,
            gv.as_tensor().clone(),
            bv.as_tensor().clone(),
            1e-3,
        )?;
        let y_ref = act.apply(&candle_nn::ModuleT::forward_t(&bn_ref, &xv, true)?)?;
        let g2 = (y_ref * &r)?.sum_all()?.backward()?;
        for t in [xv.as_tensor(), gv.as_tensor(), bv.as_tensor()] {
            let err = max_abs_diff(g1.get(t).unwrap(), g2.get(t).unwrap())?;
            assert!(err < 1e-4, "{act:?}: grad err {err}");
        }
        if act == Act::None {
            let f = |x: &Tensor, g: &Tensor, b: &Tensor| -> Result<Tensor> {
                (batch_norm_act_train(x, g, b, 1e-3, act)?.output * &r)?.sum_all()
            };
            check_directional(&|x| f(x, &gamma, &beta), &x, 25, 1e-2, 1e-2)?;
            check_directional(&|g| f(&x, g, &beta), &gamma, 26, 1e-2, 1e-2)?;
            check_directional(&|b| f(&x, &gamma, b), &beta, 27, 1e-2, 1e-2)?;
        }
    }
    Ok(())
}

#[test]
fn fused_depthwise_bias_act_matches_separate_ops() -> Result<()> {
    use segstudio::model::ops::Act;
    use segstudio::model::ops::{bias_act, depthwise_conv2d_bias_act};
    for (i, &(n, c, h, w, k, s, p, d)) in DW_CASES.iter().enumerate() {
        let params = conv_params(s, p, d);
        let x = (tensor(&[n, c, h, w], 500 + i as u64)? * 3.0)?;
        let wt = tensor(&[c, 1, k, k], 600 + i as u64)?;
        let b = tensor(&[c], 700 + i as u64)?;
        for act in [Act::None, Act::Relu, Act::Relu6] {
            let (xv, wv, bv) = (
                Var::from_tensor(&x)?,
                Var::from_tensor(&wt)?,
                Var::from_tensor(&b)?,
            );
            let fused = depthwise_conv2d_bias_act(&xv, &wv, &bv, params, act)?;
            let separate = bias_act(&depthwise_conv2d(&xv, &wv, params)?, &bv, act)?;
            assert!(max_abs_diff(&fused, &separate)? < 1e-6);
            let r = tensor(fused.dims(), 800 + i as u64)?;
            let g1 = (&fused * &r)?.sum_all()?.backward()?;
            let g2 = (&separate * &r)?.sum_all()?.backward()?;
            for t in [xv.as_tensor(), wv.as_tensor(), bv.as_tensor()] {
                let err = max_abs_diff(g1.get(t).unwrap(), g2.get(t).unwrap())?;
                assert!(err < 1e-4, "case {i} {act:?}: grad err {err}");
            }
        }
    }
    Ok(())
}

#[test]
fn conv_decay_filter_selects_conv_kernels() {
    use segstudio::model::optim::{is_conv_weight, is_trainable};
    assert!(is_conv_weight("encoder.layers.3.depthwise.0.weight"));
    assert!(is_conv_weight("logits.weight"));
    assert!(!is_conv_weight("encoder.layers.3.depthwise.1.weight"));
    assert!(!is_conv_weight("logits.bias"));
    assert!(!is_trainable("aspp.aspp0.1.running_var"));
    assert!(is_trainable("aspp.aspp0.1.bias"));
}

#[test]
fn pointwise_conv_matches_candle_conv() -> Result<()> {
    use segstudio::model::ops::pointwise_conv2d;
    for (n, cin, cout, h, w) in [(2, 5, 7, 6, 9), (1, 16, 3, 11, 4)] {
        let x = Var::from_tensor(&tensor(&[n, cin, h, w], 41)?)?;
        let wt = Var::from_tensor(&tensor(&[cout, cin, 1, 1], 42)?)?;
        let ours = pointwise_conv2d(&x, &wt)?;
        let theirs = x.conv2d(&wt, 0, 1, 1, 1)?;
        assert!(max_abs_diff(&ours, &theirs)? < 1e-5);
        let r = tensor(ours.dims(), 43)?;
        let g1 = (&ours * &r)?.sum_all()?.backward()?;
        let g2 = (&theirs * &r)?.sum_all()?.backward()?;
        assert!(max_abs_diff(g1.get(&x).unwrap(), g2.get(&x).unwrap())? < 1e-4);
        assert!(max_abs_diff(g1.get(&wt).unwrap(), g2.get(&wt).unwrap())? < 1e-4);
        check_directional(
            &|x| (pointwise_conv2d(x, &wt)? * &r)?.sum_all(),
            &x,
            44,
            1e-2,
            1e-3,
        )?;
    }
    Ok(())
}

#[test]
fn fused_pointwise_bias_act_matches_separate_ops() -> Result<()> {
    use segstudio::model::ops::Act;
    use segstudio::model::ops::{bias_act, pointwise_conv2d, pointwise_conv2d_bias_act};
    let x = (tensor(&[2, 6, 5, 7], 51)? * 2.0)?;
    let wt = tensor(&[4, 6, 1, 1], 52)?;
    let b = tensor(&[4], 53)?;
    for act in [Act::None, Act::Relu, Act::Relu6] {
        let (xv, wv, bv) = (
            Var::from_tensor(&x)?,
            Var::from_tensor(&wt)?,
            Var::from_tensor(&b)?,
        );
        let fused = pointwise_conv2d_bias_act(&xv, &wv, &bv, act)?;
        let separate = bias_act(&pointwise_conv2d(&xv, &wv)?, &bv, act)?;
        assert!(max_abs_diff(&fused, &separate)? < 1e-6);
        let r = tensor(fused.dims(), 54)?;
        let g1 = (&fused * &r)?.sum_all()?.backward()?;
        let g2 = (&separate * &r)?.sum_all()?.backward()?;
        for t in [xv.as_tensor(), wv.as_tensor(), bv.as_tensor()] {
            let err = max_abs_diff(g1.get(t).unwrap(), g2.get(t).unwrap())?;
            assert!(err < 1e-4, "{act:?}: grad err {err}");
        }
    }
    Ok(())
}

/// (n, cin, cout, h, w, k, stride, padding, dilation): the stems (3×3 s2), the strided 1×1
/// shortcuts, odd sizes, dilation.
type ConvCase = (
    usize,
    usize,
    usize,
    usize,
    usize,
    usize,
    usize,
    usize,
    usize,
);
const CONV_CASES: &[ConvCase] = &[
    (2, 3, 4, 13, 11, 3, 2, 1, 1),
    (1, 5, 3, 9, 10, 3, 1, 1, 1),
    (2, 4, 6, 11, 9, 1, 2, 0, 1),
    (1, 3, 2, 12, 12, 3, 1, 2, 2),
    (1, 2, 3, 17, 15, 5, 2, 2, 1),
];

/// The im2col convolution against Candle's conv2d, values and both gradients.
#[test]
fn im2col_conv_matches_candle() -> Result<()> {
    use segstudio::model::ops::conv2d_im2col;
    for (i, &(n, cin, cout, h, w, k, s, p, d)) in CONV_CASES.iter().enumerate() {
        let x = Var::from_tensor(&tensor(&[n, cin, h, w], 40 + i as u64)?)?;
        let wt = Var::from_tensor(&tensor(&[cout, cin, k, k], 400 + i as u64)?)?;
        let ours = conv2d_im2col(&x, &wt, conv_params(s, p, d))?;
        let theirs = x.conv2d(&wt, p, s, d, 1)?;
        assert_eq!(ours.dims(), theirs.dims(), "case {i}");
        let err = max_abs_diff(&ours, &theirs)?;
        assert!(err < 1e-4, "case {i}: forward err {err}");
        let r = tensor(ours.dims(), 500 + i as u64)?;
        let g1 = (&ours * &r)?.sum_all()?.backward()?;
        let Ok(g2) = (&theirs * &r)?.sum_all()?.backward() else {
            continue; // Candle rejects some strided shapes; finite differences cover them
        };
        let ex = max_abs_diff(g1.get(&x).unwrap(), g2.get(&x).unwrap())?;
        let ew = max_abs_diff(g1.get(&wt).unwrap(), g2.get(&wt).unwrap())?;
        assert!(
            ex < 1e-4 && ew < 1e-3,
            "case {i}: input grad err {ex}, weight grad err {ew}"
        );
    }
    Ok(())
}

#[test]
fn im2col_conv_finite_differences() -> Result<()> {
    use segstudio::model::ops::conv2d_im2col;
    for (i, &(n, cin, cout, h, w, k, s, p, d)) in CONV_CASES.iter().enumerate() {
        let x = tensor(&[n, cin, h, w], 60 + i as u64)?;
        let wt = tensor(&[cout, cin, k, k], 600 + i as u64)?;
        let params = conv_params(s, p, d);
        let probe = conv2d_im2col(&x, &wt, params)?;
        let r = tensor(probe.dims(), 700 + i as u64)?;
        check_directional(
            &|x| (conv2d_im2col(x, &wt, params)? * &r)?.sum_all(),
            &x,
            800 + i as u64,
            1e-2,
            2e-3,
        )?;
        check_directional(
            &|wt| (conv2d_im2col(&x, wt, params)? * &r)?.sum_all(),
            &wt,
            900 + i as u64,
            1e-2,
            2e-3,
        )?;
    }
    Ok(())
}

/// The inference-only fusions give what the separate ops give: a depthwise conv that applies
/// the previous layer's activation as it reads, and a 1×1 conv that adds a residual.
#[test]
fn inference_fusions_match_separate_ops() -> Result<()> {
    use segstudio::model::ops::Act;
    use segstudio::model::ops::{
        bias_act, depthwise_conv2d_act_bias_act, depthwise_conv2d_bias_act,
        pointwise_conv2d_bias_act, pointwise_conv2d_bias_residual,
    };
    let x = (tensor(&[2, 4, 9, 11], 1)? * 4.0)?; // values beyond 0..6 so the clamps bite
    let wd = tensor(&[4, 1, 3, 3], 2)?;
    let b = tensor(&[4], 3)?;
    for (s, d) in [(1, 1), (2, 1), (1, 2)] {
        let p = conv_params(s, d, d);
        let fused = depthwise_conv2d_act_bias_act(&x, &wd, &b, p, Act::Relu6, Act::Relu)?;
        let zero = Tensor::zeros(4, DType::F32, &Device::Cpu)?;
        let separate =
            depthwise_conv2d_bias_act(&bias_act(&x, &zero, Act::Relu6)?, &wd, &b, p, Act::Relu)?;
        let err = max_abs_diff(&fused, &separate)?;
        assert!(err < 1e-5, "depthwise s{s} d{d}: {err}");
    }
    let wp = tensor(&[5, 4, 1, 1], 4)?;
    let bp = tensor(&[5], 5)?;
    let residual = tensor(&[2, 5, 9, 11], 6)?;
    let fused = pointwise_conv2d_bias_residual(&x, &wp, &bp, &residual)?;
    let separate = (pointwise_conv2d_bias_act(&x, &wp, &bp, Act::None)? + &residual)?;
    assert!(max_abs_diff(&fused, &separate)? < 1e-5);
    Ok(())
}
