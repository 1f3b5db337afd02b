//! The problem list; a click selects the image and shows it in the Browse workspace.

use crate::dataset::{Problem, ProblemKind};
use crate::ui::commands::Command;
use crate::ui::workspace::WorkspaceId;

pub fn problem_list_ui(ui: &mut egui::Ui, problems: &[Problem], commands: &mut Vec<Command>) {
    if problems.is_empty() {
        ui.label("No problems found.");
        return;
    }
    let mut kinds: Vec<ProblemKind> = problems.iter().map(|p| p.kind).collect();
    kinds.sort();
    kinds.dedup();
    ui.horizontal_wrapped(|ui| {
        for kind in kinds {
            let n = problems.iter().filter(|p| p.kind == kind).count();
            ui.label(format!("{}: {n}", kind.name()));
            ui.separator();
        }
    });
    egui::ScrollArea::vertical().auto_shrink(false).show_rows(
        ui,
        18.0,
        problems.len(),
        |ui, rows| {
            for problem in &problems[rows] {
                ui.horizontal(|ui| {
                    ui.label(egui::RichText::new(problem.kind.name()).weak());
                    match problem.image {
                        Some(image) => {
                            if ui
                                .link(&problem.message)
                                .on_hover_text("Show the image")
                                .clicked()
                            {
                                commands.push(Command::SelectImage(image));
                                if let Some(id) = problem.instance {
                                    commands.push(Command::SelectInstance(Some(id)));
                                }
                                commands.push(Command::SwitchWorkspace(WorkspaceId::Browse));
                            }
                        }
                        None => {
                            ui.label(&problem.message);
                        }
                    }
                });
            }
        },
    );
}
