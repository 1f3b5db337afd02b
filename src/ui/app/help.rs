//! The help overlay (F1): every action of the one list with its shortcuts, the active workspace's
//! first, and the workspace's mouse gestures.

use super::StudioApp;
use crate::ui::commands::{Action, Scope, all_shortcuts_text};

impl StudioApp {
    pub(super) fn help_ui(&mut self, ctx: &egui::Context) {
        if !self.help_open {
            return;
        }
        let active = self.active;
        let workspace = self.workspaces.get(active);
        let mut open = true;
        egui::Window::new("Keyboard shortcuts")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .show(ctx, |ui| {
                let mut groups = vec![
                    (
                        format!("{} workspace", active.title()),
                        Scope::Workspace(active),
                    ),
                    ("With a project open".to_owned(), Scope::Project),
                    ("Everywhere".to_owned(), Scope::Everywhere),
                ];
                // The other workspaces' keys last, so the list stays the whole list.
                groups.extend(
                    crate::ui::workspace::WorkspaceId::ALL
                        .into_iter()
                        .filter(|&w| w != active)
                        .map(|w| (format!("{} workspace", w.title()), Scope::Workspace(w))),
                );
                for (title, scope) in groups {
                    let actions: Vec<Action> =
                        Action::all().filter(|a| a.info().scope == scope).collect();
                    if actions.is_empty() {
                        continue;
                    }
                    ui.strong(title);
                    egui::Grid::new(format!("help-{scope:?}"))
                        .num_columns(3)
                        .striped(true)
                        .show(ui, |ui| {
                            for action in actions {
                                let info = action.info();
                                ui.monospace(all_shortcuts_text(ui.ctx(), action));
                                ui.label(info.name);
                                ui.weak(info.description);
                                ui.end_row();
                            }
                        });
                    ui.add_space(6.0);
                }
                let gestures = workspace.mouse_help();
                if !gestures.is_empty() {
                    ui.strong("Mouse");
                    egui::Grid::new("help-mouse").num_columns(2).show(ui, |ui| {
                        for (gesture, what) in gestures {
                            ui.monospace(*gesture);
                            ui.label(*what);
                            ui.end_row();
                        }
                    });
                }
                ui.add_space(4.0);
                ui.weak("Letter and digit keys do nothing while you type in a text field");
            });
        self.help_open = open;
    }
}
