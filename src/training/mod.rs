//! Training, laid out as [`crate::models`] is: one loop for every model ([`learner`], with the
//! schedule every model shares in [`config`]), each model's step, validation and checkpoints
//! ([`recognizer`], [`generator`]), a whole run from data to checkpoints ([`session`], writing
//! them through [`trainee`]), the run folders ([`runs`]), the events every renderer folds
//! ([`events`]) and the recognizer's metrics ([`metrics`]).

pub mod config;
pub mod events;
pub mod generator;
pub mod learner;
pub mod metrics;
pub mod recognizer;
pub mod runs;
pub mod session;
pub mod trainee;

pub use config::TrainConfig;
pub use events::{RunControl, RunProgress, TrainEvent};
pub use learner::{fit, ModelKind};
pub use metrics::EvalReport;
pub use recognizer::evaluate::{evaluate, evaluate_detailed, evaluate_parts, DetailedEval, Misread};
pub use session::{Init, RunOutcome, RunPlan};
