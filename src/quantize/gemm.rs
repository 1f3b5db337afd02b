//! The int8 matrix product behind every dense convolution: `u8` activations (with their zero
//! point) times `i8` weights, accumulated exactly in `i32`, and its epilogue. On AVX-512 VNNI our
//! own kernel ([`super::vnni`]) does both in one pass; elsewhere `rten-gemm` does the product with
//! packed weights and a kernel chosen at run time (ARM dot products, AVX2, portable) and the
//! epilogue follows block by block. Where `rten-gemm`'s kernel could saturate (AVX2's
//! `vpmaddubsw` adds pairs of products in 16 bits) the portable loop here runs instead, so the
//! result is exact on every CPU.

use rayon::prelude::*;
use rten_gemm::{GemmExecutor, GemmInputA, GemmInputB, GemmOptions, PackedBMatrix, QuantParams};
use rten_tensor::NdTensorView;

use super::kernels::{self, Epilogue};
use super::vnni::{Target, VnniWeights};

/// Weights `[K, N]` (K: inputs per output, N: output channels) ready for the product.
pub struct PackedWeights {
    k: usize,
    n: usize,
    /// Row-major `[K, N]`, for the portable path and for tests.
    plain: Vec<i8>,
    packed: Option<PackedBMatrix<i8>>,
    vnni: Option<VnniWeights>,
}

impl std::fmt::Debug for PackedWeights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PackedWeights({}×{}, packed: {}, vnni: {})",
            self.k,
            self.n,
            self.packed.is_some(),
            self.vnni.is_some()
        )
    }
}

/// Whether `rten-gemm`'s kernel on this CPU is exact for all `u8 × i8` inputs.
fn fast_path_is_exact(gemm: &GemmExecutor<u8, i8, i32>) -> bool {
    !gemm.may_saturate()
}

impl PackedWeights {
    /// `weights` in row-major `[K, N]`.
    pub fn new(weights: Vec<i8>, k: usize, n: usize) -> Self {
        assert_eq!(weights.len(), k * n, "weights must be K × N");
        let vnni = VnniWeights::new(&weights, k, n);
        let gemm = GemmExecutor::<u8, i8, i32>::default();
        let packed = (vnni.is_none() && fast_path_is_exact(&gemm))
            .then(|| gemm.prepack_b(NdTensorView::from_data([k, n], weights.as_slice())));
        Self {
            k,
            n,
            plain: weights,
            packed,
            vnni,
        }
    }

    /// The product of `a` (`[m, K]`, zero point `zero_point`) and its epilogue `e` into `target`.
    pub fn run(&self, a: &[u8], m: usize, zero_point: u8, e: &Epilogue, target: Target) {
        assert_eq!(a.len(), m * self.k, "activations must be M × K");
        if let Some(vnni) = &self.vnni {
            return vnni.run(a, m, self.k, zero_point, e, target);
        }
        match target {
            Target::Codes {
                out,
                inv_scale,
                zero_point: out_zero,
            } => self.blocked_requantize(a, zero_point, e, inv_scale, out_zero, out),
            Target::Uninit {
                out,
                inv_scale,
                zero_point: out_zero,
            } => {
                let codes = self.run_codes(a, m, zero_point, e, (inv_scale, out_zero));
                for (o, c) in out.iter_mut().zip(codes) {
                    o.write(c);
                }
            }
            Target::Real(out) => {
                out.copy_from_slice(&kernels::dequantize(&self.matmul(a, m, zero_point), e));
            }
            Target::Acc(out) => out.copy_from_slice(&self.matmul(a, m, zero_point)),
        }
    }

    /// The product and its epilogue into new codes on the grid (`inv_scale`, `out_zero`).
    pub fn run_codes(
        &self,
        a: &[u8],
        m: usize,
        zero_point: u8,
        e: &Epilogue,
        (inv_scale, out_zero): (f32, u8),
    ) -> Vec<u8> {
        assert_eq!(a.len(), m * self.k, "activations must be M × K");
        if let Some(vnni) = &self.vnni {
            return vnni.codes(a, m, self.k, zero_point, e, (inv_scale, out_zero));
        }
        let mut out = vec![0u8; m * self.n];
        self.blocked_requantize(a, zero_point, e, inv_scale, out_zero, &mut out);
        out
    }

    /// The product block by block of rows, each block's `i32` accumulators requantized while
    /// they are still in cache (instead of one pass writing them all to memory and a second
    /// reading them back).
    fn blocked_requantize(
        &self,
        a: &[u8],
        zero_point: u8,
        e: &Epilogue,
        inv_scale: f32,
        out_zero: u8,
        out: &mut [u8],
    ) {
        let (n, k) = (self.n, self.k);
        // About 256 kB of accumulators per block.
        let block = (65_536 / n.max(1)).clamp(16, 1024);
        out.par_chunks_mut(block * n)
            .zip(a.par_chunks(block * k))
            .enumerate()
            .for_each(|(i, (o, a))| {
                let m = o.len() / n;
                let acc = self.matmul(a, m, zero_point);
                let start = i * block * n;
                let part = Epilogue {
                    residual: e.residual.map(|(r, g)| (&r[start..start + o.len()], g)),
                    ..*e
                };
                kernels::requantize_block(&acc, &part, inv_scale, out_zero, o);
            });
    }

    pub fn n(&self) -> usize {
        self.n
    }

    /// `acc[m][n] = Σ_k (a[m][k] − zero_point) · w[k][n]` for `a` row-major `[M, K]`.
    pub fn matmul(&self, a: &[u8], m: usize, zero_point: u8) -> Vec<i32> {
        assert_eq!(a.len(), m * self.k, "activations must be M × K");
        let mut acc = vec![0i32; m * self.n];
        if let Some(vnni) = &self.vnni {
            let none = Epilogue {
                bias: &[],
                scale: &[],
                lo: 0.0,
                hi: 0.0,
                residual: None,
            };
            vnni.run(a, m, self.k, zero_point, &none, Target::Acc(&mut acc));
            return acc;
        }
        if let Some(packed) = &self.packed {
            let gemm = GemmExecutor::<u8, i8, i32>::default();
            let zeros = vec![zero_point; m];
            let result = gemm.gemm(
                &mut acc,
                GemmInputA::Unpacked(NdTensorView::from_data([m, self.k], a)),
                GemmInputB::Packed(packed),
                GemmOptions {
                    a_quant: Some(QuantParams { zero_point: &zeros }),
                    ..Default::default()
                },
            );
            if result.is_ok() {
                return acc;
            }
            // A packing made for another kernel cannot happen on one machine; fall through.
            acc.fill(0);
        }
        portable_matmul(a, m, zero_point, &self.plain, self.k, self.n, &mut acc);
        acc
    }

    /// The portable product, whatever the CPU (tests compare the two).
    pub fn matmul_portable(&self, a: &[u8], m: usize, zero_point: u8) -> Vec<i32> {
        let mut acc = vec![0i32; m * self.n];
        portable_matmul(a, m, zero_point, &self.plain, self.k, self.n, &mut acc);
        acc
    }

    /// Whether a fast kernel (ours on VNNI, else `rten-gemm`'s) is in use.
    pub fn is_packed(&self) -> bool {
        self.packed.is_some() || self.vnni.is_some()
    }
}

fn portable_matmul(a: &[u8], m: usize, zp: u8, w: &[i8], k: usize, n: usize, acc: &mut [i32]) {
    let zp = i32::from(zp);
    acc.par_chunks_mut(n)
        .enumerate()
        .take(m)
        .for_each(|(row, out)| {
            let a = &a[row * k..(row + 1) * k];
            for (kk, &q) in a.iter().enumerate() {
                let x = i32::from(q) - zp;
                if x == 0 {
                    continue;
                }
                for (o, &wv) in out.iter_mut().zip(&w[kk * n..(kk + 1) * n]) {
                    *o += x * i32::from(wv);
                }
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_product_equals_the_portable_one_and_a_hand_case() {
        // [1 × 2] (codes 5, 0 with zero point 2 → 3, -2) times [2 × 2] weights.
        let w = PackedWeights::new(vec![1, -1, 4, 127], 2, 2);
        assert_eq!(w.matmul_portable(&[5, 0], 1, 2), vec![3 - 8, -3 - 254]);
        assert_eq!(w.matmul(&[5, 0], 1, 2), vec![3 - 8, -3 - 254]);
        // Odd sizes exercise the kernels' edges; extreme codes their saturation.
        let (m, k, n) = (37, 75, 19);
        let a: Vec<u8> = (0..m * k)
            .map(|i| {
                if i % 7 == 0 {
                    255
                } else {
                    (i * 31 % 256) as u8
                }
            })
            .collect();
        let b: Vec<i8> = (0..k * n)
            .map(|i| {
                if i % 5 == 0 {
                    127
                } else {
                    ((i * 17 % 255) as i32 - 127) as i8
                }
            })
            .collect();
        let w = PackedWeights::new(b, k, n);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512vnni") {
            assert!(
                w.is_packed(),
                "VNNI is exact: rten-gemm's kernel should be in use"
            );
        }
        for zp in [0, 7, 128, 255] {
            assert_eq!(
                w.matmul(&a, m, zp),
                w.matmul_portable(&a, m, zp),
                "zero point {zp}"
            );
        }
    }

    /// The fused epilogue (VNNI here) against the scalar one on the portable product: codes with
    /// and without a residual, and the logits' f32, for sizes with every kind of edge.
    #[test]
    fn the_fused_epilogue_equals_the_scalar_one() {
        use crate::quantize::params::ActQuant;
        let (m, k, n) = (29, 36, 37);
        let a: Vec<u8> = (0..m * k).map(|i| (i * 89 % 256) as u8).collect();
        let b: Vec<i8> = (0..k * n)
            .map(|i| ((i * 53 % 255) as i32 - 127) as i8)
            .collect();
        let w = PackedWeights::new(b, k, n);
        let bias: Vec<i32> = (0..n as i32).map(|c| c * 97 - 1800).collect();
        let scale: Vec<f32> = (0..n).map(|c| 1e-4 * (1.0 + c as f32 / 7.0)).collect();
        let residual: Vec<u8> = (0..m * n).map(|i| (i * 7 % 256) as u8).collect();
        let grid = ActQuant {
            scale: 0.03,
            zero_point: 11,
        };
        for (lo, hi, res) in [
            (0.0, 6.0, false),
            (f32::NEG_INFINITY, f32::INFINITY, true),
            (0.0, 0.4, true),
        ] {
            let e = Epilogue {
                bias: &bias,
                scale: &scale,
                lo,
                hi,
                residual: res.then_some((residual.as_slice(), grid)),
            };
            let acc = w.matmul_portable(&a, m, 9);
            let mut codes = vec![0u8; m * n];
            let target = Target::Codes {
                out: &mut codes,
                inv_scale: 1.0 / 0.05,
                zero_point: 3,
            };
            w.run(&a, m, 9, &e, target);
            let want = kernels::requantize(&acc, &e, 1.0 / 0.05, 3);
            assert_eq!(codes, want, "codes, clamp {lo}..{hi}, residual {res}");
            assert_eq!(
                w.run_codes(&a, m, 9, &e, (1.0 / 0.05, 3)),
                want,
                "new codes"
            );
            assert!(want.iter().any(|&q| q > 3) && want.iter().any(|&q| q < 255));
            let mut real = vec![0f32; m * n];
            w.run(&a, m, 9, &e, Target::Real(&mut real));
            assert_eq!(real, kernels::dequantize(&acc, &e), "real, residual {res}");
        }
    }
}
