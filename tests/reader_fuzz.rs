//! Generated-input tests of the readers of other tools' files and of our own project files: seeds
//! (small files written here, the demo project's files, and labelme's examples when `../shared` is
//! there) are mutated at random — bits flipped, bytes and JSON/RON tokens put in, ranges cut or
//! doubled, numbers made extreme, text cut short — and each reader must return, never panic, with an
//! error that names the file, or with a result that holds: LabelMe and COCO geometry finite and
//! inside the image; a project file that writes and reads back the same.
//!
//! `cargo test` runs a short smoke (300–2,000 inputs per reader); the figures in BENCHMARKS.md come from
//! `SEGSTUDIO_FUZZ_EXECUTIONS=1000000 cargo test --release --test reader_fuzz -- --nocapture`.
#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot set up fails loudly, which is what it should do"
)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use segstudio::formats::labelme::{objects, parse_labelme};
use segstudio::import::coco::parse_coco;
use segstudio::project::{Part, parse_annotation, parse_project_file, to_ron_string};

const TOKENS: &[&str] = &[
    "null",
    "true",
    "0",
    "-1",
    "1e309",
    "-0",
    "4294967296",
    "18446744073709551616",
    "NaN",
    "inf",
    "\"\"",
    "[]",
    "{}",
    "[[0,0]]",
    "\"mask\"",
    "\"circle\"",
    "\"rectangle\"",
    "\"polygon\"",
    "\"line\"",
    "\"counts\"",
    "\"size\"",
    ",",
    ":",
    "[",
    "]",
    "{",
    "}",
    "(",
    ")",
    "\"",
    "\\",
    "Some(",
    "None",
    "Label(",
    "Ignore",
    "0.5",
    "1e-40",
    "\"iVBORw0KGgo=\"",
    "\u{00e9}",
];

fn mutate(seed: &[u8], rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let len = data.len();
        match rng.random_range(0..8) {
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                data[i] ^= 1 << rng.random_range(0..8);
            }
            1 if len > 0 => {
                let i = rng.random_range(0..len);
                let alphabet = b"{}[]\":,0123456789.-eE ntf";
                data[i] = alphabet[rng.random_range(0..alphabet.len())];
            }
            2 if len > 1 => {
                let a = rng.random_range(0..len);
                let b = (a + rng.random_range(1..=64)).min(len);
                data.drain(a..b);
            }
            3 if len > 1 => {
                let a = rng.random_range(0..len);
                let b = (a + rng.random_range(1..=64)).min(len);
                let chunk = data[a..b].to_vec();
                let at = rng.random_range(0..=data.len());
                data.splice(at..at, chunk);
            }
            4 => {
                let token = TOKENS[rng.random_range(0..TOKENS.len())].as_bytes();
                let at = rng.random_range(0..=len);
                data.splice(at..at, token.iter().copied());
            }
            5 if len > 0 => {
                // A number made extreme: the digits after a random point become a huge or odd one.
                let at = rng.random_range(0..len);
                if let Some(k) = data[at..].iter().position(u8::is_ascii_digit) {
                    let start = at + k;
                    let end = data[start..]
                        .iter()
                        .position(|c| !c.is_ascii_digit())
                        .map_or(data.len(), |e| start + e);
                    let value = [
                        "99999999999",
                        "0",
                        "65535",
                        "1e30",
                        "-7",
                        "4294967295",
                        "255",
                        "256",
                    ][rng.random_range(0..8)];
                    data.splice(start..end, value.bytes());
                }
            }
            6 if len > 0 => data.truncate(rng.random_range(0..len)),
            _ => {
                let at = rng.random_range(0..=len);
                data.insert(at, rng.random());
            }
        }
    }
    data
}

/// Inputs per reader: `SEGSTUDIO_FUZZ_EXECUTIONS`, else the smoke's `default`.
fn executions(default: usize) -> usize {
    std::env::var("SEGSTUDIO_FUZZ_EXECUTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `check` on `n` mutants of the seeds that are text (the others, not UTF-8, are counted and
/// left out: the file readers refuse them before parsing); a panic fails with the input.
fn fuzz(name: &str, n: usize, seeds: &[Vec<u8>], check: impl Fn(&str)) {
    let mut rng = ChaCha8Rng::seed_from_u64(0x005e_6574_7564_696f);
    let started = Instant::now();
    let (mut ok, mut errors) = (0usize, 0usize);
    let mut k = 0usize;
    while ok < n {
        k += 1;
        let seed = &seeds[k % seeds.len()];
        let input = mutate(seed, &mut rng);
        // The readers take text: invalid UTF-8 is the file reader's error, before them.
        let Ok(text) = String::from_utf8(input) else {
            errors += 1;
            continue;
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| check(&text)));
        assert!(
            outcome.is_ok(),
            "{name}: the reader panicked on input {k}:\n{text}"
        );
        ok += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{name}: {ok} executions without a panic ({errors} more mutants were not UTF-8) in {seconds:.1} s ({:.0}/s)",
        ok as f64 / seconds
    );
}

fn assert_parts_fit(parts: &[Part], w: u32, h: u32, text: &str) {
    for ring in parts.iter().flat_map(Part::rings) {
        for &[x, y] in ring {
            assert!(
                x.is_finite()
                    && y.is_finite()
                    && (0.0..=w as f32).contains(&x)
                    && (0.0..=h as f32).contains(&y),
                "a point ({x}, {y}) outside the {w}x{h} image from:\n{text}"
            );
        }
    }
}

fn labelme_seeds() -> Vec<Vec<u8>> {
    let mut png = Vec::new();
    image::GrayImage::from_fn(4, 3, |x, y| {
        image::Luma([if (x + y) % 2 == 0 { 255 } else { 0 }])
    })
    .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
    .unwrap();
    let mask = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &png);
    let own = serde_json::json!({
        "version": "5.5.0", "flags": {}, "imagePath": "a.jpg", "imageData": null,
        "imageHeight": 30, "imageWidth": 40,
        "shapes": [
            {"label": "nut", "points": [[1.5, 2.0], [10.0, 2.0], [10.0, 9.5]], "group_id": 1, "shape_type": "polygon", "flags": {}},
            {"label": "nut", "points": [[20, 20], [25, 25]], "group_id": 1, "shape_type": "rectangle", "flags": {}},
            {"label": "bolt", "points": [[30, 10], [33, 12]], "group_id": null, "shape_type": "circle", "flags": {}},
            {"label": "bolt", "points": [[5, 20], [8, 22]], "group_id": null, "shape_type": "mask", "flags": {}, "mask": mask},
            {"label": "x", "points": [[1, 1], [2, 2]], "shape_type": "line"},
        ],
    });
    let mut seeds = vec![serde_json::to_vec_pretty(&own).unwrap()];
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/labelme-examples");
    for sub in [
        "instance_segmentation/data_annotated",
        "semantic_segmentation/data_annotated",
    ] {
        if let Ok(entries) = std::fs::read_dir(examples.join(sub)) {
            let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
            files.sort();
            for file in files
                .iter()
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .take(3)
            {
                seeds.push(std::fs::read(file).unwrap());
            }
        }
    }
    seeds
}

#[test]
fn the_labelme_reader_never_panics() {
    let path = Path::new("/fuzz/seed.json");
    fuzz(
        "LabelMe",
        executions(2_000),
        &labelme_seeds(),
        |text| match parse_labelme(text, path) {
            Ok(file) => {
                let (objects, _) = objects(&file, path);
                for object in &objects {
                    assert_parts_fit(&object.parts, file.image_width, file.image_height, text);
                }
            }
            Err(err) => assert!(err.to_string().contains("seed.json"), "{err}"),
        },
    );
}

#[test]
fn the_coco_reader_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("seed.json");
    let own = serde_json::json!({
        "images": [{"id": 1, "file_name": "a.jpg", "width": 8, "height": 6},
                   {"id": 2, "file_name": "sub/b.png", "width": 5, "height": 4}],
        "categories": [{"id": 1, "name": "nut", "supercategory": "none"}, {"id": 7, "name": "bolt"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[1, 1, 6, 1, 6, 5], [0, 0, 2, 0, 1, 1]], "area": 10, "bbox": [1, 1, 5, 4], "iscrowd": 0},
            {"id": 2, "image_id": 1, "category_id": 7, "segmentation": {"counts": [10, 5, 3, 30], "size": [6, 8]}, "iscrowd": 1},
            {"id": 3, "image_id": 2, "category_id": 1, "segmentation": {"counts": "52203", "size": [4, 5]}},
            {"id": 4, "image_id": 2, "category_id": 7, "bbox": [0.5, 0.5, 2, 2]},
        ],
    });
    let seeds = vec![serde_json::to_vec_pretty(&own).unwrap()];
    fuzz("COCO", executions(2_000), &seeds, |text| {
        match parse_coco(text, &json, Some(dir.path())) {
            Ok(dataset) => {
                for image in &dataset.images {
                    let (w, h) = image.size.unwrap();
                    for object in &image.objects {
                        assert_parts_fit(&object.parts, w, h, text);
                    }
                }
            }
            Err(err) => assert!(err.to_string().contains("seed.json"), "{err}"),
        }
    });
}

#[test]
fn the_project_file_reader_never_panics_and_reads_back_what_it_writes() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("projects/demo");
    let seeds = vec![
        std::fs::read(demo.join("project.ron")).unwrap(),
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema1/project.ron"),
        )
        .unwrap(),
    ];
    let path = Path::new("/fuzz/project.ron");
    fuzz(
        "project file",
        executions(1_000),
        &seeds,
        |text| match parse_project_file(text, path) {
            Ok(file) => {
                let written = to_ron_string(&file, path).unwrap();
                let back = parse_project_file(&written, path).unwrap();
                assert_eq!(
                    format!("{back:?}"),
                    format!("{file:?}"),
                    "written and read back:\n{written}"
                );
            }
            Err(err) => assert!(err.to_string().contains("project.ron"), "{err}"),
        },
    );
    let mut annotations: Vec<_> = std::fs::read_dir(demo.join("annotations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    annotations.sort();
    let seeds: Vec<Vec<u8>> = annotations
        .iter()
        .take(3)
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let path = Path::new("/fuzz/annotation.ron");
    fuzz("annotation file", executions(300), &seeds, |text| {
        if let Err(err) = parse_annotation(text, path) {
            assert!(err.to_string().contains("annotation.ron"), "{err}");
        }
    });
}
