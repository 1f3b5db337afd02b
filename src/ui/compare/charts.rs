//! The Compare workspace's charts of the chosen rows: val mIoU against steps of their runs
//! overlaid (the seed's slide), per-class IoU as grouped bars, and mIoU against latency.

use std::collections::BTreeMap;

use egui_plot::{Legend, Line, Plot, PlotPoint, PlotPoints, Points, Text};

use crate::compare::seed::score;
use crate::compare::{CompareRow, class_columns};

/// A row's colour in every chart: hues spread by the golden ratio, so neighbours differ.
pub fn color(i: usize) -> egui::Color32 {
    let hue = (i as f32 * 0.618_034).fract();
    egui::epaint::Hsva::new(hue, 0.75, 0.85, 1.0).into()
}

/// A row's name in legends.
pub fn label(row: &CompareRow) -> String {
    format!("{} · {}", row.run, row.precision)
}

/// The three charts, one under the other, for `rows` (each with its index for its colour).
pub fn charts_ui(
    ui: &mut egui::Ui,
    rows: &[(usize, &CompareRow)],
    curves: &BTreeMap<String, Vec<[f64; 2]>>,
) {
    if rows.is_empty() {
        ui.label("Tick rows on the left to chart them.");
        return;
    }
    let width = ui.available_width();
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.strong("val mIoU against steps")
            .on_hover_text("The validation during training of each chosen run (val split at the run's input size)");
        Plot::new("compare-curves")
            .width(width - 16.0)
            .height(260.0)
            .legend(Legend::default())
            .x_axis_label("step")
            .y_axis_label("val mIoU (%)")
            .include_y(0.0)
            .include_y(100.0)
            .allow_scroll(false)
            .show(ui, |p| {
                let mut drawn = std::collections::BTreeSet::new();
                for &(i, row) in rows {
                    // One curve per run: its int8 rows share the f32 training.
                    if !drawn.insert(row.run.as_str()) {
                        continue;
                    }
                    let Some(points) = curves.get(&row.run).filter(|c| !c.is_empty()) else {
                        continue;
                    };
                    p.line(
                        Line::new(row.run.clone(), PlotPoints::from(points.clone()))
                            .color(color(i)),
                    );
                    p.points(
                        Points::new(row.run.clone(), PlotPoints::from(points.clone()))
                            .color(color(i))
                            .radius(2.5),
                    );
                }
            });
        ui.add_space(12.0);
        ui.strong("IoU per label").on_hover_text(
            "Per-class IoU of each chosen row: at full resolution where `quantize` scored it, else the best validation's",
        );
        class_bars_ui(ui, rows, width - 16.0);
        ui.add_space(12.0);
        ui.strong("mIoU against latency").on_hover_text(
            "Each chosen row with a measured latency (Measure latency, or `segstudio compare --latency N`): up and to the left is better",
        );
        let timed: Vec<_> = rows
            .iter()
            .filter_map(|&(i, r)| Some((i, r, r.latency_ms?, score(r)?)))
            .collect();
        if timed.is_empty() {
            ui.weak("No chosen row has a latency yet: press Measure latency.");
        }
        Plot::new("compare-latency")
            .width(width - 16.0)
            .height(240.0)
            .legend(Legend::default())
            .x_axis_label("latency (ms, batch 1)")
            .y_axis_label("mIoU (%)")
            .include_x(0.0)
            .include_y(0.0)
            .allow_scroll(false)
            .show(ui, |p| {
                for (i, row, ms, miou) in timed {
                    p.points(
                        Points::new(label(row), PlotPoints::from(vec![[ms, miou]]))
                            .color(color(i))
                            .radius(5.0),
                    );
                    p.text(
                        Text::new(
                            label(row),
                            PlotPoint::new(ms, miou),
                            format!("  {}", row.precision),
                        )
                        .anchor(egui::Align2::LEFT_CENTER)
                        .color(color(i)),
                    );
                }
            });
    });
}

/// Per label a group of bars, one per row, in the rows' colours; a row without that label's IoU
/// leaves its slot empty.
fn class_bars_ui(ui: &mut egui::Ui, rows: &[(usize, &CompareRow)], width: f32) {
    let owned: Vec<CompareRow> = rows.iter().map(|(_, r)| (*r).clone()).collect();
    let classes = class_columns(&owned);
    if classes.is_empty() {
        ui.weak("The chosen rows have no per-class IoU yet.");
        return;
    }
    let bar = 7.0;
    let group = bar * rows.len() as f32 + 8.0;
    let name_width = 170.0;
    let (rect, _) = ui.allocate_exact_size(
        egui::vec2(width, group * classes.len() as f32 + 4.0),
        egui::Sense::hover(),
    );
    let painter = ui.painter_at(rect);
    let text = ui.visuals().text_color();
    let font = egui::FontId::proportional(12.0);
    let small = egui::FontId::proportional(10.0);
    let left = rect.left() + name_width;
    let span = (width - name_width - 50.0).max(80.0);
    for (c, name) in classes.iter().enumerate() {
        let top = rect.top() + group * c as f32;
        painter.text(
            egui::pos2(left - 8.0, top + group / 2.0),
            egui::Align2::RIGHT_CENTER,
            name,
            font.clone(),
            text,
        );
        for (j, &(i, row)) in rows.iter().enumerate() {
            let Some(iou) = row.per_class.get(name) else {
                continue;
            };
            let y = top + 4.0 + bar * j as f32;
            let r = egui::Rect::from_min_size(
                egui::pos2(left, y),
                egui::vec2(span * (*iou as f32 / 100.0).clamp(0.0, 1.0), bar - 1.0),
            );
            painter.rect_filled(r, 1.0, color(i));
            if rows.len() <= 4 {
                painter.text(
                    egui::pos2(r.right() + 4.0, y + bar / 2.0),
                    egui::Align2::LEFT_CENTER,
                    format!("{iou:.1}"),
                    small.clone(),
                    text,
                );
            }
        }
    }
    // The 0–100 scale under the groups.
    let bottom = rect.bottom() - 2.0;
    let stroke = egui::Stroke::new(1.0, ui.visuals().weak_text_color());
    painter.line_segment(
        [egui::pos2(left, bottom), egui::pos2(left + span, bottom)],
        stroke,
    );
    for t in [0.0, 50.0, 100.0] {
        let x = left + span * t / 100.0;
        painter.line_segment([egui::pos2(x, bottom - 3.0), egui::pos2(x, bottom)], stroke);
    }
}
