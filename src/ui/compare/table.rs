//! The Compare table: a header button per column sorts by it (again: the other way), numbers as
//! numbers, empty cells last.

use std::cmp::Ordering;

use egui_extras::{Column, TableBuilder};

use crate::compare::{COLUMNS, CompareRow, class_columns};

/// What each column holds, for its header's tooltip.
const TIPS: [&str; 13] = [
    "The run's folder under runs/",
    "The DeepLab encoder",
    "The dataset variant the run trained on",
    "f32, or an int8 checkpoint written by `segstudio quantize`",
    "Training steps taken",
    "Input width × height",
    "Trainable parameters",
    "Multiply-adds of one image at the run's size, in billions",
    "2 × MACs at 481×641, in billions: how the seed's table counted FLOPs",
    "The weights file: f32 with its BatchNorm statistics, or the int8 checkpoint",
    "Milliseconds per image, batch 1 (`segstudio compare --latency N` measures it)",
    "The best validation during training (val split at the input size)",
    "The val split at full resolution, from `segstudio quantize` (f32 and int8 alike)",
];

/// A cell's value for sorting: a number where the column holds one.
fn key(row: &CompareRow, column: usize, classes: &[String]) -> (Option<f64>, String) {
    let num = |v: f64| (Some(v), String::new());
    match column {
        4 => num(row.steps as f64),
        5 => num(f64::from(row.size[0]) * f64::from(row.size[1])),
        6 => num(row.params as f64),
        7 => num(row.macs as f64),
        8 => num(row.seed_flops as f64),
        9 => num(row.disk_bytes as f64),
        10 => (row.latency_ms, String::new()),
        11 => (row.train_val_miou, String::new()),
        12 => (row.eval_miou, String::new()),
        c if c >= COLUMNS.len() => (
            classes
                .get(c - COLUMNS.len())
                .and_then(|name| row.per_class.get(name).copied()),
            String::new(),
        ),
        c => (None, row.cells()[c].clone()),
    }
}

/// The order of `rows` by `sort` (the rows as read when `None`); empty cells go last.
pub fn order(rows: &[CompareRow], sort: Option<(usize, bool)>) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..rows.len()).collect();
    let Some((column, descending)) = sort else {
        return idx;
    };
    let classes = class_columns(rows);
    idx.sort_by(|&a, &b| {
        let (ka, kb) = (
            key(&rows[a], column, &classes),
            key(&rows[b], column, &classes),
        );
        let by = match (ka.0, kb.0) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => return Ordering::Less,
            (None, Some(_)) => return Ordering::Greater,
            (None, None) => ka.1.cmp(&kb.1),
        };
        if descending { by.reverse() } else { by }
    });
    idx
}

pub fn show(ui: &mut egui::Ui, rows: &[CompareRow], sort: &mut Option<(usize, bool)>) {
    let classes = class_columns(rows);
    let order = order(rows, *sort);
    let height = ui.available_height();
    egui::ScrollArea::horizontal().show(ui, |ui| {
        TableBuilder::new(ui)
            .striped(true)
            .resizable(true)
            .max_scroll_height(height)
            // The run ids are long; the others are numbers and short names.
            .column(Column::auto().at_least(210.0))
            .columns(
                Column::auto().at_least(60.0),
                COLUMNS.len() + classes.len() - 1,
            )
            .header(22.0, |mut header| {
                let titles = COLUMNS
                    .iter()
                    .map(|c| (*c).to_owned())
                    .chain(classes.iter().map(|c| format!("IoU {c}")));
                for (i, title) in titles.enumerate() {
                    header.col(|ui| {
                        let arrow = match *sort {
                            Some((c, false)) if c == i => " ^",
                            Some((c, true)) if c == i => " v",
                            _ => "",
                        };
                        let tip = TIPS.get(i).copied().unwrap_or("IoU of this label (%)");
                        let clicked = ui
                            .add(
                                egui::Button::new(
                                    egui::RichText::new(format!("{title}{arrow}")).strong(),
                                )
                                .frame(false),
                            )
                            .on_hover_text(format!(
                                "{tip}. Click to sort; again for the other way."
                            ))
                            .clicked();
                        if clicked {
                            *sort = match *sort {
                                Some((c, d)) if c == i => Some((i, !d)),
                                _ => Some((i, false)),
                            };
                        }
                    });
                }
            })
            .body(|mut body| {
                for &i in &order {
                    let row = &rows[i];
                    body.row(18.0, |mut r| {
                        for cell in row.cells() {
                            r.col(|ui| {
                                ui.label(cell);
                            });
                        }
                        for c in &classes {
                            r.col(|ui| {
                                ui.label(
                                    row.per_class
                                        .get(c)
                                        .map_or(String::new(), |v| format!("{v:.2}")),
                                );
                            });
                        }
                    });
                }
            });
    });
}
