//! Recognition off the UI thread. The UI posts the latest canvas content into a one-slot mailbox
//! ([`crate::app::worker`]: a newer request replaces an older one that has not started), so there is
//! never more than one inference in flight and never a queue of stale ones. The worker thread
//! runs strokes → raster → model input → CNN, and sends the outcome back, waking the UI with
//! `request_repaint`.

use crate::ink::picture::{picture_input, PictureInput};
use crate::ink::{Drawing, InkImage};
use crate::models::recognizer::{Note, Reading, ScriptChoice};
use crate::models::{Checkpoint, CpuRecognizer, Prediction};
use std::path::Path;
use crate::app::worker::{Posted, Worker};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Candidates shown per result.
pub const TOP_K: usize = 10;

/// What to recognise.
#[derive(Clone)]
pub enum Job {
    /// Strokes, in drawing coordinates.
    Drawing(Drawing),
    /// An imported picture, cropped to its character unless it is marked as a writing box
    /// (`true`): the same reading as `fude predict [--as-box]`.
    Picture(Arc<InkImage>, bool),
}

/// A loaded model with a name to show.
#[derive(Clone)]
pub struct LoadedModel {
    /// The network, ready for single-image CPU inference.
    pub net: Arc<CpuRecognizer>,
    /// Where it came from ("bundled" or a path).
    pub name: String,
    /// It is the bundled recognizer (the bundled Kuzushiji reader joins it for a picture under
    /// Kuzushiji, or a Kuzushiji-49 cell under Auto: [`Reading::kuzushiji_reader`]).
    pub bundled: bool,
}

impl LoadedModel {
    /// Loads a checkpoint (`.safetensors` with its `.json` sidecar) for CPU inference; `None`
    /// loads the bundled model. A checkpoint that does not fit this build is refused with the reason.
    pub fn load(path: Option<&Path>) -> crate::Result<Self> {
        let device = candle_core::Device::Cpu;
        let checkpoint = Checkpoint::load_or_bundled(path, &device)?;
        let name = path.map_or_else(|| crate::models::BUNDLED_NAME.to_string(), |p| p.display().to_string());
        Ok(LoadedModel {
            net: Arc::new(CpuRecognizer::new(&checkpoint.model)?),
            name,
            bundled: path.is_none(),
        })
    }
}

impl LoadedModel {
    /// The model the app starts with: `cli` (given on the command line), else `remembered` (opened
    /// from the menu last time), else the bundled one. A remembered model that no longer loads is
    /// forgotten, and the returned note says so.
    pub fn load_at_start(cli: Option<&Path>, remembered: &mut Option<std::path::PathBuf>) -> (crate::Result<Self>, Option<String>) {
        if cli.is_some() {
            return (Self::load(cli), None);
        }
        let Some(path) = remembered.clone() else { return (Self::load(None), None) };
        match Self::load(Some(&path)) {
            Ok(m) => (Ok(m), None),
            Err(e) => {
                *remembered = None;
                (Self::load(None), Some(format!("The model opened last time did not load ({e}): using the bundled one")))
            }
        }
    }
}

/// The result of one request.
#[derive(Clone)]
pub struct Outcome {
    /// The request this answers.
    pub id: u64,
    /// Best candidates first (empty on error).
    pub candidates: Vec<Prediction>,
    /// What changed the candidates' order (script choice, context, a picture's unknown size).
    pub notes: Vec<Note>,
    /// The exact model input (28x28, ink bright).
    pub input: Vec<f32>,
    /// The input is blank: nothing drawn, or every point outside the box. No candidates then.
    pub blank: bool,
    /// Time from posting the request to the result being ready.
    pub latency: Duration,
    /// Raster + preprocessing + CNN time.
    pub compute: Duration,
    /// Why recognition failed, if it did.
    pub error: Option<String>,
}

/// What the worker reads with: the model and the reading (script, text so far).
type Config = (Option<LoadedModel>, Reading);

/// The UI's handle on the recognition worker.
pub struct Recognition {
    worker: Worker<Job, Config, Outcome>,
}

impl Recognition {
    /// Starts the worker thread. `wake` is called after each result (the UI passes
    /// `ctx.request_repaint`).
    pub fn start(model: Option<LoadedModel>, wake: impl Fn() + Send + 'static) -> Self {
        let run = |req: Posted<Job>, (model, reading): Config| recognize(req, model.as_ref(), &reading);
        Recognition { worker: Worker::start("fude-recognition", (model, Reading::default()), run, wake) }
    }

    /// Posts a job, replacing any that has not started. Returns its id.
    pub fn post(&mut self, job: Job) -> u64 {
        self.worker.post(job)
    }

    /// Forgets pending results (e.g. the canvas was cleared).
    pub fn cancel(&mut self) {
        self.worker.cancel();
    }

    /// Whether a request is waiting or running.
    pub fn is_busy(&self) -> bool {
        self.worker.is_busy()
    }

    /// Replaces the model (used from the next request on).
    pub fn set_model(&mut self, model: LoadedModel) {
        self.worker.update_config(|c| c.0 = Some(model));
    }

    /// Sets how candidates are chosen and ordered (script, text so far), from the next request on.
    pub fn set_reading(&mut self, reading: Reading) {
        self.worker.update_config(|c| c.1 = reading);
    }

    /// The model in use.
    pub fn model(&self) -> Option<LoadedModel> {
        self.worker.config().and_then(|c| c.0)
    }

    /// The newest result the UI still wants, if one arrived since the last call.
    pub fn poll(&mut self) -> Option<Outcome> {
        self.worker.poll()
    }
}

/// The model input for a job under a script choice, the same path as `fude predict`, with what
/// the candidates should say about it: a drawing is its own writing box (not cropped, one
/// character, not softened); an error for a picture without ink.
pub fn job_input(job: &Job, script: ScriptChoice) -> Result<PictureInput, String> {
    match job {
        Job::Drawing(d) => Ok(PictureInput::of_drawing(crate::ink::drawing_input(d))),
        Job::Picture(p, as_box) => picture_input(p, script.picture_options(*as_box)),
    }
}

pub use crate::ink::is_blank;

fn recognize(req: Posted<Job>, model: Option<&LoadedModel>, reading: &Reading) -> Outcome {
    let t0 = Instant::now();
    let mut blank = false;
    let (input, result) = match job_input(&req.job, reading.script) {
        Ok(picture) => {
            let input = picture.input;
            blank = is_blank(&input);
            let read = reading.for_picture(&picture, model.is_some_and(|m| m.bundled));
            let result = match model {
                _ if blank => Ok(crate::models::recognizer::Candidates::default()),
                Some(m) => m
                    .net
                    .probabilities(&input)
                    .and_then(|mut p| read.blend(&input, &mut p).map(|()| p))
                    .map(|p| read.candidates(&p, TOP_K))
                    .map_err(|e| e.to_string()),
                None => Err("no model loaded: open one with File → Open model…".to_string()),
            }
            .map(|c| c.with_picture_notes(&picture));
            (input, result)
        }
        Err(e) => ([0.0; INPUT_LEN], Err(e)),
    };
    let compute = t0.elapsed();
    let (candidates, notes, error) = match result {
        Ok(c) => (c.top, c.notes, None),
        Err(e) => (Vec::new(), Vec::new(), Some(e)),
    };
    Outcome {
        id: req.id,
        candidates,
        notes,
        input: input.to_vec(),
        blank,
        latency: req.posted.elapsed(),
        compute,
        error,
    }
}

/// Length of a model input.
const INPUT_LEN: usize = crate::ink::INPUT_SIDE * crate::ink::INPUT_SIDE;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{Architecture, Recognizer};
    use candle_core::Device;

    fn wait(r: &mut Recognition) -> Outcome {
        crate::app::worker::wait_for("no result", 20, || r.poll())
    }

    #[test]
    fn a_remembered_model_is_used_or_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("mine.safetensors");
        let net = Recognizer::new_seeded(Default::default(), &Device::Cpu, 3).unwrap();
        crate::models::Checkpoint::save(&net, &crate::models::Sidecar::new(Default::default(), Default::default()), &good).unwrap();
        let mut remembered = Some(good.clone());
        let (m, note) = LoadedModel::load_at_start(None, &mut remembered);
        assert_eq!(m.unwrap().name, good.display().to_string());
        assert!(note.is_none() && remembered.is_some());
        let (m, _) = LoadedModel::load_at_start(Some(&good), &mut None);
        assert_eq!(m.unwrap().name, good.display().to_string(), "the command line first");

        let mut gone = Some(dir.path().join("gone.safetensors"));
        let (m, note) = LoadedModel::load_at_start(None, &mut gone);
        assert_eq!(m.unwrap().name, "bundled");
        assert!(note.is_some_and(|n| n.contains("gone")));
        assert_eq!(gone, None, "forgotten");
    }

    #[test]
    fn stroke_order_and_direction_do_not_change_the_input() {
        let d = Drawing::from_json(include_str!("../../../assets/examples/a.json")).unwrap();
        let mut shuffled = d.clone();
        shuffled.strokes.reverse();
        for s in &mut shuffled.strokes {
            s.reverse();
        }
        let (a, b) = (job_input(&Job::Drawing(d), ScriptChoice::Auto).unwrap().input, job_input(&Job::Drawing(shuffled), ScriptChoice::Auto).unwrap().input);
        // Only anti-aliasing where strokes cross, and the smoothing's end segments, differ.
        let mean = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32;
        assert!(mean < 0.005, "mean pixel difference {mean}");
        let net = CpuRecognizer::new(&crate::models::Checkpoint::bundled(&Device::Cpu).unwrap().model).unwrap();
        let (pa, pb) = (net.top_k(&a, 1).unwrap()[0], net.top_k(&b, 1).unwrap()[0]);
        assert_eq!((pa.ch, pb.ch), ('あ', 'あ'));
        assert!((pa.prob - pb.prob).abs() < 0.05, "{} vs {}", pa.prob, pb.prob);
    }

    #[test]
    fn a_kuzushiji_cell_is_softened_only_under_the_kuzushiji_script() {
        let mut cell = InkImage::new(28, 28);
        for y in 4..24 {
            cell.data[y * 28 + 13] = 1.0;
            cell.data[13 * 28 + y] = 1.0;
        }
        let job = Job::Picture(Arc::new(cell.clone()), false);
        let read = |script: ScriptChoice| job_input(&job, script).unwrap().input;
        let options = ScriptChoice::Kuzushiji.picture_options(false);
        assert!(options.thumbnail_blur > 0.0);
        assert_eq!(read(ScriptChoice::Kuzushiji), picture_input(&cell, options).unwrap().input);
        assert_ne!(read(ScriptChoice::Kuzushiji), read(ScriptChoice::Auto));
        assert_eq!(read(ScriptChoice::Auto), crate::ink::model_input(&cell), "read as it is");
    }

    #[test]
    fn newest_request_wins_and_errors_come_back() {
        let mut r = Recognition::start(None, || {});
        let mut d = Drawing::new(100.0, 100.0);
        d.strokes.push(vec![[10.0, 50.0], [90.0, 50.0]]);
        r.post(Job::Drawing(d.clone()));
        let id = r.post(Job::Drawing(d.clone()));
        let o = wait(&mut r);
        assert_eq!(o.id, id, "only the newest result is delivered");
        assert!(o.error.as_deref().unwrap_or("").contains("no model"));
        assert!(o.input.iter().any(|&v| v > 0.5), "the input is still shown");

        let net = Recognizer::new_seeded(Architecture::default(), &Device::Cpu, 1).unwrap();
        r.set_model(LoadedModel {
            net: Arc::new(CpuRecognizer::new(&net).unwrap()),
            name: "test".into(),
            bundled: false,
        });
        r.post(Job::Drawing(d));
        let o = wait(&mut r);
        assert!(o.error.is_none());
        assert_eq!(o.candidates.len(), TOP_K);
        r.post(Job::Picture(Arc::new(InkImage::new(8, 8)), false));
        r.cancel();
        std::thread::sleep(Duration::from_millis(50));
        assert!(r.poll().is_none(), "a cancelled request's result is dropped");
    }
}
