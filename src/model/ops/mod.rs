//! Custom CPU operations that close gaps in Candle 0.11: a fast depthwise convolution (plain
//! and fused with bias + activation), a single-node 1×1 convolution, a differentiable bilinear
//! resize (`align_corners = true`), a cross-entropy that skips an ignore label, a fused
//! training-mode `BatchNorm` + activation and an eval-mode bias + activation. Each has a
//! hand-written backward pass.
//!
//! The kernels run on CPU storage. On any other device (a CUDA build's GPU) each op takes its
//! [`portable`] twin instead, composed from Candle's own ops and differentiated by Candle.

mod act;
mod batchnorm;
mod conv;
mod conv_params;
mod depthwise;
mod fused;
mod gemm;
mod loss;
mod pointwise;
pub mod portable;
mod resize;

pub use act::Act;
pub use batchnorm::{BatchNormTrain, batch_norm_act_train};
pub use conv::conv2d as conv2d_im2col;
pub use conv_params::ConvParams;
pub use depthwise::{depthwise_conv2d, depthwise_conv2d_act_bias_act, depthwise_conv2d_bias_act};
pub use fused::bias_act;
pub use loss::cross_entropy_ignore;
pub use pointwise::{pointwise_conv2d, pointwise_conv2d_bias_act, pointwise_conv2d_bias_residual};
pub use portable::with_portable_kernels;
pub use resize::resize_bilinear;
pub(crate) use resize::taps as resize_taps;

use candle_core::{CpuStorage, Layout, Result, backend::BackendStorage, bail};

/// Borrows the f32 data of a contiguous CPU tensor as a slice.
pub(crate) fn f32_slice<'a>(
    storage: &'a CpuStorage,
    layout: &Layout,
    op: &str,
) -> Result<&'a [f32]> {
    let CpuStorage::F32(data) = storage else {
        bail!("{op}: expected f32 data, got {:?}", storage.dtype());
    };
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => bail!("{op}: input must be contiguous"),
    }
}

/// Dot product with eight independent accumulators so the compiler can vectorise it
/// (a plain `iter().sum()` must keep the sequential rounding order and stays scalar).
// Always inlined: it must be compiled into the AVX2 clones of its multiversioned callers.
#[inline(always)]
#[expect(
    clippy::inline_always,
    reason = "must be compiled into the AVX2 clones of its multiversioned callers"
)]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in ca.by_ref().zip(cb.by_ref()) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    acc.iter().sum::<f32>() + tail
}

/// `dst += alpha * src`, element-wise over the common length.
// Always inlined: it must be compiled into the AVX2 clones of its multiversioned callers.
#[inline(always)]
#[expect(
    clippy::inline_always,
    reason = "must be compiled into the AVX2 clones of its multiversioned callers"
)]
pub(crate) fn axpy(dst: &mut [f32], alpha: f32, src: &[f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += alpha * s;
    }
}
