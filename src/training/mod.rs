//! Training: the loop (AdamW, warm-up + cosine schedule, label smoothing, a background data feed),
//! metrics and evaluation.

pub mod evaluate;
pub mod generator;
pub mod generator_eval;
pub mod generator_run;
pub mod events;
pub mod metrics;
pub mod session;
pub mod trainer;

pub use evaluate::{evaluate, evaluate_detailed, evaluate_parts, DetailedEval, Misread};
pub use metrics::EvalReport;
pub use events::{RunControl, RunProgress, TrainEvent};
pub use session::{Init, ModelKind, RunOutcome, RunPlan, VaeSettings};
pub use trainer::{train, TrainConfig};
