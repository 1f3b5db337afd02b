//! `DeepLab's` aligned Xception-65: entry flow (two plain convs, three strided units), middle
//! flow (residual units) and exit flow, each unit three split separable convs with a `ReLU` in
//! front (or inside, for the last unit). Output-stride logic as in `core/xception.py`. Tensor
//! names follow the `PyTorch` reference (`encoder.conv1_1`, `encoder.units.{i}.convs.{j}`).

use candle_core::{Result, Tensor};
use candle_nn::VarBuilder;

use super::config::Config;
use super::graph::{Graph, ValueId};
use super::layers::{ConvBn, ConvSpec, EPS_BACKBONE, SepConv, StrideSchedule};
use super::ops::Act;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// 1×1 conv + BN on the unit input.
    Conv,
    /// Identity.
    Sum,
    None,
}

/// One Xception unit. The stride sits on the third separable conv; all three use `rate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitSpec {
    pub cin: usize,
    pub depths: [usize; 3],
    pub skip: Skip,
    pub stride: usize,
    pub rate: usize,
    /// `ReLU` after each BN inside the separable convs instead of before each of them.
    pub act_in_sep: bool,
}

impl UnitSpec {
    /// (input channels, output channels, stride) of each separable conv.
    pub fn seps(&self) -> [(usize, usize, usize); 3] {
        let d = self.depths;
        [
            (self.cin, d[0], 1),
            (d[0], d[1], 1),
            (d[1], d[2], self.stride),
        ]
    }

    pub fn shortcut(&self) -> Option<ConvSpec> {
        (self.skip == Skip::Conv)
            .then(|| ConvSpec::dense(self.cin, self.depths[2], 1, self.stride, 1))
    }
}

/// Root convs, units, and the index of the unit whose second separable conv feeds the decoder.
pub struct Specs {
    pub conv1_1: ConvSpec,
    pub conv1_2: ConvSpec,
    pub units: Vec<UnitSpec>,
    pub low_level_unit: usize,
}

pub fn specs(cfg: &Config) -> Specs {
    let ch = |c: usize| ((c as f64 * cfg.depth_multiplier).round() as usize).max(1);
    let conv1_1 = ConvSpec::dense(3, ch(32), 3, 2, 1);
    let conv1_2 = ConvSpec::dense(ch(32), ch(64), 3, 1, 1);
    // (depths, skip, units, stride, act_in_sep); the second block is the low-level one.
    let blocks = [
        ([128, 128, 128], Skip::Conv, 1, 2, false),
        ([256, 256, 256], Skip::Conv, 1, 2, false),
        ([728, 728, 728], Skip::Conv, 1, 2, false),
        (
            [728, 728, 728],
            Skip::Sum,
            cfg.xception_middle_units,
            1,
            false,
        ),
        ([728, 1024, 1024], Skip::Conv, 1, 2, false),
        ([1536, 1536, 2048], Skip::None, 1, 1, true),
    ];
    let target = cfg.output_stride / 2; // the root convs already have stride 2
    let mut schedule = StrideSchedule::new(1, target);
    let mut cin = conv1_2.cout;
    let mut units = Vec::new();
    let mut low_level_unit = 0;
    for (b, (depths, skip, n, stride, act_in_sep)) in blocks.into_iter().enumerate() {
        let depths = depths.map(ch);
        for _ in 0..n {
            let (s, r) = schedule.next(stride);
            units.push(UnitSpec {
                cin,
                depths,
                skip,
                stride: s,
                rate: r,
                act_in_sep,
            });
            if b == 1 {
                low_level_unit = units.len() - 1;
            }
            cin = depths[2];
        }
    }
    Specs {
        conv1_1,
        conv1_2,
        units,
        low_level_unit,
    }
}

pub fn low_level_channels(cfg: &Config) -> usize {
    let s = specs(cfg);
    s.units[s.low_level_unit].depths[1]
}

#[derive(Debug, Clone)]
struct Unit {
    spec: UnitSpec,
    convs: Vec<SepConv>,
    shortcut: Option<ConvBn>,
}

impl Unit {
    /// Returns the unit output and the output of its second separable conv.
    fn forward_t(&self, x: &Tensor, train: bool) -> Result<(Tensor, Tensor)> {
        if !train {
            return self.forward_eval(x);
        }
        let mut r = x.clone();
        let mut mid = None;
        for (i, conv) in self.convs.iter().enumerate() {
            if !self.spec.act_in_sep {
                let _profile = super::profile::scope("relu_candle");
                r = r.relu()?;
            }
            r = r.apply_t(conv, train)?;
            if i == 1 {
                mid = Some(r.clone());
            }
        }
        let shortcut = match &self.shortcut {
            Some(sc) => Some(x.apply_t(sc, train)?),
            None => None,
        };
        let _profile = super::profile::scope("residual_add");
        let out = match (shortcut, self.spec.skip) {
            (Some(sc), _) => (r + sc)?,
            (None, Skip::Sum) => (r + x)?,
            _ => r,
        };
        Ok((out, mid.expect("three separable convs")))
    }

    /// Eval mode with, on a frozen copy (`ConvBn::forward_eval`), the `ReLU` before each
    /// separable conv applied by its depthwise conv as it reads and the residual summed into the
    /// last pointwise conv's output buffer.
    fn forward_eval(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let input_act = if self.spec.act_in_sep {
            Act::None
        } else {
            Act::Relu
        };
        let residual = match (&self.shortcut, self.spec.skip) {
            (Some(sc), _) => Some(x.apply_t(sc, false)?),
            (None, Skip::Sum) => Some(x.clone()),
            _ => None,
        };
        let mut r = x.clone();
        let mut mid = None;
        let last = self.convs.len() - 1;
        for (i, conv) in self.convs.iter().enumerate() {
            let dw = conv.depthwise.forward_eval(&r, input_act, None)?;
            let residual = if i == last { residual.as_ref() } else { None };
            r = conv.pointwise.forward_eval(&dw, Act::None, residual)?;
            if i == 1 {
                mid = Some(r.clone());
            }
        }
        Ok((r, mid.expect("three separable convs")))
    }
}

#[derive(Debug, Clone)]
pub struct Xception65 {
    conv1_1: ConvBn,
    conv1_2: ConvBn,
    units: Vec<Unit>,
    low_level_unit: usize,
    pub out_channels: usize,
}

impl Xception65 {
    pub fn new(cfg: &Config, vb: &VarBuilder) -> Result<Self> {
        let m = cfg.bn_momentum;
        let s = specs(cfg);
        let conv1_1 = ConvBn::new(s.conv1_1, EPS_BACKBONE, Act::Relu, m, &vb.pp("conv1_1"))?;
        let conv1_2 = ConvBn::new(s.conv1_2, EPS_BACKBONE, Act::Relu, m, &vb.pp("conv1_2"))?;
        let mut units = Vec::with_capacity(s.units.len());
        for (i, spec) in s.units.iter().enumerate() {
            let vb = vb.pp("units").pp(i.to_string());
            let act = if spec.act_in_sep {
                Act::Relu
            } else {
                Act::None
            };
            let convs = spec
                .seps()
                .iter()
                .enumerate()
                .map(|(j, &(cin, cout, stride))| {
                    SepConv::new(
                        cin,
                        cout,
                        stride,
                        spec.rate,
                        EPS_BACKBONE,
                        act,
                        m,
                        &vb.pp("convs").pp(j.to_string()),
                    )
                })
                .collect::<Result<Vec<_>>>()?;
            let shortcut = match spec.shortcut() {
                Some(sc) => Some(ConvBn::new(
                    sc,
                    EPS_BACKBONE,
                    Act::None,
                    m,
                    &vb.pp("shortcut"),
                )?),
                None => None,
            };
            units.push(Unit {
                spec: *spec,
                convs,
                shortcut,
            });
        }
        let out_channels = s.units.last().map_or(s.conv1_2.cout, |u| u.depths[2]);
        Ok(Self {
            conv1_1,
            conv1_2,
            units,
            low_level_unit: s.low_level_unit,
            out_channels,
        })
    }

    /// Folds every `BatchNorm` once (see `ConvBn::freeze`).
    /// Appends the encoder to the inference graph; returns (features, low-level features).
    pub fn emit(&self, graph: &mut Graph, prefix: &str, x: ValueId) -> Result<(ValueId, ValueId)> {
        let x = self
            .conv1_1
            .emit(graph, &format!("{prefix}.conv1_1"), x, Act::None, None)?;
        let mut x = self
            .conv1_2
            .emit(graph, &format!("{prefix}.conv1_2"), x, Act::None, None)?;
        let mut low = x;
        for (i, unit) in self.units.iter().enumerate() {
            let p = format!("{prefix}.units.{i}");
            let input_act = if unit.spec.act_in_sep {
                Act::None
            } else {
                Act::Relu
            };
            let residual = match (&unit.shortcut, unit.spec.skip) {
                (Some(sc), _) => {
                    Some(sc.emit(graph, &format!("{p}.shortcut"), x, Act::None, None)?)
                }
                (None, Skip::Sum) => Some(x),
                _ => None,
            };
            let last = unit.convs.len() - 1;
            let mut r = x;
            for (j, conv) in unit.convs.iter().enumerate() {
                let residual = if j == last { residual } else { None };
                r = conv.emit(graph, &format!("{p}.convs.{j}"), r, input_act, residual)?;
                if j == 1 && i == self.low_level_unit {
                    low = r;
                }
            }
            x = r;
        }
        Ok((x, low))
    }

    pub fn freeze(&mut self) -> Result<()> {
        self.conv1_1.freeze()?;
        self.conv1_2.freeze()?;
        for u in &mut self.units {
            for c in &mut u.convs {
                c.freeze()?;
            }
            if let Some(sc) = &mut u.shortcut {
                sc.freeze()?;
            }
        }
        Ok(())
    }

    /// Returns the exit-flow features and the low-level (stride 4) features.
    pub fn forward_t(&self, x: &Tensor, train: bool) -> Result<(Tensor, Tensor)> {
        let mut x = x
            .apply_t(&self.conv1_1, train)?
            .apply_t(&self.conv1_2, train)?;
        let mut low = None;
        for (i, unit) in self.units.iter().enumerate() {
            let (out, mid) = unit.forward_t(&x, train)?;
            x = out;
            if i == self.low_level_unit {
                low = Some(mid);
            }
        }
        Ok((x, low.expect("low-level unit exists")))
    }
}
