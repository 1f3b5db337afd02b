//! Timing of inference and of one training step on random data, with the same load
//! bookkeeping as the Python peer (`bench.py`): other processes' CPU share and steal time
//! during the timed block, so results taken on a busy machine can be recognised.

use std::collections::BTreeMap;
use std::time::Instant;

use candle_core::{DType, Device, Result, Tensor};
use candle_nn::ModuleT;
use serde::{Deserialize, Serialize};

use super::config::Config;
use super::deeplab::Model;
use super::ops::cross_entropy_ignore;
use super::optim::{Sgd, SgdParams};
use super::profile;
use crate::project::IGNORE_LABEL;

/// How many runs to time, how many to run first untimed, and whether to collect a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Runs {
    pub repeats: usize,
    pub warmup: usize,
    pub profile: bool,
}

/// Median time of each phase of a training step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PhaseMs {
    pub forward_loss: f64,
    pub backward: f64,
    pub optimizer_step: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchResult {
    /// "infer" or "`train_step`".
    pub task: String,
    pub config: Config,
    pub height: usize,
    pub width: usize,
    pub batch: usize,
    pub threads: usize,
    pub warmup: usize,
    pub ms_median: f64,
    pub ms_min: f64,
    pub ms_max: f64,
    pub runs_ms: Vec<f64>,
    pub images_per_s: f64,
    pub phase_median_ms: Option<PhaseMs>,
    /// Whole-machine busy time minus this process's CPU time, % of all cores.
    pub other_procs_cpu_pct: Option<f64>,
    pub steal_pct: Option<f64>,
    /// With `--profile`: mean self time per timed run of each named scope (see
    /// [`profile`]), `*_other` being Candle work between the custom kernels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_ms: Option<BTreeMap<String, f64>>,
}

/// Jiffies per second of `/proc` counters (`USER_HZ`, 100 on Linux).
const HZ: f64 = 100.0;

/// (busy, steal) jiffies of the whole machine from `/proc/stat`.
fn machine_ticks() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let v: Vec<u64> = text
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal
    Some((
        v.first()? + v.get(1)? + v.get(2)? + v.get(5)? + v.get(6)?,
        v.get(7).copied().unwrap_or(0),
    ))
}

/// CPU jiffies (user + system) used by this process so far.
fn own_ticks() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // after "pid (comm) ", field 3 (state) is index 0, so utime (14) and stime (15) are 11, 12
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// Measures machine load over a timed block, like the peer's `LoadMonitor`.
struct LoadMonitor {
    start: Instant,
    machine: Option<(u64, u64)>,
    own: Option<u64>,
}

impl LoadMonitor {
    fn start() -> Self {
        Self {
            start: Instant::now(),
            machine: machine_ticks(),
            own: own_ticks(),
        }
    }

    /// (other processes' CPU %, steal %)
    fn finish(&self) -> (Option<f64>, Option<f64>) {
        let wall = self.start.elapsed().as_secs_f64();
        let ncpu = std::thread::available_parallelism().map_or(1, std::num::NonZero::get) as f64;
        match (self.machine, machine_ticks(), self.own, own_ticks()) {
            (Some((b0, s0)), Some((b1, s1)), Some(o0), Some(o1)) if wall > 0.0 => {
                let busy = (b1 - b0) as f64 / HZ;
                let own = (o1 - o0) as f64 / HZ;
                let round1 = |x: f64| (x * 10.0).round() / 10.0;
                (
                    Some(round1((busy - own).max(0.0) / (wall * ncpu) * 100.0)),
                    Some(round1((s1 - s0) as f64 / HZ / (wall * ncpu) * 100.0)),
                )
            }
            _ => (None, None),
        }
    }
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        s[n / 2]
    } else {
        f64::midpoint(s[n / 2 - 1], s[n / 2])
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn random_input(batch: usize, h: usize, w: usize, device: &Device) -> Result<Tensor> {
    Tensor::rand(-1f32, 1f32, (batch, 3, h, w), device)
}

#[expect(
    clippy::too_many_arguments,
    reason = "one report row built from its measured parts"
)]
fn result(
    task: &str,
    cfg: &Config,
    h: usize,
    w: usize,
    batch: usize,
    warmup: usize,
    runs_ms: Vec<f64>,
    phases: Option<PhaseMs>,
    load: (Option<f64>, Option<f64>),
) -> BenchResult {
    let ms_median = median(&runs_ms);
    BenchResult {
        task: task.into(),
        config: cfg.clone(),
        height: h,
        width: w,
        batch,
        threads: rayon::current_num_threads(),
        warmup,
        ms_median,
        ms_min: runs_ms.iter().copied().fold(f64::INFINITY, f64::min),
        ms_max: runs_ms.iter().copied().fold(0.0, f64::max),
        images_per_s: if ms_median > 0.0 {
            batch as f64 / (ms_median / 1e3)
        } else {
            0.0
        },
        runs_ms,
        phase_median_ms: phases,
        other_procs_cpu_pct: load.0,
        steal_pct: load.1,
        profile_ms: None,
    }
}

/// Turns profiling on for the timed runs and back off; returns the per-run means.
fn profiled<T>(
    on: bool,
    repeats: usize,
    timed: impl FnOnce() -> Result<T>,
) -> Result<(T, Option<BTreeMap<String, f64>>)> {
    if !on {
        return Ok((timed()?, None));
    }
    let _ = profile::take();
    profile::set_enabled(true);
    let out = timed();
    profile::set_enabled(false);
    let per_run = profile::take()
        .into_iter()
        .map(|(name, e)| (name, e.self_ms / repeats as f64))
        .collect();
    Ok((out?, Some(per_run)))
}

/// Eval-mode forward passes on a random `batch`×3×`h`×`w` input (model construction untimed).
pub fn infer(cfg: &Config, h: usize, w: usize, batch: usize, runs: Runs) -> Result<BenchResult> {
    let device = Device::Cpu;
    let model = Model::new(cfg.clone(), &device)?;
    // BatchNorm folded once, as ONNX Runtime does when it loads a model.
    let net = model.net.frozen()?;
    let x = random_input(batch, h, w, &device)?;
    timed_forwards("infer", cfg, (h, w, batch), runs, || {
        net.forward_t(&x, false).map(drop)
    })
}

/// `runs.warmup` untimed then `runs.repeats` timed calls of `forward`, profiled on request.
fn timed_forwards(
    task: &str,
    cfg: &Config,
    (h, w, batch): (usize, usize, usize),
    runs: Runs,
    forward: impl Fn() -> Result<()>,
) -> Result<BenchResult> {
    for _ in 0..runs.warmup {
        forward()?;
    }
    let monitor = LoadMonitor::start();
    let (times, profile_ms) = profiled(runs.profile, runs.repeats, || {
        let mut times = Vec::with_capacity(runs.repeats);
        for _ in 0..runs.repeats {
            let t = Instant::now();
            let scope = profile::scope("forward_other");
            forward()?;
            drop(scope);
            times.push(ms(t));
        }
        Ok(times)
    })?;
    let mut r = result(
        task,
        cfg,
        h,
        w,
        batch,
        runs.warmup,
        times,
        None,
        monitor.finish(),
    );
    r.profile_ms = profile_ms;
    Ok(r)
}

/// The same forward passes by the int8 network (`quantize`): weights per output channel (or per
/// tensor), activation grids calibrated on the benchmark's own input (min/max), integer kernels.
pub fn infer_int8(
    cfg: &Config,
    h: usize,
    w: usize,
    batch: usize,
    runs: Runs,
    granularity: crate::quantize::Granularity,
) -> Result<BenchResult> {
    use crate::quantize::{QuantizedNet, RangeMethod, calibrate};
    let device = Device::Cpu;
    let model = Model::new(cfg.clone(), &device)?;
    let graph = model.net.graph()?;
    let x = random_input(batch, h, w, &device)?;
    let first = x.narrow(0, 0, 1)?;
    let ranges = calibrate(&graph, &[first], RangeMethod::MinMax, || Ok(()))?;
    let net = QuantizedNet::new(&graph, &ranges, RangeMethod::MinMax, granularity)?;
    drop(graph);
    let data = x.flatten_all()?.to_vec1::<f32>()?;
    timed_forwards("infer-int8", cfg, (h, w, batch), runs, || {
        net.logits(&data, batch, h, w)
            .map(drop)
            .map_err(candle_core::Error::msg)
    })
}

/// Training steps: train-mode forward (batch-statistics BN, dropout), cross-entropy with
/// random labels, backward, SGD with momentum and weight decay.
pub fn train_step(
    cfg: &Config,
    h: usize,
    w: usize,
    batch: usize,
    runs: Runs,
    sgd: SgdParams,
) -> Result<BenchResult> {
    let device = Device::Cpu;
    let model = Model::new(cfg.clone(), &device)?;
    let mut opt = Sgd::from_varmap(&model.varmap, sgd);
    let x = random_input(batch, h, w, &device)?;
    let labels = (Tensor::rand(0f32, cfg.num_classes as f32, (batch, h, w), &device)?
        .floor()?
        .clamp(0f32, (cfg.num_classes - 1) as f32)?)
    .to_dtype(DType::U8)?;
    let mut step = || -> Result<(f64, f64, f64, f64)> {
        let t0 = Instant::now();
        let scope = profile::scope("forward_other");
        let loss = cross_entropy_ignore(
            &model.forward_t(&x, true)?,
            &labels,
            u32::from(IGNORE_LABEL),
        )?;
        drop(scope);
        let t1 = ms(t0);
        let scope = profile::scope("backward_other");
        let grads = loss.backward()?;
        drop(scope);
        let t2 = ms(t0);
        let scope = profile::scope("sgd_step");
        opt.step(&grads)?;
        drop(scope);
        let t3 = ms(t0);
        Ok((t1, t2 - t1, t3 - t2, t3))
    };
    for _ in 0..runs.warmup {
        step()?;
    }
    let monitor = LoadMonitor::start();
    let (mut f, mut b, mut o, mut total) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let ((), profile_ms) = profiled(runs.profile, runs.repeats, || {
        for _ in 0..runs.repeats {
            let (a1, a2, a3, a4) = step()?;
            f.push(a1);
            b.push(a2);
            o.push(a3);
            total.push(a4);
        }
        Ok(())
    })?;
    let load = monitor.finish();
    let phases = PhaseMs {
        forward_loss: median(&f),
        backward: median(&b),
        optimizer_step: median(&o),
    };
    let mut r = result(
        "train_step",
        cfg,
        h,
        w,
        batch,
        runs.warmup,
        total,
        Some(phases),
        load,
    );
    r.profile_ms = profile_ms;
    Ok(r)
}
