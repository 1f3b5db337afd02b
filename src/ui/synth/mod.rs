//! The Synthesize workspace: the parameters on the left (saved to `project.ron` as they change),
//! the live preview in the middle (one sample or a grid of six, label overlay and boxes), the
//! object library and the batch runs on the right. It only drives [`crate::synth`].

mod actions;
mod library_ui;
mod params_ui;
mod preview;
mod runs;

pub use actions::SynthAction;
use library_ui::Thumbnails;
use preview::{PreviewRequest, PreviewSample, PreviewWorker, SourceKey, SourceState};
use runs::RunsPanel;

use crate::project::{Project, Split};
use crate::synth::SynthParams;
use crate::ui::commands::Command;
use crate::ui::workspace::{OpenProject, Workspace, WorkspaceContext, WorkspaceId};

/// The right-hand side's tabs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SidePanel {
    #[default]
    Library,
    Runs,
}

/// State of the Synthesize workspace.
#[derive(Default)]
pub struct SynthWorkspace {
    /// The parameters being edited (saved to the project when they settle).
    pub params: Option<SynthParams>,
    pub split: Split,
    pub side: SidePanel,
    /// Show six samples instead of one.
    pub grid: bool,
    pub show_labels: bool,
    pub show_boxes: bool,
    /// Index of the first sample shown ("New sample" moves it on).
    pub sample: u64,
    source: SourceState,
    worker: Option<PreviewWorker>,
    /// Stamp of the newest request sent, and of the frame shown.
    requested: u64,
    shown: u64,
    wanted: Option<(SynthParams, u64, bool)>,
    samples: Vec<(PreviewSample, egui::TextureHandle, egui::TextureHandle)>,
    preview_error: Option<String>,
    pub last_render_ms: f64,
    thumbnails: Thumbnails,
    runs: RunsPanel,
    /// The window's context, for jobs finished while another workspace is shown.
    ctx: Option<egui::Context>,
}

fn annotation_stamp(open: &OpenProject) -> (usize, u64) {
    let n = open.project().file().images.len();
    (n, (0..n).map(|i| open.session.generation(i)).sum())
}

impl SynthWorkspace {
    /// How many preview frames have arrived (tests watch it change).
    pub fn frames_shown(&self) -> u64 {
        self.shown
    }

    /// Whether a batch run started here has not reported back yet.
    pub fn run_in_progress(&self) -> bool {
        self.runs.running()
    }

    /// A digest of the preview on screen (tests compare it before and after an edit).
    pub fn preview_digest(&self) -> Option<u64> {
        use std::hash::{Hash as _, Hasher as _};
        let (sample, ..) = self.samples.first()?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        sample.rendered.image.as_raw().hash(&mut h);
        Some(h.finish())
    }

    fn params_mut(&mut self, project: &Project) -> &mut SynthParams {
        self.params
            .get_or_insert_with(|| project.file().synth.clone())
    }

    /// Sends a render request when the parameters, the sample or the source changed.
    fn request_preview(&mut self, ctx: &egui::Context) {
        let Some(source) = self.source.loaded.clone() else {
            return;
        };
        let Some(params) = self.params.clone() else {
            return;
        };
        let want = (params.clone(), self.sample, self.grid);
        if self.wanted.as_ref() == Some(&want) {
            return;
        }
        if self.worker.is_none() {
            match PreviewWorker::start(ctx) {
                Ok(w) => self.worker = Some(w),
                Err(e) => {
                    self.preview_error = Some(format!("cannot start the preview worker: {e}"));
                    return;
                }
            }
        }
        let n = if self.grid { 6 } else { 1 };
        self.requested += 1;
        if let Some(worker) = &self.worker {
            worker.submit(
                self.requested,
                PreviewRequest {
                    source,
                    params,
                    indices: (self.sample..self.sample + n).collect(),
                },
            );
        }
        self.wanted = Some(want);
    }

    fn take_frames(&mut self, ctx: &egui::Context) {
        let Some(frame) = self.worker.as_ref().and_then(PreviewWorker::latest) else {
            return;
        };
        self.shown = self.shown.max(frame.stamp);
        self.last_render_ms = frame.render_ms;
        match frame.result {
            Ok(samples) => {
                self.preview_error = None;
                self.samples = samples
                    .into_iter()
                    .enumerate()
                    .map(|(i, s)| {
                        let photo = ctx.load_texture(
                            format!("synth-preview-{i}"),
                            s.photo.clone(),
                            egui::TextureOptions::LINEAR,
                        );
                        let overlay = ctx.load_texture(
                            format!("synth-overlay-{i}"),
                            s.overlay.clone(),
                            egui::TextureOptions::LINEAR,
                        );
                        (s, photo, overlay)
                    })
                    .collect();
            }
            Err(e) => {
                self.samples.clear();
                self.preview_error = Some(e);
            }
        }
    }

    fn preview_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if ui
                .button("New sample")
                .on_hover_text("Render the next image of the run (N)")
                .clicked()
            {
                self.sample += if self.grid { 6 } else { 1 };
            }
            ui.checkbox(&mut self.grid, "Grid of 6")
                .on_hover_text("Six consecutive images of the run at once");
            ui.checkbox(&mut self.show_labels, "Labels")
                .on_hover_text("Tint the label map in class colours");
            ui.checkbox(&mut self.show_boxes, "Boxes")
                .on_hover_text("The YOLO boxes of the visible pixels");
            ui.label(format!("image {}", self.sample));
            if self.source.is_loading() {
                ui.spinner();
                ui.label("Loading objects and backgrounds…");
            } else if self.requested != self.shown {
                ui.spinner();
            } else if !self.samples.is_empty() {
                ui.weak(format!("rendered in {:.1} ms", self.last_render_ms));
            }
        });
        if let Some(e) = self.source.error.as_ref().or(self.preview_error.as_ref()) {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if self.samples.is_empty() {
            return;
        }
        let cols = if self.samples.len() > 1 { 3 } else { 1 };
        let rows = self.samples.len().div_ceil(cols);
        let avail = ui.available_size();
        let cell = egui::vec2(avail.x / cols as f32 - 6.0, avail.y / rows as f32 - 6.0);
        egui::Grid::new("synth-preview-grid")
            .spacing([4.0, 4.0])
            .show(ui, |ui| {
                for (i, (sample, photo, overlay)) in self.samples.iter().enumerate() {
                    let texture = if self.show_labels { overlay } else { photo };
                    let size = texture.size_vec2();
                    let scale = (cell.x / size.x).min(cell.y / size.y).max(0.05);
                    let response = ui.image((texture.id(), size * scale));
                    if self.show_boxes {
                        let painter = ui.painter_at(response.rect);
                        for o in sample.rendered.objects.iter().filter(|o| o.instance != 0) {
                            let [x0, y0, x1, y1] = o.bbox.map(|v| v as f32 * scale);
                            let rect = egui::Rect::from_min_max(
                                response.rect.min + egui::vec2(x0, y0),
                                response.rect.min + egui::vec2(x1, y1),
                            );
                            painter.rect_stroke(
                                rect,
                                0.0,
                                egui::Stroke::new(1.5, egui::Color32::YELLOW),
                                egui::StrokeKind::Outside,
                            );
                        }
                    }
                    if (i + 1) % cols == 0 {
                        ui.end_row();
                    }
                }
            });
    }
}

impl Workspace for SynthWorkspace {
    fn id(&self) -> WorkspaceId {
        WorkspaceId::Synthesize
    }

    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut WorkspaceContext<'_>) {
        let ctx = ui.ctx().clone();
        self.ctx = Some(ctx.clone());
        let project = cx.open.project().clone();
        self.params_mut(&project);
        let stamp = annotation_stamp(cx.open);
        egui::Panel::left("synth-params")
            .resizable(true)
            .default_size(300.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    ui.heading("Parameters");
                    let params = self.params.as_mut().expect("set above");
                    params_ui::params_ui(ui, params);
                    for problem in params.problems() {
                        ui.colored_label(ui.visuals().warn_fg_color, problem);
                    }
                });
            });
        egui::Panel::right("synth-side")
            .resizable(true)
            .default_size(340.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.selectable_value(&mut self.side, SidePanel::Library, "Library")
                        .on_hover_text("The objects the generator pastes");
                    ui.selectable_value(&mut self.side, SidePanel::Runs, "Runs")
                        .on_hover_text("Generate a run; browse the finished ones");
                    ui.separator();
                    egui::ComboBox::from_id_salt("synth-preview-split")
                        .selected_text(format!("{} split", self.split.name()))
                        .show_ui(ui, |ui| {
                            for s in Split::ALL {
                                ui.selectable_value(&mut self.split, s, s.name());
                            }
                        })
                        .response
                        .on_hover_text(
                            "The split whose objects and backgrounds the preview and library use",
                        );
                });
                ui.separator();
                let params = self.params.as_mut().expect("set above");
                match self.side {
                    SidePanel::Library => {
                        let source = self.source.loaded.clone();
                        library_ui::library_ui(
                            ui,
                            &project,
                            source.as_deref(),
                            &mut params.library,
                            &mut self.thumbnails,
                        );
                    }
                    SidePanel::Runs => {
                        let params = params.clone();
                        self.runs.ui(ui, cx, &params);
                    }
                }
            });
        egui::CentralPanel::default().show(ui, |ui| {
            if self.side == SidePanel::Runs && !self.runs.running() {
                ui.collapsing("Browse the selected run", |ui| {
                    self.runs.browser_ui(ui, project.root());
                });
                ui.separator();
            }
            self.preview_ui(ui);
        });
        let params = self.params.clone().expect("set above");
        self.source.want(
            SourceKey::of(stamp, self.split, &params),
            &project,
            &params,
            &ctx,
        );
        self.request_preview(&ctx);
        // Save once the edit settles (not on every frame of a drag).
        if params != project.file().synth && !ctx.input(|i| i.pointer.any_down()) {
            cx.commands.push(Command::SetSynthParams(Box::new(params)));
        }
    }

    fn project_opened(&mut self, project: &Project) {
        *self = Self {
            params: Some(project.file().synth.clone()),
            show_labels: true,
            show_boxes: true,
            worker: self.worker.take(),
            ctx: self.ctx.take(),
            ..Self::default()
        };
    }

    fn poll(&mut self, cx: &mut WorkspaceContext<'_>) {
        let ctx = self.ctx.clone();
        if self.source.poll() {
            self.thumbnails.clear();
            self.wanted = None;
            if self.source.loaded.is_none() {
                self.samples.clear();
            }
        }
        if let Some(ctx) = &ctx {
            self.take_frames(ctx);
        }
        self.runs.poll(cx, ctx.as_ref());
    }

    fn run_action(
        &mut self,
        action: crate::ui::commands::Action,
        cx: &mut WorkspaceContext<'_>,
    ) -> bool {
        let _ = cx;
        let crate::ui::commands::Action::Synth(action) = action else {
            return false;
        };
        match action {
            SynthAction::NewSample => self.sample += if self.grid { 6 } else { 1 },
            SynthAction::ToggleGrid => self.grid = !self.grid,
            SynthAction::ToggleLabels => self.show_labels = !self.show_labels,
            SynthAction::ToggleBoxes => self.show_boxes = !self.show_boxes,
        }
        true
    }

    fn is_settled(&self, open: &OpenProject) -> bool {
        let _ = open;
        !self.source.is_loading()
            && self.source.loaded.is_some()
            && self.requested == self.shown
            && !self.samples.is_empty()
    }
}
