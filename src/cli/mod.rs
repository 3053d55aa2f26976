//! The `fude` command line: `train`, `eval`, `predict`, `samples` and `bench`. Errors are reported
//! here, once, with `anyhow` context; the library returns typed errors.

mod commands;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// fude (筆): kana handwriting recognition.
#[derive(Debug, Parser)]
#[command(name = "fude", version, about, long_about = None)]
pub struct Cli {
    /// What to do; without a command, the desktop app opens.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// App: use this checkpoint instead of the bundled model.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// App: replay scripted strokes, print frame-time percentiles and quit.
    #[arg(long)]
    pub bench_ui: bool,
}

/// Options shared by commands that read data.
#[derive(Debug, clap::Args)]
pub struct DataArgs {
    /// Data sources: SPEC[,SPEC...] with SPEC = k49=DIR | npz=IMGS,LABELS,CLASSMAP | fonts | drawings,
    /// each optionally @WEIGHT (e.g. fonts@2). May be repeated.
    #[arg(long = "data", required = true, num_args = 1)]
    pub data: Vec<String>,
    /// Images per class held out of npz sources for evaluation (the first in file order).
    #[arg(long, default_value_t = 200)]
    pub holdout: usize,
    /// Skip the md5 check of Kuzushiji-49 files (for modified copies).
    #[arg(long)]
    pub no_verify: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train (or resume training) a recognizer.
    Train {
        /// Data sources and how to open them.
        #[command(flatten)]
        data: DataArgs,
        /// Checkpoint to write (PATH.safetensors + PATH.json), after every epoch.
        #[arg(long)]
        out: PathBuf,
        /// Total epochs.
        #[arg(long, default_value_t = 10)]
        epochs: usize,
        /// Batch size.
        #[arg(long, default_value_t = 128)]
        batch: usize,
        /// Peak learning rate.
        #[arg(long, default_value_t = 2e-3)]
        lr: f64,
        /// Random seed (data order, augmentation, initialisation).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Samples per epoch.
        #[arg(long, default_value_t = 51_200)]
        epoch_size: usize,
        /// auto, cpu, cuda or metal.
        #[arg(long, default_value = "auto")]
        device: String,
        /// Continue from this checkpoint (its epoch count; optimiser moments restart).
        #[arg(long)]
        resume: Option<PathBuf>,
    },
    /// Evaluate a recognizer on held-out data.
    Eval {
        /// Checkpoint (default: the bundled model).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Data sources and how to open them.
        #[command(flatten)]
        data: DataArgs,
        /// Evaluate the training split instead of the held-out one.
        #[arg(long)]
        train_split: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// auto, cpu, cuda or metal.
        #[arg(long, default_value = "auto")]
        device: String,
    },
    /// Recognize images (PNG, JPEG, BMP, ...) or drawing .json files.
    Predict {
        /// Checkpoint (default: the bundled model).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Candidates per file.
        #[arg(long, default_value_t = 5)]
        top: usize,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// auto, cpu, cuda or metal.
        #[arg(long, default_value = "cpu")]
        device: String,
        /// Files to recognize.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Write a PNG grid of model inputs drawn from data sources (to see what training sees).
    Samples {
        /// Data sources and how to open them.
        #[command(flatten)]
        data: DataArgs,
        /// Output PNG.
        #[arg(long)]
        out: PathBuf,
        /// Number of samples (a square grid).
        #[arg(long, default_value_t = 100)]
        count: usize,
        /// Seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Show the held-out split.
        #[arg(long)]
        test_split: bool,
    },
    /// Download Kuzushiji-49 (the official files, size- and md5-checked) into a folder.
    DownloadK49 {
        /// Folder to download into (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Where the files are served.
        #[arg(long, default_value = crate::data::k49::DOWNLOAD_BASE)]
        base: String,
    },
    /// Measure speed: predict latency, data generation and training throughput.
    Bench {
        /// predict, data, train or all.
        #[arg(default_value = "all")]
        what: String,
    },
}

/// Runs the command line and returns the process exit code.
pub fn main() -> std::process::ExitCode {
    crate::tune_allocator();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(command) => commands::run(command),
        None => crate::app::run(crate::app::AppOptions {
            model: cli.model,
            bench_ui: cli.bench_ui,
        })
        .map(|()| std::process::ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
