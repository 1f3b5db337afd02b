//! Training-mode `BatchNorm` fused with its activation: batch statistics, normalisation, affine
//! and `ReLU`/`ReLU6` in two passes, and a hand-written backward in two more. Candle's
//! `BatchNorm::forward_train` takes about ten full-tensor passes (transpose copy, means,
//! broadcasts), each allocating, and its backward even more.

use std::sync::{Arc, Mutex};

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor, bail};
use multiversion::multiversion;
use rayon::prelude::*;

use super::Act;
use super::{f32_slice, portable};

/// Per-channel batch mean and biased variance, filled by the forward pass.
#[derive(Debug, Default)]
struct BatchStats {
    mean: Vec<f32>,
    var: Vec<f32>,
}

struct BnActTrain {
    eps: f64,
    act: Act,
    stats: Arc<Mutex<BatchStats>>,
}

/// Sums over every plane of channel `c` of an `[N, C, HW]` buffer.
fn channel_planes(
    data: &[f32],
    n: usize,
    c: usize,
    hw: usize,
    ch: usize,
) -> impl Iterator<Item = &[f32]> {
    (0..n).map(move |b| &data[(b * c + ch) * hw..(b * c + ch + 1) * hw])
}

/// (Σ (v − shift), Σ (v − shift)²) over one plane, in eight lanes so the loop vectorises.
#[multiversion(targets("x86_64+avx2+fma"))]
fn shifted_sums(plane: &[f32], shift: f32) -> (f64, f64) {
    let (mut a, mut b) = ([0f32; 8], [0f32; 8]);
    let chunks = plane.chunks_exact(8);
    let tail = chunks.remainder();
    for ch8 in chunks {
        for i in 0..8 {
            let d = ch8[i] - shift;
            a[i] += d;
            b[i] += d * d;
        }
    }
    for &v in tail {
        a[0] += v - shift;
        b[0] += (v - shift) * (v - shift);
    }
    (
        f64::from(a.iter().sum::<f32>()),
        f64::from(b.iter().sum::<f32>()),
    )
}

/// `o = act(x·scale + shift)` over one plane.
#[multiversion(targets("x86_64+avx2+fma"))]
fn normalize_plane(o: &mut [f32], xs: &[f32], (scale, shift): (f32, f32), act: Act) {
    let (lo, hi) = act.pass_range();
    for (o, &v) in o.iter_mut().zip(xs) {
        *o = (v * scale + shift).max(lo).min(hi);
    }
}

impl CustomOp3 for BnActTrain {
    fn name(&self) -> &'static str {
        "batch_norm_act_train"
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
        let _profile = crate::model::profile::scope("batch_norm_act_train.fwd");
        let (n, c, h, w) = l1.shape().dims4()?;
        if l2.shape().dims() != [c] || l3.shape().dims() != [c] {
            bail!("{}: gamma/beta must have shape [{c}]", self.name());
        }
        if n * h * w < 2 {
            bail!(
                "{}: batch statistics need more than one value per channel",
                self.name()
            );
        }
        let x = f32_slice(s1, l1, self.name())?;
        let gamma = f32_slice(s2, l2, self.name())?;
        let beta = f32_slice(s3, l3, self.name())?;
        let hw = h * w;
        let m = (n * hw) as f64;
        // Shifted sums (by the channel's first value) keep the variance accurate in f64.
        let stats: Vec<(f32, f32)> = (0..c)
            .into_par_iter()
            .map(|ch| {
                let shift = x[ch * hw];
                let (mut s, mut ss) = (0f64, 0f64);
                for plane in channel_planes(x, n, c, hw, ch) {
                    let (a, b) = shifted_sums(plane, shift);
                    s += a;
                    ss += b;
                }
                let mean = s / m;
                (
                    (f64::from(shift) + mean) as f32,
                    (ss / m - mean * mean).max(0.0) as f32,
                )
            })
            .collect();
        let coef: Vec<(f32, f32)> = stats
            .iter()
            .zip(gamma.iter().zip(beta))
            .map(|(&(mean, var), (&g, &b))| {
                let scale = g / (f64::from(var) + self.eps).sqrt() as f32;
                (scale, b - mean * scale)
            })
            .collect();
        let mut out = vec![0f32; x.len()];
        let act = self.act;
        out.par_chunks_mut(hw)
            .zip(x.par_chunks(hw))
            .enumerate()
            .for_each(|(plane, (o, xs))| normalize_plane(o, xs, coef[plane % c], act));
        let mut st = self.stats.lock().expect("stats lock poisoned");
        st.mean = stats.iter().map(|s| s.0).collect();
        st.var = stats.iter().map(|s| s.1).collect();
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        _beta: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let _profile = crate::model::profile::scope("batch_norm_act_train.bwd");
        let (mean, var) = {
            let st = self.stats.lock().expect("stats lock poisoned");
            (st.mean.clone(), st.var.clone())
        };
        let c = gamma.dim(0)?;
        let bwd = BnActTrainBwd {
            eps: self.eps,
            act: self.act,
            mean,
            var,
            gamma: gamma.to_vec1::<f32>()?,
        };
        // One op returns [dx (N·C·H·W), dγ (C), dβ (C)] packed in a flat tensor.
        let packed = x.apply_op3_no_bwd(res, &grad.contiguous()?, &bwd)?;
        let total = x.elem_count();
        let dx = packed.narrow(0, 0, total)?.reshape(x.shape())?;
        let dgamma = packed.narrow(0, total, c)?;
        let dbeta = packed.narrow(0, total + c, c)?;
        Ok((Some(dx), Some(dgamma), Some(dbeta)))
    }
}

/// 1.0 where the activation passed its input (`lo < y < hi`), else 0.0. Multiplying by it
/// instead of branching lets the loops vectorise; `&` (not `&&`) keeps it branch-free.
// Always inlined: it must be compiled into the AVX2 clones of its multiversioned callers.
#[inline(always)]
#[expect(
    clippy::inline_always,
    reason = "must be compiled into the AVX2 clones of its multiversioned callers"
)]
#[expect(
    clippy::needless_bitwise_bool,
    reason = "branch-free on purpose: both compares vectorise"
)]
fn gate(y: f32, lo: f32, hi: f32) -> f32 {
    f32::from(u8::from((y > lo) & (y < hi)))
}

/// (Σ g', Σ g'·(x − μ)) over one plane, g' = g where lo < y < hi (the activation passed), else 0.
#[multiversion(targets("x86_64+avx2+fma"))]
fn gated_sums(g: &[f32], y: &[f32], x: &[f32], mu: f32, (lo, hi): (f32, f32)) -> (f64, f64) {
    // Eight independent lanes so the loop vectorises.
    let (mut a1, mut a2) = ([0f32; 8], [0f32; 8]);
    let (gs, ys, xs) = (g.chunks_exact(8), y.chunks_exact(8), x.chunks_exact(8));
    let (gt, yt, xt) = (gs.remainder(), ys.remainder(), xs.remainder());
    for ((gc, yc), xc) in gs.zip(ys).zip(xs) {
        for i in 0..8 {
            let gp = gc[i] * gate(yc[i], lo, hi);
            a1[i] += gp;
            a2[i] += gp * (xc[i] - mu);
        }
    }
    for ((&gv, &yv), &xv) in gt.iter().zip(yt).zip(xt) {
        let gp = gv * gate(yv, lo, hi);
        a1[0] += gp;
        a2[0] += gp * (xv - mu);
    }
    (
        f64::from(a1.iter().sum::<f32>()),
        f64::from(a2.iter().sum::<f32>()),
    )
}

/// `d = k·(g' − s1 − (x − μ)·s2)` over one plane; `coef` is [k, s1, μ, s2].
#[multiversion(targets("x86_64+avx2+fma"))]
fn input_grad_plane(
    d: &mut [f32],
    g: &[f32],
    y: &[f32],
    x: &[f32],
    (lo, hi): (f32, f32),
    coef: [f32; 4],
) {
    let [k, s1, mu, s2] = coef;
    for (((d, &gv), &yv), &xv) in d.iter_mut().zip(g).zip(y).zip(x) {
        let gp = gv * gate(yv, lo, hi);
        *d = k * (gp - s1 - (xv - mu) * s2);
    }
}

struct BnActTrainBwd {
    eps: f64,
    act: Act,
    mean: Vec<f32>,
    var: Vec<f32>,
    gamma: Vec<f32>,
}

impl CustomOp3 for BnActTrainBwd {
    fn name(&self) -> &'static str {
        "batch_norm_act_train_bwd"
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
        let _profile = crate::model::profile::scope("batch_norm_act_train_bwd.fwd");
        let (n, c, h, w) = l1.shape().dims4()?;
        let x = f32_slice(s1, l1, self.name())?;
        let y = f32_slice(s2, l2, self.name())?;
        let g = f32_slice(s3, l3, self.name())?;
        if self.mean.len() != c {
            bail!(
                "{}: batch statistics missing (forward not run?)",
                self.name()
            );
        }
        let hw = h * w;
        let m = (n * hw) as f32;
        let (lo, hi) = self.act.pass_range();
        let invstd: Vec<f32> = self
            .var
            .iter()
            .map(|&v| (1.0 / (f64::from(v) + self.eps).sqrt()) as f32)
            .collect();
        // Pass 1, per channel: S1 = Σ g', S2 = Σ g'·x̂ with g' the gradient behind the activation.
        let sums: Vec<(f32, f32)> = (0..c)
            .into_par_iter()
            .map(|ch| {
                let (mut s1, mut s2) = (0f64, 0f64);
                for b in 0..n {
                    let r = (b * c + ch) * hw..(b * c + ch + 1) * hw;
                    let (t1, t2) =
                        gated_sums(&g[r.clone()], &y[r.clone()], &x[r], self.mean[ch], (lo, hi));
                    s1 += t1;
                    s2 += t2 * f64::from(invstd[ch]);
                }
                (s1 as f32, s2 as f32)
            })
            .collect();
        // Pass 2: dx = γ·invstd·(g' − S1/M − x̂·S2/M).
        let total = x.len();
        let mut out = vec![0f32; total + 2 * c];
        let (dx, rest) = out.split_at_mut(total);
        dx.par_chunks_mut(hw).enumerate().for_each(|(plane, d)| {
            let ch = plane % c;
            let (mu, is) = (self.mean[ch], invstd[ch]);
            let (s1, s2) = (sums[ch].0 / m, sums[ch].1 / m);
            let k = self.gamma[ch] * is;
            let r = plane * hw..(plane + 1) * hw;
            input_grad_plane(
                d,
                &g[r.clone()],
                &y[r.clone()],
                &x[r],
                (lo, hi),
                [k, s1, mu, is * s2],
            );
        });
        let (dgamma, dbeta) = rest.split_at_mut(c);
        for (ch, &(s1, s2)) in sums.iter().enumerate() {
            dgamma[ch] = s2;
            dbeta[ch] = s1;
        }
        Ok((CpuStorage::F32(out), Shape::from(total + 2 * c)))
    }
}

/// Output of [`batch_norm_act_train`].
pub struct BatchNormTrain {
    pub output: Tensor,
    /// Per-channel batch mean, `[C]` on the input's device (no gradient).
    pub mean: Tensor,
    /// Per-channel biased batch variance, `[C]` on the input's device (no gradient).
    pub var: Tensor,
}

/// `act(γ·(x − μ_B)/√(σ²_B + eps) + β)` with batch statistics of `[N, C, H, W]` input;
/// differentiable in `x`, `gamma` and `beta`. Returns the statistics for the running averages.
pub fn batch_norm_act_train(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    eps: f64,
    act: Act,
) -> Result<BatchNormTrain> {
    if portable::is_used_for(x) {
        let (output, mean, var) = portable::batch_norm_act_train(x, gamma, beta, eps, act)?;
        return Ok(BatchNormTrain { output, mean, var });
    }
    let stats = Arc::new(Mutex::new(BatchStats::default()));
    let op = BnActTrain {
        eps,
        act,
        stats: stats.clone(),
    };
    let output = x
        .contiguous()?
        .apply_op3(&gamma.contiguous()?, &beta.contiguous()?, op)?;
    let st = stats.lock().expect("stats lock poisoned");
    Ok(BatchNormTrain {
        output,
        mean: Tensor::new(st.mean.as_slice(), x.device())?,
        var: Tensor::new(st.var.as_slice(), x.device())?,
    })
}
