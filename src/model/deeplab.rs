//! The `DeepLab` segmentation network: backbone, ASPP head (image pooling, 1×1, separable atrous
//! branches, projection), optional decoder, 1×1 logits and the final bilinear upsampling; plus
//! [`Model`], which owns the `VarMap` holding every tensor.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use candle_core::{DType, Device, Result, Tensor};
use candle_nn::{ModuleT, VarBuilder, VarMap};

use super::config::{Backbone, Config};
use super::graph::{ConvNode, Graph, Op, ValueId};
use super::layers::{ConvBn, ConvSpec, EPS_HEAD, SepConv};
use super::mobilenet::MobileNetV2;
use super::ops::Act;
use super::ops::{pointwise_conv2d_bias_act, resize_bilinear};
use super::optim::is_trainable;
use super::xception::Xception65;

#[derive(Debug, Clone)]
enum Encoder {
    MobileNetV2(MobileNetV2),
    Xception65(Xception65),
}

/// Atrous spatial pyramid pooling as in TF `DeepLab's` `_extract_features`.
#[derive(Debug, Clone)]
struct Aspp {
    image_pooling: ConvBn,
    aspp0: ConvBn,
    atrous: Vec<SepConv>,
    concat_projection: ConvBn,
    dropout: f32,
    /// Seed of the next dropout mask; every training pass takes the next one, so a run that sets
    /// it (from its seed and step) draws the same masks again when it resumes.
    dropout_seed: Arc<AtomicU64>,
}

impl Aspp {
    fn new(cin: usize, cfg: &Config, vb: &VarBuilder) -> Result<Self> {
        let (d, m) = (cfg.head_channels, cfg.bn_momentum);
        let image_pooling = ConvBn::new(
            ConvSpec::dense(cin, d, 1, 1, 1),
            EPS_HEAD,
            Act::Relu,
            m,
            &vb.pp("image_pooling"),
        )?;
        let aspp0 = ConvBn::new(
            ConvSpec::dense(cin, d, 1, 1, 1),
            EPS_HEAD,
            Act::Relu,
            m,
            &vb.pp("aspp0"),
        )?;
        let atrous = cfg
            .atrous_rates
            .iter()
            .enumerate()
            .map(|(i, &r)| {
                SepConv::new(
                    cin,
                    d,
                    1,
                    r,
                    EPS_HEAD,
                    Act::Relu,
                    m,
                    &vb.pp("atrous").pp(i.to_string()),
                )
            })
            .collect::<Result<Vec<_>>>()?;
        let n = 2 + atrous.len();
        let concat_projection = ConvBn::new(
            ConvSpec::dense(n * d, d, 1, 1, 1),
            EPS_HEAD,
            Act::Relu,
            m,
            &vb.pp("concat_projection"),
        )?;
        Ok(Self {
            image_pooling,
            aspp0,
            atrous,
            concat_projection,
            dropout: cfg.dropout as f32,
            dropout_seed: Arc::new(AtomicU64::new(0)),
        })
    }

    fn freeze(&mut self) -> Result<()> {
        self.image_pooling.freeze()?;
        self.aspp0.freeze()?;
        for a in &mut self.atrous {
            a.freeze()?;
        }
        self.concat_projection.freeze()
    }

    fn emit(&self, graph: &mut Graph, x: ValueId) -> Result<ValueId> {
        let pooled = graph.push(Op::GlobalAvgPool(x));
        let pooled =
            self.image_pooling
                .emit(graph, "aspp.image_pooling", pooled, Act::None, None)?;
        let mut branches = vec![
            graph.push(Op::Broadcast {
                input: pooled,
                like: x,
            }),
            self.aspp0.emit(graph, "aspp.aspp0", x, Act::None, None)?,
        ];
        for (i, b) in self.atrous.iter().enumerate() {
            branches.push(b.emit(graph, &format!("aspp.atrous.{i}"), x, Act::None, None)?);
        }
        let cat = graph.push(Op::Concat(branches));
        self.concat_projection
            .emit(graph, "aspp.concat_projection", cat, Act::None, None)
    }

    fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        let (n, _, h, w) = x.dims4()?;
        let pool_scope = super::profile::scope("image_pool_candle");
        let pooled = x
            .mean_keepdim(3)?
            .mean_keepdim(2)?
            .apply_t(&self.image_pooling, train)?;
        drop(pool_scope);
        let c = pooled.dim(1)?;
        let mut branches = vec![
            pooled.broadcast_as((n, c, h, w))?,
            x.apply_t(&self.aspp0, train)?,
        ];
        for b in &self.atrous {
            branches.push(x.apply_t(b, train)?);
        }
        let cat = super::profile::scope("concat_candle");
        let y = Tensor::cat(&branches, 1)?;
        drop(cat);
        let y = y.apply_t(&self.concat_projection, train)?;
        if train && self.dropout > 0.0 {
            let seed = self.dropout_seed.fetch_add(1, Ordering::Relaxed);
            seeded_dropout(&y, self.dropout, seed)
        } else {
            Ok(y)
        }
    }
}

/// Inverted dropout with a mask drawn from `seed` (Candle's own dropout draws from an unseeded
/// thread RNG, which would make a resumed run differ from the uninterrupted one).
fn seeded_dropout(x: &Tensor, p: f32, seed: u64) -> Result<Tensor> {
    use rand::{Rng as _, SeedableRng as _};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let keep = 1.0 - p;
    let mask: Vec<f32> = (0..x.elem_count())
        .map(|_| {
            if rng.random::<f32>() < keep {
                1.0 / keep
            } else {
                0.0
            }
        })
        .collect();
    x * Tensor::from_vec(mask, x.shape(), x.device())?
}

/// `refine_by_decoder` with separable convs: project low-level features, upsample, concat,
/// two separable 3×3 convs.
#[derive(Debug, Clone)]
struct Decoder {
    projection: ConvBn,
    conv0: SepConv,
    conv1: SepConv,
}

impl Decoder {
    fn new(low_channels: usize, cfg: &Config, vb: &VarBuilder) -> Result<Self> {
        let (d, p, m) = (
            cfg.head_channels,
            cfg.decoder_projection_channels,
            cfg.bn_momentum,
        );
        let feature_projection0 = ConvBn::new(
            ConvSpec::dense(low_channels, p, 1, 1, 1),
            EPS_HEAD,
            Act::Relu,
            m,
            &vb.pp("feature_projection0"),
        )?;
        let decoder_conv0 = SepConv::new(
            d + p,
            d,
            1,
            1,
            EPS_HEAD,
            Act::Relu,
            m,
            &vb.pp("decoder_conv0"),
        )?;
        let decoder_conv1 =
            SepConv::new(d, d, 1, 1, EPS_HEAD, Act::Relu, m, &vb.pp("decoder_conv1"))?;
        Ok(Self {
            projection: feature_projection0,
            conv0: decoder_conv0,
            conv1: decoder_conv1,
        })
    }

    fn freeze(&mut self) -> Result<()> {
        self.projection.freeze()?;
        self.conv0.freeze()?;
        self.conv1.freeze()
    }

    fn emit(&self, graph: &mut Graph, x: ValueId, low: ValueId) -> Result<ValueId> {
        let low =
            self.projection
                .emit(graph, "decoder.feature_projection0", low, Act::None, None)?;
        let up = graph.push(Op::Resize {
            input: x,
            like: low,
        });
        let cat = graph.push(Op::Concat(vec![up, low]));
        let y = self
            .conv0
            .emit(graph, "decoder.decoder_conv0", cat, Act::None, None)?;
        self.conv1
            .emit(graph, "decoder.decoder_conv1", y, Act::None, None)
    }

    fn forward_t(&self, x: &Tensor, low: &Tensor, train: bool) -> Result<Tensor> {
        let low = low.apply_t(&self.projection, train)?;
        let (_, _, h, w) = low.dims4()?;
        let x = resize_bilinear(x, h, w)?;
        let cat = super::profile::scope("concat_candle");
        let y = Tensor::cat(&[x, low], 1)?;
        drop(cat);
        y.apply_t(&self.conv0, train)?.apply_t(&self.conv1, train)
    }
}

/// `DeepLab`: logits for every input pixel, `[N, num_classes, H, W]`, from `[N, 3, H, W]` input
/// scaled to [-1, 1].
#[derive(Debug, Clone)]
pub struct DeepLab {
    encoder: Encoder,
    aspp: Aspp,
    decoder: Option<Decoder>,
    logits_weight: Tensor,
    logits_bias: Tensor,
}

/// Channels of the backbone's low-level (stride 4) decoder input.
pub fn low_level_channels(cfg: &Config) -> usize {
    match cfg.backbone {
        Backbone::MobileNetV2 => super::mobilenet::low_level_channels(cfg),
        Backbone::Xception65 => super::xception::low_level_channels(cfg),
    }
}

impl DeepLab {
    pub fn new(cfg: &Config, vb: &VarBuilder) -> Result<Self> {
        cfg.validate().map_err(candle_core::Error::msg)?;
        let enc_vb = vb.pp("encoder");
        let (encoder, out_channels) = match cfg.backbone {
            Backbone::MobileNetV2 => {
                let e = MobileNetV2::new(cfg, &enc_vb)?;
                let c = e.out_channels;
                (Encoder::MobileNetV2(e), c)
            }
            Backbone::Xception65 => {
                let e = Xception65::new(cfg, &enc_vb)?;
                let c = e.out_channels;
                (Encoder::Xception65(e), c)
            }
        };
        let aspp = Aspp::new(out_channels, cfg, &vb.pp("aspp"))?;
        let decoder = if cfg.decoder {
            Some(Decoder::new(
                low_level_channels(cfg),
                cfg,
                &vb.pp("decoder"),
            )?)
        } else {
            None
        };
        let lvb = vb.pp("logits");
        let logits_weight = lvb.get_with_hints(
            (cfg.num_classes, cfg.head_channels, 1, 1),
            "weight",
            candle_nn::init::DEFAULT_KAIMING_NORMAL,
        )?;
        let logits_bias = lvb.get_with_hints(cfg.num_classes, "bias", candle_nn::init::ZERO)?;
        Ok(Self {
            encoder,
            aspp,
            decoder,
            logits_weight,
            logits_bias,
        })
    }
}

impl DeepLab {
    /// A copy for inference only, with every `BatchNorm` folded into its convolution once (as
    /// an inference runtime does when it loads a model). It shares no later weight updates with
    /// `self` and refuses train-mode passes.
    pub fn frozen(&self) -> Result<Self> {
        let mut net = self.clone();
        match &mut net.encoder {
            Encoder::MobileNetV2(e) => e.freeze()?,
            Encoder::Xception65(e) => e.freeze()?,
        }
        net.aspp.freeze()?;
        if let Some(d) = &mut net.decoder {
            d.freeze()?;
        }
        Ok(net)
    }
}

impl DeepLab {
    /// The network as an inference graph (every `BatchNorm` folded; see [`Graph`]).
    pub fn graph(&self) -> Result<Graph> {
        let mut graph = Graph::default();
        let (features, low) = match &self.encoder {
            Encoder::MobileNetV2(e) => e.emit(&mut graph, "encoder", 0)?,
            Encoder::Xception65(e) => e.emit(&mut graph, "encoder", 0)?,
        };
        let mut y = self.aspp.emit(&mut graph, features)?;
        if let Some(d) = &self.decoder {
            y = d.emit(&mut graph, y, low)?;
        }
        let (classes, head, _, _) = self.logits_weight.dims4()?;
        let logits = graph.push(Op::Conv(ConvNode {
            input: y,
            name: "logits".into(),
            spec: ConvSpec::dense(head, classes, 1, 1, 1),
            weight: self.logits_weight.clone(),
            bias: self.logits_bias.clone(),
            input_act: Act::None,
            act: Act::None,
            residual: None,
        }));
        graph.output = graph.push(Op::Resize {
            input: logits,
            like: 0,
        });
        Ok(graph)
    }

    /// The `MobileNetV2` encoder's output after its stem and `n` blocks (eval mode); an error
    /// for another encoder.
    pub fn mobilenet_blocks(&self, x: &Tensor, n: usize) -> Result<Tensor> {
        match &self.encoder {
            Encoder::MobileNetV2(e) => e.forward_blocks(x, n),
            Encoder::Xception65(_) => candle_core::bail!("the encoder is not MobileNetV2"),
        }
    }
}

impl ModuleT for DeepLab {
    fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        let (_, _, h, w) = x.dims4()?;
        let (features, low) = match &self.encoder {
            Encoder::MobileNetV2(e) => e.forward_t(x, train)?,
            Encoder::Xception65(e) => e.forward_t(x, train)?,
        };
        let mut y = self.aspp.forward_t(&features, train)?;
        if let Some(d) = &self.decoder {
            y = d.forward_t(&y, &low, train)?;
        }
        let y = pointwise_conv2d_bias_act(&y, &self.logits_weight, &self.logits_bias, Act::None)?;
        resize_bilinear(&y, h, w)
    }
}

/// A network together with the variables it reads, ready to train, save or run.
pub struct Model {
    pub config: Config,
    pub varmap: VarMap,
    pub net: DeepLab,
    pub device: Device,
}

impl Model {
    /// Builds a freshly initialised model (Kaiming-normal convs, identity `BatchNorms`).
    pub fn new(config: Config, device: &Device) -> Result<Self> {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, device);
        let net = DeepLab::new(&config, &vb)?;
        Ok(Self {
            config,
            varmap,
            net,
            device: device.clone(),
        })
    }

    pub fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        self.net.forward_t(x, train)
    }

    /// Seeds the dropout masks of the next training passes.
    pub fn set_dropout_seed(&self, seed: u64) {
        self.net.aspp.dropout_seed.store(seed, Ordering::Relaxed);
    }

    /// Draws every convolution kernel (and the logits bias) again from `seed` with PyTorch's
    /// default law, uniform in ±1/√fan-in (`kaiming_uniform_(a=√5)`), as the torch peer starts;
    /// `BatchNorm` is left at identity. Candle's Kaiming-normal draw is √6 times wider, and behind
    /// `BatchNorm` wider kernels mean a smaller effective learning rate: the same recipe learned
    /// visibly slower per step from it. Two models initialised from one seed are identical, which
    /// Candle's unseeded CPU RNG cannot give.
    pub fn initialise_from_seed(&self, seed: u64) -> Result<()> {
        use rand::Rng as _;
        use rand::SeedableRng as _;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let data = self.varmap.data().lock().expect("varmap lock poisoned");
        let mut names: Vec<&String> = data.keys().collect();
        names.sort();
        let fan_in = |dims: &[usize]| dims[1..].iter().product::<usize>().max(1) as f32;
        for name in names {
            let var = &data[name];
            let dims = var.dims().to_vec();
            let bound = if dims.len() >= 2 && name.ends_with("weight") {
                1.0 / fan_in(&dims).sqrt()
            } else if name == "logits.bias" {
                1.0 / fan_in(data["logits.weight"].dims()).sqrt()
            } else {
                continue;
            };
            let values: Vec<f32> = (0..var.elem_count())
                .map(|_| rng.random_range(-bound..bound))
                .collect();
            var.set(&Tensor::from_vec(values, dims, &self.device)?)?;
        }
        Ok(())
    }

    /// (trainable parameters, parameters including `BatchNorm` running statistics).
    pub fn param_counts(&self) -> (usize, usize) {
        let data = self.varmap.data().lock().expect("varmap lock poisoned");
        let mut trainable = 0;
        let mut all = 0;
        for (name, var) in data.iter() {
            let n = var.elem_count();
            all += n;
            if is_trainable(name) {
                trainable += n;
            }
        }
        (trainable, all)
    }
}
