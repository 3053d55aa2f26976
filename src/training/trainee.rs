//! What a whole run needs of a model beyond the loop's steps ([`Trainee`]: a fresh network, its
//! data, the settings and sidecar of its checkpoints), and the one place that writes a run's
//! checkpoints after every epoch ([`CheckpointWriter`]): the last one always, the best one when
//! the held-out score did not fall, both atomically and only for a model whose weights are still
//! finite.

use super::events::{HeldOut, TrainEvent};
use super::learner::{score, BatchFeed, TrainStep, ValidStep};
use super::metrics::EvalReport;
use super::session::RunPlan;
use crate::error::{Error, Result};
use crate::models::recognizer::TrainingRecord;
use crate::models::{CheckpointKind, ModelCheckpoint, Network};
use std::path::PathBuf;

/// A model as a run trains it.
pub trait Trainee: TrainStep + ValidStep + Sized {
    /// The feed of its batches.
    type Feed: BatchFeed<Batch = Self::Batch>;
    /// How its bundled checkpoint is named in a training record.
    const BUNDLED: &'static str;
    /// What is no longer finite when an epoch's model is refused.
    const NOT_FINITE: &'static str;

    /// A fresh network for `plan`, from its seed.
    fn scratch(plan: &RunPlan) -> Result<Network<Self::Arch>>;
    /// Opens `plan`'s data for `model`: the step (with its held-out sets) and the batch feed.
    fn prepare(plan: &RunPlan, model: Network<Self::Arch>) -> Result<(Self, Self::Feed)>;
    /// The settings of its own recorded in its checkpoints.
    fn settings(plan: &RunPlan) -> Vec<(&'static str, String)>;
    /// The sidecar of a checkpoint trained as `training` with `held_out` figures.
    fn sidecar(&self, training: TrainingRecord, held_out: &[HeldOut]) -> <Self::Arch as CheckpointKind>::Sidecar;
    /// Whether an epoch's held-out figures are still usable.
    fn held_out_finite(_held_out: &[HeldOut]) -> bool {
        true
    }
    /// The last finished epoch's held-out reports (the recognizer's; none for the generator).
    fn into_reports(self) -> Vec<EvalReport>;
}

/// Writes a run's last and best checkpoints after every epoch.
pub struct CheckpointWriter {
    last: PathBuf,
    best: PathBuf,
    /// The best score so far (−∞ for a new run).
    best_score: f64,
    /// How the model was trained, updated every epoch.
    record: TrainingRecord,
    /// Samples one epoch trains on.
    per_epoch: u64,
    /// The last checkpoint, once written.
    pub wrote_last: Option<PathBuf>,
    /// The best checkpoint, once written.
    pub wrote_best: Option<PathBuf>,
}

impl CheckpointWriter {
    /// A writer to `last` and `best`, carrying on `record`, that writes `best` only above
    /// `best_score`'s (equal counts as better).
    pub fn new(last: PathBuf, best: PathBuf, record: TrainingRecord, best_score: f64, per_epoch: u64) -> Self {
        CheckpointWriter { last, best, best_score, record, per_epoch, wrote_last: None, wrote_best: None }
    }

    /// Writes the checkpoints of an `EpochEnd` event (other events pass), reporting each as
    /// `CheckpointWritten`. A model whose weights or figures are no longer finite is an error.
    pub fn on_event<S: Trainee>(&mut self, event: &TrainEvent, step: &S, mut report: impl FnMut(&TrainEvent)) -> Result<()> {
        let TrainEvent::EpochEnd { epoch, held_out, .. } = event else { return Ok(()) };
        if !step.model().weights_finite()? || !S::held_out_finite(held_out) {
            return Err(Error::Invalid(format!(
                "training diverged in epoch {} ({}); lower the learning rate",
                epoch + 1,
                S::NOT_FINITE
            )));
        }
        self.record.epochs = epoch + 1;
        self.record.samples_seen += self.per_epoch;
        let sidecar = step.sidecar(self.record.clone(), held_out);
        ModelCheckpoint::save(step.model(), &sidecar, &self.last)?;
        report(&TrainEvent::CheckpointWritten { path: self.last.clone(), epoch: *epoch, best: false });
        self.wrote_last = Some(self.last.clone());
        let s = score(S::KIND, held_out);
        if s >= self.best_score {
            self.best_score = s;
            ModelCheckpoint::save(step.model(), &sidecar, &self.best)?;
            report(&TrainEvent::CheckpointWritten { path: self.best.clone(), epoch: *epoch, best: true });
            self.wrote_best = Some(self.best.clone());
        }
        Ok(())
    }
}
