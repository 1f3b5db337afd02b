//! The demo project: deterministic, and its ground truth reproduces the rendered objects.
#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot set up fails loudly, which is what it should do"
)]

use std::collections::BTreeMap;
use std::path::Path;

use segstudio::demo::{DemoParams, render_photo};
use segstudio::demo_project::{DemoOptions, build_demo_project, object_ground_truth};
use segstudio::geometry::paint_polygon;
use segstudio::progress::Progress;
use segstudio::project::{ImageStatus, Project};

fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn same_seed_gives_identical_files_and_a_valid_project() {
    let options = DemoOptions {
        images: 4,
        backgrounds: 2,
        seed: 7,
    };
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    build_demo_project(a.path(), &options, &Progress::default()).unwrap();
    build_demo_project(b.path(), &options, &Progress::default()).unwrap();
    let (fa, fb) = (files(a.path()), files(b.path()));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert!(
            bytes == &fb[name],
            "{name} differs between two runs with the same seed"
        );
    }
    assert!(fa.contains_key("groundtruth/demo_003.ron"));
    assert!(fa.contains_key("backgrounds/table_001.jpg"));

    let project = Project::open(a.path()).unwrap();
    assert_eq!(project.file().images.len(), 4);
    assert_eq!(
        project.status(0),
        ImageStatus::Labelled,
        "even photos carry their annotations"
    );
    assert_eq!(
        project.status(1),
        ImageStatus::Unlabelled,
        "odd photos are left for the user"
    );

    let other = tempfile::tempdir().unwrap();
    build_demo_project(
        other.path(),
        &DemoOptions { seed: 8, ..options },
        &Progress::default(),
    )
    .unwrap();
    assert_ne!(
        files(other.path())["images/demo_000.jpg"],
        fa["images/demo_000.jpg"],
        "the seed matters"
    );
}

#[test]
fn ground_truth_polygons_reproduce_every_rendered_object() {
    let params = DemoParams::default();
    let mut worst = (1.0f64, String::new());
    let mut objects = 0;
    let mut split_objects = 0;
    for index in 0..6 {
        let photo = render_photo(2018, index, &params);
        let (w, h) = photo.image.dimensions();
        // One instance per object, however many pieces of it are visible.
        let truth = segstudio::demo_project::ground_truth_instances(&photo);
        assert_eq!(truth.len(), photo.instances.len());
        split_objects += truth.iter().filter(|i| i.parts.len() > 1).count();
        for (k, object) in photo.instances.iter().enumerate() {
            let mut raster = vec![0u8; (w * h) as usize];
            let inst = object_ground_truth(&photo, k).expect("every rendered object is visible");
            for part in &inst.parts {
                paint_polygon(part.rings(), &mut raster, w, h, 1);
            }
            let (mut inter, mut union) = (0u64, 0u64);
            for (&r, &v) in raster.iter().zip(object.visible.as_raw()) {
                let v = u8::from(v != 0);
                inter += u64::from(r & v);
                union += u64::from(r | v);
            }
            let iou = inter as f64 / union as f64;
            objects += 1;
            if iou < worst.0 {
                worst = (
                    iou,
                    format!("photo {index} object {k} (class {})", object.class_id),
                );
            }
        }
    }
    println!(
        "{objects} objects ({split_objects} seen in several pieces), minimum IoU {:.5} at {}",
        worst.0, worst.1
    );
    assert!(objects > 6);
    assert!(worst.0 >= 0.995, "IoU {:.5} at {}", worst.0, worst.1);
}

#[test]
fn the_committed_demo_project_is_what_the_renderer_makes() {
    use segstudio::demo_project::{DemoOptions, encode_jpeg, ground_truth_instances};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("projects/demo");
    let project = Project::open(&root).unwrap();
    assert_eq!(project.file().images.len(), 60);
    let seed = DemoOptions::default().seed;
    for index in [0u32, 1, 30] {
        let photo = render_photo(seed, index, &DemoParams::default());
        let file = format!("demo_{index:03}.jpg");
        let committed = std::fs::read(root.join("images").join(&file)).unwrap();
        assert!(
            encode_jpeg(&photo.image) == committed,
            "{file} is not what `segstudio demo` renders now; regenerate projects/demo"
        );
        let truth: segstudio::project::AnnotationFile = ron::from_str(
            &std::fs::read_to_string(root.join(format!("groundtruth/demo_{index:03}.ron")))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            truth.instances,
            ground_truth_instances(&photo),
            "ground truth of {file}"
        );
    }
}
