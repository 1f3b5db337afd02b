//! The image browser: a virtualised list of the project's photos with thumbnails decoded off the UI
//! thread, each marked unlabelled, labelled or broken, with a name filter and a status filter.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex};

use super::app::Command;
use crate::project::{ImageStatus, Project};

const THUMB_W: u32 = 96;
const THUMB_H: u32 = 72;
const ROW_HEIGHT: f32 = 52.0;
const THUMB_WORKERS: usize = 2;
/// Requests beyond this many are dropped oldest-first: they scrolled out of view long ago.
const MAX_PENDING: usize = 256;

pub fn status_color(status: ImageStatus) -> egui::Color32 {
    match status {
        ImageStatus::Unlabelled => egui::Color32::from_gray(140),
        ImageStatus::Labelled => egui::Color32::from_rgb(80, 200, 110),
        ImageStatus::Broken => egui::Color32::from_rgb(230, 70, 60),
    }
}

/// A small filled circle in the status colour (drawn, not a glyph: not every font has one).
pub fn status_dot(ui: &mut egui::Ui, status: ImageStatus) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter()
        .circle_filled(rect.center(), 4.0, status_color(status));
}

pub fn status_name(status: ImageStatus) -> &'static str {
    match status {
        ImageStatus::Unlabelled => "unlabelled",
        ImageStatus::Labelled => "labelled",
        ImageStatus::Broken => "broken",
    }
}

#[derive(Default)]
struct Queue {
    pending: Vec<(usize, PathBuf)>,
    closed: bool,
}

type ThumbResult = (usize, Option<Result<egui::ColorImage, String>>);

/// Thumbnails decoded by worker threads, newest requests first.
pub struct Thumbnails {
    queue: Arc<(Mutex<Queue>, Condvar)>,
    sender: Sender<ThumbResult>,
    results: Receiver<ThumbResult>,
    textures: HashMap<usize, egui::TextureHandle>,
    failed: HashMap<usize, String>,
    requested: HashSet<usize>,
    started: bool,
}

impl Default for Thumbnails {
    fn default() -> Self {
        let (sender, results) = channel();
        Self {
            queue: Arc::default(),
            sender,
            results,
            textures: HashMap::new(),
            failed: HashMap::new(),
            requested: HashSet::new(),
            started: false,
        }
    }
}

impl Drop for Thumbnails {
    fn drop(&mut self) {
        if let Ok(mut q) = self.queue.0.lock() {
            q.closed = true;
        }
        self.queue.1.notify_all();
    }
}

impl Thumbnails {
    fn start_workers(&mut self, ctx: &egui::Context) {
        self.started = true;
        for k in 0..THUMB_WORKERS {
            let queue = self.queue.clone();
            let sender = self.sender.clone();
            let ctx = ctx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("thumbnails-{k}"))
                .spawn(move || thumbnail_worker(&queue, &sender, &ctx));
            if let Err(err) = spawned {
                log::error!("cannot start a thumbnail thread: {err}");
            }
        }
    }

    fn request(&mut self, index: usize, path: PathBuf) {
        if !self.requested.insert(index) {
            return;
        }
        let (lock, cvar) = &*self.queue;
        if let Ok(mut q) = lock.lock() {
            q.pending.push((index, path));
            if q.pending.len() > MAX_PENDING {
                let (dropped, _) = q.pending.remove(0);
                self.requested.remove(&dropped);
            }
        }
        cvar.notify_one();
    }

    fn receive(&mut self, ctx: &egui::Context) {
        while let Ok((index, result)) = self.results.try_recv() {
            match result {
                Some(Ok(image)) => {
                    let texture = ctx.load_texture(
                        format!("thumb-{index}"),
                        image,
                        egui::TextureOptions::LINEAR,
                    );
                    self.textures.insert(index, texture);
                }
                Some(Err(err)) => {
                    self.failed.insert(index, err);
                }
                None => {
                    self.requested.remove(&index);
                }
            }
        }
    }

    /// Photos whose thumbnail could not be decoded, with the reason.
    pub fn failures(&self) -> &HashMap<usize, String> {
        &self.failed
    }
}

fn thumbnail_worker(
    queue: &(Mutex<Queue>, Condvar),
    sender: &Sender<ThumbResult>,
    ctx: &egui::Context,
) {
    let (lock, cvar) = queue;
    loop {
        let job = {
            let Ok(mut q) = lock.lock() else { return };
            loop {
                if q.closed {
                    return;
                }
                if let Some(job) = q.pending.pop() {
                    break job;
                }
                q = match cvar.wait(q) {
                    Ok(q) => q,
                    Err(_) => return,
                };
            }
        };
        let (index, path) = job;
        let result = crate::imageio::read_photo(&path).map(|photo| {
            let small = image::imageops::thumbnail(&photo, THUMB_W, THUMB_H);
            egui::ColorImage::from_rgb(
                [small.width() as usize, small.height() as usize],
                small.as_raw(),
            )
        });
        if sender
            .send((index, Some(result.map_err(|e| e.to_string()))))
            .is_err()
        {
            return;
        }
        ctx.request_repaint();
    }
}

/// Browser state: filters and thumbnails.
#[derive(Default)]
pub struct Browser {
    pub filter: String,
    pub status_filter: Option<ImageStatus>,
    pub thumbnails: Thumbnails,
    /// Scroll the selected row into view on the next frame (after keyboard navigation).
    pub scroll_to_selected: bool,
}

impl Browser {
    /// Indices of the images that pass the filters, in project order.
    pub fn visible_images(&self, project: &Project) -> Vec<usize> {
        let needle = self.filter.trim().to_lowercase();
        (0..project.file.images.len())
            .filter(|&i| {
                needle.is_empty() || project.file.images[i].file.to_lowercase().contains(&needle)
            })
            .filter(|&i| {
                self.status_filter
                    .is_none_or(|s| self.status_of(project, i) == s)
            })
            .collect()
    }

    /// The status shown for an image: broken also when its photo cannot be decoded.
    pub fn status_of(&self, project: &Project, index: usize) -> ImageStatus {
        if self.thumbnails.failed.contains_key(&index) {
            ImageStatus::Broken
        } else {
            project.status(index)
        }
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        project: &Project,
        selected: Option<usize>,
    ) -> Option<Command> {
        if !self.thumbnails.started {
            self.thumbnails.start_workers(ui.ctx());
        }
        self.thumbnails.receive(ui.ctx());
        let mut cmd = None;
        ui.horizontal(|ui| {
            let label = ui.label("Filter");
            let filter_label = label.id;
            ui.add(
                egui::TextEdit::singleline(&mut self.filter)
                    .hint_text("file name")
                    .desired_width(120.0),
            )
            .labelled_by(label.id);
            egui::ComboBox::from_id_salt("status-filter")
                .width(96.0)
                .selected_text(self.status_filter.map_or("all", status_name))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.status_filter, None, "all");
                    for s in [
                        ImageStatus::Unlabelled,
                        ImageStatus::Labelled,
                        ImageStatus::Broken,
                    ] {
                        ui.selectable_value(&mut self.status_filter, Some(s), status_name(s));
                    }
                })
                .response
                .labelled_by(filter_label);
        });
        let visible = self.visible_images(project);
        ui.label(format!(
            "{} of {} images",
            visible.len(),
            project.file.images.len()
        ));
        ui.separator();
        let mut area = egui::ScrollArea::vertical().auto_shrink([false, false]);
        if self.scroll_to_selected {
            self.scroll_to_selected = false;
            if let Some(row) = selected.and_then(|s| visible.iter().position(|&i| i == s)) {
                let spacing = ui.spacing().item_spacing.y;
                let top = row as f32 * (ROW_HEIGHT + spacing);
                let view = ui.available_height();
                area = area.vertical_scroll_offset((top - view / 2.0).max(0.0));
            }
        }
        area.show_rows(ui, ROW_HEIGHT, visible.len(), |ui, rows| {
            for &index in &visible[rows] {
                if let Some(c) = self.row_ui(ui, project, index, selected == Some(index)) {
                    cmd = Some(c);
                }
            }
        });
        cmd
    }

    fn row_ui(
        &mut self,
        ui: &mut egui::Ui,
        project: &Project,
        index: usize,
        is_selected: bool,
    ) -> Option<Command> {
        let image = &project.file.images[index];
        if !self.thumbnails.textures.contains_key(&index)
            && !self.thumbnails.failed.contains_key(&index)
        {
            self.thumbnails.request(index, project.image_path(index));
        }
        let status = self.status_of(project, index);
        let response = ui
            .horizontal(|ui| {
                ui.set_height(ROW_HEIGHT);
                let thumb_size = egui::vec2(64.0, 48.0);
                if let Some(texture) = self.thumbnails.textures.get(&index) {
                    ui.add(egui::Image::new((texture.id(), thumb_size)));
                } else {
                    let (rect, _) = ui.allocate_exact_size(thumb_size, egui::Sense::hover());
                    ui.painter()
                        .rect_filled(rect, 2.0, ui.visuals().faint_bg_color);
                }
                ui.vertical(|ui| {
                    let name = ui.selectable_label(is_selected, &image.file);
                    ui.horizontal(|ui| {
                        status_dot(ui, status);
                        ui.colored_label(status_color(status), status_name(status));
                        if let Some(split) = image.split {
                            ui.weak(split.name());
                        }
                    });
                    name
                })
                .inner
            })
            .inner;
        let response = if let Some(err) = self.thumbnails.failed.get(&index) {
            response.on_hover_text(err)
        } else {
            response
        };
        response.clicked().then_some(Command::SelectImage(index))
    }
}
