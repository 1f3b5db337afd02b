//! The same operations as the custom CPU kernels, composed from Candle's own tensor ops, so that
//! they run (and differentiate, through Candle's autograd) on any device Candle has: a CUDA
//! build's GPU above all. The public ops in this module's parent call these when their input is
//! not on the CPU; on the CPU the hand-written kernels stay, being about 17× faster on a
//! training step (BENCHMARKS.md, "The portable ops").
//!
//! Each function here has exactly the semantics of its CPU twin (padding on all four sides,
//! `align_corners = true`, the ignore label, biased batch variance); the tests check them
//! against each other and against naive references, forward and backward, on the CPU.

use std::cell::Cell;

use candle_core::{DType, Result, Tensor};

use super::{Act, ConvParams};

thread_local! {
    /// Set by [`with_portable_kernels`]: the CPU runs these compositions too.
    static FORCED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with every op of [`crate::model::ops`] called on this thread taking the portable
/// path, CPU tensors included: how the tests check a whole network's GPU path on a machine that
/// has no GPU. Restores the previous setting afterwards, also when `f` panics.
pub fn with_portable_kernels<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            FORCED.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(FORCED.with(|c| c.replace(true)));
    f()
}

/// Whether an op on `t` takes the portable path: always off the CPU (the custom kernels have
/// CPU code only), on the CPU inside [`with_portable_kernels`].
pub(crate) fn is_used_for(t: &Tensor) -> bool {
    !t.device().is_cpu() || FORCED.with(Cell::get)
}

/// `[C]` as `[1, C, 1, 1]`, to broadcast over an `[N, C, H, W]` map.
fn per_channel(v: &Tensor) -> Result<Tensor> {
    v.reshape((1, (), 1, 1))
}

/// The source indices of one kernel tap along one axis: `offset + stride · t` for each of the
/// `out` outputs, as a `u32` index tensor on `like`'s device.
fn tap_indices(offset: usize, stride: usize, out: usize, like: &Tensor) -> Result<Tensor> {
    let idx: Vec<u32> = (0..out)
        .map(|t| u32::try_from(offset + stride * t).expect("tap index fits u32"))
        .collect();
    Tensor::from_vec(idx, out, like.device())
}

/// Depthwise convolution of `[N, C, H, W]` with `[C, 1, kh, kw]`: one shifted (and, for a
/// stride, subsampled) view of the padded input per kernel tap, scaled by that tap's weights and
/// summed. Candle's grouped `conv2d` would run one convolution per channel.
pub fn depthwise_conv2d(input: &Tensor, weight: &Tensor, params: ConvParams) -> Result<Tensor> {
    let (_, c, h, w) = input.dims4()?;
    let (cw, one, kh, kw) = weight.dims4()?;
    if cw != c || one != 1 {
        candle_core::bail!(
            "depthwise_conv2d: weight {:?} does not fit {c} input channels",
            weight.dims()
        );
    }
    let (oh, ow) = params.output_size((h, w), (kh, kw), "depthwise_conv2d")?;
    let p = params.padding;
    // Contiguous: `index_select` reads whole rows.
    let padded = input
        .pad_with_zeros(2, p, p)?
        .pad_with_zeros(3, p, p)?
        .contiguous()?;
    // The column taps are the same for every row of taps: built (and uploaded) once.
    let cols = (0..kw)
        .map(|j| tap_indices(j * params.dilation, params.stride, ow, input))
        .collect::<Result<Vec<_>>>()?;
    let mut sum: Option<Tensor> = None;
    for i in 0..kh {
        let rows = tap_indices(i * params.dilation, params.stride, oh, input)?;
        let band = padded.index_select(&rows, 2)?;
        for (j, cols) in cols.iter().enumerate() {
            let tap = weight
                .narrow(2, i, 1)?
                .narrow(3, j, 1)?
                .reshape((1, c, 1, 1))?;
            let term = band.index_select(cols, 3)?.broadcast_mul(&tap)?;
            sum = Some(match sum {
                Some(s) => (s + term)?,
                None => term,
            });
        }
    }
    sum.ok_or_else(|| candle_core::Error::Msg("depthwise_conv2d: empty kernel".into()))
}

/// `act(depthwise_conv2d(input_act(input), weight) + bias)`.
pub fn depthwise_conv2d_act_bias_act(
    input: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    params: ConvParams,
    input_act: Act,
    act: Act,
) -> Result<Tensor> {
    let y = depthwise_conv2d(&input_act.apply(input)?, weight, params)?;
    bias_act(&y, bias, act)
}

/// Dense convolution of `[N, Cin, H, W]` with `[Cout, Cin, kh, kw]`: Candle's `conv2d` (cuDNN
/// or im2col on a GPU), differentiated by Candle.
pub fn conv2d(x: &Tensor, weight: &Tensor, params: ConvParams) -> Result<Tensor> {
    x.conv2d(weight, params.padding, params.stride, params.dilation, 1)
}

/// 1×1, stride-1 convolution of `[N, Cin, H, W]` with `[Cout, Cin, 1, 1]`.
pub fn pointwise_conv2d(x: &Tensor, weight: &Tensor) -> Result<Tensor> {
    x.conv2d(weight, 0, 1, 1, 1)
}

/// `act(x + bias)`, `bias` broadcast over the channels of `[N, C, H, W]`.
pub fn bias_act(x: &Tensor, bias: &Tensor, act: Act) -> Result<Tensor> {
    act.apply(&x.broadcast_add(&per_channel(bias)?)?)
}

/// `pointwise_conv2d(x, weight) + bias + residual`.
pub fn pointwise_conv2d_bias_residual(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    residual: &Tensor,
) -> Result<Tensor> {
    bias_act(&pointwise_conv2d(x, weight)?, bias, Act::None)? + residual
}

/// Training-mode `BatchNorm` + activation with batch statistics over (N, H, W); returns the
/// output and the per-channel batch mean and biased variance (`[C]`, detached).
pub fn batch_norm_act_train(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    eps: f64,
    act: Act,
) -> Result<(Tensor, Tensor, Tensor)> {
    let mean = x.mean_keepdim((0, 2, 3))?;
    let centred = x.broadcast_sub(&mean)?;
    let var = centred.sqr()?.mean_keepdim((0, 2, 3))?;
    let normed = centred.broadcast_div(&(&var + eps)?.sqrt()?)?;
    let y = normed
        .broadcast_mul(&per_channel(gamma)?)?
        .broadcast_add(&per_channel(beta)?)?;
    Ok((
        act.apply(&y)?,
        mean.flatten_all()?.detach(),
        var.flatten_all()?.detach(),
    ))
}

/// Mean cross-entropy of `[N, C, H, W]` logits over the pixels of `[N, H, W]` labels that are not
/// `ignore`; 0 when every pixel is ignored.
pub fn cross_entropy_ignore(logits: &Tensor, labels: &Tensor, ignore: u32) -> Result<Tensor> {
    let labels = labels.to_dtype(DType::U32)?;
    let kept = labels.ne(f64::from(ignore))?;
    // Ignored pixels pick class 0, then weigh 0: gather needs an index in range everywhere.
    let index = kept.where_cond(&labels, &labels.zeros_like()?)?;
    let log_p = candle_nn::ops::log_softmax(logits, 1)?;
    let picked = log_p.gather(&index.unsqueeze(1)?, 1)?.squeeze(1)?;
    let weight = kept.to_dtype(DType::F32)?;
    let count = weight.sum_all()?.clamp(1f32, f32::MAX)?;
    (picked * weight)?.sum_all()?.neg()?.div(&count)
}

/// The `[input, out]` matrix of a bilinear resize along one axis (`align_corners = true`):
/// rows of `input` samples times it give rows of `out` samples.
fn resize_matrix(input: usize, output: usize, like: &Tensor) -> Result<Tensor> {
    let mut m = vec![0f32; input * output];
    for (o, (i0, i1, f)) in super::resize_taps(input, output).into_iter().enumerate() {
        m[i0 * output + o] += 1.0 - f;
        m[i1 * output + o] += f;
    }
    Tensor::from_vec(m, (input, output), like.device())
}

/// Bilinear resize of `[N, C, H, W]` to `[N, C, out_h, out_w]` with corner pixels aligned: two
/// matrix products, one per axis.
pub fn resize_bilinear(input: &Tensor, out_h: usize, out_w: usize) -> Result<Tensor> {
    let (n, c, h, w) = input.dims4()?;
    let along_x = resize_matrix(w, out_w, input)?;
    let along_y = resize_matrix(h, out_h, input)?;
    let x = input.reshape((n * c * h, w))?.matmul(&along_x)?;
    let y = x
        .reshape((n * c, h, out_w))?
        .transpose(1, 2)?
        .contiguous()?
        .reshape((n * c * out_w, h))?
        .matmul(&along_y)?;
    y.reshape((n * c, out_w, out_h))?
        .transpose(1, 2)?
        .contiguous()?
        .reshape((n, c, out_h, out_w))
}
