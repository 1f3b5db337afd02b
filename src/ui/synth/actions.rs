//! The Synthesize workspace's actions, in the studio's one list (see [`crate::ui::commands`]).

use egui::Key;

use crate::ui::commands::{ActionInfo, ActionSet, Scope, key};
use crate::ui::workspace::WorkspaceId;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SynthAction {
    NewSample,
    ToggleGrid,
    ToggleLabels,
    ToggleBoxes,
}

impl ActionSet for SynthAction {
    const ALL: &'static [Self] = &[
        Self::NewSample,
        Self::ToggleGrid,
        Self::ToggleLabels,
        Self::ToggleBoxes,
    ];

    fn info(self) -> ActionInfo {
        let (name, description, shortcuts): (_, _, &'static [_]) = match self {
            Self::NewSample => (
                "New sample",
                "Render the next image(s) of the run with the current parameters",
                const { &[key(Key::N)] },
            ),
            Self::ToggleGrid => (
                "Grid of 6",
                "Show six samples at once, or one",
                const { &[key(Key::G)] },
            ),
            Self::ToggleLabels => (
                "Label overlay",
                "Tint the preview's label map in class colours",
                const { &[key(Key::L)] },
            ),
            Self::ToggleBoxes => (
                "Boxes",
                "Draw the YOLO boxes of the visible pixels",
                const { &[key(Key::B)] },
            ),
        };
        ActionInfo {
            name,
            description,
            shortcuts,
            scope: Scope::Workspace(WorkspaceId::Synthesize),
        }
    }
}
