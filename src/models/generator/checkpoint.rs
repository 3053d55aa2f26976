//! Generator checkpoints: `NAME.safetensors` plus a JSON sidecar `NAME.json` of kind `generator`
//! (architecture, class list, latent statistics, how it was trained, the metrics it reached).
//! Writes are atomic; a recognizer checkpoint, or one that does not fit this build, is refused
//! with the path and the reason.

use super::latent::{LatentStats, Prior};
use super::network::{Generator, GeneratorArchitecture};
use crate::data::classes;
use crate::error::{Error, Result};
use crate::ink::preprocess::boxed_input;
use crate::ink::InkImage;
use crate::models::checkpoint::{CheckpointKind, ModelCheckpoint};
use crate::models::recognizer::TrainingRecord;
use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Format tag in every generator sidecar.
pub const FORMAT: &str = "fude-generator";
/// The checkpoint kind in every generator sidecar.
pub const KIND: &str = "generator";
/// Sidecar format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// Most values one picture's layers may hold (side² times the widest layer): the shipped
/// generator needs 65,536; a sidecar asking for more is refused before anything is allocated.
pub const MAX_ACTIVATIONS: usize = 1 << 20;

/// The JSON sidecar of a generator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratorSidecar {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`KIND`].
    pub kind: String,
    /// Always [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The network's shape.
    pub architecture: GeneratorArchitecture,
    /// Classes it is conditioned on, in order.
    pub classes: Vec<String>,
    /// How the latent space is used.
    pub latent: LatentStats,
    /// How it was trained.
    pub training: TrainingRecord,
    /// Metrics reached, by evaluation set name and metric.
    pub metrics: BTreeMap<String, BTreeMap<String, f64>>,
    /// How sharply pictures are decoded: each pixel is `sigmoid(sharpness · logit)`. 1 is the
    /// Bernoulli mean, which greys out every edge the decoder is unsure of by a pixel; above 1
    /// the picture moves towards the likelihood's mode, with soft (antialiased) edges left.
    #[serde(default = "plain_sharpness")]
    pub sharpness: f32,
}

fn plain_sharpness() -> f32 {
    1.0
}

/// The sharpness range a sidecar may ask for.
pub const SHARPNESS_RANGE: std::ops::RangeInclusive<f32> = 0.25..=8.0;

impl GeneratorSidecar {
    /// A sidecar for a generator of `arch` trained as `training`, with latent statistics.
    pub fn new(arch: GeneratorArchitecture, latent: LatentStats, training: TrainingRecord) -> Self {
        GeneratorSidecar {
            format: FORMAT.into(),
            kind: KIND.into(),
            format_version: FORMAT_VERSION,
            architecture: arch,
            classes: classes::chars().into_iter().map(String::from).collect(),
            latent,
            training,
            metrics: BTreeMap::new(),
            sharpness: 1.0,
        }
    }

    /// Checks the sidecar against this build; the error says what differs.
    pub fn check(&self) -> Result<()> {
        if self.format != FORMAT || self.kind != KIND {
            return Err(Error::ModelMismatch(format!("format {:?} kind {:?}, expected {FORMAT:?} {KIND:?}", self.format, self.kind)));
        }
        if self.format_version != FORMAT_VERSION {
            return Err(Error::ModelMismatch(format!("format version {} (this build reads {FORMAT_VERSION})", self.format_version)));
        }
        let ours: Vec<String> = classes::chars().into_iter().map(String::from).collect();
        if self.classes != ours {
            return Err(Error::ModelMismatch(format!("{} classes that differ from this build's {}", self.classes.len(), ours.len())));
        }
        if !SHARPNESS_RANGE.contains(&self.sharpness) {
            return Err(Error::ModelMismatch(format!("sharpness {} is outside {SHARPNESS_RANGE:?}", self.sharpness)));
        }
        self.architecture.validate()?;
        let a = &self.architecture;
        let widest = a.encoder_channels.iter().chain(&a.decoder_channels).copied().max().unwrap_or(1);
        if a.side.saturating_mul(a.side).saturating_mul(widest) > MAX_ACTIVATIONS {
            return Err(Error::ModelMismatch(format!(
                "side {} with {widest}-channel layers needs more than {MAX_ACTIVATIONS} values a picture: no fude generator is that large",
                a.side
            )));
        }
        self.latent.check(self.architecture.latent).map_err(Error::ModelMismatch)
    }
}

/// A loaded generator: the network and its sidecar.
pub type GeneratorCheckpoint = ModelCheckpoint<GeneratorArchitecture>;

impl CheckpointKind for GeneratorArchitecture {
    type Sidecar = GeneratorSidecar;
    type Cache = std::sync::OnceLock<Option<super::cpu_decode::CpuDecoder>>;
    const KIND: &'static str = KIND;
    const BUNDLED: &'static str = "bundled generator";
    const NOT_BUNDLED: &'static str = "this build has no bundled generator (models/generator.safetensors was missing at build time): pass --model";

    fn check(sidecar: &GeneratorSidecar) -> Result<()> {
        sidecar.check()
    }

    fn architecture(sidecar: &GeneratorSidecar) -> &Self {
        &sidecar.architecture
    }

    fn training(sidecar: &GeneratorSidecar) -> &TrainingRecord {
        &sidecar.training
    }

    fn empty(arch: Self, device: &Device) -> Result<Generator> {
        Generator::for_loading(arch, device)
    }

    fn bundled_bytes() -> Option<(&'static [u8], &'static str)> {
        bundled_bytes()
    }
}

impl GeneratorCheckpoint {
    /// Whether it was trained on style groups, so its latent holds the style alone and one
    /// centre serves every class.
    pub fn style_only(&self) -> bool {
        self.sidecar.training.settings.get("style_group").and_then(|v| v.parse::<usize>().ok()).is_some_and(|k| k > 1)
    }

    /// Side of the images it writes.
    pub fn side(&self) -> usize {
        self.model.arch.side
    }

    /// Latent dimensions.
    pub fn latent(&self) -> usize {
        self.model.arch.latent
    }

    /// The latent statistics (active dimensions, fitted prior).
    pub fn stats(&self) -> &LatentStats {
        &self.sidecar.latent
    }

    /// A random latent for `class` from `prior` at `temperature`.
    pub fn sample_z(&self, rng: &mut impl rand::Rng, prior: Prior, class: usize, temperature: f32) -> Vec<f32> {
        self.sidecar.latent.sample(rng, prior, class, temperature)
    }

    /// The single-picture CPU decoder ([`super::cpu_decode`]), built on first use, when the
    /// network is on the CPU (a batch then decodes its pictures in parallel, one per thread).
    fn cpu_decoder(&self) -> Option<&super::cpu_decode::CpuDecoder> {
        if !self.model.device().is_cpu() {
            return None;
        }
        self.cache.get_or_init(|| super::cpu_decode::CpuDecoder::new(&self.model).ok()).as_ref()
    }

    /// Mean images (`side²` values each, ink bright, 0..=1) at the sidecar's sharpness for
    /// (class, latent) pairs: on the CPU decoder when the network is on the CPU, otherwise
    /// through candle's ops ([`GeneratorCheckpoint::decode_with_candle`]).
    pub fn decode(&self, jobs: &[(usize, &[f32])]) -> Result<Vec<Vec<f32>>> {
        match self.cpu_decoder() {
            Some(fast) => {
                self.check_latents(jobs)?;
                Self::finite(fast.decode(jobs, self.sidecar.sharpness)?)
            }
            None => self.decode_with_candle(jobs),
        }
    }

    /// The same pictures through candle's ops (the network's batched decoder, which training
    /// runs): on any device, and the peer the CPU decoder is measured against.
    pub fn decode_with_candle(&self, jobs: &[(usize, &[f32])]) -> Result<Vec<Vec<f32>>> {
        self.check_latents(jobs)?;
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let z: Vec<f32> = jobs.iter().flat_map(|(_, z)| z.iter().copied()).collect();
        let classes: Vec<usize> = jobs.iter().map(|(c, _)| *c).collect();
        let z = Tensor::from_vec(z, (jobs.len(), self.latent()), self.model.device())?;
        let logits = self.model.decode_logits(&z, &self.model.one_hot(&classes)?)?;
        let images = candle_nn::ops::sigmoid(&logits.affine(f64::from(self.sidecar.sharpness), 0.0)?)?;
        Self::finite(images.to_device(&Device::Cpu)?.to_vec2::<f32>()?)
    }

    /// Refuses a latent of the wrong size, not finite, or beyond [`super::latent::MAX_LATENT`].
    fn check_latents(&self, jobs: &[(usize, &[f32])]) -> Result<()> {
        let latent = self.latent();
        match jobs.iter().find(|(_, z)| z.len() != latent || z.iter().any(|v| !v.is_finite() || v.abs() > super::latent::MAX_LATENT)) {
            Some((_, z)) => Err(Error::Invalid(format!("a latent needs {latent} finite values within ±{}, got {} values", super::latent::MAX_LATENT, z.len()))),
            None => Ok(()),
        }
    }

    /// Decoded pictures, refused when a latent too far out overflowed them.
    fn finite(images: Vec<Vec<f32>>) -> Result<Vec<Vec<f32>>> {
        if images.iter().flatten().any(|v| !v.is_finite()) {
            return Err(Error::Invalid("the latent is too far out: the decoded picture is not finite (NaN or infinite values)".into()));
        }
        Ok(images)
    }

    /// The posterior means (μ) of ink images read as classes `classes`: each image goes through
    /// the same preprocessing as training data (ink found, boxed, resampled to the side).
    pub fn encode(&self, images: &[&InkImage], classes: &[usize]) -> Result<Vec<Vec<f32>>> {
        if images.len() != classes.len() {
            return Err(Error::Invalid(format!("{} images but {} classes", images.len(), classes.len())));
        }
        if images.is_empty() {
            return Ok(Vec::new());
        }
        let boxed: Vec<Vec<f32>> = images.iter().map(|i| boxed_input(i, self.side())).collect();
        let refs: Vec<&[f32]> = boxed.iter().map(Vec::as_slice).collect();
        let x = self.model.batch_tensor(&refs)?;
        let (mu, _) = self.model.encode(&x, &self.model.one_hot(classes)?)?;
        Ok(mu.to_device(&Device::Cpu)?.to_vec2::<f32>()?)
    }
}

/// The bundled weights and sidecar, when the build found them.
#[cfg(fude_bundled_generator)]
pub fn bundled_bytes() -> Option<(&'static [u8], &'static str)> {
    Some((
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/models/generator.safetensors")),
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/models/generator.json")),
    ))
}

/// The bundled weights and sidecar, when the build found them.
#[cfg(not(fude_bundled_generator))]
pub fn bundled_bytes() -> Option<(&'static [u8], &'static str)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use crate::models::recognizer::{Architecture, Checkpoint, Recognizer, Sidecar};

    fn tiny() -> GeneratorArchitecture {
        GeneratorArchitecture { side: 16, latent: 4, encoder_channels: vec![4, 8], decoder_channels: vec![8, 4], hidden: 16, ..GeneratorArchitecture::default() }
    }

    fn saved(dir: &Path) -> (std::path::PathBuf, Generator) {
        let g = Generator::new_seeded(tiny(), &Device::Cpu, 5).unwrap();
        let p = dir.join("g.safetensors");
        let sc = GeneratorSidecar::new(tiny(), LatentStats::standard(4), TrainingRecord::default());
        GeneratorCheckpoint::save(&g, &sc, &p).unwrap();
        (p, g)
    }

    #[test]
    fn round_trip_decodes_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let (p, g) = saved(dir.path());
        let c = GeneratorCheckpoint::load(&p, &Device::Cpu).unwrap();
        let z = [0.3f32, -1.0, 0.5, 2.0];
        let a = c.decode(&[(3, &z)]).unwrap();
        let zt = Tensor::from_vec(z.to_vec(), (1, 4), &Device::Cpu).unwrap();
        let b = g.decode(&zt, &g.one_hot(&[3]).unwrap()).unwrap().to_vec2::<f32>().unwrap();
        // The checkpoint decodes on the CPU decoder, the network through candle: the same picture.
        assert_eq!(a[0].len(), b[0].len());
        assert!(a[0].iter().zip(&b[0]).all(|(x, y)| (x - y).abs() < 1e-5), "{a:?} {b:?}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "no temporary files left");
        assert!(c.decode(&[(3, &[0.0; 3])]).is_err(), "wrong latent size refused");
        assert!(c.decode(&[(3, &[f32::NAN; 4])]).is_err(), "non-finite latent refused");
    }

    #[test]
    fn kinds_do_not_mix() {
        let dir = tempfile::tempdir().unwrap();
        let (gp, _) = saved(dir.path());
        let e = Checkpoint::load(&gp, &Device::Cpu).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("generator checkpoint, not a recognizer") && e.contains("g.json"), "{e}");
        let rp = dir.path().join("r.safetensors");
        let r = Recognizer::new(Architecture::default(), &Device::Cpu).unwrap();
        Checkpoint::save(&r, &Sidecar::new(Architecture::default(), TrainingRecord::default()), &rp).unwrap();
        let e = GeneratorCheckpoint::load(&rp, &Device::Cpu).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("recognizer checkpoint, not a generator") && e.contains("r.json"), "{e}");
    }

    #[test]
    fn corrupt_files_are_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let (p, _) = saved(dir.path());
        let json = p.with_extension("json");
        let good = std::fs::read_to_string(&json).unwrap();
        std::fs::write(&json, good.replace("\"latent\": 4", "\"latent\": 5")).unwrap();
        let e = GeneratorCheckpoint::load(&p, &Device::Cpu).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("latent statistics") || e.contains("shape"), "{e}");
        std::fs::write(&json, &good).unwrap();
        std::fs::write(&p, b"garbage").unwrap();
        let e = GeneratorCheckpoint::load(&p, &Device::Cpu).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("safetensors") && e.contains("g.safetensors"), "{e}");
    }
}
