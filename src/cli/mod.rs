//! The `fude` command line: `train`, `eval`, `predict`, `samples` and `bench`. Errors are reported
//! here, once, with `anyhow` context; the library returns typed errors.

mod commands;
mod eval_gen;
mod generate;
mod line;

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
    /// App: use this generator checkpoint instead of the bundled one.
    #[arg(long)]
    pub generator: Option<PathBuf>,
}

/// Options shared by commands that read data.
#[derive(Debug, clap::Args)]
pub struct DataArgs {
    /// Data sources: SPEC[,SPEC...] with SPEC = k49=DIR | npz=IMGS,LABELS,CLASSMAP | fonts | fonts=FONT+FONT... (bundled
    /// training font names or font files) | drawings | pens (drawings with real writers' habits, thin pens, specks, JPEG) | mine[=DIR] (kept handwriting) | scans[=box] (thin-pen scans of form cells, read as pictures or as boxes), each optionally @WEIGHT (e.g. fonts@2).
    /// May be repeated.
    #[arg(long = "data", required = true, num_args = 1)]
    pub data: Vec<String>,
    /// Images per class held out of npz sources for evaluation (the first in file order).
    #[arg(long, default_value_t = 200)]
    pub holdout: usize,
    /// Skip the md5 check of Kuzushiji-49 files (for modified copies).
    #[arg(long)]
    pub no_verify: bool,
}

/// The two kinds of model fude trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelKind {
    /// The CNN that reads kana.
    Recognizer,
    /// The VAE that writes kana.
    Generator,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train (or resume training) a recognizer or a generator.
    Train {
        /// What to train: recognizer or generator.
        #[arg(long = "model", value_enum, default_value_t = ModelKind::Recognizer)]
        kind: ModelKind,
        /// Data sources and how to open them.
        #[command(flatten)]
        data: DataArgs,
        /// Checkpoint to write (PATH.safetensors + PATH.json), after every epoch.
        #[arg(long)]
        out: PathBuf,
        /// Total epochs.
        #[arg(long, default_value_t = 10)]
        epochs: usize,
        /// Batch size [default: 128 for the recognizer, 64 for the generator].
        #[arg(long)]
        batch: Option<usize>,
        /// Peak learning rate [default: 2e-3 for the recognizer, 1e-3 for the generator].
        #[arg(long)]
        lr: Option<f64>,
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
        /// Start from this checkpoint's weights with a fresh epoch count and schedule (a
        /// fine-tune); `bundled` for the bundled model.
        #[arg(long, conflicts_with = "resume")]
        from: Option<PathBuf>,
        /// Recognizer from scratch: the four convolutions' output channels, such as 48,48,96,96
        /// [default: 32,32,64,64]. A resumed or fine-tuned model keeps its own.
        #[arg(long, conflicts_with_all = ["resume", "from"])]
        channels: Option<String>,
        /// Recognizer from scratch: the hidden fully connected layer's width [default: 256].
        #[arg(long, conflicts_with_all = ["resume", "from"])]
        hidden: Option<usize>,
        /// Recognizer from scratch: residual blocks in place of the second and fourth
        /// convolutions (fude-res; a block keeps its stage's width, so the second of `--channels`
        /// equals the first and the fourth the third).
        #[arg(long, conflicts_with_all = ["resume", "from"])]
        residual: bool,
        /// Recognizer: also learn the averaged reading of this frozen recognizer (a checkpoint,
        /// or `bundled`); give it once per teacher, up to 4, and again with `--resume`.
        #[arg(long = "teacher")]
        teachers: Vec<PathBuf>,
        /// Recognizer: the teachers' share of the loss, 0 to 1 [default: 0.5].
        #[arg(long, requires = "teachers")]
        teacher_weight: Option<f32>,
        /// Generator: letters per style group, which share one style latent (1: single images).
        #[arg(long)]
        style_group: Option<usize>,
        /// Generator: weight of the frozen recognizer's cross-entropy on what it writes (0: off).
        #[arg(long)]
        read_weight: Option<f64>,
        /// Generator: the sharpness (k in sigmoid(k · logit)) at which that recognizer reads it.
        #[arg(long)]
        read_sharpness: Option<f32>,
        /// Generator: distil this generator (`bundled` for the bundled one) into a new one with
        /// `--decoder-channels`; its encoder and the layers of the same shape are copied. Give
        /// both again with `--resume`.
        #[arg(long, requires = "decoder_channels", conflicts_with = "from")]
        distill_from: Option<PathBuf>,
        /// Generator: the distilled decoder's channels, one per stage, such as 32,16,8.
        #[arg(long, requires = "distill_from")]
        decoder_channels: Option<String>,
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
        /// Read the pictures of image sets (npz, k49, mine) as `predict` reads a picture file
        /// (cropped to the character unless framed like a dataset cell; under --script kuzushiji
        /// a 28x28 cell softened first, and the bundled model joined by the Kuzushiji reader, as
        /// under --script auto for a picture like a Kuzushiji-49 cell), not as writing boxes.
        #[arg(long)]
        as_pictures: bool,
        /// Which characters may be read, as `predict --script` limits them: all (the network's own
        /// ranking), hiragana, katakana or kuzushiji (Kuzushiji-49's 49 classes).
        #[arg(long, default_value = "all")]
        script: String,
        /// Also read every sample with this recognizer (B; `bundled` for the bundled one) and
        /// report, per set, the samples only one of the two reads right and the exact McNemar
        /// test of that difference (under `against` in JSON).
        #[arg(long)]
        against: Option<PathBuf>,
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
        /// Which characters may be read: auto, hiragana, katakana, kuzushiji (Kuzushiji-49's 49
        /// classes; a picture no larger than 28x28, as Kuzushiji-49 publishes its cells, is
        /// softened first, and the bundled model reads pictures together with the bundled
        /// Kuzushiji reader) or all. Auto reads look-alikes (り/リ) in the script of --context,
        /// and with the bundled model reads a picture like a Kuzushiji-49 cell (28x28 or less,
        /// light ink on dark) together with the Kuzushiji reader too.
        #[arg(long, default_value = "auto")]
        script: String,
        /// The text written so far, for --script auto.
        #[arg(long, default_value = "")]
        context: String,
        /// Read pictures as writing boxes (keeps small kana small) instead of cropping them to
        /// their ink.
        #[arg(long)]
        as_box: bool,
        /// Read each drawing (.json) as a line of kana written left to right: the best reading
        /// and up to 5 alternatives (with --json, each character's strokes and candidates).
        #[arg(long)]
        line: bool,
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
    /// Write kana with the generator: a sheet of samples, one PNG per sample, every kana in the
    /// style of a drawing, or a line of text.
    Generate {
        /// Generator checkpoint (default: the bundled generator).
        #[arg(long)]
        model: Option<PathBuf>,
        /// The kana to write.
        #[arg(long = "char")]
        ch: Option<String>,
        /// Several kana, one row each.
        #[arg(long)]
        chars: Option<String>,
        /// Every kana (a table).
        #[arg(long)]
        all: bool,
        /// Samples per kana.
        #[arg(long, default_value_t = 1)]
        count: usize,
        /// Seed of the random latents.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// The latent, comma-separated (instead of a random one).
        #[arg(long, allow_hyphen_values = true)]
        z: Option<String>,
        /// Spread of random latents (1 = as the training data).
        #[arg(long, default_value_t = 1.0)]
        temperature: f32,
        /// Where random latents come from: fitted (around the checked styles fit-latent kept, or
        /// the Gaussian fitted to held-out encodings) or standard (N(0, I), plainly).
        #[arg(long, default_value = "fitted")]
        prior: String,
        /// Encode this drawing (.json) or picture and write every kana (or --chars) in its style.
        #[arg(long)]
        style_from: Option<PathBuf>,
        /// The kana the --style-from character is (default: what the recognizer reads).
        #[arg(long)]
        class: Option<String>,
        /// Write this line of kana (a space leaves a gap) in one style: a random one, --z, or
        /// that of --style-from; one PNG.
        #[arg(long, conflicts_with_all = ["ch", "chars", "all"])]
        text: Option<String>,
        /// Output: a PNG sheet, or a folder (existing, or ending in /) for one PNG per sample.
        #[arg(long)]
        out: PathBuf,
    },
    /// Refit a generator's latent statistics (the sampling prior, the slider ranges and, with
    /// --check-styles, the checked styles) to held-out data, rewriting its sidecar; the weights
    /// stay.
    FitLatent {
        /// Generator checkpoint to update.
        #[arg(long)]
        model: PathBuf,
        /// Held-out data to encode.
        #[arg(long, default_value = "fonts,drawings")]
        data: String,
        /// Decode sharpness to record: a number (1 is the Bernoulli mean, higher is crisper and,
        /// as measured, less often read as the asked letter), or `blur=B` for the smallest
        /// sharpness whose random samples are at most B blurred; left as it is when not given.
        #[arg(long)]
        sharpness: Option<String>,
        /// Random styles to check: each is decoded as every kana and read by the bundled
        /// recognizer, and those it reads right become the styles random latents are drawn
        /// around (0: no checked styles, the Gaussian alone).
        #[arg(long, default_value_t = 0)]
        check_styles: usize,
        /// Kana a checked style may have misread.
        #[arg(long, default_value_t = 0)]
        style_misses: usize,
        /// Spread around a checked style, as a share of each dimension's spread.
        #[arg(long, default_value_t = crate::models::generator::latent::STYLE_JITTER)]
        style_jitter: f32,
        /// Random latents drawn around each style (with --style-jitter) for every kana and read
        /// as well as the style itself, so a kept style is one that sampling writes right.
        #[arg(long, default_value_t = crate::training::generator::quality::STYLE_DRAWS)]
        style_draws: usize,
    },
    /// Evaluate a generator: held-out -ELBO, recognizability, diversity, decode time.
    EvalGen {
        /// Generator checkpoint (default: the bundled generator).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Recognizer that judges the samples (default: the bundled recognizer).
        #[arg(long)]
        recognizer: Option<PathBuf>,
        /// Held-out data for the -ELBO, the style sheet and the real-data diversity.
        #[arg(long, default_value = "fonts,drawings")]
        data: String,
        /// Samples per class for recognizability and diversity.
        #[arg(long, default_value_t = 20)]
        per_class: usize,
        /// Spread of the random latents.
        #[arg(long, default_value_t = 1.0)]
        temperature: f32,
        /// Encoded held-out drawings for the style-sheet figure (each decoded as every kana).
        #[arg(long, default_value_t = 24)]
        styles: usize,
        /// Seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Measure speed: predict latency, data generation and training throughput.
    Bench {
        /// predict, data, train, generator, line (line reading on held-out word drawings) or all
        /// (all but line).
        #[arg(default_value = "all")]
        what: String,
        /// `predict`, `train`, `line`: the recognizer timed (default: the bundled model; `train`
        /// times a fresh network of its shape, and PyTorch the same shape); `generator`: a
        /// generator to time beside the bundled one.
        #[arg(long)]
        model: Option<PathBuf>,
        /// `train`: where candle and PyTorch train (cpu, cuda or metal; a GPU needs a build with
        /// its back end); the other benchmarks run on the CPU.
        #[arg(long, default_value = "cpu")]
        device: String,
        /// `train`, `generator`: rounds of candle then PyTorch (1 to 50, default 3); more rounds
        /// steady the median of the rounds' ratios on a shared machine.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
        rounds: u32,
    },
}

/// Runs the command line and returns the process exit code.
pub fn main() -> std::process::ExitCode {
    crate::tune_allocator();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(command) => {
            quiet_on_closed_pipe();
            commands::run(command)
        }
        None => crate::app::run(crate::app::AppOptions {
            model: cli.model,
            bench_ui: cli.bench_ui,
            generator: cli.generator,
            // The real app reads `$FUDE_DATA_DIR` (or the platform's folder) itself.
            data_dir: None,
        })
        .map(|()| std::process::ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // Errors quote what files hold (a sidecar's kind, a class name): never raw to the
            // terminal.
            eprintln!("error: {}", crate::text::escape_controls(&format!("{e:#}")));
            std::process::ExitCode::FAILURE
        }
    }
}

/// A command whose output goes to a pipe closed early (`fude predict ... | head -c 1`) ends
/// quietly, as other command-line tools do, instead of panicking on the failed write: the
/// default action of SIGPIPE is restored (Rust's runtime ignores it). Commands only: the app
/// keeps ignoring it.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to its default installs no handler; no memory is
    // touched.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
