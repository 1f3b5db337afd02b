//! Project and dataset subcommands: new, import, export, stats, check.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};

use super::print_json;
use super::progress::{Display, run_job};
use crate::import::{MaskImportOptions, import_masks, parse_split_counts};
use crate::project::{Preset, Project};

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Folder of the new project (created if missing).
    pub path: PathBuf,
    /// Class list and variants to start from: `atwork` or `empty`.
    #[arg(long, default_value = "empty")]
    pub preset: String,
    /// Display name (default: the folder name).
    #[arg(long)]
    pub name: Option<String>,
    /// Also create a class for every line of this labelme `labels.txt` (in its order, so the label
    /// ids match labelme's; `__ignore__` and `_background_` are not classes).
    #[arg(long)]
    pub labels: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Plain photos (files or folders, JPEG and PNG), to label in the studio.
    Images(ImportImagesArgs),
    /// Photos plus class-id masks (8-bit greyscale or palette PNGs) become polygon instances.
    Masks(ImportMasksArgs),
    /// LabelMe JSON files (polygon, rectangle, circle and mask shapes; embedded photos too).
    Labelme(super::formats::ImportForeignArgs),
    /// COCO instances JSON (polygons, RLE and compressed RLE; photos beside it or in images/).
    Coco(super::formats::ImportForeignArgs),
    /// PASCAL VOC folders (SegmentationClass, SegmentationObject, JPEGImages, ImageSets).
    Voc(super::formats::ImportForeignArgs),
    /// YOLO segmentation datasets (data.yaml, images/, labels/).
    Yolo(super::formats::ImportForeignArgs),
}

#[derive(Debug, Args)]
pub struct ImportImagesArgs {
    #[arg(long)]
    pub project: PathBuf,
    /// Photo files and folders (searched recursively for .jpg, .jpeg, .png).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Deal the new photos out to train, val and test in these shares (e.g. 80,10,10); without
    /// it they come in without a split.
    #[arg(long, value_parser = crate::import::parse_split_ratio)]
    pub split: Option<[f64; 3]>,
    /// Seed of the shuffle that deals out the splits.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportMasksArgs {
    #[arg(long)]
    pub project: PathBuf,
    /// Folder of photos (searched recursively).
    #[arg(long)]
    pub images: PathBuf,
    /// Folder of masks, mirroring the photo folder's layout, `.png`.
    #[arg(long)]
    pub masks: PathBuf,
    /// Mask value of the background (0 is always background too).
    #[arg(long, default_value_t = 0)]
    pub background: u8,
    /// Per class, photos sorted by name: TRAIN,VAL,TEST counts (e.g. 22,4,4).
    #[arg(long, value_parser = parse_split_counts)]
    pub split_per_class: Option<[usize; 3]>,
    /// Drop regions and holes smaller than this (pixels); default: the project's setting.
    #[arg(long)]
    pub min_region_px: Option<u32>,
    /// Simplification tolerance in pixels; default: the project's setting.
    #[arg(long)]
    pub simplify_px: Option<f32>,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    #[arg(long)]
    pub project: PathBuf,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder of the demo project (must not hold a project yet, unless --force).
    #[arg(long)]
    pub out: PathBuf,
    /// Number of photos.
    #[arg(long, default_value_t = 60)]
    pub images: u32,
    /// Number of empty tabletop backgrounds.
    #[arg(long, default_value_t = 20)]
    pub backgrounds: u32,
    /// Random seed: the same seed gives byte-identical files.
    #[arg(long, default_value_t = 2018)]
    pub seed: u64,
    /// Also save a contact sheet (PNG grid of the first 12 photos) here.
    #[arg(long)]
    pub sheet: Option<PathBuf>,
    /// Replace a demo project already in --out (removes its project.ron, images, annotations,
    /// ground truth and backgrounds first).
    #[arg(long)]
    pub force: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[arg(long)]
    pub project: PathBuf,
}

fn open(path: &std::path::Path) -> anyhow::Result<Project> {
    Ok(Project::open(path)?)
}

pub fn new_project(args: &NewArgs) -> anyhow::Result<()> {
    let Some(preset) = Preset::parse(&args.preset) else {
        bail!("unknown preset {:?}; choose atwork or empty", args.preset);
    };
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| crate::project::default_name(&args.path));
    let mut project = Project::create(&args.path, &name, preset)?;
    if let Some(labels) = &args.labels {
        let text = std::fs::read_to_string(labels)
            .with_context(|| format!("cannot read {}", labels.display()))?;
        for label in text.lines().map(str::trim) {
            if !label.is_empty() && label != "__ignore__" && label != "_background_" {
                project.add_class(label)?;
            }
        }
        project.save_project_file()?;
    }
    println!(
        "created project {:?} with {} classes in {}",
        project.file().name,
        project.file().classes.len(),
        args.path.display()
    );
    Ok(())
}

pub fn import(cmd: &ImportCommand) -> anyhow::Result<()> {
    let args = match cmd {
        ImportCommand::Images(args) => return import_images(args),
        ImportCommand::Masks(args) => args,
        ImportCommand::Labelme(args) => {
            return super::formats::import_foreign(super::formats::Foreign::Labelme, args);
        }
        ImportCommand::Coco(args) => {
            return super::formats::import_foreign(super::formats::Foreign::Coco, args);
        }
        ImportCommand::Voc(args) => {
            return super::formats::import_foreign(super::formats::Foreign::Voc, args);
        }
        ImportCommand::Yolo(args) => {
            return super::formats::import_foreign(super::formats::Foreign::Yolo, args);
        }
    };
    let project = open(&args.project)?;
    let settings = project.file().import.clone();
    let options = MaskImportOptions {
        images_dir: args.images.clone(),
        masks_dir: args.masks.clone(),
        background: args.background,
        split_per_class: args.split_per_class,
        min_region_px: args.min_region_px.unwrap_or(settings.min_region_px),
        simplify_px: args.simplify_px.unwrap_or(settings.simplify_px),
    };
    if !(options.simplify_px >= 0.0 && options.simplify_px <= 100.0) {
        bail!(
            "--simplify-px must be between 0 and 100 pixels, got {}",
            options.simplify_px
        );
    }
    let (changes, report) = run_job(Display::for_command(args.json), |progress| {
        import_masks(&project, &options, progress)
    })?;
    super::merge_and_save(project, changes)?;
    if args.json {
        return print_json(&report);
    }
    println!(
        "imported {} photos in {:.2} s: {} labelled, {} unlabelled, {} instances",
        report.photos, report.seconds, report.labelled, report.unlabelled, report.instances
    );
    println!(
        "split: {} train, {} val, {} test, {} unassigned; dropped {} specks and {} holes under {} px",
        report.train,
        report.val,
        report.test,
        report.unassigned,
        report.specks_dropped,
        report.holes_dropped,
        options.min_region_px
    );
    for w in &report.warnings {
        println!("warning: {w}");
    }
    for s in &report.skipped {
        println!("skipped: {s}");
    }
    Ok(())
}

fn import_images(args: &ImportImagesArgs) -> anyhow::Result<()> {
    let project = open(&args.project)?;
    let options = crate::import::PhotoImportOptions {
        paths: args.paths.clone(),
        split_ratio: args.split,
        seed: args.seed,
    };
    let (changes, report) = run_job(Display::for_command(args.json), |progress| {
        crate::import::import_photos(&project, &options, progress)
    })?;
    super::merge_and_save(project, changes)?;
    if args.json {
        return print_json(&report);
    }
    println!(
        "added {} photos in {:.2} s ({} train, {} val, {} test, {} without a split); {} duplicates skipped",
        report.photos,
        report.seconds,
        report.train,
        report.val,
        report.test,
        report.unassigned,
        report.duplicates
    );
    if report.stratified_classes > 0 {
        println!(
            "the split is stratified by {} classes (photos in folders named after them)",
            report.stratified_classes
        );
    }
    for s in &report.skipped {
        println!("skipped: {s}");
    }
    Ok(())
}

pub fn stats(args: &StatsArgs) -> anyhow::Result<()> {
    let project = open(&args.project)?;
    let stats = crate::stats::project_stats(&project);
    if args.json {
        return print_json(&stats);
    }
    println!(
        "{} images: {} labelled, {} unlabelled, {} broken",
        stats.images, stats.labelled, stats.unlabelled, stats.broken
    );
    let per_split: Vec<String> = stats
        .images_per_split
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    println!("per split: {}", per_split.join(", "));
    println!(
        "{:<22} {:>9} {:>12} {:>8}",
        "class", "instances", "train px", "train %"
    );
    for c in &stats.classes {
        println!(
            "{:<22} {:>9} {:>12} {:>7.3}%",
            c.name,
            c.instances,
            c.pixels["train"],
            100.0 * c.pixel_share["train"]
        );
    }
    Ok(())
}

pub fn check(args: &CheckArgs) -> anyhow::Result<()> {
    let project = open(&args.project)?;
    let mut broken = 0;
    for (i, image) in project.file().images.iter().enumerate() {
        if let Some(reason) = project.broken_reason(i) {
            println!("broken: {}: {reason}", image.file);
            broken += 1;
        }
        if !project.image_path(i).is_file() {
            println!("missing photo: {}", project.image_path(i).display());
            broken += 1;
        }
    }
    let labelled = project.status_counts().labelled;
    println!(
        "{} images, {labelled} labelled, {broken} problems",
        project.file().images.len()
    );
    if broken > 0 {
        bail!("{broken} problems in {}", args.project.display());
    }
    Ok(())
}

pub fn demo(args: &DemoArgs) -> anyhow::Result<()> {
    use crate::demo_project::{DemoOptions, GROUNDTRUTH_DIR, build_demo_project};
    if args.images == 0 || args.images > 10_000 {
        bail!("--images must be between 1 and 10000, got {}", args.images);
    }
    if args.out.join(crate::project::PROJECT_FILE).exists() {
        if !args.force {
            bail!(
                "{} already holds a project; pass --force to render the demo again",
                args.out.display()
            );
        }
        std::fs::remove_file(args.out.join(crate::project::PROJECT_FILE))?;
        for folder in ["images", "annotations", GROUNDTRUTH_DIR, "backgrounds"] {
            let dir = args.out.join(folder);
            if dir.exists() {
                std::fs::remove_dir_all(&dir)
                    .with_context(|| format!("cannot remove {}", dir.display()))?;
            }
        }
    }
    let options = DemoOptions {
        images: args.images,
        backgrounds: args.backgrounds,
        seed: args.seed,
    };
    let report = run_job(Display::for_command(args.json), |progress| {
        build_demo_project(&args.out, &options, progress)
    })?;
    if let Some(sheet) = &args.sheet {
        crate::demo_project::write_contact_sheet(&args.out, sheet, 12)?;
    }
    if args.json {
        return print_json(&report);
    }
    println!(
        "rendered {} photos ({} annotated, {} instances) and {} backgrounds into {} in {:.2} s, {:.1} MB",
        report.images,
        report.labelled,
        report.instances,
        report.backgrounds,
        args.out.display(),
        report.seconds,
        report.bytes as f64 / 1e6
    );
    Ok(())
}
