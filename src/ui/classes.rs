//! The class list: every class with its colour, its instances in the selected image and in the project,
//! and the instances of the selected image.

use crate::project::{ClassId, Project};

/// Instances per class over the whole project, recomputed when the project changes.
#[derive(Default)]
pub struct ClassCounts {
    version: Option<u64>,
    totals: Vec<(ClassId, usize)>,
}

impl ClassCounts {
    fn refresh(&mut self, project: &Project, version: u64) {
        if self.version == Some(version) {
            return;
        }
        self.totals = project.file.classes.iter().map(|c| (c.id, 0)).collect();
        for i in 0..project.file.images.len() {
            for inst in project.instances(i) {
                if let Some(entry) = self.totals.iter_mut().find(|(id, _)| *id == inst.class_id) {
                    entry.1 += 1;
                }
            }
        }
        self.version = Some(version);
    }

    pub fn total(&self, id: ClassId) -> usize {
        self.totals
            .iter()
            .find(|(c, _)| *c == id)
            .map_or(0, |(_, n)| *n)
    }
}

pub fn class_list_ui(
    ui: &mut egui::Ui,
    project: &Project,
    selected: Option<usize>,
    counts: &mut ClassCounts,
    version: u64,
) {
    counts.refresh(project, version);
    let here = |id: ClassId| {
        selected.map_or(0, |i| {
            project
                .instances(i)
                .iter()
                .filter(|inst| inst.class_id == id)
                .count()
        })
    };
    ui.heading("Classes");
    ui.weak("instances in this image / in the project");
    egui::ScrollArea::vertical()
        .id_salt("class-list")
        .max_height(ui.available_height() * 0.6)
        .show(ui, |ui| {
            egui::Grid::new("classes")
                .num_columns(3)
                .striped(true)
                .show(ui, |ui| {
                    for class in &project.file.classes {
                        ui.horizontal(|ui| {
                            let (rect, _) = ui
                                .allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
                            let [r, g, b] = class.color;
                            ui.painter()
                                .rect_filled(rect, 3.0, egui::Color32::from_rgb(r, g, b));
                            ui.label(&class.name);
                        });
                        let n = here(class.id);
                        if n > 0 {
                            ui.strong(n.to_string());
                        } else {
                            ui.weak("0");
                        }
                        ui.label(counts.total(class.id).to_string());
                        ui.end_row();
                    }
                });
        });
    ui.separator();
    ui.heading("Instances");
    let Some(index) = selected else {
        ui.weak("No image selected");
        return;
    };
    let instances = project.instances(index);
    if instances.is_empty() {
        ui.weak("None in this image");
    }
    egui::ScrollArea::vertical()
        .id_salt("instance-list")
        .show(ui, |ui| {
            for inst in instances {
                let name = project
                    .class(inst.class_id)
                    .map_or("?", |c| c.name.as_str());
                let holes = match inst.holes.len() {
                    0 => String::new(),
                    1 => ", 1 hole".to_owned(),
                    n => format!(", {n} holes"),
                };
                ui.label(format!("#{} {name}", inst.id))
                    .on_hover_text(format!(
                        "{} vertices{holes}, made by {:?}",
                        inst.outer.len(),
                        inst.tool
                    ));
            }
        });
}
