//! Post-training int8 quantization (no egui): the inference graph's weights to `i8` per output
//! channel or per tensor, activations to `u8` grids calibrated on training photos (min/max or a
//! percentile), the int8 network run by integer kernels, its checkpoint, and the job that does
//! it all for a run and scores both precisions on the same photos.

pub mod calibrate;
pub mod depthwise_vnni;
pub mod gemm;
pub mod job;
pub mod kernels;
pub mod net;
pub mod params;
pub mod store;
pub mod vnni;

pub use calibrate::{RangeMethod, Ranges, calibrate};
pub use net::{QConv, QuantizedNet};
pub use params::{ActQuant, Granularity, QuantWeights};
