//! `synth` (a batch run, or one shard of it), `synth merge`, and `bench synth-preview`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand, ValueEnum};

use super::formats::parse_split;
use super::print_json;
use super::progress::{Display, run_job};
use crate::progress::Progress;
use crate::project::{Project, ProjectError, Split};
use crate::synth::params::{BlendMode, Outputs};
use crate::synth::run::{RunRequest, Shard, load_source};
use crate::synth::{SynthError, SynthParams, merge_runs, run_batch};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SynthArgs {
    #[command(subcommand)]
    pub command: Option<SynthCommand>,
    #[command(flatten)]
    pub run: SynthRunArgs,
}

#[derive(Debug, Subcommand)]
pub enum SynthCommand {
    /// Join the slices of a run made with --shard into one run folder.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
pub struct SynthRunArgs {
    #[arg(long, required = true)]
    pub project: Option<PathBuf>,
    /// Images of the whole run.
    #[arg(long, required = true)]
    pub count: Option<u64>,
    /// Seed of the run (default: the parameters' seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The run folder to create (it must not exist or be empty).
    #[arg(long, required = true)]
    pub out: Option<PathBuf>,
    /// The split whose objects and backgrounds are used.
    #[arg(long, default_value = "train", value_parser = parse_split)]
    pub split: Split,
    /// Parameters from a RON file (a `SynthParams`; missing fields take their defaults).
    #[arg(long, conflicts_with = "preset")]
    pub config: Option<PathBuf>,
    /// Named parameters instead of the project's saved ones.
    #[arg(long, value_enum)]
    pub preset: Option<Preset>,
    /// Which files to write: a comma-separated list of images, labels, instances, boxes, coco (or all).
    #[arg(long)]
    pub outputs: Option<String>,
    /// Make only slice K of N (`--shard 3/8`), byte-identical to those images of the whole run.
    #[arg(long, value_parser = Shard::parse)]
    pub shard: Option<Shard>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print one JSON line `{"images", "seconds", "ms_per_image", …}` instead of a summary.
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    /// The seed generator's setting: 1–9 objects, scale 0.3–1.2, anywhere, hard paste, 640×480, q95.
    Seed,
    /// SegStudio's defaults (feathered or mixed blends, jitter, shadows, real occlusion limits).
    Default,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The run folder to create.
    #[arg(long)]
    pub out: PathBuf,
    /// The slice folders.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

fn cancelled_as_project_error(err: SynthError) -> anyhow::Error {
    match err {
        SynthError::Cancelled => ProjectError::Cancelled.into(),
        other => other.into(),
    }
}

/// The parameters of a command: a config file, a preset, or the project's saved ones.
fn params_for(project: &Project, args: &SynthRunArgs) -> anyhow::Result<SynthParams> {
    let mut params = if let Some(path) = &args.config {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        crate::project::parse_ron::<SynthParams>(&text, path)?
    } else {
        match args.preset {
            Some(Preset::Seed) => SynthParams::seed_preset(),
            Some(Preset::Default) => SynthParams::default(),
            None => project.file().synth.clone(),
        }
    };
    if let Some(seed) = args.seed {
        params.seed = seed;
    }
    if let Some(list) = &args.outputs {
        params.outputs = Outputs::parse(list).map_err(anyhow::Error::msg)?;
    }
    Ok(params)
}

pub fn synth(args: &SynthArgs) -> anyhow::Result<()> {
    if let Some(SynthCommand::Merge(merge)) = &args.command {
        return merge_command(merge);
    }
    let args = &args.run;
    let (Some(project_dir), Some(count), Some(out)) = (&args.project, args.count, &args.out) else {
        bail!("synth needs --project, --count and --out");
    };
    let started = Instant::now();
    let project = Project::open(project_dir)?;
    let params = params_for(&project, args)?;
    let request = RunRequest {
        params,
        split: args.split,
        count,
        shard: args.shard,
        out: out.clone(),
    };
    let job = |progress: &Progress| run_batch(&project, &request, progress);
    let report = match args.threads {
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n.max(1))
                .thread_name(|i| format!("synth-{i}"))
                .build()?;
            pool.install(|| run_job(Display::for_command(args.json), job))
        }
        None => run_job(Display::for_command(args.json), job),
    }
    .map_err(cancelled_as_project_error)?;
    // Time from the start of the command: opening the project and loading the library count.
    let seconds = started.elapsed().as_secs_f64();
    for s in &report.skipped {
        eprintln!("skipped: {s}");
    }
    if args.json {
        return print_json(&serde_json::json!({
            "images": report.images,
            "seconds": seconds,
            "ms_per_image": seconds * 1000.0 / report.images.max(1) as f64,
            "load_seconds": report.load_seconds,
            "library_objects": report.objects,
            "jpeg_encoder": crate::synth::encode::JPEG_ENCODER,
            "out": report.dir,
        }));
    }
    println!(
        "wrote {} images from {} objects to {} in {:.2} s ({:.2} ms per image; loading {:.2} s)",
        report.images,
        report.objects,
        report.dir.display(),
        seconds,
        seconds * 1000.0 / report.images.max(1) as f64,
        report.load_seconds
    );
    Ok(())
}

fn merge_command(args: &MergeArgs) -> anyhow::Result<()> {
    let report = merge_runs(&args.dirs, &args.out)?;
    if args.json {
        return print_json(&serde_json::json!({
            "images": report.images,
            "seconds": report.seconds,
            "out": report.dir,
        }));
    }
    println!(
        "merged {} slices ({} images) into {} in {:.2} s",
        args.dirs.len(),
        report.images,
        report.dir.display(),
        report.seconds
    );
    Ok(())
}

#[derive(Debug, Args)]
pub struct SynthPreviewArgs {
    #[arg(long)]
    pub project: PathBuf,
    #[arg(long, default_value = "train", value_parser = parse_split)]
    pub split: Split,
    /// Timed renders.
    #[arg(long, default_value_t = 200)]
    pub renders: u64,
    /// Objects per image (min = max).
    #[arg(long, default_value_t = 9)]
    pub objects: u32,
    /// Blend of the timed renders.
    #[arg(long, value_enum, default_value = "motion")]
    pub blend: BenchBlend,
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchBlend {
    Gaussian,
    Motion,
}

/// Median, p90 and max of one render (no file writing) with every effect on, then how long each
/// encoder takes on those images: the figures behind the preview's frame budget and the run's.
pub fn bench_preview(args: &SynthPreviewArgs) -> anyhow::Result<()> {
    let project = Project::open(&args.project)?;
    let mut params = project.file().synth.clone();
    params.width = 640;
    params.height = 480;
    params.objects_min = args.objects;
    params.objects_max = args.objects;
    params.blend = match args.blend {
        BenchBlend::Gaussian => BlendMode::Gaussian,
        BenchBlend::Motion => BlendMode::Motion,
    };
    // Every effect on, whatever the project's settings.
    params.jitter = SynthParams::default().jitter;
    params.shadow.opacity = params.shadow.opacity.max(0.35);
    params.noise = params.noise.max(2.0);
    params.max_occlusion = 1.0;
    params.min_visible = 0.0;
    let progress = Progress::default();
    let source = load_source(&project, &params, args.split, &progress)
        .map_err(cancelled_as_project_error)?;
    let generator = source.generator(&params)?;
    let mut render_ms = Vec::new();
    let mut images = Vec::new();
    for i in 0..args.renders.max(1) {
        let t = Instant::now();
        let rendered = generator.render(params.seed, i);
        render_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        if images.len() < 20 {
            images.push(rendered);
        }
    }
    let time = |f: &dyn Fn(&crate::synth::Rendered) -> usize| -> (f64, usize) {
        let t = Instant::now();
        let bytes: usize = images.iter().map(f).sum();
        (
            t.elapsed().as_secs_f64() * 1000.0 / images.len() as f64,
            bytes / images.len(),
        )
    };
    let (w, h) = (params.width, params.height);
    let jpeg = time(&|r| crate::synth::encode::encode_jpeg_portable(&r.image, 95).len());
    #[cfg(feature = "fast-jpeg")]
    let jpeg_turbo = time(&|r| crate::synth::encode::encode_jpeg_turbo(&r.image, 95).len());
    #[cfg(not(feature = "fast-jpeg"))]
    let jpeg_turbo = (f64::NAN, 0);
    let jpeg_image_crate = time(&|r| {
        let mut out = Vec::new();
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95);
        r.image
            .write_with_encoder(encoder)
            .map_or(0, |()| out.len())
    });
    let label_png = time(&|r| crate::imageio::encode_label_png(w, h, &r.labels).len());
    let instance_png =
        time(&|r| crate::synth::encode::encode_instance_png(w, h, &r.instances).len());
    let rgb_png_default = time(&|r| {
        let mut out = std::io::Cursor::new(Vec::new());
        r.image
            .write_to(&mut out, image::ImageFormat::Png)
            .map_or(0, |()| out.get_ref().len())
    });
    render_ms.sort_by(f64::total_cmp);
    let pick = |q: f64| render_ms[((render_ms.len() - 1) as f64 * q).round() as usize];
    let result = serde_json::json!({
        "renders": render_ms.len(),
        "objects": args.objects,
        "library_objects": source.library.objects.len(),
        "render_ms_median": pick(0.5),
        "render_ms_p90": pick(0.9),
        "render_ms_max": pick(1.0),
        "encode_ms": {
            "jpeg_q95_jpeg_encoder": jpeg.0,
            "jpeg_q95_libjpeg_turbo": (!jpeg_turbo.0.is_nan()).then_some(jpeg_turbo.0),
            "jpeg_q95_image_crate": jpeg_image_crate.0,
            "label_png_fast": label_png.0,
            "instance_png16_fast": instance_png.0,
            "rgb_png_image_crate_default": rgb_png_default.0,
        },
        "encode_bytes": {
            "jpeg_q95_jpeg_encoder": jpeg.1,
            "jpeg_q95_libjpeg_turbo": jpeg_turbo.1,
            "jpeg_q95_image_crate": jpeg_image_crate.1,
            "label_png_fast": label_png.1,
            "instance_png16_fast": instance_png.1,
            "rgb_png_image_crate_default": rgb_png_default.1,
        },
    });
    if args.json {
        return print_json(&result);
    }
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(())
}
