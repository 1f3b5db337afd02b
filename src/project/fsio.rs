//! Crash-safe file writes.
//!
//! A write goes to a temporary file in the destination's folder, is flushed to disk (`fsync`), then
//! renamed over the destination, and the folder is synced so the rename itself survives a power cut.
//! A kill at any moment leaves either the old file or the new one, never a mix; at worst a stray
//! temporary file remains, which [`remove_stale_temporaries`] cleans up when the project is next opened.
//!
//! An output folder of many files (an export) is written into a hidden staging folder inside it and
//! moved into place only when complete ([`StagedOutput`]), so a cancelled or failed export leaves the
//! folder as it was.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Prefix of the temporary files of atomic writes.
pub const TEMP_PREFIX: &str = ".segstudio-tmp-";

/// An I/O error with the path it happened on.
#[derive(Debug, thiserror::Error)]
#[error("{action} {path}: {source}")]
pub struct FileError {
    pub action: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

impl FileError {
    pub fn new(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        Self {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename, fsync of the folder).
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    atomic_write_with(path, bytes, || {})
}

/// [`atomic_write`], calling `before_rename` once the temporary file is complete and flushed but not
/// yet renamed over `path` (the crash-safety tests stop a writer exactly there).
pub fn atomic_write_with(
    path: &Path,
    bytes: &[u8],
    before_rename: impl FnOnce(),
) -> Result<(), FileError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let fail = |action, err| FileError::new(action, path, err);
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
        .map_err(|e| fail("cannot create a temporary file for", e))?;
    tmp.write_all(bytes).map_err(|e| fail("cannot write", e))?;
    // Temporary files are private (0600); the result should read like any other file the user makes.
    set_permissions_like(tmp.path(), path).map_err(|e| fail("cannot set the permissions of", e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| fail("cannot flush", e))?;
    before_rename();
    tmp.persist(path)
        .map_err(|e| fail("cannot replace", e.error))?;
    sync_dir(dir).map_err(|e| fail("cannot sync the folder of", e))?;
    Ok(())
}

/// Gives `tmp` the permissions of `existing` when it exists, else rw-r--r--.
#[cfg(unix)]
pub(crate) fn set_permissions_like(tmp: &Path, existing: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let permissions = std::fs::metadata(existing).map_or_else(
        |_| std::fs::Permissions::from_mode(0o644),
        |m| m.permissions(),
    );
    std::fs::set_permissions(tmp, permissions)
}

#[cfg(not(unix))]
pub(crate) fn set_permissions_like(_tmp: &Path, _existing: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
pub(crate) fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

/// A folder of output files written in a staging folder first.
///
/// Files go to [`StagedOutput::path`]; [`StagedOutput::commit`] renames them into the output folder
/// (each rename atomic, replacing files of the same name) and syncs it. Dropped without a commit, the
/// staging folder is deleted, and so is the output folder if this created it and it is still empty.
pub struct StagedOutput {
    out: PathBuf,
    staging: Option<tempfile::TempDir>,
    created_out: bool,
}

impl StagedOutput {
    pub fn create(out: &Path) -> Result<Self, FileError> {
        let created_out = !out.exists();
        std::fs::create_dir_all(out).map_err(|e| FileError::new("cannot create", out, e))?;
        let staging = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempdir_in(out)
            .map_err(|e| FileError::new("cannot create a staging folder in", out, e))?;
        Ok(Self {
            out: out.to_path_buf(),
            staging: Some(staging),
            created_out,
        })
    }

    /// The staging folder to write into.
    pub fn path(&self) -> &Path {
        self.staging
            .as_ref()
            .map_or(&self.out, tempfile::TempDir::path)
    }

    /// Moves every staged file into the output folder.
    pub fn commit(mut self) -> Result<(), FileError> {
        let staging = self.staging.take().map(tempfile::TempDir::keep);
        if let Some(staging) = staging {
            let moved = move_tree(&staging, &self.out);
            std::fs::remove_dir_all(&staging).ok();
            moved?;
        }
        sync_dir(&self.out).map_err(|e| FileError::new("cannot sync", &self.out, e))
    }
}

impl Drop for StagedOutput {
    fn drop(&mut self) {
        if let Some(staging) = self.staging.take() {
            staging.close().ok();
            if self.created_out {
                // Only removes the folder when it is empty.
                std::fs::remove_dir(&self.out).ok();
            }
        }
    }
}

/// Renames every file under `from` to the same place under `to`, creating folders as needed.
fn move_tree(from: &Path, to: &Path) -> Result<(), FileError> {
    let entries = std::fs::read_dir(from).map_err(|e| FileError::new("cannot list", from, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| FileError::new("cannot list", from, e))?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if source.is_dir() {
            std::fs::create_dir_all(&target)
                .map_err(|e| FileError::new("cannot create", &target, e))?;
            move_tree(&source, &target)?;
        } else {
            std::fs::rename(&source, &target)
                .map_err(|e| FileError::new("cannot move into place", &target, e))?;
        }
    }
    Ok(())
}

/// Deletes temporary files that a killed writer left in `dir`. Returns how many were removed.
pub fn remove_stale_temporaries(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(TEMP_PREFIX))
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ron");
        atomic_write(&path, b"one").unwrap();
        atomic_write(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o644, "not the 0600 of a temporary file");
        }
    }

    #[test]
    fn staged_output_appears_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("masks");
        {
            let staged = StagedOutput::create(&out).unwrap();
            atomic_write(&staged.path().join("a.png"), b"a").unwrap();
            // Dropped without a commit: a cancelled export.
        }
        assert!(
            !out.exists(),
            "the folder this export created is gone again"
        );

        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("old.png"), b"old").unwrap();
        std::fs::write(out.join("a.png"), b"stale").unwrap();
        let staged = StagedOutput::create(&out).unwrap();
        std::fs::create_dir_all(staged.path().join("sub")).unwrap();
        atomic_write(&staged.path().join("a.png"), b"new").unwrap();
        atomic_write(&staged.path().join("sub/b.png"), b"b").unwrap();
        assert_eq!(std::fs::read(out.join("a.png")).unwrap(), b"stale");
        staged.commit().unwrap();
        assert_eq!(std::fs::read(out.join("a.png")).unwrap(), b"new");
        assert_eq!(std::fs::read(out.join("sub/b.png")).unwrap(), b"b");
        assert_eq!(std::fs::read(out.join("old.png")).unwrap(), b"old");
        let names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 3, "no staging folder left: {names:?}");
    }

    #[test]
    fn stale_temporaries_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(format!("{TEMP_PREFIX}abc")), b"half").unwrap();
        std::fs::write(dir.path().join("keep.ron"), b"x").unwrap();
        assert_eq!(remove_stale_temporaries(dir.path()), 1);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn write_into_missing_folder_names_the_file() {
        let err =
            atomic_write(Path::new("/nonexistent-segstudio/x/project.ron"), b"x").unwrap_err();
        assert!(
            err.to_string()
                .contains("/nonexistent-segstudio/x/project.ron"),
            "{err}"
        );
    }
}
