//! `segstudio quantize`: a trained run to int8, with both precisions scored on the same photos.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use super::formats::parse_split;
use super::print_json;
use super::progress::{Display, run_job};
use crate::project::{Project, Split};
use crate::quantize::job::{QuantizeOptions, quantize_run};
use crate::quantize::{Granularity, RangeMethod};
use crate::train::RunDir;

#[derive(Debug, Args)]
pub struct QuantizeArgs {
    #[arg(long)]
    pub project: PathBuf,
    /// The run (a folder name under runs/).
    #[arg(long)]
    pub run: String,
    /// The f32 weights: best (the default when the run validated), last, or a .safetensors file.
    #[arg(long)]
    pub checkpoint: Option<String>,
    /// One weight scale per tensor instead of per output channel (TensorFlow's graph tool, which
    /// cost the seed 9.56 mIoU points on MobileNetV2).
    #[arg(long)]
    pub per_tensor: bool,
    /// Training photos the activation ranges are calibrated on.
    #[arg(long, default_value_t = 32)]
    pub calib: usize,
    /// Clip each activation's range at this percentile of what calibration saw (e.g. 99.99)
    /// instead of taking its minimum and maximum.
    #[arg(long)]
    pub percentile: Option<f64>,
    /// The photos f32 and int8 are scored on (train, val or test; default val).
    #[arg(long, value_parser = parse_split)]
    pub split: Option<Split>,
    #[arg(long)]
    pub json: bool,
}

pub fn quantize(args: &QuantizeArgs) -> anyhow::Result<()> {
    let project = Project::open(&args.project)?;
    let options = QuantizeOptions {
        granularity: if args.per_tensor {
            Granularity::PerTensor
        } else {
            Granularity::PerChannel
        },
        method: args
            .percentile
            .map_or(RangeMethod::MinMax, RangeMethod::Percentile),
        calib_images: args.calib,
        checkpoint: args.checkpoint.clone(),
        split: Some(args.split.unwrap_or(Split::Val)),
    };
    let run = RunDir::open(project.root(), &args.run);
    let report = run_job(Display::for_command(args.json), |progress| {
        quantize_run(&project, &run, &options, progress)
    })
    .map_err(anyhow::Error::msg)
    .with_context(|| format!("run {}", args.run))?;
    if args.json {
        return print_json(&report);
    }
    let pct = |v: Option<f64>| v.map_or("–".to_owned(), |v| format!("{v:.2}"));
    let mb = |b: u64| b as f64 / 1e6;
    println!(
        "{} ({}, {} calibration photos) → {}",
        report.precision,
        report.method,
        report.calib_images,
        report.file.display()
    );
    println!(
        "disk: {:.2} MB f32 → {:.2} MB int8 ({:+.1} %)",
        mb(report.bytes_f32),
        mb(report.bytes_int8),
        100.0 * (report.bytes_int8 as f64 / report.bytes_f32 as f64 - 1.0)
    );
    println!(
        "mIoU on {} ({} photos): f32 {} %, int8 {} %",
        report.split.as_deref().unwrap_or("every photo"),
        report.images,
        pct(report.miou_f32),
        pct(report.miou_int8)
    );
    for (name, f) in &report.per_class_f32 {
        let q = report.per_class_int8.get(name).copied();
        println!("  {name:<24} {f:6.2} → {}", pct(q));
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct ExportModelArgs {
    #[arg(long)]
    pub project: PathBuf,
    #[arg(long)]
    pub run: String,
    /// The f32 weights (best, last or a .safetensors file), or an int8 file from `quantize`.
    #[arg(long)]
    pub checkpoint: Option<String>,
    /// Write the int8 network (QDQ form) from the run's per-channel int8 checkpoint.
    #[arg(long)]
    pub int8: bool,
    /// The .onnx file to write.
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long)]
    pub json: bool,
}

pub fn export_model(args: &ExportModelArgs) -> anyhow::Result<()> {
    let project = Project::open(&args.project)?;
    let run = RunDir::open(project.root(), &args.run);
    let exported =
        crate::onnx::export::export_run(&run, args.checkpoint.as_deref(), args.int8, &args.out)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("run {}", args.run))?;
    if args.json {
        return print_json(&exported);
    }
    println!(
        "{} ({}, {} nodes, input {}×{}) from {} → {} ({:.2} MB)",
        args.run,
        exported.precision,
        exported.nodes,
        exported.input_size[0],
        exported.input_size[1],
        exported.source.display(),
        exported.file.display(),
        exported.bytes as f64 / 1e6
    );
    Ok(())
}

#[expect(
    clippy::struct_excessive_bools,
    reason = "clap switches: each bool is one flag of the command line"
)]
#[derive(Debug, Args)]
pub struct CompareArgs {
    #[arg(long)]
    pub project: PathBuf,
    /// Print the table as Markdown.
    #[arg(long, conflicts_with_all = ["csv", "json"])]
    pub markdown: bool,
    /// Print the table as CSV, with a column of IoU per label.
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    #[arg(long)]
    pub json: bool,
    /// Also time every row here (batch 1 at the run's size; the median of this many passes).
    #[arg(long)]
    pub latency: Option<usize>,
    /// Print the seed's published table with our best run beside each of its rows instead
    /// (Markdown; with --json, the rows as JSON).
    #[arg(long, conflicts_with = "csv")]
    pub seed: bool,
}

pub fn compare(args: &CompareArgs) -> anyhow::Result<()> {
    let project = Project::open(&args.project)?;
    let (mut rows, skipped) = crate::compare::rows(project.root());
    for s in &skipped {
        eprintln!("skipped: {s}");
    }
    if let Some(repeats) = args.latency {
        if repeats == 0 {
            anyhow::bail!("--latency needs at least one timed pass");
        }
        run_job(Display::for_command(args.json), |progress| {
            crate::compare::measure_latency(project.root(), &mut rows, repeats, progress)
        })
        .map_err(anyhow::Error::msg)?;
    }
    if args.seed {
        let table = crate::compare::seed::seed_rows(&rows);
        if args.json {
            let cells: Vec<serde_json::Value> = table
                .iter()
                .map(|r| {
                    let cells = r.cells();
                    serde_json::Value::Object(
                        crate::compare::seed::SEED_COLUMNS
                            .iter()
                            .zip(cells)
                            .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String(v)))
                            .collect(),
                    )
                })
                .collect();
            return print_json(&cells);
        }
        print!("{}", crate::compare::seed::to_markdown(&table));
        return Ok(());
    }
    if args.json {
        return print_json(&rows);
    }
    if args.csv {
        print!("{}", crate::compare::to_csv(&rows));
    } else {
        print!("{}", crate::compare::to_markdown(&rows));
    }
    Ok(())
}
