//! Reading photos and label masks with errors that name the file and the problem.

use std::io::Cursor;
use std::path::Path;

/// The largest photo side SegStudio accepts; larger files are refused before decoding.
pub const MAX_SIDE: u32 = 16_384;

/// The largest image an annotation file may describe (width × height), so that a file claiming a
/// vast image is refused before masks of that size are allocated.
pub const MAX_PIXELS: u64 = 100_000_000;

/// Why an image of `width × height` is refused, if it is.
pub fn size_problem(width: u32, height: u32) -> Option<String> {
    if width == 0 || height == 0 {
        Some(format!("the image is {width}x{height}"))
    } else if width > MAX_SIDE
        || height > MAX_SIDE
        || u64::from(width) * u64::from(height) > MAX_PIXELS
    {
        Some(format!(
            "the image is {width}x{height}, beyond the limits ({MAX_SIDE} a side, {} megapixels)",
            MAX_PIXELS / 1_000_000
        ))
    } else {
        None
    }
}

/// A photo or mask that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{problem}: {}", path.display())]
pub struct ImageFileError {
    pub path: std::path::PathBuf,
    pub problem: String,
}

fn fail(path: &Path, problem: impl Into<String>) -> ImageFileError {
    ImageFileError {
        path: path.to_path_buf(),
        problem: problem.into(),
    }
}

/// The pixel size of a photo from its header, without decoding it.
pub fn photo_dimensions(path: &Path) -> Result<(u32, u32), ImageFileError> {
    image::image_dimensions(path).map_err(|e| fail(path, format!("cannot read the photo ({e})")))
}

/// Decodes a photo from its bytes to 8-bit RGB, refusing sizes beyond [`MAX_SIDE`].
pub fn decode_photo(path: &Path, bytes: &[u8]) -> Result<image::RgbImage, ImageFileError> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| fail(path, format!("cannot read the photo ({e})")))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => fail(
            path,
            format!("the photo is larger than {MAX_SIDE}x{MAX_SIDE} pixels"),
        ),
        image::ImageError::Unsupported(_) => fail(path, format!("unsupported image format ({e})")),
        _ => fail(path, format!("the photo is corrupt ({e})")),
    })?;
    Ok(decoded.into_rgb8())
}

/// Reads and decodes a photo file.
pub fn read_photo(path: &Path) -> Result<image::RgbImage, ImageFileError> {
    let bytes =
        std::fs::read(path).map_err(|e| fail(path, format!("cannot read the photo ({e})")))?;
    decode_photo(path, &bytes)
}

/// A decoded 8-bit label image: one class id per pixel, row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelImage {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

/// Reads an 8-bit greyscale or palette PNG as raw label values (palette indices are *not* expanded to
/// colours, as VOC-style masks store the class in the index).
pub fn read_label_png(path: &Path) -> Result<LabelImage, ImageFileError> {
    let bytes =
        std::fs::read(path).map_err(|e| fail(path, format!("cannot read the mask ({e})")))?;
    let mut decoder = png::Decoder::new(Cursor::new(bytes.as_slice()));
    decoder.set_transformations(png::Transformations::IDENTITY);
    let mut reader = decoder
        .read_info()
        .map_err(|e| fail(path, format!("the mask is not a readable PNG ({e})")))?;
    let info = reader.info();
    let (width, height) = (info.width, info.height);
    let (color, depth) = (info.color_type, info.bit_depth);
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(fail(
            path,
            format!("the mask is larger than {MAX_SIDE}x{MAX_SIDE} pixels"),
        ));
    }
    if depth != png::BitDepth::Eight
        || !matches!(color, png::ColorType::Grayscale | png::ColorType::Indexed)
    {
        return Err(fail(
            path,
            format!(
                "the mask must be an 8-bit greyscale or palette PNG of class ids, found {depth:?}-bit {color:?}"
            ),
        ));
    }
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| fail(path, "the mask is too large to decode"))?;
    let mut data = vec![0u8; size];
    reader
        .next_frame(&mut data)
        .map_err(|e| fail(path, format!("the mask is corrupt ({e})")))?;
    data.truncate(width as usize * height as usize);
    Ok(LabelImage {
        width,
        height,
        data,
    })
}

/// Encodes an 8-bit greyscale PNG (fast compression: masks are mostly runs).
pub fn encode_label_png(width: u32, height: u32, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        // Writing into a Vec cannot fail for a buffer of the declared size.
        let mut writer = encoder.write_header().expect("PNG header into memory");
        writer.write_image_data(data).expect("PNG data into memory");
    }
    out
}

/// Encodes an 8-bit palette PNG: the index is the label, `palette` gives each index its colour (VOC
/// masks read as pictures in any viewer and as label ids in any trainer).
pub fn encode_palette_png(
    width: u32,
    height: u32,
    data: &[u8],
    palette: &[[u8; 3]; 256],
) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Indexed);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_palette(palette.concat());
        encoder.set_compression(png::Compression::Fast);
        // Writing into a Vec cannot fail for a buffer of the declared size.
        let mut writer = encoder.write_header().expect("PNG header into memory");
        writer.write_image_data(data).expect("PNG data into memory");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_png_round_trips_raw_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.png");
        let data: Vec<u8> = (0..12).map(|i| [0, 19, 255, 7][i % 4]).collect();
        std::fs::write(&path, encode_label_png(4, 3, &data)).unwrap();
        let label = read_label_png(&path).unwrap();
        assert_eq!((label.width, label.height), (4, 3));
        assert_eq!(label.data, data);
    }

    #[test]
    fn corrupt_photo_names_file_and_problem() {
        let path = Path::new("/data/bad.jpg");
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
        bytes.extend_from_slice(&[0x12; 64]);
        let err = decode_photo(path, &bytes).unwrap_err().to_string();
        assert!(err.contains("/data/bad.jpg"), "{err}");
        assert!(
            err.contains("corrupt") || err.contains("unsupported"),
            "{err}"
        );
    }

    #[test]
    fn rgb_mask_is_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rgb.png");
        image::RgbImage::new(2, 2).save(&path).unwrap();
        let err = read_label_png(&path).unwrap_err().to_string();
        assert!(err.contains("8-bit greyscale or palette"), "{err}");
        assert!(err.contains("rgb.png"), "{err}");
    }
}
