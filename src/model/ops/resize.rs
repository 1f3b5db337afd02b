//! Bilinear resize with `align_corners = true` (TF `DeepLab` and the `PyTorch` reference use it for
//! every upsampling), with a backward pass; Candle's `upsample_bilinear2d` has none.

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use super::{axpy, f32_slice, portable};

/// For each output index: the two source indices and the weight of the second.
pub(crate) fn taps(input: usize, output: usize) -> Vec<(usize, usize, f32)> {
    let scale = if output > 1 {
        (input - 1) as f64 / (output - 1) as f64
    } else {
        0.0
    };
    (0..output)
        .map(|o| {
            let src = o as f64 * scale;
            let i0 = (src.floor() as usize).min(input - 1);
            let i1 = (i0 + 1).min(input - 1);
            (i0, i1, (src - i0 as f64) as f32)
        })
        .collect()
}

struct ResizeFwd {
    out_h: usize,
    out_w: usize,
}

impl CustomOp1 for ResizeFwd {
    fn name(&self) -> &'static str {
        "resize_bilinear"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let _profile = crate::model::profile::scope("resize_bilinear.fwd");
        let (n, c, h, w) = layout.shape().dims4()?;
        let input = f32_slice(storage, layout, self.name())?;
        let (ty, tx) = (taps(h, self.out_h), taps(w, self.out_w));
        let plane_out = self.out_h * self.out_w;
        let mut out = vec![0f32; n * c * plane_out];
        out.par_chunks_mut(plane_out)
            .enumerate()
            .for_each(|(plane, out)| {
                let inp = &input[plane * h * w..(plane + 1) * h * w];
                let mut row = vec![0f32; w];
                for (out_row, &(y0, y1, fy)) in out.chunks_exact_mut(self.out_w).zip(&ty) {
                    // Blend the two source rows first (vectorises), then gather along x.
                    let (r0, r1) = (&inp[y0 * w..(y0 + 1) * w], &inp[y1 * w..(y1 + 1) * w]);
                    for ((t, a), b) in row.iter_mut().zip(r0).zip(r1) {
                        *t = a + fy * (b - a);
                    }
                    for (o, &(x0, x1, fx)) in out_row.iter_mut().zip(&tx) {
                        *o = row[x0] + fx * (row[x1] - row[x0]);
                    }
                }
            });
        Ok((
            CpuStorage::F32(out),
            Shape::from((n, c, self.out_h, self.out_w)),
        ))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let _profile = crate::model::profile::scope("resize_bilinear.bwd");
        let (_, _, h, w) = arg.dims4()?;
        Ok(Some(
            grad.contiguous()?
                .apply_op1_no_bwd(&ResizeBwd { in_h: h, in_w: w })?,
        ))
    }
}

/// Transpose of the resize: scatters output gradients onto the source pixels.
struct ResizeBwd {
    in_h: usize,
    in_w: usize,
}

impl CustomOp1 for ResizeBwd {
    fn name(&self) -> &'static str {
        "resize_bilinear_bwd"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let _profile = crate::model::profile::scope("resize_bilinear_bwd.fwd");
        let (n, c, oh, ow) = layout.shape().dims4()?;
        let grad = f32_slice(storage, layout, self.name())?;
        let (h, w) = (self.in_h, self.in_w);
        let (ty, tx) = (taps(h, oh), taps(w, ow));
        let mut out = vec![0f32; n * c * h * w];
        out.par_chunks_mut(h * w)
            .enumerate()
            .for_each(|(plane, gin)| {
                gin.fill(0.0); // first touch is a write (see depthwise.rs)
                let gout = &grad[plane * oh * ow..(plane + 1) * oh * ow];
                let mut row = vec![0f32; w];
                for (go_row, &(y0, y1, fy)) in gout.chunks_exact(ow).zip(&ty) {
                    row.fill(0.0);
                    for (g, &(x0, x1, fx)) in go_row.iter().zip(&tx) {
                        row[x0] += g * (1.0 - fx);
                        row[x1] += g * fx;
                    }
                    axpy(&mut gin[y0 * w..(y0 + 1) * w], 1.0 - fy, &row);
                    axpy(&mut gin[y1 * w..(y1 + 1) * w], fy, &row);
                }
            });
        Ok((CpuStorage::F32(out), Shape::from((n, c, h, w))))
    }
}

/// Resizes `[N, C, H, W]` to `[N, C, out_h, out_w]` bilinearly with corner pixels aligned.
/// Returns the input unchanged when the size already matches.
pub fn resize_bilinear(input: &Tensor, out_h: usize, out_w: usize) -> Result<Tensor> {
    let (_, _, h, w) = input.dims4()?;
    if (h, w) == (out_h, out_w) {
        return Ok(input.clone());
    }
    if portable::is_used_for(input) {
        return portable::resize_bilinear(input, out_h, out_w);
    }
    input.contiguous()?.apply_op1(ResizeFwd { out_h, out_w })
}
