//! Depthwise 2-D convolution (one filter per channel) with stride, dilation and symmetric
//! zero padding, plus its two backward kernels (input gradient and weight gradient).
//!
//! Candle runs `groups == channels` as one tiny convolution per channel, 38–58× slower than a
//! direct loop. Here each input plane is zero-padded and split into stride phases once, so every
//! kernel tap is an `axpy` or dot product over one contiguous run per output row whatever the
//! stride and dilation; the per-plane kernels are built for AVX2+FMA as well and chosen at run
//! time, and rayon splits the work over (batch, channel) planes.

use candle_core::{CpuStorage, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor, bail};
use multiversion::multiversion;
use rayon::prelude::*;

use super::{Act, ConvParams};
use super::{axpy, dot, f32_slice, portable};

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
    p: ConvParams,
}

impl Geometry {
    /// Rows of the zero-padded input plane.
    fn padded_rows(&self) -> usize {
        self.h + 2 * self.p.padding
    }

    /// Width of one column phase: enough for every output column and tap offset.
    fn phase_width(&self) -> usize {
        self.wo + (self.kw - 1) * self.p.dilation / self.p.stride
    }

    /// Elements of a phased plane (see [`phase_plane`]).
    fn phased_len(&self) -> usize {
        self.p.stride * self.padded_rows() * self.phase_width()
    }

    /// Start of the contiguous run that kernel tap (`ki`, `kj`) reads for output row `oy` in a
    /// phased plane: output column `ox` reads element `start + ox`.
    fn tap_start(&self, oy: usize, ki: usize, kj: usize) -> usize {
        let s = self.p.stride;
        let y = oy * s + ki * self.p.dilation;
        let c = kj * self.p.dilation;
        ((c % s) * self.padded_rows() + y) * self.phase_width() + c / s
    }

    /// Index in a phased plane of input pixel (`iy`, `ix`).
    fn phased_index(&self, iy: usize, ix: usize) -> usize {
        let s = self.p.stride;
        let (y, x) = (iy + self.p.padding, ix + self.p.padding);
        ((x % s) * self.padded_rows() + y) * self.phase_width() + x / s
    }
}

/// Writes `plane` (`h`×`w`) zero-padded into `phased`, split into `stride` column phases:
/// phase `ph`, row `y`, element `j` holds padded column `j * stride + ph`. Every kernel tap then
/// reads one contiguous run per output row, whatever the stride and dilation, so the inner
/// loops vectorise and need no border tests.
// Always inlined: it must be compiled into the AVX2 clones of its multiversioned callers.
#[inline(always)]
#[expect(
    clippy::inline_always,
    reason = "must be compiled into the AVX2 clones of its multiversioned callers"
)]
fn phase_plane(plane: &[f32], g: &Geometry, phased: &mut Vec<f32>) {
    phase_plane_clamped(plane, g, phased, Act::None);
}

/// [`phase_plane`] applying `input_act` to each value on the way (the zero padding stays zero,
/// as it would after the activation of a `ReLU`-family op).
// Always inlined: it must be compiled into the AVX2 clones of its multiversioned callers.
#[inline(always)]
#[expect(
    clippy::inline_always,
    reason = "must be compiled into the AVX2 clones of its multiversioned callers"
)]
fn phase_plane_clamped(plane: &[f32], g: &Geometry, phased: &mut Vec<f32>, input_act: Act) {
    let (lo, hi) = input_act.pass_range();
    let (s, pad, pw, rows) = (g.p.stride, g.p.padding, g.phase_width(), g.padded_rows());
    // Every element is written below (values or padding zeros), so the buffer is only sized,
    // not cleared: one pass over it instead of two.
    phased.resize(g.phased_len(), 0.0);
    for (i, dst) in phased.chunks_exact_mut(pw).enumerate() {
        let (ph, y) = (i / rows, i % rows);
        // padded column j*s + ph is input column j*s + ph - pad
        let j0 = pad.saturating_sub(ph).div_ceil(s);
        let first = j0 * s + ph - pad;
        if y < pad || y >= g.h + pad || first >= g.w || j0 >= pw {
            dst.fill(0.0);
            continue;
        }
        let row = &plane[(y - pad) * g.w..(y - pad + 1) * g.w];
        let n = ((g.w - first - 1) / s + 1).min(pw - j0);
        let (left, rest) = dst.split_at_mut(j0);
        let (mid, right) = rest.split_at_mut(n);
        left.fill(0.0);
        right.fill(0.0);
        if s == 1 && input_act == Act::None {
            mid.copy_from_slice(&row[first..first + n]);
        } else if s == 1 {
            for (d, v) in mid.iter_mut().zip(&row[first..first + n]) {
                *d = v.max(lo).min(hi);
            }
        } else {
            for (d, v) in mid.iter_mut().zip(row[first..].iter().step_by(s)) {
                *d = v.max(lo).min(hi);
            }
        }
    }
}

/// `out[x] += w0*a[x] + w1*b[x] + w2*c[x]`: one kernel row of a 3-wide kernel in one pass.
// Always inlined: it must be compiled into the AVX2 clones of its multiversioned callers.
#[inline(always)]
#[expect(
    clippy::inline_always,
    reason = "must be compiled into the AVX2 clones of its multiversioned callers"
)]
fn taps3(out: &mut [f32], a: &[f32], b: &[f32], c: &[f32], w: &[f32]) {
    let (w0, w1, w2) = (w[0], w[1], w[2]);
    let n = out.len();
    for (((o, x), y), z) in out.iter_mut().zip(&a[..n]).zip(&b[..n]).zip(&c[..n]) {
        *o += w0 * x + w1 * y + w2 * z;
    }
}

/// One output row: the sum over every kernel tap of weight × the tap's run of `phased`.
// Always inlined: it must be compiled into the AVX2 clones of its multiversioned callers.
#[inline(always)]
#[expect(
    clippy::inline_always,
    reason = "must be compiled into the AVX2 clones of its multiversioned callers"
)]
fn forward_row(out_row: &mut [f32], phased: &[f32], wk: &[f32], g: &Geometry, oy: usize) {
    let wo = g.wo;
    for ki in 0..g.kh {
        let wrow = &wk[ki * g.kw..(ki + 1) * g.kw];
        if g.kw == 3 {
            let run = |kj: usize| &phased[g.tap_start(oy, ki, kj)..][..wo];
            taps3(out_row, run(0), run(1), run(2), wrow);
        } else {
            for (kj, &wv) in wrow.iter().enumerate() {
                axpy(out_row, wv, &phased[g.tap_start(oy, ki, kj)..][..wo]);
            }
        }
    }
}

fn geometry(input: &Layout, weight: &Layout, p: ConvParams, op: &str) -> Result<(usize, Geometry)> {
    let (n, c, h, w) = input.shape().dims4()?;
    let (wc, one, kh, kw) = weight.shape().dims4()?;
    if wc != c || one != 1 {
        bail!(
            "{op}: weight {:?} does not match input {:?} (expected [{c}, 1, kh, kw])",
            weight.shape(),
            input.shape()
        );
    }
    let (ho, wo) = p.output_size((h, w), (kh, kw), op)?;
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

/// One plane of the forward kernel: phase the input, then every output row, finished with
/// `clamp(v + bias, lo, hi)` while it is still in cache.
#[multiversion(targets("x86_64+avx2+fma"))]
fn forward_plane(
    out: &mut [f32],
    input: &[f32],
    wk: &[f32],
    g: &Geometry,
    phased: &mut Vec<f32>,
    epilogue: Option<(f32, (f32, f32))>,
    input_act: Act,
) {
    phase_plane_clamped(input, g, phased, input_act);
    for (oy, out_row) in out.chunks_exact_mut(g.wo).enumerate() {
        forward_row(out_row, phased, wk, g, oy);
        if let Some((b, (lo, hi))) = epilogue {
            for v in out_row.iter_mut() {
                *v = (*v + b).max(lo).min(hi);
            }
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
    input_act: Act,
) -> Vec<f32> {
    let plane_in = g.h * g.w;
    let plane_out = g.ho * g.wo;
    let ksize = g.kh * g.kw;
    let mut out = vec![0f32; n * g.channels * plane_out];
    out.par_chunks_mut(plane_out)
        .enumerate()
        .for_each_init(Vec::new, |phased, (plane, out)| {
            let c = plane % g.channels;
            let epilogue = epilogue.map(|(bias, range)| (bias[c], range));
            forward_plane(
                out,
                &input[plane * plane_in..][..plane_in],
                &weight[c * ksize..(c + 1) * ksize],
                g,
                phased,
                epilogue,
                input_act,
            );
        });
    out
}

/// Depthwise conv fused with `act(· + bias)` (eval-mode BN folded into the weights).
struct DepthwiseBiasAct {
    params: ConvParams,
    act: Act,
    /// Inference only: an activation applied to the input as it is read (the preceding
    /// layer's, left undone there to save a pass over its output).
    input_act: Act,
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
        let _profile = crate::model::profile::scope("depthwise_conv2d_bias_act.fwd");
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
        let out = forward_planes(
            input,
            weight,
            n,
            &g,
            Some((bias, self.act.pass_range())),
            self.input_act,
        );
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
        let _profile = crate::model::profile::scope("depthwise_conv2d_bias_act.bwd");
        if self.input_act != Act::None {
            bail!(
                "{}: the input-activation form is for inference only",
                self.name()
            );
        }
        // Gradient behind the activation, then the plain depthwise backward.
        let grad = self.act.grad_through(grad, res)?;
        let grad_bias = grad.sum(3)?.sum(2)?.sum(0)?;
        let (grad_input, grad_weight) = depthwise_grads(input, weight, &grad, self.params)?;
        Ok((Some(grad_input), Some(grad_weight), Some(grad_bias)))
    }
}

struct DepthwiseFwd(ConvParams);

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
        let _profile = crate::model::profile::scope("depthwise_conv2d.fwd");
        let (n, g) = geometry(l1, l2, self.0, self.name())?;
        let input = f32_slice(s1, l1, self.name())?;
        let weight = f32_slice(s2, l2, self.name())?;
        let out = forward_planes(input, weight, n, &g, None, Act::None);
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
        let _profile = crate::model::profile::scope("depthwise_conv2d.bwd");
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
    p: ConvParams,
) -> Result<(Tensor, Tensor)> {
    let (_, _, h, w) = input.dims4()?;
    let grad_input = grad.apply_op2_no_bwd(weight, &DepthwiseBwdInput { p, h, w })?;
    let (_, _, kh, kw) = weight.dims4()?;
    let grad_weight = input.apply_op2_no_bwd(grad, &DepthwiseBwdWeight { p, kh, kw })?;
    Ok((grad_input, grad_weight))
}

/// Input gradient: scatters every output-row gradient back through each kernel tap.
struct DepthwiseBwdInput {
    p: ConvParams,
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
        let _profile = crate::model::profile::scope("depthwise_conv2d_bwd_input.fwd");
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
        let mut out = vec![0f32; n * c * plane_in];
        out.par_chunks_mut(plane_in).enumerate().for_each_init(
            Vec::new,
            |acc: &mut Vec<f32>, (plane, gin)| {
                let ch = plane % c;
                input_grad_plane(
                    gin,
                    &grad[plane * plane_out..(plane + 1) * plane_out],
                    &weight[ch * ksize..(ch + 1) * ksize],
                    &g,
                    acc,
                );
            },
        );
        Ok((CpuStorage::F32(out), Shape::from((n, c, self.h, self.w))))
    }
}

/// One plane of the input gradient: scatter into a phased, padded accumulator (the transpose
/// of the forward gather: every tap adds one contiguous run), then gather the interior back.
#[multiversion(targets("x86_64+avx2+fma"))]
fn input_grad_plane(gin: &mut [f32], gout: &[f32], wk: &[f32], g: &Geometry, acc: &mut Vec<f32>) {
    let (wo, kw) = (g.wo, g.kw);
    acc.clear();
    acc.resize(g.phased_len(), 0.0);
    for (oy, go_row) in gout.chunks_exact(wo).enumerate() {
        for ki in 0..g.kh {
            for kj in 0..kw {
                let start = g.tap_start(oy, ki, kj);
                axpy(&mut acc[start..start + wo], wk[ki * kw + kj], go_row);
            }
        }
    }
    for (iy, row) in gin.chunks_exact_mut(g.w).enumerate() {
        if g.p.stride == 1 {
            let start = g.phased_index(iy, 0);
            row.copy_from_slice(&acc[start..start + g.w]);
        } else {
            for (ix, v) in row.iter_mut().enumerate() {
                *v = acc[g.phased_index(iy, ix)];
            }
        }
    }
}

/// Adds one plane's weight gradient (one dot product per tap and output row) into `acc`.
#[multiversion(targets("x86_64+avx2+fma"))]
fn weight_grad_plane(
    acc: &mut [f32],
    input: &[f32],
    gout: &[f32],
    g: &Geometry,
    phased: &mut Vec<f32>,
) {
    phase_plane(input, g, phased);
    for (oy, go_row) in gout.chunks_exact(g.wo).enumerate() {
        for (tap, a) in acc.iter_mut().enumerate() {
            let start = g.tap_start(oy, tap / g.kw, tap % g.kw);
            *a += dot(go_row, &phased[start..start + g.wo]);
        }
    }
}

/// Weight gradient: for each channel and tap, the dot product of output-row gradients with the
/// input rows they saw, summed over the batch.
struct DepthwiseBwdWeight {
    p: ConvParams,
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
        let _profile = crate::model::profile::scope("depthwise_conv2d_bwd_weight.fwd");
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
        let mut out = vec![0f32; c * ksize];
        out.par_chunks_mut(ksize).enumerate().for_each_init(
            Vec::new,
            |phased: &mut Vec<f32>, (ch, acc)| {
                for b in 0..n {
                    let plane = b * c + ch;
                    weight_grad_plane(
                        acc,
                        &input[plane * plane_in..][..plane_in],
                        &grad[plane * plane_out..(plane + 1) * plane_out],
                        &g,
                        phased,
                    );
                }
            },
        );
        Ok((CpuStorage::F32(out), Shape::from((c, 1, self.kh, self.kw))))
    }
}

/// Depthwise convolution of `input` `[N, C, H, W]` with `weight` `[C, 1, kh, kw]`,
/// differentiable in both arguments.
pub fn depthwise_conv2d(input: &Tensor, weight: &Tensor, params: ConvParams) -> Result<Tensor> {
    if portable::is_used_for(input) {
        return portable::depthwise_conv2d(input, weight, params);
    }
    input
        .contiguous()?
        .apply_op2(&weight.contiguous()?, DepthwiseFwd(params))
}

/// `act(depthwise_conv2d(input, weight) + bias)` in one pass; differentiable in all three.
pub fn depthwise_conv2d_bias_act(
    input: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    params: ConvParams,
    act: Act,
) -> Result<Tensor> {
    if portable::is_used_for(input) {
        return portable::depthwise_conv2d_act_bias_act(
            input,
            weight,
            bias,
            params,
            Act::None,
            act,
        );
    }
    input.contiguous()?.apply_op3(
        &weight.contiguous()?,
        &bias.contiguous()?,
        DepthwiseBiasAct {
            params,
            act,
            input_act: Act::None,
        },
    )
}

/// `act(depthwise_conv2d(input_act(input), weight) + bias)` for inference (no backward): the
/// input activation is applied while the input is read.
pub fn depthwise_conv2d_act_bias_act(
    input: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    params: ConvParams,
    input_act: Act,
    act: Act,
) -> Result<Tensor> {
    if portable::is_used_for(input) {
        return portable::depthwise_conv2d_act_bias_act(
            input, weight, bias, params, input_act, act,
        );
    }
    input.contiguous()?.apply_op3_no_bwd(
        &weight.contiguous()?,
        &bias.contiguous()?,
        &DepthwiseBiasAct {
            params,
            act,
            input_act,
        },
    )
}
