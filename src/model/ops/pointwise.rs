//! 1×1 convolution (stride 1) as a single autograd node: a batched gemm straight on the
//! storages, `[Cout, Cin] × [Cin, H·W]` per image. Candle's own 1×1 path copies input and
//! output element by element around its gemm; expressing it with `reshape` + `matmul` instead
//! adds two full-size reshape nodes whose backward each costs a zero-fill and an add.

use candle_core::{CpuStorage, CustomOp2, CustomOp3, Layout, Result, Shape, Storage, Tensor, bail};
use rayon::prelude::*;

use super::Act;
use super::gemm::{MatRef, gemm};
use super::{f32_slice, portable};

/// Checks `x` `[N, Cin, H, W]` against `weight` `[Cout, Cin, 1, 1]`; returns (n, cin, cout, h·w).
fn dims(l1: &Layout, l2: &Layout, name: &str) -> Result<(usize, usize, usize, usize)> {
    let (n, cin, h, w) = l1.shape().dims4()?;
    let (cout, wcin, kh, kw) = l2.shape().dims4()?;
    if wcin != cin || kh != 1 || kw != 1 {
        bail!(
            "{name}: weight {:?} does not match input {:?}",
            l2.shape(),
            l1.shape()
        );
    }
    Ok((n, cin, cout, h * w))
}

/// `out[b] (+)= lhs · input[b]` for every image `b`, `lhs` being `m`×`k` and `input[b]`
/// `k`×`hw`; `out` holds `[N, m, hw]`, already filled with what the product is added to when
/// `accumulate` is set. The forward pass (`lhs` = W) and the input gradient (`lhs` = Wᵀ).
fn per_image(
    out: &mut [f32],
    input: &[f32],
    lhs: MatRef<'_>,
    (m, k, hw): (usize, usize, usize),
    accumulate: bool,
) {
    for (o, xb) in out.chunks_exact_mut(m * hw).zip(input.chunks_exact(k * hw)) {
        gemm(m, hw, k, o, accumulate, lhs, MatRef::rows(xb, hw));
    }
}

struct Pointwise;

impl CustomOp2 for Pointwise {
    fn name(&self) -> &'static str {
        "pointwise_conv2d"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let _profile = crate::model::profile::scope("pointwise_conv2d.fwd");
        let d = dims(l1, l2, self.name())?;
        let x = f32_slice(s1, l1, self.name())?;
        let weight = f32_slice(s2, l2, self.name())?;
        let (n, cin, cout, hw) = d;
        let mut out = vec![0f32; n * cout * hw];
        per_image(
            &mut out,
            x,
            MatRef::rows(weight, cin),
            (cout, cin, hw),
            false,
        );
        let (_, _, h, w) = l1.shape().dims4()?;
        Ok((CpuStorage::F32(out), Shape::from((n, cout, h, w))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        weight: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let _profile = crate::model::profile::scope("pointwise_conv2d.bwd");
        let grad = grad.contiguous()?;
        let grad_x = grad.apply_op2_no_bwd(weight, &PointwiseBwdInput)?;
        let grad_w = x.apply_op2_no_bwd(&grad, &PointwiseBwdWeight)?;
        Ok((Some(grad_x), Some(grad_w)))
    }
}

/// Input gradient `Wᵀ · g[b]` per image, `W` read transposed in place.
struct PointwiseBwdInput;

impl CustomOp2 for PointwiseBwdInput {
    fn name(&self) -> &'static str {
        "pointwise_conv2d_bwd_input"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let _profile = crate::model::profile::scope("pointwise_conv2d_bwd_input.fwd");
        let (n, cout, h, w) = l1.shape().dims4()?;
        let (wcout, cin, _, _) = l2.shape().dims4()?;
        if wcout != cout {
            bail!(
                "{}: gradient {:?} does not match weight {:?}",
                self.name(),
                l1.shape(),
                l2.shape()
            );
        }
        let g = f32_slice(s1, l1, self.name())?;
        let weight = f32_slice(s2, l2, self.name())?;
        let hw = h * w;
        let mut out = vec![0f32; n * cin * hw];
        per_image(
            &mut out,
            g,
            MatRef::transposed(weight, cin),
            (cin, cout, hw),
            false,
        );
        Ok((CpuStorage::F32(out), Shape::from((n, cin, h, w))))
    }
}

/// Weight gradient `Σ_b g[b] · x[b]ᵀ`, accumulated over the batch in one buffer.
struct PointwiseBwdWeight;

impl CustomOp2 for PointwiseBwdWeight {
    fn name(&self) -> &'static str {
        "pointwise_conv2d_bwd_weight"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let _profile = crate::model::profile::scope("pointwise_conv2d_bwd_weight.fwd");
        let (n, cin, h, w) = l1.shape().dims4()?;
        let (gn, cout, gh, gw) = l2.shape().dims4()?;
        if (gn, gh, gw) != (n, h, w) {
            bail!(
                "{}: gradient {:?} does not match input {:?}",
                self.name(),
                l2.shape(),
                l1.shape()
            );
        }
        let x = f32_slice(s1, l1, self.name())?;
        let g = f32_slice(s2, l2, self.name())?;
        let hw = h * w;
        let mut out = vec![0f32; cout * cin];
        for (b, (xb, gb)) in x
            .chunks_exact(cin * hw)
            .zip(g.chunks_exact(cout * hw))
            .enumerate()
        {
            gemm(
                cout,
                cin,
                hw,
                &mut out,
                b > 0,
                MatRef::rows(gb, hw),
                MatRef::transposed(xb, hw),
            );
        }
        Ok((CpuStorage::F32(out), Shape::from((cout, cin, 1, 1))))
    }
}

/// 1×1, stride-1 convolution of `[N, Cin, H, W]` with `[Cout, Cin, 1, 1]`, differentiable in both.
pub fn pointwise_conv2d(x: &Tensor, weight: &Tensor) -> Result<Tensor> {
    if portable::is_used_for(x) {
        return portable::pointwise_conv2d(x, weight);
    }
    x.contiguous()?.apply_op2(&weight.contiguous()?, Pointwise)
}

/// 1×1 conv fused with `act(· + bias)` (eval mode: `BatchNorm` folded into the weights): the
/// gemm accumulates onto the bias already in the output, and the activation runs in place.
struct PointwiseBiasAct {
    act: Act,
    /// Eval only: a tensor shaped like the output that the result is added to.
    residual: Option<Tensor>,
}

/// Clamps `data` to `[lo, hi]` in parallel, in tasks of whole `hw`-sized planes and at least
/// ~32K elements so that small maps are not over-split.
fn clamp_planes(data: &mut [f32], hw: usize, (lo, hi): (f32, f32)) {
    let min_planes = (32 * 1024 / hw.max(1)).max(1);
    data.par_chunks_mut(hw.max(1))
        .with_min_len(min_planes)
        .for_each(|o| {
            for v in o {
                *v = v.max(lo).min(hi);
            }
        });
}

impl CustomOp3 for PointwiseBiasAct {
    fn name(&self) -> &'static str {
        "pointwise_conv2d_bias_act"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let _profile = crate::model::profile::scope("pointwise_conv2d_bias_act.fwd");
        let d = dims(l1, l2, self.name())?;
        let (n, _, c, hw) = d;
        if l3.shape().dims() != [c] {
            bail!(
                "{}: bias {:?} does not match {c} channels",
                self.name(),
                l3.shape()
            );
        }
        let x = f32_slice(s1, l1, self.name())?;
        let weight = f32_slice(s2, l2, self.name())?;
        let bias = f32_slice(s3, l3, self.name())?;
        // The output starts as bias (plus the residual, if any), built in one pass with no zero
        // fill, and the product is accumulated onto it: no separate bias pass.
        let planes = (0..n * c).map(|plane| (plane, bias[plane % c]));
        let mut data: Vec<f32> = Vec::with_capacity(n * c * hw);
        match &self.residual {
            Some(r) => {
                let (storage, layout) = r.storage_and_layout();
                let Storage::Cpu(cpu) = &*storage else {
                    bail!("{}: residual must be on the CPU", self.name());
                };
                let r = f32_slice(cpu, layout, self.name())?;
                if r.len() != n * c * hw {
                    bail!(
                        "{}: residual {:?} does not match the output",
                        self.name(),
                        layout.shape()
                    );
                }
                for (plane, b) in planes {
                    data.extend(r[plane * hw..(plane + 1) * hw].iter().map(|v| v + b));
                }
            }
            None => {
                for (_, b) in planes {
                    data.resize(data.len() + hw, b);
                }
            }
        }
        let cin = d.1;
        per_image(&mut data, x, MatRef::rows(weight, cin), (c, cin, hw), true);
        if self.act != Act::None {
            clamp_planes(&mut data, hw, self.act.pass_range());
        }
        let (_, _, h, w) = l1.shape().dims4()?;
        Ok((CpuStorage::F32(data), Shape::from((n, c, h, w))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        weight: &Tensor,
        _bias: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let _profile = crate::model::profile::scope("pointwise_conv2d_bias_act.bwd");
        if self.residual.is_some() {
            bail!("{}: the residual form is for inference only", self.name());
        }
        let grad = self.act.grad_through(grad, res)?;
        let grad_bias = grad.sum(3)?.sum(2)?.sum(0)?;
        let (grad_x, grad_w) = Pointwise.bwd(x, weight, res, &grad)?;
        Ok((grad_x, grad_w, Some(grad_bias)))
    }
}

/// `act(pointwise_conv2d(x, weight) + bias)` in one op; differentiable in all three.
pub fn pointwise_conv2d_bias_act(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    act: Act,
) -> Result<Tensor> {
    if portable::is_used_for(x) {
        return portable::bias_act(&portable::pointwise_conv2d(x, weight)?, bias, act);
    }
    x.contiguous()?.apply_op3(
        &weight.contiguous()?,
        &bias.contiguous()?,
        PointwiseBiasAct {
            act,
            residual: None,
        },
    )
}

/// `pointwise_conv2d(x, weight) + bias + residual` for inference (no backward), with the sum
/// formed in the output buffer before the product is accumulated into it.
pub fn pointwise_conv2d_bias_residual(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    residual: &Tensor,
) -> Result<Tensor> {
    if portable::is_used_for(x) {
        return portable::pointwise_conv2d_bias_residual(x, weight, bias, residual);
    }
    x.contiguous()?.apply_op3_no_bwd(
        &weight.contiguous()?,
        &bias.contiguous()?,
        &PointwiseBiasAct {
            act: Act::None,
            residual: Some(residual.contiguous()?),
        },
    )
}
