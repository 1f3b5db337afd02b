//! `segstudio import images`: photos from files and folders come in once each, the bad ones are
//! named and skipped (a header beyond the size limits before any decoding), names never clash,
//! and the splits follow the ratio.
#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot set up fails loudly, which is what it should do"
)]

use std::path::Path;
use std::process::Command;

use segstudio::project::{Preset, Project, Split};

fn png(width: u32, height: u32, shade: u8) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([shade, (x * 7) as u8, (y * 5) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header claims `side`×`side` pixels, with no pixel data behind it.
fn huge_png_header(side: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(side.to_be_bytes());
    ihdr.extend(side.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]); // 8-bit RGB
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(13u32.to_be_bytes());
    out.extend(&ihdr);
    out.extend(crc32(&ihdr).to_be_bytes());
    // An empty IDAT chunk: decoders read the header up to the first data chunk.
    out.extend(0u32.to_be_bytes());
    out.extend(b"IDAT");
    out.extend(crc32(b"IDAT").to_be_bytes());
    out
}

fn import(project: &Path, args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_segstudio"))
        .args(["import", "images", "--project"])
        .arg(project)
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

#[test]
fn photos_come_in_once_each_and_bad_ones_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    Project::create(&root, "photos", Preset::AtWork).unwrap();
    let photos = dir.path().join("shots");
    std::fs::create_dir_all(photos.join("day2")).unwrap();
    std::fs::write(photos.join("a.png"), png(20, 10, 10)).unwrap();
    std::fs::write(photos.join("day2/b.png"), png(16, 12, 90)).unwrap();
    std::fs::write(photos.join("day2/copy-of-a.png"), png(20, 10, 10)).unwrap();
    std::fs::write(
        photos.join("broken.jpg"),
        b"\xff\xd8\xff\xe0 not really a jpeg",
    )
    .unwrap();
    std::fs::write(photos.join("huge.png"), huge_png_header(30_000)).unwrap();
    std::fs::write(photos.join("notes.txt"), b"not a photo").unwrap();

    let report = import(&root, &[photos.to_str().unwrap()]);
    assert_eq!(report["photos"], 2, "{report}");
    assert_eq!(report["duplicates"], 1, "{report}");
    let skipped: Vec<String> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(
        skipped
            .iter()
            .any(|s| s.contains("30000x30000") && s.contains("huge.png")),
        "{skipped:?}"
    );
    assert!(
        skipped.iter().any(|s| s.contains("broken.jpg")),
        "{skipped:?}"
    );

    // Again, with a new photo that has a taken name: the two known ones are duplicates now, the
    // new one gets a name of its own, and the ratio gives it a split.
    let more = dir.path().join("more");
    std::fs::create_dir_all(&more).unwrap();
    std::fs::write(more.join("a.png"), png(20, 10, 200)).unwrap();
    std::fs::write(more.join("b.png"), png(16, 12, 90)).unwrap();
    let report = import(&root, &[more.to_str().unwrap(), "--split", "0,0,1"]);
    assert_eq!(
        (report["photos"].as_u64(), report["duplicates"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(report["test"], 1);

    let project = Project::open(&root).unwrap();
    let files: Vec<(&str, Option<Split>, u32)> = project
        .file()
        .images
        .iter()
        .map(|i| (i.file.as_str(), i.split, i.width))
        .collect();
    assert_eq!(
        files,
        [
            ("a.png", None, 20),
            ("b.png", None, 16),
            ("2__a.png", Some(Split::Test), 20)
        ]
    );
    // The copies are the photos, byte for byte.
    assert_eq!(
        std::fs::read(root.join("images/2__a.png")).unwrap(),
        png(20, 10, 200)
    );
}

#[test]
fn photos_in_class_folders_get_their_split_class_by_class() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    Project::create(&root, "strata", Preset::AtWork).unwrap();
    let photos = dir.path().join("images");
    // The seed's layout: a folder per class (case aside), four photos each.
    for (folder, base) in [("axis", 10u8), ("Bearing", 60)] {
        std::fs::create_dir_all(photos.join(folder)).unwrap();
        for k in 0..4u8 {
            std::fs::write(
                photos.join(folder).join(format!("{folder}_{k}.png")),
                png(8, 8, base + k),
            )
            .unwrap();
        }
    }
    let report = import(&root, &[photos.to_str().unwrap(), "--split", "50,50,0"]);
    assert_eq!(report["photos"], 8, "{report}");
    assert_eq!(report["stratified_classes"], 2, "{report}");
    let project = Project::open(&root).unwrap();
    for folder in ["axis", "Bearing"] {
        let train = project
            .file()
            .images
            .iter()
            .filter(|i| i.file.starts_with(folder) && i.split == Some(Split::Train))
            .count();
        assert_eq!(train, 2, "half of {folder}'s photos train");
    }
}
