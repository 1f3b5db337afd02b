//! Progress of long commands, from the same [`Progress`] the studio's status bar reads.
//!
//! On a terminal: a bar with the stage's name, counts and ETA (indicatif). Otherwise (a log, a
//! pipe): a plain line when a stage starts and every tenth of it. With `--json`: nothing, so stdout
//! and stderr stay machine-readable. Ctrl+C sets the job's cancel flag, so the command stops between
//! steps and takes back what it wrote; a second Ctrl+C ends the process at once.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::progress::Progress;

/// How a command shows its progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Display {
    Bar,
    Lines,
    Quiet,
}

impl Display {
    /// The display for a command: quiet with `--json`, a bar on a terminal, lines otherwise.
    pub fn for_command(json: bool) -> Self {
        if json {
            Self::Quiet
        } else if std::io::stderr().is_terminal() {
            Self::Bar
        } else {
            Self::Lines
        }
    }
}

/// The job Ctrl+C cancels.
static CURRENT: OnceLock<Mutex<Option<Arc<Progress>>>> = OnceLock::new();
static INTERRUPTS: AtomicU32 = AtomicU32::new(0);

fn install_ctrl_c() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let handler = || {
            if INTERRUPTS.fetch_add(1, Ordering::SeqCst) > 0 {
                eprintln!("\ninterrupted again: stopping at once");
                std::process::exit(130);
            }
            let current = CURRENT.get().and_then(|m| m.lock().ok()?.clone());
            if let Some(progress) = current {
                eprintln!("\ncancelling (Ctrl+C again to stop at once)…");
                progress.cancel();
            } else {
                std::process::exit(130);
            }
        };
        if let Err(err) = ctrlc::set_handler(handler) {
            log::warn!("Ctrl+C will stop the process without cleaning up: {err}");
        }
    });
}

/// Runs `job` with a fresh [`Progress`] shown as `display`; Ctrl+C cancels it.
pub fn run_job<T>(display: Display, job: impl FnOnce(&Progress) -> T) -> T {
    install_ctrl_c();
    let progress = Arc::new(Progress::default());
    if let Ok(mut current) = CURRENT.get_or_init(Mutex::default).lock() {
        *current = Some(progress.clone());
    }
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = (display != Display::Quiet)
        .then(|| {
            let (progress, stop) = (progress.clone(), stop.clone());
            std::thread::Builder::new()
                .name("cli-progress".into())
                .spawn(move || watch(&progress, &stop, display))
                .ok()
        })
        .flatten();
    let result = job(&progress);
    stop.store(true, Ordering::SeqCst);
    if let Some(watcher) = watcher {
        watcher.join().ok();
    }
    if let Ok(mut current) = CURRENT.get_or_init(Mutex::default).lock() {
        *current = None;
    }
    result
}

fn watch(progress: &Progress, stop: &AtomicBool, display: Display) {
    // The bar appears with the first stage that has a size (no "0/0" flash before the work starts).
    let mut bar: Option<indicatif::ProgressBar> = None;
    let mut shown_stage = None::<String>;
    let mut last_tenth = 0;
    loop {
        let finished = stop.load(Ordering::SeqCst);
        let stage = progress.stage();
        let (done, total) = progress.counts();
        let new_stage = shown_stage.as_deref() != Some(stage.as_str());
        if display == Display::Bar && total > 0 {
            let bar = bar.get_or_insert_with(new_bar);
            if new_stage {
                // A new stage: the bar (and its ETA) starts over.
                bar.reset();
                bar.set_message(stage.clone());
            }
            bar.set_length(total);
            bar.set_position(done);
            let detail = progress.detail();
            if !detail.is_empty() {
                bar.set_message(format!("{stage} · {detail}"));
            }
        } else if display == Display::Lines && !stage.is_empty() {
            let tenth = (done * 10).checked_div(total).unwrap_or(0);
            if new_stage || tenth > last_tenth {
                let eta = progress
                    .eta()
                    .map_or_else(String::new, |d| format!(", {:.0} s left", d.as_secs_f64()));
                let detail = progress.detail();
                let detail = if detail.is_empty() {
                    detail
                } else {
                    format!(" ({detail})")
                };
                eprintln!("{stage}: {done}/{total}{eta}{detail}");
                last_tenth = tenth;
            }
        }
        if new_stage && (display != Display::Bar || total > 0) {
            shown_stage = Some(stage);
            last_tenth = 0;
        }
        if finished {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}

fn new_bar() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} ({percent}%), {eta} left",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}
