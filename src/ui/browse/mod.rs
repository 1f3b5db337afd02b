//! The browse workspace: the image list on the left, the photo with its instances in the centre, the
//! class and instance lists on the right. It looks; the only edits it makes are the small ones of
//! the instance list (another class, delete), sent as commands.

mod actions;
mod classes;
mod view;

pub use actions::BrowseAction;

use classes::{ClassCounts, class_panel_ui};
use view::PhotoView;

use crate::ui::commands::{Action, Command, action_menu_item};
use crate::ui::widgets::ImageList;
use crate::ui::workspace::{OpenProject, Workspace, WorkspaceContext, WorkspaceId};

/// State of the browse workspace.
#[derive(Default)]
pub struct BrowseWorkspace {
    pub list: ImageList,
    pub view: PhotoView,
    counts: ClassCounts,
}

impl BrowseWorkspace {
    /// Whether the photo of `index` is on screen.
    pub fn is_showing(&self, index: usize) -> bool {
        self.view.is_showing(index)
    }

    /// The zoom of the photo view (screen points per photo pixel).
    pub fn zoom(&self) -> f32 {
        self.view.state.zoom()
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

    /// Decodes the photos the user is likely to step to next.
    fn prefetch_neighbours(&self, open: &mut OpenProject) {
        for forward in [true, false] {
            if let Some(next) =
                self.list
                    .step(open.project(), &open.images, open.selection.image, forward)
            {
                let project = open.session.project();
                open.images.prefetch(next, || project.image_path(next));
            }
        }
    }
}

impl Workspace for BrowseWorkspace {
    fn id(&self) -> WorkspaceId {
        WorkspaceId::Browse
    }

    fn ui(&mut self, ui: &mut egui::Ui, cx: &mut WorkspaceContext<'_>) {
        egui::Panel::left("browse-images")
            .resizable(true)
            .default_size(280.0)
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
        egui::Panel::right("browse-classes")
            .resizable(true)
            .default_size(260.0)
            .show(ui, |ui| {
                class_panel_ui(ui, cx.open, &mut self.counts, cx.commands);
            });
        egui::CentralPanel::default().show(ui, |ui| {
            self.view.ui(ui, cx.open, cx.commands);
        });
        self.prefetch_neighbours(cx.open);
    }

    fn menu_ui(&mut self, ui: &mut egui::Ui, cx: &mut WorkspaceContext<'_>) {
        ui.menu_button("View", |ui| {
            for action in [
                BrowseAction::Fit,
                BrowseAction::ActualSize,
                BrowseAction::ZoomIn,
                BrowseAction::ZoomOut,
            ] {
                cx.commands
                    .extend(action_menu_item(ui, Action::Browse(action), true));
            }
            ui.separator();
            ui.checkbox(&mut self.view.show_fill, "Fill instances");
            ui.checkbox(&mut self.view.show_outlines, "Outline instances");
            ui.separator();
            for action in [BrowseAction::NextImage, BrowseAction::PreviousImage] {
                cx.commands
                    .extend(action_menu_item(ui, Action::Browse(action), true));
            }
        });
    }

    fn run_action(&mut self, action: Action, cx: &mut WorkspaceContext<'_>) -> bool {
        let Action::Browse(action) = action else {
            return false;
        };
        let view = &mut self.view;
        match action {
            BrowseAction::NextImage => self.step(cx, true),
            BrowseAction::PreviousImage => self.step(cx, false),
            BrowseAction::Fit => view.state.request_fit(),
            BrowseAction::ActualSize => view.state.actual_size(),
            BrowseAction::ZoomIn => view.state.zoom_centre(1.25),
            BrowseAction::ZoomOut => view.state.zoom_centre(1.0 / 1.25),
            BrowseAction::ToggleFill => view.show_fill = !view.show_fill,
            BrowseAction::ToggleOutlines => view.show_outlines = !view.show_outlines,
        }
        true
    }

    fn project_opened(&mut self, _project: &crate::project::Project) {
        *self = Self {
            view: self.view.reopened(),
            ..Self::default()
        };
    }

    fn mouse_help(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("wheel", "zoom at the cursor"),
            ("drag", "pan"),
            ("click", "select the instance under the cursor"),
        ]
    }

    fn is_settled(&self, open: &OpenProject) -> bool {
        open.selection.image.is_none_or(|i| self.is_showing(i))
    }

    fn status_ui(&self, ui: &mut egui::Ui, open: &OpenProject) {
        if let Some(index) = open.selection.image {
            self.view.status_ui(ui, open.project(), index);
        }
    }
}
