//! The class-colour fill of an image's instances, as a texture over the photo.
//!
//! egui fills only convex paths, so the fill is rasterised by the project's one rasteriser (the
//! same pixels the exported masks get, holes and non-convex outlines right) and redone when the
//! image's generation changes. The browse view and the Label canvas both paint it.

use crate::formats::render_label_map;
use crate::project::{IGNORE_LABEL, Instance, Project};

/// The overlay texture of one (image, generation).
#[derive(Default)]
pub struct FillOverlay {
    texture: Option<((usize, u64, u64), egui::TextureHandle)>,
}

impl FillOverlay {
    /// Makes the texture of image `index` at `generation` unless it is the one held; `instances`
    /// are what to fill, and `stamp` changes when that choice does (instances hidden or shown).
    pub fn ensure(
        &mut self,
        ctx: &egui::Context,
        project: &Project,
        index: usize,
        generation: u64,
        stamp: u64,
        instances: &[Instance],
    ) {
        if self
            .texture
            .as_ref()
            .is_some_and(|(key, _)| *key == (index, generation, stamp))
        {
            return;
        }
        let image = &project.file().images[index];
        let (w, h) = (image.width, image.height);
        // The labels of the `full` variant; label i is class i - 1.
        let labels = render_label_map(instances, project.full_variant(), w, h);
        let mut palette = [[255, 0, 255, 255]; 256];
        palette[0] = [0; 4];
        // Ignore regions: a neutral grey, plainly not a class colour.
        palette[usize::from(IGNORE_LABEL)] = [128, 128, 128, 255];
        for (i, class) in project.file().classes.iter().enumerate() {
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
        self.texture = Some(((index, generation, stamp), texture));
    }

    /// Paints the held texture over `image_rect` at `opacity` (0–1).
    pub fn paint(&self, painter: &egui::Painter, image_rect: egui::Rect, opacity: f32) {
        if let Some((_, texture)) = &self.texture {
            let tint = egui::Color32::from_white_alpha((opacity.clamp(0.0, 1.0) * 255.0) as u8);
            let uv = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
            painter.image(texture.id(), image_rect, uv, tint);
        }
    }
}
