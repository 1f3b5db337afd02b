//! The network as a flat inference graph: every convolution with its `BatchNorm` folded in (weight
//! and bias), plus the few other operations `DeepLab` needs (global average pooling, broadcast,
//! concatenation, bilinear resize). Quantization, the int8 runtime and model export read this one
//! description instead of walking the Candle modules, so they cannot disagree on the topology.
//!
//! Value 0 is the network's input (`[N, 3, H, W]` in [-1, 1]); node `i` produces value `i + 1`.
//! [`Graph::run_f32`] executes it with the model's own kernels; a test checks that it reproduces
//! the network's eval-mode forward pass.

use candle_core::{Result, Tensor};

use super::layers::ConvSpec;
use super::ops::{
    Act, bias_act, depthwise_conv2d_act_bias_act, pointwise_conv2d_bias_act,
    pointwise_conv2d_bias_residual, resize_bilinear,
};

/// Index of a value: 0 is the input, `i + 1` the output of node `i`.
pub type ValueId = usize;

/// A convolution with its `BatchNorm` folded: `act(conv(input_act(x)) + bias) + residual`.
#[derive(Debug, Clone)]
pub struct ConvNode {
    pub input: ValueId,
    /// The layer's tensor prefix in the checkpoint (`encoder.layers.3.expand`).
    pub name: String,
    pub spec: ConvSpec,
    /// `[cout, cin / groups, k, k]`, the `BatchNorm` scale folded in.
    pub weight: Tensor,
    /// `[cout]`, the `BatchNorm` shift (or the layer's own bias).
    pub bias: Tensor,
    /// Applied to the input as it is read (Xception's pre-activation `ReLU`).
    pub input_act: Act,
    pub act: Act,
    /// Added after the activation (the backbones' skip connections).
    pub residual: Option<ValueId>,
}

/// What the graph needs to know of a convolution, whatever form its weights take (f32 here,
/// int8 in `quantize`).
pub trait ConvLinks {
    fn input(&self) -> ValueId;
    fn residual(&self) -> Option<ValueId>;
}

impl ConvLinks for ConvNode {
    fn input(&self) -> ValueId {
        self.input
    }
    fn residual(&self) -> Option<ValueId> {
        self.residual
    }
}

/// One operation of the graph; `C` is the convolution's payload.
#[derive(Debug, Clone)]
pub enum Op<C = ConvNode> {
    Conv(C),
    /// Mean over the spatial axes, `[N, C, 1, 1]` (ASPP's image pooling).
    GlobalAvgPool(ValueId),
    /// A `[N, C, 1, 1]` value repeated over the spatial size of the second value.
    Broadcast {
        input: ValueId,
        like: ValueId,
    },
    /// Channel concatenation.
    Concat(Vec<ValueId>),
    /// Bilinear resize (`align_corners`) of the first value to the spatial size of the second.
    Resize {
        input: ValueId,
        like: ValueId,
    },
}

impl<C> Op<C> {
    /// The same operation with the convolution's payload converted by `f`.
    pub fn map_conv<D, E>(
        &self,
        f: impl FnOnce(&C) -> std::result::Result<D, E>,
    ) -> std::result::Result<Op<D>, E> {
        Ok(match self {
            Op::Conv(c) => Op::Conv(f(c)?),
            Op::GlobalAvgPool(v) => Op::GlobalAvgPool(*v),
            Op::Broadcast { input, like } => Op::Broadcast {
                input: *input,
                like: *like,
            },
            Op::Concat(xs) => Op::Concat(xs.clone()),
            Op::Resize { input, like } => Op::Resize {
                input: *input,
                like: *like,
            },
        })
    }
}

impl<C: ConvLinks> Op<C> {
    /// The values this operation reads (a convolution: its input, then its residual).
    pub fn reads(&self) -> Vec<ValueId> {
        match self {
            Op::Conv(c) => std::iter::once(c.input()).chain(c.residual()).collect(),
            Op::GlobalAvgPool(x) => vec![*x],
            Op::Broadcast { input, like } | Op::Resize { input, like } => vec![*input, *like],
            Op::Concat(xs) => xs.clone(),
        }
    }
}

/// The whole network, in execution order.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub nodes: Vec<Op>,
    /// The logits at the input size.
    pub output: ValueId,
}

impl Graph {
    /// Appends an operation; returns its value.
    pub fn push(&mut self, op: Op) -> ValueId {
        self.nodes.push(op);
        self.nodes.len()
    }

    /// The convolutions in execution order.
    pub fn convs(&self) -> impl Iterator<Item = &ConvNode> {
        self.nodes.iter().filter_map(|n| match n {
            Op::Conv(c) => Some(c),
            _ => None,
        })
    }

    /// Runs the graph in f32; `observe` sees every value as it is produced (calibration).
    pub fn run_f32(
        &self,
        x: &Tensor,
        mut observe: impl FnMut(ValueId, &Tensor) -> Result<()>,
    ) -> Result<Tensor> {
        let mut values: Vec<Option<Tensor>> = vec![None; self.nodes.len() + 1];
        let last_use = last_uses(&self.nodes);
        values[0] = Some(x.clone());
        observe(0, x)?;
        for (i, node) in self.nodes.iter().enumerate() {
            let get = |v: ValueId| -> Result<&Tensor> {
                values[v]
                    .as_ref()
                    .ok_or_else(|| candle_core::Error::msg(format!("graph value {v} was freed")))
            };
            let y = match node {
                Op::Conv(c) => {
                    let residual = match c.residual {
                        Some(r) => Some(get(r)?),
                        None => None,
                    };
                    conv_f32(get(c.input)?, c, residual)?
                }
                Op::GlobalAvgPool(v) => get(*v)?.mean_keepdim(3)?.mean_keepdim(2)?,
                Op::Broadcast { input, like } => {
                    let (n, c, _, _) = get(*input)?.dims4()?;
                    let (_, _, h, w) = get(*like)?.dims4()?;
                    get(*input)?.broadcast_as((n, c, h, w))?.contiguous()?
                }
                Op::Concat(xs) => {
                    let parts = xs.iter().map(|&v| get(v)).collect::<Result<Vec<_>>>()?;
                    Tensor::cat(&parts, 1)?
                }
                Op::Resize { input, like } => {
                    let (_, _, h, w) = get(*like)?.dims4()?;
                    resize_bilinear(get(*input)?, h, w)?
                }
            };
            observe(i + 1, &y)?;
            values[i + 1] = Some(y);
            // Free what no later node reads: Xception at 513² holds gigabytes otherwise.
            for v in node.reads() {
                if last_use[v] == i && v != self.output {
                    values[v] = None;
                }
            }
        }
        values[self.output]
            .take()
            .ok_or_else(|| candle_core::Error::msg("graph output was never produced"))
    }
}

/// For every value of a graph of `ops`, the index of the last operation that reads it.
pub fn last_uses<C: ConvLinks>(ops: &[Op<C>]) -> Vec<usize> {
    let mut last = vec![0; ops.len() + 1];
    for (i, op) in ops.iter().enumerate() {
        for v in op.reads() {
            last[v] = i;
        }
    }
    last
}

/// `act(conv(input_act(x)) + bias) + residual` with the fused kernels where one fits.
fn conv_f32(x: &Tensor, c: &ConvNode, residual: Option<&Tensor>) -> Result<Tensor> {
    let s = c.spec;
    if s.depthwise && residual.is_none() {
        return depthwise_conv2d_act_bias_act(
            x,
            &c.weight,
            &c.bias,
            s.params(),
            c.input_act,
            c.act,
        );
    }
    let x = c.input_act.apply(x)?;
    if let (true, Act::None, Some(r)) = (s.is_pointwise(), c.act, residual) {
        return pointwise_conv2d_bias_residual(&x, &c.weight, &c.bias, r);
    }
    let y = if s.is_pointwise() {
        pointwise_conv2d_bias_act(&x, &c.weight, &c.bias, c.act)?
    } else {
        bias_act(&s.conv(&x, &c.weight)?, &c.bias, c.act)?
    };
    match residual {
        Some(r) => y + r,
        None => Ok(y),
    }
}
