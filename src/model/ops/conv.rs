//! Dense k×k convolution (stride, dilation, symmetric zero padding; no groups) as im2col + gemm
//! over blocks of output rows, with both gradients. Used for the stems (3×3, stride 2) and the
//! strided 1×1 shortcuts, which Candle runs through a slower im2col and a transposed-conv
//! backward. The column buffer is bounded (`BLOCK_ELEMS`) however large the image.

use candle_core::{CpuStorage, CustomOp2, Layout, Result, Shape, Tensor, bail};
use rayon::prelude::*;

use super::ConvParams;
use super::gemm::{MatRef, gemm_strided};
use super::{f32_slice, portable};

/// Largest column buffer (elements) per block of output rows: 4 M floats, 16 MB.
const BLOCK_ELEMS: usize = 4 << 20;

#[derive(Debug, Clone, Copy)]
struct Geometry {
    n: usize,
    cin: usize,
    h: usize,
    w: usize,
    cout: usize,
    k: usize,
    ho: usize,
    wo: usize,
    p: ConvParams,
}

impl Geometry {
    fn new(x: &Shape, weight: &Shape, p: ConvParams, op: &str) -> Result<Self> {
        let (n, cin, h, w) = x.dims4()?;
        let (cout, wcin, kh, kw) = weight.dims4()?;
        if wcin != cin || kh != kw {
            bail!("{op}: weight {weight:?} does not match input {x:?} (square kernels only)");
        }
        let (ho, wo) = p.output_size((h, w), (kh, kw), op)?;
        Ok(Self {
            n,
            cin,
            h,
            w,
            cout,
            k: kh,
            ho,
            wo,
            p,
        })
    }

    /// Rows of the column matrix (= columns of the flattened weight).
    fn kdim(&self) -> usize {
        self.cin * self.k * self.k
    }

    /// Output rows per block, so that a block's columns fit `BLOCK_ELEMS`.
    fn rows_per_block(&self) -> usize {
        (BLOCK_ELEMS / (self.kdim() * self.wo).max(1)).clamp(1, self.ho)
    }

    /// Input coordinate of output index `o` through tap `t`, if inside the image.
    fn input_at(&self, o: usize, t: usize, len: usize) -> Option<usize> {
        let i = (o * self.p.stride + t * self.p.dilation) as isize - self.p.padding as isize;
        (i >= 0 && (i as usize) < len).then_some(i as usize)
    }
}

/// Fills `cols` (`kdim` rows × `(oy1 - oy0) * wo` columns) from one image `x` (`[Cin, H, W]`).
fn im2col(x: &[f32], g: &Geometry, oy0: usize, oy1: usize, cols: &mut [f32]) {
    let ncols = (oy1 - oy0) * g.wo;
    cols.par_chunks_mut(ncols)
        .enumerate()
        .for_each(|(row, dst)| {
            let (ci, tap) = (row / (g.k * g.k), row % (g.k * g.k));
            let (ki, kj) = (tap / g.k, tap % g.k);
            let plane = &x[ci * g.h * g.w..(ci + 1) * g.h * g.w];
            for (oy, d) in (oy0..oy1).zip(dst.chunks_exact_mut(g.wo)) {
                match g.input_at(oy, ki, g.h) {
                    None => d.fill(0.0),
                    Some(iy) => {
                        let src = &plane[iy * g.w..(iy + 1) * g.w];
                        for (ox, v) in d.iter_mut().enumerate() {
                            *v = g.input_at(ox, kj, g.w).map_or(0.0, |ix| src[ix]);
                        }
                    }
                }
            }
        });
}

/// Adds `cols` back into the input-gradient image `gx` (`[Cin, H, W]`): the transpose of
/// [`im2col`]. Parallel over input channels, whose rows of `cols` touch only their own plane.
fn col2im_add(cols: &[f32], g: &Geometry, oy0: usize, oy1: usize, gx: &mut [f32]) {
    let ncols = (oy1 - oy0) * g.wo;
    let kk = g.k * g.k;
    gx.par_chunks_mut(g.h * g.w)
        .enumerate()
        .for_each(|(ci, plane)| {
            for tap in 0..kk {
                let (ki, kj) = (tap / g.k, tap % g.k);
                let src = &cols[(ci * kk + tap) * ncols..][..ncols];
                for (oy, s) in (oy0..oy1).zip(src.chunks_exact(g.wo)) {
                    let Some(iy) = g.input_at(oy, ki, g.h) else {
                        continue;
                    };
                    let dst = &mut plane[iy * g.w..(iy + 1) * g.w];
                    for (ox, v) in s.iter().enumerate() {
                        if let Some(ix) = g.input_at(ox, kj, g.w) {
                            dst[ix] += v;
                        }
                    }
                }
            }
        });
}

/// Blocks of output rows `[oy0, oy1)` covering the output.
fn blocks(g: &Geometry) -> impl Iterator<Item = (usize, usize)> {
    let step = g.rows_per_block();
    (0..g.ho)
        .step_by(step)
        .map(move |oy0| (oy0, (oy0 + step).min(g.ho)))
}

struct Conv2d(ConvParams);

impl CustomOp2 for Conv2d {
    fn name(&self) -> &'static str {
        "conv2d_im2col"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let _profile = crate::model::profile::scope("conv2d_im2col.fwd");
        let g = Geometry::new(l1.shape(), l2.shape(), self.0, self.name())?;
        let x = f32_slice(s1, l1, self.name())?;
        let weight = f32_slice(s2, l2, self.name())?;
        let (plane_out, kdim) = (g.ho * g.wo, g.kdim());
        let mut out = vec![0f32; g.n * g.cout * plane_out];
        let mut cols = Vec::new();
        for (xb, ob) in x
            .chunks_exact(g.cin * g.h * g.w)
            .zip(out.chunks_exact_mut(g.cout * plane_out))
        {
            for (oy0, oy1) in blocks(&g) {
                let ncols = (oy1 - oy0) * g.wo;
                cols.resize(kdim * ncols, 0.0);
                im2col(xb, &g, oy0, oy1, &mut cols);
                gemm_strided(
                    g.cout,
                    ncols,
                    kdim,
                    &mut ob[oy0 * g.wo..],
                    plane_out,
                    false,
                    MatRef::rows(weight, kdim),
                    MatRef::rows(&cols, ncols),
                );
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((g.n, g.cout, g.ho, g.wo))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        weight: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let grad_x = grad.apply_op2_no_bwd(
            weight,
            &Conv2dBwdInput {
                p: self.0,
                h: x.dim(2)?,
                w: x.dim(3)?,
            },
        )?;
        let grad_w = x.apply_op2_no_bwd(
            &grad,
            &Conv2dBwdWeight {
                p: self.0,
                k: weight.dim(2)?,
            },
        )?;
        Ok((Some(grad_x), Some(grad_w)))
    }
}

/// Input gradient: `Wᵀ · g` per block of output rows, scattered back by `col2im_add`.
struct Conv2dBwdInput {
    p: ConvParams,
    h: usize,
    w: usize,
}

impl CustomOp2 for Conv2dBwdInput {
    fn name(&self) -> &'static str {
        "conv2d_im2col_bwd_input"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let _profile = crate::model::profile::scope("conv2d_im2col_bwd_input.fwd");
        let (n, cout, ho, wo) = l1.shape().dims4()?;
        let (_, cin, _, _) = l2.shape().dims4()?;
        let x_shape = Shape::from((n, cin, self.h, self.w));
        let g = Geometry::new(&x_shape, l2.shape(), self.p, self.name())?;
        if (g.cout, g.ho, g.wo) != (cout, ho, wo) {
            bail!(
                "{}: gradient {:?} does not match the output",
                self.name(),
                l1.shape()
            );
        }
        let grad = f32_slice(s1, l1, self.name())?;
        let weight = f32_slice(s2, l2, self.name())?;
        let (plane_out, kdim) = (ho * wo, g.kdim());
        let mut out = vec![0f32; n * cin * self.h * self.w];
        let mut cols = Vec::new();
        for (gb, xb) in grad
            .chunks_exact(cout * plane_out)
            .zip(out.chunks_exact_mut(cin * self.h * self.w))
        {
            for (oy0, oy1) in blocks(&g) {
                let ncols = (oy1 - oy0) * wo;
                cols.resize(kdim * ncols, 0.0);
                gemm_strided(
                    kdim,
                    ncols,
                    cout,
                    &mut cols,
                    ncols,
                    false,
                    MatRef::transposed(weight, kdim),
                    MatRef {
                        data: &gb[oy0 * wo..],
                        rs: plane_out,
                        cs: 1,
                    },
                );
                col2im_add(&cols, &g, oy0, oy1, xb);
            }
        }
        Ok((CpuStorage::F32(out), x_shape))
    }
}

/// Weight gradient: `Σ g · colsᵀ` over images and blocks, accumulated in place.
struct Conv2dBwdWeight {
    p: ConvParams,
    k: usize,
}

impl CustomOp2 for Conv2dBwdWeight {
    fn name(&self) -> &'static str {
        "conv2d_im2col_bwd_weight"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let _profile = crate::model::profile::scope("conv2d_im2col_bwd_weight.fwd");
        let (_, cin, _, _) = l1.shape().dims4()?;
        let cout = l2.shape().dims4()?.1;
        let w_shape = Shape::from((cout, cin, self.k, self.k));
        let g = Geometry::new(l1.shape(), &w_shape, self.p, self.name())?;
        if l2.shape().dims4()? != (g.n, cout, g.ho, g.wo) {
            bail!(
                "{}: gradient {:?} does not match the output",
                self.name(),
                l2.shape()
            );
        }
        let x = f32_slice(s1, l1, self.name())?;
        let grad = f32_slice(s2, l2, self.name())?;
        let (plane_out, kdim) = (g.ho * g.wo, g.kdim());
        let mut out = vec![0f32; cout * kdim];
        let mut cols = Vec::new();
        let mut first = true;
        for (xb, gb) in x
            .chunks_exact(cin * g.h * g.w)
            .zip(grad.chunks_exact(cout * plane_out))
        {
            for (oy0, oy1) in blocks(&g) {
                let ncols = (oy1 - oy0) * g.wo;
                cols.resize(kdim * ncols, 0.0);
                im2col(xb, &g, oy0, oy1, &mut cols);
                gemm_strided(
                    cout,
                    kdim,
                    ncols,
                    &mut out,
                    kdim,
                    !first,
                    MatRef {
                        data: &gb[oy0 * g.wo..],
                        rs: plane_out,
                        cs: 1,
                    },
                    MatRef::transposed(&cols, ncols),
                );
                first = false;
            }
        }
        Ok((CpuStorage::F32(out), w_shape))
    }
}

/// Dense convolution of `[N, Cin, H, W]` with `[Cout, Cin, k, k]`, differentiable in both.
pub fn conv2d(x: &Tensor, weight: &Tensor, params: ConvParams) -> Result<Tensor> {
    if portable::is_used_for(x) {
        return portable::conv2d(x, weight, params);
    }
    x.contiguous()?
        .apply_op2(&weight.contiguous()?, Conv2d(params))
}
