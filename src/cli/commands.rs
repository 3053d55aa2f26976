//! The implementation of each command.

use super::{Command, DataArgs, ModelKind};
use crate::training::generator::distill::Distillation;
use crate::training::generator::GeneratorConfig;
use crate::training::recognizer::RecognizerConfig;
use crate::data::classes;
use crate::data::spec::{self, open_mixture};
use crate::data::{OpenOptions, Sample, Split};
use crate::ink::picture::{picture_input, PictureInput, PictureOptions};
use crate::ink::{Drawing, InkImage, ModelInput, INPUT_SIDE};
use crate::models::recognizer::{Candidates, Reading, ScriptChoice};
use crate::models::{select_device, Checkpoint, CpuRecognizer};
use crate::training::events::mean_metric;
use crate::training::session::best_beside;
use crate::training::recognizer::paired::compare_paired;
use crate::training::{evaluate, evaluate_parts, Init, RunControl, RunPlan, TrainConfig, TrainEvent};
use crate::text::{escape_controls, escape_controls_with};
use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Dispatches a parsed command.
pub fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Train { kind, data, out, epochs, batch, lr, seed, epoch_size, device, resume, from, channels, hidden, residual, teachers, teacher_weight, style_group, read_weight, read_sharpness, distill_from, decoder_channels } => {
            // Each model's own defaults for what the command line leaves out.
            let (model, d) = match kind {
                ModelKind::Recognizer => (crate::training::ModelKind::Recognizer, TrainConfig::default()),
                ModelKind::Generator => (crate::training::ModelKind::Generator, GeneratorConfig::schedule()),
            };
            let cfg = TrainConfig { epochs, seed, epoch_size, batch: batch.unwrap_or(d.batch), lr: lr.unwrap_or(d.lr), ..d };
            let init = match (resume, from) {
                (Some(p), _) => Init::Resume(p),
                (None, Some(p)) => Init::FineTune(crate::models::named_checkpoint(&p).map(Path::to_path_buf)),
                (None, None) => Init::Scratch,
            };
            let d = GeneratorConfig::default();
            let generator = GeneratorConfig {
                style_group: style_group.unwrap_or(d.style_group).clamp(1, 16),
                read_weight: read_weight.unwrap_or(d.read_weight),
                read_sharpness: read_sharpness.unwrap_or(d.read_sharpness),
                ..d
            };
            if !(0.0..=1e4).contains(&generator.read_weight) {
                anyhow::bail!("--read-weight must be between 0 and 10000, not {}", generator.read_weight);
            }
            if !(0.5..=8.0).contains(&generator.read_sharpness) {
                anyhow::bail!("--read-sharpness must be between 0.5 and 8, not {}", generator.read_sharpness);
            }
            let distill = match (distill_from, decoder_channels) {
                (Some(_), _) | (_, Some(_)) if model != crate::training::ModelKind::Generator => {
                    anyhow::bail!("--distill-from and --decoder-channels train a generator: add --model generator")
                }
                (Some(t), Some(c)) => Some(Distillation::parse(&t, &c)?),
                (None, None) => None,
                _ => anyhow::bail!("--distill-from and --decoder-channels go together"),
            };
            if (channels.is_some() || hidden.is_some() || residual) && model != crate::training::ModelKind::Recognizer {
                anyhow::bail!("--channels, --hidden and --residual shape a recognizer: leave them out with --model generator")
            }
            if !teachers.is_empty() && model != crate::training::ModelKind::Recognizer {
                anyhow::bail!("--teacher trains a recognizer: leave it out with --model generator")
            }
            let weight = teacher_weight.unwrap_or(crate::training::recognizer::DEFAULT_TEACHER_WEIGHT);
            let mut recognizer = RecognizerConfig::default().with_teachers(teachers, weight)?;
            if let Some(c) = channels {
                recognizer.architecture.channels = RecognizerConfig::parse_channels(&c)?;
            }
            if let Some(h) = hidden {
                recognizer.architecture.hidden = h;
            }
            if residual {
                recognizer.architecture.name = crate::models::recognizer::network::RES.into();
            }
            train_cmd(&data, &out, model, cfg, recognizer, generator, &device, init, distill).map(|_| ExitCode::SUCCESS)
        }
        Command::Eval { model, data, train_split, as_pictures, script, against, json, device } => {
            let script = ScriptChoice::parse(&script).map_err(anyhow::Error::msg)?;
            let how = EvalHow { train_split, as_pictures, script, against, json };
            eval_cmd(model.as_deref(), &data, how, &device).map(|_| ExitCode::SUCCESS)
        }
        Command::Predict { model, top, json, device, script, context, as_box, line, files } => {
            let script = ScriptChoice::parse(&script).map_err(anyhow::Error::msg)?;
            let reading = Reading { script, context, ..Reading::default() };
            if line {
                return super::line::predict_line_cmd(model.as_deref(), json, &device, &reading, &files);
            }
            predict_cmd(model.as_deref(), top, json, &device, &reading, as_box, &files)
        }
        Command::Samples { data, out, count, seed, test_split } => samples_cmd(&data, &out, count, seed, test_split).map(|_| ExitCode::SUCCESS),
        Command::DownloadK49 { out, base } => download_cmd(&out, &base).map(|_| ExitCode::SUCCESS),
        Command::Generate { model, ch, chars, all, count, seed, z, temperature, prior, style_from, class, text, out } => {
            let args = super::generate::GenerateArgs { model, ch, chars, all, count, seed, z, temperature, prior, style_from, class, text, out };
            super::generate::generate_cmd(&args).map(|_| ExitCode::SUCCESS)
        }
        Command::FitLatent { model, data, sharpness, check_styles, style_misses, style_jitter, style_draws } => {
            let check = super::generate::StyleCheck { candidates: check_styles, max_misses: style_misses, jitter: style_jitter, draws: style_draws };
            super::generate::fit_latent_cmd(&model, &data, sharpness.as_deref(), &check).map(|_| ExitCode::SUCCESS)
        }
        Command::EvalGen { model, recognizer, data, per_class, temperature, styles, seed, json } => {
            let args = super::eval_gen::EvalGenArgs { model, recognizer, data, per_class, temperature, styles, seed, json };
            super::eval_gen::eval_gen_cmd(&args).map(|_| ExitCode::SUCCESS)
        }
        Command::Bench { what, model, device, rounds } => crate::bench::run(&what, model.as_deref(), device.parse()?, rounds as usize).map(|_| ExitCode::SUCCESS).map_err(Into::into),
    }
}

/// How `--holdout` and `--no-verify` open data sources.
pub(super) fn open_options(d: &DataArgs) -> OpenOptions {
    OpenOptions { verify_md5: !d.no_verify, holdout_per_class: d.holdout }
}

fn spinner(msg: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_message(msg.to_string());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

/// Loads `--model` or the bundled model.
pub(super) fn load_model(path: Option<&Path>, device: &str) -> Result<Checkpoint> {
    let dev = select_device(device.parse()?)?;
    eprintln!("device: {}", dev.description);
    Ok(Checkpoint::load_or_bundled(path, &dev.device)?)
}

/// The command line as run, with the program called `fude` whatever its path.
pub(super) fn command_line() -> String {
    std::iter::once("fude".to_string())
        .chain(std::env::args().skip(1))
        .map(|a| if a.contains([' ', '"', '\'']) { format!("{a:?}") } else { a })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `fude train`, either model: the shared training engine ([`RunPlan`]) with the progress bar
/// as its event consumer.
#[allow(clippy::too_many_arguments)]
fn train_cmd(data: &DataArgs, out: &Path, model: crate::training::ModelKind, cfg: TrainConfig, recognizer: RecognizerConfig, generator: GeneratorConfig, device: &str, init: Init, distill: Option<Distillation>) -> Result<()> {
    let specs = spec::parse(&data.data)?;
    // Before any data opens or an epoch runs: the folder the checkpoints go to must be there.
    crate::models::checkpoint_io::check_out_dir(out)?;
    let dev = select_device(device.parse()?)?;
    println!("device: {}", dev.description);
    let plan = RunPlan {
        model,
        recognizer,
        generator,
        data: specs,
        open: open_options(data),
        cfg,
        init,
        device: dev.device,
        device_name: dev.description,
        last: out.to_path_buf(),
        best: best_beside(out),
        command: command_line(),
        threads: None,
        distill,
    };
    let mut printer = TrainPrinter::new(&plan.cfg);
    // The held-out −ELBO of the epoch that became the best generator checkpoint.
    let (mut epoch_elbo, mut best_elbo) = (f64::NAN, f64::NAN);
    let mut no_held_out = false;
    let outcome = plan.run(&RunControl::default(), |ev| {
        printer.show(ev);
        match ev {
            TrainEvent::Started { held_out, .. } => no_held_out = held_out.is_empty(),
            TrainEvent::EpochEnd { held_out, .. } => epoch_elbo = mean_metric(held_out, "neg_elbo"),
            TrainEvent::CheckpointWritten { best: true, .. } => best_elbo = epoch_elbo,
            _ => {}
        }
    });
    printer.finish();
    let outcome = outcome?;
    if let Some(last) = outcome.last {
        println!("saved {}", crate::models::checkpoint_io::weights_path(&last).display());
    }
    if let Some(best) = outcome.best {
        let by = match model {
            // Nothing held out (a small `mine` set): no score picks the epoch, none is printed.
            _ if no_held_out => "no held-out data: the last epoch".to_string(),
            crate::training::ModelKind::Recognizer => "held-out top-1".to_string(),
            crate::training::ModelKind::Generator => format!("held-out -ELBO {best_elbo:.1} nats"),
        };
        println!("best epoch ({by}): {}", crate::models::checkpoint_io::weights_path(&best).display());
    }
    Ok(())
}

/// The CLI's view of a training run: a spinner while data opens, a progress bar per epoch, one
/// line per epoch.
pub(super) struct TrainPrinter {
    bar: ProgressBar,
    epochs: usize,
    epoch_size: usize,
}

impl TrainPrinter {
    /// A printer for a run of `cfg`, showing a spinner until the run starts.
    pub(super) fn new(cfg: &TrainConfig) -> Self {
        TrainPrinter { bar: spinner("opening data sources and building held-out sets"), epochs: cfg.epochs, epoch_size: cfg.epoch_size }
    }

    /// Clears the progress bar (at the end of a run).
    pub(super) fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// Shows one event.
    pub(super) fn show(&mut self, ev: &TrainEvent) {
        let epochs = self.epochs;
        match ev {
            TrainEvent::Started { held_out, start_epoch, parameters, steps_per_epoch, batch, .. } => {
                self.bar.finish_and_clear();
                for (name, n) in held_out {
                    println!("held out: {} ({n} samples)", escape_controls(name));
                }
                if *start_epoch > 0 {
                    println!("resuming after epoch {start_epoch}");
                }
                println!("training {parameters} parameters, {epochs} epochs of {} samples, batch {batch}", self.epoch_size);
                self.bar = ProgressBar::new(*steps_per_epoch as u64);
                self.bar.set_style(
                    ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} {msg} ({eta})")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                );
            }
            TrainEvent::Progress { epoch, step, loss, lr, .. } => {
                if *step == 0 {
                    self.bar.reset();
                    self.bar.set_prefix(format!("{}/{}", epoch + 1, epochs));
                }
                self.bar.set_position(*step as u64 + 1);
                self.bar.set_message(format!("loss {loss:.3} lr {lr:.2e}"));
            }
            TrainEvent::EpochEnd { epoch, train_loss, train_accuracy, held_out, seconds, images_per_sec } => {
                self.bar.finish_and_clear();
                let mut line = format!("epoch {}/{}  loss {train_loss:.4}", epoch + 1, epochs);
                if train_accuracy.is_finite() {
                    line.push_str(&format!("  train-acc {:.2}%", 100.0 * train_accuracy));
                }
                line.push_str(&format!("  {images_per_sec:.0} img/s  {seconds:.1} s"));
                for (name, m) in held_out {
                    let get = |k: &str| m.get(k).copied().unwrap_or(f64::NAN);
                    if m.contains_key("neg_elbo") {
                        line.push_str(&format!(
                            " | {name} -ELBO {:.1} (rec {:.1}, KL {:.2}, {} active dims)",
                            get("neg_elbo"),
                            get("reconstruction"),
                            get("kl"),
                            get("active_dims")
                        ));
                    } else {
                        line.push_str(&format!(" | {name} top-1 {:.2}% bal {:.2}%", 100.0 * get("top1"), 100.0 * get("balanced_accuracy")));
                    }
                }
                println!("{line}");
            }
            TrainEvent::Baseline { held_out } => {
                for (name, m) in held_out {
                    let get = |k: &str| m.get(k).copied().unwrap_or(f64::NAN);
                    if m.contains_key("neg_elbo") {
                        println!("starting model: {name} -ELBO {:.1}", get("neg_elbo"));
                    } else {
                        println!("starting model: {name} top-1 {:.2}% bal {:.2}%", 100.0 * get("top1"), 100.0 * get("balanced_accuracy"));
                    }
                }
            }
            TrainEvent::CheckpointWritten { .. } | TrainEvent::Finished | TrainEvent::Cancelled => {}
            TrainEvent::Failed { .. } => self.bar.finish_and_clear(),
        }
    }
}

/// How `fude eval` reads its data.
struct EvalHow {
    train_split: bool,
    as_pictures: bool,
    script: ScriptChoice,
    /// The recognizer B compared sample by sample (`bundled`: the bundled one).
    against: Option<PathBuf>,
    json: bool,
}

/// The held-out samples of an image set read as picture files are read (see [`picture_input`]),
/// with whether each looked like a Kuzushiji-49 cell ([`Reading::kuzushiji_cell`]).
fn as_picture_samples(src: &dyn crate::data::sources::Source, script: ScriptChoice) -> (Vec<Sample>, Vec<bool>) {
    let blank = [0.0; crate::ink::INPUT_SIDE * crate::ink::INPUT_SIDE];
    src.eval_ink(crate::ink::raster::RASTER_SIDE, crate::data::augment::Augment::NONE)
        .into_iter()
        .map(|(img, label)| {
            let read = picture_input(&img, script.picture_options(false));
            let cell = read.as_ref().is_ok_and(|p| p.kuzushiji_like);
            (Sample { input: read.map_or(blank, |p| p.input), label }, cell)
        })
        .unzip()
}

fn eval_cmd(model: Option<&Path>, data: &DataArgs, how: EvalHow, device: &str) -> Result<()> {
    let EvalHow { train_split, as_pictures, script, against, json } = how;
    let ck = load_model(model, device)?;
    let other = match &against {
        Some(p) => Some(load_model(crate::models::named_checkpoint(p), device)?),
        None => None,
    };
    // All ranks as the network does.
    let limits = script != ScriptChoice::All;
    let specs = spec::parse(&data.data)?;
    let split = if train_split { Split::Train } else { Split::Test };
    let mut reports = Vec::new();
    for s in &specs {
        let pb = spinner(&format!("preparing {s}"));
        let src = s.open(split, open_options(data))?;
        // Split sources (one part per font) are rendered once, as parts; others as one set.
        let image_set = src.class_counts().is_some();
        let pictures = as_pictures && image_set;
        let parts = if pictures { Vec::new() } else { src.eval_parts() };
        let (set, cells): (Vec<Sample>, Vec<bool>) = if pictures {
            as_picture_samples(src.as_ref(), script)
        } else if parts.is_empty() {
            (src.eval_samples(), Vec::new())
        } else {
            (Vec::new(), Vec::new())
        };
        pb.finish_and_clear();
        let total = set.len() + parts.iter().map(|(_, s)| s.len()).sum::<usize>();
        let name = src.name();
        if total == 0 {
            anyhow::bail!("{s}: no {} data to evaluate ({name} holds none yet)", if train_split { "training" } else { "held-out" });
        }
        let bar = ProgressBar::new(total as u64);
        // Pictures are ranked as `predict` ranks them: small and full-size kana alike.
        let picture = pictures || src.reads_pictures();
        // Pictures read by the bundled recognizer, on either side, have the Kuzushiji reader join it
        // (under Auto, those that look like Kuzushiji-49 cells).
        let reading = Reading { script, picture, kuzushiji_reader: picture && model.is_none(), ..Reading::default() };
        let against_bundled = against.as_deref().is_some_and(|p| crate::models::named_checkpoint(p).is_none());
        let against_reading = Reading { kuzushiji_reader: picture && against_bundled, ..reading.clone() };
        let limits = limits || reading.picture;
        let (reading, against_reading) = (limits.then_some(&reading), limits.then_some(&against_reading));
        let report = if parts.is_empty() {
            evaluate(&ck.model, &name, &set, reading, &cells, |n| bar.set_position(n as u64))?
        } else {
            evaluate_parts(&ck.model, &name, &parts, reading, |n| bar.set_position(n as u64))?
        };
        bar.finish_and_clear();
        let paired = match &other {
            Some(b) => {
                let all: Vec<Sample> = if parts.is_empty() { set } else { parts.into_iter().flat_map(|(_, s)| s).collect() };
                Some(compare_paired((&ck.model, reading), (&b.model, against_reading), &name, &all, &cells)?)
            }
            None => None,
        };
        if !json {
            print!("{}", escape_controls_with(&report.to_text(), true));
            if let Some(p) = &paired {
                println!("against {}: {}", escape_controls(&against.as_deref().unwrap_or(Path::new("")).to_string_lossy()), escape_controls(&p.to_text()));
            }
        }
        let mut value = serde_json::to_value(&report)?;
        if let (Some(p), Some(obj)) = (&paired, value.as_object_mut()) {
            let mut v = serde_json::to_value(p)?;
            if let Some(o) = v.as_object_mut() {
                o.insert("p_value".into(), p.p_value().into());
            }
            obj.insert("against".into(), v);
        }
        reports.push(value);
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    Ok(())
}

/// Reads one file into a model input: drawings (.json) are rasterized (their box is the writing
/// box), anything else is decoded as a picture and read as `options` say (see [`picture_input`]),
/// with whether small and full-size kana can be told apart and the notes about the reading.
/// Blank inputs are errors.
pub fn read_input(path: &Path, options: PictureOptions) -> crate::Result<PictureInput> {
    let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        let d = Drawing::load(path)?;
        if d.is_empty() {
            return Err(crate::Error::file(path, "the drawing has no strokes"));
        }
        let input = crate::ink::drawing_input(&d);
        if crate::ink::is_blank(&input) {
            return Err(crate::Error::file(path, "no ink found (the drawing is empty or outside the box)"));
        }
        return Ok(PictureInput::of_drawing(input));
    }
    picture_input(&InkImage::load(path)?, options).map_err(|reason| crate::Error::file(path, reason))
}

fn predict_cmd(model: Option<&Path>, top: usize, json: bool, device: &str, reading: &Reading, as_box: bool, files: &[PathBuf]) -> Result<ExitCode> {
    use rayon::prelude::*;
    let ck = load_model(model, device)?;
    // One bad file never takes the others down, even if a decoder panics on it.
    let inputs: Vec<crate::Result<PictureInput>> = files
        .par_iter()
        .map(|f| {
            std::panic::catch_unwind(|| read_input(f, reading.script.picture_options(as_box)))
                .unwrap_or_else(|_| Err(crate::Error::file(f, "the reader failed on this file (a bug in fude: please report it)")))
        })
        .collect();
    let pictures: Vec<&PictureInput> = inputs.iter().filter_map(|r| r.as_ref().ok()).collect();
    let ok: Vec<&ModelInput> = pictures.iter().map(|p| &p.input).collect();
    let probs: Vec<Vec<f32>> = if ck.model.device().is_cpu() {
        // One image per thread through the lean CPU path.
        let fast = CpuRecognizer::new(&ck.model)?;
        ok.par_iter().map(|i| fast.probabilities(i)).collect::<crate::Result<_>>()?
    } else {
        let mut v = Vec::with_capacity(ok.len());
        for chunk in ok.chunks(256) {
            v.extend(ck.model.probabilities(chunk)?);
        }
        v
    };
    // Each picture's reading, made once: a picture file read by the bundled recognizer has the
    // Kuzushiji reader join it.
    let ranked: Vec<Candidates> = probs
        .into_par_iter()
        .zip(pictures.par_iter())
        .map(|(mut p, picture)| {
            let read = reading.for_picture(picture, model.is_none());
            read.blend(&picture.input, &mut p)?;
            Ok(read.candidates(&p, top))
        })
        .collect::<crate::Result<_>>()?;
    let mut ranked = ranked.into_iter();
    let mut failed = false;
    for (file, input) in files.iter().zip(&inputs) {
        let shown = escape_controls(&file.to_string_lossy());
        match input {
            Ok(picture) => {
                let cands = ranked.next().unwrap_or_default().with_picture_notes(picture);
                if json {
                    let top: Vec<_> = cands.top.iter().map(|r| serde_json::json!({"char": r.ch.to_string(), "prob": r.prob})).collect();
                    println!("{}", serde_json::json!({"file": file.to_string_lossy(), "top": top, "notes": cands.notes}));
                } else {
                    let line: Vec<String> = cands
                        .top
                        .iter()
                        .map(|r| {
                            let romaji = classes::get(r.class).map(|c| c.romaji()).unwrap_or_default();
                            format!("{} {} {:.1}%", r.ch, romaji, 100.0 * r.prob)
                        })
                        .collect();
                    println!("{shown}: {}", line.join(" | "));
                    for note in &cands.notes {
                        println!("  note: {note}");
                    }
                }
            }
            Err(e) => {
                failed = true;
                if json {
                    println!("{}", serde_json::json!({"file": file.to_string_lossy(), "error": e.without_path(file)}));
                } else {
                    eprintln!("{shown}: error: {}", escape_controls(&e.without_path(file)));
                }
            }
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn samples_cmd(data: &DataArgs, out: &Path, count: usize, seed: u64, test_split: bool) -> Result<()> {
    let specs = spec::parse(&data.data)?;
    let split = if test_split { Split::Test } else { Split::Train };
    let mixture = open_mixture(&specs, split, open_options(data))?;
    let count = count.clamp(1, 10_000);
    let samples = mixture.batch(seed, 0, count);
    let cols = (count as f64).sqrt().ceil() as usize;
    let rows = count.div_ceil(cols);
    let cell = INPUT_SIDE + 2;
    let mut grid = InkImage::new(cols * cell, rows * cell);
    for (i, s) in samples.iter().enumerate() {
        let (gx, gy) = ((i % cols) * cell + 1, (i / cols) * cell + 1);
        for (p, v) in s.input.iter().enumerate() {
            if let Some(d) = grid.data.get_mut((gy + p / INPUT_SIDE) * grid.width + gx + p % INPUT_SIDE) {
                *d = *v;
            }
        }
    }
    crate::error::remove_stale_temps(out);
    grid.save_png(out)?;
    let labels: String = samples.iter().filter_map(|s| classes::get(s.label)).map(|c| c.ch).collect();
    println!("wrote {} ({} samples, row by row): {labels}", out.display(), samples.len());
    Ok(())
}

fn download_cmd(out: &Path, base: &str) -> Result<()> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    // Never set: Ctrl+C ends the process, and the temporary file is never under a final name.
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let done = crate::data::download::download_k49(out, base, true, &cancel, |name, got, total| {
        bar.set_message(name.to_string());
        bar.set_length(total.unwrap_or(got));
        bar.set_position(got);
    })?;
    bar.finish_and_clear();
    for (name, how) in done {
        println!("{name}: {}", if how == crate::data::download::Fetched::Present { "already present, verified" } else { "downloaded, verified" });
    }
    println!("train with: fude train --data k49={} ...", out.display());
    Ok(())
}
