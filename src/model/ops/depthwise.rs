//! Depthwise 2-D convolution (one filter per channel) with stride, dilation and symmetric
//! zero padding, plus its two backward kernels (input gradient and weight gradient).
//!
//! Candle runs `groups == channels` as one tiny convolution per channel, 38–58× slower than a
//! direct loop. Here every kernel tap is an `axpy` or dot product over a whole output row, so
//! the stride-1 inner loops vectorise, and rayon splits the work over (batch, channel) planes.

use candle_core::{CpuStorage, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor, bail};
use rayon::prelude::*;

use super::{axpy, dot, ensure_cpu, f32_slice};
use crate::model::layers::Act;

/// Geometry of a depthwise convolution. Padding is applied on all four sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepthwiseParams {
    pub stride: usize,
    pub padding: usize,
    pub dilation: usize,
}

impl DepthwiseParams {
    /// "Same" padding for an odd kernel size `k` at this dilation (stride 1 keeps the size).
    pub fn same(k: usize, stride: usize, dilation: usize) -> Self {
        Self {
            stride,
            padding: dilation * (k - 1) / 2,
            dilation,
        }
    }

    /// Output length along one axis.
    pub fn out_len(&self, input: usize, k: usize) -> usize {
        (input + 2 * self.padding - self.dilation * (k - 1) - 1) / self.stride + 1
    }
}

/// Plane sizes shared by the three kernels.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    channels: usize,
    h: usize,
    w: usize,
    kh: usize,
    kw: usize,
    ho: usize,
    wo: usize,
    p: DepthwiseParams,
}

impl Geometry {
    /// For kernel column `kj`: the valid output column range `[lo, hi)` and the input column of
    /// `lo` (input column of `ox` is `first + (ox - lo) * stride`).
    fn col_range(&self, kj: usize) -> (usize, usize, usize) {
        let s = self.p.stride as isize;
        let off = (kj * self.p.dilation) as isize - self.p.padding as isize;
        // smallest ox with ox*s + off >= 0
        let lo = if off >= 0 { 0 } else { ((-off) + s - 1) / s };
        // largest ox with ox*s + off <= w - 1, plus one
        let hi_excl = if (self.w as isize - 1 - off) < 0 {
            0
        } else {
            (self.w as isize - 1 - off) / s + 1
        };
        let hi = (hi_excl as usize).min(self.wo);
        let lo = (lo as usize).min(hi);
        let first = (lo as isize * s + off).max(0) as usize;
        (lo, hi, first)
    }

    /// Input row feeding output row `oy` through kernel row `ki`, if inside the image.
    fn in_row(&self, oy: usize, ki: usize) -> Option<usize> {
        let iy = (oy * self.p.stride + ki * self.p.dilation) as isize - self.p.padding as isize;
        (iy >= 0 && (iy as usize) < self.h).then_some(iy as usize)
    }

    fn col_ranges(&self) -> Vec<(usize, usize, usize)> {
        (0..self.kw).map(|kj| self.col_range(kj)).collect()
    }
}

fn geometry(
    input: &Layout,
    weight: &Layout,
    p: DepthwiseParams,
    op: &str,
) -> Result<(usize, Geometry)> {
    let (n, c, h, w) = input.shape().dims4()?;
    let (wc, one, kh, kw) = weight.shape().dims4()?;
    if wc != c || one != 1 {
        bail!(
            "{op}: weight {:?} does not match input {:?} (expected [{c}, 1, kh, kw])",
            weight.shape(),
            input.shape()
        );
    }
    if p.stride == 0 || p.dilation == 0 {
        bail!("{op}: stride and dilation must be positive");
    }
    if h + 2 * p.padding < p.dilation * (kh - 1) + 1
        || w + 2 * p.padding < p.dilation * (kw - 1) + 1
    {
        bail!("{op}: input {h}x{w} is smaller than the dilated kernel");
    }
    let ho = p.out_len(h, kh);
    let wo = p.out_len(w, kw);
    Ok((
        n,
        Geometry {
            channels: c,
            h,
            w,
            kh,
            kw,
            ho,
            wo,
            p,
        },
    ))
}

/// `out[oy] += wv * in[first + k*stride]` for `ox` in `lo..hi`.
#[inline]
fn row_fwd(
    out_row: &mut [f32],
    in_row: &[f32],
    wv: f32,
    (lo, hi, first): (usize, usize, usize),
    stride: usize,
) {
    if lo >= hi {
        return;
    }
    if stride == 1 {
        axpy(&mut out_row[lo..hi], wv, &in_row[first..first + (hi - lo)]);
    } else {
        for (o, i) in out_row[lo..hi]
            .iter_mut()
            .zip(in_row[first..].iter().step_by(stride))
        {
            *o += wv * i;
        }
    }
}

/// Runs the forward kernel over all planes; `epilogue` applies `clamp(v + bias[c], lo, hi)`
/// to each finished output row while it is still in cache.
fn forward_planes(
    input: &[f32],
    weight: &[f32],
    n: usize,
    g: &Geometry,
    epilogue: Option<(&[f32], (f32, f32))>,
) -> Vec<f32> {
    let plane_in = g.h * g.w;
    let plane_out = g.ho * g.wo;
    let ksize = g.kh * g.kw;
    let cols = g.col_ranges();
    let mut out = vec![0f32; n * g.channels * plane_out];
    out.par_chunks_mut(plane_out)
        .enumerate()
        .for_each(|(plane, out)| {
            // Touch the (calloc'd, still unmapped) pages with a write before the `+=` loops
            // read them: one page fault per page instead of a zero-page map plus a copy.
            out.fill(0.0);
            let c = plane % g.channels;
            let inp = &input[plane * plane_in..(plane + 1) * plane_in];
            let wk = &weight[c * ksize..(c + 1) * ksize];
            for (oy, out_row) in out.chunks_exact_mut(g.wo).enumerate() {
                for ki in 0..g.kh {
                    let Some(iy) = g.in_row(oy, ki) else { continue };
                    let in_row = &inp[iy * g.w..(iy + 1) * g.w];
                    for (kj, range) in cols.iter().enumerate() {
                        row_fwd(out_row, in_row, wk[ki * g.kw + kj], *range, g.p.stride);
                    }
                }
                if let Some((bias, (lo, hi))) = epilogue {
                    let b = bias[c];
                    for v in out_row.iter_mut() {
                        *v = (*v + b).max(lo).min(hi);
                    }
                }
            }
        });
    out
}

/// Depthwise conv fused with `act(· + bias)` (eval-mode BN folded into the weights).
struct DepthwiseBiasAct {
    params: DepthwiseParams,
    act: Act,
}

impl CustomOp3 for DepthwiseBiasAct {
    fn name(&self) -> &'static str {
        "depthwise_conv2d_bias_act"
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
        let (n, g) = geometry(l1, l2, self.params, self.name())?;
        if l3.shape().dims() != [g.channels] {
            bail!(
                "{}: bias {:?} does not match {} channels",
                self.name(),
                l3.shape(),
                g.channels
            );
        }
        let input = f32_slice(s1, l1, self.name())?;
        let weight = f32_slice(s2, l2, self.name())?;
        let bias = f32_slice(s3, l3, self.name())?;
        let out = forward_planes(input, weight, n, &g, Some((bias, self.act.pass_range())));
        Ok((
            CpuStorage::F32(out),
            Shape::from((n, g.channels, g.ho, g.wo)),
        ))
    }

    fn bwd(
        &self,
        input: &Tensor,
        weight: &Tensor,
        _bias: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        // Gradient behind the activation, then the plain depthwise backward.
        let grad = self.act.grad_through(grad, res)?;
        let grad_bias = grad.sum(3)?.sum(2)?.sum(0)?;
        let (grad_input, grad_weight) = depthwise_grads(input, weight, &grad, self.params)?;
        Ok((Some(grad_input), Some(grad_weight), Some(grad_bias)))
    }
}

struct DepthwiseFwd(DepthwiseParams);

impl CustomOp2 for DepthwiseFwd {
    fn name(&self) -> &'static str {
        "depthwise_conv2d"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, g) = geometry(l1, l2, self.0, self.name())?;
        let input = f32_slice(s1, l1, self.name())?;
        let weight = f32_slice(s2, l2, self.name())?;
        let out = forward_planes(input, weight, n, &g, None);
        Ok((
            CpuStorage::F32(out),
            Shape::from((n, g.channels, g.ho, g.wo)),
        ))
    }

    fn bwd(
        &self,
        input: &Tensor,
        weight: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let (grad_input, grad_weight) =
            depthwise_grads(input, weight, &grad.contiguous()?, self.0)?;
        Ok((Some(grad_input), Some(grad_weight)))
    }
}

/// Input and weight gradients of a depthwise convolution for the output gradient `grad` (contiguous).
fn depthwise_grads(
    input: &Tensor,
    weight: &Tensor,
    grad: &Tensor,
    p: DepthwiseParams,
) -> Result<(Tensor, Tensor)> {
    let (_, _, h, w) = input.dims4()?;
    let grad_input = grad.apply_op2_no_bwd(weight, &DepthwiseBwdInput { p, h, w })?;
    let (_, _, kh, kw) = weight.dims4()?;
    let grad_weight = input.apply_op2_no_bwd(grad, &DepthwiseBwdWeight { p, kh, kw })?;
    Ok((grad_input, grad_weight))
}

/// Input gradient: scatters every output-row gradient back through each kernel tap.
struct DepthwiseBwdInput {
    p: DepthwiseParams,
    h: usize,
    w: usize,
}

impl CustomOp2 for DepthwiseBwdInput {
    fn name(&self) -> &'static str {
        "depthwise_conv2d_bwd_input"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, c, ho, wo) = l1.shape().dims4()?;
        let (_, _, kh, kw) = l2.shape().dims4()?;
        let fake_in = Layout::contiguous((n, c, self.h, self.w));
        let (_, g) = geometry(&fake_in, l2, self.p, self.name())?;
        if (g.ho, g.wo) != (ho, wo) {
            bail!(
                "{}: gradient {ho}x{wo} does not match output {}x{}",
                self.name(),
                g.ho,
                g.wo
            );
        }
        let grad = f32_slice(s1, l1, self.name())?;
        let weight = f32_slice(s2, l2, self.name())?;
        let (plane_in, plane_out, ksize) = (g.h * g.w, ho * wo, kh * kw);
        let cols = g.col_ranges();
        let stride = g.p.stride;
        let mut out = vec![0f32; n * c * plane_in];
        out.par_chunks_mut(plane_in)
            .enumerate()
            .for_each(|(plane, gin)| {
                gin.fill(0.0); // first touch is a write, as in the forward kernel
                let ch = plane % c;
                let gout = &grad[plane * plane_out..(plane + 1) * plane_out];
                let wk = &weight[ch * ksize..(ch + 1) * ksize];
                for (oy, go_row) in gout.chunks_exact(wo).enumerate() {
                    for ki in 0..kh {
                        let Some(iy) = g.in_row(oy, ki) else { continue };
                        let gin_row = &mut gin[iy * g.w..(iy + 1) * g.w];
                        for (kj, &(lo, hi, first)) in cols.iter().enumerate() {
                            if lo >= hi {
                                continue;
                            }
                            let wv = wk[ki * kw + kj];
                            if stride == 1 {
                                axpy(&mut gin_row[first..first + (hi - lo)], wv, &go_row[lo..hi]);
                            } else {
                                for (gi, go) in gin_row[first..]
                                    .iter_mut()
                                    .step_by(stride)
                                    .zip(&go_row[lo..hi])
                                {
                                    *gi += wv * go;
                                }
                            }
                        }
                    }
                }
            });
        Ok((CpuStorage::F32(out), Shape::from((n, c, self.h, self.w))))
    }
}

/// Weight gradient: for each channel and tap, the dot product of output-row gradients with the
/// input rows they saw, summed over the batch.
struct DepthwiseBwdWeight {
    p: DepthwiseParams,
    kh: usize,
    kw: usize,
}

impl CustomOp2 for DepthwiseBwdWeight {
    fn name(&self) -> &'static str {
        "depthwise_conv2d_bwd_weight"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, c, _, _) = l1.shape().dims4()?;
        let fake_w = Layout::contiguous((c, 1, self.kh, self.kw));
        let (_, g) = geometry(l1, &fake_w, self.p, self.name())?;
        let (gn, gc, ho, wo) = l2.shape().dims4()?;
        if (gn, gc, ho, wo) != (n, c, g.ho, g.wo) {
            bail!(
                "{}: gradient {:?} does not match output [{n}, {c}, {}, {}]",
                self.name(),
                l2.shape(),
                g.ho,
                g.wo
            );
        }
        let input = f32_slice(s1, l1, self.name())?;
        let grad = f32_slice(s2, l2, self.name())?;
        let (plane_in, plane_out, ksize) = (g.h * g.w, ho * wo, self.kh * self.kw);
        let cols = g.col_ranges();
        let stride = g.p.stride;
        let mut out = vec![0f32; c * ksize];
        out.par_chunks_mut(ksize).enumerate().for_each(|(ch, acc)| {
            for b in 0..n {
                let plane = b * c + ch;
                let inp = &input[plane * plane_in..(plane + 1) * plane_in];
                let gout = &grad[plane * plane_out..(plane + 1) * plane_out];
                for (oy, go_row) in gout.chunks_exact(wo).enumerate() {
                    for ki in 0..self.kh {
                        let Some(iy) = g.in_row(oy, ki) else { continue };
                        let in_row = &inp[iy * g.w..(iy + 1) * g.w];
                        for (kj, &(lo, hi, first)) in cols.iter().enumerate() {
                            if lo >= hi {
                                continue;
                            }
                            acc[ki * self.kw + kj] += if stride == 1 {
                                dot(&go_row[lo..hi], &in_row[first..first + (hi - lo)])
                            } else {
                                go_row[lo..hi]
                                    .iter()
                                    .zip(in_row[first..].iter().step_by(stride))
                                    .map(|(a, b)| a * b)
                                    .sum()
                            };
                        }
                    }
                }
            }
        });
        Ok((CpuStorage::F32(out), Shape::from((c, 1, self.kh, self.kw))))
    }
}

/// Depthwise convolution of `input` `[N, C, H, W]` with `weight` `[C, 1, kh, kw]`,
/// differentiable in both arguments.
pub fn depthwise_conv2d(
    input: &Tensor,
    weight: &Tensor,
    params: DepthwiseParams,
) -> Result<Tensor> {
    ensure_cpu(input, "depthwise_conv2d")?;
    input
        .contiguous()?
        .apply_op2(&weight.contiguous()?, DepthwiseFwd(params))
}

/// `act(depthwise_conv2d(input, weight) + bias)` in one pass; differentiable in all three.
pub fn depthwise_conv2d_bias_act(
    input: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    params: DepthwiseParams,
    act: Act,
) -> Result<Tensor> {
    ensure_cpu(input, "depthwise_conv2d_bias_act")?;
    input.contiguous()?.apply_op3(
        &weight.contiguous()?,
        &bias.contiguous()?,
        DepthwiseBiasAct { params, act },
    )
}
