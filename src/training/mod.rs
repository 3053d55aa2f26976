//! Training: the loop (AdamW, warm-up + cosine schedule, label smoothing, a background data feed),
//! metrics and evaluation.

pub mod evaluate;
pub mod metrics;
pub mod trainer;

pub use evaluate::{evaluate, evaluate_parts};
pub use metrics::EvalReport;
pub use trainer::{train, TrainConfig, TrainEvent};
