//! Activations that the fused kernels apply in their epilogues, and their gradients.

use candle_core::{Result, Tensor};

/// The activation after a convolution or batch norm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    None,
    Relu,
    Relu6,
}

impl Act {
    /// Open interval of outputs where the activation passes gradients (and the clamp bounds).
    pub fn pass_range(self) -> (f32, f32) {
        match self {
            Act::None => (f32::NEG_INFINITY, f32::INFINITY),
            Act::Relu => (0.0, f32::INFINITY),
            Act::Relu6 => (0.0, 6.0),
        }
    }

    /// The gradient behind the activation: `grad` where the output `res` lies strictly inside the
    /// pass range, 0 where the activation clipped it.
    pub fn grad_through(self, grad: &Tensor, res: &Tensor) -> Result<Tensor> {
        let (lo, hi) = self.pass_range();
        match self {
            Act::None => grad.contiguous(),
            _ => {
                grad * (res.gt(f64::from(lo))?.to_dtype(candle_core::DType::F32)?
                    * res.lt(f64::from(hi))?.to_dtype(candle_core::DType::F32)?)?
            }
        }
    }

    pub fn apply(self, x: &Tensor) -> Result<Tensor> {
        match self {
            Act::None => Ok(x.clone()),
            Act::Relu => x.relu(),
            Act::Relu6 => x.clamp(0f32, 6f32),
        }
    }
}
