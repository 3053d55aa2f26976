//! Word drawings for measuring line reading: words of the word list written with strokes traced
//! from the fonts of one split (the held-out fonts for [`Split::Test`]), the same kind of strokes
//! as the `drawings` source, one font per word, left to right, each character jittered, scaled
//! and shifted a little, half with gaps between characters and half touching.

use super::augment::Augment;
use super::classes::index_of;
use super::lexicon::Lexicon;
use super::sources::{bundled_traces, jitter_strokes};
use super::Split;
use crate::ink::{Drawing, Stroke};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Side of a character cell in the drawings, in pixels.
pub const CELL: f32 = 100.0;

/// One word drawing.
#[derive(Debug, Clone)]
pub struct WordDrawing {
    /// The word written.
    pub word: String,
    /// Whether neighbours touch (else they have gaps).
    pub touching: bool,
    /// The strokes, characters left to right, each in its traced order.
    pub drawing: Drawing,
    /// For each stroke, the index of its character in the word.
    pub owners: Vec<usize>,
}

/// `count` word drawings (every other one touching) of words of 2 to `max_len` kana, from the
/// fonts of `split`; the same for the same arguments.
pub fn word_drawings(split: Split, count: usize, max_len: usize, seed: u64) -> Vec<WordDrawing> {
    word_drawings_of(split, |_| true, count, max_len, seed)
}

/// [`word_drawings`] written only with the fonts of `split` (by index) that `fonts` accepts
/// (for choosing a weight on fonts that another part of the scoring did not see).
pub fn word_drawings_of(split: Split, fonts: impl Fn(usize) -> bool, count: usize, max_len: usize, seed: u64) -> Vec<WordDrawing> {
    let traces = bundled_traces(split);
    let words: Vec<Vec<usize>> = Lexicon::bundled()
        .words()
        .iter()
        .filter_map(|w| w.chars().map(index_of).collect::<Option<Vec<usize>>>())
        .filter(|w| (2..=max_len.max(2)).contains(&w.len()))
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x11AE);
    let mut out = Vec::with_capacity(count);
    let mut tries = 0usize;
    while out.len() < count && !words.is_empty() && !traces.is_empty() && tries < count * 50 {
        tries += 1;
        let (w, f) = (rng.random_range(0..words.len()), rng.random_range(0..traces.len()));
        if !fonts(f) {
            continue;
        }
        let (Some(word), Some(font)) = (words.get(w), traces.get(f)) else { continue };
        let glyphs: Option<Vec<&Vec<Stroke>>> = word.iter().map(|&c| font.get(c).and_then(Option::as_ref)).collect();
        let Some(glyphs) = glyphs else { continue };
        let touching = out.len() % 2 == 1;
        let (drawing, owners) = write_word(&glyphs, touching, &mut rng);
        let word = word.iter().filter_map(|&c| super::classes::get(c)).map(|c| c.ch).collect();
        out.push(WordDrawing { word, touching, drawing, owners });
    }
    out
}

/// `word` written with the strokes traced from font `font` of `split` (`None` if a character
/// is not in the class table or the font lacks it), jittered as seeded.
pub fn word_drawing(split: Split, word: &str, font: usize, touching: bool, seed: u64) -> Option<WordDrawing> {
    let traces = bundled_traces(split);
    let font = traces.get(font)?;
    let glyphs: Vec<&Vec<Stroke>> = word.chars().map(|c| font.get(index_of(c)?)?.as_ref()).collect::<Option<_>>()?;
    let (drawing, owners) = write_word(&glyphs, touching, &mut ChaCha8Rng::seed_from_u64(seed));
    Some(WordDrawing { word: word.to_string(), touching, drawing, owners })
}

/// For each class, the number of pen strokes (as [`word_drawings`] writes them) of its glyph
/// traced from each font of `split` that has it.
pub fn stroke_counts(split: Split) -> Vec<Vec<usize>> {
    stroke_counts_of(split, |_| true)
}

/// [`stroke_counts`] over the fonts of `split` (by index) that `fonts` accepts.
pub fn stroke_counts_of(split: Split, fonts: impl Fn(usize) -> bool) -> Vec<Vec<usize>> {
    let traces = bundled_traces(split);
    let traces: Vec<_> = traces.iter().enumerate().filter(|(i, _)| fonts(*i)).map(|(_, t)| t).collect();
    (0..super::classes::NUM_CLASSES).map(|c| traces.iter().filter_map(|f| f.get(c).and_then(Option::as_ref)).map(|g| pen_strokes(g).len()).collect()).collect()
}

/// Lays out traced glyphs (box units) left to right on one line; also says which character
/// each stroke belongs to.
fn write_word(glyphs: &[&Vec<Stroke>], touching: bool, rng: &mut ChaCha8Rng) -> (Drawing, Vec<usize>) {
    let margin = 10.0;
    let mut strokes: Vec<Stroke> = Vec::new();
    let mut owners = Vec::new();
    let mut right = margin;
    for (i, glyph) in glyphs.iter().enumerate() {
        let jittered = jitter_strokes(&pen_strokes(glyph), Augment::EVAL, rng);
        let scale = rng.random_range(0.92f32..1.05);
        let dy = rng.random_range(-0.03f32..0.03);
        let placed: Vec<Stroke> = jittered
            .iter()
            .map(|s| s.iter().map(|p| [((p[0] - 0.5) * scale + 0.5) * CELL, ((p[1] - 0.5) * scale + 0.5 + dy) * CELL + margin]).collect())
            .collect();
        let x0 = placed.iter().flatten().map(|p| p[0]).fold(f32::INFINITY, f32::min);
        let x1 = placed.iter().flatten().map(|p| p[0]).fold(f32::NEG_INFINITY, f32::max);
        let space = if i == 0 {
            0.0
        } else if touching {
            -rng.random_range(0.0f32..0.08) * CELL
        } else {
            rng.random_range(0.08f32..0.25) * CELL
        };
        let shift = right + space - x0;
        owners.extend(std::iter::repeat_n(i, placed.len()));
        strokes.extend(placed.into_iter().map(|s| s.into_iter().map(|p| [p[0] + shift, p[1]]).collect::<Stroke>()));
        right = x1 + shift;
    }
    let mut d = Drawing::new(right + margin, CELL + 2.0 * margin);
    d.strokes = strokes;
    (d, owners)
}

/// Ends closer than this (box units) are one point of the skeleton.
const JOIN: f32 = 0.05;

/// A traced glyph's pieces chained into pen strokes: the skeleton tracer cuts lines at every
/// junction, where a writer's pen goes on; each piece is continued by a piece that starts (or
/// ends) where it ends, as long as there is one.
pub fn pen_strokes(pieces: &[Stroke]) -> Vec<Stroke> {
    let near = |a: [f32; 2], b: [f32; 2]| (a[0] - b[0]).hypot(a[1] - b[1]) < JOIN;
    let mut left: Vec<Stroke> = pieces.iter().filter(|p| !p.is_empty()).cloned().collect();
    let mut out = Vec::new();
    while !left.is_empty() {
        let mut cur = left.remove(0);
        // Onward from its end, then (turned round) from its start.
        for _ in 0..2 {
            extend_chain(&mut cur, &mut left, near);
            cur.reverse();
        }
        out.push(cur);
    }
    out
}

/// Appends to `cur` pieces of `left` that continue from its end, while there are any.
fn extend_chain(cur: &mut Stroke, left: &mut Vec<Stroke>, near: impl Fn([f32; 2], [f32; 2]) -> bool) {
    while let Some(end) = cur.last().copied() {
        let next = left.iter().position(|p| p.first().is_some_and(|&a| near(a, end)) || p.last().is_some_and(|&b| near(b, end)));
        let Some(k) = next else { break };
        let mut piece = left.remove(k);
        if !piece.first().is_some_and(|&a| near(a, end)) {
            piece.reverse();
        }
        cur.extend(piece.into_iter().skip(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_meeting_end_to_end_chain_into_one_stroke() {
        let t = vec![vec![[0.1, 0.5], [0.5, 0.5]], vec![[0.9, 0.5], [0.5, 0.5]], vec![[0.5, 0.5], [0.5, 0.9]], vec![[0.1, 0.1], [0.2, 0.1]]];
        let s = pen_strokes(&t);
        assert_eq!(s, vec![vec![[0.1, 0.5], [0.5, 0.5], [0.9, 0.5]], vec![[0.5, 0.5], [0.5, 0.9]], vec![[0.1, 0.1], [0.2, 0.1]]]);
        // A chain grows from both ends.
        let s = pen_strokes(&[vec![[0.5, 0.5], [0.9, 0.5]], vec![[0.1, 0.5], [0.5, 0.5]]]);
        assert_eq!(s, vec![vec![[0.1, 0.5], [0.5, 0.5], [0.9, 0.5]]]);
    }

    #[test]
    fn word_drawings_are_deterministic_lines_of_words() {
        let a = word_drawings(Split::Test, 6, 6, 3);
        let b = word_drawings(Split::Test, 6, 6, 3);
        assert_eq!(a.len(), 6);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.word, y.word);
            assert_eq!(x.drawing, y.drawing);
            assert!(Lexicon::bundled().contains(&x.word));
            assert!(x.drawing.validate().is_ok());
            let n = x.word.chars().count() as f32;
            assert!(x.drawing.width > 0.5 * n * CELL && x.drawing.width < 1.4 * n * CELL, "{} {}", x.word, x.drawing.width);
        }
        assert!(a.iter().filter(|w| w.touching).count() == 3);
        let w = word_drawing(Split::Train, "カメラ", 0, false, 1).unwrap();
        assert!(w.drawing.width > 200.0 && w.drawing.validate().is_ok());
        assert_eq!(w.owners.len(), w.drawing.strokes.len());
        assert_eq!(w.owners.last(), Some(&2));
        assert!(word_drawing(Split::Train, "カメラー", 0, false, 1).is_none(), "ー is not in the class table");
    }
}
