//! The training panel: choose data and settings, start a run on a worker thread, watch it
//! (progress, images/s, ETA, live curves), pause, resume or stop it, then use or save the new
//! model. Runs live in folders under the app's data directory and are listed with their figures;
//! an interrupted run can be resumed. The run reports [`TrainEvent`]s through a channel that
//! never blocks it; the panel drains the channel each frame. This module holds the panel's state
//! and actions; `form` the settings of the next run, `ui` what the panel draws.

mod form;
mod ui;

pub use form::{PanelError, PanelMessage, SourceRow, StartFrom, TrainingForm};
pub use ui::{device_label, short_model_name, training_ui};

use crate::app::training::evaluation::{EvalModel, EvaluationView};
use crate::app::training::font_picker::FontPicker;
use crate::app::training::k49_download::K49Download;
use crate::app::training::kept_view::KeptView;
use crate::app::training::source_preview::SourcePreviews;
use crate::data::mine;
use crate::data::spec::{DataSpec, OpenOptions, SourceKind};
use crate::models::{select_device, DeviceChoice};
use crate::training::events::{RunPhase, RunProgress};
use crate::training::runs::{list_runs, new_run_folder, RunSummary};
use crate::training::{Init, ModelKind, RunControl, RunPlan, TrainEvent};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often progress redraws the window while training: each frame costs CPU that the run
/// could use (with software rendering, about 24 ms of a core at 1280x800), and four redraws a
/// second keep the bars and curves live.
const PROGRESS_REDRAW: Duration = Duration::from_millis(250);

/// A running run: its controls and its events.
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
