//! The image view: the photo with its instances (filled in class colours with correct holes, outlined),
//! zoom at the cursor, pan by dragging, fit and 1:1.
//!
//! egui fills only convex paths, so the fill is a rasterised overlay texture made by the project's one
//! rasteriser (the same pixels the exported masks get); outlines are drawn as vector lines on top.

use super::tasks::{Poll, Task};
use crate::export::render_label_map;
use crate::project::{ImageStatus, Project};

const MIN_ZOOM: f32 = 0.02;
const MAX_ZOOM: f32 = 64.0;

struct LoadedPhoto {
    index: usize,
    texture: egui::TextureHandle,
    size: egui::Vec2,
}

/// View state of the image view.
pub struct Viewer {
    /// Screen points per image pixel.
    pub zoom: f32,
    /// Screen offset of the image origin from the view's top-left corner.
    pub offset: egui::Vec2,
    fit_pending: bool,
    photo: Option<LoadedPhoto>,
    loading: Option<(usize, Task<Result<egui::ColorImage, String>>)>,
    /// The photo that could not be decoded, with the reason.
    pub error: Option<(usize, String)>,
    overlay: Option<((usize, u64), egui::TextureHandle)>,
    pub show_fill: bool,
    pub show_outlines: bool,
    pub fill_opacity: f32,
    /// Image coordinates under the mouse.
    pub cursor: Option<egui::Pos2>,
    view_rect: egui::Rect,
}

impl Default for Viewer {
    fn default() -> Self {
        Self {
            zoom: 1.0,
            offset: egui::Vec2::ZERO,
            fit_pending: true,
            photo: None,
            loading: None,
            error: None,
            overlay: None,
            show_fill: true,
            show_outlines: true,
            fill_opacity: 0.45,
            cursor: None,
            view_rect: egui::Rect::NOTHING,
        }
    }
}

impl Viewer {
    /// Whether the photo of `index` is decoded and shown.
    pub fn is_showing(&self, index: usize) -> bool {
        self.photo.as_ref().is_some_and(|p| p.index == index)
    }

    /// Zooms by `factor` keeping the image point under `anchor` (screen) fixed.
    pub fn zoom_at(&mut self, factor: f32, anchor: egui::Pos2) {
        let new_zoom = (self.zoom * factor).clamp(MIN_ZOOM, MAX_ZOOM);
        let local = anchor - self.view_rect.min;
        self.offset = local - (local - self.offset) * (new_zoom / self.zoom);
        self.zoom = new_zoom;
    }

    /// Zooms around the centre of the view.
    pub fn zoom_centre(&mut self, factor: f32) {
        self.zoom_at(factor, self.view_rect.center());
    }

    pub fn request_fit(&mut self) {
        self.fit_pending = true;
    }

    /// Shows the photo at one screen point per pixel, centred.
    pub fn actual_size(&mut self) {
        if let Some(photo) = &self.photo {
            self.zoom = 1.0;
            self.offset = (self.view_rect.size() - photo.size) / 2.0;
        }
    }

    fn fit(&mut self) {
        let Some(photo) = &self.photo else { return };
        let view = self.view_rect.size();
        if view.x <= 1.0 || view.y <= 1.0 {
            return;
        }
        self.zoom = (view.x / photo.size.x)
            .min(view.y / photo.size.y)
            .clamp(MIN_ZOOM, MAX_ZOOM)
            * 0.98;
        self.offset = (view - photo.size * self.zoom) / 2.0;
        self.fit_pending = false;
    }

    fn to_screen(&self, p: [f32; 2]) -> egui::Pos2 {
        self.view_rect.min + self.offset + egui::vec2(p[0], p[1]) * self.zoom
    }

    fn ensure_photo(&mut self, ctx: &egui::Context, project: &Project, index: usize) {
        if self.is_showing(index) || self.error.as_ref().is_some_and(|(i, _)| *i == index) {
            return;
        }
        if self.loading.as_ref().is_none_or(|(i, _)| *i != index) {
            let path = project.image_path(index);
            let task = Task::spawn("photo-decode", ctx, move |_| {
                crate::imageio::read_photo(&path)
                    .map(|rgb| {
                        egui::ColorImage::from_rgb(
                            [rgb.width() as usize, rgb.height() as usize],
                            rgb.as_raw(),
                        )
                    })
                    .map_err(|e| e.to_string())
            });
            match task {
                Ok(task) => self.loading = Some((index, task)),
                Err(err) => self.error = Some((index, err)),
            }
        }
        let Some((loading_index, task)) = &self.loading else {
            return;
        };
        let loading_index = *loading_index;
        match task.poll() {
            Poll::Pending => {}
            Poll::Done(Ok(image)) => {
                let size = egui::vec2(image.size[0] as f32, image.size[1] as f32);
                let texture = ctx.load_texture(
                    format!("photo-{loading_index}"),
                    image,
                    egui::TextureOptions::NEAREST,
                );
                let first = self.photo.is_none();
                let same_size = self.photo.as_ref().is_some_and(|p| p.size == size);
                self.photo = Some(LoadedPhoto {
                    index: loading_index,
                    texture,
                    size,
                });
                self.error = None;
                self.loading = None;
                // Keep the zoom when stepping through photos of one size; fit otherwise.
                if first || !same_size {
                    self.fit_pending = true;
                }
            }
            Poll::Done(Err(err)) => {
                self.error = Some((loading_index, err));
                self.loading = None;
            }
            Poll::Died => {
                self.error = Some((
                    loading_index,
                    "the photo decoder stopped unexpectedly".to_owned(),
                ));
                self.loading = None;
            }
        }
    }

    fn ensure_overlay(
        &mut self,
        ctx: &egui::Context,
        project: &Project,
        index: usize,
        version: u64,
    ) {
        if self
            .overlay
            .as_ref()
            .is_some_and(|(key, _)| *key == (index, version))
        {
            return;
        }
        let image = &project.file.images[index];
        let (w, h) = (image.width, image.height);
        // The labels of the `full` variant, drawn by the exporters' rasteriser; label i is class i - 1.
        let full = &project.file.variants[0];
        let labels = render_label_map(project.instances(index), full, w, h);
        let mut palette = [[255, 0, 255, 255]; 256];
        palette[0] = [0; 4];
        for (i, class) in project.file.classes.iter().enumerate() {
            let [r, g, b] = class.color;
            palette[i + 1] = [r, g, b, 255];
        }
        let rgba: Vec<u8> = labels
            .iter()
            .flat_map(|&l| palette[usize::from(l)])
            .collect();
        let overlay = egui::ColorImage::from_rgba_unmultiplied([w as usize, h as usize], &rgba);
        let texture = ctx.load_texture(
            format!("overlay-{index}"),
            overlay,
            egui::TextureOptions::NEAREST,
        );
        self.overlay = Some(((index, version), texture));
    }

    /// Draws the toolbar and the view of image `index`.
    pub fn ui(&mut self, ui: &mut egui::Ui, project: &Project, index: Option<usize>, version: u64) {
        ui.horizontal(|ui| {
            if ui
                .button("Fit")
                .on_hover_text("Fit the photo in the view (F)")
                .clicked()
            {
                self.request_fit();
            }
            if ui
                .button("1:1")
                .on_hover_text("One screen pixel per photo pixel (1)")
                .clicked()
            {
                self.actual_size();
            }
            if ui
                .button("Zoom out")
                .on_hover_text("Zoom out (−)")
                .clicked()
            {
                self.zoom_centre(1.0 / 1.25);
            }
            if ui.button("Zoom in").on_hover_text("Zoom in (+)").clicked() {
                self.zoom_centre(1.25);
            }
            ui.label(format!("{:.0}%", self.zoom * 100.0));
            ui.separator();
            ui.checkbox(&mut self.show_fill, "Fill");
            ui.checkbox(&mut self.show_outlines, "Outlines");
            ui.add(
                egui::Slider::new(&mut self.fill_opacity, 0.0..=1.0)
                    .text("Opacity")
                    .show_value(false),
            );
        });
        let (rect, response) =
            ui.allocate_exact_size(ui.available_size(), egui::Sense::click_and_drag());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, "Image view"));
        self.view_rect = rect;
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
        let Some(index) = index else {
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                "Pick an image on the left",
                egui::FontId::proportional(16.0),
                ui.visuals().weak_text_color(),
            );
            return;
        };
        self.ensure_photo(ui.ctx(), project, index);
        if let Some((_, err)) = self.error.as_ref().filter(|(i, _)| *i == index) {
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                err,
                egui::FontId::proportional(14.0),
                ui.visuals().error_fg_color,
            );
            return;
        }
        if !self.is_showing(index) {
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                "Loading…",
                egui::FontId::proportional(16.0),
                ui.visuals().weak_text_color(),
            );
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(30));
            return;
        }
        if self.fit_pending {
            self.fit();
        }
        // Zoom at the cursor with the wheel (or pinch / ctrl+wheel), pan by dragging.
        if response.hovered() {
            let (scroll, pinch, pointer) = ui.input(|i| {
                (
                    i.smooth_scroll_delta.y,
                    i.zoom_delta(),
                    i.pointer.hover_pos(),
                )
            });
            let factor = (scroll * 0.002).exp() * pinch;
            if let Some(pointer) = pointer
                && (factor - 1.0).abs() > 1e-4
            {
                self.zoom_at(factor, pointer);
            }
        }
        if response.dragged() {
            self.offset += response.drag_delta();
        }
        self.cursor = response.hover_pos().map(|p| {
            egui::pos2(
                (p.x - rect.min.x - self.offset.x) / self.zoom,
                (p.y - rect.min.y - self.offset.y) / self.zoom,
            )
        });

        let Some(photo) = &self.photo else { return };
        let image_rect = egui::Rect::from_min_size(rect.min + self.offset, photo.size * self.zoom);
        let uv = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
        painter.image(photo.texture.id(), image_rect, uv, egui::Color32::WHITE);
        if project.status(index) == ImageStatus::Broken {
            if let crate::project::AnnotationState::Broken(reason) = &project.annotations[index] {
                let banner = egui::Rect::from_min_size(rect.min, egui::vec2(rect.width(), 40.0));
                painter.rect_filled(
                    banner,
                    0.0,
                    egui::Color32::from_rgba_unmultiplied(110, 30, 30, 220),
                );
                painter.text(
                    banner.left_center() + egui::vec2(8.0, 0.0),
                    egui::Align2::LEFT_CENTER,
                    format!("Annotation file not loaded: {reason}"),
                    egui::FontId::proportional(13.0),
                    egui::Color32::WHITE,
                );
            }
            return;
        }
        if self.show_fill {
            self.ensure_overlay(ui.ctx(), project, index, version);
            if let Some((_, overlay)) = &self.overlay {
                let tint = egui::Color32::from_white_alpha((self.fill_opacity * 255.0) as u8);
                painter.image(overlay.id(), image_rect, uv, tint);
            }
        }
        if self.show_outlines {
            for inst in project.instances(index) {
                let color = project
                    .class(inst.class_id)
                    .map_or([255, 0, 255], |c| c.color);
                let stroke =
                    egui::Stroke::new(1.5, egui::Color32::from_rgb(color[0], color[1], color[2]));
                for ring in inst.rings() {
                    let points: Vec<egui::Pos2> = ring.iter().map(|&p| self.to_screen(p)).collect();
                    painter.add(egui::Shape::closed_line(points, stroke));
                }
            }
        }
    }
}
