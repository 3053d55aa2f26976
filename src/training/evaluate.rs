//! Evaluation of a recognizer on a fixed set of samples.

use super::metrics::{Confusion, EvalReport};
use crate::data::Sample;
use crate::error::Result;
use crate::models::recognizer::rank;
use crate::models::Recognizer;

/// Evaluates `model` on `samples` in batches; `on_batch` gets the number done so far.
pub fn evaluate(model: &Recognizer, name: &str, samples: &[Sample], mut on_batch: impl FnMut(usize)) -> Result<EvalReport> {
    let mut confusion = Confusion::default();
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
    Ok(confusion.report(name, 10))
}
