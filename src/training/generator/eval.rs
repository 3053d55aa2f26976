//! The generator's held-out evaluation: the −ELBO of each set with a fixed noise seed, the
//! figures its `EpochEnd` and `Baseline` events carry, and the latent statistics fitted to the
//! encodings.

use crate::data::classes::NUM_CLASSES;
use crate::error::Result;
use crate::models::generator::{Generator, LatentStats};
use crate::training::events::HeldOut;
use candle_core::Tensor;
use rand::SeedableRng;
use std::collections::BTreeMap;

/// A held-out set for the generator: images of `side²` values with their classes.
pub type ImageSet = Vec<(Vec<f32>, usize)>;

/// Held-out figures of one set, and the encodings behind them.
pub struct GeneratorEval {
    /// −ELBO in nats per image (reconstruction + KL).
    pub neg_elbo: f64,
    /// Reconstruction term, nats per image.
    pub reconstruction: f64,
    /// KL term, nats per image.
    pub kl: f64,
    /// Mean KL per latent dimension.
    pub kl_per_dim: Vec<f32>,
    /// Encodings (μ) of every image.
    pub mu: Vec<Vec<f32>>,
    /// Encodings (log σ²) of every image.
    pub logvar: Vec<Vec<f32>>,
    /// The class of every image.
    pub classes: Vec<usize>,
}

/// Evaluates `model` on `set` with a fixed noise seed (so the figure is repeatable).
pub fn evaluate_generator(model: &Generator, set: &ImageSet) -> Result<GeneratorEval> {
    let latent = model.arch.latent;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0xE7A1);
    let (mut rec, mut kl, mut n) = (0f64, 0f64, 0usize);
    let mut kl_dims = vec![0f64; latent];
    let (mut mus, mut logvars) = (Vec::new(), Vec::new());
    for chunk in set.chunks(256) {
        let refs: Vec<&[f32]> = chunk.iter().map(|(x, _)| x.as_slice()).collect();
        let classes: Vec<usize> = chunk.iter().map(|(_, c)| *c).collect();
        let x = model.batch_tensor(&refs)?;
        let oh = model.one_hot(&classes)?;
        let eps = gauss_tensor(&mut rng, chunk.len(), latent, model)?;
        let l = model.loss(&x, &oh, &eps, 1.0, 0.0)?;
        let b = chunk.len() as f64;
        rec += f64::from(l.reconstruction.to_scalar::<f32>()?) * b;
        kl += f64::from(l.kl.to_scalar::<f32>()?) * b;
        for (acc, v) in kl_dims.iter_mut().zip(l.kl_per_dim.to_vec1::<f32>()?) {
            *acc += f64::from(v) * b;
        }
        let (mu, logvar) = model.encode(&x, &oh)?;
        mus.extend(mu.to_vec2::<f32>()?);
        logvars.extend(logvar.to_vec2::<f32>()?);
        n += chunk.len();
    }
    let n = n.max(1) as f64;
    Ok(GeneratorEval {
        neg_elbo: (rec + kl) / n,
        reconstruction: rec / n,
        kl: kl / n,
        kl_per_dim: kl_dims.iter().map(|v| (v / n) as f32).collect(),
        mu: mus,
        logvar: logvars,
        classes: set.iter().map(|(_, c)| *c).collect(),
    })
}

/// The held-out figures of each set's evaluation, by metric name (`loss` and `neg_elbo` are
/// both the −ELBO), as the generator's `EpochEnd` and `Baseline` events carry them.
pub fn held_out_figures(eval_sets: &[(String, ImageSet)], evals: &[GeneratorEval]) -> Vec<HeldOut> {
    eval_sets
        .iter()
        .zip(evals)
        .map(|((name, set), e)| {
            let m: BTreeMap<String, f64> = [
                ("loss".to_string(), e.neg_elbo),
                ("neg_elbo".to_string(), e.neg_elbo),
                ("reconstruction".to_string(), e.reconstruction),
                ("kl".to_string(), e.kl),
                ("active_dims".to_string(), e.kl_per_dim.iter().filter(|&&k| k >= crate::models::generator::latent::ACTIVE_KL).count() as f64),
                ("samples".to_string(), set.len() as f64),
            ]
            .into();
            (name.clone(), m)
        })
        .collect()
}

/// Latent statistics fitted to the held-out evaluations (all sets together): per class for a
/// latent that holds part of the letter (`per_class`), else N(0, I) with the measured use of
/// each dimension.
pub fn latent_stats(evals: &[GeneratorEval], latent: usize, per_class: bool) -> LatentStats {
    let (mut mu, mut logvar, mut classes) = (Vec::new(), Vec::new(), Vec::new());
    let mut kl = vec![0f32; latent];
    let total: usize = evals.iter().map(|e| e.mu.len()).sum();
    for e in evals {
        mu.extend(e.mu.iter().cloned());
        logvar.extend(e.logvar.iter().cloned());
        classes.extend(e.classes.iter().copied());
        let w = e.mu.len() as f32 / total.max(1) as f32;
        for (acc, v) in kl.iter_mut().zip(&e.kl_per_dim) {
            *acc += w * v;
        }
    }
    if mu.is_empty() {
        return LatentStats::standard(latent);
    }
    if per_class {
        LatentStats::fit_by_class(&mu, &logvar, &classes, kl)
    } else {
        // The style latent is trained to write the asked letter from N(0, I) itself (the
        // reader's term on prior samples): that is the prior to sample from, and the held-out
        // encodings only say how much each dimension is used.
        LatentStats { kl_per_dim: kl, ..LatentStats::standard(latent) }
    }
}

/// Pixel logits of `per_class` random samples of every class, latents drawn from `stats`'
/// fitted prior (seeded): what sharpness is fitted on.
pub fn sample_logits(model: &Generator, stats: &LatentStats, per_class: usize, seed: u64) -> Result<Vec<Vec<f32>>> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let classes: Vec<usize> = (0..NUM_CLASSES).flat_map(|c| std::iter::repeat_n(c, per_class)).collect();
    let z: Vec<f32> = classes.iter().flat_map(|&c| stats.sample(&mut rng, crate::models::generator::Prior::Fitted, c, 1.0)).collect();
    let z = Tensor::from_vec(z, (classes.len(), model.arch.latent), model.device())?;
    Ok(model.decode_logits(&z, &model.one_hot(&classes)?)?.to_device(&candle_core::Device::Cpu)?.to_vec2::<f32>()?)
}

/// A `(rows, cols)` tensor of standard normal draws from `rng`.
pub(super) fn gauss_tensor(rng: &mut rand_chacha::ChaCha8Rng, rows: usize, cols: usize, model: &Generator) -> Result<Tensor> {
    let v: Vec<f32> = (0..rows * cols).map(|_| crate::data::augment::gauss(rng)).collect();
    Ok(Tensor::from_vec(v, (rows, cols), model.device())?)
}

