//! The int8 matrix product behind every dense convolution: `u8` activations (with their zero
//! point) times `i8` weights, accumulated exactly in `i32`. `rten-gemm` does it with packed weights
//! and a kernel chosen at run time (AVX-512 VNNI `vpdpbusd`, AVX2, portable); where its kernel
//! could saturate (AVX2's `vpmaddubsw` adds pairs of products in 16 bits) the portable loop here
//! runs instead, so the result is exact on every CPU.

use rten_gemm::{GemmExecutor, GemmInputA, GemmInputB, GemmOptions, PackedBMatrix, QuantParams};
use rten_tensor::NdTensorView;

/// Weights `[K, N]` (K: inputs per output, N: output channels) ready for the product.
pub struct PackedWeights {
    k: usize,
    n: usize,
    /// Row-major `[K, N]`, for the portable path and for tests.
    plain: Vec<i8>,
    packed: Option<PackedBMatrix<i8>>,
}

impl std::fmt::Debug for PackedWeights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PackedWeights({}×{}, packed: {})",
            self.k,
            self.n,
            self.packed.is_some()
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
        let gemm = GemmExecutor::<u8, i8, i32>::default();
        let packed = fast_path_is_exact(&gemm)
            .then(|| gemm.prepack_b(NdTensorView::from_data([k, n], weights.as_slice())));
        Self {
            k,
            n,
            plain: weights,
            packed,
        }
    }

    pub fn n(&self) -> usize {
        self.n
    }

    /// `acc[m][n] = Σ_k (a[m][k] − zero_point) · w[k][n]` for `a` row-major `[M, K]`.
    pub fn matmul(&self, a: &[u8], m: usize, zero_point: u8) -> Vec<i32> {
        assert_eq!(a.len(), m * self.k, "activations must be M × K");
        let mut acc = vec![0i32; m * self.n];
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

    /// Whether the fast kernel is in use.
    pub fn is_packed(&self) -> bool {
        self.packed.is_some()
    }
}

fn portable_matmul(a: &[u8], m: usize, zp: u8, w: &[i8], k: usize, n: usize, acc: &mut [i32]) {
    use rayon::prelude::*;
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
}
