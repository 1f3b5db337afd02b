//! The Label canvas: the shared image view with the instances painted on it and the active tool's
//! gestures. The tools' geometry lives in the core ([`crate::label::draft`],
//! [`crate::label::vertices`]); this module turns pointer input into their calls and their results
//! into [`Command`]s: one undoable edit per finished gesture (a whole vertex drag is one edit).
//! This file holds the state and the frame's input handling; [`tools`] the gestures that end in an
//! edit, [`paint`] what is drawn.

use std::sync::Arc;

use super::actions::ToolKind;
use super::click_worker::ClickWorker;
use super::pixels::{PixelLoader, Pixels};
use super::visibility::Visibility;
use super::wire::Wire;
use crate::geometry::Point;
use crate::label::InstanceEdit;
use crate::label::draft::{Click, PolygonDraft, next_id_and_order};
use crate::label::grabcut::Click as SegClick;
use crate::label::holes::cut_hole;
use crate::label::mask_edit::Photo;
use crate::label::vertices::{
    EdgePoint, VertexRef, cycle_selection, delete_vertex, instances_at, move_vertex, nearest_edge,
    nearest_vertex, snap_target, translate,
};
use crate::project::{ClassId, Instance, Part, Project};
use crate::ui::commands::Command;
use crate::ui::widgets::{
    FillOverlay, ImageView, ImageViewOutput, PhotoState, ViewState, ViewTransform, empty_view,
};
use crate::ui::workspace::OpenProject;

mod paint;
mod tools;

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
    /// A trained run's P(object) for one photo (set by pre-labelling it): click segmentation
    /// weighs it with the colour models.
    pub prior: Option<(usize, Arc<crate::label::grabcut::Prior>)>,
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
            prior: None,
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
}
