//! Quantizing a trained run: calibrate on training photos, quantize, save the int8 checkpoint
//! beside the run's own (`runs/<id>/quantized/`), and score the f32 and the int8 network on the
//! same photos so the drop is measured, per class, by the evaluator every run goes through.

use std::collections::BTreeMap;
use std::path::PathBuf;

use candle_core::{Device, Tensor};
use serde::Serialize;

use super::calibrate::{RangeMethod, calibrate};
use super::net::QuantizedNet;
use super::params::Granularity;
use super::store;
use crate::progress::Progress;
use crate::project::{Project, Split};
use crate::train::{Predictor, RunDir, evaluate};

/// How to quantize a run.
#[derive(Clone, Debug)]
pub struct QuantizeOptions {
    pub granularity: Granularity,
    pub method: RangeMethod,
    /// Training photos the activation ranges are taken from.
    pub calib_images: usize,
    /// The f32 checkpoint (`best`, `last` or a file; the best by default).
    pub checkpoint: Option<String>,
    /// The photos both networks are scored on.
    pub split: Option<Split>,
}

impl Default for QuantizeOptions {
    fn default() -> Self {
        Self {
            granularity: Granularity::PerChannel,
            // On the atWork runs min/max held both (binary +0.11, full −0.02 mIoU); a 99.99 %
            // percentile cost the 19-label run 0.82 (BENCHMARKS.md, "Quantization").
            method: RangeMethod::MinMax,
            calib_images: 32,
            checkpoint: None,
            split: Some(Split::Val),
        }
    }
}

/// What quantizing a run gave.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct QuantReport {
    pub run: String,
    pub precision: String,
    pub method: String,
    pub calib_images: usize,
    pub file: PathBuf,
    /// The f32 checkpoint with its `BatchNorm` statistics, as the training wrote it.
    pub bytes_f32: u64,
    pub bytes_int8: u64,
    pub split: Option<String>,
    pub images: usize,
    pub miou_f32: Option<f64>,
    pub miou_int8: Option<f64>,
    pub pixel_acc_f32: Option<f64>,
    pub pixel_acc_int8: Option<f64>,
    pub per_class_f32: BTreeMap<String, f64>,
    pub per_class_int8: BTreeMap<String, f64>,
}

/// The file an int8 network of a run is saved to.
pub fn int8_path(run: &RunDir, granularity: Granularity) -> PathBuf {
    let name = match granularity {
        Granularity::PerChannel => "int8-per-channel",
        Granularity::PerTensor => "int8-per-tensor",
    };
    run.dir
        .join("quantized")
        .join(format!("{name}.safetensors"))
}

/// Quantizes `run` and scores both precisions (see the module doc).
pub fn quantize_run(
    project: &Project,
    run: &RunDir,
    options: &QuantizeOptions,
    progress: &Progress,
) -> Result<QuantReport, String> {
    if options.calib_images == 0 {
        return Err("calibration needs at least one training photo (--calib ≥ 1)".into());
    }
    if let RangeMethod::Percentile(p) = options.method
        && !(50.0..=100.0).contains(&p)
    {
        return Err(format!("the percentile must lie in [50, 100], got {p}"));
    }
    let float = Predictor::load(run, options.checkpoint.as_deref(), &Device::Cpu)?;
    let graph = float.graph().map_err(|e| e.to_string())?;
    let inputs = calibration_inputs(project, &float, options.calib_images, progress)?;
    let passes = match options.method {
        RangeMethod::MinMax => 1,
        RangeMethod::Percentile(_) => 2,
    };
    progress.start_stage("calibrating", (passes * inputs.len()) as u64);
    let ranges = calibrate(&graph, &inputs, options.method, || {
        progress
            .check()
            .map_err(|e| candle_core::Error::msg(e.to_string()))?;
        progress.advance(1);
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    let net = QuantizedNet::new(&graph, &ranges, options.method, options.granularity)
        .map_err(|e| e.to_string())?;
    let file = int8_path(run, options.granularity);
    store::save(&net, &file)?;
    let size = |p: &PathBuf| {
        std::fs::metadata(p)
            .map(|m| m.len())
            .map_err(|e| format!("{}: {e}", p.display()))
    };
    let bytes_f32 = size(&float.weights)?;
    let bytes_int8 = size(&file)?;
    let int8 = Predictor::int8(float.record.clone(), file.clone(), net);
    let f = evaluate(project, &run.id, &float, options.split, false, progress)?;
    let q = evaluate(project, &run.id, &int8, options.split, false, progress)?;
    let report = QuantReport {
        run: run.id.clone(),
        precision: options.granularity.name().to_owned(),
        method: options.method.describe(),
        calib_images: inputs.len(),
        file,
        bytes_f32,
        bytes_int8,
        split: options.split.map(|s| s.name().to_owned()),
        images: f.images,
        miou_f32: f.scores.miou,
        miou_int8: q.scores.miou,
        pixel_acc_f32: f.scores.pixel_acc,
        pixel_acc_int8: q.scores.pixel_acc,
        per_class_f32: f.scores.per_class,
        per_class_int8: q.scores.per_class,
    };
    // Beside the int8 file, for `compare` and the Compare workspace.
    let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    let path = report_path(&report.file);
    crate::project::fsio::atomic_write(&path, text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(report)
}

/// The report written beside an int8 file (`int8-per-channel.report.json`).
pub fn report_path(int8_file: &std::path::Path) -> PathBuf {
    int8_file.with_extension("report.json")
}

/// Up to `n` training photos spread evenly over the train split, as network inputs.
fn calibration_inputs(
    project: &Project,
    predictor: &Predictor,
    n: usize,
    progress: &Progress,
) -> Result<Vec<Tensor>, String> {
    let (train, _) = crate::formats::select_images(project, "quantize", Some(Split::Train));
    if train.is_empty() {
        return Err("calibration needs labelled photos in the train split; there are none".into());
    }
    let n = n.min(train.len());
    progress.start_stage("reading calibration photos", n as u64);
    let [w, h] = predictor.input_size().map(|v| v as usize);
    (0..n)
        .map(|k| {
            progress.check().map_err(|e| e.to_string())?;
            let i = train[k * train.len() / n];
            let path = project.image_path(i);
            let photo = crate::imageio::read_photo(&path).map_err(|e| e.to_string())?;
            progress.advance(1);
            Tensor::from_vec(predictor.input_of(&photo), (1, 3, h, w), &Device::Cpu)
                .map_err(|e| format!("{}: {e}", path.display()))
        })
        .collect()
}
