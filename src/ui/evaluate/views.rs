//! The Evaluate workspace's charts: IoU per label as bars, IoU against the label's share of the
//! training pixels (the seed's slide), and the confusion matrix as a heat map.

use egui_plot::{Plot, PlotPoint, PlotPoints, Points, Text};

use super::result::EvalResult;

/// One bar per label with its IoU in percent, the mIoU drawn as a line across.
pub fn iou_bars_ui(ui: &mut egui::Ui, r: &EvalResult) {
    let per_class = &r.evaluation.scores.per_class;
    let name_width = 170.0;
    let row_height = 20.0;
    egui::ScrollArea::vertical().show(ui, |ui| {
        let width = (ui.available_width() - name_width - 70.0).max(100.0);
        let (rect, _) = ui.allocate_exact_size(
            egui::vec2(
                ui.available_width(),
                row_height * (r.names.len() as f32 + 1.0),
            ),
            egui::Sense::hover(),
        );
        let painter = ui.painter_at(rect);
        let text = ui.visuals().text_color();
        let font = egui::FontId::proportional(13.0);
        let left = rect.left() + name_width;
        for (i, name) in r.names.iter().enumerate() {
            let y = rect.top() + row_height * i as f32;
            painter.text(
                egui::pos2(left - 8.0, y + row_height / 2.0),
                egui::Align2::RIGHT_CENTER,
                name,
                font.clone(),
                text,
            );
            let Some(iou) = per_class.get(name) else {
                painter.text(
                    egui::pos2(left, y + row_height / 2.0),
                    egui::Align2::LEFT_CENTER,
                    "not in this split",
                    font.clone(),
                    ui.visuals().weak_text_color(),
                );
                continue;
            };
            let bar = egui::Rect::from_min_size(
                egui::pos2(left, y + 3.0),
                egui::vec2(width * (*iou as f32 / 100.0), row_height - 6.0),
            );
            painter.rect_filled(bar, 2.0, r.colors[i]);
            painter.text(
                egui::pos2(bar.right() + 6.0, y + row_height / 2.0),
                egui::Align2::LEFT_CENTER,
                format!("{iou:.1}"),
                font.clone(),
                text,
            );
        }
        if let Some(miou) = r.evaluation.scores.miou {
            let x = left + width * (miou as f32 / 100.0);
            let bottom = rect.top() + row_height * r.names.len() as f32;
            painter.line_segment(
                [egui::pos2(x, rect.top()), egui::pos2(x, bottom)],
                egui::Stroke::new(1.5, ui.visuals().warn_fg_color),
            );
            painter.text(
                egui::pos2(x, bottom + 2.0),
                egui::Align2::CENTER_TOP,
                format!("mIoU {miou:.1}"),
                font,
                ui.visuals().warn_fg_color,
            );
        }
    });
}

/// Each object label's IoU against its share of the training pixels.
pub fn share_ui(ui: &mut egui::Ui, r: &EvalResult) {
    let per_class = &r.evaluation.scores.per_class;
    Plot::new("eval-iou-vs-share")
        .include_x(0.0)
        .include_y(0.0)
        .include_y(100.0)
        .x_axis_label("share of training pixels (%)")
        .y_axis_label("IoU (%)")
        .show(ui, |plot| {
            for (i, name) in r.names.iter().enumerate().skip(1) {
                let (Some(share), Some(iou)) = (r.train_share[i], per_class.get(name)) else {
                    continue;
                };
                plot.points(
                    Points::new(name.clone(), PlotPoints::from(vec![[share, *iou]]))
                        .radius(5.0)
                        .color(r.colors[i]),
                );
                plot.text(
                    Text::new(
                        format!("{name}-label"),
                        PlotPoint::new(share, *iou),
                        format!("   {name}"),
                    )
                    .anchor(egui::Align2::LEFT_CENTER),
                );
            }
        });
}

/// Rows are the truth, columns the prediction; each row is normalised to its pixel count.
pub fn confusion_ui(ui: &mut egui::Ui, r: &EvalResult) {
    let n = r.confusion.classes();
    let label_room = 150.0;
    let avail = ui.available_size();
    let cell = ((avail.x.min(avail.y) - label_room - 10.0) / n as f32).clamp(6.0, 48.0);
    let (rect, response) = ui.allocate_exact_size(
        egui::vec2(label_room + cell * n as f32, label_room + cell * n as f32),
        egui::Sense::hover(),
    );
    let painter = ui.painter_at(rect);
    let origin = rect.min + egui::vec2(label_room, label_room);
    let font = egui::FontId::proportional(11.0);
    let text = ui.visuals().text_color();
    for i in 0..n {
        painter.text(
            origin + egui::vec2(-4.0, cell * (i as f32 + 0.5)),
            egui::Align2::RIGHT_CENTER,
            &r.names[i],
            font.clone(),
            text,
        );
        // Column names, written downwards from the top.
        let galley = painter.layout_no_wrap(r.names[i].clone(), font.clone(), text);
        let pos = origin + egui::vec2(cell * (i as f32 + 0.5) - galley.size().y / 2.0, -4.0);
        painter.add(
            egui::epaint::TextShape::new(pos, galley, text)
                .with_angle(-std::f32::consts::FRAC_PI_2),
        );
        let row_total: u64 = (0..n).map(|j| r.confusion.count(i, j)).sum();
        for j in 0..n {
            let count = r.confusion.count(i, j);
            let share = if row_total == 0 {
                0.0
            } else {
                count as f32 / row_total as f32
            };
            let shade = (255.0 * (1.0 - share)) as u8;
            let colour = if i == j {
                egui::Color32::from_rgb(shade, 255, shade)
            } else {
                egui::Color32::from_rgb(255, shade, shade)
            };
            let cell_rect = egui::Rect::from_min_size(
                origin + egui::vec2(cell * j as f32, cell * i as f32),
                egui::vec2(cell - 1.0, cell - 1.0),
            );
            painter.rect_filled(cell_rect, 0.0, colour);
        }
    }
    if let Some(pos) = response.hover_pos() {
        let rel = (pos - origin) / cell;
        if rel.x >= 0.0 && rel.y >= 0.0 && (rel.x as usize) < n && (rel.y as usize) < n {
            let (i, j) = (rel.y as usize, rel.x as usize);
            let row_total: u64 = (0..n).map(|k| r.confusion.count(i, k)).sum();
            let count = r.confusion.count(i, j);
            response.on_hover_text(format!(
                "truth {} → predicted {}: {count} pixels ({:.1} % of the row)",
                r.names[i],
                r.names[j],
                if row_total == 0 {
                    0.0
                } else {
                    count as f64 / row_total as f64 * 100.0
                }
            ));
        }
    }
}
