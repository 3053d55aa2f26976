//! Line reading off the UI thread: after each stroke in line mode the app posts the line's
//! strokes to a [`crate::app::worker`] thread, which reads them with the same
//! [`LineReader`] as `fude predict --line` and sends the readings back. The reader lives on the
//! worker and remembers the groups it has read, so a line read again after one more stroke only
//! reads the groups that stroke changed.

use crate::app::recognition::worker::LoadedModel;
use crate::app::worker::{Posted, Worker};
use crate::ink::Stroke;
use crate::models::recognizer::line::{LineOptions, LineReader, LineReading};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A line to read.
#[derive(Clone)]
pub struct LineJob {
    /// The strokes, in drawing coordinates, in writing order.
    pub strokes: Vec<Stroke>,
    /// The recognizer to read with.
    pub model: Option<LoadedModel>,
    /// Script, context, and how many readings and candidates to return.
    pub options: LineOptions,
}

/// The readings of one line.
#[derive(Clone)]
pub struct LineOutcome {
    /// The best reading first, then its alternatives (empty without ink or on error).
    pub readings: Vec<LineReading>,
    /// Time from posting the line to the readings being ready.
    pub latency: Duration,
    /// Time the reader took.
    pub compute: Duration,
    /// Why reading failed, if it did.
    pub error: Option<String>,
}

/// The UI's handle on the line-reading worker.
pub struct LineReadingWorker {
    worker: Worker<LineJob, (), LineOutcome>,
}

impl LineReadingWorker {
    /// Starts the worker thread; `wake` is called after each outcome.
    pub fn start(wake: impl Fn() + Send + 'static) -> Self {
        let mut reader = Reader::default();
        let run = move |job: Posted<LineJob>, _: ()| reader.read(job);
        LineReadingWorker { worker: Worker::start("fude-line-reading", (), run, wake) }
    }

    /// Posts a line, replacing any that has not started. Returns its id.
    pub fn post(&mut self, job: LineJob) -> u64 {
        self.worker.post(job)
    }

    /// Forgets pending readings (the canvas was cleared).
    pub fn cancel(&mut self) {
        self.worker.cancel();
    }

    /// Whether a line is waiting or being read.
    pub fn is_busy(&self) -> bool {
        self.worker.is_busy()
    }

    /// The newest readings the UI still wants, if they arrived since the last call.
    pub fn poll(&mut self) -> Option<LineOutcome> {
        self.worker.poll()
    }
}

/// The worker's reader, with the model its remembered groups were read by.
#[derive(Default)]
struct Reader {
    reader: LineReader,
    model: Option<LoadedModel>,
}

impl Reader {
    fn read(&mut self, job: Posted<LineJob>) -> LineOutcome {
        let t0 = Instant::now();
        let LineJob { strokes, model, options } = job.job;
        let result = match model {
            Some(model) => {
                // Another model reads every group anew.
                if !self.model.as_ref().is_some_and(|m| Arc::ptr_eq(&m.net, &model.net)) {
                    self.reader = LineReader::new();
                }
                let readings = self.reader.read(&model.net, &strokes, &options).map_err(|e| e.to_string());
                self.model = Some(model);
                readings
            }
            None => Err("no model loaded: open one with File → Open model…".to_string()),
        };
        let compute = t0.elapsed();
        let (readings, error) = match result {
            Ok(r) => (r, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        LineOutcome { readings, latency: job.posted.elapsed(), compute, error }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::line_words::word_drawing;
    use crate::data::Split;

    fn wait(w: &mut LineReadingWorker) -> LineOutcome {
        crate::app::worker::wait_for("no readings", 30, || w.poll())
    }

    #[test]
    fn a_word_is_read_on_the_worker_and_a_missing_model_is_said() {
        let model = LoadedModel::load(None).unwrap();
        let word = word_drawing(Split::Train, "カメラ", 0, false, 11).unwrap();
        let mut w = LineReadingWorker::start(|| {});
        let job = LineJob { strokes: word.drawing.strokes.clone(), model: Some(model), options: LineOptions::default() };
        w.post(job.clone());
        let first = wait(&mut w);
        assert_eq!(first.readings.first().map(|r| r.text.as_str()), Some("カメラ"));
        assert!(first.readings.len() <= 6 && first.error.is_none());
        // Read again: the groups are remembered.
        w.post(job.clone());
        let again = wait(&mut w);
        assert_eq!(again.readings, first.readings);
        assert!(again.compute < first.compute, "{:?} vs {:?}", again.compute, first.compute);

        w.post(LineJob { model: None, ..job });
        let o = wait(&mut w);
        assert!(o.readings.is_empty() && o.error.is_some_and(|e| e.contains("no model")));
    }

    /// Time to read a line after each of its strokes as the app does (on one thread, the groups
    /// of the line before remembered): the bench's line and the held-out six-kana word drawings
    /// of `fude bench line`. `cargo test --release --lib line_reading_timing -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn line_reading_timing() {
        use crate::data::line_words::word_drawings;
        let net = LoadedModel::load(None).unwrap().net;
        let bench_line = crate::ink::Drawing::from_json(include_str!("../../../assets/examples/line-hitorihitori.json")).unwrap();
        let mut lines = vec![bench_line.strokes];
        lines.extend(word_drawings(Split::Test, 400, 6, 0).into_iter().filter(|w| w.word.chars().count() == 6).map(|w| w.drawing.strokes));
        let (mut each, mut last) = (Vec::new(), Vec::new());
        for strokes in &lines {
            let mut reader = LineReader::new();
            for n in 1..=strokes.len() {
                let t = Instant::now();
                reader.read(&net, &strokes[..n], &LineOptions::default()).unwrap();
                each.push(t.elapsed());
            }
            last.extend(each.last().copied());
        }
        let show = |name: &str, mut v: Vec<Duration>| {
            v.sort();
            let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3;
            println!("{name}: n={} p50={:.2} ms p90={:.2} ms p99={:.2} ms max={:.2} ms", v.len(), q(0.5), q(0.9), q(0.99), q(1.0));
        };
        println!("{} six-kana lines (the bench's ひとりひとり and held-out word drawings), one thread:", lines.len());
        show("reading the line after each stroke", each);
        show("reading the whole line after its last stroke", last);
    }
}
