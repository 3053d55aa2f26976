//! The generator's data in a run: its image side (28 for Kuzushiji-49 alone, else 64) and its
//! held-out images.

use super::{ImageSet, GENERATOR_EVAL_AUGMENT};
use crate::data::spec::{DataSpec, OpenOptions, SourceKind};
use crate::data::Split;
use crate::error::Result;
use crate::ink::preprocess::boxed_input;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::generator::GeneratorCheckpoint;
    use crate::training::events::{RunControl, TrainEvent};
    use crate::training::runs::list_runs;
    use crate::training::session::{Init, RunPlan, LAST};
    use crate::training::{ModelKind, TrainConfig};
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
