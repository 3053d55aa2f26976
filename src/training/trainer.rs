//! The training loop. Batches come from a background thread (generated in parallel with rayon)
//! through a bounded channel, so the optimiser never waits for data when generation keeps up.
//! Progress is reported as [`TrainEvent`]s (started, progress, epoch end); the caller prints
//! them, draws them, or saves checkpoints, and stops or pauses the run through a [`RunControl`].

use super::evaluate::evaluate;
use super::events::{HeldOut, RunControl, TrainEvent};
use super::metrics::EvalReport;
use crate::data::{Mixture, Sample};
use crate::error::{Error, Result};
use crate::models::Recognizer;
use candle_core::{DType, Tensor, D};
use crate::models::kernels::adamw::FastAdamW;
use candle_nn::{Optimizer, ParamsAdamW};
use std::time::{Duration, Instant};

/// A step loss above this many times the run's first loss (and above [`MIN_EXPLODED_LOSS`]) is
/// taken as divergence.
const EXPLOSION_FACTOR: f32 = 10.0;
/// The smallest loss counted as exploded (the untrained network's loss is ln 180 ≈ 5.2).
const MIN_EXPLODED_LOSS: f32 = 50.0;

/// Training settings, with the defaults used for the bundled model.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Number of epochs to run (in total, including any resumed ones).
    pub epochs: usize,
    /// Samples per optimiser step.
    pub batch: usize,
    /// Peak learning rate (AdamW).
    pub lr: f64,
    /// AdamW decoupled weight decay.
    pub weight_decay: f64,
    /// Label smoothing ε.
    pub label_smoothing: f32,
    /// Fraction of all steps spent warming the learning rate up linearly; cosine decay after.
    pub warmup_fraction: f64,
    /// Samples per epoch (generated sources are unbounded, so an epoch is a fixed count).
    pub epoch_size: usize,
    /// Seed for data order and augmentation.
    pub seed: u64,
    /// First epoch to run (0 for a fresh run; the resumed epoch count otherwise).
    pub start_epoch: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 10,
            batch: 128,
            lr: 2e-3,
            weight_decay: 1e-4,
            label_smoothing: 0.1,
            warmup_fraction: 0.03,
            epoch_size: 51_200,
            seed: 0,
            start_epoch: 0,
        }
    }
}

impl TrainConfig {
    /// Optimiser steps per epoch.
    pub fn steps_per_epoch(&self) -> usize {
        self.epoch_size.div_ceil(self.batch.max(1)).max(1)
    }

    /// Whether global step `step` is in the warm-up, where the learning rate still rises.
    pub fn warming_up(&self, step: usize) -> bool {
        let total = (self.epochs * self.steps_per_epoch()).max(1) as f64;
        (step as f64 + 1.0) < (self.warmup_fraction * total).max(1.0)
    }

    /// Learning rate at global step `step` (warm-up, then cosine to zero).
    pub fn lr_at(&self, step: usize) -> f64 {
        let total = (self.epochs * self.steps_per_epoch()).max(1) as f64;
        let warm = (self.warmup_fraction * total).max(1.0);
        let s = step as f64;
        if s < warm {
            self.lr * (s + 1.0) / warm
        } else {
            let t = ((s - warm) / (total - warm).max(1.0)).clamp(0.0, 1.0);
            self.lr * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
        }
    }
}

/// Smoothed cross-entropy: `(1-ε)·NLL + ε·mean(-log p)`.
pub fn smoothed_cross_entropy(logits: &Tensor, labels: &Tensor, eps: f32) -> candle_core::Result<Tensor> {
    let logp = candle_nn::ops::log_softmax(logits, D::Minus1)?;
    let nll = logp.gather(&labels.unsqueeze(1)?, 1)?.squeeze(1)?.neg()?;
    let uniform = logp.mean(D::Minus1)?.neg()?;
    ((nll * (1.0 - f64::from(eps)))? + (uniform * f64::from(eps))?)?.mean_all()
}

/// The held-out metrics of a report, by name: `loss`, `top1`, `balanced_accuracy`, `top5`,
/// `samples` (as saved in checkpoint sidecars).
pub fn held_out_metrics(e: &EvalReport) -> HeldOut {
    let m = [
        ("samples", e.samples as f64),
        ("loss", e.loss),
        ("top1", e.accuracy),
        ("balanced_accuracy", e.balanced_accuracy),
        ("top5", e.top5),
    ];
    (e.name.clone(), m.into_iter().filter(|(_, v)| v.is_finite()).map(|(k, v)| (k.to_string(), v)).collect())
}

/// Trains `model` on batches from `mixture`, evaluating on `eval_sets` after each epoch.
/// `on_event` sees [`TrainEvent::Started`], every [`TrainEvent::Progress`] step and each
/// [`TrainEvent::EpochEnd`] (with the model, to save checkpoints); an error from it stops the
/// run. `control` stops or pauses the run between steps; a stopped run returns early without
/// evaluating the unfinished epoch. A loss that becomes NaN or explodes is an error. Returns the
/// last finished epoch's evaluations.
pub fn train(
    model: &Recognizer,
    mixture: &Mixture,
    eval_sets: &[(String, Vec<Sample>)],
    cfg: &TrainConfig,
    control: &RunControl,
    mut on_event: impl FnMut(&TrainEvent, &Recognizer) -> Result<()>,
) -> Result<Vec<EvalReport>> {
    if cfg.batch == 0 || cfg.epoch_size == 0 {
        return Err(Error::Invalid("batch and epoch size must be positive".into()));
    }
    let params = ParamsAdamW { lr: cfg.lr, weight_decay: cfg.weight_decay, ..Default::default() };
    let mut opt = FastAdamW::new(model.varmap().all_vars(), params)?;
    let steps = cfg.steps_per_epoch();
    let device = model.device().clone();
    on_event(
        &TrainEvent::Started {
            model: "recognizer".into(),
            total_epochs: cfg.epochs,
            steps_per_epoch: steps,
            start_epoch: cfg.start_epoch,
            batch: cfg.batch,
            parameters: model.parameter_count(),
            held_out: eval_sets.iter().map(|(n, s)| (n.clone(), s.len())).collect(),
        },
        model,
    )?;
    let mut first_loss: Option<f32> = None;
    let mut last = Vec::new();
    for epoch in cfg.start_epoch..cfg.epochs {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Sample>>(4);
        let epoch_seed = cfg.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(epoch as u64);
        let result = std::thread::scope(|scope| -> Result<(f32, f32, f32, f32)> {
            scope.spawn(move || {
                for step in 0..steps {
                    if control.is_stopped() || tx.send(mixture.batch(epoch_seed, step as u64, cfg.batch)).is_err() {
                        break;
                    }
                }
            });
            let start = Instant::now();
            let mut paused = Duration::ZERO;
            let (mut loss_sum, mut correct, mut seen) = (0f64, 0usize, 0usize);
            for step in 0..steps {
                paused += control.wait_while_paused();
                if control.is_stopped() {
                    break;
                }
                let Ok(batch) = rx.recv() else { break };
                let inputs: Vec<_> = batch.iter().map(|s| &s.input).collect();
                let x = model.batch_tensor(&inputs)?;
                let labels: Vec<u32> = batch.iter().map(|s| s.label as u32).collect();
                let y = Tensor::from_vec(labels.clone(), labels.len(), &device)?;
                let lr = cfg.lr_at(epoch * steps + step);
                opt.set_learning_rate(lr);
                let logits = model.forward(&x, true)?;
                let loss = smoothed_cross_entropy(&logits, &y, cfg.label_smoothing)?;
                let loss_v = loss.to_dtype(DType::F32)?.to_scalar::<f32>()?;
                let limit = (EXPLOSION_FACTOR * *first_loss.get_or_insert(loss_v)).max(MIN_EXPLODED_LOSS);
                if !loss_v.is_finite() || loss_v > limit {
                    return Err(Error::Invalid(format!(
                        "training diverged at epoch {} step {} (loss {loss_v}); lower the learning rate",
                        epoch + 1,
                        step + 1
                    )));
                }
                opt.backward_step(&loss)?;
                let pred = logits.argmax(D::Minus1)?.to_vec1::<u32>()?;
                correct += pred.iter().zip(&labels).filter(|(a, b)| a == b).count();
                seen += labels.len();
                loss_sum += f64::from(loss_v) * labels.len() as f64;
                let secs = start.elapsed().saturating_sub(paused).as_secs_f32().max(1e-6);
                let images_per_sec = seen as f32 / secs;
                let warming_up = cfg.warming_up(epoch * steps + step);
                on_event(&TrainEvent::Progress { epoch, step, steps, loss: loss_v, lr, warming_up, images_per_sec }, model)?;
            }
            drop(rx);
            let secs = start.elapsed().saturating_sub(paused).as_secs_f32();
            let n = seen.max(1) as f32;
            Ok(((loss_sum / seen.max(1) as f64) as f32, correct as f32 / n, seen as f32 / secs.max(1e-6), secs))
        });
        let (train_loss, train_accuracy, images_per_sec, seconds) = result?;
        if control.is_stopped() {
            break;
        }
        let evals = eval_sets
            .iter()
            .map(|(name, set)| evaluate(model, name, set, None, |_| {}))
            .collect::<Result<Vec<_>>>()?;
        let held_out = evals.iter().map(held_out_metrics).collect();
        on_event(&TrainEvent::EpochEnd { epoch, train_loss, train_accuracy, held_out, seconds, images_per_sec }, model)?;
        last = evals;
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn schedule_warms_up_then_decays() {
        let cfg = TrainConfig { epochs: 2, epoch_size: 1000, batch: 10, ..Default::default() };
        let total = 200;
        assert!(cfg.lr_at(0) < cfg.lr * 0.5);
        let peak = (0..total).map(|s| cfg.lr_at(s)).fold(0.0, f64::max);
        assert!((peak - cfg.lr).abs() < 1e-6 * cfg.lr + 1e-4);
        assert!(cfg.lr_at(total - 1) < 0.01 * cfg.lr);
    }

    #[test]
    fn smoothed_loss_matches_formula() {
        let dev = Device::Cpu;
        let logits = Tensor::new(&[[2.0f32, 0.0, 0.0], [0.0, 1.0, 0.0]], &dev).unwrap();
        let labels = Tensor::new(&[0u32, 2], &dev).unwrap();
        let plain = smoothed_cross_entropy(&logits, &labels, 0.0).unwrap().to_scalar::<f32>().unwrap();
        let reference = candle_nn::loss::cross_entropy(&logits, &labels).unwrap().to_scalar::<f32>().unwrap();
        assert!((plain - reference).abs() < 1e-5);
        let smooth = smoothed_cross_entropy(&logits, &labels, 0.1).unwrap().to_scalar::<f32>().unwrap();
        assert!(smooth != plain);
    }
}
