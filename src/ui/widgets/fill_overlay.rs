//! The class-colour fill of an image's instances, as a texture over the photo.
//!
//! egui fills only convex paths, so the fill is rasterised by the project's one rasteriser (the
//! same pixels the exported masks get, holes and non-convex outlines right). An edit redraws only
//! the window its instances covered before and after it, and uploads only that window: on a
//! 4000×3000 photo a vertex drag costs a few hundred pixels instead of twelve million.

use std::collections::HashMap;

use super::tiled_texture::{TiledTexture, cut_into_tiles, tile_side};
use crate::formats::{render_label_map, render_label_region};
use crate::project::{IGNORE_LABEL, Instance, Project};

/// Above this share of the image a change is redrawn whole (one pass beats many windows).
const WHOLE_REDRAW_SHARE: f64 = 0.5;

type Palette = [egui::Color32; 256];

/// The fill of one image as last drawn.
struct Held {
    /// (image index, generation, visibility stamp) it shows.
    key: (usize, u64, u64),
    size: [u32; 2],
    palette: Box<Palette>,
    /// The instances it was drawn from and their labels (the `full` variant's).
    instances: Vec<Instance>,
    labels: Vec<u8>,
    texture: TiledTexture,
}

/// The overlay texture of one (image, generation).
#[derive(Default)]
pub struct FillOverlay {
    held: Option<Held>,
    /// Pixels drawn by the last change (tests and benchmarks check that edits stay local).
    last_redraw: usize,
}

impl FillOverlay {
    /// Brings the texture to image `index` at `generation` unless it shows that already;
    /// `instances` gives what to fill (called only when something changed), and `stamp` changes
    /// when that choice does (instances hidden or shown).
    pub fn ensure(
        &mut self,
        ctx: &egui::Context,
        project: &Project,
        index: usize,
        generation: u64,
        stamp: u64,
        instances: impl FnOnce() -> Vec<Instance>,
    ) {
        let key = (index, generation, stamp);
        if self.held.as_ref().is_some_and(|held| held.key == key) {
            return;
        }
        let image = &project.file().images[index];
        let size = [image.width, image.height];
        let palette = palette(project);
        let instances = instances();
        if let Some(held) = &mut self.held
            && held.key.0 == index
            && held.size == size
            && *held.palette == palette
        {
            match changed_window(&held.instances, &instances, size) {
                None => {
                    self.last_redraw = 0;
                    held.key = key;
                    held.instances = instances;
                    return;
                }
                Some(window) => {
                    let area = f64::from(window[2] - window[0]) * f64::from(window[3] - window[1]);
                    if area <= WHOLE_REDRAW_SHARE * f64::from(size[0]) * f64::from(size[1]) {
                        held.redraw(project, &instances, window);
                        self.last_redraw = area as usize;
                        held.key = key;
                        held.instances = instances;
                        return;
                    }
                }
            }
        }
        // The labels of the `full` variant; label i is class i - 1.
        let labels = render_label_map(&instances, project.full_variant(), size[0], size[1]);
        let width = size[0] as usize;
        let tiles = cut_into_tiles([width, size[1] as usize], tile_side(ctx), |x0, y0, w, h| {
            colour_window(&labels, width, &palette, [x0, y0, w, h])
        });
        let texture = TiledTexture::new(
            ctx,
            &format!("overlay-{index}"),
            [width, size[1] as usize],
            tiles,
            egui::TextureOptions::NEAREST,
        );
        self.last_redraw = labels.len();
        self.held = Some(Held {
            key,
            size,
            palette: Box::new(palette),
            instances,
            labels,
            texture,
        });
    }

    /// How many pixels the last change redrew.
    pub fn last_redraw(&self) -> usize {
        self.last_redraw
    }

    /// Paints the held texture over `image_rect` at `opacity` (0–1).
    pub fn paint(&self, painter: &egui::Painter, image_rect: egui::Rect, opacity: f32) {
        if let Some(held) = &self.held {
            let tint = egui::Color32::from_white_alpha((opacity.clamp(0.0, 1.0) * 255.0) as u8);
            held.texture.paint(painter, image_rect, tint);
        }
    }
}

impl Held {
    /// Redraws the labels of `window` from `instances` and uploads that window.
    fn redraw(&mut self, project: &Project, instances: &[Instance], window: [u32; 4]) {
        let [x0, y0, x1, y1] = window;
        let fresh = render_label_region(instances, project.full_variant(), window);
        let (width, region_w) = (self.size[0] as usize, (x1 - x0) as usize);
        for (row, y) in (y0..y1).enumerate() {
            let at = y as usize * width + x0 as usize;
            self.labels[at..at + region_w]
                .copy_from_slice(&fresh[row * region_w..(row + 1) * region_w]);
        }
        let (labels, palette) = (&self.labels, &*self.palette);
        self.texture.update(
            [x0 as usize, y0 as usize, x1 as usize, y1 as usize],
            |x, y, w, h| colour_window(labels, width, palette, [x, y, w, h]),
        );
    }
}

/// The colours of classes by `full` label: 0 clear, ignore grey, unknown magenta.
fn palette(project: &Project) -> Palette {
    let mut palette = [egui::Color32::from_rgb(255, 0, 255); 256];
    palette[0] = egui::Color32::TRANSPARENT;
    // Ignore regions: a neutral grey, plainly not a class colour.
    palette[usize::from(IGNORE_LABEL)] = egui::Color32::from_gray(128);
    for (i, class) in project.file().classes.iter().enumerate() {
        let [r, g, b] = class.color;
        palette[i + 1] = egui::Color32::from_rgb(r, g, b);
    }
    palette
}

/// The window `[x, y, w, h]` of a row-major label map `width` wide, coloured.
fn colour_window(
    labels: &[u8],
    width: usize,
    palette: &Palette,
    [x, y, w, h]: [usize; 4],
) -> egui::ColorImage {
    let mut pixels = Vec::with_capacity(w * h);
    for row in y..y + h {
        let at = row * width + x;
        pixels.extend(labels[at..at + w].iter().map(|&l| palette[usize::from(l)]));
    }
    egui::ColorImage::new([w, h], pixels)
}

/// The pixel window `[x0, y0, x1, y1)` that holds every pixel whose label may differ between
/// `before` and `after` (the bounds, before and after, of each instance added, removed or
/// changed, order included); `None` when no instance changed.
fn changed_window(before: &[Instance], after: &[Instance], size: [u32; 2]) -> Option<[u32; 4]> {
    let old: HashMap<u32, &Instance> = before.iter().map(|i| (i.id, i)).collect();
    let mut bounds: Option<[f32; 4]> = None;
    let mut include = |inst: &Instance| {
        for ring in inst.rings() {
            if let Some(b) = crate::geometry::bounds(ring) {
                bounds = Some(bounds.map_or(b, |a| {
                    [
                        a[0].min(b[0]),
                        a[1].min(b[1]),
                        a[2].max(b[2]),
                        a[3].max(b[3]),
                    ]
                }));
            }
        }
    };
    let mut changed = false;
    for inst in after {
        match old.get(&inst.id) {
            Some(&was) if was == inst => {}
            Some(&was) => {
                changed = true;
                include(was);
                include(inst);
            }
            None => {
                changed = true;
                include(inst);
            }
        }
    }
    let new: std::collections::HashSet<u32> = after.iter().map(|i| i.id).collect();
    for inst in before.iter().filter(|i| !new.contains(&i.id)) {
        changed = true;
        include(inst);
    }
    if !changed {
        return None;
    }
    // Every pixel whose centre lies within the bounds, and one more on each side.
    let Some([bx0, by0, bx1, by1]) = bounds else {
        // Changed instances without a single point cover no pixel.
        return None;
    };
    let clamp = |v: f32, max: u32| (v.max(0.0) as u32).min(max);
    let window = [
        clamp(bx0.floor() - 1.0, size[0]),
        clamp(by0.floor() - 1.0, size[1]),
        clamp(bx1.ceil() + 1.0, size[0]),
        clamp(by1.ceil() + 1.0, size[1]),
    ];
    (window[2] > window[0] && window[3] > window[1]).then_some(window)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::{Part, Tool};

    fn square(id: u32, x: f32, order: i32) -> Instance {
        Instance {
            id,
            class_id: 1,
            parts: vec![Part {
                outer: vec![[x, 10.0], [x + 10.0, 10.0], [x + 10.0, 20.0], [x, 20.0]],
                holes: Vec::new(),
            }],
            order,
            tool: Tool::Polygon,
        }
    }

    #[test]
    fn the_window_covers_an_instance_before_and_after_its_change() {
        let before = vec![square(1, 0.0, 0), square(2, 50.0, 1)];
        let mut after = before.clone();
        after[1] = square(2, 60.0, 1);
        // Instance 2 moved from 50..60 to 60..70: the window spans 49..71 in x, 9..21 in y.
        assert_eq!(
            changed_window(&before, &after, [100, 100]),
            Some([49, 9, 71, 21])
        );
        assert_eq!(changed_window(&before, &before, [100, 100]), None);
        // A removed instance is redrawn where it was; an order change where it lies.
        assert_eq!(
            changed_window(&before, &before[..1], [100, 100]),
            Some([49, 9, 61, 21])
        );
        let mut reordered = before.clone();
        reordered[0].order = 5;
        assert_eq!(
            changed_window(&before, &reordered, [100, 100]),
            Some([0, 9, 11, 21])
        );
    }

    #[test]
    fn an_edit_redraws_its_window_to_the_pixels_of_a_whole_redraw() {
        use crate::project::{ClassDef, ImageEntry, Preset, preset::full_variant};
        let dir = tempfile::tempdir().unwrap();
        let mut project = Project::create(dir.path(), "fill", Preset::Empty).unwrap();
        let classes = vec![ClassDef {
            id: 1,
            name: "nut".into(),
            color: [200, 50, 50],
            size_mm: None,
        }];
        let variants = vec![full_variant(&classes)];
        project.replace_classes(classes, variants).unwrap();
        project.push_image(ImageEntry {
            file: "a.png".into(),
            width: 200,
            height: 100,
            split: None,
            done: false,
        });
        let ctx = egui::Context::default();
        let before = vec![square(1, 0.0, 0), square(2, 50.0, 1), square(3, 55.0, 2)];
        let mut overlay = FillOverlay::default();
        overlay.ensure(&ctx, &project, 0, 1, 0, || before.clone());
        assert_eq!(overlay.last_redraw(), 200 * 100);
        // Instance 2 slides under instance 3 and a triangle appears on the right.
        let mut after = before.clone();
        after[1] = square(2, 58.5, 1);
        after.push(Instance {
            id: 4,
            class_id: 1,
            parts: vec![Part {
                outer: vec![[150.0, 10.0], [170.0, 40.0], [140.0, 40.0]],
                holes: Vec::new(),
            }],
            order: 3,
            tool: Tool::Polygon,
        });
        overlay.ensure(&ctx, &project, 0, 2, 0, || after.clone());
        let held = overlay.held.as_ref().unwrap();
        assert_eq!(
            held.labels,
            render_label_map(&after, project.full_variant(), 200, 100)
        );
        // 49..171 × 9..41: the two changes' joint bounds, not the whole image.
        assert_eq!(overlay.last_redraw(), 122 * 32);
    }
}
