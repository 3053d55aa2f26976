//! The bundled generator, judged by the bundled recognizer: style transfer from the scripted
//! drawings keeps the asked class, random samples are read as their class, the checked styles
//! write every kana, and a seed gives the same samples. (The full figures come from `fude eval-gen`; these are smaller, faster checks.)

use candle_core::Device;
use fude::data::classes::{self, NUM_CLASSES};
use fude::ink::raster::{rasterize, MODEL_PEN_WIDTH};
use fude::ink::Drawing;
use fude::models::generator::{GeneratorCheckpoint, LatentStats, Prior};
use fude::models::{Checkpoint, CpuRecognizer};
use fude::models::generator::cpu_decode::CpuDecoder;
use fude::training::generator::quality::{as_model_input, checked_styles, recognizability, StyleSearch};
use rand::SeedableRng;
use std::path::PathBuf;

/// The class of the full-size form of class `c` (itself when it is not a small kana).
fn full_size(c: usize) -> usize {
    classes::get(c).and_then(|k| fude::models::recognizer::reading::full_size_of(k.ch)).and_then(classes::index_of).unwrap_or(c)
}

fn models() -> (GeneratorCheckpoint, CpuRecognizer) {
    let g = GeneratorCheckpoint::bundled(&Device::Cpu).expect("the bundled generator (models/generator.*)");
    let r = Checkpoint::bundled(&Device::Cpu).expect("the bundled recognizer");
    (g, CpuRecognizer::new(&r.model).unwrap())
}

#[test]
fn style_from_scripted_drawings_keeps_the_asked_class() {
    let (g, rec) = models();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/examples");
    let targets: Vec<usize> = (0..NUM_CLASSES).step_by(4).collect();
    let (mut right, mut total) = (0, 0);
    for (file, ch) in [("a.json", 'あ'), ("ka.json", 'カ'), ("small-ya.json", 'ゃ')] {
        let d = Drawing::load(&root.join(file)).unwrap();
        let ink = rasterize(&d, 128, MODEL_PEN_WIDTH);
        let own = classes::index_of(ch).unwrap();
        let z = g.encode(&[&ink], &[own]).unwrap().remove(0);
        let moved: Vec<Vec<f32>> = targets.iter().map(|&c| g.stats().transfer(&z, own, c)).collect();
        let jobs: Vec<(usize, &[f32])> = targets.iter().zip(&moved).map(|(&c, z)| (c, z.as_slice())).collect();
        let images = g.decode(&jobs).unwrap();
        for (&c, img) in targets.iter().zip(&images) {
            let top = rec.top_k(&as_model_input(img, g.side()), 1).unwrap();
            // Size-blind, as the issue reads samples back: a style taken from a small kana
            // writes small, and a small kana read as its full-size form (or back) counts.
            right += usize::from(top.first().is_some_and(|p| full_size(p.class) == full_size(c)));
            total += 1;
        }
    }
    let share = right as f64 / total as f64;
    println!("style transfer from the scripted drawings: {right}/{total} read as asked (size-blind)");
    // Measured 128/135 (94.8%) with generator v3 (v2.1 distilled into a thin decoder) read by
    // the stage-9 recognizer; v2.1 125/135, its misses all in the style of the small ゃ, which
    // writes small (stage 9 reads small-and-low ink as small kana more readily). With the
    // recognizer before it, v2.1 read 129/135 exactly (v2: 120/135; the first generator, whose
    // latent held part of the letter: 81/135).
    assert!(share >= 0.93, "{share}");
}

#[test]
fn random_samples_are_read_as_their_class_and_a_seed_repeats_them() {
    let (g, rec) = models();
    let r = recognizability(&g, &rec, 2, Prior::Fitted, 1.0, 7).unwrap();
    println!("recognizability, 2 per class: {:.2}%, blur {:.3}", 100.0 * r.overall, r.blur);
    // Measured 100% around v3's 24 checked styles, read by the stage-12b recognizer (99.92% with
    // 20 per class in `fude eval-gen`; around the 42 stage 9 checked, 100% and 99.89%; v2.1 99.4%;
    // v2.1 from N(0, I): 98.3%; v2: 93.3%; the first generator: 86.9%).
    assert!(r.overall >= 0.99, "{}", r.overall);
    // Sharp: the share of mid-grey among inked pixels, measured 0.199 around the styles stage 12b
    // checked (0.218 around stage 9's; v2.1: 0.197; issue 22's target: at most 0.30; v2 decoded
    // the plain Bernoulli mean at 0.45).
    assert!(r.blur <= 0.23, "blur {}", r.blur);
    // The latent holds the style alone: N(0, I) itself writes the asked letter (the first
    // generator, whose latent held part of the letter, read 11% from N(0, I)).
    let plain = recognizability(&g, &rec, 2, Prior::Standard, 1.0, 8).unwrap();
    println!("recognizability from N(0, I), 2 per class: {:.2}%", 100.0 * plain.overall);
    // Measured 98.1% (v3 and v2.1 alike).
    assert!(plain.overall >= 0.97, "{}", plain.overall);
    let z = |seed| g.sample_z(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed), Prior::Fitted, 5, 1.0);
    assert_eq!(z(3), z(3));
    assert_ne!(z(3), z(4));
    let a = g.decode(&[(5, z(3).as_slice())]).unwrap();
    assert_eq!(a, g.decode(&[(5, z(3).as_slice())]).unwrap());
    assert!(g.stats().active_dims().len() >= 2, "the sliders have dimensions to move: {:?}", g.stats().kl_per_dim);
}

/// The kana `rec` misreads when `g` writes each in `style`.
fn misread(g: &GeneratorCheckpoint, rec: &CpuRecognizer, style: &[f32]) -> Vec<char> {
    let jobs: Vec<(usize, &[f32])> = (0..NUM_CLASSES).map(|c| (c, style)).collect();
    let images = g.decode(&jobs).unwrap();
    (0..NUM_CLASSES)
        .zip(&images)
        .filter(|(c, img)| rec.top_k(&as_model_input(img, g.side()), 1).unwrap().first().is_none_or(|p| p.class != *c))
        .map(|(c, _)| classes::get(c).unwrap().ch)
        .collect()
}

#[test]
fn the_checked_styles_write_every_kana_and_are_found_as_they_were() {
    let (g, rec) = models();
    let styles = &g.stats().styles;
    // `fit-latent --check-styles 160 --style-draws 1` kept 24 of 160 random styles for v3 read by
    // the stage-12b recognizer (every kana read right, at the style and at one random latent around
    // it; 42 read by stage 9; v2.1: 20).
    assert!(styles.len() >= 20, "{} checked styles", styles.len());
    for (i, style) in styles.iter().take(6).enumerate() {
        assert_eq!(misread(&g, &rec, style), Vec::<char>::new(), "checked style {i}");
    }
    // The search itself: every candidate scored as it decodes, fewest misses first, only those
    // within the misses allowed kept.
    let decoder = CpuDecoder::new(&g.model).unwrap();
    let search = |max_misses| StyleSearch { candidates: 3, max_misses, keep: 3, draws: 0, seed: 11 };
    let (kept, misses) = checked_styles(&decoder, g.sidecar.sharpness, g.stats(), &rec, search(NUM_CLASSES)).unwrap();
    assert_eq!((kept.len(), misses.len()), (3, 3));
    let mut expected = misses.clone();
    expected.sort();
    assert_eq!(kept.iter().map(|s| misread(&g, &rec, s).len()).collect::<Vec<_>>(), expected);
    let (strict, _) = checked_styles(&decoder, g.sidecar.sharpness, g.stats(), &rec, search(0)).unwrap();
    assert_eq!(strict.len(), misses.iter().filter(|&&m| m == 0).count());
    // Draws around each style are read too: the same candidates, each with as many misses or more,
    // and exactly as many when the draws are the style itself (no jitter).
    let drawn = StyleSearch { draws: 2, ..search(NUM_CLASSES) };
    let (_, with_draws) = checked_styles(&decoder, g.sidecar.sharpness, g.stats(), &rec, drawn).unwrap();
    assert!(with_draws.iter().zip(&misses).all(|(d, m)| d >= m), "{with_draws:?} against {misses:?}");
    let still = LatentStats { style_jitter: 0.0, ..g.stats().clone() };
    let (_, at_style) = checked_styles(&decoder, g.sidecar.sharpness, &still, &rec, drawn).unwrap();
    assert_eq!(at_style, misses.iter().map(|m| 3 * m).collect::<Vec<_>>());
}
