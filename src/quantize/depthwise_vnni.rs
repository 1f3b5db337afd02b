//! The depthwise convolution in AVX-512 VNNI for whole blocks of 32 channels, one tap at a
//! time, on the `u8` codes as they lie: `vpdpbusd` multiplies the 32 codes of a tap by four
//! weight vectors, each holding one channel of every group of four (the other three bytes zero),
//! so accumulator j collects channels 4i + j. No widening or interleaving of taps (an earlier
//! `vpdpwssd` version paired taps after `vpmovzxbw` and `vpunpck`: as fast, more code). perf
//! shows the loop waiting on `vpdpbusd`'s latency; splitting even and odd taps into eight
//! chains measured no faster. A tap outside the map reads a row of
//! zero-point codes, so every pixel has all k×k taps and the zero point's share `z · Σ w` is
//! one subtraction per channel. Channels past the last whole block are left to the portable
//! loop (`kernels`).
//!
//! `unsafe` here is intrinsics on raw pointers, each block with the bounds that make it sound;
//! `kernels`' tests hold it to the convolution by definition.

/// Channels of one block.
const BLOCK: usize = 32;

/// Depthwise weights packed for the kernel.
pub struct DepthwisePacked {
    k: usize,
    blocks: usize,
    /// Per block, per tap, four vectors of 32 bytes: vector j holds `w[4i + j]` at byte
    /// `4i + j` and zeros elsewhere.
    packed: Vec<i8>,
    /// `Σ_taps w` per channel of the blocks.
    sums: Vec<i32>,
}

impl std::fmt::Debug for DepthwisePacked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DepthwisePacked({}×{}, {} blocks)",
            self.k, self.k, self.blocks
        )
    }
}

impl DepthwisePacked {
    /// `weight` as `[C][1][k][k]`; `None` where the CPU lacks AVX-512 VNNI or C < 32.
    pub fn new(weight: &[i8], channels: usize, k: usize) -> Option<Self> {
        let blocks = channels / BLOCK;
        if blocks == 0 || !super::vnni::available() {
            return None;
        }
        let taps = k * k;
        let w = |c: usize, t: usize| weight[c * taps + t];
        let mut packed = vec![0i8; blocks * taps * 4 * BLOCK];
        for b in 0..blocks {
            for t in 0..taps {
                for j in 0..4 {
                    let vector = ((b * taps + t) * 4 + j) * BLOCK;
                    for i in 0..BLOCK / 4 {
                        packed[vector + 4 * i + j] = w(b * BLOCK + 4 * i + j, t);
                    }
                }
            }
        }
        let sums = (0..blocks * BLOCK)
            .map(|c| (0..taps).map(|t| i32::from(w(c, t))).sum())
            .collect();
        Some(Self {
            k,
            blocks,
            packed,
            sums,
        })
    }

    /// The channels the kernel computes (whole blocks from channel 0).
    pub fn channels(&self) -> usize {
        self.blocks * BLOCK
    }

    /// Accumulators `Σ w · (q − z)` of output row `oy` for channels `0..channels()` into `row`
    /// (`[ow][C]`).
    pub fn row(
        &self,
        x: super::kernels::Plane,
        params: crate::model::ops::ConvParams,
        oy: usize,
        row: &mut [i32],
    ) {
        let c = x.channels;
        assert!(c >= self.channels(), "the map has the packed channels");
        assert_eq!(x.data.len(), x.h * x.w * c, "the map is H × W × C");
        let ow = row.len() / c;
        let (k, s, d, pad) = (
            self.k,
            params.stride,
            params.dilation,
            params.padding as isize,
        );
        let taps = k * k;
        // The zero point's share of every channel's sum, `z · Σ w`.
        let shares: Vec<i32> = self
            .sums
            .iter()
            .map(|&sum| i32::from(x.zero_point) * sum)
            .collect();
        // Where each tap of a pixel starts: a pixel of the map, or the row of zero-point codes.
        let padding = vec![x.zero_point; c];
        let mut starts: Vec<*const u8> = vec![padding.as_ptr(); taps];
        // Pixels whose taps all lie inside the map (most of them) take their starts from the
        // taps' fixed offsets instead of bounds-checking each one.
        let rows_inside = (0..k).all(|ky| {
            let iy = (oy * s + ky * d) as isize - pad;
            iy >= 0 && iy < x.h as isize
        });
        let first_inside = (pad as usize).div_ceil(s);
        let last_x = |ox: usize| ox * s + (k - 1) * d;
        let offsets: Vec<usize> = (0..taps)
            .map(|t| ((t / k) * d * x.w + (t % k) * d) * c)
            .collect();
        for (ox, dst) in row.chunks_exact_mut(c).enumerate().take(ow) {
            let inside = rows_inside && ox >= first_inside && last_x(ox) < x.w + pad as usize;
            if inside {
                let top_left = ((oy * s - pad as usize) * x.w + ox * s - pad as usize) * c;
                // The last tap's pixel, the farthest from the top left, is inside the map.
                let window = &x.data[top_left..top_left + offsets[taps - 1] + c];
                for (start, &offset) in starts.iter_mut().zip(&offsets) {
                    *start = window[offset..].as_ptr();
                }
            } else {
                for ky in 0..k {
                    let iy = (oy * s + ky * d) as isize - pad;
                    for kx in 0..k {
                        let ix = (ox * s + kx * d) as isize - pad;
                        let inside = iy >= 0 && ix >= 0 && iy < x.h as isize && ix < x.w as isize;
                        starts[ky * k + kx] = if inside {
                            x.data[(iy as usize * x.w + ix as usize) * c..].as_ptr()
                        } else {
                            padding.as_ptr()
                        };
                    }
                }
            }
            // SAFETY: `new` found AVX-512 VNNI; every start points at C readable bytes (a pixel of
            // `x`, or `padding`), and the kernel reads channels below blocks·32 ≤ C; `dst` holds C
            // accumulators; `packed` holds `blocks` × k·k × 4 vectors, `shares` blocks·32 values.
            #[expect(unsafe_code, reason = "AVX-512 VNNI intrinsics")]
            unsafe {
                self.pixel(&starts, &shares, dst);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    #![expect(unsafe_code, reason = "AVX-512 VNNI intrinsics on raw pointers")]

    use std::arch::x86_64::{
        _mm256_dpbusd_epi32, _mm256_loadu_epi8, _mm256_loadu_si256, _mm256_setzero_si256,
        _mm512_castsi256_si512, _mm512_inserti64x4, _mm512_loadu_epi32, _mm512_permutex2var_epi32,
        _mm512_storeu_epi32, _mm512_sub_epi32,
    };

    use super::{BLOCK, DepthwisePacked};

    /// For `vpermt2d` over `[acc0 | acc1]` (lanes 0..16) and `[acc2 | acc3]` (16..32), where
    /// lane i of accumulator j holds channel 4i + j: the lanes holding channels
    /// `16·half .. 16·half + 16` in order. A constant: the kernel runs once per pixel.
    const ORDER: [[i32; 16]; 2] = {
        let mut order = [[0; 16]; 2];
        let mut n = 0;
        while n < BLOCK {
            let (i, j) = (n / 4, n % 4);
            order[n / 16][n % 16] = (j * 8 + i) as i32;
            n += 1;
        }
        order
    };

    impl DepthwisePacked {
        /// One pixel's accumulators of every block into `dst`.
        ///
        /// # Safety
        /// The CPU has AVX-512 F/BW/VL/VNNI; `starts` holds k·k pointers that each read
        /// `blocks · 32` bytes; `shares` and `dst` hold at least `blocks · 32` values.
        #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni")]
        pub(super) unsafe fn pixel(&self, starts: &[*const u8], shares: &[i32], dst: &mut [i32]) {
            let taps = self.k * self.k;
            // SAFETY: 16 i32 each, a constant.
            let (first, second) = unsafe {
                (
                    _mm512_loadu_epi32(ORDER[0].as_ptr()),
                    _mm512_loadu_epi32(ORDER[1].as_ptr()),
                )
            };
            for b in 0..self.blocks {
                // Even and odd taps into separate accumulators: eight independent chains hide
                // `vpdpbusd`'s latency, which four left exposed (perf: the loop waited on it).
                let mut acc = [_mm256_setzero_si256(); 4];
                let w = self.packed[b * taps * 4 * BLOCK..].as_ptr();
                for (t, &start) in starts.iter().enumerate().take(taps) {
                    // SAFETY: as the caller promised: 32 bytes at channel 32·b of each tap, and
                    // the four weight vectors of tap t of block b.
                    unsafe {
                        let codes = _mm256_loadu_si256(start.add(b * BLOCK).cast());
                        for (j, acc) in acc.iter_mut().enumerate() {
                            let weights = _mm256_loadu_epi8(w.add((t * 4 + j) * BLOCK));
                            *acc = _mm256_dpbusd_epi32(*acc, codes, weights);
                        }
                    }
                }
                let low = _mm512_inserti64x4::<1>(_mm512_castsi256_si512(acc[0]), acc[1]);
                let high = _mm512_inserti64x4::<1>(_mm512_castsi256_si512(acc[2]), acc[3]);
                for (half, order) in [first, second].into_iter().enumerate() {
                    let at = b * BLOCK + 16 * half;
                    let sum = _mm512_permutex2var_epi32(low, order, high);
                    // SAFETY: `shares` and `dst` hold channel `at + 15` < blocks · 32.
                    unsafe {
                        let share = _mm512_loadu_epi32(shares.as_ptr().add(at));
                        _mm512_storeu_epi32(dst.as_mut_ptr().add(at), _mm512_sub_epi32(sum, share));
                    }
                }
            }
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
impl DepthwisePacked {
    #[expect(unsafe_code, reason = "the same signature as the x86_64 kernel")]
    unsafe fn pixel(&self, _: &[*const u8], _: &[i32], _: &mut [i32]) {
        unreachable!("DepthwisePacked is made only where AVX-512 VNNI runs")
    }
}
