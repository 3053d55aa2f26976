//! Models: the recognizer CNN, its checkpoints, the compute device, and fast CPU ops.

pub mod adamw;
pub mod checkpoint;
pub mod conv_op;
pub mod cpu_infer;
pub mod device;
pub mod fast_conv;
pub mod linear_op;
#[cfg(test)]
mod op_check;
pub mod recognizer;
pub mod sgemm;

pub use checkpoint::{Checkpoint, Sidecar};
pub use cpu_infer::CpuRecognizer;
pub use device::{select_device, DeviceChoice};
pub use recognizer::{Architecture, Prediction, Recognizer};
