//! The integer kernels that are not a matrix product, on channels-last (`[H][W][C]`) `u8` maps of
//! one image: the depthwise convolution (accumulated exactly in `i32`, `Σ w · (q − zero_point)`),
//! im2col for the dense k×k convolutions (padding written as the zero point, so it adds nothing),
//! and the requantizing epilogue. Channels-last puts a pixel's channels side by side, which is
//! what the matrix product wants as rows and what lets these loops run over channels in SIMD
//! lanes (compiled for AVX-512 and AVX2 as well as the baseline, chosen at run time).

use multiversion::multiversion;
use rayon::prelude::*;

use super::depthwise_vnni::DepthwisePacked;
use super::params::ActQuant;
use crate::model::ops::ConvParams;

/// A `u8` feature map of one image, channels last.
#[derive(Clone, Copy, Debug)]
pub struct Plane<'a> {
    pub data: &'a [u8],
    pub channels: usize,
    pub h: usize,
    pub w: usize,
    pub zero_point: u8,
}

/// A depthwise convolution's weights: tap-major `[k·k][C]` for the portable loop, and packed for
/// the AVX-512 VNNI kernel where it runs.
#[derive(Debug)]
pub struct DepthwiseWeights {
    pub taps: Vec<i32>,
    pub k: usize,
    simd: Option<DepthwisePacked>,
}

impl DepthwiseWeights {
    /// `weight` as `[C][1][k][k]`.
    pub fn new(weight: &[i8], channels: usize, k: usize) -> Self {
        Self {
            taps: depthwise_taps(weight, channels, k),
            k,
            simd: DepthwisePacked::new(weight, channels, k),
        }
    }

    /// The portable loop only, whatever the CPU (tests compare the two).
    pub fn portable(weight: &[i8], channels: usize, k: usize) -> Self {
        Self {
            taps: depthwise_taps(weight, channels, k),
            k,
            simd: None,
        }
    }

    /// Whether the SIMD kernel computes some channels.
    pub fn is_simd(&self) -> bool {
        self.simd.is_some()
    }

    /// Output row `oy`'s accumulators: whole blocks of channels by the SIMD kernel, the rest by
    /// the portable loop.
    fn row(&self, x: Plane, params: ConvParams, oy: usize, row: &mut [i32]) {
        let from = match &self.simd {
            Some(simd) => {
                simd.row(x, params, oy, row);
                simd.channels()
            }
            None => 0,
        };
        if from < x.channels {
            depthwise_row(x, &self.taps, self.k, params, oy, from, row);
        }
    }
}

/// Depthwise k×k convolution. Returns `[oh][ow][C]` accumulators.
pub fn depthwise(
    x: Plane,
    weight: &DepthwiseWeights,
    params: ConvParams,
) -> (Vec<i32>, usize, usize) {
    let k = weight.k;
    let (oh, ow) = (params.out_len(x.h, k), params.out_len(x.w, k));
    let c = x.channels;
    let mut acc = vec![0i32; oh * ow * c];
    acc.par_chunks_mut(ow * c)
        .enumerate()
        .for_each(|(oy, row)| weight.row(x, params, oy, row));
    (acc, oh, ow)
}

/// `[C][1][k][k]` weights as `[k·k][C]` in `i32`, so that a tap multiplies a pixel's channels at
/// once.
fn depthwise_taps(weight: &[i8], channels: usize, k: usize) -> Vec<i32> {
    let mut t = vec![0i32; k * k * channels];
    for c in 0..channels {
        for tap in 0..k * k {
            t[tap * channels + c] = i32::from(weight[c * k * k + tap]);
        }
    }
    t
}

/// Depthwise k×k convolution with its epilogue, row by row (each row's accumulators are
/// requantized while they are in cache): `[oh][ow][C]` codes on the grid (`inv_scale`,
/// `zero_point`).
pub fn depthwise_requantize(
    x: Plane,
    weight: &DepthwiseWeights,
    params: ConvParams,
    e: &Epilogue,
    inv_scale: f32,
    zero_point: u8,
) -> (Vec<u8>, usize, usize) {
    let k = weight.k;
    let (oh, ow) = (params.out_len(x.h, k), params.out_len(x.w, k));
    let c = x.channels;
    let mut out = vec![0u8; oh * ow * c];
    out.par_chunks_mut(ow * c).enumerate().for_each_init(
        || vec![0i32; ow * c],
        |acc, (oy, o)| {
            weight.row(x, params, oy, acc);
            let start = oy * ow * c;
            let row = Epilogue {
                residual: e.residual.map(|(r, g)| (&r[start..start + o.len()], g)),
                ..*e
            };
            requantize_block(acc, &row, inv_scale, zero_point, o);
        },
    );
    (out, oh, ow)
}

/// Channels whose accumulators one pass over a pixel's taps keeps in registers.
const DEPTHWISE_CHUNK: usize = 32;

/// One output row, channels `from..C`: per pixel and per chunk of 32 channels, the accumulators
/// stay in registers through all k×k taps; the taps inside the map are listed once per pixel.
#[multiversion(targets("x86_64+avx512f+avx512bw", "x86_64+avx2+fma"))]
fn depthwise_row(
    x: Plane,
    weight: &[i32],
    k: usize,
    params: ConvParams,
    oy: usize,
    from: usize,
    row: &mut [i32],
) {
    let c = x.channels;
    let (s, d, pad) = (params.stride, params.dilation, params.padding as isize);
    let zp = i32::from(x.zero_point);
    let ow = row.len() / c;
    // (input offset of the pixel's channel 0, tap index) of the taps inside the map.
    let mut taps: Vec<(usize, usize)> = Vec::with_capacity(k * k);
    for (ox, dst) in row.chunks_exact_mut(c).enumerate().take(ow) {
        taps.clear();
        for ky in 0..k {
            let iy = (oy * s + ky * d) as isize - pad;
            if iy < 0 || iy >= x.h as isize {
                continue;
            }
            for kx in 0..k {
                let ix = (ox * s + kx * d) as isize - pad;
                if ix >= 0 && ix < x.w as isize {
                    taps.push(((iy as usize * x.w + ix as usize) * c, ky * k + kx));
                }
            }
        }
        let mut c0 = from;
        while c0 + DEPTHWISE_CHUNK <= c {
            let mut acc = [0i32; DEPTHWISE_CHUNK];
            for &(at, tap) in &taps {
                let src = &x.data[at + c0..at + c0 + DEPTHWISE_CHUNK];
                let w = &weight[tap * c + c0..tap * c + c0 + DEPTHWISE_CHUNK];
                for j in 0..DEPTHWISE_CHUNK {
                    acc[j] += w[j] * (i32::from(src[j]) - zp);
                }
            }
            dst[c0..c0 + DEPTHWISE_CHUNK].copy_from_slice(&acc);
            c0 += DEPTHWISE_CHUNK;
        }
        if c0 < c {
            let rest = &mut dst[c0..];
            rest.fill(0);
            for &(at, tap) in &taps {
                let src = &x.data[at + c0..at + c];
                let w = &weight[tap * c + c0..(tap + 1) * c];
                for ((a, &q), &wv) in rest.iter_mut().zip(src).zip(w) {
                    *a += wv * (i32::from(q) - zp);
                }
            }
        }
    }
}

/// The k×k patches of every output pixel as rows `[oh·ow][row_len]` (tap-major, channels inner;
/// `row_len` ≥ k·k·C, see [`dense_rows`]), taps in the padding set to the zero point.
pub fn im2col(x: Plane, k: usize, params: ConvParams, row_len: usize) -> (Vec<u8>, usize, usize) {
    let (oh, ow) = (params.out_len(x.h, k), params.out_len(x.w, k));
    let c = x.channels;
    assert!(row_len >= k * k * c, "an im2col row holds a whole patch");
    let cols = row_len;
    let (s, d, pad) = (params.stride, params.dilation, params.padding as isize);
    let mut out = vec![x.zero_point; oh * ow * cols];
    out.par_chunks_mut(ow * cols)
        .enumerate()
        .for_each(|(oy, rows)| {
            for ox in 0..ow {
                let patch = &mut rows[ox * cols..(ox + 1) * cols];
                for ky in 0..k {
                    let iy = (oy * s + ky * d) as isize - pad;
                    if iy < 0 || iy >= x.h as isize {
                        continue;
                    }
                    for kx in 0..k {
                        let ix = (ox * s + kx * d) as isize - pad;
                        if ix < 0 || ix >= x.w as isize {
                            continue;
                        }
                        let at = (iy as usize * x.w + ix as usize) * c;
                        patch[(ky * k + kx) * c..(ky * k + kx + 1) * c]
                            .copy_from_slice(&x.data[at..at + c]);
                    }
                }
            }
        });
    (out, oh, ow)
}

/// The rows of the dense weight matrix: k·k·Cin rounded up to a multiple of 4, so that the VNNI
/// kernel's 4-byte reads of an [`im2col`] row stay inside it (the extra rows weigh 0).
pub fn dense_rows(cin: usize, k: usize) -> usize {
    (k * k * cin).next_multiple_of(4)
}

/// `[Cout][Cin][k][k]` weights as the `[dense_rows][Cout]` matrix that multiplies [`im2col`] rows.
pub fn dense_matrix(weight: &[i8], cout: usize, cin: usize, k: usize) -> Vec<i8> {
    let rows = dense_rows(cin, k);
    let mut m = vec![0i8; rows * cout];
    for co in 0..cout {
        for ci in 0..cin {
            for tap in 0..k * k {
                m[(tap * cin + ci) * cout + co] = weight[(co * cin + ci) * k * k + tap];
            }
        }
    }
    m
}

/// How one convolution's accumulators become its output: per output channel `c`,
/// `real = clamp((acc + bias[c]) · scale[c], lo, hi) + residual`, then onto the output grid
/// (`1 / out_scale`, `out_zero`) or kept as f32.
#[derive(Clone, Copy)]
pub struct Epilogue<'a> {
    pub bias: &'a [i32],
    pub scale: &'a [f32],
    pub lo: f32,
    pub hi: f32,
    /// The residual's codes (same layout as the output) and their grid.
    pub residual: Option<(&'a [u8], ActQuant)>,
}

/// The epilogue into `u8` codes on the grid (`inv_scale`, `zero_point`).
pub fn requantize(acc: &[i32], e: &Epilogue, inv_scale: f32, zero_point: u8) -> Vec<u8> {
    const PIXELS: usize = 256;
    let c = e.bias.len();
    let zp = f32::from(zero_point);
    // Without a residual the whole epilogue is one multiply-add per element in the code domain:
    // q = clamp(round((acc + bias)·m + zp), the codes of lo and hi).
    let multiplier: Vec<f32> = e.scale.iter().map(|s| s * inv_scale).collect();
    let bounds = (
        (e.lo * inv_scale + zp).max(0.0),
        (e.hi * inv_scale + zp).min(255.0),
    );
    let mut out = vec![0u8; acc.len()];
    out.par_chunks_mut(c * PIXELS)
        .zip(acc.par_chunks(c * PIXELS))
        .enumerate()
        .for_each(|(i, (o, a))| match e.residual {
            None => requantize_plain(a, e.bias, &multiplier, zp, bounds, o),
            Some((r, grid)) => {
                let r = &r[i * c * PIXELS..i * c * PIXELS + a.len()];
                requantize_residual(a, e, r, grid, inv_scale, zp, o);
            }
        });
    out
}

/// The epilogue of one block of rows into `out` on this thread (the caller parallelises over
/// blocks, so that a block's accumulators are still in cache).
pub fn requantize_block(acc: &[i32], e: &Epilogue, inv_scale: f32, zero_point: u8, out: &mut [u8]) {
    let zp = f32::from(zero_point);
    match e.residual {
        None => {
            let multiplier: Vec<f32> = e.scale.iter().map(|s| s * inv_scale).collect();
            let bounds = (
                (e.lo * inv_scale + zp).max(0.0),
                (e.hi * inv_scale + zp).min(255.0),
            );
            requantize_plain(acc, e.bias, &multiplier, zp, bounds, out);
        }
        Some((r, grid)) => requantize_residual(acc, e, r, grid, inv_scale, zp, out),
    }
}

#[multiversion(targets("x86_64+avx512f+avx512bw", "x86_64+avx2+fma"))]
fn requantize_plain(
    acc: &[i32],
    bias: &[i32],
    multiplier: &[f32],
    zero_point: f32,
    (lo, hi): (f32, f32),
    out: &mut [u8],
) {
    let c = bias.len();
    for (o, a) in out.chunks_exact_mut(c).zip(acc.chunks_exact(c)) {
        for j in 0..c {
            let q = ((a[j] + bias[j]) as f32).mul_add(multiplier[j], zero_point);
            o[j] = round_to_code(q.clamp(lo, hi));
        }
    }
}

#[multiversion(targets("x86_64+avx512f+avx512bw", "x86_64+avx2+fma"))]
fn requantize_residual(
    acc: &[i32],
    e: &Epilogue,
    residual: &[u8],
    grid: ActQuant,
    inv_scale: f32,
    zero_point: f32,
    out: &mut [u8],
) {
    let c = e.bias.len();
    let mut real = vec![0f32; c];
    for ((o, a), r) in out
        .chunks_exact_mut(c)
        .zip(acc.chunks_exact(c))
        .zip(residual.chunks_exact(c))
    {
        for j in 0..c {
            real[j] = ((a[j] + e.bias[j]) as f32 * e.scale[j]).clamp(e.lo, e.hi);
        }
        for j in 0..c {
            real[j] += grid.dequantize(r[j]);
        }
        for j in 0..c {
            o[j] = round_to_code(real[j].mul_add(inv_scale, zero_point).clamp(0.0, 255.0));
        }
    }
}

/// The nearest code (ties to even) of `q` in [0, 255]. Adding 1.5·2²³ leaves the rounded integer
/// in the low mantissa bits: one add and a bit cast, which vectorise, where Rust's saturating
/// float-to-integer casts compile to a scalar compare-and-branch per element.
// Always inlined: it must be compiled into the SIMD clones of its multiversioned callers.
#[inline(always)]
fn round_to_code(q: f32) -> u8 {
    const SHIFT: f32 = 12_582_912.0;
    (q + SHIFT).to_bits() as u8
}

/// A planar f32 image `[C][H·W]` as channels-last codes on the grid (`inv_scale`, `zero_point`).
#[multiversion(targets("x86_64+avx512f+avx512bw", "x86_64+avx2+fma"))]
pub fn quantize_planar(x: &[f32], channels: usize, inv_scale: f32, zero_point: u8) -> Vec<u8> {
    let plane = x.len() / channels;
    let zp = f32::from(zero_point);
    let mut out = vec![0u8; x.len()];
    for c in 0..channels {
        let src = &x[c * plane..(c + 1) * plane];
        for (p, &v) in src.iter().enumerate() {
            out[p * channels + c] = round_to_code(v.mul_add(inv_scale, zp).clamp(0.0, 255.0));
        }
    }
    out
}

/// The epilogue into f32 (the logits).
pub fn dequantize(acc: &[i32], e: &Epilogue) -> Vec<f32> {
    let c = e.bias.len();
    acc.chunks(c)
        .enumerate()
        .flat_map(|(p, a)| {
            (0..c).map(move |j| {
                let mut real = ((a[j] + e.bias[j]) as f32 * e.scale[j]).clamp(e.lo, e.hi);
                if let Some((r, grid)) = e.residual {
                    real += grid.dequantize(r[p * c + j]);
                }
                real
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One output of a convolution by the definition, channels last, padding read as the zero
    /// point; `depthwise` uses one input channel per output channel.
    fn by_definition(
        x: Plane,
        weight: &[i8],
        cout: usize,
        k: usize,
        p: ConvParams,
        depthwise: bool,
    ) -> Vec<i32> {
        let (oh, ow) = (p.out_len(x.h, k), p.out_len(x.w, k));
        let c = x.channels;
        let mut out = vec![0i32; oh * ow * cout];
        for oy in 0..oh {
            for ox in 0..ow {
                for co in 0..cout {
                    let inputs: Vec<usize> = if depthwise {
                        vec![co]
                    } else {
                        (0..c).collect()
                    };
                    let mut a = 0i32;
                    for (j, &ci) in inputs.iter().enumerate() {
                        for ky in 0..k {
                            for kx in 0..k {
                                let iy =
                                    (oy * p.stride + ky * p.dilation) as isize - p.padding as isize;
                                let ix =
                                    (ox * p.stride + kx * p.dilation) as isize - p.padding as isize;
                                let inside =
                                    iy >= 0 && ix >= 0 && iy < x.h as isize && ix < x.w as isize;
                                let q = if inside {
                                    x.data[(iy as usize * x.w + ix as usize) * c + ci]
                                } else {
                                    x.zero_point
                                };
                                let per = if depthwise { 1 } else { c };
                                let wv = weight[((co * per + j) * k + ky) * k + kx];
                                a += i32::from(wv) * (i32::from(q) - i32::from(x.zero_point));
                            }
                        }
                    }
                    out[(oy * ow + ox) * cout + co] = a;
                }
            }
        }
        out
    }

    fn codes(n: usize, seed: u32) -> Vec<u8> {
        (0..n as u32)
            .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 13) as u8)
            .collect()
    }

    fn weights(n: usize, seed: u32) -> Vec<i8> {
        codes(n, seed)
            .into_iter()
            .map(|v| (v as i8).max(-127))
            .collect()
    }

    #[test]
    fn depthwise_and_im2col_products_match_the_definition() {
        let (c, h, w, zp) = (5, 9, 11, 37);
        let data = codes(c * h * w, 1);
        let x = Plane {
            data: &data,
            channels: c,
            h,
            w,
            zero_point: zp,
        };
        for (k, stride, dilation) in [(3, 1, 1), (3, 2, 1), (3, 1, 2), (3, 2, 3), (1, 2, 1)] {
            let p = ConvParams::same(k, stride, dilation);
            let wd = weights(c * k * k, 3);
            let (got, _, _) = depthwise(x, &DepthwiseWeights::new(&wd, c, k), p);
            assert_eq!(
                got,
                by_definition(x, &wd, c, k, p, true),
                "depthwise k {k} stride {stride} dilation {dilation}"
            );
            // Fused row by row, the epilogue gives what it gives on the whole map.
            let residual = codes(got.len(), 5);
            let e = Epilogue {
                bias: &[3, -2, 0, 7, 1],
                scale: &[0.01, 0.02, 0.03, 0.015, 0.05],
                lo: 0.0,
                hi: 6.0,
                residual: Some((
                    &residual,
                    ActQuant {
                        scale: 0.02,
                        zero_point: 9,
                    },
                )),
            };
            let (fused, _, _) =
                depthwise_requantize(x, &DepthwiseWeights::new(&wd, c, k), p, &e, 10.0, 4);
            assert_eq!(
                fused,
                requantize(&got, &e, 10.0, 4),
                "fused depthwise k {k}"
            );
            let cout = 4;
            let wk = weights(cout * c * k * k, 4);
            let (cols, oh, ow) = im2col(x, k, p, dense_rows(c, k));
            let m = super::super::gemm::PackedWeights::new(
                dense_matrix(&wk, cout, c, k),
                dense_rows(c, k),
                cout,
            );
            assert_eq!(
                m.matmul(&cols, oh * ow, zp),
                by_definition(x, &wk, cout, k, p, false),
                "dense k {k} stride {stride} dilation {dilation}"
            );
        }
    }

    #[test]
    fn the_simd_depthwise_matches_the_definition() {
        // 80 channels: two whole blocks for the SIMD kernel and 16 for the portable loop.
        let (c, h, w, zp) = (80, 7, 9, 200);
        let data = codes(c * h * w, 11);
        let x = Plane {
            data: &data,
            channels: c,
            h,
            w,
            zero_point: zp,
        };
        for (k, stride, dilation) in [(3, 1, 1), (3, 2, 1), (3, 1, 2), (5, 1, 1)] {
            let p = ConvParams::same(k, stride, dilation);
            let mut wd = weights(c * k * k, 7);
            wd[0] = -127;
            wd[1] = 127;
            let packed = DepthwiseWeights::new(&wd, c, k);
            #[cfg(target_arch = "x86_64")]
            if super::super::vnni::available() {
                assert!(
                    packed.is_simd(),
                    "AVX-512 VNNI here: the SIMD kernel should run"
                );
            }
            let (got, _, _) = depthwise(x, &packed, p);
            assert_eq!(
                got,
                by_definition(x, &wd, c, k, p, true),
                "k {k} stride {stride} dilation {dilation}"
            );
            let (portable, _, _) = depthwise(x, &DepthwiseWeights::portable(&wd, c, k), p);
            assert_eq!(got, portable);
        }
    }

    #[test]
    fn codes_round_to_even_like_onnx() {
        for (q, want) in [
            (0.0, 0),
            (0.5, 0),
            (1.5, 2),
            (2.5, 2),
            (254.49, 254),
            (254.5, 254),
            (255.0, 255),
            (127.51, 128),
        ] {
            assert_eq!(round_to_code(q), want, "{q}");
        }
    }

    #[test]
    fn epilogue_by_hand() {
        // Two pixels × two channels; channel 1 has a ReLU6-like clamp at 1.0 and a residual.
        // Residual codes on a grid of 0.5 with zero point 0.
        let grid = ActQuant {
            scale: 0.5,
            zero_point: 0,
        };
        let residual = [0u8, 2, 0, 4];
        let e = Epilogue {
            bias: &[1, -1],
            scale: &[0.5, 0.25],
            lo: 0.0,
            hi: 1.0,
            residual: Some((&residual, grid)),
        };
        // (3+1)·0.5 = 2 → 1 (clamp), + 0 = 1; (5−1)·0.25 = 1, + 1 = 2; (−9+1)·0.5 → 0; (1−1)·0.25 = 0, + 2.
        let real = dequantize(&[3, 5, -9, 1], &e);
        assert_eq!(real, vec![1.0, 2.0, 0.0, 2.0]);
        // On a grid of 0.1 with zero point 10: 1 → 20, 2 → 30, 0 → 10.
        assert_eq!(
            requantize(&[3, 5, -9, 1], &e, 10.0, 10),
            vec![20, 30, 10, 30]
        );
    }
}
