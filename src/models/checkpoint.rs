//! One checkpoint type for every model kind: `NAME.safetensors` (the weights) plus a JSON sidecar
//! `NAME.json`, saved atomically and loaded with every shape the sidecar implies checked against
//! the weights before anything is allocated ([`crate::models::checkpoint_io`] does the file work).
//! Each kind says what is its own through [`CheckpointKind`], implemented by its architecture:
//! its sidecar, the kind named in it, how to check it, how to build an empty network and where
//! its bundled files are. [`crate::models::Checkpoint`] (the recognizer) and
//! [`crate::models::generator::GeneratorCheckpoint`] are this type for each kind.

use crate::error::{Error, Result};
use crate::models::checkpoint_io::{check_weights_header, load_checkpoint, load_weights, parse_sidecar, save_checkpoint};
use crate::models::parameters::{Layout, Network};
use crate::models::recognizer::TrainingRecord;
use candle_core::Device;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::Path;

/// The name that stands for the bundled model where a checkpoint is named on the command line
/// or in a run's settings (`--from`, `--teacher`, `--against`, `--distill-from`).
pub const BUNDLED_NAME: &str = "bundled";

/// The checkpoint `name` stands for: `None` (the bundled model) for [`BUNDLED_NAME`], else the
/// path itself.
pub fn named_checkpoint(name: &Path) -> Option<&Path> {
    (name.as_os_str() != BUNDLED_NAME).then_some(name)
}

/// What a model kind's checkpoints hold of their own (implemented by its architecture).
pub trait CheckpointKind: Layout + Clone + Sized {
    /// The JSON sidecar of this kind.
    type Sidecar: Serialize + DeserializeOwned;
    /// What a loaded checkpoint keeps beside its network for fast inference, built on first use
    /// (the generator's CPU decoder); `()` for nothing.
    type Cache: Default + Send + Sync;
    /// The kind named in the sidecar's `kind` field (`recognizer`, `generator`).
    const KIND: &'static str;
    /// What the bundled checkpoint is called in messages (`bundled model`).
    const BUNDLED: &'static str;
    /// Why there is no bundled checkpoint, when the build found none.
    const NOT_BUNDLED: &'static str;

    /// Checks a sidecar against this build; the error says what differs.
    fn check(sidecar: &Self::Sidecar) -> Result<()>;
    /// The architecture a sidecar describes.
    fn architecture(sidecar: &Self::Sidecar) -> &Self;
    /// How the checkpoint was trained, as its sidecar says.
    fn training(sidecar: &Self::Sidecar) -> &TrainingRecord;
    /// A network of `arch` on `device` whose weights are about to be loaded.
    fn empty(arch: Self, device: &Device) -> Result<Network<Self>>;
    /// The bundled weights and sidecar, when the build found them.
    fn bundled_bytes() -> Option<(&'static [u8], &'static str)>;
}

/// A loaded checkpoint: the network and its sidecar.
pub struct ModelCheckpoint<A: CheckpointKind> {
    /// The network with its weights.
    pub model: Network<A>,
    /// What the sidecar says.
    pub sidecar: A::Sidecar,
    /// Built from the weights on first use: the weights must not change after loading.
    pub(crate) cache: A::Cache,
}

impl<A: CheckpointKind> ModelCheckpoint<A> {
    /// A checkpoint of a network and its sidecar.
    pub fn new(model: Network<A>, sidecar: A::Sidecar) -> Self {
        ModelCheckpoint { model, sidecar, cache: A::Cache::default() }
    }

    /// Saves weights and sidecar atomically (each to a temporary file, then renamed).
    pub fn save(model: &Network<A>, sidecar: &A::Sidecar, path: &Path) -> Result<()> {
        save_checkpoint(model.varmap(), sidecar, path)
    }

    /// Loads a checkpoint from disk onto `device`; a file that does not fit is refused with its
    /// path and the reason.
    pub fn load(path: &Path, device: &Device) -> Result<Self> {
        load_checkpoint(path, Self::parse_sidecar, |bytes, sidecar| Self::from_parts(bytes, sidecar, device))
    }

    /// Loads the checkpoint at `path`, or the bundled one when there is none.
    pub fn load_or_bundled(path: Option<&Path>, device: &Device) -> Result<Self> {
        match path {
            Some(p) => Self::load(p, device),
            None => Self::bundled(device),
        }
    }

    /// Loads the checkpoint `name` stands for (see [`named_checkpoint`]).
    pub fn load_named(name: &Path, device: &Device) -> Result<Self> {
        Self::load_or_bundled(named_checkpoint(name), device)
    }

    /// Loads a checkpoint from memory (the bundled one).
    pub fn from_bytes(weights: &[u8], sidecar_json: &str, device: &Device) -> Result<Self> {
        Self::from_parts(weights, Self::parse_sidecar(sidecar_json)?, device)
    }

    /// The checkpoint embedded in the binary at build time, if any.
    pub fn bundled(device: &Device) -> Result<Self> {
        match A::bundled_bytes() {
            Some((w, j)) => Self::from_bytes(w, j, device).map_err(|e| Error::Invalid(format!("{}: {e}", A::BUNDLED))),
            None => Err(Error::Invalid(A::NOT_BUNDLED.into())),
        }
    }

    /// Parses and checks a sidecar of this kind.
    fn parse_sidecar(text: &str) -> Result<A::Sidecar> {
        parse_sidecar(text, A::KIND, A::check)
    }

    /// Builds the network from safetensors bytes, checking every tensor against the sidecar.
    fn from_parts(weights: &[u8], sidecar: A::Sidecar, device: &Device) -> Result<Self> {
        // Every shape the sidecar implies is checked against the weights before any is allocated.
        let arch = A::architecture(&sidecar).clone();
        let shapes = arch.parameter_shapes();
        check_weights_header(weights, &shapes)?;
        let model = A::empty(arch, device)?;
        load_weights(weights, &shapes, model.varmap(), device)?;
        Ok(Self::new(model, sidecar))
    }
}
