//! Widgets the workspaces share: the image view with its transform, the cache of decoded photos and
//! thumbnails, and the image list.

pub mod image_cache;
pub mod image_list;
pub mod image_view;

pub use image_cache::{ImageCache, PhotoState};
pub use image_list::{ImageList, shown_status, status_color, status_dot};
pub use image_view::{ImageView, ImageViewOutput, ViewState, ViewTransform, empty_view};
