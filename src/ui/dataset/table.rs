//! The class table: instances, pixels and pixel share per split, with a bar of each class's split
//! balance (its instances in train, val and test).

use egui_extras::{Column, TableBuilder};

use crate::dataset::DatasetAnalysis;
use crate::dataset::analysis::SPLIT_COLUMNS;
use crate::ui::widgets::swatch;

const SPLIT_COLOURS: [egui::Color32; 4] = [
    egui::Color32::from_rgb(70, 130, 200),
    egui::Color32::from_rgb(230, 160, 40),
    egui::Color32::from_rgb(90, 170, 90),
    egui::Color32::from_rgb(140, 140, 140),
];

/// A bar split by the shares of `counts`.
fn balance_bar(ui: &mut egui::Ui, counts: &[usize; 4]) {
    let (rect, response) = ui.allocate_exact_size(
        egui::vec2(ui.available_width().min(160.0), 12.0),
        egui::Sense::hover(),
    );
    let total: usize = counts.iter().sum();
    if total == 0 {
        return;
    }
    let mut x = rect.left();
    for (k, &n) in counts.iter().enumerate() {
        let w = rect.width() * n as f32 / total as f32;
        ui.painter().rect_filled(
            egui::Rect::from_min_size(egui::pos2(x, rect.top()), egui::vec2(w, rect.height())),
            0.0,
            SPLIT_COLOURS[k],
        );
        x += w;
    }
    response.on_hover_text(
        SPLIT_COLUMNS
            .iter()
            .zip(counts)
            .map(|(s, n)| format!("{s}: {n} ({:.0}%)", 100.0 * *n as f64 / total as f64))
            .collect::<Vec<_>>()
            .join("\n"),
    );
}

pub fn class_table_ui(ui: &mut egui::Ui, analysis: &DatasetAnalysis) {
    ui.horizontal(|ui| {
        ui.label(format!(
            "{} images: {} labelled, {} unlabelled, {} broken",
            analysis.stats.images,
            analysis.stats.labelled,
            analysis.stats.unlabelled,
            analysis.stats.broken
        ));
        ui.separator();
        for (k, name) in SPLIT_COLUMNS.iter().enumerate() {
            let c = SPLIT_COLOURS[k];
            swatch(ui, [c.r(), c.g(), c.b()]);
            ui.label(format!("{name} {}", analysis.images[k]));
        }
    });
    let height = ui.available_height();
    TableBuilder::new(ui)
        .striped(true)
        .resizable(false)
        .max_scroll_height(height)
        .column(Column::auto().at_least(150.0))
        .columns(Column::auto().at_least(60.0), 5)
        .column(Column::remainder().at_least(120.0))
        .header(20.0, |mut header| {
            for (title, tip) in [
                ("Class", "The class and its colour"),
                ("Instances", "Instances in all splits"),
                ("Train / val / test", "Instances per split"),
                ("Pixels", "Visible pixels in all splits (after draw order)"),
                ("Share (train)", "The class's pixels over all pixels of the labelled training images (the seed's NP_o / NP_s)"),
                ("Surface", "Real-world surface of the class's box, 2(lw + lh + wh), from its size"),
                ("Split balance", "The class's instances per split: train, val, test, unassigned"),
            ] {
                header.col(|ui| {
                    ui.strong(title).on_hover_text(tip);
                });
            }
        })
        .body(|mut body| {
            for row in &analysis.classes {
                body.row(18.0, |mut r| {
                    r.col(|ui| {
                        ui.horizontal(|ui| {
                            swatch(ui, row.color);
                            ui.label(&row.name);
                        });
                    });
                    r.col(|ui| {
                        ui.label(row.total_instances().to_string());
                    });
                    r.col(|ui| {
                        ui.label(format!(
                            "{} / {} / {}",
                            row.instances[0], row.instances[1], row.instances[2]
                        ));
                    });
                    r.col(|ui| {
                        ui.label(row.total_pixels().to_string());
                    });
                    r.col(|ui| {
                        ui.label(format!("{:.3}%", row.share[0] * 100.0));
                    });
                    r.col(|ui| {
                        ui.label(row.surface_cm2.map_or("—".into(), |s| format!("{s:.0} cm²")));
                    });
                    r.col(|ui| balance_bar(ui, &row.instances));
                });
            }
        });
}
