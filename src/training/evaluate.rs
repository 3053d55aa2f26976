//! Evaluation of a recognizer on a fixed set of samples.

use super::metrics::{Confusion, EvalReport, PartAccuracy};
use crate::data::Sample;
use crate::error::Result;
use crate::models::recognizer::rank;
use crate::models::Recognizer;

/// How many of the most confused pairs a report lists.
const MOST_CONFUSED: usize = 10;

/// Evaluates `model` on `samples` in batches; `on_batch` gets the number done so far.
pub fn evaluate(model: &Recognizer, name: &str, samples: &[Sample], on_batch: impl FnMut(usize)) -> Result<EvalReport> {
    let mut confusion = Confusion::default();
    classify(model, samples, &mut confusion, on_batch)?;
    Ok(confusion.report(name, MOST_CONFUSED))
}

/// Evaluates `model` on a set made of named parts (e.g. one per held-out font): one report for
/// the whole set, with each part's accuracy in [`EvalReport::parts`]. Every sample is classified
/// once; `on_batch` gets the number done so far over all parts.
pub fn evaluate_parts(model: &Recognizer, name: &str, parts: &[(String, Vec<Sample>)], mut on_batch: impl FnMut(usize)) -> Result<EvalReport> {
    let mut whole = Confusion::default();
    let mut accuracies = Vec::with_capacity(parts.len());
    let mut before = 0;
    for (part_name, samples) in parts {
        let mut part = Confusion::default();
        classify(model, samples, &mut part, |n| on_batch(before + n))?;
        before += samples.len();
        accuracies.push(PartAccuracy::from(&part.report(part_name, 0)));
        whole.merge(&part);
    }
    let mut report = whole.report(name, MOST_CONFUSED);
    report.parts = accuracies;
    Ok(report)
}

/// Classifies `samples` in batches into `confusion`.
fn classify(model: &Recognizer, samples: &[Sample], confusion: &mut Confusion, mut on_batch: impl FnMut(usize)) -> Result<()> {
    let mut done = 0;
    for chunk in samples.chunks(256) {
        let inputs: Vec<_> = chunk.iter().map(|s| &s.input).collect();
        let probs = model.probabilities(&inputs)?;
        for (s, p) in chunk.iter().zip(&probs) {
            let ranked: Vec<usize> = rank(p, 5).into_iter().map(|r| r.class).collect();
            confusion.add(s.label, &ranked);
        }
        done += chunk.len();
        on_batch(done);
    }
    Ok(())
}
