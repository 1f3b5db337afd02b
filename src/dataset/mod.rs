//! Dataset analysis (no egui): the class table the Dataset workspace and `stats` show, the seed's
//! pixel share against real-world surface area, the problem list, and the variant draft the variant
//! editor edits.
//!
//! - [`analysis`]: per class instances, visible pixels and pixel share per split, surface area;
//! - [`problems`]: broken and unlabelled images, tiny instances, heavy overlaps, classes missing
//!   from a split;
//! - [`variants`]: a variant as groups of classes (and ignored classes), to and from [`Variant`].
//!
//! [`Variant`]: crate::project::Variant

pub mod analysis;
pub mod problems;
pub mod variants;

pub use analysis::{ClassRow, DatasetAnalysis, analyse};
pub use problems::{Problem, ProblemKind, find_problems};
pub use variants::{VariantDraft, VariantGroup};
