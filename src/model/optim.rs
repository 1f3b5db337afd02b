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

    /// The momentum buffers, one per variable (`None` before its first update), for a checkpoint.
    pub fn state(&self) -> Vec<Option<Tensor>> {
        self.velocity.clone()
    }

    /// Restores buffers from [`Sgd::state`]; refuses a list of another length.
    pub fn set_state(&mut self, velocity: Vec<Option<Tensor>>) -> Result<()> {
        if velocity.len() != self.vars.len() {
            candle_core::bail!(
                "the optimiser state has {} buffers for {} variables",
                velocity.len(),
                self.vars.len()
            );
        }
        self.velocity = velocity;
        Ok(())
    }
}

/// Hyper-parameters of [`AdamW`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamWParams {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
}

impl Default for AdamWParams {
    /// `PyTorch`'s defaults (betas 0.9/0.999, eps 1e-8, weight decay 0.01) at a segmentation LR.
    fn default() -> Self {
        Self {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        }
    }
}

/// Adam with decoupled weight decay (Loshchilov & Hutter; `torch.optim.AdamW`):
/// `w -= lr·wd·w`, then `w -= lr·m̂/(√v̂ + eps)`. Candle's own `AdamW` keeps its moments private,
/// so a checkpoint could not resume it exactly.
pub struct AdamW {
    vars: Vec<Var>,
    /// First and second moments per variable.
    moments: Vec<Option<(Tensor, Tensor)>>,
    /// Updates applied so far (the bias correction's t).
    steps: u64,
    params: AdamWParams,
}

impl AdamW {
    pub fn new(vars: Vec<Var>, params: AdamWParams) -> Self {
        let moments = vec![None; vars.len()];
        Self {
            vars,
            moments,
            steps: 0,
            params,
        }
    }

    pub fn set_learning_rate(&mut self, lr: f64) {
        self.params.lr = lr;
    }

    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        let AdamWParams {
            lr,
            beta1,
            beta2,
            eps,
            weight_decay,
        } = self.params;
        self.steps += 1;
        let t = self.steps as i32;
        let (c1, c2) = (1.0 - beta1.powi(t), 1.0 - beta2.powi(t));
        for (var, moments) in self.vars.iter().zip(self.moments.iter_mut()) {
            let Some(grad) = grads.get(var.as_tensor()) else {
                continue;
            };
            let (m, v) = match moments.take() {
                Some((m, v)) => (
                    ((m * beta1)? + (grad * (1.0 - beta1))?)?,
                    ((v * beta2)? + (grad.sqr()? * (1.0 - beta2))?)?,
                ),
                None => ((grad * (1.0 - beta1))?, (grad.sqr()? * (1.0 - beta2))?),
            };
            let w = (var.as_tensor() * (1.0 - lr * weight_decay))?;
            let update = ((&m / c1)? / ((&v / c2)?.sqrt()? + eps)?)?;
            var.set(&(w - (update * lr)?)?)?;
            *moments = Some((m.detach(), v.detach()));
        }
        Ok(())
    }

    /// The moments (`None` before a variable's first update) and the update count.
    pub fn state(&self) -> (Vec<Option<(Tensor, Tensor)>>, u64) {
        (self.moments.clone(), self.steps)
    }

    pub fn set_state(&mut self, moments: Vec<Option<(Tensor, Tensor)>>, steps: u64) -> Result<()> {
        if moments.len() != self.vars.len() {
            candle_core::bail!(
                "the optimiser state has {} moments for {} variables",
                moments.len(),
                self.vars.len()
            );
        }
        self.moments = moments;
        self.steps = steps;
        Ok(())
    }
}

/// `DeepLab's` "poly" schedule: `base · (1 − step/max_steps)^power`, 0 from `max_steps` on.
pub fn poly_lr(base: f64, step: usize, max_steps: usize, power: f64) -> f64 {
    if max_steps == 0 || step >= max_steps {
        return 0.0;
    }
    base * (1.0 - step as f64 / max_steps as f64).powf(power)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn adamw_matches_a_hand_worked_step() {
        // w = 1, loss = 0.5·w → g = 0.5; lr 0.1, wd 0.01, betas 0.9/0.999.
        // m = 0.05, v = 0.00025; bias-corrected m̂ = 0.5, v̂ = 0.25, so the Adam update is
        // 0.5 / (0.5 + 1e-8) ≈ 1, and w = 1·(1 − 0.1·0.01) − 0.1·1 = 0.899.
        let w = Var::new(&[1.0f32], &Device::Cpu).unwrap();
        let params = AdamWParams {
            lr: 0.1,
            weight_decay: 0.01,
            ..AdamWParams::default()
        };
        let mut opt = AdamW::new(vec![w.clone()], params);
        let loss = (w.as_tensor() * 0.5).unwrap().sum_all().unwrap();
        opt.step(&loss.backward().unwrap()).unwrap();
        let got = w.as_tensor().to_vec1::<f32>().unwrap()[0];
        assert!((got - 0.899).abs() < 1e-6, "{got}");
        // Second step, same gradient: m = 0.095, v = 0.00049975; m̂ = 0.5, v̂ = 0.25 again.
        let loss = (w.as_tensor() * 0.5).unwrap().sum_all().unwrap();
        opt.step(&loss.backward().unwrap()).unwrap();
        let got2 = w.as_tensor().to_vec1::<f32>().unwrap()[0];
        let want = 0.899 * (1.0 - 0.001) - 0.1;
        assert!((got2 - want).abs() < 1e-6, "{got2} vs {want}");
    }

    #[test]
    fn sgd_state_round_trips_and_refuses_a_wrong_length() {
        let w = Var::new(&[1.0f32, 2.0], &Device::Cpu).unwrap();
        let mut opt = Sgd::new(vec![w.clone()], SgdParams::default());
        let loss = w.as_tensor().sum_all().unwrap();
        opt.step(&loss.backward().unwrap()).unwrap();
        let state = opt.state();
        assert!(state[0].is_some());
        assert!(opt.set_state(vec![None, None]).is_err());
        opt.set_state(state).unwrap();
    }
}
