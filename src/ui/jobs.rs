//! The registry of running background jobs.
//!
//! A job is a named worker thread that streams typed messages to its owner over a channel: events
//! (`E`: a training step's metrics, say), log lines, and one final result. The owner (the app, or a
//! workspace) keeps the typed [`JobHandle`] and drains it every frame; the registry keeps what every
//! job has in common — its kind, title and shared [`Progress`] — so that the status bar can list all
//! of them with their stage, progress, ETA (from the stage's start) and a Cancel button, and so that a
//! second job of a running kind is refused.
//!
//! Interactive work that follows the cursor or a slider is not a job: see [`crate::workers`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};

use crate::progress::Progress;

/// The kinds of jobs; one of each may run at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobKind {
    OpenProject,
    /// Anything that adds photos to the project (they must not pick the same file names).
    Import,
    /// Writing a dataset in another tool's format.
    Export,
    /// A batch run of the generator.
    Synthesize,
    /// A training run.
    Train,
    /// Scoring a trained run on a split.
    Evaluate,
    /// A trained run labelling photos for the Label workspace.
    PreLabel,
    /// Timing runs' inference (the Compare workspace).
    Benchmark,
    PickFolder,
}

impl JobKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::OpenProject => "opening a project",
            Self::Import => "an import",
            Self::Export => "an export",
            Self::Synthesize => "a synthesis run",
            Self::Train => "a training run",
            Self::Evaluate => "an evaluation",
            Self::PreLabel => "pre-labelling",
            Self::Benchmark => "timing runs",
            Self::PickFolder => "a folder dialog",
        }
    }

    /// Whether the status bar lists it (a folder dialog is on screen anyway).
    fn listed(self) -> bool {
        !matches!(self, Self::PickFolder)
    }
}

/// How a job ended other than with its result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobError {
    /// The user cancelled it; whatever it wrote was taken back.
    Cancelled,
    /// It failed; the message says why.
    Failed(String),
    /// Its thread stopped without a result (a panic).
    Died,
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Cancelled => f.write_str("cancelled"),
            Self::Failed(message) => f.write_str(message),
            Self::Died => f.write_str("the worker stopped unexpectedly"),
        }
    }
}

impl From<crate::project::ProjectError> for JobError {
    fn from(err: crate::project::ProjectError) -> Self {
        match err {
            crate::project::ProjectError::Cancelled => Self::Cancelled,
            other => Self::Failed(other.to_string()),
        }
    }
}

/// One message of a job to its owner.
#[derive(Debug)]
pub enum JobMessage<T, E> {
    Event(E),
    Log(log::Level, String),
    Finished(Result<T, JobError>),
}

/// What a job's worker reports through.
pub struct JobContext<E> {
    progress: Arc<Progress>,
    sender: Sender<Message<E>>,
    waker: egui::Context,
}

/// The channel carries events and logs; the result travels the same way, typed per job.
enum Message<E> {
    Event(E),
    Log(log::Level, String),
}

impl<E> JobContext<E> {
    /// The job's progress: stages, steps, cancellation (core functions take it as is).
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Streams an event to the owner while the job goes on.
    pub fn emit(&self, event: E) {
        self.sender.send(Message::Event(event)).ok();
        self.waker.request_repaint();
    }

    pub fn log(&self, level: log::Level, text: impl Into<String>) {
        self.sender.send(Message::Log(level, text.into())).ok();
        self.waker.request_repaint();
    }
}

/// What the registry knows of a job.
struct Entry {
    kind: JobKind,
    title: String,
    progress: Arc<Progress>,
    finished: Arc<AtomicBool>,
}

/// A running job as the status bar shows it.
pub struct JobStatus {
    pub kind: JobKind,
    pub title: String,
    pub progress: Arc<Progress>,
}

/// The owner's end of a job.
pub struct JobHandle<T, E = ()> {
    pub kind: JobKind,
    messages: Receiver<Message<E>>,
    result: Receiver<Result<T, JobError>>,
    progress: Arc<Progress>,
    done: bool,
}

impl<T> JobHandle<T, ()> {
    /// The result once a job without events has finished; its log lines become toasts on the way.
    pub fn finished(
        &mut self,
        toasts: &mut crate::ui::toasts::Toasts,
    ) -> Option<Result<T, JobError>> {
        let mut result = None;
        for message in self.drain() {
            match message {
                JobMessage::Event(()) => {}
                JobMessage::Log(level, text) => toasts.log(level, text),
                JobMessage::Finished(r) => result = Some(r),
            }
        }
        result
    }
}

impl<T, E> JobHandle<T, E> {
    /// Everything the job sent since the last call; `Finished` comes last, once.
    pub fn drain(&mut self) -> Vec<JobMessage<T, E>> {
        let mut out: Vec<JobMessage<T, E>> = self
            .messages
            .try_iter()
            .map(|m| match m {
                Message::Event(e) => JobMessage::Event(e),
                Message::Log(level, text) => JobMessage::Log(level, text),
            })
            .collect();
        if !self.done {
            match self.result.try_recv() {
                Ok(result) => {
                    // Events sent just before the result are already in `out` or still queued.
                    out.extend(self.messages.try_iter().map(|m| match m {
                        Message::Event(e) => JobMessage::Event(e),
                        Message::Log(level, text) => JobMessage::Log(level, text),
                    }));
                    out.push(JobMessage::Finished(result));
                    self.done = true;
                }
                Err(TryRecvError::Disconnected) => {
                    out.push(JobMessage::Finished(Err(JobError::Died)));
                    self.done = true;
                }
                Err(TryRecvError::Empty) => {}
            }
        }
        out
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The job's shared progress (stage, counts, cancel flag).
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    pub fn cancel(&self) {
        self.progress.cancel();
    }
}

/// Refusal to start a job.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{} is already running; wait for it or cancel it", .0.name())]
    AlreadyRunning(JobKind),
    #[error("cannot start a worker thread for {}: {}", .0.name(), .1)]
    Thread(JobKind, std::io::Error),
}

/// The running jobs.
#[derive(Default)]
pub struct Jobs {
    entries: Vec<Entry>,
}

/// Marks a job finished when its thread ends, also by a panic.
struct FinishedGuard(Arc<AtomicBool>, egui::Context);

impl Drop for FinishedGuard {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
        self.1.request_repaint();
    }
}

impl Jobs {
    /// Starts `work` on a thread named after `kind`, unless a job of that kind is running.
    pub fn start<T, E>(
        &mut self,
        kind: JobKind,
        title: impl Into<String>,
        ctx: &egui::Context,
        work: impl FnOnce(&JobContext<E>) -> Result<T, JobError> + Send + 'static,
    ) -> Result<JobHandle<T, E>, StartError>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        self.prune();
        if self.is_running(kind) {
            return Err(StartError::AlreadyRunning(kind));
        }
        let progress = Arc::new(Progress::default());
        let finished = Arc::new(AtomicBool::new(false));
        let (sender, messages) = channel();
        let (result_sender, result) = channel();
        let job_cx = JobContext {
            progress: progress.clone(),
            sender,
            waker: ctx.clone(),
        };
        let guard = FinishedGuard(finished.clone(), ctx.clone());
        std::thread::Builder::new()
            .name(format!("job-{kind:?}").to_lowercase())
            .spawn(move || {
                let _guard = guard;
                let outcome = work(&job_cx);
                result_sender.send(outcome).ok();
            })
            .map_err(|e| StartError::Thread(kind, e))?;
        self.entries.push(Entry {
            kind,
            title: title.into(),
            progress: progress.clone(),
            finished,
        });
        Ok(JobHandle {
            kind,
            messages,
            result,
            progress,
            done: false,
        })
    }

    /// Forgets jobs whose threads have ended.
    fn prune(&mut self) {
        self.entries.retain(|e| !e.finished.load(Ordering::SeqCst));
    }

    pub fn is_running(&self, kind: JobKind) -> bool {
        self.entries
            .iter()
            .any(|e| e.kind == kind && !e.finished.load(Ordering::SeqCst))
    }

    pub fn any_running(&self) -> bool {
        self.entries
            .iter()
            .any(|e| !e.finished.load(Ordering::SeqCst))
    }

    /// Asks the running job of `kind` to stop.
    pub fn cancel(&self, kind: JobKind) {
        for e in self.entries.iter().filter(|e| e.kind == kind) {
            e.progress.cancel();
        }
    }

    /// The running jobs the status bar lists, oldest first.
    pub fn statuses(&mut self) -> Vec<JobStatus> {
        self.prune();
        self.entries
            .iter()
            .filter(|e| e.kind.listed())
            .map(|e| JobStatus {
                kind: e.kind,
                title: e.title.clone(),
                progress: e.progress.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::sync_channel;

    fn drain_until_finished<T, E>(handle: &mut JobHandle<T, E>) -> Vec<JobMessage<T, E>> {
        let mut all = Vec::new();
        while !handle.is_done() {
            all.extend(handle.drain());
            std::thread::yield_now();
        }
        all
    }

    #[test]
    fn events_stream_while_the_job_runs_and_a_second_of_a_kind_is_refused() {
        let ctx = egui::Context::default();
        let mut jobs = Jobs::default();
        let (go, wait) = sync_channel::<()>(0);
        let mut handle = jobs
            .start(
                JobKind::Import,
                "test",
                &ctx,
                move |job: &JobContext<u32>| {
                    for step in 1..=3 {
                        job.emit(step);
                    }
                    job.log(log::Level::Warn, "halfway");
                    wait.recv().ok();
                    Ok("done")
                },
            )
            .unwrap();
        // The three steps arrive before the job ends (it waits for `go`).
        let mut events = Vec::new();
        while events.len() < 4 {
            for m in handle.drain() {
                match m {
                    JobMessage::Event(e) => events.push(format!("event {e}")),
                    JobMessage::Log(_, text) => events.push(text),
                    JobMessage::Finished(_) => panic!("finished before it was let go"),
                }
            }
        }
        assert_eq!(events, ["event 1", "event 2", "event 3", "halfway"]);
        assert!(jobs.is_running(JobKind::Import));
        let refused = jobs.start(JobKind::Import, "again", &ctx, |_: &JobContext<()>| Ok(()));
        assert!(matches!(
            refused,
            Err(StartError::AlreadyRunning(JobKind::Import))
        ));
        assert_eq!(jobs.statuses().len(), 1);

        go.send(()).unwrap();
        let rest = drain_until_finished(&mut handle);
        assert!(matches!(
            rest.last(),
            Some(JobMessage::Finished(Ok("done")))
        ));
        while jobs.is_running(JobKind::Import) {
            std::thread::yield_now();
        }
        assert!(jobs.statuses().is_empty());
    }

    #[test]
    fn a_cancelled_job_and_a_panicking_job_say_so() {
        let ctx = egui::Context::default();
        let mut jobs = Jobs::default();
        let mut cancelled = jobs
            .start(JobKind::Import, "cancel me", &ctx, |job: &JobContext<()>| {
                while !job.progress().is_cancelled() {
                    std::thread::yield_now();
                }
                Err::<(), _>(JobError::Cancelled)
            })
            .unwrap();
        jobs.cancel(JobKind::Import);
        let messages = drain_until_finished(&mut cancelled);
        assert!(matches!(
            messages.last(),
            Some(JobMessage::Finished(Err(JobError::Cancelled)))
        ));

        let mut died = jobs
            .start(JobKind::OpenProject, "panics", &ctx, |_: &JobContext<()>| {
                assert!(!std::hint::black_box(true), "a bug in the job");
                Ok(())
            })
            .unwrap();
        let messages = drain_until_finished(&mut died);
        assert!(matches!(
            messages.last(),
            Some(JobMessage::Finished(Err(JobError::Died)))
        ));
    }
}
