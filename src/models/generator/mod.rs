//! The generator: a class-conditional VAE that writes any kana ([`network`]), its checkpoint kind
//! ([`checkpoint`]), and the statistics of its latent space that the sliders and sampling use
//! ([`latent`]).

pub mod checkpoint;
pub mod cpu_decode;
pub mod latent;
pub mod lettering;
pub mod network;

pub use checkpoint::{GeneratorCheckpoint, GeneratorSidecar};
pub use latent::{LatentStats, Prior};
pub use network::{group_members, Generator, GeneratorArchitecture, GroupLoss, VaeLoss};
