//! The patched backward pass of the vendored candle-core (vendor/candle-core/VENDORED.md) stores
//! the first gradient reaching a node and adds the later ones: these hand-worked cases check that
//! every gradient of a node with several consumers is still summed, through Candle's own rules
//! and through a custom op.

#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot set up fails loudly, which is what it should do"
)]

use candle_core::{Device, Tensor, Var};
use segstudio::model::ops::pointwise_conv2d;

fn values(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1::<f32>().unwrap()
}

#[test]
fn a_tensor_used_three_times_gets_the_sum_of_its_three_gradients() {
    // L = Σ (x·x + x): dL/dx = 2x + 1, from the two sides of the product and the sum.
    let x = Var::new(&[1f32, -2.0, 0.5], &Device::Cpu).unwrap();
    let loss = (x.as_tensor() * x.as_tensor())
        .unwrap()
        .add(x.as_tensor())
        .unwrap()
        .sum_all()
        .unwrap();
    let grads = loss.backward().unwrap();
    assert_eq!(values(grads.get(&x).unwrap()), [3.0, -3.0, 2.0]);
}

#[test]
fn the_gradients_of_a_concatenation_and_a_residual_add_up() {
    // y = cat(a, 3a) + [a, a]; L = Σ w ⊙ y with w = [1, 2 | 10, 20]:
    // dL/da = w₁ + 3 w₂ + w₁ + w₂ = 2 w₁ + 4 w₂ = [42, 84].
    let a = Var::new(&[0.3f32, -1.0], &Device::Cpu).unwrap();
    let a3 = (a.as_tensor() * 3.0).unwrap();
    let cat = Tensor::cat(&[a.as_tensor(), &a3], 0).unwrap();
    let residual = Tensor::cat(&[a.as_tensor(), a.as_tensor()], 0).unwrap();
    let w = Tensor::new(&[1f32, 2.0, 10.0, 20.0], &Device::Cpu).unwrap();
    let loss = ((cat + residual).unwrap() * w).unwrap().sum_all().unwrap();
    let grads = loss.backward().unwrap();
    assert_eq!(values(grads.get(&a).unwrap()), [42.0, 84.0]);
}

#[test]
fn a_custom_op_and_a_skip_connection_both_reach_the_input() {
    // y = W·x + x per pixel (a 1×1 convolution and a residual), W = [[2, 0], [1, 3]];
    // L = Σ y: dL/dx = Wᵀ·1 + 1 = [2 + 1, 0 + 3] + 1 = [4, 4] at every pixel;
    // dL/dW[o][i] = Σ_pixels x_i.
    let x = Var::new(
        &[[[[1f32, 2.0]], [[-1.0, 0.5]]]], // 1 image, 2 channels, 1×2 pixels
        &Device::Cpu,
    )
    .unwrap();
    let w = Var::new(&[[[[2f32]], [[0.0]]], [[[1.0]], [[3.0]]]], &Device::Cpu).unwrap();
    let y = pointwise_conv2d(x.as_tensor(), w.as_tensor())
        .unwrap()
        .add(x.as_tensor())
        .unwrap();
    let grads = y.sum_all().unwrap().backward().unwrap();
    assert_eq!(values(grads.get(&x).unwrap()), [4.0, 4.0, 4.0, 4.0]);
    assert_eq!(values(grads.get(&w).unwrap()), [3.0, -0.5, 3.0, -0.5]);
}
