//! The Label canvas: the shared image view with the instances painted on it and the active tool's
//! gestures. The tools' geometry lives in the core ([`crate::label::draft`],
//! [`crate::label::vertices`]); this file turns pointer input into their calls and their results
//! into [`Command`]s: one undoable edit per finished gesture (a whole vertex drag is one edit).

use std::sync::Arc;

use super::actions::ToolKind;
use super::click_worker::ClickWorker;
use super::pixels::{PixelLoader, Pixels};
use super::visibility::Visibility;
use super::wire::Wire;
use crate::geometry::Point;
use crate::label::InstanceEdit;
use crate::label::draft::{Click, PolygonDraft, next_id_and_order, rectangle};
use crate::label::grabcut::Click as SegClick;
use crate::label::holes::cut_hole;
use crate::label::mask_edit::{Photo, apply_stroke, wand_region};
use crate::label::vertices::{
    self, EdgePoint, VertexRef, cycle_selection, delete_vertex, insert_vertex, instances_at,
    move_vertex, nearest_edge, nearest_vertex, snap_target, translate,
};
use crate::project::{ClassId, Instance, Part, Project, Tool};
use crate::ui::commands::Command;
use crate::ui::widgets::{
    FillOverlay, ImageView, ImageViewOutput, PhotoState, ViewState, ViewTransform, empty_view,
};
use crate::ui::workspace::OpenProject;

/// Screen points within which the pointer picks a vertex, an edge or the first vertex.
const PICK_RADIUS: f32 = 7.0;
/// Screen points between freehand vertices.
const FREEHAND_SPACING: f32 = 4.0;

/// A drag in progress with the select or rectangle tool.
#[derive(Clone, Debug)]
enum Gesture {
    /// Moving one vertex (inserted on an edge when `inserted`).
    Vertex {
        vertex: VertexRef,
        current: Instance,
        inserted: bool,
    },
    /// Moving the whole instance.
    Move {
        start: Point,
        original: Instance,
        current: Instance,
    },
    Rectangle {
        start: Point,
    },
    Freehand,
    /// A brush or eraser stroke through these image points.
    Stroke {
        points: Vec<Point>,
    },
    /// A wand click being dragged sideways to set the tolerance.
    Wand {
        seed: Point,
        start_x: f32,
        base: f32,
    },
    Pan,
}

/// State of the canvas.
pub struct Canvas {
    pub view: ViewState,
    pub show_fill: bool,
    pub show_names: bool,
    pub fill_opacity: f32,
    /// Image coordinates under the pointer.
    pub cursor: Option<egui::Pos2>,
    pub draft: PolygonDraft,
    overlay: FillOverlay,
    gesture: Option<Gesture>,
    hover_vertex: Option<VertexRef>,
    hover_edge: Option<EdgePoint>,
    /// The view rectangle and transform of the last frame (tests click through them).
    last_view: Option<(egui::Rect, ViewTransform)>,
    shown: Option<usize>,
    /// Why the last attempt to close an outline failed (shown until the next one).
    pub problem: Option<&'static str>,
    /// Brush and eraser radius, in photo pixels.
    pub brush_radius: f32,
    /// The wand's colour tolerance (Euclidean RGB distance).
    pub wand_tolerance: f32,
    pixels: PixelLoader,
    /// The selected photo's pixels this frame, when a pixel tool wants them.
    photo: Option<Arc<Photo>>,
    /// The wand's region under the pointer: (seed, tolerance, outline).
    wand_preview: Option<(Point, f32, Vec<Part>)>,
    /// The scissors' searches (started on first use).
    wire: Option<Wire>,
    /// The live wire from the outline's last vertex to the pointer.
    wire_preview: Option<Vec<Point>>,
    /// Click segmentation: the clicks so far and the worker that answers them.
    pub clicks: Vec<SegClick>,
    click_worker: Option<ClickWorker>,
}

impl Default for Canvas {
    fn default() -> Self {
        Self {
            view: ViewState::default(),
            show_fill: true,
            show_names: false,
            fill_opacity: 0.4,
            cursor: None,
            draft: PolygonDraft::default(),
            overlay: FillOverlay::default(),
            gesture: None,
            hover_vertex: None,
            hover_edge: None,
            last_view: None,
            shown: None,
            problem: None,
            brush_radius: 6.0,
            wand_tolerance: 32.0,
            pixels: PixelLoader::default(),
            photo: None,
            wand_preview: None,
            wire: None,
            wire_preview: None,
            clicks: Vec::new(),
            click_worker: None,
        }
    }
}

/// What the canvas needs to know of the workspace this frame.
pub struct CanvasInput<'a> {
    pub tool: ToolKind,
    pub class: Option<ClassId>,
    pub visibility: &'a Visibility,
}

impl Canvas {
    /// A canvas for another project, keeping the display options.
    #[must_use]
    pub fn reopened(&self) -> Self {
        Self {
            brush_radius: self.brush_radius,
            wand_tolerance: self.wand_tolerance,
            show_fill: self.show_fill,
            show_names: self.show_names,
            fill_opacity: self.fill_opacity,
            ..Self::default()
        }
    }

    pub fn is_showing(&self, index: usize) -> bool {
        self.shown == Some(index)
    }

    /// Where image point `p` was on screen last frame.
    pub fn to_screen(&self, p: Point) -> Option<egui::Pos2> {
        self.last_view.map(|(rect, t)| t.to_screen(rect, p))
    }

    /// Whether the scissors' live wire to the pointer is shown (its search has arrived).
    pub fn has_live_wire(&self) -> bool {
        self.wire_preview.is_some()
    }

    /// The vertex under the pointer, if it belongs to the selected instance.
    pub fn hovered_vertex(&self) -> Option<VertexRef> {
        self.hover_vertex
    }

    /// Drops the outline being drawn and any gesture (another image, another tool).
    pub fn reset_tools(&mut self) {
        self.clicks.clear();
        if let Some(worker) = &mut self.click_worker {
            worker.forget();
        }
        self.draft = PolygonDraft::default();
        self.problem = None;
        self.wand_preview = None;
        self.gesture = None;
        self.hover_vertex = None;
        self.hover_edge = None;
    }

    /// Closes the outline being drawn: a new instance of `class` (polygon tool), or a hole in the
    /// `selected` instance (hole tool).
    pub fn finish_draft(
        &mut self,
        project: &Project,
        index: usize,
        input: &CanvasInput,
        selected: Option<&Instance>,
        commands: &mut Vec<Command>,
    ) -> Result<(), &'static str> {
        if input.tool == ToolKind::Hole {
            let Some(selected) = selected else {
                return Err("select the instance to cut the hole into first");
            };
            let instance = cut_hole(selected, &self.draft.points)?;
            self.draft = PolygonDraft::default();
            commands.push(Command::Edit {
                image: index,
                edit: InstanceEdit::Replace {
                    instance,
                    what: "cut a hole",
                },
            });
            return Ok(());
        }
        let Some(class) = input.class else {
            return Err("the project has no class to draw in: add one first");
        };
        let image = &project.file().images[index];
        let (id, order) = next_id_and_order(project.instances(index));
        let Some(instance) = self
            .draft
            .finish(id, class, order, (image.width, image.height))
        else {
            return Err("an outline needs at least 3 vertices around some area");
        };
        commands.push(Command::Edit {
            image: index,
            edit: InstanceEdit::Add(instance),
        });
        commands.push(Command::SelectInstance(Some(id)));
        Ok(())
    }

    /// The edit that deletes the hovered vertex of `selected` (or the instance, when nothing of it
    /// would be left).
    pub fn delete_hovered_vertex(&self, selected: &Instance) -> Option<InstanceEdit> {
        let v = self.hover_vertex?;
        Some(match delete_vertex(selected, v) {
            Some(instance) => InstanceEdit::Replace {
                instance,
                what: "delete a vertex",
            },
            None => InstanceEdit::Delete(selected.id),
        })
    }

    /// Draws the photo with its instances and runs the tool's gestures.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        open: &mut OpenProject,
        input: &CanvasInput,
        commands: &mut Vec<Command>,
    ) {
        self.shown = None;
        self.cursor = None;
        let Some(index) = open.selection.image else {
            empty_view(
                ui,
                "Pick a photo on the left",
                ui.visuals().weak_text_color(),
            );
            return;
        };
        let project = open.session.project();
        let texture = match open.images.photo(index, || project.image_path(index)) {
            PhotoState::Ready(texture) => texture.clone(),
            PhotoState::Loading => {
                empty_view(ui, "Loading…", ui.visuals().weak_text_color());
                return;
            }
            PhotoState::Failed(err) => {
                empty_view(ui, err, ui.visuals().error_fg_color);
                return;
            }
        };
        let view = ImageView::new(&mut self.view, &texture)
            .pan_with_primary(false)
            .show(ui);
        view.response
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, "Label canvas"));
        self.shown = Some(index);
        self.last_view = Some((view.rect, view.transform));
        self.cursor = view.hover_image_pos();
        if let Some(reason) = project.broken_reason(index) {
            view.painter.text(
                view.rect.left_top() + egui::vec2(8.0, 8.0),
                egui::Align2::LEFT_TOP,
                format!("Annotation file not loaded, editing is off: {reason}"),
                egui::FontId::proportional(13.0),
                ui.visuals().error_fg_color,
            );
            return;
        }
        let file = project.file().images[index].file.clone();
        // A locked (or hidden) instance stays selected but cannot be reshaped.
        let selected = open
            .selection
            .instance
            .and_then(|id| project.instances(index).iter().find(|i| i.id == id))
            .filter(|i| !input.visibility.is_locked(&file, i))
            .cloned();
        if let Some(worker) = &mut self.click_worker {
            worker.poll();
        }
        self.photo = None;
        if matches!(
            input.tool,
            ToolKind::Wand | ToolKind::Scissors | ToolKind::Click
        ) {
            match self.pixels.get(index, project.image_path(index), ui.ctx()) {
                Pixels::Ready(photo) => self.photo = Some(photo),
                Pixels::Loading => self.problem = Some("reading the photo's pixels…"),
                Pixels::Failed(why) => {
                    log::warn!("the wand cannot read the photo's pixels: {why}");
                    self.problem = Some("the photo's pixels cannot be read");
                }
            }
            if self.photo.is_some() && self.problem == Some("reading the photo's pixels…") {
                self.problem = None;
            }
        }
        self.interact(
            ui,
            &view,
            project,
            index,
            selected.as_ref(),
            input,
            commands,
        );
        if self.show_fill {
            let generation = open.session.generation(index);
            self.overlay.ensure(
                ui.ctx(),
                project,
                index,
                generation,
                input.visibility.stamp(),
                || {
                    input
                        .visibility
                        .visible(&file, project.instances(index))
                        .into_iter()
                        .cloned()
                        .collect()
                },
            );
            self.overlay
                .paint(&view.painter, view.image_rect, self.fill_opacity);
        }
        self.paint(&view, project, index, selected.as_ref(), input);
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one frame's input, split out of ui() to keep each step readable"
    )]
    fn interact(
        &mut self,
        ui: &egui::Ui,
        view: &ImageViewOutput,
        project: &Project,
        index: usize,
        selected: Option<&Instance>,
        input: &CanvasInput,
        commands: &mut Vec<Command>,
    ) {
        let image = &project.file().images[index];
        let size = (image.width, image.height);
        let radius = PICK_RADIUS / view.transform.zoom;
        let to_image = |p: egui::Pos2| {
            let q = view.transform.to_image(view.rect, p);
            [q.x, q.y]
        };
        let response = &view.response;
        let pointer = response.interact_pointer_pos().or(response.hover_pos());
        let (space, shift, alt) = ui.input(|i| {
            (
                i.key_down(egui::Key::Space),
                i.modifiers.shift,
                i.modifiers.alt,
            )
        });
        // Hover: the selected instance's vertex or edge under the pointer.
        self.hover_vertex = None;
        self.hover_edge = None;
        if input.tool == ToolKind::Select
            && self.gesture.is_none()
            && let (Some(sel), Some(p)) = (selected, response.hover_pos())
        {
            let p = to_image(p);
            self.hover_vertex = nearest_vertex(sel, p, radius);
            if self.hover_vertex.is_none() {
                self.hover_edge = nearest_edge(sel, p, radius);
            }
        }
        if response.drag_started_by(egui::PointerButton::Primary) {
            let start = ui
                .input(|i| i.pointer.press_origin())
                .or(pointer)
                .map(to_image);
            self.gesture = match (space, input.tool, start) {
                (true, _, _) => Some(Gesture::Pan),
                (false, ToolKind::Select, Some(start)) => {
                    Self::start_select_drag(selected, start, radius)
                }
                (false, ToolKind::Rectangle, Some(start)) => Some(Gesture::Rectangle { start }),
                (false, ToolKind::Brush | ToolKind::Eraser, Some(start)) => Some(Gesture::Stroke {
                    points: vec![start],
                }),
                (false, ToolKind::Wand, Some(seed)) => Some(Gesture::Wand {
                    seed,
                    start_x: ui.input(|i| i.pointer.press_origin()).map_or(0.0, |p| p.x),
                    base: self.wand_tolerance,
                }),
                (false, ToolKind::Polygon | ToolKind::Hole, Some(start)) => {
                    self.draft.freehand(start, 0.0);
                    Some(Gesture::Freehand)
                }
                _ => None,
            };
        }
        if let (Some(gesture), Some(p)) = (&mut self.gesture, pointer) {
            let q = to_image(p);
            match gesture {
                Gesture::Pan => self.view.transform.offset += response.drag_delta(),
                Gesture::Vertex {
                    vertex, current, ..
                } => {
                    let mut clamped = [
                        q[0].clamp(0.0, size.0 as f32),
                        q[1].clamp(0.0, size.1 as f32),
                    ];
                    // Near a neighbour's border the vertex lands on it (Alt: no snapping).
                    let file = &project.file().images[index].file;
                    if !alt
                        && let Some(snapped) = snap_target(
                            project.instances(index).iter().filter(|i| {
                                i.id != current.id && !input.visibility.is_hidden(file, i)
                            }),
                            clamped,
                            radius,
                        )
                    {
                        clamped = snapped;
                    }
                    if let Some(moved) = move_vertex(current, *vertex, clamped) {
                        *current = moved;
                    }
                }
                Gesture::Move {
                    start,
                    original,
                    current,
                } => {
                    *current = translate(original, [q[0] - start[0], q[1] - start[1]], size);
                }
                Gesture::Freehand => {
                    self.draft
                        .freehand(q, FREEHAND_SPACING / view.transform.zoom);
                }
                Gesture::Stroke { points } => {
                    let step = (self.brush_radius / 3.0).max(0.5);
                    if points
                        .last()
                        .is_none_or(|&l| crate::label::draft::distance(l, q) >= step)
                    {
                        points.push(q);
                    }
                }
                Gesture::Wand { start_x, base, .. } => {
                    // Half a unit of tolerance per screen point, right to raise it.
                    self.wand_tolerance = (*base + (p.x - *start_x) * 0.5).clamp(0.0, 441.0);
                }
                Gesture::Rectangle { .. } => {}
            }
        }
        self.update_wand_preview(input, response.hover_pos().map(to_image));
        if response.drag_stopped_by(egui::PointerButton::Primary)
            && let Some(gesture) = self.gesture.take()
        {
            match gesture {
                Gesture::Stroke { points } => {
                    self.commit_stroke(&points, project, index, selected, input, commands);
                }
                Gesture::Wand { seed, .. } => {
                    self.commit_wand(seed, project, index, input, commands);
                }
                other => Self::finish_gesture(
                    other,
                    pointer.map(to_image),
                    project,
                    index,
                    input,
                    commands,
                ),
            }
        }
        self.update_wire_preview(index, input, response.hover_pos().map(to_image));
        // Holding Shift while moving draws freehand too, without a button held.
        if matches!(input.tool, ToolKind::Polygon | ToolKind::Hole)
            && shift
            && !self.draft.is_empty()
            && let Some(p) = response.hover_pos()
        {
            self.draft
                .freehand(to_image(p), FREEHAND_SPACING / view.transform.zoom);
        }
        if input.tool == ToolKind::Click
            && response.clicked_by(egui::PointerButton::Secondary)
            && let Some(p) = pointer.map(to_image)
        {
            self.segmentation_click(ui.ctx(), p, false);
        }
        if response.clicked_by(egui::PointerButton::Primary)
            && !space
            && let Some(p) = pointer.map(to_image)
        {
            match input.tool {
                ToolKind::Select => {
                    let file = &project.file().images[index].file;
                    let pickable: Vec<Instance> = project
                        .instances(index)
                        .iter()
                        .filter(|i| !input.visibility.is_locked(file, i))
                        .cloned()
                        .collect();
                    let under = instances_at(&pickable, p);
                    commands.push(Command::SelectInstance(cycle_selection(
                        &under,
                        selected.map(|s| s.id),
                    )));
                }
                ToolKind::Polygon | ToolKind::Hole => match self.draft.click(p, radius) {
                    Click::Added => {}
                    Click::Closes | Click::Repeats => {
                        // A failed close keeps the draft to go on drawing; the reason shows
                        // in the status bar.
                        self.problem = self
                            .finish_draft(project, index, input, selected, commands)
                            .err();
                    }
                },
                ToolKind::Brush | ToolKind::Eraser => {
                    self.commit_stroke(&[p], project, index, selected, input, commands);
                }
                ToolKind::Wand => self.commit_wand(p, project, index, input, commands),
                ToolKind::Scissors => {
                    self.scissors_click(ui.ctx(), p, radius, project, index, input, commands);
                }
                ToolKind::Click => self.segmentation_click(ui.ctx(), p, !shift),
                ToolKind::Rectangle => {}
            }
        }
    }

    /// A click of the click-segmentation tool: positive, or negative with Shift (or the
    /// secondary button); the worker recomputes the object from all clicks so far.
    fn segmentation_click(&mut self, ctx: &egui::Context, p: Point, positive: bool) {
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
        if let Some(worker) = &mut self.click_worker {
            worker.ask(photo, self.clicks.clone());
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
    fn scissors_click(
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

    fn update_wire_preview(&mut self, index: usize, input: &CanvasInput, hover: Option<Point>) {
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
    fn commit_stroke(
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
    fn commit_wand(
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
    fn update_wand_preview(&mut self, input: &CanvasInput, hover: Option<Point>) {
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

    fn start_select_drag(
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

    fn finish_gesture(
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

    fn paint(
        &self,
        view: &ImageViewOutput,
        project: &Project,
        index: usize,
        selected: Option<&Instance>,
        input: &CanvasInput,
    ) {
        let live = match &self.gesture {
            Some(Gesture::Vertex { current, .. } | Gesture::Move { current, .. }) => Some(current),
            _ => None,
        };
        let file = &project.file().images[index].file;
        for inst in input.visibility.visible(file, project.instances(index)) {
            let is_selected = selected.is_some_and(|s| s.id == inst.id);
            let shown = if is_selected {
                live.unwrap_or(inst)
            } else {
                inst
            };
            let [r, g, b] = project
                .class(inst.class_id)
                .map_or([255, 0, 255], |c| c.color);
            let stroke = if is_selected {
                egui::Stroke::new(2.5, egui::Color32::WHITE)
            } else {
                egui::Stroke::new(1.5, egui::Color32::from_rgb(r, g, b))
            };
            for ring in shown.rings() {
                let points: Vec<egui::Pos2> = ring.iter().map(|&p| view.to_screen(p)).collect();
                view.painter.add(egui::Shape::closed_line(points, stroke));
            }
            if self.show_names
                && let Some(class) = project.class(inst.class_id)
                && let Some(b) = crate::geometry::bounds(&shown.parts[0].outer)
            {
                view.painter.text(
                    view.to_screen([b[0], b[1]]),
                    egui::Align2::LEFT_BOTTOM,
                    &class.name,
                    egui::FontId::proportional(12.0),
                    egui::Color32::WHITE,
                );
            }
            if is_selected && input.tool == ToolKind::Select {
                self.paint_handles(view, shown);
            }
        }
        self.paint_draft(view, input);
        self.paint_pixel_tools(view, input);
        if input.tool == ToolKind::Click {
            self.paint_clicks(view);
        }
    }

    fn paint_clicks(&self, view: &ImageViewOutput) {
        let cyan = egui::Color32::from_rgb(60, 220, 255);
        if let Some((_, parts)) = self
            .click_worker
            .as_ref()
            .and_then(|w| w.latest_parts())
            .filter(|_| !self.clicks.is_empty())
        {
            for part in parts {
                for ring in part.rings() {
                    let points: Vec<egui::Pos2> = ring.iter().map(|&p| view.to_screen(p)).collect();
                    view.painter.add(egui::Shape::closed_line(
                        points,
                        egui::Stroke::new(2.0, cyan),
                    ));
                }
            }
        }
        for c in &self.clicks {
            let colour = if c.positive {
                egui::Color32::from_rgb(80, 220, 100)
            } else {
                egui::Color32::from_rgb(240, 70, 60)
            };
            view.painter
                .circle_filled(view.to_screen(c.at), 5.0, colour);
            view.painter.circle_stroke(
                view.to_screen(c.at),
                5.0,
                egui::Stroke::new(1.0, egui::Color32::BLACK),
            );
        }
    }

    fn paint_pixel_tools(&self, view: &ImageViewOutput, input: &CanvasInput) {
        let yellow = egui::Color32::from_rgb(255, 220, 60);
        if input.tool.paints() {
            let r = self.brush_radius * view.transform.zoom;
            if let Some(Gesture::Stroke { points }) = &self.gesture {
                let fill = egui::Color32::from_rgba_unmultiplied(255, 220, 60, 90);
                for &p in points {
                    view.painter.circle_filled(view.to_screen(p), r, fill);
                }
            }
            if let Some(c) = self.cursor {
                view.painter.circle_stroke(
                    view.to_screen([c.x, c.y]),
                    r,
                    egui::Stroke::new(1.5, yellow),
                );
            }
        }
        if let Some((_, tolerance, parts)) = &self.wand_preview {
            for part in parts {
                for ring in part.rings() {
                    let points: Vec<egui::Pos2> = ring.iter().map(|&p| view.to_screen(p)).collect();
                    view.painter.add(egui::Shape::closed_line(
                        points,
                        egui::Stroke::new(2.0, yellow),
                    ));
                }
            }
            if let Some(c) = self.cursor {
                view.painter.text(
                    view.to_screen([c.x, c.y]) + egui::vec2(14.0, -14.0),
                    egui::Align2::LEFT_BOTTOM,
                    format!("tolerance {tolerance:.0}"),
                    egui::FontId::proportional(12.0),
                    yellow,
                );
            }
        }
    }

    fn paint_handles(&self, view: &ImageViewOutput, inst: &Instance) {
        for (ring, points) in vertices::rings(inst) {
            for (i, &p) in points.iter().enumerate() {
                let hovered = self.hover_vertex == Some(VertexRef { ring, index: i });
                let size = if hovered { 9.0 } else { 6.0 };
                let rect = egui::Rect::from_center_size(view.to_screen(p), egui::vec2(size, size));
                view.painter.rect_filled(rect, 1.0, egui::Color32::WHITE);
                view.painter.rect_stroke(
                    rect,
                    1.0,
                    egui::Stroke::new(1.0, egui::Color32::BLACK),
                    egui::StrokeKind::Inside,
                );
            }
        }
        if let Some(edge) = &self.hover_edge {
            // The ghost vertex a drag would insert.
            view.painter.circle_stroke(
                view.to_screen(edge.point),
                5.0,
                egui::Stroke::new(1.5, egui::Color32::WHITE),
            );
        }
    }

    fn paint_draft(&self, view: &ImageViewOutput, input: &CanvasInput) {
        let stroke = egui::Stroke::new(2.0, egui::Color32::from_rgb(255, 220, 60));
        let cursor = self.cursor.map(|c| [c.x, c.y]);
        if let (Some(Gesture::Rectangle { start }), Some(end)) = (&self.gesture, cursor) {
            let rect = egui::Rect::from_two_pos(view.to_screen(*start), view.to_screen(end));
            view.painter
                .rect_stroke(rect, 0.0, stroke, egui::StrokeKind::Middle);
        }
        if !input.tool.draws_outline() || self.draft.is_empty() {
            return;
        }
        let mut points: Vec<egui::Pos2> = self
            .draft
            .points
            .iter()
            .map(|&p| view.to_screen(p))
            .collect();
        match (&self.wire_preview, cursor) {
            (Some(wire), _) => points.extend(wire.iter().map(|&p| view.to_screen(p))),
            (None, Some(c)) => points.push(view.to_screen(c)),
            (None, None) => {}
        }
        view.painter.add(egui::Shape::line(points, stroke));
        for (i, &p) in self.draft.points.iter().enumerate() {
            let closing = i == 0
                && self.draft.points.len() >= 3
                && cursor.is_some_and(|c| {
                    crate::label::draft::distance(c, p) <= PICK_RADIUS / view.transform.zoom
                });
            let r = if closing { 6.0 } else { 3.5 };
            view.painter
                .circle_filled(view.to_screen(p), r, stroke.color);
        }
    }
}
