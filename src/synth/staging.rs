//! The hidden folder a run (or a merge) is written into before it becomes its real folder.
//!
//! `.<name>.partial-…` sits beside the run's folder, so the final rename stays on one file system,
//! and its leading dot and missing manifest keep every scan of `synth/` from offering it. While the
//! writing process lives it holds an exclusive lock on the folder's `.writing` file; a process that
//! was killed (or lost its machine) leaves the folder behind with the lock free, and the next run
//! written into the same parent folder removes such leftovers, so a crash costs no disk for long.
//! A folder whose lock is held, or that has no lock file yet, is never touched.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::SynthError;
use crate::project::fsio::{FileError, sync_dir};

/// The lock file inside a staging folder.
const LOCK_FILE: &str = ".writing";
/// What marks a staging folder's name, after `.<name>`.
const PARTIAL_MARK: &str = ".partial-";

/// A run folder being written.
pub struct Staging {
    dir: tempfile::TempDir,
    lock: File,
}

impl Staging {
    /// Makes the staging folder for `out`, after removing the leftovers of dead runs beside it.
    pub fn new(out: &Path) -> Result<Self, SynthError> {
        let (parent, name) = folder_parts(out)?;
        std::fs::create_dir_all(&parent)
            .map_err(|e| FileError::new("cannot create", &parent, e))?;
        let removed = remove_abandoned(&parent);
        if removed > 0 {
            log::info!(
                "removed {removed} unfinished run folder(s) of killed runs in {}",
                parent.display()
            );
        }
        let dir = tempfile::Builder::new()
            .prefix(&format!(".{name}{PARTIAL_MARK}"))
            .tempdir_in(&parent)
            .map_err(|e| FileError::new("cannot create a run folder in", &parent, e))?;
        let lock_path = dir.path().join(LOCK_FILE);
        let lock =
            File::create(&lock_path).map_err(|e| FileError::new("cannot create", &lock_path, e))?;
        lock.lock()
            .map_err(|e| FileError::new("cannot lock", &lock_path, e))?;
        Ok(Self { dir, lock })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Makes every file durable and renames the folder to `out` (an empty folder there gives way).
    pub fn finish(self, out: &Path) -> Result<(), SynthError> {
        let Self { dir, lock } = self;
        let lock_path = dir.path().join(LOCK_FILE);
        // The lock file goes before the rename, while the lock is still held: a cleaner that
        // opened it meanwhile finds the lock taken and leaves the folder alone.
        std::fs::remove_file(&lock_path)
            .map_err(|e| FileError::new("cannot remove", &lock_path, e))?;
        drop(lock);
        let path = dir.path().to_path_buf();
        sync_tree(&path).map_err(|e| FileError::new("cannot sync", &path, e))?;
        if out.is_dir() {
            // An empty folder the user made for the run (checked at the start) gives way to it.
            std::fs::remove_dir(out).map_err(|e| FileError::new("cannot replace", out, e))?;
        }
        let kept = dir.keep();
        std::fs::rename(&kept, out).map_err(|e| {
            std::fs::remove_dir_all(&kept).ok();
            FileError::new("cannot move the run into place at", out, e)
        })?;
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent).map_err(|e| FileError::new("cannot sync", parent, e))?;
        }
        Ok(())
    }
}

fn folder_parts(out: &Path) -> Result<(PathBuf, String), SynthError> {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| SynthError::Input(format!("{} names no folder", out.display())))?;
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."))
        .to_path_buf();
    Ok((parent, name))
}

/// Removes the staging folders in `parent` whose writer is gone (their lock can be taken); returns
/// how many. Problems are logged, never raised: cleaning up must not stop a new run.
pub fn remove_abandoned(parent: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') || !name.contains(PARTIAL_MARK) {
            continue;
        }
        let folder = entry.path();
        let Ok(lock) = File::open(folder.join(LOCK_FILE)) else {
            continue; // being created or being finished: not ours to judge
        };
        if lock.try_lock().is_err() {
            continue; // a live writer holds it
        }
        match std::fs::remove_dir_all(&folder) {
            Ok(()) => removed += 1,
            Err(e) => log::warn!("cannot remove the abandoned {}: {e}", folder.display()),
        }
    }
    removed
}

/// Flushes every file written under `dir` to disk: one `syncfs` on Linux (thousands of files,
/// one call), else a sync of each file.
fn sync_tree(dir: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        syncfs(dir)
    }
    #[cfg(not(target_os = "linux"))]
    {
        fn visit(dir: &Path) -> std::io::Result<()> {
            for entry in std::fs::read_dir(dir)? {
                let path = entry?.path();
                if path.is_dir() {
                    visit(&path)?;
                } else {
                    std::fs::File::open(&path)?.sync_all()?;
                }
            }
            Ok(())
        }
        visit(dir)
    }
}

#[cfg(target_os = "linux")]
#[expect(
    unsafe_code,
    reason = "syncfs(2) has no safe wrapper in std; see SAFETY below"
)]
fn syncfs(dir: &Path) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let folder = std::fs::File::open(dir)?;
    // SAFETY: the descriptor belongs to `folder`, which outlives the call; syncfs only reads it.
    let rc = unsafe { libc::syncfs(folder.as_raw_fd()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_writers_folder_is_removed_and_a_live_ones_kept() {
        let root = tempfile::tempdir().expect("temp dir");
        let out = root.path().join("run");
        // A killed run: its staging folder with a lock file nobody holds.
        let dead = root.path().join(".run.partial-dead");
        std::fs::create_dir_all(dead.join("images")).expect("dead folder");
        std::fs::write(dead.join(LOCK_FILE), b"").expect("lock file");
        std::fs::write(dead.join("images/00000.jpg"), b"half").expect("a file");
        // A folder without a lock file (a writer between mkdir and lock) and a user's own folder.
        let fresh = root.path().join(".other.partial-fresh");
        std::fs::create_dir(&fresh).expect("fresh folder");
        let users = root.path().join(".config");
        std::fs::create_dir(&users).expect("user folder");

        let live = Staging::new(&out).expect("staging");
        assert!(!dead.exists(), "the dead run's folder is removed");
        assert!(fresh.exists() && users.exists(), "the others stay");
        // A second writer beside the live one leaves it alone, since its lock is held.
        let second = Staging::new(&root.path().join("run2")).expect("second staging");
        assert!(live.path().is_dir(), "the live staging folder survives");
        assert_eq!(remove_abandoned(root.path()), 0);

        live.finish(&out).expect("finish");
        assert!(
            out.is_dir() && !out.join(LOCK_FILE).exists(),
            "no lock file in the run"
        );
        drop(second); // dropped unfinished: its folder goes with it
        let left: Vec<_> = std::fs::read_dir(root.path())
            .expect("list")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        let mut left = left;
        left.sort();
        assert_eq!(left, [".config", ".other.partial-fresh", "run"]);
    }
}
