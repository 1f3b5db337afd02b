//! A project survives `kill -9` in the middle of repeated saves: it always opens, and every save that had
//! returned is on disk.
#![allow(clippy::unwrap_used)] // A test that cannot set up fails loudly, which is what it should do.

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc::channel;
use std::time::Duration;

use segstudio::project::Project;

#[test]
fn kill_during_saves_never_loses_a_returned_save() {
    let (dir, _project) = common::tiny_project(1);
    let mut total_saves = 0u64;
    for round in 0..30u64 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_segstudio"))
            .args(["save-loop", "--project"])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, receiver) = channel();
        let reader = std::thread::Builder::new()
            .name("save-loop-reader".into())
            .spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if let Some(n) = line
                        .strip_prefix("saved ")
                        .and_then(|n| n.parse::<u64>().ok())
                    {
                        sender.send(n).ok();
                    }
                }
            })
            .unwrap();
        // Wait for a first save, then kill at a varying moment in the stream of saves.
        let first = receiver
            .recv_timeout(Duration::from_secs(20))
            .expect("the save loop saved nothing");
        std::thread::sleep(Duration::from_millis(3 + (round * 7) % 40));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        reader.join().unwrap();
        let last_returned = receiver.try_iter().last().unwrap_or(first);
        total_saves += last_returned;

        let project = Project::open(dir.path())
            .unwrap_or_else(|e| panic!("round {round}: the project does not open: {e}"));
        let on_disk = project.instances(0).len() as u64;
        // The save after the last reported one may have completed before the kill; none may be missing.
        assert!(
            on_disk == last_returned || on_disk == last_returned + 1,
            "round {round}: {on_disk} instances on disk, but save {last_returned} had returned"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("annotations"))
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".segstudio-tmp-")
            })
            .collect();
        assert!(
            leftovers.is_empty(),
            "opening removes stale temporary files"
        );
    }
    println!("30 kills, {total_saves} saves that had returned, all found on disk");
    assert!(total_saves >= 30);
}
