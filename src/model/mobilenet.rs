//! Slim `MobileNetV2` up to `layer_18`, with slim's output-stride logic (once the target stride
//! is reached, later strides become atrous rates) and the `layer_4/depthwise_output` end point
//! used by the decoder. Tensor names follow the `PyTorch` reference (`encoder.stem`,
//! `encoder.layers.{i}.{expand,depthwise,project}`).

use candle_core::{Result, Tensor};
use candle_nn::VarBuilder;

use super::config::{Config, make_divisible};
use super::graph::{Graph, ValueId};
use super::layers::{ConvBn, ConvSpec, EPS_BACKBONE, StrideSchedule};
use super::ops::Act;

/// (expansion, output channels, stride) of slim `V2_DEF` `layer_2` .. `layer_18`.
const LAYERS: [(usize, usize, usize); 17] = [
    (1, 16, 1),
    (6, 24, 2),
    (6, 24, 1),
    (6, 32, 2),
    (6, 32, 1),
    (6, 32, 1),
    (6, 64, 2),
    (6, 64, 1),
    (6, 64, 1),
    (6, 64, 1),
    (6, 96, 1),
    (6, 96, 1),
    (6, 96, 1),
    (6, 160, 2),
    (6, 160, 1),
    (6, 160, 1),
    (6, 320, 1),
];

/// Index (into `layer_2..`) of TF's `layer_4`, whose depthwise output feeds the decoder.
const LOW_LEVEL_LAYER: usize = 2;

/// One inverted-residual block: optional 1×1 expand, depthwise 3×3, linear 1×1 project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockSpec {
    pub cin: usize,
    pub hidden: usize,
    pub cout: usize,
    pub stride: usize,
    pub dilation: usize,
}

impl BlockSpec {
    /// TF only adds the expansion conv when the inner size exceeds the input size.
    pub fn has_expand(&self) -> bool {
        self.hidden > self.cin
    }

    pub fn residual(&self) -> bool {
        self.stride == 1 && self.cin == self.cout
    }

    /// The block's convolutions in execution order.
    pub fn convs(&self) -> Vec<ConvSpec> {
        let mut v = Vec::with_capacity(3);
        if self.has_expand() {
            v.push(ConvSpec::dense(self.cin, self.hidden, 1, 1, 1));
        }
        v.push(ConvSpec::depthwise(
            self.hidden,
            3,
            self.stride,
            self.dilation,
        ));
        v.push(ConvSpec::dense(self.hidden, self.cout, 1, 1, 1));
        v
    }
}

/// Stem conv and block geometry for a config.
pub fn specs(cfg: &Config) -> (ConvSpec, Vec<BlockSpec>) {
    let ch = |c: usize| make_divisible(c as f64 * cfg.depth_multiplier, 8, 8);
    let stem = ConvSpec::dense(3, ch(32), 3, 2, 1);
    let mut schedule = StrideSchedule::new(2, cfg.output_stride);
    let mut cin = stem.cout;
    let mut blocks = Vec::with_capacity(LAYERS.len());
    for &(expansion, cout, stride) in &LAYERS {
        let (layer_stride, layer_rate) = schedule.next(stride);
        let hidden = if expansion == 1 {
            cin
        } else {
            make_divisible((cin * expansion) as f64, 8, 8)
        };
        let cout = ch(cout);
        blocks.push(BlockSpec {
            cin,
            hidden,
            cout,
            stride: layer_stride,
            dilation: layer_rate,
        });
        cin = cout;
    }
    (stem, blocks)
}

/// Channels of the decoder's low-level input (`layer_4/depthwise_output`).
pub fn low_level_channels(cfg: &Config) -> usize {
    specs(cfg).1[LOW_LEVEL_LAYER].hidden
}

#[derive(Debug, Clone)]
struct Block {
    spec: BlockSpec,
    expand: Option<ConvBn>,
    depthwise: ConvBn,
    project: ConvBn,
}

#[derive(Debug, Clone)]
pub struct MobileNetV2 {
    stem: ConvBn,
    blocks: Vec<Block>,
    pub out_channels: usize,
}

impl MobileNetV2 {
    pub fn new(cfg: &Config, vb: &VarBuilder) -> Result<Self> {
        let m = cfg.bn_momentum;
        let (stem_spec, specs) = specs(cfg);
        let stem = ConvBn::new(stem_spec, EPS_BACKBONE, Act::Relu6, m, &vb.pp("stem"))?;
        let mut blocks = Vec::with_capacity(specs.len());
        for (i, spec) in specs.iter().enumerate() {
            let vb = vb.pp("layers").pp(i.to_string());
            let convs = spec.convs();
            let expand = if spec.has_expand() {
                Some(ConvBn::new(
                    convs[0],
                    EPS_BACKBONE,
                    Act::Relu6,
                    m,
                    &vb.pp("expand"),
                )?)
            } else {
                None
            };
            let n = convs.len();
            let depthwise = ConvBn::new(
                convs[n - 2],
                EPS_BACKBONE,
                Act::Relu6,
                m,
                &vb.pp("depthwise"),
            )?;
            let project = ConvBn::new(convs[n - 1], EPS_BACKBONE, Act::None, m, &vb.pp("project"))?;
            blocks.push(Block {
                spec: *spec,
                expand,
                depthwise,
                project,
            });
        }
        let out_channels = specs.last().map_or(stem_spec.cout, |s| s.cout);
        Ok(Self {
            stem,
            blocks,
            out_channels,
        })
    }

    /// Returns the `layer_18` features and the `layer_4` depthwise output.
    pub fn forward_t(&self, x: &Tensor, train: bool) -> Result<(Tensor, Tensor)> {
        let mut x = x.apply_t(&self.stem, train)?;
        let mut low = None;
        for (i, b) in self.blocks.iter().enumerate() {
            let (out, dw) = if train {
                b.forward_train(&x)?
            } else {
                b.forward_eval(&x)?
            };
            x = out;
            if i == LOW_LEVEL_LAYER {
                low = Some(dw);
            }
        }
        Ok((x, low.expect("MobileNetV2 has more than three blocks")))
    }

    /// The output of the stem and the first `n` blocks in eval mode (to check the encoder against
    /// another implementation's intermediate features, as the `--init` test does).
    pub fn forward_blocks(&self, x: &Tensor, n: usize) -> Result<Tensor> {
        let mut x = x.apply_t(&self.stem, false)?;
        for b in self.blocks.iter().take(n) {
            x = b.forward_eval(&x)?.0;
        }
        Ok(x)
    }

    /// Appends the encoder to the inference graph; returns (features, low-level features).
    pub fn emit(&self, graph: &mut Graph, prefix: &str, x: ValueId) -> Result<(ValueId, ValueId)> {
        let mut x = self
            .stem
            .emit(graph, &format!("{prefix}.stem"), x, Act::None, None)?;
        let mut low = x;
        for (i, b) in self.blocks.iter().enumerate() {
            let p = format!("{prefix}.layers.{i}");
            let h = match &b.expand {
                Some(e) => e.emit(graph, &format!("{p}.expand"), x, Act::None, None)?,
                None => x,
            };
            let dw = b
                .depthwise
                .emit(graph, &format!("{p}.depthwise"), h, Act::None, None)?;
            let residual = b.spec.residual().then_some(x);
            x = b
                .project
                .emit(graph, &format!("{p}.project"), dw, Act::None, residual)?;
            if i == LOW_LEVEL_LAYER {
                low = dw;
            }
        }
        Ok((x, low))
    }

    /// Folds every `BatchNorm` once (see `ConvBn::freeze`).
    pub fn freeze(&mut self) -> Result<()> {
        self.stem.freeze()?;
        for b in &mut self.blocks {
            if let Some(e) = &mut b.expand {
                e.freeze()?;
            }
            b.depthwise.freeze()?;
            b.project.freeze()?;
        }
        Ok(())
    }
}

impl Block {
    /// (block output, depthwise output) in train mode, one autograd node per layer.
    fn forward_train(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let h = match &self.expand {
            Some(e) => x.apply_t(e, true)?,
            None => x.clone(),
        };
        let dw = h.apply_t(&self.depthwise, true)?;
        let out = dw.apply_t(&self.project, true)?;
        if self.spec.residual() {
            let _profile = super::profile::scope("residual_add");
            Ok(((out + x)?, dw))
        } else {
            Ok((out, dw))
        }
    }

    /// The same in eval mode with two passes saved on a frozen copy (`ConvBn::forward_eval`):
    /// the expand conv's `ReLU6` is applied by the depthwise conv as it reads, and the residual
    /// is summed into the project conv's output buffer.
    fn forward_eval(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let (h, input_act) = match &self.expand {
            Some(e) => e.forward_eval_deferred(x)?,
            None => (x.clone(), Act::None),
        };
        let dw = self.depthwise.forward_eval(&h, input_act, None)?;
        let residual = self.spec.residual().then_some(x);
        let out = self.project.forward_eval(&dw, Act::None, residual)?;
        Ok((out, dw))
    }
}
