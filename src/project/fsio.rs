//! Crash-safe file writes.
//!
//! A write goes to a temporary file in the destination's folder, is flushed to disk (`fsync`), then
//! renamed over the destination, and the folder is synced so the rename itself survives a power cut.
//! A kill at any moment leaves either the old file or the new one, never a mix; at worst a stray
//! temporary file remains, which [`remove_stale_temporaries`] cleans up when the project is next opened.

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
    tmp.persist(path)
        .map_err(|e| fail("cannot replace", e.error))?;
    sync_dir(dir).map_err(|e| fail("cannot sync the folder of", e))?;
    Ok(())
}

/// Gives `tmp` the permissions of `existing` when it exists, else rw-r--r--.
#[cfg(unix)]
fn set_permissions_like(tmp: &Path, existing: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let permissions = std::fs::metadata(existing).map_or_else(
        |_| std::fs::Permissions::from_mode(0o644),
        |m| m.permissions(),
    );
    std::fs::set_permissions(tmp, permissions)
}

#[cfg(not(unix))]
fn set_permissions_like(_tmp: &Path, _existing: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
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
