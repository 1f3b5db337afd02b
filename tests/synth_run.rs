//! Synthesis on the bundled demo project: labels agree with the photo and with the boxes, the
//! visibility rule holds, outputs are identical whatever the thread count or sharding, and a
//! manifest regenerates an image byte for byte.
#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot set up fails loudly, which is what it should do"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use segstudio::import::coco::decompress_counts;
use segstudio::progress::Progress;
use segstudio::project::{Project, Split};
use segstudio::synth::params::{BlendMode, ColorJitter};
use segstudio::synth::run::{RunRequest, Shard, load_source, read_manifest};
use segstudio::synth::{SynthParams, merge_runs, regenerate, run_batch};

fn demo() -> Project {
    Project::open(&Path::new(env!("CARGO_MANIFEST_DIR")).join("projects/demo")).unwrap()
}

fn small_params() -> SynthParams {
    SynthParams {
        width: 256,
        height: 192,
        objects_min: 3,
        objects_max: 7,
        min_visible: 0.4,
        max_occlusion: 0.5,
        seed: 7,
        ..SynthParams::default()
    }
}

fn run_in(pool_threads: usize, request: &RunRequest, project: &Project) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(pool_threads)
        .build()
        .unwrap();
    pool.install(|| run_batch(project, request, &Progress::default()))
        .unwrap();
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for sub in ["images", "labels", "instances", "boxes"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            let name = format!("{sub}/{}", path.file_name().unwrap().to_string_lossy());
            out.insert(name, std::fs::read(&path).unwrap());
        }
    }
    out.insert(
        "coco.json".into(),
        std::fs::read(dir.join("coco.json")).unwrap(),
    );
    out
}

fn read_u16_png(path: &Path) -> (u32, u32, Vec<u16>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.bit_depth, png::BitDepth::Sixteen);
    let ids = buf
        .chunks_exact(2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .collect();
    (info.width, info.height, ids)
}

#[test]
fn labels_boxes_coco_and_manifest_agree() {
    let project = demo();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let request = RunRequest {
        params: small_params(),
        split: Split::Train,
        count: 6,
        shard: None,
        out: out.clone(),
    };
    run_in(2, &request, &project);
    let manifest = read_manifest(&out).unwrap();
    let labels_known = manifest.snapshot.variant.labels.len() as u8;
    let coco: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("coco.json")).unwrap()).unwrap();
    let annotations = coco["annotations"].as_array().unwrap();
    let mut checked_objects = 0;
    for image in &manifest.images {
        let stem = format!("{:05}", image.index);
        let label =
            segstudio::imageio::read_label_png(&out.join(format!("labels/{stem}.png"))).unwrap();
        let (w, h, ids) = read_u16_png(&out.join(format!("instances/{stem}.png")));
        assert!(
            label.data.iter().all(|&l| l <= labels_known),
            "a label id outside the variant"
        );
        // Boxes recomputed here from the instance map, class from the label map.
        let mut boxes: BTreeMap<u16, [u32; 5]> = BTreeMap::new();
        for (i, &id) in ids.iter().enumerate() {
            let (x, y) = (i as u32 % w, i as u32 / w);
            if id == 0 {
                continue;
            }
            let b = boxes
                .entry(id)
                .or_insert([u32::MAX, u32::MAX, 0, 0, u32::from(label.data[i])]);
            assert_eq!(b[4], u32::from(label.data[i]), "one label per instance");
            b[0] = b[0].min(x);
            b[1] = b[1].min(y);
            b[2] = b[2].max(x + 1);
            b[3] = b[3].max(y + 1);
        }
        let text = std::fs::read_to_string(out.join(format!("boxes/{stem}.txt"))).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), boxes.len(), "one box per visible instance");
        for (line, b) in lines.iter().zip(boxes.values()) {
            let v: Vec<f64> = line.split(' ').map(|t| t.parse().unwrap()).collect();
            assert_eq!(v[0] as u32, b[4] - 1);
            let (w, h) = (f64::from(w), f64::from(h));
            let expect = [
                f64::from(b[0] + b[2]) / 2.0 / w,
                f64::from(b[1] + b[3]) / 2.0 / h,
                f64::from(b[2] - b[0]) / w,
                f64::from(b[3] - b[1]) / h,
            ];
            for k in 0..4 {
                assert!((v[k + 1] - expect[k]).abs() < 1e-6, "{line} vs {expect:?}");
            }
        }
        for o in &image.objects {
            assert!(
                f64::from(o.visible) >= 0.4 * f64::from(o.pixels) - 1e-9,
                "an object under the minimum visible fraction was pasted: {o:?}"
            );
            assert!(o.occlusion <= 0.5 + 1e-6, "{o:?}");
            let counted = ids.iter().filter(|&&id| id == o.instance).count() as u32;
            assert_eq!(
                counted, o.visible,
                "the manifest's visible pixels are the map's"
            );
            checked_objects += 1;
        }
        // COCO: every annotation's RLE is exactly its instance's pixels.
        for ann in annotations
            .iter()
            .filter(|a| a["image_id"].as_u64() == Some(image.index + 1))
        {
            let runs = decompress_counts(ann["segmentation"]["counts"].as_str().unwrap()).unwrap();
            let mask = segstudio::formats::coco::Rle {
                counts: runs,
                size: [h, w],
            }
            .decode()
            .unwrap();
            let set: Vec<usize> = (0..mask.len()).filter(|&i| mask[i] != 0).collect();
            let id = ids[set[0]];
            assert!(set.iter().all(|&i| ids[i] == id));
            assert_eq!(set.len(), ids.iter().filter(|&&v| v == id).count());
            assert_eq!(ann["area"].as_f64().unwrap() as usize, set.len());
        }
    }
    assert!(checked_objects >= 6, "the run pasted objects");
    // Regeneration from the manifest alone gives the same files.
    let again = regenerate(&project, &out, 4).unwrap();
    let jpeg = segstudio::synth::encode::encode_jpeg(&again.image, manifest.params.jpeg_quality);
    assert_eq!(jpeg, std::fs::read(out.join("images/00004.jpg")).unwrap());
    let label = segstudio::imageio::encode_label_png(256, 192, &again.labels);
    assert_eq!(label, std::fs::read(out.join("labels/00004.png")).unwrap());
}

#[test]
fn hard_paste_shows_the_background_wherever_the_label_is_background() {
    // Holes, gaps and the frame around objects: every pixel labelled background is the background
    // picture's pixel exactly, every object pixel is not left as it was.
    let project = demo();
    let params = SynthParams {
        blend: BlendMode::None,
        jitter: ColorJitter::default(),
        noise: 0.0,
        shadow: segstudio::synth::params::Shadow::default(),
        ..small_params()
    };
    let source = load_source(&project, &params, Split::Train, &Progress::default()).unwrap();
    let generator = source.generator(&params).unwrap();
    let mut object_pixels = 0;
    for index in 0..4 {
        let r = generator.render(params.seed, index);
        let bg = source.backgrounds.images[r.background].as_raw();
        for (i, &label) in r.labels.iter().enumerate() {
            let same = r.image.as_raw()[i * 3..i * 3 + 3] == bg[i * 3..i * 3 + 3];
            if label == 0 {
                assert!(
                    same,
                    "image {index} pixel {i}: background label but pasted colour"
                );
            } else {
                object_pixels += 1;
            }
        }
    }
    assert!(object_pixels > 1000);
}

#[test]
fn thread_count_and_shards_give_identical_runs() {
    let project = demo();
    let dir = tempfile::tempdir().unwrap();
    let request = |out: PathBuf, shard: Option<Shard>| RunRequest {
        params: small_params(),
        split: Split::Train,
        count: 5,
        shard,
        out,
    };
    run_in(1, &request(dir.path().join("one"), None), &project);
    run_in(2, &request(dir.path().join("two"), None), &project);
    let one = files(&dir.path().join("one"));
    assert_eq!(one.len(), 5 * 4 + 1);
    assert!(
        one == files(&dir.path().join("two")),
        "1 and 2 threads differ"
    );
    for k in 1..=2 {
        let shard = Shard { index: k, count: 2 };
        run_in(
            2,
            &request(dir.path().join(format!("s{k}")), Some(shard)),
            &project,
        );
    }
    let merged = dir.path().join("merged");
    merge_runs(&[dir.path().join("s2"), dir.path().join("s1")], &merged).unwrap();
    assert!(
        one == files(&merged),
        "the merged shards differ from the whole run"
    );
    let (a, b) = (
        read_manifest(&dir.path().join("one")).unwrap(),
        read_manifest(&merged).unwrap(),
    );
    assert_eq!(a.images, b.images);
    // A missing slice is refused.
    let err = merge_runs(&[dir.path().join("s1")], &dir.path().join("bad")).unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");
}

#[test]
fn impossible_settings_and_outputs_are_refused_clearly() {
    let project = demo();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    let mut params = small_params();
    params.objects_min = 9;
    params.objects_max = 2;
    let err = run_batch(
        &project,
        &RunRequest {
            params,
            split: Split::Train,
            count: 2,
            shard: None,
            out: dir.path().join("r"),
        },
        &Progress::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("minimum 9 is above the maximum 2"), "{err}");
    let err = run_batch(
        &project,
        &RunRequest {
            params: small_params(),
            split: Split::Train,
            count: 2,
            shard: None,
            out: file.clone(),
        },
        &Progress::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("is a file"), "{err}");
    let mut params = small_params();
    params.backgrounds = Some(dir.path().join("nothing-here"));
    let err = run_batch(
        &project,
        &RunRequest {
            params,
            split: Split::Train,
            count: 2,
            shard: None,
            out: dir.path().join("r2"),
        },
        &Progress::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("cannot list the backgrounds"), "{err}");
    // Nothing half-written is left beside the outputs.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["file"], "{left:?}");
}

/// A small tmpfs mounted for the test's lifetime (needs root; unmounted on drop).
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(bytes: u64) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then_some(Self { dir })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        std::process::Command::new("umount")
            .arg(self.dir.path())
            .status()
            .ok();
    }
}

#[test]
fn a_full_disk_mid_run_names_the_file_and_leaves_nothing_behind() {
    let Some(disk) = SmallDisk::mount(256 * 1024) else {
        eprintln!("skipped: cannot mount a small tmpfs here (needs root) to fill a disk");
        return;
    };
    let project = demo();
    let out = disk.dir.path().join("synth").join("run");
    // 60 images of 256×192 need well over 256 KiB: the disk fills part-way through.
    let err = run_batch(
        &project,
        &RunRequest {
            params: small_params(),
            split: Split::Train,
            count: 60,
            shard: None,
            out: out.clone(),
        },
        &Progress::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("No space left on device"), "{err}");
    assert!(
        err.contains("cannot write") && (err.contains(".jpg") || err.contains(".png")),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "a failed run leaves nothing: {left:?}");
    // The space is free again: a run that fits succeeds on the same disk.
    let request = RunRequest {
        params: small_params(),
        split: Split::Train,
        count: 2,
        shard: None,
        out: out.clone(),
    };
    run_batch(&project, &request, &Progress::default()).unwrap();
    assert!(read_manifest(&out).is_ok());
}
