//! The browse workspace's actions, in the studio's one list (see [`crate::ui::commands`]).

use egui::Key;

use crate::ui::commands::{ActionInfo, ActionSet, Scope, key, shift};
use crate::ui::workspace::WorkspaceId;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BrowseAction {
    NextImage,
    PreviousImage,
    Fit,
    ActualSize,
    ZoomIn,
    ZoomOut,
    ToggleFill,
    ToggleOutlines,
}

impl ActionSet for BrowseAction {
    const ALL: &'static [Self] = &[
        Self::NextImage,
        Self::PreviousImage,
        Self::Fit,
        Self::ActualSize,
        Self::ZoomIn,
        Self::ZoomOut,
        Self::ToggleFill,
        Self::ToggleOutlines,
    ];

    fn info(self) -> ActionInfo {
        let (name, description, shortcuts): (_, _, &'static [_]) = match self {
            Self::NextImage => (
                "Next image",
                "Show the next photo of the list",
                const { &[key(Key::ArrowDown), key(Key::D), key(Key::PageDown)] },
            ),
            Self::PreviousImage => (
                "Previous image",
                "Show the previous photo of the list",
                const { &[key(Key::ArrowUp), key(Key::A), key(Key::PageUp)] },
            ),
            Self::Fit => ("Fit", "Fit the photo in the view", const { &[key(Key::F)] }),
            Self::ActualSize => (
                "1:1",
                "One screen pixel per photo pixel",
                const { &[key(Key::Num1)] },
            ),
            Self::ZoomIn => (
                "Zoom in",
                "Zoom in",
                const { &[key(Key::Plus), key(Key::Equals)] },
            ),
            Self::ZoomOut => ("Zoom out", "Zoom out", const { &[key(Key::Minus)] }),
            Self::ToggleFill => (
                "Fill instances",
                "Show the instances filled in their class colours",
                const { &[shift(Key::F)] },
            ),
            Self::ToggleOutlines => (
                "Outline instances",
                "Show the outlines of the instances",
                const { &[key(Key::O)] },
            ),
        };
        ActionInfo {
            name,
            description,
            shortcuts,
            scope: Scope::Workspace(WorkspaceId::Browse),
        }
    }
}
