//! The generator's side of [`RunPlan`]: the same run as the recognizer's (data → model → train →
//! last and best checkpoints, resume, the same ending), with a [`Generator`], 64x64 (or 28x28)
//! held-out images and the best epoch picked by the lowest mean held-out −ELBO.

use super::events::{mean_metric, RunControl, TrainEvent};
use super::generator::{train_generator, GeneratorTrainConfig, ImageSet, Reader, GENERATOR_EVAL_AUGMENT};
use super::session::{score, weights_finite, Init, ModelKind, RunOutcome, RunPlan};
use crate::data::spec::{open_mixture, DataSpec, OpenOptions, SourceKind};
use crate::data::Split;
use crate::error::{Error, Result};
use crate::ink::preprocess::boxed_input;
use crate::models::generator::{Generator, GeneratorArchitecture, GeneratorCheckpoint, GeneratorSidecar};

/// Held-out images per source at most (every k-th image of a larger set), so an epoch's
/// evaluation stays short.
pub const MAX_HELD_OUT: usize = 6000;

/// The image side for a generator trained on `data`: 28 when every source is Kuzushiji-49 (its
/// images are 28x28), else 64.
pub fn side_for(data: &[DataSpec]) -> usize {
    if !data.is_empty() && data.iter().all(|d| matches!(d.kind, SourceKind::K49(_))) {
        28
    } else {
        64
    }
}

/// The held-out images of each source at `side` (at most [`MAX_HELD_OUT`] each; empty sets
/// are left out).
pub fn held_out_images(data: &[DataSpec], open: OpenOptions, side: usize) -> Result<Vec<(String, ImageSet)>> {
    let mut sets = Vec::new();
    for s in data {
        let src = s.open(Split::Test, open)?;
        let ink = src.eval_ink(side as u32, GENERATOR_EVAL_AUGMENT);
        let every = ink.len().div_ceil(MAX_HELD_OUT).max(1);
        let set: ImageSet = ink.iter().step_by(every).map(|(img, c)| (boxed_input(img, side), *c)).collect();
        if !set.is_empty() {
            sets.push((src.name(), set));
        }
    }
    Ok(sets)
}

impl RunPlan {
    /// The generator's training settings of this plan.
    pub fn generator_config(&self) -> GeneratorTrainConfig {
        GeneratorTrainConfig {
            base: self.cfg.clone(),
            kl_warmup_fraction: self.vae.kl_warmup_fraction,
            free_bits: self.vae.free_bits,
            beta: self.vae.beta,
            style_group: self.vae.style_group,
            read_weight: self.vae.read_weight,
        }
    }

    /// Runs a generator plan (see [`RunPlan::run`]).
    pub(super) fn run_generator(&self, control: &RunControl, on_event: &mut (dyn FnMut(&TrainEvent) + Send)) -> Result<RunOutcome> {
        let mut cfg = self.generator_config();
        let mut record = self.new_record();
        let mut best_score = f64::NEG_INFINITY;
        let mut resumed = None;
        let model = match &self.init {
            Init::Scratch => Generator::new_seeded(GeneratorArchitecture::for_side(side_for(&self.data)), &self.device, cfg.base.seed)?,
            Init::FineTune(from) => {
                let ck = match from {
                    Some(p) => GeneratorCheckpoint::load(p, &self.device)?,
                    None => GeneratorCheckpoint::bundled(&self.device)?,
                };
                Self::note_fine_tune(&mut record, from.as_deref(), "the bundled generator");
                ck.model
            }
            Init::Resume(from) => {
                let path = Self::resume_path(from)?;
                let ck = GeneratorCheckpoint::load(&path, &self.device).map_err(|e| Error::Invalid(format!("cannot resume: {e}")))?;
                cfg.base.start_epoch = Self::note_resume(&mut record, &ck.sidecar.training);
                best_score = self.recorded_best(&ck.sidecar.training);
                resumed = Some(ck.sidecar.training.clone());
                ck.model
            }
        };
        if cfg.base.start_epoch >= cfg.base.epochs {
            return Err(Error::Invalid(format!("the checkpoint already has {} epochs; ask for more epochs", cfg.base.start_epoch)));
        }
        self.create_folders()?;
        let mixture = open_mixture(&self.data, Split::Train, self.open)?;
        let eval_sets = held_out_images(&self.data, self.open, model.arch.side)?;
        if matches!(self.init, Init::FineTune(_)) && !eval_sets.is_empty() {
            // The starting generator's figures: what the new one is judged against.
            let evals = eval_sets.iter().map(|(_, set)| super::generator::evaluate_generator(&model, set)).collect::<Result<Vec<_>>>()?;
            on_event(&TrainEvent::Baseline { held_out: super::generator::held_out_figures(&eval_sets, &evals) });
        }
        self.fill_generator_settings(&mut record, &cfg);
        let per_epoch = cfg.base.steps_per_epoch() as u64 * cfg.base.batch as u64;
        let (mut wrote_last, mut wrote_best) = (None, None);
        let reader = if cfg.read_weight > 0.0 {
            Some(Reader::new(crate::models::Checkpoint::bundled(&self.device)?.model, model.arch.side)?)
        } else {
            None
        };
        train_generator(&model, &mixture, &eval_sets, &cfg, reader.as_ref(), control, |ev, m, stats| {
            on_event(ev);
            let TrainEvent::EpochEnd { epoch, held_out, .. } = ev else { return Ok(()) };
            if !weights_finite(m.varmap())? || (!held_out.is_empty() && !mean_metric(held_out, "neg_elbo").is_finite()) {
                return Err(Error::Invalid(format!(
                    "training diverged in epoch {} (the weights or the held-out -ELBO are no longer finite); lower the learning rate",
                    epoch + 1
                )));
            }
            record.epochs = epoch + 1;
            record.samples_seen += per_epoch;
            let mut sidecar = GeneratorSidecar::new(m.arch.clone(), stats.clone(), record.clone());
            sidecar.metrics = held_out.iter().cloned().collect();
            GeneratorCheckpoint::save(m, &sidecar, &self.last)?;
            on_event(&TrainEvent::CheckpointWritten { path: self.last.clone(), epoch: *epoch, best: false });
            wrote_last = Some(self.last.clone());
            let s = score(ModelKind::Generator, held_out);
            if s >= best_score {
                best_score = s;
                GeneratorCheckpoint::save(m, &sidecar, &self.best)?;
                on_event(&TrainEvent::CheckpointWritten { path: self.best.clone(), epoch: *epoch, best: true });
                wrote_best = Some(self.best.clone());
            }
            Ok(())
        })?;
        Ok(self.outcome(control, wrote_last, wrote_best, Vec::new(), resumed.as_ref()))
    }

    fn fill_generator_settings(&self, record: &mut crate::models::recognizer::TrainingRecord, cfg: &GeneratorTrainConfig) {
        for (k, v) in [
            ("epochs", cfg.base.epochs.to_string()),
            ("batch", cfg.base.batch.to_string()),
            ("lr", cfg.base.lr.to_string()),
            ("weight_decay", cfg.base.weight_decay.to_string()),
            ("warmup_fraction", cfg.base.warmup_fraction.to_string()),
            ("epoch_size", cfg.base.epoch_size.to_string()),
            ("holdout_per_class", self.open.holdout_per_class.to_string()),
            ("kl_warmup_fraction", cfg.kl_warmup_fraction.to_string()),
            ("free_bits", cfg.free_bits.to_string()),
            ("beta", cfg.beta.to_string()),
            ("style_group", cfg.style_group.to_string()),
            ("read_weight", cfg.read_weight.to_string()),
            ("likelihood", "Bernoulli on ink intensity".to_string()),
            ("augmentation", "shape only (geometry, elastic, pen width, jitter); no raster noise".to_string()),
            ("optimizer", "AdamW, warm-up + cosine schedule".to_string()),
            ("device", self.device_name.clone()),
        ] {
            record.settings.insert(k.to_string(), v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::spec::SourceKind;
    use crate::training::session::{list_runs, LAST};
    use crate::training::TrainConfig;
    use candle_core::Device;

    fn fonts() -> Vec<DataSpec> {
        vec![DataSpec { kind: SourceKind::Fonts, weight: 1.0 }]
    }

    #[test]
    fn side_is_28_only_for_k49_alone() {
        assert_eq!(side_for(&fonts()), 64);
        assert_eq!(side_for(&[]), 64);
        let k49 = DataSpec { kind: SourceKind::K49("/x".into()), weight: 1.0 };
        assert_eq!(side_for(std::slice::from_ref(&k49)), 28);
        assert_eq!(side_for(&[k49, fonts().remove(0)]), 64);
    }

    /// One tiny generator epoch through the shared engine: last and best checkpoints of the
    /// generator kind, the settings recorded, and the folder resumes as a generator run.
    #[test]
    fn a_generator_run_writes_checkpoints_and_resumes_from_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = TrainConfig { epochs: 1, epoch_size: 64, batch: 32, lr: 1e-3, weight_decay: 0.0, ..TrainConfig::default() };
        let mut plan = RunPlan::in_folder(fonts(), cfg, Init::Scratch, dir.path());
        plan.model = ModelKind::Generator;
        let mut events = Vec::new();
        let out = plan.run(&RunControl::default(), |e| events.push(e.clone())).unwrap();
        assert!(out.finished);
        assert!(matches!(events.first(), Some(TrainEvent::Started { model, .. }) if model == "generator"), "{events:?}");
        assert_eq!(events.last(), Some(&TrainEvent::Finished));
        let bests = events.iter().filter(|e| matches!(e, TrainEvent::CheckpointWritten { best: true, .. })).count();
        assert_eq!(bests, 1);
        let ck = GeneratorCheckpoint::load(&dir.path().join(LAST), &Device::Cpu).unwrap();
        assert_eq!(ck.side(), 64);
        assert_eq!(ck.sidecar.training.settings.get("beta").map(String::as_str), Some("2"));
        assert!(ck.sidecar.metrics.values().all(|m| m.get("neg_elbo").is_some_and(|v| v.is_finite())));
        let runs = list_runs(dir.path().parent().unwrap_or(dir.path()));
        let me = runs.iter().find(|r| r.dir == dir.path()).unwrap();
        assert_eq!(me.model, ModelKind::Generator);
        assert!(me.best_metric("neg_elbo").is_finite() && me.best_accuracy().is_nan());
        let mut again = RunPlan::resume_folder(dir.path()).unwrap();
        assert_eq!(again.model, ModelKind::Generator);
        again.cfg.epochs = 2;
        let mut events = Vec::new();
        again.run(&RunControl::default(), |e| events.push(e.clone())).unwrap();
        assert!(matches!(events.first(), Some(TrainEvent::Started { start_epoch: 1, .. })), "{events:?}");
        let ck = GeneratorCheckpoint::load(&dir.path().join(LAST), &Device::Cpu).unwrap();
        assert_eq!(ck.sidecar.training.epochs, 2);
        // A generator folder is not resumed as a recognizer, and the reverse.
        let mut wrong = RunPlan::resume_folder(dir.path()).unwrap();
        wrong.model = ModelKind::Recognizer;
        wrong.cfg.epochs = 3;
        let e = wrong.run(&RunControl::default(), |_| {}).unwrap_err().to_string();
        assert!(e.contains("cannot resume") && e.contains("generator"), "{e}");
    }
}
