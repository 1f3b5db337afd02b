//! Background work for the studio: one named thread per job, a result channel, shared progress.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError, channel};

use crate::progress::Progress;

/// A job running on its own named thread.
pub struct Task<T> {
    receiver: Receiver<T>,
    pub progress: Arc<Progress>,
}

/// What polling a task found.
pub enum Poll<T> {
    Pending,
    Done(T),
    /// The worker ended without a result (it panicked).
    Died,
}

impl<T: Send + 'static> Task<T> {
    /// Starts `job` on a thread named `name`; the window repaints when it finishes.
    pub fn spawn(
        name: &str,
        ctx: &egui::Context,
        job: impl FnOnce(&Progress) -> T + Send + 'static,
    ) -> Result<Self, String> {
        let (sender, receiver) = channel();
        let progress = Arc::new(Progress::default());
        let worker_progress = progress.clone();
        let ctx = ctx.clone();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let result = job(&worker_progress);
                sender.send(result).ok();
                ctx.request_repaint();
            })
            .map_err(|e| format!("cannot start the {name} thread: {e}"))?;
        Ok(Self { receiver, progress })
    }

    pub fn poll(&self) -> Poll<T> {
        match self.receiver.try_recv() {
            Ok(value) => Poll::Done(value),
            Err(TryRecvError::Empty) => Poll::Pending,
            Err(TryRecvError::Disconnected) => Poll::Died,
        }
    }
}
