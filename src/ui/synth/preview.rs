//! The live preview: the object library and backgrounds are loaded on a named thread whenever what
//! they depend on changes, and every parameter change sends a render request to a latest-wins
//! worker (one thread; a request queued behind a newer one never runs), so a dragged slider never
//! waits for a render.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError, channel};

use rayon::prelude::*;

use crate::progress::Progress;
use crate::project::{Project, Split};
use crate::synth::run::load_source;
use crate::synth::{Rendered, SynthParams, SynthSource};
use crate::workers::{Waker, WorkPool};

/// What the loaded source depends on: the annotations, the split, and the parameters that select
/// objects and backgrounds or size them.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceKey {
    pub annotations: (usize, u64),
    pub split: Split,
    pub backgrounds: Option<std::path::PathBuf>,
    pub library: crate::synth::params::LibraryChoice,
    pub size: (u32, u32),
}

impl SourceKey {
    pub fn of(project_stamp: (usize, u64), split: Split, params: &SynthParams) -> Self {
        Self {
            annotations: project_stamp,
            split,
            backgrounds: params.backgrounds.clone(),
            library: params.library.clone(),
            size: (params.width, params.height),
        }
    }
}

/// The source of the preview, loaded in the background.
#[derive(Default)]
pub struct SourceState {
    pub key: Option<SourceKey>,
    pub loaded: Option<Arc<SynthSource>>,
    pub error: Option<String>,
    loading: Option<(SourceKey, Receiver<Result<SynthSource, String>>)>,
}

impl SourceState {
    /// Starts a load when `key` differs from the loaded (or loading) one.
    pub fn want(
        &mut self,
        key: SourceKey,
        project: &Project,
        params: &SynthParams,
        ctx: &egui::Context,
    ) {
        let current = self.loading.as_ref().map(|(k, _)| k).or(self.key.as_ref());
        if current == Some(&key) {
            return;
        }
        let (project, params, split) = (project.clone(), params.clone(), key.split);
        let (sender, receiver) = channel();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("synth-library".into())
            .spawn(move || {
                let result = load_source(&project, &params, split, &Progress::default())
                    .map_err(|e| e.to_string());
                sender.send(result).ok();
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => self.loading = Some((key, receiver)),
            Err(e) => self.error = Some(format!("cannot start the library loader: {e}")),
        }
    }

    /// Takes a finished load. Returns whether the source changed.
    pub fn poll(&mut self) -> bool {
        let Some((key, receiver)) = &self.loading else {
            return false;
        };
        match receiver.try_recv() {
            Ok(result) => {
                self.key = Some(key.clone());
                match result {
                    Ok(source) => {
                        self.loaded = Some(Arc::new(source));
                        self.error = None;
                    }
                    Err(e) => {
                        self.loaded = None;
                        self.error = Some(e);
                    }
                }
                self.loading = None;
                true
            }
            Err(TryRecvError::Disconnected) => {
                self.loading = None;
                self.error = Some("the library loader stopped unexpectedly".to_owned());
                true
            }
            Err(TryRecvError::Empty) => false,
        }
    }

    pub fn is_loading(&self) -> bool {
        self.loading.is_some()
    }
}

/// A render request: the parameters of this frame and the image indices to render.
pub struct PreviewRequest {
    pub source: Arc<SynthSource>,
    pub params: SynthParams,
    pub indices: Vec<u64>,
}

/// One rendered sample, ready to show.
pub struct PreviewSample {
    pub rendered: Rendered,
    pub photo: egui::ColorImage,
    /// The photo with the label map tinted in class colours.
    pub overlay: egui::ColorImage,
}

/// What the worker sends back.
pub struct PreviewFrame {
    pub stamp: u64,
    pub result: Result<Vec<PreviewSample>, String>,
    pub render_ms: f64,
}

/// The latest-wins render worker.
pub struct PreviewWorker {
    pool: WorkPool<u64, PreviewRequest, PreviewFrame>,
}

impl PreviewWorker {
    pub fn start(ctx: &egui::Context) -> std::io::Result<Self> {
        let ctx = ctx.clone();
        let waker: Waker = Arc::new(move || ctx.request_repaint());
        let pool = WorkPool::start(
            "synth-preview",
            1,
            |&stamp, req| render(stamp, &req),
            &waker,
        )?;
        Ok(Self { pool })
    }

    pub fn submit(&self, stamp: u64, request: PreviewRequest) {
        self.pool.submit_latest(stamp, request);
    }

    /// The newest frame that arrived, if any.
    pub fn latest(&self) -> Option<PreviewFrame> {
        self.pool.results().map(|(_, frame)| frame).last()
    }
}

fn render(stamp: u64, req: &PreviewRequest) -> PreviewFrame {
    let started = std::time::Instant::now();
    let result = req.source.generator(&req.params).map(|generator| {
        let colours = class_colours(&req.source);
        req.indices
            .par_iter()
            .map(|&index| {
                let rendered = generator.render(req.params.seed, index);
                let (photo, overlay) = pictures(&rendered, &colours);
                PreviewSample {
                    rendered,
                    photo,
                    overlay,
                }
            })
            .collect()
    });
    PreviewFrame {
        stamp,
        result: result.map_err(|e| e.to_string()),
        render_ms: started.elapsed().as_secs_f64() * 1000.0,
    }
}

/// Colour of every label value of the full variant (by its first class), 255 grey.
pub fn class_colours(source: &SynthSource) -> [[u8; 3]; 256] {
    let mut colours = [[0u8; 3]; 256];
    colours[255] = [128, 128, 128];
    for (class, target) in &source.snapshot.variant.mapping {
        if let crate::project::VariantTarget::Label(l) = target
            && let Some(def) = source.snapshot.classes.iter().find(|c| c.id == *class)
        {
            colours[usize::from(*l)] = def.color;
        }
    }
    colours
}

fn pictures(r: &Rendered, colours: &[[u8; 3]; 256]) -> (egui::ColorImage, egui::ColorImage) {
    let (w, h) = r.image.dimensions();
    let size = [w as usize, h as usize];
    let photo = egui::ColorImage::from_rgb(size, r.image.as_raw());
    let mut tinted = r.image.as_raw().clone();
    for (px, &label) in tinted.chunks_exact_mut(3).zip(&r.labels) {
        if label != 0 {
            let c = colours[usize::from(label)];
            for k in 0..3 {
                px[k] = ((u16::from(px[k]) * 2 + u16::from(c[k]) * 3) / 5) as u8;
            }
        }
    }
    (photo, egui::ColorImage::from_rgb(size, &tinted))
}
