//! Recognition from the app's side: posting the canvas to the worker when it changed, and taking
//! in its results ([`super::recognition`] runs the worker).

use super::recognition::Job;
use crate::models::recognizer::Reading;
use super::FudeApp;
use crate::ink::INPUT_SIDE;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Shortest interval between recognitions while a stroke is being drawn.
const LIVE_INTERVAL: Duration = Duration::from_millis(40);

impl FudeApp {
    /// Takes in the newest recognition result (at the start of a frame, so it is shown in the
    /// same frame).
    pub(super) fn receive_recognition(&mut self, ctx: &egui::Context) {
        if let Some(outcome) = self.recognition.poll() {
            if let Some(err) = &outcome.error {
                self.say(format!("Recognition failed: {err}"), true);
            }
            self.shown_id = outcome.id;
            self.blank = outcome.blank;
            self.candidates = outcome.candidates;
            self.reading_notes = outcome.notes;
            self.last_latency = Some(outcome.latency);
            let img = egui::ColorImage::from_gray_iter(
                [INPUT_SIDE, INPUT_SIDE],
                outcome.input.iter().map(|v| (v.clamp(0.0, 1.0) * 255.0) as u8),
            );
            match &mut self.eye {
                Some(tex) => tex.set(img, egui::TextureOptions::NEAREST),
                None => self.eye = Some(ctx.load_texture("model-eye", img, egui::TextureOptions::NEAREST)),
            }
            self.eye_input = Some(outcome.input);
            if let Some((id, t)) = self.stroke_end {
                if outcome.id >= id {
                    if let Some(bench) = &mut self.bench {
                        bench.record_worker_latency(outcome.latency);
                    }
                    self.shown_stroke_end = Some(t);
                    self.stroke_end = None;
                }
            }
        }
    }

    /// Posts a recognition request when the canvas changed (throttled while a stroke is drawn).
    pub(super) fn post_recognition(&mut self, ctx: &egui::Context, drawing: bool, stroke_finished: bool) {
        let revision = self.canvas.revision();
        // The script choice and the text so far order the candidates too: a change there reads
        // the canvas again.
        let (script, text) = (self.settings.script, self.settings.text.text());
        let reading_changed = self.posted_reading.as_ref().is_none_or(|r| r.script != script || r.context != text);
        if revision == self.posted_revision && !reading_changed {
            return;
        }
        if reading_changed {
            let reading = Reading { script, context: text.to_string(), ..Reading::default() };
            self.recognition.set_reading(reading.clone());
            self.posted_reading = Some(reading);
        }
        if self.canvas.is_empty() {
            self.recognition.cancel();
            self.candidates.clear();
            self.reading_notes.clear();
            self.blank = false;
            self.eye_input = None;
            self.posted_revision = revision;
            self.posted_id = 0;
            self.shown_id = 0;
            return;
        }
        if drawing && !stroke_finished {
            if !self.settings.live_while_drawing {
                return;
            }
            let since = self.last_post.map(|t| t.elapsed()).unwrap_or(Duration::MAX);
            if since < LIVE_INTERVAL || self.recognition.is_busy() {
                ctx.request_repaint_after(LIVE_INTERVAL.saturating_sub(since).max(Duration::from_millis(5)));
                return;
            }
        }
        let job = match self.canvas.picture() {
            Some(p) => Job::Picture(Arc::clone(p), self.picture_as_box),
            None => Job::Drawing(self.canvas.to_drawing()),
        };
        self.posted_id = self.recognition.post(job);
        self.posted_revision = revision;
        self.last_post = Some(Instant::now());
        if stroke_finished && self.bench.is_some() {
            self.stroke_end = Some((self.posted_id, Instant::now()));
        }
    }
}
