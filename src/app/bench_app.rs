//! The UI bench beside the app (`fude --bench-ui`): [`BenchApp`] wraps [`FudeApp`], feeds it the
//! replay's pointer events, drives the line, slider and training phases, and measures each frame
//! from what the frame reports ([`FrameReport`]). The app itself knows nothing of the bench.

use crate::app::bench_ui::UiBench;
use crate::app::FudeApp;
use std::time::{Duration, Instant};

/// What one frame did that the bench measures (the app alone ignores it).
#[derive(Debug, Clone, Copy, Default)]
pub struct FrameReport {
    /// A recognition result taken in: its request id and latency.
    pub read: Option<(u64, Duration)>,
    /// Line readings taken in: their latency and the reader's compute time.
    pub line_read: Option<(Duration, Duration)>,
    /// A request posted for a stroke just finished: its id and when.
    pub stroke_posted: Option<(u64, Instant)>,
}

/// The app with the UI bench driving and measuring it.
pub struct BenchApp {
    app: FudeApp,
    /// The replay and its measurements, until it has reported.
    bench: Option<UiBench>,
    /// Request id and time of the last stroke end, until its result is shown.
    stroke_end: Option<(u64, Instant)>,
}

impl BenchApp {
    /// The bench around `app`.
    pub fn new(app: FudeApp) -> Self {
        BenchApp { app, bench: Some(UiBench::new()), stroke_end: None }
    }

    /// Matches what the frame took in and posted with the stroke waiting for its result;
    /// returns the end of the stroke whose result this frame shows.
    fn stroke_shown(&mut self, report: &FrameReport) -> Option<Instant> {
        let bench = self.bench.as_mut()?;
        let mut shown = None;
        if let (Some((id, t)), Some((read, latency))) = (self.stroke_end, report.read) {
            if read >= id {
                bench.record_worker_latency(latency);
                shown = Some(t);
                self.stroke_end = None;
            }
        }
        if let Some((latency, compute)) = report.line_read {
            if let Some((_, t)) = self.stroke_end.take() {
                bench.record_worker_latency(latency);
                bench.record_line_compute(compute);
                shown = Some(t);
            }
        }
        if report.stroke_posted.is_some() {
            self.stroke_end = report.stroke_posted;
        }
        shown
    }

    /// The bench's line: switches to line mode before it and back after it.
    fn line_phase(&mut self) {
        let Some(bench) = &mut self.bench else { return };
        let before = self.app.settings.line_mode;
        if bench.take_line_start() {
            bench.mode_before = Some(before);
            self.app.set_line_mode(true);
            eprintln!("bench-ui: writing a line in line mode");
        } else if bench.take_line_end() {
            let back = bench.mode_before.take().unwrap_or(before);
            self.app.set_line_mode(back);
        }
    }

    /// The bench's slider phase: shows the generator panel and drags its first slider one step a
    /// frame (the preview is re-decoded on the worker as it would be for a person's drag).
    fn slider_phase(&mut self) {
        let Some(bench) = &mut self.bench else { return };
        let Some(t) = bench.slider_position() else { return };
        self.app.settings.show_generator = true;
        if !self.app.generator.drag_slider(0, t) {
            eprintln!("bench-ui: no generator loaded, slider phase skipped");
            bench.skip_slider();
        }
    }

    /// The bench's training phase: starts a small run in the training panel (generated kana,
    /// Quick settings cut to a short epoch), reports whether it steps, and stops it at the end.
    fn training_phase(&mut self, ctx: &egui::Context) {
        let Some(bench) = &mut self.bench else { return };
        let training = &mut self.app.training;
        if bench.take_training_start() {
            training.open = true;
            let form = &mut training.form;
            for row in &mut form.sources {
                row.enabled = row.kind == crate::data::SourceKind::Fonts;
            }
            form.quick();
            form.cfg.epochs = 1;
            let current = self.app.recognition.worker.model().map(|m| m.name);
            training.start(ctx, current.as_deref());
            eprintln!("bench-ui: training in the app");
        }
        let p = training.progress();
        let stepping = training.is_running() && !p.train_loss.is_empty();
        bench.set_training(stepping, p.images_per_sec);
        if bench.end_training() {
            training.stop();
        }
    }
}

impl eframe::App for BenchApp {
    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        let waiting = self.stroke_end.is_some() || !self.app.is_up_to_date();
        if let (Some(bench), Some(rect)) = (&mut self.bench, self.app.writing.canvas_rect) {
            raw_input.events.extend(bench.next_events(rect, waiting));
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let frame_start = Instant::now();
        let report = self.app.frame_ui(ui);
        let shown = self.stroke_shown(&report);
        self.line_phase();
        self.slider_phase();
        self.training_phase(&ctx);
        if let Some(bench) = &mut self.bench {
            bench.record_frame(frame_start.elapsed(), frame.info().cpu_usage);
            if let Some(t) = shown {
                // Measured once the frame that shows the new candidates is laid out.
                bench.record_stroke_latency(t.elapsed());
            }
            if bench.finished() {
                println!("{}", bench.report());
                self.bench = None;
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            } else {
                ctx.request_repaint();
            }
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::App::save(&mut self.app, storage);
    }
}
