//! The desktop app (eframe + egui).
//!
//! Layout, outermost first: a menu bar on top; the status line and the text buffer at the
//! bottom; the recognition panel (candidates and the model's eye) on the right; the canvas in the
//! centre. Tool panels that later features add (generator, training) go on the left as further
//! `egui::Panel::left` panels shown before the central panel, each drawn by its own `*_ui`
//! function in its own module, so the canvas simply gets the space that is left.
//!
//! In line mode ([`line_mode`]) the canvas is a wide line and the right panel ranks readings of
//! the whole line instead of one character's candidates.
//!
//! Nothing slow runs on the UI thread: recognition runs on a worker ([`recognition`]), a line is
//! read on another ([`line_reading`]), files are
//! read and written on short-lived threads ([`files`]); both report back through channels and
//! wake the UI with `request_repaint`.

pub mod bench_ui;
pub mod candidates;
pub mod canvas;
pub mod evaluation_view;
mod editing;
mod file_actions;
pub mod files;
pub mod font_picker;
pub mod generation;
pub mod generator_panel;
pub mod generator_views;
pub mod help;
pub mod history;
pub mod k49_download;
pub mod kept_view;
pub mod kana_picker;
pub mod latent_map;
mod keys;
pub mod line_canvas;
mod line_mode;
pub mod line_reading;
pub mod line_view;
mod panels;
pub mod path_prompt;
mod reading;
pub mod reading_choice;
pub mod recognition;
pub mod run_samples;
pub mod settings;
pub mod source_preview;
pub mod style_names;
pub mod text_buffer;
pub mod training_panel;
pub mod training_views;
pub mod worker;
pub mod write_text;
mod keep;

use crate::models::Prediction;
use bench_ui::UiBench;
use canvas::{CanvasStyle, InkCanvas};
use files::{FileAction, FileTasks, PathPrompt, PromptOutcome};
use history::{History, Snapshot};
use recognition::{LoadedModel, Recognition};
use settings::Settings;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use text_buffer::BufferAction;

/// The generator panel's narrowest width (points).
const GENERATOR_MIN_WIDTH: f32 = 260.0;
/// The training panel's narrowest width (points).
const TRAINING_MIN_WIDTH: f32 = 300.0;
/// The least width the canvas keeps beside the left panels (points).
const CANVAS_MIN_WIDTH: f32 = 160.0;

/// The smallest window, in points: the canvas, the text bar with its buttons and the candidates
/// (scrolling) all stay usable down to it; small enough for a 1280x800 screen at 2x scale.
pub const MIN_WINDOW: [f32; 2] = [640.0, 400.0];


/// Where the app's windows (Help, About, Evaluation, Kept handwriting) may go: the window
/// below the menu bar, which they never cover.
pub fn window_area(ctx: &egui::Context) -> egui::Rect {
    let content = ctx.content_rect();
    let top = ctx.data(|d| d.get_temp::<f32>(egui::Id::unique(MENU_BOTTOM))).unwrap_or(content.top());
    egui::Rect::from_min_max(egui::pos2(content.left(), top.max(content.top())), content.max)
}

/// Where the bottom of the menu bar is remembered (egui's temporary data).
const MENU_BOTTOM: &str = "fude-menu-bottom";

/// How the app is started.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    /// A checkpoint to use instead of the bundled model.
    pub model: Option<PathBuf>,
    /// Replay scripted strokes, print frame-time figures and quit.
    pub bench_ui: bool,
    /// A generator checkpoint to use instead of the bundled one.
    pub generator: Option<PathBuf>,
    /// The folder the app keeps its data in (kept handwriting, training runs, Kuzushiji-49);
    /// `None`: `$FUDE_DATA_DIR` when set, else the platform's data folder
    /// ([`crate::data::mine::data_dir`]).
    pub data_dir: Option<PathBuf>,
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
    /// One undo/redo history for the canvas and the text.
    history: History,
    /// The Help and About windows are shown.
    help_open: bool,
    about_open: bool,
    /// A widget had the keyboard focus at the end of the last frame.
    had_focus: bool,
    /// Enter or Space asked for the top candidate before the candidates were up to date.
    pending_top: bool,
    /// The shown result read a blank model input: the drawing is empty or outside the box.
    blank: bool,
    /// Why the shown candidates are not in the model's own order (script, context, picture).
    reading_notes: Vec<String>,
    /// The picture on the canvas is a writing box (not cropped to its character).
    picture_as_box: bool,
    /// The reading (script, text) the posted request was made with.
    posted_reading: Option<crate::models::recognizer::Reading>,
    /// The last path run from the typed-path field, until its file work reports back.
    prompted: Option<(FileAction, String)>,
    /// When this frame started (notices older than a change in this frame go).
    frame_start: Instant,
    /// Line mode's reader and its readings.
    line: line_mode::LineMode,
    ctx: egui::Context,
}

impl FudeApp {
    /// Builds the app: fonts, theme, settings from storage, the model and the workers.
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        let ctx = cc.egui_ctx.clone();
        settings::install_fonts(&ctx);
        let mut settings = Settings::load(cc.storage);
        ctx.set_theme(settings.theme.preference());
        // The model given on the command line, else the one opened last time, else the bundled one.
        let (loaded, fallback) = LoadedModel::load_at_start(options.model.as_deref(), &mut settings.model_path);
        let (model, notice) = match loaded {
            Ok(m) => (Some(m), fallback.map(|text| Notice { text, error: true, at: Instant::now() })),
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
        let mut canvas = InkCanvas::default();
        canvas.set_line(settings.line_mode);
        FudeApp {
            canvas,
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
            training: training_panel::TrainingPanel::in_data_dir(options.data_dir.clone()),
            generator: generator_panel::GeneratorPanel::new(
                generator,
                {
                    let wake = ctx.clone();
                    move || wake.request_repaint()
                },
            ),
            keep_label: String::new(),
            model_to_save: None,
            history: History::new(Snapshot {
                text: settings.text.text().to_string(),
                ..Default::default()
            }),
            help_open: false,
            about_open: false,
            had_focus: false,
            pending_top: false,
            blank: false,
            reading_notes: Vec::new(),
            picture_as_box: false,
            posted_reading: None,
            prompted: None,
            frame_start: Instant::now(),
            line: line_mode::LineMode::new(&ctx),
            ctx: ctx.clone(),
            settings,
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

    /// Whether the shown candidates (in line mode, the readings) answer the canvas as it is now.
    pub fn is_up_to_date(&self) -> bool {
        if self.settings.line_mode {
            return self.line_up_to_date();
        }
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
            // Notices quote what files hold (a sidecar's kind, a file name): control characters
            // are shown escaped.
            text: crate::text::escape_controls(&text.into()),
            error,
            at: Instant::now(),
        });
    }

    /// Whether the shown result found nothing to read (the drawing is empty or outside the box).
    pub fn is_blank(&self) -> bool {
        self.blank
    }

    /// Whether the Help or About window is open.
    pub fn help_shown(&self) -> (bool, bool) {
        (self.help_open, self.about_open)
    }

    /// Whether the typed-path field is open.
    pub fn path_prompt_open(&self) -> bool {
        self.prompt.is_some()
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
        self.frame_start = frame_start;
        self.handle_file_events();
        self.handle_dropped_files(&ctx);
        self.receive_recognition(&ctx);
        self.receive_line_reading();
        self.shortcuts(&ctx);
        self.take_pending_top();

        let menu = egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui));
        let menu_bottom = menu.response.rect.bottom();
        ctx.data_mut(|d| d.insert_temp(egui::Id::unique(MENU_BOTTOM), menu_bottom));
        egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui));
        egui::Panel::bottom("text")
            .resizable(false)
            .exact_size(text_buffer::BAR_HEIGHT)
            .show(ui, |ui| {
                ui.add_space(4.0);
                match self.settings.text.text_buffer_ui(ui) {
                    Some(BufferAction::Copy) => self.copy_text(),
                    Some(BufferAction::Backspace) => self.backspace(),
                    Some(BufferAction::Clear) => {
                        self.settings.text.apply(BufferAction::Clear, &ctx);
                        self.say("Text cleared (Ctrl+Z brings it back)", false);
                    }
                    Some(action) => self.settings.text.apply(action, &ctx),
                    None => {}
                }
            });
        egui::Panel::right("recognition")
            .resizable(true)
            .default_size(280.0)
            .min_size(220.0)
            .show(ui, |ui| self.recognition_ui(ui));
        // A left panel takes at most 45% of the width the right panel leaves, so the canvas keeps
        // room in a small window.
        let left_max = |ui: &egui::Ui| (ui.available_width() * 0.45).max(GENERATOR_MIN_WIDTH);
        // Both left panels at their narrowest, and a usable canvas, or the generator steps aside
        // while the training panel is open (it comes back when there is room or training closes).
        let both_fit = ui.available_width() >= GENERATOR_MIN_WIDTH + TRAINING_MIN_WIDTH + CANVAS_MIN_WIDTH;
        let generator_aside = self.settings.show_generator && self.training.open && !both_fit;
        if self.settings.show_generator && !generator_aside {
            egui::Panel::left("generator")
                .resizable(true)
                .default_size(320.0)
                .min_size(GENERATOR_MIN_WIDTH)
                .max_size(left_max(ui))
                .show(ui, |ui| self.generator_panel_ui(ui));
        }
        self.training.poll(&ctx);
        if self.training.open {
            let current = self.model_name();
            let generator = self.generator.model_name().map(str::to_string);
            // In the smallest windows the panel gives up part of its usual minimum rather than
            // push the canvas under the candidates.
            let beside_canvas = (ui.available_width() - CANVAS_MIN_WIDTH).max(CANVAS_MIN_WIDTH);
            let action = egui::Panel::left("training")
                .resizable(true)
                .default_size(380.0)
                .min_size(TRAINING_MIN_WIDTH.min(beside_canvas))
                .max_size(left_max(ui).max(TRAINING_MIN_WIDTH).min(beside_canvas))
                .show(ui, |ui| {
                    if generator_aside {
                        ui.weak("The generator panel is hidden while the window is this narrow.");
                    }
                    training_panel::training_ui(ui, &mut self.training, current.as_deref(), generator.as_deref())
                })
                .inner;
            if let Some(action) = action {
                self.training_action(action);
            }
        }

        let mut canvas_out = canvas::CanvasResponse::default();
        egui::CentralPanel::default().show(ui, |ui| {
            self.canvas_tools_ui(ui);
            ui.add_space(6.0);
            let style = CanvasStyle {
                pen_width: self.settings.pen_width,
                dark: ui.visuals().dark_mode,
            };
            if self.settings.line_mode {
                canvas_out = self.line_canvas_area_ui(ui, style);
            } else {
                ui.vertical_centered(|ui| canvas_out = self.canvas.canvas_ui(ui, style));
            }
        });
        self.canvas_rect = canvas_out.rect;
        if self.settings.line_mode {
            self.post_line_reading(canvas_out.stroke_finished);
        } else {
            self.post_recognition(&ctx, canvas_out.drawing, canvas_out.stroke_finished);
        }

        if let Some(prompt) = &mut self.prompt {
            match prompt.path_prompt_ui(&ctx) {
                PromptOutcome::Open => {}
                PromptOutcome::Close => self.prompt = None,
                PromptOutcome::Go(action, path) => {
                    self.prompt = None;
                    self.settings.last_path = path.display().to_string();
                    self.prompted = Some((action, self.settings.last_path.clone()));
                    self.run_file_action(action, path);
                }
            }
        }
        help::help_ui(&ctx, &mut self.help_open);
        let model = self.model_name().unwrap_or_else(|| "none".into());
        let generator = self.generator.model_name().unwrap_or("none").to_string();
        help::about_ui(&ctx, &mut self.about_open, &model, &generator);
        self.take_pending_top();
        self.record_history();
        self.focus_ring(&ctx);

        self.bench_line_ui();
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
        .with_min_inner_size(MIN_WINDOW);
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
