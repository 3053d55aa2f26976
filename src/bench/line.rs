//! `fude bench line`: line reading on held-out word drawings ([`word_drawings`] of the held-out
//! fonts): whole words right (gaps / touching), characters right, the right word among the best
//! six readings, against the two baselines, and the time to read a 6-kana line.

use crate::data::line_words::{word_drawings, WordDrawing};
use crate::data::Split;
use crate::error::Result;
use crate::models::recognizer::line::{read_naive, LineOptions, LineReader};
use crate::models::recognizer::Reading;
use crate::models::{Checkpoint, CpuRecognizer};
use rayon::prelude::*;
use std::time::{Duration, Instant};

/// Word drawings measured by `fude bench line` (half with gaps, half touching).
pub const WORDS: usize = 400;

/// Figures of one reader on a set of word drawings.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LineScores {
    /// Words exactly right, with gaps.
    pub gaps: f64,
    /// Words exactly right, touching.
    pub touching: f64,
    /// Mean of 1 − edit distance / length.
    pub chars: f64,
    /// The right word among the best reading and its alternatives.
    pub top6: f64,
}

/// How a word drawing is read: the readings, best first.
pub type ReadFn<'a> = dyn Fn(&WordDrawing) -> Result<Vec<String>> + Sync + 'a;

/// One word's result: touching, exactly right, characters right, the word among the readings.
type Row = (bool, bool, f64, bool);

/// Scores a reader on word drawings.
pub fn score(words: &[WordDrawing], read: &ReadFn<'_>) -> Result<LineScores> {
    let rows: Vec<Row> = words
        .par_iter()
        .map(|w| {
            let readings = read(w)?;
            let best = readings.first().cloned().unwrap_or_default();
            let len = w.word.chars().count().max(1) as f64;
            let chars = 1.0 - edit_distance(&best, &w.word) as f64 / len;
            Ok((w.touching, best == w.word, chars.max(0.0), readings.iter().any(|r| r == &w.word)))
        })
        .collect::<Result<_>>()?;
    let rate = |f: &dyn Fn(&Row) -> Option<f64>| {
        let v: Vec<f64> = rows.iter().filter_map(f).collect();
        if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 }
    };
    Ok(LineScores {
        gaps: rate(&|r| (!r.0).then_some(f64::from(u8::from(r.1)))),
        touching: rate(&|r| r.0.then_some(f64::from(u8::from(r.1)))),
        chars: rate(&|r| Some(r.2)),
        top6: rate(&|r| Some(f64::from(u8::from(r.3)))),
    })
}

/// Levenshtein distance in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = i;
        let mut next = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let up = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let left = next.last().copied().unwrap_or(usize::MAX);
            next.push((diag + usize::from(ca != *cb)).min(up.saturating_add(1)).min(left.saturating_add(1)));
            diag = up;
        }
        row = next;
    }
    row.last().copied().unwrap_or(0)
}

/// Reads with a fresh [`LineReader`] per drawing.
pub fn reader<'a>(net: &'a CpuRecognizer, opts: &'a LineOptions) -> impl Fn(&WordDrawing) -> Result<Vec<String>> + Sync + 'a {
    move |w| Ok(LineReader::new().read(net, &w.drawing.strokes, opts)?.into_iter().map(|r| r.text).collect())
}

fn line(name: &str, s: &LineScores) {
    println!(
        "{name:<44} words right: gaps {:>5.1}%  touching {:>5.1}%  | chars {:>7.3}% | in top 6 {:>5.1}%",
        100.0 * s.gaps,
        100.0 * s.touching,
        100.0 * s.chars,
        100.0 * s.top6
    );
}

/// Prints the figures, reading with the recognizer at `model` (the bundled one when `None`).
pub fn run(model: Option<&std::path::Path>) -> Result<()> {
    let device = candle_core::Device::Cpu;
    let ck = match model {
        Some(path) => Checkpoint::load(path, &device)?,
        None => Checkpoint::bundled(&device)?,
    };
    let net = CpuRecognizer::new(&ck.model)?;
    println!("recognizer: {}", model.map_or_else(|| crate::models::BUNDLED_NAME.to_string(), |p| p.display().to_string()));
    let words = word_drawings(Split::Test, WORDS, 6, 0);
    println!("{} held-out word drawings (2-6 kana, strokes traced from the held-out fonts), half with gaps, half touching", words.len());
    let full = LineOptions::default();
    let no_words = LineOptions { words: false, ..LineOptions::default() };
    let plain = LineOptions::plain();
    let reading = Reading::default();
    line("line reader (fude predict --line)", &score(&words, &reader(&net, &full))?);
    line("  the same without the word list", &score(&words, &reader(&net, &no_words))?);
    line("baseline: DP, -1 per char, one script", &score(&words, &reader(&net, &plain))?);
    let naive = |w: &WordDrawing| Ok(vec![read_naive(&net, &w.drawing.strokes, &reading)?]);
    line("baseline: a cut at every horizontal gap", &score(&words, &naive)?);
    timing(&net, &words, &full)
}

/// Time to read a 6-kana line on this thread: from scratch, after each of its strokes with one
/// reader (as the app reads), and how many of those readings after the last stroke differ from
/// reading the whole line from scratch.
fn timing(net: &CpuRecognizer, words: &[WordDrawing], opts: &LineOptions) -> Result<()> {
    let six: Vec<&WordDrawing> = words.iter().filter(|w| w.word.chars().count() == 6).collect();
    let (cold, each, differ) = stroke_timing(&six, &|| LineReader::new(), net, opts)?;
    let strokes: f64 = six.iter().map(|w| w.drawing.strokes.len() as f64).sum::<f64>() / six.len().max(1) as f64;
    println!("reading a 6-kana line ({} lines, {strokes:.1} strokes on average), one thread:", six.len());
    println!("  after each stroke (one reader, as the app reads): {}", quantiles(each));
    println!("  from scratch: {}", quantiles(cold));
    println!("  best reading after the last stroke differs from reading from scratch: {differ} of {}", six.len());
    Ok(())
}

/// Times of reading each line from scratch and after each of its strokes (with one reader
/// from `make`), and the lines whose best reading after the last stroke differs from scratch.
pub fn stroke_timing(
    lines: &[&WordDrawing],
    make: &dyn Fn() -> LineReader,
    net: &CpuRecognizer,
    opts: &LineOptions,
) -> Result<(Vec<Duration>, Vec<Duration>, usize)> {
    let (mut cold, mut each, mut differ) = (Vec::new(), Vec::new(), 0);
    for w in lines {
        let strokes = &w.drawing.strokes;
        let t = Instant::now();
        let fresh = make().read(net, strokes, opts)?;
        cold.push(t.elapsed());
        let mut r = make();
        let mut last = Vec::new();
        for n in 1..=strokes.len() {
            let t = Instant::now();
            last = r.read(net, strokes.get(..n).unwrap_or(&[]), opts)?;
            each.push(t.elapsed());
        }
        differ += usize::from(last.first().map(|r| &r.text) != fresh.first().map(|r| &r.text));
    }
    Ok((cold, each, differ))
}

/// "p50 …, p90 …, p99 …, max … ms (n)".
fn quantiles(mut v: Vec<Duration>) -> String {
    v.sort();
    let q = |p: f64| {
        let i = ((v.len().saturating_sub(1)) as f64 * p).round() as usize;
        v.get(i).map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
    };
    format!("p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} reads)", q(0.5), q(0.9), q(0.99), q(1.0), v.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("とうさん", "とはん"), 2);
        assert_eq!(edit_distance("", "あい"), 2);
        assert_eq!(edit_distance("かめら", "かめら"), 0);
        assert_eq!(edit_distance("まっすぐ", "たすぐ"), 2);
    }

    /// Reading after each stroke with the reader's box tolerances from `FUDE_KEEP="scale shift"`:
    /// `FUDE_KEEP="0.08 0.04" cargo test --release --lib keep_timing -- --ignored --nocapture`.
    #[test]
    #[ignore = "a printed measurement for tuning, not a check"]
    fn keep_timing() {
        let ck = Checkpoint::bundled(&candle_core::Device::Cpu).unwrap();
        let net = CpuRecognizer::new(&ck.model).unwrap();
        let keep: Vec<f32> = std::env::var("FUDE_KEEP").unwrap_or_default().split_whitespace().map(|v| v.parse().unwrap()).collect();
        let make = || match keep.as_slice() {
            [a, b] => LineReader::with_keep(*a, *b),
            _ => LineReader::new(),
        };
        let words = word_drawings(Split::Test, WORDS, 6, 0);
        let six: Vec<&WordDrawing> = words.iter().filter(|w| w.word.chars().count() == 6).collect();
        let (cold, each, differ) = stroke_timing(&six, &make, &net, &LineOptions::default()).unwrap();
        println!("keep {keep:?}: after each stroke {}; from scratch {}; differ {differ}/{}", quantiles(each), quantiles(cold), six.len());
        // Words right read from scratch and after writing them stroke by stroke.
        let split = if std::env::var("FUDE_TUNE_SPLIT").is_ok_and(|v| v == "test") { Split::Test } else { Split::Train };
        let all = if split == Split::Test { words } else { word_drawings(split, 600, 6, 7) };
        let opts = LineOptions::default();
        let fresh = score(&all, &reader(&net, &opts)).unwrap();
        let stroke_by_stroke = |w: &WordDrawing| {
            let mut r = make();
            let n = w.drawing.strokes.len();
            (1..n).for_each(|k| drop(r.read(&net, &w.drawing.strokes[..k], &opts)));
            Ok(r.read(&net, &w.drawing.strokes, &opts)?.into_iter().map(|r| r.text).collect())
        };
        line("from scratch", &fresh);
        line("stroke by stroke", &score(&all, &stroke_by_stroke).unwrap());
    }

    /// Weights against word drawings of the training fonts (the held-out fonts stay unseen):
    /// `FUDE_TUNE="char_penalty=1.5 overlap=2" cargo test --release --lib tune_line -- --ignored --nocapture`.
    #[test]
    #[ignore = "a printed measurement for tuning, not a check"]
    fn tune_line() {
        use crate::models::recognizer::line::search::Weights;
        let ck = Checkpoint::bundled(&candle_core::Device::Cpu).unwrap();
        let net = CpuRecognizer::new(&ck.model).unwrap();
        let n = std::env::var("FUDE_TUNE_WORDS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
        // FUDE_TUNE_SPLIT=test looks at the held-out words (to see the misses, not to tune).
        let split = if std::env::var("FUDE_TUNE_SPLIT").is_ok_and(|v| v == "test") { Split::Test } else { Split::Train };
        // FUDE_TUNE_SEED draws another set of training-font words.
        let seed = std::env::var("FUDE_TUNE_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(7);
        // FUDE_TUNE_FONTS_OUT=k (0-4): the stroke table is made from the training fonts whose
        // index is not k modulo 5, and the words are written with the others, so the strokes
        // weight can be chosen on fonts the table did not see.
        let out: Option<usize> = std::env::var("FUDE_TUNE_FONTS_OUT").ok().and_then(|v| v.parse().ok());
        let words = match (split, out) {
            (Split::Test, _) => word_drawings(split, WORDS, 6, 0),
            (_, Some(k)) => crate::data::line_words::word_drawings_of(split, |f| f % 5 == k, n, 6, seed),
            _ => word_drawings(split, n, 6, seed),
        };
        let mut w = Weights::FULL;
        if let Some(k) = out {
            let counts = crate::data::line_words::stroke_counts_of(Split::Train, |f| f % 5 != k);
            w.most_strokes = Box::leak(crate::models::recognizer::line::strokes::most_strokes(&counts).into_boxed_slice());
        }
        let mut words_on = true;
        let mut max_group = LineOptions::default().max_group;
        let mut fill = crate::models::recognizer::line::layout::BAND_FILL;
        let mut max_width = LineOptions::default().max_width;
        for kv in std::env::var("FUDE_TUNE").unwrap_or_default().split_whitespace() {
            let (k, v) = kv.split_once('=').unwrap();
            let v: f32 = v.parse().unwrap();
            match k {
                "char_penalty" => w.char_penalty = v,
                "overlap" => w.overlap = v,
                "wide" => w.wide = v,
                "gap" => w.gap = v,
                "wide_from" => w.wide_from = v,
                "rare" => w.rare = v,
                "script_switch" => w.script_switch = v,
                "small_first" => w.small_first = v,
                "word" => w.word = v,
                "size_swap" => w.size_swap = v,
                "script_swap" => w.script_swap = v,
                "strokes" => w.strokes = v,
                "words" => words_on = v != 0.0,
                "max_group" => max_group = v as usize,
                "fill" => fill = v,
                "backwards" => w.backwards = v != 0.0,
                "max_width" => max_width = v,
                _ => panic!("{k}"),
            }
        }
        let opts = LineOptions { weights: w, words: words_on, max_group, fill, max_width, ..LineOptions::default() };
        let counts: Vec<usize> = words.iter().flat_map(|w| (0..w.word.chars().count()).map(|c| w.owners.iter().filter(|&&o| o == c).count())).collect();
        let over = |k: usize| counts.iter().filter(|&&n| n > k).count() as f64 / counts.len().max(1) as f64;
        println!("strokes per character: mean {:.1}, over 6: {:.1}%, over 8: {:.1}%, over 10: {:.1}%", counts.iter().sum::<usize>() as f64 / counts.len().max(1) as f64, 100.0 * over(6), 100.0 * over(8), 100.0 * over(10));
        let t = Instant::now();
        line(&format!("{w:?}"), &score(&words, &reader(&net, &opts)).unwrap());
        println!("{:.1} s", t.elapsed().as_secs_f64());
        if std::env::var("FUDE_TUNE_MISSES").is_ok() {
            for wd in &words {
                let best = LineReader::new().read(&net, &wd.drawing.strokes, &opts).unwrap();
                let r: Vec<&String> = best.iter().map(|b| &b.text).collect();
                if r.first() != Some(&&wd.word) {
                    println!("{} {} -> {:?}", wd.word, if wd.touching { "touching" } else { "gaps" }, r);
                    let chosen: Vec<String> = best.first().map_or(Vec::new(), |b| b.characters.iter().map(|c| format!("{}{:?}", c.ch, c.strokes)).collect());
                    println!("   chosen: {} (score {:.2}; the word's reading scores {:.2})", chosen.join(" "), best.first().map_or(f32::NAN, |b| b.score), best.iter().find(|b| b.text == wd.word).map_or(f32::NAN, |b| b.score));
                    let strokes = &wd.drawing.strokes;
                    let layout = crate::models::recognizer::line::layout::Layout::with_fill(strokes, fill).unwrap();
                    let mut truth = String::new();
                    for c in 0..wd.word.chars().count() {
                        let ids: Vec<usize> = (0..strokes.len()).filter(|&i| wd.owners[i] == c).collect();
                        let p = net.probabilities(&layout.input(strokes, &ids).unwrap()).unwrap();
                        let top = crate::models::recognizer::rank(&p, 2);
                        truth.push_str(&format!("{}{:.2}/{}{:.2} ", top[0].ch, top[0].prob, top[1].ch, top[1].prob));
                    }
                    println!("   true groups: {truth} order {:?} owners {:?}", layout.order, wd.owners);
                }
            }
        }
    }
}
