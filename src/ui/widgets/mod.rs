//! Widgets the workspaces share: the image view with its transform, the class-colour fill overlay,
//! the cache of decoded photos and thumbnails, tiled textures for photos larger than the GPU's
//! largest texture, the image list, and a running job's progress row.

pub mod fill_overlay;
pub mod image_cache;
pub mod image_list;
pub mod image_view;
pub mod tiled_texture;

pub use fill_overlay::FillOverlay;
pub use image_cache::{ImageCache, PhotoState};
pub use image_list::{ImageList, shown_status, status_color, status_dot};
pub use image_view::{ImageView, ImageViewOutput, ViewState, ViewTransform, empty_view};
pub use tiled_texture::TiledTexture;

/// A small square of a class's colour.
pub fn swatch(ui: &mut egui::Ui, color: [u8; 3]) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
    let [r, g, b] = color;
    ui.painter()
        .rect_filled(rect, 3.0, egui::Color32::from_rgb(r, g, b));
}

/// A running job's row: its progress bar with the percentage, its stage and a Cancel button.
pub fn job_progress<T, E>(ui: &mut egui::Ui, handle: &crate::ui::jobs::JobHandle<T, E>) {
    ui.horizontal(|ui| {
        let p = handle.progress();
        ui.add(
            egui::ProgressBar::new(p.fraction())
                .desired_width(240.0)
                .show_percentage(),
        );
        ui.label(p.stage());
        if ui.button("Cancel").clicked() {
            handle.cancel();
        }
    });
}
