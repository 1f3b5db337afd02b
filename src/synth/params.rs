//! The generator's parameters, as saved in `project.ron` (`synth:`) and in every run's manifest.
//!
//! Every field has a default, so a project written before a parameter existed still opens, and the
//! workspace and the CLI read the same one-line explanation of each field from [`help`].

use serde::{Deserialize, Serialize};

use crate::project::ClassId;

/// Everything that decides what a run looks like, except the library's contents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SynthParams {
    /// Output width in pixels.
    pub width: u32,
    /// Output height in pixels.
    pub height: u32,
    /// Labelled objects per image, inclusive range.
    pub objects_min: u32,
    pub objects_max: u32,
    pub sampling: ClassSampling,
    pub scale: ScaleMode,
    /// Largest rotation in degrees, either way (0 = upright as photographed).
    pub rotation_deg: f32,
    /// Probability of a left-right mirror per object.
    pub flip_horizontal: f32,
    /// Probability of an upside-down mirror per object.
    pub flip_vertical: f32,
    /// Largest fraction of an object's box, per axis, that may lie outside the frame.
    pub max_truncation: f32,
    /// Largest fraction of an object's in-frame pixels that later objects may cover.
    pub max_occlusion: f32,
    /// Smallest fraction of an object's pixels that must stay visible (in frame and uncovered);
    /// an object that would end up below it is not pasted at all.
    pub min_visible: f32,
    /// Placement attempts per object before it is left out.
    pub attempts: u32,
    pub blend: BlendMode,
    pub jitter: ColorJitter,
    pub shadow: Shadow,
    /// Unlabelled objects per image (from the classes marked as distractors), inclusive range.
    pub distractors_min: u32,
    pub distractors_max: u32,
    /// What distractor pixels are in the label map.
    pub distractor_label: DistractorLabel,
    /// Standard deviation of Gaussian noise added to the finished image, in 8-bit levels.
    pub noise: f32,
    /// JPEG quality of the images, 1–100.
    pub jpeg_quality: u8,
    /// Seed of the run; image `i` uses a seed derived from it and `i` alone.
    pub seed: u64,
    /// Which outputs a batch run writes (the manifest is always written).
    pub outputs: Outputs,
    /// Where backgrounds come from; `None` is the project's `backgrounds/`.
    pub backgrounds: Option<std::path::PathBuf>,
    pub library: LibraryChoice,
}

/// How the next object's class is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClassSampling {
    /// Every class equally often, then one of its instances.
    UniformClasses,
    /// Every instance equally often (classes with more photos appear more: the seed's way).
    UniformInstances,
    /// Classes weighted by the inverse of their mean object area, so small objects get as many
    /// pixels as large ones (the seed's pixel share followed object surface).
    InverseFrequency,
}

/// How large a pasted object is.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum ScaleMode {
    /// A factor on the object's size in its photo, drawn uniformly from `min..=max`.
    Relative { min: f32, max: f32 },
    /// Real-world scale: the object's longest side becomes `length_mm × px_per_mm` pixels, with
    /// `px_per_mm` drawn uniformly from `min..=max` (classes need their size in mm).
    RealWorld {
        min_px_per_mm: f32,
        max_px_per_mm: f32,
    },
}

/// How an object's edge meets the background.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BlendMode {
    /// A hard paste of the mask's pixels.
    None,
    /// The mask's edge softened by a 3×3 box filter.
    Box,
    /// The mask's edge feathered by a 5×5 Gaussian (σ = 2), as Dwibedi et al. do.
    Gaussian,
    /// The object smeared along a random direction by 3–9 pixels.
    Motion,
    /// One of the four, drawn per image.
    Random,
}

impl BlendMode {
    pub const ALL: [Self; 5] = [
        Self::None,
        Self::Box,
        Self::Gaussian,
        Self::Motion,
        Self::Random,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Box => "box",
            Self::Gaussian => "Gaussian feather",
            Self::Motion => "motion blur",
            Self::Random => "random per image",
        }
    }
}

/// Per-object colour changes, each drawn uniformly in its range.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ColorJitter {
    /// Added brightness, ± this fraction of full scale.
    pub brightness: f32,
    /// Contrast factor 1 ± this.
    pub contrast: f32,
    /// Saturation factor 1 ± this.
    pub saturation: f32,
    /// Hue rotation, ± degrees.
    pub hue_deg: f32,
    /// Gamma between 1/(1 + this) and 1 + this.
    pub gamma: f32,
}

impl Default for ColorJitter {
    fn default() -> Self {
        Self {
            brightness: 0.0,
            contrast: 0.0,
            saturation: 0.0,
            hue_deg: 0.0,
            gamma: 0.0,
        }
    }
}

impl ColorJitter {
    pub fn is_identity(&self) -> bool {
        self.brightness == 0.0
            && self.contrast == 0.0
            && self.saturation == 0.0
            && self.hue_deg == 0.0
            && self.gamma == 0.0
    }
}

/// A soft shadow under every pasted object.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Shadow {
    /// Darkening at the shadow's core, 0 (off) – 1 (black).
    pub opacity: f32,
    /// Shadow offset in pixels (right, down).
    pub offset_x: f32,
    pub offset_y: f32,
    /// Blur radius in pixels.
    pub blur: f32,
}

impl Default for Shadow {
    fn default() -> Self {
        Self {
            opacity: 0.0,
            offset_x: 6.0,
            offset_y: 6.0,
            blur: 6.0,
        }
    }
}

/// What distractor pixels are labelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DistractorLabel {
    /// Background (0): the model learns that they are not objects.
    Background,
    /// The ignore label (255): the model is not told either way.
    Ignore,
}

/// The files a batch run writes per image.
#[expect(
    clippy::struct_excessive_bools,
    reason = "one switch per output file, as the CLI lists them"
)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Outputs {
    /// `images/NNNNN.jpg`.
    pub images: bool,
    /// `labels/NNNNN.png`, 8-bit full-variant label ids.
    pub labels: bool,
    /// `instances/NNNNN.png`, 16-bit instance ids.
    pub instances: bool,
    /// `boxes/NNNNN.txt`, YOLO boxes of the visible pixels.
    pub boxes: bool,
    /// `coco.json` with an RLE of every object's visible pixels.
    pub coco: bool,
}

impl Default for Outputs {
    fn default() -> Self {
        Self {
            images: true,
            labels: true,
            instances: true,
            boxes: true,
            coco: true,
        }
    }
}

impl Outputs {
    /// Parses a comma-separated list such as `images,labels,boxes` (or `all`).
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut out = Self {
            images: false,
            labels: false,
            instances: false,
            boxes: false,
            coco: false,
        };
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match name {
                "all" => out = Self::default(),
                "images" => out.images = true,
                "labels" => out.labels = true,
                "instances" => out.instances = true,
                "boxes" => out.boxes = true,
                "coco" => out.coco = true,
                other => {
                    return Err(format!(
                        "unknown output {other:?}: the outputs are images, labels, instances, boxes, coco (or all)"
                    ));
                }
            }
        }
        Ok(out)
    }
}

/// Which annotated instances the library offers, and which classes are distractors.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LibraryChoice {
    /// Classes left out of the library.
    pub disabled_classes: Vec<ClassId>,
    /// Single instances left out: (photo file, instance id).
    pub disabled_instances: Vec<(String, u32)>,
    /// Classes pasted as unlabelled distractors instead of objects.
    pub distractor_classes: Vec<ClassId>,
}

impl Default for SynthParams {
    fn default() -> Self {
        Self {
            width: 640,
            height: 480,
            objects_min: 1,
            objects_max: 9,
            sampling: ClassSampling::UniformClasses,
            scale: ScaleMode::Relative { min: 0.5, max: 1.2 },
            rotation_deg: 30.0,
            flip_horizontal: 0.5,
            flip_vertical: 0.0,
            max_truncation: 0.25,
            max_occlusion: 0.6,
            min_visible: 0.3,
            attempts: 20,
            blend: BlendMode::Random,
            jitter: ColorJitter {
                brightness: 0.1,
                contrast: 0.15,
                saturation: 0.15,
                hue_deg: 5.0,
                gamma: 0.15,
            },
            shadow: Shadow {
                opacity: 0.35,
                ..Shadow::default()
            },
            distractors_min: 0,
            distractors_max: 0,
            distractor_label: DistractorLabel::Background,
            noise: 2.0,
            jpeg_quality: 95,
            seed: 0,
            outputs: Outputs::default(),
            backgrounds: None,
            library: LibraryChoice::default(),
        }
    }
}

impl SynthParams {
    /// The seed generator's setting: 1–9 objects of any enabled instance, scale 0.3–1.2, placed
    /// anywhere (up to half outside the frame, as its anchors allowed), hard paste, no jitter, no
    /// shadow or noise, 640×480, JPEG q95.
    pub fn seed_preset() -> Self {
        Self {
            width: 640,
            height: 480,
            objects_min: 1,
            objects_max: 9,
            sampling: ClassSampling::UniformInstances,
            scale: ScaleMode::Relative { min: 0.3, max: 1.2 },
            rotation_deg: 0.0,
            flip_horizontal: 0.0,
            flip_vertical: 0.0,
            max_truncation: 0.5,
            max_occlusion: 1.0,
            min_visible: 0.0,
            attempts: 1,
            blend: BlendMode::None,
            jitter: ColorJitter::default(),
            shadow: Shadow::default(),
            distractors_min: 0,
            distractors_max: 0,
            distractor_label: DistractorLabel::Background,
            noise: 0.0,
            jpeg_quality: 95,
            seed: 0,
            outputs: Outputs::default(),
            backgrounds: None,
            library: LibraryChoice::default(),
        }
    }

    /// Every setting that cannot work, one sentence each (empty when the parameters are usable).
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut check = |ok: bool, text: String| {
            if !ok {
                problems.push(text);
            }
        };
        check(
            (16..=8192).contains(&self.width) && (16..=8192).contains(&self.height),
            format!(
                "the output size {}×{} is outside 16–8192 pixels a side",
                self.width, self.height
            ),
        );
        check(
            self.objects_min <= self.objects_max,
            format!(
                "objects per image: the minimum {} is above the maximum {}",
                self.objects_min, self.objects_max
            ),
        );
        check(
            self.objects_max <= 200,
            format!("objects per image: at most 200, not {}", self.objects_max),
        );
        check(
            self.distractors_min <= self.distractors_max,
            format!(
                "distractors per image: the minimum {} is above the maximum {}",
                self.distractors_min, self.distractors_max
            ),
        );
        check(
            self.distractors_max <= 200,
            format!(
                "distractors per image: at most 200, not {}",
                self.distractors_max
            ),
        );
        match self.scale {
            ScaleMode::Relative { min, max } => check(
                min > 0.0 && min <= max && max <= 20.0,
                format!("scale: the range {min}–{max} must satisfy 0 < min ≤ max ≤ 20"),
            ),
            ScaleMode::RealWorld {
                min_px_per_mm,
                max_px_per_mm,
            } => check(
                min_px_per_mm > 0.0 && min_px_per_mm <= max_px_per_mm && max_px_per_mm <= 100.0,
                format!(
                    "scale: the range {min_px_per_mm}–{max_px_per_mm} px/mm must satisfy 0 < min ≤ max ≤ 100"
                ),
            ),
        }
        let unit = |v: f32| (0.0..=1.0).contains(&v);
        check(
            (0.0..=180.0).contains(&self.rotation_deg),
            format!("rotation: {}° is outside 0–180°", self.rotation_deg),
        );
        for (name, v) in [
            ("horizontal flip probability", self.flip_horizontal),
            ("vertical flip probability", self.flip_vertical),
            ("truncation", self.max_truncation),
            ("maximum occlusion", self.max_occlusion),
            ("minimum visible fraction", self.min_visible),
            ("shadow opacity", self.shadow.opacity),
        ] {
            check(unit(v), format!("{name}: {v} is outside 0–1"));
        }
        check(
            self.attempts >= 1 && self.attempts <= 1000,
            format!("placement attempts: {} is outside 1–1000", self.attempts),
        );
        let j = &self.jitter;
        check(
            unit(j.brightness) && unit(j.contrast) && unit(j.saturation) && (0.0..=4.0).contains(&j.gamma),
            "colour jitter: brightness, contrast and saturation must be within 0–1, gamma within 0–4"
                .to_owned(),
        );
        check(
            (0.0..=180.0).contains(&j.hue_deg),
            format!("colour jitter: hue {}° is outside 0–180°", j.hue_deg),
        );
        check(
            (0.0..=64.0).contains(&self.shadow.blur)
                && self.shadow.offset_x.abs() <= 256.0
                && self.shadow.offset_y.abs() <= 256.0,
            "shadow: blur must be within 0–64 px and the offset within ±256 px".to_owned(),
        );
        check(
            (0.0..=128.0).contains(&self.noise),
            format!("noise: σ {} is outside 0–128 levels", self.noise),
        );
        check(
            (1..=100).contains(&self.jpeg_quality),
            format!("JPEG quality {} is outside 1–100", self.jpeg_quality),
        );
        problems
    }
}

/// One-line explanations of the parameters, for tooltips and `--help`.
pub mod help {
    pub const SIZE: &str = "Size of the generated images in pixels; backgrounds are scaled to cover it and centre-cropped.";
    pub const OBJECTS: &str =
        "How many labelled objects each image gets, drawn uniformly from this range (inclusive).";
    pub const SAMPLING: &str = "How the next object is drawn: every class equally often, every instance equally often (the seed's way), or classes weighted by the inverse of their object size so small objects get pixels too.";
    pub const SCALE: &str = "Relative: a factor on the object's size in its photo. Real-world: the object's longest side becomes its length in mm times a px/mm drawn from the range, so sizes stay comparable between classes.";
    pub const ROTATION: &str = "Each object is turned by an angle drawn from ± this many degrees.";
    pub const FLIP_H: &str = "Probability that an object is mirrored left to right.";
    pub const FLIP_V: &str = "Probability that an object is mirrored upside down.";
    pub const TRUNCATION: &str = "How much of an object's box may lie outside the frame, per axis (0: always whole, 0.5: up to half).";
    pub const OCCLUSION: &str = "The most of an object's in-frame pixels that later objects may cover; a placement that would cover more is tried elsewhere.";
    pub const MIN_VISIBLE: &str = "Objects that would keep less than this fraction of their pixels visible (in frame, uncovered) are not pasted at all, so photo, label and boxes always agree.";
    pub const ATTEMPTS: &str = "Positions tried per object before it is left out of the image.";
    pub const BLEND: &str = "How edges meet the background: hard, box-softened, Gaussian-feathered, motion-blurred, or one of them per image (Dwibedi et al.: mixing blends helps most). Labels always come from the hard mask.";
    pub const BRIGHTNESS: &str =
        "Per-object brightness shift, up to ± this fraction of full scale.";
    pub const CONTRAST: &str = "Per-object contrast factor 1 ± this.";
    pub const SATURATION: &str = "Per-object saturation factor 1 ± this.";
    pub const HUE: &str = "Per-object hue rotation, up to ± this many degrees.";
    pub const GAMMA: &str = "Per-object gamma between 1/(1 + this) and 1 + this.";
    pub const SHADOW_OPACITY: &str =
        "Darkness of the soft shadow under each object (0 = no shadow).";
    pub const SHADOW_OFFSET: &str =
        "Where the shadow falls, in pixels right and down of the object.";
    pub const SHADOW_BLUR: &str = "Softness of the shadow's edge, in pixels.";
    pub const DISTRACTORS: &str =
        "Unlabelled objects per image, from the classes marked as distractors in the library.";
    pub const DISTRACTOR_LABEL: &str = "Distractor pixels as background (the model learns they are not objects) or as ignore 255 (not learned from).";
    pub const NOISE: &str = "Gaussian noise on the finished image, σ in 8-bit levels.";
    pub const JPEG: &str = "JPEG quality of the written images (95 is the seed's).";
    pub const SEED: &str =
        "Seed of the run: the same project, parameters and seed give byte-identical images.";
}
