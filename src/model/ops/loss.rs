//! Softmax cross-entropy on `[N, C, H, W]` logits against `[N, H, W]` integer labels, averaged
//! over the pixels whose label is not the ignore label (the project's
//! [`IGNORE_LABEL`](crate::project::IGNORE_LABEL), 255, for DeepLab's "void" pixels). Candle's `cross_entropy` takes rank-2
//! input only and errors on out-of-range labels, so this is a custom op with its own backward.

use candle_core::{CpuStorage, CustomOp2, DType, Layout, Result, Shape, Tensor, bail};
use multiversion::multiversion;
use rayon::prelude::*;

use super::{f32_slice, portable};
use candle_core::backend::BackendStorage;

/// Pixels per parallel task; small enough to balance two threads on a single image.
const BLOCK: usize = 4096;

fn labels_u32(storage: &CpuStorage, layout: &Layout, op: &str) -> Result<Vec<u32>> {
    let Some((start, end)) = layout.contiguous_offsets() else {
        bail!("{op}: labels must be contiguous");
    };
    Ok(match storage {
        CpuStorage::U8(v) => v[start..end].iter().map(|&x| u32::from(x)).collect(),
        CpuStorage::U32(v) => v[start..end].to_vec(),
        CpuStorage::I64(v) => v[start..end]
            .iter()
            .map(|&x| u32::try_from(x).unwrap_or(u32::MAX))
            .collect(),
        other => bail!(
            "{op}: labels must be u8, u32 or i64, got {:?}",
            other.dtype()
        ),
    })
}

/// Checks shapes and labels; returns (N, C, H*W, labels, number of counted pixels).
fn prepare(
    l1: &Layout,
    s2: &CpuStorage,
    l2: &Layout,
    ignore: u32,
    op: &str,
) -> Result<(usize, usize, usize, Vec<u32>, usize)> {
    let (n, c, h, w) = l1.shape().dims4()?;
    if l2.shape().dims() != [n, h, w] {
        bail!(
            "{op}: labels {:?} do not match logits {:?} (expected [{n}, {h}, {w}])",
            l2.shape(),
            l1.shape()
        );
    }
    let labels = labels_u32(s2, l2, op)?;
    let mut valid = 0;
    for &l in &labels {
        if l == ignore {
            continue;
        }
        if l as usize >= c {
            bail!(
                "{op}: label {l} is out of range for {c} classes (and is not the ignore label {ignore})"
            );
        }
        valid += 1;
    }
    Ok((n, c, h * w, labels, valid))
}

/// Runs `f(batch, first_pixel, len)` over blocks of pixels in parallel and collects results.
fn blocks(n: usize, hw: usize) -> Vec<(usize, usize, usize)> {
    (0..n)
        .flat_map(|b| {
            (0..hw)
                .step_by(BLOCK)
                .map(move |p| (b, p, BLOCK.min(hw - p)))
        })
        .collect()
}

/// `e^x` to within 2 ulp for x in [-87, 88] (clamped outside), written so a loop over it
/// vectorises (libm's `expf` is a scalar call). Cephes' `expf`: x = n·ln2 + r with |r| ≤ ln2/2 (ln2
/// split in two for exactness), a degree-6 polynomial for e^r, and 2^n put in the exponent bits.
#[inline(always)]
#[expect(
    clippy::inline_always,
    reason = "must be compiled into the AVX2 clones of its multiversioned callers"
)]
#[expect(
    clippy::excessive_precision,
    reason = "Cephes' published constants, as published"
)]
pub(crate) fn exp_approx(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let n = (x * std::f32::consts::LOG2_E + 0.5).floor();
    let r = x - n * 0.693_359_375 - n * -2.121_944_4e-4;
    let mut p = 1.987_569_15e-4_f32;
    p = p * r + 1.398_199_950_7e-3;
    p = p * r + 8.333_451_907_3e-3;
    p = p * r + 4.166_579_589_4e-2;
    p = p * r + 1.666_666_545_9e-1;
    p = p * r + 5.000_000_120_1e-1;
    let e = p * r * r + r + 1.0;
    // n is in [-126, 127]: a normal power of two.
    e * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// Per-pixel max and log-sum-exp over classes for one block; class planes are strided by `hw`.
#[inline(always)]
#[expect(
    clippy::inline_always,
    reason = "must be compiled into the AVX2 clones of its multiversioned callers"
)]
fn log_sum_exp(logits: &[f32], c: usize, hw: usize, base: usize, len: usize) -> Vec<f32> {
    let mut max = logits[base..base + len].to_vec();
    for k in 1..c {
        let row = &logits[base + k * hw..base + k * hw + len];
        for (m, &x) in max.iter_mut().zip(row) {
            *m = m.max(x);
        }
    }
    let mut sum = vec![0f32; len];
    for k in 0..c {
        let row = &logits[base + k * hw..base + k * hw + len];
        for ((s, &x), &m) in sum.iter_mut().zip(row).zip(&max) {
            *s += exp_approx(x - m);
        }
    }
    max.iter().zip(&sum).map(|(m, s)| m + s.ln()).collect()
}

/// [`log_sum_exp`] as its own AVX2-dispatched function, for the loss itself.
#[multiversion(targets("x86_64+avx2+fma"))]
fn block_log_sum_exp(logits: &[f32], c: usize, hw: usize, base: usize, len: usize) -> Vec<f32> {
    log_sum_exp(logits, c, hw, base, len)
}

/// The gradient of one block of pixels, `[C, len]`: `factor · (softmax − onehot)`, 0 where the
/// label is `ignore`.
#[multiversion(targets("x86_64+avx2+fma"))]
fn grad_block(
    logits: &[f32],
    lab: &[u32],
    (c, hw, base, len): (usize, usize, usize, usize),
    ignore: u32,
    factor: f32,
) -> Vec<f32> {
    let lse = log_sum_exp(logits, c, hw, base, len);
    let mut out = vec![0f32; c * len];
    for (k, out_row) in out.chunks_exact_mut(len).enumerate() {
        let row = &logits[base + k * hw..base + k * hw + len];
        for ((o, &x), &m) in out_row.iter_mut().zip(row).zip(&lse) {
            *o = factor * exp_approx(x - m);
        }
        for (o, &l) in out_row.iter_mut().zip(lab) {
            if l == ignore {
                *o = 0.0;
            } else if l as usize == k {
                *o -= factor;
            }
        }
    }
    out
}

struct CrossEntropy {
    ignore: u32,
}

impl CustomOp2 for CrossEntropy {
    fn name(&self) -> &'static str {
        "cross_entropy_ignore"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let _profile = crate::model::profile::scope("cross_entropy_ignore.fwd");
        let logits = f32_slice(s1, l1, self.name())?;
        let (n, c, hw, labels, valid) = prepare(l1, s2, l2, self.ignore, self.name())?;
        let total: f64 = blocks(n, hw)
            .into_par_iter()
            .map(|(b, p, len)| {
                let base = b * c * hw + p;
                let lse = block_log_sum_exp(logits, c, hw, base, len);
                let mut acc = 0f64;
                for (i, &l) in labels[b * hw + p..b * hw + p + len].iter().enumerate() {
                    if l != self.ignore {
                        acc += f64::from(lse[i] - logits[base + l as usize * hw + i]);
                    }
                }
                acc
            })
            .sum();
        let loss = if valid == 0 {
            0.0
        } else {
            (total / valid as f64) as f32
        };
        Ok((CpuStorage::F32(vec![loss]), Shape::from(())))
    }

    fn bwd(
        &self,
        logits: &Tensor,
        labels: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let _profile = crate::model::profile::scope("cross_entropy_ignore.bwd");
        let scale = grad.to_dtype(DType::F32)?.to_vec0::<f32>()?;
        let g = logits.apply_op2_no_bwd(
            labels,
            &CrossEntropyGrad {
                ignore: self.ignore,
                scale,
            },
        )?;
        Ok((Some(g), None))
    }
}

/// d(loss)/d(logits) = scale · (softmax − `one_hot`) / valid on counted pixels, 0 elsewhere.
struct CrossEntropyGrad {
    ignore: u32,
    scale: f32,
}

impl CustomOp2 for CrossEntropyGrad {
    fn name(&self) -> &'static str {
        "cross_entropy_ignore_grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let _profile = crate::model::profile::scope("cross_entropy_ignore_grad.fwd");
        let logits = f32_slice(s1, l1, self.name())?;
        let (n, c, hw, labels, valid) = prepare(l1, s2, l2, self.ignore, self.name())?;
        let factor = if valid == 0 {
            0.0
        } else {
            self.scale / valid as f32
        };
        // Each block writes its own pixels of every class plane, so compute blocks in
        // parallel and copy them into place afterwards.
        let parts: Vec<((usize, usize, usize), Vec<f32>)> = blocks(n, hw)
            .into_par_iter()
            .map(|(b, p, len)| {
                let base = b * c * hw + p;
                let lab = &labels[b * hw + p..b * hw + p + len];
                let out = grad_block(logits, lab, (c, hw, base, len), self.ignore, factor);
                ((b, p, len), out)
            })
            .collect();
        let mut grad = vec![0f32; n * c * hw];
        for ((b, p, len), out) in parts {
            for (k, out_row) in out.chunks_exact(len).enumerate() {
                let start = b * c * hw + k * hw + p;
                grad[start..start + len].copy_from_slice(out_row);
            }
        }
        Ok((CpuStorage::F32(grad), l1.shape().clone()))
    }
}

/// Mean cross-entropy over pixels whose label is not `ignore`; 0 when every pixel is ignored.
/// `logits` is `[N, C, H, W]` f32, `labels` is `[N, H, W]` u8/u32/i64. Differentiable in `logits`.
pub fn cross_entropy_ignore(logits: &Tensor, labels: &Tensor, ignore: u32) -> Result<Tensor> {
    if portable::is_used_for(logits) {
        return portable::cross_entropy_ignore(logits, labels, ignore);
    }
    logits
        .contiguous()?
        .apply_op2(&labels.contiguous()?, CrossEntropy { ignore })
}

#[cfg(test)]
mod tests {
    use super::exp_approx;

    /// Against libm's `expf` over the whole clamped range, in relative terms.
    #[test]
    fn exp_approx_matches_libm() {
        let mut worst = 0f32;
        for i in 0..=200_000 {
            let x = -87.0 + 175.0 * i as f32 / 200_000.0;
            let (got, want) = (exp_approx(x), x.exp());
            worst = worst.max((got - want).abs() / want);
        }
        assert!(worst < 3e-7, "worst relative error {worst}");
        assert!((exp_approx(0.0) - 1.0).abs() < 1e-7);
        assert!(exp_approx(-1000.0) > 0.0 && exp_approx(-1000.0) < 1e-37);
    }
}
