//! Click segmentation off the UI thread: each click asks for the object the clicks so far say,
//! latest wins, and the canvas shows the newest answer as the instance on offer.

use std::sync::Arc;

use crate::label::grabcut::{Click, ClickSettings, Prior, segment_with_prior};
use crate::label::mask_edit::Photo;
use crate::project::Part;
use crate::workers::{Waker, WorkPool};

struct Request {
    photo: Arc<Photo>,
    clicks: Vec<Click>,
    /// A trained run's P(object) for this photo, when one pre-labelled it.
    prior: Option<Arc<Prior>>,
}

/// The latest-wins segmentation worker.
pub struct ClickWorker {
    pool: WorkPool<u64, Request, Vec<Part>>,
    asked: u64,
    /// The newest answer: (request number, outline).
    latest: Option<(u64, Vec<Part>)>,
}

impl ClickWorker {
    pub fn start(ctx: &egui::Context) -> std::io::Result<Self> {
        let ctx = ctx.clone();
        let waker: Waker = Arc::new(move || ctx.request_repaint());
        let pool = WorkPool::start(
            "label-click-segmentation",
            1,
            |_: &u64, req: Request| {
                segment_with_prior(
                    &req.photo,
                    &req.clicks,
                    &ClickSettings::default(),
                    req.prior.as_deref(),
                )
                .map(|region| region.to_parts(8))
                .unwrap_or_default()
            },
            &waker,
        )?;
        Ok(Self {
            pool,
            asked: 0,
            latest: None,
        })
    }

    pub fn ask(&mut self, photo: Arc<Photo>, clicks: Vec<Click>, prior: Option<Arc<Prior>>) {
        self.asked += 1;
        self.pool.submit_latest(
            self.asked,
            Request {
                photo,
                clicks,
                prior,
            },
        );
    }

    /// Takes in the answers that arrived (every frame).
    pub fn poll(&mut self) {
        for (k, parts) in self.pool.results() {
            if self.latest.as_ref().is_none_or(|(l, _)| k > *l) {
                self.latest = Some((k, parts));
            }
        }
    }

    /// The answer to the newest question, once it is here.
    pub fn answer(&mut self) -> Option<&[Part]> {
        self.poll();
        self.latest
            .as_ref()
            .filter(|(k, _)| *k == self.asked)
            .map(|(_, p)| p.as_slice())
    }

    /// The newest answer that arrived (it may be for an earlier click), for drawing.
    pub fn latest_parts(&self) -> Option<(u64, &[Part])> {
        self.latest.as_ref().map(|(k, p)| (*k, p.as_slice()))
    }

    /// Whether a question is still open.
    pub fn busy(&self) -> bool {
        self.latest.as_ref().is_none_or(|(k, _)| *k != self.asked)
    }

    pub fn forget(&mut self) {
        self.asked += 1;
        self.latest = None;
    }
}
