//! The on-disk data model: `project.ron` and `annotations/<image stem>.ron`.
//!
//! Every type here is plain serde data. Fields added by later features carry `#[serde(default)]` so that
//! older files keep loading; a file written by a newer SegStudio carries a higher `schema_version` and is
//! refused with a clear message instead of being misread. A bump of the version keeps a reader of the
//! older layout (see [`super::schema_v1`]) and a committed fixture of it (`tests/fixtures/schema1`).
//!
//! Schema history:
//! - 1: an instance is one outer ring with holes.
//! - 2: an instance has one or more [`Part`]s (an object cut in two by an occluder, or seen through
//!   another object's hole, is one instance). Schema-1 files open and are written as 2 on their next save.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::geometry::Point;

/// The schema version this build reads and writes.
pub const SCHEMA_VERSION: u32 = 2;

/// A class id as stored in annotations. `0` is the background and `255` the ignore label of masks,
/// so class ids live in `1..=254`.
pub type ClassId = u16;

/// The largest class id, so that every class fits in an 8-bit mask next to background and ignore.
pub const MAX_CLASS_ID: ClassId = 254;

/// The class id of an *ignore region*: an area the annotator marked as not to be learned from (a
/// labelme `__ignore__` shape, a blurred distractor). It is no class of `project.ron`; every variant
/// paints it with [`IGNORE_LABEL`], and statistics count it under no class.
pub const IGNORE_CLASS: ClassId = 255;

/// The label value of "ignore" in exported masks.
pub const IGNORE_LABEL: u8 = 255;

/// Name of the identity variant every project has.
pub const FULL_VARIANT: &str = "full";

/// `project.ron`: everything about a project except the per-image annotations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    pub schema_version: u32,
    pub name: String,
    pub classes: Vec<ClassDef>,
    /// Dataset variants; the first is always the identity variant `full`.
    pub variants: Vec<Variant>,
    /// The photos of the project, in browser order.
    pub images: Vec<ImageEntry>,
    /// Settings of the mask importer.
    #[serde(default)]
    pub import: ImportSettings,
    /// Parameters of the Synthesize workspace (what its next run and preview use).
    #[serde(default)]
    pub synth: crate::synth::SynthParams,
    /// Ids of deleted classes: never given to another class, so that old runs, exports and
    /// annotation files keep meaning what they meant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retired_class_ids: Vec<ClassId>,
}

/// One object class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassDef {
    /// Stable id, `1..=254`; never reused for another class.
    pub id: ClassId,
    pub name: String,
    /// Display colour (sRGB).
    pub color: [u8; 3],
    /// Real-world size, for the dataset analysis and real-scale synthesis.
    #[serde(default)]
    pub size_mm: Option<ObjectSize>,
}

/// Real-world extent of an object in millimetres.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectSize {
    pub length: f32,
    pub width: f32,
    pub height: f32,
}

/// A dataset variant: how classes map to training labels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub name: String,
    /// Names of the training labels; label id `i + 1` is `labels[i]` (0 is the background).
    pub labels: Vec<String>,
    /// For every class id, its training label or `Ignore`.
    pub mapping: BTreeMap<ClassId, VariantTarget>,
}

/// Where a class goes in a variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VariantTarget {
    /// The training label id (`1..=labels.len()`).
    Label(u8),
    /// Pixels of this class are painted with the ignore label 255.
    Ignore,
}

/// One photo of the project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageEntry {
    /// File name inside `images/`.
    pub file: String,
    pub width: u32,
    pub height: u32,
    /// `None` while the image is not assigned to a split.
    #[serde(default)]
    pub split: Option<Split>,
    /// Marked done in the Label workspace (every object labelled). Written only when set, so
    /// files of images never marked stay as they were.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub done: bool,
}

/// Dataset split of an image.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum Split {
    #[default]
    Train,
    Val,
    Test,
}

impl Split {
    pub const ALL: [Self; 3] = [Self::Train, Self::Val, Self::Test];

    pub fn name(self) -> &'static str {
        match self {
            Self::Train => "train",
            Self::Val => "val",
            Self::Test => "test",
        }
    }
}

/// Settings of the mask importer, kept with the project so re-imports behave the same.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImportSettings {
    /// Connected regions (and holes) smaller than this many pixels are dropped as specks.
    pub min_region_px: u32,
    /// Polygon simplification tolerance in pixels.
    pub simplify_px: f32,
}

impl Default for ImportSettings {
    fn default() -> Self {
        Self {
            min_region_px: 20,
            simplify_px: 1.0,
        }
    }
}

/// `annotations/<image stem>.ron`: the instances of one image.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnotationFile {
    pub schema_version: u32,
    /// File name of the image in `images/` this file belongs to.
    pub image: String,
    pub instances: Vec<Instance>,
}

/// One labelled object: one or more parts, each a polygon with holes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    /// Unique within the image; stable across edits.
    pub id: u32,
    pub class_id: ClassId,
    /// The visible pieces of the object (at least one). Each is painted on its own, so pieces may
    /// touch or nest (a piece seen through another object's hole) without cancelling out.
    pub parts: Vec<Part>,
    /// Draw order: higher values are painted later, on top.
    pub order: i32,
    /// The tool that made this instance.
    pub tool: Tool,
}

/// One visible piece of an instance: an outer ring and the holes in it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    /// Outer ring in image coordinates (see [`crate::geometry`]).
    pub outer: Vec<Point>,
    /// Hole rings (a bearing or a tube is a ring, not a disc).
    #[serde(default)]
    pub holes: Vec<Vec<Point>>,
}

impl Part {
    /// A part without holes.
    pub fn solid(outer: Vec<Point>) -> Self {
        Self {
            outer,
            holes: Vec::new(),
        }
    }

    /// The outer ring followed by the holes, as the rasteriser takes them (even-odd within a part).
    pub fn rings(&self) -> impl Iterator<Item = &[Point]> {
        std::iter::once(self.outer.as_slice()).chain(self.holes.iter().map(Vec::as_slice))
    }
}

impl Instance {
    /// Every ring of every part (outlines, bounds).
    pub fn rings(&self) -> impl Iterator<Item = &[Point]> {
        self.parts.iter().flat_map(Part::rings)
    }

    /// Number of vertices over all rings.
    pub fn vertex_count(&self) -> usize {
        self.rings().map(<[Point]>::len).sum()
    }

    /// Whether the point lies on the instance (inside a part, outside its holes).
    pub fn contains(&self, p: Point) -> bool {
        self.parts
            .iter()
            .any(|part| crate::geometry::polygon_contains(part.rings(), p))
    }

    /// Number of holes over all parts.
    pub fn hole_count(&self) -> usize {
        self.parts.iter().map(|p| p.holes.len()).sum()
    }
}

/// The tool an instance was made with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tool {
    /// Traced from an imported class-id mask.
    MaskImport,
    /// Drawn vertex by vertex.
    Polygon,
    /// Exact ground truth written by the demo renderer.
    DemoRender,
    /// Read from a LabelMe file.
    LabelmeImport,
    /// Read from a COCO file.
    CocoImport,
    /// Traced from VOC class and object masks.
    VocImport,
    /// Read from YOLO label files.
    YoloImport,
    /// Drawn as a rectangle in the Label workspace.
    Rectangle,
    /// Painted with the brush (traced from the painted pixels).
    Brush,
    /// Grown by the magic wand (traced from the region).
    Wand,
    /// Segmented from positive and negative clicks (graph cut on colour models).
    ClickSegmentation,
    /// Predicted by a trained run (pre-labelling), to be checked and corrected.
    PreLabel,
}
