//! The one list of user actions and the commands the panels send.
//!
//! Every action a user can take by menu, shortcut or toolbar button is an [`Action`] with its name, its
//! default shortcuts and the scope where it applies ([`ActionInfo`]); menus, the help overlay (F1) and
//! key dispatch all read [`Action::all`]. Each workspace owns a set of its own (its folder's
//! `actions.rs`), joined here, so the list stays one list while each workspace stays a folder.
//!
//! Key dispatch ([`shortcut_actions`]): the active workspace's shortcuts are tried before the shared
//! ones, more specific chords before plainer ones (Ctrl+Shift+Z before Ctrl+Z). While a text field has
//! focus, only chords with Ctrl/Cmd that are not text editing (copy, paste, undo inside the field…)
//! and function keys fire, so typing a letter or a digit never triggers anything.
//!
//! Panels do not change shared state while drawing: they push [`Command`]s (several per frame if they
//! like), which the app applies after the frame, letting the active workspace handle an action first.

use std::path::PathBuf;

use egui::{Key, KeyboardShortcut, Modifiers};

use super::browse::BrowseAction;
use super::forms::FolderField;
use super::label::LabelAction;
use super::synth::SynthAction;
use super::workspace::WorkspaceId;
use crate::import::MaskImportOptions;
use crate::label::edit::InstanceEdit;
use crate::project::Preset;

/// Where an action applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Also on the start screen.
    Everywhere,
    /// While a project is open, in any workspace.
    Project,
    /// In one workspace.
    Workspace(WorkspaceId),
}

/// What the list says about an action.
#[derive(Clone, Copy, Debug)]
pub struct ActionInfo {
    /// Short text for buttons and menu items.
    pub name: &'static str,
    /// One sentence for tooltips and the help overlay.
    pub description: &'static str,
    /// Default shortcuts, the first shown in menus.
    pub shortcuts: &'static [KeyboardShortcut],
    pub scope: Scope,
}

/// A set of actions (the shared ones, or one workspace's).
pub trait ActionSet: Copy + Sized + 'static {
    const ALL: &'static [Self];
    fn info(self) -> ActionInfo;
}

/// Shorthand for the tables of shortcuts.
pub const fn key(key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(Modifiers::NONE, key)
}

pub const fn ctrl(key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(Modifiers::COMMAND, key)
}

pub const fn shift(key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(Modifiers::SHIFT, key)
}

pub const fn ctrl_shift(key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(
        Modifiers {
            shift: true,
            ..Modifiers::COMMAND
        },
        key,
    )
}

/// Actions shared by every workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AppAction {
    NewProject,
    OpenProject,
    ImportMasks,
    AddPhotos,
    CloseProject,
    SaveNow,
    Undo,
    Redo,
    DeleteInstance,
    ShowHelp,
}

impl ActionSet for AppAction {
    const ALL: &'static [Self] = &[
        Self::NewProject,
        Self::OpenProject,
        Self::ImportMasks,
        Self::AddPhotos,
        Self::CloseProject,
        Self::SaveNow,
        Self::Undo,
        Self::Redo,
        Self::DeleteInstance,
        Self::ShowHelp,
    ];

    fn info(self) -> ActionInfo {
        let (name, description, shortcuts, scope): (_, _, &'static [_], _) = match self {
            Self::NewProject => (
                "New project…",
                "Create a new project folder",
                const { &[ctrl(Key::N)] },
                Scope::Everywhere,
            ),
            Self::OpenProject => (
                "Open project…",
                "Open a project folder",
                const { &[ctrl(Key::O)] },
                Scope::Everywhere,
            ),
            Self::ImportMasks => (
                "Import masks…",
                "Import photos with class-id masks as editable polygons",
                const { &[ctrl(Key::I)] },
                Scope::Everywhere,
            ),
            Self::AddPhotos => (
                "Add photos…",
                "Add photos to label (files or folders; you can also drop them on the window)",
                const { &[ctrl_shift(Key::A)] },
                Scope::Project,
            ),
            Self::CloseProject => (
                "Close project",
                "Save what is unsaved and close the project",
                const { &[ctrl(Key::W)] },
                Scope::Project,
            ),
            Self::SaveNow => (
                "Save now",
                "Write every unsaved change now (changes are also saved about a second after each edit)",
                const { &[ctrl(Key::S)] },
                Scope::Project,
            ),
            Self::Undo => (
                "Undo",
                "Take back the last edit of this image",
                const { &[ctrl(Key::Z)] },
                Scope::Project,
            ),
            Self::Redo => (
                "Redo",
                "Make the last undone edit of this image again",
                const { &[ctrl_shift(Key::Z), ctrl(Key::Y)] },
                Scope::Project,
            ),
            Self::DeleteInstance => (
                "Delete instance",
                "Delete the selected instance",
                const { &[key(Key::Delete)] },
                Scope::Project,
            ),
            Self::ShowHelp => (
                "Keyboard shortcuts",
                "Show every action with its shortcut",
                const { &[key(Key::F1)] },
                Scope::Everywhere,
            ),
        };
        ActionInfo {
            name,
            description,
            shortcuts,
            scope,
        }
    }
}

/// Every action of the studio.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    App(AppAction),
    Browse(BrowseAction),
    Label(LabelAction),
    Synth(SynthAction),
}

impl Action {
    /// The one list: shared actions first, then each workspace's.
    pub fn all() -> impl Iterator<Item = Self> {
        let app = AppAction::ALL.iter().map(|&a| Self::App(a));
        let browse = BrowseAction::ALL.iter().map(|&a| Self::Browse(a));
        let label = LabelAction::ALL.iter().map(|&a| Self::Label(a));
        let synth = SynthAction::ALL.iter().map(|&a| Self::Synth(a));
        app.chain(browse).chain(label).chain(synth)
    }

    pub fn info(self) -> ActionInfo {
        match self {
            Self::App(a) => a.info(),
            Self::Browse(a) => a.info(),
            Self::Label(a) => a.info(),
            Self::Synth(a) => a.info(),
        }
    }
}

/// Whether a shortcut may fire while a text field has focus.
pub fn fires_while_typing(shortcut: &KeyboardShortcut) -> bool {
    let function_key = matches!(
        shortcut.logical_key,
        Key::F1
            | Key::F2
            | Key::F3
            | Key::F4
            | Key::F5
            | Key::F6
            | Key::F7
            | Key::F8
            | Key::F9
            | Key::F10
            | Key::F11
            | Key::F12
    );
    let text_editing = matches!(
        shortcut.logical_key,
        Key::A | Key::C | Key::V | Key::X | Key::Z | Key::Y
    );
    function_key || (shortcut.modifiers.command && !text_editing)
}

/// Where key dispatch stands this frame.
#[derive(Clone, Copy, Debug)]
pub struct DispatchContext {
    pub active: Option<WorkspaceId>,
    pub has_project: bool,
    /// A text field has focus.
    pub typing: bool,
    /// A modal dialog is open: only shared actions with a chord fire.
    pub dialog_open: bool,
}

impl DispatchContext {
    fn applies(self, scope: Scope) -> bool {
        match scope {
            Scope::Everywhere => true,
            Scope::Project => self.has_project && !self.dialog_open,
            Scope::Workspace(w) => self.has_project && !self.dialog_open && self.active == Some(w),
        }
    }
}

/// The actions whose shortcuts were pressed this frame (their key presses are consumed).
pub fn shortcut_actions(ctx: &egui::Context, dispatch: DispatchContext) -> Vec<Action> {
    let mut candidates: Vec<(Action, KeyboardShortcut)> = Action::all()
        .filter(|a| dispatch.applies(a.info().scope))
        .flat_map(|a| a.info().shortcuts.iter().map(move |s| (a, *s)))
        .filter(|(_, s)| !dispatch.typing || fires_while_typing(s))
        .collect();
    let modifier_count =
        |m: Modifiers| usize::from(m.command || m.ctrl) + usize::from(m.shift) + usize::from(m.alt);
    // Specific chords first; among equals, the active workspace's before the shared ones.
    candidates.sort_by_key(|(a, s)| {
        (
            std::cmp::Reverse(modifier_count(s.modifiers)),
            !matches!(a.info().scope, Scope::Workspace(_)),
        )
    });
    let mut fired = Vec::new();
    ctx.input_mut(|input| {
        for (action, shortcut) in &candidates {
            while input.consume_shortcut(shortcut) {
                fired.push(*action);
            }
        }
    });
    fired
}

/// The text of an action's first shortcut ("Ctrl+Z"), empty without one.
pub fn shortcut_text(ctx: &egui::Context, action: Action) -> String {
    action
        .info()
        .shortcuts
        .first()
        .map(|s| ctx.format_shortcut(s))
        .unwrap_or_default()
}

/// Every shortcut of an action, for the help overlay ("Down, D, PageDown").
pub fn all_shortcuts_text(ctx: &egui::Context, action: Action) -> String {
    action
        .info()
        .shortcuts
        .iter()
        .map(|s| ctx.format_shortcut(s))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A menu item for `action`: its name, its shortcut and its description as tooltip.
pub fn action_menu_item(ui: &mut egui::Ui, action: Action, enabled: bool) -> Option<Command> {
    let info = action.info();
    let button = egui::Button::new(info.name).shortcut_text(shortcut_text(ui.ctx(), action));
    ui.add_enabled(enabled, button)
        .on_hover_text(info.description)
        .clicked()
        .then_some(Command::Run(action))
}

/// A toolbar button for `action`, labelled `label`, with the description and shortcut as tooltip.
pub fn action_button(ui: &mut egui::Ui, action: Action, label: &str) -> Option<Command> {
    let info = action.info();
    let shortcut = shortcut_text(ui.ctx(), action);
    let tooltip = if shortcut.is_empty() {
        info.description.to_owned()
    } else {
        format!("{} ({shortcut})", info.description)
    };
    ui.button(label)
        .on_hover_text(tooltip)
        .clicked()
        .then_some(Command::Run(action))
}

/// The dialog over an open project (or the start screen).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialog {
    None,
    New,
    Open,
    Import,
    AddPhotos,
}

/// What the panels ask the app to do; applied after the frame's drawing.
#[must_use = "a command does nothing until it is pushed for the app to apply"]
#[derive(Clone, Debug)]
pub enum Command {
    /// An action from the list (menu, shortcut, toolbar).
    Run(Action),
    OpenProject(PathBuf),
    CreateProject {
        path: PathBuf,
        name: String,
        preset: Preset,
    },
    StartImport {
        /// `Some` to create this project first (start screen), `None` to import into the open one.
        new_project: Option<(PathBuf, Preset)>,
        options: MaskImportOptions,
    },
    PickFolder(FolderField),
    /// Add these photo files and folders to the open project, with splits dealt out by ratio.
    AddPhotos {
        paths: Vec<PathBuf>,
        split: Option<[f64; 3]>,
    },
    ShowDialog(Dialog),
    SwitchWorkspace(WorkspaceId),
    SelectImage(usize),
    /// Select an instance of the selected image (by id), or none.
    SelectInstance(Option<u32>),
    /// One undoable edit of an image's instances.
    Edit {
        image: usize,
        edit: InstanceEdit,
    },
    CancelJob(super::jobs::JobKind),
    /// Replace the project's variants (the Dataset workspace's variant editor).
    SetVariants(Vec<crate::project::Variant>),
    /// Mark a photo done (every object labelled) or not.
    SetDone {
        image: usize,
        done: bool,
    },
    /// Replace the synthesis parameters (the Synthesize workspace saves its edits this way).
    SetSynthParams(Box<crate::synth::SynthParams>),
    /// Add, rename, recolour, size or delete a class.
    ChangeClass(crate::project::classes::ClassChange),
}
