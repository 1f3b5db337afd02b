//! The samples a run trains and validates on: the project's labelled photos of the chosen splits and
//! the images of finished synthesis runs, each decoded once at the run's input size with its label
//! map through the run's variant (ignore = 255) and kept in memory.
//!
//! Photos are resized bilinearly with the filter scaled to the reduction (as Pillow's `BILINEAR`
//! that the torch peer uses), labels by nearest neighbour.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use image::imageops::FilterType;

use crate::formats::render_label_map;
use crate::imageio::{read_label_png, read_photo};
use crate::project::schema::{Instance, Variant, VariantTarget};
use crate::project::{IGNORE_LABEL, Project, ProjectError, Split};
use crate::synth::SynthManifest;

/// Where one sample's pixels and labels come from.
#[derive(Clone, Debug)]
enum Source {
    /// A labelled photo: its instances are rasterised through the variant.
    Real {
        photo: PathBuf,
        instances: Vec<Instance>,
        width: u32,
        height: u32,
    },
    /// A synthetic image whose label PNG holds the synthesis run's `full` ids, mapped by `lut`.
    Synth {
        image: PathBuf,
        labels: PathBuf,
        lut: Arc<[u8; 256]>,
    },
}

/// One sample at the input size: interleaved RGB and its label ids, row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    pub rgb: Vec<u8>,
    pub labels: Vec<u8>,
}

/// A list of samples, decoded on first use and then cached.
pub struct Dataset {
    names: Vec<String>,
    sources: Vec<Source>,
    variant: Variant,
    size: [u32; 2],
    cache: Vec<OnceLock<Arc<Decoded>>>,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// The sample's file name (photo name, or `<run>/<stem>` for synthetic images).
    pub fn name(&self, index: usize) -> &str {
        &self.names[index]
    }

    pub fn size(&self) -> [u32; 2] {
        self.size
    }

    /// Sample `index` at the input size; the first call decodes it, later ones share the result.
    pub fn get(&self, index: usize) -> Result<Arc<Decoded>, String> {
        if let Some(done) = self.cache[index].get() {
            return Ok(done.clone());
        }
        let decoded = Arc::new(decode(&self.sources[index], &self.variant, self.size)?);
        Ok(self.cache[index].get_or_init(|| decoded).clone())
    }

    /// Bytes one cached sample takes (RGB and labels at the input size).
    pub fn bytes_per_sample(&self) -> u64 {
        u64::from(self.size[0]) * u64::from(self.size[1]) * 4
    }

    /// Decodes every sample now (in parallel), so the training clock and the loader never wait on
    /// a first decode; stops at the first unreadable file, naming it.
    pub fn preload(&self, progress: &crate::progress::Progress) -> Result<(), String> {
        use rayon::prelude::*;
        progress.start_stage("decoding samples", self.len() as u64);
        (0..self.len()).into_par_iter().try_for_each(|i| {
            progress.check().map_err(|e| e.to_string())?;
            self.get(i)?;
            progress.advance(1);
            Ok(())
        })
    }
}

/// Builds the datasets: real photos of `splits` and images of the synthesis runs named in
/// `synth_runs`, through `variant` (the run's own copy of the map). Names a missing run; a split without labelled
/// photos simply adds none.
pub fn build(
    project: &Project,
    variant: &Variant,
    splits: &[Split],
    synth_runs: &[String],
    size: [u32; 2],
) -> Result<(Dataset, usize), ProjectError> {
    let variant = variant.clone();
    let mut names = Vec::new();
    let mut sources = Vec::new();
    for &split in splits {
        let (todo, _) = crate::formats::select_images(project, "train", Some(split));
        for i in todo {
            let image = &project.file().images[i];
            names.push(image.file.clone());
            sources.push(Source::Real {
                photo: project.image_path(i),
                instances: project.instances(i).to_vec(),
                width: image.width,
                height: image.height,
            });
        }
    }
    let real = sources.len();
    if !synth_runs.is_empty() {
        let scan = crate::synth::run::finished_runs(project.root());
        for id in synth_runs {
            let Some(run) = scan.runs.iter().find(|r| &r.id == id) else {
                let found: Vec<&str> = scan.runs.iter().map(|r| r.id.as_str()).collect();
                return Err(ProjectError::Other(format!(
                    "no finished synthesis run {id:?} in {}; found: {}",
                    project.root().join("synth").display(),
                    if found.is_empty() {
                        "none".to_owned()
                    } else {
                        found.join(", ")
                    }
                )));
            };
            let lut = Arc::new(synth_lut(&run.record, &variant));
            for image in &run.record.images {
                let stem = crate::synth::run::image_stem(image.index);
                names.push(format!("{id}/{stem}"));
                sources.push(Source::Synth {
                    image: run.dir.join("images").join(format!("{stem}.jpg")),
                    labels: run.dir.join("labels").join(format!("{stem}.png")),
                    lut: lut.clone(),
                });
            }
        }
    }
    let cache = (0..sources.len()).map(|_| OnceLock::new()).collect();
    Ok((
        Dataset {
            names,
            sources,
            variant,
            size,
            cache,
        },
        real,
    ))
}

/// Maps a synthesis run's label ids (its snapshot's `full` labels) to `variant`'s, through the
/// stable class ids: a class the variant ignores, or that the project no longer has, becomes 255.
pub fn synth_lut(manifest: &SynthManifest, variant: &Variant) -> [u8; 256] {
    let mut lut = [IGNORE_LABEL; 256];
    lut[0] = 0;
    for (class, target) in &manifest.snapshot.variant.mapping {
        if let VariantTarget::Label(from) = target {
            lut[usize::from(*from)] = match variant.mapping.get(class) {
                Some(VariantTarget::Label(to)) => *to,
                _ => IGNORE_LABEL,
            };
        }
    }
    lut
}

fn decode(source: &Source, variant: &Variant, [w, h]: [u32; 2]) -> Result<Decoded, String> {
    let (photo, labels, full) = match source {
        Source::Real {
            photo,
            instances,
            width,
            height,
        } => {
            let rgb = read_photo(photo).map_err(|e| e.to_string())?;
            check_size(photo, &rgb, *width, *height)?;
            let labels = render_label_map(instances, variant, *width, *height);
            (rgb, labels, (*width, *height))
        }
        Source::Synth { image, labels, lut } => {
            let rgb = read_photo(image).map_err(|e| e.to_string())?;
            let label = read_label_png(labels).map_err(|e| e.to_string())?;
            check_size(labels, &rgb, label.width, label.height)?;
            let mapped = label.data.iter().map(|&l| lut[usize::from(l)]).collect();
            (rgb, mapped, (label.width, label.height))
        }
    };
    let rgb = if photo.dimensions() == (w, h) {
        photo.into_raw()
    } else {
        image::imageops::resize(&photo, w, h, FilterType::Triangle).into_raw()
    };
    Ok(Decoded {
        rgb,
        labels: resize_nearest(&labels, full, (w, h)),
    })
}

fn check_size(path: &Path, rgb: &image::RgbImage, width: u32, height: u32) -> Result<(), String> {
    if rgb.dimensions() == (width, height) {
        Ok(())
    } else {
        Err(format!(
            "{} is {}x{}, but its labels are {width}x{height}",
            path.display(),
            rgb.width(),
            rgb.height()
        ))
    }
}

/// Nearest-neighbour resize of a label map (pixel centres, as Pillow's `NEAREST`).
pub fn resize_nearest(src: &[u8], (sw, sh): (u32, u32), (dw, dh): (u32, u32)) -> Vec<u8> {
    if (sw, sh) == (dw, dh) {
        return src.to_vec();
    }
    let xs: Vec<usize> = (0..dw)
        .map(|x| {
            (((f64::from(x) + 0.5) * f64::from(sw) / f64::from(dw)) as usize).min(sw as usize - 1)
        })
        .collect();
    let mut out = Vec::with_capacity(dw as usize * dh as usize);
    for y in 0..dh {
        let sy =
            (((f64::from(y) + 0.5) * f64::from(sh) / f64::from(dh)) as usize).min(sh as usize - 1);
        let row = &src[sy * sw as usize..(sy + 1) * sw as usize];
        out.extend(xs.iter().map(|&sx| row[sx]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_resize_picks_pixel_centres() {
        // 4×2 → 2×1: destination pixel centres 0.5 and 1.5 map to source x 1 and 3, y 1.
        let src = [0, 1, 2, 3, 4, 5, 6, 7];
        assert_eq!(resize_nearest(&src, (4, 2), (2, 1)), vec![5, 7]);
        // 2×1 → 4×1: each source pixel twice.
        assert_eq!(resize_nearest(&[8, 9], (2, 1), (4, 1)), vec![8, 8, 9, 9]);
    }
}
