//! Building blocks shared by the backbones and the head: convolution + `BatchNorm` + activation
//! (`ConvBn`, named like `PyTorch's` `Sequential(conv, bn)`: `.0.weight`, `.1.*`) and the split
//! separable convolution (`SepConv`: depthwise `ConvBn` then pointwise `ConvBn`).
//!
//! In eval mode the `BatchNorm` is folded into the convolution (weight scaled per output
//! channel, then one fused shift + activation pass). In train mode a fused custom op normalises
//! with batch statistics, and the running averages are updated with `momentum`.

use candle_core::{Result, Tensor, Var};
use candle_nn::{ModuleT, VarBuilder, init};

use super::graph::{ConvNode, Graph, Op, ValueId};
use super::ops::Act;
use super::ops::{
    ConvParams, batch_norm_act_train, bias_act, conv2d_im2col, depthwise_conv2d,
    depthwise_conv2d_act_bias_act, depthwise_conv2d_bias_act, pointwise_conv2d,
    pointwise_conv2d_bias_act, pointwise_conv2d_bias_residual,
};

/// Epsilon of backbone `BatchNorms` (slim default, also Xception's arg scope).
pub const EPS_BACKBONE: f64 = 1e-3;
/// Epsilon of the ASPP and decoder `BatchNorms`.
pub const EPS_HEAD: f64 = 1e-5;

/// TF DeepLab's output-stride rule: layers keep their stride until the network reaches the target
/// output stride; from then on each stride becomes stride 1 and multiplies the dilation rate instead.
#[derive(Clone, Copy, Debug)]
pub struct StrideSchedule {
    current: usize,
    target: usize,
    rate: usize,
}

impl StrideSchedule {
    /// `current` is the stride already applied before the scheduled layers.
    pub fn new(current: usize, target: usize) -> Self {
        Self {
            current,
            target,
            rate: 1,
        }
    }

    /// The (stride, dilation) of the next layer, which asks for `stride`.
    pub fn next(&mut self, stride: usize) -> (usize, usize) {
        if self.current == self.target {
            let rate = self.rate;
            self.rate *= stride;
            (1, rate)
        } else {
            self.current *= stride;
            (stride, 1)
        }
    }
}

/// Geometry of one convolution; also used by `stats` to count MACs without building tensors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvSpec {
    pub cin: usize,
    pub cout: usize,
    pub k: usize,
    pub stride: usize,
    pub dilation: usize,
    pub depthwise: bool,
}

impl ConvSpec {
    pub fn dense(cin: usize, cout: usize, k: usize, stride: usize, dilation: usize) -> Self {
        Self {
            cin,
            cout,
            k,
            stride,
            dilation,
            depthwise: false,
        }
    }

    pub fn depthwise(channels: usize, k: usize, stride: usize, dilation: usize) -> Self {
        Self {
            cin: channels,
            cout: channels,
            k,
            stride,
            dilation,
            depthwise: true,
        }
    }

    /// Symmetric "same" padding, as in the reference.
    pub fn padding(&self) -> usize {
        self.params().padding
    }

    /// Stride, "same" padding and dilation as the convolution kernels take them.
    pub fn params(&self) -> ConvParams {
        ConvParams::same(self.k, self.stride, self.dilation)
    }

    pub fn out_len(&self, input: usize) -> usize {
        self.params().out_len(input, self.k)
    }

    pub fn weight_shape(&self) -> (usize, usize, usize, usize) {
        let per_group = if self.depthwise { 1 } else { self.cin };
        (self.cout, per_group, self.k, self.k)
    }

    pub fn weight_count(&self) -> usize {
        let (a, b, c, d) = self.weight_shape();
        a * b * c * d
    }

    /// Multiply-accumulates for one image with an `h`×`w` input.
    pub fn macs(&self, h: usize, w: usize) -> u64 {
        let per_out = if self.depthwise {
            self.k * self.k
        } else {
            self.k * self.k * self.cin
        };
        (self.out_len(h) * self.out_len(w) * self.cout * per_out) as u64
    }

    /// A 1×1, stride-1 dense convolution (one gemm per image).
    pub fn is_pointwise(&self) -> bool {
        !self.depthwise && self.k == 1 && self.stride == 1
    }

    /// Runs the convolution (no bias).
    pub fn conv(&self, x: &Tensor, weight: &Tensor) -> Result<Tensor> {
        if self.depthwise {
            depthwise_conv2d(x, weight, self.params())
        } else if self.is_pointwise() {
            pointwise_conv2d(x, weight)
        } else {
            conv2d_im2col(x, weight, self.params())
        }
    }
}

/// `BatchNorm` tensors, named like `PyTorch's` (`weight`, `bias`, `running_mean`, `running_var`).
#[derive(Debug, Clone)]
pub struct BnParams {
    pub gamma: Tensor,
    pub beta: Tensor,
    pub running_mean: Var,
    pub running_var: Var,
    pub eps: f64,
    pub momentum: f64,
}

impl BnParams {
    pub fn new(channels: usize, eps: f64, momentum: f64, vb: &VarBuilder) -> Result<Self> {
        let gamma = vb.get_with_hints(channels, "weight", init::Init::Const(1.0))?;
        let beta = vb.get_with_hints(channels, "bias", init::ZERO)?;
        let running_mean =
            Var::from_tensor(&vb.get_with_hints(channels, "running_mean", init::ZERO)?)?;
        let running_var = Var::from_tensor(&vb.get_with_hints(
            channels,
            "running_var",
            init::Init::Const(1.0),
        )?)?;
        Ok(Self {
            gamma,
            beta,
            running_mean,
            running_var,
            eps,
            momentum,
        })
    }

    /// Per-channel scale and shift equivalent to the `BatchNorm` in eval mode.
    pub fn folded(&self) -> Result<(Tensor, Tensor)> {
        let scale = self
            .gamma
            .broadcast_div(&(self.running_var.as_tensor() + self.eps)?.sqrt()?)?;
        let shift = (&self.beta - self.running_mean.as_tensor().mul(&scale)?)?;
        Ok((scale, shift))
    }

    /// Normalises with batch statistics and folds them into the running averages (the
    /// variance with Bessel's correction, as `PyTorch` and Candle do).
    pub fn forward_train(&self, x: &Tensor, act: Act) -> Result<Tensor> {
        let bn = batch_norm_act_train(x, &self.gamma, &self.beta, self.eps, act)?;
        let (n, _, h, w) = x.dims4()?;
        let count = (n * h * w) as f64;
        let m = self.momentum;
        let mean = bn.mean;
        let var = (bn.var * (count / (count - 1.0)))?;
        self.running_mean
            .set(&((self.running_mean.as_tensor() * (1.0 - m))? + (mean * m)?)?)?;
        self.running_var
            .set(&((self.running_var.as_tensor() * (1.0 - m))? + (var * m)?)?)?;
        Ok(bn.output)
    }
}

/// Convolution without bias, `BatchNorm`, activation.
#[derive(Debug, Clone)]
pub struct ConvBn {
    spec: ConvSpec,
    weight: Tensor,
    bn: BnParams,
    act: Act,
    /// Set by [`ConvBn::freeze`]: the `BatchNorm` folded into (weight, bias) once, for a copy of
    /// the network that only runs inference.
    frozen: Option<(Tensor, Tensor)>,
}

impl ConvBn {
    pub fn new(
        spec: ConvSpec,
        eps: f64,
        act: Act,
        bn_momentum: f64,
        vb: &VarBuilder,
    ) -> Result<Self> {
        let weight = vb.pp("0").get_with_hints(
            spec.weight_shape(),
            "weight",
            init::DEFAULT_KAIMING_NORMAL,
        )?;
        let bn = BnParams::new(spec.cout, eps, bn_momentum, &vb.pp("1"))?;
        Ok(Self {
            spec,
            weight,
            bn,
            act,
            frozen: None,
        })
    }

    pub fn spec(&self) -> ConvSpec {
        self.spec
    }

    pub fn act(&self) -> Act {
        self.act
    }

    /// The eval-mode convolution as (weight, bias): the `BatchNorm` folded in (scale per output
    /// channel into the weight, shift as the bias). Computed once if frozen.
    pub fn eval_params(&self) -> Result<(Tensor, Tensor)> {
        if let Some(p) = &self.frozen {
            return Ok(p.clone());
        }
        let _profile = super::profile::scope("bn_fold");
        let (scale, shift) = self.bn.folded()?;
        let weight = self.weight.broadcast_mul(&scale.reshape(((), 1, 1, 1))?)?;
        Ok((weight, shift))
    }

    /// Folds the `BatchNorm` now and keeps the result: later weight updates are not seen, and
    /// train-mode forward passes are refused. For inference copies (`DeepLab::frozen`).
    pub fn freeze(&mut self) -> Result<()> {
        self.frozen = None;
        let (w, b) = self.eval_params()?;
        self.frozen = Some((w.copy()?, b.copy()?));
        Ok(())
    }
}

impl ConvBn {
    /// This layer as a node of the inference graph (`BatchNorm` folded), reading `input`.
    pub fn emit(
        &self,
        graph: &mut Graph,
        name: &str,
        input: ValueId,
        input_act: Act,
        residual: Option<ValueId>,
    ) -> Result<ValueId> {
        let (weight, bias) = self.eval_params()?;
        Ok(graph.push(Op::Conv(ConvNode {
            input,
            name: name.to_owned(),
            spec: self.spec,
            weight,
            bias,
            input_act,
            act: self.act,
            residual,
        })))
    }
}

impl ModuleT for ConvBn {
    fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        if train {
            if self.frozen.is_some() {
                candle_core::bail!("a frozen (inference) copy of the network cannot train");
            }
            let y = self.spec.conv(x, &self.weight)?;
            return self.bn.forward_train(&y, self.act);
        }
        self.forward_eval_as(x, self.act)
    }
}

impl ConvBn {
    /// Eval-mode conv + folded `BatchNorm` + `act` (this layer's or, to defer it, `Act::None`).
    fn forward_eval_as(&self, x: &Tensor, act: Act) -> Result<Tensor> {
        let (weight, shift) = self.eval_params()?;
        if self.spec.depthwise {
            return depthwise_conv2d_bias_act(x, &weight, &shift, self.spec.params(), act);
        }
        if self.spec.is_pointwise() {
            return pointwise_conv2d_bias_act(x, &weight, &shift, act);
        }
        let y = self.spec.conv(x, &weight)?;
        bias_act(&y, &shift, act)
    }

    /// Eval mode without this layer's activation, returned for the next layer to apply as it
    /// reads ([`ConvBn::forward_eval`]): saves a pass over a large output.
    pub fn forward_eval_deferred(&self, x: &Tensor) -> Result<(Tensor, Act)> {
        Ok((self.forward_eval_as(x, Act::None)?, self.act))
    }

    /// Eval mode with two fusions the backbones use: `input_act` (the previous layer's deferred
    /// activation) is applied to `x` first, and `residual` is added to the output. On a frozen
    /// copy they happen inside the kernels (a depthwise conv applies `input_act` as it reads; a
    /// linear 1×1 conv starts its output from the residual), which have no backward pass; on a
    /// live network they are separate differentiable ops, so eval-mode passes still train.
    pub fn forward_eval(
        &self,
        x: &Tensor,
        input_act: Act,
        residual: Option<&Tensor>,
    ) -> Result<Tensor> {
        if self.frozen.is_some() {
            let (weight, shift) = self.eval_params()?;
            let s = self.spec;
            if s.depthwise && residual.is_none() {
                return depthwise_conv2d_act_bias_act(
                    x,
                    &weight,
                    &shift,
                    s.params(),
                    input_act,
                    self.act,
                );
            }
            if let (true, Act::None, Act::None, Some(r)) =
                (s.is_pointwise(), input_act, self.act, residual)
            {
                return pointwise_conv2d_bias_residual(x, &weight, &shift, r);
            }
        }
        let y = self.forward_eval_as(&input_act.apply(x)?, self.act)?;
        match residual {
            Some(r) => y + r,
            None => Ok(y),
        }
    }
}

/// TF `DeepLab's` split separable conv: depthwise k×k + BN (+act), then 1×1 + BN (+act).
#[derive(Debug, Clone)]
pub struct SepConv {
    pub depthwise: ConvBn,
    pub pointwise: ConvBn,
}

impl SepConv {
    #[expect(
        clippy::too_many_arguments,
        reason = "the parameters of the TF layer, each named at the call site"
    )]
    pub fn new(
        cin: usize,
        cout: usize,
        stride: usize,
        dilation: usize,
        eps: f64,
        act: Act,
        bn_momentum: f64,
        vb: &VarBuilder,
    ) -> Result<Self> {
        let depthwise = ConvBn::new(
            ConvSpec::depthwise(cin, 3, stride, dilation),
            eps,
            act,
            bn_momentum,
            &vb.pp("depthwise"),
        )?;
        let pointwise = ConvBn::new(
            ConvSpec::dense(cin, cout, 1, 1, 1),
            eps,
            act,
            bn_momentum,
            &vb.pp("pointwise"),
        )?;
        Ok(Self {
            depthwise,
            pointwise,
        })
    }

    pub fn specs(cin: usize, cout: usize, stride: usize, dilation: usize) -> [ConvSpec; 2] {
        [
            ConvSpec::depthwise(cin, 3, stride, dilation),
            ConvSpec::dense(cin, cout, 1, 1, 1),
        ]
    }
}

impl SepConv {
    /// The depthwise then the pointwise node; `input_act` goes to the depthwise conv, `residual`
    /// to the pointwise one.
    pub fn emit(
        &self,
        graph: &mut Graph,
        name: &str,
        input: ValueId,
        input_act: Act,
        residual: Option<ValueId>,
    ) -> Result<ValueId> {
        let dw =
            self.depthwise
                .emit(graph, &format!("{name}.depthwise"), input, input_act, None)?;
        self.pointwise
            .emit(graph, &format!("{name}.pointwise"), dw, Act::None, residual)
    }

    pub fn freeze(&mut self) -> Result<()> {
        self.depthwise.freeze()?;
        self.pointwise.freeze()
    }
}

impl ModuleT for SepConv {
    fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        x.apply_t(&self.depthwise, train)?
            .apply_t(&self.pointwise, train)
    }
}
