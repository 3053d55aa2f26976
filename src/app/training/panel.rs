//! The training panel: choose data and settings, start a run on a worker thread, watch it
//! (progress, images/s, ETA, live curves), pause, resume or stop it, then use or save the new
//! model. Runs live in folders under the app's data directory and are listed with their figures;
//! an interrupted run can be resumed. The run reports [`TrainEvent`]s through a channel that
//! never blocks it; the panel drains the channel each frame.

use crate::app::command::AppCommand;
use crate::app::training::evaluation::{evaluation_window_ui, EvalModel, EvaluationView};
use crate::app::training::font_picker::{font_picker_ui, FontPicker};
use crate::app::training::k49_download::{k49_download_ui, K49Download};
use crate::app::training::source_preview::{preview_toggle_ui, source_preview_ui, SourcePreviews};
use crate::app::training::kept_view::{kept_window_ui, KeptView};
use crate::app::training::views::{curves_ui, progress_ui, RunView};
use crate::data::mine;
use crate::data::spec::{DataSpec, OpenOptions, SourceKind};
use crate::models::{select_device, DeviceChoice};
use crate::training::events::{RunPhase, RunProgress};
use crate::training::runs::{list_runs, new_run_folder, RunSummary};
use crate::training::{Init, ModelKind, RunControl, RunPlan, TrainConfig, TrainEvent};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often progress redraws the window while training: each frame costs CPU that the run
/// could use (with software rendering, about 24 ms of a core at 1280x800), and four redraws a
/// second keep the bars and curves live.
const PROGRESS_REDRAW: Duration = Duration::from_millis(250);

/// A data source row in the panel.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRow {
    /// The source (its argument, if it takes one, is [`SourceRow::arg`]).
    pub kind: SourceKind,
    /// Whether it is used.
    pub enabled: bool,
    /// Its weight in the mixture.
    pub weight: f64,
    /// Its argument (a folder, the npz's three paths, or chosen fonts), if it takes one.
    pub arg: String,
}

impl SourceRow {
    /// The row's source name (`fonts`, `k49`, ...), which keys its preview.
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }

    fn title(&self) -> &'static str {
        match self.kind {
            SourceKind::Fonts | SourceKind::ChosenFonts(_) => "Generated kana",
            SourceKind::Drawings => "Synthetic drawings",
            SourceKind::ShrunkDrawings { .. } => "Synthetic drawings, shrunk",
            SourceKind::Pens => "Pen-like drawings",
            SourceKind::Scans { .. } => "Thin-pen scans",
            SourceKind::K49(_) => "Kuzushiji-49 folder",
            SourceKind::Npz { .. } => "npz: images, labels, class map",
            SourceKind::Mine(_) => "My handwriting",
        }
    }

    /// What the source is, for the row's hover text.
    fn explanation(&self) -> &'static str {
        match self.kind {
            SourceKind::Fonts | SourceKind::ChosenFonts(_) => "Kana rendered from fonts with random size, shift, rotation, blur and noise",
            SourceKind::Drawings => "Font glyphs traced to strokes and redrawn with a round pen",
            SourceKind::ShrunkDrawings { .. } => "The drawings of the full-size kana, each shrunk about its centre",
            SourceKind::Pens => "The drawings with real writers' habits: loose joins, overshoots, uneven and thin pens, dots, specks, JPEG",
            SourceKind::Scans { .. } => "Thin-pen writing in scanned form cells, read as pictures (cropped to the character)",
            SourceKind::K49(_) => "Kuzushiji-49: 270,912 classical hiragana images (Download fetches them)",
            SourceKind::Npz { .. } => "Any uint8 images + labels npz pair with a class-map CSV",
            SourceKind::Mine(_) => "The characters you kept with Keep for training",
        }
    }

    fn takes_arg(&self) -> bool {
        matches!(self.kind, SourceKind::K49(_) | SourceKind::Npz { .. })
    }

    /// The row's data spec: its source with its argument and weight (the reason when the
    /// argument does not fit the source).
    pub fn spec(&self) -> crate::Result<DataSpec> {
        Ok(DataSpec { kind: self.kind.with_argument(&self.arg)?, weight: self.weight })
    }

    /// The `--data` text of the row's spec (as typed, when its argument does not fit).
    pub fn spec_text(&self) -> String {
        self.spec().map(|s| s.to_string()).unwrap_or_else(|_| format!("{}={}", self.name(), self.arg.trim()))
    }
}

/// Why the panel could not do what was asked: shown in the error colour.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PanelError {
    /// The form's data sources cannot be used.
    #[error("Data: {0}")]
    Data(String),
    /// No run folder could be made.
    #[error("{0}")]
    RunFolder(String),
    /// A past run cannot be resumed.
    #[error("Cannot resume: {0}")]
    Resume(String),
    /// The training thread did not start.
    #[error("Cannot start the training thread: {0}")]
    Thread(String),
    /// The run failed.
    #[error("Training failed: {0}")]
    Run(String),
}

/// The line under the panel's controls: how the last run ended, or why an action failed.
#[derive(Debug, Clone, PartialEq)]
pub enum PanelMessage {
    /// A plain note (a run finished or was stopped).
    Note(String),
    /// Something went wrong.
    Error(PanelError),
}

impl std::fmt::Display for PanelMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PanelMessage::Note(text) => f.write_str(text),
            PanelMessage::Error(e) => write!(f, "{e}"),
        }
    }
}

/// Where the new model starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartFrom {
    /// Fresh weights.
    Scratch,
    /// The model the app uses now.
    Current,
}

/// What the panel will train, as set in its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingForm {
    /// What is trained.
    pub model: ModelKind,
    /// Where the model starts.
    pub start: StartFrom,
    /// Data sources.
    pub sources: Vec<SourceRow>,
    /// Hyper-parameters (the CLI's defaults).
    pub cfg: TrainConfig,
    /// Continuing a recognizer: it also learns the current model's reading (the model as a
    /// teacher, `fude train --teacher`), so it forgets less of what the chosen data leaves out.
    pub keep_what_it_knows: bool,
}

impl Default for TrainingForm {
    fn default() -> Self {
        let row = |kind, enabled| SourceRow { kind, enabled, weight: 1.0, arg: String::new() };
        let mut form = TrainingForm {
            model: ModelKind::Recognizer,
            // "Teach it my handwriting" means the model in use, trained further.
            start: StartFrom::Current,
            sources: vec![
                row(SourceKind::Fonts, true),
                row(SourceKind::Drawings, true),
                row(SourceKind::Pens, false),
                row(SourceKind::Scans { as_box: false }, false),
                row(SourceKind::K49(PathBuf::new()), false),
                row(SourceKind::Npz { images: PathBuf::new(), labels: PathBuf::new(), classmap: PathBuf::new() }, false),
                row(SourceKind::Mine(None), false),
            ],
            cfg: TrainConfig::default(),
            keep_what_it_knows: false,
        };
        form.quick();
        form
    }
}

impl TrainingForm {
    /// "Quick": about two minutes on a 2-core machine.
    pub fn quick(&mut self) {
        self.cfg = match self.model {
            ModelKind::Recognizer => TrainConfig { epochs: 3, epoch_size: 25_600, ..TrainConfig::default() },
            ModelKind::Generator => TrainConfig { epochs: 2, epoch_size: 3_200, ..Self::generator_defaults() },
        };
    }

    /// "Full": the CLI's defaults (the bundled model's settings).
    pub fn full(&mut self) {
        self.cfg = match self.model {
            ModelKind::Recognizer => TrainConfig::default(),
            ModelKind::Generator => Self::generator_defaults(),
        };
    }

    /// Switches what is trained, with that model's Quick settings.
    pub fn set_model(&mut self, model: ModelKind) {
        self.model = model;
        self.quick();
    }

    fn generator_defaults() -> TrainConfig {
        crate::training::generator::GeneratorConfig::schedule()
    }

    /// The data specs of the enabled rows (errors name the bad spec); none enabled is refused.
    pub fn specs(&self) -> crate::Result<Vec<DataSpec>> {
        let specs = self.sources.iter().filter(|r| r.enabled).map(SourceRow::spec).collect::<crate::Result<Vec<_>>>()?;
        if specs.is_empty() {
            return Err(crate::Error::Invalid("no data given: e.g. --data fonts,drawings".into()));
        }
        Ok(specs)
    }
}

struct Job {
    control: Arc<RunControl>,
    events: Receiver<TrainEvent>,
}

/// The panel's state.
pub struct TrainingPanel {
    /// Whether the panel is shown.
    pub open: bool,
    /// The settings of the next run.
    pub form: TrainingForm,
    job: Option<Job>,
    progress: RunProgress,
    run_dir: Option<PathBuf>,
    runs: Vec<RunSummary>,
    kept: Vec<(char, usize)>,
    refreshed: Option<Instant>,
    message: Option<PanelMessage>,
    /// The message as shown.
    message_text: Option<String>,
    threads: usize,
    /// What the current (or last) run trains.
    run_model: ModelKind,
    /// Whether the current (or last) run continues a model.
    run_continues: bool,
    /// The kept handwriting window.
    pub kept_view: KeptView,
    /// Fold the settings away in the next frame (a run started: its progress comes first).
    fold_settings: bool,
    /// Where a recognizer errs (the current one, or a run's beside it).
    pub evaluation: EvaluationView,
    /// The Kuzushiji-49 row's Download.
    pub k49_download: K49Download,
    /// Samples of a generator run, refreshed after every epoch.
    pub samples: crate::app::training::run_samples::RunSamples,
    /// The fonts of generated kana.
    pub fonts: FontPicker,
    /// The open source previews.
    pub previews: SourcePreviews,
    /// The app's data folder when it is not the default one.
    data_dir: Option<PathBuf>,
}

impl Default for TrainingPanel {
    fn default() -> Self {
        Self::in_data_dir(None)
    }
}

impl TrainingPanel {
    /// A closed panel keeping runs, kept handwriting and downloads in `data_dir` (`None`: the
    /// app's default data folder, [`mine::data_dir`]).
    pub fn in_data_dir(data_dir: Option<PathBuf>) -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        TrainingPanel {
            open: false,
            form: TrainingForm::default(),
            job: None,
            progress: RunProgress::default(),
            run_dir: None,
            runs: Vec::new(),
            kept: Vec::new(),
            refreshed: None,
            message: None,
            message_text: None,
            // Every core, at a lower priority than the UI thread (see `lower_thread_priority`):
            // the window stays responsive, and an idle window leaves training the whole machine.
            threads: cores.max(1),
            run_model: ModelKind::Recognizer,
            run_continues: false,
            kept_view: KeptView::default(),
            fold_settings: false,
            evaluation: EvaluationView::default(),
            k49_download: K49Download::into_dir(data_dir.as_ref().map(|d| d.join("k49"))),
            samples: Default::default(),
            fonts: FontPicker::default(),
            previews: SourcePreviews::default(),
            data_dir,
        }
    }

    /// Where kept handwriting lives.
    pub fn handwriting_dir(&self) -> PathBuf {
        self.data_dir.as_deref().map_or_else(mine::handwriting_dir, mine::handwriting_in)
    }

    /// Where training runs live.
    pub fn runs_dir(&self) -> PathBuf {
        self.data_dir.as_deref().map_or_else(mine::runs_dir, mine::runs_in)
    }

    /// The form's data specs, "my handwriting" read from this panel's folder.
    fn specs(&self) -> crate::Result<Vec<DataSpec>> {
        let mut specs = self.form.specs()?;
        for s in &mut specs {
            if s.kind == SourceKind::Mine(None) && self.data_dir.is_some() {
                s.kind = SourceKind::Mine(Some(self.handwriting_dir()));
            }
        }
        Ok(specs)
    }
}

/// The device training uses, as compiled.
pub fn device_label() -> &'static str {
    if cfg!(feature = "cuda") {
        "CUDA if it works, else CPU"
    } else if cfg!(feature = "metal") {
        "Metal if it works, else CPU"
    } else {
        "CPU"
    }
}

impl TrainingPanel {
    /// The current (or last) run's progress.
    pub fn progress(&self) -> &RunProgress {
        &self.progress
    }

    /// What the current (or last) run trains.
    pub fn run_model(&self) -> ModelKind {
        self.run_model
    }

    /// Whether a run is going.
    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    /// Whether the running run is paused.
    pub fn is_paused(&self) -> bool {
        self.job.as_ref().is_some_and(|j| j.control.is_paused())
    }

    /// Whether the running run has stopped at its pause (every step before it reported).
    pub fn is_holding(&self) -> bool {
        self.job.as_ref().is_some_and(|j| j.control.is_holding())
    }

    /// The folder of the current (or last) run.
    pub fn run_dir(&self) -> Option<&Path> {
        self.run_dir.as_deref()
    }

    /// The last message (errors included), as shown.
    pub fn message(&self) -> Option<&str> {
        self.message_text.as_deref()
    }

    /// The last message, typed.
    pub fn panel_message(&self) -> Option<&PanelMessage> {
        self.message.as_ref()
    }

    fn say(&mut self, message: Option<PanelMessage>) {
        self.message_text = message.as_ref().map(ToString::to_string);
        self.message = message;
    }

    fn fail(&mut self, error: PanelError) {
        self.say(Some(PanelMessage::Error(error)));
    }

    /// Re-reads the past runs and the kept handwriting counts.
    pub fn refresh(&mut self) {
        self.runs = list_runs(&self.runs_dir());
        self.kept = mine::counts(&self.handwriting_dir());
        self.refreshed = Some(Instant::now());
    }

    /// Re-reads the past runs, the kept handwriting counts and, when its window is open, the
    /// kept drawings themselves (after a drawing was kept).
    pub fn refresh_all(&mut self, ctx: &egui::Context) {
        self.refresh();
        self.kept_view.reload(ctx, self.handwriting_dir());
    }

    /// Starts a run with the form's settings, from `current` ("bundled" or a checkpoint path)
    /// when continuing the current model.
    pub fn start(&mut self, ctx: &egui::Context, current: Option<&str>) {
        let specs = match self.specs() {
            Ok(s) => s,
            Err(e) => return self.fail(PanelError::Data(e.to_string())),
        };
        let init = match (self.form.start, current) {
            (StartFrom::Scratch, _) => Init::Scratch,
            // The generator continues from the bundled generator.
            (StartFrom::Current, _) if self.form.model == ModelKind::Generator => Init::FineTune(None),
            (StartFrom::Current, Some(crate::models::BUNDLED_NAME) | None) => Init::FineTune(None),
            (StartFrom::Current, Some(path)) => Init::FineTune(Some(PathBuf::from(path))),
        };
        let dir = match new_run_folder(&self.runs_dir()) {
            Ok(d) => d,
            Err(e) => return self.fail(PanelError::RunFolder(e.to_string())),
        };
        let continues = matches!(init, Init::FineTune(_));
        let teacher = match &init {
            Init::FineTune(from) if self.form.keep_what_it_knows && self.form.model == ModelKind::Recognizer => {
                Some(from.clone().unwrap_or_else(|| PathBuf::from(crate::models::BUNDLED_NAME)))
            }
            _ => None,
        };
        let mut plan = RunPlan::in_folder(specs, self.form.cfg.clone(), init, &dir);
        plan.model = self.form.model;
        plan.recognizer.teachers = teacher.into_iter().collect();
        plan.command = "fude app: training panel".into();
        self.launch(ctx, plan, dir);
        self.run_continues = continues;
    }

    /// Resumes the run in `dir` from its last checkpoint.
    pub fn resume(&mut self, ctx: &egui::Context, dir: &Path) {
        match RunPlan::resume_folder(dir) {
            Ok(plan) => {
                self.launch(ctx, plan, dir.to_path_buf());
                self.run_continues = false;
            }
            Err(e) => self.fail(PanelError::Resume(e.to_string())),
        }
    }

    fn launch(&mut self, ctx: &egui::Context, mut plan: RunPlan, dir: PathBuf) {
        if self.job.is_some() {
            return;
        }
        plan.threads = Some(self.threads);
        self.samples.clear();
        let model = plan.model;
        let control = Arc::new(RunControl::default());
        let (tx, rx) = channel();
        let (c, wake) = (Arc::clone(&control), ctx.clone());
        let spawned = std::thread::Builder::new().name("fude-training".into()).spawn(move || {
            crate::training::session::lower_thread_priority();
            match select_device(DeviceChoice::Auto) {
                Ok(d) => {
                    plan.device = d.device;
                    plan.device_name = d.description;
                }
                Err(_) => plan.device = candle_core::Device::Cpu,
            }
            let mut last_wake: Option<Instant> = None;
            // The result is also sent as the final event.
            let _ = plan.run(&c, |ev| {
                let _ = tx.send(ev.clone());
                let progress = matches!(ev, TrainEvent::Progress { .. });
                if !progress || last_wake.is_none_or(|t| t.elapsed() > PROGRESS_REDRAW) {
                    wake.request_repaint();
                    last_wake = Some(Instant::now());
                }
            });
        });
        match spawned {
            Ok(_) => {
                self.job = Some(Job { control, events: rx });
                self.fold_settings = true;
                self.run_model = model;
                self.progress = RunProgress::default();
                self.run_dir = Some(dir);
                self.say(None);
            }
            Err(e) => self.fail(PanelError::Thread(e.to_string())),
        }
    }

    /// Pauses or resumes the running run.
    pub fn set_paused(&mut self, paused: bool) {
        if let Some(j) = &self.job {
            j.control.set_paused(paused);
        }
    }

    /// Stops the running run (it keeps its last checkpoint).
    pub fn stop(&mut self) {
        if let Some(j) = &self.job {
            j.control.stop();
        }
    }

    /// Takes in what the panel's workers finished (call once a frame, shown or not): the run's
    /// events, its samples, an evaluation, the kept handwriting, a download, source previews.
    pub fn poll(&mut self, ctx: &egui::Context) {
        self.poll_run(ctx);
        self.samples.poll(ctx);
        self.evaluation.poll();
        self.kept_view.poll();
        self.previews.poll();
        if let Some(dir) = self.k49_download.poll() {
            if let Some(row) = self.form.sources.iter_mut().find(|r| matches!(r.kind, SourceKind::K49(_))) {
                row.arg = dir.display().to_string();
                row.enabled = true;
            }
        }
    }

    /// Takes in the run's events.
    fn poll_run(&mut self, ctx: &egui::Context) {
        let Some(job) = &self.job else { return };
        let mut over = false;
        for ev in job.events.try_iter() {
            self.progress.apply(&ev);
            over |= ev.is_terminal();
            if let (TrainEvent::CheckpointWritten { path, epoch, best: false }, ModelKind::Generator) = (&ev, self.run_model) {
                self.samples.request(ctx, path.clone(), *epoch);
            }
        }
        if over {
            let message = match self.progress.phase {
                RunPhase::Finished => Some(PanelMessage::Note("Training finished.".into())),
                RunPhase::Cancelled => Some(PanelMessage::Note("Training stopped; the last checkpoint is kept.".into())),
                _ => self.progress.error.clone().map(|e| PanelMessage::Error(PanelError::Run(e))),
            };
            self.say(message);
            self.job = None;
            self.refresh();
        }
    }

    /// The checkpoint to offer for use: the run's best epoch, else its last.
    pub fn result_model(&self) -> Option<PathBuf> {
        self.progress.best_checkpoint.clone().or_else(|| self.progress.last_checkpoint.clone())
    }

    /// Evaluates the current recognizer (`current`: "bundled" or a path), and `other` beside
    /// it, on the held-out data of the enabled sources, off the UI thread.
    pub fn evaluate(&mut self, ctx: &egui::Context, current: Option<&str>, other: Option<PathBuf>) {
        let specs = match self.specs() {
            Ok(s) if !s.is_empty() => s,
            Ok(_) => return self.fail(PanelError::Data("choose a source to evaluate on".into())),
            Err(e) => return self.fail(PanelError::Data(e.to_string())),
        };
        let path = current.filter(|c| *c != crate::models::BUNDLED_NAME).map(PathBuf::from);
        let itself = match (&path, &other) {
            (Some(a), Some(b)) => crate::app::training::evaluation::same_checkpoint(a, b),
            _ => false,
        };
        let mut models = vec![EvalModel { label: "current".into(), path }];
        if let Some(o) = other.filter(|_| !itself) {
            models.push(EvalModel { label: "new".into(), path: Some(o) });
        }
        self.evaluation.start(ctx, models, specs, OpenOptions::default());
        if itself {
            self.evaluation.note = Some(
                "This model is the one in use: compared with itself it has the same figures, so they are shown once. \
                 To compare, use the bundled model (or another run) first."
                    .into(),
            );
        }
    }
}

/// Draws the panel's contents; `current` is the app's model name and `generator` the
/// generator's ("bundled" or a path). Returns what the app should do.
pub fn training_ui(ui: &mut egui::Ui, panel: &mut TrainingPanel, current: Option<&str>, generator_name: Option<&str>) -> Option<AppCommand> {
    if panel.refreshed.is_none() {
        panel.refresh();
    }
    if panel.is_running() {
        // The clock and ETA tick once a second even between epochs' progress events.
        ui.ctx().request_repaint_after(Duration::from_secs(1));
    }
    ui.horizontal(|ui| {
        ui.heading("Training");
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.small_button("Close").clicked() {
                panel.open = false;
            }
        });
    });
    // A solid scrollbar beside the contents, not floating over the plots' right edge.
    ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
    let inner = egui::ScrollArea::vertical().show(ui, |ui| {
        let mut action = None;
        // The settings fold away when a run starts, so its progress and curves come first.
        let mut header = egui::CollapsingHeader::new("Settings of the run").default_open(true);
        if std::mem::take(&mut panel.fold_settings) {
            header = header.open(Some(false));
        }
        let running = panel.is_running();
        header.show(ui, |ui| {
            ui.add_enabled_ui(!running, |ui| settings_ui(ui, panel, current));
        });
        ui.separator();
        controls_ui(ui, panel, current);
        let view = RunView { continuing: panel.run_continues, paused: panel.is_paused(), running: panel.is_running() };
        progress_ui(ui, &panel.progress, panel.run_model, view);
        if let (Some(m), Some(text)) = (&panel.message, &panel.message_text) {
            let failed = panel.progress.phase == RunPhase::Failed || matches!(m, PanelMessage::Error(_));
            if failed {
                ui.colored_label(ui.visuals().error_fg_color, text);
            } else {
                ui.label(text);
            }
        }
        let generator = panel.run_model == ModelKind::Generator;
        let result = panel.result_model().filter(|_| !panel.is_running());
        if let Some(model) = &result {
            ui.horizontal(|ui| {
                if ui.button("Use this model").on_hover_text(model.display().to_string()).clicked() {
                    action = Some(if generator { AppCommand::UseGenerator(model.clone()) } else { AppCommand::UseModel(model.clone()) });
                }
                if ui.button("Save as…").clicked() {
                    action = Some(AppCommand::SaveModel(model.clone()));
                }
            });
        }
        if !panel.progress.train_loss.is_empty() {
            curves_ui(ui, &panel.progress, panel.run_model);
            if panel.run_model == ModelKind::Generator {
                crate::app::training::run_samples::run_samples_ui(ui, &mut panel.samples);
            }
        }
        ui.horizontal(|ui| {
            let busy = panel.evaluation.is_busy();
            let ctx = ui.ctx().clone();
            if ui.add_enabled(!busy, egui::Button::new("Evaluate")).on_hover_text("Where the current recognizer errs on the chosen sources' held-out data").clicked() {
                panel.evaluate(&ctx, current, None);
            }
            if let Some(model) = result.filter(|_| !generator) {
                if ui.add_enabled(!busy, egui::Button::new("Compare with the new model")).clicked() {
                    panel.evaluate(&ctx, current, Some(model));
                }
            }
        });
        ui.separator();
        action = models_in_use_ui(ui, current, generator_name).or(action);
        ui.separator();
        runs_ui(ui, panel, current).or(action)
    });
    evaluation_window_ui(ui.ctx(), &mut panel.evaluation);
    let hand = panel.handwriting_dir();
    kept_window_ui(ui.ctx(), &mut panel.kept_view, &hand);
    if panel.kept_view.take_changed() {
        panel.refresh();
    }
    inner.inner.or_else(|| panel.fonts.take_add_request().then_some(AppCommand::AddFont))
}

/// A model's name for a line of text: "bundled", or the last two parts of its path.
pub fn short_model_name(name: &str) -> String {
    let path = Path::new(name);
    match (path.parent().and_then(|p| p.file_name()), path.file_name()) {
        (Some(dir), Some(file)) => format!("{}/{}", dir.to_string_lossy(), file.to_string_lossy()),
        _ => name.to_string(),
    }
}

/// The models in use, each with the way back to the bundled one.
fn models_in_use_ui(ui: &mut egui::Ui, current: Option<&str>, generator: Option<&str>) -> Option<AppCommand> {
    let mut action = None;
    ui.strong("Models in use");
    for (what, name, button, ask) in [
        ("Recognizer", current, "Use the bundled recognizer", AppCommand::UseBundledModel),
        ("Generator", generator, "Use the bundled generator", AppCommand::UseBundledGenerator),
    ] {
        ui.horizontal_wrapped(|ui| {
            let name = name.unwrap_or("none");
            ui.label(format!("{what}: {}", short_model_name(name))).on_hover_text(name);
            if ui.add_enabled(name != crate::models::BUNDLED_NAME, egui::Button::new(button).small()).on_hover_text("Go back to the model that comes with fude").clicked() {
                action = Some(ask);
            }
        });
    }
    action
}

fn settings_ui(ui: &mut egui::Ui, panel: &mut TrainingPanel, current: Option<&str>) {
    ui.horizontal(|ui| {
        ui.label("Train");
        for (kind, title) in [(ModelKind::Recognizer, "Recognizer"), (ModelKind::Generator, "Generator")] {
            if ui.radio(panel.form.model == kind, title).clicked() && panel.form.model != kind {
                panel.form.set_model(kind);
            }
        }
    });
    let continues = match panel.form.model {
        ModelKind::Recognizer => current.unwrap_or("no model loaded"),
        ModelKind::Generator => "the bundled generator",
    };
    ui.horizontal_wrapped(|ui| {
        ui.radio_value(&mut panel.form.start, StartFrom::Scratch, "From scratch");
        ui.radio_value(&mut panel.form.start, StartFrom::Current, "Continue the current model").on_hover_text(continues);
    });
    if panel.form.model == ModelKind::Recognizer && panel.form.start == StartFrom::Current {
        ui.checkbox(&mut panel.form.keep_what_it_knows, "Keep what it knows").on_hover_text(
            "The model also learns how the current model reads each sample, so it forgets less of what the chosen \
             data leaves out (the current model as a teacher, about a third slower). Fine-tuned on pen-like \
             drawings alone, the bundled model lost 47 kuzushiji samples of 2,000 with it, 68 without.",
        );
    }
    ui.label("Data (weight)");
    let kept: usize = panel.kept.iter().map(|(_, n)| n).sum();
    for row in &mut panel.form.sources {
        // Wrapped, so a narrow panel moves Preview to the next line instead of cutting it off.
        ui.horizontal_wrapped(|ui| {
            let (title, explanation) = (row.title(), row.explanation());
            ui.checkbox(&mut row.enabled, title).on_hover_text(explanation);
            ui.add(egui::DragValue::new(&mut row.weight).range(0.05..=100.0).speed(0.05).max_decimals(2));
            if matches!(row.kind, SourceKind::Mine(_)) {
                ui.weak(format!("{kept} kept"));
            }
            preview_toggle_ui(ui, &mut panel.previews, row);
        });
        if matches!(row.kind, SourceKind::Fonts | SourceKind::ChosenFonts(_)) {
            font_picker_ui(ui, &mut panel.fonts, row);
        }
        if matches!(row.kind, SourceKind::K49(_)) {
            k49_download_ui(ui, &mut panel.k49_download);
        }
        if row.takes_arg() && row.enabled {
            let hint = if matches!(row.kind, SourceKind::K49(_)) { "folder with the k49 files" } else { "images.npz,labels.npz,classmap.csv" };
            ui.add(egui::TextEdit::singleline(&mut row.arg).hint_text(hint).desired_width(f32::INFINITY));
        }
        source_preview_ui(ui, &mut panel.previews, row);
    }
    ui.horizontal(|ui| {
        ui.label("Presets");
        if ui.button("Quick").on_hover_text("3 epochs of 25,600: about two minutes on two cores").clicked() {
            panel.form.quick();
        }
        if ui.button("Full").on_hover_text("The CLI's defaults: 10 epochs of 51,200").clicked() {
            panel.form.full();
        }
    });
    let cfg = &mut panel.form.cfg;
    egui::Grid::new("hyper").num_columns(2).show(ui, |ui| {
        ui.label("Epochs");
        ui.add(egui::DragValue::new(&mut cfg.epochs).range(1..=1000));
        ui.end_row();
        ui.label("Epoch size");
        ui.add(egui::DragValue::new(&mut cfg.epoch_size).range(64..=10_000_000).speed(256));
        ui.end_row();
        ui.label("Batch");
        ui.add(egui::DragValue::new(&mut cfg.batch).range(1..=4096));
        ui.end_row();
        ui.label("Learning rate");
        ui.add(egui::Slider::new(&mut cfg.lr, 1e-5..=1e-1).logarithmic(true));
        ui.end_row();
        ui.label("Seed");
        ui.add(egui::DragValue::new(&mut cfg.seed));
        ui.end_row();
        ui.label("Device");
        ui.label(format!("{} · {} training thread(s)", device_label(), panel.threads));
        ui.end_row();
    });
}

fn controls_ui(ui: &mut egui::Ui, panel: &mut TrainingPanel, current: Option<&str>) {
    ui.horizontal(|ui| {
        let running = panel.is_running();
        if ui.add_enabled(!running, egui::Button::new("Start")).clicked() {
            let ctx = ui.ctx().clone();
            panel.start(&ctx, current);
        }
        let paused = panel.is_paused();
        if ui.add_enabled(running, egui::Button::new(if paused { "Resume" } else { "Pause" })).clicked() {
            panel.set_paused(!paused);
        }
        if ui.add_enabled(running, egui::Button::new("Stop")).clicked() {
            panel.stop();
        }
    });
}

/// A run's data source as the list of past runs shows it: the kind and weight, with a file
/// source named by its first file's name, not its whole path (the full spec is on hover).
fn short_source(spec: &str) -> String {
    let (body, weight) = match spec.rsplit_once('@') {
        Some((b, w)) if w.parse::<f64>().is_ok() => (b, Some(w)),
        _ => (spec, None),
    };
    let file_name = |p: &str| Path::new(p).file_stem().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let short = match body.split_once('=') {
        Some(("npz", files)) => format!("npz {}", file_name(files.split(',').next().unwrap_or_default())),
        Some(("k49", dir)) => format!("k49 {}", file_name(dir)),
        Some(("mine", dir)) => format!("mine {}", file_name(dir)),
        Some(("fonts", list)) => format!("fonts ({} chosen)", list.split('+').count()),
        _ => body.to_string(),
    };
    let short = crate::text::escape_controls(&short);
    weight.map_or(short.clone(), |w| format!("{short}@{w}"))
}

fn runs_ui(ui: &mut egui::Ui, panel: &mut TrainingPanel, current: Option<&str>) -> Option<AppCommand> {
    let mut action = None;
    let mut resume = None;
    let mut compare = None;
    egui::CollapsingHeader::new(format!("Past runs ({})", panel.runs.len())).default_open(true).show(ui, |ui| {
        if panel.runs.is_empty() {
            ui.weak(format!("None yet in {}", panel.runs_dir().display()));
        }
        for run in &panel.runs {
            let name = run.dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            ui.horizontal_wrapped(|ui| {
                ui.label(&name);
                match &run.problem {
                    Some(p) => {
                        ui.weak(p);
                    }
                    None => {
                        let best = run.dir.join(crate::training::session::BEST);
                        let figure = match run.model {
                            ModelKind::Recognizer => format!("top-1 {:.2}%", 100.0 * run.best_accuracy()),
                            ModelKind::Generator => format!("generator, −ELBO {:.1}", run.best_metric("neg_elbo")),
                        };
                        let sources: Vec<String> = run.data.iter().map(|d| short_source(d)).collect();
                        ui.weak(format!("{}/{} epochs · {figure} · {}", run.epochs, run.total_epochs, sources.join(", ")))
                            .on_hover_text(crate::text::escape_controls(&run.data.join(",")));
                        if ui.small_button("Use").clicked() {
                            action = Some(match run.model {
                                ModelKind::Recognizer => AppCommand::UseModel(best.clone()),
                                ModelKind::Generator => AppCommand::UseGenerator(best.clone()),
                            });
                        }
                        if run.model == ModelKind::Recognizer && ui.small_button("Compare").on_hover_text("Evaluate beside the current model").clicked() {
                            compare = Some(best);
                        }
                        if run.resumable() && ui.add_enabled(panel.job.is_none(), egui::Button::new("Resume run").small()).clicked() {
                            resume = Some(run.dir.clone());
                        }
                    }
                }
            });
        }
    });
    egui::CollapsingHeader::new("My handwriting").default_open(true).show(ui, |ui| {
        if panel.kept.is_empty() {
            ui.weak("Nothing kept yet: draw a kana, then Keep for training (Ctrl+K).");
        }
        let line: Vec<String> = panel.kept.iter().map(|(c, n)| format!("{c} {n}")).collect();
        ui.label(line.join("  "));
        if ui.button("Review kept handwriting…").on_hover_text("See every kept drawing; delete or relabel them").clicked() {
            let hand = panel.handwriting_dir();
            panel.kept_view.show(ui.ctx(), hand);
        }
    });
    if let Some(dir) = resume {
        let ctx = ui.ctx().clone();
        panel.resume(&ctx, &dir);
    }
    if let Some(best) = compare {
        let ctx = ui.ctx().clone();
        panel.evaluate(&ctx, current, Some(best));
    }
    action
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_runs_name_their_sources_shortly() {
        let npz = "npz=../shared/data/kuzushiji-sample/kuzushiji-sample-imgs.npz,../shared/data/kuzushiji-sample/kuzushiji-sample-labels.npz,../shared/data/kuzushiji-sample/kuzushiji-sample_classmap.csv@1.6";
        assert_eq!(short_source(npz), "npz kuzushiji-sample-imgs@1.6");
        assert_eq!(short_source("fonts@2"), "fonts@2");
        assert_eq!(short_source("drawings=shrunk0.6"), "drawings=shrunk0.6");
        assert_eq!(short_source("k49=/home/me/k49@0.5"), "k49 k49@0.5");
        assert_eq!(short_source("fonts=A.ttf+/x/B.otf"), "fonts (2 chosen)");
        assert_eq!(short_source("mine=/a@b/hand"), "mine hand", "an @ in a path is no weight");
    }

    #[test]
    fn form_rows_become_specs() {
        let mut f = TrainingForm::default();
        assert_eq!(f.cfg.epochs, 3, "Quick by default");
        assert_eq!(f.start, StartFrom::Current, "continuing the model in use by default");
        let specs = f.specs().unwrap();
        assert_eq!(specs.iter().map(ToString::to_string).collect::<Vec<_>>(), ["fonts", "drawings"]);
        f.sources[0].weight = 2.0;
        let k49 = f.sources.iter().position(|r| matches!(r.kind, SourceKind::K49(_))).unwrap();
        f.sources[k49].enabled = true;
        f.sources[k49].arg = "/data/k49".into();
        assert_eq!(f.specs().unwrap().iter().map(ToString::to_string).collect::<Vec<_>>(), ["fonts@2", "drawings", "k49=/data/k49"]);
        f.sources[k49].arg.clear();
        assert!(f.specs().is_err(), "k49 without a folder is refused");
        f.sources[k49].enabled = false;
        for row in f.sources.iter_mut().filter(|r| matches!(r.kind, SourceKind::Pens | SourceKind::Scans { .. })) {
            (row.enabled, row.weight) = (true, 0.5);
        }
        assert_eq!(f.specs().unwrap().iter().map(ToString::to_string).collect::<Vec<_>>(), ["fonts@2", "drawings", "pens@0.5", "scans@0.5"]);
        f.full();
        assert_eq!(f.cfg, TrainConfig::default());
        f.set_model(ModelKind::Generator);
        assert_eq!((f.cfg.lr, f.cfg.batch), (1e-3, 64), "the generator's defaults");
        assert!(f.cfg.epoch_size < 25_600, "a smaller Quick preset");
        f.full();
        assert_eq!(f.cfg, crate::training::generator::GeneratorConfig::schedule());
    }
}
