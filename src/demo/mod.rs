//! Procedural demo photos of the 18 RoboCup@Work object kinds (atWork
//! preset) on tabletops, with exact per-instance ground truth.
//!
//! `SegStudio` cannot ship real photos, so it renders its own: each object is
//! a small analytic solid (see `march`), placed with its real size under a
//! per-photo camera and light (`camera`), shaded, shadowed and composited
//! over a procedural table (`table`), then blurred and noised (`post`).
//! Masks come from the same pixel-centre visibility test that composes the
//! colours, before any blur or noise, so they are exact for the image.
//!
//! Everything is derived from `(seed, index)` through `ChaCha8Rng` and uses
//! no platform-dependent maths, so output bytes are identical everywhere.

mod camera;
mod fasteners;
mod housings;
mod march;
mod math;
mod parts;
mod plastic;
mod post;
mod profiles;
mod shading;
mod table;
mod turned;

#[cfg(test)]
mod tests;

use camera::Camera;
use image::{GrayImage, RgbImage};
use march::{Canvas, Shape};
use math::V2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Real-world size of each class in mm: `(class id, length, width)` of the
/// bounding rectangle of its footprint in its usual resting pose
/// (RoboCup@Work objects; heights live in the object models, and a test
/// keeps this table and the models in step).
pub const OBJECT_SIZES_MM: [(u16, f32, f32); 18] = [
    (1, 100.0, 20.0),   // f20_20_B
    (2, 100.0, 40.0),   // s40_40_B
    (3, 100.0, 20.0),   // f20_20_G
    (4, 100.0, 40.0),   // s40_40_G
    (5, 112.5, 34.6),   // m20_100: M20 bolt, 100 mm shaft + 12.5 mm head (34.6 across corners)
    (6, 34.6, 30.0),    // m20: M20 hex nut, 30 mm across flats
    (7, 53.1, 46.0),    // m30: M30 hex nut, 46 mm across flats
    (8, 42.0, 28.0),    // r20: slotted cage tube
    (9, 54.0, 54.0),    // bearing_box_ax01
    (10, 35.0, 35.0),   // bearing (15 × 35 × 11)
    (11, 75.0, 20.0),   // axis
    (12, 25.0, 25.0),   // distance_tube
    (13, 75.0, 40.0),   // motor incl. shaft
    (14, 160.0, 105.0), // container_box_blue
    (15, 160.0, 105.0), // container_box_red
    (16, 60.0, 50.0),   // bearing_box_ax16
    (17, 91.0, 62.0),   // em_01 incl. clips and tab
    (18, 88.0, 58.0),   // em_02 incl. tab
];

/// One object in a demo photo.
#[derive(Clone, Debug)]
pub struct DemoInstance {
    pub class_id: u16,
    /// 255 where this instance is the visible top-most surface, 0 elsewhere;
    /// full image size.
    pub visible: GrayImage,
}

#[derive(Clone, Debug)]
pub struct DemoPhoto {
    pub image: RgbImage,
    /// In draw order, bottom first. Instances hidden or with fewer than 30
    /// visible pixels are removed (and not drawn).
    pub instances: Vec<DemoInstance>,
}

#[derive(Clone, Debug)]
pub struct DemoParams {
    pub width: u32,
    pub height: u32,
    pub min_objects: u32,
    pub max_objects: u32,
}

impl Default for DemoParams {
    fn default() -> Self {
        Self {
            width: 640,
            height: 480,
            min_objects: 1,
            max_objects: 6,
        }
    }
}

/// Minimum visible pixels for an instance to be kept.
const MIN_VISIBLE: u32 = 30;

fn rng_for(seed: u64, index: u32, salt: u64) -> ChaCha8Rng {
    // splitmix64 finaliser over (seed, index, salt).
    let mut z = seed
        ^ (u64::from(index) << 32 | u64::from(index)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ salt;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ChaCha8Rng::seed_from_u64(z ^ (z >> 31))
}

fn make_shape(class: u16, rng: &mut ChaCha8Rng) -> Box<dyn Shape> {
    let seed: u32 = rng.random();
    let p = |rng: &mut ChaCha8Rng, prob: f64| rng.random_bool(prob);
    match class {
        1..=4 => {
            let standing = p(rng, 0.15);
            Box::new(profiles::Profile::new(
                class.is_multiple_of(2),
                class <= 2,
                standing,
                seed,
            ))
        }
        5 => Box::new(fasteners::Bolt::new(p(rng, 0.2))),
        6 => Box::new(fasteners::Nut::m20(p(rng, 0.2), p(rng, 0.2))),
        7 => Box::new(fasteners::Nut::m30(p(rng, 0.2), p(rng, 0.2))),
        8 => Box::new(fasteners::Cage::new(p(rng, 0.45), p(rng, 0.35))),
        9 => Box::new(housings::BoxAx01),
        10 => Box::new(turned::Bearing::new(p(rng, 0.25))),
        11 => Box::new(turned::Axis),
        12 => Box::new(turned::Tube::new(p(rng, 0.25))),
        13 => Box::new(turned::Motor::new(p(rng, 0.4))),
        14 | 15 => Box::new(plastic::Container::new(class == 14)),
        16 => Box::new(housings::BoxAx16),
        17 => Box::new(plastic::Em01::new(rng.random_range(0.06..0.16), seed)),
        _ => Box::new(plastic::Em02::new(p(rng, 0.3), seed)),
    }
}

pub(crate) struct Item {
    pub class_id: u16,
    pub shape: Box<dyn Shape>,
    pub pos: V2,
    pub angle: f64,
}

fn is_container(class_id: u16) -> bool {
    matches!(class_id, 14 | 15)
}

/// Whether something of bounding radius `r_mm` at image position `pos` sits
/// sensibly relative to the container at `bin` (position, angle): clear of it, or (unless it is
/// itself a bin) well inside it. Straddling a wall would look like passing
/// through it.
fn bin_allows(cam: &Camera, bin: (V2, f64), pos: V2, r_mm: f32, other_is_bin: bool) -> bool {
    let pl = cam.place(bin.0, bin.1);
    let q = pl.ainv.apply(pos - pl.c);
    let (hx, hy) = plastic::CONTAINER_HALF;
    let outside = q.x.abs() > hx + r_mm || q.y.abs() > hy + r_mm;
    let margin = 12.0 + r_mm;
    let inside = !other_is_bin && q.x.abs() < hx - margin && q.y.abs() < hy - margin;
    outside || inside
}

fn plan(rng: &mut ChaCha8Rng, cam: &Camera, params: &DemoParams) -> Vec<Item> {
    let (w, h) = (params.width as f32, params.height as f32);
    let lo = params.min_objects.min(params.max_objects);
    let n = rng.random_range(lo..=params.max_objects);
    let mut items: Vec<(Item, f32)> = Vec::new();
    for _ in 0..n {
        let class_id = rng.random_range(1u16..=18);
        let shape = make_shape(class_id, rng);
        let radius = shape.half_extent().len() * cam.scale0;
        let angle = rng.random_range(0.0..std::f64::consts::TAU);
        let is_bin = is_container(class_id);
        let r_mm = shape.half_extent().len();
        let fits = |pos: V2, items: &[(Item, f32)], near: Option<usize>| {
            items.iter().enumerate().all(|(k, (o, r))| {
                if is_container(o.class_id) {
                    bin_allows(cam, (o.pos, o.angle), pos, r_mm, is_bin)
                } else if is_bin {
                    let o_mm = o.shape.half_extent().len();
                    bin_allows(cam, (pos, angle), o.pos, o_mm, false)
                } else {
                    // Some overlap is wanted (occlusion), piles are not.
                    Some(k) == near || (o.pos - pos).len() > 0.55 * (radius + r)
                }
            })
        };
        let mut pos = V2::default();
        let mut placed = false;
        // Sometimes lean on an earlier small part: partial occlusion, the
        // later one resting on the earlier.
        let small: Vec<usize> = (0..items.len())
            .filter(|&k| !is_container(items[k].0.class_id))
            .collect();
        if !is_bin && !small.is_empty() && rng.random_bool(0.3) {
            let k = small[rng.random_range(0..small.len() as u32) as usize];
            let (o, r) = &items[k];
            let (sa, ca) = math::sin_cos(rng.random_range(0.0..std::f64::consts::TAU));
            let d = rng.random_range(0.35f32..0.7) * (radius + r);
            pos = o.pos + V2::new(ca as f32, sa as f32) * d;
            placed = fits(pos, &items, Some(k));
        }
        for _ in 0..12 {
            if placed {
                break;
            }
            // Mostly well inside the frame; some straddle the border.
            let m = if rng.random_bool(0.3) { -0.05 } else { 0.08 };
            pos = V2::new(
                rng.random_range(m..1.0 - m) * w,
                rng.random_range(m..1.0 - m) * h,
            );
            placed = fits(pos, &items, None);
        }
        items.push((
            Item {
                class_id,
                shape,
                pos,
                angle,
            },
            radius,
        ));
    }
    // Bins go underneath: small parts lie on or in front of them.
    items.sort_by_key(|(it, _)| !is_container(it.class_id));
    items.into_iter().map(|(it, _)| it).collect()
}

/// A composed scene before post-processing, with bookkeeping for tests.
pub(crate) struct Composed {
    pub canvas: Canvas,
    /// Pixel centres each item covered when drawn (before later occluders).
    #[cfg_attr(not(test), allow(dead_code))]
    pub drawn: Vec<u32>,
    /// Pixel centres where each item is finally visible.
    pub visible: Vec<u32>,
}

/// Height by which an object placed by `pl` is lifted to rest on earlier
/// ones: enough that its underside clears every earlier top surface below
/// it (0 = lying on the table). Worked out in object space from a grid of
/// sample points, so it also holds off-image.
fn support(
    below: &[(&dyn Shape, camera::Placement, V2)],
    shape: &dyn Shape,
    pl: &camera::Placement,
) -> f32 {
    let he = shape.half_extent();
    let mut z0 = 0.0f32;
    for j in 0..12 {
        for i in 0..12 {
            let q = V2::new(
                ((i as f32 + 0.5) / 6.0 - 1.0) * he.x,
                ((j as f32 + 0.5) / 6.0 - 1.0) * he.y,
            );
            let Some((lo, _)) = shape.span(q.x, q.y) else {
                continue;
            };
            // Table-plane image position of the sample, then the same
            // point in each earlier object's frame.
            let p = pl.c + pl.a.apply(q);
            for (other, opl, base) in below {
                let qo = opl.ainv.apply(p - *base);
                if let Some((_, hi)) = other.span(qo.x, qo.y) {
                    z0 = z0.max(opl.z0 + hi - lo);
                }
            }
        }
    }
    z0
}

pub(crate) fn compose(cam: &Camera, table: Vec<[f32; 3]>, items: &[Item]) -> Composed {
    let (w, h) = (cam.width as usize, cam.height as usize);
    let mut canvas = Canvas {
        w,
        h,
        rgb: table,
        id: vec![0; w * h],
        z: vec![-1.0; w * h],
    };
    let mut drawn = Vec::with_capacity(items.len());
    let mut below: Vec<(&dyn Shape, camera::Placement, V2)> = Vec::with_capacity(items.len());
    for (i, it) in items.iter().enumerate() {
        let flat = cam.place(it.pos, it.angle);
        let z0 = support(&below, it.shape.as_ref(), &flat);
        let pl = cam.place_at(it.pos, it.angle, z0);
        below.push((it.shape.as_ref(), pl, it.pos));
        march::shadow(&mut canvas, it.shape.as_ref(), &pl, &cam.light);
        drawn.push(march::draw(
            &mut canvas,
            it.shape.as_ref(),
            &pl,
            &cam.light,
            i as u16 + 1,
        ));
    }
    let mut visible = vec![0u32; items.len()];
    for &id in &canvas.id {
        if id > 0 {
            visible[id as usize - 1] += 1;
        }
    }
    Composed {
        canvas,
        drawn,
        visible,
    }
}

struct Scene {
    cam: Camera,
    table: Vec<[f32; 3]>,
    /// RNG state the table was drawn from, to redraw it rather than keep a
    /// copy (a retry of the composition is rare).
    table_rng: ChaCha8Rng,
    post: post::Post,
}

fn scene(rng: &mut ChaCha8Rng, params: &DemoParams) -> Scene {
    let cam = Camera::random(rng, params.width, params.height);
    let table_rng = rng.clone();
    let table = table::render(rng, &cam);
    let post = post::Post {
        blur: rng.random_range(0.3..1.0),
        soft: rng.random_bool(0.3),
        noise: rng.random_range(0.006..0.022),
        haze: rng.random_range(0.0..0.08),
        saturation: rng.random_range(0.8..1.05),
        seed: rng.random(),
    };
    Scene {
        cam,
        table,
        table_rng,
        post,
    }
}

/// Renders photo `index` of the demo set `seed`, also returning the final
/// items and the composition bookkeeping (used by tests).
pub(crate) fn render_full(
    seed: u64,
    index: u32,
    params: &DemoParams,
) -> (DemoPhoto, Vec<u16>, Composed) {
    let mut rng = rng_for(seed, index, 0x5eed_0001);
    let mut sc = scene(&mut rng, params);
    let mut items = plan(&mut rng, &sc.cam, params);
    // Objects that end up (almost) invisible are dropped and the photo is
    // recomposed without them, so no unlabelled object pixels remain.
    let comp = loop {
        let table = if sc.table.is_empty() {
            table::render(&mut sc.table_rng.clone(), &sc.cam)
        } else {
            std::mem::take(&mut sc.table)
        };
        let comp = compose(&sc.cam, table, &items);
        if comp.visible.iter().all(|&v| v >= MIN_VISIBLE) {
            break comp;
        }
        let keep: Vec<bool> = comp.visible.iter().map(|&v| v >= MIN_VISIBLE).collect();
        let mut k = keep.iter();
        items.retain(|_| *k.next().unwrap_or(&true));
    };
    let (w, h) = (params.width, params.height);
    let mut comp = comp;
    let rgb = std::mem::take(&mut comp.canvas.rgb);
    let image = post::finish(rgb, w as usize, h as usize, &sc.post);
    let instances = items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            let id = i as u16 + 1;
            let raw = comp
                .canvas
                .id
                .iter()
                .map(|&v| if v == id { 255 } else { 0 })
                .collect();
            DemoInstance {
                class_id: it.class_id,
                visible: GrayImage::from_raw(w, h, raw).expect("mask size"),
            }
        })
        .collect();
    let classes = items.iter().map(|it| it.class_id).collect();
    (DemoPhoto { image, instances }, classes, comp)
}

/// Renders demo photo `index` of the set `seed`. Deterministic: the bytes
/// depend only on `(seed, index, params)`.
pub fn render_photo(seed: u64, index: u32, params: &DemoParams) -> DemoPhoto {
    render_full(seed, index, params).0
}

/// An empty tabletop drawn from the same distribution of surfaces, light,
/// blur and noise as `render_photo` (an independent draw, not the table of
/// photo `index`).
pub fn render_background(seed: u64, index: u32, params: &DemoParams) -> RgbImage {
    let mut rng = rng_for(seed, index, 0xbac6_0002);
    let sc = scene(&mut rng, params);
    post::finish(
        sc.table,
        params.width as usize,
        params.height as usize,
        &sc.post,
    )
}
