//! One event stream for every training run, whatever the model: the trainer emits
//! [`TrainEvent`]s, and each consumer (the CLI's progress bar, the app's training panel) folds
//! them into what it shows. [`RunControl`] is the other direction: stop, pause and resume, checked
//! by the trainer between steps. [`RunProgress`] folds events into curves and figures.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// Held-out metrics of one evaluation set: its name and metric name → value (e.g. `loss`,
/// `top1`, `balanced_accuracy`).
pub type HeldOut = (String, BTreeMap<String, f64>);

/// Progress of a training run, from start to its end (finished, failed or cancelled).
#[derive(Debug, Clone, PartialEq)]
pub enum TrainEvent {
    /// Data is open and the first step is about to run.
    Started {
        /// What is trained, e.g. "recognizer".
        model: String,
        /// Total epochs of the run (including any resumed ones).
        total_epochs: usize,
        /// Optimiser steps per epoch.
        steps_per_epoch: usize,
        /// First epoch to run (0-based; above 0 when resumed).
        start_epoch: usize,
        /// Samples per step.
        batch: usize,
        /// Number of trainable parameters.
        parameters: usize,
        /// Held-out sets and their sizes.
        held_out: Vec<(String, usize)>,
    },
    /// The starting model's held-out figures, measured before the first step of a run that
    /// continues a model (the baseline a new model is judged against).
    Baseline {
        /// Held-out metrics per set, as in [`TrainEvent::EpochEnd`].
        held_out: Vec<HeldOut>,
    },
    /// One optimiser step finished (the trainer may emit one per step; consumers coalesce).
    Progress {
        /// Epoch (0-based).
        epoch: usize,
        /// Step within the epoch (0-based).
        step: usize,
        /// Steps per epoch.
        steps: usize,
        /// Mean loss of the step.
        loss: f32,
        /// Learning rate of the step.
        lr: f64,
        /// Whether the learning rate is still warming up (rising) at this step.
        warming_up: bool,
        /// Training throughput so far in this epoch.
        images_per_sec: f32,
    },
    /// One epoch finished and was evaluated on the held-out sets.
    EpochEnd {
        /// Epoch (0-based).
        epoch: usize,
        /// Mean training loss.
        train_loss: f32,
        /// Training accuracy (augmented batches, dropout on); NaN when not measured.
        train_accuracy: f32,
        /// Held-out metrics per set.
        held_out: Vec<HeldOut>,
        /// Wall time of the epoch's training steps.
        seconds: f32,
        /// Training throughput.
        images_per_sec: f32,
    },
    /// A checkpoint was written (atomically).
    CheckpointWritten {
        /// The checkpoint path (without extension).
        path: PathBuf,
        /// The epoch it holds (0-based).
        epoch: usize,
        /// Whether it is the best epoch so far (by held-out accuracy).
        best: bool,
    },
    /// The run completed all its epochs.
    Finished,
    /// The run stopped on an error; the last good checkpoint stays.
    Failed {
        /// What went wrong.
        message: String,
    },
    /// The run was stopped on request; the last checkpoint stays.
    Cancelled,
}

impl TrainEvent {
    /// Whether the run is over after this event.
    pub fn is_terminal(&self) -> bool {
        matches!(self, TrainEvent::Finished | TrainEvent::Failed { .. } | TrainEvent::Cancelled)
    }
}

/// Stop, pause and resume a run from another thread.
#[derive(Debug, Default)]
pub struct RunControl {
    stop: AtomicBool,
    holding: AtomicBool,
    paused: Mutex<bool>,
    wake: Condvar,
}

impl RunControl {
    /// Asks the run to stop (also ends a pause).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.wake.notify_all();
    }

    /// Whether a stop was asked for.
    pub fn is_stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Pauses (`true`) or resumes (`false`) the run at its next step.
    pub fn set_paused(&self, paused: bool) {
        if let Ok(mut p) = self.paused.lock() {
            *p = paused;
        }
        self.wake.notify_all();
    }

    /// Whether the run is asked to pause.
    pub fn is_paused(&self) -> bool {
        self.paused.lock().map(|p| *p).unwrap_or(false)
    }

    /// Whether the run is waiting in a pause right now: every step before the pause has been
    /// reported.
    pub fn is_holding(&self) -> bool {
        self.holding.load(Ordering::Acquire)
    }

    /// Blocks while paused (unless stopped). Returns the time spent waiting.
    pub fn wait_while_paused(&self) -> Duration {
        let Ok(mut p) = self.paused.lock() else { return Duration::ZERO };
        if !*p {
            return Duration::ZERO;
        }
        let start = std::time::Instant::now();
        self.holding.store(true, Ordering::Release);
        while *p && !self.is_stopped() {
            p = match self.wake.wait_timeout(p, Duration::from_millis(200)) {
                Ok((g, _)) => g,
                Err(_) => break,
            };
        }
        self.holding.store(false, Ordering::Release);
        start.elapsed()
    }
}

/// The mean of a metric over the held-out sets that have it (NaN if none has).
pub fn mean_metric(held_out: &[HeldOut], metric: &str) -> f64 {
    let v: Vec<f64> = held_out.iter().filter_map(|(_, m)| m.get(metric).copied()).filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RunPhase {
    /// Opening data, not yet started.
    #[default]
    Preparing,
    /// Steps are running.
    Running,
    /// Completed all epochs.
    Finished,
    /// Stopped on an error.
    Failed,
    /// Stopped on request.
    Cancelled,
}

/// A run's events folded into what a panel shows: figures, curves and checkpoints. Feeding it
/// every event, or only some `Progress` events, gives the same epoch-level picture.
#[derive(Debug, Clone, Default)]
pub struct RunProgress {
    /// Where the run stands.
    pub phase: RunPhase,
    /// Total epochs.
    pub total_epochs: usize,
    /// First epoch of this session (resumed runs start later).
    pub start_epoch: usize,
    /// Steps per epoch.
    pub steps_per_epoch: usize,
    /// Samples per step.
    pub batch: usize,
    /// Whether the learning rate was still warming up at the latest step.
    pub warming_up: bool,
    /// The starting model's held-out figures (runs that continue a model).
    pub baseline: Vec<HeldOut>,
    /// The held-out figures of the best epoch so far (the checkpoint offered for use).
    pub best_held_out: Vec<HeldOut>,
    /// The best epoch so far (0-based).
    pub best_epoch: Option<usize>,
    /// Current epoch (0-based) and the steps done in it.
    pub epoch: usize,
    /// Steps done in the current epoch.
    pub step: usize,
    /// Latest training throughput.
    pub images_per_sec: f32,
    /// Training loss by fractional epoch (x = epoch + step/steps).
    pub train_loss: Vec<[f64; 2]>,
    /// Learning rate by fractional epoch.
    pub lr: Vec<[f64; 2]>,
    /// Held-out loss (mean over sets) by epoch (x = epoch + 1).
    pub held_out_loss: Vec<[f64; 2]>,
    /// Held-out top-1 accuracy (mean over sets) by epoch.
    pub accuracy: Vec<[f64; 2]>,
    /// Held-out balanced accuracy (mean over sets) by epoch.
    pub balanced_accuracy: Vec<[f64; 2]>,
    /// The latest epoch's held-out metrics.
    pub last_held_out: Vec<HeldOut>,
    /// Seconds per epoch, as measured.
    pub epoch_seconds: Vec<f32>,
    /// The latest checkpoint and the best one.
    pub last_checkpoint: Option<PathBuf>,
    /// The best checkpoint so far.
    pub best_checkpoint: Option<PathBuf>,
    /// Why the run failed.
    pub error: Option<String>,
    /// Events applied.
    pub events: usize,
}

/// Steps of the first epoch after which its pace gives an ETA.
pub const ETA_MIN_STEPS: usize = 3;

/// Curves keep at most this many training-loss points (older ones are thinned).
const MAX_POINTS: usize = 2000;

impl RunProgress {
    /// Folds one event in.
    pub fn apply(&mut self, event: &TrainEvent) {
        self.events += 1;
        match event {
            TrainEvent::Started { total_epochs, steps_per_epoch, start_epoch, batch, .. } => {
                self.phase = RunPhase::Running;
                self.total_epochs = *total_epochs;
                self.steps_per_epoch = *steps_per_epoch;
                self.batch = *batch;
                self.start_epoch = *start_epoch;
                self.epoch = *start_epoch;
                self.step = 0;
            }
            TrainEvent::Baseline { held_out } => self.baseline = held_out.clone(),
            TrainEvent::Progress { epoch, step, steps, loss, lr, warming_up, images_per_sec } => {
                self.warming_up = *warming_up;
                self.epoch = *epoch;
                self.step = step + 1;
                self.images_per_sec = *images_per_sec;
                let x = *epoch as f64 + (*step as f64 + 1.0) / (*steps).max(1) as f64;
                push_thinned(&mut self.train_loss, [x, f64::from(*loss)]);
                push_thinned(&mut self.lr, [x, *lr]);
            }
            TrainEvent::EpochEnd { epoch, held_out, seconds, images_per_sec, .. } => {
                self.epoch = *epoch;
                self.step = self.steps_per_epoch;
                self.warming_up = false;
                self.images_per_sec = *images_per_sec;
                self.epoch_seconds.push(*seconds);
                let x = *epoch as f64 + 1.0;
                for (curve, metric) in [
                    (&mut self.held_out_loss, "loss"),
                    (&mut self.accuracy, "top1"),
                    (&mut self.balanced_accuracy, "balanced_accuracy"),
                ] {
                    let v = mean_metric(held_out, metric);
                    if v.is_finite() {
                        curve.push([x, v]);
                    }
                }
                self.last_held_out = held_out.clone();
            }
            TrainEvent::CheckpointWritten { path, best, epoch } => {
                if *best {
                    self.best_epoch = Some(*epoch);
                    self.best_checkpoint = Some(path.clone());
                    self.best_held_out = self.last_held_out.clone();
                } else {
                    self.last_checkpoint = Some(path.clone());
                }
            }
            TrainEvent::Finished => self.phase = RunPhase::Finished,
            TrainEvent::Failed { message } => {
                self.phase = RunPhase::Failed;
                self.error = Some(message.clone());
            }
            TrainEvent::Cancelled => self.phase = RunPhase::Cancelled,
        }
    }

    /// Fraction of the current epoch done (0..=1).
    pub fn epoch_fraction(&self) -> f32 {
        (self.step as f32 / self.steps_per_epoch.max(1) as f32).clamp(0.0, 1.0)
    }

    /// Fraction of the whole run done (0..=1).
    pub fn run_fraction(&self) -> f32 {
        let total = self.total_epochs.max(1) as f32;
        ((self.epoch as f32 + self.epoch_fraction()) / total).clamp(0.0, 1.0)
    }

    /// Estimated time left: from the measured epochs, or before the first one ends, from the
    /// steps done so far (after [`ETA_MIN_STEPS`] steps of this session).
    pub fn eta(&self) -> Option<Duration> {
        if self.phase != RunPhase::Running || self.images_per_sec <= 0.0 || self.steps_per_epoch == 0 {
            return None;
        }
        let left = (self.total_epochs as f32 - self.epoch as f32 - self.epoch_fraction()).max(0.0);
        // Measured epochs include evaluation; before the first one, steps alone.
        let per_epoch = match self.epoch_seconds.last() {
            Some(&s) if s > 0.0 => s,
            _ if self.batch > 0 && self.epoch == self.start_epoch && self.step >= ETA_MIN_STEPS.min(self.steps_per_epoch) => {
                (self.steps_per_epoch * self.batch) as f32 / self.images_per_sec
            }
            _ => return None,
        };
        Some(Duration::from_secs_f32(left * per_epoch))
    }

    /// The run's state in words, e.g. "Paused at epoch 2, step 310 of 800".
    pub fn state_words(&self, paused: bool) -> String {
        let (epoch, steps) = (self.epoch + 1, self.steps_per_epoch);
        let at = format!("epoch {epoch} of {}, step {} of {steps}", self.total_epochs, self.step);
        match self.phase {
            RunPhase::Preparing if self.baseline.is_empty() => "Opening the data and the held-out sets (a continued model is measured on them first)…".into(),
            RunPhase::Preparing => "Starting model measured; the first steps are on their way…".into(),
            RunPhase::Running if paused => format!("Paused at {at}"),
            RunPhase::Running => format!("Training: {at}"),
            RunPhase::Finished => format!("Finished: {} epochs", self.total_epochs),
            RunPhase::Cancelled => format!("Stopped at {at}; the last finished epoch is kept"),
            RunPhase::Failed => format!("Failed at {at}"),
        }
    }

    /// Whether the run is over.
    pub fn is_over(&self) -> bool {
        matches!(self.phase, RunPhase::Finished | RunPhase::Failed | RunPhase::Cancelled)
    }
}

/// Appends a point, halving the curve's resolution when it grows past [`MAX_POINTS`].
fn push_thinned(curve: &mut Vec<[f64; 2]>, p: [f64; 2]) {
    if curve.len() >= MAX_POINTS {
        let mut i = 0;
        curve.retain(|_| {
            i += 1;
            i % 2 == 0
        });
    }
    curve.push(p);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn metrics(top1: f64, loss: f64) -> Vec<HeldOut> {
        vec![("fonts:test".into(), [("top1".to_string(), top1), ("loss".to_string(), loss), ("balanced_accuracy".to_string(), top1)].into())]
    }

    #[test]
    fn progress_folds_events_into_curves() {
        let mut p = RunProgress::default();
        assert_eq!(p.phase, RunPhase::Preparing);
        p.apply(&TrainEvent::Started { model: "recognizer".into(), total_epochs: 2, steps_per_epoch: 4, start_epoch: 0, batch: 8, parameters: 10, held_out: vec![] });
        for step in 0..4 {
            if step == 1 {
                assert!(p.eta().is_none(), "no ETA from a single step");
            }
            p.apply(&TrainEvent::Progress { epoch: 0, step, steps: 4, loss: 5.0 - step as f32, lr: 1e-3, warming_up: step == 0, images_per_sec: 100.0 });
        }
        assert_eq!(p.train_loss.len(), 4);
        assert_eq!(p.train_loss[3], [1.0, 2.0]);
        assert!((p.epoch_fraction() - 1.0).abs() < 1e-6);
        // Before an epoch was timed, the steps' pace: 1 epoch of 4 x 8 images at 100/s left.
        let eta = p.eta().map(|d| d.as_secs_f32()).unwrap_or(-1.0);
        assert!((eta - 0.32).abs() < 0.01, "ETA from the steps: {eta}");
        assert_eq!(p.state_words(true), "Paused at epoch 1 of 2, step 4 of 4");
        p.apply(&TrainEvent::EpochEnd { epoch: 0, train_loss: 3.5, train_accuracy: 0.2, held_out: metrics(0.5, 2.0), seconds: 10.0, images_per_sec: 100.0 });
        assert_eq!(p.accuracy, vec![[1.0, 0.5]]);
        assert_eq!(p.held_out_loss, vec![[1.0, 2.0]]);
        assert!((p.run_fraction() - 0.5).abs() < 1e-6);
        let eta = p.eta().map(|d| d.as_secs_f32()).unwrap_or(-1.0);
        assert!((eta - 10.0).abs() < 0.01, "one epoch left at 10 s: {eta}");
        p.apply(&TrainEvent::CheckpointWritten { path: "run/best".into(), epoch: 0, best: true });
        assert_eq!(p.best_checkpoint.as_deref(), Some(std::path::Path::new("run/best")));
        assert!(!p.is_over());
        p.apply(&TrainEvent::Failed { message: "loss is NaN".into() });
        assert!(p.is_over() && p.phase == RunPhase::Failed);
        assert_eq!(p.error.as_deref(), Some("loss is NaN"));
    }

    #[test]
    fn long_curves_are_thinned() {
        let mut v = Vec::new();
        for i in 0..(3 * MAX_POINTS) {
            push_thinned(&mut v, [i as f64, 0.0]);
        }
        assert!(v.len() <= MAX_POINTS && v.len() > MAX_POINTS / 4);
        assert_eq!(v.last().map(|p| p[0]), Some((3 * MAX_POINTS - 1) as f64));
    }

    #[test]
    fn pause_blocks_until_resumed_or_stopped() {
        let c = Arc::new(RunControl::default());
        assert_eq!(c.wait_while_paused(), Duration::ZERO);
        c.set_paused(true);
        let c2 = Arc::clone(&c);
        let waiter = std::thread::spawn(move || c2.wait_while_paused());
        std::thread::sleep(Duration::from_millis(100));
        assert!(!waiter.is_finished(), "a paused run waits");
        c.set_paused(false);
        assert!(waiter.join().unwrap_or_default() >= Duration::from_millis(90));
        c.set_paused(true);
        let c3 = Arc::clone(&c);
        let waiter = std::thread::spawn(move || c3.wait_while_paused());
        c.stop();
        waiter.join().unwrap_or_default();
        assert!(c.is_stopped());
    }

    #[test]
    fn mean_metric_skips_missing_sets() {
        let mut h = metrics(0.5, 1.0);
        h.push(("k49".into(), [("top1".to_string(), 0.7)].into()));
        assert!((mean_metric(&h, "top1") - 0.6).abs() < 1e-9);
        assert!((mean_metric(&h, "loss") - 1.0).abs() < 1e-9);
        assert!(mean_metric(&h, "nope").is_nan());
    }
}
