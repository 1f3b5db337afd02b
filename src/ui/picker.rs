//! The system's file dialog, on a job: rfd blocks the thread that asks, so the UI never waits on it.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::jobs::{JobHandle, JobKind, Jobs, StartError};
use super::toasts::Toasts;

/// What the dialog chooses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickWhat {
    Folder,
    /// A file with one of these extensions, under this filter name.
    File(&'static str, &'static [&'static str]),
}

/// An open dialog.
pub struct PickJob {
    what: PickWhat,
    started: Instant,
    handle: JobHandle<Option<PathBuf>>,
}

impl PickJob {
    pub fn start(jobs: &mut Jobs, ctx: &egui::Context, what: PickWhat) -> Result<Self, StartError> {
        let handle = jobs.start(JobKind::PickFolder, "Choosing", ctx, move |_| {
            Ok(match what {
                PickWhat::Folder => rfd::FileDialog::new().pick_folder(),
                PickWhat::File(name, extensions) => rfd::FileDialog::new()
                    .add_filter(name, extensions)
                    .pick_file(),
            })
        })?;
        Ok(Self {
            what,
            started: Instant::now(),
            handle,
        })
    }

    /// `None` while the dialog is open; then what was chosen (`Some(None)` when nothing was).
    pub fn poll(&mut self, toasts: &mut Toasts) -> Option<Option<PathBuf>> {
        let result = self.handle.finished(toasts)?;
        let chosen = result.ok().flatten();
        // rfd returns None at once when no dialog backend exists: say so.
        if chosen.is_none() && self.started.elapsed() < Duration::from_millis(300) {
            toasts.warning(match self.what {
                PickWhat::Folder => "No folder dialog is available here; type the path instead",
                PickWhat::File(..) => "No file dialog is available here; type the path instead",
            });
        }
        Some(chosen)
    }
}
