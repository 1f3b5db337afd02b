//! Helpers shared by the integration tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "each test binary uses a different subset; a helper that cannot set up fails loudly"
)]

pub mod cli;
pub mod ui;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use segstudio::label::LabelSession;
use segstudio::project::{Instance, Part, Project, Tool};

/// The folder beside the repository with the reference material (`../shared`); the variable
/// `SEGSTUDIO_SHARED` points elsewhere (an empty folder stands for a machine without it).
fn shared_root() -> PathBuf {
    std::env::var_os("SEGSTUDIO_SHARED").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"),
        PathBuf::from,
    )
}

/// `../shared/<relative>` when it holds `probe`; otherwise the test is skipped with a line saying
/// why, unless `SEGSTUDIO_REQUIRE_SHARED=1` (CI), where its absence fails the test.
pub fn shared(test: &str, relative: &str, probe: &str) -> Option<PathBuf> {
    let dir = shared_root().join(relative);
    if dir.join(probe).exists() {
        return Some(dir);
    }
    let required = std::env::var("SEGSTUDIO_REQUIRE_SHARED").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{test}: {} is missing, and SEGSTUDIO_REQUIRE_SHARED=1 requires it",
        dir.join(probe).display()
    );
    // Straight to stderr, past libtest's capture, so `cargo test` shows what it skipped.
    let line = format!(
        "skipped {test}: {} is not here (the seed's data is read at run time, never committed; \
         set SEGSTUDIO_SHARED to its folder)\n",
        dir.join(probe).display()
    );
    std::io::Write::write_all(&mut std::io::stderr().lock(), line.as_bytes()).ok();
    None
}

/// The seed's real photos beside the repository (never copied into it), or `None` (skipped).
pub fn atwork_dir(test: &str) -> Option<PathBuf> {
    shared(test, "data/atwork", "images")
}

/// A small valid project with `n` grey 64x48 photos, two classes, no annotations.
pub fn tiny_project(n: usize) -> (tempfile::TempDir, Project) {
    use segstudio::project::{ClassDef, ImageEntry, Preset, preset::full_variant};
    let dir = tempfile::tempdir().unwrap();
    let mut project = Project::create(dir.path(), "tiny", Preset::Empty).unwrap();
    let classes = vec![
        ClassDef {
            id: 1,
            name: "nut".into(),
            color: [200, 50, 50],
            size_mm: None,
        },
        ClassDef {
            id: 2,
            name: "bolt".into(),
            color: [50, 50, 200],
            size_mm: None,
        },
    ];
    let variants = vec![full_variant(&classes)];
    project.replace_classes(classes, variants).unwrap();
    for i in 0..n {
        let file = format!("photo_{i:03}.png");
        image::RgbImage::from_pixel(64, 48, image::Rgb([90, 90, 90]))
            .save(dir.path().join("images").join(&file))
            .unwrap();
        project.push_image(ImageEntry {
            file,
            width: 64,
            height: 48,
            split: None,
            done: false,
        });
    }
    project.save_project_file().unwrap();
    (dir, project)
}

/// Gives images their instances through a label session (the one way annotations change), waits
/// until they are on disk, and returns the project as it is now.
pub fn label(project: Project, images: &[(usize, Vec<Instance>)]) -> Project {
    let mut session = LabelSession::open(project, Arc::new(|| {})).unwrap();
    for (index, instances) in images {
        session
            .set_instances(*index, "test setup", instances.clone())
            .unwrap();
    }
    session.flush().unwrap();
    session.project().clone()
}

/// A 12×12 square instance at `x` with a 4×4 hole, class 1.
pub fn nut(id: u32, x: f32) -> Instance {
    Instance {
        id,
        class_id: 1,
        parts: vec![Part {
            outer: vec![[x, 10.0], [x + 12.0, 10.0], [x + 12.0, 22.0], [x, 22.0]],
            holes: vec![vec![
                [x + 4.0, 14.0],
                [x + 4.0, 18.0],
                [x + 8.0, 18.0],
                [x + 8.0, 14.0],
            ]],
        }],
        order: id as i32,
        tool: Tool::Polygon,
    }
}

/// Imports photos and masks into `project` as the CLI does: the import returns its changes, a label
/// session merges them and writes `project.ron`.
pub fn import_into(
    project: Project,
    options: &segstudio::import::MaskImportOptions,
) -> (Project, segstudio::import::MaskImportReport) {
    let progress = segstudio::progress::Progress::default();
    let (changes, report) = segstudio::import::import_masks(&project, options, &progress).unwrap();
    let mut session = LabelSession::open(project, Arc::new(|| {})).unwrap();
    let merged = session.merge(changes);
    assert!(merged.refused.is_empty(), "{:?}", merged.refused);
    session.flush().unwrap();
    (session.project().clone(), report)
}

/// The Python with numpy and pycocotools that `.ci/run` makes (`SEGSTUDIO_PYTHON`), or `None`
/// (skipped with a line on stderr; under `SEGSTUDIO_REQUIRE_SHARED=1` its absence fails).
pub fn python(test: &str) -> Option<PathBuf> {
    if let Some(python) = std::env::var_os("SEGSTUDIO_PYTHON") {
        return Some(PathBuf::from(python));
    }
    let required = std::env::var("SEGSTUDIO_REQUIRE_SHARED").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{test}: SEGSTUDIO_PYTHON is not set, and CI requires it"
    );
    let line = format!(
        "skipped the Python check of {test}: set SEGSTUDIO_PYTHON to a Python with scripts/requirements-ci*.txt\n"
    );
    std::io::Write::write_all(&mut std::io::stderr().lock(), line.as_bytes()).ok();
    None
}

/// A project of the atWork preset in `dir/P` with the first `per_class` real photos of each of
/// `classes` (copied with their masks to `dir/src`, never into the repository) imported as the CLI
/// does; a few classes keep a test short, the whole set is a benchmark.
pub fn import_atwork_subset(
    atwork: &std::path::Path,
    dir: &std::path::Path,
    classes: &[&str],
    per_class: usize,
    split_per_class: Option<[usize; 3]>,
) -> Project {
    let project =
        Project::create(&dir.join("P"), "atwork", segstudio::project::Preset::AtWork).unwrap();
    let src = dir.join("src");
    for class in classes {
        let mut photos: Vec<_> = std::fs::read_dir(atwork.join("images").join(class))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        photos.sort();
        for sub in ["images", "labels"] {
            std::fs::create_dir_all(src.join(sub).join(class)).unwrap();
        }
        for photo in photos.iter().take(per_class) {
            let name = photo.file_name().unwrap();
            std::fs::copy(photo, src.join("images").join(class).join(name)).unwrap();
            let mask = std::path::Path::new(name).with_extension("png");
            std::fs::copy(
                atwork.join("labels").join(class).join(&mask),
                src.join("labels").join(class).join(&mask),
            )
            .unwrap();
        }
    }
    let options = segstudio::import::MaskImportOptions {
        images_dir: src.join("images"),
        masks_dir: src.join("labels"),
        background: 19,
        split_per_class,
        min_region_px: 20,
        simplify_px: 1.0,
    };
    import_into(project, &options).0
}

/// Copies the folder `from` into `to`, recursively.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A copy of the bundled demo project in `to`, for tests that change it.
pub fn copy_demo_project(to: &Path) {
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("projects/demo"),
        to,
    );
}

/// Six 64×48 photos, each with a dark nut (the labelled square) at a different place: four in
/// train, two in val (training tests).
pub fn trainable_project() -> tempfile::TempDir {
    use segstudio::project::Split;
    let (dir, mut project) = tiny_project(6);
    let mut labelled = Vec::new();
    for i in 0..6 {
        let x = 4.0 + 7.0 * i as f32;
        let path = dir.path().join("images").join(format!("photo_{i:03}.png"));
        let mut photo = image::open(&path).unwrap().to_rgb8();
        for py in 10..22 {
            for px in x as u32..x as u32 + 12 {
                let hole = (14..18).contains(&py) && (x as u32 + 4..x as u32 + 8).contains(&px);
                if !hole {
                    photo.put_pixel(px, py, image::Rgb([20, 20, 30]));
                }
            }
        }
        photo.save(&path).unwrap();
        project.set_split(i, Some(if i < 4 { Split::Train } else { Split::Val }));
        labelled.push((i, vec![nut(1, x)]));
    }
    project.save_project_file().unwrap();
    label(project, &labelled);
    dir
}

/// A small model with random kernels and random `BatchNorm` statistics, so that folding matters;
/// `gamma` is the range of the `BatchNorm` scales (trained networks spread them over orders of
/// magnitude, which is what per-tensor weight scales cannot follow).
pub fn random_model(
    cfg: segstudio::model::Config,
    seed: u64,
    gamma: std::ops::Range<f32>,
) -> segstudio::model::Model {
    let model = segstudio::model::Model::new(cfg, &candle_core::Device::Cpu).unwrap();
    model.initialise_from_seed(seed).unwrap();
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed + 1);
    let data = model.varmap.data().lock().unwrap();
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    for name in names {
        let var = &data[name];
        let range = if name.ends_with("running_mean") {
            -0.3..0.3
        } else if name.ends_with("running_var") {
            0.3..2.0
        } else if name.contains(".1.") && name.ends_with("weight") {
            gamma.clone()
        } else if name.contains(".1.") && name.ends_with("bias") {
            -0.2..0.2
        } else {
            continue;
        };
        let v: Vec<f32> = (0..var.elem_count())
            .map(|_| rand::Rng::random_range(&mut rng, range.clone()))
            .collect();
        var.set(&candle_core::Tensor::from_vec(v, var.dims(), &candle_core::Device::Cpu).unwrap())
            .unwrap();
    }
    drop(data);
    model
}

pub fn smooth_image(seed: u64, h: usize, w: usize) -> candle_core::Tensor {
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed);
    // Smooth images (a few gradients) rather than noise, as photos are.
    let (a, b, c): (f32, f32, f32) = (
        rand::Rng::random(&mut rng),
        rand::Rng::random(&mut rng),
        rand::Rng::random(&mut rng),
    );
    let v: Vec<f32> = (0..3 * h * w)
        .map(|i| {
            let (ch, y, x) = (i / (h * w), (i / w) % h, i % w);
            ((x as f32 * a / w as f32 + y as f32 * b / h as f32 + ch as f32 * c) * 6.0).sin()
        })
        .collect();
    candle_core::Tensor::from_vec(v, (1, 3, h, w), &candle_core::Device::Cpu).unwrap()
}

/// A MobileNetV2 of width 0.35 on 64×48 photos, batch 2, for `steps`: a step takes milliseconds.
pub fn tiny_train_config(steps: u64) -> segstudio::train::TrainConfig {
    segstudio::train::TrainConfig {
        size: [64, 48],
        batch: 2,
        budget: segstudio::train::Budget::Steps(steps),
        depth_multiplier: 0.35,
        ..segstudio::train::TrainConfig::default()
    }
}

/// Trains `config` on `project` in this process on the CPU, as the studio's worker does.
pub fn train_in_process(
    project: &Project,
    config: segstudio::train::TrainConfig,
) -> segstudio::train::TrainSummary {
    segstudio::train::train(
        project,
        config,
        &candle_core::Device::Cpu,
        &segstudio::progress::Progress::default(),
        &mut |_| {},
    )
    .unwrap()
}
