//! Loader threads that build training batches ahead of the model: sample choice, decoding (first use
//! only; the dataset caches), augmentation, and the batch tensors' bytes.
//!
//! Batch `k` depends only on the run's seed and `k` (its own random stream), so thread `t` of `n`
//! builds the batches `k ≡ t (mod n)` and the trainer takes them in order from the threads in turn.
//! Each thread runs at most [`PREFETCH`] batches ahead; dropping the loader stops the threads.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Instant;

use rand::Rng as _;

use super::augment::{Draw, apply, stream};
use super::config::Augment;
use super::data::Dataset;

/// Batches each loader thread may have ready before the trainer takes them.
pub const PREFETCH: usize = 2;

/// Random stream ids (one per purpose, so no two draw the same numbers).
const BATCH_STREAM: u64 = 1;
const SAMPLE_STREAM: u64 = 2;

/// One batch ready for the model.
pub struct Batch {
    pub step: u64,
    /// `batch × 3 × h × w`, scaled to [-1, 1].
    pub x: Vec<f32>,
    /// `batch × h × w` label ids.
    pub labels: Vec<u8>,
    /// Seconds a loader thread spent building it.
    pub build_seconds: f64,
}

pub struct Loader {
    receivers: Vec<Receiver<Result<Batch, String>>>,
    first: u64,
    next: u64,
}

impl Loader {
    /// Starts `threads` threads building batches `first..end`.
    pub fn start(
        dataset: &Arc<Dataset>,
        augment: Augment,
        batch: usize,
        seed: u64,
        (first, end): (u64, u64),
        threads: usize,
    ) -> std::io::Result<Self> {
        let threads = threads.max(1);
        let mut receivers = Vec::with_capacity(threads);
        for t in 0..threads {
            let (tx, rx) = sync_channel(PREFETCH);
            let dataset = dataset.clone();
            std::thread::Builder::new()
                .name(format!("train-loader-{t}"))
                .spawn(move || {
                    let mut step = first + t as u64;
                    while step < end {
                        if !send(&tx, build_batch(&dataset, augment, batch, seed, step)) {
                            return;
                        }
                        step += threads as u64;
                    }
                })?;
            receivers.push(rx);
        }
        Ok(Self {
            receivers,
            first,
            next: first,
        })
    }

    /// The next batch in step order; blocks until its thread has built it.
    pub fn next_batch(&mut self) -> Result<Batch, String> {
        let t = ((self.next - self.first) % self.receivers.len() as u64) as usize;
        let batch = self.receivers[t]
            .recv()
            .map_err(|_| "a loader thread stopped".to_owned())??;
        self.next += 1;
        Ok(batch)
    }
}

fn send(tx: &SyncSender<Result<Batch, String>>, batch: Result<Batch, String>) -> bool {
    let failed = batch.is_err();
    tx.send(batch).is_ok() && !failed
}

/// The samples of batch `step` (drawn with replacement, as the peer does).
pub fn batch_indices(len: usize, batch: usize, seed: u64, step: u64) -> Vec<usize> {
    let mut rng = stream(seed, BATCH_STREAM, step);
    (0..batch).map(|_| rng.random_range(0..len)).collect()
}

/// Builds batch `step` from scratch: the same bytes whichever thread builds it, whenever.
pub fn build_batch(
    dataset: &Dataset,
    augment: Augment,
    batch: usize,
    seed: u64,
    step: u64,
) -> Result<Batch, String> {
    let started = Instant::now();
    let [w, h] = dataset.size().map(|v| v as usize);
    let plane = w * h;
    let mut x = vec![0f32; batch * 3 * plane];
    let mut labels = vec![0u8; batch * plane];
    for (slot, index) in batch_indices(dataset.len(), batch, seed, step)
        .into_iter()
        .enumerate()
    {
        let sample = dataset.get(index)?;
        let mut rng = stream(seed, SAMPLE_STREAM, step * batch as u64 + slot as u64);
        let draw = Draw::random(&augment, [w, h], &mut rng);
        apply(
            &sample,
            [w, h],
            &draw,
            &mut x[slot * 3 * plane..(slot + 1) * 3 * plane],
            &mut labels[slot * plane..(slot + 1) * plane],
        );
    }
    Ok(Batch {
        step,
        x,
        labels,
        build_seconds: started.elapsed().as_secs_f64(),
    })
}
