//! Mask export and statistics against hand-counted pixels.

mod common;

use segstudio::formats::{export_masks, render_label_map};
use segstudio::imageio::read_label_png;
use segstudio::progress::Progress;
use segstudio::project::{Instance, Part, Split, Tool, Variant, VariantTarget};
use segstudio::stats::project_stats;

fn rect(id: u32, class_id: u16, x0: f32, y0: f32, x1: f32, y1: f32, order: i32) -> Instance {
    Instance {
        id,
        class_id,
        parts: vec![Part::solid(vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]])],
        order,
        tool: Tool::Polygon,
    }
}

#[test]
fn draw_order_holes_and_variants_give_the_hand_counted_labels() {
    // A 10x10 nut (class 1) with a 4x4 hole, and a 6x2 bolt (class 2) drawn on top across its corner.
    let mut nut = rect(1, 1, 10.0, 10.0, 20.0, 20.0, 0);
    nut.parts[0]
        .holes
        .push(vec![[13.0, 13.0], [13.0, 17.0], [17.0, 17.0], [17.0, 13.0]]);
    let bolt = rect(2, 2, 16.0, 18.0, 22.0, 20.0, 1);
    let (_dir, project) = common::tiny_project(0);
    let full = project.full_variant();
    let labels = render_label_map(&[bolt.clone(), nut.clone()], full, 64, 48);
    let count = |v: u8| labels.iter().filter(|&&l| l == v).count();
    // Nut: 100 - 16 (hole) - 8 (under the bolt: x 16..20, y 18..20) = 76. Bolt: 12.
    assert_eq!(count(1), 76);
    assert_eq!(count(2), 12);
    assert_eq!(labels[15 * 64 + 15], 0, "the hole shows the background");

    let binary_ignore_bolt = Variant {
        name: "b".into(),
        labels: vec!["object".into()],
        mapping: [(1, VariantTarget::Label(1)), (2, VariantTarget::Ignore)]
            .into_iter()
            .collect(),
    };
    let labels = render_label_map(&[nut, bolt], &binary_ignore_bolt, 64, 48);
    assert_eq!(labels.iter().filter(|&&l| l == 1).count(), 76);
    assert_eq!(labels.iter().filter(|&&l| l == 255).count(), 12);
}

#[test]
fn export_writes_labelled_images_only_and_stats_count_pixels_per_split() {
    let (dir, mut project) = common::tiny_project(3);
    project.set_split(0, Some(Split::Train));
    project.set_split(1, Some(Split::Val));
    project.save_project_file().unwrap();
    let project = common::label(
        project,
        &[
            (0, vec![rect(1, 1, 0.0, 0.0, 8.0, 4.0, 0)]),
            (
                1,
                vec![
                    rect(1, 2, 0.0, 0.0, 5.0, 5.0, 0),
                    rect(2, 2, 10.0, 10.0, 12.0, 12.0, 1),
                ],
            ),
        ],
    );

    let out = dir.path().join("exports/masks");
    let report = export_masks(&project, "full", None, &out, &Progress::default()).unwrap();
    assert_eq!((report.written, report.skipped_unlabelled), (2, 1));
    let mask = read_label_png(&out.join("photo_001.png")).unwrap();
    assert_eq!((mask.width, mask.height), (64, 48));
    assert_eq!(mask.data.iter().filter(|&&v| v == 2).count(), 29);
    assert!(!out.join("photo_002.png").exists());
    assert!(
        export_masks(&project, "nope", None, &out, &Progress::default())
            .unwrap_err()
            .to_string()
            .contains("no variant \"nope\"")
    );

    let stats = project_stats(&project);
    assert_eq!((stats.images, stats.labelled, stats.unlabelled), (3, 2, 1));
    assert_eq!(stats.images_per_split["train"], 1);
    assert_eq!(stats.images_per_split["unassigned"], 1);
    let nut = &stats.classes[0];
    assert_eq!(nut.instances, 1);
    assert_eq!(nut.pixels["train"], 32);
    assert!((nut.pixel_share["train"] - 32.0 / 3072.0).abs() < 1e-12);
    let bolt = &stats.classes[1];
    assert_eq!(
        (bolt.instances, bolt.pixels["val"], bolt.pixels["train"]),
        (2, 29, 0)
    );
}
