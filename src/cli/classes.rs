//! `segstudio class …`: the Label panel's class editor on the command line. Changes go through a
//! [`LabelSession`] as the studio's do (the same checks, atomic autosave) and are flushed before
//! the command returns.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use crate::label::LabelSession;
use crate::project::classes::ClassChange;
use crate::project::{ClassId, ObjectSize, Project};

#[derive(Debug, Subcommand)]
pub enum ClassCommand {
    /// Every class: id, name, colour, size, instances.
    List(ProjectArg),
    /// Add a class (the next free id; `full` gets a label, other variants ignore it).
    Add {
        #[command(flatten)]
        project: ProjectArg,
        name: String,
    },
    /// Rename a class (given by name or id).
    Rename {
        #[command(flatten)]
        project: ProjectArg,
        class: String,
        name: String,
    },
    /// Set a class's display colour, as #rrggbb.
    Recolour {
        #[command(flatten)]
        project: ProjectArg,
        class: String,
        color: String,
    },
    /// Set a class's real-world size, LxWxH in mm (or `none`).
    Size {
        #[command(flatten)]
        project: ProjectArg,
        class: String,
        size: String,
    },
    /// Delete a class; refused while used, unless `--reassign` names where its instances go.
    Delete {
        #[command(flatten)]
        project: ProjectArg,
        class: String,
        #[arg(long)]
        reassign: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct ProjectArg {
    #[arg(long)]
    pub project: PathBuf,
}

/// A class by exact name, else by id.
fn find(project: &Project, which: &str) -> anyhow::Result<ClassId> {
    let classes = &project.file().classes;
    if let Some(c) = classes.iter().find(|c| c.name == which) {
        return Ok(c.id);
    }
    if let Ok(id) = which.parse::<ClassId>()
        && classes.iter().any(|c| c.id == id)
    {
        return Ok(id);
    }
    anyhow::bail!(
        "{}: no class is named or numbered {which:?} (classes: {})",
        project.root().display(),
        classes
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// `#rrggbb` (the `#` optional).
pub fn parse_colour(text: &str) -> anyhow::Result<[u8; 3]> {
    let hex = text.trim().trim_start_matches('#');
    let bad = || anyhow::anyhow!("colour {text:?} is not #rrggbb");
    if hex.len() != 6 || !hex.is_ascii() {
        return Err(bad());
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
    Ok([byte(0)?, byte(2)?, byte(4)?])
}

/// `LxWxH` in mm, or `none`.
pub fn parse_size(text: &str) -> anyhow::Result<Option<ObjectSize>> {
    if text.trim().eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let parts: Vec<f32> = text
        .split(['x', 'X', '×'])
        .map(|p| p.trim().parse::<f32>())
        .collect::<Result<_, _>>()
        .map_err(|_| anyhow::anyhow!("size {text:?} is not LxWxH in mm (e.g. 100x20x20)"))?;
    let [length, width, height] = parts[..] else {
        anyhow::bail!("size {text:?} needs three lengths, LxWxH in mm");
    };
    Ok(Some(ObjectSize {
        length,
        width,
        height,
    }))
}

impl ClassCommand {
    fn root(&self) -> &std::path::Path {
        match self {
            Self::List(p)
            | Self::Add { project: p, .. }
            | Self::Rename { project: p, .. }
            | Self::Recolour { project: p, .. }
            | Self::Size { project: p, .. }
            | Self::Delete { project: p, .. } => &p.project,
        }
    }
}

pub fn class(cmd: &ClassCommand) -> anyhow::Result<()> {
    let root = cmd.root();
    let project = Project::open(root)?;
    let change = match cmd {
        ClassCommand::List(_) => {
            list(&project);
            return Ok(());
        }
        ClassCommand::Add { name, .. } => ClassChange::Add { name: name.clone() },
        ClassCommand::Rename { class, name, .. } => ClassChange::Rename {
            id: find(&project, class)?,
            name: name.clone(),
        },
        ClassCommand::Recolour { class, color, .. } => ClassChange::Recolour {
            id: find(&project, class)?,
            color: parse_colour(color)?,
        },
        ClassCommand::Size { class, size, .. } => ClassChange::SetSize {
            id: find(&project, class)?,
            size: parse_size(size)?,
        },
        ClassCommand::Delete {
            class, reassign, ..
        } => ClassChange::Delete {
            id: find(&project, class)?,
            reassign: reassign.as_deref().map(|r| find(&project, r)).transpose()?,
        },
    };
    let mut session = LabelSession::open(project, std::sync::Arc::new(|| {}))
        .with_context(|| format!("cannot start saving in {}", root.display()))?;
    let summary = session.change_class(change)?;
    session.flush().map_err(anyhow::Error::msg)?;
    println!("{summary}");
    Ok(())
}

fn list(project: &Project) {
    for class in &project.file().classes {
        let [r, g, b] = class.color;
        let size = class.size_mm.map_or_else(
            || "-".to_owned(),
            |s| format!("{}x{}x{} mm", s.length, s.width, s.height),
        );
        println!(
            "{:>3}  #{r:02x}{g:02x}{b:02x}  {:<24} {:>14}  {} instances",
            class.id,
            class.name,
            size,
            project.class_use(class.id).instances
        );
    }
}
