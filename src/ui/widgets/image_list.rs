//! The image list: a virtualised list of the project's photos with thumbnails, each marked
//! unlabelled, labelled or broken, with a name filter and a status filter. Clicking a row sends
//! [`Command::SelectImage`].

use super::image_cache::ImageCache;
use crate::project::{ImageStatus, Project};
use crate::ui::commands::Command;

const ROW_HEIGHT: f32 = 52.0;

pub fn status_color(status: ImageStatus) -> egui::Color32 {
    match status {
        ImageStatus::Unlabelled => egui::Color32::from_gray(140),
        ImageStatus::Labelled => egui::Color32::from_rgb(80, 200, 110),
        ImageStatus::Broken => egui::Color32::from_rgb(230, 70, 60),
    }
}

/// A small filled circle in the status colour (drawn, not a glyph: not every font has one).
pub fn status_dot(ui: &mut egui::Ui, status: ImageStatus) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter()
        .circle_filled(rect.center(), 4.0, status_color(status));
}

/// The status an image is shown with: broken also when its photo cannot be decoded.
pub fn shown_status(project: &Project, cache: &ImageCache, index: usize) -> ImageStatus {
    if cache.decode_error(index).is_some() {
        ImageStatus::Broken
    } else {
        project.status(index)
    }
}

/// The list's filters, kept by the workspace that shows it.
#[derive(Default)]
pub struct ImageList {
    pub filter: String,
    pub status_filter: Option<ImageStatus>,
    /// Only photos marked done (`Some(true)`) or not (`Some(false)`).
    pub done_filter: Option<bool>,
    /// Scroll the selected row into view on the next frame (after keyboard navigation).
    pub scroll_to_selected: bool,
}

impl ImageList {
    /// Indices of the images that pass the filters, in project order.
    pub fn visible_images(&self, project: &Project, cache: &ImageCache) -> Vec<usize> {
        let needle = self.filter.trim().to_lowercase();
        (0..project.file().images.len())
            .filter(|&i| {
                needle.is_empty()
                    || project.file().images[i]
                        .file
                        .to_lowercase()
                        .contains(&needle)
            })
            .filter(|&i| {
                self.status_filter
                    .is_none_or(|s| shown_status(project, cache, i) == s)
            })
            .filter(|&i| {
                self.done_filter
                    .is_none_or(|d| project.file().images[i].done == d)
            })
            .collect()
    }

    /// The visible image after (`forward`) or before the selected one.
    pub fn step(
        &self,
        project: &Project,
        cache: &ImageCache,
        selected: Option<usize>,
        forward: bool,
    ) -> Option<usize> {
        let visible = self.visible_images(project, cache);
        let pos = selected.and_then(|s| visible.iter().position(|&i| i == s));
        match (pos, forward) {
            (Some(p), true) => visible.get(p + 1).copied(),
            (Some(p), false) => p.checked_sub(1).and_then(|p| visible.get(p).copied()),
            (None, _) => visible.first().copied(),
        }
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        project: &Project,
        cache: &mut ImageCache,
        selected: Option<usize>,
        commands: &mut Vec<Command>,
    ) {
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Filter");
            ui.add(
                egui::TextEdit::singleline(&mut self.filter)
                    .hint_text("file name")
                    .desired_width(120.0),
            )
            .labelled_by(label.id)
            .on_hover_text("Show only photos whose file name contains this text");
            let status = ui.label("status");
            egui::ComboBox::from_id_salt("status-filter")
                .width(96.0)
                .selected_text(self.status_filter.map_or("all", ImageStatus::name))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.status_filter, None, "all");
                    for s in [
                        ImageStatus::Unlabelled,
                        ImageStatus::Labelled,
                        ImageStatus::Broken,
                    ] {
                        ui.selectable_value(&mut self.status_filter, Some(s), s.name());
                    }
                })
                .response
                .labelled_by(status.id)
                .on_hover_text("Show only photos with this status");
            let done = ui.label("done");
            let name = |d: Option<bool>| match d {
                None => "all",
                Some(true) => "done",
                Some(false) => "not done",
            };
            egui::ComboBox::from_id_salt("done-filter")
                .width(80.0)
                .selected_text(name(self.done_filter))
                .show_ui(ui, |ui| {
                    for d in [None, Some(true), Some(false)] {
                        ui.selectable_value(&mut self.done_filter, d, name(d));
                    }
                })
                .response
                .labelled_by(done.id)
                .on_hover_text(
                    "Show only photos marked done in the Label workspace, or only the others",
                );
        });
        let visible = self.visible_images(project, cache);
        ui.label(format!(
            "{} of {} images",
            visible.len(),
            project.file().images.len()
        ));
        ui.separator();
        let mut area = egui::ScrollArea::vertical().auto_shrink([false, false]);
        if self.scroll_to_selected {
            self.scroll_to_selected = false;
            if let Some(row) = selected.and_then(|s| visible.iter().position(|&i| i == s)) {
                let spacing = ui.spacing().item_spacing.y;
                let top = row as f32 * (ROW_HEIGHT + spacing);
                let view = ui.available_height();
                area = area.vertical_scroll_offset((top - view / 2.0).max(0.0));
            }
        }
        area.show_rows(ui, ROW_HEIGHT, visible.len(), |ui, rows| {
            for &index in &visible[rows] {
                if row_ui(ui, project, cache, index, selected == Some(index)) {
                    commands.push(Command::SelectImage(index));
                }
            }
        });
    }
}

/// One row; returns whether it was clicked.
fn row_ui(
    ui: &mut egui::Ui,
    project: &Project,
    cache: &mut ImageCache,
    index: usize,
    is_selected: bool,
) -> bool {
    let image = &project.file().images[index];
    let status = shown_status(project, cache, index);
    let response = ui
        .horizontal(|ui| {
            ui.set_height(ROW_HEIGHT);
            let thumb_size = egui::vec2(64.0, 48.0);
            if let Some(texture) = cache.thumbnail(index, || project.image_path(index)) {
                ui.add(egui::Image::new((texture.id(), thumb_size)));
            } else {
                let (rect, _) = ui.allocate_exact_size(thumb_size, egui::Sense::hover());
                ui.painter()
                    .rect_filled(rect, 2.0, ui.visuals().faint_bg_color);
            }
            ui.vertical(|ui| {
                let name = ui.selectable_label(is_selected, &image.file);
                ui.horizontal(|ui| {
                    status_dot(ui, status);
                    ui.colored_label(status_color(status), status.name());
                    if let Some(split) = image.split {
                        ui.weak(split.name());
                    }
                    if image.done {
                        ui.colored_label(egui::Color32::from_rgb(120, 190, 255), "done");
                    }
                });
                name
            })
            .inner
        })
        .inner;
    let response = match cache
        .decode_error(index)
        .or_else(|| project.broken_reason(index))
    {
        Some(err) => response.on_hover_text(err),
        None => response,
    };
    response.clicked()
}
