//! Two recognizers read the same held-out samples: which samples only one of them reads right,
//! and whether that difference is more than chance (the exact McNemar test). Deciding that a new
//! model is "no worse" than the bundled one by their accuracies alone mistakes a few samples of
//! noise for a regression, or the reverse; the samples they disagree on tell.

use super::evaluate::evaluate_detailed;
use crate::data::Sample;
use crate::error::Result;
use crate::models::recognizer::reading::Reading;
use crate::models::Recognizer;
use serde::Serialize;

/// How two recognizers, A and B, read the same samples.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Paired {
    /// The set's name.
    pub name: String,
    /// Samples both read right.
    pub both: usize,
    /// Samples only A reads right.
    pub only_a: usize,
    /// Samples only B reads right.
    pub only_b: usize,
    /// Samples neither reads right.
    pub neither: usize,
}

impl Paired {
    /// Pairs two models' reads of the same samples (`a[i]`, `b[i]`: whether each read sample `i`
    /// right, as [`super::evaluate::DetailedEval::right`] records); a longer list's extra samples
    /// are left out.
    pub fn from_right(name: &str, a: &[bool], b: &[bool]) -> Self {
        let mut out = Paired { name: name.to_string(), ..Paired::default() };
        for (&x, &y) in a.iter().zip(b) {
            match (x, y) {
                (true, true) => out.both += 1,
                (true, false) => out.only_a += 1,
                (false, true) => out.only_b += 1,
                (false, false) => out.neither += 1,
            }
        }
        out
    }

    /// All samples compared.
    pub fn samples(&self) -> usize {
        self.both + self.only_a + self.only_b + self.neither
    }

    /// The two-sided p-value of the exact McNemar test: the chance, were A and B equally good, of
    /// a split of their disagreements at least this uneven (1 when they never disagree).
    pub fn p_value(&self) -> f64 {
        mcnemar_exact(self.only_a, self.only_b)
    }

    /// One line: each model's accuracy, the disagreements and the p-value.
    pub fn to_text(&self) -> String {
        let n = self.samples().max(1) as f64;
        format!(
            "{}: A {:.2}%, B {:.2}% | only A right {}, only B right {} | exact McNemar p = {:.3}",
            self.name,
            100.0 * (self.both + self.only_a) as f64 / n,
            100.0 * (self.both + self.only_b) as f64 / n,
            self.only_a,
            self.only_b,
            self.p_value()
        )
    }
}

/// Two-sided exact binomial test of `b` against `c` successes out of `b + c` at one half:
/// `min(1, 2 · P(X ≤ min(b, c)))`, summed in logarithms so that large counts do not underflow.
pub fn mcnemar_exact(b: usize, c: usize) -> f64 {
    let n = b + c;
    if n == 0 {
        return 1.0;
    }
    let k = b.min(c);
    let half = (n as f64) * 0.5f64.ln();
    // ln C(n, i) for i = 0..=k, added up with the largest term factored out.
    let mut ln_choose = 0.0f64;
    let mut terms = Vec::with_capacity(k + 1);
    for i in 0..=k {
        if i > 0 {
            ln_choose += ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        terms.push(ln_choose + half);
    }
    let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let tail = top + terms.iter().map(|t| (t - top).exp()).sum::<f64>().ln();
    (2.0 * tail.exp()).min(1.0)
}

/// Reads `samples` with the recognizers `a` and `b`, each ranking as its reading does (or as the
/// network does with `None`, as [`evaluate_detailed`] ranks with `cells`; the readings differ only
/// in [`Reading::kuzushiji_reader`]), and counts where their first choices are right.
pub fn compare_paired(a: (&Recognizer, Option<&Reading>), b: (&Recognizer, Option<&Reading>), name: &str, samples: &[Sample], cells: &[bool]) -> Result<Paired> {
    let right = |(m, reading): (&Recognizer, Option<&Reading>)| evaluate_detailed(m, name, samples, reading, cells, 0).map(|d| d.right);
    Ok(Paired::from_right(name, &right(a)?, &right(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{FontSource, Source, Split};
    use crate::models::Checkpoint;
    use candle_core::Device;

    #[test]
    fn the_exact_test_matches_the_binomial_by_hand() {
        assert_eq!(mcnemar_exact(0, 0), 1.0);
        assert_eq!(mcnemar_exact(3, 3), 1.0);
        // 0 against 5: 2 · 0.5^5.
        assert!((mcnemar_exact(0, 5) - 0.0625).abs() < 1e-12);
        // 1 against 9: 2 · (1 + 10) / 1024.
        assert!((mcnemar_exact(9, 1) - 22.0 / 1024.0).abs() < 1e-12);
        // 17 against 21 (38 disagreements): about 0.627.
        assert!((mcnemar_exact(17, 21) - 0.627).abs() < 0.001, "{}", mcnemar_exact(17, 21));
        // Thousands of disagreements do not underflow.
        let p = mcnemar_exact(5000, 5100);
        assert!(p > 0.3 && p < 0.35, "{p}");
        assert!(mcnemar_exact(4000, 6000) < 1e-80);
    }

    #[test]
    fn a_model_against_itself_never_disagrees_and_against_an_untrained_one_wins() {
        let dev = Device::Cpu;
        let bundled = Checkpoint::bundled(&dev).unwrap().model;
        let samples: Vec<Sample> = FontSource::new(Split::Test).eval_samples().into_iter().step_by(9).collect();
        let same = compare_paired((&bundled, None), (&bundled, None), "fonts", &samples, &[]).unwrap();
        assert_eq!((same.only_a, same.only_b, same.samples()), (0, 0, samples.len()));
        assert_eq!(same.p_value(), 1.0);
        let raw = Recognizer::new_seeded(bundled.arch.clone(), &dev, 3).unwrap();
        let d = compare_paired((&bundled, Some(&Reading::default())), (&raw, Some(&Reading::default())), "fonts", &samples, &[]).unwrap();
        assert!(d.only_a > 100 && d.only_b < 5 && d.p_value() < 1e-20, "{d:?}");
        assert!(d.to_text().contains("only A right") && d.to_text().starts_with("fonts: A 9"), "{}", d.to_text());
        let pairs = Paired::from_right("x", &[true, true, false, false, true], &[true, false, true, false]);
        assert_eq!((pairs.both, pairs.only_a, pairs.only_b, pairs.neither), (1, 1, 1, 1), "the longer list's extra sample is left out");
    }
}
