//! A trained run put to use: predictions on photos and scores over a split.
//!
//! A photo is resized to the run's input size, its logits are resized bilinearly back to the photo
//! (`align_corners`, as the model's own upsampling) and the label of a pixel is the arg-max. Scores
//! are taken against the full-resolution truth through the run's own variant map, or at the input
//! size (labels resized by nearest neighbour) as the torch peer validates.

use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use candle_nn::ModuleT as _;
use image::RgbImage;
use image::imageops::FilterType;
use rayon::prelude::*;
use serde::Serialize;

use super::config::RunRecord;
use super::data::Dataset;
use super::store::RunDir;
use crate::eval::{Confusion, Scores};
use crate::formats::render_label_map;
use crate::model::deeplab::DeepLab;
use crate::model::graph::Graph;
use crate::model::ops::resize_bilinear;
use crate::model::{Model, checkpoint};
use crate::progress::Progress;
use crate::project::{IGNORE_LABEL, Project, Split};
use crate::quantize::QuantizedNet;

/// A run's network, loaded for inference (`BatchNorm` folded), in f32 or int8.
pub struct Predictor {
    pub record: RunRecord,
    pub weights: PathBuf,
    net: Network,
    device: Device,
}

enum Network {
    Float(Box<DeepLab>),
    Int8(Box<QuantizedNet>),
}

/// Which weights of a run: `best` (the best validation; the default when there is one), `last`
/// (the newest checkpoint), or a file.
pub fn checkpoint_path(run: &RunDir, which: Option<&str>) -> Result<PathBuf, String> {
    let last = || -> Result<PathBuf, String> {
        let state = run.read_state()?;
        let step = state
            .checkpoint
            .ok_or_else(|| format!("run {} has no checkpoint yet", run.id))?;
        Ok(run.weights_path(step))
    };
    match which {
        None => {
            let best = run.best_path();
            if best.exists() { Ok(best) } else { last() }
        }
        Some("best") => Ok(run.best_path()),
        Some("last") => last(),
        Some(file) => Ok(PathBuf::from(file)),
    }
}

impl Predictor {
    /// Loads a run's f32 checkpoint, or its int8 one when `which` names a file that is one.
    pub fn load(run: &RunDir, which: Option<&str>, device: &Device) -> Result<Self, String> {
        let record = run.read_record()?;
        let weights = checkpoint_path(run, which)?;
        let model = Model::new(record.model.clone(), device).map_err(|e| e.to_string())?;
        if crate::quantize::store::is_int8(&weights) {
            let graph = model.net.graph().map_err(|e| e.to_string())?;
            let net = crate::quantize::store::load(&weights, &graph)?;
            return Ok(Self::int8(record, weights, net));
        }
        checkpoint::load_weights(&model.varmap, &weights, device)
            .map_err(|e| format!("{}: {e}", weights.display()))?;
        let net = model.net.frozen().map_err(|e| e.to_string())?;
        Ok(Self {
            record,
            weights,
            net: Network::Float(Box::new(net)),
            device: device.clone(),
        })
    }

    /// An int8 network of the run (`weights`: where it was read from or is written to).
    pub fn int8(record: RunRecord, weights: PathBuf, net: QuantizedNet) -> Self {
        Self {
            record,
            weights,
            net: Network::Int8(Box::new(net)),
            device: Device::Cpu,
        }
    }

    /// The f32 network as an inference graph (an error for an int8 predictor).
    pub fn graph(&self) -> candle_core::Result<Graph> {
        match &self.net {
            Network::Float(net) => net.graph(),
            Network::Int8(_) => candle_core::bail!("the network is already quantized"),
        }
    }

    /// "f32" or the int8 scheme.
    pub fn precision(&self) -> &'static str {
        match &self.net {
            Network::Float(_) => "f32",
            Network::Int8(q) => q.granularity.name(),
        }
    }

    /// From a model already in memory (validation during training).
    pub fn from_model(record: RunRecord, model: &Model) -> candle_core::Result<Self> {
        Ok(Self {
            record,
            weights: PathBuf::new(),
            net: Network::Float(Box::new(model.net.frozen()?)),
            device: model.device.clone(),
        })
    }

    pub fn input_size(&self) -> [u32; 2] {
        self.record.train.size
    }

    /// Logits `[1, C, h, w]` of inputs already at the input size (`batch × 3 × h × w` in [-1, 1]).
    pub fn logits(&self, x: &[f32], batch: usize) -> candle_core::Result<Tensor> {
        let [w, h] = self.input_size().map(|v| v as usize);
        match &self.net {
            Network::Float(net) => {
                let x = Tensor::from_slice(x, (batch, 3, h, w), &self.device)?;
                net.forward_t(&x, false)
            }
            Network::Int8(net) => net.logits(x, batch, h, w).map_err(candle_core::Error::msg),
        }
    }

    /// A photo as the network's input: resized to the input size, planar, in [-1, 1].
    pub fn input_of(&self, photo: &RgbImage) -> Vec<f32> {
        let [w, h] = self.input_size();
        let small = if photo.dimensions() == (w, h) {
            photo.clone()
        } else {
            image::imageops::resize(photo, w, h, FilterType::Triangle)
        };
        let plane = (w * h) as usize;
        let mut x = vec![0f32; 3 * plane];
        super::augment::to_planar(small.as_raw(), plane, &mut x);
        x
    }

    /// Logits of a photo at its own resolution, `[1, C, H, W]`.
    pub fn photo_logits(&self, photo: &RgbImage) -> candle_core::Result<Tensor> {
        let logits = self.logits(&self.input_of(photo), 1)?;
        resize_bilinear(&logits, photo.height() as usize, photo.width() as usize)
    }

    /// The label of every pixel of the photo (the run's variant ids), row-major.
    pub fn predict(&self, photo: &RgbImage) -> candle_core::Result<Vec<u8>> {
        argmax_labels(&self.photo_logits(photo)?)
    }
}

/// P(not background) of every pixel of `[1, C, H, W]` logits: the click tool's prior.
pub fn object_probability(logits: &Tensor) -> candle_core::Result<Vec<f32>> {
    let p = candle_nn::ops::softmax(logits, 1)?;
    let background = p.narrow(1, 0, 1)?.flatten_all()?.to_vec1::<f32>()?;
    Ok(background.into_iter().map(|b| 1.0 - b).collect())
}

/// Arg-max over the class axis of `[N, C, H, W]`, as `N·H·W` label ids.
pub fn argmax_labels(logits: &Tensor) -> candle_core::Result<Vec<u8>> {
    let ids = logits.argmax(1)?.flatten_all()?.to_vec1::<u32>()?;
    Ok(ids.into_iter().map(|v| v as u8).collect())
}

/// Scores of one image (the gallery sorts by them).
#[derive(Clone, Debug, Serialize)]
pub struct ImageScore {
    pub file: String,
    pub miou: Option<f64>,
    pub pixel_acc: Option<f64>,
}

/// The scores of a split and of each of its images.
#[derive(Clone, Debug, Serialize)]
pub struct Evaluation {
    pub run: String,
    pub checkpoint: PathBuf,
    /// `train`, `val`, `test`, or none for every labelled photo.
    pub split: Option<&'static str>,
    pub images: usize,
    #[serde(flatten)]
    pub scores: Scores,
    pub per_image: Vec<ImageScore>,
    #[serde(skip)]
    pub confusion: Option<Confusion>,
    /// (image index, predicted labels at the photo's resolution), when asked for (the gallery).
    #[serde(skip)]
    pub predictions: Vec<(usize, Vec<u8>)>,
}

/// Scores `predictor` on the labelled photos of `split` (all when `None`) at each photo's full
/// resolution; `keep_predictions` keeps every predicted map in the result.
pub fn evaluate(
    project: &Project,
    run_id: &str,
    predictor: &Predictor,
    split: Option<Split>,
    keep_predictions: bool,
    progress: &Progress,
) -> Result<Evaluation, String> {
    let variant = &predictor.record.snapshot.variant;
    let names = predictor.record.label_names();
    let classes = names.len();
    let (todo, _) = crate::formats::select_images(project, "eval", split);
    if todo.is_empty() {
        return Err("no labelled photo to score in that split".into());
    }
    progress.start_stage("scoring", todo.len() as u64);
    // Inference is parallel inside the model's kernels; images go one at a time.
    let mut total = Confusion::new(classes);
    let mut per_image = Vec::with_capacity(todo.len());
    let mut predictions = Vec::new();
    for &i in &todo {
        progress.check().map_err(|e| e.to_string())?;
        let image = &project.file().images[i];
        let photo =
            crate::imageio::read_photo(&project.image_path(i)).map_err(|e| e.to_string())?;
        let predicted = predictor
            .predict(&photo)
            .map_err(|e| format!("{}: {e}", image.file))?;
        let truth = render_label_map(project.instances(i), variant, image.width, image.height);
        let mut one = Confusion::new(classes);
        one.add(&truth, &predicted, IGNORE_LABEL)
            .map_err(|e| format!("{}: {e}", image.file))?;
        let s = one.scores(&names);
        per_image.push(ImageScore {
            file: image.file.clone(),
            miou: s.miou,
            pixel_acc: s.pixel_acc,
        });
        total.merge(&one);
        if keep_predictions {
            predictions.push((i, predicted));
        }
        progress.advance(1);
    }
    Ok(Evaluation {
        run: run_id.to_owned(),
        checkpoint: predictor.weights.clone(),
        split: split.map(Split::name),
        images: todo.len(),
        scores: total.scores(&names),
        per_image,
        confusion: Some(total),
        predictions,
    })
}

/// Scores `predictor` on `dataset` at the input size (validation during training, as the peer).
pub fn validate(
    predictor: &Predictor,
    dataset: &Dataset,
    batch: usize,
) -> Result<Confusion, String> {
    let names = predictor.record.label_names();
    let [w, h] = dataset.size().map(|v| v as usize);
    let plane = w * h;
    let mut total = Confusion::new(names.len());
    let indices: Vec<usize> = (0..dataset.len()).collect();
    for chunk in indices.chunks(batch.max(1)) {
        let samples = chunk
            .par_iter()
            .map(|&i| dataset.get(i))
            .collect::<Result<Vec<_>, _>>()?;
        let mut x = vec![0f32; chunk.len() * 3 * plane];
        let mut labels = vec![0u8; chunk.len() * plane];
        for (k, s) in samples.iter().enumerate() {
            super::augment::plain(
                s,
                plane,
                &mut x[k * 3 * plane..(k + 1) * 3 * plane],
                &mut labels[k * plane..(k + 1) * plane],
            );
        }
        let logits = predictor
            .logits(&x, chunk.len())
            .map_err(|e| e.to_string())?;
        let predicted = argmax_labels(&logits).map_err(|e| e.to_string())?;
        total
            .add(&labels, &predicted, IGNORE_LABEL)
            .map_err(|e| e.to_string())?;
    }
    Ok(total)
}

/// Writes `out/<stem>.png` (8-bit label ids at the photo's resolution) for every photo.
pub fn predict_files(
    predictor: &Predictor,
    photos: &[PathBuf],
    out: &Path,
    progress: &Progress,
) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let mut stems = std::collections::HashMap::new();
    for p in photos {
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(other) = stems.insert(stem.clone(), p) {
            return Err(format!(
                "{} and {} would both be written as {stem}.png: predict them into different folders",
                other.display(),
                p.display()
            ));
        }
    }
    progress.start_stage("predicting", photos.len() as u64);
    let mut written = Vec::with_capacity(photos.len());
    for p in photos {
        progress.check().map_err(|e| e.to_string())?;
        let photo = crate::imageio::read_photo(p).map_err(|e| e.to_string())?;
        let labels = predictor
            .predict(&photo)
            .map_err(|e| format!("{}: {e}", p.display()))?;
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let path = out.join(format!("{stem}.png"));
        let png = crate::imageio::encode_label_png(photo.width(), photo.height(), &labels);
        crate::project::fsio::atomic_write(&path, &png).map_err(|e| e.to_string())?;
        written.push(path);
        progress.advance(1);
    }
    Ok(written)
}
