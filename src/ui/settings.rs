//! Studio settings kept between sessions (eframe's storage, RON): recent projects and the last one open.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

const KEY: &str = "segstudio-settings";
const MAX_RECENT: usize = 10;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Most recent first.
    pub recent_projects: Vec<PathBuf>,
    /// The project open when the studio was last closed.
    pub last_project: Option<PathBuf>,
}

impl Settings {
    pub fn load(storage: Option<&dyn eframe::Storage>) -> Self {
        storage
            .and_then(|s| eframe::get_value(s, KEY))
            .unwrap_or_default()
    }

    pub fn save(&self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, KEY, self);
    }

    pub fn remember(&mut self, project: &Path) {
        let path = project
            .canonicalize()
            .unwrap_or_else(|_| project.to_path_buf());
        self.recent_projects.retain(|p| p != &path);
        self.recent_projects.insert(0, path.clone());
        self.recent_projects.truncate(MAX_RECENT);
        self.last_project = Some(path);
    }
}
