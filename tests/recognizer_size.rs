//! Issue 21: size, place and framing, as people write and as datasets publish.
//!
//! - A full-size kana written small but not low in its box (the held-out drawings shrunk about their
//!   centres to 0.6 and 0.75 of their size) is read as the full-size kana.
//! - A small kana written as the fonts write it (small and low) is still read as the small kana,
//!   with a real writer's habits and scanner specks too.
//! - A kuzushiji picture framed as Kuzushiji-49 publishes it, read as `fude predict` reads a picture
//!   file, reads as well as the same picture read as a writing box; under `--script kuzushiji`,
//!   softened as such a thumbnail is, better than as published.
//!
//! Each threshold is just under the bundled model's measured figure (`models/README.md`, and
//! `tools/recognizer/size_figures.sh` prints the first two). `FUDE_MODEL=PATH` reads with another
//! recognizer, to measure a candidate before it is bundled.

mod support;

use fude::data::classes;
use fude::data::{DrawingSource, Source, Split};
use fude::ink::picture::{picture_input, PictureOptions};
use fude::ink::{model_input, InkImage, ModelInput};
use fude::models::recognizer::reading::{Reading, ScriptChoice, SMALL_KANA_MIN_CENTRE};
use fude::models::CpuRecognizer;

fn recognizer() -> CpuRecognizer {
    CpuRecognizer::new(&support::recognizer_under_test().model).unwrap()
}

fn is_small(class: usize) -> bool {
    classes::get(class).unwrap().is_small()
}

/// The held-out or training samples of `src` as (input, class) pairs.
fn samples(src: DrawingSource) -> Vec<(ModelInput, usize)> {
    src.eval_samples().into_iter().map(|s| (s.input, s.label)).collect()
}

/// The samples of `src` whose class is a small kana.
fn small_kana(src: DrawingSource) -> Vec<(ModelInput, usize)> {
    samples(src).into_iter().filter(|(_, c)| is_small(*c)).collect()
}

/// Of `set` with the network's probabilities `probs`, the share that `first` (the first
/// candidate for an input and its probabilities) reads exactly and the share it reads as some
/// full-size kana.
fn shares_by(set: &[(ModelInput, usize)], probs: &[Vec<f32>], first: impl Fn(&ModelInput, &[f32]) -> usize) -> (f64, f64) {
    let (mut exact, mut full) = (0usize, 0usize);
    for ((input, class), p) in set.iter().zip(probs) {
        let top = first(input, p);
        exact += usize::from(top == *class);
        full += usize::from(!is_small(top));
    }
    let n = set.len() as f64;
    (exact as f64 / n, full as f64 / n)
}

/// Of `set`, read as the app and `fude predict` read a drawing (script Auto, no text), the share
/// read exactly and the share read as some full-size kana.
fn read_shares(rec: &CpuRecognizer, set: &[(ModelInput, usize)]) -> (f64, f64) {
    let probs: Vec<Vec<f32>> = set.iter().map(|(input, _)| rec.probabilities(input).unwrap()).collect();
    shares_by(set, &probs, |input, p| Reading::default().for_input(input).candidates(p, 1).top[0].class)
}

#[test]
fn full_size_kana_written_small_read_full_size_and_small_kana_small() {
    let rec = recognizer();
    for (factor, min_exact, min_full) in [(0.6f32, 0.93, 0.975), (0.75, 0.945, 0.97)] {
        let set = samples(DrawingSource::shrunk(Split::Test, factor));
        assert!(set.len() >= 1800 && set.iter().all(|(_, c)| !is_small(*c)), "{} samples", set.len());
        let (exact, full) = read_shares(&rec, &set);
        println!("full-size kana shrunk to {factor}: {} drawings, read exactly {:.2}%, read as a full-size kana {:.2}%", set.len(), 100.0 * exact, 100.0 * full);
        assert!(exact >= min_exact && full >= min_full, "shrunk to {factor}: exact {exact}, full-size {full}");
    }
    let small = small_kana(DrawingSource::new(Split::Test));
    let (exact, _) = read_shares(&rec, &small);
    println!("small kana as written: {} drawings, read exactly {:.2}%", small.len(), 100.0 * exact);
    assert!(small.len() >= 280 && exact >= 0.975, "small kana {exact}");
    // Written with real writers' habits, thin pens and scanner specks (`pens`): a speck above a
    // small kana must not lift its ink's centre into the full-size range (94.44% with the bundled
    // model; 92.36% when specks counted).
    let small = small_kana(DrawingSource::with_habits(Split::Test));
    let (exact, _) = read_shares(&rec, &small);
    println!("small kana with pen habits and specks: {} drawings, read exactly {:.2}%", small.len(), 100.0 * exact);
    assert!(small.len() >= 280 && exact >= 0.94, "small kana with habits {exact}");
}

#[test]
fn kuzushiji_pictures_read_as_well_as_pictures_as_as_writing_boxes() {
    let rec = recognizer();
    let (mut as_picture, mut as_box) = (0usize, 0usize);
    let set = support::held_out_pictures(&support::kuzushiji_sample_spec());
    for (img, class) in &set {
        let top = |input: &ModelInput| rec.top_k(input, 1).unwrap()[0].class;
        as_picture += usize::from(top(&picture_input(img, PictureOptions::default()).unwrap().input) == *class);
        as_box += usize::from(top(&model_input(img)) == *class);
    }
    println!("kuzushiji sample ({} held-out pictures): as pictures {as_picture}, as writing boxes {as_box}", set.len());
    assert_eq!(set.len(), 2000);
    // Read as pictures, a small kana and its full-size form count alike; none is in this set.
    // Every cell is a 28x28 thumbnail, read as it is.
    assert!(as_picture >= as_box, "as pictures {as_picture}, as boxes {as_box}");
}

/// The kuzushiji sample's held-out pictures read as `fude predict --script kuzushiji` reads a
/// picture file (softened by `reading::KUZUSHIJI_THUMBNAIL_BLUR`) and as it read them before (as
/// published). The bundled 12b reads 1,964 softened and 1,952 as published.
#[test]
fn kuzushiji_pictures_read_better_softened_under_the_kuzushiji_script() {
    let rec = recognizer();
    let set = support::held_out_pictures(&support::kuzushiji_sample_spec());
    let right = |img: &InkImage, class: usize, options: PictureOptions| {
        let p = picture_input(img, options).unwrap();
        let reading = Reading { script: ScriptChoice::Kuzushiji, picture: p.cropped, ..Reading::default() };
        reading.candidates(&rec.probabilities(&p.input).unwrap(), 1).top[0].class == class
    };
    let both: Vec<(bool, bool)> =
        set.iter().map(|(img, class)| (right(img, *class, ScriptChoice::Kuzushiji.picture_options(false)), right(img, *class, PictureOptions::default()))).collect();
    let softened = both.iter().filter(|b| b.0).count();
    let as_published = both.iter().filter(|b| b.1).count();
    let only = |want: (bool, bool)| both.iter().filter(|&&b| b == want).count();
    println!(
        "kuzushiji sample ({} held-out pictures), --script kuzushiji: softened {softened}, as published {as_published} (only softened right {}, only as published {})",
        set.len(),
        only((true, false)),
        only((false, true))
    );
    assert_eq!(set.len(), 2000);
    assert!(softened > as_published && softened >= 1960, "softened {softened}, as published {as_published}");
}

#[test]
fn eval_reads_image_sets_as_pictures_when_asked() {
    let data = support::kuzushiji_sample_spec();
    let run = |extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_fude")).args(["eval", "--json", "--data", &data]).args(extra).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (v[0]["samples"].as_u64().unwrap(), v[0]["accuracy"].as_f64().unwrap())
    };
    let (n_box, boxes) = run(&[]);
    let (n_pic, pictures) = run(&["--as-pictures"]);
    println!("fude eval on the kuzushiji sample: as writing boxes {:.2}%, --as-pictures {:.2}%", 100.0 * boxes, 100.0 * pictures);
    assert_eq!((n_box, n_pic), (2000, 2000));
    // Each cell is read from the same input either way; a picture's reading only ranks a small
    // kana with its full-size form (which cost one picture of 2,000 at the last measurement).
    assert!(pictures > 0.95 && pictures + 0.0011 >= boxes, "{pictures} against {boxes}");
    // Generated sources have no pictures to read: the flag changes nothing there.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fude")).args(["eval", "--as-pictures", "--data", "drawings=shrunk0.75"]).output().unwrap();
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("shrunk drawings:test: 1872 samples"));
}

/// The thresholds of [`fude::models::recognizer::reading::SMALL_KANA_MIN_CENTRE`] and
/// [`fude::models::recognizer::reading::SMALL_KANA_MIN_REACH`], on the drawings
/// of the training fonts (the held-out ones stay unseen):
/// `cargo test --release --test recognizer_size tune_small_centre -- --ignored --nocapture`.
#[test]
#[ignore = "a printed measurement for tuning, not a check"]
fn tune_small_centre() {
    let rec = recognizer();
    let sets: Vec<(String, Vec<(ModelInput, usize)>)> = [0.6f32, 0.75]
        .iter()
        .map(|&f| (format!("shrunk {f}"), samples(DrawingSource::shrunk(Split::Train, f))))
        .chain(std::iter::once((
            "small as written".to_string(),
            small_kana(DrawingSource::new(Split::Train)),
        )))
        .collect();
    let probs: Vec<Vec<Vec<f32>>> = sets.iter().map(|(_, s)| s.iter().map(|(i, _)| rec.probabilities(i).unwrap()).collect()).collect();
    // The ink-weighted mean row, as a share of the box (continuous, unlike the extent's middle).
    let centroid = |input: &ModelInput| -> Option<f32> {
        let (mut sum, mut w) = (0f32, 0f32);
        for (y, row) in input.chunks(28).enumerate() {
            let r: f32 = row.iter().sum();
            sum += r * y as f32;
            w += r;
        }
        (w > 0.0).then(|| sum / w / 27.0)
    };
    let kind = std::env::var("FUDE_CENTRE").unwrap_or_default();
    let grid: Vec<f32> = if kind == "mean" { (0..12).map(|i| 0.50 + 0.005 * i as f32).collect() } else { vec![0.53, 0.54] };
    // Between the two: in the one row of centres from 0.53 to 0.54, each small kana's probability
    // scaled by w (the network's own say), not merged.
    let first_when = |high: bool, p: &[f32]| Reading { high, ..Reading::default() }.candidates(p, 1).top[0].class;
    for w in [0.02f32, 0.05, 0.1, 0.2, 0.3, 0.5] {
        let mut line = format!("row 29/54 small weight {w}:");
        for ((name, set), probs) in sets.iter().zip(&probs) {
            let (exact, full) = shares_by(set, probs, |input, p| {
                let y = fude::ink::preprocess::ink_centre_y(input);
                let mut p = p.to_vec();
                if y.is_some_and(|y| (0.53..0.54).contains(&y)) {
                    p.iter_mut().enumerate().filter(|(c, _)| is_small(*c)).for_each(|(_, v)| *v *= w);
                }
                first_when(y.is_some_and(|y| y < 0.53), &p)
            });
            line += &format!(" {name} exact {:.2}% full-size {:.2}% |", 100.0 * exact, 100.0 * full);
        }
        println!("{line}");
    }
    // With the centre rule as bundled: ink stopping above `reach` is high too.
    for reach in [0.0f32, 0.68, 0.70, 0.72, 0.74, 0.76] {
        let mut line = format!("centre below {SMALL_KANA_MIN_CENTRE} or reach above {reach:.2}:");
        let stops = |input: &ModelInput| fude::ink::preprocess::ink_reach_y(input).is_some_and(|y| y < reach);
        for ((name, set), probs) in sets.iter().zip(&probs) {
            let (exact, full) = shares_by(set, probs, |input, p| {
                first_when(stops(input) || fude::ink::preprocess::ink_centre_y(input).is_some_and(|y| y < SMALL_KANA_MIN_CENTRE), p)
            });
            let stop = set.iter().filter(|(input, _)| stops(input)).count() as f64 / set.len() as f64;
            line += &format!(" {name} exact {:.2}% full-size {:.2}% stop above {:.2}% |", 100.0 * exact, 100.0 * full, 100.0 * stop);
        }
        println!("{line}");
    }
    for t in grid {
        let mut line = format!("{kind} centre below {t:.3}:");
        for ((name, set), probs) in sets.iter().zip(&probs) {
            let (exact, full) = shares_by(set, probs, |input, p| {
                let y = if kind == "mean" { centroid(input) } else { fude::ink::preprocess::ink_centre_y(input) };
                first_when(y.is_some_and(|y| y < t), p)
            });
            line += &format!(" {name} ({}) exact {:.2}% full-size {:.2}% |", set.len(), 100.0 * exact, 100.0 * full);
        }
        println!("{line}");
    }
}

/// The speck size of [`fude::ink::preprocess::CENTRE_SPECK_PIXELS`], on the drawings and pens of
/// the training fonts (the held-out ones stay unseen): small kana read as small, and full-size
/// kana shrunk to 0.6 and 0.75 read exactly, as the app reads them, for each size of detached mark
/// left out of the ink's centre:
/// `cargo test --release --test recognizer_size tune_centre_specks -- --ignored --nocapture`.
#[test]
#[ignore = "a printed measurement for tuning, not a check"]
fn tune_centre_specks() {
    use fude::ink::preprocess::{ink_centre_y_without_specks, ink_reach_y};
    use fude::models::recognizer::reading::SMALL_KANA_MIN_REACH;
    let rec = recognizer();
    let sets = [
        ("drawings, small", small_kana(DrawingSource::new(Split::Train))),
        ("pens, small", small_kana(DrawingSource::with_habits(Split::Train))),
        ("shrunk 0.6", samples(DrawingSource::shrunk(Split::Train, 0.6))),
        ("shrunk 0.75", samples(DrawingSource::shrunk(Split::Train, 0.75))),
    ];
    let probs: Vec<Vec<Vec<f32>>> = sets.iter().map(|(_, s)| s.iter().map(|(i, _)| rec.probabilities(i).unwrap()).collect()).collect();
    for speck in [0usize, 2, 3, 4, 5, 6, 8] {
        let mut line = format!("specks under {speck} px left out:");
        for ((name, set), probs) in sets.iter().zip(&probs) {
            let (exact, _) = shares_by(set, probs, |input, p| {
                let high = ink_centre_y_without_specks(input, speck).is_some_and(|y| y < SMALL_KANA_MIN_CENTRE)
                    || ink_reach_y(input).is_some_and(|y| y < SMALL_KANA_MIN_REACH);
                Reading { high, ..Reading::default() }.candidates(p, 1).top[0].class
            });
            line += &format!(" {name} ({}) {} right |", set.len(), (exact * set.len() as f64).round());
        }
        println!("{line}");
    }
}
