//! The generator's training loop: the same shape as the recognizer's (a background data feed,
//! AdamW with warm-up + cosine, the same [`TrainEvent`] stream and [`RunControl`]), with the VAE's
//! objective: Bernoulli reconstruction + β·KL (β above 1, so the latent keeps the style and the
//! label keeps the letter; optionally warmed up from 0), and free bits per latent dimension. Each epoch ends with the held-out −ELBO and fresh latent statistics.

use super::events::{HeldOut, RunControl, TrainEvent};
use super::trainer::TrainConfig;
use crate::data::augment::Augment;
use crate::data::Mixture;
use crate::error::{Error, Result};
use crate::data::classes::NUM_CLASSES;
use crate::models::generator::{group_members, Generator, LatentStats};
use crate::models::recognizer::Recognizer;
use crate::ink::preprocess::INPUT_SIDE;
use rand::Rng;
use crate::models::kernels::adamw::FastAdamW;
use candle_core::Tensor;
use candle_nn::{Optimizer, ParamsAdamW};
use rand::SeedableRng;
use std::collections::BTreeMap;
use std::time::Instant;

/// How generator training data is augmented: full shape variation, no raster noise.
pub const GENERATOR_AUGMENT: Augment = Augment::SHAPE;
/// How generator held-out data is rendered: half-strength shape variation, no raster noise.
pub const GENERATOR_EVAL_AUGMENT: Augment = Augment { strength: 0.5, ..Augment::SHAPE };

/// Generator training settings: the shared ones plus the VAE's.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorTrainConfig {
    /// Epochs, batch, learning rate, schedule, epoch size, seed (label smoothing is unused).
    pub base: TrainConfig,
    /// The KL weight β. Above 1 the latent is kept to what matters most for the picture (size,
    /// slant, weight, style) and the letter comes from the label: at β = 1 a run put the letter
    /// itself into the latent, and random latents wrote other letters than the one asked.
    pub beta: f64,
    /// Fraction of all steps over which β rises linearly from 0 to its value.
    pub kl_warmup_fraction: f64,
    /// Nats per latent dimension below which the KL is not penalised.
    pub free_bits: f32,
    /// Images per style group: letters of one font or synthetic writer share one style latent
    /// ([`Generator::group_loss`]), so the latent cannot hold the letter, only how it is written.
    /// 1 trains on single images (the first generator's objective).
    pub style_group: usize,
    /// Weight of the frozen recognizer's cross-entropy on the reconstructions and on samples
    /// decoded from N(0, I) (nats per image): the decoder is told when what it writes reads as
    /// another letter. 0 turns it off.
    pub read_weight: f64,
}

impl Default for GeneratorTrainConfig {
    fn default() -> Self {
        GeneratorTrainConfig {
            base: TrainConfig { lr: 1e-3, batch: 64, weight_decay: 0.0, ..TrainConfig::default() },
            beta: 2.0,
            kl_warmup_fraction: 0.0,
            free_bits: 0.05,
            style_group: 4,
            read_weight: 20.0,
        }
    }
}

impl GeneratorTrainConfig {
    /// The KL weight β at global step `step`.
    pub fn beta_at(&self, step: usize) -> f64 {
        let total = (self.base.epochs * self.base.steps_per_epoch()).max(1) as f64;
        let warm = self.kl_warmup_fraction * total;
        if warm < 1.0 {
            self.beta
        } else {
            self.beta * ((step as f64 + 1.0) / warm).min(1.0)
        }
    }
}

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

/// A frozen recognizer that reads what the generator writes, differentiably: the decoded image
/// is area-averaged to the recognizer's 28x28 (as [`crate::ink::preprocess::boxed_input`] boxes
/// a square image) and scaled so its brightest pixel is 1.
pub struct Reader {
    model: Recognizer,
    /// Area-averaging matrix `(28, side)`.
    shrink: Tensor,
}

impl Reader {
    /// Wraps `model` (its weights are never updated) for images of `side` pixels.
    pub fn new(model: Recognizer, side: usize) -> Result<Self> {
        let shrink = Tensor::from_vec(area_matrix(side, INPUT_SIDE), (INPUT_SIDE, side), model.device())?;
        Ok(Reader { model, shrink })
    }

    /// Mean cross-entropy of the recognizer on images given as pixel logits `(M, side²)`, for
    /// the asked `classes`.
    pub fn cross_entropy(&self, logits: &Tensor, classes: &[usize]) -> Result<Tensor> {
        let m = logits.dim(0)?;
        let out = self.model.forward(&self.input(logits)?, false)?;
        let labels: Vec<u32> = classes.iter().map(|&c| c as u32).collect();
        let labels = Tensor::from_vec(labels, m, self.model.device())?;
        Ok(candle_nn::loss::cross_entropy(&out, &labels)?)
    }

    /// The recognizer's input `(M, 784)` for pictures given as pixel logits `(M, side²)`.
    pub fn input(&self, logits: &Tensor) -> Result<Tensor> {
        let m = logits.dim(0)?;
        let side = self.shrink.dim(1)?;
        let img = candle_nn::ops::sigmoid(logits)?.reshape((m * side, side))?;
        // Rows, then columns: (M·side, side)·(side, 28) → (M, side, 28) → transposed → · (side, 28).
        let st = self.shrink.t()?;
        let cols = img.matmul(&st)?.reshape((m, side, INPUT_SIDE))?.transpose(1, 2)?.contiguous()?;
        let small = cols.reshape((m * INPUT_SIDE, side))?.matmul(&st)?.reshape((m, INPUT_SIDE, INPUT_SIDE))?.transpose(1, 2)?;
        let small = small.contiguous()?.reshape((m, INPUT_SIDE * INPUT_SIDE))?;
        let peak = (small.max_keepdim(1)? + 1e-3)?;
        Ok(small.broadcast_div(&peak)?)
    }
}

/// The `(out, inp)` matrix that area-averages `inp` pixels to `out`, row-major.
pub fn area_matrix(inp: usize, out: usize) -> Vec<f32> {
    let mut m = vec![0f32; out * inp];
    let scale = inp as f32 / out as f32;
    for o in 0..out {
        let (a, b) = (o as f32 * scale, (o + 1) as f32 * scale);
        for i in (a.floor() as usize)..(b.ceil() as usize).min(inp) {
            let overlap = (b.min(i as f32 + 1.0) - a.max(i as f32)).max(0.0);
            if let Some(v) = m.get_mut(o * inp + i) {
                *v = overlap / scale;
            }
        }
    }
    m
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

fn gauss_tensor(rng: &mut rand_chacha::ChaCha8Rng, rows: usize, cols: usize, model: &Generator) -> Result<Tensor> {
    let v: Vec<f32> = (0..rows * cols).map(|_| crate::data::augment::gauss(rng)).collect();
    Ok(Tensor::from_vec(v, (rows, cols), model.device())?)
}

/// Trains `model` on style groups from `mixture` ([`GeneratorTrainConfig::style_group`]), with
/// `reader`'s cross-entropy on what it writes when given ([`GeneratorTrainConfig::read_weight`]),
/// evaluating on `eval_sets` after each epoch. Emits
/// `Started`, `Progress` per step and `EpochEnd` through `on_event` (with the latest latent
/// statistics, for checkpoints); an error from it stops the run. Returns the last statistics.
/// Pausing and stopping go through `control`; a loss that is not finite stops the run with an
/// error, before the optimiser applies it.
pub fn train_generator(
    model: &Generator,
    mixture: &Mixture,
    eval_sets: &[(String, ImageSet)],
    cfg: &GeneratorTrainConfig,
    reader: Option<&Reader>,
    control: &RunControl,
    mut on_event: impl FnMut(&TrainEvent, &Generator, &LatentStats) -> Result<()>,
) -> Result<LatentStats> {
    let base = &cfg.base;
    if base.batch == 0 || base.epoch_size == 0 {
        return Err(Error::Invalid("batch and epoch size must be positive".into()));
    }
    let params = ParamsAdamW { lr: base.lr, weight_decay: base.weight_decay, ..Default::default() };
    let mut opt = FastAdamW::new(model.varmap().all_vars(), params)?;
    let steps = base.steps_per_epoch();
    let side = model.arch.side;
    let latent = model.arch.latent;
    let mut stats = LatentStats::standard(latent);
    on_event(
        &TrainEvent::Started {
            model: "generator".into(),
            total_epochs: base.epochs,
            steps_per_epoch: steps,
            start_epoch: base.start_epoch,
            batch: base.batch,
            parameters: model.parameter_count(),
            held_out: eval_sets.iter().map(|(n, s)| (n.clone(), s.len())).collect(),
        },
        model,
        &stats,
    )?;
    for epoch in base.start_epoch..base.epochs {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Vec<(Vec<f32>, usize)>>>(4);
        let epoch_seed = base.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(epoch as u64);
        let mut noise = rand_chacha::ChaCha8Rng::seed_from_u64(epoch_seed ^ 0x5A5A);
        let result = std::thread::scope(|scope| -> Result<(f32, f32, f32)> {
            scope.spawn(move || {
                let k = cfg.style_group.max(1);
                for step in 0..steps {
                    // Groups of 1 to k images, (k + 1) / 2 on average.
                    let groups = (2 * base.batch).div_ceil(k + 1);
                    let batch = mixture.style_batch(epoch_seed, step as u64, groups, k, side, GENERATOR_AUGMENT);
                    if control.is_stopped() || tx.send(batch).is_err() {
                        break;
                    }
                }
            });
            let start = Instant::now();
            let mut paused = std::time::Duration::ZERO;
            let (mut loss_sum, mut seen) = (0f64, 0usize);
            for step in 0..steps {
                paused += control.wait_while_paused();
                if control.is_stopped() {
                    break;
                }
                let Ok(groups) = rx.recv() else { break };
                let sizes: Vec<usize> = groups.iter().map(Vec::len).collect();
                let batch: Vec<&(Vec<f32>, usize)> = groups.iter().flatten().collect();
                let refs: Vec<&[f32]> = batch.iter().map(|(x, _)| x.as_slice()).collect();
                let classes: Vec<usize> = batch.iter().map(|(_, c)| *c).collect();
                let x = model.batch_tensor(&refs)?;
                let oh = model.one_hot(&classes)?;
                let eps = gauss_tensor(&mut noise, groups.len(), latent, model)?;
                let global = epoch * steps + step;
                let lr = base.lr_at(global);
                opt.set_learning_rate(lr);
                let members = group_members(&sizes, model.device())?;
                let l = model.group_loss(&x, &oh, &members, &eps, cfg.beta_at(global), cfg.free_bits)?;
                let objective = match reader {
                    Some(r) if cfg.read_weight > 0.0 => {
                        // A quarter as many samples from N(0, I) as images: enough to keep every
                        // latent writing the asked letter, at a quarter of the decoder's cost.
                        let prior_n = (batch.len() / 4).max(1);
                        let prior_classes: Vec<usize> = (0..prior_n).map(|_| noise.random_range(0..NUM_CLASSES)).collect();
                        let z = gauss_tensor(&mut noise, prior_n, latent, model)?;
                        let prior_logits = model.decode_logits(&z, &model.one_hot(&prior_classes)?)?;
                        let read = (r.cross_entropy(&l.logits, &classes)? + r.cross_entropy(&prior_logits, &prior_classes)?)?;
                        (&l.vae.objective + read.affine(cfg.read_weight / 2.0, 0.0)?)?
                    }
                    _ => l.vae.objective.clone(),
                };
                let loss_v = objective.to_scalar::<f32>()?;
                if !loss_v.is_finite() || loss_v > 1e7 {
                    return Err(Error::Invalid(format!(
                        "training diverged at epoch {} step {step} (loss {loss_v}); lower the learning rate",
                        epoch + 1
                    )));
                }
                opt.backward_step(&objective)?;
                seen += batch.len();
                loss_sum += f64::from(loss_v) * batch.len() as f64;
                let secs = start.elapsed().saturating_sub(paused).as_secs_f32().max(1e-6);
                on_event(
                    &TrainEvent::Progress { epoch, step, steps, loss: loss_v, lr, warming_up: base.warming_up(epoch * steps + step), images_per_sec: seen as f32 / secs },
                    model,
                    &stats,
                )?;
            }
            drop(rx);
            let secs = start.elapsed().saturating_sub(paused).as_secs_f32();
            Ok(((loss_sum / seen.max(1) as f64) as f32, seen as f32 / secs.max(1e-6), secs))
        });
        let (train_loss, images_per_sec, seconds) = result?;
        if control.is_stopped() {
            break;
        }
        let evals = eval_sets.iter().map(|(_, set)| evaluate_generator(model, set)).collect::<Result<Vec<_>>>()?;
        stats = latent_stats(&evals, latent, cfg.style_group <= 1);
        let held_out = held_out_figures(eval_sets, &evals);
        on_event(
            &TrainEvent::EpochEnd { epoch, train_loss, train_accuracy: f32::NAN, held_out, seconds, images_per_sec },
            model,
            &stats,
        )?;
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{FontSource, Source, Split};
    use crate::ink::InkImage;
    use crate::models::generator::GeneratorArchitecture;
    use candle_core::Device;

    #[test]
    fn the_reader_sees_what_predict_sees_and_reads_it() {
        // A clean font render at 64x64, given as logits: the reader's input is the recognizer's
        // own preprocessing of it (up to the level and speck rules), and it is read right.
        let src = FontSource::new(Split::Test);
        let (img, class) = src.eval_ink(64, GENERATOR_EVAL_AUGMENT).into_iter().nth(40).unwrap();
        let boxed = crate::ink::preprocess::boxed_input(&img, 64);
        let logits: Vec<f32> = boxed.iter().map(|&p| { let p = p.clamp(1e-4, 1.0 - 1e-4); (p / (1.0 - p)).ln() }).collect();
        let ck = crate::models::Checkpoint::bundled(&Device::Cpu).unwrap();
        let reader = Reader::new(ck.model, 64).unwrap();
        let t = Tensor::from_vec(logits, (1, 64 * 64), &Device::Cpu).unwrap();
        let got = reader.input(&t).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let want = crate::ink::model_input(&InkImage { width: 64, height: 64, data: boxed });
        let worst = got.iter().zip(want.iter()).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(worst < 0.15, "largest pixel difference {worst}");
        let right = reader.cross_entropy(&t, &[class]).unwrap().to_scalar::<f32>().unwrap();
        let wrong = reader.cross_entropy(&t, &[(class + 1) % NUM_CLASSES]).unwrap().to_scalar::<f32>().unwrap();
        assert!(right < 0.5 && wrong > 3.0, "{right} {wrong}");
        let m = area_matrix(64, 28);
        for row in m.chunks(64) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5, "each output pixel averages its area");
        }
    }

    #[test]
    fn beta_warms_up_to_one() {
        let cfg = GeneratorTrainConfig {
            base: TrainConfig { epochs: 2, epoch_size: 1000, batch: 10, ..TrainConfig::default() },
            beta: 1.0,
            kl_warmup_fraction: 0.1,
            ..Default::default()
        };
        assert!(cfg.beta_at(0) < 0.1);
        assert!((cfg.beta_at(19) - 1.0).abs() < 1e-9);
        assert!((cfg.beta_at(150) - 1.0).abs() < 1e-9);
        let fixed = GeneratorTrainConfig { beta: 2.0, kl_warmup_fraction: 0.0, ..cfg };
        assert!((fixed.beta_at(0) - 2.0).abs() < 1e-9);
    }

    /// A short run on real font renders at 32x32: the held-out −ELBO falls well below that of the
    /// untrained network and reconstructions beat the mean image.
    #[test]
    fn a_short_run_learns_and_reconstructs_better_than_the_mean_image() {
        let arch = GeneratorArchitecture { side: 32, latent: 8, encoder_channels: vec![8, 16], decoder_channels: vec![16, 8], hidden: 64, ..GeneratorArchitecture::default() };
        let model = Generator::new_seeded(arch, &Device::Cpu, 1).unwrap();
        let mixture = Mixture::new(vec![(Box::new(FontSource::new(Split::Train)) as Box<dyn Source>, 1.0)]);
        let test = FontSource::new(Split::Test);
        let set: ImageSet = test
            .eval_ink(32, GENERATOR_EVAL_AUGMENT)
            .into_iter()
            .step_by(7)
            .map(|(img, c)| (crate::ink::preprocess::boxed_input(&img, 32), c))
            .collect();
        let before = evaluate_generator(&model, &set).unwrap().neg_elbo;
        let cfg = GeneratorTrainConfig {
            base: TrainConfig { epochs: 3, epoch_size: 4096, batch: 32, lr: 3e-3, weight_decay: 0.0, seed: 3, ..TrainConfig::default() },
            ..Default::default()
        };
        let control = RunControl::default();
        let mut events = Vec::new();
        let stats = train_generator(&model, &mixture, &[("fonts:test".into(), set.clone())], &cfg, None, &control, |e, _, _| {
            events.push(e.clone());
            Ok(())
        })
        .unwrap();
        let after = evaluate_generator(&model, &set).unwrap();
        println!("held-out -ELBO {before:.1} -> {:.1} (rec {:.1}, kl {:.2})", after.neg_elbo, after.reconstruction, after.kl);
        assert!(after.neg_elbo < 0.6 * before, "{before} -> {}", after.neg_elbo);
        assert!(matches!(events.first(), Some(TrainEvent::Started { .. })));
        assert_eq!(events.iter().filter(|e| matches!(e, TrainEvent::EpochEnd { .. })).count(), 3);
        assert!(!stats.active_dims().is_empty(), "the latent space is used: {:?}", stats.kl_per_dim);
        // Reconstruction (decoding μ) against the mean image of the set, in squared error.
        let n = 32 * 32;
        let mut mean = vec![0f32; n];
        for (x, _) in &set {
            for (m, v) in mean.iter_mut().zip(x) {
                *m += v / set.len() as f32;
            }
        }
        let refs: Vec<&[f32]> = set.iter().map(|(x, _)| x.as_slice()).collect();
        let classes: Vec<usize> = set.iter().map(|(_, c)| *c).collect();
        let x = model.batch_tensor(&refs).unwrap();
        let oh = model.one_hot(&classes).unwrap();
        let (mu, _) = model.encode(&x, &oh).unwrap();
        let rec = model.decode(&mu, &oh).unwrap().to_vec2::<f32>().unwrap();
        let sq = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum::<f32>();
        let err_rec: f32 = set.iter().zip(&rec).map(|((x, _), r)| sq(x, r)).sum();
        let err_mean: f32 = set.iter().map(|(x, _)| sq(x, &mean)).sum();
        println!("squared error: reconstruction {err_rec:.0}, mean image {err_mean:.0}");
        assert!(err_rec < 0.98 * err_mean, "{err_rec} vs {err_mean}");
    }

    #[test]
    fn divergence_stops_the_run_with_a_message() {
        let arch = GeneratorArchitecture { side: 16, latent: 4, encoder_channels: vec![4, 4], decoder_channels: vec![4, 4], hidden: 8, ..GeneratorArchitecture::default() };
        let model = Generator::new_seeded(arch, &Device::Cpu, 1).unwrap();
        let mixture = Mixture::new(vec![(Box::new(FontSource::new(Split::Train)) as Box<dyn Source>, 1.0)]);
        let cfg = GeneratorTrainConfig {
            base: TrainConfig { epochs: 1, epoch_size: 640, batch: 32, lr: 1e9, warmup_fraction: 0.0, ..TrainConfig::default() },
            ..Default::default()
        };
        let e = train_generator(&model, &mixture, &[], &cfg, None, &RunControl::default(), |_, _, _| Ok(()))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("diverged"), "{e}");
    }
}
