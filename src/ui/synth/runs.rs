//! Batch runs from the workspace: a form (name, split, count) that starts the run as a job with
//! progress, ETA and cancel, and the list of finished runs in `synth/` (found by scanning, as the
//! Train workspace finds them) with a browser of their images and labels.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, channel};

use crate::project::Split;
use crate::project::runs::RunScan;
use crate::synth::run::{RunReport, RunRequest, image_stem};
use crate::synth::{SynthError, SynthManifest, SynthParams, run_batch};
use crate::ui::jobs::{JobError, JobHandle, JobKind};
use crate::ui::workspace::WorkspaceContext;

/// One image of a finished run, decoded off the UI thread.
struct Browsed {
    run: String,
    index: u64,
    photo: Option<egui::TextureHandle>,
    label: Option<egui::TextureHandle>,
    error: Option<String>,
}

type Decoded = (
    String,
    u64,
    Result<(egui::ColorImage, egui::ColorImage), String>,
);

/// State of the runs panel.
pub struct RunsPanel {
    pub name: String,
    pub count: u64,
    pub split: Split,
    job: Option<JobHandle<RunReport, ()>>,
    scan: Option<RunScan<SynthManifest>>,
    scanning: Option<Receiver<RunScan<SynthManifest>>>,
    selected: Option<String>,
    index: u64,
    browsed: Option<Browsed>,
    decoding: Option<Receiver<Decoded>>,
}

impl Default for RunsPanel {
    fn default() -> Self {
        Self {
            name: String::new(),
            count: 500,
            split: Split::Train,
            job: None,
            scan: None,
            scanning: None,
            selected: None,
            index: 0,
            browsed: None,
            decoding: None,
        }
    }
}

/// A run name not taken in `synth/`: `run-001`, `run-002`, …
fn free_name(root: &Path) -> String {
    (1..=9999)
        .map(|n| format!("run-{n:03}"))
        .find(|name| !root.join("synth").join(name).exists())
        .unwrap_or_else(|| "run".to_owned())
}

impl RunsPanel {
    pub fn running(&self) -> bool {
        self.job.is_some()
    }

    /// Rescans `synth/` on a thread.
    pub fn rescan(&mut self, root: &Path, ctx: &egui::Context) {
        let (sender, receiver) = channel();
        let (root, ctx) = (root.to_path_buf(), ctx.clone());
        let spawned = std::thread::Builder::new()
            .name("synth-scan".into())
            .spawn(move || {
                sender.send(crate::synth::run::finished_runs(&root)).ok();
                ctx.request_repaint();
            });
        if spawned.is_ok() {
            self.scanning = Some(receiver);
        }
    }

    pub fn poll(&mut self, cx: &mut WorkspaceContext<'_>, ctx: Option<&egui::Context>) {
        if let Some(receiver) = &self.scanning
            && let Ok(scan) = receiver.try_recv()
        {
            self.scan = Some(scan);
            self.scanning = None;
        }
        if let Some(receiver) = &self.decoding
            && let Ok((run, index, result)) = receiver.try_recv()
        {
            self.decoding = None;
            let mut browsed = Browsed {
                run,
                index,
                photo: None,
                label: None,
                error: None,
            };
            match (result, ctx) {
                (Ok((photo, label)), Some(ctx)) => {
                    browsed.photo = Some(ctx.load_texture(
                        "synth-run-photo",
                        photo,
                        egui::TextureOptions::LINEAR,
                    ));
                    browsed.label = Some(ctx.load_texture(
                        "synth-run-label",
                        label,
                        egui::TextureOptions::NEAREST,
                    ));
                }
                (Err(e), _) => browsed.error = Some(e),
                _ => {}
            }
            self.browsed = Some(browsed);
        }
        if let Some(handle) = &mut self.job
            && let Some(result) = handle.finished(cx.toasts)
        {
            self.job = None;
            match result {
                Ok(report) => {
                    cx.toasts.info(format!(
                        "Generated {} images in {:.1} s into {}",
                        report.images,
                        report.seconds,
                        report.dir.display()
                    ));
                    for s in report.skipped.iter().take(3) {
                        cx.toasts.warning(s.clone());
                    }
                    self.selected = report
                        .dir
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned());
                    self.name.clear();
                }
                Err(JobError::Cancelled) => {
                    cx.toasts
                        .info("Synthesis cancelled; no run was left behind");
                }
                Err(err) => cx.toasts.error(format!("Synthesis failed: {err}")),
            }
            if let Some(ctx) = ctx {
                self.rescan(cx.open.project().root(), ctx);
            }
        }
    }

    /// The batch form and the run list.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &mut WorkspaceContext<'_>, params: &SynthParams) {
        if self.scan.is_none() && self.scanning.is_none() {
            self.rescan(cx.open.project().root(), ui.ctx());
        }
        let root = cx.open.project().root().to_path_buf();
        if self.name.is_empty() {
            self.name = free_name(&root);
        }
        ui.heading("New run");
        egui::Grid::new("synth-run-form")
            .num_columns(2)
            .show(ui, |ui| {
                ui.label("Name");
                ui.add(egui::TextEdit::singleline(&mut self.name).desired_width(160.0))
                    .on_hover_text("The run's folder in the project's synth/");
                ui.end_row();
                ui.label("Split");
                egui::ComboBox::from_id_salt("synth-run-split")
                    .selected_text(self.split.name())
                    .show_ui(ui, |ui| {
                        for s in Split::ALL {
                            ui.selectable_value(&mut self.split, s, s.name());
                        }
                    })
                    .response
                    .on_hover_text("Objects and backgrounds come from this split only");
                ui.end_row();
                ui.label("Images");
                ui.add(egui::DragValue::new(&mut self.count).range(1..=1_000_000))
                    .on_hover_text("How many images the run makes");
                ui.end_row();
            });
        let out = root.join("synth").join(self.name.trim());
        let name_ok = !self.name.trim().is_empty()
            && !self.name.contains(['/', '\\'])
            && !self.name.starts_with('.');
        let problem = if !name_ok {
            Some("Choose a folder name (no slashes, not starting with a dot)".to_owned())
        } else if out.exists() {
            Some(format!("synth/{} already exists", self.name.trim()))
        } else {
            params.problems().into_iter().next()
        };
        if let Some(problem) = &problem {
            ui.colored_label(ui.visuals().warn_fg_color, problem);
        }
        let running = self.job.is_some();
        if ui
            .add_enabled(problem.is_none() && !running, egui::Button::new("Generate"))
            .on_hover_text("Write the run as a job (the status bar shows progress, ETA and Cancel)")
            .clicked()
        {
            let request = RunRequest {
                params: params.clone(),
                split: self.split,
                count: self.count,
                shard: None,
                out,
            };
            let project = cx.open.project().clone();
            let started = cx.jobs.start(
                JobKind::Synthesize,
                format!("Synthesizing {}", self.name.trim()),
                ui.ctx(),
                move |job| {
                    run_batch(&project, &request, job.progress()).map_err(|e| match e {
                        SynthError::Cancelled => JobError::Cancelled,
                        other => JobError::Failed(other.to_string()),
                    })
                },
            );
            match started {
                Ok(handle) => self.job = Some(handle),
                Err(err) => cx.toasts.warning(err.to_string()),
            }
        }
        if running {
            ui.label("Generating… (the status bar shows the progress and Cancel)");
        }
        ui.separator();
        self.list_ui(ui, &root);
    }

    fn list_ui(&mut self, ui: &mut egui::Ui, root: &Path) {
        ui.horizontal(|ui| {
            ui.heading("Finished runs");
            if ui.small_button("Rescan").clicked() {
                self.rescan(root, ui.ctx());
            }
        });
        let Some(scan) = &self.scan else {
            ui.spinner();
            return;
        };
        if scan.runs.is_empty() {
            ui.label("No finished run in synth/ yet.");
        }
        for run in &scan.runs {
            let m = &run.record;
            let text = format!(
                "{}: {} images, {} split, {}×{}, seed {}",
                run.id,
                m.images.len(),
                m.split.name(),
                m.params.width,
                m.params.height,
                m.params.seed
            );
            if ui
                .selectable_label(self.selected.as_deref() == Some(run.id.as_str()), text)
                .clicked()
            {
                self.selected = Some(run.id.clone());
                self.index = 0;
            }
        }
        for s in &scan.skipped {
            ui.colored_label(ui.visuals().weak_text_color(), s);
        }
    }

    /// The browser of the selected run, in the central area.
    pub fn browser_ui(&mut self, ui: &mut egui::Ui, root: &Path) {
        let Some(run) = self
            .selected
            .as_ref()
            .and_then(|id| self.scan.as_ref()?.runs.iter().find(|r| &r.id == id))
        else {
            ui.label("Choose a finished run on the left to browse its images and labels.");
            return;
        };
        let count = run.record.images.len() as u64;
        let (id, dir) = (run.id.clone(), run.dir.clone());
        let first = run.record.range[0];
        ui.horizontal(|ui| {
            ui.label(format!("{id}:"));
            ui.add(egui::Slider::new(&mut self.index, 0..=count.saturating_sub(1)).text("image"));
            if let Some(image) = run.record.images.get(self.index as usize) {
                ui.label(format!(
                    "{} objects, {} blend",
                    image.objects.iter().filter(|o| o.instance != 0).count(),
                    image.blend.name()
                ));
            }
        });
        let index = first + self.index;
        let current = self
            .browsed
            .as_ref()
            .is_some_and(|b| b.run == id && b.index == index);
        if !current && self.decoding.is_none() {
            self.decode(ui.ctx(), &id, &dir, index);
        }
        let _ = root;
        if let Some(b) = &self.browsed {
            if let Some(e) = &b.error {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            ui.horizontal(|ui| {
                let half = egui::vec2(ui.available_width() / 2.0 - 8.0, ui.available_height());
                for texture in [&b.photo, &b.label].into_iter().flatten() {
                    let size = texture.size_vec2();
                    let scale = (half.x / size.x).min(half.y / size.y).min(2.0);
                    ui.image((texture.id(), size * scale));
                }
            });
        }
    }

    fn decode(&mut self, ctx: &egui::Context, run: &str, dir: &Path, index: u64) {
        let (sender, receiver) = channel();
        let (run, dir, ctx) = (run.to_owned(), dir.to_path_buf(), ctx.clone());
        let spawned = std::thread::Builder::new()
            .name("synth-browse".into())
            .spawn(move || {
                sender.send((run, index, decode_pair(&dir, index))).ok();
                ctx.request_repaint();
            });
        if spawned.is_ok() {
            self.decoding = Some(receiver);
        }
    }
}

/// The run's photo and its label map (label ids spread over greys so that they can be told apart).
fn decode_pair(dir: &Path, index: u64) -> Result<(egui::ColorImage, egui::ColorImage), String> {
    let stem = image_stem(index);
    let photo_path: PathBuf = dir.join("images").join(format!("{stem}.jpg"));
    let photo = crate::imageio::read_photo(&photo_path).map_err(|e| e.to_string())?;
    let (w, h) = photo.dimensions();
    let photo = egui::ColorImage::from_rgb([w as usize, h as usize], photo.as_raw());
    let label_path = dir.join("labels").join(format!("{stem}.png"));
    let label = crate::imageio::read_label_png(&label_path).map_err(|e| e.to_string())?;
    let palette = crate::formats::palette::voc_colormap();
    let pixels: Vec<egui::Color32> = label
        .data
        .iter()
        .map(|&l| {
            let [r, g, b] = palette[usize::from(l)];
            egui::Color32::from_rgb(r, g, b)
        })
        .collect();
    Ok((
        photo,
        egui::ColorImage::new([label.width as usize, label.height as usize], pixels),
    ))
}
