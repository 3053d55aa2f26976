//! The desktop app (eframe + egui).
//!
//! Layout, outermost first: a menu bar on top; the status line and the text buffer at the
//! bottom; the recognition panel (candidates and the model's eye) on the right; the canvas in the
//! centre. Tool panels that later features add (generator, training) go on the left as further
//! `egui::Panel::left` panels shown before the central panel, each drawn by its own `*_ui`
//! function in its own module, so the canvas simply gets the space that is left.
//!
//! Nothing slow runs on the UI thread: recognition runs on a worker ([`recognition`]), files are
//! read and written on short-lived threads ([`files`]); both report back through channels and
//! wake the UI with `request_repaint`.

pub mod bench_ui;
pub mod candidates;
pub mod canvas;
pub mod evaluation_view;
pub mod files;
pub mod font_picker;
pub mod generation;
pub mod generator_panel;
pub mod generator_views;
pub mod k49_download;
pub mod kana_picker;
mod panels;
pub mod reading_choice;
pub mod recognition;
pub mod run_samples;
pub mod settings;
pub mod source_preview;
pub mod text_buffer;
pub mod training_panel;
pub mod training_views;
mod keep;

use crate::ink::raster::rasterize;
use crate::ink::{InkImage, INPUT_SIDE};
use crate::models::Prediction;
use bench_ui::UiBench;
use canvas::{CanvasStyle, InkCanvas};
use files::{FileAction, FileEvent, FileTasks, PathPrompt, PromptOutcome};
use recognition::{Job, LoadedModel, Recognition};
use settings::Settings;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use text_buffer::BufferAction;

/// Shortest interval between recognitions while a stroke is being drawn.
const LIVE_INTERVAL: Duration = Duration::from_millis(40);

/// How the app is started.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    /// A checkpoint to use instead of the bundled model.
    pub model: Option<PathBuf>,
    /// Replay scripted strokes, print frame-time figures and quit.
    pub bench_ui: bool,
    /// A generator checkpoint to use instead of the bundled one.
    pub generator: Option<PathBuf>,
}

/// A message on the status line.
#[derive(Debug, Clone)]
struct Notice {
    text: String,
    error: bool,
    at: Instant,
}

/// The app.
pub struct FudeApp {
    settings: Settings,
    canvas: InkCanvas,
    recognition: Recognition,
    files: FileTasks,
    candidates: Vec<Prediction>,
    /// Id of the request the shown candidates answer, and of the newest request posted.
    shown_id: u64,
    posted_id: u64,
    posted_revision: u64,
    last_post: Option<Instant>,
    last_latency: Option<Duration>,
    eye: Option<egui::TextureHandle>,
    eye_input: Option<Vec<f32>>,
    notice: Option<Notice>,
    prompt: Option<PathPrompt>,
    canvas_rect: Option<egui::Rect>,
    bench: Option<UiBench>,
    /// Bench: request id and time of the last stroke end, until its result is shown.
    stroke_end: Option<(u64, Instant)>,
    /// Bench: the stroke end whose candidates this frame shows.
    shown_stroke_end: Option<Instant>,
    /// The training panel.
    training: training_panel::TrainingPanel,
    /// The label typed for "Keep for training" (empty: the top candidate).
    keep_label: String,
    /// The checkpoint a "Save model" dialog will copy.
    model_to_save: Option<PathBuf>,
    /// The generator panel and its worker.
    generator: generator_panel::GeneratorPanel,
}

impl FudeApp {
    /// Builds the app: fonts, theme, settings from storage, the model and the workers.
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        let ctx = cc.egui_ctx.clone();
        settings::install_fonts(&ctx);
        let settings = Settings::load(cc.storage);
        ctx.set_theme(settings.theme.preference());
        let (model, notice) = match LoadedModel::load(options.model.as_deref()) {
            Ok(m) => (Some(m), None),
            Err(e) => (
                None,
                Some(Notice {
                    text: format!("No model loaded: {e}. Open one with File → Open model…"),
                    error: true,
                    at: Instant::now(),
                }),
            ),
        };
        let wake = ctx.clone();
        let recognition = Recognition::start(model, move || wake.request_repaint());
        let generator = generator_panel::load_generator(options.generator.as_deref());
        let notice = match (&generator, &options.generator) {
            (Err(e), Some(_)) => notice.or_else(|| Some(Notice { text: e.clone(), error: true, at: Instant::now() })),
            _ => notice,
        };
        FudeApp {
            settings,
            canvas: InkCanvas::default(),
            recognition,
            files: FileTasks::new(&ctx),
            candidates: Vec::new(),
            shown_id: 0,
            posted_id: 0,
            posted_revision: 0,
            last_post: None,
            last_latency: None,
            eye: None,
            eye_input: None,
            notice,
            prompt: None,
            canvas_rect: None,
            bench: options.bench_ui.then(UiBench::new),
            stroke_end: None,
            shown_stroke_end: None,
            training: training_panel::TrainingPanel::default(),
            generator: generator_panel::GeneratorPanel::new(
                generator,
                {
                    let wake = ctx.clone();
                    move || wake.request_repaint()
                },
            ),
            keep_label: String::new(),
            model_to_save: None,
        }
    }

    /// The candidates shown now, best first.
    pub fn candidates(&self) -> &[Prediction] {
        &self.candidates
    }

    /// The text written so far.
    pub fn text(&self) -> &str {
        self.settings.text.text()
    }

    /// Number of strokes on the canvas.
    pub fn stroke_count(&self) -> usize {
        self.canvas.stroke_count()
    }

    /// Whether the shown candidates answer the canvas as it is now.
    pub fn is_up_to_date(&self) -> bool {
        self.posted_revision == self.canvas.revision() && self.shown_id == self.posted_id && !self.recognition.is_busy()
    }

    /// The message on the status line, if any, and whether it is an error.
    pub fn notice(&self) -> Option<(&str, bool)> {
        self.notice.as_ref().map(|n| (n.text.as_str(), n.error))
    }

    /// The current model's name ("bundled" or its path).
    pub fn model_name(&self) -> Option<String> {
        self.recognition.model().map(|m| m.name)
    }

    /// The exact model input of the shown candidates.
    pub fn model_eye(&self) -> Option<&[f32]> {
        self.eye_input.as_deref()
    }

    fn say(&mut self, text: impl Into<String>, error: bool) {
        self.notice = Some(Notice {
            text: text.into(),
            error,
            at: Instant::now(),
        });
    }

    fn pick(&mut self, ch: char) {
        self.settings.text.push(ch);
        self.canvas.clear();
        self.say(format!("Added {ch}"), false);
    }

    fn pick_rank(&mut self, rank: usize) {
        if let Some(p) = rank.checked_sub(1).and_then(|i| self.candidates.get(i)).copied() {
            self.pick(p.ch);
        }
    }

    /// Keyboard shortcuts (ignored while a text field has the keyboard).
    fn shortcuts(&mut self, ctx: &egui::Context) {
        use egui::{Key, KeyboardShortcut as Ks, Modifiers as M};
        if ctx.text_edit_focused() {
            return;
        }
        if ctx.input_mut(|i| i.consume_shortcut(&Ks::new(M::COMMAND, Key::Q))) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if ctx.input_mut(|i| i.consume_shortcut(&Ks::new(M::COMMAND, Key::K))) {
            self.keep_for_training();
        }
        let (redo, undo, clear, back, copy, digits) = ctx.input_mut(|i| {
            let redo = i.consume_shortcut(&Ks::new(M::COMMAND | M::SHIFT, Key::Z)) || i.consume_shortcut(&Ks::new(M::COMMAND, Key::Y));
            let undo = i.consume_shortcut(&Ks::new(M::COMMAND, Key::Z));
            let clear = i.consume_key(M::NONE, Key::Escape) || i.consume_key(M::NONE, Key::Delete);
            let back = i.consume_key(M::NONE, Key::Backspace);
            let copy = i.events.iter().any(|e| matches!(e, egui::Event::Copy));
            let keys = [Key::Num1, Key::Num2, Key::Num3, Key::Num4, Key::Num5, Key::Num6, Key::Num7, Key::Num8, Key::Num9, Key::Num0];
            let digit = keys.iter().position(|k| i.consume_key(M::NONE, *k)).map(|p| p + 1);
            (redo, undo, clear, back, copy, digit)
        });
        if redo {
            self.canvas.redo();
        } else if undo {
            self.canvas.undo();
        }
        if clear {
            self.canvas.clear();
        }
        if back {
            self.settings.text.backspace();
        }
        if copy && !self.settings.text.text().is_empty() {
            self.settings.text.apply(BufferAction::Copy, ctx);
            self.say("Text copied", false);
        }
        if let Some(rank) = digits {
            self.pick_rank(rank);
        }
    }

    fn start_file_action(&mut self, action: FileAction) {
        if action == FileAction::SaveDrawing && self.canvas.stroke_count() == 0 {
            self.say("Nothing to save: draw something first", true);
            return;
        }
        if action == FileAction::ExportPng && self.canvas.is_empty() {
            self.say("Nothing to export: the canvas is empty", true);
            return;
        }
        if let (FileAction::ExportGenerated | FileAction::ExportSheet, Err(why)) = (action, self.generator.export_image(action)) {
            self.say(why, true);
            return;
        }
        let name = match action {
            FileAction::SaveDrawing => "drawing.json",
            FileAction::ExportPng => "drawing.png",
            FileAction::ExportGenerated => "generated.png",
            FileAction::ExportSheet => "style-sheet.png",
            _ => "",
        };
        self.files.dialog(action, name);
    }

    /// Runs a file action on a path (from a dialog, the path prompt or a drop).
    pub fn run_file_action(&mut self, action: FileAction, path: PathBuf) {
        match action {
            FileAction::OpenDrawing => self.files.open_drawing(path),
            FileAction::OpenImage => self.files.open_image(path),
            FileAction::OpenModel => self.files.open_model(path),
            FileAction::OpenGenerator => self.files.open_generator(path),
            FileAction::AddFont => self.files.check_font(path),
            FileAction::ExportGenerated | FileAction::ExportSheet => match self.generator.export_image(action) {
                Ok(image) => self.files.save_png(path, image),
                Err(why) => self.say(why, true),
            },
            FileAction::SaveDrawing => self.files.save_drawing(path, self.canvas.to_drawing()),
            FileAction::SaveModel => match self.model_to_save.clone() {
                Some(from) => self.files.save_model(from, path),
                None => self.say("No trained model to save", true),
            },
            FileAction::ExportPng => {
                let image = self.export_image();
                self.files.save_png(path, image);
            }
        }
    }

    /// The canvas as a 256x256 picture, dark ink on white, drawn with the on-screen pen.
    fn export_image(&self) -> InkImage {
        let ink = match self.canvas.picture() {
            Some(p) => (**p).clone(),
            None => rasterize(&self.canvas.to_drawing(), 256, self.settings.pen_width),
        };
        InkImage {
            data: ink.data.iter().map(|v| 1.0 - v).collect(),
            ..ink
        }
    }

    fn handle_file_events(&mut self) {
        for event in self.files.poll() {
            match event {
                FileEvent::Picked(action, path) => self.run_file_action(action, path),
                FileEvent::Cancelled => {}
                FileEvent::DialogUnavailable(action, why) => {
                    self.say(format!("{why}; type a path instead"), true);
                    self.prompt = Some(PathPrompt {
                        action,
                        path: String::new(),
                        reason: format!("{why}. Type the file's path:"),
                    });
                }
                FileEvent::DrawingLoaded(path, d) => {
                    self.canvas.set_drawing(&d);
                    self.say(format!("Opened {}", path.display()), false);
                }
                FileEvent::ImageLoaded(path, img) => {
                    self.canvas.set_picture(img);
                    self.say(format!("Opened {}", path.display()), false);
                }
                FileEvent::ModelLoaded(model) => {
                    self.say(format!("Model loaded: {}", model.name), false);
                    self.recognition.set_model(model);
                    self.posted_revision = u64::MAX; // re-recognise with the new model
                    self.generator.refresh();
                }
                FileEvent::GeneratorLoaded(g) => {
                    self.say(format!("Generator loaded: {}", g.name), false);
                    self.generator.set_model(g);
                }
                FileEvent::FontChecked(path, covered) => {
                    self.say(format!("Font added: {} ({covered} kana)", path.display()), false);
                    self.training.fonts.add(path, covered);
                    self.training.open = true;
                }
                FileEvent::FontRefused(why) => {
                    self.say(why.clone(), true);
                    self.training.fonts.refuse(why);
                    self.training.open = true;
                }
                FileEvent::Saved(path) => {
                    self.say(format!("Saved {}", path.display()), false);
                    self.training.refresh();
                }
                FileEvent::Failed(msg) => self.say(msg, true),
            }
        }
    }

    fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect());
        for path in dropped {
            self.run_file_action(FileAction::for_dropped(&path), path);
        }
    }

    /// Takes in the newest recognition result (at the start of a frame, so it is shown in the
    /// same frame).
    fn receive_recognition(&mut self, ctx: &egui::Context) {
        if let Some(outcome) = self.recognition.poll() {
            if let Some(err) = &outcome.error {
                self.say(format!("Recognition failed: {err}"), true);
            }
            self.shown_id = outcome.id;
            self.candidates = outcome.candidates;
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
    fn post_recognition(&mut self, ctx: &egui::Context, drawing: bool, stroke_finished: bool) {
        let revision = self.canvas.revision();
        if revision == self.posted_revision {
            return;
        }
        if self.canvas.is_empty() {
            self.recognition.cancel();
            self.candidates.clear();
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
            Some(p) => Job::Picture(Arc::clone(p), false),
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

impl eframe::App for FudeApp {
    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        let waiting = self.stroke_end.is_some() || !self.is_up_to_date();
        if let (Some(bench), Some(rect)) = (&mut self.bench, self.canvas_rect) {
            raw_input.events.extend(bench.next_events(rect, waiting));
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let frame_start = Instant::now();
        self.handle_file_events();
        self.handle_dropped_files(&ctx);
        self.receive_recognition(&ctx);
        self.shortcuts(&ctx);

        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui));
        egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui));
        egui::Panel::bottom("text")
            .resizable(false)
            .exact_size(54.0)
            .show(ui, |ui| {
                ui.add_space(4.0);
                if let Some(action) = self.settings.text.text_buffer_ui(ui) {
                    self.settings.text.apply(action, &ctx);
                    if action == BufferAction::Copy {
                        self.say("Text copied", false);
                    }
                }
                ui.add_space(4.0);
            });
        egui::Panel::right("recognition")
            .resizable(true)
            .default_size(280.0)
            .min_size(220.0)
            .show(ui, |ui| self.recognition_ui(ui));
        // A left panel takes at most 45% of the width the right panel leaves, so the canvas keeps
        // room in a small window.
        let left_max = |ui: &egui::Ui| (ui.available_width() * 0.45).max(260.0);
        if self.settings.show_generator {
            egui::Panel::left("generator")
                .resizable(true)
                .default_size(320.0)
                .min_size(260.0)
                .max_size(left_max(ui))
                .show(ui, |ui| self.generator_panel_ui(ui));
        }
        self.training.poll(&ctx);
        if self.training.open {
            let current = self.model_name();
            let action = egui::Panel::left("training")
                .resizable(true)
                .default_size(380.0)
                .min_size(300.0)
                .max_size(left_max(ui).max(300.0))
                .show(ui, |ui| training_panel::training_ui(ui, &mut self.training, current.as_deref()))
                .inner;
            if let Some(action) = action {
                self.training_action(action);
            }
        }

        let mut canvas_out = canvas::CanvasResponse::default();
        egui::CentralPanel::default().show(ui, |ui| {
            self.canvas_tools_ui(ui);
            ui.add_space(6.0);
            ui.vertical_centered(|ui| {
                let style = CanvasStyle {
                    pen_width: self.settings.pen_width,
                    dark: ui.visuals().dark_mode,
                };
                canvas_out = self.canvas.canvas_ui(ui, style);
            });
        });
        self.canvas_rect = canvas_out.rect;
        self.post_recognition(&ctx, canvas_out.drawing, canvas_out.stroke_finished);

        if let Some(prompt) = &mut self.prompt {
            match prompt.path_prompt_ui(&ctx) {
                PromptOutcome::Open => {}
                PromptOutcome::Close => self.prompt = None,
                PromptOutcome::Go(action, path) => {
                    self.prompt = None;
                    self.run_file_action(action, path);
                }
            }
        }

        self.bench_slider_ui();
        self.bench_training_ui(&ctx);
        if let Some(bench) = &mut self.bench {
            bench.record_frame(frame_start.elapsed(), frame.info().cpu_usage);
            if let Some(t) = self.shown_stroke_end.take() {
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
        eframe::set_value(storage, settings::STORAGE_KEY, &self.settings);
    }
}

/// Opens the app window and runs until it is closed.
pub fn run(options: AppOptions) -> anyhow::Result<()> {
    let viewport = egui::ViewportBuilder::default()
        .with_title("fude 筆 — kana handwriting")
        .with_inner_size([1040.0, 720.0])
        .with_min_inner_size([640.0, 480.0]);
    let native = eframe::NativeOptions {
        viewport,
        persist_window: !options.bench_ui,
        ..Default::default()
    };
    eframe::run_native(
        "fude",
        native,
        Box::new(move |cc| Ok(Box::new(FudeApp::new(cc, options)))),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}\n(without a display, the command line still works: fude --help)"))
}
