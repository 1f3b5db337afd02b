//! Painting the canvas each frame: outlines, names, the selected instance's handles, the draft,
//! the click marks and the pixel tools' previews (the fill is the shared overlay texture).

use super::{Canvas, CanvasInput, Gesture, PICK_RADIUS};
use crate::label::vertices::{self, VertexRef};
use crate::project::{Instance, Project};
use crate::ui::label::actions::ToolKind;
use crate::ui::widgets::ImageViewOutput;

impl Canvas {
    pub(super) fn paint(
        &self,
        view: &ImageViewOutput,
        project: &Project,
        index: usize,
        selected: Option<&Instance>,
        input: &CanvasInput,
    ) {
        let live = match &self.gesture {
            Some(Gesture::Vertex { current, .. } | Gesture::Move { current, .. }) => Some(current),
            _ => None,
        };
        let file = &project.file().images[index].file;
        for inst in input.visibility.visible(file, project.instances(index)) {
            let is_selected = selected.is_some_and(|s| s.id == inst.id);
            let shown = if is_selected {
                live.unwrap_or(inst)
            } else {
                inst
            };
            let [r, g, b] = project
                .class(inst.class_id)
                .map_or([255, 0, 255], |c| c.color);
            let stroke = if is_selected {
                egui::Stroke::new(2.5, egui::Color32::WHITE)
            } else {
                egui::Stroke::new(1.5, egui::Color32::from_rgb(r, g, b))
            };
            for ring in shown.rings() {
                let points: Vec<egui::Pos2> = ring.iter().map(|&p| view.to_screen(p)).collect();
                view.painter.add(egui::Shape::closed_line(points, stroke));
            }
            if self.show_names
                && let Some(class) = project.class(inst.class_id)
                && let Some(b) = crate::geometry::bounds(&shown.parts[0].outer)
            {
                view.painter.text(
                    view.to_screen([b[0], b[1]]),
                    egui::Align2::LEFT_BOTTOM,
                    &class.name,
                    egui::FontId::proportional(12.0),
                    egui::Color32::WHITE,
                );
            }
            if is_selected && input.tool == ToolKind::Select {
                self.paint_handles(view, shown);
            }
        }
        self.paint_draft(view, input);
        self.paint_pixel_tools(view, input);
        if input.tool == ToolKind::Click {
            self.paint_clicks(view);
        }
    }

    pub(super) fn paint_clicks(&self, view: &ImageViewOutput) {
        let cyan = egui::Color32::from_rgb(60, 220, 255);
        if let Some((_, parts)) = self
            .click_worker
            .as_ref()
            .and_then(|w| w.latest_parts())
            .filter(|_| !self.clicks.is_empty())
        {
            for part in parts {
                for ring in part.rings() {
                    let points: Vec<egui::Pos2> = ring.iter().map(|&p| view.to_screen(p)).collect();
                    view.painter.add(egui::Shape::closed_line(
                        points,
                        egui::Stroke::new(2.0, cyan),
                    ));
                }
            }
        }
        for c in &self.clicks {
            let colour = if c.positive {
                egui::Color32::from_rgb(80, 220, 100)
            } else {
                egui::Color32::from_rgb(240, 70, 60)
            };
            view.painter
                .circle_filled(view.to_screen(c.at), 5.0, colour);
            view.painter.circle_stroke(
                view.to_screen(c.at),
                5.0,
                egui::Stroke::new(1.0, egui::Color32::BLACK),
            );
        }
    }

    pub(super) fn paint_pixel_tools(&self, view: &ImageViewOutput, input: &CanvasInput) {
        let yellow = egui::Color32::from_rgb(255, 220, 60);
        if input.tool.paints() {
            let r = self.brush_radius * view.transform.zoom;
            if let Some(Gesture::Stroke { points }) = &self.gesture {
                let fill = egui::Color32::from_rgba_unmultiplied(255, 220, 60, 90);
                for &p in points {
                    view.painter.circle_filled(view.to_screen(p), r, fill);
                }
            }
            if let Some(c) = self.cursor {
                view.painter.circle_stroke(
                    view.to_screen([c.x, c.y]),
                    r,
                    egui::Stroke::new(1.5, yellow),
                );
            }
        }
        if let Some((_, tolerance, parts)) = &self.wand_preview {
            for part in parts {
                for ring in part.rings() {
                    let points: Vec<egui::Pos2> = ring.iter().map(|&p| view.to_screen(p)).collect();
                    view.painter.add(egui::Shape::closed_line(
                        points,
                        egui::Stroke::new(2.0, yellow),
                    ));
                }
            }
            if let Some(c) = self.cursor {
                view.painter.text(
                    view.to_screen([c.x, c.y]) + egui::vec2(14.0, -14.0),
                    egui::Align2::LEFT_BOTTOM,
                    format!("tolerance {tolerance:.0}"),
                    egui::FontId::proportional(12.0),
                    yellow,
                );
            }
        }
    }

    pub(super) fn paint_handles(&self, view: &ImageViewOutput, inst: &Instance) {
        for (ring, points) in vertices::rings(inst) {
            for (i, &p) in points.iter().enumerate() {
                let hovered = self.hover_vertex == Some(VertexRef { ring, index: i });
                let size = if hovered { 9.0 } else { 6.0 };
                let rect = egui::Rect::from_center_size(view.to_screen(p), egui::vec2(size, size));
                view.painter.rect_filled(rect, 1.0, egui::Color32::WHITE);
                view.painter.rect_stroke(
                    rect,
                    1.0,
                    egui::Stroke::new(1.0, egui::Color32::BLACK),
                    egui::StrokeKind::Inside,
                );
            }
        }
        if let Some(edge) = &self.hover_edge {
            // The ghost vertex a drag would insert.
            view.painter.circle_stroke(
                view.to_screen(edge.point),
                5.0,
                egui::Stroke::new(1.5, egui::Color32::WHITE),
            );
        }
    }

    pub(super) fn paint_draft(&self, view: &ImageViewOutput, input: &CanvasInput) {
        let stroke = egui::Stroke::new(2.0, egui::Color32::from_rgb(255, 220, 60));
        let cursor = self.cursor.map(|c| [c.x, c.y]);
        if let (Some(Gesture::Rectangle { start }), Some(end)) = (&self.gesture, cursor) {
            let rect = egui::Rect::from_two_pos(view.to_screen(*start), view.to_screen(end));
            view.painter
                .rect_stroke(rect, 0.0, stroke, egui::StrokeKind::Middle);
        }
        if !input.tool.draws_outline() || self.draft.is_empty() {
            return;
        }
        let mut points: Vec<egui::Pos2> = self
            .draft
            .points
            .iter()
            .map(|&p| view.to_screen(p))
            .collect();
        match (&self.wire_preview, cursor) {
            (Some(wire), _) => points.extend(wire.iter().map(|&p| view.to_screen(p))),
            (None, Some(c)) => points.push(view.to_screen(c)),
            (None, None) => {}
        }
        view.painter.add(egui::Shape::line(points, stroke));
        for (i, &p) in self.draft.points.iter().enumerate() {
            let closing = i == 0
                && self.draft.points.len() >= 3
                && cursor.is_some_and(|c| {
                    crate::label::draft::distance(c, p) <= PICK_RADIUS / view.transform.zoom
                });
            let r = if closing { 6.0 } else { 3.5 };
            view.painter
                .circle_filled(view.to_screen(p), r, stroke.color);
        }
    }
}
