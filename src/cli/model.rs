//! Model subcommands: parameter and FLOP counts, and inference / training-step benchmarks.

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};

use super::print_json;
use crate::model::{Config, bench, stats};
use crate::quantize::Granularity;

/// Encoder names and their configs.
fn config(encoder: &str, classes: usize, output_stride: Option<usize>) -> anyhow::Result<Config> {
    let Some(cfg) = Config::named(encoder) else {
        bail!("unknown encoder {encoder:?}; choose mobilenetv2, mobilenetv2-plus or xception65");
    };
    if classes == 0 || classes > 255 {
        bail!("--classes must be between 1 and 255, got {classes}");
    }
    let mut cfg = cfg.with_num_classes(classes);
    if let Some(os) = output_stride {
        if os != 8 && os != 16 {
            bail!("--output-stride must be 8 or 16, got {os}");
        }
        cfg = cfg.with_output_stride(os);
    }
    cfg.validate().map_err(anyhow::Error::msg)?;
    Ok(cfg)
}

/// Parses `513` (square) or `641x481` (width x height, as every command's `--size`); returns
/// (height, width).
fn parse_size(text: &str) -> Result<(usize, usize), String> {
    let err = || format!("expected a size such as 513 or 641x481 (WxH), got {text:?}");
    let parse = |s: &str| {
        s.trim()
            .parse::<usize>()
            .ok()
            .filter(|&v| (16..=8192).contains(&v))
    };
    if let Some((w, h)) = text.split_once(['x', 'X']) {
        Ok((parse(h).ok_or_else(err)?, parse(w).ok_or_else(err)?))
    } else {
        let s = parse(text).ok_or_else(err)?;
        Ok((s, s))
    }
}

#[derive(Debug, Args)]
pub struct ModelInfoArgs {
    /// mobilenetv2, mobilenetv2-plus or xception65.
    #[arg(long)]
    pub encoder: String,
    /// Number of classes including the background.
    #[arg(long, default_value_t = 19)]
    pub classes: usize,
    /// Input size: 513 (square) or WxH, width × height (641x481).
    #[arg(long, default_value = "513", value_parser = parse_size)]
    pub size: (usize, usize),
    #[arg(long)]
    pub output_stride: Option<usize>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Forward pass in eval mode.
    Infer(BenchArgs),
    /// Forward in train mode, cross-entropy, backward and an SGD step.
    TrainStep(BenchArgs),
    /// One synthetic 640×480 image with every effect on (the live preview's work), and its encoders.
    SynthPreview(super::synth::SynthPreviewArgs),
    /// The Label workspace's intelligent scissors on one photo: per click and per cursor move.
    Scissors(super::label::ScissorsBenchArgs),
    /// The annotation-effort benchmark: NoC@85 and NoC@90 per tool over a split's objects.
    Clicks(super::label::ClicksBenchArgs),
}

/// The arithmetic of a benchmarked forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Precision {
    F32,
    Int8,
    Int8PerTensor,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[arg(long)]
    pub encoder: String,
    /// Input size: 513 (square) or WxH, width × height.
    #[arg(long, default_value = "513", value_parser = parse_size)]
    pub size: (usize, usize),
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    #[arg(long, default_value_t = 19)]
    pub classes: usize,
    #[arg(long)]
    pub output_stride: Option<usize>,
    /// Timed runs.
    #[arg(long, default_value_t = 7)]
    pub repeats: usize,
    /// Untimed runs first.
    #[arg(long, default_value_t = 2)]
    pub warmup: usize,
    /// Also report where the time goes (self time per kernel, per run).
    #[arg(long)]
    pub profile: bool,
    /// `infer` only: f32, int8 (weights per output channel, integer kernels) or int8-per-tensor.
    #[arg(long, value_enum, default_value = "f32")]
    pub precision: Precision,
    /// Run the f32 model through its portable ops (Candle's own, the path a GPU takes) instead
    /// of the CPU kernels: what the kernels gain.
    #[arg(long)]
    pub portable: bool,
    #[arg(long)]
    pub json: bool,
}

pub fn model_info(args: &ModelInfoArgs) -> anyhow::Result<()> {
    let cfg = config(&args.encoder, args.classes, args.output_stride)?;
    let (h, w) = args.size;
    let s = stats(&cfg, h, w);
    if args.json {
        return print_json(&serde_json::json!({
            "encoder": args.encoder,
            "classes": args.classes,
            "size": [h, w],
            "params": s.params,
            "params_with_stats": s.params_with_stats,
            "macs": s.macs,
            "flops": s.flops,
            "bytes_f32": s.bytes_f32,
            "macs_by_part": s.macs_by_part,
        }));
    }
    println!("{} for {} classes at {h}x{w}:", args.encoder, args.classes);
    println!("  trainable parameters  {:>14}", s.params);
    println!("  + BN running stats    {:>14}", s.params_with_stats);
    println!(
        "  multiply-adds (MACs)  {:>14}  ({:.2} B)",
        s.macs,
        s.macs as f64 / 1e9
    );
    println!(
        "  FLOPs = 2 x MACs      {:>14}  ({:.2} B)",
        s.flops,
        s.flops as f64 / 1e9
    );
    println!(
        "  f32 weights on disk   {:>14} bytes ({:.1} MB)",
        s.bytes_f32,
        s.bytes_f32 as f64 / 1e6
    );
    Ok(())
}

pub fn run_bench(cmd: &BenchCommand) -> anyhow::Result<()> {
    let (args, train) = match cmd {
        BenchCommand::Infer(a) => (a, false),
        BenchCommand::TrainStep(a) => (a, true),
        BenchCommand::SynthPreview(a) => return super::synth::bench_preview(a),
        BenchCommand::Scissors(a) => return super::label::bench_scissors(a),
        BenchCommand::Clicks(a) => return super::label::bench_clicks(a),
    };
    if args.batch == 0 || args.batch > 256 {
        bail!("--batch must be between 1 and 256, got {}", args.batch);
    }
    if args.repeats == 0 {
        bail!("--repeats must be at least 1");
    }
    if args.precision != Precision::F32 && train {
        bail!("--precision int8 applies to `bench infer` only");
    }
    if args.precision != Precision::F32 && args.portable {
        bail!("--portable runs the f32 model; the int8 network has kernels of its own");
    }
    let cfg = config(&args.encoder, args.classes, args.output_stride)?;
    let (h, w) = args.size;
    let runs = bench::Runs {
        repeats: args.repeats,
        warmup: args.warmup,
        profile: args.profile,
    };
    let run = || {
        if train {
            bench::train_step(
                &cfg,
                h,
                w,
                args.batch,
                runs,
                crate::model::optim::SgdParams::default(),
            )
        } else if args.precision == Precision::Int8 {
            bench::infer_int8(&cfg, h, w, args.batch, runs, Granularity::PerChannel)
        } else if args.precision == Precision::Int8PerTensor {
            bench::infer_int8(&cfg, h, w, args.batch, runs, Granularity::PerTensor)
        } else {
            bench::infer(&cfg, h, w, args.batch, runs)
        }
    };
    let result = if args.portable {
        crate::model::ops::with_portable_kernels(run)
    } else {
        run()
    }
    .context("benchmark failed")?;
    if args.json {
        let mut value = serde_json::to_value(&result)?;
        value["portable_ops"] = args.portable.into();
        return print_json(&value);
    }
    if args.portable {
        println!("portable ops (Candle's own, not the CPU kernels):");
    }
    println!(
        "{} {} {}x{} batch {}: median {:.1} ms (min {:.1}, max {:.1}) over {} runs, {:.2} images/s",
        result.task,
        args.encoder,
        h,
        w,
        args.batch,
        result.ms_median,
        result.ms_min,
        result.ms_max,
        result.runs_ms.len(),
        result.images_per_s
    );
    if let Some(profile) = &result.profile_ms {
        let mut rows: Vec<_> = profile.iter().collect();
        rows.sort_by(|a, b| b.1.total_cmp(a.1));
        println!("  self time per run:");
        for (name, ms) in rows {
            println!("  {ms:>10.2} ms  {name}");
        }
    }
    Ok(())
}
