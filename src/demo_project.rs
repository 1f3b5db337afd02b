//! The bundled demo project: photos rendered by [`crate::demo`] with their exact ground truth, written as
//! an ordinary SegStudio project.
//!
//! About half of the photos carry their annotations (for the browser, export and training); the rest are
//! unlabelled for the user to try the tools. The ground truth of every photo is kept apart in
//! `groundtruth/<stem>.ron` (same format as annotations) for benchmarks. Output is deterministic: the
//! same seed gives byte-identical files on any machine.

use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::demo::{DemoParams, DemoPhoto, render_background, render_photo};
use crate::geometry::trace_label_components;
use crate::progress::Progress;
use crate::project::fsio::{FileError, atomic_write};
use crate::project::{
    AnnotationFile, AnnotationState, ImageEntry, Instance, Part, Preset, Project, ProjectError,
    SCHEMA_VERSION, Split, Tool, write_annotation_file, write_annotation_file_in,
};

/// Folder of the ground truth inside the demo project.
pub const GROUNDTRUTH_DIR: &str = "groundtruth";
/// JPEG quality of the demo photos.
const JPEG_QUALITY: u8 = 90;

/// What to render.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub images: u32,
    pub backgrounds: u32,
    pub seed: u64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            images: 60,
            backgrounds: 20,
            seed: 2018,
        }
    }
}

/// What was written.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DemoReport {
    pub images: usize,
    pub labelled: usize,
    pub instances: usize,
    pub backgrounds: usize,
    pub bytes: u64,
    pub seconds: f64,
}

/// The split of photo `i`: 70% train, 15% val, 15% test, interleaved so every split sees every scene kind.
fn split_of(i: u32) -> Split {
    match i % 20 {
        0..=13 => Split::Train,
        14..=16 => Split::Val,
        _ => Split::Test,
    }
}

/// Whether photo `i` ships with its annotations (every other photo).
fn is_annotated(i: u32) -> bool {
    i.is_multiple_of(2)
}

/// Turns the renderer's visible masks into exact polygon instances (no simplification): one instance per
/// object, with one part per visible region (occlusion can cut an object in two, and an object can be
/// seen through another one's hole).
pub fn ground_truth_instances(photo: &DemoPhoto) -> Vec<Instance> {
    (0..photo.instances.len())
        .filter_map(|k| object_ground_truth(photo, k))
        .enumerate()
        .map(|(i, mut inst)| {
            inst.id = i as u32 + 1;
            inst.order = i as i32 + 1;
            inst
        })
        .collect()
}

/// The exact polygons of object `k` of a rendered photo (id and order still to be assigned), or
/// `None` when none of it is visible.
pub fn object_ground_truth(photo: &DemoPhoto, k: usize) -> Option<Instance> {
    let (w, h) = photo.image.dimensions();
    let object = &photo.instances[k];
    let binary: Vec<u8> = object
        .visible
        .as_raw()
        .iter()
        .map(|&v| u8::from(v != 0))
        .collect();
    let parts: Vec<Part> = trace_label_components(&binary, w, h, Some(0))
        .into_iter()
        .map(|comp| Part {
            outer: comp.outer,
            holes: comp.holes.into_iter().map(|(ring, _)| ring).collect(),
        })
        .collect();
    (!parts.is_empty()).then_some(Instance {
        id: 0,
        class_id: object.class_id,
        parts,
        order: 0,
        tool: Tool::DemoRender,
    })
}

/// Encodes a demo photo exactly as the demo project stores it.
pub fn encode_jpeg(image: &image::RgbImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY);
    // Encoding into memory cannot fail for a valid RGB buffer.
    image
        .write_with_encoder(encoder)
        .expect("JPEG encoding into memory");
    bytes
}

/// A photo written to disk: its entry, ground truth and JPEG size.
type RenderedPhoto = (ImageEntry, Vec<Instance>, u64);

/// Renders the demo project into `out` (which must not hold a project yet).
pub fn build_demo_project(
    out: &Path,
    options: &DemoOptions,
    progress: &Progress,
) -> Result<DemoReport, ProjectError> {
    let started = Instant::now();
    let mut project = Project::create(out, "demo", Preset::AtWork)?;
    let params = DemoParams::default();
    let gt_dir = out.join(GROUNDTRUTH_DIR);
    std::fs::create_dir_all(&gt_dir).map_err(|e| FileError::new("cannot create", &gt_dir, e))?;
    progress.start_stage(
        "rendering demo photos",
        u64::from(options.images + options.backgrounds),
    );

    let photos: Vec<Result<RenderedPhoto, ProjectError>> = (0..options.images)
        .into_par_iter()
        .map(|i| {
            progress
                .check()
                .map_err(|_| ProjectError::Other("demo rendering cancelled".into()))?;
            let photo = render_photo(options.seed, i, &params);
            let file = format!("demo_{i:03}.jpg");
            let jpeg = encode_jpeg(&photo.image);
            atomic_write(&out.join("images").join(&file), &jpeg)?;
            let instances = ground_truth_instances(&photo);
            let truth = AnnotationFile {
                schema_version: SCHEMA_VERSION,
                image: file.clone(),
                instances: instances.clone(),
            };
            write_annotation_file_in(&gt_dir, &truth)?;
            progress.advance(1);
            let (width, height) = photo.image.dimensions();
            Ok((
                ImageEntry {
                    file,
                    width,
                    height,
                    split: Some(split_of(i)),
                    done: false,
                },
                instances,
                jpeg.len() as u64,
            ))
        })
        .collect();
    let background_bytes: Vec<Result<u64, ProjectError>> = (0..options.backgrounds)
        .into_par_iter()
        .map(|i| {
            let jpeg = encode_jpeg(&render_background(options.seed, i, &params));
            atomic_write(
                &out.join("backgrounds").join(format!("table_{i:03}.jpg")),
                &jpeg,
            )?;
            progress.advance(1);
            Ok(jpeg.len() as u64)
        })
        .collect();

    let mut report = DemoReport::default();
    for bytes in background_bytes {
        report.bytes += bytes?;
        report.backgrounds += 1;
    }
    for (i, result) in photos.into_iter().enumerate() {
        let (entry, instances, bytes) = result?;
        report.bytes += bytes;
        report.images += 1;
        let state = if is_annotated(i as u32) && !instances.is_empty() {
            report.labelled += 1;
            report.instances += instances.len();
            let annotation = AnnotationFile {
                schema_version: SCHEMA_VERSION,
                image: entry.file.clone(),
                instances,
            };
            write_annotation_file(out, &annotation)?;
            AnnotationState::Labelled(annotation)
        } else {
            AnnotationState::Unlabelled
        };
        project.add_image(entry, state);
    }
    project.save_project_file()?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Writes a PNG grid (4 columns, 320×240 cells) of the first `count` photos of a project.
pub fn write_contact_sheet(
    project_root: &Path,
    out: &Path,
    count: usize,
) -> Result<(), ProjectError> {
    let project = Project::open(project_root)?;
    let n = count.min(project.file().images.len());
    if n == 0 {
        return Err(ProjectError::Other(format!(
            "no photos in {}",
            project_root.display()
        )));
    }
    let (cell_w, cell_h, columns) = (320u32, 240u32, 4usize);
    let rows = n.div_ceil(columns) as u32;
    let mut sheet = image::RgbImage::from_pixel(
        cell_w * columns as u32,
        cell_h * rows,
        image::Rgb([24, 24, 24]),
    );
    for i in 0..n {
        let photo = crate::imageio::read_photo(&project.image_path(i))
            .map_err(|e| ProjectError::Other(e.to_string()))?;
        let small = image::imageops::resize(
            &photo,
            cell_w,
            cell_h,
            image::imageops::FilterType::Triangle,
        );
        let (x, y) = ((i % columns) as u32 * cell_w, (i / columns) as u32 * cell_h);
        image::imageops::replace(&mut sheet, &small, i64::from(x), i64::from(y));
    }
    let mut bytes = Vec::new();
    sheet
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .map_err(|e| ProjectError::Other(format!("cannot encode {}: {e}", out.display())))?;
    atomic_write(out, &bytes)?;
    Ok(())
}
