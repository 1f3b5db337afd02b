//! What a training run is asked to do ([`TrainConfig`]) and what its folder records about it
//! ([`RunRecord`], `runs/<id>/config.ron`): the model, the data sources, the variant map with the
//! stable class ids it trained on, the optimiser and the schedule.

use serde::{Deserialize, Serialize};

use crate::model::optim::{AdamWParams, SgdParams};
use crate::model::{CONFIG_NAMES, Config};
use crate::project::Split;
use crate::project::runs::DatasetSnapshot;

/// Format version of `config.ron`.
pub const RUN_FORMAT: u32 = 1;

/// How the weights are updated.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum OptimizerConfig {
    /// SGD with momentum and weight decay under the poly schedule (the `DeepLab` recipe).
    Sgd(SgdParams),
    /// AdamW under the same poly schedule.
    AdamW(AdamWParams),
}

impl OptimizerConfig {
    pub fn base_lr(&self) -> f64 {
        match self {
            Self::Sgd(p) => p.lr,
            Self::AdamW(p) => p.lr,
        }
    }

    #[must_use]
    pub fn with_lr(mut self, lr: f64) -> Self {
        match &mut self {
            Self::Sgd(p) => p.lr = lr,
            Self::AdamW(p) => p.lr = lr,
        }
        self
    }
}

/// When a run stops.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Budget {
    /// Exactly this many steps, the poly schedule over them.
    Steps(u64),
    /// As many steps as fit in this many minutes: the count is estimated from the rate of steps
    /// 11–20 and recorded, so a resumed run keeps the same schedule.
    Minutes(f64),
}

/// Data augmentation of every training sample (the `DeepLab` recipe plus colour jitter).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Augment {
    /// Random scale range: the sample is resized by a factor drawn uniformly from it, then
    /// cropped or padded (with the ignore label) back to the input size.
    pub scale: [f32; 2],
    /// Probability of a horizontal flip.
    pub flip: f32,
    /// Brightness and contrast are each multiplied by a factor in `1 ± jitter` (0: off).
    pub jitter: f32,
}

impl Default for Augment {
    fn default() -> Self {
        Self {
            scale: [0.5, 2.0],
            flip: 0.5,
            jitter: 0.2,
        }
    }
}

/// Everything a user chooses for a run (the Train workspace's form, the `train` command's flags).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// One of [`CONFIG_NAMES`].
    pub encoder: String,
    /// The project's variant whose labels the model learns.
    pub variant: String,
    /// Input width and height: photos are resized to it.
    pub size: [u32; 2],
    pub batch: usize,
    pub budget: Budget,
    pub optimizer: OptimizerConfig,
    /// Exponent of the poly schedule (0.9 in `DeepLab`).
    pub poly_power: f64,
    pub augment: Augment,
    /// Real photos from these splits.
    pub splits: Vec<Split>,
    /// Synthesis runs (folder names under `synth/`) whose images are added.
    pub synth_runs: Vec<String>,
    /// The split scored while training (none: no validation).
    pub val_split: Option<Split>,
    /// Steps between validations (and at the end); 0: only at the end.
    pub eval_every: u64,
    /// Steps between checkpoints (the resume point); 0: only at the end.
    pub checkpoint_every: u64,
    /// Seeds the initial weights, the batches, the augmentation and dropout.
    pub seed: u64,
    /// Pretrained weights the run starts from (`train::init`); none: from the seed's random
    /// initialisation.
    #[serde(default)]
    pub init: Option<std::path::PathBuf>,
    /// `BatchNorm` running-statistics momentum (PyTorch's 0.1, as the torch peer trains). TF
    /// DeepLab's 0.0003 suits fine-tuning over tens of thousands of steps; from scratch over a few
    /// thousand it leaves the running statistics near their initial values and the eval-mode
    /// network useless.
    #[serde(default = "default_bn_momentum")]
    pub bn_momentum: f64,
    /// Width multiplier of the encoder (1: the published model; smaller for tests).
    pub depth_multiplier: f64,
    /// Loader threads that decode and augment ahead of the model.
    pub loader_threads: usize,
}

impl Default for TrainConfig {
    /// The seed's CPU protocol: `MobileNetV2` at 320×240, batch 8, SGD + poly LR.
    fn default() -> Self {
        Self {
            encoder: "mobilenetv2".into(),
            variant: crate::project::FULL_VARIANT.into(),
            size: [320, 240],
            batch: 8,
            budget: Budget::Steps(2000),
            optimizer: OptimizerConfig::Sgd(SgdParams::default()),
            poly_power: 0.9,
            augment: Augment::default(),
            splits: vec![Split::Train],
            synth_runs: Vec::new(),
            val_split: Some(Split::Val),
            eval_every: 500,
            checkpoint_every: 500,
            seed: 0,
            init: None,
            bn_momentum: default_bn_momentum(),
            depth_multiplier: 1.0,
            loader_threads: 1,
        }
    }
}

fn default_bn_momentum() -> f64 {
    0.1
}

impl TrainConfig {
    /// The model this config trains for `classes` labels (background included).
    pub fn model_config(&self, classes: usize) -> Result<Config, String> {
        let cfg = Config::named(&self.encoder).ok_or_else(|| {
            format!(
                "unknown encoder {:?}; choose one of {}",
                self.encoder,
                CONFIG_NAMES.join(", ")
            )
        })?;
        let mut cfg = cfg
            .with_num_classes(classes)
            .with_depth_multiplier(self.depth_multiplier);
        cfg.bn_momentum = self.bn_momentum;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks the values the engine relies on, naming the bad one.
    pub fn validate(&self) -> Result<(), String> {
        let [w, h] = self.size;
        if w < 32 || h < 32 || w > 4096 || h > 4096 {
            return Err(format!(
                "--size {w}x{h}: width and height must be between 32 and 4096"
            ));
        }
        if self.batch < 2 || self.batch > 256 {
            // The ASPP's image pooling leaves one value per channel and image: its BatchNorm needs
            // a second image for batch statistics.
            return Err(format!(
                "--batch {}: must be between 2 and 256 (BatchNorm after the ASPP's image pooling \
                 needs two images for batch statistics)",
                self.batch
            ));
        }
        match self.budget {
            Budget::Steps(0) => return Err("--steps must be at least 1".into()),
            Budget::Minutes(m) if m.is_nan() || m <= 0.0 => {
                return Err(format!("--minutes {m}: must be positive"));
            }
            _ => {}
        }
        let lr = self.optimizer.base_lr();
        if lr.is_nan() || lr <= 0.0 || lr > 10.0 {
            return Err(format!("--lr {lr}: must be in (0, 10]"));
        }
        let [lo, hi] = self.augment.scale;
        if lo.is_nan() || hi.is_nan() || lo <= 0.0 || lo > hi || hi > 8.0 {
            return Err(format!("scale range {lo}–{hi}: needs 0 < min ≤ max ≤ 8"));
        }
        if !(0.0..=1.0).contains(&self.augment.flip) || !(0.0..1.0).contains(&self.augment.jitter) {
            return Err("flip must be in [0, 1] and jitter in [0, 1)".into());
        }
        if self.splits.is_empty() && self.synth_runs.is_empty() {
            return Err("no training data: choose a split or a synthesis run".into());
        }
        if self.loader_threads == 0 {
            return Err("at least one loader thread is needed".into());
        }
        self.model_config(2).map(|_| ())
    }
}

/// `runs/<id>/config.ron`: written once when the run starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRecord {
    pub format: u32,
    pub train: TrainConfig,
    /// The network as built (classes = the variant's labels + background).
    pub model: Config,
    /// The project's classes and the variant map the run trained on.
    pub snapshot: DatasetSnapshot,
    /// Seconds since the Unix epoch when the run started.
    pub created: u64,
    /// Samples the run trained on: real photos, then synthetic images.
    pub real_images: usize,
    pub synth_images: usize,
}

impl RunRecord {
    /// Label names by id: "background", then the variant's labels.
    pub fn label_names(&self) -> Vec<String> {
        std::iter::once("background".to_owned())
            .chain(self.snapshot.variant.labels.iter().cloned())
            .collect()
    }
}
