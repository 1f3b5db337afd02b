//! Size and compute of a config without building it: parameters (trainable and with `BatchNorm`
//! running statistics) and conv multiply-accumulates at a given input size, counted the way
//! the reference does (every conv including depthwise; BN, activations, pooling and resizes
//! not counted; FLOPs = 2 × MACs).

use serde::{Deserialize, Serialize};

use super::config::{Backbone, Config};
use super::deeplab::low_level_channels;
use super::layers::{ConvSpec, SepConv};
use super::mobilenet;
use super::xception::{self, Skip};

/// MACs per model part, as in the reference's `macs_by_part`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MacsByPart {
    pub encoder: u64,
    pub aspp: u64,
    pub decoder: u64,
    pub logits: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelStats {
    pub input_hw: (usize, usize),
    /// Conv weights, BN γ/β and the logits bias.
    pub params: u64,
    /// `params` plus BN running mean and variance.
    pub params_with_stats: u64,
    /// Conv multiply-accumulates for one image.
    pub macs: u64,
    /// 2 × `macs`.
    pub flops: u64,
    /// Size of all tensors as f32 (what a checkpoint stores).
    pub bytes_f32: u64,
    pub macs_by_part: MacsByPart,
}

/// Running totals while walking the network.
#[derive(Default)]
struct Tally {
    params: u64,
    stats: u64,
    macs: u64,
}

impl Tally {
    /// A conv followed by `BatchNorm` at input size `(h, w)`; returns the output size.
    fn conv_bn(&mut self, spec: ConvSpec, (h, w): (usize, usize)) -> (usize, usize) {
        self.params += (spec.weight_count() + 2 * spec.cout) as u64;
        self.stats += 2 * spec.cout as u64;
        self.macs += spec.macs(h, w);
        (spec.out_len(h), spec.out_len(w))
    }

    fn sep(&mut self, specs: [ConvSpec; 2], hw: (usize, usize)) -> (usize, usize) {
        let hw = self.conv_bn(specs[0], hw);
        self.conv_bn(specs[1], hw)
    }

    /// Takes the MACs counted so far (for per-part totals).
    fn take_macs(&mut self) -> u64 {
        std::mem::take(&mut self.macs)
    }
}

/// Walks the backbone; returns (feature size, low-level size).
fn encoder(cfg: &Config, t: &mut Tally, hw: (usize, usize)) -> ((usize, usize), (usize, usize)) {
    match cfg.backbone {
        Backbone::MobileNetV2 => {
            let (stem, blocks) = mobilenet::specs(cfg);
            let mut hw = t.conv_bn(stem, hw);
            let mut low = hw;
            for (i, b) in blocks.iter().enumerate() {
                for spec in b.convs() {
                    hw = t.conv_bn(spec, hw);
                    if spec.depthwise && i == 2 {
                        low = hw;
                    }
                }
            }
            (hw, low)
        }
        Backbone::Xception65 => {
            let s = xception::specs(cfg);
            let hw1 = t.conv_bn(s.conv1_1, hw);
            let mut hw = t.conv_bn(s.conv1_2, hw1);
            let mut low = hw;
            for (i, u) in s.units.iter().enumerate() {
                let input = hw;
                for (j, &(cin, cout, stride)) in u.seps().iter().enumerate() {
                    hw = t.sep(SepConv::specs(cin, cout, stride, u.rate), hw);
                    if i == s.low_level_unit && j == 1 {
                        low = hw;
                    }
                }
                if let (Some(sc), Skip::Conv) = (u.shortcut(), u.skip) {
                    t.conv_bn(sc, input);
                }
            }
            (hw, low)
        }
    }
}

fn backbone_out_channels(cfg: &Config) -> usize {
    match cfg.backbone {
        Backbone::MobileNetV2 => mobilenet::specs(cfg).1.last().map_or(0, |b| b.cout),
        Backbone::Xception65 => xception::specs(cfg).units.last().map_or(0, |u| u.depths[2]),
    }
}

/// Parameters and conv MACs of `cfg` for one `h`×`w` image.
pub fn stats(cfg: &Config, h: usize, w: usize) -> ModelStats {
    let mut t = Tally::default();
    let (feat, low) = encoder(cfg, &mut t, (h, w));
    let encoder_macs = t.take_macs();

    let (cin, d) = (backbone_out_channels(cfg), cfg.head_channels);
    t.conv_bn(ConvSpec::dense(cin, d, 1, 1, 1), (1, 1)); // image pooling on the pooled 1×1 map
    t.conv_bn(ConvSpec::dense(cin, d, 1, 1, 1), feat); // aspp0
    for &r in &cfg.atrous_rates {
        t.sep(SepConv::specs(cin, d, 1, r), feat);
    }
    t.conv_bn(
        ConvSpec::dense((2 + cfg.atrous_rates.len()) * d, d, 1, 1, 1),
        feat,
    );
    let aspp_macs = t.take_macs();

    let mut logits_hw = feat;
    if cfg.decoder {
        let p = cfg.decoder_projection_channels;
        t.conv_bn(ConvSpec::dense(low_level_channels(cfg), p, 1, 1, 1), low);
        t.sep(SepConv::specs(d + p, d, 1, 1), low);
        t.sep(SepConv::specs(d, d, 1, 1), low);
        logits_hw = low;
    }
    let decoder_macs = t.take_macs();

    let logits = ConvSpec::dense(d, cfg.num_classes, 1, 1, 1);
    t.params += (logits.weight_count() + cfg.num_classes) as u64;
    let logits_macs = logits.macs(logits_hw.0, logits_hw.1);

    let macs = encoder_macs + aspp_macs + decoder_macs + logits_macs;
    let params_with_stats = t.params + t.stats;
    ModelStats {
        input_hw: (h, w),
        params: t.params,
        params_with_stats,
        macs,
        flops: 2 * macs,
        bytes_f32: 4 * params_with_stats,
        macs_by_part: MacsByPart {
            encoder: encoder_macs,
            aspp: aspp_macs,
            decoder: decoder_macs,
            logits: logits_macs,
        },
    }
}
