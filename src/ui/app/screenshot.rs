//! `--screenshot PATH`: once the window has settled (no job running, the selected photo shown, the
//! `--pointer` steps played), a
//! picture of it is saved and the studio closes. The README's pictures and CI's start check use it.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::StudioApp;

pub(super) struct Screenshot {
    path: PathBuf,
    settled_frames: u32,
    requested: bool,
    done: Arc<AtomicBool>,
    started: Instant,
}

impl Screenshot {
    pub(super) fn new(path: PathBuf) -> Self {
        Self {
            path,
            settled_frames: 0,
            requested: false,
            done: Arc::new(AtomicBool::new(false)),
            started: Instant::now(),
        }
    }
}

impl StudioApp {
    pub(super) fn screenshot_step(&mut self, ctx: &egui::Context) {
        let ready = !self.is_busy()
            && !self.pointer_pending()
            && self
                .open
                .as_ref()
                .is_none_or(|o| self.workspaces.get(self.active).is_settled(o));
        let Some(shot) = &mut self.screenshot else {
            return;
        };
        if shot.done.load(Ordering::Relaxed) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            return;
        }
        let timed_out = shot.started.elapsed() > Duration::from_secs(30);
        if (ready || timed_out) && !shot.requested {
            shot.settled_frames += 1;
            // A few frames let thumbnails arrive and layout settle.
            if shot.settled_frames > 40 || timed_out {
                shot.requested = true;
                let path = shot.path.clone();
                let done = shot.done.clone();
                let repaint = ctx.clone();
                ctx.request_screenshot(move |image| {
                    let [w, h] = image.size;
                    let rgba: Vec<u8> = image
                        .pixels
                        .iter()
                        .flat_map(egui::Color32::to_array)
                        .collect();
                    if let Err(err) = image::save_buffer(
                        &path,
                        &rgba,
                        w as u32,
                        h as u32,
                        image::ExtendedColorType::Rgba8,
                    ) {
                        eprintln!(
                            "error: cannot save the screenshot {}: {err}",
                            path.display()
                        );
                    }
                    done.store(true, Ordering::Relaxed);
                    repaint.request_repaint();
                });
            }
        }
        ctx.request_repaint_after(Duration::from_millis(30));
    }
}
