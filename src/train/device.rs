//! The device a run trains on, by the name the CLI (`--device`) and the Train workspace use.
//! On the CPU the model runs its own kernels; on a CUDA GPU their portable twins
//! (`model::ops::portable`), built from Candle's ops.

use candle_core::Device;

/// Whether this build has Candle's CUDA backend (`--features cuda`).
pub const CUDA_BUILT: bool = cfg!(feature = "cuda");

/// `cpu`, or `cuda` (GPU 0 of a build with `--features cuda`), or an error that says why not.
pub fn device_named(name: &str) -> Result<Device, String> {
    match name {
        "cpu" => Ok(Device::Cpu),
        "cuda" if !CUDA_BUILT => {
            Err("cuda: this build has no CUDA support (build with --features cuda)".into())
        }
        "cuda" => Device::new_cuda(0).map_err(|e| format!("cuda: GPU 0 cannot be used: {e}")),
        other => Err(format!("{other:?} is not a device: cpu or cuda")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_a_device_or_says_why_not() {
        assert!(device_named("cpu").unwrap().is_cpu());
        let err = device_named("tpu").unwrap_err();
        assert!(err.contains("cpu or cuda"), "{err}");
        if !CUDA_BUILT {
            let err = device_named("cuda").unwrap_err();
            assert!(err.contains("--features cuda"), "{err}");
        }
    }
}
