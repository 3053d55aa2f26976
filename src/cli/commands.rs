//! The implementation of each command.

use super::{Command, DataArgs};
use crate::data::classes;
use crate::data::spec::{self, open_mixture};
use crate::data::{OpenOptions, Sample, Split};
use crate::ink::raster::{rasterize, MODEL_PEN_WIDTH, RASTER_SIDE};
use crate::ink::{model_input, Drawing, InkImage, ModelInput, INPUT_SIDE};
use crate::models::checkpoint::TrainingRecord;
use crate::models::{select_device, Architecture, Checkpoint, CpuRecognizer, Recognizer, Sidecar};
use crate::training::{evaluate, evaluate_parts, train, TrainConfig, TrainEvent};
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

/// Dispatches a parsed command.
pub fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Train { data, out, epochs, batch, lr, seed, epoch_size, device, resume } => {
            let cfg = TrainConfig { epochs, batch, lr, seed, epoch_size, ..Default::default() };
            train_cmd(&data, &out, cfg, &device, resume.as_deref()).map(|_| ExitCode::SUCCESS)
        }
        Command::Eval { model, data, train_split, json, device } => {
            eval_cmd(model.as_deref(), &data, train_split, json, &device).map(|_| ExitCode::SUCCESS)
        }
        Command::Predict { model, top, json, device, files } => predict_cmd(model.as_deref(), top, json, &device, &files),
        Command::Samples { data, out, count, seed, test_split } => samples_cmd(&data, &out, count, seed, test_split).map(|_| ExitCode::SUCCESS),
        Command::DownloadK49 { out, base } => download_cmd(&out, &base).map(|_| ExitCode::SUCCESS),
        Command::Bench { what } => crate::bench::run(&what).map(|_| ExitCode::SUCCESS).map_err(Into::into),
    }
}

fn open_options(d: &DataArgs) -> OpenOptions {
    OpenOptions { verify_md5: !d.no_verify, holdout_per_class: d.holdout }
}

fn spinner(msg: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_message(msg.to_string());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

/// Loads `--model` or the bundled model.
fn load_model(path: Option<&Path>, device: &str) -> Result<Checkpoint> {
    let dev = select_device(device.parse()?)?;
    eprintln!("device: {}", dev.description);
    Ok(match path {
        Some(p) => Checkpoint::load(p, &dev.device)?,
        None => Checkpoint::bundled(&dev.device)?,
    })
}

/// The command line as run, with the program called `fude` whatever its path.
fn command_line() -> String {
    std::iter::once("fude".to_string())
        .chain(std::env::args().skip(1))
        .map(|a| if a.contains([' ', '"', '\'']) { format!("{a:?}") } else { a })
        .collect::<Vec<_>>()
        .join(" ")
}

fn train_cmd(data: &DataArgs, out: &Path, mut cfg: TrainConfig, device: &str, resume: Option<&Path>) -> Result<()> {
    let specs = spec::parse(&data.data)?;
    let dev = select_device(device.parse()?)?;
    println!("device: {}", dev.description);
    let opts = open_options(data);
    let pb = spinner("opening data sources");
    let mixture = open_mixture(&specs, Split::Train, opts)?;
    pb.set_message("building held-out evaluation sets");
    let mut eval_sets = Vec::new();
    for s in &specs {
        let src = s.open(Split::Test, opts)?;
        eval_sets.push((src.name(), src.eval_samples()));
    }
    pb.finish_and_clear();
    for (name, set) in &eval_sets {
        println!("held out: {name} ({} samples)", set.len());
    }
    let mut record = TrainingRecord {
        command: command_line(),
        data: specs.iter().map(ToString::to_string).collect(),
        seed: cfg.seed,
        ..Default::default()
    };
    let model = match resume {
        Some(p) => {
            let ck = Checkpoint::load(p, &dev.device).with_context(|| format!("cannot resume from {}", p.display()))?;
            cfg.start_epoch = ck.sidecar.training.epochs;
            record.samples_seen = ck.sidecar.training.samples_seen;
            record.command = format!("{} ; resumed: {}", ck.sidecar.training.command, record.command);
            println!("resuming {} after epoch {}", p.display(), cfg.start_epoch);
            ck.model
        }
        None => Recognizer::new_seeded(Architecture::default(), &dev.device, cfg.seed)?,
    };
    if cfg.start_epoch >= cfg.epochs {
        bail!("the checkpoint already has {} epochs; ask for more with --epochs", cfg.start_epoch);
    }
    for (k, v) in [
        ("epochs", cfg.epochs.to_string()),
        ("batch", cfg.batch.to_string()),
        ("lr", cfg.lr.to_string()),
        ("weight_decay", cfg.weight_decay.to_string()),
        ("label_smoothing", cfg.label_smoothing.to_string()),
        ("warmup_fraction", cfg.warmup_fraction.to_string()),
        ("epoch_size", cfg.epoch_size.to_string()),
        ("holdout_per_class", opts.holdout_per_class.to_string()),
        ("optimizer", "AdamW, warm-up + cosine schedule".to_string()),
        ("device", dev.description.clone()),
    ] {
        record.settings.insert(k.to_string(), v);
    }
    println!(
        "training {} parameters, {} epochs of {} samples, batch {}",
        model.parameter_count(),
        cfg.epochs,
        cfg.epoch_size,
        cfg.batch
    );
    let stop = AtomicBool::new(false);
    let bar = ProgressBar::new(cfg.steps_per_epoch() as u64);
    bar.set_style(
        ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} {msg} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let epochs = cfg.epochs;
    let per_epoch = cfg.steps_per_epoch() as u64 * cfg.batch as u64;
    train(&model, &mixture, &eval_sets, &cfg, &stop, |ev, m| {
        match ev {
            TrainEvent::Step { epoch, step, loss, lr, .. } => {
                if *step == 0 {
                    bar.reset();
                    bar.set_prefix(format!("{}/{}", epoch + 1, epochs));
                }
                bar.set_position(*step as u64 + 1);
                bar.set_message(format!("loss {loss:.3} lr {lr:.2e}"));
            }
            TrainEvent::Epoch { epoch, loss, accuracy, images_per_sec, seconds, evals } => {
                bar.finish_and_clear();
                let mut line = format!(
                    "epoch {}/{}  loss {loss:.4}  train-acc {:.2}%  {images_per_sec:.0} img/s  {seconds:.1} s",
                    epoch + 1,
                    epochs,
                    100.0 * accuracy
                );
                for e in evals {
                    line.push_str(&format!(" | {} top-1 {:.2}% bal {:.2}%", e.name, 100.0 * e.accuracy, 100.0 * e.balanced_accuracy));
                }
                println!("{line}");
                record.epochs = epoch + 1;
                record.samples_seen += per_epoch;
                let mut sidecar = Sidecar::new(m.arch.clone(), record.clone());
                for e in evals {
                    sidecar.metrics.insert(
                        e.name.clone(),
                        [
                            ("samples".to_string(), e.samples as f64),
                            ("top1".to_string(), e.accuracy),
                            ("balanced_accuracy".to_string(), e.balanced_accuracy),
                            ("top5".to_string(), e.top5),
                        ]
                        .into_iter()
                        .collect(),
                    );
                }
                Checkpoint::save(m, &sidecar, out)?;
            }
        }
        Ok(())
    })?;
    println!("saved {}", out.with_extension("safetensors").display());
    Ok(())
}

fn eval_cmd(model: Option<&Path>, data: &DataArgs, train_split: bool, json: bool, device: &str) -> Result<()> {
    let ck = load_model(model, device)?;
    let specs = spec::parse(&data.data)?;
    let split = if train_split { Split::Train } else { Split::Test };
    let mut reports = Vec::new();
    for s in &specs {
        let pb = spinner(&format!("preparing {s}"));
        let src = s.open(split, open_options(data))?;
        // Split sources (one part per font) are rendered once, as parts; others as one set.
        let parts = src.eval_parts();
        let set: Vec<Sample> = if parts.is_empty() { src.eval_samples() } else { Vec::new() };
        pb.finish_and_clear();
        let total = set.len() + parts.iter().map(|(_, s)| s.len()).sum::<usize>();
        let bar = ProgressBar::new(total as u64);
        let name = src.name();
        let report = if parts.is_empty() {
            evaluate(&ck.model, &name, &set, |n| bar.set_position(n as u64))?
        } else {
            evaluate_parts(&ck.model, &name, &parts, |n| bar.set_position(n as u64))?
        };
        bar.finish_and_clear();
        if !json {
            print!("{}", report.to_text());
        }
        reports.push(report);
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    Ok(())
}

/// Reads one file into a model input: drawings (.json) are rasterized, anything else decoded as an
/// image. Blank inputs are errors.
pub fn read_input(path: &Path) -> crate::Result<ModelInput> {
    let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let input = if is_json {
        let d = Drawing::load(path)?;
        if d.is_empty() {
            return Err(crate::Error::file(path, "the drawing has no strokes"));
        }
        model_input(&rasterize(&d, RASTER_SIDE, MODEL_PEN_WIDTH))
    } else {
        model_input(&InkImage::load(path)?)
    };
    if input.iter().all(|&v| v == 0.0) {
        return Err(crate::Error::file(path, "no ink found (the image is blank or has no contrast)"));
    }
    Ok(input)
}

fn predict_cmd(model: Option<&Path>, top: usize, json: bool, device: &str, files: &[PathBuf]) -> Result<ExitCode> {
    use rayon::prelude::*;
    let ck = load_model(model, device)?;
    let inputs: Vec<crate::Result<ModelInput>> = files.par_iter().map(|f| read_input(f)).collect();
    let ok: Vec<&ModelInput> = inputs.iter().filter_map(|r| r.as_ref().ok()).collect();
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
    let mut probs = probs.into_iter();
    let mut failed = false;
    for (file, input) in files.iter().zip(&inputs) {
        let shown = file.to_string_lossy();
        match input {
            Ok(_) => {
                let p = probs.next().unwrap_or_default();
                let ranked = crate::models::recognizer::rank(&p, top);
                if json {
                    let top: Vec<_> = ranked.iter().map(|r| serde_json::json!({"char": r.ch.to_string(), "prob": r.prob})).collect();
                    println!("{}", serde_json::json!({"file": shown, "top": top}));
                } else {
                    let cands: Vec<String> = ranked
                        .iter()
                        .map(|r| {
                            let romaji = classes::get(r.class).map(|c| c.romaji()).unwrap_or_default();
                            format!("{} {} {:.1}%", r.ch, romaji, 100.0 * r.prob)
                        })
                        .collect();
                    println!("{shown}: {}", cands.join(" | "));
                }
            }
            Err(e) => {
                failed = true;
                if json {
                    println!("{}", serde_json::json!({"file": shown, "error": e.to_string()}));
                } else {
                    eprintln!("{shown}: error: {e}");
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
    let done = crate::data::download::download_k49(out, base, true, |name, got, total| {
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
