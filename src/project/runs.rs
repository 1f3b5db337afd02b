//! Synthesis runs (`synth/<id>/manifest.ron`) and training runs (`runs/<id>/config.ron`): found by
//! scanning their folders, never listed in `project.ron`, so that the CLI and the studio never race
//! on that file and a run written by another process simply appears on the next scan.
//!
//! A run folder that a crash or a full disk left without a readable record is reported with the
//! reason and skipped; it never stops the project from opening. Folders whose names start with `.`
//! are runs still being written (their writer renames them into place when they are complete).

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::schema::{ClassDef, Variant};
use super::{Project, parse_ron};

/// Where one kind of run lives inside a project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunKind {
    /// Folder of the project holding one sub-folder per run.
    pub folder: &'static str,
    /// The record file inside each run folder.
    pub record: &'static str,
}

/// Synthesis runs: `synth/<id>/manifest.ron`.
pub const SYNTH_RUNS: RunKind = RunKind {
    folder: "synth",
    record: "manifest.ron",
};

/// Training runs: `runs/<id>/config.ron`.
pub const TRAIN_RUNS: RunKind = RunKind {
    folder: "runs",
    record: "config.ron",
};

/// One run found by a scan.
#[derive(Clone, Debug)]
pub struct FoundRun<T> {
    /// The run folder's name.
    pub id: String,
    pub dir: PathBuf,
    pub record: T,
}

/// What a scan found: the readable runs (by id) and one sentence per folder that was skipped.
#[derive(Clone, Debug)]
pub struct RunScan<T> {
    pub runs: Vec<FoundRun<T>>,
    pub skipped: Vec<String>,
}

/// The classes and the variant map a run was made with, stored in its record, so the run keeps its
/// meaning when the project's classes are renamed, added or removed later (class ids are stable).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetSnapshot {
    pub classes: Vec<ClassDef>,
    pub variant: Variant,
}

impl DatasetSnapshot {
    /// The project's classes and its variant `variant`, or `None` when it has no such variant.
    pub fn of(project: &Project, variant: &str) -> Option<Self> {
        Some(Self {
            classes: project.file().classes.clone(),
            variant: project.variant(variant)?.clone(),
        })
    }
}

/// Scans `root/<kind.folder>/*/<kind.record>`; a missing folder is no runs.
pub fn scan_runs<T: DeserializeOwned>(root: &Path, kind: RunKind) -> RunScan<T> {
    let mut scan = RunScan {
        runs: Vec::new(),
        skipped: Vec::new(),
    };
    let folder = root.join(kind.folder);
    let entries = match std::fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return scan,
        Err(e) => {
            scan.skipped
                .push(format!("cannot list the runs ({e}): {}", folder.display()));
            return scan;
        }
    };
    for entry in entries.filter_map(Result::ok) {
        let dir = entry.path();
        let id = entry.file_name().to_string_lossy().into_owned();
        if id.starts_with('.') || !dir.is_dir() {
            continue;
        }
        let path = dir.join(kind.record);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                scan.skipped.push(format!(
                    "run {id:?} has no {} (it did not finish); skipped: {}",
                    kind.record,
                    dir.display()
                ));
                continue;
            }
            Err(e) => {
                scan.skipped.push(format!(
                    "cannot read ({e}); run skipped: {}",
                    path.display()
                ));
                continue;
            }
        };
        match parse_ron::<T>(&text, &path) {
            Ok(record) => scan.runs.push(FoundRun { id, dir, record }),
            Err(err) => scan.skipped.push(format!("{err}; run skipped")),
        }
    }
    scan.runs.sort_by(|a, b| a.id.cmp(&b.id));
    scan.skipped.sort();
    scan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Record {
        steps: u32,
    }

    #[test]
    fn finds_runs_and_reports_broken_folders() {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        for (id, text) in [
            ("b", Some("(steps: 2)")),
            ("a", Some("(steps: 1)")),
            ("typo", Some("(stepz: 1)")),
            ("crashed", None),
            (".writing", Some("(steps: 3)")),
        ] {
            std::fs::create_dir_all(runs.join(id)).unwrap();
            if let Some(text) = text {
                std::fs::write(runs.join(id).join("config.ron"), text).unwrap();
            }
        }
        std::fs::write(runs.join("notes.txt"), "not a run").unwrap();
        let scan: RunScan<Record> = scan_runs(dir.path(), TRAIN_RUNS);
        let found: Vec<(&str, u32)> = scan
            .runs
            .iter()
            .map(|r| (r.id.as_str(), r.record.steps))
            .collect();
        assert_eq!(found, [("a", 1), ("b", 2)]);
        assert_eq!(scan.skipped.len(), 2, "{:?}", scan.skipped);
        assert!(
            scan.skipped
                .iter()
                .any(|s| s.contains("\"crashed\" has no config.ron"))
        );
        assert!(
            scan.skipped
                .iter()
                .any(|s| s.contains("typo/config.ron:1:") && s.contains("run skipped")),
            "{:?}",
            scan.skipped
        );
    }

    #[test]
    fn no_folder_means_no_runs() {
        let dir = tempfile::tempdir().unwrap();
        let scan: RunScan<Record> = scan_runs(dir.path(), SYNTH_RUNS);
        assert!(scan.runs.is_empty() && scan.skipped.is_empty());
    }
}
