//! The studio window (eframe/egui). It draws the state of the core modules and sends them commands;
//! every long job (opening a project, importing) runs on a named worker thread registered in
//! [`jobs`] and streams to its owner over a channel, interactive work (decoding photos) runs on
//! [`crate::workers`] pools, so the window never blocks.
//!
//! The shell ([`app`]): a menu bar with the workspace tabs, the active workspace in the middle, a
//! status bar with the running jobs; without a project, the start screen (new, open, import). Each
//! workspace is a folder ([`browse`] today) behind the [`workspace::Workspace`] trait; every user
//! action is one entry of [`commands::Action`]; [`widgets`] are shared by the workspaces.

mod app;
pub mod browse;
pub mod commands;
pub mod compare;
pub mod dataset;
pub mod evaluate;
mod forms;
pub mod jobs;
pub mod label;
pub mod picker;
mod settings;
pub mod synth;
mod toasts;
pub mod train;
pub mod widgets;
pub mod workspace;

pub use app::StudioApp;
pub use commands::Command;

use crate::cli::StudioArgs;

/// Opens the studio window; returns the process exit code.
pub fn run_studio(args: StudioArgs) -> i32 {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("SegStudio")
            .with_inner_size([1360.0, 860.0])
            .with_min_inner_size([720.0, 480.0]),
        ..Default::default()
    };
    match eframe::run_native(
        "SegStudio",
        options,
        Box::new(move |cc| Ok(Box::new(StudioApp::new(cc, args)))),
    ) {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("error: cannot open the studio window: {err}");
            1
        }
    }
}
