//! The generator's commands: `generate` and `fit-latent` (training goes through `fude train`).

use super::commands::command_line;
use crate::app::generator::pictures::on_paper;
use crate::models::generator::lettering::{export_scale, text_cells, upscale, write_line, EXPORT_CELL};
use crate::data::classes;
use crate::data::spec;
use crate::ink::raster::{rasterize, MODEL_PEN_WIDTH};
use crate::ink::picture::crop_character;
use crate::ink::{model_input, Drawing, InkImage};
use crate::models::generator::{GeneratorCheckpoint, Prior};
use crate::models::{Checkpoint, CpuRecognizer};
use rand::SeedableRng;
use std::path::PathBuf;
use anyhow::{bail, Context, Result};
use std::path::Path;

/// Loads `--model` or the bundled generator (on the CPU).
pub fn load_generator(path: Option<&Path>) -> Result<GeneratorCheckpoint> {
    Ok(GeneratorCheckpoint::load_or_bundled(path, &candle_core::Device::Cpu)?)
}

/// The characters `--char`, `--chars` or `--all` ask for, as class indices.
fn asked_classes(ch: Option<&str>, chars: Option<&str>, all: bool) -> Result<Vec<usize>> {
    if all {
        return Ok((0..classes::NUM_CLASSES).collect());
    }
    let text: String = [ch, chars].into_iter().flatten().collect();
    if text.is_empty() {
        bail!("say what to write: --char あ, --chars あいう, --all or --style-from FILE");
    }
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| classes::index_of(c).with_context(|| format!("{c:?} is not one of the 180 kana fude writes")))
        .collect()
}

/// Parses `--z z0,z1,...` for a generator of `latent` dimensions.
fn parse_z(text: &str, latent: usize) -> Result<Vec<f32>> {
    let z: Vec<f32> = text
        .split(',')
        .map(|t| t.trim().parse::<f32>().with_context(|| format!("--z: {t:?} is not a number")))
        .collect::<Result<_>>()?;
    if z.len() != latent || z.iter().any(|v| !v.is_finite()) {
        bail!("--z needs {latent} finite numbers for this generator, got {}", z.len());
    }
    Ok(z)
}

/// Fewest held-out images of every kana `fit-latent` refits on.
pub const MIN_FIT_PER_CLASS: usize = 5;

/// Most samples one `generate` call writes (e.g. `--all --count 55`).
pub const MAX_SAMPLES: usize = 10_000;

/// The largest `--temperature` (the spread of random latents; 1 is the training data's).
pub const MAX_TEMPERATURE: f32 = 10.0;

/// Refuses a `--temperature` that is not a number from 0 to [`MAX_TEMPERATURE`], naming it.
pub fn check_temperature(t: f32) -> Result<()> {
    if !(t.is_finite() && (0.0..=MAX_TEMPERATURE).contains(&t)) {
        bail!("--temperature {t}: the spread of random latents must be a number from 0 to {MAX_TEMPERATURE} (1 = as the training data)");
    }
    Ok(())
}

/// The class and ink image of `--style-from` (a drawing `.json` or a picture). A picture is
/// read as `predict` reads it: cropped to its character (a frame around it is the writing box),
/// with the same refusals.
fn style_source(path: &Path, class: Option<&str>, side: usize) -> Result<(usize, InkImage)> {
    let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let ink = if is_json {
        let d = Drawing::load(path)?;
        if d.is_empty() {
            bail!("{}: the drawing has no strokes", path.display());
        }
        rasterize(&d, (side * 2) as u32, MODEL_PEN_WIDTH)
    } else {
        let picture = InkImage::load(path)?;
        crop_character(&picture).map_err(|reason| crate::Error::file(path, reason))?.image
    };
    let class = match class {
        Some(c) => {
            let mut it = c.chars();
            match (it.next(), it.next()) {
                (Some(ch), None) => classes::index_of(ch).with_context(|| format!("--class {ch:?} is not one of the 180 kana"))?,
                _ => bail!("--class takes one kana, got {c:?}"),
            }
        }
        None => {
            let rec = CpuRecognizer::new(&Checkpoint::bundled(&candle_core::Device::Cpu)?.model)?;
            let input = model_input(&ink);
            if crate::ink::is_blank(&input) {
                bail!("{}: no ink found", path.display());
            }
            let top = rec.top_k(&input, 1)?;
            let best = top.first().context("the recognizer gave no candidate")?;
            println!("{} reads as {} ({:.1}%): encoding it as that class", shown(path), best.ch, 100.0 * best.prob);
            best.class
        }
    };
    Ok((class, ink))
}

/// What `fude generate` was asked.
pub struct GenerateArgs {
    /// Generator checkpoint (default: bundled).
    pub model: Option<PathBuf>,
    /// One kana.
    pub ch: Option<String>,
    /// Several kana.
    pub chars: Option<String>,
    /// Every kana.
    pub all: bool,
    /// Samples per kana.
    pub count: usize,
    /// Seed of the random latents.
    pub seed: u64,
    /// A latent given in full.
    pub z: Option<String>,
    /// Spread of the random latents.
    pub temperature: f32,
    /// Where random latents come from.
    pub prior: String,
    /// Encode this drawing or picture and write every kana in its style.
    pub style_from: Option<PathBuf>,
    /// The class of the `style_from` character.
    pub class: Option<String>,
    /// A line of kana to write in one style.
    pub text: Option<String>,
    /// Sheet PNG, or a folder for one PNG per sample.
    pub out: PathBuf,
}

/// `fude generate --text`: the line in one style (that of `--style-from`, `--z`, or a random
/// one for its first letter), as one PNG with letters of at least [`EXPORT_CELL`] pixels.
fn text_cmd(g: &GeneratorCheckpoint, text: &str, a: &GenerateArgs, rng: &mut impl rand::Rng) -> Result<()> {
    let cells = text_cells(text)?;
    if a.out.is_dir() || a.out.to_string_lossy().ends_with(std::path::MAIN_SEPARATOR) {
        bail!("--text writes one PNG: give --out a file name such as line.png");
    }
    let first = cells.iter().flatten().next().copied().context("nothing to write: the text has only spaces")?;
    let (class, z) = match (&a.style_from, &a.z) {
        (Some(path), _) => {
            let (class, ink) = style_source(path, a.class.as_deref(), g.side())?;
            (class, g.encode(&[&ink], &[class])?.into_iter().next().context("no encoding")?)
        }
        (None, Some(z)) => (first, parse_z(z, g.latent())?),
        (None, None) => (first, g.sample_z(rng, a.prior.parse::<Prior>()?, first, a.temperature)),
    };
    let line = write_line(g, &z, class, &cells, cells.len())?;
    on_paper(&upscale(&line, export_scale(g.side(), EXPORT_CELL))).save_png(&a.out)?;
    println!("wrote {} ({} letters in one style): {}", a.out.display(), cells.iter().flatten().count(), text.trim());
    Ok(())
}

/// `fude generate`.
pub fn generate_cmd(a: &GenerateArgs) -> Result<()> {
    check_temperature(a.temperature)?;
    let to_dir = a.out.is_dir() || a.out.to_string_lossy().ends_with(std::path::MAIN_SEPARATOR);
    if !to_dir {
        crate::error::check_replaceable(&a.out)?;
    }
    let g = load_generator(a.model.as_deref())?;
    let side = g.side();
    let prior: Prior = a.prior.parse()?;
    let count = a.count.max(1);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(a.seed);
    if let Some(text) = &a.text {
        return text_cmd(&g, text, a, &mut rng);
    }
    let (jobs, cols): (Vec<(usize, Vec<f32>)>, usize) = if let Some(path) = &a.style_from {
        let (class, ink) = style_source(path, a.class.as_deref(), side)?;
        let z = g.encode(&[&ink], &[class])?.into_iter().next().context("no encoding")?;
        let targets = if a.all || (a.ch.is_none() && a.chars.is_none()) {
            (0..classes::NUM_CLASSES).collect()
        } else {
            asked_classes(a.ch.as_deref(), a.chars.as_deref(), false)?
        };
        let cols = if targets.len() >= 30 { 15 } else { targets.len() };
        (targets.into_iter().map(|c| (c, g.stats().transfer(&z, class, c))).collect(), cols)
    } else {
        let targets = asked_classes(a.ch.as_deref(), a.chars.as_deref(), a.all)?;
        let total = targets.len().saturating_mul(count);
        if total > MAX_SAMPLES {
            bail!("{} kana x {count} samples = {total} samples: the limit for one call is {MAX_SAMPLES}", targets.len());
        }
        let fixed = a.z.as_deref().map(|t| parse_z(t, g.latent())).transpose()?;
        let mut jobs = Vec::new();
        for &c in &targets {
            for _ in 0..count {
                let z = fixed.clone().unwrap_or_else(|| g.sample_z(&mut rng, prior, c, a.temperature));
                jobs.push((c, z));
            }
        }
        let cols = if count > 1 { count } else if targets.len() >= 30 { 15 } else { targets.len() };
        (jobs, cols)
    };
    let refs: Vec<(usize, &[f32])> = jobs.iter().map(|(c, z)| (*c, z.as_slice())).collect();
    let mut images = Vec::with_capacity(jobs.len());
    for chunk in refs.chunks(256) {
        images.extend(g.decode(chunk)?);
    }
    if to_dir {
        std::fs::create_dir_all(&a.out).with_context(|| format!("cannot create {}", a.out.display()))?;
        // What a run killed midway left (its temporary files) goes; its PNGs are not mixed with
        // this run's.
        crate::error::remove_stale_temps_in(&a.out);
        let earlier = earlier_samples(&a.out);
        if let Some(first) = earlier.first() {
            bail!(
                "{}: the folder already holds {} PNGs of an earlier generate (e.g. {first}): choose an empty folder or remove them first",
                a.out.display(),
                earlier.len()
            );
        }
        for (i, ((c, _), img)) in jobs.iter().zip(&images).enumerate() {
            let ch = classes::get(*c).map(|k| k.ch as u32).unwrap_or(0);
            let path = a.out.join(format!("{i:04}-u{ch:04x}.png"));
            InkImage::sheet(&[img.as_slice()], side, 1, 0).save_png(&path)?;
        }
        println!("wrote {} PNGs into {}", images.len(), a.out.display());
    } else {
        crate::error::remove_stale_temps(&a.out);
        let cells: Vec<&[f32]> = images.iter().map(Vec::as_slice).collect();
        InkImage::sheet(&cells, side, cols, side / 8).save_png(&a.out)?;
        let text: String = jobs.iter().filter_map(|(c, _)| classes::get(*c)).map(|k| k.ch).collect();
        println!("wrote {} ({} samples of {side}x{side}, row by row): {text}", a.out.display(), images.len());
    }
    Ok(())
}

/// The names of the PNGs an earlier `generate --out DIR/` wrote into `dir` (`NNNN-uXXXX.png`).
fn earlier_samples(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let ours = |n: &str| {
        n.strip_suffix(".png").and_then(|n| n.split_once("-u")).is_some_and(|(i, c)| {
            i.len() >= 4 && i.bytes().all(|b| b.is_ascii_digit()) && !c.is_empty() && c.bytes().all(|b| b.is_ascii_hexdigit())
        })
    };
    let mut names: Vec<String> = entries.flatten().map(|e| e.file_name().to_string_lossy().to_string()).filter(|n| ours(n)).collect();
    names.sort();
    names
}

/// A path as shown in the terminal, control characters escaped.
fn shown(path: &Path) -> String {
    crate::text::escape_controls(&path.display().to_string())
}

/// What `fit-latent` checks styles with ([`crate::models::generator::LatentStats::styles`]).
pub struct StyleCheck {
    /// Random styles to check (0: none).
    pub candidates: usize,
    /// Kana a kept style may have misread.
    pub max_misses: usize,
    /// Spread around a kept style, as a share of each dimension's spread.
    pub jitter: f32,
    /// Random latents around each style read for every kana, besides the style itself.
    pub draws: usize,
}

/// Most random styles `fit-latent` checks.
pub const MAX_STYLE_CANDIDATES: usize = 4096;

/// `fude fit-latent`: re-encodes the held-out data of `data` with the generator at `model` and
/// rewrites the latent statistics in its sidecar (atomically), with checked styles when `check`
/// asks for them; the weights stay as they are.
pub fn fit_latent_cmd(model: &Path, data: &str, sharpness: Option<&str>, check: &StyleCheck) -> Result<()> {
    use crate::training::generator::{evaluate_generator, latent_stats};
    if check.candidates > MAX_STYLE_CANDIDATES {
        bail!("--check-styles {}: at most {MAX_STYLE_CANDIDATES}", check.candidates);
    }
    if check.draws > crate::training::generator::quality::MAX_STYLE_DRAWS {
        bail!("--style-draws {}: at most {}", check.draws, crate::training::generator::quality::MAX_STYLE_DRAWS);
    }
    if !(0.0..=crate::models::generator::latent::MAX_STYLE_JITTER).contains(&check.jitter) {
        bail!("--style-jitter {}: a share from 0 to {}", check.jitter, crate::models::generator::latent::MAX_STYLE_JITTER);
    }
    let g = GeneratorCheckpoint::load(model, &candle_core::Device::Cpu)?;
    let specs = spec::parse(&[data.to_string()])?;
    let sets = crate::training::generator::run::held_out_images(&specs, crate::data::OpenOptions::default(), g.side())?;
    // Too little held-out data would replace the fitted prior by a worse one (with none, by
    // N(0, I)): refused, and the model file stays as it is.
    let mut per_class = vec![0usize; classes::NUM_CLASSES];
    for (_, set) in &sets {
        for (_, c) in set {
            if let Some(n) = per_class.get_mut(*c) {
                *n += 1;
            }
        }
    }
    let thin: Vec<char> = per_class.iter().enumerate().filter(|(_, &n)| n < MIN_FIT_PER_CLASS).filter_map(|(c, _)| classes::get(c).map(|k| k.ch)).collect();
    if !thin.is_empty() {
        let shown: String = thin.iter().take(20).collect();
        bail!(
            "{data}: {} of {} kana have fewer than {MIN_FIT_PER_CLASS} held-out images (e.g. {shown}); refitting on so little would replace the fitted prior of {} with a worse one, so it is left as it is",
            thin.len(),
            classes::NUM_CLASSES,
            model.display()
        );
    }
    let evals = sets.iter().map(|(_, set)| evaluate_generator(&g.model, set)).collect::<crate::Result<Vec<_>>>()?;
    let mut sidecar = g.sidecar.clone();
    sidecar.latent = latent_stats(&evals, g.latent(), !g.style_only());
    if let Some(s) = sharpness {
        sidecar.sharpness = match s.strip_prefix("blur=") {
            Some(b) => {
                let target: f64 = b.parse().with_context(|| format!("--sharpness blur={b}: not a number"))?;
                let logits = crate::training::generator::sample_logits(&g.model, &sidecar.latent, 2, 0x5A4B)?;
                crate::training::generator::quality::fit_sharpness(&logits, target)
            }
            None => s.parse().with_context(|| format!("--sharpness {s}: a number or blur=B"))?,
        };
        let range = crate::models::generator::checkpoint::SHARPNESS_RANGE;
        if !range.contains(&sidecar.sharpness) {
            bail!("--sharpness {}: outside {range:?}", sidecar.sharpness);
        }
    }
    sidecar.latent.style_jitter = check.jitter;
    if check.candidates > 0 {
        let rec_ck = crate::models::Checkpoint::bundled(&candle_core::Device::Cpu)?;
        let rec = crate::models::CpuRecognizer::new(&rec_ck.model)?;
        use crate::training::generator::quality::{checked_styles, StyleSearch, KEPT_STYLES, STYLE_SEED};
        let decoder = crate::models::generator::cpu_decode::CpuDecoder::new(&g.model)?;
        let search = StyleSearch { candidates: check.candidates, max_misses: check.max_misses, keep: KEPT_STYLES, draws: check.draws, seed: STYLE_SEED };
        let (styles, misses) = checked_styles(&decoder, sidecar.sharpness, &sidecar.latent, &rec, search)?;
        let perfect = misses.iter().filter(|&&m| m == 0).count();
        println!(
            "checked {} random styles, each written as all {} kana and as {} random latents around it for each, read by the bundled recognizer: {perfect} read all right, {} within {} misses; kept {}",
            misses.len(),
            classes::NUM_CLASSES,
            check.draws,
            misses.iter().filter(|&&m| m <= check.max_misses).count(),
            check.max_misses,
            styles.len()
        );
        if styles.is_empty() {
            bail!("no random style passed the check: {} is left as it is (allow more misses with --style-misses)", model.display());
        }
        sidecar.latent.styles = styles;
    }
    sidecar.training.command = format!("{} ; latent statistics refitted: {}", sidecar.training.command, command_line());
    GeneratorCheckpoint::save(&g.model, &sidecar, model)?;
    let images: usize = sets.iter().map(|(_, s)| s.len()).sum();
    println!(
        "refitted the latent statistics of {} on {images} held-out images: {} active dimensions, {} class centres",
        model.display(),
        sidecar.latent.active_dims().len(),
        sidecar.latent.class_mean.len()
    );
    Ok(())
}
