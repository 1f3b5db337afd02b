//! The object library view: per class, how many cut-outs the chosen split offers, whether the class
//! is used, left out or pasted as an unlabelled distractor; per instance, a thumbnail to leave it out.

use std::collections::HashMap;

use crate::project::{ClassId, Project};
use crate::synth::params::LibraryChoice;
use crate::synth::{Cutout, SynthSource};
use crate::ui::widgets::swatch;

const THUMB: u32 = 72;

/// Thumbnails of the loaded library, made on first sight.
#[derive(Default)]
pub struct Thumbnails {
    textures: HashMap<(String, u32), egui::TextureHandle>,
}

impl Thumbnails {
    pub fn clear(&mut self) {
        self.textures.clear();
    }

    fn get(&mut self, ctx: &egui::Context, c: &Cutout) -> egui::TextureHandle {
        self.textures
            .entry((c.source.clone(), c.instance))
            .or_insert_with(|| {
                ctx.load_texture(
                    format!("cutout-{}-{}", c.source, c.instance),
                    thumbnail(c),
                    egui::TextureOptions::LINEAR,
                )
            })
            .clone()
    }
}

/// The cut-out on a checkerboard, fitted into `THUMB` pixels.
fn thumbnail(c: &Cutout) -> egui::ColorImage {
    let scale = (THUMB as f32 / c.width.max(c.height) as f32).min(1.0);
    let (w, h) = (
        ((c.width as f32 * scale).round() as usize).max(1),
        ((c.height as f32 * scale).round() as usize).max(1),
    );
    let mut pixels = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let sx = ((x as f32 / scale) as u32).min(c.width - 1);
            let sy = ((y as f32 / scale) as u32).min(c.height - 1);
            let i = (sy * c.width + sx) as usize;
            pixels.push(if c.alpha[i] > 0 {
                egui::Color32::from_rgb(c.rgb[i * 3], c.rgb[i * 3 + 1], c.rgb[i * 3 + 2])
            } else if (x / 6 + y / 6) % 2 == 0 {
                egui::Color32::from_gray(70)
            } else {
                egui::Color32::from_gray(95)
            });
        }
    }
    egui::ColorImage::new([w, h], pixels)
}

/// Draws the library; edits `choice`; returns whether it changed.
pub fn library_ui(
    ui: &mut egui::Ui,
    project: &Project,
    source: Option<&SynthSource>,
    choice: &mut LibraryChoice,
    thumbnails: &mut Thumbnails,
) -> bool {
    let before = choice.clone();
    let mut per_class: HashMap<ClassId, Vec<&Cutout>> = HashMap::new();
    if let Some(source) = source {
        for c in &source.library.objects {
            per_class.entry(c.class_id).or_default().push(c);
        }
    }
    ui.label(
        "Objects are cut out of the annotated photos of the chosen split only, so a training run never sees val or test objects.",
    );
    egui::ScrollArea::vertical()
        .auto_shrink([false; 2])
        .show(ui, |ui| {
            for class in &project.file().classes {
                let members = per_class.get(&class.id).map_or(&[][..], Vec::as_slice);
                let mut used = !choice.disabled_classes.contains(&class.id);
                let mut distractor = choice.distractor_classes.contains(&class.id);
                let header = ui.horizontal(|ui| {
                    swatch(ui, class.color);
                    ui.checkbox(&mut used, &class.name)
                        .on_hover_text("Use this class's objects in the library");
                    ui.checkbox(&mut distractor, "distractor").on_hover_text(
                        "Paste this class's objects unlabelled (background or ignore) instead of as objects",
                    );
                    let n = members.len();
                    ui.label(format!("{n} cut-out{}", if n == 1 { "" } else { "s" }));
                });
                let _ = header;
                toggle(&mut choice.disabled_classes, class.id, !used);
                toggle(&mut choice.distractor_classes, class.id, distractor);
                if !members.is_empty() {
                    egui::CollapsingHeader::new(format!("{} instances", class.name))
                        .id_salt(("library-class", class.id))
                        .show(ui, |ui| {
                            ui.horizontal_wrapped(|ui| {
                                for c in members {
                                    let texture = thumbnails.get(ui.ctx(), c);
                                    let clicked = ui
                                        .add(egui::Button::image(&texture))
                                        .on_hover_text(format!(
                                            "{} #{}: {}×{} px, {} pixels. Click to leave it out.",
                                            c.source, c.instance, c.width, c.height, c.pixels
                                        ))
                                        .clicked();
                                    if clicked {
                                        choice.disabled_instances.push((c.source.clone(), c.instance));
                                    }
                                }
                            });
                        });
                }
            }
            if !choice.disabled_instances.is_empty() {
                ui.separator();
                ui.label(format!("{} instances left out:", choice.disabled_instances.len()));
                let mut restore = None;
                for (i, (file, id)) in choice.disabled_instances.iter().enumerate() {
                    ui.horizontal(|ui| {
                        ui.label(format!("{file} #{id}"));
                        if ui.small_button("Use again").clicked() {
                            restore = Some(i);
                        }
                    });
                }
                if let Some(i) = restore {
                    choice.disabled_instances.remove(i);
                }
            }
        });
    *choice != before
}

fn toggle(list: &mut Vec<ClassId>, id: ClassId, on: bool) {
    let present = list.contains(&id);
    if on && !present {
        list.push(id);
        list.sort_unstable();
    } else if !on && present {
        list.retain(|&c| c != id);
    }
}
