//! The canvas's tool gestures that end in an edit: click segmentation's clicks and its offer,
//! the scissors' clicks and live wire, brush, eraser and wand commits, and the select and
//! rectangle drags.

use super::{Canvas, CanvasInput, Gesture};
use crate::geometry::Point;
use crate::label::InstanceEdit;
use crate::label::draft::{next_id_and_order, rectangle};
use crate::label::grabcut::Click as SegClick;
use crate::label::mask_edit::{apply_stroke, wand_region};
use crate::label::vertices::{insert_vertex, nearest_edge, nearest_vertex};
use crate::project::{ClassId, Instance, Part, Project, Tool};
use crate::ui::commands::Command;
use crate::ui::label::actions::ToolKind;
use crate::ui::label::click_worker::ClickWorker;
use crate::ui::label::wire::Wire;

impl Canvas {
    /// A click of the click-segmentation tool: positive, or negative with Shift (or the
    /// secondary button); the worker recomputes the object from all clicks so far.
    pub(super) fn segmentation_click(&mut self, ctx: &egui::Context, p: Point, positive: bool) {
        let Some(photo) = self.photo.clone() else {
            return;
        };
        if self.click_worker.is_none() {
            match ClickWorker::start(ctx) {
                Ok(worker) => self.click_worker = Some(worker),
                Err(e) => {
                    log::warn!("cannot start the click segmentation worker: {e}");
                    self.problem = Some("click segmentation cannot start its worker thread");
                    return;
                }
            }
        }
        if !positive && self.clicks.is_empty() {
            self.problem = Some("start with a click inside the object");
            return;
        }
        self.clicks.push(SegClick { at: p, positive });
        let prior = self
            .prior
            .as_ref()
            .filter(|(image, _)| self.shown == Some(*image))
            .map(|(_, p)| p.clone());
        if let Some(worker) = &mut self.click_worker {
            worker.ask(photo, self.clicks.clone(), prior);
        }
    }

    /// The outline click segmentation offers now (its newest answer).
    pub fn offered_parts(&mut self) -> Option<Vec<Part>> {
        if self.clicks.is_empty() {
            return None;
        }
        self.click_worker
            .as_mut()?
            .answer()
            .filter(|p| !p.is_empty())
            .map(<[Part]>::to_vec)
    }

    /// Whether click segmentation is still working on the last click.
    pub fn segmenting(&self) -> bool {
        !self.clicks.is_empty() && self.click_worker.as_ref().is_some_and(ClickWorker::busy)
    }

    /// Accepts the offered outline as a new instance of `class` (Enter).
    pub fn accept_offer(
        &mut self,
        project: &Project,
        index: usize,
        class: Option<ClassId>,
        commands: &mut Vec<Command>,
    ) -> Result<(), &'static str> {
        let Some(class) = class else {
            return Err("the project has no class to draw in: add one first");
        };
        let Some(parts) = self.offered_parts() else {
            return Err(if self.segmenting() {
                "the segmentation is still working on the last click"
            } else {
                "click inside the object first"
            });
        };
        let (id, order) = next_id_and_order(project.instances(index));
        commands.push(Command::Edit {
            image: index,
            edit: InstanceEdit::Add(Instance {
                id,
                class_id: class,
                parts,
                order,
                tool: Tool::ClickSegmentation,
            }),
        });
        commands.push(Command::SelectInstance(Some(id)));
        self.reset_tools();
        Ok(())
    }

    /// A scissors click: the live wire from the last vertex to `p` joins the outline (closing it
    /// when `p` is on the first vertex), and the next search starts from `p`.
    #[expect(
        clippy::too_many_arguments,
        reason = "one click's input, like interact()'s"
    )]
    pub(super) fn scissors_click(
        &mut self,
        ctx: &egui::Context,
        p: Point,
        radius: f32,
        project: &Project,
        index: usize,
        input: &CanvasInput,
        commands: &mut Vec<Command>,
    ) {
        let Some(photo) = self.photo.clone() else {
            return;
        };
        if self.wire.is_none() {
            match Wire::start(ctx) {
                Ok(wire) => self.wire = Some(wire),
                Err(e) => {
                    log::warn!("cannot start the scissors' worker: {e}");
                    self.problem = Some("the scissors cannot start their worker thread");
                    return;
                }
            }
        }
        let Some(wire) = self.wire.as_mut() else {
            return;
        };
        let (Some(&first), Some(&last)) = (self.draft.points.first(), self.draft.points.last())
        else {
            self.draft.points.push(p);
            wire.search_from(index, photo, p);
            return;
        };
        let closing =
            self.draft.points.len() >= 3 && crate::label::draft::distance(first, p) <= radius;
        let target = if closing { first } else { p };
        let mut path = wire
            .tree_from(index, last)
            .and_then(|tree| tree.vertices_to(target))
            .unwrap_or_else(|| vec![target]);
        if closing {
            path.pop(); // the first vertex itself
            self.draft.points.extend(path);
            self.wire_preview = None;
            self.problem = self
                .finish_draft(project, index, input, None, commands)
                .err();
            return;
        }
        let end = path.last().copied().unwrap_or(target);
        self.draft.points.extend(path);
        wire.search_from(index, photo, end);
    }

    pub(super) fn update_wire_preview(
        &mut self,
        index: usize,
        input: &CanvasInput,
        hover: Option<Point>,
    ) {
        self.wire_preview = None;
        if input.tool != ToolKind::Scissors {
            return;
        }
        let (Some(wire), Some(&last), Some(cursor)) =
            (self.wire.as_mut(), self.draft.points.last(), hover)
        else {
            return;
        };
        self.wire_preview = wire
            .tree_from(index, last)
            .and_then(|tree| tree.path_to(cursor));
    }

    /// Paints (brush) or erases a stroke on the selected instance; a brush stroke with nothing
    /// selected is a new instance.
    pub(super) fn commit_stroke(
        &mut self,
        points: &[Point],
        project: &Project,
        index: usize,
        selected: Option<&Instance>,
        input: &CanvasInput,
        commands: &mut Vec<Command>,
    ) {
        let image = &project.file().images[index];
        let size = (image.width, image.height);
        let add = input.tool == ToolKind::Brush;
        let parts = apply_stroke(selected, points, self.brush_radius, add, size);
        let mut select = None;
        let edit = match (selected, parts) {
            (Some(sel), Some(parts)) => InstanceEdit::Replace {
                instance: Instance {
                    parts,
                    ..sel.clone()
                },
                what: if add { "paint" } else { "erase" },
            },
            (Some(sel), None) => InstanceEdit::Delete(sel.id),
            (None, Some(parts)) if add => {
                let Some(class) = input.class else {
                    self.problem = Some("the project has no class to paint in: add one first");
                    return;
                };
                let (id, order) = next_id_and_order(project.instances(index));
                select = Some(Command::SelectInstance(Some(id)));
                InstanceEdit::Add(Instance {
                    id,
                    class_id: class,
                    parts,
                    order,
                    tool: Tool::Brush,
                })
            }
            (None, _) => {
                if !add {
                    self.problem = Some("select the instance to erase from first");
                }
                return;
            }
        };
        commands.push(Command::Edit { image: index, edit });
        commands.extend(select);
    }

    /// Makes the wand's region around `seed` (at the current tolerance) a new instance.
    pub(super) fn commit_wand(
        &mut self,
        seed: Point,
        project: &Project,
        index: usize,
        input: &CanvasInput,
        commands: &mut Vec<Command>,
    ) {
        let Some(photo) = &self.photo else {
            return;
        };
        let Some(class) = input.class else {
            self.problem = Some("the project has no class to draw in: add one first");
            return;
        };
        let Some(parts) = wand_region(photo, seed, self.wand_tolerance)
            .map(|r| r.to_parts(1))
            .filter(|p| !p.is_empty())
        else {
            return;
        };
        let (id, order) = next_id_and_order(project.instances(index));
        commands.push(Command::Edit {
            image: index,
            edit: InstanceEdit::Add(Instance {
                id,
                class_id: class,
                parts,
                order,
                tool: Tool::Wand,
            }),
        });
        commands.push(Command::SelectInstance(Some(id)));
        self.wand_preview = None;
    }

    /// The outline the wand would take under the pointer (or at the dragged seed), kept while
    /// the seed pixel and tolerance stay the same.
    pub(super) fn update_wand_preview(&mut self, input: &CanvasInput, hover: Option<Point>) {
        let seed = match &self.gesture {
            Some(Gesture::Wand { seed, .. }) => Some(*seed),
            _ => hover,
        };
        let (Some(photo), Some(seed), ToolKind::Wand) = (&self.photo, seed, input.tool) else {
            self.wand_preview = None;
            return;
        };
        let pixel = |p: Point| (p[0].floor(), p[1].floor());
        if self.wand_preview.as_ref().is_some_and(|(s, t, _)| {
            pixel(*s) == pixel(seed) && (*t - self.wand_tolerance).abs() < 0.01
        }) {
            return;
        }
        let parts = wand_region(photo, seed, self.wand_tolerance)
            .map(|r| r.to_parts(1))
            .unwrap_or_default();
        self.wand_preview = Some((seed, self.wand_tolerance, parts));
    }

    pub(super) fn start_select_drag(
        selected: Option<&Instance>,
        start: Point,
        radius: f32,
    ) -> Option<Gesture> {
        let sel = selected?;
        if let Some(vertex) = nearest_vertex(sel, start, radius) {
            return Some(Gesture::Vertex {
                vertex,
                current: sel.clone(),
                inserted: false,
            });
        }
        if let Some(edge) = nearest_edge(sel, start, radius)
            && let Some((current, vertex)) = insert_vertex(sel, &edge)
        {
            return Some(Gesture::Vertex {
                vertex,
                current,
                inserted: true,
            });
        }
        sel.contains(start).then(|| Gesture::Move {
            start,
            original: sel.clone(),
            current: sel.clone(),
        })
    }

    pub(super) fn finish_gesture(
        gesture: Gesture,
        end: Option<Point>,
        project: &Project,
        index: usize,
        input: &CanvasInput,
        commands: &mut Vec<Command>,
    ) {
        let image = &project.file().images[index];
        match gesture {
            Gesture::Vertex {
                current, inserted, ..
            } => commands.push(Command::Edit {
                image: index,
                edit: InstanceEdit::Replace {
                    instance: current,
                    what: if inserted {
                        "insert a vertex"
                    } else {
                        "move a vertex"
                    },
                },
            }),
            Gesture::Move {
                original, current, ..
            } => {
                if current != original {
                    commands.push(Command::Edit {
                        image: index,
                        edit: InstanceEdit::Replace {
                            instance: current,
                            what: "move",
                        },
                    });
                }
            }
            Gesture::Rectangle { start } => {
                let (id, order) = next_id_and_order(project.instances(index));
                if let (Some(end), Some(class)) = (end, input.class)
                    && let Some(instance) =
                        rectangle(start, end, id, class, order, (image.width, image.height))
                {
                    commands.push(Command::Edit {
                        image: index,
                        edit: InstanceEdit::Add(instance),
                    });
                    commands.push(Command::SelectInstance(Some(id)));
                }
            }
            Gesture::Freehand | Gesture::Pan | Gesture::Stroke { .. } | Gesture::Wand { .. } => {}
        }
    }
}
