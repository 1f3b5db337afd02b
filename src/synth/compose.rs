//! One synthetic image: draw the objects, place them so that occlusion and visibility limits hold,
//! paint the label and instance maps in painter's order from the hard masks, and composite the
//! photo (shadows, soft edges, noise) on a background.
//!
//! Image `i` of a run depends on the run's seed and `i` only ([`image_seed`]), never on which
//! thread renders it or which other images a shard holds.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::SynthError;
use super::backgrounds::Backgrounds;
use super::library::ObjectLibrary;
use super::params::{BlendMode, ClassSampling, DistractorLabel, ScaleMode, SynthParams};
use super::sprite::{EdgeBlend, JitterDraw, Sprite, Transform, make_sprite};
use crate::project::{ClassDef, ClassId, IGNORE_LABEL, Variant, VariantTarget};

/// The seed of image `index` of a run seeded `run_seed` (SplitMix64 of both).
pub fn image_seed(run_seed: u64, index: u64) -> u64 {
    splitmix(run_seed ^ splitmix(index.wrapping_add(0x5EED)))
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One object as pasted (manifest record).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacedObject {
    /// Index into the run's library list.
    pub object: u32,
    pub class_id: ClassId,
    /// Its value in the label map (full-variant label id, 0 or 255 for distractors).
    pub label: u8,
    /// Its value in the instance map (0 for distractors).
    pub instance: u16,
    /// Top-left corner and size of the pasted sprite.
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
    pub scale: f32,
    pub angle_deg: f32,
    pub flip_h: bool,
    pub flip_v: bool,
    /// Pixels of the object's mask, wherever they fall.
    pub pixels: u32,
    /// Its pixels inside the frame and uncovered by later objects.
    pub visible: u32,
    /// Fraction of its in-frame pixels covered by later objects.
    pub occlusion: f32,
    /// Fraction of its pixels outside the frame.
    pub truncation: f32,
    /// Box of the visible pixels, `[x0, y0, x1, y1)`.
    pub bbox: [u32; 4],
}

/// One rendered image with its ground truth.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub index: u64,
    pub seed: u64,
    pub background: usize,
    pub blend: BlendMode,
    pub image: image::RgbImage,
    /// Row-major label ids.
    pub labels: Vec<u8>,
    /// Row-major instance ids (the labelled objects in paste order, 1…; 0 none).
    pub instances: Vec<u16>,
    /// Every pasted object in paste order, distractors included.
    pub objects: Vec<PlacedObject>,
}

/// Everything an image needs, checked once per run or preview.
pub struct Generator<'a> {
    pub params: &'a SynthParams,
    pub library: &'a ObjectLibrary,
    pub backgrounds: &'a Backgrounds,
    labelled: Vec<usize>,
    distractors: Vec<usize>,
    /// Per class of `labelled`: its object indices, and the cumulative class weights.
    by_class: Vec<(ClassId, Vec<usize>)>,
    class_cumulative: Vec<f64>,
    label_of: BTreeMap<ClassId, u8>,
    length_mm: BTreeMap<ClassId, f32>,
}

impl<'a> Generator<'a> {
    /// Checks the parameters against the library and backgrounds; every problem is named.
    pub fn new(
        params: &'a SynthParams,
        library: &'a ObjectLibrary,
        backgrounds: &'a Backgrounds,
        classes: &[ClassDef],
        full: &Variant,
    ) -> Result<Self, SynthError> {
        let mut problems = params.problems();
        let (labelled, distractors) = library.partition();
        if params.objects_max > 0 && labelled.is_empty() {
            problems.push(
                "the object library is empty: no enabled annotated instance in the chosen splits"
                    .to_owned(),
            );
        }
        if params.distractors_max > 0 && distractors.is_empty() {
            problems.push(
                "distractors are asked for but no class of the library is marked as a distractor"
                    .to_owned(),
            );
        }
        if backgrounds.images.is_empty() {
            problems.push("there are no backgrounds".to_owned());
        }
        let length_mm: BTreeMap<ClassId, f32> = classes
            .iter()
            .filter_map(|c| {
                c.size_mm
                    .map(|s| (c.id, s.length.max(s.width).max(s.height)))
            })
            .collect();
        if matches!(params.scale, ScaleMode::RealWorld { .. }) {
            let mut missing: Vec<&str> = classes
                .iter()
                .filter(|c| {
                    !length_mm.contains_key(&c.id)
                        && library.objects.iter().any(|o| o.class_id == c.id)
                })
                .map(|c| c.name.as_str())
                .collect();
            missing.dedup();
            if !missing.is_empty() {
                problems.push(format!(
                    "real-world scale needs every class's size in mm; missing for {}",
                    missing.join(", ")
                ));
            }
        }
        if !problems.is_empty() {
            return Err(SynthError::Settings(problems));
        }
        let mut groups: BTreeMap<ClassId, Vec<usize>> = BTreeMap::new();
        for &i in &labelled {
            groups
                .entry(library.objects[i].class_id)
                .or_default()
                .push(i);
        }
        let by_class: Vec<(ClassId, Vec<usize>)> = groups.into_iter().collect();
        let mut total = 0.0;
        let class_cumulative = by_class
            .iter()
            .map(|(_, members)| {
                total += match params.sampling {
                    ClassSampling::UniformClasses => 1.0,
                    ClassSampling::UniformInstances => members.len() as f64,
                    ClassSampling::InverseFrequency => {
                        let area: f64 = members
                            .iter()
                            .map(|&i| f64::from(library.objects[i].pixels))
                            .sum::<f64>()
                            / members.len() as f64;
                        1.0 / area.max(1.0)
                    }
                };
                total
            })
            .collect();
        let label_of = full
            .mapping
            .iter()
            .map(|(&class, target)| {
                (
                    class,
                    match target {
                        VariantTarget::Label(l) => *l,
                        VariantTarget::Ignore => IGNORE_LABEL,
                    },
                )
            })
            .collect();
        Ok(Self {
            params,
            library,
            backgrounds,
            labelled,
            distractors,
            by_class,
            class_cumulative,
            label_of,
            length_mm,
        })
    }

    fn pick_labelled(&self, rng: &mut ChaCha8Rng) -> usize {
        if self.params.sampling == ClassSampling::UniformInstances {
            return self.labelled[rng.random_range(0..self.labelled.len())];
        }
        let total = *self
            .class_cumulative
            .last()
            .expect("classes checked in new");
        let draw = rng.random::<f64>() * total;
        let class = self
            .class_cumulative
            .partition_point(|&c| c <= draw)
            .min(self.by_class.len() - 1);
        let members = &self.by_class[class].1;
        members[rng.random_range(0..members.len())]
    }

    fn draw_transform(&self, object: usize, rng: &mut ChaCha8Rng) -> Transform {
        let p = self.params;
        let cutout = &self.library.objects[object];
        let scale = match p.scale {
            ScaleMode::Relative { min, max } => uniform(rng, min, max),
            ScaleMode::RealWorld {
                min_px_per_mm,
                max_px_per_mm,
            } => {
                let px_per_mm = uniform(rng, min_px_per_mm, max_px_per_mm);
                let length = self.length_mm.get(&cutout.class_id).copied().unwrap_or(1.0);
                length * px_per_mm / cutout.width.max(cutout.height) as f32
            }
        };
        let angle_deg = if p.rotation_deg > 0.0 {
            uniform(rng, -p.rotation_deg, p.rotation_deg)
        } else {
            0.0
        };
        let flip_h = p.flip_horizontal > 0.0 && rng.random::<f32>() < p.flip_horizontal;
        let flip_v = p.flip_vertical > 0.0 && rng.random::<f32>() < p.flip_vertical;
        Transform {
            scale: scale.max(1e-3),
            angle_deg,
            flip_h,
            flip_v,
        }
    }

    /// Renders image `index` of a run seeded `run_seed`.
    pub fn render(&self, run_seed: u64, index: u64) -> Rendered {
        let seed = image_seed(run_seed, index);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let p = self.params;
        let (w, h) = (p.width, p.height);
        let background = rng.random_range(0..self.backgrounds.images.len());
        let blend = match p.blend {
            BlendMode::Random => BlendMode::ALL[rng.random_range(0..4)],
            other => other,
        };
        // What to paste, in paste order: labelled objects and distractors shuffled together.
        let n_objects = rng.random_range(p.objects_min..=p.objects_max) as usize;
        let n_distractors = rng.random_range(p.distractors_min..=p.distractors_max) as usize;
        let mut picks: Vec<usize> = (0..n_objects)
            .map(|_| self.pick_labelled(&mut rng))
            .collect();
        picks.extend(
            (0..n_distractors)
                .map(|_| self.distractors[rng.random_range(0..self.distractors.len())]),
        );
        if n_distractors > 0 {
            for i in (1..picks.len()).rev() {
                picks.swap(i, rng.random_range(0..=i));
            }
        }
        let mut layout = Layout::new(w, h);
        for object in picks {
            let transform = self.draw_transform(object, &mut rng);
            let jitter = JitterDraw::draw(&p.jitter, || rng.random::<f32>());
            let edge = match blend {
                BlendMode::None | BlendMode::Random => EdgeBlend::None,
                BlendMode::Box => EdgeBlend::Box,
                BlendMode::Gaussian => EdgeBlend::Gaussian,
                BlendMode::Motion => EdgeBlend::Motion {
                    length: rng.random_range(3..=9),
                    angle_deg: rng.random_range(0.0..180.0),
                },
            };
            let sprite = make_sprite(&self.library.objects[object], &transform, &jitter, edge);
            if sprite.pixels == 0 {
                continue;
            }
            let (tx, ty) = (
                (p.max_truncation * sprite.width as f32) as i32,
                (p.max_truncation * sprite.height as f32) as i32,
            );
            let x_range = ordered(-tx, w as i32 - sprite.width as i32 + tx);
            let y_range = ordered(-ty, h as i32 - sprite.height as i32 + ty);
            for _ in 0..p.attempts {
                let x = rng.random_range(x_range.0..=x_range.1);
                let y = rng.random_range(y_range.0..=y_range.1);
                if layout.try_place(&sprite, x, y, p) {
                    layout.meta.push((object, transform));
                    layout.sprites.push(sprite);
                    break;
                }
            }
        }
        self.finish(index, seed, background, blend, &layout, &mut rng)
    }

    fn finish(
        &self,
        index: u64,
        seed: u64,
        background: usize,
        blend: BlendMode,
        layout: &Layout,
        rng: &mut ChaCha8Rng,
    ) -> Rendered {
        let p = self.params;
        let (w, h) = (p.width, p.height);
        // Label and instance values per layer.
        let mut next_instance = 0u16;
        let values: Vec<(u8, u16)> = layout
            .meta
            .iter()
            .map(|&(object, _)| {
                let cutout = &self.library.objects[object];
                if cutout.distractor {
                    let label = match p.distractor_label {
                        DistractorLabel::Background => 0,
                        DistractorLabel::Ignore => IGNORE_LABEL,
                    };
                    (label, 0)
                } else {
                    next_instance += 1;
                    let label = self
                        .label_of
                        .get(&cutout.class_id)
                        .copied()
                        .unwrap_or(IGNORE_LABEL);
                    (label, next_instance)
                }
            })
            .collect();
        let n = w as usize * h as usize;
        let mut labels = vec![0u8; n];
        let mut instances = vec![0u16; n];
        let mut boxes = vec![[u32::MAX, u32::MAX, 0, 0]; layout.sprites.len()];
        for (y, row) in layout.owner.chunks_exact(w as usize).enumerate() {
            let start = y * w as usize;
            for (x, &o) in row.iter().enumerate() {
                if o == 0 {
                    continue;
                }
                let layer = usize::from(o) - 1;
                let (label, instance) = values[layer];
                labels[start + x] = label;
                instances[start + x] = instance;
                let (x, y) = (x as u32, y as u32);
                let b = &mut boxes[layer];
                b[0] = b[0].min(x);
                b[1] = b[1].min(y);
                b[2] = b[2].max(x + 1);
                b[3] = b[3].max(y + 1);
            }
        }
        let mut image = self.backgrounds.images[background].clone();
        for (layer, sprite) in layout.sprites.iter().enumerate() {
            let (x, y) = layout.positions[layer];
            if p.shadow.opacity > 0.0 {
                cast_shadow(&mut image, sprite, x, y, p);
            }
            paste(&mut image, sprite, x, y);
        }
        if p.noise > 0.0 {
            add_noise(&mut image, p.noise, rng.random());
        }
        let objects = layout
            .meta
            .iter()
            .enumerate()
            .map(|(layer, &(object, t))| {
                let sprite = &layout.sprites[layer];
                let stats = layout.stats[layer];
                let (x, y) = layout.positions[layer];
                PlacedObject {
                    object: object as u32,
                    class_id: self.library.objects[object].class_id,
                    label: values[layer].0,
                    instance: values[layer].1,
                    x,
                    y,
                    width: sprite.width,
                    height: sprite.height,
                    scale: t.scale,
                    angle_deg: t.angle_deg,
                    flip_h: t.flip_h,
                    flip_v: t.flip_v,
                    pixels: sprite.pixels,
                    visible: stats.visible,
                    occlusion: 1.0 - stats.visible as f32 / stats.in_frame.max(1) as f32,
                    truncation: 1.0 - stats.in_frame as f32 / sprite.pixels.max(1) as f32,
                    bbox: boxes[layer],
                }
            })
            .collect();
        Rendered {
            index,
            seed,
            background,
            blend,
            image,
            labels,
            instances,
            objects,
        }
    }
}

fn uniform(rng: &mut ChaCha8Rng, min: f32, max: f32) -> f32 {
    if max > min {
        rng.random_range(min..=max)
    } else {
        min
    }
}

fn ordered(a: i32, b: i32) -> (i32, i32) {
    if a <= b { (a, b) } else { (b, a) }
}

#[derive(Clone, Copy, Debug, Default)]
struct LayerStats {
    in_frame: u32,
    visible: u32,
}

/// The objects placed so far and which one owns each pixel (the top one).
struct Layout {
    width: u32,
    height: u32,
    /// 0 = background, `k + 1` = layer `k`.
    owner: Vec<u16>,
    sprites: Vec<Sprite>,
    positions: Vec<(i32, i32)>,
    stats: Vec<LayerStats>,
    meta: Vec<(usize, Transform)>,
    lost: Vec<u32>,
}

impl Layout {
    fn new(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            owner: vec![0; width as usize * height as usize],
            sprites: Vec::new(),
            positions: Vec::new(),
            stats: Vec::new(),
            meta: Vec::new(),
            lost: Vec::new(),
        }
    }

    /// The rows and columns of the sprite at `(x, y)` inside the frame: (sx0, sx1, sy0, sy1).
    fn clip(&self, sprite: &Sprite, x: i32, y: i32) -> (u32, u32, u32, u32) {
        let sx0 = (-x).max(0) as u32;
        let sy0 = (-y).max(0) as u32;
        let sx1 = (self.width as i32 - x).clamp(0, sprite.width as i32) as u32;
        let sy1 = (self.height as i32 - y).clamp(0, sprite.height as i32) as u32;
        (sx0, sx1.max(sx0), sy0, sy1.max(sy0))
    }

    /// Places the sprite at `(x, y)` when it and every object below keep their limits.
    fn try_place(&mut self, sprite: &Sprite, x: i32, y: i32, p: &super::SynthParams) -> bool {
        let (sx0, sx1, sy0, sy1) = self.clip(sprite, x, y);
        self.lost.clear();
        self.lost.resize(self.sprites.len(), 0);
        let mut in_frame = 0u32;
        let w = self.width as usize;
        for sy in sy0..sy1 {
            let row = (y + sy as i32) as usize * w;
            let mrow = (sy * sprite.width) as usize;
            for sx in sx0..sx1 {
                if sprite.mask[mrow + sx as usize] != 0 {
                    in_frame += 1;
                    let o = self.owner[row + (x + sx as i32) as usize];
                    if o != 0 {
                        self.lost[usize::from(o) - 1] += 1;
                    }
                }
            }
        }
        let must_keep = |pixels: u32| {
            (f64::from(p.min_visible) * f64::from(pixels))
                .ceil()
                .max(1.0)
        };
        if f64::from(in_frame) < must_keep(sprite.pixels) {
            return false;
        }
        for (layer, &lost) in self.lost.iter().enumerate() {
            if lost == 0 {
                continue;
            }
            let stats = self.stats[layer];
            let left = f64::from(stats.visible - lost);
            let occlusion_floor = (1.0 - f64::from(p.max_occlusion)) * f64::from(stats.in_frame);
            if left < must_keep(self.sprites[layer].pixels) || left + 1e-9 < occlusion_floor {
                return false;
            }
        }
        for (layer, &lost) in self.lost.iter().enumerate() {
            self.stats[layer].visible -= lost;
        }
        let value = (self.sprites.len() + 1) as u16;
        for sy in sy0..sy1 {
            let row = (y + sy as i32) as usize * w;
            let mrow = (sy * sprite.width) as usize;
            for sx in sx0..sx1 {
                if sprite.mask[mrow + sx as usize] != 0 {
                    self.owner[row + (x + sx as i32) as usize] = value;
                }
            }
        }
        self.stats.push(LayerStats {
            in_frame,
            visible: in_frame,
        });
        self.positions.push((x, y));
        true
    }
}

/// Composites a premultiplied sprite: `out = out · (1 − α) + colour`.
fn paste(image: &mut image::RgbImage, sprite: &Sprite, x: i32, y: i32) {
    let (w, h) = image.dimensions();
    let raw: &mut [u8] = image;
    for sy in 0..sprite.height as i32 {
        let iy = y + sy;
        if iy < 0 || iy >= h as i32 {
            continue;
        }
        let x0 = (-x).max(0);
        let x1 = (w as i32 - x).min(sprite.width as i32);
        for sx in x0..x1 {
            let si = (sy * sprite.width as i32 + sx) as usize;
            let a = u32::from(sprite.alpha[si]);
            if a == 0 {
                continue;
            }
            let di = ((iy * w as i32 + x + sx) * 3) as usize;
            let src = &sprite.rgb[si * 3..si * 3 + 3];
            if a == 255 {
                // Opaque (most of a sprite, all of a hard paste): the colour replaces the pixel.
                raw[di..di + 3].copy_from_slice(src);
                continue;
            }
            for ch in 0..3 {
                let under = u32::from(raw[di + ch]);
                // (under · (255 − a) + 127) / 255, exact for a = 255 and a = 0.
                let kept = (under * (255 - a) + 127) / 255;
                raw[di + ch] = (kept + u32::from(src[ch])).min(255) as u8;
            }
        }
    }
}

/// Darkens the image under a blurred, offset copy of the sprite's coverage.
fn cast_shadow(image: &mut image::RgbImage, sprite: &Sprite, x: i32, y: i32, p: &SynthParams) {
    let r = p.shadow.blur.round().max(0.0) as usize;
    let (sw, sh) = (
        sprite.width as usize + 2 * r,
        sprite.height as usize + 2 * r,
    );
    let mut plane = vec![0f32; sw * sh];
    for yy in 0..sprite.height as usize {
        for xx in 0..sprite.width as usize {
            plane[(yy + r) * sw + xx + r] =
                f32::from(sprite.alpha[yy * sprite.width as usize + xx]);
        }
    }
    if r > 0 {
        // Two box passes per axis approximate a Gaussian of σ ≈ r/√3·√2.
        let mut tmp = vec![0f32; sw * sh];
        for _ in 0..2 {
            box_rows(&plane, &mut tmp, sw, sh, r);
            box_cols(&tmp, &mut plane, sw, sh, r);
        }
    }
    let (w, h) = image.dimensions();
    let ox = x + p.shadow.offset_x.round() as i32 - r as i32;
    let oy = y + p.shadow.offset_y.round() as i32 - r as i32;
    let k = p.shadow.opacity / 255.0;
    let raw: &mut [u8] = image;
    for yy in 0..sh as i32 {
        let iy = oy + yy;
        if iy < 0 || iy >= h as i32 {
            continue;
        }
        for xx in 0..sw as i32 {
            let ix = ox + xx;
            if ix < 0 || ix >= w as i32 {
                continue;
            }
            let s = plane[yy as usize * sw + xx as usize] * k;
            if s <= 0.001 {
                continue;
            }
            let di = ((iy * w as i32 + ix) * 3) as usize;
            for ch in 0..3 {
                raw[di + ch] = (f32::from(raw[di + ch]) * (1.0 - s) + 0.5) as u8;
            }
        }
    }
}

fn box_rows(src: &[f32], dst: &mut [f32], w: usize, h: usize, r: usize) {
    let norm = 1.0 / (2 * r + 1) as f32;
    for y in 0..h {
        let row = &src[y * w..(y + 1) * w];
        let mut acc: f32 = row[..r.min(w)].iter().sum();
        for x in 0..w {
            if x + r < w {
                acc += row[x + r];
            }
            dst[y * w + x] = acc * norm;
            if x >= r {
                acc -= row[x - r];
            }
        }
    }
}

fn box_cols(src: &[f32], dst: &mut [f32], w: usize, h: usize, r: usize) {
    let norm = 1.0 / (2 * r + 1) as f32;
    for x in 0..w {
        let mut acc: f32 = (0..r.min(h)).map(|y| src[y * w + x]).sum();
        for y in 0..h {
            if y + r < h {
                acc += src[(y + r) * w + x];
            }
            dst[y * w + x] = acc * norm;
            if y >= r {
                acc -= src[(y - r) * w + x];
            }
        }
    }
}

/// Adds zero-mean noise of standard deviation `sigma` levels: each value is the sum of four
/// uniform bytes (Irwin–Hall, within 1 % of a Gaussian's shape inside ±2σ) from a xorshift stream.
fn add_noise(image: &mut image::RgbImage, sigma: f32, seed: u64) {
    // Sum of 4 uniform bytes: mean 510, standard deviation √(4 · (256² − 1) / 12) ≈ 147.8.
    let scale = sigma / 147.8;
    let table: [i16; 1021] = std::array::from_fn(|s| ((s as f32 - 510.0) * scale).round() as i16);
    let mut state = seed | 1;
    let raw: &mut [u8] = image;
    for pair in raw.chunks_mut(2) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let b = state.to_le_bytes();
        let sums = [
            u16::from(b[0]) + u16::from(b[1]) + u16::from(b[2]) + u16::from(b[3]),
            u16::from(b[4]) + u16::from(b[5]) + u16::from(b[6]) + u16::from(b[7]),
        ];
        for (v, s) in pair.iter_mut().zip(sums) {
            *v = (i16::from(*v) + table[usize::from(s)]).clamp(0, 255) as u8;
        }
    }
}
