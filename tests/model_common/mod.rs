//! Helpers shared by the integration tests: seeded data and naive reference implementations.
#![allow(
    dead_code,
    reason = "each test binary uses a different subset of the helpers"
)]

use candle_core::{Device, Result, Tensor};
use segstudio::model::ops::ConvParams;

/// (n, c, h, w, k, stride, padding, dilation)
pub type DwCase = (usize, usize, usize, usize, usize, usize, usize, usize);
/// The depthwise shapes the backbones use (stride 2, dilation, 5x5) and odd ones.
pub const DW_CASES: &[DwCase] = &[
    (2, 3, 9, 11, 3, 1, 1, 1),
    (1, 4, 17, 19, 3, 2, 1, 1),
    (2, 3, 13, 12, 3, 1, 2, 2),
    (1, 2, 17, 19, 3, 2, 2, 2),
    (1, 3, 10, 9, 5, 1, 2, 1),
    (1, 2, 8, 8, 3, 1, 6, 6),
    (1, 2, 7, 9, 1, 2, 0, 1),
    (2, 2, 9, 10, 3, 2, 0, 1),
    (1, 2, 12, 12, 3, 2, 1, 1),
];

/// Case `i` of [`DW_CASES`]: seeded input and weights, the naive reference's output, and the
/// convolution's parameters.
pub fn depthwise_case(i: usize) -> Result<(Tensor, Tensor, Tensor, ConvParams)> {
    let (n, c, h, w, k, stride, padding, dilation) = DW_CASES[i];
    let x = values(n * c * h * w, 1 + i as u64);
    let wt = values(c * k * k, 100 + i as u64);
    let (want, ho, wo) = depthwise_naive(&x, (n, c, h, w), &wt, k, stride, padding, dilation);
    Ok((
        Tensor::from_vec(x, (n, c, h, w), &Device::Cpu)?,
        Tensor::from_vec(wt, (c, 1, k, k), &Device::Cpu)?,
        Tensor::from_vec(want, (n, c, ho, wo), &Device::Cpu)?,
        conv_params(stride, padding, dilation),
    ))
}

pub fn conv_params(stride: usize, padding: usize, dilation: usize) -> ConvParams {
    ConvParams {
        stride,
        padding,
        dilation,
    }
}

/// Deterministic pseudo-random f32 values in [-1, 1) (xorshift; no extra crates).
pub fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

pub fn tensor(shape: &[usize], seed: u64) -> Result<Tensor> {
    Tensor::from_vec(values(shape.iter().product(), seed), shape, &Device::Cpu)
}

pub fn max_abs_diff(a: &Tensor, b: &Tensor) -> Result<f32> {
    a.sub(b)?.abs()?.flatten_all()?.max(0)?.to_scalar::<f32>()
}

/// Naive depthwise convolution: one bounds-checked multiply-add per tap and output pixel.
pub fn depthwise_naive(
    x: &[f32],
    (n, c, h, w): (usize, usize, usize, usize),
    wt: &[f32],
    k: usize,
    stride: usize,
    pad: usize,
    dil: usize,
) -> (Vec<f32>, usize, usize) {
    let ho = (h + 2 * pad - dil * (k - 1) - 1) / stride + 1;
    let wo = (w + 2 * pad - dil * (k - 1) - 1) / stride + 1;
    let mut out = vec![0f32; n * c * ho * wo];
    for b in 0..n {
        for ch in 0..c {
            for oy in 0..ho {
                for ox in 0..wo {
                    let mut acc = 0f64;
                    for ki in 0..k {
                        for kj in 0..k {
                            let iy = (oy * stride + ki * dil) as isize - pad as isize;
                            let ix = (ox * stride + kj * dil) as isize - pad as isize;
                            if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                continue;
                            }
                            let xv = x[((b * c + ch) * h + iy as usize) * w + ix as usize];
                            acc += f64::from(xv) * f64::from(wt[(ch * k + ki) * k + kj]);
                        }
                    }
                    out[((b * c + ch) * ho + oy) * wo + ox] = acc as f32;
                }
            }
        }
    }
    (out, ho, wo)
}

/// Naive bilinear resize with aligned corners, computed in f64 per output pixel.
pub fn resize_naive(
    x: &[f32],
    (n, c, h, w): (usize, usize, usize, usize),
    oh: usize,
    ow: usize,
) -> Vec<f32> {
    let src = |o: usize, out: usize, inp: usize| {
        if out > 1 {
            o as f64 * (inp - 1) as f64 / (out - 1) as f64
        } else {
            0.0
        }
    };
    let mut out = vec![0f32; n * c * oh * ow];
    for p in 0..n * c {
        for oy in 0..oh {
            let sy = src(oy, oh, h);
            let y0 = (sy.floor() as usize).min(h - 1);
            let y1 = (y0 + 1).min(h - 1);
            let fy = sy - y0 as f64;
            for ox in 0..ow {
                let sx = src(ox, ow, w);
                let x0 = (sx.floor() as usize).min(w - 1);
                let x1 = (x0 + 1).min(w - 1);
                let fx = sx - x0 as f64;
                let at = |y: usize, xx: usize| f64::from(x[(p * h + y) * w + xx]);
                let v = (1.0 - fy) * ((1.0 - fx) * at(y0, x0) + fx * at(y0, x1))
                    + fy * ((1.0 - fx) * at(y1, x0) + fx * at(y1, x1));
                out[(p * oh + oy) * ow + ox] = v as f32;
            }
        }
    }
    out
}

/// Naive masked cross-entropy in f64.
pub fn cross_entropy_naive(
    logits: &[f32],
    (n, c, h, w): (usize, usize, usize, usize),
    labels: &[u32],
    ignore: u32,
) -> f64 {
    let hw = h * w;
    let (mut total, mut count) = (0f64, 0usize);
    for b in 0..n {
        for p in 0..hw {
            let l = labels[b * hw + p];
            if l == ignore {
                continue;
            }
            let z: Vec<f64> = (0..c)
                .map(|k| f64::from(logits[(b * c + k) * hw + p]))
                .collect();
            let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lse = m + z.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
            total += lse - z[l as usize];
            count += 1;
        }
    }
    if count == 0 {
        0.0
    } else {
        total / count as f64
    }
}
