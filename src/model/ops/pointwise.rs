//! 1×1 convolution (stride 1) as a single autograd node: a batched gemm straight on the
//! storages, `[Cout, Cin] × [Cin, H·W]` per image. Candle's own 1×1 path copies input and
//! output element by element around its gemm; expressing it with `reshape` + `matmul` instead
//! adds two full-size reshape nodes whose backward each costs a zero-fill and an add.

use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor, bail};
use rayon::prelude::*;

use super::{ensure_cpu, f32_slice};
use crate::model::layers::Act;

/// The batched gemm behind both ops: returns the output storage and shape.
fn gemm_forward(
    s1: &CpuStorage,
    l1: &Layout,
    s2: &CpuStorage,
    l2: &Layout,
    name: &str,
) -> Result<(CpuStorage, Shape)> {
    let (n, cin, h, w) = l1.shape().dims4()?;
    let (cout, wcin, kh, kw) = l2.shape().dims4()?;
    if wcin != cin || kh != 1 || kw != 1 {
        bail!(
            "{name}: weight {:?} does not match input {:?}",
            l2.shape(),
            l1.shape()
        );
    }
    if !l1.is_contiguous() || !l2.is_contiguous() {
        bail!("{name}: inputs must be contiguous");
    }
    let hw = h * w;
    // The weight is broadcast over the batch with a zero batch stride.
    let lhs = Layout::new(
        Shape::from((n, cout, cin)),
        vec![0, cin, 1],
        l2.start_offset(),
    );
    let rhs = Layout::new(
        Shape::from((n, cin, hw)),
        vec![cin * hw, hw, 1],
        l1.start_offset(),
    );
    let out = s2.matmul(s1, (n, cout, hw, cin), &lhs, &rhs)?;
    Ok((out, Shape::from((n, cout, h, w))))
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
        gemm_forward(s1, l1, s2, l2, self.name())
    }

    fn bwd(
        &self,
        x: &Tensor,
        weight: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let (n, cin, h, w) = x.dims4()?;
        let cout = weight.dim(0)?;
        let g = grad.contiguous()?.reshape((n, cout, h * w))?;
        let w2 = weight.reshape((cout, cin))?;
        let grad_x = w2.t()?.broadcast_matmul(&g)?.reshape((n, cin, h, w))?;
        let grad_w = g
            .matmul(&x.reshape((n, cin, h * w))?.transpose(1, 2)?)?
            .sum(0)?
            .reshape(weight.shape())?;
        Ok((Some(grad_x), Some(grad_w)))
    }
}

/// 1×1, stride-1 convolution of `[N, Cin, H, W]` with `[Cout, Cin, 1, 1]`, differentiable in both.
pub fn pointwise_conv2d(x: &Tensor, weight: &Tensor) -> Result<Tensor> {
    ensure_cpu(x, "pointwise_conv2d")?;
    x.contiguous()?.apply_op2(&weight.contiguous()?, Pointwise)
}

/// 1×1 conv fused with `act(· + bias)`: the epilogue runs in place on the gemm output, saving
/// an allocation and a pass per layer in eval mode (`BatchNorm` folded into the weights).
struct PointwiseBiasAct(Act);

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
        let (out, shape) = gemm_forward(s1, l1, s2, l2, self.name())?;
        let (_, c, h, w) = shape.dims4()?;
        if l3.shape().dims() != [c] {
            bail!(
                "{}: bias {:?} does not match {c} channels",
                self.name(),
                l3.shape()
            );
        }
        let bias = f32_slice(s3, l3, self.name())?;
        let CpuStorage::F32(mut data) = out else {
            bail!("{}: expected f32 output", self.name());
        };
        let (lo, hi) = self.0.pass_range();
        let hw = h * w;
        let min_planes = (32 * 1024 / hw.max(1)).max(1);
        data.par_chunks_mut(hw)
            .enumerate()
            .with_min_len(min_planes)
            .for_each(|(plane, o)| {
                let b = bias[plane % c];
                for v in o.iter_mut() {
                    *v = (*v + b).max(lo).min(hi);
                }
            });
        Ok((CpuStorage::F32(data), shape))
    }

    fn bwd(
        &self,
        x: &Tensor,
        weight: &Tensor,
        _bias: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let grad = self.0.grad_through(grad, res)?;
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
    ensure_cpu(x, "pointwise_conv2d_bias_act")?;
    x.contiguous()?.apply_op3(
        &weight.contiguous()?,
        &bias.contiguous()?,
        PointwiseBiasAct(act),
    )
}
