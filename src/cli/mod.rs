//! The headless command line: every studio action as a subcommand, for servers and scripts.
//!
//! Commands print a human summary, or one JSON object with `--json`. Errors go to stderr with a non-zero
//! exit code and name the file and the problem.

mod classes;
mod dataset;
mod drill;
mod formats;
mod label;
mod model;
mod progress;
mod quantize;
mod synth;
mod train;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// SegStudio: semantic-segmentation datasets and models of a robot's own objects.
#[derive(Debug, Parser)]
#[command(name = "segstudio", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the studio window (the default without a subcommand).
    Studio(StudioArgs),
    /// Create a new project folder.
    New(dataset::NewArgs),
    /// Import an existing dataset into a project.
    #[command(subcommand)]
    Import(dataset::ImportCommand),
    /// Edit the class list: list, add, rename, recolour, size, delete.
    #[command(subcommand)]
    Class(classes::ClassCommand),
    /// Export a project's annotations in a format other tools read.
    Export(formats::ExportArgs),
    /// Generate artificial images: the project's objects pasted on backgrounds, with exact labels.
    Synth(synth::SynthArgs),
    /// Print dataset statistics.
    Stats(dataset::StatsArgs),
    /// Score prediction masks (8-bit PNGs of label ids, one per photo) against the project's truth:
    /// mIoU, pixel accuracy and per-class IoU.
    Score(formats::ScoreArgs),
    /// Train a DeepLab model on the project's photos (and synthesis runs), or resume a run.
    Train(train::TrainArgs),
    /// Score a trained run on a split at the photos' full resolution.
    Eval(train::EvalArgs),
    /// Label photos with a trained run: one 8-bit PNG of label ids per photo.
    Predict(train::PredictArgs),
    /// Quantize a trained run to int8 (weights per output channel or per tensor, activations
    /// calibrated on training photos) and score f32 and int8 on the same photos.
    Quantize(quantize::QuantizeArgs),
    /// Write a run's network as an ONNX file (f32, or int8 in QDQ form) for deployment.
    ExportModel(quantize::ExportModelArgs),
    /// Every run side by side per precision: size, FLOPs, disk, latency, mIoU (Markdown or CSV).
    Compare(quantize::CompareArgs),
    /// List the project's training runs and where they stand.
    Runs(train::RunsArgs),
    /// Render the demo project (procedural photos of the 18 atWork objects with exact ground truth).
    Demo(dataset::DemoArgs),
    /// Parameters, multiply-adds and FLOPs of a model configuration.
    ModelInfo(model::ModelInfoArgs),
    /// Time models: inference or a training step.
    #[command(subcommand)]
    Bench(model::BenchCommand),
    /// Check a project and list broken files.
    Check(dataset::CheckArgs),
    /// Edit a project through the autosave worker and report what is durable (crash-safety tests).
    #[command(hide = true)]
    AutosaveDrill(drill::DrillArgs),
}

/// Options of the studio window.
#[derive(Debug, Args, Default)]
pub struct StudioArgs {
    /// Project folder to open (default: the last project, else the start screen).
    pub project: Option<PathBuf>,
    /// Save a screenshot of the window to this PNG after it has settled, then quit.
    #[arg(long)]
    pub screenshot: Option<PathBuf>,
    /// Image (file name) to select when the project opens.
    #[arg(long)]
    pub image: Option<String>,
    /// Show the start screen instead of opening the last project or the bundled demo.
    #[arg(long)]
    pub start_screen: bool,
    /// Workspace to show first: browse, label, dataset, synthesize, train, evaluate or compare.
    #[arg(long)]
    pub workspace: Option<String>,
    /// The view to show first: in the Dataset workspace classes, chart, problems or variants; in
    /// Compare (with `--workspace compare`) table, charts or seed.
    #[arg(long)]
    pub view: Option<String>,
    /// The Label workspace's tool to start with: select, click, polygon, scissors, rectangle,
    /// hole, brush, eraser or wand.
    #[arg(long)]
    pub tool: Option<String>,
    /// Pointer steps to play into the Label canvas once the photo shows, in image coordinates,
    /// separated by `;`: `move X,Y`, `click X,Y`, `shift-click X,Y`, `right-click X,Y`,
    /// `double-click X,Y`, `drag X,Y X,Y`, `press X,Y`, `release X,Y`, `view ZOOM X,Y`, `key NAME`, `wait N`
    /// (frames). With --screenshot the picture waits for them.
    #[arg(long)]
    pub pointer: Option<String>,
    /// A training run (folder under runs/) to show: the Train workspace selects it, the Evaluate
    /// workspace scores it on the val split at once.
    #[arg(long)]
    pub run: Option<String>,
}

/// Runs a CLI command; returns the process exit code.
pub fn run(command: Command) -> i32 {
    let result = match command {
        Command::Studio(_) => unreachable!("the studio is started by main"),
        Command::New(args) => dataset::new_project(&args),
        Command::Import(cmd) => dataset::import(&cmd),
        Command::Class(cmd) => classes::class(&cmd),
        Command::Export(args) => formats::export(&args),
        Command::Synth(args) => synth::synth(&args),
        Command::Stats(args) => dataset::stats(&args),
        Command::Score(args) => formats::score(&args),
        Command::Check(args) => dataset::check(&args),
        Command::Train(args) => train::train(&args),
        Command::Eval(args) => train::eval(&args),
        Command::Predict(args) => train::predict(&args),
        Command::Quantize(args) => quantize::quantize(&args),
        Command::ExportModel(args) => quantize::export_model(&args),
        Command::Compare(args) => quantize::compare(&args),
        Command::Runs(args) => train::runs(&args),
        Command::Demo(args) => dataset::demo(&args),
        Command::ModelInfo(args) => model::model_info(&args),
        Command::Bench(cmd) => model::run_bench(&cmd),
        Command::AutosaveDrill(args) => drill::drill(&args),
    };
    match result {
        Ok(()) => 0,
        Err(err) if is_cancelled(&err) => {
            eprintln!("cancelled: nothing was written");
            130
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            1
        }
    }
}

/// Merges a job's changes into the project through a label session (the one path by which a project
/// changes) and waits until its autosave has written them; what could not be merged is a warning.
fn merge_and_save(
    project: crate::project::Project,
    changes: crate::label::ProjectChanges,
) -> anyhow::Result<()> {
    let mut session = crate::label::LabelSession::open(project, std::sync::Arc::new(|| {}))?;
    let merged = session.merge(changes);
    session
        .flush()
        .map_err(|e| anyhow::anyhow!("the import could not be saved: {e}"))?;
    for problem in merged.refused.iter().chain(&merged.conflicts) {
        eprintln!("warning: {problem}");
    }
    Ok(())
}

/// Whether a command stopped because the user cancelled it (Ctrl+C).
fn is_cancelled(err: &anyhow::Error) -> bool {
    matches!(
        err.downcast_ref::<crate::project::ProjectError>(),
        Some(crate::project::ProjectError::Cancelled)
    )
}

/// Prints a serialisable value as one line of JSON. A reader that went away (`| head`) is not an
/// error of the command: the work is done.
fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    use std::io::Write as _;
    let line = serde_json::to_string(value)?;
    match writeln!(std::io::stdout().lock(), "{line}") {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(err.into()),
        _ => Ok(()),
    }
}
