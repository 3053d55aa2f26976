//! The Kuzushiji reader: a second bundled recognizer (`models/kuzushiji.*`, fude-res) trained
//! mostly on real Kuzushiji-MNIST cells, with fonts, drawings, pens and scans of every class. Under
//! [`ScriptChoice::Kuzushiji`] the bundled recognizer's probabilities for a picture file are
//! averaged with its probabilities for the same input ([`Reading::blend`]): the bundled recognizer
//! learns from fonts and drawings first, and a network that sees real cells most of the time reads
//! real pictures better. A drawing is read by the recognizer alone (the reader's cells are
//! scanned brush writing, not strokes, and a drawing keeps to one network's time), and so is
//! everything with a recognizer opened from a file: it is the user's choice of network.

use super::reading::{Reading, ScriptChoice};
use super::{Checkpoint, CpuRecognizer};
use crate::error::{Error, Result};
use crate::ink::ModelInput;
use std::sync::OnceLock;

/// The Kuzushiji reader's share of the averaged probabilities (the bundled recognizer has the rest).
pub const KUZUSHIJI_READER_WEIGHT: f32 = 0.5;

/// A recognizer that joins the bundled one under [`ScriptChoice::Kuzushiji`].
pub struct KuzushijiReader {
    net: CpuRecognizer,
}

impl KuzushijiReader {
    /// A reader from checkpoint bytes (weights and sidecar), refused with the reason when they do
    /// not fit this build.
    pub fn from_bytes(weights: &[u8], sidecar_json: &str) -> Result<Self> {
        let ck = Checkpoint::from_bytes(weights, sidecar_json, &candle_core::Device::Cpu)?;
        Ok(KuzushijiReader { net: CpuRecognizer::new(&ck.model)? })
    }

    /// The bundled reader, loaded on first use; `None` when this build has none.
    pub fn bundled() -> Result<Option<&'static KuzushijiReader>> {
        static READER: OnceLock<std::result::Result<Option<KuzushijiReader>, String>> = OnceLock::new();
        let loaded = READER.get_or_init(|| match bundled_bytes() {
            Some((weights, sidecar)) => KuzushijiReader::from_bytes(weights, sidecar).map(Some).map_err(|e| e.to_string()),
            None => Ok(None),
        });
        match loaded {
            Ok(reader) => Ok(reader.as_ref()),
            Err(e) => Err(Error::Invalid(format!("bundled Kuzushiji reader: {e}"))),
        }
    }

    /// `probs` (another recognizer's probabilities for `input`, one per class) averaged with this
    /// reader's, [`KUZUSHIJI_READER_WEIGHT`] to it.
    pub fn blend(&self, input: &ModelInput, probs: &mut [f32]) -> Result<()> {
        let own = self.net.probabilities(input)?;
        if own.len() != probs.len() {
            return Err(Error::Invalid(format!("Kuzushiji reader: {} classes against {}", own.len(), probs.len())));
        }
        for (p, q) in probs.iter_mut().zip(own) {
            *p = (1.0 - KUZUSHIJI_READER_WEIGHT) * *p + KUZUSHIJI_READER_WEIGHT * q;
        }
        Ok(())
    }
}

impl Reading {
    /// Whether [`Reading::blend`] may change probabilities: Kuzushiji, for a picture file read by
    /// the bundled recognizer ([`Reading::kuzushiji_reader`]).
    pub fn blends(&self) -> bool {
        self.script == ScriptChoice::Kuzushiji && self.kuzushiji_reader
    }

    /// `probs`, the recognizer's probabilities for `input`, as this reading ranks them: when
    /// [`Reading::blends`], averaged with the bundled [`KuzushijiReader`]'s; otherwise as they are.
    pub fn blend(&self, input: &ModelInput, probs: &mut [f32]) -> Result<()> {
        if !self.blends() {
            return Ok(());
        }
        match KuzushijiReader::bundled()? {
            Some(reader) => reader.blend(input, probs),
            None => Ok(()),
        }
    }
}

/// The bundled reader's weights and sidecar, when the build found them.
#[cfg(fude_bundled_kuzushiji)]
fn bundled_bytes() -> Option<(&'static [u8], &'static str)> {
    Some((
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/models/kuzushiji.safetensors")),
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/models/kuzushiji.json")),
    ))
}

/// The bundled reader's weights and sidecar, when the build found them.
#[cfg(not(fude_bundled_kuzushiji))]
fn bundled_bytes() -> Option<(&'static [u8], &'static str)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::recognizer::{Architecture, Recognizer};

    fn input() -> ModelInput {
        let mut x = [0.0f32; 784];
        for (i, v) in x.iter_mut().enumerate().skip(200).take(300) {
            *v = if i % 3 == 0 { 1.0 } else { 0.2 };
        }
        x
    }

    #[test]
    fn blending_averages_the_two_readings() {
        let net = Recognizer::new(Architecture::default(), &candle_core::Device::Cpu).unwrap();
        let reader = KuzushijiReader { net: CpuRecognizer::new(&net).unwrap() };
        let x = input();
        let own = reader.net.probabilities(&x).unwrap();
        let mut probs = vec![0.0f32; own.len()];
        probs[3] = 1.0;
        reader.blend(&x, &mut probs).unwrap();
        for (c, (p, q)) in probs.iter().zip(&own).enumerate() {
            let want = if c == 3 { 0.5 + 0.5 * q } else { 0.5 * q };
            assert!((p - want).abs() < 1e-6, "class {c}: {p} against {want}");
        }
        let mut short = vec![0.5f32; 2];
        let e = reader.blend(&x, &mut short).unwrap_err().to_string();
        assert!(e.contains("classes against 2"), "{e}");
    }

    #[test]
    fn only_pictures_read_by_the_bundled_recognizer_under_kuzushiji_are_blended() {
        let x = input();
        let probs: Vec<f32> = (0..crate::data::classes::NUM_CLASSES).map(|c| if c == 7 { 1.0 } else { 0.0 }).collect();
        let blended = |script: ScriptChoice, kuzushiji_reader: bool| {
            let mut p = probs.clone();
            Reading { script, kuzushiji_reader, ..Reading::default() }.blend(&x, &mut p).unwrap();
            p
        };
        for script in ScriptChoice::ALL {
            assert_eq!(blended(script, false), probs, "{script}: a drawing, or a model from a file, reads alone");
            if script != ScriptChoice::Kuzushiji {
                assert_eq!(blended(script, true), probs, "{script}: only Kuzushiji blends");
            }
        }
        let with_reader = blended(ScriptChoice::Kuzushiji, true);
        let has_reader = KuzushijiReader::bundled().unwrap().is_some();
        assert_eq!(with_reader != probs, has_reader, "the bundled reader, when this build has one, changes the reading");
        if has_reader {
            assert!((with_reader.iter().sum::<f32>() - 1.0).abs() < 1e-4);
            assert!(with_reader[7] >= 1.0 - KUZUSHIJI_READER_WEIGHT - 1e-6);
        }
    }

    #[test]
    fn corrupt_bytes_are_refused_with_the_reason() {
        let e = KuzushijiReader::from_bytes(b"garbage", "{").err().unwrap().to_string();
        assert!(e.contains("sidecar") || e.contains("safetensors"), "{e}");
    }
}
