//! How many strokes a kana is written with at most: a group of strokes read as a kana that has
//! more strokes than it ever does (the usual way a line reading drops a character, its strokes
//! taken into a neighbour that still reads the same) costs the reading ([`super::search::Weights::strokes`]).

use crate::data::classes::NUM_CLASSES;

/// For each class (in class order), the most pen strokes of its glyph traced from any training
/// font ([`crate::data::line_words::stroke_counts`] of the training split; a test checks it).
/// Tracing splits a stroke at sharp turns and joins, so these are at least the standard stroke
/// counts people write (あ: 9, standard 3), and a person seldom writes more.
pub const MOST_STROKES: [u8; NUM_CLASSES] = [
    5, 9, 3, 4, 3, 3, 5, 5, 6, 6, 4, 6, 6, 7, 3, 3, 4, 6, 3, 5, 5, 7, 1, 3, 4, 6, 4, 7, 4, 7,
    6, 8, 4, 6, 1, 1, 4, 2, 4, 3, 5, 7, 5, 6, 7, 2, 5, 7, 6, 3, 6, 5, 5, 6, 6, 2, 4, 3, 6, 8,
    7, 5, 5, 5, 6, 4, 4, 4, 5, 5, 3, 3, 3, 3, 3, 7, 4, 5, 5, 4, 7, 6, 3, 5, 5, 4, 2, 4, 3, 4,
    2, 2, 4, 4, 3, 3, 4, 4, 3, 6, 4, 6, 3, 5, 4, 5, 3, 4, 5, 6, 3, 5, 5, 5, 4, 6, 4, 6, 4, 6,
    4, 7, 4, 5, 6, 4, 5, 2, 4, 3, 2, 4, 5, 1, 2, 4, 3, 2, 4, 3, 2, 4, 3, 2, 4, 3, 5, 7, 6, 4,
    4, 5, 4, 4, 4, 4, 3, 3, 4, 4, 3, 3, 3, 2, 3, 5, 6, 5, 4, 3, 2, 6, 3, 3, 5, 6, 6, 5, 1, 3,
];

/// How many strokes a group of `strokes` has beyond the most that `class` is written with by the
/// table `most` (such as [`MOST_STROKES`]; 0 for a class it lacks).
pub fn beyond(most: &[u8], class: usize, strokes: usize) -> usize {
    most.get(class).map_or(0, |&m| strokes.saturating_sub(usize::from(m)))
}

/// The most pen strokes of each class over the given traced glyphs' stroke counts (per class, as
/// [`crate::data::line_words::stroke_counts`] gives them): how [`MOST_STROKES`] is made.
pub fn most_strokes(counts: &[Vec<usize>]) -> Vec<u8> {
    counts.iter().map(|c| c.iter().copied().max().unwrap_or(0).min(usize::from(u8::MAX)) as u8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Split;

    #[test]
    fn the_table_is_the_training_fonts_most() {
        let most = most_strokes(&crate::data::line_words::stroke_counts(Split::Train));
        assert_eq!(most, MOST_STROKES.to_vec(), "regenerate MOST_STROKES from the training fonts' traces");
        let a = crate::data::classes::index_of('ら').unwrap();
        assert_eq!((beyond(&MOST_STROKES, a, 3), beyond(&MOST_STROKES, a, 5), beyond(&MOST_STROKES, 999, 9)), (0, 2, 0));
    }
}
