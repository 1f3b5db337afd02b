//! The Dataset workspace: the class table with split balance, the seed's chart of pixel share
//! against real-world surface area, the problem list (a click shows the image), and the variant
//! editor. The analysis runs on a named worker thread whenever the project changes; the last result
//! stays on screen meanwhile.

mod analysis_job;
mod chart;
mod problems;
mod table;
mod transfer;
mod variants;

use analysis_job::AnalysisJob;
use transfer::TransferPanel;
use variants::VariantEditor;

use crate::project::Project;
use crate::ui::workspace::{OpenProject, Workspace, WorkspaceContext, WorkspaceId};

/// The workspace's views.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DatasetView {
    #[default]
    Classes,
    Chart,
    Problems,
    Variants,
    Transfer,
}

impl DatasetView {
    const ALL: [Self; 5] = [
        Self::Classes,
        Self::Chart,
        Self::Problems,
        Self::Variants,
        Self::Transfer,
    ];

    /// The view of a `--view` name.
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.to_ascii_lowercase();
        Self::ALL.into_iter().find(|v| {
            let key = match v {
                Self::Classes => "classes",
                Self::Chart => "chart",
                Self::Problems => "problems",
                Self::Variants => "variants",
                Self::Transfer => "transfer",
            };
            key == name
        })
    }

    fn title(self) -> &'static str {
        match self {
            Self::Classes => "Classes",
            Self::Chart => "Pixels vs size",
            Self::Problems => "Problems",
            Self::Variants => "Variants",
            Self::Transfer => "Import / Export",
        }
    }

    fn tooltip(self) -> &'static str {
        match self {
            Self::Classes => "Instances, pixels and pixel share of every class, per split",
            Self::Chart => {
                "The seed's chart: each class's share of the training pixels against its real-world surface area"
            }
            Self::Problems => {
                "Broken and unlabelled images, tiny instances, heavy overlaps, classes missing from a split"
            }
            Self::Variants => {
                "Group classes into training labels or mark them ignored; the merged counts are previewed"
            }
            Self::Transfer => {
                "Export to VOC, COCO, YOLO, LabelMe, Cityscapes or masks; import LabelMe, COCO, VOC or YOLO annotations"
            }
        }
    }
}

/// State of the Dataset workspace.
#[derive(Default)]
pub struct DatasetWorkspace {
    pub view: DatasetView,
    job: AnalysisJob,
    pub variants: VariantEditor,
    transfer: TransferPanel,
}

impl DatasetWorkspace {
    /// Whether the analysis shown is that of the project as it is now.
    pub fn is_current(&self, open: &OpenProject) -> bool {
        self.job.is_current(open)
    }
}

impl Workspace for DatasetWorkspace {
    fn id(&self) -> WorkspaceId {
        WorkspaceId::Dataset
    }

    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut WorkspaceContext<'_>) {
        self.job.refresh(cx.open, ui.ctx());
        ui.horizontal(|ui| {
            for view in DatasetView::ALL {
                ui.selectable_value(&mut self.view, view, view.title())
                    .on_hover_text(view.tooltip());
            }
            ui.separator();
            if self.job.running() && self.view != DatasetView::Transfer {
                ui.spinner();
                ui.label("Analysing…");
            }
        });
        ui.separator();
        if self.view == DatasetView::Transfer {
            // Import and export need no analysis: shown even while one runs.
            self.transfer.ui(ui, cx);
            return;
        }
        let Some(result) = self.job.result() else {
            ui.label("Analysing the project…");
            return;
        };
        let project = cx.open.project();
        match self.view {
            DatasetView::Classes => table::class_table_ui(ui, &result.analysis),
            DatasetView::Chart => chart::share_chart_ui(ui, &result.analysis),
            DatasetView::Problems => problems::problem_list_ui(ui, &result.problems, cx.commands),
            DatasetView::Variants => {
                self.variants.ui(ui, project, &result.analysis, cx.commands);
            }
            DatasetView::Transfer => {} // drawn above
        }
    }

    fn project_opened(&mut self, project: &Project) {
        self.job = AnalysisJob::default();
        self.variants = VariantEditor::default();
        self.transfer = TransferPanel::default();
        let _ = project;
    }

    fn poll(&mut self, cx: &mut WorkspaceContext<'_>) {
        self.job.poll();
        self.transfer.poll(cx);
        self.variants.follow(cx.open.project());
    }

    fn is_settled(&self, open: &OpenProject) -> bool {
        self.job.is_current(open)
    }
}
