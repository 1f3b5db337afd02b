//! Starting a run from pretrained weights (`--init FILE`) instead of from scratch:
//!
//! - a PyTorch file (`.pth`, `.pt`): torchvision's `mobilenet_v2` state dict (its ImageNet weights
//!   come this way). Its `features.*` tensors fill SegStudio's `MobileNetV2` encoder; the classifier
//!   and torchvision's last 1×1 conv (`features.18`, which DeepLab does not use) are left out, and
//!   the ASPP head and logits start from the seed;
//! - a safetensors file holding SegStudio's own tensor names (a checkpoint of another run, or a
//!   TF DeepLab model-zoo checkpoint converted by `scripts/convert_tf_deeplab.py`): every tensor it
//!   has with a known name. Logits of another class count (the zoo's 21 VOC classes) are left, so
//!   the run keeps its own.
//!
//! Names and shapes are checked as the checkpoint loader does: a tensor of the wrong shape is an
//! error naming it; one the model lacks is reported. torchvision's `BatchNorm` eps (1e-5) differs
//! from the encoder's (slim's 1e-3), so the running variance is shifted by the difference, which
//! keeps `var + eps` and therefore every output unchanged.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Tensor};
use serde::Serialize;

use crate::model::Model;
use crate::model::layers::EPS_BACKBONE;

/// torchvision's `BatchNorm2d` default eps.
const TORCH_BN_EPS: f64 = 1e-5;

/// What an initialisation loaded.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct InitReport {
    /// Tensors copied into the model.
    pub loaded: usize,
    /// The model's tensors the file did not have (left as initialised from the seed).
    pub kept: usize,
    /// Tensors of the file the model has no place for.
    pub unused: Vec<String>,
    /// Running variances that the eps shift would have made negative (clamped to 0).
    pub clamped_variances: usize,
}

/// Fills `model` from `path`.
pub fn load_init(model: &Model, path: &Path) -> Result<InitReport, String> {
    let name = path.display();
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let device = &model.device;
    let (tensors, torch): (Vec<(String, Tensor)>, bool) = match ext.as_str() {
        "pth" | "pt" | "bin" => (
            candle_core::pickle::read_all(path).map_err(|e| format!("{name}: {e}"))?,
            true,
        ),
        "safetensors" => (
            candle_core::safetensors::load(path, device)
                .map_err(|e| format!("{name}: {e}"))?
                .into_iter()
                .collect(),
            false,
        ),
        _ => {
            return Err(format!(
                "{name}: --init takes a PyTorch file (.pth) or a safetensors file"
            ));
        }
    };
    let mut report = InitReport::default();
    let mut mapped: HashMap<String, Tensor> = HashMap::new();
    for (source, tensor) in tensors {
        // PyTorch's BatchNorm step counter has no counterpart (momentum is fixed).
        if source.ends_with("num_batches_tracked") {
            continue;
        }
        let target = if torch {
            torchvision_name(&source)
        } else {
            Some(source.clone())
        };
        match target {
            Some(t) => {
                mapped.insert(t, tensor);
            }
            None => report.unused.push(source),
        }
    }
    let data = model.varmap.data().lock().expect("varmap lock poisoned");
    for (target, tensor) in &mapped {
        let Some(var) = data.get(target) else {
            report.unused.push(target.clone());
            continue;
        };
        // A zoo checkpoint's logits are those of its own label set (VOC's 21); a run with other
        // labels keeps its own and takes the rest of the net from the file.
        if target.starts_with("logits.")
            && var.dims() != tensor.dims()
            && var.dims()[1..] == tensor.dims()[1..]
        {
            report.unused.push(format!(
                "{target} ({} classes in the file, {} in this run: the run's own are kept)",
                tensor.dims()[0],
                var.dims()[0]
            ));
            continue;
        }
        if var.dims() != tensor.dims() {
            return Err(format!(
                "{name}: {target} is {:?} in the file and {:?} in the model (a different width or encoder?)",
                tensor.dims(),
                var.dims()
            ));
        }
        let mut value = tensor
            .to_dtype(DType::F32)
            .and_then(|t| t.to_device(device))
            .map_err(|e| format!("{name}: {target}: {e}"))?;
        if torch && target.ends_with("running_var") {
            let shift = TORCH_BN_EPS - EPS_BACKBONE;
            let values: Vec<f32> = value.to_vec1::<f32>().map_err(|e| e.to_string())?;
            let adjusted: Vec<f32> = values
                .iter()
                .map(|&v| {
                    let a = f64::from(v) + shift;
                    if a < 0.0 {
                        report.clamped_variances += 1;
                    }
                    a.max(0.0) as f32
                })
                .collect();
            value = Tensor::from_vec(adjusted, values.len(), device).map_err(|e| e.to_string())?;
        }
        var.set(&value)
            .map_err(|e| format!("{name}: {target}: {e}"))?;
        report.loaded += 1;
    }
    report.kept = data.len() - report.loaded;
    report.unused.sort();
    if report.loaded == 0 {
        return Err(format!(
            "{name}: none of its tensors fits this model (is it torchvision's mobilenet_v2, or a SegStudio checkpoint of the same encoder?)"
        ));
    }
    Ok(report)
}

/// SegStudio's name of a torchvision `mobilenet_v2` tensor, or `None` for the parts DeepLab does
/// not use.
///
/// `features.0.{0,1}` is the stem; `features.1` (expansion 1) is depthwise `conv.0.*` and project
/// `conv.1` + BN `conv.2`; `features.2..17` are expand `conv.0.*`, depthwise `conv.1.*`, project
/// `conv.2` + BN `conv.3`. Block `k` of torchvision is SegStudio's `layers.{k − 1}`.
pub fn torchvision_name(source: &str) -> Option<String> {
    let rest = source.strip_prefix("features.")?;
    let (block, rest) = rest.split_once('.')?;
    let block: usize = block.parse().ok()?;
    if block == 0 {
        let (part, field) = rest.split_once('.')?;
        return matches!(part, "0" | "1").then(|| format!("encoder.stem.{part}.{field}"));
    }
    if !(1..=17).contains(&block) {
        return None;
    }
    let rest = rest.strip_prefix("conv.")?;
    let (index, field) = rest.split_once('.')?;
    let layer = format!("encoder.layers.{}", block - 1);
    // Without an expansion conv (block 1) torchvision's indices are one lower.
    let index: usize = index.parse().ok()?;
    let index = if block == 1 { index + 1 } else { index };
    let (part, sub) = match index {
        0 => ("expand", field.split_once('.')?),
        1 => ("depthwise", field.split_once('.')?),
        2 => ("project", ("0", field)),
        3 => ("project", ("1", field)),
        _ => return None,
    };
    Some(format!("{layer}.{part}.{}.{}", sub.0, sub.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torchvision_names_map_onto_the_encoder() {
        let cases = [
            ("features.0.0.weight", Some("encoder.stem.0.weight")),
            (
                "features.0.1.running_var",
                Some("encoder.stem.1.running_var"),
            ),
            (
                "features.1.conv.0.0.weight",
                Some("encoder.layers.0.depthwise.0.weight"),
            ),
            (
                "features.1.conv.0.1.bias",
                Some("encoder.layers.0.depthwise.1.bias"),
            ),
            (
                "features.1.conv.1.weight",
                Some("encoder.layers.0.project.0.weight"),
            ),
            (
                "features.1.conv.2.weight",
                Some("encoder.layers.0.project.1.weight"),
            ),
            (
                "features.2.conv.0.0.weight",
                Some("encoder.layers.1.expand.0.weight"),
            ),
            (
                "features.2.conv.1.1.running_mean",
                Some("encoder.layers.1.depthwise.1.running_mean"),
            ),
            (
                "features.17.conv.2.weight",
                Some("encoder.layers.16.project.0.weight"),
            ),
            (
                "features.17.conv.3.bias",
                Some("encoder.layers.16.project.1.bias"),
            ),
            ("features.18.0.weight", None),
            ("classifier.1.weight", None),
        ];
        for (source, want) in cases {
            assert_eq!(torchvision_name(source).as_deref(), want, "{source}");
        }
    }
}
