//! How good a generator is, judged by the recognizer: recognizability (the share of samples the
//! recognizer reads as the asked class), the same for style sheets (a held-out character encoded,
//! then decoded as every kana), diversity (mean pairwise distance of samples of one class in the
//! recognizer's penultimate features, beside the same figure for real held-out data), and decode
//! time on one core.

use crate::data::classes::{self, NUM_CLASSES};
use crate::error::Result;
use crate::ink::{model_input, InkImage, ModelInput};
use crate::models::generator::cpu_decode::CpuDecoder;
use crate::models::generator::{GeneratorCheckpoint, LatentStats, Prior};
use crate::models::CpuRecognizer;
use rand::SeedableRng;
use rayon::prelude::*;
use serde::Serialize;
use std::time::Instant;

/// Recognizability of random samples.
#[derive(Debug, Clone, Serialize)]
pub struct Recognizability {
    /// Where the latents came from.
    pub prior: Prior,
    /// Spread of the latents.
    pub temperature: f32,
    /// Samples read as their class, over all samples.
    pub overall: f64,
    /// The ten classes read worst: (kana, share read right).
    pub worst: Vec<(String, f64)>,
    /// Samples per class.
    pub per_class: usize,
    /// Blur of the samples ([`blur`]).
    pub blur: f64,
    /// The class with a dakuten or handakuten read worst: (kana, share read right).
    pub voiced_worst: Option<(String, f64)>,
}

/// Whether a kana carries a dakuten or handakuten (が, ぱ, ヴ, ゞ ...).
fn is_voiced(class: usize) -> bool {
    classes::get(class).is_some_and(|k| k.has_voicing_mark())
}

/// The generated image as the recognizer sees it.
pub fn as_model_input(image: &[f32], side: usize) -> ModelInput {
    model_input(&InkImage { width: side, height: side, data: image.to_vec() })
}

/// Blur of pictures: of the pixels with ink (above 0.1 of full ink), the share that is mid-grey
/// (0.25 to 0.75). Fonts rendered at 64 px with antialiasing give 0.14–0.30.
pub fn blur<'a>(images: impl IntoIterator<Item = &'a [f32]>) -> f64 {
    let (mut inked, mut grey) = (0usize, 0usize);
    for img in images {
        for &v in img {
            if v > 0.1 {
                inked += 1;
                grey += usize::from((0.25..=0.75).contains(&v));
            }
        }
    }
    grey as f64 / inked.max(1) as f64
}

/// The blur of antialiased font renders (0.14–0.30 measured on eight handwriting fonts at 64 px).
pub const TARGET_BLUR: f64 = 0.25;

/// The smallest sharpness (1, 1.25, 1.5, ... 8) at which pictures decoded from `logits` (pixel
/// logits of random samples) are at most `target` blurred.
pub fn fit_sharpness(logits: &[Vec<f32>], target: f64) -> f32 {
    let sigmoid = |v: f32| 1.0 / (1.0 + (-v).exp());
    (4..=32)
        .map(|q| q as f32 / 4.0)
        .find(|&k| {
            let pics: Vec<Vec<f32>> = logits.iter().map(|l| l.iter().map(|&v| sigmoid(k * v)).collect()).collect();
            blur(pics.iter().map(Vec::as_slice)) <= target
        })
        .unwrap_or(8.0)
}

/// Decodes (class, latent) jobs in batches.
pub fn decode_all(g: &GeneratorCheckpoint, jobs: &[(usize, Vec<f32>)]) -> Result<Vec<Vec<f32>>> {
    let mut out = Vec::with_capacity(jobs.len());
    for chunk in jobs.chunks(256) {
        let refs: Vec<(usize, &[f32])> = chunk.iter().map(|(c, z)| (*c, z.as_slice())).collect();
        out.extend(g.decode(&refs)?);
    }
    Ok(out)
}

/// For each job, whether the recognizer's top-1 is the job's class.
fn read_right(rec: &CpuRecognizer, side: usize, jobs: &[(usize, Vec<f32>)], images: &[Vec<f32>]) -> Result<Vec<bool>> {
    jobs.par_iter()
        .zip(images)
        .map(|((c, _), img)| Ok(rec.top_k(&as_model_input(img, side), 1)?.first().is_some_and(|p| p.class == *c)))
        .collect()
}

/// `per_class` random samples of every class, read by `rec`.
pub fn recognizability(g: &GeneratorCheckpoint, rec: &CpuRecognizer, per_class: usize, prior: Prior, temperature: f32, seed: u64) -> Result<Recognizability> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let jobs: Vec<(usize, Vec<f32>)> =
        (0..NUM_CLASSES).flat_map(|c| (0..per_class).map(move |_| c)).map(|c| (c, g.sample_z(&mut rng, prior, c, temperature))).collect();
    let images = decode_all(g, &jobs)?;
    let right = read_right(rec, g.side(), &jobs, &images)?;
    let mut by_class = vec![(0usize, 0usize); NUM_CLASSES];
    for ((c, _), ok) in jobs.iter().zip(&right) {
        if let Some(e) = by_class.get_mut(*c) {
            e.0 += usize::from(*ok);
            e.1 += 1;
        }
    }
    let mut shares: Vec<(usize, String, f64)> = by_class
        .iter()
        .enumerate()
        .map(|(c, (ok, n))| (c, classes::get(c).map(|k| k.ch.to_string()).unwrap_or_default(), *ok as f64 / (*n).max(1) as f64))
        .collect();
    shares.sort_by(|a, b| a.2.total_cmp(&b.2));
    let voiced_worst = shares.iter().find(|(c, _, _)| is_voiced(*c)).map(|(_, k, s)| (k.clone(), *s));
    let worst = shares.into_iter().take(10).map(|(_, k, s)| (k, s)).collect();
    let overall = right.iter().filter(|&&r| r).count() as f64 / right.len().max(1) as f64;
    let blur = blur(images.iter().map(Vec::as_slice));
    Ok(Recognizability { prior, temperature, overall, worst, per_class, blur, voiced_worst })
}

/// How [`checked_styles`] searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StyleSearch {
    /// Random styles to check.
    pub candidates: usize,
    /// Kana a kept style may have misread.
    pub max_misses: usize,
    /// Most styles kept.
    pub keep: usize,
    /// Random latents drawn around each style for every kana ([`LatentStats::around_style`],
    /// what sampling writes), read as well as the style itself.
    pub draws: usize,
    /// Seed of the random styles.
    pub seed: u64,
}

/// Checked styles `fit-latent` and training keep at most.
pub const KEPT_STYLES: usize = 64;

/// Random latents around each style, for every kana, that `fit-latent` (by default) and training
/// read as well as the style itself.
pub const STYLE_DRAWS: usize = 1;

/// Most draws around each style `fit-latent` reads.
pub const MAX_STYLE_DRAWS: usize = 16;

/// The seed of the random styles `fit-latent` and training check.
pub const STYLE_SEED: u64 = 0x57_1E;

/// Checked styles for [`crate::models::generator::LatentStats::styles`]: `search.candidates`
/// offsets from the centre drawn from `stats`' Gaussian (seeded), each decoded by `decoder` at
/// `sharpness` as every kana, and as `search.draws` random latents around it for every kana
/// (with `stats`' jitter), all read by `rec`. Returns the offsets with at most
/// `search.max_misses` pictures misread, fewest misses first, at most `search.keep` of them, and
/// each candidate's misses (in the order drawn; the candidates do not depend on `search.draws`).
pub fn checked_styles(decoder: &CpuDecoder, sharpness: f32, stats: &LatentStats, rec: &CpuRecognizer, search: StyleSearch) -> Result<(Vec<Vec<f32>>, Vec<usize>)> {
    let stats = stats.gaussian();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(search.seed);
    let mut jitter_rng = rand_chacha::ChaCha8Rng::seed_from_u64(search.seed.wrapping_add(1));
    let centre0 = stats.centre(Prior::Fitted, 0);
    let mut found = Vec::new();
    let mut misses = Vec::with_capacity(search.candidates);
    for _ in 0..search.candidates {
        let z = stats.sample(&mut rng, Prior::Fitted, 0, 1.0);
        let offset: Vec<f32> = z.iter().zip(&centre0).map(|(v, c)| v - c).collect();
        let mut jobs: Vec<(usize, Vec<f32>)> =
            (0..NUM_CLASSES).map(|c| (c, stats.centre(Prior::Fitted, c).iter().zip(&offset).map(|(a, b)| a + b).collect())).collect();
        for _ in 0..search.draws {
            jobs.extend((0..NUM_CLASSES).map(|c| (c, stats.around_style(&mut jitter_rng, &offset, c, 1.0))));
        }
        let refs: Vec<(usize, &[f32])> = jobs.iter().map(|(c, z)| (*c, z.as_slice())).collect();
        let images = decoder.decode(&refs, sharpness)?;
        let wrong = read_right(rec, decoder.side(), &jobs, &images)?.iter().filter(|&&r| !r).count();
        misses.push(wrong);
        if wrong <= search.max_misses {
            found.push((wrong, offset));
        }
    }
    found.sort_by_key(|(m, _)| *m);
    Ok((found.into_iter().take(search.keep).map(|(_, o)| o).collect(), misses))
}

/// Style sheets: each `(ink, class)` is encoded as its class, moved to every other kana
/// ([`crate::models::generator::LatentStats::transfer`]) and decoded; the share of those cells
/// the recognizer reads as their kana.
pub fn style_sheet_recognizability(g: &GeneratorCheckpoint, rec: &CpuRecognizer, styles: &[(InkImage, usize)]) -> Result<f64> {
    let inks: Vec<&InkImage> = styles.iter().map(|(i, _)| i).collect();
    let own: Vec<usize> = styles.iter().map(|(_, c)| *c).collect();
    let zs = g.encode(&inks, &own)?;
    let stats = g.stats();
    let jobs: Vec<(usize, Vec<f32>)> = zs
        .iter()
        .zip(&own)
        .flat_map(|(z, &o)| (0..NUM_CLASSES).filter(move |&c| c != o).map(move |c| (c, stats.transfer(z, o, c))))
        .collect();
    let images = decode_all(g, &jobs)?;
    let right = read_right(rec, g.side(), &jobs, &images)?;
    Ok(right.iter().filter(|&&r| r).count() as f64 / right.len().max(1) as f64)
}

/// Mean over classes of the mean pairwise Euclidean distance between the recognizer's penultimate
/// features of that class's inputs (classes with fewer than two inputs are skipped).
pub fn diversity(rec: &CpuRecognizer, by_class: &[Vec<ModelInput>]) -> Result<f64> {
    let per_class: Vec<Option<f64>> = by_class
        .par_iter()
        .map(|inputs| -> Result<Option<f64>> {
            if inputs.len() < 2 {
                return Ok(None);
            }
            let feats: Vec<Vec<f32>> = inputs.iter().map(|i| Ok(rec.features_and_probabilities(i)?.0)).collect::<Result<_>>()?;
            let (mut sum, mut n) = (0f64, 0usize);
            for (i, a) in feats.iter().enumerate() {
                for b in feats.iter().skip(i + 1) {
                    sum += a.iter().zip(b).map(|(p, q)| f64::from(p - q).powi(2)).sum::<f64>().sqrt();
                    n += 1;
                }
            }
            Ok(Some(sum / n.max(1) as f64))
        })
        .collect::<Result<_>>()?;
    let v: Vec<f64> = per_class.into_iter().flatten().collect();
    Ok(v.iter().sum::<f64>() / v.len().max(1) as f64)
}

/// Random samples of every class as recognizer inputs, grouped by class.
pub fn sample_inputs(g: &GeneratorCheckpoint, per_class: usize, prior: Prior, temperature: f32, seed: u64) -> Result<Vec<Vec<ModelInput>>> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0xD1);
    let jobs: Vec<(usize, Vec<f32>)> =
        (0..NUM_CLASSES).flat_map(|c| (0..per_class).map(move |_| c)).map(|c| (c, g.sample_z(&mut rng, prior, c, temperature))).collect();
    let images = decode_all(g, &jobs)?;
    let mut by_class = vec![Vec::new(); NUM_CLASSES];
    for ((c, _), img) in jobs.iter().zip(&images) {
        if let Some(v) = by_class.get_mut(*c) {
            v.push(as_model_input(img, g.side()));
        }
    }
    Ok(by_class)
}

/// Median milliseconds to decode one sample, and a whole 180-kana sheet, on one thread, as the
/// app and `generate` decode (on the CPU: [`crate::models::generator::cpu_decode`]).
pub fn decode_times(g: &GeneratorCheckpoint) -> Result<(f64, f64)> {
    time_decoding(g, |jobs| g.decode(jobs).map(drop))
}

/// The same through candle's ops ([`GeneratorCheckpoint::decode_with_candle`]): the peer the CPU
/// decoder is measured against.
pub fn decode_times_candle(g: &GeneratorCheckpoint) -> Result<(f64, f64)> {
    time_decoding(g, |jobs| g.decode_with_candle(jobs).map(drop))
}

/// Median milliseconds of `decode` for one sample and for a 180-kana sheet, on one thread.
fn time_decoding(g: &GeneratorCheckpoint, decode: impl Fn(&[(usize, &[f32])]) -> Result<()> + Sync) -> Result<(f64, f64)> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| crate::Error::Invalid(format!("cannot start a one-thread pool: {e}")))?;
    pool.install(|| {
        let z = g.stats().centre(Prior::Fitted, 0);
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
        };
        let mut one = Vec::new();
        for i in 0..60 {
            let t = Instant::now();
            decode(&[(i % NUM_CLASSES, z.as_slice())])?;
            one.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let sheet_jobs: Vec<(usize, &[f32])> = (0..NUM_CLASSES).map(|c| (c, z.as_slice())).collect();
        let mut sheet = Vec::new();
        for _ in 0..7 {
            let t = Instant::now();
            decode(&sheet_jobs)?;
            sheet.push(t.elapsed().as_secs_f64() * 1e3);
        }
        Ok((median(one.split_off(10)), median(sheet.split_off(2))))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voiced_kana_are_known_by_their_romaji() {
        let voiced: Vec<char> = (0..NUM_CLASSES).filter(|&c| is_voiced(c)).filter_map(|c| classes::get(c).map(|k| k.ch)).collect();
        for ch in ['が', 'ぱ', 'ぢ', 'ヴ', 'ボ', 'ジ'] {
            assert!(voiced.contains(&ch), "{ch}");
        }
        for ch in ['か', 'は', 'つ', 'ン', 'ゃ'] {
            assert!(!voiced.contains(&ch), "{ch}");
        }
    }

    #[test]
    fn blur_counts_mid_grey_ink_and_sharpness_removes_it() {
        assert_eq!(blur([[0.0f32, 0.05, 1.0, 0.5].as_slice()]), 0.5);
        assert_eq!(blur([[0.0f32; 4].as_slice()]), 0.0);
        // Logits with a soft ramp: plain sigmoid leaves much grey, the fitted sharpness less.
        let logits: Vec<Vec<f32>> = vec![(0..64).map(|i| (i as f32 - 32.0) / 8.0).collect()];
        let plain: Vec<f32> = logits[0].iter().map(|&v| 1.0 / (1.0 + (-v).exp())).collect();
        assert!(blur([plain.as_slice()]) > TARGET_BLUR);
        let k = fit_sharpness(&logits, TARGET_BLUR);
        assert!(k > 1.0 && k <= 8.0, "{k}");
        let sharp: Vec<f32> = logits[0].iter().map(|&v| 1.0 / (1.0 + (-k * v).exp())).collect();
        assert!(blur([sharp.as_slice()]) <= TARGET_BLUR);
    }
}
