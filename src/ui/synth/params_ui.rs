//! The parameter form: every field of [`SynthParams`] with its tooltip from
//! [`crate::synth::params::help`]. The workspace saves the edited copy to `project.ron`.

use crate::synth::params::{
    BlendMode, ClassSampling, DistractorLabel, ScaleMode, SynthParams, help,
};

fn slider(
    ui: &mut egui::Ui,
    value: &mut f32,
    range: std::ops::RangeInclusive<f32>,
    text: &str,
    tip: &str,
) {
    ui.add(egui::Slider::new(value, range).text(text))
        .on_hover_text(tip);
}

fn range_u32(ui: &mut egui::Ui, text: &str, min: &mut u32, max: &mut u32, limit: u32, tip: &str) {
    ui.horizontal(|ui| {
        ui.label(text).on_hover_text(tip);
        ui.add(egui::DragValue::new(min).range(0..=limit).prefix("min "))
            .on_hover_text(tip);
        ui.add(egui::DragValue::new(max).range(0..=limit).prefix("max "))
            .on_hover_text(tip);
    });
}

/// Draws the form; returns whether anything changed.
pub fn params_ui(ui: &mut egui::Ui, p: &mut SynthParams) -> bool {
    let before = p.clone();
    egui::CollapsingHeader::new("Image")
        .default_open(true)
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label("Size").on_hover_text(help::SIZE);
                ui.add(
                    egui::DragValue::new(&mut p.width)
                        .range(16..=8192)
                        .suffix(" px"),
                )
                .on_hover_text(help::SIZE);
                ui.label("×");
                ui.add(
                    egui::DragValue::new(&mut p.height)
                        .range(16..=8192)
                        .suffix(" px"),
                )
                .on_hover_text(help::SIZE);
            });
            range_u32(
                ui,
                "Objects",
                &mut p.objects_min,
                &mut p.objects_max,
                200,
                help::OBJECTS,
            );
            ui.horizontal(|ui| {
                ui.label("JPEG quality").on_hover_text(help::JPEG);
                ui.add(egui::DragValue::new(&mut p.jpeg_quality).range(1..=100))
                    .on_hover_text(help::JPEG);
                ui.label("Seed").on_hover_text(help::SEED);
                ui.add(egui::DragValue::new(&mut p.seed))
                    .on_hover_text(help::SEED);
            });
        });
    egui::CollapsingHeader::new("Objects")
        .default_open(true)
        .show(ui, |ui| {
            egui::ComboBox::from_label("Sampling")
                .selected_text(sampling_name(p.sampling))
                .show_ui(ui, |ui| {
                    for s in [
                        ClassSampling::UniformClasses,
                        ClassSampling::UniformInstances,
                        ClassSampling::InverseFrequency,
                    ] {
                        ui.selectable_value(&mut p.sampling, s, sampling_name(s));
                    }
                })
                .response
                .on_hover_text(help::SAMPLING);
            let real = matches!(p.scale, ScaleMode::RealWorld { .. });
            ui.horizontal(|ui| {
                ui.label("Scale").on_hover_text(help::SCALE);
                if ui
                    .selectable_label(!real, "relative")
                    .on_hover_text(help::SCALE)
                    .clicked()
                    && real
                {
                    p.scale = ScaleMode::Relative { min: 0.5, max: 1.2 };
                }
                if ui
                    .selectable_label(real, "real-world")
                    .on_hover_text(help::SCALE)
                    .clicked()
                    && !real
                {
                    p.scale = ScaleMode::RealWorld {
                        min_px_per_mm: 1.0,
                        max_px_per_mm: 2.5,
                    };
                }
            });
            match &mut p.scale {
                ScaleMode::Relative { min, max } => {
                    slider(ui, min, 0.05..=4.0, "Scale min", help::SCALE);
                    slider(ui, max, 0.05..=4.0, "Scale max", help::SCALE);
                }
                ScaleMode::RealWorld {
                    min_px_per_mm,
                    max_px_per_mm,
                } => {
                    slider(ui, min_px_per_mm, 0.1..=20.0, "px/mm min", help::SCALE);
                    slider(ui, max_px_per_mm, 0.1..=20.0, "px/mm max", help::SCALE);
                }
            }
            slider(
                ui,
                &mut p.rotation_deg,
                0.0..=180.0,
                "Rotation (°)",
                help::ROTATION,
            );
            slider(
                ui,
                &mut p.flip_horizontal,
                0.0..=1.0,
                "Mirror left-right",
                help::FLIP_H,
            );
            slider(
                ui,
                &mut p.flip_vertical,
                0.0..=1.0,
                "Mirror upside down",
                help::FLIP_V,
            );
        });
    egui::CollapsingHeader::new("Placement")
        .default_open(true)
        .show(ui, |ui| {
            slider(
                ui,
                &mut p.max_truncation,
                0.0..=1.0,
                "Truncation",
                help::TRUNCATION,
            );
            slider(
                ui,
                &mut p.max_occlusion,
                0.0..=1.0,
                "Max occlusion",
                help::OCCLUSION,
            );
            slider(
                ui,
                &mut p.min_visible,
                0.0..=1.0,
                "Min visible",
                help::MIN_VISIBLE,
            );
            ui.horizontal(|ui| {
                ui.label("Attempts").on_hover_text(help::ATTEMPTS);
                ui.add(egui::DragValue::new(&mut p.attempts).range(1..=1000))
                    .on_hover_text(help::ATTEMPTS);
            });
        });
    egui::CollapsingHeader::new("Appearance")
        .default_open(true)
        .show(ui, |ui| {
            egui::ComboBox::from_label("Blending")
                .selected_text(p.blend.name())
                .show_ui(ui, |ui| {
                    for b in BlendMode::ALL {
                        ui.selectable_value(&mut p.blend, b, b.name());
                    }
                })
                .response
                .on_hover_text(help::BLEND);
            let j = &mut p.jitter;
            slider(
                ui,
                &mut j.brightness,
                0.0..=1.0,
                "Brightness ±",
                help::BRIGHTNESS,
            );
            slider(ui, &mut j.contrast, 0.0..=1.0, "Contrast ±", help::CONTRAST);
            slider(
                ui,
                &mut j.saturation,
                0.0..=1.0,
                "Saturation ±",
                help::SATURATION,
            );
            slider(ui, &mut j.hue_deg, 0.0..=180.0, "Hue ± (°)", help::HUE);
            slider(ui, &mut j.gamma, 0.0..=2.0, "Gamma", help::GAMMA);
            let s = &mut p.shadow;
            slider(
                ui,
                &mut s.opacity,
                0.0..=1.0,
                "Shadow",
                help::SHADOW_OPACITY,
            );
            slider(
                ui,
                &mut s.offset_x,
                -64.0..=64.0,
                "Shadow x",
                help::SHADOW_OFFSET,
            );
            slider(
                ui,
                &mut s.offset_y,
                -64.0..=64.0,
                "Shadow y",
                help::SHADOW_OFFSET,
            );
            slider(
                ui,
                &mut s.blur,
                0.0..=32.0,
                "Shadow blur",
                help::SHADOW_BLUR,
            );
            slider(ui, &mut p.noise, 0.0..=32.0, "Noise σ", help::NOISE);
        });
    egui::CollapsingHeader::new("Distractors")
        .default_open(false)
        .show(ui, |ui| {
            range_u32(
                ui,
                "Per image",
                &mut p.distractors_min,
                &mut p.distractors_max,
                200,
                help::DISTRACTORS,
            );
            ui.horizontal(|ui| {
                ui.label("Labelled as")
                    .on_hover_text(help::DISTRACTOR_LABEL);
                ui.radio_value(
                    &mut p.distractor_label,
                    DistractorLabel::Background,
                    "background",
                )
                .on_hover_text(help::DISTRACTOR_LABEL);
                ui.radio_value(
                    &mut p.distractor_label,
                    DistractorLabel::Ignore,
                    "ignore (255)",
                )
                .on_hover_text(help::DISTRACTOR_LABEL);
            });
        });
    ui.horizontal(|ui| {
        if ui
            .button("Seed preset")
            .on_hover_text("The seed generator's setting: 1–9 objects, scale 0.3–1.2, anywhere, hard paste, no jitter")
            .clicked()
        {
            *p = SynthParams {
                library: p.library.clone(),
                backgrounds: p.backgrounds.clone(),
                ..SynthParams::seed_preset()
            };
        }
        if ui
            .button("Defaults")
            .on_hover_text("SegStudio's defaults: mixed blends, jitter, shadows, occlusion limits")
            .clicked()
        {
            *p = SynthParams {
                library: p.library.clone(),
                backgrounds: p.backgrounds.clone(),
                ..SynthParams::default()
            };
        }
    });
    *p != before
}

fn sampling_name(s: ClassSampling) -> &'static str {
    match s {
        ClassSampling::UniformClasses => "uniform over classes",
        ClassSampling::UniformInstances => "uniform over instances",
        ClassSampling::InverseFrequency => "inverse object size",
    }
}
