//! The run's optimiser over the model's trainable variables, with its state as named tensors for
//! checkpoints (`<variable>.velocity`, or `<variable>.m` / `.v` and the update count), so a resumed
//! run continues exactly where the uninterrupted one would be.

use std::collections::HashMap;

use candle_core::{Device, Result, Tensor, backprop::GradStore};
use candle_nn::VarMap;

use super::config::OptimizerConfig;
use crate::model::optim::{AdamW, Sgd, trainable_vars};

/// Name of the tensor holding `AdamW`'s update count.
const ADAM_STEPS: &str = "adamw.steps";

pub struct Optimizer {
    names: Vec<String>,
    kind: Kind,
}

enum Kind {
    Sgd(Sgd),
    AdamW(AdamW),
}

impl Optimizer {
    pub fn new(varmap: &VarMap, config: OptimizerConfig) -> Self {
        let (names, vars): (Vec<String>, Vec<_>) = trainable_vars(varmap).into_iter().unzip();
        let kind = match config {
            OptimizerConfig::Sgd(p) => Kind::Sgd(Sgd::new(vars, p)),
            OptimizerConfig::AdamW(p) => Kind::AdamW(AdamW::new(vars, p)),
        };
        Self { names, kind }
    }

    pub fn set_learning_rate(&mut self, lr: f64) {
        match &mut self.kind {
            Kind::Sgd(o) => o.set_learning_rate(lr),
            Kind::AdamW(o) => o.set_learning_rate(lr),
        }
    }

    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        match &mut self.kind {
            Kind::Sgd(o) => o.step(grads),
            Kind::AdamW(o) => o.step(grads),
        }
    }

    /// The state as named tensors.
    pub fn state(&self) -> Result<HashMap<String, Tensor>> {
        let mut out = HashMap::new();
        match &self.kind {
            Kind::Sgd(o) => {
                for (name, v) in self.names.iter().zip(o.state()) {
                    if let Some(v) = v {
                        out.insert(format!("{name}.velocity"), v);
                    }
                }
            }
            Kind::AdamW(o) => {
                let (moments, steps) = o.state();
                for (name, mv) in self.names.iter().zip(moments) {
                    if let Some((m, v)) = mv {
                        out.insert(format!("{name}.m"), m);
                        out.insert(format!("{name}.v"), v);
                    }
                }
                // f64 keeps every count a run can reach exact.
                out.insert(
                    ADAM_STEPS.to_owned(),
                    Tensor::new(&[steps as f64], &Device::Cpu)?,
                );
            }
        }
        Ok(out)
    }

    /// Restores [`Optimizer::state`]; a tensor of a variable this model lacks, or of the wrong
    /// shape, is refused with its name.
    pub fn set_state(&mut self, mut state: HashMap<String, Tensor>, device: &Device) -> Result<()> {
        let mut take = |key: String, like: &str| -> Result<Option<Tensor>> {
            state
                .remove(&key)
                .map(|t| t.to_device(device))
                .transpose()
                .map_err(|e| {
                    candle_core::Error::msg(format!("optimiser state {key} for {like}: {e}"))
                })
        };
        match &mut self.kind {
            Kind::Sgd(o) => {
                let velocity = self
                    .names
                    .iter()
                    .map(|n| take(format!("{n}.velocity"), n))
                    .collect::<Result<Vec<_>>>()?;
                o.set_state(velocity)?;
            }
            Kind::AdamW(o) => {
                let mut moments = Vec::with_capacity(self.names.len());
                for n in &self.names {
                    let m = take(format!("{n}.m"), n)?;
                    let v = take(format!("{n}.v"), n)?;
                    moments.push(m.zip(v));
                }
                let steps = take(ADAM_STEPS.to_owned(), "AdamW")?
                    .map(|t| t.to_vec1::<f64>())
                    .transpose()?
                    .and_then(|v| v.first().copied())
                    .unwrap_or(0.0);
                o.set_state(moments, steps as u64)?;
            }
        }
        if let Some(extra) = state.keys().next() {
            candle_core::bail!("the optimiser state has {extra}, which this model does not");
        }
        Ok(())
    }
}
