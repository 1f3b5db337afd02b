//! The Train workspace's form: every setting of a run, with a tooltip each, turned into a
//! [`TrainConfig`] (whose validation names a bad value before anything starts).

use crate::model::CONFIG_NAMES;
use crate::model::optim::{AdamWParams, SgdParams};
use crate::project::{Project, Split};
use crate::train::{Augment, Budget, OptimizerConfig, TrainConfig};

/// How long a run lasts, as the form edits it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BudgetKind {
    Steps,
    Minutes,
}

/// The form's values.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainForm {
    pub encoder: String,
    pub variant: String,
    pub width: u32,
    pub height: u32,
    pub batch: usize,
    pub budget: BudgetKind,
    pub steps: u64,
    pub minutes: f64,
    pub adamw: bool,
    pub lr: f64,
    pub splits: [bool; 3],
    /// Finished synthesis runs ticked as data sources.
    pub synth: Vec<String>,
    pub val_split: Option<Split>,
    pub eval_every: u64,
    pub checkpoint_every: u64,
    pub seed: u64,
    pub jitter: f32,
    pub depth_multiplier: f64,
    pub loader_threads: usize,
    /// `cpu` or `cuda`, as `train::device_named` takes it.
    pub device: String,
}

impl Default for TrainForm {
    fn default() -> Self {
        let c = TrainConfig::default();
        Self {
            encoder: c.encoder,
            variant: c.variant,
            width: c.size[0],
            height: c.size[1],
            batch: c.batch,
            budget: BudgetKind::Steps,
            steps: 2000,
            minutes: 30.0,
            adamw: false,
            lr: SgdParams::default().lr,
            splits: [true, false, false],
            synth: Vec::new(),
            val_split: c.val_split,
            eval_every: c.eval_every,
            checkpoint_every: c.checkpoint_every,
            seed: c.seed,
            jitter: c.augment.jitter,
            depth_multiplier: c.depth_multiplier,
            loader_threads: c.loader_threads,
            device: "cpu".to_owned(),
        }
    }
}

impl TrainForm {
    pub fn config(&self) -> TrainConfig {
        let optimizer = if self.adamw {
            OptimizerConfig::AdamW(AdamWParams {
                lr: self.lr,
                ..AdamWParams::default()
            })
        } else {
            OptimizerConfig::Sgd(SgdParams {
                lr: self.lr,
                ..SgdParams::default()
            })
        };
        TrainConfig {
            encoder: self.encoder.clone(),
            variant: self.variant.clone(),
            size: [self.width, self.height],
            batch: self.batch,
            budget: match self.budget {
                BudgetKind::Steps => Budget::Steps(self.steps),
                BudgetKind::Minutes => Budget::Minutes(self.minutes),
            },
            optimizer,
            augment: Augment {
                jitter: self.jitter,
                ..Augment::default()
            },
            splits: Split::ALL
                .into_iter()
                .zip(self.splits)
                .filter_map(|(s, on)| on.then_some(s))
                .collect(),
            synth_runs: self.synth.clone(),
            val_split: self.val_split,
            eval_every: self.eval_every,
            checkpoint_every: self.checkpoint_every,
            seed: self.seed,
            depth_multiplier: self.depth_multiplier,
            loader_threads: self.loader_threads,
            ..TrainConfig::default()
        }
    }

    /// Draws the form; `synth_runs` are the finished synthesis runs that can be ticked.
    pub fn ui(&mut self, ui: &mut egui::Ui, project: &Project, synth_runs: &[(String, u64)]) {
        egui::Grid::new("train-form")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                ui.label("Encoder")
                    .on_hover_text("The DeepLabv3+ backbone: MobileNetV2 is fast on a CPU, Xception-65 is the seed's accurate one");
                egui::ComboBox::from_id_salt("train-encoder")
                    .selected_text(&self.encoder)
                    .show_ui(ui, |ui| {
                        for name in CONFIG_NAMES {
                            ui.selectable_value(&mut self.encoder, name.to_owned(), name);
                        }
                    });
                ui.end_row();
                ui.label("Variant")
                    .on_hover_text("Which labels the model learns: the dataset variant's class map (Dataset → Variants)");
                egui::ComboBox::from_id_salt("train-variant")
                    .selected_text(&self.variant)
                    .show_ui(ui, |ui| {
                        for v in &project.file().variants {
                            let text = format!("{} ({} labels)", v.name, v.labels.len());
                            ui.selectable_value(&mut self.variant, v.name.clone(), text);
                        }
                    });
                ui.end_row();
                ui.label("Real photos")
                    .on_hover_text("The splits whose labelled photos are trained on");
                ui.horizontal(|ui| {
                    for (on, split) in self.splits.iter_mut().zip(Split::ALL) {
                        ui.checkbox(on, split.name());
                    }
                });
                ui.end_row();
                ui.label("Synthetic")
                    .on_hover_text("Finished synthesis runs (Synthesize → Runs) whose images are added to the training data");
                ui.vertical(|ui| {
                    if synth_runs.is_empty() {
                        ui.weak("no finished synthesis run");
                    }
                    for (id, count) in synth_runs {
                        let mut on = self.synth.contains(id);
                        if ui.checkbox(&mut on, format!("{id} ({count} images)")).changed() {
                            if on {
                                self.synth.push(id.clone());
                            } else {
                                self.synth.retain(|s| s != id);
                            }
                        }
                    }
                });
                ui.end_row();
                ui.label("Validation")
                    .on_hover_text("The split scored while training (mIoU at the input size, as the torch peer does)");
                egui::ComboBox::from_id_salt("train-val")
                    .selected_text(self.val_split.map_or("none", Split::name))
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut self.val_split, None, "none");
                        for s in Split::ALL {
                            ui.selectable_value(&mut self.val_split, Some(s), s.name());
                        }
                    });
                ui.end_row();
                ui.label("Input size")
                    .on_hover_text("Width × height the photos are resized to (the seed's CPU protocol: 320 × 240)");
                ui.horizontal(|ui| {
                    ui.add(egui::DragValue::new(&mut self.width).range(32..=4096));
                    ui.label("×");
                    ui.add(egui::DragValue::new(&mut self.height).range(32..=4096));
                });
                ui.end_row();
                ui.label("Batch")
                    .on_hover_text("Images per step; memory grows with it (a run that would not fit is refused with an estimate)");
                ui.add(egui::DragValue::new(&mut self.batch).range(1..=256));
                ui.end_row();
                ui.label("Length").on_hover_text(
                    "A fixed number of steps, or as many as fit in a time budget (estimated from the rate of steps 11–20)",
                );
                ui.horizontal(|ui| {
                    ui.selectable_value(&mut self.budget, BudgetKind::Steps, "steps");
                    ui.selectable_value(&mut self.budget, BudgetKind::Minutes, "minutes");
                    match self.budget {
                        BudgetKind::Steps => {
                            ui.add(egui::DragValue::new(&mut self.steps).range(1..=10_000_000))
                        }
                        BudgetKind::Minutes => ui.add(
                            egui::DragValue::new(&mut self.minutes)
                                .range(0.1..=100_000.0)
                                .speed(1.0),
                        ),
                    };
                });
                ui.end_row();
                ui.label("Optimiser").on_hover_text(
                    "SGD with momentum 0.9 and weight decay 4e-5 (the DeepLab recipe), or AdamW; both under the poly schedule",
                );
                ui.horizontal(|ui| {
                    if ui.selectable_value(&mut self.adamw, false, "SGD").clicked() {
                        self.lr = SgdParams::default().lr;
                    }
                    if ui.selectable_value(&mut self.adamw, true, "AdamW").clicked() {
                        self.lr = AdamWParams::default().lr;
                    }
                });
                ui.end_row();
                ui.label("Learning rate")
                    .on_hover_text("The base LR; it decays as (1 − step/steps)^0.9");
                ui.add(
                    egui::DragValue::new(&mut self.lr)
                        .range(1e-6..=10.0)
                        .speed(0.0005)
                        .max_decimals(5),
                );
                ui.end_row();
                ui.label("Colour jitter")
                    .on_hover_text("Brightness and contrast each scaled by a random factor in 1 ± this (0: off)");
                ui.add(egui::Slider::new(&mut self.jitter, 0.0..=0.5));
                ui.end_row();
                ui.label("Validate every")
                    .on_hover_text("Steps between validations (and one at the end); 0: only at the end");
                ui.add(egui::DragValue::new(&mut self.eval_every).range(0..=1_000_000));
                ui.end_row();
                ui.label("Checkpoint every")
                    .on_hover_text("Steps between resume points (and one at the end); a run killed in between resumes from the last");
                ui.add(egui::DragValue::new(&mut self.checkpoint_every).range(0..=1_000_000));
                ui.end_row();
                ui.label("Seed").on_hover_text(
                    "Seeds the initial weights, the batches, the augmentation and dropout: the same seed trains the same run",
                );
                ui.add(egui::DragValue::new(&mut self.seed));
                ui.end_row();
                ui.label("Width multiplier")
                    .on_hover_text("Scales the encoder's channels (1 = the published model; smaller trains faster and learns less)");
                ui.add(
                    egui::DragValue::new(&mut self.depth_multiplier)
                        .range(0.1..=2.0)
                        .speed(0.05),
                );
                ui.end_row();
                ui.label("Loader threads")
                    .on_hover_text("Threads that decode and augment batches ahead of the model");
                ui.add(egui::DragValue::new(&mut self.loader_threads).range(1..=16));
                ui.end_row();
                self.device_ui(ui);
            });
    }

    /// The device row: a choice on a CUDA build, the CPU (and why) on any other.
    fn device_ui(&mut self, ui: &mut egui::Ui) {
        if crate::train::device::CUDA_BUILT {
            ui.label("Device").on_hover_text(
                "CPU: the model's own kernels. CUDA: GPU 0, through Candle's CUDA ops",
            );
            egui::ComboBox::from_id_salt("train-device")
                .selected_text(if self.device == "cuda" {
                    "CUDA (GPU 0)"
                } else {
                    "CPU"
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.device, "cpu".to_owned(), "CPU");
                    ui.selectable_value(&mut self.device, "cuda".to_owned(), "CUDA (GPU 0)");
                });
        } else {
            ui.label("Device").on_hover_text(
                "This build trains on the CPU; a build with --features cuda can train on a GPU",
            );
            ui.label("CPU");
        }
        ui.end_row();
    }
}
