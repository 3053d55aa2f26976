//! Classification metrics: accuracy, balanced accuracy (mean per-class recall, the official
//! Kuzushiji-49 metric), top-5, per-class recall and the most confused pairs.

use crate::data::classes::{self, NUM_CLASSES};
use serde::Serialize;

/// Counts of (true class, predicted class) plus top-5 hits.
#[derive(Debug, Clone)]
pub struct Confusion {
    counts: Vec<u64>,
    top5_hits: u64,
    /// Sum of -ln p(true class) over the predictions that reported it.
    nll_sum: f64,
    nll_count: u64,
}

impl Default for Confusion {
    fn default() -> Self {
        Confusion { counts: vec![0; NUM_CLASSES * NUM_CLASSES], top5_hits: 0, nll_sum: 0.0, nll_count: 0 }
    }
}

impl Confusion {
    /// Records one prediction: the true class and the classes ranked best first.
    pub fn add(&mut self, truth: usize, ranked: &[usize]) {
        let Some(&pred) = ranked.first() else { return };
        if truth < NUM_CLASSES && pred < NUM_CLASSES {
            if let Some(c) = self.counts.get_mut(truth * NUM_CLASSES + pred) {
                *c += 1;
            }
        }
        if ranked.iter().take(5).any(|&r| r == truth) {
            self.top5_hits += 1;
        }
    }

    /// Records the probability the model gave the true class (for the held-out loss).
    pub fn add_probability(&mut self, p_true: f32) {
        self.nll_sum -= f64::from(p_true.max(1e-12)).ln();
        self.nll_count += 1;
    }

    /// How often class `t` was read as class `p`.
    pub fn count(&self, t: usize, p: usize) -> u64 {
        self.counts.get(t * NUM_CLASSES + p).copied().unwrap_or(0)
    }

    /// Adds the counts of `other` (e.g. one part of a set) to these.
    pub fn merge(&mut self, other: &Confusion) {
        self.counts.iter_mut().zip(&other.counts).for_each(|(a, b)| *a += b);
        self.top5_hits += other.top5_hits;
        self.nll_sum += other.nll_sum;
        self.nll_count += other.nll_count;
    }

    /// Number of predictions recorded.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Summarises into a report; `most_confused` pairs are listed.
    pub fn report(&self, name: &str, most_confused: usize) -> EvalReport {
        let total = self.total().max(1) as f64;
        let correct: u64 = (0..NUM_CLASSES).map(|c| self.count(c, c)).sum();
        let per_class: Vec<ClassRecall> = (0..NUM_CLASSES)
            .filter_map(|c| {
                let support: u64 = (0..NUM_CLASSES).map(|p| self.count(c, p)).sum();
                (support > 0).then(|| ClassRecall {
                    ch: classes::get(c).map(|k| k.ch.to_string()).unwrap_or_default(),
                    support,
                    recall: self.count(c, c) as f64 / support as f64,
                })
            })
            .collect();
        let balanced = if per_class.is_empty() {
            0.0
        } else {
            per_class.iter().map(|r| r.recall).sum::<f64>() / per_class.len() as f64
        };
        let mut pairs: Vec<ConfusedPair> = (0..NUM_CLASSES)
            .flat_map(|t| (0..NUM_CLASSES).map(move |p| (t, p)))
            .filter(|&(t, p)| t != p && self.count(t, p) > 0)
            .map(|(t, p)| ConfusedPair {
                truth: classes::get(t).map(|k| k.ch.to_string()).unwrap_or_default(),
                predicted: classes::get(p).map(|k| k.ch.to_string()).unwrap_or_default(),
                count: self.count(t, p),
            })
            .collect();
        pairs.sort_by(|a, b| b.count.cmp(&a.count).then(a.truth.cmp(&b.truth)));
        pairs.truncate(most_confused);
        EvalReport {
            name: name.to_string(),
            samples: self.total(),
            accuracy: correct as f64 / total,
            balanced_accuracy: balanced,
            top5: self.top5_hits as f64 / total,
            loss: if self.nll_count == 0 { f64::NAN } else { self.nll_sum / self.nll_count as f64 },
            per_class,
            most_confused: pairs,
            parts: Vec::new(),
        }
    }
}

/// Recall of one class.
#[derive(Debug, Clone, Serialize)]
pub struct ClassRecall {
    /// The character.
    pub ch: String,
    /// Number of test samples of the class.
    pub support: u64,
    /// Fraction of them predicted correctly.
    pub recall: f64,
}

/// A confusion: how often `truth` was read as `predicted`.
#[derive(Debug, Clone, Serialize)]
pub struct ConfusedPair {
    /// The true character.
    pub truth: String,
    /// What the model said.
    pub predicted: String,
    /// How many times.
    pub count: u64,
}

/// The result of evaluating a model on one set.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Evaluation set name.
    pub name: String,
    /// Number of samples.
    pub samples: u64,
    /// Top-1 accuracy.
    pub accuracy: f64,
    /// Mean per-class recall over the classes present.
    pub balanced_accuracy: f64,
    /// Top-5 accuracy.
    pub top5: f64,
    /// Mean cross-entropy (-ln p of the true class); NaN when not recorded.
    pub loss: f64,
    /// Recall per class present.
    pub per_class: Vec<ClassRecall>,
    /// The most frequent confusions.
    pub most_confused: Vec<ConfusedPair>,
    /// Accuracy of each part of the set (one per font for generated sources); empty for sets
    /// that are not split.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartAccuracy>,
}

/// Accuracy on one part of an evaluation set, e.g. the renders of one held-out font.
#[derive(Debug, Clone, Serialize)]
pub struct PartAccuracy {
    /// Part name (a font file for generated sources).
    pub name: String,
    /// Number of samples in the part.
    pub samples: u64,
    /// Top-1 accuracy.
    pub accuracy: f64,
    /// Mean per-class recall.
    pub balanced_accuracy: f64,
}

impl From<&EvalReport> for PartAccuracy {
    fn from(r: &EvalReport) -> Self {
        PartAccuracy { name: r.name.clone(), samples: r.samples, accuracy: r.accuracy, balanced_accuracy: r.balanced_accuracy }
    }
}

impl EvalReport {
    /// A human-readable summary (several lines).
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{}: {} samples  top-1 {:.2}%  balanced {:.2}%  top-5 {:.2}%\n",
            self.name,
            self.samples,
            100.0 * self.accuracy,
            100.0 * self.balanced_accuracy,
            100.0 * self.top5
        );
        let mut worst: Vec<&ClassRecall> = self.per_class.iter().collect();
        worst.sort_by(|a, b| a.recall.total_cmp(&b.recall));
        let worst: Vec<String> = worst.iter().take(10).map(|r| format!("{} {:.0}%", r.ch, 100.0 * r.recall)).collect();
        s.push_str(&format!("  lowest recall: {}\n", worst.join(", ")));
        for row in self.per_class.chunks(12) {
            let cells: Vec<String> = row.iter().map(|r| format!("{} {:.0}%", r.ch, 100.0 * r.recall)).collect();
            s.push_str(&format!("  recall: {}\n", cells.join("  ")));
        }
        let conf: Vec<String> = self.most_confused.iter().map(|p| format!("{}→{} ×{}", p.truth, p.predicted, p.count)).collect();
        s.push_str(&format!("  most confused: {}\n", conf.join(", ")));
        for p in &self.parts {
            s.push_str(&format!(
                "  part {}: {} samples  top-1 {:.2}%  balanced {:.2}%\n",
                p.name,
                p.samples,
                100.0 * p.accuracy,
                100.0 * p.balanced_accuracy
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_accuracy_weighs_classes_equally() {
        let mut c = Confusion::default();
        // class 0: 9 of 10 right; class 1: 0 of 1 right.
        for _ in 0..9 {
            c.add(0, &[0, 1]);
        }
        c.add(0, &[1, 0]);
        c.add(1, &[0, 2, 3, 4, 5, 1]);
        let r = c.report("t", 5);
        assert!((r.accuracy - 9.0 / 11.0).abs() < 1e-9);
        assert!((r.balanced_accuracy - 0.45).abs() < 1e-9);
        assert!((r.top5 - 10.0 / 11.0).abs() < 1e-9);
        assert_eq!(r.per_class.len(), 2);
        assert_eq!(r.most_confused.len(), 2);
        assert_eq!(r.most_confused[0].count, 1);
        assert!(r.to_text().contains("balanced 45.00%"));
        let mut merged = Confusion::default();
        merged.merge(&c);
        merged.merge(&c);
        let m = merged.report("t", 5);
        assert_eq!(m.samples, 22);
        assert!((m.accuracy - r.accuracy).abs() < 1e-9 && (m.top5 - r.top5).abs() < 1e-9);
        assert_eq!(m.most_confused[0].count, 2);
        assert!(r.parts.is_empty());
        let json = serde_json::to_string(&r).unwrap_or_default();
        assert!(!json.contains("parts"), "unsplit sets have no parts field");
        let mut split = r.clone();
        split.parts.push(PartAccuracy::from(&r));
        assert!(split.to_text().contains("part t: 11 samples  top-1 81.82%  balanced 45.00%"));
    }
}
