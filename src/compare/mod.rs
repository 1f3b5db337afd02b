//! Every run of a project side by side, per precision (f32, and each int8 checkpoint `quantize`
//! wrote): encoder, variant, steps, parameters, multiply-adds and FLOPs (at the run's size and as
//! the seed counted them, 2 × MACs at 481×641), disk, mIoU and per-class IoU, and optionally the
//! latency measured here. The CLI's `compare` and the Compare workspace print the same rows.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

pub mod seed;

use crate::model::stats;
use crate::quantize::job::{QuantReport, report_path};
use crate::train::{RunDir, list_runs};

/// One run at one precision.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CompareRow {
    pub run: String,
    pub encoder: String,
    pub variant: String,
    /// "f32", "int8 per-channel" or "int8 per-tensor".
    pub precision: String,
    pub steps: u64,
    /// Width × height of the input.
    pub size: [u32; 2],
    pub params: u64,
    /// Multiply-adds of one image at the run's size.
    pub macs: u64,
    /// 2 × MACs at 481×641 (the seed's table).
    pub seed_flops: u64,
    /// The weights file (f32 with `BatchNorm` statistics, or the int8 checkpoint) and its size.
    pub file: std::path::PathBuf,
    pub disk_bytes: u64,
    /// The best validation during training (val split at the input size); f32 rows only.
    pub train_val_miou: Option<f64>,
    /// The val split at full resolution, from `quantize` (both precisions).
    pub eval_miou: Option<f64>,
    /// Per-class IoU: from `quantize` where it ran, else the best validation's.
    pub per_class: BTreeMap<String, f64>,
    /// Milliseconds per image at the run's size, batch 1, when measured.
    pub latency_ms: Option<f64>,
}

/// The rows of every run under `project_root`, f32 first, then its int8 checkpoints; plus one
/// sentence per run that could not be read.
pub fn rows(project_root: &Path) -> (Vec<CompareRow>, Vec<String>) {
    let (runs, mut skipped) = list_runs(project_root);
    let mut out = Vec::new();
    for (found, state) in runs {
        let record = &found.record;
        let run = RunDir::open(project_root, &found.id);
        let Some(state) = state else {
            skipped.push(format!("run {}: no readable state.ron", found.id));
            continue;
        };
        let best = run.best_path();
        let f32_file = if best.exists() {
            best
        } else if let Some(step) = state.checkpoint {
            run.weights_path(step)
        } else {
            continue; // nothing to compare yet
        };
        let [w, h] = record.train.size;
        let s = stats(&record.model, h as usize, w as usize);
        let seed = stats(&record.model, 481, 641);
        let size_of = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
        let base = CompareRow {
            run: found.id.clone(),
            encoder: record.train.encoder.clone(),
            variant: record.train.variant.clone(),
            precision: "f32".into(),
            steps: state.step,
            size: record.train.size,
            params: s.params,
            macs: s.macs,
            seed_flops: seed.flops,
            disk_bytes: size_of(&f32_file),
            file: f32_file.clone(),
            train_val_miou: state.best.map(|(_, m)| m),
            eval_miou: None,
            per_class: best_val_per_class(&run, state.best.map(|(step, _)| step)),
            latency_ms: None,
        };
        let reports = int8_reports(&run);
        let latency = read_latency(&run);
        let mut f32_row = base.clone();
        f32_row.latency_ms = latency.get("f32").copied();
        if let Some(r) = reports.first() {
            f32_row.eval_miou = r.miou_f32;
            f32_row.per_class.clone_from(&r.per_class_f32);
        }
        out.push(f32_row);
        for r in reports {
            out.push(CompareRow {
                precision: r.precision.clone(),
                disk_bytes: r.bytes_int8,
                file: r.file.clone(),
                train_val_miou: None,
                eval_miou: r.miou_int8,
                per_class: r.per_class_int8.clone(),
                latency_ms: latency.get(&r.precision).copied(),
                ..base.clone()
            });
        }
    }
    (out, skipped)
}

/// Where a run keeps the latencies measured for it, by precision (so that a measurement outlives
/// the window that made it).
fn latency_path(run: &RunDir) -> std::path::PathBuf {
    run.dir.join("latency.json")
}

/// The latencies measured for a run, by precision.
fn read_latency(run: &RunDir) -> BTreeMap<String, f64> {
    std::fs::read_to_string(latency_path(run))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// Measures every row's latency: the median of `repeats` forward passes of one image at the
/// run's size (after one warm-up), f32 or int8 as the row says, and records it in the run's
/// `latency.json` (atomically; later [`rows`] read it back). `progress` can stop the work.
pub fn measure_latency(
    project_root: &Path,
    rows: &mut [CompareRow],
    repeats: usize,
    progress: &crate::progress::Progress,
) -> Result<(), String> {
    progress.start_stage("timing", rows.len() as u64);
    for row in rows.iter_mut() {
        progress.check().map_err(|e| e.to_string())?;
        let run = RunDir::open(project_root, &row.run);
        let file = row.file.to_string_lossy().into_owned();
        let predictor =
            crate::train::Predictor::load(&run, Some(&file), &candle_core::Device::Cpu)?;
        let [w, h] = row.size.map(|v| v as usize);
        let x = vec![0f32; 3 * h * w];
        let mut times = Vec::with_capacity(repeats);
        for i in 0..=repeats {
            let t = std::time::Instant::now();
            predictor.logits(&x, 1).map_err(|e| e.to_string())?;
            if i > 0 {
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
        }
        times.sort_by(f64::total_cmp);
        row.latency_ms = times.get(times.len() / 2).copied();
        if let Some(ms) = row.latency_ms {
            let mut recorded = read_latency(&run);
            recorded.insert(row.precision.clone(), ms);
            let json = serde_json::to_vec_pretty(&recorded).map_err(|e| e.to_string())?;
            crate::project::fsio::atomic_write(&latency_path(&run), &json)
                .map_err(|e| e.to_string())?;
        }
        progress.advance(1);
    }
    Ok(())
}

/// The `quantize` reports of a run (per channel first).
fn int8_reports(run: &RunDir) -> Vec<QuantReport> {
    use crate::quantize::{Granularity, job::int8_path};
    [Granularity::PerChannel, Granularity::PerTensor]
        .into_iter()
        .filter_map(|g| {
            let file = int8_path(run, g);
            let text = std::fs::read_to_string(report_path(&file)).ok()?;
            let report: QuantReport = serde_json::from_str(&text).ok()?;
            file.exists().then_some(report)
        })
        .collect()
}

/// Per-class IoU of the validation at `step`, from `val.csv` (its columns after step, seconds,
/// mIoU and pixel accuracy are the labels).
fn best_val_per_class(run: &RunDir, step: Option<u64>) -> BTreeMap<String, f64> {
    let (Some(step), Ok(text)) = (step, std::fs::read_to_string(run.val_path())) else {
        return BTreeMap::new();
    };
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return BTreeMap::new();
    };
    let names: Vec<&str> = header.split(',').skip(4).collect();
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|cols| cols.first().and_then(|c| c.parse::<u64>().ok()) == Some(step))
        .map(|cols| {
            names
                .iter()
                .zip(cols.iter().skip(4))
                .filter_map(|(n, v)| Some(((*n).to_owned(), v.parse::<f64>().ok()?)))
                .collect()
        })
        .unwrap_or_default()
}

/// The columns of the table, in order.
pub const COLUMNS: [&str; 13] = [
    "run",
    "encoder",
    "variant",
    "precision",
    "steps",
    "size",
    "params",
    "MACs (G)",
    "seed GFLOPs",
    "disk (MB)",
    "latency (ms)",
    "val mIoU (training)",
    "val mIoU (full res)",
];

impl CompareRow {
    /// The row's cells as [`COLUMNS`] names them (numbers formatted for reading).
    pub fn cells(&self) -> Vec<String> {
        let opt =
            |v: Option<f64>, digits: usize| v.map_or(String::new(), |v| format!("{v:.digits$}"));
        vec![
            self.run.clone(),
            self.encoder.clone(),
            self.variant.clone(),
            self.precision.clone(),
            self.steps.to_string(),
            format!("{}x{}", self.size[0], self.size[1]),
            self.params.to_string(),
            format!("{:.2}", self.macs as f64 / 1e9),
            format!("{:.1}", self.seed_flops as f64 / 1e9),
            format!("{:.2}", self.disk_bytes as f64 / 1e6),
            opt(self.latency_ms, 1),
            opt(self.train_val_miou, 2),
            opt(self.eval_miou, 2),
        ]
    }
}

/// Every label that some row has a per-class IoU for, sorted.
pub fn class_columns(rows: &[CompareRow]) -> Vec<String> {
    let mut names: Vec<String> = rows
        .iter()
        .flat_map(|r| r.per_class.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The table as CSV: [`COLUMNS`], then one column of IoU per label.
pub fn to_csv(rows: &[CompareRow]) -> String {
    let classes = class_columns(rows);
    let quote = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    };
    let mut out = COLUMNS
        .iter()
        .map(|c| quote(c))
        .chain(classes.iter().map(|c| quote(&format!("IoU {c}"))))
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    for r in rows {
        let cells = r.cells().into_iter().chain(classes.iter().map(|c| {
            r.per_class
                .get(c)
                .map_or(String::new(), |v| format!("{v:.2}"))
        }));
        out.push_str(&cells.map(|c| quote(&c)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

/// The table as Markdown (per-class IoU left out: a wide table reads better as CSV).
pub fn to_markdown(rows: &[CompareRow]) -> String {
    markdown_table(&COLUMNS, rows.iter().map(CompareRow::cells))
}

/// A Markdown table of `header` and `rows`, `|` in cells escaped.
pub(crate) fn markdown_table(
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> String {
    let mut lines = vec![
        format!("| {} |", header.join(" | ")),
        format!("|{}", " --- |".repeat(header.len())),
    ];
    for cells in rows {
        let cells: Vec<String> = cells.iter().map(|c| c.replace('|', "\\|")).collect();
        lines.push(format!("| {} |", cells.join(" | ")));
    }
    lines.join("\n") + "\n"
}
