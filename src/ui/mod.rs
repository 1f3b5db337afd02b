//! The studio window.

use crate::cli::StudioArgs;

pub fn run_studio(_args: StudioArgs) -> i32 {
    0
}
