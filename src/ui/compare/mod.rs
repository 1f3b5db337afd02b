//! The Compare workspace: every run of the project per precision (f32, and each int8 checkpoint
//! `quantize` wrote) in one sortable table — encoder, variant, steps, size, parameters, MACs, the
//! seed's FLOPs, disk, latency, mIoU at training and at full resolution, and per-class IoU — copied
//! as Markdown or CSV; charts of the rows ticked (val mIoU curves overlaid, per-class IoU bars,
//! mIoU against latency); and the seed's published table with our best runs beside it. The rows
//! are read on a named thread and latency is timed as a job; the UI never waits for either.

mod charts;
mod seed;
mod table;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc::{Receiver, channel};

use crate::compare::{CompareRow, rows};
use crate::project::Project;
use crate::ui::jobs::{JobError, JobHandle, JobKind};
use crate::ui::workspace::{Workspace, WorkspaceContext, WorkspaceId};

/// One scan of the project's runs.
struct Scan {
    rows: Vec<CompareRow>,
    skipped: Vec<String>,
    /// Val mIoU against steps of each run, from its `val.csv`.
    curves: BTreeMap<String, Vec<[f64; 2]>>,
}

/// What the workspace shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    #[default]
    Table,
    Charts,
    Seed,
}

impl View {
    /// The view named `table`, `charts` or `seed` (the command line's `--view`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "table" => Some(Self::Table),
            "charts" => Some(Self::Charts),
            "seed" => Some(Self::Seed),
            _ => None,
        }
    }
}

/// Timed passes per row when measuring latency from the workspace.
const LATENCY_REPEATS: usize = 5;

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
    pub view: View,
    /// Val mIoU curves by run.
    pub curves: BTreeMap<String, Vec<[f64; 2]>>,
    /// Rows (run, precision) left out of the charts; new rows are charted.
    pub unticked: BTreeSet<(String, String)>,
    latency: Option<JobHandle<Vec<CompareRow>>>,
    error: Option<String>,
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
                let curves = rows
                    .iter()
                    .map(|r| {
                        let history = crate::train::RunDir::open(&root, &r.run).read_history();
                        (r.run.clone(), history.val)
                    })
                    .collect();
                tx.send(Scan {
                    rows,
                    skipped,
                    curves,
                })
                .ok();
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

    /// The rows the charts show, with their index (their colour).
    pub fn ticked(&self) -> Vec<(usize, &CompareRow)> {
        self.rows
            .iter()
            .enumerate()
            .filter(|(_, r)| !self.unticked.contains(&key(r)))
            .collect()
    }

    /// Times the ticked rows (all rows in the table view) on a job.
    fn measure_latency(&mut self, cx: &mut WorkspaceContext<'_>) {
        let Some(ctx) = self.ctx.clone() else {
            return;
        };
        let mut rows: Vec<CompareRow> = if self.view == View::Table {
            self.rows.clone()
        } else {
            self.ticked().into_iter().map(|(_, r)| r.clone()).collect()
        };
        let root = cx.open.project().root().to_path_buf();
        let title = format!("Timing {} rows", rows.len());
        match cx.jobs.start(JobKind::Benchmark, title, &ctx, move |job| {
            crate::compare::measure_latency(&root, &mut rows, LATENCY_REPEATS, job.progress())
                .map_err(|e| {
                    if job.progress().is_cancelled() {
                        JobError::Cancelled
                    } else {
                        JobError::Failed(e)
                    }
                })?;
            Ok(rows)
        }) {
            Ok(handle) => {
                self.latency = Some(handle);
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
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
            let can_time = self.latency.is_none() && !self.rows.is_empty();
            if ui
                .add_enabled(can_time, egui::Button::new("Measure latency"))
                .on_hover_text(format!(
                    "Time the rows here: batch 1 at each run's size, the median of {LATENCY_REPEATS} passes (the ticked rows in Charts, every row in the table)"
                ))
                .clicked()
            {
                self.measure_latency(cx);
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
        if let Some(handle) = &self.latency {
            crate::ui::widgets::job_progress(ui, handle);
        }
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        for s in &self.skipped {
            ui.colored_label(ui.visuals().warn_fg_color, s);
        }
        ui.horizontal(|ui| {
            for (view, name, tip) in [
                (
                    View::Table,
                    "Table",
                    "Every run per precision, sortable by any column",
                ),
                (
                    View::Charts,
                    "Charts",
                    "val mIoU curves, per-class IoU and mIoU against latency of the ticked rows",
                ),
                (
                    View::Seed,
                    "Seed table",
                    "The seed's published numbers with our best runs beside them",
                ),
            ] {
                ui.selectable_value(&mut self.view, view, name)
                    .on_hover_text(tip);
            }
        });
        ui.separator();
        // The seed's table stands without runs of ours; the other views have nothing to show.
        if self.is_loaded() && self.rows.is_empty() && self.view != View::Seed {
            ui.label(
                "No run has weights yet: train one in the Train workspace (or `segstudio train`).",
            );
            return;
        }
        match self.view {
            View::Table => table::show(ui, &self.rows, &mut self.sort),
            View::Charts => self.charts_view(ui),
            View::Seed => {
                let table = crate::compare::seed::seed_rows(&self.rows);
                if ui
                    .button("Copy seed table as Markdown")
                    .on_hover_text("The seed's rows with ours beside them, as a Markdown table")
                    .clicked()
                {
                    ui.ctx()
                        .copy_text(crate::compare::seed::to_markdown(&table));
                    cx.toasts
                        .info("The seed table is on the clipboard as Markdown");
                }
                seed::seed_ui(ui, &table);
            }
        }
    }

    fn project_opened(&mut self, project: &Project) {
        // The view is the user's choice (or the command line's `--view`), not the project's.
        let (ctx, view) = (self.ctx.take(), self.view);
        *self = Self {
            view,
            ctx,
            ..Self::default()
        };
        self.rescan(project);
    }

    fn poll(&mut self, cx: &mut WorkspaceContext<'_>) {
        if let Some(rx) = &self.scanning
            && let Ok(scan) = rx.try_recv()
        {
            // Latencies measured here survive a rescan.
            let timed: BTreeMap<_, _> = self
                .rows
                .iter()
                .filter_map(|r| Some((key(r), r.latency_ms?)))
                .collect();
            self.rows = scan.rows;
            for r in &mut self.rows {
                r.latency_ms = r.latency_ms.or_else(|| timed.get(&key(r)).copied());
            }
            self.skipped = scan.skipped;
            self.curves = scan.curves;
            self.scanning = None;
        }
        if let Some(handle) = &mut self.latency
            && let Some(result) = handle.finished(cx.toasts)
        {
            self.latency = None;
            match result {
                Ok(timed) => {
                    for t in timed {
                        if let Some(r) = self.rows.iter_mut().find(|r| key(r) == key(&t)) {
                            r.latency_ms = t.latency_ms;
                        }
                    }
                }
                Err(JobError::Cancelled) => {}
                Err(e) => self.error = Some(e.to_string()),
            }
        }
    }

    fn is_settled(&self, _open: &crate::ui::workspace::OpenProject) -> bool {
        self.scanning.is_none() && self.latency.is_none()
    }
}

/// A row's identity across scans.
fn key(row: &CompareRow) -> (String, String) {
    (row.run.clone(), row.precision.clone())
}

impl CompareWorkspace {
    /// The tick list on the left, the charts of the ticked rows on the right.
    fn charts_view(&mut self, ui: &mut egui::Ui) {
        egui::Panel::left("compare-chart-rows")
            .resizable(true)
            .default_size(300.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    if ui
                        .small_button("All")
                        .on_hover_text("Chart every row")
                        .clicked()
                    {
                        self.unticked.clear();
                    }
                    if ui
                        .small_button("None")
                        .on_hover_text("Chart no row")
                        .clicked()
                    {
                        self.unticked = self.rows.iter().map(key).collect();
                    }
                });
                egui::ScrollArea::vertical().show(ui, |ui| {
                    for (i, row) in self.rows.iter().enumerate() {
                        let k = key(row);
                        let mut on = !self.unticked.contains(&k);
                        ui.horizontal(|ui| {
                            let (dot, _) = ui
                                .allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
                            ui.painter()
                                .circle_filled(dot.center(), 4.0, charts::color(i));
                            if ui
                                .checkbox(&mut on, charts::label(row))
                                .on_hover_text(format!(
                                    "{} {} at {}x{}, {} steps",
                                    row.encoder, row.variant, row.size[0], row.size[1], row.steps
                                ))
                                .changed()
                            {
                                if on {
                                    self.unticked.remove(&k);
                                } else {
                                    self.unticked.insert(k);
                                }
                            }
                        });
                    }
                });
            });
        let ticked = self.ticked();
        charts::charts_ui(ui, &ticked, &self.curves);
    }
}
