//! The start screen: open, recent projects, new, import.

use super::StudioApp;
use crate::ui::commands::Command;

impl StudioApp {
    pub(super) fn start_screen_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        egui::ScrollArea::vertical().show(ui, |ui| {
            ui.vertical_centered(|ui| {
                ui.add_space(24.0);
                ui.heading(egui::RichText::new("SegStudio").size(30.0));
                ui.label("Label, synthesize, train and evaluate segmentation datasets of your robot's objects");
                ui.add_space(16.0);
            });
            let width = 640.0_f32.min(ui.available_width());
            let margin = ((ui.available_width() - width) / 2.0).max(0.0);
            ui.horizontal(|ui| {
                ui.add_space(margin);
                ui.vertical(|ui| {
                    ui.set_width(width);
                    if self.is_busy() {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label("Working… (see the status bar)");
                        });
                    }
                    self.forms.problem_ui(ui);
                    section(ui, "Open a project", |ui| commands.extend(self.forms.open_ui(ui)));
                    if !self.settings.recent_projects.is_empty() {
                        section(ui, "Recent projects", |ui| {
                            for path in &self.settings.recent_projects {
                                if ui.link(path.display().to_string()).clicked() {
                                    commands.push(Command::OpenProject(path.clone()));
                                }
                            }
                        });
                    }
                    section(ui, "New project", |ui| commands.extend(self.forms.new_ui(ui)));
                    let settings = crate::project::ImportSettings::default();
                    section(ui, "Import photos and masks", |ui| {
                        ui.weak("Pairs of photo + class-id mask become editable polygons, in a new project");
                        commands.extend(self.forms.import_ui(ui, false, &settings));
                    });
                });
            });
        });
    }
}

/// A framed section with a heading.
fn section(ui: &mut egui::Ui, title: &str, add: impl FnOnce(&mut egui::Ui)) {
    egui::Frame::group(ui.style())
        .inner_margin(10.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.strong(title);
            ui.add_space(4.0);
            add(ui);
        });
    ui.add_space(8.0);
}
