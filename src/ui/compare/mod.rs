//! The Compare workspace: every run of the project per precision (f32, and each int8 checkpoint
//! `quantize` wrote) in one sortable table — encoder, variant, steps, size, parameters, MACs, the
//! seed's FLOPs, disk, mIoU at training and at full resolution, and per-class IoU — with the table
//! copied as Markdown or CSV. The rows are read on a named thread; the UI never waits for them.

mod table;

use std::sync::mpsc::{Receiver, channel};

use crate::compare::{CompareRow, rows};
use crate::project::Project;
use crate::ui::workspace::{Workspace, WorkspaceContext, WorkspaceId};

/// One scan of the project's runs.
struct Scan {
    rows: Vec<CompareRow>,
    skipped: Vec<String>,
}

/// State of the Compare workspace.
#[derive(Default)]
pub struct CompareWorkspace {
    pub rows: Vec<CompareRow>,
    skipped: Vec<String>,
    scanning: Option<Receiver<Scan>>,
    scanned: bool,
    /// The column the table is sorted by (an index into `compare::COLUMNS`, then the labels),
    /// and whether downwards.
    pub sort: Option<(usize, bool)>,
    ctx: Option<egui::Context>,
}

impl CompareWorkspace {
    fn rescan(&mut self, project: &Project) {
        let Some(ctx) = self.ctx.clone() else {
            return;
        };
        let root = project.root().to_path_buf();
        let (tx, rx) = channel();
        let spawned = std::thread::Builder::new()
            .name("compare-scan".into())
            .spawn(move || {
                let (rows, skipped) = rows(&root);
                tx.send(Scan { rows, skipped }).ok();
                ctx.request_repaint();
            });
        if spawned.is_ok() {
            self.scanning = Some(rx);
            self.scanned = true;
        }
    }

    /// The rows in the order the table shows them.
    pub fn sorted(&self) -> Vec<&CompareRow> {
        table::order(&self.rows, self.sort)
            .into_iter()
            .map(|i| &self.rows[i])
            .collect()
    }

    /// Whether the rows of the newest scan have arrived.
    pub fn is_loaded(&self) -> bool {
        self.scanned && self.scanning.is_none()
    }
}

impl Workspace for CompareWorkspace {
    fn id(&self) -> WorkspaceId {
        WorkspaceId::Compare
    }

    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut WorkspaceContext<'_>) {
        if self.ctx.is_none() {
            self.ctx = Some(ui.ctx().clone());
        }
        if !self.scanned {
            self.rescan(cx.open.project());
        }
        ui.horizontal(|ui| {
            if ui
                .button("Refresh")
                .on_hover_text("Read the runs and their int8 reports again")
                .clicked()
            {
                self.rescan(cx.open.project());
            }
            if ui
                .button("Copy as Markdown")
                .on_hover_text(
                    "The table as a Markdown table, for a report (per-class IoU left out)",
                )
                .clicked()
            {
                ui.ctx().copy_text(crate::compare::to_markdown(&self.rows));
                cx.toasts.info("The table is on the clipboard as Markdown");
            }
            if ui
                .button("Copy as CSV")
                .on_hover_text("The table as CSV, with a column of IoU per label")
                .clicked()
            {
                ui.ctx().copy_text(crate::compare::to_csv(&self.rows));
                cx.toasts.info("The table is on the clipboard as CSV");
            }
            if self.scanning.is_some() {
                ui.spinner();
                ui.label("reading the runs…");
            } else {
                ui.label(format!("{} rows", self.rows.len())).on_hover_text(
                    "One row per run and precision; `segstudio quantize` adds the int8 rows",
                );
            }
        });
        for s in &self.skipped {
            ui.colored_label(ui.visuals().warn_fg_color, s);
        }
        ui.separator();
        if self.is_loaded() && self.rows.is_empty() {
            ui.label(
                "No run has weights yet: train one in the Train workspace (or `segstudio train`).",
            );
            return;
        }
        table::show(ui, &self.rows, &mut self.sort);
    }

    fn project_opened(&mut self, project: &Project) {
        let ctx = self.ctx.take();
        *self = Self {
            ctx,
            ..Self::default()
        };
        self.rescan(project);
    }

    fn poll(&mut self, _cx: &mut WorkspaceContext<'_>) {
        if let Some(rx) = &self.scanning
            && let Ok(scan) = rx.try_recv()
        {
            self.rows = scan.rows;
            self.skipped = scan.skipped;
            self.scanning = None;
        }
    }

    fn is_settled(&self, _open: &crate::ui::workspace::OpenProject) -> bool {
        self.scanning.is_none()
    }
}
