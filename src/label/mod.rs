//! The edit model of annotations, with no GUI: what the Label workspace drives, and the one path by
//! which annotations and `project.ron` change while a project is open.
//!
//! - [`session`]: the project open for editing, one undo/redo [`history`] and generation counter per
//!   image, and the [`autosave`] worker that writes each change atomically about a second after it;
//! - [`merge`]: background jobs return what they changed and the session merges it, so an edit made
//!   while a job runs is never lost;
//! - [`edit`]: the edits as values; [`draft`]: outlines being drawn (polygon, rectangle);
//!   [`vertices`]: picking and changing vertices, edges and whole instances under the pointer;
//!   [`holes`]: cutting a hole into an instance; [`mask_edit`]: brush, eraser and magic wand, traced
//!   back into polygons; [`scissors`]: the live wire that follows edges between clicks;
//!   [`maxflow`]: Boykov–Kolmogorov minimum cuts; [`grabcut`]: click segmentation on them;
//!   [`effort`]: the simulated users of the annotation-effort benchmark.

pub mod autosave;
pub mod draft;
pub mod edit;
pub mod effort;
pub mod grabcut;
pub mod history;
pub mod holes;
pub mod mask_edit;
pub mod maxflow;
pub mod merge;
pub mod scissors;
pub mod session;
pub mod vertices;

pub use autosave::{AutosaveOptions, SaveReport, SaveTarget};
pub use edit::InstanceEdit;
pub use history::{Edit, History, MAX_UNDO};
pub use merge::{AnnotationChange, MergeReport, ProjectChanges};
pub use session::{EditError, LabelSession, SaveState};
