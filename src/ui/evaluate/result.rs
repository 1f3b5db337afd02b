//! The Evaluate job's work and result: a run scored on a split at full resolution, each label's
//! share of the training pixels (the seed's slide plots IoU against it), and the gallery's
//! thumbnails (photo | truth | prediction | errors), all made on the job's thread.

use crate::eval::Confusion;
use crate::formats::render_label_map;
use crate::progress::Progress;
use crate::project::runs::DatasetSnapshot;
use crate::project::{IGNORE_LABEL, Project, Split, VariantTarget};
use crate::train::{Evaluation, Predictor, RunDir};

/// Width of a gallery thumbnail.
pub const THUMB_WIDTH: u32 = 240;

/// One image of the gallery.
pub struct GalleryImage {
    pub file: String,
    pub miou: Option<f64>,
    /// Photo, truth, prediction, errors.
    pub thumbs: [egui::ColorImage; 4],
}

pub struct EvalResult {
    pub run: String,
    pub checkpoint: String,
    pub split: Option<Split>,
    pub evaluation: Evaluation,
    pub confusion: Confusion,
    /// Label names by id ("background" first).
    pub names: Vec<String>,
    pub colors: Vec<egui::Color32>,
    /// Each label's share of the training split's pixels, in percent.
    pub train_share: Vec<Option<f64>>,
    /// Worst image first.
    pub gallery: Vec<GalleryImage>,
}

/// Colour of each label: the colour of the first class mapped to it; background mid grey (it
/// must show as a bar on the dark theme).
pub fn label_colors(snapshot: &DatasetSnapshot) -> Vec<egui::Color32> {
    let mut colors = vec![egui::Color32::from_gray(110)];
    for label in 1..=snapshot.variant.labels.len() {
        let class = snapshot
            .variant
            .mapping
            .iter()
            .find_map(|(id, t)| (*t == VariantTarget::Label(label as u8)).then_some(*id));
        let rgb = class
            .and_then(|id| snapshot.classes.iter().find(|c| c.id == id))
            .map_or([200, 200, 200], |c| c.color);
        colors.push(egui::Color32::from_rgb(rgb[0], rgb[1], rgb[2]));
    }
    colors
}

/// Scores run `id` with checkpoint `which` on `split` and prepares everything the views show.
pub fn evaluate_run(
    project: &Project,
    id: &str,
    which: Option<&str>,
    split: Option<Split>,
    progress: &Progress,
) -> Result<EvalResult, String> {
    let run = RunDir::open(project.root(), id);
    let predictor = Predictor::load(&run, which, &candle_core::Device::Cpu)?;
    let evaluation = crate::train::evaluate(project, id, &predictor, split, true, progress)?;
    let record = &predictor.record;
    let names = record.label_names();
    let colors = label_colors(&record.snapshot);
    progress.start_stage("pixel shares", 1);
    let analysis = crate::dataset::analyse(project);
    let mut train_share = vec![None; names.len()];
    for row in &analysis.classes {
        if let Some(VariantTarget::Label(l)) = record.snapshot.variant.mapping.get(&row.id) {
            let slot = &mut train_share[usize::from(*l)];
            *slot = Some(slot.unwrap_or(0.0) + row.share[0] * 100.0);
        }
    }
    progress.start_stage("gallery", evaluation.predictions.len() as u64);
    let mut gallery = Vec::with_capacity(evaluation.predictions.len());
    for (index, predicted) in &evaluation.predictions {
        progress.check().map_err(|e| e.to_string())?;
        let image = &project.file().images[*index];
        let photo =
            crate::imageio::read_photo(&project.image_path(*index)).map_err(|e| e.to_string())?;
        let truth = render_label_map(
            project.instances(*index),
            &record.snapshot.variant,
            image.width,
            image.height,
        );
        let miou = evaluation
            .per_image
            .iter()
            .find(|s| s.file == image.file)
            .and_then(|s| s.miou);
        gallery.push(GalleryImage {
            file: image.file.clone(),
            miou,
            thumbs: thumbnails(&photo, &truth, predicted, &colors),
        });
        progress.advance(1);
    }
    gallery.sort_by(|a, b| a.miou.unwrap_or(0.0).total_cmp(&b.miou.unwrap_or(0.0)));
    let confusion = evaluation
        .confusion
        .clone()
        .unwrap_or_else(|| Confusion::new(names.len()));
    Ok(EvalResult {
        run: id.to_owned(),
        checkpoint: predictor.weights.file_name().map_or_else(
            || predictor.weights.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        split,
        evaluation,
        confusion,
        names,
        colors,
        train_share,
        gallery,
    })
}

/// The four thumbnails of one image, sampled by nearest neighbour.
fn thumbnails(
    photo: &image::RgbImage,
    truth: &[u8],
    predicted: &[u8],
    colors: &[egui::Color32],
) -> [egui::ColorImage; 4] {
    let (w, h) = photo.dimensions();
    let tw = THUMB_WIDTH.min(w);
    let th = (u64::from(h) * u64::from(tw) / u64::from(w)).max(1) as u32;
    let size = [tw as usize, th as usize];
    let colour = |l: u8| {
        if l == IGNORE_LABEL {
            egui::Color32::from_gray(128)
        } else {
            colors
                .get(usize::from(l))
                .copied()
                .unwrap_or(egui::Color32::WHITE)
        }
    };
    let mut out: [Vec<egui::Color32>; 4] = Default::default();
    for ty in 0..th {
        let sy = (u64::from(ty) * u64::from(h) / u64::from(th)) as u32;
        for tx in 0..tw {
            let sx = (u64::from(tx) * u64::from(w) / u64::from(tw)) as u32;
            let i = (sy * w + sx) as usize;
            let p = photo.get_pixel(sx, sy).0;
            out[0].push(egui::Color32::from_rgb(p[0], p[1], p[2]));
            out[1].push(colour(truth[i]));
            out[2].push(colour(predicted[i]));
            out[3].push(if truth[i] == IGNORE_LABEL {
                egui::Color32::from_gray(128)
            } else if truth[i] == predicted[i] {
                egui::Color32::from_rgb(p[0] / 3, p[1] / 3, p[2] / 3)
            } else {
                egui::Color32::from_rgb(230, 40, 40)
            });
        }
    }
    out.map(|pixels| egui::ColorImage::new(size, pixels))
}
