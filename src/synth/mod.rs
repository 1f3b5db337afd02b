//! Synthesis: the artificial image generator of the seed, done right. It pastes the project's
//! annotated objects onto backgrounds and writes photos with exact ground truth.
//!
//! - [`params`]: what a run looks like (saved in `project.ron` and in each manifest);
//! - [`library`]: the cut-outs of the chosen splits; [`backgrounds`]: the background pictures;
//! - [`sprite`]: a cut-out scaled, turned, jittered and edge-blended; [`compose`]: one image with its
//!   placement rules, label and instance maps; [`encode`]: its files;
//! - [`run`]: batch runs, shards and their merge, regeneration of one image from a manifest;
//!   [`staging`]: the hidden folder a run is written into, and the cleanup after killed runs.
//!
//! No egui here: the Synthesize workspace and the `synth` CLI both drive this module.

pub mod backgrounds;
pub mod compose;
pub mod encode;
pub mod library;
pub mod params;
pub mod run;
pub mod sprite;
pub mod staging;

use std::path::PathBuf;

pub use backgrounds::Backgrounds;
pub use compose::{Generator, PlacedObject, Rendered, image_seed};
pub use library::{Cutout, ObjectLibrary};
pub use params::SynthParams;
pub use run::{RunReport, RunRequest, Shard, SynthManifest, merge_runs, regenerate, run_batch};

use crate::project::ProjectError;
use crate::project::fsio::FileError;
use crate::project::runs::DatasetSnapshot;

/// Why a synthesis could not be done.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// Parameters that cannot work (one sentence each).
    #[error("impossible settings: {}", .0.join("; "))]
    Settings(Vec<String>),
    /// Missing or unreadable input (objects, backgrounds, output folder).
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Project(ProjectError),
    #[error("cancelled")]
    Cancelled,
}

/// What a run or a preview draws from: the object library, the backgrounds and the class map.
#[derive(Clone, Debug)]
pub struct SynthSource {
    pub library: ObjectLibrary,
    pub backgrounds: Backgrounds,
    pub background_folder: PathBuf,
    pub snapshot: DatasetSnapshot,
}

impl SynthSource {
    /// A generator for `params` over this source (checks the settings against it).
    pub fn generator<'a>(&'a self, params: &'a SynthParams) -> Result<Generator<'a>, SynthError> {
        Generator::new(
            params,
            &self.library,
            &self.backgrounds,
            &self.snapshot.classes,
            &self.snapshot.variant,
        )
    }

    /// The library as the manifest records it.
    pub fn library_entries(&self) -> Vec<run::LibraryEntry> {
        self.library
            .objects
            .iter()
            .map(|c| run::LibraryEntry {
                source: c.source.clone(),
                instance: c.instance,
                class_id: c.class_id,
                distractor: c.distractor,
            })
            .collect()
    }
}
