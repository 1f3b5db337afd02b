//! The New / Open / Import / Add photos dialogs, modal over the studio.

use super::StudioApp;
use super::chrome::dialog_title;
use crate::ui::commands::{Command, Dialog};

impl StudioApp {
    pub(super) fn dialog_ui(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        let Some(title) = dialog_title(self.dialog) else {
            return;
        };
        let settings = self
            .open
            .as_ref()
            .map(|o| o.project().file().import.clone())
            .unwrap_or_default();
        let into_open_project = self.open.is_some();
        let mut submitted = None;
        let response = egui::Modal::new(egui::Id::unique("dialog")).show(ctx, |ui| {
            ui.set_width(600.0);
            ui.heading(title);
            ui.add_space(6.0);
            submitted = match self.dialog {
                Dialog::New => self.forms.new_ui(ui),
                Dialog::Open => self.forms.open_ui(ui),
                Dialog::Import => self.forms.import_ui(ui, into_open_project, &settings),
                Dialog::AddPhotos => self.forms.add_photos_ui(ui),
                Dialog::None => None,
            };
            self.forms.problem_ui(ui);
            ui.separator();
            if ui.button("Close").clicked() {
                ui.close();
            }
        });
        if response.should_close() && submitted.is_none() {
            self.dialog = Dialog::None;
        }
        commands.extend(submitted);
    }
}
