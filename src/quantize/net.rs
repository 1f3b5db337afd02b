//! The int8 network: the inference graph with every convolution's weights in `i8` (scales per
//! output channel or per tensor), biases in `i32` and a `u8` grid for every activation, run with
//! integer kernels on channels-last maps. Only the logits and their final upsampling stay in f32,
//! as ONNX Runtime's QDQ models leave the last layer.

use candle_core::{Device, Tensor};
use rayon::prelude::*;

use super::calibrate::{RangeMethod, Ranges};
use super::gemm::PackedWeights;
use super::kernels::{self, Epilogue, Plane};
use super::params::{ActQuant, Granularity, QuantWeights, quantize_bias, quantize_weights};
use super::vnni::Target;
use crate::model::graph::{ConvLinks, ConvNode, Graph, Op, ValueId, last_uses};
use crate::model::layers::ConvSpec;
use crate::model::ops::{Act, resize_taps};

/// A quantized convolution: `act(s_x · s_w[c] · (Σ w·(x − z_x) + bias[c])) + residual`.
#[derive(Debug)]
pub struct QConv {
    pub input: ValueId,
    pub residual: Option<ValueId>,
    pub name: String,
    pub spec: ConvSpec,
    pub input_act: Act,
    pub act: Act,
    pub weight: QuantWeights,
    pub bias: Vec<i32>,
    /// `s_x · s_w[c]` per output channel.
    scale: Vec<f32>,
    kernel: Kernel,
}

/// The weights laid out for the kernel that runs them.
#[derive(Debug)]
enum Kernel {
    Depthwise(kernels::DepthwiseWeights),
    /// `[k·k·Cin][Cout]`, packed for the matrix product.
    Gemm(PackedWeights),
}

impl QConv {
    /// The quantized form of graph node `c`, whose input lies on a grid of step `input_scale`.
    pub fn new(c: &ConvNode, input_scale: f32, weight: QuantWeights, bias: Vec<i32>) -> Self {
        let s = c.spec;
        let kernel = if s.depthwise {
            Kernel::Depthwise(kernels::DepthwiseWeights::new(&weight.data, s.cout, s.k))
        } else {
            let mut m = kernels::dense_matrix(&weight.data, s.cout, s.cin, s.k);
            // A 1×1 conv multiplies the activations themselves, C bytes a pixel: drop the padding
            // rows (zero, at the end) that im2col rows have.
            let rows = if s.is_pointwise() {
                s.cin
            } else {
                kernels::dense_rows(s.cin, s.k)
            };
            m.truncate(rows * s.cout);
            Kernel::Gemm(PackedWeights::new(m, rows, s.cout))
        };
        let scale = (0..s.cout)
            .map(|co| input_scale * weight.scale(co))
            .collect();
        Self {
            input: c.input,
            residual: c.residual,
            name: c.name.clone(),
            spec: s,
            input_act: c.input_act,
            act: c.act,
            weight,
            bias,
            scale,
            kernel,
        }
    }
}

impl ConvLinks for QConv {
    fn input(&self) -> ValueId {
        self.input
    }
    fn residual(&self) -> Option<ValueId> {
        self.residual
    }
}

/// The network in int8.
#[derive(Debug)]
pub struct QuantizedNet {
    pub ops: Vec<Op<QConv>>,
    /// The grid of every value; `None` for the values kept in f32.
    pub acts: Vec<Option<ActQuant>>,
    pub output: ValueId,
    pub granularity: Granularity,
    pub method: RangeMethod,
}

/// One value while the network runs, channels last: codes on its grid, or f32.
enum Data {
    Codes(Vec<u8>),
    Float(Vec<f32>),
}

struct Value {
    data: Data,
    c: usize,
    h: usize,
    w: usize,
}

impl QuantizedNet {
    /// Quantizes `graph` with the activation ranges from calibration.
    pub fn new(
        graph: &Graph,
        ranges: &Ranges,
        method: RangeMethod,
        granularity: Granularity,
    ) -> candle_core::Result<Self> {
        let values = graph.nodes.len() + 1;
        let float = float_values(&graph.nodes, graph.output);
        let mut acts: Vec<Option<ActQuant>> = (0..values)
            .map(|v| {
                (!float.contains(&v)).then(|| {
                    let (lo, hi) = ranges.range(v, method);
                    ActQuant::from_range(lo, hi)
                })
            })
            .collect();
        let mut ops = Vec::with_capacity(graph.nodes.len());
        for (i, op) in graph.nodes.iter().enumerate() {
            if let Op::Broadcast { input, .. } = op {
                // Repeating codes needs no new grid.
                acts[i + 1] = acts[*input];
            }
            ops.push(op.map_conv(|c| {
                let Some(x) = acts[c.input] else {
                    candle_core::bail!("{}: its input is not quantized", c.name);
                };
                let w = c.weight.flatten_all()?.to_vec1::<f32>()?;
                let weight = quantize_weights(&w, c.spec.cout, granularity);
                let bias = quantize_bias(&c.bias.to_vec1::<f32>()?, x.scale, &weight);
                Ok(QConv::new(c, x.scale, weight, bias))
            })?);
        }
        Ok(Self {
            ops,
            acts,
            output: graph.output,
            granularity,
            method,
        })
    }

    /// The convolutions in execution order.
    pub fn convs(&self) -> impl Iterator<Item = &QConv> {
        self.ops.iter().filter_map(|op| match op {
            Op::Conv(c) => Some(c),
            _ => None,
        })
    }

    /// Logits `[N, classes, H, W]` of `batch` planar images `[3, H, W]` in [-1, 1].
    pub fn logits(&self, x: &[f32], batch: usize, h: usize, w: usize) -> Result<Tensor, String> {
        let mut out = Vec::new();
        let mut classes = 0;
        for image in x.chunks(3 * h * w).take(batch) {
            let (c, y) = self.run(image, h, w)?;
            classes = c;
            out.extend(y);
        }
        Tensor::from_vec(out, (batch, classes, h, w), &Device::Cpu).map_err(|e| e.to_string())
    }

    /// Runs one planar image `[3, H, W]`; returns (classes, logits `[classes, H, W]`).
    pub fn run(&self, x: &[f32], h: usize, w: usize) -> Result<(usize, Vec<f32>), String> {
        let grid = self.acts[0].ok_or("the network input has no grid")?;
        let codes = kernels::quantize_planar(x, 3, 1.0 / grid.scale, grid.zero_point);
        let mut values: Vec<Option<Value>> = (0..=self.ops.len()).map(|_| None).collect();
        values[0] = Some(Value {
            data: Data::Codes(codes),
            c: 3,
            h,
            w,
        });
        let last_use = last_uses(&self.ops);
        for (i, op) in self.ops.iter().enumerate() {
            let y = self.step(op, &values, i + 1)?;
            values[i + 1] = Some(y);
            for v in op.reads() {
                if last_use[v] == i && v != self.output {
                    values[v] = None;
                }
            }
        }
        let out = values[self.output].take().ok_or("no output")?;
        let Data::Float(planar) = out.data else {
            return Err("the output was quantized".into());
        };
        Ok((out.c, planar))
    }

    fn table(&self, v: ValueId) -> Result<[f32; 256], String> {
        let g = self.acts[v].ok_or_else(|| format!("value {v} has no grid"))?;
        Ok(std::array::from_fn(|q| g.dequantize(q as u8)))
    }

    fn step(
        &self,
        op: &Op<QConv>,
        values: &[Option<Value>],
        out: ValueId,
    ) -> Result<Value, String> {
        let _profile = crate::model::profile::scope(match op {
            Op::Conv(_) => "int8.conv",
            Op::GlobalAvgPool(_) => "int8.pool",
            Op::Broadcast { .. } => "int8.broadcast",
            Op::Concat(_) => "int8.concat",
            Op::Resize { .. } => "int8.resize",
        });
        let get = |v: ValueId| {
            values[v]
                .as_ref()
                .ok_or_else(|| format!("value {v} was freed"))
        };
        match op {
            Op::Conv(c) => self.conv(c, get(c.input)?, c.residual.map(get).transpose()?, out),
            Op::GlobalAvgPool(v) => {
                let x = get(*v)?;
                let real = self.real(*v, x)?;
                let mut sums = vec![0f64; x.c];
                for px in real.chunks(x.c) {
                    for (s, r) in sums.iter_mut().zip(px) {
                        *s += f64::from(*r);
                    }
                }
                let n = (x.h * x.w) as f64;
                Ok(self.store(
                    out,
                    sums.iter().map(|s| (s / n) as f32).collect(),
                    x.c,
                    1,
                    1,
                ))
            }
            Op::Broadcast { input, like } => {
                let (x, l) = (get(*input)?, get(*like)?);
                let Data::Codes(q) = &x.data else {
                    return Err("broadcasting a float value".into());
                };
                let data = q.repeat(l.h * l.w);
                Ok(Value {
                    data: Data::Codes(data),
                    c: x.c,
                    h: l.h,
                    w: l.w,
                })
            }
            Op::Concat(xs) => {
                let to = self.acts[out].ok_or("a float concatenation")?;
                let parts = xs
                    .iter()
                    .map(|&v| {
                        let x = get(v)?;
                        let (Data::Codes(q), Some(from)) = (&x.data, self.acts[v]) else {
                            return Err("concatenating a float value".to_owned());
                        };
                        Ok((q, x.c, (from != to).then(|| from.requantize_table(&to))))
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                let first = get(xs[0])?;
                let c: usize = parts.iter().map(|p| p.1).sum();
                let mut data = vec![0u8; c * first.h * first.w];
                data.par_chunks_mut(c).enumerate().for_each(|(p, px)| {
                    let mut at = 0;
                    for (q, n, table) in &parts {
                        let src = &q[p * n..(p + 1) * n];
                        match table {
                            Some(t) => px[at..at + n]
                                .iter_mut()
                                .zip(src)
                                .for_each(|(d, &s)| *d = t[s as usize]),
                            None => px[at..at + n].copy_from_slice(src),
                        }
                        at += n;
                    }
                });
                Ok(Value {
                    data: Data::Codes(data),
                    c,
                    h: first.h,
                    w: first.w,
                })
            }
            Op::Resize { input, like } => {
                let (x, l) = (get(*input)?, get(*like)?);
                let real = self.real(*input, x)?;
                // The network's output is planar, as the evaluator reads logits.
                let planar = out == self.output;
                let resized = resize_channels_last(&real, x.c, (x.h, x.w), (l.h, l.w), planar);
                Ok(self.store(out, resized, x.c, l.h, l.w))
            }
        }
    }

    /// The real values of `x` (value `v`).
    fn real(&self, v: ValueId, x: &Value) -> Result<Vec<f32>, String> {
        Ok(match &x.data {
            Data::Codes(q) => {
                let t = self.table(v)?;
                q.iter().map(|&q| t[q as usize]).collect()
            }
            Data::Float(f) => f.clone(),
        })
    }

    /// Real values stored on `out`'s grid, or as f32 if it has none.
    fn store(&self, out: ValueId, real: Vec<f32>, c: usize, h: usize, w: usize) -> Value {
        let data = match self.acts[out] {
            Some(g) => Data::Codes(real.into_iter().map(|v| g.quantize(v)).collect()),
            None => Data::Float(real),
        };
        Value { data, c, h, w }
    }

    fn conv(
        &self,
        c: &QConv,
        x: &Value,
        residual: Option<&Value>,
        out: ValueId,
    ) -> Result<Value, String> {
        let g = self.acts[c.input].ok_or_else(|| format!("{}: float input", c.name))?;
        let Data::Codes(q) = &x.data else {
            return Err(format!("{}: float input", c.name));
        };
        // The input activation on codes: ReLU keeps the codes at or above the zero point.
        let clamped;
        let data: &[u8] = match c.input_act {
            Act::None => q,
            act => {
                let (lo, hi) = act.pass_range();
                let hi = if hi.is_finite() { g.quantize(hi) } else { 255 };
                let lo = g.quantize(lo);
                // max/min rather than `clamp`, whose range assertion keeps it from vectorising.
                let mut codes = q.clone();
                codes
                    .par_chunks_mut(1 << 16)
                    .for_each(|part| part.iter_mut().for_each(|v| *v = (*v).max(lo).min(hi)));
                clamped = codes;
                &clamped
            }
        };
        let plane = Plane {
            data,
            channels: x.c,
            h: x.h,
            w: x.w,
            zero_point: g.zero_point,
        };
        let s = c.spec;
        let residual = match (residual, c.residual) {
            (Some(r), Some(v)) => {
                let Data::Codes(codes) = &r.data else {
                    return Err(format!("{}: float residual", c.name));
                };
                let grid = self.acts[v].ok_or_else(|| format!("{}: float residual", c.name))?;
                Some((codes.as_slice(), grid))
            }
            _ => None,
        };
        let (lo, hi) = c.act.pass_range();
        let e = Epilogue {
            bias: &c.bias,
            scale: &c.scale,
            lo,
            hi,
            residual,
        };
        let out_grid = self.acts[out];
        let (data, oh, ow) = match &c.kernel {
            Kernel::Gemm(w) => {
                let _profile = crate::model::profile::scope(match (out_grid, s.is_pointwise()) {
                    (None, _) => "int8.logits",
                    (_, true) => "int8.pointwise",
                    (_, false) => "int8.dense",
                });
                let cols;
                let (a, oh, ow) = if s.is_pointwise() {
                    (data, x.h, x.w)
                } else {
                    let rows = kernels::dense_rows(s.cin, s.k);
                    let (c, oh, ow) = kernels::im2col(plane, s.k, s.params(), rows);
                    cols = c;
                    (cols.as_slice(), oh, ow)
                };
                let m = oh * ow;
                let data = if let Some(grid) = out_grid {
                    let to = (1.0 / grid.scale, grid.zero_point);
                    Data::Codes(w.run_codes(a, m, g.zero_point, &e, to))
                } else {
                    let mut out = vec![0f32; m * s.cout];
                    w.run(a, m, g.zero_point, &e, Target::Real(&mut out));
                    Data::Float(out)
                };
                (data, oh, ow)
            }
            Kernel::Depthwise(taps) => {
                let _profile = crate::model::profile::scope("int8.depthwise");
                if let Some(grid) = out_grid {
                    let (inv, zp) = (1.0 / grid.scale, grid.zero_point);
                    let (codes, oh, ow) =
                        kernels::depthwise_requantize(plane, taps, s.params(), &e, inv, zp);
                    (Data::Codes(codes), oh, ow)
                } else {
                    let (acc, oh, ow) = kernels::depthwise(plane, taps, s.params());
                    (Data::Float(kernels::dequantize(&acc, &e)), oh, ow)
                }
            }
        };
        Ok(Value {
            data,
            c: s.cout,
            h: oh,
            w: ow,
        })
    }
}

/// Bilinear resize with `align_corners` (the model's own) of a channels-last map, into a
/// channels-last or (`planar`) a `[C][H][W]` result.
fn resize_channels_last(
    src: &[f32],
    c: usize,
    (h, w): (usize, usize),
    (oh, ow): (usize, usize),
    planar: bool,
) -> Vec<f32> {
    let (ty, tx) = (resize_taps(h, oh), resize_taps(w, ow));
    let mut out = vec![0f32; oh * ow * c];
    if planar {
        // Planar first (the input is the small one).
        let mut src_planar = vec![0f32; src.len()];
        for (p, px) in src.chunks(c).enumerate() {
            for (k, v) in px.iter().enumerate() {
                src_planar[k * h * w + p] = *v;
            }
        }
        // Separable: every input row interpolated to the output width once, then each output
        // row is a blend of two of those rows (contiguous, so it vectorises).
        let mut wide = vec![0f32; c * h * ow];
        wide.par_chunks_mut(ow).enumerate().for_each(|(row, dst)| {
            let src = &src_planar[row * w..(row + 1) * w];
            for (d, &(x0, x1, fx)) in dst.iter_mut().zip(&tx) {
                *d = src[x0] + (src[x1] - src[x0]) * fx;
            }
        });
        out.par_chunks_mut(ow).enumerate().for_each(|(row, dst)| {
            let (k, oy) = (row / oh, row % oh);
            let (y0, y1, fy) = ty[oy];
            let r0 = &wide[(k * h + y0) * ow..(k * h + y0 + 1) * ow];
            let r1 = &wide[(k * h + y1) * ow..(k * h + y1 + 1) * ow];
            for ((d, &a), &b) in dst.iter_mut().zip(r0).zip(r1) {
                *d = a + (b - a) * fy;
            }
        });
    } else {
        out.par_chunks_mut(ow * c)
            .enumerate()
            .for_each(|(oy, row)| {
                let (y0, y1, fy) = ty[oy];
                for (px, &(x0, x1, fx)) in row.chunks_mut(c).zip(&tx) {
                    let at = |y: usize, x: usize| &src[(y * w + x) * c..(y * w + x + 1) * c];
                    let (a, b, cc, d) = (at(y0, x0), at(y0, x1), at(y1, x0), at(y1, x1));
                    for k in 0..c {
                        let top = a[k] + (b[k] - a[k]) * fx;
                        let bottom = cc[k] + (d[k] - cc[k]) * fx;
                        px[k] = top + (bottom - top) * fy;
                    }
                }
            });
    }
    out
}

/// The values kept in f32: the output and the logits it upsamples.
fn float_values(ops: &[Op], output: ValueId) -> Vec<ValueId> {
    let mut float = vec![output];
    if let Some(Op::Resize { input, .. }) = output.checked_sub(1).and_then(|i| ops.get(i)) {
        float.push(*input);
    }
    float
}
