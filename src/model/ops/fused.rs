//! `act(x + bias[c])` in one pass over an `[N, C, H, W]` tensor. With `BatchNorm` folded into the
//! preceding conv this is all that is left of "BN + `ReLU`" in eval mode; done with Candle ops it
//! would be three passes (broadcast add, max, min), each allocating a full tensor.

use candle_core::{CpuStorage, CustomOp2, Layout, Result, Shape, Tensor, bail};
use rayon::prelude::*;

use super::Act;
use super::{f32_slice, portable};

struct BiasAct(Act);

impl CustomOp2 for BiasAct {
    fn name(&self) -> &'static str {
        "bias_act"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let _profile = crate::model::profile::scope("bias_act.fwd");
        let (_, c, h, w) = l1.shape().dims4()?;
        if l2.shape().dims() != [c] {
            bail!(
                "bias_act: bias {:?} does not match {c} channels",
                l2.shape()
            );
        }
        let x = f32_slice(s1, l1, self.name())?;
        let bias = f32_slice(s2, l2, self.name())?;
        let hw = h * w;
        let act = self.0;
        let mut out = vec![0f32; x.len()];
        // Whole planes per task, but at least ~32K elements so tiny maps are not over-split.
        let min_planes = (32 * 1024 / hw.max(1)).max(1);
        out.par_chunks_mut(hw)
            .zip(x.par_chunks(hw))
            .enumerate()
            .with_min_len(min_planes)
            .for_each(|(plane, (o, xs))| {
                let b = bias[plane % c];
                match act {
                    Act::None => o.iter_mut().zip(xs).for_each(|(o, &v)| *o = v + b),
                    Act::Relu => o
                        .iter_mut()
                        .zip(xs)
                        .for_each(|(o, &v)| *o = (v + b).max(0.0)),
                    Act::Relu6 => o
                        .iter_mut()
                        .zip(xs)
                        .for_each(|(o, &v)| *o = (v + b).clamp(0.0, 6.0)),
                }
            });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        _x: &Tensor,
        _bias: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let _profile = crate::model::profile::scope("bias_act.bwd");
        let grad_x = self.0.grad_through(grad, res)?;
        let grad_bias = grad_x.sum(3)?.sum(2)?.sum(0)?;
        Ok((Some(grad_x), Some(grad_bias)))
    }
}

/// `act(x + bias)` with `bias` broadcast over channels of `[N, C, H, W]` input.
pub fn bias_act(x: &Tensor, bias: &Tensor, act: Act) -> Result<Tensor> {
    if portable::is_used_for(x) {
        return portable::bias_act(x, bias, act);
    }
    x.contiguous()?.apply_op2(&bias.contiguous()?, BiasAct(act))
}
