//! SGD with momentum and L2 weight decay (TF `MomentumOptimizer` / `PyTorch` `SGD` semantics:
//! `v = m·v + (g + wd·w)`, `w -= lr·v`) and `DeepLab's` polynomial learning-rate schedule.
//! Candle's own `SGD` has neither momentum nor weight decay.

use candle_core::{Result, Tensor, Var, backprop::GradStore};
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};

/// Hyper-parameters of [`Sgd`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SgdParams {
    pub lr: f64,
    pub momentum: f64,
    pub weight_decay: f64,
}

impl Default for SgdParams {
    /// `DeepLab's` recipe: momentum 0.9, weight decay 4e-5.
    fn default() -> Self {
        Self {
            lr: 0.007,
            momentum: 0.9,
            weight_decay: 4e-5,
        }
    }
}

/// True for variables that are optimised: everything except `BatchNorm` running statistics.
pub fn is_trainable(name: &str) -> bool {
    !(name.ends_with("running_mean") || name.ends_with("running_var"))
}

/// The trainable variables of a `VarMap`, sorted by name so the order is reproducible.
pub fn trainable_vars(varmap: &VarMap) -> Vec<(String, Var)> {
    let data = varmap.data().lock().expect("varmap lock poisoned");
    let mut vars: Vec<(String, Var)> = data
        .iter()
        .filter(|(n, _)| is_trainable(n))
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    vars
}

/// True for convolution kernels (`*.0.weight` of conv+BN blocks and `logits.weight`), the
/// only tensors TF `DeepLab`'s L2 regulariser covers (not BN gamma/beta, not the logits bias).
pub fn is_conv_weight(name: &str) -> bool {
    name.ends_with(".0.weight") || name == "logits.weight"
}

/// Stochastic gradient descent with momentum and weight decay over a fixed set of variables.
pub struct Sgd {
    vars: Vec<Var>,
    /// Whether weight decay applies to the variable at the same index.
    decay: Vec<bool>,
    velocity: Vec<Option<Tensor>>,
    params: SgdParams,
}

impl Sgd {
    /// Weight decay applies to every variable (`PyTorch` `SGD(weight_decay=...)` semantics).
    pub fn new(vars: Vec<Var>, params: SgdParams) -> Self {
        let decay = vec![true; vars.len()];
        Self::with_decay_mask(vars, decay, params)
    }

    /// `decay[i]` says whether weight decay applies to `vars[i]`.
    pub fn with_decay_mask(vars: Vec<Var>, decay: Vec<bool>, params: SgdParams) -> Self {
        assert_eq!(vars.len(), decay.len(), "one decay flag per variable");
        let velocity = vec![None; vars.len()];
        Self {
            vars,
            decay,
            velocity,
            params,
        }
    }

    /// Optimises every trainable variable of `varmap` (BN running statistics excluded), with
    /// weight decay on all of them, like the `PyTorch` peer.
    pub fn from_varmap(varmap: &VarMap, params: SgdParams) -> Self {
        Self::new(
            trainable_vars(varmap).into_iter().map(|(_, v)| v).collect(),
            params,
        )
    }

    /// Like [`Sgd::from_varmap`], but weight decay only on convolution kernels, as TF `DeepLab`.
    pub fn from_varmap_conv_decay(varmap: &VarMap, params: SgdParams) -> Self {
        let (decay, vars) = trainable_vars(varmap)
            .into_iter()
            .map(|(n, v)| (is_conv_weight(&n), v))
            .unzip();
        Self::with_decay_mask(vars, decay, params)
    }

    pub fn learning_rate(&self) -> f64 {
        self.params.lr
    }

    pub fn set_learning_rate(&mut self, lr: f64) {
        self.params.lr = lr;
    }

    /// Applies one update from gradients already computed; variables without a gradient
    /// are left alone.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        let SgdParams {
            lr,
            momentum,
            weight_decay,
        } = self.params;
        for ((var, velocity), &decay) in self
            .vars
            .iter()
            .zip(self.velocity.iter_mut())
            .zip(&self.decay)
        {
            let Some(grad) = grads.get(var.as_tensor()) else {
                continue;
            };
            let grad = if weight_decay == 0.0 || !decay {
                grad.clone()
            } else {
                (grad + (var.as_tensor() * weight_decay)?)?
            };
            let v = match velocity.take() {
                Some(v) if momentum != 0.0 => ((v * momentum)? + grad)?,
                _ => grad,
            };
            var.set(&(var.as_tensor() - (&v * lr)?)?)?;
            *velocity = Some(v.detach());
        }
        Ok(())
    }

    /// Back-propagates `loss` and applies one update.
    pub fn backward_step(&mut self, loss: &Tensor) -> Result<()> {
        let grads = loss.backward()?;
        self.step(&grads)
    }
}

/// `DeepLab's` "poly" schedule: `base · (1 − step/max_steps)^power`, 0 from `max_steps` on.
pub fn poly_lr(base: f64, step: usize, max_steps: usize, power: f64) -> f64 {
    if max_steps == 0 || step >= max_steps {
        return 0.0;
    }
    base * (1.0 - step as f64 / max_steps as f64).powf(power)
}
