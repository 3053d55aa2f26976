//! The search over a line's stroke groups: a beam over reading positions, each step one group of
//! up to `max_group` consecutive strokes read as one character, scored by the log-probability of
//! its candidate minus a per-character penalty, with the geometry of neighbours, script switches
//! and, for whole readings, the word list.

use super::layout::Extent;
use crate::data::classes::{self, Script};
use crate::data::lexicon::Lexicon;
use crate::models::recognizer::reading::{script_twin, size_twin};
use crate::models::Prediction;

/// How readings are scored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    /// Subtracted per character (against reading one character as two).
    pub char_penalty: f32,
    /// Times the squared overlap of neighbours (as a fraction of the narrower one).
    pub overlap: f32,
    /// Times how far a character is wider than `wide_from` boxes (in boxes).
    pub wide: f32,
    /// The widest a character is without cost, in boxes.
    pub wide_from: f32,
    /// Times the widest gap inside a character beyond [`GAP_FREE`] boxes (in boxes).
    pub gap: f32,
    /// Subtracted per change of script between neighbours (infinite: one script per reading).
    pub script_switch: f32,
    /// Subtracted per rare character ([`RARE`]: iteration marks, archaic kana).
    pub rare: f32,
    /// Subtracted when a reading starts with a small kana.
    pub small_first: f32,
    /// Added to a reading that is a word of the list (0: the list is not used).
    pub word: f32,
    /// Subtracted per character whose size (small or full-size) the word list changed: a reading
    /// that is a word once some of its kana take their other size is also tried, each such
    /// character scored by its pair's probability (see `twin_word`).
    pub size_swap: f32,
    /// Subtracted per character the word list changed to the other script's letter of the same
    /// shape (り ↔ リ, see [`script_twin`] and `twin_word`).
    pub script_swap: f32,
    /// Subtracted per stroke a character has beyond the most its kana is written with
    /// (by `most_strokes`).
    pub strokes: f32,
    /// The most strokes each class is written with ([`super::strokes::MOST_STROKES`]).
    pub most_strokes: &'static [u8],
    /// Whether a character may start left of the one before's centre (false: never).
    pub backwards: bool,
}

impl Weights {
    /// The line reader's scoring (set on word drawings of the training fonts: with the stage-9
    /// recognizer, a character penalty of 0.2 reads 99.5% / 98.3% of 3,000 such words right with
    /// gaps / touching, against 99.4% / 97.7% at 0.5; a word bonus of 5 would read a few more,
    /// but then a word beats a reading the recognizer gives 98% against 1%: the list must not
    /// force).
    pub const FULL: Weights = Weights {
        char_penalty: 0.2,
        overlap: 3.0,
        wide: 8.0,
        wide_from: 0.9,
        gap: 0.0,
        script_switch: 2.5,
        rare: 2.0,
        small_first: 3.0,
        word: 4.0,
        size_swap: SIZE_SWAP_WEIGHT,
        script_swap: SCRIPT_SWAP_WEIGHT,
        strokes: STROKES_WEIGHT,
        most_strokes: &super::strokes::MOST_STROKES,
        backwards: false,
    };

    /// The baseline: log top-1 probability minus 1 per character, one script per word.
    pub const PLAIN: Weights = Weights {
        char_penalty: 1.0,
        overlap: 0.0,
        wide: 0.0,
        wide_from: 1.0,
        gap: 0.0,
        script_switch: f32::INFINITY,
        rare: 0.0,
        small_first: 0.0,
        word: 0.0,
        size_swap: f32::INFINITY,
        script_swap: f32::INFINITY,
        strokes: 0.0,
        most_strokes: &super::strokes::MOST_STROKES,
        backwards: true,
    };
}

/// [`Weights::FULL`]'s cost of a character whose size the word list changed.
const SIZE_SWAP_WEIGHT: f32 = 1.0;

/// [`Weights::FULL`]'s cost of a character the word list changed to its shape twin.
const SCRIPT_SWAP_WEIGHT: f32 = 1.0;

/// Most characters of one reading whose size or script [`twin_word`] tries to change.
const MAX_SWAPS: usize = 4;

/// [`Weights::FULL`]'s cost of a stroke beyond a kana's most.
const STROKES_WEIGHT: f32 = 1.0;

/// One candidate group: its reading positions, extent and candidates.
#[derive(Debug, Clone)]
pub struct Group {
    /// First reading position.
    pub start: usize,
    /// One past the last reading position.
    pub end: usize,
    /// The group's extent.
    pub extent: Extent,
    /// The widest gap between its strokes, in boxes.
    pub gap: f32,
    /// Its candidates, best first.
    pub top: Vec<Prediction>,
}

/// One reading found by the search: for each character, its group (index into the groups) and
/// the candidate chosen.
#[derive(Debug, Clone)]
pub struct Path {
    /// Total score.
    pub score: f32,
    /// The text.
    pub text: String,
    /// (group, candidate) per character.
    pub steps: Vec<(usize, usize)>,
}

/// Characters seldom written today: iteration marks (a single stroke often reads as one),
/// archaic kana and the small ヵ/ヶ of counters.
pub const RARE: &str = "ゝゞヽヾゐゑヰヱヷヸヹヺゕゖ";

/// A gap inside a character up to this many boxes costs nothing (い, け, ハ have gaps).
pub const GAP_FREE: f32 = 0.15;

/// Hypotheses kept per reading position.
pub const BEAM: usize = 32;

/// The best distinct readings of `n` reading positions covered by `groups`, best first, at most
/// `keep`. `side` is the writing box side.
pub fn search(groups: &[Group], n: usize, side: f32, w: &Weights, lexicon: Option<&Lexicon>, keep: usize) -> Vec<Path> {
    let mut starting: Vec<Vec<usize>> = vec![Vec::new(); n + 1];
    for (gi, g) in groups.iter().enumerate() {
        if let Some(v) = starting.get_mut(g.start) {
            v.push(gi);
        }
    }
    let mut beams: Vec<Vec<Path>> = vec![Vec::new(); n + 1];
    if let Some(b) = beams.first_mut() {
        b.push(Path { score: 0.0, text: String::new(), steps: Vec::new() });
    }
    for p in 0..n {
        let here = prune(std::mem::take(beams.get_mut(p).map_or(&mut Vec::new(), |b| b)), BEAM);
        for hyp in &here {
            let prev = hyp.steps.last().and_then(|&(g, c)| Some((groups.get(g)?, groups.get(g)?.top.get(c)?)));
            for &gi in starting.get(p).map_or(&[][..], |v| v) {
                let Some(g) = groups.get(gi) else { continue };
                let mut geometry = w.wide * (g.extent.width() / side - w.wide_from).max(0.0) + w.gap * (g.gap - GAP_FREE).max(0.0);
                if let Some((pg, _)) = prev {
                    if !w.backwards && g.extent.cx() < pg.extent.cx() {
                        continue;
                    }
                    let narrow = pg.extent.width().min(g.extent.width()).max(0.1 * side);
                    let overlap = ((pg.extent.x1 - g.extent.x0) / narrow).clamp(0.0, 1.0);
                    geometry += w.overlap * overlap * overlap;
                }
                for (ci, cand) in g.top.iter().enumerate() {
                    let mut s = hyp.score + cand.prob.max(1e-9).ln() - w.char_penalty - geometry;
                    if RARE.contains(cand.ch) {
                        s -= w.rare;
                    }
                    s -= w.strokes * super::strokes::beyond(w.most_strokes, cand.class, g.end - g.start) as f32;
                    match prev {
                        Some((_, pc)) if script(pc.ch) != script(cand.ch) => s -= w.script_switch,
                        None if is_small(cand.ch) => s -= w.small_first,
                        _ => {}
                    }
                    if !s.is_finite() {
                        continue;
                    }
                    let mut text = hyp.text.clone();
                    text.push(cand.ch);
                    let mut steps = hyp.steps.clone();
                    steps.push((gi, ci));
                    if let Some(b) = beams.get_mut(g.end) {
                        b.push(Path { score: s, text, steps });
                    }
                }
            }
        }
    }
    let mut done = beams.pop().unwrap_or_default();
    if let Some(lex) = lexicon.filter(|_| w.word != 0.0) {
        if w.size_swap.is_finite() || w.script_swap.is_finite() {
            let twins: Vec<Path> = done.iter().filter_map(|p| twin_word(p, groups, lex, w)).collect();
            done.extend(twins);
        }
        for path in &mut done {
            if let Some(rank) = lex.rank(&path.text) {
                path.score += w.word - 0.25 * (1.0 + rank as f32 / 1000.0).ln();
            }
        }
    }
    prune(done, keep)
}

/// Size is the least certain thing about a handwritten kana (people write small kana barely
/// smaller, and full-size ones small), and a few hiragana share their katakana's shape (り/リ,
/// へ/ヘ, か/カ: [`script_twin`]); the word list knows which is meant. For a `path` that is no
/// word: the best word that it becomes when some of its kana (at most [`MAX_SWAPS`]) take their
/// other size or their shape twin, if any and if that form is among the group's candidates. Each
/// changed character is scored by its pair's probability (the two forms together) less
/// `w.size_swap` or `w.script_swap`, and the reading's script switches and small first
/// character are counted again; the word bonus comes later.
fn twin_word(path: &Path, groups: &[Group], lex: &Lexicon, w: &Weights) -> Option<Path> {
    if lex.contains(&path.text) {
        // Between two words that differ only in size or script, the strokes decide.
        return None;
    }
    let chars: Vec<char> = path.text.chars().collect();
    // Per changeable position: the position and the forms it may take.
    let mut swaps: Vec<(usize, Vec<Swap>)> = Vec::new();
    for (pos, &(gi, ci)) in path.steps.iter().enumerate() {
        let Some(top) = groups.get(gi).map(|g| &g.top) else { continue };
        let Some(own) = top.get(ci) else { continue };
        let mut options = Vec::new();
        for (twin, cost) in [(size_twin(own.ch), w.size_swap), (script_twin(own.ch), w.script_swap)] {
            let Some((ti, t)) = twin.and_then(|twin| top.iter().enumerate().find(|(_, c)| c.ch == twin)) else { continue };
            if cost.is_finite() {
                options.push(Swap { twin: t.ch, candidate: ti, gain: (own.prob + t.prob).max(1e-9).ln() - own.prob.max(1e-9).ln() - cost });
            }
        }
        if !options.is_empty() {
            swaps.push((pos, options));
        }
        if swaps.len() == MAX_SWAPS {
            break;
        }
    }
    let before = order_cost(&chars, w);
    let mut best: Option<Path> = None;
    // Every combination: each position keeps its form (0) or takes option k - 1.
    let combinations: usize = swaps.iter().map(|(_, o)| o.len() + 1).product();
    for combo in 1..combinations {
        let (mut text, mut steps, mut score) = (chars.clone(), path.steps.clone(), path.score + before);
        let mut rest = combo;
        for (pos, options) in &swaps {
            let k = rest % (options.len() + 1);
            rest /= options.len() + 1;
            let (Some(swap), Some(ch), Some(step)) = (k.checked_sub(1).and_then(|k| options.get(k)), text.get_mut(*pos), steps.get_mut(*pos)) else { continue };
            *ch = swap.twin;
            step.1 = swap.candidate;
            score += swap.gain;
        }
        score -= order_cost(&text, w);
        let text: String = text.into_iter().collect();
        if score.is_finite() && lex.contains(&text) && best.as_ref().is_none_or(|b| score > b.score) {
            best = Some(Path { score, text, steps });
        }
    }
    best
}

/// A form one character of a reading may take in [`twin_word`].
struct Swap {
    /// Its other size or its shape twin.
    twin: char,
    /// The twin's index among its group's candidates.
    candidate: usize,
    /// What scoring the pair instead of the own form gains, less the swap's cost.
    gain: f32,
}

/// What the search subtracted from a reading for its order: each change of script between
/// neighbours and a small kana first.
fn order_cost(chars: &[char], w: &Weights) -> f32 {
    let switches = chars.windows(2).filter(|p| matches!(p, [a, b] if script(*a) != script(*b))).count();
    let switches = if switches == 0 { 0.0 } else { w.script_switch * switches as f32 };
    switches + if chars.first().is_some_and(|&c| is_small(c)) { w.small_first } else { 0.0 }
}

/// The best `keep` paths with distinct texts, best first.
fn prune(mut paths: Vec<Path>, keep: usize) -> Vec<Path> {
    paths.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut seen = std::collections::HashSet::new();
    paths.retain(|p| seen.insert(p.text.clone()));
    paths.truncate(keep);
    paths
}

fn script(ch: char) -> Option<Script> {
    classes::index_of(ch).and_then(classes::get).map(|c| c.script())
}

fn is_small(ch: char) -> bool {
    classes::index_of(ch).and_then(classes::get).is_some_and(|c| c.is_small())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pred(ch: char, prob: f32) -> Prediction {
        Prediction { class: classes::index_of(ch).unwrap(), ch, prob }
    }

    fn group(start: usize, end: usize, x0: f32, top: Vec<Prediction>) -> Group {
        Group { start, end, extent: Extent { x0, x1: x0 + 80.0, y0: 0.0, y1: 80.0 }, gap: 0.0, top }
    }

    #[test]
    fn the_word_list_settles_look_alikes_but_never_forces() {
        // り/リ look alike: the strokes slightly favour リ, the word りんご settles it.
        let groups = vec![
            group(0, 1, 0.0, vec![pred('リ', 0.55), pred('り', 0.45)]),
            group(1, 2, 100.0, vec![pred('ん', 0.9), pred('ン', 0.1)]),
            group(2, 3, 200.0, vec![pred('ご', 0.95), pred('こ', 0.05)]),
        ];
        let lex = Lexicon::parse("りんご\n");
        let best = search(&groups, 3, 100.0, &Weights::FULL, Some(&lex), 6);
        assert_eq!(best[0].text, "りんご");
        assert!(best.iter().any(|p| p.text == "リんご"), "the other reading stays an alternative");
        // A clear non-word is still read as written.
        let groups = vec![
            group(0, 1, 0.0, vec![pred('ぬ', 0.98), pred('り', 0.01)]),
            group(1, 2, 100.0, vec![pred('ん', 0.9), pred('ン', 0.1)]),
            group(2, 3, 200.0, vec![pred('ご', 0.95), pred('こ', 0.05)]),
        ];
        assert_eq!(search(&groups, 3, 100.0, &Weights::FULL, Some(&lex), 6)[0].text, "ぬんご");
    }

    #[test]
    fn the_word_list_settles_size_but_the_strokes_settle_two_words() {
        // A small ょ written nearly full-size: the strokes say よ, the word いぎょ says small.
        let yo = |p_full, p_small| group(2, 3, 200.0, vec![pred('よ', p_full), pred('ょ', p_small)]);
        let groups = vec![group(0, 1, 0.0, vec![pred('い', 0.9)]), group(1, 2, 100.0, vec![pred('ぎ', 0.9)]), yo(0.97, 0.005)];
        let lex = Lexicon::parse("いぎょ\n");
        let best = search(&groups, 3, 100.0, &Weights::FULL, Some(&lex), 6);
        assert_eq!(best[0].text, "いぎょ");
        assert!(best.iter().any(|p| p.text == "いぎよ"), "the reading as written stays an alternative");
        let fixed = Weights { size_swap: f32::INFINITY, ..Weights::FULL };
        assert_eq!(search(&groups, 3, 100.0, &fixed, Some(&lex), 6)[0].text, "いぎよ", "without it the size stays as read");
        // Two words that differ only in size: the strokes decide.
        let groups = vec![group(0, 1, 0.0, vec![pred('し', 0.9)]), group(1, 2, 100.0, vec![pred('よ', 0.8), pred('ょ', 0.2)]), group(2, 3, 200.0, vec![pred('う', 0.9)])];
        let lex = Lexicon::parse("しょう\nしよう\n");
        assert_eq!(search(&groups, 3, 100.0, &Weights::FULL, Some(&lex), 6)[0].text, "しよう");
        // A first character read small takes its full size when that makes a word.
        let groups = vec![group(0, 1, 0.0, vec![pred('ぃ', 0.98), pred('い', 0.001)]), group(1, 2, 100.0, vec![pred('っ', 0.9)])];
        let lex = Lexicon::parse("いっ\n");
        assert_eq!(search(&groups, 2, 100.0, &Weights::FULL, Some(&lex), 6)[0].text, "いっ");
    }

    #[test]
    fn the_word_list_settles_a_shape_shared_by_both_scripts() {
        // A り written like its katakana: the network reads リ, the word りょう settles it.
        let first = |own: char, twin: char| group(0, 1, 0.0, vec![pred(own, 0.93), pred(twin, 0.0005)]);
        let rest = || vec![group(1, 2, 100.0, vec![pred('ょ', 0.9)]), group(2, 3, 200.0, vec![pred('う', 0.9)])];
        let lex = Lexicon::parse("りょう\nしょう\n");
        let groups: Vec<Group> = std::iter::once(first('リ', 'り')).chain(rest()).collect();
        let best = search(&groups, 3, 100.0, &Weights::FULL, Some(&lex), 6);
        assert_eq!(best[0].text, "りょう");
        assert_eq!(best[0].steps[0], (0, 1), "the step names the candidate taken");
        assert!(best.iter().any(|p| p.text == "リょう"), "the reading as written stays an alternative");
        let fixed = Weights { script_swap: f32::INFINITY, ..Weights::FULL };
        assert_eq!(search(&groups, 3, 100.0, &fixed, Some(&lex), 6)[0].text, "リょう", "without it the script stays as read");
        // シ and し do not share a shape: a clear シ stays シ.
        let groups: Vec<Group> = std::iter::once(first('シ', 'し')).chain(rest()).collect();
        assert_eq!(search(&groups, 3, 100.0, &Weights::FULL, Some(&lex), 6)[0].text, "シょう");
    }

    #[test]
    fn a_character_is_not_dropped_into_its_neighbour() {
        // Four strokes read together as ら (written with at most 3), or as ら and a weak う.
        let ra = |end, prob| Group { start: 0, end, extent: Extent { x0: 0.0, x1: 80.0, y0: 0.0, y1: 80.0 }, gap: 0.0, top: vec![pred('ら', prob)] };
        let groups = vec![ra(4, 0.9), ra(2, 0.9), group(2, 4, 80.0, vec![pred('う', 0.5)])];
        assert_eq!(search(&groups, 4, 100.0, &Weights::FULL, None, 6)[0].text, "らう");
        let blind = Weights { strokes: 0.0, ..Weights::FULL };
        assert_eq!(search(&groups, 4, 100.0, &blind, None, 6)[0].text, "ら", "without the stroke counts the う is dropped");
    }

    #[test]
    fn one_character_beats_two_pieces_of_it() {
        // Strokes 0 and 1 read together as い, or apart as し and a stray mark.
        let groups = vec![
            group(0, 2, 0.0, vec![pred('い', 0.9)]),
            group(0, 1, 0.0, vec![pred('し', 0.6)]),
            group(1, 2, 40.0, vec![pred('ヽ', 0.5)]),
        ];
        let best = search(&groups, 2, 100.0, &Weights::FULL, None, 6);
        assert_eq!(best[0].text, "い");
        assert_eq!(best[0].steps, vec![(0, 0)]);
    }
}
