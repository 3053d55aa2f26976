//! From the network's probabilities to the candidates a person sees: the script choice (Auto,
//! Hiragana, Katakana, Kuzushiji, All), the text written so far as context, and pictures, where
//! small and full-size kana cannot be told apart.
//!
//! - **Hiragana / Katakana / Kuzushiji** keep only that script's classes (Kuzushiji: the 49 classes
//!   of Kuzushiji-49) and renormalize. Under Kuzushiji a picture file no larger than the model
//!   input is also softened first ([`KUZUSHIJI_THUMBNAIL_BLUR`], [`ScriptChoice::picture_options`]).
//! - **Auto**: once the text has kana, the other script's probabilities are scaled by
//!   [`OTHER_SCRIPT_WEIGHT`]: a character that looks alike in both (り/リ, へ/ヘ, か/カ ...) is read
//!   in the script of the text, while a clear reading in the other script still comes first. With
//!   no context, katakana is scaled by [`LONE_KATAKANA_WEIGHT`] (hiragana is the common script).
//! - **All** ranks as the network does.
//! - **The Kuzushiji reader** ([`Reading::blend`]): under Kuzushiji, and under Auto for a picture
//!   that looks like a Kuzushiji-49 cell ([`Reading::kuzushiji_cell`]), the bundled recognizer's
//!   probabilities for a picture file are first averaged with the bundled reader's (three networks
//!   of one recipe, trained mostly on real cells).
//! - **Pictures** ([`Reading::picture`]): each small kana and its full-size form share their
//!   probability mass, full-size first, since a picture's crop does not show how large the
//!   character was written.
//! - **Ink written high** ([`Reading::high`], from [`Reading::for_input`]): the same, since a small
//!   kana sits low in its box, down to the line; a full-size kana written small but centred or
//!   high stays full-size.

use super::network::rank;
use super::notes::Note;
use super::Prediction;
use crate::data::classes::{self, index_of, ClassMap, Script, NUM_CLASSES};
use crate::data::k49::CLASSMAP_CSV;
use crate::ink::picture::{PictureInput, PictureOptions};
use std::fmt;

/// Weight of the other script's classes under [`ScriptChoice::Auto`] with context.
pub const OTHER_SCRIPT_WEIGHT: f32 = 0.1;

/// Weight of the katakana classes under [`ScriptChoice::Auto`] with no context: a lone character
/// that looks alike in both scripts (り/リ, へ/ヘ, カ/か) is read as hiragana, which Japanese text
/// uses several times as often, while a clear katakana reading still comes first.
pub const LONE_KATAKANA_WEIGHT: f32 = 0.5;

/// A small kana is written low in its box: the centre of its ink lies below this fraction of the
/// box from the top (0.54–0.70 for 90% of the held-out drawings of small kana, whose fonts place them
/// highest; the app's guides ask for the lower-left quarter). Ink centred higher is a full-size kana,
/// however small it is written.
pub const SMALL_KANA_MIN_CENTRE: f32 = 0.53;

/// A small kana sits on the line: its ink reaches down ([`crate::ink::preprocess::ink_reach_y`]) to
/// at least this fraction of the box from the top (all but 0.5% of the drawings of small kana in
/// the training fonts). Ink that stops above it is a full-size kana written small, wherever its
/// centre is. Chosen on the training fonts' drawings; the held-out ones measure it.
pub const SMALL_KANA_MIN_REACH: f32 = 0.72;

/// Under [`ScriptChoice::Kuzushiji`] a picture no larger than the model input (a cell as
/// Kuzushiji-49 publishes it, 28x28) is blurred by a Gaussian of this many pixels before it is
/// read. The published cells are sharper than the recognizer's training draws of them, which are
/// resampled; σ 0.6 is the softening session 21 measured as "thumbnails softened" (`models/README.md`).
/// Under the other choices a thumbnail is read as it is: a 28-pixel rendering of a font or a
/// drawing is as soft as its training draws already, and blurring it costs up to 4 points.
pub const KUZUSHIJI_THUMBNAIL_BLUR: f32 = 0.6;

/// Which characters the candidates may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScriptChoice {
    /// The script of the text written so far, for look-alikes; all classes otherwise.
    #[default]
    Auto,
    /// Hiragana only.
    Hiragana,
    /// Katakana only.
    Katakana,
    /// The 49 classes of Kuzushiji-49 (classical hiragana).
    Kuzushiji,
    /// Every class, as the network ranks them.
    All,
}

impl ScriptChoice {
    /// Every choice, in menu order.
    pub const ALL: [ScriptChoice; 5] = [Self::Auto, Self::Hiragana, Self::Katakana, Self::Kuzushiji, Self::All];

    /// The name used by `--script` and the settings file.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Hiragana => "hiragana",
            Self::Katakana => "katakana",
            Self::Kuzushiji => "kuzushiji",
            Self::All => "all",
        }
    }

    /// How a picture file is read under this choice ([`crate::ink::picture::picture_input`]):
    /// whole as a writing box when `as_box`, and, under Kuzushiji, a thumbnail softened by
    /// [`KUZUSHIJI_THUMBNAIL_BLUR`]; under every other choice, whether a picture looks like a
    /// Kuzushiji-49 cell is told ([`Reading::kuzushiji_cell`]).
    pub fn picture_options(self, as_box: bool) -> PictureOptions {
        let kuzushiji = self == Self::Kuzushiji;
        let thumbnail_blur = if kuzushiji { KUZUSHIJI_THUMBNAIL_BLUR } else { 0.0 };
        PictureOptions { as_box, thumbnail_blur, kuzushiji_hint: !kuzushiji }
    }

    /// Parses a `--script` value.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| format!("unknown script {text:?} (auto, hiragana, katakana, kuzushiji or all)"))
    }
}

impl fmt::Display for ScriptChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self {
            Self::Auto => "Auto",
            Self::Hiragana => "Hiragana",
            Self::Katakana => "Katakana",
            Self::Kuzushiji => "Kuzushiji",
            Self::All => "All",
        };
        f.write_str(label)
    }
}

/// How to read one input.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    /// The script choice.
    pub script: ScriptChoice,
    /// The text written so far (for [`ScriptChoice::Auto`]).
    pub context: String,
    /// The input is a picture cropped to its ink: small and full-size kana look the same.
    pub picture: bool,
    /// The ink sits high in its writing box (see [`Reading::for_input`]): a full-size kana written
    /// small, not a small kana, which sits low.
    pub high: bool,
    /// The input is a picture file read by the bundled recognizer (not a drawing, nor a
    /// recognizer opened from a file): under Kuzushiji the bundled
    /// [`KuzushijiReader`](super::kuzushiji_reader::KuzushijiReader) joins it ([`Reading::blend`]).
    pub kuzushiji_reader: bool,
    /// The picture looks like a Kuzushiji-MNIST or Kuzushiji-49 cell
    /// ([`PictureInput::kuzushiji_like`]): under Auto the Kuzushiji reader joins too, and under
    /// the other scripts but Kuzushiji the candidates say so.
    pub kuzushiji_cell: bool,
}

/// The candidates and what changed their order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Candidates {
    /// Best first (in the order the script, context and picture rules give), each with the
    /// network's own probability (the average of the two under the Kuzushiji reader), so the
    /// figures mean what they say and never add up to more than 100%.
    pub top: Vec<Prediction>,
    /// What changed the candidates or the order of the network's own ranking, one note each.
    pub notes: Vec<Note>,
}

impl Candidates {
    /// These candidates with the notes on how `picture` was read (several characters, softened)
    /// before their own, as the app and `fude predict` show them.
    pub fn with_picture_notes(mut self, picture: &PictureInput) -> Candidates {
        self.notes.splice(0..0, Note::of_picture(picture));
        self
    }
}

impl Reading {
    /// This reading for one model input: a writing box whose ink is centred above
    /// [`SMALL_KANA_MIN_CENTRE`], or stops above [`SMALL_KANA_MIN_REACH`], is read
    /// [`Reading::high`].
    pub fn for_input(&self, input: &[f32]) -> Reading {
        use crate::ink::preprocess::{ink_centre_y, ink_reach_y};
        let high = !self.picture
            && (ink_centre_y(input).is_some_and(|y| y < SMALL_KANA_MIN_CENTRE) || ink_reach_y(input).is_some_and(|y| y < SMALL_KANA_MIN_REACH));
        Reading { high, ..self.clone() }
    }

    /// This reading for a picture file or a drawing read as [`crate::ink::picture::picture_input`]
    /// makes it, by the bundled recognizer when `bundled` (see [`Reading::for_input`]).
    pub fn for_picture(&self, picture: &PictureInput, bundled: bool) -> Reading {
        Reading {
            picture: picture.cropped,
            kuzushiji_reader: bundled && !picture.drawing,
            kuzushiji_cell: picture.kuzushiji_like,
            ..self.clone()
        }
        .for_input(&picture.input)
    }

    /// The `k` best candidates for the network's probabilities `probs` (one per class).
    pub fn candidates(&self, probs: &[f32], k: usize) -> Candidates {
        let raw = rank(probs, k);
        let mut p: Vec<f32> = probs.iter().map(|&v| if v.is_finite() { v.max(0.0) } else { 0.0 }).collect();
        let mut notes = Vec::new();
        let mut reason = None;
        let mut lone = false;
        match self.script {
            ScriptChoice::All => {}
            ScriptChoice::Hiragana => keep_only(&mut p, |c| script_of(c) == Some(Script::Hiragana)),
            ScriptChoice::Katakana => keep_only(&mut p, |c| script_of(c) == Some(Script::Katakana)),
            ScriptChoice::Kuzushiji => {
                let k49 = kuzushiji_classes();
                keep_only(&mut p, |c| k49.contains(&c));
            }
            ScriptChoice::Auto => {
                if let Some(script) = context_script(&self.context) {
                    for (c, v) in p.iter_mut().enumerate() {
                        if script_of(c).is_some_and(|s| s != script) {
                            *v *= OTHER_SCRIPT_WEIGHT;
                        }
                    }
                    reason = Some(Note::ContextScript(script));
                } else {
                    for (c, v) in p.iter_mut().enumerate() {
                        if script_of(c) == Some(Script::Katakana) {
                            *v *= LONE_KATAKANA_WEIGHT;
                        }
                    }
                    lone = true;
                    reason = Some(Note::LoneHiragana);
                }
            }
        }
        if !matches!(self.script, ScriptChoice::All | ScriptChoice::Auto) {
            reason = Some(Note::ScriptOnly(self.script));
        }
        normalize(&mut p);
        // The script's reason is given when the script step itself changed the order.
        let scripted = order(&rank(&p, k).into_iter().filter(|c| c.prob > 0.0).collect::<Vec<_>>());
        let merged = (self.picture || self.high) && merge_small_into_full(&mut p);
        // Classes a script choice ruled out are not candidates; the rest carry the network's own
        // probability (the adjusted one only orders them).
        let own = |c: usize| probs.get(c).copied().filter(|v| v.is_finite()).unwrap_or(0.0).max(0.0);
        let top: Vec<Prediction> = rank(&p, k).into_iter().filter(|c| c.prob > 0.0).map(|c| Prediction { prob: own(c.class), ..c }).collect();
        if merged && self.picture && top.iter().any(|c| has_small_form(c.ch)) {
            notes.push(Note::SizeUnseen);
        } else if merged && order(&top).first() != scripted.first() {
            notes.push(Note::WrittenHigh);
        }
        // With no text the hiragana preference reorders most rankings a little: it is worth a
        // note only when it changed the first candidate.
        let changed = if lone { scripted.first() != order(&raw).first() } else { scripted != order(&raw) };
        if let Some(r) = reason.filter(|_| changed) {
            notes.insert(0, r);
        }
        // One note says what the percentages are: with the Kuzushiji reader, its own.
        let blended = self.blends() && matches!(super::KuzushijiReader::bundled(), Ok(Some(_)));
        let reordered = !notes.is_empty();
        if self.kuzushiji_cell && !blended && self.script != ScriptChoice::Kuzushiji {
            notes.push(Note::KuzushijiCell);
        }
        if blended {
            notes.push(Note::KuzushijiReader { cell: self.script != ScriptChoice::Kuzushiji, reordered });
        } else if reordered {
            notes.push(Note::OwnPercentages);
        }
        Candidates { top, notes }
    }
}

/// Whether `ch` is a small kana or the full-size form of one.
fn has_small_form(ch: char) -> bool {
    size_twin(ch).is_some()
}

/// The characters of a ranking, in order.
fn order(top: &[Prediction]) -> Vec<char> {
    top.iter().map(|p| p.ch).collect()
}

/// The script of a class index.
fn script_of(class: usize) -> Option<Script> {
    classes::get(class).map(|c| c.script())
}

/// The class-table indices of Kuzushiji-49's classes.
pub fn kuzushiji_classes() -> &'static [usize] {
    static K49: std::sync::OnceLock<Vec<usize>> = std::sync::OnceLock::new();
    K49.get_or_init(|| ClassMap::parse(CLASSMAP_CSV).map(|m| m.to_table).unwrap_or_default())
}

/// The script of the text's last kana, if it has one.
pub fn context_script(text: &str) -> Option<Script> {
    text.chars().rev().find_map(index_of).and_then(script_of)
}

/// Zeroes every class that `keep` rejects.
fn keep_only(p: &mut [f32], keep: impl Fn(usize) -> bool) {
    for (c, v) in p.iter_mut().enumerate() {
        if !keep(c) {
            *v = 0.0;
        }
    }
}

/// Scales `p` to sum to 1 (left as is when it sums to 0).
fn normalize(p: &mut [f32]) {
    let sum: f32 = p.iter().sum();
    if sum > 0.0 {
        for v in p.iter_mut() {
            *v /= sum;
        }
    }
}

/// The full-size form of a small kana (ぁ → あ, ッ → ツ, ヵ → カ ...); `None` for any other
/// character.
pub fn full_size_of(small: char) -> Option<char> {
    if !classes::index_of(small).and_then(classes::get).is_some_and(|k| k.is_small()) {
        return None;
    }
    let full = match small {
        'ゕ' => 'か',
        'ゖ' => 'け',
        'ヵ' => 'カ',
        'ヶ' => 'ケ',
        c => char::from_u32(c as u32 + 1)?,
    };
    Some(full)
}

/// The other size of a kana: the full-size form of a small kana, the small form of a full-size
/// kana that has one (や ↔ ゃ, ツ ↔ ッ, か ↔ ゕ); `None` for any other character.
pub fn size_twin(ch: char) -> Option<char> {
    static TWINS: std::sync::OnceLock<Vec<Option<char>>> = std::sync::OnceLock::new();
    let twins = TWINS.get_or_init(|| {
        let all = classes::all();
        let of = |ch: char| full_size_of(ch).or_else(|| all.iter().map(|k| k.ch).find(|&small| full_size_of(small) == Some(ch)));
        all.iter().map(|k| of(k.ch)).collect()
    });
    index_of(ch).and_then(|i| twins.get(i).copied().flatten())
}

/// Hiragana whose katakana comes from the same man'yōgana and keeps its shape (か/カ 加, き/キ 幾,
/// せ/セ 世, へ/ヘ 部, も/モ 毛, や/ヤ 也, り/リ 利), with their voiced and small forms: written
/// by hand, each pair is often one shape.
pub const SHAPE_TWINS: &str = "かがゕきぎせぜへべぺもやゃりカガヵキギセゼヘベペモヤャリ";

/// The same letter in the other script when the two share a shape ([`SHAPE_TWINS`]: り ↔ リ,
/// べ ↔ ベ, ゃ ↔ ャ); `None` for any other character.
pub fn script_twin(ch: char) -> Option<char> {
    if !SHAPE_TWINS.contains(ch) {
        return None;
    }
    let code = ch as u32;
    let twin = if code < 0x30A0 { code + 0x60 } else { code - 0x60 };
    char::from_u32(twin).filter(|&t| SHAPE_TWINS.contains(t))
}

/// Gives each small kana's probability to its full-size form (which then holds the pair's
/// mass) and leaves the small form just below it. Returns whether any small kana had mass.
fn merge_small_into_full(p: &mut [f32]) -> bool {
    let mut any = false;
    for small in 0..NUM_CLASSES.min(p.len()) {
        let Some(full) = classes::get(small).and_then(|kana| full_size_of(kana.ch)).and_then(index_of) else { continue };
        let (Some(&ps), Some(&pf)) = (p.get(small), p.get(full)) else { continue };
        if ps > 0.0 {
            any = true;
            // Full-size first with the pair's whole mass, so it ranks against kana without a small
            // form as the two together; the small form follows at a hair less.
            let pair = ps + pf;
            if let Some(v) = p.get_mut(full) {
                *v = pair;
            }
            if let Some(v) = p.get_mut(small) {
                *v = pair * (1.0 - 1e-6);
            }
        }
    }
    any
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Probabilities with the given characters' values, the rest 0.
    fn probs(pairs: &[(char, f32)]) -> Vec<f32> {
        let mut p = vec![0.0; NUM_CLASSES];
        for &(ch, v) in pairs {
            p[index_of(ch).unwrap()] = v;
        }
        p
    }

    fn chars(c: &Candidates) -> String {
        c.top.iter().map(|p| p.ch).collect()
    }

    #[test]
    fn auto_without_context_reads_look_alikes_as_hiragana() {
        // A near tie between look-alikes goes to hiragana, with the network's own figures.
        let p = probs(&[('リ', 0.55), ('り', 0.4), ('い', 0.05)]);
        let c = Reading::default().candidates(&p, 3);
        assert_eq!(chars(&c), "りリい");
        assert_eq!(c.notes, vec![Note::LoneHiragana, Note::OwnPercentages]);
        assert!((c.top[0].prob - 0.4).abs() < 1e-6);
        // A clear katakana reading stays first, and nothing is said: the order did not change.
        let clear = probs(&[('リ', 0.7), ('り', 0.3)]);
        let c = Reading::default().candidates(&clear, 2);
        assert_eq!(chars(&c), "リり");
        assert!(c.notes.is_empty());
        // Look-alikes reordered below a clear first candidate are not worth a note.
        let below = probs(&[('く', 0.9), ('シ', 0.06), ('し', 0.04)]);
        let c = Reading::default().candidates(&below, 3);
        assert_eq!(chars(&c), "くしシ");
        assert!(c.notes.is_empty(), "{:?}", c.notes);
        // All ranks as the network does.
        let all = Reading { script: ScriptChoice::All, ..Default::default() };
        assert_eq!(chars(&all.candidates(&p, 3)), "リりい");
    }

    #[test]
    fn auto_reads_look_alikes_in_the_script_of_the_text() {
        let p = probs(&[('リ', 0.6), ('り', 0.3), ('い', 0.05)]);
        let hira = Reading { context: "きょうは".into(), ..Default::default() };
        let c = hira.candidates(&p, 3);
        assert_eq!(chars(&c), "りリい");
        assert_eq!(c.notes, vec![Note::ContextScript(Script::Hiragana), Note::OwnPercentages]);
        // The figures are the network's own: り first with its 30%, リ after with 60%.
        let shown: Vec<f32> = c.top.iter().map(|p| p.prob).collect();
        assert_eq!(shown, vec![0.3, 0.6, 0.05]);
        // Katakana context keeps リ first, and says nothing: the order did not change.
        let kata = Reading { context: "ア".into(), ..Default::default() };
        let c = kata.candidates(&p, 3);
        assert_eq!(chars(&c), "リりい");
        assert!(c.notes.is_empty());
        // A clear katakana reading stays first even in hiragana text.
        let clear = probs(&[('ア', 0.95), ('あ', 0.05)]);
        assert_eq!(chars(&hira.candidates(&clear, 2)), "アあ");
        // The last kana decides; other characters are skipped.
        assert_eq!(context_script("カタカナ、 and ひ!"), Some(Script::Hiragana));
        assert_eq!(context_script("、。 abc"), None);
    }

    #[test]
    fn a_script_choice_keeps_only_its_characters() {
        let p = probs(&[('リ', 0.6), ('り', 0.3), ('ゐ', 0.05), ('ヰ', 0.05)]);
        let c = Reading { script: ScriptChoice::Hiragana, ..Default::default() }.candidates(&p, 5);
        assert_eq!(chars(&c), "りゐ");
        assert_eq!(c.notes.first(), Some(&Note::ScriptOnly(ScriptChoice::Hiragana)));
        let c = Reading { script: ScriptChoice::Katakana, ..Default::default() }.candidates(&p, 5);
        assert_eq!(chars(&c), "リヰ");
        let c = Reading { script: ScriptChoice::Kuzushiji, ..Default::default() }.candidates(&p, 5);
        assert_eq!(chars(&c), "りゐ");
        let c = Reading { script: ScriptChoice::All, ..Default::default() }.candidates(&p, 5);
        assert_eq!(chars(&c), "リりゐヰ");
        assert_eq!(kuzushiji_classes().len(), 49);
        assert!(!kuzushiji_classes().contains(&index_of('ぱ').unwrap()), "no dakuten forms in Kuzushiji-49");
    }

    #[test]
    fn a_kuzushiji_cell_is_noted_by_script_and_read_by_the_reader_under_auto() {
        let p = probs(&[('あ', 0.9), ('お', 0.1)]);
        let has_reader = matches!(super::super::KuzushijiReader::bundled(), Ok(Some(_)));
        for script in ScriptChoice::ALL {
            for bundled in [false, true] {
                let notes = Reading { script, kuzushiji_cell: true, kuzushiji_reader: bundled, ..Default::default() }.candidates(&p, 3).notes;
                let reader = script == ScriptChoice::Auto && bundled && has_reader;
                let advised = script != ScriptChoice::Kuzushiji && !reader;
                assert_eq!(notes.contains(&Note::KuzushijiCell), advised, "{script}, bundled {bundled}: {notes:?}");
                assert_eq!(notes.contains(&Note::KuzushijiReader { cell: true, reordered: false }), reader, "{script}, bundled {bundled}: {notes:?}");
                let plain = Reading { script, kuzushiji_reader: bundled, ..Default::default() }.candidates(&p, 3).notes;
                assert!(plain.iter().all(|n| n.short().is_none()), "{script}: {plain:?}");
            }
        }
    }

    #[test]
    fn a_picture_s_reading_says_how_it_was_read() {
        use crate::ink::picture::PictureInput;
        let mut input = [0.0f32; crate::ink::INPUT_SIDE * crate::ink::INPUT_SIDE];
        input[400] = 1.0;
        let cell = PictureInput { input, cropped: true, several: false, softened: false, kuzushiji_like: true, drawing: false };
        let base = Reading { script: ScriptChoice::Auto, context: "あ".into(), ..Default::default() };
        let r = base.for_picture(&cell, true);
        assert!(r.picture && r.kuzushiji_reader && r.kuzushiji_cell && r.context == "あ");
        assert!(!base.for_picture(&cell, false).kuzushiji_reader, "a recognizer from a file reads alone");
        let drawing = base.for_picture(&PictureInput::of_drawing(input), true);
        assert!(!drawing.picture && !drawing.kuzushiji_reader && !drawing.kuzushiji_cell);
    }

    #[test]
    fn script_names_round_trip() {
        for c in ScriptChoice::ALL {
            assert_eq!(ScriptChoice::parse(c.name()), Ok(c));
        }
        assert!(ScriptChoice::parse("latin").unwrap_err().contains("unknown script"));
    }

    #[test]
    fn ink_written_high_is_a_full_size_kana() {
        use crate::ink::INPUT_SIDE;
        // A 10-pixel-tall blob at rows `top..top + 10` of the 28x28 input.
        let blob = |top: usize| {
            let mut input = vec![0.0f32; INPUT_SIDE * INPUT_SIDE];
            for y in top..top + 10 {
                for x in 8..18 {
                    input[y * INPUT_SIDE + x] = 1.0;
                }
            }
            input
        };
        let p = probs(&[('っ', 0.7), ('つ', 0.2), ('う', 0.1)]);
        let centred = Reading::default().for_input(&blob(9));
        assert!(centred.high);
        let c = centred.candidates(&p, 3);
        assert_eq!(chars(&c), "つっう");
        assert_eq!(c.notes.first(), Some(&Note::WrittenHigh), "{:?}", c.notes);
        // A full-size first candidate stays first without a note, whatever moves below it.
        let ku = probs(&[('く', 0.9), ('ぁ', 0.05), ('あ', 0.01)]);
        let c = centred.candidates(&ku, 3);
        assert_eq!(chars(&c), "くあぁ");
        assert!(c.notes.is_empty(), "{:?}", c.notes);
        // Centred a little low but stopping well above the line: a full-size kana written small.
        let short = |top: usize, rows: usize| {
            let mut input = blob(top);
            input[(top + rows) * INPUT_SIDE..].iter_mut().for_each(|v| *v = 0.0);
            input
        };
        assert!(crate::ink::preprocess::ink_centre_y(&short(12, 8)).unwrap() > SMALL_KANA_MIN_CENTRE);
        assert!(Reading::default().for_input(&short(12, 8)).high);
        assert!(!Reading::default().for_input(&short(14, 8)).high, "rows 14-21 reach the line");
        // Written low, a small kana stays small; a blank input is not high.
        let low = Reading::default().for_input(&blob(14));
        assert!(!low.high);
        assert_eq!(chars(&low.candidates(&p, 3)), "っつう");
        assert!(!Reading::default().for_input(&[0.0; INPUT_SIDE * INPUT_SIDE]).high);
        // A picture keeps its own rule.
        assert!(!Reading { picture: true, ..Default::default() }.for_input(&blob(9)).high);
    }

    #[test]
    fn pictures_put_the_full_size_form_first() {
        let p = probs(&[('ッ', 0.7), ('ツ', 0.2), ('シ', 0.1)]);
        let c = Reading { picture: true, ..Default::default() }.candidates(&p, 3);
        assert_eq!(chars(&c), "ツッシ");
        assert_eq!(c.notes.first(), Some(&Note::SizeUnseen));
        assert!((c.top[0].prob - 0.2).abs() < 1e-6, "ツ shows the network's own 20%");
        // The pair ranks with its whole mass against a kana without a small form: ツ + ッ = 0.45
        // beats ソ at 0.4.
        let pair = probs(&[('ッ', 0.25), ('ツ', 0.2), ('ソ', 0.4), ('シ', 0.15)]);
        assert_eq!(chars(&Reading { picture: true, ..Default::default() }.candidates(&pair, 4)), "ツッソシ");
        // The canvas keeps its small kana.
        assert_eq!(chars(&Reading::default().candidates(&p, 3)), "ッツシ");
        assert_eq!(full_size_of('ヵ'), Some('カ'));
        assert_eq!(full_size_of('ゃ'), Some('や'));
        assert_eq!(full_size_of('や'), None, "a full-size kana has no full-size form of its own");
        assert_eq!(full_size_of('x'), None);
        assert_eq!((size_twin('ょ'), size_twin('よ'), size_twin('ヵ'), size_twin('カ')), (Some('よ'), Some('ょ'), Some('カ'), Some('ヵ')));
        assert_eq!((size_twin('ま'), size_twin('x')), (None, None));
        assert_eq!((script_twin('り'), script_twin('リ'), script_twin('ぺ'), script_twin('ャ')), (Some('リ'), Some('り'), Some('ペ'), Some('ゃ')));
        assert_eq!((script_twin('あ'), script_twin('シ'), script_twin('x')), (None, None, None));
        for ch in SHAPE_TWINS.chars() {
            let twin = script_twin(ch).unwrap();
            assert!(index_of(ch).is_some() && script_twin(twin) == Some(ch), "{ch} ↔ {twin}");
        }
        for small in classes::all().into_iter().filter(|c| c.is_small()) {
            let full = full_size_of(small.ch).and_then(index_of).and_then(classes::get).unwrap();
            assert!(!full.is_small() && full.script() == small.script(), "{} → {}", small.ch, full.ch);
        }
    }
}
