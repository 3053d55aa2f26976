//! The Kuzushiji reader: bundled recognizers (`models/kuzushiji/`, fude-res, one recipe trained
//! with different seeds) that learned mostly from real Kuzushiji-MNIST cells, with fonts, drawings,
//! pens and scans of every class. Under [`ScriptChoice::Kuzushiji`], and under
//! [`ScriptChoice::Auto`] for a picture that looks like a Kuzushiji-49 cell
//! ([`Reading::kuzushiji_cell`]: no larger than the model input, light ink on dark, as
//! Kuzushiji-MNIST and Kuzushiji-49 publish their cells), the bundled recognizer's
//! probabilities for a picture file are averaged with the reader's, itself the average of its
//! networks' probabilities for the input and for the input moved one pixel up, down, left and right
//! ([`READER_MOVES`], [`Reading::blend`]): the bundled recognizer learns
//! from fonts and drawings first, and networks that see real cells most of the time read real
//! pictures better. A drawing is read by the recognizer alone (the reader's cells are
//! mostly scanned brush writing, not strokes, and a drawing keeps to one network's time), and so is
//! everything with a recognizer opened from a file: it is the user's choice of network.

use super::reading::{script_twin, Reading, ScriptChoice};
use super::{Checkpoint, CpuRecognizer};
use crate::data::classes::{index_of, Script};
use crate::error::{Error, Result};
use crate::ink::{ModelInput, INPUT_SIDE};
use rayon::prelude::*;
use std::sync::OnceLock;

/// The Kuzushiji reader's share of the averaged probabilities (the bundled recognizer has the rest).
pub const KUZUSHIJI_READER_WEIGHT: f32 = 0.5;

/// Where each network of the reader reads the input from: the input as it is and moved by one
/// pixel (`(dx, dy)`, right and down positive), the networks' probabilities averaged over them.
pub const READER_MOVES: &[(i32, i32)] = &[(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)];

/// `input` moved by `dx` pixels right and `dy` down; what comes in from beyond the edge is paper.
fn moved(input: &ModelInput, dx: i32, dy: i32) -> ModelInput {
    let side = INPUT_SIDE as i32;
    let mut out = [0.0f32; INPUT_SIDE * INPUT_SIDE];
    for (i, v) in out.iter_mut().enumerate() {
        let (x, y) = ((i % INPUT_SIDE) as i32 - dx, (i / INPUT_SIDE) as i32 - dy);
        if (0..side).contains(&x) && (0..side).contains(&y) {
            *v = input.get((y * side + x) as usize).copied().unwrap_or(0.0);
        }
    }
    out
}

/// The networks that join the bundled recognizer under [`ScriptChoice::Kuzushiji`], read as one.
pub struct KuzushijiReader {
    nets: Vec<CpuRecognizer>,
}

impl KuzushijiReader {
    /// A reader from each network's checkpoint bytes (weights and sidecar), loaded side by side
    /// and refused with the member and the reason when one does not fit this build; `None` for no
    /// member.
    pub fn from_bytes(members: &[(&[u8], &str)]) -> Result<Option<Self>> {
        let nets = members
            .par_iter()
            .enumerate()
            .map(|(k, (weights, sidecar_json))| {
                Checkpoint::from_bytes(weights, sidecar_json, &candle_core::Device::Cpu)
                    .and_then(|ck| CpuRecognizer::new(&ck.model))
                    .map_err(|e| Error::Invalid(format!("network {} of {}: {e}", k + 1, members.len())))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((!nets.is_empty()).then_some(KuzushijiReader { nets }))
    }

    /// The bundled reader, loaded on first use; `None` when this build has none.
    pub fn bundled() -> Result<Option<&'static KuzushijiReader>> {
        static READER: OnceLock<std::result::Result<Option<KuzushijiReader>, String>> = OnceLock::new();
        let loaded = READER.get_or_init(|| KuzushijiReader::from_bytes(BUNDLED).map_err(|e| e.to_string()));
        match loaded {
            Ok(reader) => Ok(reader.as_ref()),
            Err(e) => Err(Error::Invalid(format!("bundled Kuzushiji reader: {e}"))),
        }
    }

    /// How many networks the reader averages.
    pub fn networks(&self) -> usize {
        self.nets.len()
    }

    /// `probs` (another recognizer's probabilities for `input`, one per class) averaged with this
    /// reader's (the mean of its networks' over [`READER_MOVES`]), [`KUZUSHIJI_READER_WEIGHT`] to it.
    pub fn blend(&self, input: &ModelInput, probs: &mut [f32]) -> Result<()> {
        let share = KUZUSHIJI_READER_WEIGHT / (self.nets.len() * READER_MOVES.len()) as f32;
        let mut own = vec![0.0f32; probs.len()];
        for &(dx, dy) in READER_MOVES {
            let there = moved(input, dx, dy);
            for net in &self.nets {
                let q = net.probabilities(&there)?;
                if q.len() != probs.len() {
                    return Err(Error::Invalid(format!("Kuzushiji reader: {} classes against {}", q.len(), probs.len())));
                }
                for (o, q) in own.iter_mut().zip(q) {
                    *o += share * q;
                }
            }
        }
        for (p, o) in probs.iter_mut().zip(own) {
            *p = (1.0 - KUZUSHIJI_READER_WEIGHT) * *p + o;
        }
        Ok(())
    }
}

impl Reading {
    /// Whether [`Reading::blend`] may change probabilities: for a picture file read by the bundled
    /// recognizer ([`Reading::kuzushiji_reader`]), under Kuzushiji, and under Auto when the picture
    /// looks like a Kuzushiji-49 cell ([`Reading::kuzushiji_cell`]; Hiragana, Katakana and All
    /// read as they did).
    pub fn blends(&self) -> bool {
        let script = match self.script {
            ScriptChoice::Kuzushiji => true,
            ScriptChoice::Auto => self.kuzushiji_cell,
            ScriptChoice::Hiragana | ScriptChoice::Katakana | ScriptChoice::All => false,
        };
        script && self.kuzushiji_reader
    }

    /// `probs`, the recognizer's probabilities for `input`, as this reading ranks them: when
    /// [`Reading::blends`], averaged with the bundled [`KuzushijiReader`]'s; otherwise as they are.
    /// Under Auto the reader does not choose between a hiragana and the katakana of the same shape
    /// ([`script_twin`]: へ/ヘ, り/リ): classical writing has no katakana, so it learned none of
    /// them apart: each pair keeps the recognizer's split between the two.
    pub fn blend(&self, input: &ModelInput, probs: &mut [f32]) -> Result<()> {
        if !self.blends() {
            return Ok(());
        }
        let Some(reader) = KuzushijiReader::bundled()? else { return Ok(()) };
        let alone = probs.to_vec();
        reader.blend(input, probs)?;
        if self.script == ScriptChoice::Auto {
            keep_script_split(&alone, probs);
        }
        Ok(())
    }
}

/// Gives each pair of a hiragana and its katakana twin of the same shape ([`script_twin`]) its
/// blended probability, shared between the two as the recognizer alone (`alone`) shared it.
fn keep_script_split(alone: &[f32], blended: &mut [f32]) {
    for kana in crate::data::classes::all() {
        let h = kana.index;
        let Some(k) = (kana.script() == Script::Hiragana).then(|| script_twin(kana.ch)).flatten().and_then(index_of) else { continue };
        let (Some(&ah), Some(&ak), Some(&bh), Some(&bk)) = (alone.get(h), alone.get(k), blended.get(h), blended.get(k)) else { continue };
        let (before, after) = (ah + ak, bh + bk);
        if before > 0.0 {
            if let Some(p) = blended.get_mut(h) {
                *p = after * ah / before;
            }
            if let Some(p) = blended.get_mut(k) {
                *p = after * ak / before;
            }
        }
    }
}

/// The bundled networks' weights and sidecars (every `models/kuzushiji/*.safetensors` with its
/// `.json`, in file-name order), as `build.rs` found them.
const BUNDLED: &[(&[u8], &str)] = include!(concat!(env!("OUT_DIR"), "/kuzushiji_readers.rs"));

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

    fn net(seed: u64) -> CpuRecognizer {
        CpuRecognizer::new(&Recognizer::new_seeded(Architecture::default(), &candle_core::Device::Cpu, seed).unwrap()).unwrap()
    }

    #[test]
    fn blending_averages_the_recognizer_with_the_mean_of_the_readers_networks() {
        let reader = KuzushijiReader { nets: vec![net(1), net(2)] };
        assert_eq!(reader.networks(), 2);
        let x = input();
        let over_moves = |net: &CpuRecognizer| {
            let mut mean = vec![0.0f32; crate::data::classes::NUM_CLASSES];
            for &(dx, dy) in READER_MOVES {
                for (m, q) in mean.iter_mut().zip(net.probabilities(&moved(&x, dx, dy)).unwrap()) {
                    *m += q / READER_MOVES.len() as f32;
                }
            }
            mean
        };
        let (a, b) = (over_moves(&reader.nets[0]), over_moves(&reader.nets[1]));
        assert_ne!(a, b, "two networks that read differently");
        let mut probs = vec![0.0f32; a.len()];
        probs[3] = 1.0;
        reader.blend(&x, &mut probs).unwrap();
        for (c, p) in probs.iter().enumerate() {
            let own = if c == 3 { 1.0 } else { 0.0 };
            let want = 0.5 * own + 0.25 * a[c] + 0.25 * b[c];
            assert!((p - want).abs() < 1e-6, "class {c}: {p} against {want}");
        }
        let mut short = vec![0.5f32; 2];
        let e = reader.blend(&x, &mut short).unwrap_err().to_string();
        assert!(e.contains("classes against 2"), "{e}");
    }

    #[test]
    fn only_pictures_read_by_the_bundled_recognizer_under_kuzushiji_or_cells_under_auto_are_blended() {
        let x = input();
        let probs: Vec<f32> = (0..crate::data::classes::NUM_CLASSES).map(|c| if c == 7 { 1.0 } else { 0.0 }).collect();
        let blended = |script: ScriptChoice, kuzushiji_reader: bool, kuzushiji_cell: bool| {
            let mut p = probs.clone();
            Reading { script, kuzushiji_reader, kuzushiji_cell, ..Reading::default() }.blend(&x, &mut p).unwrap();
            p
        };
        let has_reader = KuzushijiReader::bundled().unwrap().is_some();
        for script in ScriptChoice::ALL {
            for cell in [false, true] {
                assert_eq!(blended(script, false, cell), probs, "{script}: a drawing, or a model from a file, reads alone");
                let blends = script == ScriptChoice::Kuzushiji || (script == ScriptChoice::Auto && cell);
                assert_eq!(Reading { script, kuzushiji_reader: true, kuzushiji_cell: cell, ..Reading::default() }.blends(), blends, "{script}, cell {cell}");
                if !blends {
                    assert_eq!(blended(script, true, cell), probs, "{script}, cell {cell}: reads alone");
                }
            }
        }
        let mut kuzushiji = blended(ScriptChoice::Kuzushiji, true, false);
        keep_script_split(&probs, &mut kuzushiji);
        assert_eq!(blended(ScriptChoice::Auto, true, true), kuzushiji, "the same reader under Auto, the script of shape twins left to the recognizer");
        let with_reader = blended(ScriptChoice::Kuzushiji, true, false);
        assert_eq!(with_reader != probs, has_reader, "the bundled reader, when this build has one, changes the reading");
        if has_reader {
            assert!((with_reader.iter().sum::<f32>() - 1.0).abs() < 1e-4);
            assert!(with_reader[7] >= 1.0 - KUZUSHIJI_READER_WEIGHT - 1e-6);
        }
    }

    #[test]
    fn the_recognizer_alone_shares_each_shape_twins_probability_between_the_scripts() {
        let at = |ch: char| index_of(ch).unwrap();
        let n = crate::data::classes::NUM_CLASSES;
        let mut alone = vec![0.0f32; n];
        let mut blended = vec![0.0f32; n];
        for (ch, a, b) in [('へ', 0.2, 0.5), ('ヘ', 0.6, 0.1), ('あ', 0.1, 0.2), ('り', 0.0, 0.1), ('リ', 0.0, 0.05), ('ア', 0.1, 0.05)] {
            alone[at(ch)] = a;
            blended[at(ch)] = b;
        }
        let before = blended.clone();
        keep_script_split(&alone, &mut blended);
        let near = |ch: char, want: f32| assert!((blended[at(ch)] - want).abs() < 1e-6, "{ch}: {} against {want}", blended[at(ch)]);
        // The pair keeps its blended 0.6, shared 1 : 3 as the recognizer alone shared it.
        near('へ', 0.15);
        near('ヘ', 0.45);
        // Other classes, and a pair the recognizer alone gave nothing, keep the blend.
        for ch in ['あ', 'り', 'リ', 'ア'] {
            near(ch, before[at(ch)]);
        }
        assert!((blended.iter().sum::<f32>() - before.iter().sum::<f32>()).abs() < 1e-6);
    }

    #[test]
    fn a_moved_input_keeps_its_ink_and_takes_paper_in_from_the_edge() {
        let mut x = [0.0f32; INPUT_SIDE * INPUT_SIDE];
        x[0] = 0.5; // top left
        x[INPUT_SIDE + 1] = 1.0; // one in from the top left
        assert_eq!(moved(&x, 0, 0), x);
        let right_down = moved(&x, 1, 1);
        assert_eq!(right_down[INPUT_SIDE + 1], 0.5);
        assert_eq!(right_down[2 * INPUT_SIDE + 2], 1.0);
        assert_eq!(right_down.iter().filter(|&&v| v > 0.0).count(), 2);
        let left_up = moved(&x, -1, -1);
        assert_eq!(left_up[0], 1.0, "the top-left pixel went beyond the edge");
        assert_eq!(left_up.iter().filter(|&&v| v > 0.0).count(), 1);
        assert!(READER_MOVES.contains(&(0, 0)), "the input as it is is read too");
    }

    #[test]
    fn corrupt_bytes_are_refused_with_the_member_and_the_reason() {
        let e = KuzushijiReader::from_bytes(&[(b"garbage", "{")]).err().unwrap().to_string();
        assert!(e.contains("network 1 of 1") && (e.contains("sidecar") || e.contains("safetensors")), "{e}");
        assert!(KuzushijiReader::from_bytes(&[]).unwrap().is_none(), "no member, no reader");
    }
}
