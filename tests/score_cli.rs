//! `segstudio score`: prediction masks against the project's truth, checked by hand-counted pixels.
#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot set up fails loudly, which is what it should do"
)]

mod common;

use std::path::Path;

use common::cli::segstudio;

fn score(project: &Path, predictions: &Path) -> serde_json::Value {
    let out = segstudio(&[
        "score",
        "--project",
        project.to_str().unwrap(),
        "--predictions",
        predictions.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn predictions_are_scored_against_the_truth() {
    // Two 64×48 photos, one nut each: 12×12 less a 4×4 hole = 128 pixels of class "nut".
    let (dir, project) = common::tiny_project(2);
    common::label(
        project,
        &[
            (0, vec![common::nut(1, 5.0)]),
            (1, vec![common::nut(1, 30.0)]),
        ],
    );
    let root = dir.path();
    let truth = root.join("truth");
    let out = segstudio(&[
        "export",
        "masks",
        "--project",
        root.to_str().unwrap(),
        "--out",
        truth.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The truth as prediction: everything right.
    let perfect = score(root, &truth);
    assert_eq!(perfect["images"], 2);
    assert!(
        (perfect["miou"].as_f64().unwrap() - 100.0).abs() < 1e-9,
        "{perfect}"
    );

    // Everything background: background IoU 5888 / 6144, the nut's 0, no bolt anywhere (not
    // scored); mIoU over the two classes in the truth.
    let blank = root.join("blank");
    std::fs::create_dir_all(&blank).unwrap();
    for stem in ["photo_000", "photo_001"] {
        let png = segstudio::imageio::encode_label_png(64, 48, &[0u8; 64 * 48]);
        std::fs::write(blank.join(format!("{stem}.png")), png).unwrap();
    }
    let s = score(root, &blank);
    let bg = 5888.0 / 6144.0 * 100.0;
    let close = |v: &serde_json::Value, want: f64| (v.as_f64().unwrap() - want).abs() < 1e-9;
    assert!(close(&s["per_class"]["background"], bg), "{s}");
    assert!(close(&s["per_class"]["nut"], 0.0), "{s}");
    assert!(s["per_class"].get("bolt").is_none(), "{s}");
    assert!(close(&s["miou"], bg / 2.0), "{s}");
    assert!(close(&s["pixel_acc"], bg), "{s}");

    // A prediction of the wrong size, or a missing one, is named.
    std::fs::write(
        blank.join("photo_001.png"),
        segstudio::imageio::encode_label_png(32, 24, &[0u8; 32 * 24]),
    )
    .unwrap();
    let bad = segstudio(&[
        "score",
        "--project",
        root.to_str().unwrap(),
        "--predictions",
        blank.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        !bad.status.success() && err.contains("photo_001.png") && err.contains("32x24"),
        "{err}"
    );
    std::fs::remove_file(blank.join("photo_001.png")).unwrap();
    let missing = segstudio(&[
        "score",
        "--project",
        root.to_str().unwrap(),
        "--predictions",
        blank.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        !missing.status.success() && err.contains("photo_001.png"),
        "{err}"
    );
}
