//! Evaluation of a recognizer on a fixed set of samples.

use crate::training::metrics::{Confusion, EvalReport, PartAccuracy};
use crate::data::Sample;
use crate::ink::ModelInput;
use crate::error::Result;
use crate::models::recognizer::rank;
use crate::models::recognizer::reading::Reading;
use crate::models::Recognizer;

/// How many of the most confused pairs a report lists.
const MOST_CONFUSED: usize = 10;

/// Evaluates `model` on `samples` in batches, ranking each sample's candidates as `reading` does
/// (a script choice that limits them, the picture rule), or as the network does with `None`;
/// `cells` says which samples, read from picture files, looked like Kuzushiji-49 cells (one per
/// sample, as [`Reading::kuzushiji_cell`]; empty for none); `on_batch` gets the number done so far.
pub fn evaluate(model: &Recognizer, name: &str, samples: &[Sample], reading: Option<&Reading>, cells: &[bool], on_batch: impl FnMut(usize)) -> Result<EvalReport> {
    let mut confusion = Confusion::default();
    classify(model, samples, (reading, cells), &mut confusion, on_batch, |_, _, _| {})?;
    Ok(confusion.report(name, MOST_CONFUSED))
}

/// A held-out sample the model read wrong.
#[derive(Debug, Clone)]
pub struct Misread {
    /// The model's input (28x28).
    pub input: Box<ModelInput>,
    /// The true class.
    pub truth: usize,
    /// The class the model read.
    pub read_as: usize,
    /// The probability it gave that class.
    pub confidence: f32,
}

/// An evaluation with what a view needs beyond the report: the confusion counts, the misread
/// samples (the first `max_misreads` of them, in set order) and which samples were read right.
#[derive(Debug, Clone)]
pub struct DetailedEval {
    /// The figures.
    pub report: EvalReport,
    /// Counts of (truth, read as).
    pub confusion: Confusion,
    /// Misread samples.
    pub misreads: Vec<Misread>,
    /// Whether each sample's first choice was right, in set order (to pair two models' reads:
    /// [`super::paired::Paired::from_right`]).
    pub right: Vec<bool>,
}

/// Evaluates `model` on `samples`, ranking as `reading` and `cells` say (see [`evaluate`]), keeping
/// the confusion counts and up to `max_misreads` misread samples.
pub fn evaluate_detailed(model: &Recognizer, name: &str, samples: &[Sample], reading: Option<&Reading>, cells: &[bool], max_misreads: usize) -> Result<DetailedEval> {
    let mut confusion = Confusion::default();
    let mut misreads = Vec::new();
    let mut right = Vec::with_capacity(samples.len());
    classify(model, samples, (reading, cells), &mut confusion, |_| {}, |s, read_as, confidence| {
        right.push(read_as == Some(s.label));
        if let Some(read_as) = read_as.filter(|&c| c != s.label && misreads.len() < max_misreads) {
            misreads.push(Misread { input: Box::new(s.input), truth: s.label, read_as, confidence });
        }
    })?;
    Ok(DetailedEval { report: confusion.report(name, MOST_CONFUSED), confusion, misreads, right })
}

/// Evaluates `model` on a set made of named parts (e.g. one per held-out font): one report for
/// the whole set, with each part's accuracy in [`EvalReport::parts`]. Every sample is classified
/// once, ranked as `reading` does (see [`evaluate`]); `on_batch` gets the number done so far over
/// all parts.
pub fn evaluate_parts(model: &Recognizer, name: &str, parts: &[(String, Vec<Sample>)], reading: Option<&Reading>, mut on_batch: impl FnMut(usize)) -> Result<EvalReport> {
    let mut whole = Confusion::default();
    let mut accuracies = Vec::with_capacity(parts.len());
    let mut before = 0;
    for (part_name, samples) in parts {
        let mut part = Confusion::default();
        classify(model, samples, (reading, &[]), &mut part, |n| on_batch(before + n), |_, _, _| {})?;
        before += samples.len();
        accuracies.push(PartAccuracy::from(&part.report(part_name, 0)));
        whole.merge(&part);
    }
    let mut report = whole.report(name, MOST_CONFUSED);
    report.parts = accuracies;
    Ok(report)
}

/// Classifies `samples` in batches into `confusion`, ranking as the reading does (or as the network
/// does), each sample a Kuzushiji-49 cell where the cells say so (see [`evaluate`]); `on_read` gets
/// each sample, in order, with its first choice (none when every class is ruled out) and that
/// class's probability.
fn classify(
    model: &Recognizer,
    samples: &[Sample],
    (reading, cells): (Option<&Reading>, &[bool]),
    confusion: &mut Confusion,
    mut on_batch: impl FnMut(usize),
    mut on_read: impl FnMut(&Sample, Option<usize>, f32),
) -> Result<()> {
    let mut done = 0;
    for chunk in samples.chunks(256) {
        let inputs: Vec<_> = chunk.iter().map(|s| &s.input).collect();
        let mut probs = model.probabilities(&inputs)?;
        for (k, (s, p)) in chunk.iter().zip(&mut probs).enumerate() {
            let cell = cells.get(done + k).copied().unwrap_or(false);
            let reading = reading.map(|r| Reading { kuzushiji_cell: cell, ..r.for_input(&s.input) });
            if let Some(r) = &reading {
                r.blend(&s.input, p)?;
            }
            let p = &*p;
            let ranked: Vec<usize> = match &reading {
                Some(r) => r.candidates(p, 5).top.into_iter().map(|c| c.class).collect(),
                None => rank(p, 5).into_iter().map(|r| r.class).collect(),
            };
            confusion.add(s.label, &ranked);
            let top = ranked.first().copied();
            on_read(s, top, top.and_then(|t| p.get(t)).copied().unwrap_or(0.0));
            confusion.add_probability(p.get(s.label).copied().unwrap_or(0.0));
        }
        done += chunk.len();
        on_batch(done);
    }
    Ok(())
}
