//! The variant editor: a variant's training labels as groups of classes. Drag a class onto a group
//! to merge it there, onto "New label" to give it a label of its own, onto "Ignored" to paint it
//! with the ignore label; or select it and use the buttons. The merged counts follow every change;
//! Save writes the variants to `project.ron`, Revert drops the draft. `full` is the identity variant
//! every project has and cannot be edited; "New variant" starts from it.

use std::collections::BTreeMap;

use crate::dataset::{DatasetAnalysis, VariantDraft};
use crate::project::{ClassId, FULL_VARIANT, Project};
use crate::ui::commands::Command;
use crate::ui::widgets::swatch;

/// Where a class goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Group(usize),
    NewGroup,
    Ignored,
}

#[derive(Default)]
pub struct VariantEditor {
    /// The variant being edited, by name (the first editable one when `None`).
    pub selected: Option<String>,
    pub draft: Option<VariantDraft>,
    /// The class selected for the buttons.
    picked: Option<ClassId>,
    /// `project.ron`'s variants when the draft was made.
    base: Option<Vec<crate::project::Variant>>,
}

impl VariantEditor {
    /// Drops a clean draft when the project's variants changed (after a save, or elsewhere).
    pub fn follow(&mut self, project: &Project) {
        if self.base.as_deref() != Some(&project.file().variants) && !self.is_dirty(project) {
            self.draft = None;
            self.base = None;
        }
    }

    fn is_dirty(&self, project: &Project) -> bool {
        let Some(draft) = &self.draft else {
            return false;
        };
        let saved = project.variant(&draft.name);
        saved.is_none_or(|v| &draft.to_variant(&project.file().classes) != v)
    }

    fn move_class(&mut self, class: ClassId, target: Target, name: &str) {
        let Some(draft) = &mut self.draft else {
            return;
        };
        match target {
            Target::Group(g) => draft.move_to_group(class, Some(g), name),
            Target::NewGroup => draft.move_to_group(class, None, name),
            Target::Ignored => draft.ignore(class),
        }
        self.picked = None;
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        project: &Project,
        analysis: &DatasetAnalysis,
        commands: &mut Vec<Command>,
    ) {
        let variants = &project.file().variants;
        let editable: Vec<&str> = variants
            .iter()
            .map(|v| v.name.as_str())
            .filter(|n| *n != FULL_VARIANT)
            .collect();
        if self.selected.is_none() {
            self.selected = editable.first().map(|n| (*n).to_owned());
        }
        ui.horizontal(|ui| {
            ui.label("Variant:");
            let current = self.selected.clone().unwrap_or_default();
            egui::ComboBox::from_id_salt("variant-pick")
                .selected_text(if current.is_empty() { "none" } else { &current })
                .show_ui(ui, |ui| {
                    for name in &editable {
                        if ui.selectable_label(current == *name, *name).clicked() {
                            self.selected = Some((*name).to_owned());
                            self.draft = None;
                        }
                    }
                });
            if ui
                .button("New variant")
                .on_hover_text("A new variant, starting as the full one: every class its own label")
                .clicked()
            {
                let mut n = 1;
                while project.variant(&format!("variant_{n}")).is_some() {
                    n += 1;
                }
                let mut draft = VariantDraft::from_variant(project.full_variant());
                draft.name = format!("variant_{n}");
                self.selected = Some(draft.name.clone());
                self.draft = Some(draft);
                self.base = Some(variants.clone());
            }
        });
        let Some(name) = self.selected.clone() else {
            ui.label("Only the full variant exists: press New variant to group classes.");
            return;
        };
        if self.draft.as_ref().is_none_or(|d| d.name != name) {
            let Some(variant) = project.variant(&name) else {
                self.selected = None;
                return;
            };
            self.draft = Some(VariantDraft::from_variant(variant));
            self.base = Some(variants.clone());
        }
        let per_class: BTreeMap<ClassId, (usize, u64)> = analysis
            .classes
            .iter()
            .map(|r| (r.id, (r.total_instances(), r.total_pixels())))
            .collect();
        let class_name = |id: ClassId| {
            project
                .class(id)
                .map_or_else(|| format!("class {id}"), |c| c.name.clone())
        };
        let dirty = self.is_dirty(project);
        ui.horizontal(|ui| {
            if ui
                .add_enabled(dirty, egui::Button::new("Save variant"))
                .on_hover_text("Write the variant to project.ron")
                .clicked()
                && let Some(draft) = &self.draft
            {
                let variant = draft.to_variant(&project.file().classes);
                let mut all = variants.clone();
                match all.iter_mut().find(|v| v.name == variant.name) {
                    Some(v) => *v = variant,
                    None => all.push(variant),
                }
                commands.push(Command::SetVariants(all));
            }
            if ui
                .add_enabled(dirty, egui::Button::new("Revert"))
                .on_hover_text("Drop the changes since the last save")
                .clicked()
            {
                self.draft = None;
            }
            if dirty {
                ui.label(egui::RichText::new("unsaved changes").italics());
            }
        });
        if let Some(picked) = self.picked {
            ui.horizontal_wrapped(|ui| {
                ui.label(format!("Move {}:", class_name(picked)));
                let labels: Vec<String> = self
                    .draft
                    .iter()
                    .flat_map(|d| d.groups.iter().map(|g| g.label.clone()))
                    .collect();
                for (g, label) in labels.iter().enumerate() {
                    if ui.button(format!("Move to {label}")).clicked() {
                        self.move_class(picked, Target::Group(g), &class_name(picked));
                    }
                }
                if ui.button("Own label").clicked() {
                    self.move_class(picked, Target::NewGroup, &class_name(picked));
                }
                if ui.button("Ignore").clicked() {
                    self.move_class(picked, Target::Ignored, &class_name(picked));
                }
            });
        }
        ui.separator();
        let mut moved: Option<(ClassId, Target)> = None;
        let Some(draft) = &mut self.draft else {
            return;
        };
        let counts = draft.merged_counts(&per_class);
        let picked = &mut self.picked;
        egui::ScrollArea::vertical()
            .auto_shrink(false)
            .show(ui, |ui| {
                let mut chip = |ui: &mut egui::Ui, class: ClassId| {
                    swatch(ui, project.class(class).map_or([128; 3], |c| c.color));
                    let response = ui
                        .add(
                            egui::Button::selectable(*picked == Some(class), class_name(class))
                                .sense(egui::Sense::click_and_drag()),
                        )
                        .on_hover_text("Drag onto a label, or click and use the buttons above");
                    if response.drag_started() || response.dragged() {
                        response.dnd_set_drag_payload(class);
                        ui.ctx().set_cursor_icon(egui::CursorIcon::Grabbing);
                    }
                    if response.clicked() {
                        *picked = if *picked == Some(class) {
                            None
                        } else {
                            Some(class)
                        };
                    }
                };
                for (g, &(n, px)) in counts.iter().enumerate() {
                    if draft.groups[g].classes.is_empty() {
                        continue;
                    }
                    let (_, dropped) =
                        ui.dnd_drop_zone::<ClassId, ()>(egui::Frame::group(ui.style()), |ui| {
                            ui.horizontal_wrapped(|ui| {
                                ui.add(
                                    egui::TextEdit::singleline(&mut draft.groups[g].label)
                                        .desired_width(200.0),
                                )
                                .on_hover_text("The training label's name");
                                ui.label(format!("{n} instances, {px} pixels"));
                                ui.separator();
                                for class in draft.groups[g].classes.clone() {
                                    chip(ui, class);
                                }
                            });
                        });
                    if let Some(class) = dropped {
                        moved = Some((*class, Target::Group(g)));
                    }
                }
                let (_, dropped) =
                    ui.dnd_drop_zone::<ClassId, ()>(egui::Frame::group(ui.style()), |ui| {
                        ui.label("New label: drop a class here to give it a label of its own");
                    });
                if let Some(class) = dropped {
                    moved = Some((*class, Target::NewGroup));
                }
                let (_, dropped) =
                    ui.dnd_drop_zone::<ClassId, ()>(egui::Frame::group(ui.style()), |ui| {
                        ui.horizontal_wrapped(|ui| {
                            ui.label("Ignored (painted 255):");
                            for class in draft.ignored.clone() {
                                chip(ui, class);
                            }
                        });
                    });
                if let Some(class) = dropped {
                    moved = Some((*class, Target::Ignored));
                }
            });
        if let Some((class, target)) = moved {
            self.move_class(class, target, &class_name(class));
        }
    }
}
