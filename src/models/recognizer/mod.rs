//! The recognizer: its CNN ([`network`]), checkpoint kind ([`checkpoint`]) and the single-image
//! CPU inference path used by the app and `predict` ([`cpu_infer`]), with the bundled Kuzushiji
//! reader that joins it under the Kuzushiji script ([`kuzushiji_reader`]), and how its
//! probabilities become the candidates a person sees ([`reading`], [`notes`]).

pub mod checkpoint;
pub mod cpu_infer;
pub mod kuzushiji_reader;
pub mod line;
pub mod network;
pub mod notes;
pub mod reading;

pub use checkpoint::{Checkpoint, Sidecar, TrainingRecord};
pub use cpu_infer::CpuRecognizer;
pub use kuzushiji_reader::KuzushijiReader;
pub use network::{rank, Architecture, Prediction, Recognizer};
pub use notes::Note;
pub use reading::{Candidates, Reading, ScriptChoice};
