//! The depthwise convolution in AVX-512 VNNI for whole blocks of 32 channels: two taps at a time,
//! the codes of 32 channels of each widened to 16 bits and interleaved so that `vpdpwssd` adds
//! both taps' products per channel into an `i32` lane (64 multiply-adds an instruction, where
//! the portable loop's `i32` lanes do 16). A tap outside the map reads a row of zero-point codes,
//! so every pixel has all k×k taps and the zero point's share `z · Σ w` is one subtraction per
//! channel. Channels past the last whole block are left to the portable loop (`kernels`).
//!
//! `unsafe` here is intrinsics on raw pointers, each block with the bounds that make it sound;
//! `kernels`' tests hold it to the convolution by definition.

/// Channels of one block.
const BLOCK: usize = 32;

/// Depthwise weights packed for the kernel.
pub struct DepthwisePacked {
    k: usize,
    blocks: usize,
    /// Per block, per pair of taps, the two 16-lane halves (`lo`, `hi`: the channels that
    /// `vpunpck{l,h}wd` put in each) of `(w[t0], w[t1])` word pairs: 64 `i16`.
    packed: Vec<i16>,
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

/// The channel (0..32, within a block) of lane `m` of the `lo` (`hi`) half.
const fn channel_of(m: usize, hi: bool) -> usize {
    8 * (m / 4) + m % 4 + if hi { 4 } else { 0 }
}

impl DepthwisePacked {
    /// `weight` as `[C][1][k][k]`; `None` where the CPU lacks AVX-512 VNNI or C < 32.
    pub fn new(weight: &[i8], channels: usize, k: usize) -> Option<Self> {
        let blocks = channels / BLOCK;
        if blocks == 0 || !super::vnni::available() {
            return None;
        }
        let taps = k * k;
        let pairs = taps.div_ceil(2);
        let w = |c: usize, t: usize| {
            if t < taps {
                i16::from(weight[c * taps + t])
            } else {
                0
            }
        };
        let mut packed = Vec::with_capacity(blocks * pairs * 64);
        for b in 0..blocks {
            for p in 0..pairs {
                for hi in [false, true] {
                    for m in 0..16 {
                        let c = b * BLOCK + channel_of(m, hi);
                        packed.push(w(c, 2 * p));
                        packed.push(w(c, 2 * p + 1));
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
        let pairs = taps.div_ceil(2);
        // Where each tap of a pixel starts: a pixel of the map, or the row of zero-point codes.
        let padding = vec![x.zero_point; c];
        let mut starts: Vec<*const u8> = vec![padding.as_ptr(); 2 * pairs];
        for (ox, dst) in row.chunks_exact_mut(c).enumerate().take(ow) {
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
            // SAFETY: `new` found AVX-512 VNNI; every start points at C readable bytes (a pixel of
            // `x`, or `padding`), and the kernel reads channels below blocks·32 ≤ C; `dst` holds C
            // accumulators; `packed` and `sums` hold what `blocks` and `pairs` index.
            #[expect(unsafe_code, reason = "AVX-512 VNNI intrinsics")]
            unsafe {
                self.pixel(&starts, pairs, x.zero_point, dst);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    #![expect(unsafe_code, reason = "AVX-512 VNNI intrinsics on raw pointers")]

    use std::arch::x86_64::{
        _mm256_loadu_si256, _mm512_cvtepu8_epi16, _mm512_dpwssd_epi32, _mm512_loadu_epi32,
        _mm512_loadu_si512, _mm512_mullo_epi32, _mm512_permutex2var_epi32, _mm512_set1_epi32,
        _mm512_setzero_si512, _mm512_storeu_epi32, _mm512_sub_epi32, _mm512_unpackhi_epi16,
        _mm512_unpacklo_epi16,
    };

    use super::{BLOCK, DepthwisePacked, channel_of};

    /// For `vpermt2d` (`lo` lanes 0..16, `hi` lanes 16..32): the lanes holding channels
    /// `16·half .. 16·half + 16` in order. A constant: the kernel runs once per pixel.
    const ORDER: [[i32; 16]; 2] = {
        let mut order = [[0; 16]; 2];
        let mut m = 0;
        while m < 16 {
            let (lo, hi) = (channel_of(m, false), channel_of(m, true));
            order[lo / 16][lo % 16] = m as i32;
            order[hi / 16][hi % 16] = 16 + m as i32;
            m += 1;
        }
        order
    };

    impl DepthwisePacked {
        /// One pixel's accumulators of every block into `dst`.
        ///
        /// # Safety
        /// The CPU has AVX-512 F/BW/VNNI; each of `starts`' 2·pairs pointers reads
        /// `blocks · 32` bytes; `dst` holds at least `blocks · 32` values.
        #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
        pub(super) unsafe fn pixel(
            &self,
            starts: &[*const u8],
            pairs: usize,
            zero_point: u8,
            dst: &mut [i32],
        ) {
            // SAFETY: 16 i32 each, a constant.
            let (first, second) = unsafe {
                (
                    _mm512_loadu_epi32(ORDER[0].as_ptr()),
                    _mm512_loadu_epi32(ORDER[1].as_ptr()),
                )
            };
            let z = _mm512_set1_epi32(i32::from(zero_point));
            for b in 0..self.blocks {
                let (mut lo, mut hi) = (_mm512_setzero_si512(), _mm512_setzero_si512());
                let w = self.packed[b * pairs * 64..].as_ptr();
                for p in 0..pairs {
                    // SAFETY: as the caller promised: 32 bytes at channel 32·b of each tap, and
                    // 64 packed weights of pair p of block b.
                    unsafe {
                        let x0 = _mm512_cvtepu8_epi16(_mm256_loadu_si256(
                            starts[2 * p].add(b * BLOCK).cast(),
                        ));
                        let x1 = _mm512_cvtepu8_epi16(_mm256_loadu_si256(
                            starts[2 * p + 1].add(b * BLOCK).cast(),
                        ));
                        let w_lo = _mm512_loadu_si512(w.add(p * 64).cast());
                        let w_hi = _mm512_loadu_si512(w.add(p * 64 + 32).cast());
                        lo = _mm512_dpwssd_epi32(lo, _mm512_unpacklo_epi16(x0, x1), w_lo);
                        hi = _mm512_dpwssd_epi32(hi, _mm512_unpackhi_epi16(x0, x1), w_hi);
                    }
                }
                for (half, order) in [first, second].into_iter().enumerate() {
                    let at = b * BLOCK + 16 * half;
                    let sum = _mm512_permutex2var_epi32(lo, order, hi);
                    // SAFETY: `sums` and `dst` hold channel `at + 15` < blocks · 32.
                    unsafe {
                        let share =
                            _mm512_mullo_epi32(z, _mm512_loadu_epi32(self.sums.as_ptr().add(at)));
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
    unsafe fn pixel(&self, _: &[*const u8], _: usize, _: u8, _: &mut [i32]) {
        unreachable!("DepthwisePacked is made only where AVX-512 VNNI runs")
    }
}
