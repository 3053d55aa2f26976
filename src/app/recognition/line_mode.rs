//! Line mode from the app's side: the toggle beside the canvas (remembered in the settings), the
//! wide canvas with the reading under it, the ranked readings in the right-hand panel, posting
//! the line to its reader after each stroke ([`crate::app::recognition::line_reading`]) and taking a reading into
//! the text (one undo step, as a pick is).

use crate::app::writing::canvas::{CanvasResponse, CanvasStyle};
use crate::app::recognition::line_reading::{LineJob, LineReadingWorker};
use crate::app::recognition::line_view::{self, LineView};
use crate::app::command::AppCommand;
use crate::app::FudeApp;
use crate::models::recognizer::line::LineOptions;
use crate::models::recognizer::Reading;
use std::time::{Duration, Instant};

/// Line mode's reader and what it shows.
pub(in crate::app) struct LineMode {
    worker: LineReadingWorker,
    view: LineView,
    /// The canvas content (its revision) and the reading the posted line was read with.
    posted: Option<(u64, Reading)>,
    posted_id: u64,
    shown_id: u64,
    /// How long the last line took to read (on the worker).
    compute: Option<Duration>,
}

impl LineMode {
    /// Starts the line reader's worker; it wakes the UI through `ctx`.
    pub(in crate::app) fn new(ctx: &egui::Context) -> Self {
        let wake = ctx.clone();
        LineMode {
            worker: LineReadingWorker::start(move || wake.request_repaint()),
            view: LineView::default(),
            posted: None,
            posted_id: 0,
            shown_id: 0,
            compute: None,
        }
    }
}

impl FudeApp {
    /// Whether the app reads a line of kana (else one character).
    pub fn line_mode(&self) -> bool {
        self.settings.line_mode
    }

    /// Switches between one character and a line. A line too wide for the writing box is
    /// cleared on the way back (Ctrl+Z brings it back).
    pub fn set_line_mode(&mut self, on: bool) {
        if self.settings.line_mode == on {
            return;
        }
        self.settings.line_mode = on;
        if !on && self.writing.canvas.content().strokes.iter().flatten().any(|p| p[0] > 1.0) {
            self.writing.canvas.clear();
            self.say("The line was cleared for one-character mode (Ctrl+Z brings it back)", false);
        }
        self.writing.canvas.set_line(on);
        // Read again in the new mode.
        self.recognition.posted_revision = u64::MAX;
        self.line.posted = None;
        self.recognition.pending_top = false;
    }

    /// The readings shown now, best first: the best with the person's changes, then the
    /// alternatives (line mode).
    pub fn line_readings(&self) -> Vec<String> {
        (1..=line_view::ALTERNATIVES + 1).map_while(|rank| self.line.view.choice(rank)).collect()
    }

    /// The shown reading in full: characters, their strokes and candidates.
    pub fn line_view(&self) -> &LineView {
        &self.line.view
    }

    /// How long the reader took to read the line shown now.
    pub fn line_compute_time(&self) -> Option<Duration> {
        self.line.compute
    }

    /// The line as it would be read now: its canvas content and the reading (script, text so far).
    fn line_key(&self) -> (u64, Reading) {
        let reading = Reading { script: self.settings.script, context: self.settings.text.text().to_string(), ..Reading::default() };
        (self.writing.canvas.content_revision(), reading)
    }

    /// Whether the shown readings answer the line as it is now.
    pub(in crate::app) fn line_up_to_date(&self) -> bool {
        !self.writing.canvas.is_drawing()
            && self.line.posted.as_ref() == Some(&self.line_key())
            && self.line.shown_id == self.line.posted_id
            && !self.line.worker.is_busy()
    }

    /// Takes in the newest readings; returns how long they took (all told, and the reading itself).
    pub(in crate::app) fn receive_line_reading(&mut self) -> Option<(Duration, Duration)> {
        let outcome = self.line.worker.poll()?;
        if let Some(err) = &outcome.error {
            self.say(format!("Reading the line failed: {err}"), true);
        }
        self.line.shown_id = self.line.posted_id;
        self.line.compute = Some(outcome.compute);
        self.recognition.last_latency = Some(outcome.latency);
        self.line.view.set(outcome.readings);
        Some((outcome.latency, outcome.compute))
    }

    /// Posts the line to its reader when its strokes (or the script, or the text around it)
    /// changed since the last post; not while a stroke is being drawn. Returns the request's id
    /// and when it was posted if it reads a stroke just finished.
    pub(in crate::app) fn post_line_reading(&mut self, stroke_finished: bool) -> Option<(u64, Instant)> {
        if self.writing.canvas.is_drawing() {
            return None;
        }
        let key = self.line_key();
        if self.line.posted.as_ref() == Some(&key) {
            return None;
        }
        let mut posted = None;
        let strokes = self.writing.canvas.to_drawing().strokes;
        if strokes.is_empty() || self.writing.canvas.picture().is_some() {
            self.line.worker.cancel();
            self.line.view.clear();
            self.line.posted_id = 0;
            self.line.shown_id = 0;
        } else {
            let options = LineOptions { reading: key.1.clone(), ..LineOptions::default() };
            let model = self.recognition.worker.model();
            self.line.posted_id = self.line.worker.post(LineJob { strokes, model, options });
            if stroke_finished {
                posted = Some((self.line.posted_id, Instant::now()));
            }
        }
        self.line.posted = Some(key);
        posted
    }

    /// Takes the reading at `rank` (1: the best, with the person's changes).
    pub(in crate::app) fn take_line_rank(&mut self, rank: usize) {
        if let Some(text) = self.line.view.choice(rank) {
            self.take_line(&text);
        }
    }

    /// Puts a reading into the text at the cursor and clears the canvas (one undo step).
    pub(in crate::app) fn take_line(&mut self, text: &str) {
        self.settings.text.insert_str(text, &self.ctx);
        self.writing.canvas.clear();
        self.recognition.pending_top = false;
        self.say(format!("Added {text}"), false);
    }

    /// The One character / A line switch at the front of the canvas toolbar.
    pub(in crate::app) fn mode_toggle_ui(&self, ui: &mut egui::Ui) -> Option<AppCommand> {
        let mut on = self.settings.line_mode;
        ui.selectable_value(&mut on, false, "One character").on_hover_text("Write one kana in a box and pick it from its candidates");
        ui.selectable_value(&mut on, true, "A line").on_hover_text("Write a word or a line of kana, left to right, and take it whole");
        (on != self.settings.line_mode).then_some(AppCommand::SetLineMode(on))
    }

    /// The line canvas and, under it, the reading (a click there takes it).
    pub(in crate::app) fn line_canvas_area_ui(&mut self, ui: &mut egui::Ui, style: CanvasStyle) -> (CanvasResponse, Option<AppCommand>) {
        let highlight = self.line.view.selected_strokes().to_vec();
        let out = self.writing.canvas.line_canvas_ui(ui, style, &highlight);
        ui.add_space(8.0);
        let stale = !self.line_up_to_date();
        let note = if self.writing.canvas.picture().is_some() {
            "Line mode reads strokes: switch to One character to read a picture."
        } else if self.writing.canvas.is_empty() {
            "Write a word or a line of kana, left to right. The guides are only guides: write as you like."
        } else {
            "Reading…"
        };
        let taken = line_view::line_reading_ui(ui, &mut self.line.view, stale, note).map(AppCommand::TakeLine);
        (out, taken)
    }

    /// The right-hand panel in line mode: the script choice and the ranked readings (a click
    /// takes one).
    pub(in crate::app) fn line_panel_ui(&mut self, ui: &mut egui::Ui) -> Option<AppCommand> {
        // The panel keeps the width it had (the candidates fill theirs; the readings may not).
        ui.set_min_width(ui.available_width());
        ui.heading("Readings");
        crate::app::recognition::script_choice::script_choice_ui(ui, &mut self.settings.script);
        ui.add_space(4.0);
        let stale = !self.line_up_to_date();
        if self.line.view.readings().is_empty() {
            ui.weak(if self.writing.canvas.is_empty() { "Write a line of kana on the canvas." } else { "Reading…" });
        }
        let picked = egui::ScrollArea::vertical().show(ui, |ui| line_view::line_readings_ui(ui, &self.line.view, stale)).inner;
        if let Some(t) = self.line.compute {
            ui.weak(format!("read in {:.1} ms", t.as_secs_f64() * 1e3));
        }
        picked.map(AppCommand::TakeLine)
    }
}
