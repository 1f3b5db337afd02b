//! Live charts of a run: loss, learning rate, images/s and val mIoU against steps (egui_plot).

use egui_plot::{Line, Plot, PlotPoints, Points};

use crate::train::engine::{StepReport, TrainEvent};
use crate::train::store::RunHistory;

/// The curves of one run, grown from its events or read from its CSVs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Curves {
    pub loss: Vec<[f64; 2]>,
    pub lr: Vec<[f64; 2]>,
    pub images_per_s: Vec<[f64; 2]>,
    pub val_miou: Vec<[f64; 2]>,
    pub last: Option<StepReport>,
}

impl Curves {
    pub fn from_history(history: &RunHistory) -> Self {
        let col = |i: usize| history.steps.iter().map(|r| [r[0], r[i]]).collect();
        Self {
            loss: col(2),
            lr: col(3),
            images_per_s: col(4),
            val_miou: history.val.clone(),
            last: None,
        }
    }

    pub fn push(&mut self, event: &TrainEvent) {
        match event {
            TrainEvent::Step(s) => {
                let x = s.step as f64;
                self.loss.push([x, s.loss]);
                self.lr.push([x, s.lr]);
                self.images_per_s.push([x, s.images_per_s]);
                self.last = Some(s.clone());
            }
            TrainEvent::Validated(v) => {
                if let Some(m) = v.miou {
                    self.val_miou.push([v.step as f64, m]);
                }
            }
            TrainEvent::Started { first_step, .. } => {
                // A resumed run drops what came after its resume point.
                let keep = |c: &mut Vec<[f64; 2]>| c.retain(|p| p[0] <= *first_step as f64);
                keep(&mut self.loss);
                keep(&mut self.lr);
                keep(&mut self.images_per_s);
                keep(&mut self.val_miou);
            }
            TrainEvent::Checkpoint { .. } | TrainEvent::Initialised(_) => {}
        }
    }

    /// Points of all curves (tests watch it grow).
    pub fn points(&self) -> usize {
        self.loss.len() + self.val_miou.len()
    }
}

/// The four charts in a 2×2 grid filling the space given.
pub fn charts_ui(ui: &mut egui::Ui, curves: &Curves) {
    let size = ui.available_size();
    let cell = egui::vec2((size.x - 12.0) / 2.0, ((size.y - 40.0) / 2.0).max(80.0));
    let plot =
        |ui: &mut egui::Ui, id: &str, title: &str, y: &str, points: &[[f64; 2]], dots: bool| {
            ui.vertical(|ui| {
                ui.strong(title);
                Plot::new(id)
                    .width(cell.x)
                    .height(cell.y - 20.0)
                    .x_axis_label("step")
                    .y_axis_label(y)
                    .include_y(0.0)
                    .allow_scroll(false)
                    .show(ui, |p| {
                        p.line(Line::new(
                            title.to_owned(),
                            PlotPoints::from(points.to_vec()),
                        ));
                        if dots {
                            p.points(
                                Points::new(
                                    format!("{title}-points"),
                                    PlotPoints::from(points.to_vec()),
                                )
                                .radius(3.0),
                            );
                        }
                    });
            });
        };
    ui.horizontal(|ui| {
        plot(
            ui,
            "train-loss",
            "Loss",
            "cross-entropy",
            &curves.loss,
            false,
        );
        plot(ui, "train-miou", "Val mIoU", "%", &curves.val_miou, true);
    });
    ui.horizontal(|ui| {
        plot(ui, "train-lr", "Learning rate", "LR", &curves.lr, false);
        plot(
            ui,
            "train-ips",
            "Throughput",
            "images/s",
            &curves.images_per_s,
            false,
        );
    });
}
