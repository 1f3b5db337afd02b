//! Training subcommands: `train` (a new run or `--resume`), `eval`, `predict` and `runs`.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;

use super::formats::parse_split;
use super::print_json;
use super::progress::{Display, run_job};
use crate::model::optim::{AdamWParams, SgdParams};
use crate::project::{Project, Split};
use crate::train::engine::TrainEvent;
use crate::train::{Budget, OptimizerConfig, RunDir, TrainConfig, TrainSummary};

/// Parses `320x240` (width x height).
pub(super) fn parse_wh(text: &str) -> Result<[u32; 2], String> {
    let err = || format!("expected a size such as 320x240 (width x height), got {text:?}");
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(err)?;
    let parse = |s: &str| s.trim().parse::<u32>().map_err(|_| err());
    Ok([parse(w)?, parse(h)?])
}

fn parse_val_split(text: &str) -> Result<Option<Split>, String> {
    if text == "none" {
        Ok(None)
    } else {
        parse_split(text).map(Some)
    }
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    #[arg(long)]
    pub project: PathBuf,
    /// Continue this run (a folder name under runs/) from its last checkpoint, with its own
    /// settings; the other options are not used.
    #[arg(long)]
    pub resume: Option<String>,
    /// mobilenetv2, mobilenetv2-plus or xception65.
    #[arg(long, default_value = "mobilenetv2")]
    pub encoder: String,
    /// The dataset variant to learn (full, binary, …).
    #[arg(long, default_value = "full")]
    pub variant: String,
    /// Input size, width x height: photos are resized to it.
    #[arg(long, default_value = "320x240", value_parser = parse_wh)]
    pub size: [u32; 2],
    #[arg(long, default_value_t = 8)]
    pub batch: usize,
    /// Train exactly this many steps (the poly LR over them).
    #[arg(long, conflicts_with = "minutes")]
    pub steps: Option<u64>,
    /// Train for this many minutes (the step count estimated from the rate of steps 11–20).
    #[arg(long)]
    pub minutes: Option<f64>,
    /// Add the images of this finished synthesis run (a folder under synth/); repeatable.
    #[arg(long = "synth")]
    pub synth: Vec<String>,
    /// Real photos from these splits (comma-separated; `none` for synthetic images only).
    #[arg(long, default_value = "train")]
    pub splits: String,
    /// The split validated while training, or none.
    #[arg(long, default_value = "val")]
    pub val_split: String,
    /// sgd (momentum 0.9, weight decay 4e-5: the DeepLab recipe) or adamw.
    #[arg(long, default_value = "sgd")]
    pub optimizer: String,
    /// Base learning rate of the poly schedule (default: 0.007 for SGD, 0.001 for AdamW).
    #[arg(long)]
    pub lr: Option<f64>,
    /// Colour jitter: brightness and contrast each scaled by 1 ± this (0: off).
    #[arg(long, default_value_t = 0.2)]
    pub jitter: f32,
    /// Validate every N steps (and at the end).
    #[arg(long, default_value_t = 500)]
    pub eval_every: u64,
    /// Write a resume point every N steps (and at the end).
    #[arg(long, default_value_t = 500)]
    pub checkpoint_every: u64,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Start from pretrained weights: torchvision's mobilenet_v2 .pth (ImageNet) for the encoder,
    /// or a safetensors file with SegStudio's tensor names (another run's checkpoint).
    #[arg(long)]
    pub init: Option<PathBuf>,
    /// BatchNorm running-statistics momentum (PyTorch's 0.1; TF DeepLab fine-tunes with 0.0003).
    #[arg(long, default_value_t = 0.1)]
    pub bn_momentum: f64,
    /// Width multiplier of the encoder (1 = the published model).
    #[arg(long, default_value_t = 1.0)]
    pub depth_multiplier: f64,
    /// Threads decoding and augmenting batches ahead of the model.
    #[arg(long, default_value_t = 1)]
    pub loader_threads: usize,
    /// cpu, or cuda (GPU 0; a build with `--features cuda`).
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Print one JSON object per event on stderr and the summary as the last line on stdout.
    #[arg(long)]
    pub json: bool,
}

fn device(name: &str) -> anyhow::Result<candle_core::Device> {
    crate::train::device_named(name).map_err(|e| anyhow::anyhow!("--device {e}"))
}

impl TrainArgs {
    fn config(&self) -> anyhow::Result<TrainConfig> {
        let budget = match (self.steps, self.minutes) {
            (Some(n), _) => Budget::Steps(n),
            (None, Some(m)) => Budget::Minutes(m),
            (None, None) => bail!("say how long to train: --steps N or --minutes M"),
        };
        let optimizer = match self.optimizer.as_str() {
            "sgd" => OptimizerConfig::Sgd(SgdParams::default()),
            "adamw" => OptimizerConfig::AdamW(AdamWParams::default()),
            other => bail!("--optimizer is sgd or adamw, not {other:?}"),
        };
        let optimizer = match self.lr {
            Some(lr) => optimizer.with_lr(lr),
            None => optimizer,
        };
        let splits = if self.splits == "none" {
            Vec::new()
        } else {
            self.splits
                .split(',')
                .map(|s| parse_split(s.trim()).map_err(anyhow::Error::msg))
                .collect::<anyhow::Result<Vec<_>>>()?
        };
        let defaults = TrainConfig::default();
        Ok(TrainConfig {
            encoder: self.encoder.clone(),
            variant: self.variant.clone(),
            size: self.size,
            batch: self.batch,
            budget,
            optimizer,
            augment: crate::train::Augment {
                jitter: self.jitter,
                ..defaults.augment
            },
            splits,
            synth_runs: self.synth.clone(),
            val_split: parse_val_split(&self.val_split).map_err(anyhow::Error::msg)?,
            eval_every: self.eval_every,
            checkpoint_every: self.checkpoint_every,
            seed: self.seed,
            init: self.init.clone(),
            bn_momentum: self.bn_momentum,
            depth_multiplier: self.depth_multiplier,
            loader_threads: self.loader_threads,
            ..defaults
        })
    }
}

pub fn train(args: &TrainArgs) -> anyhow::Result<()> {
    let project = Project::open(&args.project)?;
    let device = device(&args.device)?;
    let config = if args.resume.is_some() {
        None
    } else {
        Some(args.config()?)
    };
    let json = args.json;
    let summary: TrainSummary = run_job(Display::for_command(json), |progress| {
        let mut observer = |event: &TrainEvent| match event {
            _ if json => {
                if let Ok(line) = serde_json::to_string(event) {
                    eprintln!("{line}");
                }
            }
            TrainEvent::Started {
                run,
                first_step,
                train_images,
                val_images,
                ..
            } => eprintln!(
                "run {run}: {train_images} training images, {val_images} validation images{}",
                if *first_step > 0 {
                    format!(", resuming at step {first_step}")
                } else {
                    String::new()
                }
            ),
            TrainEvent::Initialised(r) => eprintln!(
                "initialised {} tensors from --init ({} kept from the seed, {} of the file unused)",
                r.loaded,
                r.kept,
                r.unused.len()
            ),
            TrainEvent::Validated(v) => eprintln!(
                "step {}: val mIoU {}",
                v.step,
                v.miou.map_or("–".into(), |m| format!("{m:.2} %"))
            ),
            _ => {}
        };
        match (&args.resume, config) {
            (Some(id), _) => crate::train::resume(&project, id, &device, progress, &mut observer),
            (None, Some(config)) => {
                crate::train::train(&project, config, &device, progress, &mut observer)
            }
            (None, None) => unreachable!("a config is built unless resuming"),
        }
    })?;
    if json {
        print_json(&serde_json::json!({
            "run": summary.run,
            "steps": summary.steps,
            "final_loss": summary.final_loss,
            "val_miou": summary.val_miou,
            "best_val_miou": summary.best_val_miou,
            "cancelled": summary.cancelled,
            "seconds": summary.seconds,
            "images_per_s": summary.images_per_s,
            "loader_wait": summary.loader_wait,
            "loader_seconds_per_batch": summary.loader_seconds_per_batch,
            "peak_rss_mb": summary.peak_rss_mb,
        }))?;
    } else {
        let pct = |v: Option<f64>| v.map_or("–".to_owned(), |v| format!("{v:.2} %"));
        println!(
            "run {}: {} steps in {:.0} s ({:.1} images/s, loader wait {:.1} %), final loss {}, val mIoU {} (best {})",
            summary.run,
            summary.steps,
            summary.seconds,
            summary.images_per_s,
            summary.loader_wait * 100.0,
            summary.final_loss.map_or("–".into(), |l| format!("{l:.4}")),
            pct(summary.val_miou),
            pct(summary.best_val_miou)
        );
    }
    if summary.cancelled {
        eprintln!(
            "cancelled at step {}; continue with --resume {}",
            summary.steps, summary.run
        );
        std::process::exit(130);
    }
    Ok(())
}

/// A run's network for inference, with the run named in the error.
fn load_predictor(
    project: &Project,
    run: &str,
    checkpoint: Option<&str>,
) -> anyhow::Result<crate::train::Predictor> {
    crate::train::Predictor::load(
        &RunDir::open(project.root(), run),
        checkpoint,
        &candle_core::Device::Cpu,
    )
    .map_err(anyhow::Error::msg)
    .with_context(|| format!("run {run}"))
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    #[arg(long)]
    pub project: PathBuf,
    /// The run (a folder name under runs/).
    #[arg(long)]
    pub run: String,
    /// best (the default when the run validated), last, or a .safetensors file.
    #[arg(long)]
    pub checkpoint: Option<String>,
    /// train, val or test (default: every labelled photo).
    #[arg(long, value_parser = parse_split)]
    pub split: Option<Split>,
    /// Also list every image's mIoU, worst first.
    #[arg(long)]
    pub per_image: bool,
    #[arg(long)]
    pub json: bool,
}

pub fn eval(args: &EvalArgs) -> anyhow::Result<()> {
    let project = Project::open(&args.project)?;
    let predictor = load_predictor(&project, &args.run, args.checkpoint.as_deref())?;
    let mut evaluation = run_job(Display::for_command(args.json), |progress| {
        crate::train::evaluate(&project, &args.run, &predictor, args.split, false, progress)
    })
    .map_err(anyhow::Error::msg)?;
    evaluation
        .per_image
        .sort_by(|a, b| a.miou.unwrap_or(0.0).total_cmp(&b.miou.unwrap_or(0.0)));
    if !args.per_image {
        evaluation.per_image.clear();
    }
    if args.json {
        return print_json(&evaluation);
    }
    let pct = |v: Option<f64>| v.map_or("–".to_owned(), |v| format!("{v:.2}"));
    println!(
        "run {} ({}), {} images: mIoU {} %, pixel accuracy {} %",
        evaluation.run,
        evaluation.checkpoint.display(),
        evaluation.images,
        pct(evaluation.scores.miou),
        pct(evaluation.scores.pixel_acc)
    );
    for (name, iou) in &evaluation.scores.per_class {
        println!("  {name:<24} {iou:6.2}");
    }
    for image in &evaluation.per_image {
        println!("  {:<40} mIoU {}", image.file, pct(image.miou));
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    #[arg(long)]
    pub project: PathBuf,
    #[arg(long)]
    pub run: String,
    /// best, last, or a .safetensors file.
    #[arg(long)]
    pub checkpoint: Option<String>,
    /// Photos to label.
    #[arg(required = true)]
    pub images: Vec<PathBuf>,
    /// Folder for `<image stem>.png`: the run's variant label ids at the photo's resolution.
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long)]
    pub json: bool,
}

pub fn predict(args: &PredictArgs) -> anyhow::Result<()> {
    let project = Project::open(&args.project)?;
    let predictor = load_predictor(&project, &args.run, args.checkpoint.as_deref())?;
    let written = run_job(Display::for_command(args.json), |progress| {
        crate::train::infer::predict_files(&predictor, &args.images, &args.out, progress)
    })
    .map_err(anyhow::Error::msg)?;
    if args.json {
        return print_json(&serde_json::json!({ "written": written }));
    }
    println!(
        "{} prediction masks in {}",
        written.len(),
        args.out.display()
    );
    Ok(())
}

#[derive(Debug, Args)]
pub struct RunsArgs {
    #[arg(long)]
    pub project: PathBuf,
    #[arg(long)]
    pub json: bool,
}

pub fn runs(args: &RunsArgs) -> anyhow::Result<()> {
    let project = Project::open(&args.project)?;
    let (runs, skipped) = crate::train::list_runs(project.root());
    for problem in &skipped {
        eprintln!("warning: {problem}");
    }
    let rows: Vec<serde_json::Value> = runs
        .iter()
        .map(|(run, state)| {
            serde_json::json!({
                "run": run.id,
                "encoder": run.record.train.encoder,
                "variant": run.record.train.variant,
                "status": state.as_ref().map_or("unreadable", crate::train::RunState::word),
                "step": state.as_ref().map(|s| s.step),
                "total_steps": state.as_ref().and_then(|s| s.total_steps),
                "best_val_miou": state.as_ref().and_then(|s| s.best.map(|b| b.1)),
            })
        })
        .collect();
    if args.json {
        return print_json(&rows);
    }
    if rows.is_empty() {
        println!(
            "no training runs in {}",
            project.root().join("runs").display()
        );
    }
    for (run, state) in &runs {
        println!(
            "{:<48} {:<12} step {:>6}  best val mIoU {}",
            run.id,
            state
                .as_ref()
                .map_or("unreadable", crate::train::RunState::word),
            state.as_ref().map_or(0, |s| s.step),
            state
                .as_ref()
                .and_then(|s| s.best)
                .map_or("–".into(), |b| format!("{:.2} % (step {})", b.1, b.0))
        );
    }
    Ok(())
}
