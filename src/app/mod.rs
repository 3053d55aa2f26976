//! The desktop app (eframe + egui).
//!
//! Layout, outermost first: a menu bar on top; the status line and the text bar at the bottom;
//! the recognition panel (candidates and the model's eye) on the right; the generator and
//! training panels on the left; the canvas in the centre, which gets the space that is left
//! (`frame.rs` draws one frame). In line mode (`recognition/line_mode.rs`) the canvas is a wide
//! line and the right panel ranks readings of the whole line instead of one character's
//! candidates.
//!
//! [`FudeApp`] owns a few parts, one folder each: [`writing`], [`recognition`], [`generator`],
//! [`training`], [`files`] and the [`shell`] around them (menus, status line, keys, settings,
//! Help). Every panel's `*_ui` returns an [`command::AppCommand`], applied in one place,
//! [`FudeApp::apply`]. The UI bench lives beside the app ([`bench_app`]).
//!
//! Nothing slow runs on the UI thread: recognition, line reading and generation run on the one
//! [`worker`] type, training and file work on their own threads; all report back through
//! channels, wake the UI with `request_repaint`, and are polled once a frame, their panel shown
//! or not.

pub mod bench_app;
pub mod bench_ui;
pub mod command;
mod frame;
pub mod files;
pub mod generator;
pub mod recognition;
pub mod shell;
pub mod training;
pub mod worker;
pub mod writing;

use crate::models::Prediction;
use bench_app::BenchApp;
use files::tasks::FileTasks;
use files::Files;
use generator::panel::GeneratorPanel;
use recognition::client::RecognitionView;
use recognition::line_mode::LineMode;
use recognition::worker::{LoadedModel, Recognition};
use shell::{settings, settings::Settings, Notice, ShellState, Windows};
use std::path::PathBuf;
use std::time::Instant;
use training::panel::TrainingPanel;
use writing::canvas::InkCanvas;
use writing::history::{History, Snapshot};
use writing::Writing;

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

/// The app: a few owned parts, each drawn by its own `*_ui`; what the panels ask for comes back
/// as [`AppCommand`](command::AppCommand)s, applied in one place ([`FudeApp::apply`]).
pub struct FudeApp {
    /// Settings that persist between runs (the text written among them).
    settings: Settings,
    /// The canvas and the one undo/redo history.
    writing: Writing,
    /// The recognition worker and what it last read.
    recognition: RecognitionView,
    /// Line mode's reader and its readings.
    line: LineMode,
    /// File work in the background and what the app remembers of it.
    files: Files,
    /// The Help and About windows and the typed-path field.
    windows: Windows,
    /// The status line's notice and the keyboard's state.
    shell: ShellState,
    /// The training panel.
    training: TrainingPanel,
    /// The generator panel and its worker.
    generator: GeneratorPanel,
    /// The egui context, to wake the UI and reach the clipboard.
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
        let generator = generator::panel::load_generator(options.generator.as_deref());
        let notice = match (&generator, &options.generator) {
            (Err(e), Some(_)) => notice.or_else(|| Some(Notice { text: e.clone(), error: true, at: Instant::now() })),
            _ => notice,
        };
        let mut canvas = InkCanvas::default();
        canvas.set_line(settings.line_mode);
        let wake = ctx.clone();
        FudeApp {
            writing: Writing {
                canvas,
                canvas_rect: None,
                history: History::new(Snapshot {
                    text: settings.text.text().to_string(),
                    ..Default::default()
                }),
            },
            recognition: RecognitionView::new(recognition),
            line: LineMode::new(&ctx),
            files: Files { tasks: FileTasks::new(&ctx), prompted: None, model_to_save: None },
            windows: Windows::default(),
            shell: ShellState { notice, had_focus: false, frame_start: Instant::now() },
            training: TrainingPanel::in_data_dir(options.data_dir.clone()),
            generator: GeneratorPanel::new(generator, move || wake.request_repaint()),
            ctx,
            settings,
        }
    }

    /// The candidates shown now, best first.
    pub fn candidates(&self) -> &[Prediction] {
        &self.recognition.candidates
    }

    /// The Script choice the candidates are read under.
    pub fn script(&self) -> crate::models::recognizer::ScriptChoice {
        self.settings.script
    }

    /// The text written so far.
    pub fn text(&self) -> &str {
        self.settings.text.text()
    }

    /// Number of strokes on the canvas.
    pub fn stroke_count(&self) -> usize {
        self.writing.canvas.stroke_count()
    }

    /// Whether the shown candidates (in line mode, the readings) answer the canvas as it is now.
    pub fn is_up_to_date(&self) -> bool {
        if self.settings.line_mode {
            return self.line_up_to_date();
        }
        self.recognition.posted_revision == self.writing.canvas.revision() && self.recognition.shown_id == self.recognition.posted_id && !self.recognition.worker.is_busy()
    }

    /// The message on the status line, if any, and whether it is an error.
    pub fn notice(&self) -> Option<(&str, bool)> {
        self.shell.notice.as_ref().map(|n| (n.text.as_str(), n.error))
    }

    /// The current model's name ("bundled" or its path).
    pub fn model_name(&self) -> Option<String> {
        self.recognition.worker.model().map(|m| m.name)
    }

    /// The exact model input of the shown candidates.
    pub fn model_eye(&self) -> Option<&[f32]> {
        self.recognition.eye_input.as_deref()
    }

    /// Puts a message on the status line (an error stays until dismissed).
    fn say(&mut self, text: impl Into<String>, error: bool) {
        self.shell.notice = Some(Notice {
            // Notices quote what files hold (a sidecar's kind, a file name): control characters
            // are shown escaped.
            text: crate::text::escape_controls(&text.into()),
            error,
            at: Instant::now(),
        });
    }

    /// Whether the shown result found nothing to read (the drawing is empty or outside the box).
    pub fn is_blank(&self) -> bool {
        self.recognition.blank
    }

    /// Whether the Help or About window is open.
    pub fn help_shown(&self) -> (bool, bool) {
        (self.windows.help, self.windows.about)
    }

    /// Whether the typed-path field is open.
    pub fn path_prompt_open(&self) -> bool {
        self.windows.prompt.is_some()
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
        Box::new(move |cc| {
            let bench = options.bench_ui;
            let app = FudeApp::new(cc, options);
            Ok(if bench { Box::new(BenchApp::new(app)) } else { Box::new(app) })
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}\n(without a display, the command line still works: fude --help)"))
}
