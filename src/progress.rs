//! Progress and cancellation of long jobs, shared between the worker doing the job and whoever watches it
//! (the studio's status bar, the CLI's progress bar). A job runs in stages ("copying photos",
//! "tracing masks"); the counts and the ETA are those of the current stage, measured from its start.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Shared progress of one job. Cheap to update from many worker threads.
#[derive(Debug)]
pub struct Progress {
    total: AtomicU64,
    done: AtomicU64,
    cancelled: AtomicBool,
    started: Instant,
    /// The current stage's name and when it started.
    stage: Mutex<(String, Instant)>,
    /// A line about the latest step (a training run's loss and images/s); empty when none.
    detail: Mutex<String>,
}

/// The job was cancelled by the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cancelled")]
pub struct Cancelled;

impl Default for Progress {
    fn default() -> Self {
        Self {
            total: AtomicU64::new(0),
            done: AtomicU64::new(0),
            cancelled: AtomicBool::new(false),
            started: Instant::now(),
            stage: Mutex::new((String::new(), Instant::now())),
            detail: Mutex::new(String::new()),
        }
    }
}

impl Progress {
    /// Starts a new stage of `total` steps, resetting the count.
    pub fn start_stage(&self, stage: &str, total: u64) {
        // The counts are reset first so that a watcher never sees the new stage with the old counts
        // for long; it may briefly see the old name with zero done.
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
        if let Ok(mut s) = self.stage.lock() {
            stage.clone_into(&mut s.0);
            s.1 = Instant::now();
        }
    }

    /// Changes the current stage's length and keeps its count (a time-budgeted training run
    /// re-estimating its number of steps).
    pub fn set_total(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
    }

    pub fn advance(&self, steps: u64) {
        self.done.fetch_add(steps, Ordering::Relaxed);
    }

    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// `Err(Cancelled)` once the job was cancelled; call between steps.
    pub fn check(&self) -> Result<(), Cancelled> {
        if self.is_cancelled() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }

    /// Replaces the detail line shown next to the stage.
    pub fn set_detail(&self, detail: String) {
        if let Ok(mut d) = self.detail.lock() {
            *d = detail;
        }
    }

    pub fn detail(&self) -> String {
        self.detail.lock().map(|d| d.clone()).unwrap_or_default()
    }

    pub fn stage(&self) -> String {
        self.stage.lock().map(|s| s.0.clone()).unwrap_or_default()
    }

    /// Time since the current stage started.
    pub fn stage_elapsed(&self) -> Duration {
        self.stage.lock().map_or(Duration::ZERO, |s| s.1.elapsed())
    }

    /// `(done, total)` of the current stage.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }

    /// Fraction of the current stage done, in `0..=1`.
    pub fn fraction(&self) -> f32 {
        let (done, total) = self.counts();
        if total == 0 {
            0.0
        } else {
            (done as f32 / total as f32).min(1.0)
        }
    }

    /// Time since the job started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Remaining time of the current stage, extrapolated from its rate since the stage started;
    /// `None` until there is a rate.
    pub fn eta(&self) -> Option<Duration> {
        let (done, total) = self.counts();
        if done == 0 || total == 0 {
            return None;
        }
        let per_step = self.stage_elapsed().as_secs_f64() / done as f64;
        Some(Duration::from_secs_f64(
            per_step * total.saturating_sub(done) as f64,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_fraction_and_cancel() {
        let p = Progress::default();
        assert_eq!(p.eta(), None);
        p.start_stage("import", 4);
        p.advance(1);
        assert!((p.fraction() - 0.25).abs() < 1e-6);
        assert!(p.eta().is_some());
        assert_eq!(p.check(), Ok(()));
        p.cancel();
        assert_eq!(p.check(), Err(Cancelled));
        assert_eq!(p.stage(), "import");
    }
}
