//! `fude eval-gen`: the generator's figures, printed as text or JSON.

use super::generate::load_generator;
use crate::data::classes::NUM_CLASSES;
use crate::data::spec::{self, OpenOptions};
use crate::data::Split;
use crate::ink::preprocess::boxed_input;
use crate::models::generator::Prior;
use crate::models::{Checkpoint, CpuRecognizer};
use crate::training::generator::{evaluate_generator, GENERATOR_EVAL_AUGMENT};
use crate::training::generator::quality::{decode_times, diversity, recognizability, sample_inputs, style_sheet_recognizability, Recognizability};
use anyhow::Result;
use serde::Serialize;
use std::path::PathBuf;

/// What `fude eval-gen` was asked.
pub struct EvalGenArgs {
    /// Generator checkpoint (default: bundled).
    pub model: Option<PathBuf>,
    /// Recognizer checkpoint (default: bundled).
    pub recognizer: Option<PathBuf>,
    /// Held-out data specs.
    pub data: String,
    /// Samples per class.
    pub per_class: usize,
    /// Latent spread.
    pub temperature: f32,
    /// Encoded held-out characters for the style sheets.
    pub styles: usize,
    /// Seed.
    pub seed: u64,
    /// JSON output.
    pub json: bool,
}

/// Held-out −ELBO of one set.
#[derive(Serialize)]
struct HeldOutElbo {
    set: String,
    images: usize,
    neg_elbo: f64,
    reconstruction: f64,
    kl: f64,
}

/// Everything `eval-gen` measures.
#[derive(Serialize)]
struct GenReport {
    side: usize,
    latent: usize,
    active_dims: usize,
    held_out: Vec<HeldOutElbo>,
    recognizability: Vec<Recognizability>,
    style_sheet: f64,
    style_sources: usize,
    diversity_samples: f64,
    diversity_real: f64,
    diversity_ratio: f64,
    decode_one_ms: f64,
    decode_sheet_ms: f64,
}

/// `fude eval-gen`.
pub fn eval_gen_cmd(a: &EvalGenArgs) -> Result<()> {
    super::generate::check_temperature(a.temperature)?;
    let specs = spec::parse(std::slice::from_ref(&a.data))?;
    let g = load_generator(a.model.as_deref())?;
    let rec_ck = Checkpoint::load_or_bundled(a.recognizer.as_deref(), &candle_core::Device::Cpu)?;
    let rec = CpuRecognizer::new(&rec_ck.model)?;
    let side = g.side();
    let per_class = a.per_class.clamp(2, 500);
    let mut held_out = Vec::new();
    let mut real_by_class = vec![Vec::new(); NUM_CLASSES];
    let mut style_pool = Vec::new();
    for s in &specs {
        let src = s.open(Split::Test, OpenOptions::default())?;
        let ink = src.eval_ink(side as u32, GENERATOR_EVAL_AUGMENT);
        let set: Vec<(Vec<f32>, usize)> = ink.iter().map(|(img, c)| (boxed_input(img, side), *c)).collect();
        if set.is_empty() {
            anyhow::bail!("{s}: no held-out data to evaluate ({} holds none yet)", src.name());
        }
        let e = evaluate_generator(&g.model, &set)?;
        held_out.push(HeldOutElbo { set: src.name(), images: set.len(), neg_elbo: e.neg_elbo, reconstruction: e.reconstruction, kl: e.kl });
        for (img, c) in &ink {
            if let Some(v) = real_by_class.get_mut(*c) {
                if v.len() < per_class {
                    v.push(crate::ink::model_input(img));
                }
            }
        }
        style_pool.extend(ink);
    }
    let every = style_pool.len().div_ceil(a.styles.max(1)).max(1);
    let styles: Vec<_> = style_pool.into_iter().step_by(every).take(a.styles.max(1)).collect();
    let mut recs = Vec::new();
    for prior in [Prior::Fitted, Prior::Standard] {
        recs.push(recognizability(&g, &rec, per_class, prior, a.temperature, a.seed)?);
    }
    let style_sheet = style_sheet_recognizability(&g, &rec, &styles)?;
    let diversity_samples = diversity(&rec, &sample_inputs(&g, per_class, Prior::Fitted, a.temperature, a.seed)?)?;
    let diversity_real = diversity(&rec, &real_by_class)?;
    let (decode_one_ms, decode_sheet_ms) = decode_times(&g)?;
    let report = GenReport {
        side,
        latent: g.latent(),
        active_dims: g.stats().active_dims().len(),
        held_out,
        recognizability: recs,
        style_sheet,
        style_sources: styles.len(),
        diversity_samples,
        diversity_real,
        diversity_ratio: diversity_samples / diversity_real,
        decode_one_ms,
        decode_sheet_ms,
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!("generator: {side}x{side}, {} latent dims, {} active", report.latent, report.active_dims);
    for h in &report.held_out {
        println!("held-out {} ({} images): -ELBO {:.1} nats/image (reconstruction {:.1}, KL {:.2})", h.set, h.images, h.neg_elbo, h.reconstruction, h.kl);
    }
    for r in &report.recognizability {
        let worst: Vec<String> = r.worst.iter().map(|(c, s)| format!("{c} {:.0}%", 100.0 * s)).collect();
        let voiced = r.voiced_worst.as_ref().map(|(c, s)| format!("{c} {:.0}%", 100.0 * s)).unwrap_or_default();
        println!(
            "recognizability ({:?} prior, T={}, {} per class): {:.2}%; worst: {}; worst with a (han)dakuten: {voiced}; blur {:.3}",
            r.prior,
            r.temperature,
            r.per_class,
            100.0 * r.overall,
            worst.join(", "),
            r.blur
        );
    }
    println!("style sheets ({} held-out characters, each decoded as the other 179 kana): {:.2}% read as asked", report.style_sources, 100.0 * style_sheet);
    println!(
        "diversity (mean pairwise distance in recognizer features): samples {:.3}, real held-out {:.3}, ratio {:.2}",
        diversity_samples, diversity_real, report.diversity_ratio
    );
    println!("decode on one core: one sample {decode_one_ms:.3} ms, 180-kana sheet {decode_sheet_ms:.1} ms");
    Ok(())
}
