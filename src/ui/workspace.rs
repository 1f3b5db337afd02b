//! Workspaces and what they share.
//!
//! A workspace is a folder `src/ui/<workspace>/` with its own state behind the small [`Workspace`]
//! trait; the app shows them as tabs and gives the active one the central area, its keys and its
//! actions first. What every workspace shares lives in [`OpenProject`] (the project being edited,
//! the selection, decoded photos) and in the app (jobs, toasts, settings), lent through
//! [`WorkspaceContext`].

use super::browse::BrowseWorkspace;
use super::commands::{Action, Command};
use super::compare::CompareWorkspace;
use super::dataset::DatasetWorkspace;
use super::evaluate::EvaluateWorkspace;
use super::jobs::Jobs;
use super::label::LabelWorkspace;
use super::settings::Settings;
use super::synth::SynthWorkspace;
use super::toasts::Toasts;
use super::train::TrainWorkspace;
use super::widgets::ImageCache;
use crate::label::LabelSession;
use crate::project::Project;

/// The workspaces, in tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum WorkspaceId {
    Browse,
    Label,
    Dataset,
    Synthesize,
    Train,
    Evaluate,
    Compare,
}

impl WorkspaceId {
    pub const ALL: [Self; 7] = [
        Self::Browse,
        Self::Label,
        Self::Dataset,
        Self::Synthesize,
        Self::Train,
        Self::Evaluate,
        Self::Compare,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Self::Browse => "Browse",
            Self::Label => "Label",
            Self::Dataset => "Dataset",
            Self::Synthesize => "Synthesize",
            Self::Train => "Train",
            Self::Evaluate => "Evaluate",
            Self::Compare => "Compare",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::Browse => {
                "Look through the photos and their annotations; fix classes, delete instances"
            }
            Self::Label => {
                "Draw and edit instances: polygon, rectangle, select with vertex editing, class hotkeys"
            }
            Self::Dataset => {
                "The class table, pixel share against real size, problems, and the variant editor"
            }
            Self::Synthesize => {
                "Paste the annotated objects onto backgrounds: live preview of every parameter, batch runs"
            }
            Self::Train => {
                "Train DeepLab on the real photos and synthesis runs: live loss and mIoU charts, resume"
            }
            Self::Evaluate => {
                "Score a run on a split: IoU per class, IoU against pixel share, confusion, worst images"
            }
            Self::Compare => {
                "Every run per precision side by side: size, FLOPs, disk, mIoU and per-class IoU; sort, copy"
            }
        }
    }
}

/// What is selected, shared by the workspaces.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub image: Option<usize>,
    /// An instance (by id) of the selected image.
    pub instance: Option<u32>,
}

/// The open project and what goes with it.
pub struct OpenProject {
    pub session: LabelSession,
    pub selection: Selection,
    pub images: ImageCache,
}

impl OpenProject {
    pub fn project(&self) -> &Project {
        self.session.project()
    }
}

/// What a workspace may use while it draws or handles an action.
pub struct WorkspaceContext<'a> {
    pub open: &'a mut OpenProject,
    pub jobs: &'a mut Jobs,
    pub toasts: &'a mut Toasts,
    pub settings: &'a mut Settings,
    /// Commands for the app to apply after the frame.
    pub commands: &'a mut Vec<Command>,
}

/// One workspace.
pub trait Workspace {
    fn id(&self) -> WorkspaceId;

    /// Draws the workspace into the central area (it may add its own side panels).
    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut WorkspaceContext<'_>);

    /// Entries of the workspace's own menu ("View"), drawn inside it.
    fn menu_ui(&mut self, ui: &mut egui::Ui, cx: &mut WorkspaceContext<'_>) {
        let _ = (ui, cx);
    }

    /// Handles an action before the app does; returns whether it did.
    fn run_action(&mut self, action: Action, cx: &mut WorkspaceContext<'_>) -> bool {
        let _ = (action, cx);
        false
    }

    /// A project was opened (or replaced): drop state that belongs to the previous one.
    fn project_opened(&mut self, project: &Project) {
        let _ = project;
    }

    /// Runs every frame, active or not (to drain the workspace's own jobs).
    fn poll(&mut self, cx: &mut WorkspaceContext<'_>) {
        let _ = cx;
    }

    /// The workspace's part of the status bar (cursor position, zoom…).
    fn status_ui(&self, ui: &mut egui::Ui, open: &OpenProject) {
        let _ = (ui, open);
    }

    /// Mouse gestures for the help overlay: (gesture, what it does).
    fn mouse_help(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }

    /// Whether everything the workspace shows has arrived (screenshots wait for it).
    fn is_settled(&self, open: &OpenProject) -> bool {
        let _ = open;
        true
    }
}

/// Every workspace's state, one field each (the one place that lists them).
#[derive(Default)]
pub struct Workspaces {
    pub browse: BrowseWorkspace,
    pub label: LabelWorkspace,
    pub dataset: DatasetWorkspace,
    pub synth: SynthWorkspace,
    pub train: TrainWorkspace,
    pub evaluate: EvaluateWorkspace,
    pub compare: CompareWorkspace,
}

impl Workspaces {
    pub fn get(&self, id: WorkspaceId) -> &dyn Workspace {
        match id {
            WorkspaceId::Browse => &self.browse,
            WorkspaceId::Label => &self.label,
            WorkspaceId::Dataset => &self.dataset,
            WorkspaceId::Synthesize => &self.synth,
            WorkspaceId::Train => &self.train,
            WorkspaceId::Evaluate => &self.evaluate,
            WorkspaceId::Compare => &self.compare,
        }
    }

    pub fn get_mut(&mut self, id: WorkspaceId) -> &mut dyn Workspace {
        match id {
            WorkspaceId::Browse => &mut self.browse,
            WorkspaceId::Label => &mut self.label,
            WorkspaceId::Dataset => &mut self.dataset,
            WorkspaceId::Synthesize => &mut self.synth,
            WorkspaceId::Train => &mut self.train,
            WorkspaceId::Evaluate => &mut self.evaluate,
            WorkspaceId::Compare => &mut self.compare,
        }
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut dyn Workspace> {
        [
            &mut self.browse as &mut dyn Workspace,
            &mut self.label as &mut dyn Workspace,
            &mut self.dataset as &mut dyn Workspace,
            &mut self.synth as &mut dyn Workspace,
            &mut self.train as &mut dyn Workspace,
            &mut self.evaluate as &mut dyn Workspace,
            &mut self.compare as &mut dyn Workspace,
        ]
        .into_iter()
    }
}
