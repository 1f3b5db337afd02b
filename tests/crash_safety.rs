//! A project survives `kill -9`: edits the autosave worker reported durable are on disk after a
//! kill, a kill in the middle of a write leaves the previous version intact, and a stream of saves
//! killed at any moment always reopens with every save that had returned.
//!
//! The process under test is `segstudio autosave-drill`, which edits through the label session as
//! the studio does and prints what is durable; the tests kill it at the moments it announces, so
//! nothing here sleeps a fixed time or looks at a clock.
#![expect(
    clippy::unwrap_used,
    reason = "a test that cannot set up fails loudly, which is what it should do"
)]

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use segstudio::project::Project;

/// Starts the drill and streams its stdout lines.
fn drill(project: &std::path::Path, args: &[&str]) -> (Child, Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_segstudio"))
        .args(["autosave-drill", "--project"])
        .arg(project)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (sender, lines) = channel();
    std::thread::Builder::new()
        .name("drill-reader".into())
        .spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                sender.send(line).ok();
            }
        })
        .unwrap();
    (child, lines)
}

/// The next line starting with `prefix`, with the rest of it.
fn wait_for(lines: &Receiver<String>, prefix: &str) -> String {
    loop {
        let line = lines
            .recv_timeout(Duration::from_mins(2))
            .unwrap_or_else(|_| panic!("the drill never printed {prefix:?}"));
        if let Some(rest) = line.strip_prefix(prefix) {
            return rest.trim().to_owned();
        }
    }
}

fn temporaries(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir.join("annotations"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".segstudio-tmp-"))
        .collect()
}

#[test]
fn a_burst_of_edits_reported_durable_survives_kill_9() {
    let (dir, _project) = common::tiny_project(1);
    let (mut child, lines) = drill(dir.path(), &["--edits", "40"]);
    let report = wait_for(&lines, "durable");
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    // "40 writes W": the burst was coalesced into fewer writes than edits.
    let writes: usize = report.split_whitespace().nth(2).unwrap().parse().unwrap();
    assert!(writes < 40, "40 rapid edits took {writes} writes");
    let project = Project::open(dir.path()).unwrap();
    assert_eq!(
        project.instances(0).len(),
        40,
        "every durable edit is on disk"
    );
}

#[test]
fn a_kill_in_the_middle_of_a_write_leaves_the_previous_version_intact() {
    let (dir, _project) = common::tiny_project(1);
    let (mut child, lines) = drill(dir.path(), &["--edits", "5", "--stall"]);
    assert!(wait_for(&lines, "durable").starts_with("5 writes"));
    // The worker has written and flushed generation 6 to its temporary file, not yet renamed it.
    assert_eq!(wait_for(&lines, "writing"), "6");
    assert_eq!(temporaries(dir.path()).len(), 1, "the write is under way");
    child.kill().unwrap();
    child.wait().unwrap();
    let project = Project::open(dir.path()).unwrap();
    assert_eq!(
        project.instances(0).len(),
        5,
        "the previous version is intact"
    );
    assert!(
        temporaries(dir.path()).is_empty(),
        "opening removes the half-written file"
    );
}

#[test]
fn kill_during_saves_never_loses_a_returned_save() {
    let (dir, _project) = common::tiny_project(1);
    let mut total_saves = 0u64;
    for round in 0..20u64 {
        let (mut child, lines) = drill(dir.path(), &["--loop"]);
        // Kill after a varying number of returned saves.
        let wanted = 1 + round % 7;
        let mut last_returned = 0;
        while last_returned < wanted {
            last_returned = wait_for(&lines, "saved").parse().unwrap();
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let last_returned = lines
            .try_iter()
            .filter_map(|l| l.strip_prefix("saved ").and_then(|n| n.parse().ok()))
            .last()
            .unwrap_or(last_returned);
        total_saves += last_returned;

        let project = Project::open(dir.path())
            .unwrap_or_else(|e| panic!("round {round}: the project does not open: {e}"));
        let on_disk = project.instances(0).len() as u64;
        // The save after the last reported one may have completed before the kill; none may be missing.
        assert!(
            on_disk == last_returned || on_disk == last_returned + 1,
            "round {round}: {on_disk} instances on disk, but save {last_returned} had returned"
        );
        assert!(
            temporaries(dir.path()).is_empty(),
            "opening removes stale temporary files"
        );
    }
    println!("20 kills, {total_saves} saves that had returned, all found on disk");
}
