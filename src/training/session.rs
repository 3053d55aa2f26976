//! A whole training run, as the CLI and the app both start it, for either model (recognizer or
//! generator): open the data, build or load the model, train, and after every epoch write the
//! last checkpoint and, when the held-out score improved (recognizer: mean top-1; generator:
//! lowest mean −ELBO), the best one (atomically). Everything is reported as [`TrainEvent`]s,
//! ending in `Finished`, `Failed` or `Cancelled`. A run in a folder (`last.*`, `best.*`) can be
//! resumed from that folder. Each model plugs in as a [`Trainee`]; the past runs in a folder
//! are listed by [`super::runs`].

use super::config::TrainConfig;
use super::events::{RunControl, TrainEvent};
use super::generator::distill::Distillation;
use super::generator::{GeneratorConfig, GeneratorStep};
use super::learner::{fit, score, ModelKind};
use super::metrics::EvalReport;
use super::recognizer::{RecognizerConfig, RecognizerStep};
use super::runs::{read_sidecar, RunRecord};
use super::trainee::{CheckpointWriter, Trainee};
use crate::data::spec::{self, DataSpec, OpenOptions};
use crate::error::{Error, Result};
use crate::models::checkpoint_io::{append_to_name, check_out_files, checkpoint_base, sidecar_path, OutLock};
use crate::models::recognizer::TrainingRecord;
use crate::models::{CheckpointKind, ModelCheckpoint};
use candle_core::Device;
use std::path::{Path, PathBuf};

/// The checkpoint names inside a run folder.
pub const LAST: &str = "last";
/// The best epoch's checkpoint name inside a run folder.
pub const BEST: &str = "best";

/// Where the model of a run starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Init {
    /// Fresh weights from the run's seed.
    Scratch,
    /// The weights of a checkpoint (`None`: the bundled model), trained for the run's full
    /// epochs (a new schedule).
    FineTune(Option<PathBuf>),
    /// Continue an interrupted run: a checkpoint path, or a run folder (its `last` checkpoint);
    /// the epoch count and samples seen carry on.
    Resume(PathBuf),
}

/// Everything a training run needs.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// What is trained.
    pub model: ModelKind,
    /// The recognizer's own settings (ignored for the generator).
    pub recognizer: RecognizerConfig,
    /// The generator's own settings, its objective (ignored for the recognizer).
    pub generator: GeneratorConfig,
    /// Data sources with weights.
    pub data: Vec<DataSpec>,
    /// How to open them.
    pub open: OpenOptions,
    /// Hyper-parameters every model shares.
    pub cfg: TrainConfig,
    /// Where the model starts.
    pub init: Init,
    /// The device to train on, and its description.
    pub device: Device,
    /// How the device is described in the checkpoint.
    pub device_name: String,
    /// Checkpoint written after every epoch (path without extension).
    pub last: PathBuf,
    /// Checkpoint of the best epoch by held-out accuracy.
    pub best: PathBuf,
    /// The command that started the run (recorded in the checkpoint).
    pub command: String,
    /// Threads for training (a rayon pool of its own); `None` uses the global pool.
    pub threads: Option<usize>,
    /// A generator run that distils a teacher into other decoder channels (`None`: none).
    pub distill: Option<Distillation>,
}

/// How a run ended, when it did not fail.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// Whether it completed all epochs (false: cancelled).
    pub finished: bool,
    /// The last checkpoint, if an epoch finished.
    pub last: Option<PathBuf>,
    /// The best checkpoint, if an epoch finished.
    pub best: Option<PathBuf>,
    /// The last epoch's held-out reports.
    pub evals: Vec<EvalReport>,
}

/// Paths of a run folder's checkpoints (last, best).
pub fn folder_checkpoints(dir: &Path) -> (PathBuf, PathBuf) {
    (dir.join(LAST), dir.join(BEST))
}

/// Lowers the calling thread's scheduling priority (nice 10 on Linux; a no-op elsewhere). Threads
/// it starts afterwards inherit it: the app trains this way on every core, and the UI thread, at
/// normal priority, still gets a core as soon as it needs one.
pub fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only changes the scheduling priority of the calling thread (Linux applies
    // PRIO_PROCESS with id 0 to the calling thread); no memory is touched.
    unsafe {
        let _ = libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

/// The best-checkpoint path beside a checkpoint path: `DIR/NAME` → `DIR/NAME-best` (`NAME` is
/// the path without a `.safetensors` or `.json` extension, any other dot kept: `m.v2` →
/// `m.v2-best`).
pub fn best_beside(path: &Path) -> PathBuf {
    let base = checkpoint_base(path);
    if base.file_name().is_none() {
        return base.join("model-best");
    }
    append_to_name(&base, "-best")
}

/// The largest batch a run may ask for.
pub const MAX_BATCH: usize = 4096;

impl RunPlan {
    /// A plan writing `last.*` and `best.*` into the folder `dir`.
    pub fn in_folder(data: Vec<DataSpec>, cfg: TrainConfig, init: Init, dir: &Path) -> Self {
        let (last, best) = folder_checkpoints(dir);
        RunPlan {
            model: ModelKind::Recognizer,
            recognizer: RecognizerConfig::default(),
            generator: GeneratorConfig::default(),
            data,
            open: OpenOptions::default(),
            cfg,
            init,
            device: Device::Cpu,
            device_name: "CPU".into(),
            last,
            best,
            command: String::new(),
            threads: None,
            distill: None,
        }
    }

    /// The plan that resumes the run in folder `dir` with its recorded data and settings. A
    /// missing folder, a run without a finished epoch or a damaged checkpoint is refused with
    /// the path and the reason.
    pub fn resume_folder(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            return Err(Error::file(dir, "no such run folder"));
        }
        let (last, _) = folder_checkpoints(dir);
        let json = sidecar_path(&last);
        if !json.exists() {
            return Err(Error::file(dir, "the run has no checkpoint yet (it stopped before its first epoch ended)"));
        }
        let sidecar = read_sidecar(&json)?;
        let model = sidecar.model_kind().ok_or_else(|| Error::file(&json, format!("a {:?} checkpoint cannot be trained here", sidecar.kind)))?;
        let rec = &sidecar.training;
        let data = spec::parse(&rec.data).map_err(|e| Error::file(&json, e))?;
        let setting = |key: &str| -> Result<String> {
            rec.settings.get(key).cloned().ok_or_else(|| Error::file(&json, format!("the run's settings have no {key:?}")))
        };
        let num = |key: &str| -> Result<f64> {
            let v = setting(key)?;
            v.parse::<f64>().map_err(|_| Error::file(&json, format!("setting {key:?} is not a number: {v:?}")))
        };
        let cfg = TrainConfig {
            epochs: num("epochs")? as usize,
            batch: num("batch")? as usize,
            lr: num("lr")?,
            weight_decay: num("weight_decay")?,
            warmup_fraction: num("warmup_fraction")?,
            epoch_size: num("epoch_size")? as usize,
            seed: rec.seed,
            start_epoch: 0,
        };
        let mut plan = RunPlan::in_folder(data, cfg, Init::Resume(dir.to_path_buf()), dir);
        plan.model = model;
        plan.recognizer.label_smoothing = num("label_smoothing").map(|v| v as f32).unwrap_or(0.0);
        if let Ok(t) = setting("teachers") {
            let teachers = RecognizerConfig::teachers_from_setting(&t).map_err(|e| Error::file(&json, e))?;
            plan.recognizer = plan.recognizer.clone().with_teachers(teachers, num("teacher_weight")? as f32).map_err(|e| Error::file(&json, e))?;
        }
        if model == ModelKind::Generator {
            let d = GeneratorConfig::default();
            plan.generator = GeneratorConfig {
                kl_warmup_fraction: num("kl_warmup_fraction").unwrap_or(d.kl_warmup_fraction),
                free_bits: num("free_bits").map(|v| v as f32).unwrap_or(d.free_bits),
                beta: num("beta").unwrap_or(d.beta),
                // A run recorded before style groups trained on single images without a reader.
                style_group: num("style_group").map(|v| v as usize).unwrap_or(1),
                read_weight: num("read_weight").unwrap_or(0.0),
                read_sharpness: num("read_sharpness").map(|v| v as f32).unwrap_or(1.0),
            };
            if let (Ok(from), Ok(channels)) = (setting("distill_from"), setting("decoder_channels")) {
                plan.distill = Some(Distillation::parse(Path::new(&from), &channels).map_err(|e| Error::file(&json, e))?);
            }
        }
        plan.open.holdout_per_class = num("holdout_per_class").map(|v| v as usize).unwrap_or(plan.open.holdout_per_class);
        plan.command = rec.command.clone();
        Ok(plan)
    }

    /// Runs the plan, reporting to `on_event` and ending with `Finished`, `Cancelled` or
    /// `Failed` (whose message is also the returned error).
    pub fn run(&self, control: &RunControl, mut on_event: impl FnMut(&TrainEvent) + Send) -> Result<RunOutcome> {
        let result = self.checked().and_then(|plan| {
            // Held until the run ends: a second run on the same output is refused meanwhile. The
            // lock files live beside the checkpoints, so their folders are made first.
            plan.create_folders()?;
            let _locks = (OutLock::acquire(&plan.last)?, OutLock::acquire(&plan.best)?);
            match plan.threads {
                Some(n) => rayon::ThreadPoolBuilder::new()
                    .num_threads(n.max(1))
                    .thread_name(|i| format!("fude-train-{i}"))
                    .build()
                    .map_err(|e| Error::Invalid(format!("cannot start training threads: {e}")))
                    .and_then(|pool| pool.install(|| plan.run_kind(control, &mut on_event))),
                None => plan.run_kind(control, &mut on_event),
            }
        });
        match &result {
            Ok(o) if o.finished => on_event(&TrainEvent::Finished),
            Ok(_) => on_event(&TrainEvent::Cancelled),
            Err(e) => on_event(&TrainEvent::Failed { message: e.to_string() }),
        }
        result
    }

    /// The plan as it will run, refused before anything is opened or trained when it cannot:
    /// no epochs asked for, a batch over [`MAX_BATCH`], or a folder (or another non-regular file)
    /// where a checkpoint file goes. A batch larger than the epoch is cut to the epoch.
    fn checked(&self) -> Result<RunPlan> {
        if self.cfg.epochs == 0 {
            return Err(Error::Invalid("0 epochs asked for: ask for at least one".into()));
        }
        let mut plan = self.clone();
        plan.cfg.batch = plan.cfg.batch.min(plan.cfg.epoch_size.max(1));
        if plan.cfg.batch > MAX_BATCH {
            return Err(Error::Invalid(format!("a batch of {} is too large (the limit is {MAX_BATCH})", plan.cfg.batch)));
        }
        for p in [&plan.last, &plan.best] {
            check_out_files(p)?;
        }
        Ok(plan)
    }

    fn run_kind(&self, control: &RunControl, on_event: &mut (dyn FnMut(&TrainEvent) + Send)) -> Result<RunOutcome> {
        match self.model {
            ModelKind::Recognizer => self.run_model::<RecognizerStep>(control, on_event),
            ModelKind::Generator => self.run_model::<GeneratorStep>(control, on_event),
        }
    }

    /// A fresh training record of this plan (command, data, seed).
    fn new_record(&self) -> TrainingRecord {
        TrainingRecord {
            command: self.command.clone(),
            data: self.data.iter().map(ToString::to_string).collect(),
            seed: self.cfg.seed,
            ..Default::default()
        }
    }

    /// The checkpoint an `Init::Resume` points at (a run folder's `last`, or the path itself),
    /// refused when neither exists.
    fn resume_path(from: &Path) -> Result<PathBuf> {
        let path = if from.is_dir() { folder_checkpoints(from).0 } else { from.to_path_buf() };
        if !sidecar_path(&path).exists() && !from.exists() {
            return Err(Error::file(from, "no such run folder or checkpoint"));
        }
        Ok(path)
    }

    /// Notes in `record` that the run starts from the checkpoint `from` (`None`: the bundled
    /// model, called `bundled`), trained as `start` records: the chain of commands that made
    /// the new weights stays in their sidecar.
    fn note_fine_tune(record: &mut TrainingRecord, from: Option<&Path>, bundled: &str, start: &TrainingRecord) {
        let name = from.map(|p| p.display().to_string()).unwrap_or_else(|| bundled.into());
        let made_by = if start.command.is_empty() { String::new() } else { format!(", made by: {}", start.command) };
        record.command = bounded_history(format!("{} ; starting from {name}{made_by}", record.command));
    }

    /// Carries a resumed checkpoint's record (`previous`) into `record`: its samples and the
    /// command that started it. Returns the epoch to start from.
    fn note_resume(record: &mut TrainingRecord, previous: &TrainingRecord) -> usize {
        record.samples_seen = previous.samples_seen;
        if previous.command != record.command {
            record.command = bounded_history(format!("{} ; resumed: {}", previous.command, record.command));
        }
        previous.epochs
    }

    /// The best checkpoint beside a run resumed from a checkpoint trained as `resumed`, when it
    /// belongs to that run (same seed and data, started by the same command, no more epochs);
    /// `None` when there is none or it is another run's.
    fn own_best(&self, resumed: &TrainingRecord) -> Option<RunRecord> {
        let best = read_sidecar(&sidecar_path(&self.best)).ok()?;
        let b = &best.training;
        let ours = b.seed == resumed.seed && b.data == resumed.data && resumed.command.starts_with(&b.command) && b.epochs <= resumed.epochs;
        ours.then_some(best)
    }

    /// The best score recorded so far by a run resumed from a checkpoint trained as `resumed`
    /// (−∞ when none: an unrelated best checkpoint at the same path does not count).
    fn recorded_best(&self, resumed: &TrainingRecord) -> f64 {
        self.own_best(resumed).map(|b| score(self.model, &b.held_out())).unwrap_or(f64::NEG_INFINITY)
    }

    /// Creates the folders of the last and best checkpoints.
    fn create_folders(&self) -> Result<()> {
        for p in [&self.last, &self.best] {
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| Error::file(dir, format!("cannot create the checkpoint folder: {e}")))?;
            }
        }
        Ok(())
    }

    /// The outcome once training returned.
    /// Checkpoints this run did not write this time are reported only when a resumed run's own
    /// (`resumed`: the record it was resumed from), never a file of another run at the same path.
    fn outcome(&self, control: &RunControl, last: Option<PathBuf>, best: Option<PathBuf>, evals: Vec<EvalReport>, resumed: Option<&TrainingRecord>) -> RunOutcome {
        let resumed_last = resumed.filter(|_| matches!(&self.init, Init::Resume(from) if Self::resume_path(from).is_ok_and(|p| checkpoint_base(&p) == checkpoint_base(&self.last))));
        RunOutcome {
            finished: !control.is_stopped(),
            last: last.or_else(|| resumed_last.map(|_| self.last.clone())),
            best: best.or_else(|| resumed.and_then(|r| self.own_best(r)).map(|_| self.best.clone())),
            evals,
        }
    }

    /// Runs the plan for the model `S` trains: its network (fresh, fine-tuned or resumed), its
    /// data, the baseline of a continued model, the loop, and the checkpoints of every epoch.
    fn run_model<S: Trainee>(&self, control: &RunControl, on_event: &mut (dyn FnMut(&TrainEvent) + Send)) -> Result<RunOutcome> {
        let mut cfg = self.cfg.clone();
        let mut record = self.new_record();
        let mut best_score = f64::NEG_INFINITY;
        let mut resumed = None;
        let model = match &self.init {
            Init::Scratch => S::scratch(self)?,
            Init::FineTune(from) => {
                let ck = ModelCheckpoint::<S::Arch>::load_or_bundled(from.as_deref(), &self.device)?;
                Self::note_fine_tune(&mut record, from.as_deref(), S::BUNDLED, S::Arch::training(&ck.sidecar));
                ck.model
            }
            Init::Resume(from) => {
                let path = Self::resume_path(from)?;
                let ck = ModelCheckpoint::<S::Arch>::load(&path, &self.device).map_err(|e| Error::Invalid(format!("cannot resume: {e}")))?;
                let training = S::Arch::training(&ck.sidecar);
                cfg.start_epoch = Self::note_resume(&mut record, training);
                best_score = self.recorded_best(training);
                resumed = Some(training.clone());
                ck.model
            }
        };
        if cfg.start_epoch >= cfg.epochs {
            return Err(Error::Invalid(format!("the checkpoint already has {} epochs; ask for more epochs", cfg.start_epoch)));
        }
        self.create_folders()?;
        let (mut step, feed) = S::prepare(self, model)?;
        if matches!(self.init, Init::FineTune(_)) && !step.held_out_sizes().is_empty() {
            // The starting model's figures: what the new one is judged against.
            on_event(&TrainEvent::Baseline { held_out: step.measure()? });
        }
        self.fill_settings(&mut record, &cfg, S::settings(self));
        let per_epoch = cfg.steps_per_epoch() as u64 * cfg.batch as u64;
        let mut writer = CheckpointWriter::new(self.last.clone(), self.best.clone(), record, best_score, per_epoch);
        fit(&mut step, &feed, &cfg, control, |ev, s| {
            on_event(ev);
            writer.on_event(ev, s, &mut *on_event)
        })?;
        Ok(self.outcome(control, writer.wrote_last, writer.wrote_best, step.into_reports(), resumed.as_ref()))
    }

    /// Records the settings of the run (those every model shares, then the model's `own`).
    fn fill_settings(&self, record: &mut TrainingRecord, cfg: &TrainConfig, own: Vec<(&'static str, String)>) {
        let shared = [
            ("epochs", cfg.epochs.to_string()),
            ("batch", cfg.batch.to_string()),
            ("lr", cfg.lr.to_string()),
            ("weight_decay", cfg.weight_decay.to_string()),
            ("warmup_fraction", cfg.warmup_fraction.to_string()),
            ("epoch_size", cfg.epoch_size.to_string()),
            ("holdout_per_class", self.open.holdout_per_class.to_string()),
            ("optimizer", "AdamW, warm-up + cosine schedule".to_string()),
            ("device", self.device_name.clone()),
        ];
        for (k, v) in shared.into_iter().chain(own) {
            record.settings.insert(k.to_string(), v);
        }
    }
}

/// The longest chain of commands a training record keeps, in bytes.
const MAX_COMMAND_HISTORY: usize = 64 << 10;

/// `history` (a chain of commands, each resume or fine-tune adding to it), its middle left out
/// when it is longer than [`MAX_COMMAND_HISTORY`]: the first and the latest commands stay, and a
/// model fine-tuned again and again keeps a sidecar of bounded size.
fn bounded_history(history: String) -> String {
    if history.len() <= MAX_COMMAND_HISTORY {
        return history;
    }
    let half = MAX_COMMAND_HISTORY / 2;
    let (head, tail) = history.split_at(history.floor_char_boundary(half));
    let (left_out, tail) = tail.split_at(tail.ceil_char_boundary(tail.len() - half));
    format!("{head} … ({} bytes of earlier commands left out) … {tail}", left_out.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::spec::SourceKind;
    use crate::models::Checkpoint;
    use crate::training::events::mean_metric;
    use crate::training::runs::list_runs;

    fn fonts() -> Vec<DataSpec> {
        vec![DataSpec { kind: SourceKind::Fonts, weight: 1.0 }]
    }

    fn tiny(epochs: usize) -> TrainConfig {
        TrainConfig { epochs, epoch_size: 128, batch: 64, ..Default::default() }
    }

    fn run(plan: &RunPlan, control: &RunControl) -> (Result<RunOutcome>, Vec<TrainEvent>) {
        let mut events = Vec::new();
        let r = plan.run(control, |e| events.push(e.clone()));
        (r, events)
    }

    #[test]
    fn command_history_keeps_its_ends_within_bounds() {
        assert_eq!(bounded_history("fude train a ; resumed: b".into()), "fude train a ; resumed: b");
        // Multi-byte text about the cut: the ends stay whole characters.
        let long = format!("fude train first ; {} ; fude train latest", "へ ; ".repeat(40_000));
        let kept = bounded_history(long.clone());
        assert!(kept.len() < MAX_COMMAND_HISTORY + 100 && kept.starts_with("fude train first") && kept.ends_with("fude train latest"), "{}", kept.len());
        assert!(kept.contains("bytes of earlier commands left out"));
        // Fine-tuned again and again: the record stops growing.
        let mut record = TrainingRecord { command: "fude train x --from bundled".into(), ..Default::default() };
        for _ in 0..2000 {
            let start = record.clone();
            record.command = "fude train x --from bundled".into();
            RunPlan::note_fine_tune(&mut record, None, "the bundled model", &start);
        }
        assert!(record.command.len() <= MAX_COMMAND_HISTORY + 100, "{}", record.command.len());
        assert!(record.command.starts_with("fude train x --from bundled ; starting from the bundled model, made by: "));
    }

    #[test]
    fn training_ux_a_continued_run_reports_its_starting_model_first() {
        let dir = tempfile::tempdir().unwrap();
        let plan = RunPlan::in_folder(fonts(), tiny(1), Init::FineTune(None), dir.path());
        let (r, events) = run(&plan, &RunControl::default());
        assert!(r.is_ok(), "{r:?}");
        let at = |f: fn(&TrainEvent) -> bool| events.iter().position(f);
        let baseline = at(|e| matches!(e, TrainEvent::Baseline { .. })).expect("a baseline");
        assert!(baseline < at(|e| matches!(e, TrainEvent::Progress { .. })).unwrap_or(0), "{events:?}");
        if let Some(TrainEvent::Baseline { held_out }) = events.get(baseline) {
            assert!(mean_metric(held_out, "top1") > 0.9, "the bundled model's figures: {held_out:?}");
        }
        // The new checkpoint records how the bundled model it started from was made.
        let (_, bundled_json) = crate::models::recognizer::checkpoint::bundled_bytes().unwrap();
        let made_by = serde_json::from_str::<RunRecord>(bundled_json).unwrap().training.command;
        let command = read_sidecar(&dir.path().join("last.json")).unwrap().training.command;
        assert!(!made_by.is_empty() && command.ends_with(&format!("starting from the bundled model, made by: {made_by}")), "{command}");
        // From scratch there is no starting model to measure.
        let dir = tempfile::tempdir().unwrap();
        let plan = RunPlan::in_folder(fonts(), tiny(1), Init::Scratch, dir.path());
        let (_, events) = run(&plan, &RunControl::default());
        assert!(!events.iter().any(|e| matches!(e, TrainEvent::Baseline { .. })));
    }

    #[test]
    fn a_run_writes_last_and_best_and_resumes_from_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let plan = RunPlan::in_folder(fonts(), tiny(1), Init::Scratch, dir.path());
        let (r, events) = run(&plan, &RunControl::default());
        let out = r.unwrap();
        assert!(out.finished);
        assert!(matches!(events.first(), Some(TrainEvent::Started { total_epochs: 1, steps_per_epoch: 2, .. })), "{events:?}");
        assert_eq!(events.last(), Some(&TrainEvent::Finished));
        let ends: Vec<_> = events.iter().filter(|e| matches!(e, TrainEvent::EpochEnd { .. })).collect();
        assert_eq!(ends.len(), 1);
        if let Some(TrainEvent::EpochEnd { held_out, .. }) = ends.first() {
            let m = &held_out[0].1;
            assert!(m.contains_key("top1") && m.contains_key("loss") && m.contains_key("balanced_accuracy"), "{m:?}");
        }
        let written: Vec<bool> = events.iter().filter_map(|e| match e {
            TrainEvent::CheckpointWritten { best, .. } => Some(*best),
            _ => None,
        }).collect();
        assert_eq!(written, vec![false, true], "last, then best on the first epoch");
        for name in ["last.safetensors", "last.json", "best.safetensors", "best.json"] {
            assert!(dir.path().join(name).is_file(), "{name}");
        }
        // The folder remembers the data and settings; asking for more epochs continues it.
        let mut again = RunPlan::resume_folder(dir.path()).unwrap();
        assert_eq!(again.data, fonts());
        assert_eq!((again.cfg.batch, again.cfg.epoch_size), (64, 128));
        again.cfg.epochs = 2;
        let (r, events) = run(&again, &RunControl::default());
        assert!(r.unwrap().finished);
        assert!(matches!(events.first(), Some(TrainEvent::Started { start_epoch: 1, .. })), "{events:?}");
        let ck = Checkpoint::load(&dir.path().join(LAST), &Device::Cpu).unwrap();
        assert_eq!(ck.sidecar.training.epochs, 2);
        assert_eq!(ck.sidecar.training.samples_seen, 256);
        let runs = list_runs(dir.path().parent().unwrap_or(dir.path()));
        let me = runs.iter().find(|r| r.dir == dir.path()).unwrap();
        assert_eq!((me.epochs, me.total_epochs), (2, 2));
        assert!(me.best_accuracy().is_finite() && !me.resumable());
        // A finished run asked for no more epochs is refused, with the reason.
        let (r, events) = run(&RunPlan::resume_folder(dir.path()).unwrap(), &RunControl::default());
        assert!(r.unwrap_err().to_string().contains("already has 2 epochs"));
        assert!(matches!(events.last(), Some(TrainEvent::Failed { .. })));
    }

    #[test]
    fn a_run_with_teachers_learns_from_them_records_them_and_resumes_with_them() {
        let teacher_dir = tempfile::tempdir().unwrap();
        run(&RunPlan::in_folder(fonts(), tiny(1), Init::Scratch, teacher_dir.path()), &RunControl::default()).0.unwrap();
        let teacher = teacher_dir.path().join(LAST);
        let plain_dir = tempfile::tempdir().unwrap();
        run(&RunPlan::in_folder(fonts(), tiny(1), Init::Scratch, plain_dir.path()), &RunControl::default()).0.unwrap();

        let dir = tempfile::tempdir().unwrap();
        let mut plan = RunPlan::in_folder(fonts(), tiny(1), Init::Scratch, dir.path());
        plan.recognizer = plan.recognizer.clone().with_teachers(vec![teacher.clone()], 0.7).unwrap();
        run(&plan, &RunControl::default()).0.unwrap();
        // The same seed and data without the teacher train other weights.
        let weights = |d: &Path| std::fs::read(d.join("last.safetensors")).unwrap();
        assert_ne!(weights(dir.path()), weights(plain_dir.path()), "the teacher's term changed nothing");
        let ck = Checkpoint::load(&dir.path().join(LAST), &Device::Cpu).unwrap();
        let settings = &ck.sidecar.training.settings;
        assert_eq!(settings.get("teacher_weight").map(String::as_str), Some("0.7"));
        let again = RunPlan::resume_folder(dir.path()).unwrap();
        assert_eq!((again.recognizer.teachers.clone(), again.recognizer.teacher_weight), (vec![teacher], 0.7));

        // A teacher that is not there stops the run before it trains, naming the path.
        let dir = tempfile::tempdir().unwrap();
        let mut plan = RunPlan::in_folder(fonts(), tiny(1), Init::Scratch, dir.path());
        plan.recognizer.teachers = vec![dir.path().join("no-such-teacher")];
        let (r, events) = run(&plan, &RunControl::default());
        assert!(r.unwrap_err().to_string().contains("no-such-teacher"));
        assert!(!events.iter().any(|e| matches!(e, TrainEvent::CheckpointWritten { .. })));
        assert!(RecognizerConfig::default().with_teachers(Vec::new(), 1.5).is_err(), "a share above 1");
    }

    #[test]
    fn a_huge_learning_rate_stops_the_run_and_keeps_the_last_good_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let plan = RunPlan::in_folder(fonts(), tiny(1), Init::Scratch, dir.path());
        run(&plan, &RunControl::default()).0.unwrap();
        let before = std::fs::read(dir.path().join("last.safetensors")).unwrap();
        let mut wild = RunPlan::resume_folder(dir.path()).unwrap();
        wild.cfg.epochs = 3;
        wild.cfg.epoch_size = 64 * 20;
        wild.cfg.lr = 1e4;
        let (r, events) = run(&wild, &RunControl::default());
        let msg = r.unwrap_err().to_string();
        assert!(msg.contains("diverged") && msg.contains("learning rate"), "{msg}");
        assert!(matches!(events.last(), Some(TrainEvent::Failed { message }) if message == &msg));
        assert!(!events.iter().any(|e| matches!(e, TrainEvent::CheckpointWritten { .. })), "no checkpoint of a diverged model");
        assert_eq!(std::fs::read(dir.path().join("last.safetensors")).unwrap(), before, "the last good checkpoint stays");
    }

    #[test]
    fn a_stopped_run_is_cancelled_and_missing_or_corrupt_folders_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let control = RunControl::default();
        control.stop();
        let plan = RunPlan::in_folder(fonts(), tiny(2), Init::Scratch, dir.path());
        let (r, events) = run(&plan, &control);
        let out = r.unwrap();
        assert!(!out.finished && out.last.is_none());
        assert_eq!(events.last(), Some(&TrainEvent::Cancelled));

        let missing = dir.path().join("nope");
        let e = RunPlan::resume_folder(&missing).unwrap_err().to_string();
        assert!(e.contains("nope") && e.contains("no such run folder"), "{e}");
        let e = RunPlan::resume_folder(dir.path()).unwrap_err().to_string();
        assert!(e.contains("no checkpoint yet"), "{e}");
        std::fs::write(dir.path().join("last.json"), "{ not json").unwrap();
        let e = RunPlan::resume_folder(dir.path()).unwrap_err().to_string();
        assert!(e.contains("last.json") && e.contains("not a checkpoint sidecar"), "{e}");
        // A good sidecar with damaged weights: refused when the run starts, with the path.
        let good = RunPlan::in_folder(fonts(), tiny(1), Init::Scratch, dir.path());
        run(&good, &RunControl::default()).0.unwrap();
        std::fs::write(dir.path().join("last.safetensors"), b"garbage").unwrap();
        let mut plan = RunPlan::resume_folder(dir.path()).unwrap();
        plan.cfg.epochs = 2;
        let (r, events) = run(&plan, &RunControl::default());
        let e = r.unwrap_err().to_string();
        assert!(e.contains("cannot resume") && e.contains("last.safetensors"), "{e}");
        assert!(matches!(events.last(), Some(TrainEvent::Failed { .. })));
        assert_eq!(list_runs(dir.path().parent().unwrap_or(dir.path())).iter().filter(|r| r.dir == dir.path()).count(), 1);
    }

    #[test]
    fn run_lists_escape_what_sidecars_hold() {
        // Regression (issue 20, item 19): strings from a sidecar reached the UI raw.
        let root = tempfile::tempdir().unwrap();
        let run = root.path().join("run-1");
        std::fs::create_dir_all(&run).unwrap();
        let sidecar = r#"{"kind":"recognizer","training":{"command":"x","data":["fonts\u001b[2J"],"seed":0,"epochs":1,"samples_seen":0,"settings":{}}}"#;
        std::fs::write(run.join("last.json"), sidecar).unwrap();
        std::fs::create_dir_all(root.path().join("run-0")).unwrap();
        std::fs::write(root.path().join("run-0/last.json"), "{\"kind\": \"\u{1b}]0;x\u{7}\"").unwrap();
        let runs = list_runs(root.path());
        assert_eq!(runs.len(), 2);
        for r in &runs {
            let shown = format!("{:?} {}", r.problem, r.data.join(","));
            assert!(!shown.contains('\u{1b}') && !r.data.iter().any(|d| d.contains('\u{1b}')), "{shown}");
        }
        assert_eq!(runs[0].data, ["fonts\\u{1b}[2J"]);
    }

    #[test]
    fn a_run_is_refused_while_another_holds_its_output() {
        // Regression (issue 20, item 7), as the app starts runs: two runs in one folder both wrote.
        let dir = tempfile::tempdir().unwrap();
        let (last, _) = folder_checkpoints(dir.path());
        let held = OutLock::acquire(&last).unwrap();
        let cfg = TrainConfig { epochs: 1, epoch_size: 32, batch: 32, ..TrainConfig::default() };
        let plan = RunPlan::in_folder(fonts(), cfg, Init::Scratch, dir.path());
        let mut events = Vec::new();
        let e = plan.run(&RunControl::default(), |ev| events.push(ev.clone())).unwrap_err().to_string();
        assert!(e.contains("last.lock") && e.contains("another training run"), "{e}");
        assert!(matches!(events.as_slice(), [TrainEvent::Failed { .. }]), "{events:?}");
        assert!(!dir.path().join("last.json").exists());
        drop(held);
    }
}
