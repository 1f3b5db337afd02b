//! The selected photo's pixels for the pixel tools (magic wand), decoded on a named thread when a
//! tool first needs them, so the canvas never waits: until they arrive the tool says so.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError, channel};

use crate::label::mask_edit::Photo;

/// The decoded pixels of one photo, or the decode under way.
#[derive(Default)]
pub struct PixelLoader {
    ready: Option<(usize, Arc<Photo>)>,
    pending: Option<(usize, Receiver<Result<Photo, String>>)>,
    failed: Option<(usize, String)>,
}

/// Where the pixels of the photo asked for stand.
pub enum Pixels {
    Ready(Arc<Photo>),
    Loading,
    Failed(String),
}

impl PixelLoader {
    /// The pixels of photo `index` (at `path`), starting their decode if needed; `ctx` is woken
    /// when they arrive.
    pub fn get(&mut self, index: usize, path: std::path::PathBuf, ctx: &egui::Context) -> Pixels {
        if let Some((i, photo)) = &self.ready
            && *i == index
        {
            return Pixels::Ready(photo.clone());
        }
        if let Some((i, why)) = &self.failed
            && *i == index
        {
            return Pixels::Failed(why.clone());
        }
        if let Some((i, rx)) = &self.pending
            && *i == index
        {
            match rx.try_recv() {
                Ok(Ok(photo)) => {
                    let photo = Arc::new(photo);
                    self.ready = Some((index, photo.clone()));
                    self.pending = None;
                    return Pixels::Ready(photo);
                }
                Ok(Err(why)) => {
                    self.failed = Some((index, why.clone()));
                    self.pending = None;
                    return Pixels::Failed(why);
                }
                Err(TryRecvError::Empty) => return Pixels::Loading,
                Err(TryRecvError::Disconnected) => {
                    self.pending = None;
                    return Pixels::Failed("the decoding thread stopped".to_owned());
                }
            }
        }
        let (tx, rx) = channel();
        let waker = ctx.clone();
        let started = std::thread::Builder::new()
            .name("label-pixels".to_owned())
            .spawn(move || {
                let result = crate::imageio::read_photo(&path)
                    .map(|image| Photo::from_image(&image))
                    .map_err(|e| e.to_string());
                tx.send(result).ok();
                waker.request_repaint();
            });
        match started {
            Ok(_) => {
                self.pending = Some((index, rx));
                Pixels::Loading
            }
            Err(e) => Pixels::Failed(format!("cannot start the decoding thread: {e}")),
        }
    }
}
