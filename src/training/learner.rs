//! The one training loop, for every model. A model plugs in through [`TrainStep`] (one
//! optimiser step's loss on a batch), [`ValidStep`] (its held-out figures after an epoch) and a
//! [`BatchFeed`] (its batches, made on a background thread and passed through a bounded channel,
//! so the optimiser never waits for data when generation keeps up). [`fit`] runs AdamW with the
//! warm-up + cosine schedule of [`TrainConfig`], emits the [`TrainEvent`]s (started, progress,
//! epoch end) that the terminal and the app render, pauses and stops through [`RunControl`], and
//! stops a run whose loss is no longer finite or explodes.

use super::config::TrainConfig;
use super::events::{mean_metric, HeldOut, RunControl, TrainEvent};
use crate::error::{Error, Result};
use crate::models::kernels::adamw::FastAdamW;
use crate::models::{CheckpointKind, Network};
use candle_core::{DType, Tensor};
use candle_nn::{Optimizer, ParamsAdamW};
use std::time::{Duration, Instant};

/// What a run trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModelKind {
    /// The kana recognizer (a classifier).
    #[default]
    Recognizer,
    /// The kana generator (a conditional VAE).
    Generator,
}

impl ModelKind {
    /// The kind named in checkpoint sidecars and events: `recognizer` or `generator`.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Recognizer => "recognizer",
            ModelKind::Generator => "generator",
        }
    }
}

/// The score that picks the best epoch, higher is better: the recognizer's mean held-out top-1
/// accuracy, or minus the generator's mean held-out −ELBO (−∞ when there is none).
pub fn score(model: ModelKind, held_out: &[HeldOut]) -> f64 {
    let s = match model {
        ModelKind::Recognizer => mean_metric(held_out, "top1"),
        ModelKind::Generator => -mean_metric(held_out, "neg_elbo"),
    };
    if s.is_finite() {
        s
    } else {
        f64::NEG_INFINITY
    }
}

/// What one training step computed.
pub struct StepOutput {
    /// The objective to minimise (a scalar).
    pub loss: Tensor,
    /// Samples in the batch.
    pub samples: usize,
    /// Samples classified right, for a model that classifies.
    pub correct: Option<usize>,
}

/// A model's training step.
pub trait TrainStep {
    /// The architecture of the network trained.
    type Arch: CheckpointKind;
    /// One batch, as the feed makes it.
    type Batch: Send;
    /// What is trained.
    const KIND: ModelKind;

    /// The network trained.
    fn model(&self) -> &Network<Self::Arch>;
    /// Called before an epoch's first step, with the epoch's seed.
    fn begin_epoch(&mut self, _epoch_seed: u64) {}
    /// The objective on `batch` at global step `global_step` (the optimiser applies it).
    fn step(&mut self, batch: Self::Batch, global_step: usize) -> Result<StepOutput>;
    /// The largest loss taken as sane, given the run's first loss: above it the run diverged.
    fn divergence_limit(&self, first_loss: f32) -> f32;
}

/// A model's evaluation on its held-out sets.
pub trait ValidStep {
    /// The held-out sets' names and sizes.
    fn held_out_sizes(&self) -> Vec<(String, usize)>;
    /// The held-out figures of the model as it is (the baseline of a continued run).
    fn measure(&self) -> Result<Vec<HeldOut>>;
    /// The held-out figures at an epoch's end, keeping what the checkpoint and the caller need
    /// (the recognizer's reports, the generator's latent statistics).
    fn validate(&mut self) -> Result<Vec<HeldOut>>;
}

/// The batches of a model, made on the feed thread.
pub trait BatchFeed: Sync {
    /// One batch.
    type Batch: Send;
    /// The batch of step `step` of the epoch seeded `epoch_seed`.
    fn batch(&self, epoch_seed: u64, step: u64) -> Self::Batch;
}

/// What an epoch's training steps measured.
struct EpochFigures {
    train_loss: f32,
    train_accuracy: f32,
    images_per_sec: f32,
    seconds: f32,
}

/// Trains `step`'s model on batches from `feed` for the epochs of `cfg`, evaluating after each.
/// `on_event` sees [`TrainEvent::Started`], every [`TrainEvent::Progress`] step and each
/// [`TrainEvent::EpochEnd`] (with the step, to save checkpoints); an error from it stops the
/// run. `control` stops or pauses the run between steps; a stopped run returns early without
/// evaluating the unfinished epoch. A loss that is not finite or explodes is an error, before
/// the optimiser applies it.
pub fn fit<S, F>(step: &mut S, feed: &F, cfg: &TrainConfig, control: &RunControl, mut on_event: impl FnMut(&TrainEvent, &S) -> Result<()>) -> Result<()>
where
    S: TrainStep + ValidStep,
    F: BatchFeed<Batch = S::Batch>,
{
    if cfg.batch == 0 || cfg.epoch_size == 0 {
        return Err(Error::Invalid("batch and epoch size must be positive".into()));
    }
    let params = ParamsAdamW { lr: cfg.lr, weight_decay: cfg.weight_decay, ..Default::default() };
    let mut opt = FastAdamW::new(step.model().varmap().all_vars(), params)?;
    let steps = cfg.steps_per_epoch();
    let started = TrainEvent::Started {
        model: S::KIND.name().into(),
        total_epochs: cfg.epochs,
        steps_per_epoch: steps,
        start_epoch: cfg.start_epoch,
        batch: cfg.batch,
        parameters: step.model().parameter_count(),
        held_out: step.held_out_sizes(),
    };
    on_event(&started, step)?;
    let mut first_loss: Option<f32> = None;
    for epoch in cfg.start_epoch..cfg.epochs {
        let epoch_seed = cfg.epoch_seed(epoch);
        step.begin_epoch(epoch_seed);
        let (tx, rx) = std::sync::mpsc::sync_channel::<S::Batch>(4);
        let figures = std::thread::scope(|scope| -> Result<EpochFigures> {
            scope.spawn(move || {
                for i in 0..steps {
                    if control.is_stopped() || tx.send(feed.batch(epoch_seed, i as u64)).is_err() {
                        break;
                    }
                }
            });
            let start = Instant::now();
            let mut paused = Duration::ZERO;
            let (mut loss_sum, mut correct, mut seen) = (0f64, None::<usize>, 0usize);
            for i in 0..steps {
                paused += control.wait_while_paused();
                if control.is_stopped() {
                    break;
                }
                let Ok(batch) = rx.recv() else { break };
                let global = epoch * steps + i;
                let lr = cfg.lr_at(global);
                opt.set_learning_rate(lr);
                let out = step.step(batch, global)?;
                let loss = out.loss.to_dtype(DType::F32)?.to_scalar::<f32>()?;
                let limit = step.divergence_limit(*first_loss.get_or_insert(loss));
                if !loss.is_finite() || loss > limit {
                    return Err(Error::Invalid(format!(
                        "training diverged at epoch {} step {} (loss {loss}); lower the learning rate",
                        epoch + 1,
                        i + 1
                    )));
                }
                opt.backward_step(&out.loss)?;
                if let Some(c) = out.correct {
                    *correct.get_or_insert(0) += c;
                }
                seen += out.samples;
                loss_sum += f64::from(loss) * out.samples as f64;
                let secs = start.elapsed().saturating_sub(paused).as_secs_f32().max(1e-6);
                let warming_up = cfg.warming_up(global);
                on_event(&TrainEvent::Progress { epoch, step: i, steps, loss, lr, warming_up, images_per_sec: seen as f32 / secs }, step)?;
            }
            drop(rx);
            let seconds = start.elapsed().saturating_sub(paused).as_secs_f32();
            let n = seen.max(1);
            // A model that does not classify has no training accuracy.
            let train_accuracy = correct.map_or(f32::NAN, |c| c as f32 / n as f32);
            Ok(EpochFigures { train_loss: (loss_sum / n as f64) as f32, train_accuracy, images_per_sec: seen as f32 / seconds.max(1e-6), seconds })
        })?;
        if control.is_stopped() {
            break;
        }
        let held_out = step.validate()?;
        let EpochFigures { train_loss, train_accuracy, images_per_sec, seconds } = figures;
        on_event(&TrainEvent::EpochEnd { epoch, train_loss, train_accuracy, held_out, seconds, images_per_sec }, step)?;
    }
    Ok(())
}
