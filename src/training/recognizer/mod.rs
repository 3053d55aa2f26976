//! The recognizer's part of training: its settings (label smoothing, teachers), its step (smoothed
//! cross-entropy on a batch of samples, with the teachers' term when there are teachers, and the
//! batch's accuracy), its validation (the held-out reports of [`evaluate()`]) and its
//! checkpoints, for the one loop in [`crate::training::learner`].

pub mod evaluate;
pub mod paired;
pub mod teachers;

use super::events::HeldOut;
use super::learner::{BatchFeed, ModelKind, StepOutput, TrainStep, ValidStep};
use super::metrics::EvalReport;
use super::session::RunPlan;
use super::trainee::Trainee;
use crate::data::spec::open_mixture;
use crate::data::{Mixture, Sample, Split};
use crate::error::{Error, Result};
use crate::models::recognizer::TrainingRecord;
use crate::models::{Architecture, Recognizer, Sidecar};
use candle_core::{Tensor, D};
use evaluate::evaluate;
use std::path::PathBuf;
use teachers::{distillation_loss, Teachers};

/// A step loss above this many times the run's first loss (and above [`MIN_EXPLODED_LOSS`]) is
/// taken as divergence.
const EXPLOSION_FACTOR: f32 = 10.0;
/// The smallest loss counted as exploded (the untrained network's loss is ln 180 ≈ 5.2).
const MIN_EXPLODED_LOSS: f32 = 50.0;

/// The recognizer's own training settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RecognizerConfig {
    /// Label smoothing ε.
    pub label_smoothing: f32,
    /// The network a run from scratch builds (validated when it is built); a resumed or
    /// fine-tuned model keeps its own.
    pub architecture: Architecture,
    /// Recognizers whose averaged reading the network also learns (see [`teachers`]); each a
    /// checkpoint path, or `bundled`. Empty: the labels alone.
    pub teachers: Vec<PathBuf>,
    /// The teachers' share of the loss (0..=1; the labels' share is the rest).
    pub teacher_weight: f32,
}

impl Default for RecognizerConfig {
    fn default() -> Self {
        RecognizerConfig { label_smoothing: 0.1, architecture: Architecture::default(), teachers: Vec::new(), teacher_weight: DEFAULT_TEACHER_WEIGHT }
    }
}

/// The teachers' share of the loss when a run names teachers and no weight.
pub const DEFAULT_TEACHER_WEIGHT: f32 = 0.5;

impl RecognizerConfig {
    /// Four channel counts written `48,48,96,96`.
    pub fn parse_channels(text: &str) -> Result<[usize; 4]> {
        let bad = || Error::Invalid(format!("--channels takes four counts such as 48,48,96,96, not {text:?}"));
        let counts: Vec<usize> = text.split(',').map(|c| c.trim().parse().map_err(|_| bad())).collect::<Result<_>>()?;
        counts.try_into().map_err(|_| bad())
    }

    /// Sets the teachers and their share of the loss, refusing a share outside 0..=1.
    pub fn with_teachers(mut self, teachers: Vec<PathBuf>, weight: f32) -> Result<Self> {
        if !(0.0..=1.0).contains(&weight) {
            return Err(Error::Invalid(format!("--teacher-weight must be between 0 and 1, not {weight}")));
        }
        self.teachers = teachers;
        self.teacher_weight = weight;
        Ok(self)
    }

    /// The teachers as a run's settings record them (a JSON list of paths).
    pub fn teachers_from_setting(text: &str) -> std::result::Result<Vec<PathBuf>, String> {
        let paths: Vec<String> = serde_json::from_str(text).map_err(|e| format!("its teachers are not a list of paths: {e}"))?;
        Ok(paths.into_iter().map(PathBuf::from).collect())
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

/// Batches of samples from a mixture of sources.
pub struct RecognizerFeed {
    /// The training data.
    pub mixture: Mixture,
    /// Samples per batch.
    pub batch: usize,
}

impl BatchFeed for RecognizerFeed {
    type Batch = Vec<Sample>;

    fn batch(&self, epoch_seed: u64, step: u64) -> Vec<Sample> {
        self.mixture.batch(epoch_seed, step, self.batch)
    }
}

/// The recognizer in training: the network, its held-out sets and the last epoch's reports.
pub struct RecognizerStep {
    /// The network trained.
    pub model: Recognizer,
    /// Held-out sets by name.
    pub eval_sets: Vec<(String, Vec<Sample>)>,
    /// Its settings.
    pub config: RecognizerConfig,
    /// The last finished epoch's held-out reports.
    pub reports: Vec<EvalReport>,
    /// The frozen recognizers it also learns from, if any.
    pub teachers: Option<Teachers>,
}

impl RecognizerStep {
    /// A step training `model`, evaluated on `eval_sets`, without teachers.
    pub fn new(model: Recognizer, eval_sets: Vec<(String, Vec<Sample>)>, config: RecognizerConfig) -> Self {
        RecognizerStep { model, eval_sets, config, reports: Vec::new(), teachers: None }
    }

    fn reports_now(&self) -> Result<Vec<EvalReport>> {
        self.eval_sets.iter().map(|(name, set)| evaluate(&self.model, name, set, None, &[], |_| {})).collect()
    }
}

impl TrainStep for RecognizerStep {
    type Arch = Architecture;
    type Batch = Vec<Sample>;
    const KIND: ModelKind = ModelKind::Recognizer;

    fn model(&self) -> &Recognizer {
        &self.model
    }

    fn step(&mut self, batch: Vec<Sample>, _global_step: usize) -> Result<StepOutput> {
        let inputs: Vec<_> = batch.iter().map(|s| &s.input).collect();
        let x = self.model.batch_tensor(&inputs)?;
        let labels: Vec<u32> = batch.iter().map(|s| s.label as u32).collect();
        let y = Tensor::from_vec(labels.clone(), labels.len(), self.model.device())?;
        let logits = self.model.forward(&x, true)?;
        let mut loss = smoothed_cross_entropy(&logits, &y, self.config.label_smoothing)?;
        if let Some(t) = &self.teachers {
            let share = f64::from(self.config.teacher_weight);
            let taught = distillation_loss(&logits, &t.soft_targets(&x)?)?;
            loss = ((loss * (1.0 - share))? + (taught * share)?)?;
        }
        let pred = logits.argmax(D::Minus1)?.to_vec1::<u32>()?;
        let correct = pred.iter().zip(&labels).filter(|(a, b)| a == b).count();
        Ok(StepOutput { loss, samples: labels.len(), correct: Some(correct) })
    }

    fn divergence_limit(&self, first_loss: f32) -> f32 {
        (EXPLOSION_FACTOR * first_loss).max(MIN_EXPLODED_LOSS)
    }
}

impl ValidStep for RecognizerStep {
    fn held_out_sizes(&self) -> Vec<(String, usize)> {
        self.eval_sets.iter().map(|(n, s)| (n.clone(), s.len())).collect()
    }

    fn measure(&self) -> Result<Vec<HeldOut>> {
        Ok(self.reports_now()?.iter().map(held_out_metrics).collect())
    }

    fn validate(&mut self) -> Result<Vec<HeldOut>> {
        self.reports = self.reports_now()?;
        Ok(self.reports.iter().map(held_out_metrics).collect())
    }
}

impl Trainee for RecognizerStep {
    type Feed = RecognizerFeed;
    const BUNDLED: &'static str = "the bundled model";
    const NOT_FINITE: &'static str = "the weights are no longer finite";

    fn scratch(plan: &RunPlan) -> Result<Recognizer> {
        Recognizer::new_seeded(plan.recognizer.architecture.clone(), &plan.device, plan.cfg.seed)
    }

    fn prepare(plan: &RunPlan, model: Recognizer) -> Result<(Self, RecognizerFeed)> {
        let mixture = open_mixture(&plan.data, Split::Train, plan.open)?;
        let mut eval_sets = Vec::new();
        for s in &plan.data {
            let src = s.open(Split::Test, plan.open)?;
            let set = src.eval_samples();
            // A small handwriting set may hold nothing out yet.
            if !set.is_empty() {
                eval_sets.push((src.name(), set));
            }
        }
        let mut step = RecognizerStep::new(model, eval_sets, plan.recognizer.clone());
        if !plan.recognizer.teachers.is_empty() {
            step.teachers = Some(Teachers::load(&plan.recognizer.teachers, &plan.device)?);
        }
        Ok((step, RecognizerFeed { mixture, batch: plan.cfg.batch }))
    }

    fn settings(plan: &RunPlan) -> Vec<(&'static str, String)> {
        let r = &plan.recognizer;
        let mut s = vec![("label_smoothing", r.label_smoothing.to_string())];
        if !r.teachers.is_empty() {
            let paths: Vec<String> = r.teachers.iter().map(|p| p.display().to_string()).collect();
            s.push(("teachers", serde_json::Value::from(paths).to_string()));
            s.push(("teacher_weight", r.teacher_weight.to_string()));
        }
        s
    }

    fn sidecar(&self, training: TrainingRecord, held_out: &[HeldOut]) -> Sidecar {
        let mut sidecar = Sidecar::new(self.model.arch.clone(), training);
        sidecar.metrics = held_out.iter().cloned().collect();
        sidecar
    }

    fn into_reports(self) -> Vec<EvalReport> {
        self.reports
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

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

    #[test]
    fn channels_are_four_counts() {
        assert_eq!(RecognizerConfig::parse_channels("48,48, 96,96").unwrap(), [48, 48, 96, 96]);
        for bad in ["48,48,96", "48,48,96,96,1", "a,b,c,d", ""] {
            assert!(RecognizerConfig::parse_channels(bad).unwrap_err().to_string().contains("four counts"), "{bad}");
        }
        assert_eq!(RecognizerConfig::default().architecture, Architecture::default());
    }
}
