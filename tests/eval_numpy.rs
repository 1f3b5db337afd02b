//! The evaluator against an independent computation: numpy, with the torch peer's own formulas
//! (`scripts/check_eval.py`), on random label maps with ignored pixels.
mod common;

use rand::{Rng as _, SeedableRng as _};
use segstudio::eval::Confusion;

const CLASSES: usize = 6;

#[test]
fn scores_equal_numpys_on_random_maps() {
    let test = "eval_numpy";
    let Some(python) = common::python(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let mut confusion = Confusion::new(CLASSES);
    for k in 0..5 {
        let n = 64 * 48;
        // Class 5 is never true (only predicted); about a tenth of the truth is ignored.
        let truth: Vec<u8> = (0..n)
            .map(|_| {
                if rng.random_bool(0.1) {
                    255
                } else {
                    rng.random_range(0..5)
                }
            })
            .collect();
        // Mostly right, else any label.
        let prediction: Vec<u8> = truth
            .iter()
            .map(|&t| {
                if t != 255 && rng.random_bool(0.6) {
                    t
                } else {
                    rng.random_range(0..CLASSES as u8)
                }
            })
            .collect();
        confusion.add(&truth, &prediction, 255).unwrap();
        std::fs::write(dir.path().join(format!("truth_{k}.bin")), &truth).unwrap();
        std::fs::write(dir.path().join(format!("pred_{k}.bin")), &prediction).unwrap();
    }
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/check_eval.py");
    let run = std::process::Command::new(python)
        .arg(script)
        .arg(dir.path())
        .arg(CLASSES.to_string())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let numpy: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let ours = confusion.scores(&[]);
    let close = |a: f64, b: &serde_json::Value| (a - b.as_f64().unwrap()).abs() < 1e-9;
    assert!(
        close(ours.miou.unwrap(), &numpy["miou"]),
        "{ours:?} vs {numpy}"
    );
    assert!(
        close(ours.pixel_acc.unwrap(), &numpy["pixel_acc"]),
        "{ours:?} vs {numpy}"
    );
    for class in 0..CLASSES {
        let theirs = &numpy["iou"][class];
        match ours.per_class.get(&format!("label {class}")) {
            Some(&iou) => assert!(close(iou, theirs), "class {class}: {iou} vs {theirs}"),
            // No IoU where numpy's union is empty (its 0.0 there is a placeholder).
            None => assert_eq!(numpy["union"][class], 0, "class {class}"),
        }
    }
}
