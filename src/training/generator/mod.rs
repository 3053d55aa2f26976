//! The generator's part of training: its settings (the VAE objective), its step (Bernoulli
//! reconstruction + β·KL on style groups, β above 1 so the latent keeps the style and the label
//! keeps the letter, optionally warmed up from 0, free bits per latent dimension, and the frozen
//! reader's cross-entropy on what it writes), its validation (the held-out −ELBO and fresh latent
//! statistics) and its checkpoints, for the one loop in [`crate::training::learner`].

pub mod distill;
pub mod eval;
pub mod quality;
pub mod reader;
pub mod run;

pub use eval::{evaluate_generator, held_out_figures, latent_stats, sample_logits, GeneratorEval, ImageSet};
pub use reader::{area_matrix, Reader};

use super::config::TrainConfig;
use super::events::{mean_metric, HeldOut};
use super::learner::{BatchFeed, ModelKind, StepOutput, TrainStep, ValidStep};
use super::metrics::EvalReport;
use super::session::RunPlan;
use super::trainee::Trainee;
use crate::data::augment::Augment;
use crate::data::classes::NUM_CLASSES;
use crate::data::spec::open_mixture;
use crate::data::{Mixture, Split};
use crate::error::Result;
use crate::models::generator::{group_members, Generator, GeneratorArchitecture, GeneratorSidecar, LatentStats};
use crate::models::recognizer::TrainingRecord;
use eval::gauss_tensor;
use rand::{Rng, SeedableRng};

/// How generator training data is augmented: full shape variation, no raster noise.
pub const GENERATOR_AUGMENT: Augment = Augment::SHAPE;
/// How generator held-out data is rendered: half-strength shape variation, no raster noise.
pub const GENERATOR_EVAL_AUGMENT: Augment = Augment { strength: 0.5, ..Augment::SHAPE };

/// A step loss above this is taken as divergence.
const EXPLODED_LOSS: f32 = 1e7;

/// The generator's own training settings (the VAE objective).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeneratorConfig {
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
    /// Weight of the frozen recognizer's cross-entropy on what the generator writes (nats per
    /// image, half of it on each of: the reconstructions, samples decoded from N(0, I), and other
    /// letters decoded in the styles of the batch's groups): the decoder is told when what it
    /// writes reads as another letter. 0 turns it off.
    pub read_weight: f64,
    /// The sharpness at which the reader reads what the generator writes (pixels decoded as
    /// `sigmoid(k · logit)`, as the sidecar's sharpness decodes them): above 1 the decoder learns
    /// to write letters that still read right when decoded sharp, instead of leaving the parts
    /// it is unsure of (a small dakuten, the ends of strokes) grey.
    pub read_sharpness: f32,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig { beta: 2.0, kl_warmup_fraction: 0.0, free_bits: 0.05, style_group: 4, read_weight: 40.0, read_sharpness: 2.5 }
    }
}

/// `n` letters to decode for the reader (from the prior or in a group's style). Kana with a
/// dakuten or handakuten (58 of the 180) have the hardest part to write, their small mark: with
/// probability 116/238 (0.49) the letter is one of them, otherwise any kana, so about two letters
/// in three carry a mark and each marked kana is drawn about four times as often as another.
fn draw_letters(rng: &mut impl Rng, n: usize) -> Vec<usize> {
    let marked: Vec<usize> = crate::data::classes::all().iter().filter(|k| k.has_voicing_mark()).map(|k| k.index).collect();
    let share = 2.0 * marked.len() as f64 / (NUM_CLASSES + marked.len()) as f64;
    (0..n)
        .map(|_| {
            let pick = if rng.random_bool(share) { marked.get(rng.random_range(0..marked.len().max(1))).copied() } else { None };
            pick.unwrap_or_else(|| rng.random_range(0..NUM_CLASSES))
        })
        .collect()
}

impl GeneratorConfig {
    /// The generator's default schedule: the shared defaults with a lower learning rate, a
    /// smaller batch and no weight decay.
    pub fn schedule() -> TrainConfig {
        TrainConfig { lr: 1e-3, batch: 64, weight_decay: 0.0, ..TrainConfig::default() }
    }

    /// The KL weight β at global step `step` of a run scheduled as `cfg`.
    pub fn beta_at(&self, cfg: &TrainConfig, step: usize) -> f64 {
        let warm = self.kl_warmup_fraction * cfg.total_steps() as f64;
        if warm < 1.0 {
            self.beta
        } else {
            self.beta * ((step as f64 + 1.0) / warm).min(1.0)
        }
    }
}

/// Style groups of images from a mixture of sources.
pub struct GeneratorFeed {
    /// The training data.
    pub mixture: Mixture,
    /// Images per batch, on average.
    pub batch: usize,
    /// Most images per style group.
    pub style_group: usize,
    /// Image side.
    pub side: usize,
}

impl BatchFeed for GeneratorFeed {
    type Batch = Vec<ImageSet>;

    fn batch(&self, epoch_seed: u64, step: u64) -> Vec<ImageSet> {
        let k = self.style_group.max(1);
        // Groups of 1 to k images, (k + 1) / 2 on average.
        let groups = (2 * self.batch).div_ceil(k + 1);
        self.mixture.style_batch(epoch_seed, step, groups, k, self.side, GENERATOR_AUGMENT)
    }
}

/// The generator in training: the network, its held-out sets, the reader, the noise and the
/// latent statistics of the last finished epoch.
pub struct GeneratorStep {
    /// The network trained.
    pub model: Generator,
    /// Held-out sets by name.
    pub eval_sets: Vec<(String, ImageSet)>,
    /// Its settings.
    pub config: GeneratorConfig,
    /// The run's schedule (β warms up over it).
    pub schedule: TrainConfig,
    /// The frozen recognizer that reads what it writes, when [`GeneratorConfig::read_weight`] is used.
    pub reader: Option<Reader>,
    /// Latent statistics of the last finished epoch (standard before the first).
    pub stats: LatentStats,
    noise: rand_chacha::ChaCha8Rng,
    /// The recognizer that checks random styles after each epoch ([`TRAINING_STYLE_CHECKS`]).
    style_judge: Option<crate::models::CpuRecognizer>,
    /// The generator this one learns to write like, in a distillation run ([`distill`]).
    teacher: Option<distill::Teacher>,
}

/// Random styles a style-only generator's training checks after each epoch (each written as all
/// 180 kana and read by the bundled recognizer; those read right become the sidecar's checked
/// styles, as `fude fit-latent --check-styles` makes them): about 10 s on one 2-core machine.
pub const TRAINING_STYLE_CHECKS: usize = 48;

impl GeneratorStep {
    /// A step training `model` as `config` says, evaluated on `eval_sets`.
    pub fn new(model: Generator, eval_sets: Vec<(String, ImageSet)>, config: GeneratorConfig, schedule: TrainConfig, reader: Option<Reader>) -> Self {
        let stats = LatentStats::standard(model.arch.latent);
        GeneratorStep { model, eval_sets, config, schedule, reader, stats, noise: rand_chacha::ChaCha8Rng::seed_from_u64(0), style_judge: None, teacher: None }
    }

    /// The same step, checking random styles with `judge` after each epoch.
    pub fn with_style_judge(self, judge: crate::models::CpuRecognizer) -> Self {
        GeneratorStep { style_judge: Some(judge), ..self }
    }

    /// The same step, learning to write like `teacher` ([`distill`]).
    pub fn with_teacher(self, teacher: distill::Teacher) -> Self {
        GeneratorStep { teacher: Some(teacher), ..self }
    }

    /// The sharpness its pictures are decoded at: a teacher's, else the one the reader read them
    /// at in training (1, the Bernoulli mean, without a reader).
    pub fn sharpness(&self) -> f32 {
        let range = crate::models::generator::checkpoint::SHARPNESS_RANGE;
        match (&self.teacher, &self.reader) {
            (Some(t), _) => t.sharpness(),
            (None, Some(_)) => self.config.read_sharpness.clamp(*range.start(), *range.end()),
            (None, None) => 1.0,
        }
    }

    fn evals(&self) -> Result<Vec<GeneratorEval>> {
        self.eval_sets.iter().map(|(_, set)| evaluate_generator(&self.model, set)).collect()
    }
}

impl TrainStep for GeneratorStep {
    type Arch = GeneratorArchitecture;
    type Batch = Vec<ImageSet>;
    const KIND: ModelKind = ModelKind::Generator;

    fn model(&self) -> &Generator {
        &self.model
    }

    fn begin_epoch(&mut self, epoch_seed: u64) {
        self.noise = rand_chacha::ChaCha8Rng::seed_from_u64(epoch_seed ^ 0x5A5A);
    }

    fn step(&mut self, groups: Vec<ImageSet>, global_step: usize) -> Result<StepOutput> {
        if self.teacher.is_some() {
            let n = self.schedule.batch.max(1);
            return Ok(StepOutput { loss: self.distill_step(n)?, samples: n, correct: None });
        }
        let (model, latent) = (&self.model, self.model.arch.latent);
        let sizes: Vec<usize> = groups.iter().map(Vec::len).collect();
        let batch: Vec<&(Vec<f32>, usize)> = groups.iter().flatten().collect();
        let refs: Vec<&[f32]> = batch.iter().map(|(x, _)| x.as_slice()).collect();
        let classes: Vec<usize> = batch.iter().map(|(_, c)| *c).collect();
        let x = model.batch_tensor(&refs)?;
        let oh = model.one_hot(&classes)?;
        let eps = gauss_tensor(&mut self.noise, groups.len(), latent, model)?;
        let members = group_members(&sizes, model.device())?;
        let l = model.group_loss(&x, &oh, &members, &eps, self.config.beta_at(&self.schedule, global_step), self.config.free_bits)?;
        let objective = match &self.reader {
            Some(r) if self.config.read_weight > 0.0 => {
                // A quarter as many samples from N(0, I) as images: enough to keep every
                // latent writing the asked letter, at a quarter of the decoder's cost.
                let prior_n = (batch.len() / 4).max(1);
                let prior_classes = draw_letters(&mut self.noise, prior_n);
                let z = gauss_tensor(&mut self.noise, prior_n, latent, model)?;
                let prior_logits = model.decode_logits(&z, &model.one_hot(&prior_classes)?)?;
                // As many other letters written in the styles of the batch's groups: a style
                // must write every letter, not only those it was seen with (style sheets).
                let rows: Vec<u32> = (0..prior_n).map(|_| self.noise.random_range(0..groups.len().max(1)) as u32).collect();
                let z_other = l.styles.index_select(&candle_core::Tensor::from_vec(rows, prior_n, model.device())?, 0)?;
                let other_classes = draw_letters(&mut self.noise, prior_n);
                let other_logits = model.decode_logits(&z_other, &model.one_hot(&other_classes)?)?;
                let k = self.config.read_sharpness;
                let read = (r.cross_entropy(&l.logits, &classes, k)?
                    + r.cross_entropy(&prior_logits, &prior_classes, k)?
                    + r.cross_entropy(&other_logits, &other_classes, k)?)?;
                (&l.vae.objective + read.affine(self.config.read_weight / 2.0, 0.0)?)?
            }
            _ => l.vae.objective.clone(),
        };
        Ok(StepOutput { loss: objective, samples: batch.len(), correct: None })
    }

    fn divergence_limit(&self, _first_loss: f32) -> f32 {
        EXPLODED_LOSS
    }
}

impl ValidStep for GeneratorStep {
    fn held_out_sizes(&self) -> Vec<(String, usize)> {
        self.eval_sets.iter().map(|(n, s)| (n.clone(), s.len())).collect()
    }

    fn measure(&self) -> Result<Vec<HeldOut>> {
        Ok(held_out_figures(&self.eval_sets, &self.evals()?))
    }

    fn validate(&mut self) -> Result<Vec<HeldOut>> {
        let evals = self.evals()?;
        self.stats = latent_stats(&evals, self.model.arch.latent, self.config.style_group <= 1);
        if let Some(judge) = &self.style_judge {
            use quality::{checked_styles, StyleSearch, KEPT_STYLES, STYLE_DRAWS, STYLE_SEED};
            let decoder = crate::models::generator::cpu_decode::CpuDecoder::new(&self.model)?;
            let search = StyleSearch { candidates: TRAINING_STYLE_CHECKS, max_misses: 0, keep: KEPT_STYLES, draws: STYLE_DRAWS, seed: STYLE_SEED };
            self.stats.styles = checked_styles(&decoder, self.sharpness(), &self.stats, judge, search)?.0;
        }
        Ok(held_out_figures(&self.eval_sets, &evals))
    }
}

impl Trainee for GeneratorStep {
    type Feed = GeneratorFeed;
    const BUNDLED: &'static str = "the bundled generator";
    const NOT_FINITE: &'static str = "the weights or the held-out -ELBO are no longer finite";

    fn scratch(plan: &RunPlan) -> Result<Generator> {
        let mut arch = GeneratorArchitecture::for_side(run::side_for(&plan.data));
        if let Some(d) = &plan.distill {
            arch.decoder_channels = d.decoder_channels.clone();
            arch.validate()?;
        }
        Generator::new_seeded(arch, &plan.device, plan.cfg.seed)
    }

    fn prepare(plan: &RunPlan, model: Generator) -> Result<(Self, GeneratorFeed)> {
        let mixture = open_mixture(&plan.data, Split::Train, plan.open)?;
        let side = model.arch.side;
        let eval_sets = run::held_out_images(&plan.data, plan.open, side)?;
        let config = plan.generator;
        let reader = if config.read_weight > 0.0 {
            Some(Reader::new(crate::models::Checkpoint::bundled(&plan.device)?.model, side)?)
        } else {
            None
        };
        // A distillation run learns from its teacher's pictures: the feed renders no images.
        let teacher = match &plan.distill {
            Some(d) => {
                let ck = d.load_teacher()?;
                if matches!(plan.init, crate::training::session::Init::Scratch) {
                    distill::copy_shared(&ck.model, &model)?;
                }
                Some(distill::Teacher::new(&ck, &model)?)
            }
            None => None,
        };
        let feed_batch = if teacher.is_some() { 0 } else { plan.cfg.batch };
        let feed = GeneratorFeed { mixture, batch: feed_batch, style_group: config.style_group, side };
        let mut step = GeneratorStep::new(model, eval_sets, config, plan.cfg.clone(), reader);
        if let Some(t) = teacher {
            step = step.with_teacher(t);
        }
        // A style-only generator's sidecar lists the random styles it writes every kana right in.
        if config.style_group > 1 {
            if let Ok(ck) = crate::models::Checkpoint::bundled(&candle_core::Device::Cpu) {
                step = step.with_style_judge(crate::models::CpuRecognizer::new(&ck.model)?);
            }
        }
        Ok((step, feed))
    }

    fn settings(plan: &RunPlan) -> Vec<(&'static str, String)> {
        let g = &plan.generator;
        let (read_terms, likelihood, augmentation) = match plan.distill {
            Some(_) => (
                "the student's pictures of the distilled (latent, class) pairs",
                "Bernoulli KL from the teacher's pictures, both at the teacher's sharpness",
                "none: no image is rendered, the teacher's pictures are the data",
            ),
            None => (
                "reconstructions, N(0, I) samples, other letters in each group's style",
                "Bernoulli on ink intensity",
                "shape only (geometry, elastic, pen width, jitter); no raster noise",
            ),
        };
        vec![
            ("kl_warmup_fraction", g.kl_warmup_fraction.to_string()),
            ("free_bits", g.free_bits.to_string()),
            ("beta", g.beta.to_string()),
            ("style_group", g.style_group.to_string()),
            ("read_weight", g.read_weight.to_string()),
            ("read_sharpness", g.read_sharpness.to_string()),
            ("read_terms", read_terms.to_string()),
            ("checked_styles", if g.style_group > 1 { format!("{TRAINING_STYLE_CHECKS} random styles after each epoch") } else { "none".to_string() }),
            ("likelihood", likelihood.to_string()),
            ("augmentation", augmentation.to_string()),
        ]
        .into_iter()
        .chain(plan.distill.iter().flat_map(|d| {
            [
                ("distill_from", d.teacher_name()),
                ("decoder_channels", d.decoder_channels.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")),
            ]
        }))
        .collect()
    }

    fn sidecar(&self, training: TrainingRecord, held_out: &[HeldOut]) -> GeneratorSidecar {
        let mut sidecar = GeneratorSidecar::new(self.model.arch.clone(), self.stats.clone(), training);
        sidecar.metrics = held_out.iter().cloned().collect();
        sidecar.sharpness = self.sharpness();
        sidecar
    }

    fn held_out_finite(held_out: &[HeldOut]) -> bool {
        held_out.is_empty() || mean_metric(held_out, "neg_elbo").is_finite()
    }

    fn into_reports(self) -> Vec<EvalReport> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{FontSource, Source};
    use crate::training::events::{RunControl, TrainEvent};
    use crate::training::learner::fit;
    use candle_core::Device;

    #[test]
    fn letters_for_the_reader_favour_kana_with_marks() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let drawn = draw_letters(&mut rng, 20_000);
        assert!(drawn.iter().all(|&c| c < NUM_CLASSES));
        let marked = |c: usize| crate::data::classes::get(c).is_some_and(|k| k.has_voicing_mark());
        let share = drawn.iter().filter(|&&c| marked(c)).count() as f64 / drawn.len() as f64;
        // 116 / 238 a marked kana, else any of the 180 (58 marked): 0.487 + 0.513 · 58 / 180.
        let want = 116.0 / 238.0 + (1.0 - 116.0 / 238.0) * 58.0 / 180.0;
        assert!((share - want).abs() < 0.02, "{share} vs {want}");
        let mut seen = [false; NUM_CLASSES];
        drawn.iter().for_each(|&c| seen[c] = true);
        assert!(seen.iter().all(|&s| s), "every class is still drawn");
    }

    #[test]
    fn beta_warms_up_to_one() {
        let schedule = TrainConfig { epochs: 2, epoch_size: 1000, batch: 10, ..TrainConfig::default() };
        let cfg = GeneratorConfig { beta: 1.0, kl_warmup_fraction: 0.1, ..Default::default() };
        assert!(cfg.beta_at(&schedule, 0) < 0.1);
        assert!((cfg.beta_at(&schedule, 19) - 1.0).abs() < 1e-9);
        assert!((cfg.beta_at(&schedule, 150) - 1.0).abs() < 1e-9);
        let fixed = GeneratorConfig { beta: 2.0, kl_warmup_fraction: 0.0, ..cfg };
        assert!((fixed.beta_at(&schedule, 0) - 2.0).abs() < 1e-9);
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
        let cfg = TrainConfig { epochs: 3, epoch_size: 4096, batch: 32, lr: 3e-3, weight_decay: 0.0, seed: 3, ..TrainConfig::default() };
        let mut step = GeneratorStep::new(model, vec![("fonts:test".into(), set.clone())], GeneratorConfig::default(), cfg.clone(), None);
        let feed = GeneratorFeed { mixture, batch: cfg.batch, style_group: step.config.style_group, side: 32 };
        let control = RunControl::default();
        let mut events = Vec::new();
        fit(&mut step, &feed, &cfg, &control, |e, _| {
            events.push(e.clone());
            Ok(())
        })
        .unwrap();
        let (model, stats) = (&step.model, &step.stats);
        let after = evaluate_generator(model, &set).unwrap();
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

    /// One step with the reader: every read term (reconstructions, prior samples, other letters
    /// in the groups' styles) runs, and the loss is finite and above the VAE's own.
    #[test]
    fn a_step_with_the_reader_reads_every_term() {
        let arch = GeneratorArchitecture { side: 32, latent: 4, encoder_channels: vec![4, 8], decoder_channels: vec![8, 4], hidden: 16, ..GeneratorArchitecture::default() };
        let model = Generator::new_seeded(arch.clone(), &Device::Cpu, 2).unwrap();
        let twin = Generator::new_seeded(arch, &Device::Cpu, 2).unwrap();
        let reader = Reader::new(crate::models::Checkpoint::bundled(&Device::Cpu).unwrap().model, 32).unwrap();
        let mixture = Mixture::new(vec![(Box::new(FontSource::new(Split::Train)) as Box<dyn Source>, 1.0)]);
        let cfg = TrainConfig { epochs: 1, epoch_size: 64, batch: 16, ..TrainConfig::default() };
        let config = GeneratorConfig { read_sharpness: 2.5, ..GeneratorConfig::default() };
        let feed = GeneratorFeed { mixture, batch: cfg.batch, style_group: config.style_group, side: 32 };
        let groups = feed.batch(1, 0);
        let mut with = GeneratorStep::new(model, Vec::new(), config, cfg.clone(), Some(reader));
        let mut without = GeneratorStep::new(twin, Vec::new(), config, cfg, None);
        let a = with.step(groups.clone(), 0).unwrap().loss.to_scalar::<f32>().unwrap();
        let b = without.step(groups, 0).unwrap().loss.to_scalar::<f32>().unwrap();
        assert!(a.is_finite() && a > b, "with the reader {a}, without {b}");
    }

    #[test]
    fn divergence_stops_the_run_with_a_message() {
        let arch = GeneratorArchitecture { side: 16, latent: 4, encoder_channels: vec![4, 4], decoder_channels: vec![4, 4], hidden: 8, ..GeneratorArchitecture::default() };
        let model = Generator::new_seeded(arch, &Device::Cpu, 1).unwrap();
        let mixture = Mixture::new(vec![(Box::new(FontSource::new(Split::Train)) as Box<dyn Source>, 1.0)]);
        let cfg = TrainConfig { epochs: 1, epoch_size: 640, batch: 32, lr: 1e9, warmup_fraction: 0.0, ..TrainConfig::default() };
        let mut step = GeneratorStep::new(model, Vec::new(), GeneratorConfig::default(), cfg.clone(), None);
        let feed = GeneratorFeed { mixture, batch: cfg.batch, style_group: step.config.style_group, side: 16 };
        let e = fit(&mut step, &feed, &cfg, &RunControl::default(), |_, _| Ok(()))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("diverged"), "{e}");
    }
}
