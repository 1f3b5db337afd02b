//! A zoomable, pannable view of one image that callers paint their own layers on.
//!
//! [`ViewTransform`] maps image coordinates (pixels, origin at the image's top-left corner) to
//! points in the view and back. [`ImageView::show`] draws the texture, handles the wheel (zoom at the
//! cursor), pinch and drag (pan), and hands back the response, a painter clipped to the view and the
//! transform of this frame, so that the browse overlay, the Label canvas's tool previews and the
//! Synthesize preview's boxes each draw on top in their own way.

use super::TiledTexture;

/// Zoom limits in screen points per image pixel.
pub const MIN_ZOOM: f32 = 0.02;
pub const MAX_ZOOM: f32 = 64.0;

/// How the image sits in the view: `screen = view.min + offset + image * zoom`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ViewTransform {
    /// Screen points per image pixel.
    pub zoom: f32,
    /// Where the image's origin is, from the view's top-left corner.
    pub offset: egui::Vec2,
}

impl Default for ViewTransform {
    fn default() -> Self {
        Self {
            zoom: 1.0,
            offset: egui::Vec2::ZERO,
        }
    }
}

impl ViewTransform {
    pub fn to_screen(&self, view: egui::Rect, p: [f32; 2]) -> egui::Pos2 {
        view.min + self.offset + egui::vec2(p[0], p[1]) * self.zoom
    }

    pub fn to_image(&self, view: egui::Rect, p: egui::Pos2) -> egui::Pos2 {
        ((p - view.min - self.offset) / self.zoom).to_pos2()
    }

    /// Zooms by `factor` keeping the image point under `anchor` (screen) where it is.
    pub fn zoom_at(&mut self, view: egui::Rect, factor: f32, anchor: egui::Pos2) {
        let new_zoom = (self.zoom * factor).clamp(MIN_ZOOM, MAX_ZOOM);
        let local = anchor - view.min;
        self.offset = local - (local - self.offset) * (new_zoom / self.zoom);
        self.zoom = new_zoom;
    }

    /// The whole image centred in the view with a small margin.
    pub fn fit(view: egui::Vec2, image: egui::Vec2) -> Self {
        let zoom = ((view.x / image.x).min(view.y / image.y) * 0.98).clamp(MIN_ZOOM, MAX_ZOOM);
        Self {
            zoom,
            offset: (view - image * zoom) / 2.0,
        }
    }

    /// One screen point per image pixel, centred.
    pub fn actual_size(view: egui::Vec2, image: egui::Vec2) -> Self {
        Self {
            zoom: 1.0,
            offset: (view - image) / 2.0,
        }
    }
}

/// The view's state kept between frames.
#[derive(Clone, Debug)]
pub struct ViewState {
    pub transform: ViewTransform,
    /// Fit the next image shown (set by "fit", and when the image's size changes).
    fit_pending: bool,
    /// The view's rectangle last frame, for zooming from buttons and keys.
    rect: egui::Rect,
    image_size: Option<egui::Vec2>,
}

impl Default for ViewState {
    fn default() -> Self {
        Self {
            transform: ViewTransform::default(),
            fit_pending: true,
            rect: egui::Rect::NOTHING,
            image_size: None,
        }
    }
}

impl ViewState {
    /// Shows image point `p` in the middle of the view at `zoom` (screen points per pixel).
    pub fn centre_on(&mut self, p: [f32; 2], zoom: f32) {
        let zoom = zoom.clamp(MIN_ZOOM, MAX_ZOOM);
        self.fit_pending = false;
        self.transform = ViewTransform {
            zoom,
            offset: self.rect.size() / 2.0 - egui::vec2(p[0], p[1]) * zoom,
        };
    }

    pub fn request_fit(&mut self) {
        self.fit_pending = true;
    }

    pub fn actual_size(&mut self) {
        if let Some(size) = self.image_size {
            self.transform = ViewTransform::actual_size(self.rect.size(), size);
        }
    }

    /// Zooms around the centre of the view.
    pub fn zoom_centre(&mut self, factor: f32) {
        self.transform
            .zoom_at(self.rect, factor, self.rect.center());
    }

    pub fn zoom(&self) -> f32 {
        self.transform.zoom
    }
}

/// What a caller paints with.
pub struct ImageViewOutput {
    pub response: egui::Response,
    pub painter: egui::Painter,
    /// The view's rectangle on screen.
    pub rect: egui::Rect,
    pub transform: ViewTransform,
    /// Where the image is on screen.
    pub image_rect: egui::Rect,
}

impl ImageViewOutput {
    pub fn to_screen(&self, p: [f32; 2]) -> egui::Pos2 {
        self.transform.to_screen(self.rect, p)
    }

    /// The image point under the pointer, if it hovers the view.
    pub fn hover_image_pos(&self) -> Option<egui::Pos2> {
        self.response
            .hover_pos()
            .map(|p| self.transform.to_image(self.rect, p))
    }
}

/// The widget: a texture of `size` image pixels in a view filling the available space.
pub struct ImageView<'a> {
    state: &'a mut ViewState,
    texture: &'a TiledTexture,
    /// Pan with the primary button too (the browse view), not only the middle one.
    pan_with_primary: bool,
}

impl<'a> ImageView<'a> {
    pub fn new(state: &'a mut ViewState, texture: &'a TiledTexture) -> Self {
        Self {
            state,
            texture,
            pan_with_primary: true,
        }
    }

    /// Leaves the primary button to the caller's tools; panning uses the middle or secondary button.
    #[must_use]
    pub fn pan_with_primary(mut self, yes: bool) -> Self {
        self.pan_with_primary = yes;
        self
    }

    pub fn show(self, ui: &mut egui::Ui) -> ImageViewOutput {
        let Self {
            state,
            texture,
            pan_with_primary,
        } = self;
        let size = texture.size_vec2();
        let (rect, response) =
            ui.allocate_exact_size(ui.available_size(), egui::Sense::click_and_drag());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, "Image view"));
        if state.image_size != Some(size) {
            // Stepping through photos of one size keeps the zoom; a new size is fitted.
            state.fit_pending = true;
            state.image_size = Some(size);
        }
        state.rect = rect;
        if state.fit_pending && rect.width() > 1.0 && rect.height() > 1.0 {
            state.transform = ViewTransform::fit(rect.size(), size);
            state.fit_pending = false;
        }
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
                state.transform.zoom_at(rect, factor, pointer);
            }
        }
        let panning = response.dragged_by(egui::PointerButton::Middle)
            || response.dragged_by(egui::PointerButton::Secondary)
            || (pan_with_primary && response.dragged_by(egui::PointerButton::Primary));
        if panning {
            state.transform.offset += response.drag_delta();
        }
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
        let transform = state.transform;
        let image_rect =
            egui::Rect::from_min_size(rect.min + transform.offset, size * transform.zoom);
        texture.paint(&painter, image_rect, egui::Color32::WHITE);
        ImageViewOutput {
            response,
            painter,
            rect,
            transform,
            image_rect,
        }
    }
}

/// A message in an empty view ("Loading…", an error).
pub fn empty_view(ui: &mut egui::Ui, text: &str, color: egui::Color32) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(ui.available_size(), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        text,
        egui::FontId::proportional(15.0),
        color,
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> egui::Rect {
        egui::Rect::from_min_size(egui::pos2(100.0, 50.0), egui::vec2(800.0, 600.0))
    }

    #[test]
    fn screen_and_image_coordinates_round_trip() {
        let t = ViewTransform {
            zoom: 2.5,
            offset: egui::vec2(-30.0, 12.0),
        };
        let p = t.to_screen(view(), [17.0, 33.5]);
        assert_eq!(p, egui::pos2(100.0 - 30.0 + 42.5, 50.0 + 12.0 + 83.75));
        let back = t.to_image(view(), p);
        assert!((back.x - 17.0).abs() < 1e-4 && (back.y - 33.5).abs() < 1e-4);
    }

    #[test]
    fn zoom_keeps_the_point_under_the_cursor() {
        let mut t = ViewTransform {
            zoom: 1.0,
            offset: egui::vec2(10.0, 20.0),
        };
        let anchor = egui::pos2(400.0, 300.0);
        let under = t.to_image(view(), anchor);
        t.zoom_at(view(), 3.0, anchor);
        assert!((t.zoom - 3.0).abs() < 1e-6);
        let still = t.to_image(view(), anchor);
        assert!(
            (still - under).length() < 1e-3,
            "{under:?} moved to {still:?}"
        );
        t.zoom_at(view(), 1e9, anchor);
        assert!((t.zoom - MAX_ZOOM).abs() < f32::EPSILON);
    }

    #[test]
    fn fit_centres_the_whole_image() {
        let t = ViewTransform::fit(egui::vec2(800.0, 600.0), egui::vec2(640.0, 240.0));
        // Width limits: 800/640 = 1.25, with the 2 % margin.
        assert!((t.zoom - 1.225).abs() < 1e-5);
        let shown = egui::vec2(640.0, 240.0) * t.zoom;
        assert!((t.offset.x * 2.0 + shown.x - 800.0).abs() < 1e-3);
        assert!((t.offset.y * 2.0 + shown.y - 600.0).abs() < 1e-3);
    }
}
