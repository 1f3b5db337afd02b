//! The New / Open / Import forms, on the start screen and in dialogs over an open project.

use std::path::PathBuf;

use super::commands::Command;
use crate::import::{MaskImportOptions, parse_split_counts};
use crate::project::{ImportSettings, PROJECT_FILE, Preset};

/// Which text field a folder picked in the native dialog goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FolderField {
    NewProject,
    OpenProject,
    ImportImages,
    ImportMasks,
    ImportProject,
    AddPhotos,
}

/// The contents of the forms, kept while the studio runs.
#[derive(Clone, Debug)]
pub struct Forms {
    pub new_path: String,
    pub new_name: String,
    pub new_preset: Preset,
    pub open_path: String,
    pub import_images: String,
    pub import_masks: String,
    pub import_background: String,
    pub import_split: String,
    /// Folder of the new project an import creates (start screen only).
    pub import_project: String,
    pub import_preset: Preset,
    /// A photo file or folder to add.
    pub add_photos: String,
    /// Deal the added photos out to train/val/test in `add_photos_ratio`.
    pub add_photos_split: bool,
    pub add_photos_ratio: String,
    /// Problem shown under the form last submitted.
    pub problem: Option<String>,
}

impl Default for Forms {
    fn default() -> Self {
        Self {
            new_path: String::new(),
            new_name: String::new(),
            new_preset: Preset::AtWork,
            open_path: String::new(),
            import_images: String::new(),
            import_masks: String::new(),
            import_background: "0".to_owned(),
            import_split: String::new(),
            import_project: String::new(),
            import_preset: Preset::AtWork,
            add_photos: String::new(),
            add_photos_split: true,
            add_photos_ratio: "80,10,10".to_owned(),
            problem: None,
        }
    }
}

impl Forms {
    pub fn set_folder(&mut self, field: FolderField, path: &std::path::Path) {
        let text = path.display().to_string();
        match field {
            FolderField::NewProject => self.new_path = text,
            FolderField::OpenProject => self.open_path = text,
            FolderField::ImportImages => self.import_images = text,
            FolderField::ImportMasks => self.import_masks = text,
            FolderField::ImportProject => self.import_project = text,
            FolderField::AddPhotos => self.add_photos = text,
        }
    }

    /// A labelled path field with a "Browse…" button.
    fn path_row(
        ui: &mut egui::Ui,
        label: &str,
        value: &mut String,
        field: FolderField,
        cmd: &mut Option<Command>,
    ) {
        ui.horizontal(|ui| {
            let label = ui.add_sized([130.0, 20.0], egui::Label::new(label));
            ui.add(
                egui::TextEdit::singleline(value)
                    .desired_width(300.0)
                    .hint_text("/path/to/folder"),
            )
            .labelled_by(label.id);
            if ui
                .button("Browse…")
                .on_hover_text("Choose the folder in a dialog")
                .clicked()
            {
                *cmd = Some(Command::PickFolder(field));
            }
        });
    }

    fn preset_row(ui: &mut egui::Ui, id: &str, preset: &mut Preset) {
        ui.horizontal(|ui| {
            let label = ui.add_sized([130.0, 20.0], egui::Label::new("Classes"));
            egui::ComboBox::from_id_salt(id)
                .selected_text(preset_name(*preset))
                .show_ui(ui, |ui| {
                    ui.selectable_value(preset, Preset::AtWork, preset_name(Preset::AtWork));
                    ui.selectable_value(preset, Preset::Empty, preset_name(Preset::Empty));
                })
                .response
                .labelled_by(label.id);
        });
    }

    /// The split ratio the form gives added photos (dropped ones too), if it gives any.
    pub fn photo_split(&self) -> Result<Option<[f64; 3]>, String> {
        if self.add_photos_split {
            crate::import::parse_split_ratio(&self.add_photos_ratio).map(Some)
        } else {
            Ok(None)
        }
    }

    pub fn add_photos_ui(&mut self, ui: &mut egui::Ui) -> Option<Command> {
        let mut cmd = None;
        ui.label(
            "JPEG and PNG photos, from a file or a folder (searched recursively). Each is checked, \
             copied into the project's images/ folder, and skipped if the project has it already.",
        );
        Self::path_row(
            ui,
            "Photos",
            &mut self.add_photos,
            FolderField::AddPhotos,
            &mut cmd,
        );
        ui.horizontal(|ui| {
            ui.checkbox(&mut self.add_photos_split, "Give them splits")
                .on_hover_text(
                    "Deal the new photos out to train, val and test in these shares (class by class \
                     where their folders are named after classes)",
                );
            ui.add_enabled(
                self.add_photos_split,
                egui::TextEdit::singleline(&mut self.add_photos_ratio)
                    .desired_width(100.0)
                    .hint_text("80,10,10"),
            )
            .on_hover_text("Shares of train, val and test, e.g. 80,10,10");
        });
        if ui.button("Add").clicked() {
            let path = PathBuf::from(self.add_photos.trim());
            match self.photo_split() {
                _ if self.add_photos.trim().is_empty() => {
                    self.problem =
                        Some("Type the photo file or folder, or choose it with Browse…".into());
                }
                _ if !path.exists() => {
                    self.problem = Some(format!("There is no {}", path.display()));
                }
                Err(problem) => self.problem = Some(problem),
                Ok(split) => {
                    self.problem = None;
                    cmd = Some(Command::AddPhotos {
                        paths: vec![path],
                        split,
                    });
                }
            }
        }
        cmd
    }

    pub fn open_ui(&mut self, ui: &mut egui::Ui) -> Option<Command> {
        let mut cmd = None;
        Self::path_row(
            ui,
            "Project folder",
            &mut self.open_path,
            FolderField::OpenProject,
            &mut cmd,
        );
        if ui.button("Open").clicked() {
            let path = PathBuf::from(self.open_path.trim());
            if self.open_path.trim().is_empty() {
                self.problem = Some("Type the project folder or choose it with Browse…".into());
            } else if !path.join(PROJECT_FILE).is_file() {
                self.problem = Some(format!("No {PROJECT_FILE} in {}", path.display()));
            } else {
                self.problem = None;
                cmd = Some(Command::OpenProject(path));
            }
        }
        cmd
    }

    pub fn new_ui(&mut self, ui: &mut egui::Ui) -> Option<Command> {
        let mut cmd = None;
        Self::path_row(
            ui,
            "New project folder",
            &mut self.new_path,
            FolderField::NewProject,
            &mut cmd,
        );
        ui.horizontal(|ui| {
            let label = ui.add_sized([130.0, 20.0], egui::Label::new("Name"));
            ui.add(
                egui::TextEdit::singleline(&mut self.new_name)
                    .desired_width(300.0)
                    .hint_text("the folder name"),
            )
            .labelled_by(label.id);
        });
        Self::preset_row(ui, "new-preset", &mut self.new_preset);
        if ui.button("Create").clicked() {
            let path = PathBuf::from(self.new_path.trim());
            if self.new_path.trim().is_empty() {
                self.problem = Some("Type the folder of the new project".into());
            } else if path.join(PROJECT_FILE).exists() {
                self.problem = Some(format!(
                    "{} already holds a project; open it instead",
                    path.display()
                ));
            } else {
                self.problem = None;
                let name = if self.new_name.trim().is_empty() {
                    crate::project::default_name(&path)
                } else {
                    self.new_name.trim().to_owned()
                };
                cmd = Some(Command::CreateProject {
                    path,
                    name,
                    preset: self.new_preset,
                });
            }
        }
        cmd
    }

    /// The import form; `into_open_project` hides the new-project fields.
    pub fn import_ui(
        &mut self,
        ui: &mut egui::Ui,
        into_open_project: bool,
        settings: &ImportSettings,
    ) -> Option<Command> {
        let mut cmd = None;
        Self::path_row(
            ui,
            "Photos folder",
            &mut self.import_images,
            FolderField::ImportImages,
            &mut cmd,
        );
        Self::path_row(
            ui,
            "Masks folder",
            &mut self.import_masks,
            FolderField::ImportMasks,
            &mut cmd,
        );
        ui.horizontal(|ui| {
            let label = ui.add_sized([130.0, 20.0], egui::Label::new("Background value"));
            ui.add(egui::TextEdit::singleline(&mut self.import_background).desired_width(50.0))
                .labelled_by(label.id)
                .on_hover_text("The mask value of the background (the seed's masks use 19); 0 is always background");
            let label = ui.label("Split per class");
            ui.add(egui::TextEdit::singleline(&mut self.import_split).desired_width(80.0).hint_text("22,4,4"))
                .labelled_by(label.id)
                .on_hover_text("TRAIN,VAL,TEST photos per class, in name order; empty leaves images unassigned");
        });
        if !into_open_project {
            Self::path_row(
                ui,
                "Into new project",
                &mut self.import_project,
                FolderField::ImportProject,
                &mut cmd,
            );
            Self::preset_row(ui, "import-preset", &mut self.import_preset);
        }
        if ui.button("Import").clicked() {
            match self.import_options(settings) {
                Ok(options) => {
                    self.problem = None;
                    let new_project = (!into_open_project).then(|| {
                        (
                            PathBuf::from(self.import_project.trim()),
                            self.import_preset,
                        )
                    });
                    if let Some((path, _)) = &new_project {
                        if self.import_project.trim().is_empty() {
                            self.problem = Some("Type the folder of the new project".into());
                            return cmd;
                        }
                        if path.join(PROJECT_FILE).exists() {
                            self.problem = Some(format!(
                                "{} already holds a project; open it and import from the Project menu",
                                path.display()
                            ));
                            return cmd;
                        }
                    }
                    cmd = Some(Command::StartImport {
                        new_project,
                        options,
                    });
                }
                Err(problem) => self.problem = Some(problem),
            }
        }
        cmd
    }

    fn import_options(&self, settings: &ImportSettings) -> Result<MaskImportOptions, String> {
        let images = PathBuf::from(self.import_images.trim());
        let masks = PathBuf::from(self.import_masks.trim());
        if !images.is_dir() {
            return Err(format!(
                "The photos folder does not exist: {}",
                images.display()
            ));
        }
        if !masks.is_dir() {
            return Err(format!(
                "The masks folder does not exist: {}",
                masks.display()
            ));
        }
        let background: u8 = self.import_background.trim().parse().map_err(|_| {
            format!(
                "The background value must be 0 to 255, not {:?}",
                self.import_background
            )
        })?;
        let split = if self.import_split.trim().is_empty() {
            None
        } else {
            Some(parse_split_counts(&self.import_split)?)
        };
        Ok(MaskImportOptions {
            images_dir: images,
            masks_dir: masks,
            background,
            split_per_class: split,
            min_region_px: settings.min_region_px,
            simplify_px: settings.simplify_px,
        })
    }

    pub fn problem_ui(&self, ui: &mut egui::Ui) {
        if let Some(problem) = &self.problem {
            ui.colored_label(ui.visuals().error_fg_color, problem);
        }
    }
}

pub fn preset_name(preset: Preset) -> &'static str {
    match preset {
        Preset::AtWork => "atWork (18 objects, 4 variants)",
        Preset::Empty => "Empty",
    }
}
