//! Helpers of the studio's UI tests (egui_kittest).

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use segstudio::cli::StudioArgs;
use segstudio::ui::StudioApp;

/// Steps frames until `done` holds (background threads deliver between frames).
pub fn step_until(
    harness: &mut Harness<'_, StudioApp>,
    what: &str,
    done: impl Fn(&StudioApp) -> bool,
) {
    let started = Instant::now();
    while !done(harness.state()) {
        assert!(
            started.elapsed() < Duration::from_mins(1),
            "timed out waiting for {what}"
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    harness.step();
}

/// Focuses the text field labelled `field` and types `text` into it.
pub fn type_into(harness: &mut Harness<'_, StudioApp>, field: &str, text: &str) {
    harness.get_by_label(field).focus();
    harness.run_steps(1);
    harness.get_by_label(field).type_text(text);
    harness.run_steps(1);
}

/// The open project (the test has opened one).
pub fn project<'a>(harness: &'a Harness<'_, StudioApp>) -> &'a segstudio::project::Project {
    harness
        .state()
        .open
        .as_ref()
        .expect("a project is open")
        .project()
}

/// The studio on `args` in a window of `size` points, stepped until its project is open.
pub fn open_studio(args: StudioArgs, size: [f32; 2]) -> Harness<'static, StudioApp> {
    let mut harness = Harness::builder()
        .with_size(egui::vec2(size[0], size[1]))
        .build_eframe(move |cc| StudioApp::new(cc, args));
    step_until(&mut harness, "the project to open", |app| {
        app.open.is_some()
    });
    harness
}
