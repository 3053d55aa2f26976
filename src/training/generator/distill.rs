//! Distillation: a generator with a thinner decoder learns to write what a trained generator (its
//! teacher) writes. The student keeps the teacher's encoder and every other layer whose shape
//! it shares (so its latent space, its styles and the sliders mean the same), and its decoder is
//! trained on (latent, class) pairs drawn the way the app draws them: each step, the teacher
//! decodes them at the sidecar's sharpness and the student is taught those pixels (the Bernoulli
//! KL between the two pictures, summed over pixels), plus the frozen reader's cross-entropy on
//! what the student writes. No image is rendered: the teacher is the data. A thinner decoder
//! decodes a style sheet faster (issue 22's speed target).

use super::{draw_letters, GeneratorStep};
use crate::data::classes::NUM_CLASSES;
use crate::error::{Error, Result};
use crate::models::generator::cpu_decode::CpuDecoder;
use crate::models::generator::network::bce_with_logits;
use crate::models::generator::{Generator, GeneratorCheckpoint, LatentStats};
use candle_core::{Device, Tensor};
use rand::Rng;
use std::path::{Path, PathBuf};

/// A run that distils a generator into one with other decoder channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distillation {
    /// The teacher's checkpoint (`None`: the bundled generator).
    pub teacher: Option<PathBuf>,
    /// The student's decoder channels, one per stage (as many stages as the teacher's).
    pub decoder_channels: Vec<usize>,
}

impl Distillation {
    /// A distillation from the teacher named `teacher` (`bundled` or a checkpoint's path) into
    /// the decoder channels `channels` (`32,16,8`), as the command line and a run's settings
    /// give them ([`Distillation::teacher_name`] writes the name back).
    pub fn parse(teacher: &Path, channels: &str) -> Result<Self> {
        let teacher = crate::models::named_checkpoint(teacher).map(Path::to_path_buf);
        Ok(Distillation { teacher, decoder_channels: Self::parse_channels(channels)? })
    }

    /// How the teacher is named in settings and on the command line (`bundled` or its path).
    pub fn teacher_name(&self) -> String {
        self.teacher.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| crate::models::BUNDLED_NAME.into())
    }

    /// Parses `--decoder-channels` (`32,16,8`): 1 to 4 stages of 1 to 1024 channels.
    fn parse_channels(s: &str) -> Result<Vec<usize>> {
        let bad = || Error::Invalid(format!("decoder channels {s:?}: give 1 to 4 numbers from 1 to 1024, such as 32,16,8"));
        let v: Vec<usize> = s.split(',').map(|p| p.trim().parse::<usize>().map_err(|_| bad())).collect::<Result<_>>()?;
        if v.is_empty() || v.len() > 4 || v.iter().any(|&c| c == 0 || c > 1024) {
            return Err(bad());
        }
        Ok(v)
    }

    /// Loads the teacher.
    pub fn load_teacher(&self) -> Result<GeneratorCheckpoint> {
        GeneratorCheckpoint::load_or_bundled(self.teacher.as_deref(), &Device::Cpu)
    }
}

/// The teacher as a step uses it: its fast decoder, its latent statistics (checked styles
/// included) and the sharpness its pictures are read at.
pub struct Teacher {
    decoder: CpuDecoder,
    stats: LatentStats,
    sharpness: f32,
}

impl Teacher {
    /// The teacher of a loaded checkpoint, for a student of the same image side and latent.
    pub fn new(ck: &GeneratorCheckpoint, student: &Generator) -> Result<Self> {
        let (t, s) = (&ck.model.arch, &student.arch);
        if t.side != s.side || t.latent != s.latent || t.stages() != s.stages() {
            return Err(Error::ModelMismatch(format!(
                "the teacher writes {}x{} pictures from {} latent values in {} stages; the student {}x{} from {} in {}",
                t.side,
                t.side,
                t.latent,
                t.stages(),
                s.side,
                s.side,
                s.latent,
                s.stages()
            )));
        }
        Ok(Teacher { decoder: CpuDecoder::new(&ck.model)?, stats: ck.sidecar.latent.clone(), sharpness: ck.sidecar.sharpness })
    }

    /// The teacher's sharpness (the student's sidecar decodes at it too).
    pub fn sharpness(&self) -> f32 {
        self.sharpness
    }

    /// `n` (class, latent) pairs to teach: half the classes drawn evenly, half favouring kana
    /// with a (han)dakuten; half the latents around one of the teacher's checked styles (what
    /// Random and generate write), half from N(0, s²·I) with s from 0.5 to 1.5 (the sliders' whole
    /// range and the encodings of pictures, style sheets' and style transfer's latents).
    pub fn jobs(&self, rng: &mut impl Rng, n: usize) -> Vec<(usize, Vec<f32>)> {
        let marked = draw_letters(rng, n - n / 2);
        let classes: Vec<usize> = (0..n / 2).map(|_| rng.random_range(0..NUM_CLASSES)).chain(marked).collect();
        let latent = self.stats.len();
        classes
            .into_iter()
            .map(|c| {
                let style = if rng.random_bool(0.5) && !self.stats.styles.is_empty() {
                    self.stats.styles.get(rng.random_range(0..self.stats.styles.len()))
                } else {
                    None
                };
                let z = match style {
                    Some(s) => self.stats.around_style(rng, s, c, 1.0),
                    None => {
                        let scale = rng.random_range(0.5f32..1.5);
                        (0..latent).map(|_| scale * crate::data::augment::gauss(rng)).collect()
                    }
                };
                (c, z)
            })
            .collect()
    }

    /// The teacher's pictures of `jobs`, `sigmoid(sharpness · logit)`, as one `(n, side²)` tensor.
    pub fn targets(&self, jobs: &[(usize, Vec<f32>)], device: &Device) -> Result<Tensor> {
        let refs: Vec<(usize, &[f32])> = jobs.iter().map(|(c, z)| (*c, z.as_slice())).collect();
        let pictures = self.decoder.decode(&refs, self.sharpness)?;
        let side2 = self.decoder.side() * self.decoder.side();
        Ok(Tensor::from_vec(pictures.concat(), (jobs.len(), side2), device)?)
    }
}

/// Copies into `student` every parameter of `teacher` with the same name and shape (the
/// encoder, the fully connected layers, the first stage's class embedding, the templates);
/// returns their names.
pub fn copy_shared(teacher: &Generator, student: &Generator) -> Result<Vec<String>> {
    let theirs: std::collections::HashMap<String, Vec<usize>> = teacher.arch.parameter_shapes().into_iter().collect();
    let mut copied = Vec::new();
    for (name, shape) in student.arch.parameter_shapes() {
        if theirs.get(&name) == Some(&shape) {
            student.params.set(&name, &teacher.parameter(&name)?.to_device(student.device())?)?;
            copied.push(name);
        }
    }
    Ok(copied)
}

impl GeneratorStep {
    /// One distillation step of `n` pairs: the KL from the teacher's pictures to the student's
    /// (nats per picture, both decoded at the teacher's sharpness), plus the reader's
    /// cross-entropy on the student's pictures weighted by half the read weight.
    pub(super) fn distill_step(&mut self, n: usize) -> Result<Tensor> {
        let Some(teacher) = &self.teacher else {
            return Err(Error::Invalid("no teacher to distil from".into()));
        };
        let model = &self.model;
        let jobs = teacher.jobs(&mut self.noise, n.max(1));
        let target = teacher.targets(&jobs, model.device())?;
        let z: Vec<f32> = jobs.iter().flat_map(|(_, z)| z.iter().copied()).collect();
        let z = Tensor::from_vec(z, (jobs.len(), model.arch.latent), model.device())?;
        let classes: Vec<usize> = jobs.iter().map(|(c, _)| *c).collect();
        let logits = model.decode_logits(&z, &model.one_hot(&classes)?)?;
        let k = f64::from(teacher.sharpness);
        let kl = picture_kl(&logits.affine(k, 0.0)?, &target)?;
        match &self.reader {
            Some(r) if self.config.read_weight > 0.0 => {
                let read = r.cross_entropy(&logits, &classes, teacher.sharpness)?;
                Ok((kl + read.affine(self.config.read_weight / 2.0, 0.0)?)?)
            }
            _ => Ok(kl),
        }
    }
}

/// Mean over pictures of the summed Bernoulli KL(target ‖ sigmoid(logits)) (0 when they agree).
pub fn picture_kl(logits: &Tensor, target: &Tensor) -> Result<Tensor> {
    let n = logits.dim(0)? as f64;
    let t = target.clamp(1e-6f32, 1.0 - 1e-6)?;
    let entropy = ((&t * t.log()?)? + ((1.0 - &t)? * (1.0 - &t)?.log()?)?)?.neg()?;
    Ok((bce_with_logits(logits, &t)? - entropy)?.sum_all()?.affine(1.0 / n.max(1.0), 0.0)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::generator::GeneratorArchitecture;
    use crate::training::config::TrainConfig;
    use crate::training::generator::GeneratorConfig;
    use candle_nn::Optimizer;
    use rand::SeedableRng;

    fn tiny(dec: Vec<usize>) -> GeneratorArchitecture {
        GeneratorArchitecture { side: 32, latent: 4, encoder_channels: vec![8, 16], decoder_channels: dec, hidden: 32, ..GeneratorArchitecture::default() }
    }

    #[test]
    fn channels_parse_and_bad_ones_are_refused() {
        assert_eq!(Distillation::parse_channels("32,16, 8").unwrap(), vec![32, 16, 8]);
        for bad in ["", "32,,8", "0,4", "1,2,3,4,5", "2000", "a"] {
            assert!(Distillation::parse_channels(bad).is_err(), "{bad:?}");
        }
        // Teacher names round-trip through a run's settings.
        let d = Distillation::parse(Path::new("bundled"), "32,16,8").unwrap();
        assert_eq!((d.teacher.clone(), d.teacher_name()), (None, "bundled".to_string()));
        let d = Distillation::parse(Path::new("/runs/g"), "8").unwrap();
        assert_eq!((d.teacher.clone(), d.teacher_name()), (Some(PathBuf::from("/runs/g")), "/runs/g".to_string()));
        assert!(Distillation::parse(Path::new("bundled"), "0").is_err());
    }

    #[test]
    fn the_kl_is_zero_for_the_same_picture_and_grows_apart() {
        let l = Tensor::new(&[[2.0f32, -3.0, 0.5], [0.0, 1.0, -1.0]], &Device::Cpu).unwrap();
        let same = candle_nn::ops::sigmoid(&l).unwrap();
        let kl = picture_kl(&l, &same).unwrap().to_scalar::<f32>().unwrap();
        assert!(kl.abs() < 1e-4, "{kl}");
        let other = Tensor::new(&[[0.0f32, 1.0, 0.5], [1.0, 0.0, 0.5]], &Device::Cpu).unwrap();
        let far = picture_kl(&l, &other).unwrap().to_scalar::<f32>().unwrap();
        // By hand: Σ per picture of BCE − entropy; the 0/1 targets have no entropy.
        let bce = |l: f32, t: f32| (1.0 + l.exp()).ln() - t * l;
        let h = -(0.5f32 * 0.5f32.ln() * 2.0);
        let want = ((bce(2.0, 0.0) + bce(-3.0, 1.0) + bce(0.5, 0.5) - h) + (bce(0.0, 1.0) + bce(1.0, 0.0) + bce(-1.0, 0.5) - h)) / 2.0;
        assert!((far - want).abs() < 1e-3, "{far} vs {want}");
    }

    /// The shared layers are copied, the thinner ones are not, and a few hundred steps bring the
    /// student's pictures close to the teacher's.
    #[test]
    fn a_student_learns_to_write_what_its_teacher_writes() {
        let teacher = Generator::new_seeded(tiny(vec![16, 8]), &Device::Cpu, 1).unwrap();
        let student = Generator::new_seeded(tiny(vec![8, 4]), &Device::Cpu, 2).unwrap();
        let copied = copy_shared(&teacher, &student).unwrap();
        assert!(copied.contains(&"enc.conv0.weight".to_string()) && copied.contains(&"dec.fc2.weight".to_string()));
        assert!(copied.contains(&"dec.template1".to_string()) && !copied.iter().any(|n| n.starts_with("dec.conv")));
        let a = teacher.parameter("enc.fc.weight").unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(a, student.parameter("enc.fc.weight").unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap());
        let t = Teacher { decoder: CpuDecoder::new(&teacher).unwrap(), stats: LatentStats::standard(4), sharpness: 2.0 };
        let cfg = TrainConfig { epochs: 1, epoch_size: 64, batch: 16, ..TrainConfig::default() };
        let config = GeneratorConfig { read_weight: 0.0, ..GeneratorConfig::default() };
        let mut step = GeneratorStep::new(student, Vec::new(), config, cfg, None);
        step.teacher = Some(t);
        let vars = step.model.varmap().all_vars();
        let mut opt = candle_nn::AdamW::new(vars, candle_nn::ParamsAdamW { lr: 3e-3, weight_decay: 0.0, ..Default::default() }).unwrap();
        let mut fixed = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let probe = step.teacher.as_ref().unwrap().jobs(&mut fixed, 32);
        let gap = |step: &GeneratorStep| {
            let target = step.teacher.as_ref().unwrap().targets(&probe, &Device::Cpu).unwrap();
            let z: Vec<f32> = probe.iter().flat_map(|(_, z)| z.clone()).collect();
            let z = Tensor::from_vec(z, (probe.len(), 4), &Device::Cpu).unwrap();
            let c: Vec<usize> = probe.iter().map(|(c, _)| *c).collect();
            let l = step.model.decode_logits(&z, &step.model.one_hot(&c).unwrap()).unwrap();
            picture_kl(&l.affine(2.0, 0.0).unwrap(), &target).unwrap().to_scalar::<f32>().unwrap()
        };
        let before = gap(&step);
        for _ in 0..300 {
            let loss = step.distill_step(16).unwrap();
            opt.backward_step(&loss).unwrap();
        }
        let after = gap(&step);
        println!("KL to the teacher: {before:.2} -> {after:.2} nats per picture");
        assert!(after < 0.3 * before, "{before} -> {after}");
        // The encoder had no part in the loss and stayed the teacher's.
        assert_eq!(a, step.model.parameter("enc.fc.weight").unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap());
    }

    #[test]
    fn a_teacher_of_another_side_or_latent_is_refused() {
        let teacher = Generator::new_seeded(GeneratorArchitecture { latent: 8, ..tiny(vec![8, 4]) }, &Device::Cpu, 1).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        let sidecar = crate::models::generator::GeneratorSidecar::new(teacher.arch.clone(), LatentStats::standard(8), Default::default());
        crate::models::ModelCheckpoint::save(&teacher, &sidecar, &path).unwrap();
        let ck = GeneratorCheckpoint::load(&path, &Device::Cpu).unwrap();
        let student = Generator::new_seeded(tiny(vec![4, 4]), &Device::Cpu, 2).unwrap();
        let e = Teacher::new(&ck, &student).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("latent"), "{e}");
    }

    /// A distillation run through the shared engine: the student has the asked decoder, the
    /// teacher's encoder, the teacher's sharpness, and its folder resumes as the same distillation.
    #[test]
    fn a_distillation_run_writes_a_thinner_generator_and_resumes_as_one() {
        use crate::data::spec::{DataSpec, SourceKind};
        use crate::training::events::RunControl;
        use crate::training::session::{Init, RunPlan, LAST};
        use crate::training::ModelKind;
        let dir = tempfile::tempdir().unwrap();
        let cfg = TrainConfig { epochs: 1, epoch_size: 64, batch: 32, lr: 1e-3, weight_decay: 0.0, ..TrainConfig::default() };
        let mut plan = RunPlan::in_folder(vec![DataSpec { kind: SourceKind::Fonts, weight: 1.0 }], cfg, Init::Scratch, dir.path());
        plan.model = ModelKind::Generator;
        let d = Distillation { teacher: None, decoder_channels: vec![16, 8, 8] };
        plan.distill = Some(d.clone());
        assert!(plan.run(&RunControl::default(), |_| {}).unwrap().finished);
        let ck = GeneratorCheckpoint::load(&dir.path().join(LAST), &Device::Cpu).unwrap();
        let teacher = GeneratorCheckpoint::bundled(&Device::Cpu).unwrap();
        assert_eq!(ck.model.arch.decoder_channels, vec![16, 8, 8]);
        assert_eq!(ck.sidecar.sharpness, teacher.sidecar.sharpness);
        let w = |g: &Generator| g.parameter("enc.conv1.weight").unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(w(&ck.model), w(&teacher.model), "the encoder is the teacher's");
        assert_eq!(ck.sidecar.training.settings.get("distill_from").map(String::as_str), Some("bundled"));
        assert!(ck.sidecar.training.settings.get("likelihood").is_some_and(|l| l.contains("teacher")));
        let mut again = RunPlan::resume_folder(dir.path()).unwrap();
        assert_eq!(again.distill, Some(d));
        again.cfg.epochs = 2;
        assert!(again.run(&RunControl::default(), |_| {}).unwrap().finished);
        let ck = GeneratorCheckpoint::load(&dir.path().join(LAST), &Device::Cpu).unwrap();
        assert_eq!((ck.sidecar.training.epochs, ck.model.arch.decoder_channels.clone()), (2, vec![16, 8, 8]));
        assert_eq!(w(&ck.model), w(&teacher.model), "a resumed distillation keeps the encoder");
    }
}
