//! Decoded photos and thumbnails of the open project, shared by every workspace.
//!
//! One [`WorkPool`] of two decoder threads serves both: the photo on screen first, the neighbours
//! prefetched next, thumbnails of the rows in view last. A request that nobody asked for in the last
//! frame (a row scrolled away, a photo stepped past) is dropped before it starts. Photos are kept as
//! textures in a least-recently-used cache bounded by count and bytes.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::tiled_texture::{TileImage, TiledTexture, cut_into_tiles, tile_side};
use crate::workers::WorkPool;

const DECODERS: usize = 2;
const THUMB_W: u32 = 96;
const THUMB_H: u32 = 72;
/// At most this many photos stay decoded…
const MAX_PHOTOS: usize = 12;
/// …and at most this many bytes of them (the one on screen always stays).
const MAX_PHOTO_BYTES: usize = 512 << 20;

const PRIORITY_PHOTO: i32 = 10;
const PRIORITY_PREFETCH: i32 = 5;
const PRIORITY_THUMB: i32 = 0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    Photo(usize),
    Thumb(usize),
}

/// A decoded photo, already cut into tiles the GPU takes, or a thumbnail.
enum Image {
    Photo {
        size: [usize; 2],
        tiles: Vec<TileImage>,
    },
    Thumb(egui::ColorImage),
}

type Decoded = Result<Image, String>;

/// Where a photo stands.
pub enum PhotoState<'a> {
    Ready(&'a TiledTexture),
    Loading,
    Failed(&'a str),
}

/// The cache of one open project (image indices are stable: images are only ever added).
pub struct ImageCache {
    pool: Option<WorkPool<Key, PathBuf, Decoded>>,
    ctx: egui::Context,
    /// The tile side the decoders cut photos into (the backend tells the largest texture side
    /// with each frame's input).
    tile_side: Arc<AtomicUsize>,
    photos: HashMap<usize, TiledTexture>,
    /// Least recently used first.
    photo_order: VecDeque<usize>,
    thumbs: HashMap<usize, egui::TextureHandle>,
    failed: HashMap<Key, String>,
    /// Submitted and not yet back.
    in_flight: HashSet<Key>,
    /// Asked for during this frame, and during the last one.
    wanted: HashSet<Key>,
    wanted_before: HashSet<Key>,
}

impl ImageCache {
    pub fn new(ctx: &egui::Context) -> Self {
        let waker_ctx = ctx.clone();
        let tile = Arc::new(AtomicUsize::new(tile_side(ctx)));
        let decoder_tile = Arc::clone(&tile);
        let pool = WorkPool::start(
            "decode",
            DECODERS,
            move |key: &Key, path: PathBuf| {
                decode(*key, &path, decoder_tile.load(Ordering::Relaxed))
            },
            &(Arc::new(move || waker_ctx.request_repaint()) as crate::workers::Waker),
        );
        let pool = match pool {
            Ok(pool) => Some(pool),
            Err(err) => {
                log::error!("cannot start the photo decoder threads: {err}");
                None
            }
        };
        Self {
            pool,
            ctx: ctx.clone(),
            tile_side: tile,
            photos: HashMap::new(),
            photo_order: VecDeque::new(),
            thumbs: HashMap::new(),
            failed: HashMap::new(),
            in_flight: HashSet::new(),
            wanted: HashSet::new(),
            wanted_before: HashSet::new(),
        }
    }

    /// Collects finished decodes and drops requests nobody asked for in the last frame. Call once
    /// per frame before drawing.
    pub fn begin_frame(&mut self) {
        self.tile_side
            .store(tile_side(&self.ctx), Ordering::Relaxed);
        let Some(pool) = &self.pool else { return };
        let results: Vec<(Key, Decoded)> = pool.results().collect();
        let keep: HashSet<Key> = self.wanted.union(&self.wanted_before).copied().collect();
        let mut dropped = Vec::new();
        pool.retain(|k| {
            let wanted = keep.contains(k);
            if !wanted {
                dropped.push(*k);
            }
            wanted
        });
        for (key, decoded) in results {
            self.in_flight.remove(&key);
            match decoded {
                Ok(image) => self.insert(key, image),
                Err(err) => {
                    self.failed.insert(key, err);
                }
            }
        }
        for k in dropped {
            self.in_flight.remove(&k);
        }
        self.wanted_before = std::mem::take(&mut self.wanted);
    }

    fn insert(&mut self, key: Key, image: Image) {
        match (key, image) {
            (Key::Thumb(i), Image::Thumb(image)) => {
                let texture = self.ctx.load_texture(
                    format!("thumb-{i}"),
                    image,
                    egui::TextureOptions::LINEAR,
                );
                self.thumbs.insert(i, texture);
            }
            (Key::Photo(i), Image::Photo { size, tiles }) => {
                let texture = TiledTexture::new(
                    &self.ctx,
                    &format!("photo-{i}"),
                    size,
                    tiles,
                    egui::TextureOptions::NEAREST,
                );
                self.photos.insert(i, texture);
                self.touch(i);
                self.evict(i);
            }
            (key, _) => log::error!("the decoder answered {key:?} with the other kind of image"),
        }
    }

    fn touch(&mut self, index: usize) {
        self.photo_order.retain(|&i| i != index);
        self.photo_order.push_back(index);
    }

    /// Drops the least recently used photos beyond the bounds, never `keep`.
    fn evict(&mut self, keep: usize) {
        let bytes = |photos: &HashMap<usize, TiledTexture>| -> usize {
            photos.values().map(TiledTexture::byte_size).sum()
        };
        while self.photos.len() > 1
            && (self.photos.len() > MAX_PHOTOS || bytes(&self.photos) > MAX_PHOTO_BYTES)
        {
            let Some(pos) = self.photo_order.iter().position(|&i| i != keep) else {
                break;
            };
            if let Some(oldest) = self.photo_order.remove(pos) {
                self.photos.remove(&oldest);
            }
        }
    }

    fn request(&mut self, key: Key, priority: i32, path: impl FnOnce() -> PathBuf) {
        self.wanted.insert(key);
        if self.in_flight.contains(&key) || self.failed.contains_key(&key) {
            return;
        }
        if let Some(pool) = &self.pool {
            pool.submit(key, priority, path());
            self.in_flight.insert(key);
        }
    }

    /// The photo of image `index`, decoding it first if needed.
    pub fn photo(&mut self, index: usize, path: impl FnOnce() -> PathBuf) -> PhotoState<'_> {
        let key = Key::Photo(index);
        if self.photos.contains_key(&index) {
            self.touch(index);
            self.wanted.insert(key);
        } else {
            self.request(key, PRIORITY_PHOTO, path);
        }
        if let Some(texture) = self.photos.get(&index) {
            PhotoState::Ready(texture)
        } else if let Some(err) = self.failed.get(&key) {
            PhotoState::Failed(err)
        } else if self.pool.is_none() {
            PhotoState::Failed("the photo decoder threads could not be started")
        } else {
            PhotoState::Loading
        }
    }

    /// Decodes image `index` ahead of time (the next photo the user will step to).
    pub fn prefetch(&mut self, index: usize, path: impl FnOnce() -> PathBuf) {
        if self.photos.contains_key(&index) {
            self.wanted.insert(Key::Photo(index));
        } else {
            self.request(Key::Photo(index), PRIORITY_PREFETCH, path);
        }
    }

    /// Whether the photo of `index` is decoded.
    pub fn has_photo(&self, index: usize) -> bool {
        self.photos.contains_key(&index)
    }

    /// The thumbnail of image `index`, `None` while it is decoded.
    pub fn thumbnail(
        &mut self,
        index: usize,
        path: impl FnOnce() -> PathBuf,
    ) -> Option<&egui::TextureHandle> {
        if !self.thumbs.contains_key(&index) {
            self.request(Key::Thumb(index), PRIORITY_THUMB, path);
        }
        self.thumbs.get(&index)
    }

    /// Why the photo of image `index` cannot be decoded, when it cannot.
    pub fn decode_error(&self, index: usize) -> Option<&str> {
        self.failed
            .get(&Key::Photo(index))
            .or_else(|| self.failed.get(&Key::Thumb(index)))
            .map(String::as_str)
    }

    /// How many photos are decoded right now (tests check the bound).
    pub fn photos_cached(&self) -> usize {
        self.photos.len()
    }
}

fn decode(key: Key, path: &std::path::Path, tile_side: usize) -> Decoded {
    let photo = crate::imageio::read_photo(path).map_err(|e| e.to_string())?;
    let size = [photo.width() as usize, photo.height() as usize];
    Ok(match key {
        Key::Photo(_) => Image::Photo {
            size,
            tiles: cut_into_tiles(size, tile_side, |x0, y0, w, h| {
                let row_bytes = size[0] * 3;
                let mut rgb = Vec::with_capacity(w * h * 3);
                for y in y0..y0 + h {
                    let row = &photo.as_raw()[y * row_bytes..(y + 1) * row_bytes];
                    rgb.extend_from_slice(&row[x0 * 3..(x0 + w) * 3]);
                }
                egui::ColorImage::from_rgb([w, h], &rgb)
            }),
        },
        Key::Thumb(_) => {
            let thumb = image::imageops::thumbnail(&photo, THUMB_W, THUMB_H);
            Image::Thumb(egui::ColorImage::from_rgb(
                [thumb.width() as usize, thumb.height() as usize],
                thumb.as_raw(),
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_keeps_at_most_its_bound_and_always_the_photo_on_screen() {
        let dir = tempfile::tempdir().unwrap();
        let n = MAX_PHOTOS + 6;
        let paths: Vec<PathBuf> = (0..n)
            .map(|i| {
                let path = dir.path().join(format!("p{i}.png"));
                image::RgbImage::from_pixel(8, 6, image::Rgb([i as u8, 0, 0]))
                    .save(&path)
                    .unwrap();
                path
            })
            .collect();
        let mut cache = ImageCache::new(&egui::Context::default());
        // Step through every photo, one "frame" each, waiting for it as the view would.
        for (i, path) in paths.iter().enumerate() {
            loop {
                cache.begin_frame();
                if matches!(cache.photo(i, || path.clone()), PhotoState::Ready(_)) {
                    break;
                }
                std::thread::yield_now();
            }
            assert!(cache.photos_cached() <= MAX_PHOTOS);
        }
        assert_eq!(cache.photos_cached(), MAX_PHOTOS);
        assert!(cache.has_photo(n - 1), "the photo on screen stays");
        assert!(!cache.has_photo(0), "the least recently used went first");

        // A corrupt file is a failure with the reason, not an endless "loading".
        let bad = dir.path().join("bad.png");
        std::fs::write(&bad, b"not a png").unwrap();
        loop {
            cache.begin_frame();
            match cache.photo(n, || bad.clone()) {
                PhotoState::Failed(err) => {
                    assert!(err.contains("bad.png"), "{err}");
                    break;
                }
                PhotoState::Ready(_) => panic!("a corrupt photo decoded"),
                PhotoState::Loading => std::thread::yield_now(),
            }
        }
    }
}
