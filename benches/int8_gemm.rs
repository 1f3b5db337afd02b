//! The int8 matrix product (issue 12) on the shapes of MobileNetV2's 1×1 convolutions at 513×513:
//! SegStudio's product with its fused requantization into new `u8` codes (what the int8 network
//! runs) against `rten-gemm`'s `u8 × i8 → i32` product with prepacked weights alone (no epilogue,
//! output reused), measured one after the other for each shape, so that the ratio holds on a
//! shared machine.
//!
//! Run: `cargo bench --bench int8_gemm`. Threads: rayon's default (the machine's cores).

use std::time::{Duration, Instant};

use rten_gemm::{GemmExecutor, GemmInputA, GemmInputB, GemmOptions, QuantParams};
use rten_tensor::NdTensorView;
use segstudio::quantize::gemm::PackedWeights;
use segstudio::quantize::kernels::Epilogue;

/// (rows, K, N) of MobileNetV2's pointwise convolutions at 513² (output stride 16).
const SHAPES: [(usize, usize, usize); 7] = [
    (257 * 257, 32, 16),
    (257 * 257, 16, 96),
    (129 * 129, 144, 24),
    (129 * 129, 24, 144),
    (65 * 65, 192, 32),
    (33 * 33, 160, 960),
    (33 * 33, 960, 160),
];

const REPEATS: usize = 21;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time(mut f: impl FnMut()) -> Duration {
    f();
    median(
        (0..REPEATS)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn main() {
    println!("rows × K × N: SegStudio (fused) | rten-gemm (product only) | ratio");
    for (m, k, n) in SHAPES {
        let a: Vec<u8> = (0..m * k).map(|i| (i * 89 % 251) as u8).collect();
        let w: Vec<i8> = (0..k * n)
            .map(|i| ((i * 53 % 255) as i32 - 127) as i8)
            .collect();
        let bias = vec![100i32; n];
        let scale = vec![1e-4f32; n];
        let e = Epilogue {
            bias: &bias,
            scale: &scale,
            lo: 0.0,
            hi: 6.0,
            residual: None,
        };
        let ours = PackedWeights::new(w.clone(), k, n);
        let t_ours = time(|| {
            std::hint::black_box(ours.run_codes(&a, m, 7, &e, (40.0, 3)));
        });
        let gemm = GemmExecutor::<u8, i8, i32>::default();
        let packed = gemm.prepack_b(NdTensorView::from_data([k, n], w.as_slice()));
        let zeros = vec![7u8; m];
        let mut acc = vec![0i32; m * n];
        let t_rten = time(|| {
            gemm.gemm(
                &mut acc,
                GemmInputA::Unpacked(NdTensorView::from_data([m, k], a.as_slice())),
                GemmInputB::Packed(&packed),
                GemmOptions {
                    a_quant: Some(QuantParams { zero_point: &zeros }),
                    ..Default::default()
                },
            )
            .expect("rten-gemm runs");
        });
        let gmacs = |t: Duration| (m * k * n) as f64 / t.as_secs_f64() / 1e9;
        println!(
            "{m} × {k} × {n}: {:.3} ms ({:.0} GMAC/s) | {:.3} ms ({:.0} GMAC/s) | {:.2}",
            t_ours.as_secs_f64() * 1e3,
            gmacs(t_ours),
            t_rten.as_secs_f64() * 1e3,
            gmacs(t_rten),
            t_ours.as_secs_f64() / t_rten.as_secs_f64()
        );
    }
}
