//! An image larger than the GPU's largest texture, as a grid of textures that each fit, drawn side
//! by side as one; a region of it can be replaced without uploading the rest.
//!
//! A 4000×3000 photo exceeds the 2048-pixel side that wgpu guarantees everywhere (and that egui
//! assumes until the backend tells it more); a camera's 8000×6000 exceeds most GPUs' 8192.

/// The side of tiles when the backend allows more: large enough for few draw calls, small enough
/// that redrawing an edited region re-uploads little around it.
const MAX_TILE_SIDE: usize = 4096;

/// The tile side to cut images into for this context.
pub fn tile_side(ctx: &egui::Context) -> usize {
    ctx.input(|i| i.max_texture_side).clamp(64, MAX_TILE_SIDE)
}

/// One tile's pixels before upload: its origin in the image, and its image.
pub type TileImage = ([usize; 2], egui::ColorImage);

/// Cuts a `width × height` image into tiles of at most `side` pixels, each made by `tile(x0, y0,
/// w, h)` (so the whole image never needs to exist as one egui image).
pub fn cut_into_tiles(
    size: [usize; 2],
    side: usize,
    mut tile: impl FnMut(usize, usize, usize, usize) -> egui::ColorImage,
) -> Vec<TileImage> {
    let side = side.max(1);
    let mut tiles = Vec::new();
    for y0 in (0..size[1]).step_by(side) {
        for x0 in (0..size[0]).step_by(side) {
            let (w, h) = (side.min(size[0] - x0), side.min(size[1] - y0));
            tiles.push(([x0, y0], tile(x0, y0, w, h)));
        }
    }
    tiles
}

#[derive(Clone)]
struct Tile {
    origin: [usize; 2],
    size: [usize; 2],
    texture: egui::TextureHandle,
}

/// The uploaded tiles of one image.
#[derive(Clone)]
pub struct TiledTexture {
    size: [usize; 2],
    tiles: Vec<Tile>,
    options: egui::TextureOptions,
}

impl TiledTexture {
    /// Uploads `tiles` (from [`cut_into_tiles`]) of an image of `size`.
    pub fn new(
        ctx: &egui::Context,
        name: &str,
        size: [usize; 2],
        tiles: Vec<TileImage>,
        options: egui::TextureOptions,
    ) -> Self {
        let tiles = tiles
            .into_iter()
            .map(|(origin, image)| Tile {
                origin,
                size: image.size,
                texture: ctx.load_texture(
                    format!("{name}@{},{}", origin[0], origin[1]),
                    image,
                    options,
                ),
            })
            .collect();
        Self {
            size,
            tiles,
            options,
        }
    }

    /// The image's size in pixels.
    pub fn size(&self) -> [usize; 2] {
        self.size
    }

    pub fn size_vec2(&self) -> egui::Vec2 {
        egui::vec2(self.size[0] as f32, self.size[1] as f32)
    }

    /// Bytes held on the GPU.
    pub fn byte_size(&self) -> usize {
        self.tiles.iter().map(|t| t.texture.byte_size()).sum()
    }

    /// How many textures the image takes.
    pub fn tile_count(&self) -> usize {
        self.tiles.len()
    }

    /// Draws the image into `image_rect` (screen), tinted; tiles outside the clip are skipped.
    pub fn paint(&self, painter: &egui::Painter, image_rect: egui::Rect, tint: egui::Color32) {
        let scale = image_rect.size() / self.size_vec2();
        let uv = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
        let clip = painter.clip_rect();
        for tile in &self.tiles {
            let min =
                image_rect.min + egui::vec2(tile.origin[0] as f32, tile.origin[1] as f32) * scale;
            let rect = egui::Rect::from_min_size(
                min,
                egui::vec2(tile.size[0] as f32, tile.size[1] as f32) * scale,
            );
            if rect.intersects(clip) {
                painter.image(tile.texture.id(), rect, uv, tint);
            }
        }
    }

    /// Replaces the pixels of the window `[x0, y0, x1, y1)`, each tile it touches getting
    /// `pixels(x0, y0, w, h)` of its part: only those bytes are uploaded.
    pub fn update(
        &mut self,
        window: [usize; 4],
        mut pixels: impl FnMut(usize, usize, usize, usize) -> egui::ColorImage,
    ) {
        let [wx0, wy0, wx1, wy1] = window;
        for tile in &mut self.tiles {
            let [tx, ty] = tile.origin;
            let (x0, y0) = (wx0.max(tx), wy0.max(ty));
            let (x1, y1) = (wx1.min(tx + tile.size[0]), wy1.min(ty + tile.size[1]));
            if x1 <= x0 || y1 <= y0 {
                continue;
            }
            let image = pixels(x0, y0, x1 - x0, y1 - y0);
            tile.texture
                .set_partial([x0 - tx, y0 - ty], image, self.options);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_cover_the_image_once_and_stay_within_the_side() {
        let mut covered = vec![0u8; 50 * 30];
        let tiles = cut_into_tiles([50, 30], 16, |x0, y0, w, h| {
            for y in y0..y0 + h {
                for x in x0..x0 + w {
                    covered[y * 50 + x] += 1;
                }
            }
            egui::ColorImage::filled([w, h], egui::Color32::BLACK)
        });
        // ceil(50 / 16) × ceil(30 / 16) = 4 × 2 tiles, the last column 2 pixels wide.
        assert_eq!(tiles.len(), 8);
        assert!(covered.iter().all(|&c| c == 1));
        assert!(
            tiles
                .iter()
                .all(|(_, t)| t.size[0] <= 16 && t.size[1] <= 16)
        );
        assert_eq!(tiles[3].0, [48, 0]);
        assert_eq!(tiles[3].1.size, [2, 16]);
    }

    #[test]
    fn an_update_reaches_only_the_tiles_it_touches() {
        let ctx = egui::Context::default();
        let tiles = cut_into_tiles([40, 40], 16, |_, _, w, h| {
            egui::ColorImage::filled([w, h], egui::Color32::BLACK)
        });
        let mut texture =
            TiledTexture::new(&ctx, "test", [40, 40], tiles, egui::TextureOptions::NEAREST);
        assert_eq!(texture.tile_count(), 9);
        let mut asked = Vec::new();
        // 14..18 × 3..5 straddles the first two tiles of the top row.
        texture.update([14, 3, 18, 5], |x0, y0, w, h| {
            asked.push([x0, y0, w, h]);
            egui::ColorImage::filled([w, h], egui::Color32::WHITE)
        });
        assert_eq!(asked, vec![[14, 3, 2, 2], [16, 3, 2, 2]]);
    }
}
