//! Models: the recognizer CNN, its checkpoints, the compute device, and fast CPU ops.

pub mod checkpoint;
pub mod device;
pub mod fast_conv;
pub mod recognizer;

pub use checkpoint::{Checkpoint, Sidecar};
pub use device::{select_device, DeviceChoice};
pub use recognizer::{Architecture, Prediction, Recognizer};
