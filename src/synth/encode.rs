//! The per-image files of a run: JPEG photo, 8-bit label PNG, 16-bit instance PNG, YOLO boxes and
//! the COCO annotations (pycocotools' compressed RLE of each object's visible pixels).

use std::fmt::Write as _;

use super::compose::{PlacedObject, Rendered};
use crate::formats::coco::{CocoAnnotation, CompressedRle, Segmentation, compress_counts};
use crate::project::IGNORE_LABEL;

/// Encodes RGB as baseline 4:2:0 JPEG with the encoder this build has: libjpeg-turbo's SIMD one
/// with the `fast-jpeg` feature, otherwise [`encode_jpeg_portable`].
pub fn encode_jpeg(image: &image::RgbImage, quality: u8) -> Vec<u8> {
    #[cfg(feature = "fast-jpeg")]
    {
        encode_jpeg_turbo(image, quality)
    }
    #[cfg(not(feature = "fast-jpeg"))]
    {
        encode_jpeg_portable(image, quality)
    }
}

/// The encoder [`encode_jpeg`] uses, by name (for timings and manifests).
pub const JPEG_ENCODER: &str = if cfg!(feature = "fast-jpeg") {
    "libjpeg-turbo (mozjpeg, fastest profile)"
} else {
    "jpeg-encoder"
};

/// Encodes RGB as baseline JPEG with the `jpeg-encoder` crate (its AVX2 path where the CPU has it).
pub fn encode_jpeg_portable(image: &image::RgbImage, quality: u8) -> Vec<u8> {
    let (w, h) = image.dimensions();
    let mut out = Vec::with_capacity(image.as_raw().len() / 6);
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    // 4:2:0 chroma, as libjpeg and Pillow write at every quality (the crate keeps 4:4:4 from q90).
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    // Sizes are checked to be within 16–8192 by the parameters; encoding into memory cannot fail.
    encoder
        .encode(
            image.as_raw(),
            w as u16,
            h as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .expect("JPEG encoding into memory");
    out
}

/// Encodes RGB with libjpeg-turbo's SIMD code: mozjpeg with its "fastest" profile is libjpeg-turbo
/// (no trellis, no progressive scans, standard Huffman tables), the encoder Pillow uses.
#[cfg(feature = "fast-jpeg")]
pub fn encode_jpeg_turbo(image: &image::RgbImage, quality: u8) -> Vec<u8> {
    let (w, h) = image.dimensions();
    let mut compress = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
    compress.set_fastest_defaults();
    compress.set_size(w as usize, h as usize);
    compress.set_quality(f32::from(quality));
    compress.set_chroma_sampling_pixel_sizes((2, 2), (2, 2));
    // Encoding a checked size into memory fails only on allocation failure.
    let mut started = compress
        .start_compress(Vec::with_capacity(image.as_raw().len() / 6))
        .expect("JPEG encoder start");
    started
        .write_scanlines(image.as_raw())
        .expect("JPEG scanlines into memory");
    started.finish().expect("JPEG encoding into memory")
}

/// Encodes 16-bit greyscale (big-endian, as PNG stores it) with fast compression.
pub fn encode_instance_png(width: u32, height: u32, ids: &[u16]) -> Vec<u8> {
    let bytes: Vec<u8> = ids.iter().flat_map(|v| v.to_be_bytes()).collect();
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Sixteen);
        encoder.set_compression(png::Compression::Fast);
        // Writing into a Vec cannot fail for a buffer of the declared size.
        let mut writer = encoder.write_header().expect("PNG header into memory");
        writer
            .write_image_data(&bytes)
            .expect("PNG data into memory");
    }
    out
}

/// Whether an object is a labelled one (boxes and COCO list only those).
fn is_labelled(o: &PlacedObject) -> bool {
    o.instance != 0 && o.label != 0 && o.label != IGNORE_LABEL && o.visible > 0
}

/// YOLO detection lines `class cx cy w h` (class = label id − 1, normalised) of the visible pixels.
pub fn yolo_boxes(rendered: &Rendered, width: u32, height: u32) -> String {
    let (w, h) = (f64::from(width), f64::from(height));
    let mut text = String::new();
    for o in rendered.objects.iter().filter(|o| is_labelled(o)) {
        let [x0, y0, x1, y1] = o.bbox.map(f64::from);
        let _ = writeln!(
            text,
            "{} {:.6} {:.6} {:.6} {:.6}",
            o.label - 1,
            f64::midpoint(x0, x1) / w,
            f64::midpoint(y0, y1) / h,
            (x1 - x0) / w,
            (y1 - y0) / h
        );
    }
    text
}

/// The COCO id of image `index` (from 1) and of its `k`-th object: fixed by the index alone, so the
/// annotations of a shard are those of the whole run.
pub fn coco_image_id(index: u64) -> u64 {
    index + 1
}

fn coco_annotation_id(index: u64, k: usize) -> u64 {
    (index + 1) * 1000 + k as u64
}

/// The COCO annotations of one image.
pub fn coco_annotations(rendered: &Rendered, width: u32, height: u32) -> Vec<CocoAnnotation> {
    rendered
        .objects
        .iter()
        .filter(|o| is_labelled(o))
        .enumerate()
        .map(|(k, o)| {
            let counts = visible_runs(&rendered.instances, width, height, o.instance, o.bbox);
            let [x0, y0, x1, y1] = o.bbox.map(f64::from);
            CocoAnnotation {
                id: coco_annotation_id(rendered.index, k),
                image_id: coco_image_id(rendered.index),
                category_id: u64::from(o.label),
                segmentation: Segmentation::CompressedRle(CompressedRle {
                    counts: compress_counts(&counts),
                    size: [height, width],
                }),
                area: f64::from(o.visible),
                bbox: [x0, y0, x1 - x0, y1 - y0],
                iscrowd: 0,
            }
        })
        .collect()
}

/// COCO's column-major runs (background first) of the pixels equal to `id`, walking only `bbox`.
pub fn visible_runs(ids: &[u16], width: u32, height: u32, id: u16, bbox: [u32; 4]) -> Vec<u32> {
    let h = u64::from(height);
    let total = u64::from(width) * h;
    let [x0, y0, x1, y1] = bbox;
    let mut counts = Vec::new();
    let mut last_end = 0u64;
    let mut open: Option<u64> = None;
    let full_height = y0 == 0 && y1 == height;
    for x in x0..x1 {
        for y in y0..y1 {
            let set = ids[(y * width + x) as usize] == id;
            let at = u64::from(x) * h + u64::from(y);
            match (set, open) {
                (true, None) => {
                    counts.push((at - last_end) as u32);
                    open = Some(at);
                }
                (false, Some(start)) => {
                    counts.push((at - start) as u32);
                    last_end = at;
                    open = None;
                }
                _ => {}
            }
        }
        // Rows outside the box are never set: a run open at the box's bottom ends there, unless the
        // box spans the whole column and the run goes on at the top of the next one.
        if let Some(start) = open
            && !full_height
        {
            let at = u64::from(x) * h + u64::from(y1);
            counts.push((at - start) as u32);
            last_end = at;
            open = None;
        }
    }
    if let Some(start) = open {
        let at = u64::from(x1 - 1) * h + u64::from(y1);
        counts.push((at - start) as u32);
        last_end = at;
    }
    // As pycocotools (and the exporter) do, a mask ending on its last pixel has no empty last run.
    if total > last_end || counts.is_empty() {
        counts.push((total - last_end) as u32);
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::coco::Rle;

    #[test]
    fn visible_runs_match_the_full_image_encoder() {
        // Independent reference: the exporter's RLE of the whole 0/1 mask.
        let (w, h) = (7u32, 5u32);
        let mut ids = vec![0u16; (w * h) as usize];
        for (x, y) in [(1, 1), (1, 2), (2, 2), (3, 0), (3, 4), (6, 4), (4, 1)] {
            ids[(y * w + x) as usize] = 3;
        }
        ids[(2 * w + 5) as usize] = 2; // another instance inside the box
        let mask: Vec<u8> = ids.iter().map(|&v| u8::from(v == 3)).collect();
        let reference = Rle::encode(&mask, w, h).counts;
        assert_eq!(visible_runs(&ids, w, h, 3, [1, 0, 7, 5]), reference);
        // A box that does not span the full height.
        let mut ids = vec![0u16; (w * h) as usize];
        for (x, y) in [(2, 1), (2, 2), (3, 1), (3, 2)] {
            ids[(y * w + x) as usize] = 1;
        }
        let mask: Vec<u8> = ids.iter().map(|&v| u8::from(v == 1)).collect();
        assert_eq!(
            visible_runs(&ids, w, h, 1, [2, 1, 4, 3]),
            Rle::encode(&mask, w, h).counts
        );
    }

    /// Mean absolute error of `jpeg` decoded (by the `image` crate's decoder) against `image`.
    fn decoded_error(jpeg: &[u8], image: &image::RgbImage) -> f64 {
        let decoded = image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)
            .expect("decodes")
            .to_rgb8();
        assert_eq!(decoded.dimensions(), image.dimensions());
        let sum: u64 = decoded
            .as_raw()
            .iter()
            .zip(image.as_raw())
            .map(|(&a, &b)| u64::from(a.abs_diff(b)))
            .sum();
        sum as f64 / image.as_raw().len() as f64
    }

    #[test]
    fn jpeg_encoders_write_what_a_decoder_reads_back_at_q95() {
        // Smooth colour ramps with a hard-edged square: q95 keeps every channel within a couple
        // of levels on average; a wrong sampling factor, size or colour order would not.
        let image = image::RgbImage::from_fn(64, 48, |x, y| {
            let inside = (20..40).contains(&x) && (10..30).contains(&y);
            image::Rgb([(x * 4) as u8, (y * 5) as u8, if inside { 230 } else { 40 }])
        });
        let portable = encode_jpeg_portable(&image, 95);
        assert!(decoded_error(&portable, &image) < 2.5);
        let chosen = encode_jpeg(&image, 95);
        assert!(decoded_error(&chosen, &image) < 2.5, "{JPEG_ENCODER}");
        // Lower quality loses more: the setting reaches the encoder.
        assert!(decoded_error(&encode_jpeg(&image, 30), &image) > decoded_error(&chosen, &image));
    }

    #[test]
    fn instance_png_keeps_16_bit_ids() {
        let ids = [0u16, 1, 300, 65535];
        let bytes = encode_instance_png(2, 2, &ids);
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut buf).unwrap();
        let back: Vec<u16> = buf
            .chunks_exact(2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .collect();
        assert_eq!(back, ids);
    }
}
