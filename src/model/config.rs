//! Model configuration: which backbone, how wide, which output stride and which `DeepLab` head
//! parts, with the named presets that reproduce the reference parameter counts. Serialised as
//! RON next to checkpoints.

use serde::{Deserialize, Serialize};

/// Feature extractor of the `DeepLab` model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Backbone {
    /// Slim `MobileNetV2` up to `layer_18` (320 channels at depth multiplier 1).
    MobileNetV2,
    /// `DeepLab's` aligned Xception-65 (strided separable convs, BN after every depthwise).
    Xception65,
}

/// Everything needed to build a model; tensors are named after the `PyTorch` reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub backbone: Backbone,
    pub num_classes: usize,
    /// Channel multiplier for the backbone (`MobileNetV2` rounds to multiples of 8, min 8;
    /// Xception rounds to the nearest integer).
    pub depth_multiplier: f64,
    /// 8 or 16: stride of the backbone output relative to the input.
    pub output_stride: usize,
    /// Rates of the separable atrous ASPP branches at this output stride (empty: none).
    pub atrous_rates: Vec<usize>,
    /// Channels of every ASPP branch and decoder conv (256 in `DeepLab`).
    pub head_channels: usize,
    /// Whether the decoder refines the ASPP output with stride-4 features.
    pub decoder: bool,
    /// Channels of the decoder's low-level projection (48 in `DeepLab`).
    pub decoder_projection_channels: usize,
    /// Units in Xception's middle flow (16 in Xception-65).
    pub xception_middle_units: usize,
    /// `BatchNorm` running-statistics momentum (TF decay 0.9997 = momentum 0.0003).
    pub bn_momentum: f64,
    /// Dropout probability after the ASPP projection, training only (TF `keep_prob` 0.9).
    pub dropout: f64,
}

/// Names accepted by [`Config::named`].
pub const CONFIG_NAMES: [&str; 3] = ["mobilenetv2", "mobilenetv2-plus", "xception65"];

impl Config {
    /// TF model-zoo `MobileNetV2`: image pooling + 1x1 ASPP only, no decoder (2,113,043 params).
    pub fn mobilenetv2() -> Self {
        Self {
            backbone: Backbone::MobileNetV2,
            num_classes: 19,
            depth_multiplier: 1.0,
            output_stride: 16,
            atrous_rates: Vec::new(),
            head_channels: 256,
            decoder: false,
            decoder_projection_channels: 48,
            xception_middle_units: 16,
            bn_momentum: 0.0003,
            dropout: 0.1,
        }
    }

    /// `MobileNetV2` with separable ASPP rates 6/12/18 and the decoder (2,725,059 params).
    pub fn mobilenetv2_plus() -> Self {
        Self {
            atrous_rates: vec![6, 12, 18],
            decoder: true,
            ..Self::mobilenetv2()
        }
    }

    /// Xception-65 with separable ASPP rates 6/12/18 and the decoder (41,054,899 params).
    pub fn xception65() -> Self {
        Self {
            backbone: Backbone::Xception65,
            ..Self::mobilenetv2_plus()
        }
    }

    /// One of [`CONFIG_NAMES`].
    pub fn named(name: &str) -> Option<Self> {
        match name {
            "mobilenetv2" => Some(Self::mobilenetv2()),
            "mobilenetv2-plus" => Some(Self::mobilenetv2_plus()),
            "xception65" => Some(Self::xception65()),
            _ => None,
        }
    }

    /// Changes the output stride, scaling the atrous rates with it (OS8 doubles the OS16 rates).
    #[must_use]
    pub fn with_output_stride(mut self, output_stride: usize) -> Self {
        self.atrous_rates = self
            .atrous_rates
            .iter()
            .map(|r| r * self.output_stride / output_stride)
            .collect();
        self.output_stride = output_stride;
        self
    }

    #[must_use]
    pub fn with_num_classes(mut self, num_classes: usize) -> Self {
        self.num_classes = num_classes;
        self
    }

    #[must_use]
    pub fn with_depth_multiplier(mut self, depth_multiplier: f64) -> Self {
        self.depth_multiplier = depth_multiplier;
        self
    }

    /// Checks the values the model code relies on.
    pub fn validate(&self) -> Result<(), String> {
        if ![8, 16].contains(&self.output_stride) {
            return Err(format!(
                "output_stride must be 8 or 16, got {}",
                self.output_stride
            ));
        }
        if self.num_classes == 0 || self.head_channels == 0 || self.decoder_projection_channels == 0
        {
            return Err(
                "num_classes, head_channels and decoder_projection_channels must be positive"
                    .into(),
            );
        }
        if self.depth_multiplier.is_nan() || self.depth_multiplier <= 0.0 {
            return Err(format!(
                "depth_multiplier must be positive, got {}",
                self.depth_multiplier
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) || !(0.0..=1.0).contains(&self.bn_momentum) {
            return Err("dropout must be in [0, 1) and bn_momentum in [0, 1]".into());
        }
        Ok(())
    }

    pub fn to_ron(&self) -> Result<String, ron::Error> {
        ron::ser::to_string_pretty(self, ron::ser::PrettyConfig::default())
    }

    pub fn from_ron(text: &str) -> Result<Self, ron::error::SpannedError> {
        ron::from_str(text)
    }
}

/// Slim's `_make_divisible`: round to a multiple of `divisor`, at least `min_value`, and never
/// more than 10% below `v`.
pub fn make_divisible(v: f64, divisor: usize, min_value: usize) -> usize {
    let d = divisor as f64;
    let mut new_v = min_value.max(((v + d / 2.0) / d).floor() as usize * divisor);
    if (new_v as f64) < 0.9 * v {
        new_v += divisor;
    }
    new_v
}
