//! The studio window (eframe/egui). It draws the state of the core modules and sends them commands;
//! every long job (opening a project, decoding photos, importing) runs on a named worker thread and
//! reports over a channel, so the window never blocks.
//!
//! Layout: a menu bar, the image browser on the left, the image view in the centre, the class list on
//! the right and a status bar; without a project, the start screen (new, open, import).

mod app;
mod browser;
mod classes;
mod forms;
mod settings;
mod tasks;
mod toasts;
mod viewer;

pub use app::{Command, StudioApp};

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
