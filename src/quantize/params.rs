//! The arithmetic of 8-bit quantization: affine `u8` activations, symmetric `i8` weights (per output
//! channel or per tensor) and `i32` biases on the product scale, as ONNX's QDQ form and integer
//! kernels expect them.

use serde::{Deserialize, Serialize};

/// Affine `u8` quantization of an activation: `real = scale · (q − zero_point)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActQuant {
    pub scale: f32,
    pub zero_point: u8,
}

impl ActQuant {
    /// The grid of 256 steps over `[lo, hi]`, widened to contain 0: zero padding and `ReLU`'s
    /// zero must be exact, or every border pixel and every clipped value would carry an error.
    pub fn from_range(lo: f32, hi: f32) -> Self {
        let lo = lo.min(0.0);
        let hi = hi.max(0.0);
        // A value that is 0 everywhere (a dead channel group) still needs a positive scale.
        let scale = ((hi - lo) / 255.0).max(f32::MIN_POSITIVE.sqrt());
        let zero_point = (-lo / scale).round().clamp(0.0, 255.0) as u8;
        Self { scale, zero_point }
    }

    pub fn quantize(&self, x: f32) -> u8 {
        // Ties to even, as ONNX's QuantizeLinear rounds.
        (x / self.scale + f32::from(self.zero_point))
            .round_ties_even()
            .clamp(0.0, 255.0) as u8
    }

    pub fn dequantize(&self, q: u8) -> f32 {
        (i32::from(q) - i32::from(self.zero_point)) as f32 * self.scale
    }

    /// `q ↦ other.quantize(self.dequantize(q))` for all 256 codes: a requantization as a lookup.
    pub fn requantize_table(&self, other: &ActQuant) -> [u8; 256] {
        std::array::from_fn(|q| other.quantize(self.dequantize(q as u8)))
    }
}

/// How finely weights are scaled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Granularity {
    /// One scale per output channel: what keeps depthwise layers alive after `BatchNorm` folding.
    PerChannel,
    /// One scale per tensor, as TensorFlow's graph tool did for the seed.
    PerTensor,
}

impl Granularity {
    pub fn name(self) -> &'static str {
        match self {
            Granularity::PerChannel => "int8 per-channel",
            Granularity::PerTensor => "int8 per-tensor",
        }
    }
}

/// Symmetric `i8` weights: `real = scales[c] · q` for output channel `c` (one scale shared by all
/// channels when per tensor).
#[derive(Clone, Debug, PartialEq)]
pub struct QuantWeights {
    pub data: Vec<i8>,
    /// Length `cout` per channel, 1 per tensor.
    pub scales: Vec<f32>,
}

impl QuantWeights {
    /// The scale of output channel `c`.
    pub fn scale(&self, c: usize) -> f32 {
        if self.scales.len() == 1 {
            self.scales[0]
        } else {
            self.scales[c]
        }
    }
}

/// Quantizes `weights` (`cout` rows of equal length) to `[-127, 127]` with `max |w| / 127` as the
/// scale (the symmetric range ONNX Runtime and TFLite use, so `-128` never appears).
pub fn quantize_weights(weights: &[f32], cout: usize, granularity: Granularity) -> QuantWeights {
    let per = weights.len() / cout.max(1);
    let scale_of = |w: &[f32]| {
        let m = w.iter().fold(0f32, |m, v| m.max(v.abs()));
        if m > 0.0 { m / 127.0 } else { 1.0 }
    };
    let scales = match granularity {
        Granularity::PerChannel => weights.chunks(per.max(1)).map(scale_of).collect(),
        Granularity::PerTensor => vec![scale_of(weights)],
    };
    let q = QuantWeights {
        data: Vec::new(),
        scales,
    };
    let data = weights
        .iter()
        .enumerate()
        .map(|(i, w)| (w / q.scale(i / per.max(1))).round().clamp(-127.0, 127.0) as i8)
        .collect();
    QuantWeights { data, ..q }
}

/// Biases on the accumulator's scale `input_scale · weight_scale[c]` (zero point 0), as ONNX's
/// QDQ form stores them.
pub fn quantize_bias(bias: &[f32], input_scale: f32, weights: &QuantWeights) -> Vec<i32> {
    bias.iter()
        .enumerate()
        .map(|(c, b)| {
            let s = f64::from(input_scale) * f64::from(weights.scale(c));
            (f64::from(*b) / s)
                .round()
                .clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activation_grid_by_hand() {
        // [-1, 3] over 255 steps: scale 4/255, zero at code 63.75 → 64.
        let q = ActQuant::from_range(-1.0, 3.0);
        assert!((q.scale - 4.0 / 255.0).abs() < 1e-9);
        assert_eq!(q.zero_point, 64);
        assert_eq!(q.quantize(0.0), 64);
        assert_eq!(q.quantize(1.0), 128); // 1 / (4/255) = 63.75, + 64 = 127.75 → 128
        assert_eq!(q.quantize(100.0), 255);
        assert_eq!(q.quantize(-100.0), 0);
        assert!((q.dequantize(128) - 64.0 * 4.0 / 255.0).abs() < 1e-6);
        // A ReLU output [0.5, 2] keeps 0 on the grid (zero point 0).
        let r = ActQuant::from_range(0.5, 2.0);
        assert_eq!(r.zero_point, 0);
        assert!((r.scale - 2.0 / 255.0).abs() < 1e-9);
        // A tensor that is 0 everywhere still quantizes 0 exactly.
        let z = ActQuant::from_range(0.0, 0.0);
        assert!(z.scale > 0.0);
        assert!(z.dequantize(z.quantize(0.0)).abs() < f32::EPSILON);
    }

    #[test]
    fn weights_per_channel_and_per_tensor_by_hand() {
        // Two output channels of two weights: [0.4, -1.0] and [0.006, 0.02].
        let w = [0.4, -1.0, 0.006, 0.02];
        let pc = quantize_weights(&w, 2, Granularity::PerChannel);
        assert_eq!(pc.scales, vec![1.0 / 127.0, 0.02 / 127.0]);
        assert_eq!(pc.data, vec![51, -127, 38, 127]); // 0.4·127 = 50.8; 0.006·127/0.02 = 38.1
        let pt = quantize_weights(&w, 2, Granularity::PerTensor);
        assert_eq!(pt.scales, vec![1.0 / 127.0]);
        // Per tensor the small channel collapses to 1 and 3 steps: the seed's loss in miniature.
        assert_eq!(pt.data, vec![51, -127, 1, 3]);
        let b = quantize_bias(&[0.1, -0.1], 0.5, &pc);
        assert_eq!(b, vec![25, -1270]); // 0.1 / (0.5/127) = 25.4; -0.1 / (0.5·0.02/127) = -1270
    }

    #[test]
    fn requantize_table_matches_two_steps() {
        let a = ActQuant::from_range(-2.0, 2.0);
        let b = ActQuant::from_range(0.0, 1.0);
        let t = a.requantize_table(&b);
        for q in [0u8, 1, 100, 127, 128, 200, 255] {
            assert_eq!(t[q as usize], b.quantize(a.dequantize(q)));
        }
        assert_eq!(t[0], 0); // -2 clips to 0
    }
}
