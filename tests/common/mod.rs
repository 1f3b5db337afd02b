//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used)] // Each test binary uses a different subset.

use std::path::PathBuf;

/// The seed's real photos beside the repository (never copied into it).
pub fn atwork_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/atwork");
    assert!(
        dir.join("images").is_dir(),
        "the seed's photos are expected at {}; they are read at run time, never committed",
        dir.display()
    );
    dir
}

/// A small valid project with `n` grey 64x48 photos, two classes, no annotations.
pub fn tiny_project(n: usize) -> (tempfile::TempDir, segstudio::project::Project) {
    use segstudio::project::{ClassDef, ImageEntry, Preset, Project, preset::full_variant};
    let dir = tempfile::tempdir().unwrap();
    let mut project = Project::create(dir.path(), "tiny", Preset::Empty).unwrap();
    project.file.classes = vec![
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
    project.file.variants = vec![full_variant(&project.file.classes)];
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
        });
    }
    project.save_project_file().unwrap();
    (dir, project)
}
