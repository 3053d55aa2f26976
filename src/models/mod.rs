//! Models: the recognizer and the generator, each with its network, checkpoint kind and config;
//! the fast CPU kernels both use ([`kernels`]); the compute device.

pub mod checkpoint;
pub mod checkpoint_io;
pub mod device;
pub mod generator;
pub mod kernels;
pub mod parameters;
pub mod recognizer;

pub use checkpoint::{named_checkpoint, CheckpointKind, ModelCheckpoint, BUNDLED_NAME};
pub use device::{select_device, DeviceChoice, SelectedDevice};
pub use parameters::{Layout, Network};
pub use recognizer::{Architecture, Checkpoint, CpuRecognizer, KuzushijiReader, Prediction, Recognizer, Sidecar};
