//! A training run's memory: the up-front estimate that refuses a run the machine cannot hold, and
//! the process's measured peak.

use super::config::TrainConfig;

/// Refuses a run whose estimated peak memory exceeds what the machine has available.
pub(super) fn check_memory(
    config: &TrainConfig,
    model: &crate::model::Config,
    samples: usize,
) -> Result<(), super::events::TrainError> {
    let estimate = estimate_bytes(config, model, samples);
    let Some(available) = available_memory() else {
        return Ok(());
    };
    if estimate > available {
        return Err(super::events::TrainError::Invalid(format!(
            "this run needs about {:.1} GB of memory and {:.1} GB is available: lower --batch or --size",
            estimate as f64 / 1e9,
            available as f64 / 1e9
        )));
    }
    Ok(())
}

/// Peak memory of a run: weights, gradients and optimiser state, the activations kept for the
/// backward pass (bytes per input pixel measured with `bench train-step` at 320×240: 1.9 kB for
/// `MobileNetV2`, 8.9 kB for Xception-65, BENCHMARKS.md), and the decoded samples.
pub fn estimate_bytes(config: &TrainConfig, model: &crate::model::Config, samples: usize) -> u64 {
    let stats = crate::model::stats(model, config.size[1] as usize, config.size[0] as usize);
    let per_pixel = match model.backbone {
        crate::model::Backbone::MobileNetV2 => 1_900.0,
        crate::model::Backbone::Xception65 => 8_900.0,
    } * model.depth_multiplier.min(1.0);
    let pixels = f64::from(config.size[0]) * f64::from(config.size[1]);
    let activations = per_pixel * pixels * config.batch as f64;
    let tensors = stats.bytes_f32 as f64 * 4.0;
    let cache = samples as f64 * pixels * 4.0;
    (activations + tensors + cache) as u64
}

fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The process's peak resident memory, from `/proc/self/status` (Linux).
pub fn peak_rss_mb() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
