//! A training run's folder, `runs/<id>/`:
//!
//! - `config.ron` — the [`RunRecord`], written once when the run starts;
//! - `state.ron` — where the run is ([`RunState`]): status, step, schedule, resume point, best;
//! - `metrics.csv` — one row per step (loss, LR, images/s, the loader's share);
//! - `val.csv` — one row per validation (mIoU, pixel accuracy, IoU per label);
//! - `checkpoints/step-NNNNNNN.safetensors` and `.optim.safetensors` — the resume point (the newest
//!   only), and `checkpoints/best.safetensors` — the weights of the best validation.
//!
//! Every file is replaced atomically (write, fsync, rename), and `state.ron` is written after the
//! files it points to, so a kill at any moment leaves the previous resume point intact. The CSVs are
//! appended; on resume the rows after the resume point are cut, so they describe one history.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use candle_core::Tensor;
use serde::{Deserialize, Serialize};

use super::config::RunRecord;
use crate::project::fsio::{atomic_write, sync_dir};
use crate::project::runs::{FoundRun, RunScan, TRAIN_RUNS, scan_runs};
use crate::project::{parse_ron, to_ron_string};

/// Where a run stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum RunStatus {
    /// A process is training it (`pid`); a dead `pid` means the run was killed.
    Running {
        pid: u32,
    },
    /// Stopped by the user at `state.step`, resumable.
    Cancelled,
    /// Stopped by an error (a NaN loss, an unreadable file), resumable from its last checkpoint.
    Failed(String),
    Finished,
}

/// `state.ron`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunState {
    pub status: RunStatus,
    /// Steps done.
    pub step: u64,
    /// Steps of the schedule (the poly LR's horizon); `None` until a time budget has estimated it.
    pub total_steps: Option<u64>,
    /// Training seconds so far, over all sessions of the run.
    pub seconds: f64,
    /// The step of the newest checkpoint (the resume point).
    pub checkpoint: Option<u64>,
    /// Training seconds at that checkpoint.
    pub checkpoint_seconds: f64,
    /// Best validation so far: (step, mIoU).
    pub best: Option<(u64, f64)>,
    pub last_loss: Option<f64>,
    pub last_val_miou: Option<f64>,
}

/// How a run looks to a list (the Train workspace, `segstudio runs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Liveness {
    Running,
    /// Marked running but its process is gone: killed or crashed, resumable.
    Interrupted,
    Stopped,
}

impl RunState {
    /// One word for a run list: running, interrupted, cancelled, failed or finished.
    pub fn word(&self) -> &'static str {
        match (self.liveness(), &self.status) {
            (Liveness::Running, _) => "running",
            (Liveness::Interrupted, _) => "interrupted",
            (_, RunStatus::Cancelled) => "cancelled",
            (_, RunStatus::Failed(_)) => "failed",
            _ => "finished",
        }
    }

    pub fn liveness(&self) -> Liveness {
        match self.status {
            RunStatus::Running { pid } if process_alive(pid) => Liveness::Running,
            RunStatus::Running { .. } => Liveness::Interrupted,
            _ => Liveness::Stopped,
        }
    }
}

#[cfg(target_os = "linux")]
fn process_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(not(target_os = "linux"))]
fn process_alive(pid: u32) -> bool {
    pid == std::process::id()
}

/// One run folder.
#[derive(Clone, Debug)]
pub struct RunDir {
    pub id: String,
    pub dir: PathBuf,
}

/// Why a run folder could not be read or written.
pub type StoreResult<T> = Result<T, String>;

impl RunDir {
    pub fn open(project_root: &Path, id: &str) -> Self {
        Self {
            id: id.to_owned(),
            dir: project_root.join(TRAIN_RUNS.folder).join(id),
        }
    }

    /// Creates `runs/<id>/` for a new run named after the time, encoder and variant (`-2`, `-3`…
    /// when that folder exists).
    pub fn create(project_root: &Path, stem: &str) -> StoreResult<Self> {
        let runs = project_root.join(TRAIN_RUNS.folder);
        std::fs::create_dir_all(&runs)
            .map_err(|e| format!("cannot create {}: {e}", runs.display()))?;
        for n in 1.. {
            let id = if n == 1 {
                stem.to_owned()
            } else {
                format!("{stem}-{n}")
            };
            let dir = runs.join(&id);
            match std::fs::create_dir(&dir) {
                Ok(()) => {
                    std::fs::create_dir_all(dir.join("checkpoints"))
                        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                    return Ok(Self { id, dir });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(format!("cannot create {}: {e}", dir.display())),
            }
        }
        unreachable!("some suffix is free")
    }

    pub fn record_path(&self) -> PathBuf {
        self.dir.join(TRAIN_RUNS.record)
    }

    pub fn state_path(&self) -> PathBuf {
        self.dir.join("state.ron")
    }

    pub fn metrics_path(&self) -> PathBuf {
        self.dir.join("metrics.csv")
    }

    pub fn val_path(&self) -> PathBuf {
        self.dir.join("val.csv")
    }

    pub fn weights_path(&self, step: u64) -> PathBuf {
        self.dir
            .join("checkpoints")
            .join(format!("step-{step:07}.safetensors"))
    }

    pub fn optimizer_path(&self, step: u64) -> PathBuf {
        self.dir
            .join("checkpoints")
            .join(format!("step-{step:07}.optim.safetensors"))
    }

    pub fn best_path(&self) -> PathBuf {
        self.dir.join("checkpoints").join("best.safetensors")
    }

    pub fn write_record(&self, record: &RunRecord) -> StoreResult<()> {
        write_ron(&self.record_path(), record)
    }

    pub fn read_record(&self) -> StoreResult<RunRecord> {
        read_ron(&self.record_path())
    }

    pub fn write_state(&self, state: &RunState) -> StoreResult<()> {
        write_ron(&self.state_path(), state)
    }

    pub fn read_state(&self) -> StoreResult<RunState> {
        read_ron(&self.state_path())
    }

    /// Appends one line to a CSV, writing `header` first when the file is new.
    pub fn append_csv(&self, path: &Path, header: &str, line: &str) -> StoreResult<()> {
        let fresh = !path.exists();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let text = if fresh {
            format!("{header}\n{line}\n")
        } else {
            format!("{line}\n")
        };
        file.write_all(text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// Keeps the header and the rows whose first column (the step) is at most `step`.
    pub fn cut_csv(&self, path: &Path, step: u64) -> StoreResult<()> {
        let Ok(text) = std::fs::read_to_string(path) else {
            return Ok(());
        };
        let mut kept = String::new();
        for (i, line) in text.lines().enumerate() {
            let row_step = line.split(',').next().and_then(|s| s.parse::<u64>().ok());
            // A row a kill cut in half has no newline and may not parse: it goes too.
            if i == 0 || row_step.is_some_and(|s| s <= step) {
                kept.push_str(line);
                kept.push('\n');
            }
        }
        atomic_write(path, kept.as_bytes()).map_err(|e| e.to_string())
    }

    /// Writes the weights and the optimiser state of `step`, then deletes older resume points.
    /// The caller writes `state.ron` afterwards, which makes this point the one resumed from.
    pub fn write_checkpoint(
        &self,
        step: u64,
        weights: &HashMap<String, Tensor>,
        optimizer: &HashMap<String, Tensor>,
    ) -> StoreResult<()> {
        save_tensors(&self.weights_path(step), weights)?;
        save_tensors(&self.optimizer_path(step), optimizer)
    }

    /// Deletes the resume points other than `keep`.
    pub fn prune_checkpoints(&self, keep: u64) {
        let Ok(entries) = std::fs::read_dir(self.dir.join("checkpoints")) else {
            return;
        };
        let keep = [self.weights_path(keep), self.optimizer_path(keep)];
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("step-") && !keep.contains(&path) {
                std::fs::remove_file(&path).ok();
            }
        }
    }
}

/// Writes a safetensors file atomically: a temporary file beside it, fsync, rename.
#[expect(
    clippy::implicit_hasher,
    reason = "Candle's writer takes the default hasher's map"
)]
pub fn save_tensors(path: &Path, tensors: &HashMap<String, Tensor>) -> StoreResult<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(crate::project::fsio::TEMP_PREFIX)
        .suffix(".safetensors")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot create a temporary file in {}: {e}", dir.display()))?;
    candle_core::safetensors::save(tensors, tmp.path())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    crate::project::fsio::set_permissions_like(tmp.path(), path)
        .map_err(|e| format!("cannot set the permissions of {}: {e}", path.display()))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| format!("cannot flush {}: {e}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| format!("cannot replace {}: {}", path.display(), e.error))?;
    sync_dir(dir).map_err(|e| format!("cannot sync {}: {e}", dir.display()))
}

fn write_ron<T: Serialize>(path: &Path, value: &T) -> StoreResult<()> {
    let text = to_ron_string(value, path).map_err(|e| e.to_string())?;
    atomic_write(path, text.as_bytes()).map_err(|e| e.to_string())
}

fn read_ron<T: serde::de::DeserializeOwned>(path: &Path) -> StoreResult<T> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_ron(&text, path).map_err(|e| e.to_string())
}

/// A run found by [`list_runs`] with its state (`None` when `state.ron` is unreadable).
pub type ListedRun = (FoundRun<RunRecord>, Option<RunState>);

/// The project's training runs, and one sentence per run folder that was skipped.
pub fn list_runs(project_root: &Path) -> (Vec<ListedRun>, Vec<String>) {
    let RunScan { runs, skipped } = scan_runs::<RunRecord>(project_root, TRAIN_RUNS);
    let runs = runs
        .into_iter()
        .map(|run| {
            let state = RunDir::open(project_root, &run.id).read_state().ok();
            (run, state)
        })
        .collect();
    (runs, skipped)
}

/// A run's curves as its CSVs hold them (the Train workspace's charts of a run not running here).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunHistory {
    /// (step, seconds, loss, lr, images/s) per step.
    pub steps: Vec<[f64; 5]>,
    /// (step, mIoU) per validation (rows without an mIoU are skipped).
    pub val: Vec<[f64; 2]>,
}

impl RunDir {
    /// Reads `metrics.csv` and `val.csv`; rows that do not parse (a row a kill cut short) are
    /// skipped, a missing file is an empty curve.
    pub fn read_history(&self) -> RunHistory {
        let rows = |path: PathBuf| -> Vec<Vec<f64>> {
            std::fs::read_to_string(path)
                .unwrap_or_default()
                .lines()
                .skip(1)
                .filter_map(|l| {
                    l.split(',')
                        .map(|c| c.parse::<f64>().ok())
                        .collect::<Option<Vec<f64>>>()
                        .or_else(|| {
                            // Empty per-class cells are fine; the first columns must parse.
                            let cols: Vec<Option<f64>> =
                                l.split(',').map(|c| c.parse().ok()).collect();
                            cols.iter()
                                .take(3)
                                .all(Option::is_some)
                                .then(|| cols.iter().map(|c| c.unwrap_or(f64::NAN)).collect())
                        })
                })
                .collect()
        };
        RunHistory {
            steps: rows(self.metrics_path())
                .into_iter()
                .filter(|r| r.len() >= 5)
                .map(|r| [r[0], r[1], r[2], r[3], r[4]])
                .collect(),
            val: rows(self.val_path())
                .into_iter()
                .filter(|r| r.len() >= 3 && r[2].is_finite())
                .map(|r| [r[0], r[2]])
                .collect(),
        }
    }
}

/// `YYYYMMDD-HHMMSS` (UTC) of a Unix time, for run ids.
pub fn timestamp(unix_seconds: u64) -> String {
    let days = (unix_seconds / 86_400) as i64;
    let secs = unix_seconds % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(timestamp(0), "19700101-000000");
        // 2026-12-03 09:25:04 UTC (date -d @1796289904 -u).
        assert_eq!(timestamp(1_796_289_904), "20261203-092504");
        // Leap day 2024-02-29 12:00:00.
        assert_eq!(timestamp(1_709_208_000), "20240229-120000");
    }

    #[test]
    fn cut_keeps_the_history_up_to_the_resume_point() {
        let dir = tempfile::tempdir().unwrap();
        let run = RunDir {
            id: "r".into(),
            dir: dir.path().to_path_buf(),
        };
        let path = run.metrics_path();
        std::fs::write(&path, "step,loss\n1,0.5\n2,0.4\n3,0.3\n4,0.").unwrap();
        run.cut_csv(&path, 2).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "step,loss\n1,0.5\n2,0.4\n"
        );
    }

    #[test]
    fn history_reads_the_curves_and_skips_a_torn_row() {
        let dir = tempfile::tempdir().unwrap();
        let run = RunDir {
            id: "r".into(),
            dir: dir.path().to_path_buf(),
        };
        std::fs::write(
            run.metrics_path(),
            "step,seconds,loss,lr,images_per_s,loader_wait\n1,0.5,2.5,0.007,8,0\n2,1.0,2.",
        )
        .unwrap();
        std::fs::write(
            run.val_path(),
            "step,seconds,miou,pixel_acc,background,nut\n1,0.5,40.5,90,80,\n",
        )
        .unwrap();
        let h = run.read_history();
        assert_eq!(h.steps, vec![[1.0, 0.5, 2.5, 0.007, 8.0]]);
        assert_eq!(h.val, vec![[1.0, 40.5]]);
    }
}
