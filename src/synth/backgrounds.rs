//! Background pictures: found per split in a folder, decoded once, scaled to cover the output size and
//! centre-cropped, and kept in memory for the whole run (150 backgrounds at 640×480 are 138 MB).

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::SynthError;
use crate::imageio::read_photo;
use crate::progress::Progress;
use crate::project::Split;

/// Sub-folder names that hold one split's backgrounds (the seed's generator used the long ones).
fn split_folders(split: Split) -> &'static [&'static str] {
    match split {
        Split::Train => &["train", "training"],
        Split::Val => &["val", "validation"],
        Split::Test => &["test", "testing"],
    }
}

const EXTENSIONS: [&str; 4] = ["jpg", "jpeg", "png", "bmp"];

/// The backgrounds of a run, each exactly the output size.
#[derive(Clone, Debug, Default)]
pub struct Backgrounds {
    pub names: Vec<String>,
    pub images: Vec<image::RgbImage>,
    /// Files that could not be read (one sentence each); they are left out.
    pub skipped: Vec<String>,
}

/// The folder holding `split`'s backgrounds inside `root`: a sub-folder named for the split when
/// there is one (`train`/`training`, `val`/`validation`, `test`), else `root` itself.
pub fn background_folder(root: &Path, split: Split) -> PathBuf {
    split_folders(split)
        .iter()
        .map(|name| root.join(name))
        .find(|p| p.is_dir())
        .unwrap_or_else(|| root.to_path_buf())
}

/// The picture files of a folder, sorted by name (not recursive).
pub fn background_files(folder: &Path) -> Result<Vec<PathBuf>, SynthError> {
    let entries = std::fs::read_dir(folder).map_err(|e| {
        SynthError::Input(format!(
            "cannot list the backgrounds ({e}): {}",
            folder.display()
        ))
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        })
        .collect();
    files.sort();
    Ok(files)
}

impl Backgrounds {
    /// Decodes every picture of `folder` and fits it to `width × height`.
    pub fn load(
        folder: &Path,
        width: u32,
        height: u32,
        progress: &Progress,
    ) -> Result<Self, SynthError> {
        let files = background_files(folder)?;
        progress.start_stage("Loading backgrounds", files.len() as u64);
        let decoded: Vec<Result<image::RgbImage, String>> = files
            .par_iter()
            .map(|path| {
                if progress.is_cancelled() {
                    return Err(String::new());
                }
                let photo = read_photo(path).map_err(|e| e.to_string())?;
                progress.advance(1);
                Ok(cover(&photo, width, height))
            })
            .collect();
        progress.check().map_err(|_| SynthError::Cancelled)?;
        let mut backgrounds = Self::default();
        for (path, result) in files.iter().zip(decoded) {
            match result {
                Ok(image) => {
                    backgrounds.names.push(
                        path.file_name()
                            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                    );
                    backgrounds.images.push(image);
                }
                Err(problem) => backgrounds.skipped.push(problem),
            }
        }
        if backgrounds.images.is_empty() {
            return Err(SynthError::Input(format!(
                "no usable background picture (jpg, png, bmp) in {}{}",
                folder.display(),
                backgrounds
                    .skipped
                    .first()
                    .map_or_else(String::new, |s| format!(" ({s})"))
            )));
        }
        Ok(backgrounds)
    }
}

/// Scales `photo` to cover `width × height` (bilinear) and crops the centre.
pub fn cover(photo: &image::RgbImage, width: u32, height: u32) -> image::RgbImage {
    let (pw, ph) = photo.dimensions();
    if (pw, ph) == (width, height) {
        return photo.clone();
    }
    let scale = (f64::from(width) / f64::from(pw)).max(f64::from(height) / f64::from(ph));
    let (sw, sh) = (
        ((f64::from(pw) * scale).round() as u32).max(width),
        ((f64::from(ph) * scale).round() as u32).max(height),
    );
    let scaled = image::imageops::resize(photo, sw, sh, image::imageops::FilterType::Triangle);
    image::imageops::crop_imm(&scaled, (sw - width) / 2, (sh - height) / 2, width, height)
        .to_image()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_folder_is_found_or_the_root_is_used() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("training")).unwrap();
        assert_eq!(
            background_folder(dir.path(), Split::Train),
            dir.path().join("training")
        );
        assert_eq!(background_folder(dir.path(), Split::Val), dir.path());
    }

    #[test]
    fn cover_fills_the_frame_from_the_centre() {
        // 40×10, left half black, right half white → 20×20 covers by scaling ×2 and keeps the middle.
        let photo = image::RgbImage::from_fn(40, 10, |x, _| {
            if x < 20 {
                image::Rgb([0, 0, 0])
            } else {
                image::Rgb([255, 255, 255])
            }
        });
        let out = cover(&photo, 20, 20);
        assert_eq!(out.dimensions(), (20, 20));
        assert_eq!(out.get_pixel(2, 10).0, [0, 0, 0]);
        assert_eq!(out.get_pixel(17, 10).0, [255, 255, 255]);
    }

    #[test]
    fn empty_folder_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bad.jpg"), b"not a jpeg").unwrap();
        let err = Backgrounds::load(dir.path(), 64, 48, &Progress::default()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("no usable background"), "{text}");
        assert!(text.contains("bad.jpg"), "{text}");
    }
}
