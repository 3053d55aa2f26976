//! Data: the class table, dataset files (Kuzushiji-49, npz), generated kana from fonts, synthetic
//! drawings, augmentation, and the `--data` spec that mixes sources with weights.

pub mod augment;
pub mod classes;
pub mod download;
pub mod fonts;
pub mod k49;
pub mod labeled;
pub mod lexicon;
pub mod line_words;
pub mod mine;
pub mod npz;
pub mod pen_habits;
pub mod pens;
pub mod placement;
pub mod scans;
pub mod skeleton;
pub mod sources;
pub mod spec;
#[cfg(test)]
pub(crate) mod test_data;

pub use sources::{DrawingSource, FontSource, ImageSetSource, Mixture, Sample, Source, Split};
pub use spec::{DataSpec, OpenOptions, SourceKind};
