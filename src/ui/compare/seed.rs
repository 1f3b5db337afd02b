//! The seed-table view: the seed talk's published numbers, row by row, with this project's best
//! runs beside them.

use crate::compare::seed::{SEED_COLUMNS, SeedRow};

/// What each column holds.
const TIPS: [&str; 9] = [
    "The row as the seed's tables name it (its slides on encoders, variants and quantization)",
    "The seed's val mIoU (ImageNet/COCO-pretrained, fine-tuned; Nov 2018)",
    "Our best run of that encoder, variant and precision: val mIoU at full resolution where `quantize` scored it, else the best validation during training; a mean row averages the best run of each variant found",
    "Ours minus the seed's, in points",
    "Trainable parameters, in millions",
    "The seed's FLOPs; ours are 2 × MACs at 481×641 as the seed counted them (for int8 the integer multiply-adds: the seed's figure counted only the float operations left in its graph)",
    "Weights on disk: f32 with BatchNorm statistics, or the int8 checkpoint",
    "How many of the four variants a mean row found runs for",
    "The runs on our side",
];

pub fn seed_ui(ui: &mut egui::Ui, rows: &[SeedRow]) {
    egui::ScrollArea::both().show(ui, |ui| {
        egui::Grid::new("compare-seed")
            .striped(true)
            .num_columns(SEED_COLUMNS.len())
            .spacing([14.0, 6.0])
            .show(ui, |ui| {
                for (name, tip) in SEED_COLUMNS.iter().zip(TIPS) {
                    ui.strong(*name).on_hover_text(tip);
                }
                ui.end_row();
                for row in rows {
                    for (c, cell) in row.cells().into_iter().enumerate() {
                        if c == 3 && !cell.is_empty() {
                            let color = if cell.starts_with('-') {
                                ui.visuals().error_fg_color
                            } else {
                                egui::Color32::from_rgb(60, 170, 90)
                            };
                            ui.colored_label(color, cell);
                        } else if c == 2 && cell.is_empty() {
                            ui.weak("no run yet");
                        } else {
                            ui.label(cell);
                        }
                    }
                    ui.end_row();
                }
            });
    });
}
