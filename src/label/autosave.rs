//! The autosave worker: one named thread that writes a project's changed files atomically.
//!
//! Every change is queued with its generation. Rapid changes to one file coalesce: the worker waits
//! until the file has been quiet for [`AutosaveOptions::quiet`], but never longer than
//! [`AutosaveOptions::max_delay`] after the first unsaved change, so a file is on disk about a second
//! after the last edit at most. Each write is reported with the generation it made durable (or the
//! error, after which the worker retries); [`Autosave::flush`] writes everything queued at once.
//! Dropping the worker writes what is still pending.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::project::fsio::atomic_write_with;
use crate::project::{
    AnnotationFile, PROJECT_FILE, ProjectFile, annotation_path, store_annotation, to_ron_string,
    validate,
};

/// A file the worker writes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SaveTarget {
    ProjectFile,
    /// The annotation file of the image with this file name.
    Annotation(String),
}

impl std::fmt::Display for SaveTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ProjectFile => f.write_str(PROJECT_FILE),
            Self::Annotation(image) => write!(f, "the annotations of {image}"),
        }
    }
}

/// What to write.
#[derive(Clone, Debug)]
pub enum Payload {
    ProjectFile(Box<ProjectFile>),
    /// `None` removes the file (the image has no instances left).
    Annotation(Option<AnnotationFile>),
}

/// One finished write (or failed attempt).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaveReport {
    pub target: SaveTarget,
    pub generation: u64,
    /// `Err` names the file and the problem; the worker keeps the change and tries again.
    pub outcome: Result<(), String>,
}

/// Called with the target and generation once a temporary file is complete and flushed, before it
/// is renamed into place.
pub type BeforeCommit = Arc<dyn Fn(&SaveTarget, u64) + Send + Sync>;

/// Timing of the worker.
#[derive(Clone)]
pub struct AutosaveOptions {
    /// A file is written once it has had no change for this long…
    pub quiet: Duration,
    /// …or this long after its first unsaved change, whichever comes first.
    pub max_delay: Duration,
    /// A failed write is tried again after this long.
    pub retry: Duration,
    /// Crash-safety drills stop the writer between the temporary file and the rename.
    pub before_commit: Option<BeforeCommit>,
}

impl Default for AutosaveOptions {
    fn default() -> Self {
        Self {
            quiet: Duration::from_millis(250),
            max_delay: Duration::from_secs(1),
            retry: Duration::from_secs(3),
            before_commit: None,
        }
    }
}

enum Request {
    Save {
        target: SaveTarget,
        generation: u64,
        payload: Payload,
    },
    Flush(Sender<Result<(), String>>),
}

struct Pending {
    generation: u64,
    payload: Payload,
    first: Instant,
    last: Instant,
    retry_at: Option<Instant>,
}

impl Pending {
    fn due(&self, options: &AutosaveOptions) -> Instant {
        self.retry_at
            .unwrap_or_else(|| (self.last + options.quiet).min(self.first + options.max_delay))
    }
}

/// The running worker of one project folder.
pub struct Autosave {
    sender: Option<Sender<Request>>,
    reports: Receiver<SaveReport>,
    thread: Option<JoinHandle<()>>,
}

/// Wakes whoever shows the reports (the studio repaints).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

impl Autosave {
    /// Starts the worker thread `autosave` for the project in `root`.
    pub fn start(root: PathBuf, options: AutosaveOptions, waker: Waker) -> std::io::Result<Self> {
        let (sender, requests) = channel();
        let (report_sender, reports) = channel();
        let thread = std::thread::Builder::new()
            .name("autosave".into())
            .spawn(move || {
                Worker {
                    root,
                    options,
                    pending: BTreeMap::new(),
                    reports: report_sender,
                    waker,
                }
                .run(&requests);
            })?;
        Ok(Self {
            sender: Some(sender),
            reports,
            thread: Some(thread),
        })
    }

    /// Queues generation `generation` of `target`; a later generation of the same target replaces it.
    pub fn queue(&self, target: SaveTarget, generation: u64, payload: Payload) {
        if let Some(sender) = &self.sender {
            sender
                .send(Request::Save {
                    target,
                    generation,
                    payload,
                })
                .ok();
        }
    }

    /// Writes everything queued so far now and waits for it; `Err` lists what could not be written.
    pub fn flush(&self) -> Result<(), String> {
        let (ack, done) = channel();
        let sent = self
            .sender
            .as_ref()
            .is_some_and(|s| s.send(Request::Flush(ack)).is_ok());
        if !sent {
            return Err("the autosave worker has stopped".into());
        }
        done.recv()
            .unwrap_or_else(|_| Err("the autosave worker stopped while saving".into()))
    }

    /// The reports that arrived since the last call.
    pub fn reports(&self) -> Vec<SaveReport> {
        self.reports.try_iter().collect()
    }

    /// Waits up to `timeout` for a report, then returns it with any others that arrived.
    pub fn wait_reports(&self, timeout: Duration) -> Vec<SaveReport> {
        let mut reports: Vec<SaveReport> = self.reports.recv_timeout(timeout).into_iter().collect();
        reports.extend(self.reports.try_iter());
        reports
    }
}

impl Drop for Autosave {
    fn drop(&mut self) {
        // Closing the channel makes the worker write what is pending and stop.
        self.sender = None;
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}

struct Worker {
    root: PathBuf,
    options: AutosaveOptions,
    pending: BTreeMap<SaveTarget, Pending>,
    reports: Sender<SaveReport>,
    waker: Waker,
}

impl Worker {
    fn run(mut self, requests: &Receiver<Request>) {
        loop {
            let next_due = self.pending.values().map(|p| p.due(&self.options)).min();
            let request = match next_due {
                None => requests.recv().map_err(|_| RecvTimeoutError::Disconnected),
                Some(due) => requests.recv_timeout(due.saturating_duration_since(Instant::now())),
            };
            match request {
                Ok(Request::Save {
                    target,
                    generation,
                    payload,
                }) => {
                    let now = Instant::now();
                    match self.pending.entry(target) {
                        Entry::Vacant(slot) => {
                            slot.insert(Pending {
                                generation,
                                payload,
                                first: now,
                                last: now,
                                retry_at: None,
                            });
                        }
                        Entry::Occupied(mut slot) => {
                            let entry = slot.get_mut();
                            if generation >= entry.generation {
                                entry.generation = generation;
                                entry.payload = payload;
                                // A new change goes out on the normal schedule, not the retry's.
                                entry.retry_at = None;
                            }
                            entry.last = now;
                        }
                    }
                }
                Ok(Request::Flush(ack)) => {
                    let failures = self.write_due(None);
                    let result = if failures.is_empty() {
                        Ok(())
                    } else {
                        Err(failures.join("; "))
                    };
                    ack.send(result).ok();
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.write_due(Some(Instant::now()));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.write_due(None);
                    return;
                }
            }
        }
    }

    /// Writes every pending file due by `now` (all of them for `None`); returns the failures.
    fn write_due(&mut self, now: Option<Instant>) -> Vec<String> {
        let due: Vec<SaveTarget> = self
            .pending
            .iter()
            .filter(|(_, p)| now.is_none_or(|now| p.due(&self.options) <= now))
            .map(|(t, _)| t.clone())
            .collect();
        let mut failures = Vec::new();
        for target in due {
            let Some(mut pending) = self.pending.remove(&target) else {
                continue;
            };
            let generation = pending.generation;
            let outcome = self.write(&target, &pending);
            if let Err(err) = &outcome {
                // Keep the change and try again later; a newer change replaces it meanwhile.
                failures.push(err.clone());
                pending.retry_at = Some(Instant::now() + self.options.retry);
                self.pending.insert(target.clone(), pending);
            }
            self.reports
                .send(SaveReport {
                    target,
                    generation,
                    outcome,
                })
                .ok();
            (self.waker)();
        }
        failures
    }

    fn write(&self, target: &SaveTarget, pending: &Pending) -> Result<(), String> {
        let hook = || {
            if let Some(hook) = &self.options.before_commit {
                hook(target, pending.generation);
            }
        };
        match (&pending.payload, target) {
            (Payload::ProjectFile(file), _) => {
                let path = self.root.join(PROJECT_FILE);
                let problems = validate::project_problems(file);
                if !problems.is_empty() {
                    return Err(format!("{}: {}", path.display(), problems.join("; ")));
                }
                let text = to_ron_string(file, &path).map_err(|e| e.to_string())?;
                atomic_write_with(&path, text.as_bytes(), hook).map_err(|e| e.to_string())
            }
            (Payload::Annotation(Some(annotation)), _) => {
                let path = annotation_path(&self.root, &annotation.image);
                let text = to_ron_string(annotation, &path).map_err(|e| e.to_string())?;
                atomic_write_with(&path, text.as_bytes(), hook).map_err(|e| e.to_string())
            }
            (Payload::Annotation(None), SaveTarget::Annotation(image)) => {
                store_annotation(&self.root, image, None).map_err(|e| e.to_string())
            }
            (Payload::Annotation(None), SaveTarget::ProjectFile) => {
                Err("an annotation removal was queued for project.ron".into())
            }
        }
    }
}
