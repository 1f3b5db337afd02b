//! Softmax cross-entropy on `[N, C, H, W]` logits against `[N, H, W]` integer labels, averaged
//! over the pixels whose label is not [`IGNORE_LABEL`]. Candle's `cross_entropy` takes rank-2
//! input only and errors on out-of-range labels, so this is a custom op with its own backward.

use candle_core::{CpuStorage, CustomOp2, DType, Layout, Result, Shape, Tensor, bail};
use rayon::prelude::*;

use super::{ensure_cpu, f32_slice};
use candle_core::backend::BackendStorage;

/// Label value excluded from the loss (`DeepLab's` convention for "void" pixels).
pub const IGNORE_LABEL: u32 = 255;

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

/// Per-pixel max and log-sum-exp over classes for one block; class planes are strided by `hw`.
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
            *s += (x - m).exp();
        }
    }
    max.iter().zip(&sum).map(|(m, s)| m + s.ln()).collect()
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
                let lse = log_sum_exp(logits, c, hw, base, len);
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
                let lse = log_sum_exp(logits, c, hw, base, len);
                let lab = &labels[b * hw + p..b * hw + p + len];
                let mut out = vec![0f32; c * len];
                for (k, out_row) in out.chunks_exact_mut(len).enumerate() {
                    let row = &logits[base + k * hw..base + k * hw + len];
                    for (i, o) in out_row.iter_mut().enumerate() {
                        let l = lab[i];
                        if l != self.ignore {
                            let onehot = if l as usize == k { 1.0 } else { 0.0 };
                            *o = factor * ((row[i] - lse[i]).exp() - onehot);
                        }
                    }
                }
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
    ensure_cpu(logits, "cross_entropy_ignore")?;
    logits
        .contiguous()?
        .apply_op2(&labels.contiguous()?, CrossEntropy { ignore })
}
