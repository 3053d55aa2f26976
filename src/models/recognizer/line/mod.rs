//! Reading a line of kana written left to right: the strokes are put in reading order and
//! measured ([`layout`]), every group of up to [`LineOptions::max_group`] consecutive strokes no
//! wider than [`MAX_GROUP_WIDTH`] boxes is read by the recognizer in a square of the line's
//! height (a [`LineReader`] remembers the groups it read, see [`KEEP_SCALE`]), and a beam
//! search ([`search`]) finds the best readings, ranked with the word list.

pub mod layout;
pub mod search;
pub mod strokes;

use self::layout::Layout;
use self::search::{Group, Path, Weights};
use super::reading::{script_twin, size_twin};
use super::{CpuRecognizer, Reading};
use crate::data::lexicon::Lexicon;
use crate::error::{Error, Result};
use crate::ink::Stroke;
use crate::models::Prediction;
use std::collections::HashMap;

/// Most strokes in one line (about thirty kana).
pub const MAX_LINE_STROKES: usize = 200;

/// Groups wider than this many boxes are not read (a kana seldom is; see [`WIDEST_GROUP`]),
/// unless [`LineOptions::max_width`] says otherwise.
pub const MAX_GROUP_WIDTH: f32 = 1.3;

/// Widest group read when no reading covers the line with narrower ones, in boxes.
pub const WIDEST_GROUP: f32 = 1.6;

/// Most strokes in one character (groups this large are tried only when no reading covers the
/// strokes with [`LineOptions::max_group`]).
pub const MAX_GROUP: usize = 12;

/// Most group readings a [`LineReader`] remembers.
const CACHE_LIMIT: usize = 4096;

/// A [`LineReader`] reuses a group's reading made in an earlier line's box while this line's
/// box differs from that one by at most this much in size (as |ln(side ratio)|)…
pub const KEEP_SCALE: f32 = 0.12;

/// …and its centre by at most this fraction of the box side, so a stroke that changes the
/// line's height a little leaves the groups already read remembered.
pub const KEEP_SHIFT: f32 = 0.05;

/// A group's remembered reading and the box it was read in.
struct Remembered {
    side: f32,
    top: f32,
    probs: Vec<f32>,
}

/// How to read a line.
#[derive(Debug, Clone, PartialEq)]
pub struct LineOptions {
    /// Script choice and context, as for one character.
    pub reading: Reading,
    /// Most strokes in one character.
    pub max_group: usize,
    /// Readings returned: the best and its alternatives.
    pub readings: usize,
    /// Candidates per character.
    pub per_char: usize,
    /// How readings are scored.
    pub weights: Weights,
    /// Rank readings with the bundled word list.
    pub words: bool,
    /// How much of the writing box the line's ink fills, top to bottom.
    pub fill: f32,
    /// Groups wider than this many boxes are not read (unless no reading covers the line
    /// otherwise, see [`WIDEST_GROUP`]).
    pub max_width: f32,
}

impl Default for LineOptions {
    fn default() -> Self {
        LineOptions { reading: Reading::default(), max_group: 8, readings: 6, per_char: 5, weights: Weights::FULL, words: true, fill: layout::BAND_FILL, max_width: MAX_GROUP_WIDTH }
    }
}

impl LineOptions {
    /// The baseline: groups of consecutive strokes (up to [`WIDEST_GROUP`] boxes wide)
    /// read alone, log top-1 probability minus 1 per character, one script per word, no word
    /// list, strokes as written.
    pub fn plain() -> Self {
        LineOptions { weights: Weights::PLAIN, words: false, max_width: WIDEST_GROUP, ..Self::default() }
    }
}

/// One character of a reading.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChar {
    /// The character read.
    pub ch: char,
    /// Its strokes (drawing indices, ascending).
    pub strokes: Vec<usize>,
    /// Its group's candidates, best first.
    pub top: Vec<Prediction>,
}

/// One reading of a line.
#[derive(Debug, Clone, PartialEq)]
pub struct LineReading {
    /// The text.
    pub text: String,
    /// Its score (higher is better).
    pub score: f32,
    /// Its characters, left to right.
    pub characters: Vec<LineChar>,
}

/// Reads lines, remembering the group readings of the last lines, so reading a line again after
/// one more stroke only reads the groups that changed. A group read before is not read again
/// while the line's box (see [`layout::Layout`]) stays within [`KEEP_SCALE`] and [`KEEP_SHIFT`]
/// of the box it was read in, so a stroke that changes the line's height a little does not make
/// every group be read again (new groups are read in the line's own box).
#[derive(Default)]
pub struct LineReader {
    cache: HashMap<u64, Remembered>,
    /// `(scale, shift)` tolerances, `None` for [`KEEP_SCALE`] and [`KEEP_SHIFT`].
    keep: Option<(f32, f32)>,
    /// Groups read by the network so far.
    reads: usize,
}

impl LineReader {
    /// A reader with nothing remembered.
    pub fn new() -> Self {
        Self::default()
    }

    /// A reader that keeps its box within `scale` and `shift` (see [`KEEP_SCALE`]; zeros: it
    /// always reads in the line's own box).
    pub fn with_keep(scale: f32, shift: f32) -> Self {
        LineReader { keep: Some((scale, shift)), ..Self::default() }
    }

    /// The best readings of a line (best first; empty without ink).
    pub fn read(&mut self, net: &CpuRecognizer, strokes: &[Stroke], opts: &LineOptions) -> Result<Vec<LineReading>> {
        if strokes.len() > MAX_LINE_STROKES {
            return Err(Error::Invalid(format!("{} strokes is too many for a line (the limit is {MAX_LINE_STROKES})", strokes.len())));
        }
        let Some(mut layout) = Layout::with_fill(strokes, opts.fill) else { return Ok(Vec::new()) };
        if opts.weights.backwards {
            layout.order = (0..strokes.len()).collect();
        }
        let lexicon = opts.words.then(Lexicon::bundled);
        let mut paths = Vec::new();
        // Should no reading cover every stroke (a character of more strokes than `max_group`, or
        // wider than `max_width`), larger groups are tried.
        let widest = opts.max_width.max(WIDEST_GROUP);
        for (max_group, max_width) in [(opts.max_group.clamp(1, MAX_GROUP), opts.max_width), (MAX_GROUP, widest)] {
            let groups = self.groups(net, strokes, &layout, opts, max_group, max_width)?;
            paths = search::search(&groups, layout.order.len(), layout.side, &opts.weights, lexicon, opts.readings.max(1));
            if !paths.is_empty() {
                return Ok(paths.iter().map(|p| reading(p, &groups, &layout, opts.per_char)).collect());
            }
        }
        Ok(paths.iter().map(|p| reading(p, &[], &layout, opts.per_char)).collect())
    }

    /// Whether a reading made in the box `(side, top)` may stand for one in `layout`'s box.
    fn close(&self, side: f32, top: f32, layout: &Layout) -> bool {
        let (keep_scale, keep_shift) = self.keep.unwrap_or((KEEP_SCALE, KEEP_SHIFT));
        if side == layout.side && top == layout.top {
            return true;
        }
        let scale = (layout.side / side).ln().abs();
        let shift = ((layout.top + 0.5 * layout.side) - (top + 0.5 * side)).abs() / side;
        scale <= keep_scale && shift <= keep_shift
    }

    /// Every group the search may use, read.
    fn groups(
        &mut self,
        net: &CpuRecognizer,
        strokes: &[Stroke],
        layout: &Layout,
        opts: &LineOptions,
        max_group: usize,
        max_width: f32,
    ) -> Result<Vec<Group>> {
        if self.cache.len() > CACHE_LIMIT {
            self.cache.clear();
        }
        let n = layout.order.len();
        let mut groups = Vec::new();
        for start in 0..n {
            for end in start + 1..=(start + max_group).min(n) {
                let ids = layout.order.get(start..end).unwrap_or(&[]);
                let Some(extent) = layout.extent(ids) else { continue };
                if extent.width() > max_width * layout.side {
                    break;
                }
                let key = group_key(strokes, ids);
                let probs = match self.cache.get(&key).filter(|r| self.close(r.side, r.top, layout)) {
                    Some(r) => r.probs.clone(),
                    None => {
                        let Some(input) = layout.input(strokes, ids) else { continue };
                        let probs = net.probabilities(&input)?;
                        self.reads += 1;
                        self.cache.insert(key, Remembered { side: layout.side, top: layout.top, probs: probs.clone() });
                        probs
                    }
                };
                let top = candidates(&opts.reading, &probs, opts.per_char);
                groups.push(Group { start, end, extent, gap: layout.inner_gap(ids) / layout.side, top });
            }
        }
        Ok(groups)
    }
}

/// A group's candidates: the best `per_char` the reading gives (above 1e-4), then the other size
/// and the shape twin of the first [`TWINS_OF`] where the reading allows them and they are not
/// among them, so the word list can change a kana's size or script
/// ([`search::Weights::size_swap`], [`search::Weights::script_swap`]).
fn candidates(reading: &Reading, probs: &[f32], per_char: usize) -> Vec<Prediction> {
    let all = reading.candidates(probs, 40).top;
    let mut top: Vec<Prediction> = all.iter().take(per_char.clamp(1, 20)).filter(|c| c.prob > 1e-4).copied().collect();
    let twins: Vec<char> = top.iter().take(TWINS_OF).flat_map(|c| [size_twin(c.ch), script_twin(c.ch)]).flatten().collect();
    for twin in twins {
        if let Some(c) = all.iter().find(|c| c.ch == twin).filter(|_| top.iter().all(|t| t.ch != twin)) {
            top.push(*c);
        }
    }
    top
}

/// Candidates whose other size and shape twin [`candidates`] adds.
const TWINS_OF: usize = 2;

/// A hash of a group's strokes.
fn group_key(strokes: &[Stroke], ids: &[usize]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for &i in ids {
        i.hash(&mut h);
        for p in strokes.get(i).map_or(&[][..], |s| s) {
            p[0].to_bits().hash(&mut h);
            p[1].to_bits().hash(&mut h);
        }
    }
    h.finish()
}

/// The candidates a character shows, at most `per_char` of its group's `top`: the best, with the
/// one read (`chosen`, an index into `top`), its other size (small or full-size) and its shape twin
/// in the other script (when `top` has them) in place of the last ones, so a size or a script can
/// be changed with one click.
fn shown_candidates(top: &[Prediction], chosen: usize, per_char: usize) -> Vec<Prediction> {
    let per_char = per_char.clamp(1, 20);
    let Some(read) = top.get(chosen) else { return top.iter().take(per_char).copied().collect() };
    let twins = [size_twin(read.ch), script_twin(read.ch)].into_iter().flatten().filter_map(|t| top.iter().find(|c| c.ch == t));
    let mut must: Vec<Prediction> = std::iter::once(*read).chain(twins.copied()).take(per_char).collect();
    let mut shown: Vec<Prediction> = Vec::with_capacity(per_char);
    for c in top {
        if shown.len() + must.len() == per_char {
            break;
        }
        if let Some(i) = must.iter().position(|m| m.ch == c.ch) {
            must.remove(i);
        }
        shown.push(*c);
    }
    shown.extend(must);
    shown
}

/// A search path as a reading, each character with at most `per_char` of its group's candidates
/// ([`shown_candidates`]).
fn reading(p: &Path, groups: &[Group], layout: &Layout, per_char: usize) -> LineReading {
    let characters = p
        .steps
        .iter()
        .filter_map(|&(g, c)| {
            let g = groups.get(g)?;
            let mut strokes = layout.order.get(g.start..g.end)?.to_vec();
            strokes.sort_unstable();
            let ch = g.top.get(c)?.ch;
            Some(LineChar { ch, strokes, top: shown_candidates(&g.top, c, per_char) })
        })
        .collect();
    LineReading { text: p.text.clone(), score: p.score, characters }
}

/// The naive baseline: a cut wherever a stroke starts right of all the ink of the piece before,
/// each piece read alone (in the line's box) as its top candidate.
pub fn read_naive(net: &CpuRecognizer, strokes: &[Stroke], reading: &Reading) -> Result<String> {
    let Some(layout) = Layout::new(strokes) else { return Ok(String::new()) };
    let mut pieces: Vec<Vec<usize>> = Vec::new();
    let mut right = f32::NEG_INFINITY;
    for (i, e) in layout.extents.iter().enumerate() {
        match pieces.last_mut() {
            Some(piece) if e.x0 <= right => piece.push(i),
            _ => pieces.push(vec![i]),
        }
        right = if pieces.last().is_some_and(|p| p.len() == 1) { e.x1 } else { right.max(e.x1) };
    }
    let mut text = String::new();
    for piece in &pieces {
        let Some(input) = layout.input(strokes, piece) else { continue };
        if let Some(best) = reading.candidates(&net.probabilities(&input)?, 1).top.first() {
            text.push(best.ch);
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::line_words::word_drawing;
    use crate::data::Split;
    use crate::models::Checkpoint;

    fn net() -> CpuRecognizer {
        CpuRecognizer::new(&Checkpoint::bundled(&candle_core::Device::Cpu).unwrap().model).unwrap()
    }

    /// The best reading of `word` written with training font `font`, and the drawing.
    fn read(net: &CpuRecognizer, word: &str, font: usize, touching: bool) -> (LineReading, crate::data::line_words::WordDrawing) {
        let w = word_drawing(Split::Train, word, font, touching, 5).unwrap();
        let r = LineReader::new().read(net, &w.drawing.strokes, &LineOptions::default()).unwrap().remove(0);
        (r, w)
    }

    #[test]
    fn a_dakuten_written_last_joins_its_letter() {
        let net = net();
        let w = word_drawing(Split::Train, "がき", 0, false, 5).unwrap();
        let layout = Layout::new(&w.drawing.strokes).unwrap();
        // が's marks at its top right, moved to the end: written after き.
        let ga_right = layout.extent(&(0..w.owners.iter().filter(|&&o| o == 0).count()).collect::<Vec<_>>()).unwrap().x1;
        let marks: Vec<usize> = (0..w.drawing.strokes.len())
            .filter(|&i| w.owners[i] == 0 && layout.is_high_mark(i) && layout.extents[i].cx() > ga_right - 0.3 * layout.side)
            .collect();
        assert!(!marks.is_empty(), "が has marks");
        let mut strokes: Vec<Stroke> = (0..w.drawing.strokes.len()).filter(|i| !marks.contains(i)).map(|i| w.drawing.strokes[i].clone()).collect();
        strokes.extend(marks.iter().map(|&i| w.drawing.strokes[i].clone()));
        let moved: Vec<usize> = (strokes.len() - marks.len()..strokes.len()).collect();
        let r = LineReader::new().read(&net, &strokes, &LineOptions::default()).unwrap().remove(0);
        assert_eq!(r.text, "がき", "{:?}", r.characters);
        assert!(moved.iter().all(|m| r.characters[0].strokes.contains(m)), "{:?}", r.characters);
    }

    /// Of `word` written with four training fonts (`touching` or with gaps), how many read right
    /// with every stroke in its character; each miss is printed.
    fn fonts_read_right(net: &CpuRecognizer, word: &str, touching: bool) -> usize {
        let mut right = 0;
        for font in 0..4 {
            let (r, w) = read(net, word, font, touching);
            let split = r.characters.iter().enumerate().all(|(i, c)| c.strokes.iter().all(|&s| w.owners[s] == i));
            if r.text == word && split {
                right += 1;
            } else {
                eprintln!("{word} in font {font}: {:?}", r.characters.iter().map(|c| (c.ch, c.strokes.clone())).collect::<Vec<_>>());
            }
        }
        right
    }

    #[test]
    fn apart_strokes_stay_one_character() {
        // Characters whose strokes are apart, written with four training fonts: at least three
        // read right, every stroke in its character.
        let net = net();
        for word in ["いけ", "りに", "ハル"] {
            let right = fonts_read_right(&net, word, false);
            assert!(right >= 3, "{word}: {right} of 4");
        }
    }

    #[test]
    fn touching_pairs_split() {
        // The misses of a plain search: two touching characters read as one. Written
        // with four training fonts, at least three read right, every stroke in its character.
        let net = net();
        for word in ["とうさん", "まっすぐ"] {
            let right = fonts_read_right(&net, word, true);
            assert!(right >= 3, "{word}: {right} of 4");
        }
    }

    #[test]
    fn a_hiragana_written_as_its_katakana_twin_reads_as_the_word() {
        // Hiragana words written with a katakana of the same shape (リ, カ, モ, ヤ): the word list
        // reads the hiragana word in at least three of four training fonts, more often than it
        // does without the swap (the word bonus alone: 0–2 of 4).
        let net = net();
        let no_swap = Weights { script_swap: f32::INFINITY, ..Weights::FULL };
        for (written, word) in [("リょこう", "りょこう"), ("カみ", "かみ"), ("モり", "もり"), ("ヤま", "やま")] {
            let (mut right, mut right_without) = (0, 0);
            for font in 0..4 {
                let w = word_drawing(Split::Train, written, font, false, 5).unwrap();
                let read = |weights| LineReader::new().read(&net, &w.drawing.strokes, &LineOptions { weights, ..LineOptions::default() }).unwrap();
                let best = read(Weights::FULL);
                right += usize::from(best[0].text == word);
                assert!(best.iter().any(|r| r.text == written) || best[0].text != word, "the reading as written stays an alternative: {best:?}");
                right_without += usize::from(read(no_swap)[0].text == word);
            }
            assert!(right >= 3, "{written}: {right} of 4 read {word}");
            assert!(right > right_without, "{written}: the swap does it ({right} against {right_without})");
        }
    }

    #[test]
    fn a_small_change_of_the_line_height_keeps_the_groups_read() {
        let net = net();
        let w = word_drawing(Split::Train, "ひとり", 0, false, 5).unwrap();
        let mut strokes = w.drawing.strokes.clone();
        let opts = LineOptions::default();
        let mut reader = LineReader::new();
        reader.read(&net, &strokes, &opts).unwrap();
        // A short stroke below the line's ink, at its right end: the line 5% taller.
        let layout = Layout::new(&strokes).unwrap();
        let (bottom, right) = layout.extents.iter().fold((f32::MIN, f32::MIN), |(b, r), e| (b.max(e.y1), r.max(e.x1)));
        strokes.push(vec![[right + 10.0, bottom - 10.0], [right + 14.0, bottom + 0.05 * 0.85 * layout.side]]);
        let before = reader.reads;
        reader.read(&net, &strokes, &opts).unwrap();
        // Only the groups with the new stroke were read.
        assert!(reader.reads - before <= opts.max_group, "{} groups read", reader.reads - before);
        // Without the tolerance every group is read again, as from scratch.
        let mut exact = LineReader::with_keep(0.0, 0.0);
        exact.read(&net, &strokes[..strokes.len() - 1], &opts).unwrap();
        let before = exact.reads;
        let read = exact.read(&net, &strokes, &opts).unwrap();
        assert!(exact.reads - before > before, "{before} then {}", exact.reads);
        assert_eq!(read, LineReader::new().read(&net, &strokes, &opts).unwrap());
    }

    #[test]
    fn a_character_shows_the_one_read_and_its_other_size() {
        let p = |ch: char, prob: f32| Prediction { class: crate::data::classes::index_of(ch).unwrap(), ch, prob };
        let chars = |v: Vec<Prediction>| v.into_iter().map(|c| c.ch).collect::<String>();
        let top = vec![p('つ', 0.8), p('づ', 0.05), p('フ', 0.04), p('は', 0.03), p('プ', 0.02), p('っ', 0.01)];
        assert_eq!(chars(shown_candidates(&top, 0, 5)), "つづフはっ", "the other size replaces the last");
        assert_eq!(chars(shown_candidates(&top, 5, 5)), "つづフはっ", "a size the word list chose is shown");
        assert_eq!(chars(shown_candidates(&top, 1, 3)), "つづフ", "づ has no other size");
        assert_eq!(chars(shown_candidates(&top, 0, 6)), "つづフはプっ");
        assert_eq!(chars(shown_candidates(&top, 5, 1)), "っ");
        assert_eq!(chars(shown_candidates(&top[..2], 0, 5)), "つづ");
        let top = vec![p('は', 0.5), p('リ', 0.2), p('ほ', 0.1), p('け', 0.1), p('い', 0.05), p('ル', 0.03), p('り', 0.01)];
        assert_eq!(chars(shown_candidates(&top, 1, 4)), "はリほり", "the shape twin in the other script is shown");
    }

    #[test]
    fn too_many_strokes_are_refused() {
        let strokes = vec![vec![[0.0, 0.0], [1.0, 1.0]]; MAX_LINE_STROKES + 1];
        let e = LineReader::new().read(&net(), &strokes, &LineOptions::default()).unwrap_err().to_string();
        assert!(e.contains("too many for a line"), "{e}");
        assert!(LineReader::new().read(&net(), &[], &LineOptions::default()).unwrap().is_empty());
    }
}
