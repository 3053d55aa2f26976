//! Knowledge distillation for the recognizer: frozen recognizers (the teachers) read each batch,
//! and the network also learns their averaged, softened reading, which says how much a sample
//! looks like each other class where the label says only which one it is. Teachers of different
//! shapes (stage 9's 914k-parameter network beside stage 12b's 2.0M) read differently; what the
//! two agree on carries over to one network, which keeps one network's cost to read.

use crate::error::{Error, Result};
use crate::models::{Checkpoint, Recognizer};
use candle_core::{Device, Tensor, D};
use std::path::PathBuf;

/// The temperature both the teachers' and the network's logits are softened by.
pub const TEACHER_TEMPERATURE: f64 = 2.0;
/// The most teachers one run may read with (each costs a forward pass per batch).
pub const MAX_TEACHERS: usize = 4;

/// Frozen recognizers whose averaged reading at [`TEACHER_TEMPERATURE`] the network learns.
pub struct Teachers {
    models: Vec<Recognizer>,
}

impl Teachers {
    /// Loads the teachers at `paths` (each a checkpoint path without extension, or
    /// [`crate::models::BUNDLED_NAME`]) onto `device`. None at all, or more than [`MAX_TEACHERS`], is an error.
    pub fn load(paths: &[PathBuf], device: &Device) -> Result<Self> {
        if paths.is_empty() || paths.len() > MAX_TEACHERS {
            return Err(Error::Invalid(format!("a run reads with 1 to {MAX_TEACHERS} teachers, not {}", paths.len())));
        }
        let models = paths.iter().map(|p| Checkpoint::load_named(p, device).map(|ck| ck.model)).collect::<Result<Vec<_>>>()?;
        Ok(Teachers { models })
    }

    /// Wraps recognizers already loaded.
    pub fn from_models(models: Vec<Recognizer>) -> Self {
        Teachers { models }
    }

    /// The teachers' mean softened probabilities `(N, classes)` for the input batch `x`, with
    /// no gradient through them.
    pub fn soft_targets(&self, x: &Tensor) -> Result<Tensor> {
        let mut sum: Option<Tensor> = None;
        for m in &self.models {
            let logits = m.forward(x, false)?.detach();
            let p = candle_nn::ops::softmax_last_dim(&(logits / TEACHER_TEMPERATURE)?)?;
            sum = Some(match sum {
                Some(s) => (s + p)?,
                None => p,
            });
        }
        let sum = sum.ok_or_else(|| Error::Invalid("no teachers".into()))?;
        Ok((sum / self.models.len() as f64)?.detach())
    }
}

/// The distillation term: `T² · KL(targets ‖ softmax(logits / T))`, averaged over the batch
/// (`T²` keeps its gradient the size of the labels' term's as `T` changes).
pub fn distillation_loss(logits: &Tensor, targets: &Tensor) -> candle_core::Result<Tensor> {
    let t = TEACHER_TEMPERATURE;
    let logq = candle_nn::ops::log_softmax(&(logits / t)?, D::Minus1)?;
    // Σ p·(ln p − ln q); p·ln p is constant for the network but keeps the term at 0 when equal.
    let logp = targets.clamp(1e-12f32, 1.0f32)?.log()?;
    let kl = (targets * (logp - logq)?)?.sum(D::Minus1)?;
    kl.mean_all()? * (t * t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::Architecture;

    #[test]
    fn the_term_is_zero_when_the_network_reads_as_the_teachers_and_grows_apart() {
        let dev = Device::Cpu;
        let logits = Tensor::new(&[[3.0f32, 1.0, 0.0], [0.0, 0.5, 2.0]], &dev).unwrap();
        let same = candle_nn::ops::softmax_last_dim(&(&logits / TEACHER_TEMPERATURE).unwrap()).unwrap();
        let zero = distillation_loss(&logits, &same).unwrap().to_scalar::<f32>().unwrap();
        assert!(zero.abs() < 1e-5, "{zero}");
        let other = Tensor::new(&[[0.1f32, 0.1, 0.8], [0.8, 0.1, 0.1]], &dev).unwrap();
        let apart = distillation_loss(&logits, &other).unwrap().to_scalar::<f32>().unwrap();
        // By hand for the first row: T² · Σ p (ln p − ln q), q = softmax(logits / 2).
        let q: Vec<f64> = {
            let e: Vec<f64> = [1.5f64, 0.5, 0.0].iter().map(|v| v.exp()).collect();
            let s: f64 = e.iter().sum();
            e.iter().map(|v| v / s).collect()
        };
        let row1: f64 = [0.1f64, 0.1, 0.8].iter().zip(&q).map(|(p, q)| p * (p.ln() - q.ln())).sum::<f64>() * 4.0;
        assert!(apart > 1.0 && f64::from(apart) > row1 / 2.0, "{apart} {row1}");
    }

    #[test]
    fn the_targets_are_the_mean_of_the_teachers_softened_readings() {
        let dev = Device::Cpu;
        let arch = Architecture { channels: [4, 4, 8, 8], hidden: 16, ..Architecture::default() };
        let a = Recognizer::new_seeded(arch.clone(), &dev, 1).unwrap();
        let b = Recognizer::new_seeded(arch, &dev, 2).unwrap();
        let x = Tensor::rand(0f32, 1.0, (3, 28 * 28), &dev).unwrap();
        let soft = |m: &Recognizer| candle_nn::ops::softmax_last_dim(&(m.forward(&x, false).unwrap() / TEACHER_TEMPERATURE).unwrap()).unwrap();
        let want = ((soft(&a) + soft(&b)).unwrap() / 2.0).unwrap().to_vec2::<f32>().unwrap();
        let got = Teachers::from_models(vec![a, b]).soft_targets(&x).unwrap().to_vec2::<f32>().unwrap();
        for (g, w) in got.iter().flatten().zip(want.iter().flatten()) {
            assert!((g - w).abs() < 1e-6);
        }
        for row in &got {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-4);
        }
    }

    #[test]
    fn a_list_of_teachers_is_refused_empty_too_long_or_missing() {
        let dev = Device::Cpu;
        assert!(Teachers::load(&[], &dev).is_err());
        let many = vec![PathBuf::from(crate::models::BUNDLED_NAME); MAX_TEACHERS + 1];
        assert!(Teachers::load(&many, &dev).err().unwrap().to_string().contains("1 to"));
        let err = Teachers::load(&[PathBuf::from("/nonexistent/teacher")], &dev).err().unwrap().to_string();
        assert!(err.contains("/nonexistent/teacher"), "{err}");
    }
}
