//! Checkpoints: the `VarMap` as safetensors plus the model `Config` as RON beside it
//! (`model.safetensors` + `model.ron`). Loading checks every tensor name and shape and reports
//! all missing, unexpected and mis-shaped tensors at once.

use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;

use super::config::Config;
use super::deeplab::Model;

/// Differences between a checkpoint's tensors and the model's variables.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub missing: Vec<String>,
    pub unexpected: Vec<String>,
    /// (name, shape the model expects, shape in the checkpoint)
    pub mis_shaped: Vec<(String, Vec<usize>, Vec<usize>)>,
}

impl Mismatch {
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.unexpected.is_empty() && self.mis_shaped.is_empty()
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.missing.is_empty() {
            writeln!(
                f,
                "missing tensors ({}): {}",
                self.missing.len(),
                self.missing.join(", ")
            )?;
        }
        if !self.unexpected.is_empty() {
            writeln!(
                f,
                "unexpected tensors ({}): {}",
                self.unexpected.len(),
                self.unexpected.join(", ")
            )?;
        }
        for (name, want, got) in &self.mis_shaped {
            writeln!(
                f,
                "mis-shaped tensor {name}: model expects {want:?}, checkpoint has {got:?}"
            )?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: invalid config: {message}")]
    Config { path: PathBuf, message: String },
    #[error("checkpoint does not match the model:\n{0}")]
    Mismatch(Mismatch),
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// The RON config file that belongs to a weights file (same name, `.ron` extension).
pub fn config_path(weights: &Path) -> PathBuf {
    weights.with_extension("ron")
}

/// Writes `path` (safetensors, every variable including BN running statistics) and the config
/// as RON next to it.
pub fn save(model: &Model, path: &Path) -> Result<(), CheckpointError> {
    let ron_path = config_path(path);
    let text = model.config.to_ron().map_err(|e| CheckpointError::Config {
        path: ron_path.clone(),
        message: e.to_string(),
    })?;
    std::fs::write(&ron_path, text).map_err(|source| CheckpointError::Io {
        path: ron_path,
        source,
    })?;
    model.varmap.save(path)?;
    Ok(())
}

pub fn load_config(path: &Path) -> Result<Config, CheckpointError> {
    let ron_path = config_path(path);
    let text = std::fs::read_to_string(&ron_path).map_err(|source| CheckpointError::Io {
        path: ron_path.clone(),
        source,
    })?;
    let cfg = Config::from_ron(&text).map_err(|e| CheckpointError::Config {
        path: ron_path.clone(),
        message: e.to_string(),
    })?;
    cfg.validate().map_err(|message| CheckpointError::Config {
        path: ron_path,
        message,
    })?;
    Ok(cfg)
}

/// Builds the model described by the RON config beside `path` and fills it from `path`.
pub fn load(path: &Path, device: &Device) -> Result<Model, CheckpointError> {
    let model = Model::new(load_config(path)?, device)?;
    load_weights(&model.varmap, path, device)?;
    Ok(model)
}

/// Fills an existing model's variables from a safetensors file.
pub fn load_weights(varmap: &VarMap, path: &Path, device: &Device) -> Result<(), CheckpointError> {
    if !path.exists() {
        return Err(CheckpointError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        });
    }
    let tensors = candle_core::safetensors::load(path, device)?;
    assign(varmap, &tensors)
}

/// Compares names and shapes without changing anything.
pub fn compare<S: BuildHasher>(varmap: &VarMap, tensors: &HashMap<String, Tensor, S>) -> Mismatch {
    let data = varmap.data().lock().expect("varmap lock poisoned");
    let mut m = Mismatch::default();
    for (name, var) in data.iter() {
        match tensors.get(name) {
            None => m.missing.push(name.clone()),
            Some(t) if t.dims() != var.dims() => {
                m.mis_shaped
                    .push((name.clone(), var.dims().to_vec(), t.dims().to_vec()));
            }
            Some(_) => {}
        }
    }
    m.unexpected = tensors
        .keys()
        .filter(|k| !data.contains_key(*k))
        .cloned()
        .collect();
    m.missing.sort();
    m.unexpected.sort();
    m.mis_shaped.sort();
    m
}

/// Copies `tensors` into the variables of `varmap` after checking that names and shapes match
/// exactly; on a mismatch nothing is changed.
pub fn assign<S: BuildHasher>(
    varmap: &VarMap,
    tensors: &HashMap<String, Tensor, S>,
) -> Result<(), CheckpointError> {
    let mismatch = compare(varmap, tensors);
    if !mismatch.is_empty() {
        return Err(CheckpointError::Mismatch(mismatch));
    }
    let data = varmap.data().lock().expect("varmap lock poisoned");
    for (name, var) in data.iter() {
        var.set(
            &tensors[name]
                .to_dtype(DType::F32)?
                .to_device(var.device())?,
        )?;
    }
    Ok(())
}
