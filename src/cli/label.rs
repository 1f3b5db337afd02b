//! Benchmarks of the Label workspace's tools, headless: `bench scissors` times the live wire on a
//! photo (the cost map once per photo, the path tree once per click, the path for each cursor
//! move).

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use rand::{Rng as _, SeedableRng as _};

use super::print_json;
use crate::label::mask_edit::Photo;
use crate::label::scissors::{CostMap, PathTree};

#[derive(Debug, Args)]
pub struct ScissorsBenchArgs {
    /// The photo to trace on (640×480 is the figure of the Label issue).
    #[arg(long)]
    pub photo: PathBuf,
    /// Clicks (path trees) timed.
    #[arg(long, default_value_t = 20)]
    pub clicks: usize,
    /// Cursor moves timed per click.
    #[arg(long, default_value_t = 50)]
    pub moves: usize,
    #[arg(long)]
    pub json: bool,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub fn bench_scissors(args: &ScissorsBenchArgs) -> anyhow::Result<()> {
    let image = crate::imageio::read_photo(&args.photo)?;
    let photo = Photo::from_image(&image);
    let started = Instant::now();
    let costs = CostMap::of_photo(&photo);
    let cost_map_ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let (w, h) = (photo.width as f32, photo.height as f32);
    let mut tree_ms = Vec::new();
    let mut move_ms = Vec::new();
    let mut path_len = 0usize;
    for _ in 0..args.clicks.max(1) {
        let seed = [rng.random_range(0.0..w), rng.random_range(0.0..h)];
        let t = Instant::now();
        let tree = PathTree::grow(&costs, seed);
        tree_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        for _ in 0..args.moves.max(1) {
            // A cursor within 150 px of the click, as when tracing an object's outline.
            let target = [
                (seed[0] + rng.random_range(-150.0..150.0)).clamp(0.0, w - 1.0),
                (seed[1] + rng.random_range(-150.0..150.0)).clamp(0.0, h - 1.0),
            ];
            let t = Instant::now();
            let vertices = tree.vertices_to(target).unwrap_or_default();
            move_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            path_len += vertices.len();
        }
    }
    let result = serde_json::json!({
        "photo": args.photo,
        "width": photo.width,
        "height": photo.height,
        "cost_map_ms": cost_map_ms,
        "click_tree_ms_median": median(tree_ms.clone()),
        "click_tree_ms_max": tree_ms.iter().copied().fold(0.0, f64::max),
        "move_path_ms_median": median(move_ms.clone()),
        "move_path_ms_max": move_ms.iter().copied().fold(0.0, f64::max),
        "mean_vertices_per_path": path_len as f64 / move_ms.len() as f64,
    });
    if args.json {
        return print_json(&result);
    }
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(())
}

#[derive(Debug, Args)]
pub struct ClicksBenchArgs {
    #[arg(long)]
    pub project: PathBuf,
    /// Split whose annotated objects are labelled again.
    #[arg(long, default_value = "test", value_parser = super::formats::parse_split)]
    pub split: crate::project::Split,
    /// Only the first this many photos of the split (0: all), for a quick look.
    #[arg(long, default_value_t = 0)]
    pub limit: usize,
    /// Also measure the pre-label tool with this training run (a folder under runs/; train it on
    /// the train split only, so the split measured here is unseen).
    #[arg(long)]
    pub run: Option<String>,
    /// λ of the pre-label tool's prior: how much the run's log-odds weigh against the colours.
    #[arg(long, default_value_t = crate::label::grabcut::Prior::DEFAULT_WEIGHT)]
    pub prior_weight: f64,
    #[arg(long)]
    pub json: bool,
}

/// One object's counts (each at IoU 0.85 and 0.90), and the click tool's time and clicks.
struct ObjectEffort {
    click: [usize; 2],
    polygon: [usize; 2],
    wand: [usize; 2],
    prelabel: Option<[usize; 2]>,
    ms: f64,
    clicks: usize,
}

/// One tool's figures over the objects.
#[derive(Default)]
struct ToolTally {
    noc: [usize; 2],
    failures: [usize; 2],
    objects: usize,
    ms: f64,
    clicks: usize,
}

impl ToolTally {
    fn add(&mut self, noc: &[usize]) {
        for ((sum, failures), &n) in self.noc.iter_mut().zip(&mut self.failures).zip(noc) {
            *sum += n;
            *failures += usize::from(n >= crate::label::effort::MAX_ACTIONS);
        }
        self.objects += 1;
    }

    fn json(&self) -> serde_json::Value {
        let n = self.objects.max(1) as f64;
        serde_json::json!({
            "noc85": self.noc[0] as f64 / n,
            "noc90": self.noc[1] as f64 / n,
            "failures85": self.failures[0],
            "failures90": self.failures[1],
            "objects": self.objects,
            "ms_per_click": if self.clicks > 0 { self.ms / self.clicks as f64 } else { 0.0 },
        })
    }
}

/// The annotation-effort benchmark: every annotated object of a split labelled again by the
/// simulated user of each tool (see [`crate::label::effort`]).
pub fn bench_clicks(args: &ClicksBenchArgs) -> anyhow::Result<()> {
    use crate::label::effort::{
        FullMask, click_segmentation_effort, polygon_effort, prelabel_effort, regions, wand_effort,
    };
    use rayon::prelude::*;
    anyhow::ensure!(
        args.prior_weight.is_finite() && args.prior_weight >= 0.0,
        "--prior-weight is a finite number ≥ 0, not {}",
        args.prior_weight
    );
    let project = crate::project::Project::open(&args.project)?;
    let predictor = args
        .run
        .as_ref()
        .map(|run| {
            crate::train::Predictor::load(
                &crate::train::RunDir::open(project.root(), run),
                None,
                &candle_core::Device::Cpu,
            )
            .map_err(anyhow::Error::msg)
        })
        .transpose()?;
    let targets = [0.85, 0.90];
    let mut jobs = Vec::new();
    for (index, entry) in project.file().images.iter().enumerate() {
        if entry.split != Some(args.split) || project.instances(index).is_empty() {
            continue;
        }
        jobs.push(index);
    }
    if args.limit > 0 {
        jobs.truncate(args.limit);
    }
    let started = Instant::now();
    // Per image: the photo, each object's visible pixels (painter's order), each tool's count.
    let per_image: Vec<Vec<ObjectEffort>> = jobs
        .par_iter()
        .map(|&index| {
            let entry = &project.file().images[index];
            let Ok(image) = crate::imageio::read_photo(&project.image_path(index)) else {
                return Vec::new();
            };
            let photo = Photo::from_image(&image);
            // The run's prediction: its object regions and P(object) (the click tool's prior).
            let prediction = predictor.as_ref().and_then(|p| {
                let logits = p.photo_logits(&image).ok()?;
                let labels = crate::train::infer::argmax_labels(&logits).ok()?;
                let probability = crate::train::infer::object_probability(&logits).ok()?;
                let mut prior =
                    crate::label::grabcut::Prior::new(entry.width, entry.height, probability)?;
                prior.weight = args.prior_weight;
                let mask: Vec<u8> = labels.iter().map(|&l| u8::from(l != 0)).collect();
                let found = regions(
                    &mask,
                    entry.width as usize,
                    entry.height as usize,
                    crate::train::prelabel::MIN_REGION_PX as usize,
                );
                Some((found, prior))
            });
            let mut instances = project.instances(index).to_vec();
            instances.sort_by_key(|i| i.order);
            let (w, h) = (entry.width, entry.height);
            let mut owner = vec![usize::MAX; (w * h) as usize];
            for (k, inst) in instances.iter().enumerate() {
                let m = FullMask::of_instance(inst, w, h);
                for (o, v) in owner.iter_mut().zip(&m.data) {
                    if *v != 0 {
                        *o = k;
                    }
                }
            }
            instances
                .iter()
                .enumerate()
                .filter_map(|(k, inst)| {
                    let truth = FullMask {
                        width: w as usize,
                        height: h as usize,
                        data: owner.iter().map(|&o| u8::from(o == k)).collect(),
                    };
                    if truth.area() < 16 {
                        return None;
                    }
                    let (click, ms, clicks) = click_segmentation_effort(&photo, &truth, &targets);
                    // What the instances above hide of this one's outline is not its label either.
                    let hidden: Vec<u8> = owner
                        .iter()
                        .map(|&o| u8::from(o != usize::MAX && o > k))
                        .collect();
                    let polygon = polygon_effort(inst, &truth, &hidden, &targets);
                    let wand = wand_effort(&photo, &truth, &targets);
                    let prelabel = prediction.as_ref().map(|(found, prior)| {
                        let n = prelabel_effort(&photo, &truth, found, prior, &targets);
                        [n[0], n[1]]
                    });
                    Some(ObjectEffort {
                        click: [click[0], click[1]],
                        polygon: [polygon[0], polygon[1]],
                        wand: [wand[0], wand[1]],
                        prelabel,
                        ms: ms * clicks as f64,
                        clicks,
                    })
                })
                .collect()
        })
        .collect();
    let mut tallies: [ToolTally; 4] = Default::default();
    for o in per_image.into_iter().flatten() {
        tallies[0].add(&o.click);
        tallies[0].ms += o.ms;
        tallies[0].clicks += o.clicks;
        tallies[1].add(&o.polygon);
        tallies[2].add(&o.wand);
        if let Some(p) = o.prelabel {
            tallies[3].add(&p);
        }
    }
    let mut result = serde_json::json!({
        "click_segmentation": tallies[0].json(),
        "polygon": tallies[1].json(),
        "wand": tallies[2].json(),
        "photos": jobs.len(),
        "seconds": started.elapsed().as_secs_f64(),
    });
    if let Some(run) = &args.run {
        result["prelabel"] = tallies[3].json();
        result["prelabel_run"] = serde_json::Value::from(run.as_str());
        result["prior_weight"] = serde_json::Value::from(args.prior_weight);
    }
    if args.json {
        return print_json(&result);
    }
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(())
}
