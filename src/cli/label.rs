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
