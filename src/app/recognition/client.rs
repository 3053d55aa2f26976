//! Recognition from the app's side: posting the canvas to the worker when it changed, and taking
//! in its results ([`crate::app::recognition::worker`] runs the worker).

use crate::app::recognition::worker::{Job, Recognition};
use crate::app::FudeApp;
use crate::ink::INPUT_SIDE;
use crate::models::recognizer::{Note, Reading};
use crate::models::Prediction;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Shortest interval between recognitions while a stroke is being drawn.
const LIVE_INTERVAL: Duration = Duration::from_millis(40);

/// What the app knows of recognition: the worker, what was posted to it, and the result shown
/// (candidates, the model's eye, notes), with the "Keep for training" label typed under them.
pub struct RecognitionView {
    /// The recognition worker.
    pub(in crate::app) worker: Recognition,
    /// The candidates shown now, best first.
    pub(in crate::app) candidates: Vec<Prediction>,
    /// Id of the request the shown candidates answer.
    pub(in crate::app) shown_id: u64,
    /// Id of the newest request posted.
    pub(in crate::app) posted_id: u64,
    /// The canvas revision the newest request was made from.
    pub(in crate::app) posted_revision: u64,
    /// When the newest request was posted.
    pub(in crate::app) last_post: Option<Instant>,
    /// How long the last result (or line reading) took, for the status line.
    pub(in crate::app) last_latency: Option<Duration>,
    /// The model's eye as a texture.
    pub(in crate::app) eye: Option<egui::TextureHandle>,
    /// The exact model input of the shown candidates.
    pub(in crate::app) eye_input: Option<Vec<f32>>,
    /// The shown result read a blank model input: the drawing is empty or outside the box.
    pub(in crate::app) blank: bool,
    /// Why the shown candidates are not in the model's own order (script, context, picture).
    pub(in crate::app) reading_notes: Vec<Note>,
    /// The picture on the canvas is a writing box (not cropped to its character).
    pub(in crate::app) picture_as_box: bool,
    /// The reading (script, text) the posted request was made with.
    pub(in crate::app) posted_reading: Option<Reading>,
    /// Enter or Space asked for the top candidate before the candidates were up to date.
    pub(in crate::app) pending_top: bool,
    /// The label typed for "Keep for training" (empty: the top candidate).
    pub(in crate::app) keep_label: String,
}

impl RecognitionView {
    /// A view of `worker` with nothing posted or shown yet.
    pub(in crate::app) fn new(worker: Recognition) -> Self {
        RecognitionView {
            worker,
            candidates: Vec::new(),
            shown_id: 0,
            posted_id: 0,
            posted_revision: 0,
            last_post: None,
            last_latency: None,
            eye: None,
            eye_input: None,
            blank: false,
            reading_notes: Vec::new(),
            picture_as_box: false,
            posted_reading: None,
            pending_top: false,
            keep_label: String::new(),
        }
    }
}

impl FudeApp {
    /// Takes in the newest recognition result (at the start of a frame, so it is shown in the
    /// same frame); returns its request id and latency.
    pub(in crate::app) fn receive_recognition(&mut self, ctx: &egui::Context) -> Option<(u64, Duration)> {
        if let Some(outcome) = self.recognition.worker.poll() {
            if let Some(err) = &outcome.error {
                self.say(format!("Recognition failed: {err}"), true);
            }
            self.recognition.shown_id = outcome.id;
            self.recognition.blank = outcome.blank;
            self.recognition.candidates = outcome.candidates;
            self.recognition.reading_notes = outcome.notes;
            self.recognition.last_latency = Some(outcome.latency);
            let img = egui::ColorImage::from_gray_iter(
                [INPUT_SIDE, INPUT_SIDE],
                outcome.input.iter().map(|v| (v.clamp(0.0, 1.0) * 255.0) as u8),
            );
            match &mut self.recognition.eye {
                Some(tex) => tex.set(img, egui::TextureOptions::NEAREST),
                None => self.recognition.eye = Some(ctx.load_texture("model-eye", img, egui::TextureOptions::NEAREST)),
            }
            self.recognition.eye_input = Some(outcome.input);
            return Some((outcome.id, outcome.latency));
        }
        None
    }

    /// Posts a recognition request when the canvas changed (throttled while a stroke is drawn);
    /// returns the request's id and when it was posted if it reads a stroke just finished.
    pub(in crate::app) fn post_recognition(&mut self, ctx: &egui::Context, drawing: bool, stroke_finished: bool) -> Option<(u64, Instant)> {
        let revision = self.writing.canvas.revision();
        // The script choice and the text so far order the candidates too: a change there reads
        // the canvas again.
        let (script, text) = (self.settings.script, self.settings.text.text());
        let reading_changed = self.recognition.posted_reading.as_ref().is_none_or(|r| r.script != script || r.context != text);
        if revision == self.recognition.posted_revision && !reading_changed {
            return None;
        }
        if reading_changed {
            let reading = Reading { script, context: text.to_string(), ..Reading::default() };
            self.recognition.worker.set_reading(reading.clone());
            self.recognition.posted_reading = Some(reading);
        }
        if self.writing.canvas.is_empty() {
            self.recognition.worker.cancel();
            self.recognition.candidates.clear();
            self.recognition.reading_notes.clear();
            self.recognition.blank = false;
            self.recognition.eye_input = None;
            self.recognition.posted_revision = revision;
            self.recognition.posted_id = 0;
            self.recognition.shown_id = 0;
            return None;
        }
        if drawing && !stroke_finished {
            if !self.settings.live_while_drawing {
                return None;
            }
            let since = self.recognition.last_post.map(|t| t.elapsed()).unwrap_or(Duration::MAX);
            if since < LIVE_INTERVAL || self.recognition.worker.is_busy() {
                ctx.request_repaint_after(LIVE_INTERVAL.saturating_sub(since).max(Duration::from_millis(5)));
                return None;
            }
        }
        let job = match self.writing.canvas.picture() {
            Some(p) => Job::Picture(Arc::clone(p), self.recognition.picture_as_box),
            None => Job::Drawing(self.writing.canvas.to_drawing()),
        };
        self.recognition.posted_id = self.recognition.worker.post(job);
        self.recognition.posted_revision = revision;
        self.recognition.last_post = Some(Instant::now());
        stroke_finished.then(|| (self.recognition.posted_id, Instant::now()))
    }
}
