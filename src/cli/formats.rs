//! `export` in every format, `import labelme|coco|voc|yolo`, and `score` of prediction masks.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};

use super::print_json;
use super::progress::{Display, run_job};
use crate::formats;
use crate::import::{ClassMapping, ForeignFormat, ImportOptions, UnknownLabels};
use crate::project::{Project, Split};

/// The formats `export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One 8-bit PNG per labelled image with the variant's label ids (0 background, 255 ignore).
    Masks,
    /// PASCAL VOC: JPEGImages, SegmentationClass and SegmentationObject palette PNGs, ImageSets.
    Voc,
    /// COCO instances JSON with the photos (polygons; RLE for instances with holes).
    Coco,
    /// YOLO segmentation, Ultralytics layout with data.yaml (holes cannot be expressed).
    Yolo,
    /// A LabelMe 5.x JSON file beside each photo (parts with holes as mask shapes).
    Labelme,
    /// Cityscapes-style leftImg8bit and gtFine_labelIds PNGs.
    Cityscapes,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The format (also accepted as the first word: `export masks …`).
    #[arg(value_enum)]
    pub format_word: Option<ExportFormat>,
    #[arg(long, value_enum)]
    pub format: Option<ExportFormat>,
    #[arg(long)]
    pub project: PathBuf,
    /// Dataset variant (e.g. full, binary).
    #[arg(long, default_value = "full")]
    pub variant: String,
    /// Only the images of this split: train, val or test (default: all).
    #[arg(long, value_parser = parse_split)]
    pub split: Option<Split>,
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    #[arg(long)]
    pub project: PathBuf,
    /// Folder of `<image stem>.png` prediction masks at the photos' resolution, in the variant's
    /// label ids (as `export masks` writes the truth).
    #[arg(long)]
    pub predictions: PathBuf,
    /// Dataset variant the label ids belong to (e.g. full, binary).
    #[arg(long, default_value = "full")]
    pub variant: String,
    /// Only the images of this split: train, val or test (default: all labelled images).
    #[arg(long, value_parser = parse_split)]
    pub split: Option<Split>,
    #[arg(long)]
    pub json: bool,
}

pub fn score(args: &ScoreArgs) -> anyhow::Result<()> {
    let project = Project::open(&args.project)?;
    let scores = run_job(Display::for_command(args.json), |progress| {
        crate::eval::score_predictions(
            &project,
            &args.variant,
            args.split,
            &args.predictions,
            progress,
        )
    })?;
    if args.json {
        return print_json(&scores);
    }
    let percent = |v: Option<f64>| v.map_or("–".to_owned(), |v| format!("{v:.2}"));
    println!(
        "{} images, variant {}: mIoU {} %, pixel accuracy {} %",
        scores.images,
        scores.variant,
        percent(scores.scores.miou),
        percent(scores.scores.pixel_acc)
    );
    for (name, iou) in &scores.scores.per_class {
        println!("  {name:<24} {iou:6.2}");
    }
    Ok(())
}

pub(super) fn parse_split(text: &str) -> Result<Split, String> {
    Split::ALL
        .into_iter()
        .find(|s| s.name() == text)
        .ok_or_else(|| format!("the split is train, val or test, not {text:?}"))
}

pub fn export(args: &ExportArgs) -> anyhow::Result<()> {
    let format = match (args.format_word, args.format) {
        (Some(a), Some(b)) if a != b => bail!("two formats given: {a:?} and {b:?}"),
        (a, b) => a.or(b).unwrap_or(ExportFormat::Masks),
    };
    let project = Project::open(&args.project)?;
    let format = match format {
        ExportFormat::Masks => formats::ExportFormat::Masks,
        ExportFormat::Voc => formats::ExportFormat::Voc,
        ExportFormat::Coco => formats::ExportFormat::Coco,
        ExportFormat::Yolo => formats::ExportFormat::Yolo,
        ExportFormat::Labelme => formats::ExportFormat::Labelme,
        ExportFormat::Cityscapes => formats::ExportFormat::Cityscapes,
    };
    let report = run_job(Display::for_command(args.json), |progress| {
        format.export(&project, &args.variant, args.split, &args.out, progress)
    })?;
    if args.json {
        return print_json(&report);
    }
    println!(
        "wrote {} images as {} ({}) to {} in {:.2} s; {} unlabelled images skipped",
        report.written,
        report.format,
        args.variant,
        args.out.display(),
        report.seconds,
        report.skipped_unlabelled
    );
    for b in &report.skipped_broken {
        println!("skipped broken: {b}");
    }
    for w in &report.warnings {
        println!("warning: {w}");
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct ImportForeignArgs {
    #[arg(long)]
    pub project: PathBuf,
    /// LabelMe: JSON files or folders of them; COCO: the JSON files; VOC: the VOC folders; YOLO:
    /// the dataset folders (with data.yaml) or the YAML files.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// COCO: the folder of the photos, when not beside the JSON file or in images/ there.
    #[arg(long)]
    pub images: Option<PathBuf>,
    /// A RON file mapping labels to classes: `(labels: {"person": Class("human"), "dog": Create,
    /// "cat": Skip, "void": Ignore}, unknown: Create)`.
    #[arg(long)]
    pub map: Option<PathBuf>,
    /// What to do with labels that name no class and are not in the map (overrides the map's).
    #[arg(long, value_enum)]
    pub unknown: Option<Unknown>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Unknown {
    Create,
    Skip,
    Refuse,
}

/// The formats `import` reads besides class-id masks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Foreign {
    Labelme,
    Coco,
    Voc,
    Yolo,
}

pub fn import_foreign(format: Foreign, args: &ImportForeignArgs) -> anyhow::Result<()> {
    let project = Project::open(&args.project)?;
    let mut mapping = match &args.map {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            ron::from_str::<ClassMapping>(&text).map_err(|e| {
                anyhow::anyhow!(
                    "{}:{}:{}: {}",
                    path.display(),
                    e.span.start.line,
                    e.span.start.col,
                    e.code
                )
            })?
        }
        None => ClassMapping::default(),
    };
    if let Some(unknown) = args.unknown {
        mapping.unknown = match unknown {
            Unknown::Create => UnknownLabels::Create,
            Unknown::Skip => UnknownLabels::Skip,
            Unknown::Refuse => UnknownLabels::Refuse,
        };
    }
    let options = ImportOptions {
        paths: args.paths.clone(),
        images_dir: args.images.clone(),
        mapping,
        base_generations: std::collections::HashMap::new(),
    };
    let format = match format {
        Foreign::Labelme => ForeignFormat::Labelme,
        Foreign::Coco => ForeignFormat::Coco,
        Foreign::Voc => ForeignFormat::Voc,
        Foreign::Yolo => ForeignFormat::Yolo,
    };
    let (changes, report) = run_job(Display::for_command(args.json), |progress| {
        format.import(&project, &options, progress)
    })?;
    super::merge_and_save(project, changes)?;
    if args.json {
        return print_json(&report);
    }
    println!(
        "read {} {} files in {:.2} s: {} photos added, {} updated, {} instances",
        report.files,
        report.format,
        report.seconds,
        report.photos_added,
        report.photos_updated,
        report.instances
    );
    if !report.classes_created.is_empty() {
        println!("created classes: {}", report.classes_created.join(", "));
    }
    for (label, n) in &report.labels_skipped {
        println!("skipped {n} shapes of {label:?}");
    }
    for w in &report.warnings {
        println!("warning: {w}");
    }
    for s in &report.skipped {
        println!("skipped: {s}");
    }
    Ok(())
}
