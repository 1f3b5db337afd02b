//! The analysis worker: a named thread that analyses a snapshot of the project and sends the result
//! back; a newer snapshot replaces an older one's result when it arrives.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

use crate::dataset::{DatasetAnalysis, Problem, analyse, find_problems};
use crate::ui::workspace::OpenProject;

/// What the worker computes.
pub struct AnalysisResult {
    pub analysis: DatasetAnalysis,
    pub problems: Vec<Problem>,
}

/// A stamp of the project's state: images, their generations, `project.ron`'s generation.
type Stamp = (usize, u64, u64);

fn stamp(open: &OpenProject) -> Stamp {
    let n = open.project().file().images.len();
    let generations = (0..n).map(|i| open.session.generation(i)).sum();
    (n, generations, open.session.project_generation())
}

#[derive(Default)]
pub struct AnalysisJob {
    result: Option<(Stamp, Arc<AnalysisResult>)>,
    running: Option<(Stamp, Receiver<AnalysisResult>)>,
}

impl AnalysisJob {
    /// Starts an analysis when the project changed since the last one (and none is running).
    pub fn refresh(&mut self, open: &OpenProject, ctx: &egui::Context) {
        let now = stamp(open);
        let known = self
            .running
            .as_ref()
            .map(|(s, _)| *s)
            .or(self.result.as_ref().map(|(s, _)| *s));
        if known == Some(now) || self.running.is_some() {
            return;
        }
        let project = open.project().clone();
        let (sender, receiver) = channel();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("dataset-analysis".into())
            .spawn(move || {
                let analysis = analyse(&project);
                let problems = find_problems(&project, &analysis);
                sender.send(AnalysisResult { analysis, problems }).ok();
                ctx.request_repaint();
            });
        if spawned.is_ok() {
            self.running = Some((now, receiver));
        }
    }

    /// Takes the worker's result when it has arrived.
    pub fn poll(&mut self) {
        if let Some((stamp, receiver)) = &self.running {
            match receiver.try_recv() {
                Ok(result) => {
                    self.result = Some((*stamp, Arc::new(result)));
                    self.running = None;
                }
                Err(std::sync::mpsc::TryRecvError::Disconnected) => self.running = None,
                Err(std::sync::mpsc::TryRecvError::Empty) => {}
            }
        }
    }

    pub fn running(&self) -> bool {
        self.running.is_some()
    }

    pub fn result(&self) -> Option<Arc<AnalysisResult>> {
        self.result.as_ref().map(|(_, r)| Arc::clone(r))
    }

    pub fn is_current(&self, open: &OpenProject) -> bool {
        self.result.as_ref().is_some_and(|(s, _)| *s == stamp(open))
    }
}
