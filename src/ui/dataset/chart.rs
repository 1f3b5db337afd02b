//! The seed's chart: each class's share of the training pixels against its real-world surface area.

use egui_plot::{Plot, PlotPoint, PlotPoints, Points, Text};

use crate::dataset::DatasetAnalysis;

pub fn share_chart_ui(ui: &mut egui::Ui, analysis: &DatasetAnalysis) {
    let known: Vec<_> = analysis
        .classes
        .iter()
        .filter_map(|row| row.surface_cm2.map(|s| (row, s)))
        .collect();
    let missing = analysis.classes.len() - known.len();
    if missing > 0 {
        ui.label(format!(
            "{missing} classes have no real-world size and are not shown (set it in the class's properties)"
        ));
    }
    // Room on the right for the names of the largest classes.
    let max_x = known.iter().map(|(_, s)| *s).fold(0.0, f64::max);
    Plot::new("dataset-share-vs-surface")
        .include_x(0.0)
        .include_y(0.0)
        .include_x(max_x * 1.2)
        .x_axis_label("real-world surface area (cm²)")
        .y_axis_label("share of training pixels (%)")
        .show(ui, |plot| {
            for (row, surface) in &known {
                let [r, g, b] = row.color;
                let share = row.share[0] * 100.0;
                plot.points(
                    Points::new(row.name.clone(), PlotPoints::from(vec![[*surface, share]]))
                        .radius(5.0)
                        .color(egui::Color32::from_rgb(r, g, b)),
                );
                plot.text(
                    Text::new(
                        format!("{}-label", row.name),
                        PlotPoint::new(*surface, share),
                        format!("   {}", row.name),
                    )
                    .anchor(egui::Align2::LEFT_CENTER),
                );
            }
        });
}
