//! The AVX-512 VNNI matrix product of the int8 convolutions, with the epilogue fused in: each
//! 6-row × 64-column tile of `u8 × i8` products is accumulated in registers by `vpdpbusd` (four
//! products per `i32` lane, exact) and leaves the registers already requantized to `u8` codes (or
//! as the logits' f32), so no `i32` matrix ever goes through memory and the activations are read
//! in place, never packed. The weights are packed once, when the network is quantized.
//!
//! The activations' zero point is folded into the bias: `Σ (a − z)·w = Σ a·w − z·Σ w`, exact in
//! `i32`. The epilogue does the scalar epilogue's float operations in the same order (see
//! `kernels::requantize_plain` and `kernels::requantize_residual`), so both give the same codes
//! bit for bit; `gemm.rs`'s tests hold this kernel to the portable product.
//!
//! This is the crate's one module with `unsafe`: intrinsics on raw pointers, each block with the
//! bounds that make it sound, all checked by the safe entry point [`VnniWeights::run`].

use std::mem::MaybeUninit;

use rayon::prelude::*;

use super::kernels::Epilogue;

/// Output channels per vector (16 `i32` lanes).
const LANES: usize = 16;
/// Rows of a micro-tile.
const MR: usize = 6;
/// Most 16-column panels in a micro-tile: 6 × 4 accumulators + 4 weight vectors fit the 32
/// registers.
const NP: usize = 4;
/// Rows of activations one task multiplies by all the weights.
const ROWS_PER_TASK: usize = 16 * MR;

/// Whether this CPU runs the kernel.
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx512vnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Weights `[K, N]` packed for the kernel: panels of 16 output channels, each a run of
/// `ceil(K/4)` 64-byte vectors holding 4 consecutive inputs of each of its 16 channels (the
/// operand layout of `vpdpbusd`); K and N padded with zero weights.
pub struct VnniWeights {
    k4: usize,
    n: usize,
    panels: usize,
    packed: Vec<i8>,
    /// `Σ_k w[k][n]`, padded to the panels.
    col_sums: Vec<i32>,
}

/// Where the tile results go, row-major `[M, N]`.
pub enum Target<'a> {
    /// Codes on the output grid (`1 / scale`, zero point).
    Codes {
        out: &'a mut [u8],
        inv_scale: f32,
        zero_point: u8,
    },
    /// As `Codes`, into memory not yet initialised (every byte gets written).
    Uninit {
        out: &'a mut [MaybeUninit<u8>],
        inv_scale: f32,
        zero_point: u8,
    },
    /// Real values (the logits).
    Real(&'a mut [f32]),
    /// The bare accumulators `Σ (a − z)·w`, no epilogue (tests and the scalar paths).
    Acc(&'a mut [i32]),
}

/// The epilogue's per-channel vectors, padded to whole panels.
struct Prepared {
    /// `bias − z·Σw` (0 − z·Σw for [`Target::Acc`]).
    bias: Vec<i32>,
    /// `scale·inv_scale` for codes without a residual, else `scale`.
    mult: Vec<f32>,
    lo: f32,
    hi: f32,
    zero_point: f32,
    inv_scale: f32,
    /// The residual's codes and grid: `(codes, zero point, scale)`.
    residual: Option<(i32, f32)>,
    mode: Mode,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Codes,
    CodesResidual,
    Real,
    Acc,
}

impl VnniWeights {
    /// `weights` row-major `[K, N]`; `None` where the CPU lacks AVX-512 VNNI.
    pub fn new(weights: &[i8], k: usize, n: usize) -> Option<Self> {
        if !available() {
            return None;
        }
        let k4 = k.div_ceil(4);
        let panels = n.div_ceil(LANES);
        let mut packed = vec![0i8; panels * k4 * 4 * LANES];
        let mut col_sums = vec![0i32; panels * LANES];
        for row in 0..k {
            for col in 0..n {
                let w = weights[row * n + col];
                let (p, j) = (col / LANES, col % LANES);
                packed[(p * k4 + row / 4) * 4 * LANES + j * 4 + row % 4] = w;
                col_sums[col] += i32::from(w);
            }
        }
        Some(Self {
            k4,
            n,
            panels,
            packed,
            col_sums,
        })
    }

    /// `a` row-major `[m, lda]` (the first K bytes of each row used) times the weights, with the
    /// epilogue `e` (ignored for [`Target::Acc`]) into `target`; parallel over blocks of rows.
    pub fn run(
        &self,
        a: &[u8],
        m: usize,
        lda: usize,
        zero_point: u8,
        e: &Epilogue,
        target: Target,
    ) {
        let n = self.n;
        // The kernel reads 4·⌈K/4⌉ bytes of every row: past the end of the last one when K is
        // not a multiple of 4 and the rows are packed (the extra bytes meet zero weights).
        let reach = m.saturating_sub(1) * lda + self.k4 * 4;
        if m > 0 && reach > a.len() {
            let stride = self.k4 * 4;
            let k = lda.min(stride);
            let mut padded = vec![zero_point; m * stride];
            for (dst, src) in padded.chunks_exact_mut(stride).zip(a.chunks(lda)) {
                dst[..k].copy_from_slice(&src[..k]);
            }
            return self.run(&padded, m, stride, zero_point, e, target);
        }
        let prepared = self.prepare(zero_point, e, &target);
        if let Some((codes, _)) = e.residual {
            assert_eq!(codes.len(), m * n, "the residual must be M × N");
        }
        let residual = e.residual.map(|(codes, _)| codes);
        let task = ROWS_PER_TASK;
        let job = |i: usize, out: Out| {
            let rows = (m - i * task).min(task);
            let a = &a[i * task * lda..];
            let residual = residual.map(|r| &r[i * task * n..(i * task + rows) * n]);
            // SAFETY: `available()` held when these weights were made; `a` reaches
            // `(rows − 1)·lda + 4·k4` bytes (checked above), `out` and `residual` hold `rows × n`
            // elements (the chunks below), and `prepared`'s vectors cover every panel.
            #[expect(unsafe_code, reason = "AVX-512 VNNI intrinsics")]
            unsafe {
                self.rows(a, rows, lda, &prepared, residual, out);
            }
        };
        match target {
            Target::Codes { out, .. } => {
                assert_eq!(out.len(), m * n, "the output must be M × N");
                // SAFETY: `MaybeUninit<u8>` has the layout of `u8`, and the kernel only writes
                // initialised bytes through it.
                #[expect(unsafe_code, reason = "viewing initialised bytes as MaybeUninit")]
                let out = unsafe { &mut *(std::ptr::from_mut(out) as *mut [MaybeUninit<u8>]) };
                out.par_chunks_mut(task * n)
                    .enumerate()
                    .for_each(|(i, o)| job(i, Out::Codes(o)));
            }
            Target::Uninit { out, .. } => {
                assert_eq!(out.len(), m * n, "the output must be M × N");
                out.par_chunks_mut(task * n)
                    .enumerate()
                    .for_each(|(i, o)| job(i, Out::Codes(o)));
            }
            Target::Real(out) => {
                assert_eq!(out.len(), m * n, "the output must be M × N");
                out.par_chunks_mut(task * n)
                    .enumerate()
                    .for_each(|(i, o)| job(i, Out::Real(o)));
            }
            Target::Acc(out) => {
                assert_eq!(out.len(), m * n, "the output must be M × N");
                out.par_chunks_mut(task * n)
                    .enumerate()
                    .for_each(|(i, o)| job(i, Out::Acc(o)));
            }
        }
    }

    /// [`VnniWeights::run`] into a new vector of codes, without first zeroing it.
    pub fn codes(
        &self,
        a: &[u8],
        m: usize,
        lda: usize,
        zero_point: u8,
        e: &Epilogue,
        (inv_scale, out_zero): (f32, u8),
    ) -> Vec<u8> {
        let len = m * self.n;
        let mut out = Vec::with_capacity(len);
        let target = Target::Uninit {
            out: &mut out.spare_capacity_mut()[..len],
            inv_scale,
            zero_point: out_zero,
        };
        self.run(a, m, lda, zero_point, e, target);
        // SAFETY: the kernel stores every column below n of every row below m once (masked
        // stores of whole panels), so all `len` bytes are initialised.
        #[expect(unsafe_code, reason = "a vector filled by the kernel")]
        unsafe {
            out.set_len(len);
        }
        out
    }

    fn prepare(&self, zero_point: u8, e: &Epilogue, target: &Target) -> Prepared {
        let width = self.panels * LANES;
        let z = i32::from(zero_point);
        let padded = |v: &[f32]| {
            let mut p = v.to_vec();
            p.resize(width, 0.0);
            p
        };
        let mut bias: Vec<i32> = (0..width)
            .map(|c| e.bias.get(c).copied().unwrap_or(0) - z * self.col_sums[c])
            .collect();
        let residual = e
            .residual
            .map(|(_, grid)| (i32::from(grid.zero_point), grid.scale));
        let (mode, mult, lo, hi, zero_point, inv_scale) = match target {
            Target::Codes {
                inv_scale,
                zero_point,
                ..
            }
            | Target::Uninit {
                inv_scale,
                zero_point,
                ..
            } => {
                let zp = f32::from(*zero_point);
                if residual.is_some() {
                    (
                        Mode::CodesResidual,
                        padded(e.scale),
                        e.lo,
                        e.hi,
                        zp,
                        *inv_scale,
                    )
                } else {
                    // The same constants as `kernels::requantize_block`.
                    let mult: Vec<f32> = e.scale.iter().map(|s| s * inv_scale).collect();
                    (
                        Mode::Codes,
                        padded(&mult),
                        (e.lo * inv_scale + zp).max(0.0),
                        (e.hi * inv_scale + zp).min(255.0),
                        zp,
                        *inv_scale,
                    )
                }
            }
            Target::Real(_) => (Mode::Real, padded(e.scale), e.lo, e.hi, 0.0, 1.0),
            Target::Acc(_) => {
                for (b, c) in bias.iter_mut().zip(&self.col_sums) {
                    *b = -z * c;
                }
                (Mode::Acc, vec![0.0; width], 0.0, 0.0, 0.0, 1.0)
            }
        };
        Prepared {
            bias,
            mult,
            lo,
            hi,
            zero_point,
            inv_scale,
            residual,
            mode,
        }
    }
}

/// One task's share of the output.
enum Out<'a> {
    Codes(&'a mut [MaybeUninit<u8>]),
    Real(&'a mut [f32]),
    Acc(&'a mut [i32]),
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    #![expect(unsafe_code, reason = "AVX-512 VNNI intrinsics on raw pointers")]

    use std::arch::x86_64::{
        __m512, __mmask16, _mm_mask_storeu_epi8, _mm_maskz_loadu_epi8, _mm_storeu_si128,
        _mm512_add_epi32, _mm512_add_ps, _mm512_castps_si512, _mm512_cvtepi32_epi8,
        _mm512_cvtepi32_ps, _mm512_cvtepu8_epi32, _mm512_dpbusd_epi32, _mm512_fmadd_ps,
        _mm512_loadu_epi32, _mm512_loadu_ps, _mm512_loadu_si512, _mm512_mask_storeu_epi32,
        _mm512_mask_storeu_ps, _mm512_max_ps, _mm512_min_ps, _mm512_mul_ps, _mm512_set1_epi32,
        _mm512_set1_ps, _mm512_setzero_si512, _mm512_storeu_epi32, _mm512_storeu_ps,
        _mm512_sub_epi32,
    };

    use super::{LANES, MR, Mode, NP, Out, Prepared, VnniWeights};

    /// The mask of a whole vector.
    const FULL: __mmask16 = 0xFFFF;

    impl VnniWeights {
        /// The product and epilogue of `rows` rows of `a` into `out` (`rows × n`).
        ///
        /// # Safety
        /// The CPU has AVX-512 F/BW/VL/VNNI; `a` holds at least `(rows − 1)·lda + 4·k4` bytes;
        /// `out` and `residual` hold `rows × n` elements; `p`'s vectors cover every panel.
        #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni")]
        pub(super) unsafe fn rows(
            &self,
            a: &[u8],
            rows: usize,
            lda: usize,
            p: &Prepared,
            residual: Option<&[u8]>,
            mut out: Out,
        ) {
            let mut panel = 0;
            while panel < self.panels {
                let np = (self.panels - panel).min(NP);
                let mut r0 = 0;
                while r0 < rows {
                    let mr = (rows - r0).min(MR);
                    let at = Tile {
                        r0,
                        panel,
                        lda,
                        residual,
                    };
                    // SAFETY: as the caller promised; the tile covers rows r0..r0 + mr < rows
                    // and panels panel..panel + np ≤ self.panels.
                    unsafe {
                        macro_rules! dispatch {
                            ($($r:literal, $p:literal);*) => {
                                match (mr, np) {
                                    $(($r, $p) => self.tile::<$r, $p>(a, &at, p, &mut out),)*
                                    _ => unreachable!("tile {mr}×{np}"),
                                }
                            };
                        }
                        dispatch!(6,4; 6,3; 6,2; 6,1; 5,4; 5,3; 5,2; 5,1; 4,4; 4,3; 4,2; 4,1;
                            3,4; 3,3; 3,2; 3,1; 2,4; 2,3; 2,2; 2,1; 1,4; 1,3; 1,2; 1,1);
                    }
                    r0 += mr;
                }
                panel += np;
            }
        }

        /// `R` rows × `P` panels: accumulate over all of K, then the epilogue.
        ///
        /// # Safety
        /// As [`VnniWeights::rows`], for rows `r0..r0 + R` and panels `panel..panel + P`.
        #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni")]
        #[inline]
        unsafe fn tile<const R: usize, const P: usize>(
            &self,
            a: &[u8],
            at: &Tile,
            p: &Prepared,
            out: &mut Out,
        ) {
            let mut acc = [[_mm512_setzero_si512(); P]; R];
            let panel_bytes = self.k4 * 4 * LANES;
            let w = self.packed.as_ptr().wrapping_add(at.panel * panel_bytes);
            let a = a.as_ptr().wrapping_add(at.r0 * at.lda);
            for kk in 0..self.k4 {
                let mut wv = [_mm512_setzero_si512(); P];
                for (j, v) in wv.iter_mut().enumerate() {
                    // SAFETY: panel `at.panel + j` < panels, `kk` < k4: inside `packed`.
                    *v = unsafe { _mm512_loadu_si512(w.add(j * panel_bytes + kk * 64).cast()) };
                }
                for (r, row) in acc.iter_mut().enumerate() {
                    // SAFETY: row r0 + r < rows and 4·kk + 3 < 4·k4: inside `a`'s reach.
                    let x = unsafe { a.add(r * at.lda + kk * 4).cast::<i32>().read_unaligned() };
                    let x = _mm512_set1_epi32(x);
                    for (s, v) in row.iter_mut().zip(&wv) {
                        *s = _mm512_dpbusd_epi32(*s, x, *v);
                    }
                }
            }
            for j in 0..P {
                let col = (at.panel + j) * LANES;
                let valid = (self.n - col).min(LANES);
                let mask: __mmask16 = if valid == LANES {
                    FULL
                } else {
                    (1u16 << valid) - 1
                };
                // SAFETY: `col` + 16 ≤ panels·16, the length of the prepared vectors.
                let (bias, mult) = unsafe {
                    (
                        _mm512_loadu_epi32(p.bias.as_ptr().add(col)),
                        _mm512_loadu_ps(p.mult.as_ptr().add(col)),
                    )
                };
                for (r, row) in acc.iter().enumerate() {
                    let sum = _mm512_add_epi32(row[j], bias);
                    let at_out = (at.r0 + r) * self.n + col;
                    // SAFETY: row r0 + r < rows and the mask keeps columns below n: every
                    // store and residual load stays inside the `rows × n` slices.
                    unsafe {
                        match (p.mode, &mut *out) {
                            (Mode::Acc, Out::Acc(o)) => {
                                let dst = o.as_mut_ptr().add(at_out);
                                if mask == FULL {
                                    _mm512_storeu_epi32(dst, sum);
                                } else {
                                    _mm512_mask_storeu_epi32(dst, mask, sum);
                                }
                            }
                            (Mode::Codes, Out::Codes(o)) => {
                                let q = _mm512_fmadd_ps(
                                    _mm512_cvtepi32_ps(sum),
                                    mult,
                                    _mm512_set1_ps(p.zero_point),
                                );
                                store_codes(
                                    o.as_mut_ptr().add(at_out).cast(),
                                    mask,
                                    clamp(q, p.lo, p.hi),
                                );
                            }
                            (Mode::CodesResidual, Out::Codes(o)) => {
                                let real =
                                    clamp(_mm512_mul_ps(_mm512_cvtepi32_ps(sum), mult), p.lo, p.hi);
                                let real = _mm512_add_ps(real, residual_real(at, p, at_out, mask));
                                let q = _mm512_fmadd_ps(
                                    real,
                                    _mm512_set1_ps(p.inv_scale),
                                    _mm512_set1_ps(p.zero_point),
                                );
                                store_codes(
                                    o.as_mut_ptr().add(at_out).cast(),
                                    mask,
                                    clamp(q, 0.0, 255.0),
                                );
                            }
                            (Mode::Real, Out::Real(o)) => {
                                let mut real =
                                    clamp(_mm512_mul_ps(_mm512_cvtepi32_ps(sum), mult), p.lo, p.hi);
                                if p.residual.is_some() {
                                    real = _mm512_add_ps(real, residual_real(at, p, at_out, mask));
                                }
                                let dst = o.as_mut_ptr().add(at_out);
                                if mask == FULL {
                                    _mm512_storeu_ps(dst, real);
                                } else {
                                    _mm512_mask_storeu_ps(dst, mask, real);
                                }
                            }
                            _ => unreachable!("the target matches the prepared mode"),
                        }
                    }
                }
            }
        }
    }

    /// A micro-tile's place.
    pub(super) struct Tile<'a> {
        pub r0: usize,
        pub panel: usize,
        pub lda: usize,
        pub residual: Option<&'a [u8]>,
    }

    /// `f32::clamp`'s result for non-NaN `x` (and NaN kept), `-0.0` included: `max(lo, x)` returns
    /// `x` unless `lo > x`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn clamp(x: __m512, lo: f32, hi: f32) -> __m512 {
        _mm512_min_ps(_mm512_set1_ps(hi), _mm512_max_ps(_mm512_set1_ps(lo), x))
    }

    /// The residual's real values `(code − z)·s` of 16 channels, as `ActQuant::dequantize`.
    ///
    /// # Safety
    /// The residual holds the masked 16 bytes at `at_out`.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
    #[inline]
    unsafe fn residual_real(at: &Tile, p: &Prepared, at_out: usize, mask: __mmask16) -> __m512 {
        let (Some(codes), Some((zp, scale))) = (at.residual, p.residual) else {
            unreachable!("a residual mode has its residual")
        };
        // SAFETY: as the caller promised.
        let q = unsafe { _mm_maskz_loadu_epi8(mask, codes.as_ptr().add(at_out).cast()) };
        let centred = _mm512_sub_epi32(_mm512_cvtepu8_epi32(q), _mm512_set1_epi32(zp));
        _mm512_mul_ps(_mm512_cvtepi32_ps(centred), _mm512_set1_ps(scale))
    }

    /// `q` in [0, 255] to its nearest code, ties to even (the add-and-bit-cast of
    /// `kernels::round_to_code`), stored under `mask`.
    ///
    /// # Safety
    /// `dst` holds the masked 16 bytes.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
    #[inline]
    unsafe fn store_codes(dst: *mut u8, mask: __mmask16, q: __m512) {
        const SHIFT: f32 = 12_582_912.0;
        let bits = _mm512_castps_si512(_mm512_add_ps(q, _mm512_set1_ps(SHIFT)));
        let codes = _mm512_cvtepi32_epi8(bits);
        // SAFETY: as the caller promised. Masked stores are slow on some CPUs (AMD Zen 4), so
        // whole vectors take the plain one.
        unsafe {
            if mask == FULL {
                _mm_storeu_si128(dst.cast(), codes);
            } else {
                _mm_mask_storeu_epi8(dst.cast(), mask, codes);
            }
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
impl VnniWeights {
    #[expect(unsafe_code, reason = "the same signature as the x86_64 kernel")]
    unsafe fn rows(&self, _: &[u8], _: usize, _: usize, _: &Prepared, _: Option<&[u8]>, _: Out) {
        unreachable!("VnniWeights are made only where AVX-512 VNNI runs")
    }
}
