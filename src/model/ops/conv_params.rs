//! The stride, padding and dilation of a convolution, shared by the depthwise kernels and the dense
//! im2col convolution.

use candle_core::{Result, bail};

/// Stride, padding and dilation of a convolution (the depthwise kernels and the dense im2col conv in
/// `conv.rs`). Padding is applied on all four sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvParams {
    pub stride: usize,
    pub padding: usize,
    pub dilation: usize,
}

impl ConvParams {
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

    /// Output (height, width) for an `h`×`w` input and a `kh`×`kw` kernel, or an error naming
    /// `op` when stride or dilation is zero or the dilated kernel does not fit the padded input.
    pub(crate) fn output_size(
        &self,
        (h, w): (usize, usize),
        (kh, kw): (usize, usize),
        op: &str,
    ) -> Result<(usize, usize)> {
        if self.stride == 0 || self.dilation == 0 {
            bail!("{op}: stride and dilation must be positive");
        }
        if h + 2 * self.padding < self.dilation * (kh - 1) + 1
            || w + 2 * self.padding < self.dilation * (kw - 1) + 1
        {
            bail!("{op}: input {h}x{w} is smaller than the dilated kernel");
        }
        Ok((self.out_len(h, kh), self.out_len(w, kw)))
    }
}
