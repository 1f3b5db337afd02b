//! The annotation layout of schema version 1, read so that older projects keep opening.
//!
//! In schema 1 an instance was a single outer ring with holes; it becomes an instance of one
//! [`Part`]. Nothing writes this layout: an upgraded file is written as the current schema on its
//! next save. `project.ron` did not change between 1 and 2, so only annotation files need this.

use serde::Deserialize;

use super::schema::{AnnotationFile, ClassId, Instance, Part, SCHEMA_VERSION, Tool};
use crate::geometry::Point;

/// The schema version this module reads.
pub const VERSION: u32 = 1;

/// `annotations/<image stem>.ron` as schema 1 wrote it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnotationFileV1 {
    pub schema_version: u32,
    pub image: String,
    pub instances: Vec<InstanceV1>,
}

/// A schema-1 instance: one outer ring and its holes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceV1 {
    pub id: u32,
    pub class_id: ClassId,
    pub outer: Vec<Point>,
    #[serde(default)]
    pub holes: Vec<Vec<Point>>,
    pub order: i32,
    pub tool: Tool,
}

impl AnnotationFileV1 {
    /// The same annotation in the current schema.
    pub fn upgrade(self) -> AnnotationFile {
        AnnotationFile {
            schema_version: SCHEMA_VERSION,
            image: self.image,
            instances: self
                .instances
                .into_iter()
                .map(|inst| Instance {
                    id: inst.id,
                    class_id: inst.class_id,
                    parts: vec![Part {
                        outer: inst.outer,
                        holes: inst.holes,
                    }],
                    order: inst.order,
                    tool: inst.tool,
                })
                .collect(),
        }
    }
}
