//! The browse workspace's photo view: the shared image view with the instances painted on it
//! (filled in class colours with correct holes, outlined, the selected one highlighted), a toolbar,
//! and a click that selects the instance under the cursor.
//!
//! The fill is the shared [`FillOverlay`] texture; outlines are vector lines on top.

use super::BrowseAction;
use crate::project::Project;
use crate::ui::commands::{Action, Command, action_button};
use crate::ui::widgets::{
    FillOverlay, ImageView, ImageViewOutput, PhotoState, ViewState, empty_view,
};
use crate::ui::workspace::OpenProject;

/// View state of the browse photo view.
pub struct PhotoView {
    pub state: ViewState,
    pub show_fill: bool,
    pub show_outlines: bool,
    pub fill_opacity: f32,
    /// Image coordinates under the pointer.
    pub cursor: Option<egui::Pos2>,
    overlay: FillOverlay,
    /// The image whose photo was shown last frame.
    shown: Option<usize>,
}

impl Default for PhotoView {
    fn default() -> Self {
        Self {
            state: ViewState::default(),
            show_fill: true,
            show_outlines: true,
            fill_opacity: 0.45,
            cursor: None,
            overlay: FillOverlay::default(),
            shown: None,
        }
    }
}

impl PhotoView {
    /// A view for another project, keeping the display options.
    pub fn reopened(&self) -> Self {
        Self {
            show_fill: self.show_fill,
            show_outlines: self.show_outlines,
            fill_opacity: self.fill_opacity,
            ..Self::default()
        }
    }

    /// Whether the photo of `index` was on screen last frame.
    pub fn is_showing(&self, index: usize) -> bool {
        self.shown == Some(index)
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            for (action, label) in [
                (BrowseAction::Fit, "Fit"),
                (BrowseAction::ActualSize, "1:1"),
                (BrowseAction::ZoomOut, "Zoom out"),
                (BrowseAction::ZoomIn, "Zoom in"),
            ] {
                commands.extend(action_button(ui, Action::Browse(action), label));
            }
            ui.label(format!("{:.0}%", self.state.zoom() * 100.0));
            ui.separator();
            ui.checkbox(&mut self.show_fill, "Fill")
                .on_hover_text("Fill the instances in their class colours (Shift+F)");
            ui.checkbox(&mut self.show_outlines, "Outlines")
                .on_hover_text("Outline the instances (O)");
            ui.add(
                egui::Slider::new(&mut self.fill_opacity, 0.0..=1.0)
                    .text("Opacity")
                    .show_value(false),
            )
            .on_hover_text("How opaque the fill is");
        });
    }

    /// Draws the toolbar and the selected photo with its instances.
    pub fn ui(&mut self, ui: &mut egui::Ui, open: &mut OpenProject, commands: &mut Vec<Command>) {
        self.toolbar_ui(ui, commands);
        self.shown = None;
        self.cursor = None;
        let Some(index) = open.selection.image else {
            empty_view(
                ui,
                "Pick an image on the left",
                ui.visuals().weak_text_color(),
            );
            return;
        };
        let project = open.session.project();
        let generation = open.session.generation(index);
        let texture = match open.images.photo(index, || project.image_path(index)) {
            PhotoState::Ready(texture) => texture.clone(),
            PhotoState::Loading => {
                empty_view(ui, "Loading…", ui.visuals().weak_text_color());
                return;
            }
            PhotoState::Failed(err) => {
                empty_view(ui, err, ui.visuals().error_fg_color);
                return;
            }
        };
        let view = ImageView::new(&mut self.state, &texture).show(ui);
        self.shown = Some(index);
        self.cursor = view.hover_image_pos();
        if let Some(reason) = project.broken_reason(index) {
            broken_banner(&view, reason);
            return;
        }
        if self.show_fill {
            self.overlay
                .ensure(ui.ctx(), project, index, generation, 0, || {
                    project.instances(index).to_vec()
                });
            self.overlay
                .paint(&view.painter, view.image_rect, self.fill_opacity);
        }
        if self.show_outlines || open.selection.instance.is_some() {
            draw_outlines(
                &view,
                project,
                index,
                self.show_outlines,
                open.selection.instance,
            );
        }
        if view.response.clicked()
            && let Some(p) = self.cursor
        {
            let hit = project
                .instances(index)
                .iter()
                .filter(|inst| inst.contains([p.x, p.y]))
                .max_by_key(|inst| inst.order)
                .map(|inst| inst.id);
            commands.push(Command::SelectInstance(hit));
        }
    }

    /// The status bar's part: cursor position and zoom.
    pub fn status_ui(&self, ui: &mut egui::Ui, project: &Project, index: usize) {
        let image = &project.file().images[index];
        if let Some(c) = self.cursor.filter(|c| {
            c.x >= 0.0 && c.y >= 0.0 && c.x < image.width as f32 && c.y < image.height as f32
        }) {
            ui.label(format!("x {:.0} y {:.0}", c.x.floor(), c.y.floor()));
        }
        ui.label(format!("zoom {:.0}%", self.state.zoom() * 100.0));
    }
}

fn draw_outlines(
    view: &ImageViewOutput,
    project: &Project,
    index: usize,
    all: bool,
    selected: Option<u32>,
) {
    for inst in project.instances(index) {
        let is_selected = selected == Some(inst.id);
        if !all && !is_selected {
            continue;
        }
        let [r, g, b] = project
            .class(inst.class_id)
            .map_or([255, 0, 255], |c| c.color);
        let stroke = if is_selected {
            egui::Stroke::new(3.0, egui::Color32::WHITE)
        } else {
            egui::Stroke::new(1.5, egui::Color32::from_rgb(r, g, b))
        };
        for ring in inst.rings() {
            let points: Vec<egui::Pos2> = ring.iter().map(|&p| view.to_screen(p)).collect();
            view.painter.add(egui::Shape::closed_line(points, stroke));
        }
    }
}

fn broken_banner(view: &ImageViewOutput, reason: &str) {
    let banner = egui::Rect::from_min_size(view.rect.min, egui::vec2(view.rect.width(), 40.0));
    view.painter.rect_filled(
        banner,
        0.0,
        egui::Color32::from_rgba_unmultiplied(110, 30, 30, 220),
    );
    view.painter.text(
        banner.left_center() + egui::vec2(8.0, 0.0),
        egui::Align2::LEFT_CENTER,
        format!("Annotation file not loaded: {reason}"),
        egui::FontId::proportional(13.0),
        egui::Color32::WHITE,
    );
}
