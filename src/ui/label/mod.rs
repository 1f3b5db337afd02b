//! The Label workspace: the image list on the left, the canvas with the active tool in the centre,
//! the tools, classes and the image's instances on the right.
//!
//! Tools (select, polygon, rectangle) are in [`actions::ToolKind`]; their geometry is in the core
//! (`crate::label`), so the same calls run headless. Every change is a [`Command::Edit`] through the
//! label session: undoable (Ctrl+Z, Ctrl+Shift+Z / Ctrl+Y) and autosaved.

mod actions;
mod canvas;
mod class_editor;
mod click_worker;
mod panel;
mod pixels;
mod prelabel;
mod visibility;
mod wire;

pub use actions::{LabelAction, ToolKind};
pub use canvas::Canvas;

use canvas::CanvasInput;
pub use class_editor::ClassEditor;
use visibility::Visibility;

use crate::label::InstanceEdit;
use crate::project::{ClassId, ImageStatus, Project};
use crate::ui::commands::{Action, Command, action_button, action_menu_item};
use crate::ui::widgets::ImageList;
use crate::ui::workspace::{OpenProject, Workspace, WorkspaceContext, WorkspaceId};

/// State of the Label workspace.
pub struct LabelWorkspace {
    pub list: ImageList,
    pub canvas: Canvas,
    pub tool: ToolKind,
    /// The class new instances are drawn in (`None`: the project's first class).
    pub active_class: Option<ClassId>,
    /// The image the tools' state belongs to.
    tools_image: Option<usize>,
    /// Hidden and locked instances and classes.
    pub visibility: Visibility,
    /// The class being renamed, resized or deleted, and the name of the next one.
    pub class_editor: ClassEditor,
    /// The instance the instance list last scrolled to (a new selection scrolls it into view).
    listed_selection: Option<u32>,
    /// The instance rows in view last frame.
    listed_rows: std::ops::Range<usize>,
    /// Pre-labelling with a trained run.
    pub prelabel: prelabel::PrelabelPanel,
    /// Whether the runs were scanned for this project.
    runs_scanned: bool,
}

impl Default for LabelWorkspace {
    fn default() -> Self {
        Self {
            list: ImageList::default(),
            canvas: Canvas::default(),
            tool: ToolKind::Polygon,
            active_class: None,
            tools_image: None,
            visibility: Visibility::default(),
            class_editor: ClassEditor::default(),
            listed_selection: None,
            listed_rows: 0..0,
            prelabel: prelabel::PrelabelPanel::default(),
            runs_scanned: false,
        }
    }
}

impl LabelWorkspace {
    /// The class new instances get: the chosen one while it exists, else the first.
    pub fn drawing_class(&self, project: &Project) -> Option<ClassId> {
        let classes = &project.file().classes;
        self.active_class
            .filter(|id| classes.iter().any(|c| c.id == *id))
            .or_else(|| classes.first().map(|c| c.id))
    }

    fn step(&mut self, cx: &mut WorkspaceContext<'_>, forward: bool) {
        let open = &*cx.open;
        if let Some(target) =
            self.list
                .step(open.project(), &open.images, open.selection.image, forward)
        {
            self.list.scroll_to_selected = true;
            cx.commands.push(Command::SelectImage(target));
        }
    }

    /// The next photo after the selected one (wrapping) without any instance.
    pub fn next_unlabelled(project: &Project, from: Option<usize>) -> Option<usize> {
        let n = project.file().images.len();
        let start = from.map_or(0, |i| i + 1);
        (0..n)
            .map(|k| (start + k) % n)
            .find(|&i| project.status(i) == ImageStatus::Unlabelled && Some(i) != from)
    }

    fn class_hotkey(&mut self, n: u8, cx: &mut WorkspaceContext<'_>) {
        let project = cx.open.project();
        let Some(class) = project.file().classes.get(usize::from(n) - 1) else {
            cx.toasts.info(format!(
                "There is no class {n}: the project has {}",
                project.file().classes.len()
            ));
            return;
        };
        self.active_class = Some(class.id);
        if let (Some(image), Some(id)) = (cx.open.selection.image, cx.open.selection.instance) {
            cx.commands.push(Command::Edit {
                image,
                edit: InstanceEdit::SetClass {
                    id,
                    class: class.id,
                },
            });
        }
    }

    fn delete(&mut self, cx: &mut WorkspaceContext<'_>) {
        let open = &*cx.open;
        let (Some(image), Some(id)) = (open.selection.image, open.selection.instance) else {
            return;
        };
        let Some(selected) = open.project().instances(image).iter().find(|i| i.id == id) else {
            return;
        };
        let edit = self
            .canvas
            .delete_hovered_vertex(selected)
            .unwrap_or(InstanceEdit::Delete(id));
        cx.commands.push(Command::Edit { image, edit });
    }

    /// Joins the instance under the pointer into the selected one.
    fn merge_under_pointer(&mut self, cx: &mut WorkspaceContext<'_>) {
        let open = &*cx.open;
        let (Some(image), Some(into), Some(cursor)) = (
            open.selection.image,
            open.selection.instance,
            self.canvas.cursor,
        ) else {
            cx.toasts
                .info("Select an instance, point at another one and press M to merge them");
            return;
        };
        let project = open.project();
        let file = &project.file().images[image].file;
        let pickable: Vec<_> = project
            .instances(image)
            .iter()
            .filter(|i| i.id != into && !self.visibility.is_locked(file, i))
            .cloned()
            .collect();
        match crate::label::vertices::instances_at(&pickable, [cursor.x, cursor.y]).first() {
            Some(&other) => cx.commands.push(Command::Edit {
                image,
                edit: InstanceEdit::Merge { into, other },
            }),
            None => cx
                .toasts
                .info("Point at the instance to merge into the selected one"),
        }
    }

    /// A copy of the selected instance, a little offset, selected.
    fn duplicate(cx: &mut WorkspaceContext<'_>) {
        let open = &*cx.open;
        let (Some(image), Some(id)) = (open.selection.image, open.selection.instance) else {
            return;
        };
        let project = open.project();
        let instances = project.instances(image);
        let Some(selected) = instances.iter().find(|i| i.id == id) else {
            return;
        };
        let entry = &project.file().images[image];
        let (new_id, order) = crate::label::draft::next_id_and_order(instances);
        let mut copy =
            crate::label::vertices::translate(selected, [10.0, 10.0], (entry.width, entry.height));
        copy.id = new_id;
        copy.order = order;
        cx.commands.push(Command::Edit {
            image,
            edit: InstanceEdit::Add(copy),
        });
        cx.commands.push(Command::SelectInstance(Some(new_id)));
    }

    /// Copies the selected instance (or, with none selected, every instance) to the next photo
    /// of the list, and goes there: objects that stay put between frames are labelled once.
    fn copy_to_next(&mut self, cx: &mut WorkspaceContext<'_>) {
        let open = &*cx.open;
        let Some(image) = open.selection.image else {
            return;
        };
        let project = open.project();
        let Some(next) = self
            .list
            .step(project, &open.images, Some(image), true)
            .filter(|&n| n != image)
        else {
            cx.toasts.info("There is no next photo to copy to");
            return;
        };
        let copied: Vec<_> = project
            .instances(image)
            .iter()
            .filter(|i| open.selection.instance.is_none_or(|id| id == i.id))
            .cloned()
            .collect();
        if copied.is_empty() {
            cx.toasts
                .info("Nothing to copy: this photo has no instances");
            return;
        }
        let target = &project.file().images[next];
        let (mut id, mut order) = crate::label::draft::next_id_and_order(project.instances(next));
        let mut added = Vec::new();
        for inst in copied {
            // Clamped into the next photo, which may be smaller.
            let mut copy = inst;
            for part in &mut copy.parts {
                for p in part.outer.iter_mut().chain(part.holes.iter_mut().flatten()) {
                    p[0] = p[0].clamp(0.0, target.width as f32);
                    p[1] = p[1].clamp(0.0, target.height as f32);
                }
            }
            copy.id = id;
            copy.order = order;
            id += 1;
            order += 1;
            added.push(copy);
        }
        cx.commands.push(Command::Edit {
            image: next,
            edit: InstanceEdit::AddAll(added),
        });
        self.list.scroll_to_selected = true;
        cx.commands.push(Command::SelectImage(next));
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        ui.horizontal_wrapped(|ui| {
            for tool in ToolKind::ALL {
                let info = Action::Label(LabelAction::Tool(tool)).info();
                let key = crate::ui::commands::shortcut_text(
                    ui.ctx(),
                    Action::Label(LabelAction::Tool(tool)),
                );
                if ui
                    .selectable_label(self.tool == tool, tool.name())
                    .on_hover_text(format!("{} ({key}). {}", info.description, tool.help()))
                    .clicked()
                {
                    commands.push(Command::Run(Action::Label(LabelAction::Tool(tool))));
                }
            }
        });
        // The tool's own settings, the view and the fill on a row of their own: a slider does
        // not wrap, and squeezed beside the tools it would push the canvas under the side panel.
        ui.horizontal_wrapped(|ui| {
            if self.tool.paints() {
                ui.add(
                    egui::Slider::new(&mut self.canvas.brush_radius, 1.0..=100.0)
                        .logarithmic(true)
                        .text("Radius")
                        .suffix(" px"),
                )
                .on_hover_text("The brush's and the eraser's radius, in photo pixels");
            }
            if self.tool == ToolKind::Wand {
                ui.add(
                    egui::Slider::new(&mut self.canvas.wand_tolerance, 0.0..=441.0)
                        .text("Tolerance"),
                )
                .on_hover_text(
                    "How far a colour may be from the clicked pixel's (RGB distance, 0–441); dragging after the click sets it too",
                );
            }
            if self.tool.paints() || self.tool == ToolKind::Wand {
                ui.separator();
            }
            for (action, label) in [(LabelAction::Fit, "Fit"), (LabelAction::ActualSize, "1:1")] {
                commands.extend(action_button(ui, Action::Label(action), label));
            }
            ui.label(format!("{:.0}%", self.canvas.view.zoom() * 100.0));
            ui.separator();
            ui.checkbox(&mut self.canvas.show_fill, "Fill")
                .on_hover_text("Fill the instances in their class colours");
            ui.add(
                egui::Slider::new(&mut self.canvas.fill_opacity, 0.0..=1.0)
                    .text("Opacity")
                    .show_value(false),
            )
            .on_hover_text("How opaque the fill is");
            ui.checkbox(&mut self.canvas.show_names, "Names")
                .on_hover_text("Write each instance's class name at its corner");
        });
    }
}

impl Workspace for LabelWorkspace {
    fn id(&self) -> WorkspaceId {
        WorkspaceId::Label
    }

    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut WorkspaceContext<'_>) {
        if self.tools_image != cx.open.selection.image {
            self.canvas.reset_tools();
            self.tools_image = cx.open.selection.image;
        }
        egui::Panel::left("label-images")
            .resizable(true)
            .default_size(240.0)
            .show(ui, |ui| {
                let open = &mut *cx.open;
                let project = open.session.project();
                self.list.ui(
                    ui,
                    project,
                    &mut open.images,
                    open.selection.image,
                    cx.commands,
                );
            });
        let class = self.drawing_class(cx.open.project());
        egui::Panel::right("label-side")
            .resizable(true)
            // Room for "#12 container_box_blue · 333 vertices" beside its three buttons.
            .default_size(360.0)
            .min_size(220.0)
            .show(ui, |ui| {
                if !self.runs_scanned {
                    self.runs_scanned = true;
                    let project = cx.open.project().clone();
                    self.prelabel.rescan(&project, ui.ctx());
                }
                let image = cx.open.selection.image;
                egui::CollapsingHeader::new("Pre-label with a trained run")
                    .id_salt("label-prelabel")
                    .show(ui, |ui| self.prelabel.ui(ui, cx, image));
                panel::side_ui(ui, cx.open, class, self, cx.commands);
            });
        egui::CentralPanel::default().show(ui, |ui| {
            self.toolbar_ui(ui, cx.commands);
            let input = CanvasInput {
                tool: self.tool,
                class,
                visibility: &self.visibility,
            };
            self.canvas.ui(ui, cx.open, &input, cx.commands);
        });
    }

    fn menu_ui(&mut self, ui: &mut egui::Ui, cx: &mut WorkspaceContext<'_>) {
        ui.menu_button("Tools", |ui| {
            for tool in ToolKind::ALL {
                cx.commands.extend(action_menu_item(
                    ui,
                    Action::Label(LabelAction::Tool(tool)),
                    self.tool != tool,
                ));
            }
            ui.separator();
            for action in [
                LabelAction::Finish,
                LabelAction::DropVertex,
                LabelAction::Cancel,
                LabelAction::Delete,
                LabelAction::ToFront,
                LabelAction::ToBack,
                LabelAction::Merge,
                LabelAction::Split,
                LabelAction::Duplicate,
                LabelAction::CopyToNext,
                LabelAction::ToggleDone,
            ] {
                cx.commands
                    .extend(action_menu_item(ui, Action::Label(action), true));
            }
        });
        ui.menu_button("View", |ui| {
            for action in [
                LabelAction::Fit,
                LabelAction::ActualSize,
                LabelAction::ZoomIn,
                LabelAction::ZoomOut,
            ] {
                cx.commands
                    .extend(action_menu_item(ui, Action::Label(action), true));
            }
            ui.separator();
            for action in [
                LabelAction::NextImage,
                LabelAction::PreviousImage,
                LabelAction::NextUnlabelled,
            ] {
                cx.commands
                    .extend(action_menu_item(ui, Action::Label(action), true));
            }
        });
    }

    fn run_action(&mut self, action: Action, cx: &mut WorkspaceContext<'_>) -> bool {
        let Action::Label(action) = action else {
            return false;
        };
        let image = cx.open.selection.image;
        match action {
            LabelAction::Tool(tool) => {
                self.tool = tool;
                self.canvas.reset_tools();
            }
            LabelAction::Finish if self.tool == ToolKind::Click => {
                if let Some(index) = image {
                    let class = self.drawing_class(cx.open.project());
                    if let Err(why) =
                        self.canvas
                            .accept_offer(cx.open.project(), index, class, cx.commands)
                    {
                        cx.toasts.info(format!("Nothing to accept: {why}"));
                    }
                }
            }
            LabelAction::Finish => {
                if let Some(index) = image {
                    let project = cx.open.project();
                    let input = CanvasInput {
                        tool: self.tool,
                        class: self.drawing_class(project),
                        visibility: &self.visibility,
                    };
                    let selected = cx
                        .open
                        .selection
                        .instance
                        .and_then(|id| project.instances(index).iter().find(|i| i.id == id));
                    if let Err(why) =
                        self.canvas
                            .finish_draft(project, index, &input, selected, cx.commands)
                    {
                        cx.toasts.info(format!("Cannot close the outline: {why}"));
                    }
                }
            }
            LabelAction::Cancel => {
                if self.canvas.draft.is_empty() && self.canvas.clicks.is_empty() {
                    cx.commands.push(Command::SelectInstance(None));
                }
                self.canvas.reset_tools();
            }
            LabelAction::DropVertex => {
                self.canvas.draft.pop();
            }
            LabelAction::Delete => self.delete(cx),
            LabelAction::Class(n) => self.class_hotkey(n, cx),
            LabelAction::NextImage => self.step(cx, true),
            LabelAction::PreviousImage => self.step(cx, false),
            LabelAction::NextUnlabelled => match Self::next_unlabelled(cx.open.project(), image) {
                Some(next) => {
                    self.list.scroll_to_selected = true;
                    cx.commands.push(Command::SelectImage(next));
                }
                None => cx.toasts.info("Every other photo has instances"),
            },
            LabelAction::Merge => self.merge_under_pointer(cx),
            LabelAction::Split => {
                if let (Some(image), Some(id)) = (image, cx.open.selection.instance) {
                    cx.commands.push(Command::Edit {
                        image,
                        edit: InstanceEdit::Split(id),
                    });
                }
            }
            LabelAction::Duplicate => Self::duplicate(cx),
            LabelAction::ToggleDone => {
                if let Some(image) = image {
                    let done = !cx.open.project().file().images[image].done;
                    cx.commands.push(Command::SetDone { image, done });
                }
            }
            LabelAction::CopyToNext => self.copy_to_next(cx),
            LabelAction::ToFront | LabelAction::ToBack => {
                if let (Some(image), Some(id)) = (image, cx.open.selection.instance) {
                    let edit = if action == LabelAction::ToFront {
                        InstanceEdit::ToFront(id)
                    } else {
                        InstanceEdit::ToBack(id)
                    };
                    cx.commands.push(Command::Edit { image, edit });
                }
            }
            LabelAction::Fit => self.canvas.view.request_fit(),
            LabelAction::ActualSize => self.canvas.view.actual_size(),
            LabelAction::ZoomIn => self.canvas.view.zoom_centre(1.25),
            LabelAction::ZoomOut => self.canvas.view.zoom_centre(1.0 / 1.25),
        }
        true
    }

    fn project_opened(&mut self, _project: &Project) {
        *self = Self {
            canvas: self.canvas.reopened(),
            tool: self.tool,
            ..Self::default()
        };
    }

    fn poll(&mut self, cx: &mut WorkspaceContext<'_>) {
        self.prelabel.poll(cx, &mut self.canvas.prior);
    }

    fn mouse_help(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("wheel", "zoom at the cursor"),
            ("middle or right drag, Space + drag", "pan"),
            (
                "click (select tool)",
                "select; again for the instance beneath",
            ),
            ("drag a vertex / an edge", "move it / insert a vertex there"),
            ("click, drag (polygon tool)", "add a vertex / draw freehand"),
        ]
    }

    fn is_settled(&self, open: &OpenProject) -> bool {
        open.selection
            .image
            .is_none_or(|i| self.canvas.is_showing(i))
            && !self.canvas.segmenting()
    }

    fn status_ui(&self, ui: &mut egui::Ui, open: &OpenProject) {
        ui.label(format!("{} tool", self.tool.name()));
        if !self.canvas.draft.is_empty() {
            ui.label(format!("{} vertices", self.canvas.draft.points.len()));
        }
        if self.tool == ToolKind::Click && self.canvas.segmenting() {
            ui.label("segmenting…");
        }
        if let Some(problem) = self.canvas.problem {
            ui.colored_label(ui.visuals().warn_fg_color, problem);
        }
        if let Some(c) = self.canvas.cursor {
            ui.label(format!("x {:.0} y {:.0}", c.x.floor(), c.y.floor()));
        }
        ui.label(format!("zoom {:.0}%", self.canvas.view.zoom() * 100.0));
        let _ = open;
    }
}
