//! Checkpoints: `NAME.safetensors` (the weights) plus a JSON sidecar `NAME.json` (class list, input
//! format, architecture, how it was trained, the metrics it reached). Writes are atomic; a file that
//! does not match this build (classes, input format, architecture, tensor shapes) is refused with
//! the path and the reason.

use super::network::{Architecture, Recognizer};
use crate::data::classes;
use crate::error::{Error, Result};
use crate::ink::INPUT_FORMAT;
use crate::models::checkpoint::{CheckpointKind, ModelCheckpoint};
pub use crate::models::checkpoint_io::paths;
use candle_core::Device;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Format tag in every sidecar.
pub const FORMAT: &str = "fude-recognizer";
/// The checkpoint kind in every sidecar's `kind` field.
pub const KIND: &str = "recognizer";

fn default_kind() -> String {
    KIND.into()
}
/// Sidecar format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// How a checkpoint was trained.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingRecord {
    /// The exact command line.
    pub command: String,
    /// Data sources (specs with weights).
    pub data: Vec<String>,
    /// Random seed.
    pub seed: u64,
    /// Epochs completed.
    pub epochs: usize,
    /// Samples seen in total.
    pub samples_seen: u64,
    /// Hyper-parameters and other settings, as text.
    pub settings: BTreeMap<String, String>,
}

/// The JSON sidecar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sidecar {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`KIND`] (sidecars written before the field existed read as a recognizer).
    #[serde(default = "default_kind")]
    pub kind: String,
    /// Always [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The preprocessing the model expects ([`INPUT_FORMAT`]).
    pub input_format: String,
    /// The network's shape.
    pub architecture: Architecture,
    /// Output classes, in order.
    pub classes: Vec<String>,
    /// How it was trained.
    pub training: TrainingRecord,
    /// Metrics reached, by evaluation set name and metric.
    pub metrics: BTreeMap<String, BTreeMap<String, f64>>,
}

impl Sidecar {
    /// A sidecar for a model of `arch` trained as `training`.
    pub fn new(arch: Architecture, training: TrainingRecord) -> Self {
        Sidecar {
            format: FORMAT.into(),
            kind: KIND.into(),
            format_version: FORMAT_VERSION,
            input_format: INPUT_FORMAT.into(),
            architecture: arch,
            classes: classes::chars().into_iter().map(String::from).collect(),
            training,
            metrics: BTreeMap::new(),
        }
    }

    /// Checks the sidecar against this build; the error says what differs.
    pub fn check(&self) -> Result<()> {
        if self.format != FORMAT {
            return Err(Error::ModelMismatch(format!("format {:?}, expected {FORMAT:?}", self.format)));
        }
        if self.format_version != FORMAT_VERSION {
            return Err(Error::ModelMismatch(format!(
                "format version {} (this build reads {FORMAT_VERSION})",
                self.format_version
            )));
        }
        if self.input_format != INPUT_FORMAT {
            return Err(Error::ModelMismatch(format!(
                "input format {:?}, this build prepares {INPUT_FORMAT:?}",
                self.input_format
            )));
        }
        let ours: Vec<String> = classes::chars().into_iter().map(String::from).collect();
        if self.classes != ours {
            let first = self.classes.iter().zip(&ours).position(|(a, b)| a != b);
            return Err(Error::ModelMismatch(match first {
                Some(i) => format!("class {i} is {:?}, this build has {:?}", self.classes.get(i), ours.get(i)),
                None => format!("{} classes, this build has {}", self.classes.len(), ours.len()),
            }));
        }
        self.architecture.validate()
    }
}

/// A loaded recognizer checkpoint: the model and its sidecar.
pub type Checkpoint = ModelCheckpoint<Architecture>;

impl CheckpointKind for Architecture {
    type Sidecar = Sidecar;
    type Cache = ();
    const KIND: &'static str = KIND;
    const BUNDLED: &'static str = "bundled model";
    const NOT_BUNDLED: &'static str = "this build has no bundled model (models/recognizer.safetensors was missing at build time): pass --model";

    fn check(sidecar: &Sidecar) -> Result<()> {
        sidecar.check()
    }

    fn architecture(sidecar: &Sidecar) -> &Self {
        &sidecar.architecture
    }

    fn training(sidecar: &Sidecar) -> &TrainingRecord {
        &sidecar.training
    }

    fn empty(arch: Self, device: &Device) -> Result<Recognizer> {
        Recognizer::new(arch, device)
    }

    fn bundled_bytes() -> Option<(&'static [u8], &'static str)> {
        bundled_bytes()
    }
}

/// The bundled weights and sidecar, when the build found them.
#[cfg(fude_bundled_model)]
pub fn bundled_bytes() -> Option<(&'static [u8], &'static str)> {
    Some((
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/models/recognizer.safetensors")),
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/models/recognizer.json")),
    ))
}

/// The bundled weights and sidecar, when the build found them.
#[cfg(not(fude_bundled_model))]
pub fn bundled_bytes() -> Option<(&'static [u8], &'static str)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn saved(dir: &Path) -> (PathBuf, Recognizer) {
        let m = Recognizer::new(Architecture::default(), &Device::Cpu).unwrap();
        let p = dir.join("m.safetensors");
        Checkpoint::save(&m, &Sidecar::new(Architecture::default(), TrainingRecord::default()), &p).unwrap();
        (p, m)
    }

    #[test]
    fn round_trip_gives_the_same_outputs() {
        let dir = tempfile::tempdir().unwrap();
        let (p, m) = saved(dir.path());
        let c = Checkpoint::load(&p, &Device::Cpu).unwrap();
        let input = [0.3f32; 784];
        assert_eq!(m.probabilities(&[&input]).unwrap(), c.model.probabilities(&[&input]).unwrap());
        // Either path form works.
        assert!(Checkpoint::load(&dir.path().join("m.json"), &Device::Cpu).is_ok());
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "no temporary files left: {names:?}");
    }

    #[test]
    fn mismatches_are_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let (p, _) = saved(dir.path());
        let json = p.with_extension("json");
        let good = std::fs::read_to_string(&json).unwrap();
        let refuse = |text: &str, why: &str, file: &str| {
            std::fs::write(&json, text).unwrap();
            let e = Checkpoint::load(&p, &Device::Cpu).err().expect("refused").to_string();
            assert!(e.contains(why) && e.contains(file), "{e}");
        };
        refuse(&good.replace("fude-box28-v1", "other-v0"), "input format", "m.json");
        refuse(&good.replacen("\"ぁ\"", "\"X\"", 1), "class 0", "m.json");
        refuse(&good.replace("fude-cnn4", "resnet"), "unknown architecture", "m.json");
        refuse(&good.replace("\"hidden\": 256", "\"hidden\": 128"), "shape", "m.safetensors");
        refuse("{", "sidecar is not valid", "m.json");
        std::fs::write(&json, &good).unwrap();
        std::fs::write(&p, b"garbage").unwrap();
        let e = Checkpoint::load(&p, &Device::Cpu).err().unwrap().to_string();
        assert!(e.contains("safetensors"), "{e}");
        std::fs::remove_file(&json).unwrap();
        let e = Checkpoint::load(&p, &Device::Cpu).err().unwrap().to_string();
        assert!(e.contains("m.json") && e.contains("sidecar"), "{e}");
    }
}
