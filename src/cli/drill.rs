//! `autosave-drill` (hidden): edits a project through the label session the way the studio does and
//! prints what the autosave worker has made durable, so the crash-safety tests can kill the process
//! at exact moments: after a burst of edits is on disk, in the middle of a write, or anywhere in an
//! endless stream of saves.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;

use crate::label::{AutosaveOptions, LabelSession, SaveTarget};
use crate::project::{Instance, Part, Project, Tool};

#[derive(Debug, Args)]
pub struct DrillArgs {
    #[arg(long)]
    pub project: PathBuf,
    /// Edits of the first image in one burst (edit k gives it k instances); prints `durable N
    /// writes W` once the worker reports the last one on disk, then waits to be killed.
    #[arg(long, default_value_t = 10)]
    pub edits: u64,
    /// After the burst, make one more edit and stop the worker between its temporary file and the
    /// rename (prints `writing N+1`).
    #[arg(long)]
    pub stall: bool,
    /// Instead of a burst: edit and flush forever, printing `saved N` after each flush returned.
    #[arg(long = "loop")]
    pub endless: bool,
}

/// Generation `n` of the drill: `n` triangles, large enough that a write takes a while.
fn instances(project: &Project, n: u64) -> anyhow::Result<Vec<Instance>> {
    let class_id = project
        .file()
        .classes
        .first()
        .context("the project has no classes")?
        .id;
    let image = &project.file().images[0];
    let (w, h) = (image.width as f32, image.height as f32);
    Ok((0..n)
        .map(|k| {
            let t = (k % 50) as f32 / 50.0;
            Instance {
                id: k as u32 + 1,
                class_id,
                parts: vec![Part::solid(vec![
                    [t * w * 0.5, 0.0],
                    [w * 0.5 + t * w * 0.5, h * 0.5],
                    [t * w * 0.5, h],
                ])],
                order: k as i32,
                tool: Tool::Polygon,
            }
        })
        .collect())
}

pub fn drill(args: &DrillArgs) -> anyhow::Result<()> {
    let project = Project::open(&args.project)?;
    if project.file().images.is_empty() {
        bail!("the project has no images");
    }
    let stall_at = args.stall.then_some(args.edits + 1);
    let options = AutosaveOptions {
        before_commit: Some(Arc::new(move |target: &SaveTarget, generation: u64| {
            if matches!(target, SaveTarget::Annotation(_)) && Some(generation) == stall_at {
                println!("writing {generation}");
                std::io::stdout().flush().ok();
                loop {
                    std::thread::park();
                }
            }
        })),
        ..AutosaveOptions::default()
    };
    let mut session = LabelSession::with_options(project, options, Arc::new(|| {}))?;
    // Lines are printed and flushed one by one (never holding stdout: the stalled worker prints too).
    let say = |line: String| -> anyhow::Result<()> {
        let mut stdout = std::io::stdout();
        writeln!(stdout, "{line}")?;
        stdout.flush()?;
        Ok(())
    };
    if args.endless {
        for n in 1.. {
            let list = instances(session.project(), n)?;
            session.set_instances(0, "drill", list)?;
            session.flush().map_err(anyhow::Error::msg)?;
            say(format!("saved {n}"))?;
        }
    }
    for n in 1..=args.edits {
        let list = instances(session.project(), n)?;
        session.set_instances(0, "drill", list)?;
    }
    let mut writes = 0;
    while session.durable_generation(0) < args.edits {
        for report in session.wait_saves(Duration::from_mins(1)) {
            report.outcome.map_err(anyhow::Error::msg)?;
            writes += 1;
        }
    }
    say(format!("durable {} writes {writes}", args.edits))?;
    if args.stall {
        let list = instances(session.project(), args.edits + 1)?;
        session.set_instances(0, "drill", list)?;
    }
    // Wait to be killed; dropping the session would flush, which is not what is being tested.
    loop {
        std::thread::park();
    }
}
