//! The Label workspace's actions, in the studio's one list (see [`crate::ui::commands`]). The digits
//! belong to the classes here, so 1:1 is Ctrl+0.

use egui::Key;

use crate::ui::commands::{ActionInfo, ActionSet, Scope, ctrl, ctrl_shift, key, shift};
use crate::ui::workspace::WorkspaceId;

/// The drawing and editing tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ToolKind {
    Select,
    Polygon,
    Rectangle,
    Hole,
    Brush,
    Eraser,
    Wand,
    Scissors,
    Click,
}

impl ToolKind {
    pub const ALL: [Self; 9] = [
        Self::Select,
        Self::Click,
        Self::Polygon,
        Self::Scissors,
        Self::Rectangle,
        Self::Hole,
        Self::Brush,
        Self::Eraser,
        Self::Wand,
    ];

    /// Whether the tool paints with a round brush.
    pub fn paints(self) -> bool {
        matches!(self, Self::Brush | Self::Eraser)
    }

    /// Whether the tool draws an outline vertex by vertex.
    pub fn draws_outline(self) -> bool {
        matches!(self, Self::Polygon | Self::Hole | Self::Scissors)
    }

    /// The tool called `name` (case aside).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(name))
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Select => "Select",
            Self::Polygon => "Polygon",
            Self::Rectangle => "Rectangle",
            Self::Hole => "Hole",
            Self::Brush => "Brush",
            Self::Eraser => "Eraser",
            Self::Wand => "Wand",
            Self::Scissors => "Scissors",
            Self::Click => "Click",
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            Self::Select => {
                "Click an instance to select it (again to reach the one beneath); drag it to move it, drag a vertex to move it, drag an edge to insert a vertex there"
            }
            Self::Polygon => {
                "Click the vertices; close on the first vertex, with Enter or a double-click; drag (or hold Shift) to draw freehand; Backspace drops the last vertex, Esc cancels"
            }
            Self::Rectangle => "Drag from one corner to the opposite one",
            Self::Hole => {
                "Cut a hole into the selected instance: draw the hole's outline as with the polygon tool, inside the instance"
            }
            Self::Brush => {
                "Paint onto the selected instance (or paint a new one when none is selected); the painted pixels become its outline again"
            }
            Self::Eraser => {
                "Erase from the selected instance; erasing across it splits it in parts"
            }
            Self::Click => {
                "Click inside the object (Shift+click or right-click outside it where the result overflows): each click refines the outline on offer; Enter makes it an instance, Esc drops it"
            }
            Self::Scissors => {
                "Click along the object's border: between clicks the outline follows the strongest edges (previewed to the cursor); close on the first vertex or with Enter; Backspace drops the last vertex"
            }
            Self::Wand => {
                "Click: a new instance of the region of similar colour around the point; drag left or right to lower or raise the tolerance first"
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LabelAction {
    Tool(ToolKind),
    /// Close the outline being drawn (Enter).
    Finish,
    /// Drop the outline being drawn, or the selection (Esc).
    Cancel,
    /// Drop the last vertex of the outline being drawn (Backspace).
    DropVertex,
    /// Delete the vertex under the pointer, else the selected instance.
    Delete,
    /// Class hotkey 1–9: the class of new instances, and of the selected one.
    Class(u8),
    NextImage,
    PreviousImage,
    NextUnlabelled,
    ToFront,
    ToBack,
    /// Join the instance under the pointer into the selected one.
    Merge,
    /// Make each part of the selected instance an instance of its own.
    Split,
    Duplicate,
    /// Copy the selected instance (or all) to the next photo.
    CopyToNext,
    /// Mark the photo done (every object labelled), or not done again.
    ToggleDone,
    Fit,
    ActualSize,
    ZoomIn,
    ZoomOut,
}

const CLASS_KEYS: [Key; 9] = [
    Key::Num1,
    Key::Num2,
    Key::Num3,
    Key::Num4,
    Key::Num5,
    Key::Num6,
    Key::Num7,
    Key::Num8,
    Key::Num9,
];

impl ActionSet for LabelAction {
    const ALL: &'static [Self] = &[
        Self::Tool(ToolKind::Select),
        Self::Tool(ToolKind::Polygon),
        Self::Tool(ToolKind::Rectangle),
        Self::Tool(ToolKind::Hole),
        Self::Tool(ToolKind::Brush),
        Self::Tool(ToolKind::Eraser),
        Self::Tool(ToolKind::Wand),
        Self::Tool(ToolKind::Scissors),
        Self::Tool(ToolKind::Click),
        Self::Finish,
        Self::Cancel,
        Self::DropVertex,
        Self::Delete,
        Self::Class(1),
        Self::Class(2),
        Self::Class(3),
        Self::Class(4),
        Self::Class(5),
        Self::Class(6),
        Self::Class(7),
        Self::Class(8),
        Self::Class(9),
        Self::NextImage,
        Self::PreviousImage,
        Self::NextUnlabelled,
        Self::ToFront,
        Self::ToBack,
        Self::Merge,
        Self::Split,
        Self::Duplicate,
        Self::CopyToNext,
        Self::ToggleDone,
        Self::Fit,
        Self::ActualSize,
        Self::ZoomIn,
        Self::ZoomOut,
    ];

    fn info(self) -> ActionInfo {
        let (name, description, shortcuts): (_, _, &'static [_]) = match self {
            Self::Tool(ToolKind::Select) => (
                "Select tool",
                "Select, move and reshape instances",
                const { &[key(Key::V)] },
            ),
            Self::Tool(ToolKind::Polygon) => (
                "Polygon tool",
                "Draw an instance vertex by vertex, or freehand",
                const { &[key(Key::P)] },
            ),
            Self::Tool(ToolKind::Rectangle) => (
                "Rectangle tool",
                "Draw a rectangular instance",
                const { &[key(Key::R)] },
            ),
            Self::Tool(ToolKind::Hole) => (
                "Hole tool",
                "Cut a hole into the selected instance",
                const { &[key(Key::H)] },
            ),
            Self::Tool(ToolKind::Brush) => (
                "Brush tool",
                "Paint pixels onto the selected instance",
                const { &[key(Key::B)] },
            ),
            Self::Tool(ToolKind::Eraser) => (
                "Eraser tool",
                "Erase pixels from the selected instance",
                const { &[key(Key::E)] },
            ),
            Self::Tool(ToolKind::Wand) => (
                "Magic wand",
                "Select a region of similar colour as a new instance",
                const { &[key(Key::W)] },
            ),
            Self::Tool(ToolKind::Click) => (
                "Click segmentation",
                "Positive and negative clicks; a graph cut on the photo's colours finds the object",
                const { &[key(Key::C)] },
            ),
            Self::Tool(ToolKind::Scissors) => (
                "Intelligent scissors",
                "Trace an outline that snaps to the object's edges between clicks",
                const { &[key(Key::S)] },
            ),
            Self::Finish => (
                "Finish outline",
                "Close the outline being drawn and make it an instance",
                const { &[key(Key::Enter)] },
            ),
            Self::Cancel => (
                "Cancel",
                "Drop the outline being drawn, or else the selection",
                const { &[key(Key::Escape)] },
            ),
            Self::DropVertex => (
                "Drop last vertex",
                "Remove the last vertex of the outline being drawn",
                const { &[key(Key::Backspace)] },
            ),
            Self::Delete => (
                "Delete",
                "Delete the vertex under the pointer, or else the selected instance",
                const { &[key(Key::Delete)] },
            ),
            Self::Class(n) => (
                CLASS_NAMES[usize::from(n - 1)],
                "Draw new instances in this class of the list (and give it to the selected instance)",
                std::slice::from_ref(&CLASS_SHORTCUTS[usize::from(n - 1)]),
            ),
            Self::NextImage => (
                "Next image",
                "Show the next photo of the list",
                const { &[key(Key::D)] },
            ),
            Self::PreviousImage => (
                "Previous image",
                "Show the previous photo of the list",
                const { &[key(Key::A)] },
            ),
            Self::NextUnlabelled => (
                "Next unlabelled",
                "Show the next photo without any instance",
                const { &[shift(Key::D)] },
            ),
            Self::ToFront => (
                "To front",
                "Paint the selected instance above the others",
                const { &[key(Key::CloseBracket)] },
            ),
            Self::ToBack => (
                "To back",
                "Paint the selected instance below the others",
                const { &[key(Key::OpenBracket)] },
            ),
            Self::Merge => (
                "Merge",
                "Join the instance under the pointer into the selected one (one instance of several parts)",
                const { &[key(Key::M)] },
            ),
            Self::Split => (
                "Split",
                "Make each part of the selected instance an instance of its own",
                const { &[shift(Key::M)] },
            ),
            Self::Duplicate => (
                "Duplicate",
                "A copy of the selected instance, a little offset",
                const { &[ctrl(Key::D)] },
            ),
            Self::CopyToNext => (
                "Copy to next photo",
                "Copy the selected instance (or all of them) to the next photo and go there",
                const { &[ctrl_shift(Key::D)] },
            ),
            Self::ToggleDone => (
                "Mark done",
                "Mark the photo done when every object in it is labelled (or not done again); the image list filters by it",
                const { &[ctrl(Key::Enter)] },
            ),
            Self::Fit => ("Fit", "Fit the photo in the view", const { &[key(Key::F)] }),
            Self::ActualSize => (
                "1:1",
                "One screen pixel per photo pixel",
                const { &[ctrl(Key::Num0)] },
            ),
            Self::ZoomIn => (
                "Zoom in",
                "Zoom in",
                const { &[key(Key::Plus), key(Key::Equals)] },
            ),
            Self::ZoomOut => ("Zoom out", "Zoom out", const { &[key(Key::Minus)] }),
        };
        ActionInfo {
            name,
            description,
            shortcuts,
            scope: Scope::Workspace(WorkspaceId::Label),
        }
    }
}

const CLASS_NAMES: [&str; 9] = [
    "Class 1", "Class 2", "Class 3", "Class 4", "Class 5", "Class 6", "Class 7", "Class 8",
    "Class 9",
];

const CLASS_SHORTCUTS: [egui::KeyboardShortcut; 9] = {
    let mut out = [key(Key::Num1); 9];
    let mut i = 0;
    while i < 9 {
        out[i] = key(CLASS_KEYS[i]);
        i += 1;
    }
    out
};
