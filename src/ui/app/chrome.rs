//! The studio's chrome: menu bar, status bar with job progress, start screen and dialogs.

use super::{Command, Dialog, StudioApp};
use crate::project::ImageStatus;
use crate::ui::browser::{status_color, status_name};

impl StudioApp {
    pub(super) fn menu_ui(&mut self, ui: &mut egui::Ui) -> Option<Command> {
        let mut cmd = None;
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("Project", |ui| {
                if ui.button("New project…").clicked() {
                    cmd = Some(Command::ShowDialog(Dialog::New));
                }
                if ui.button("Open project…").clicked() {
                    cmd = Some(Command::ShowDialog(Dialog::Open));
                }
                if ui
                    .add_enabled(self.open.is_some(), egui::Button::new("Import masks…"))
                    .clicked()
                {
                    cmd = Some(Command::ShowDialog(Dialog::Import));
                }
                ui.menu_button("Recent", |ui| {
                    if self.settings.recent_projects.is_empty() {
                        ui.weak("None yet");
                    }
                    for path in &self.settings.recent_projects {
                        if ui.button(path.display().to_string()).clicked() {
                            cmd = Some(Command::OpenProject(path.clone()));
                        }
                    }
                });
                ui.separator();
                if ui
                    .add_enabled(self.open.is_some(), egui::Button::new("Close project"))
                    .clicked()
                {
                    cmd = Some(Command::CloseProject);
                }
            });
            if let Some(open) = &mut self.open {
                ui.menu_button("View", |ui| {
                    if ui.button("Fit (F)").clicked() {
                        open.viewer.request_fit();
                    }
                    if ui.button("1:1 (1)").clicked() {
                        open.viewer.actual_size();
                    }
                    ui.checkbox(&mut open.viewer.show_fill, "Fill instances");
                    ui.checkbox(&mut open.viewer.show_outlines, "Outline instances");
                });
                help_menu(ui);
                ui.separator();
                ui.strong(&open.project.file.name);
                ui.weak(open.project.root().display().to_string());
            } else {
                help_menu(ui);
            }
        });
        cmd
    }

    pub(super) fn status_bar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if let Some(open) = &self.open {
                let p = &open.project;
                let n = p.file.images.len();
                let mut counts = [0usize; 3];
                for i in 0..n {
                    counts[match open.browser.status_of(p, i) {
                        ImageStatus::Labelled => 0,
                        ImageStatus::Unlabelled => 1,
                        ImageStatus::Broken => 2,
                    }] += 1;
                }
                ui.label(format!("{n} images"));
                for (k, status) in [
                    ImageStatus::Labelled,
                    ImageStatus::Unlabelled,
                    ImageStatus::Broken,
                ]
                .into_iter()
                .enumerate()
                {
                    ui.colored_label(
                        status_color(status),
                        format!("{} {}", counts[k], status_name(status)),
                    );
                }
                if let Some(i) = open.selected {
                    let image = &p.file.images[i];
                    ui.separator();
                    ui.label(format!("{} {}×{}", image.file, image.width, image.height));
                    if let Some(c) = open.viewer.cursor.filter(|c| {
                        c.x >= 0.0
                            && c.y >= 0.0
                            && c.x < image.width as f32
                            && c.y < image.height as f32
                    }) {
                        ui.label(format!("x {:.0} y {:.0}", c.x.floor(), c.y.floor()));
                    }
                    ui.label(format!("zoom {:.0}%", open.viewer.zoom * 100.0));
                }
            } else {
                ui.label("No project open");
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                self.job_ui(ui);
            });
        });
    }

    /// Progress of the running job, with ETA and Cancel.
    pub(super) fn job_ui(&mut self, ui: &mut egui::Ui) {
        let (name, progress) = if let Some(task) = &self.import {
            ("Importing", task.progress.clone())
        } else if let Some((path, _)) = &self.opening {
            ui.spinner();
            ui.label(format!("Opening {}", path.display()));
            return;
        } else {
            return;
        };
        if ui.button("Cancel").clicked() {
            progress.cancel();
        }
        let (done, total) = progress.counts();
        let eta = progress.eta().map_or_else(
            || "…".to_owned(),
            |d| format!("{:.0} s left", d.as_secs_f64().ceil()),
        );
        ui.add(
            egui::ProgressBar::new(progress.fraction())
                .desired_width(220.0)
                .text(format!("{done}/{total}, {eta}")),
        );
        ui.label(name);
    }

    pub(super) fn start_screen_ui(&mut self, ui: &mut egui::Ui) -> Option<Command> {
        let mut cmd = None;
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
                    if self.opening.is_some() || self.import.is_some() {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label("Working… (see the status bar)");
                        });
                    }
                    self.forms.problem_ui(ui);
                    section(ui, "Open a project", |ui| cmd = cmd.take().or(self.forms.open_ui(ui)));
                    if !self.settings.recent_projects.is_empty() {
                        section(ui, "Recent projects", |ui| {
                            for path in &self.settings.recent_projects {
                                if ui.link(path.display().to_string()).clicked() {
                                    cmd = Some(Command::OpenProject(path.clone()));
                                }
                            }
                        });
                    }
                    section(ui, "New project", |ui| cmd = cmd.take().or(self.forms.new_ui(ui)));
                    let settings = crate::project::ImportSettings::default();
                    section(ui, "Import photos and masks", |ui| {
                        ui.weak("Pairs of photo + class-id mask become editable polygons, in a new project");
                        cmd = cmd.take().or(self.forms.import_ui(ui, false, &settings));
                    });
                });
            });
        });
        cmd
    }

    pub(super) fn dialog_ui(&mut self, ctx: &egui::Context) -> Option<Command> {
        let title = match self.dialog {
            Dialog::None => return None,
            Dialog::New => "New project",
            Dialog::Open => "Open project",
            Dialog::Import => "Import photos and masks",
        };
        let mut cmd = None;
        let settings = self
            .open
            .as_ref()
            .map(|o| o.project.file.import.clone())
            .unwrap_or_default();
        let response = egui::Modal::new(egui::Id::unique("dialog")).show(ctx, |ui| {
            ui.set_width(600.0);
            ui.heading(title);
            ui.add_space(6.0);
            cmd = match self.dialog {
                Dialog::New => self.forms.new_ui(ui),
                Dialog::Open => self.forms.open_ui(ui),
                Dialog::Import => self.forms.import_ui(ui, self.open.is_some(), &settings),
                Dialog::None => None,
            };
            self.forms.problem_ui(ui);
            ui.separator();
            if ui.button("Close").clicked() {
                ui.close();
            }
        });
        if response.should_close() && cmd.is_none() {
            self.dialog = Dialog::None;
        }
        cmd
    }
}

fn help_menu(ui: &mut egui::Ui) {
    ui.menu_button("Help", |ui| {
        ui.strong("Keyboard shortcuts");
        egui::Grid::new("shortcuts").num_columns(2).show(ui, |ui| {
            for (keys, what) in SHORTCUTS {
                ui.monospace(*keys);
                ui.label(*what);
                ui.end_row();
            }
        });
    });
}

/// Keys and what they do, shown in the Help menu.
const SHORTCUTS: &[(&str, &str)] = &[
    ("Ctrl+O", "open a project"),
    ("Ctrl+N", "new project"),
    ("Ctrl+I", "import photos and masks"),
    ("Down / D", "next image"),
    ("Up / A", "previous image"),
    ("F", "fit the photo in the view"),
    ("1", "one screen pixel per photo pixel"),
    ("+ / -", "zoom in / out"),
    ("wheel", "zoom at the cursor"),
    ("drag", "pan"),
];

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
