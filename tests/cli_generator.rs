//! End-to-end tests of the generator's command line: `train --model generator` (and resume),
//! `generate` (sheet, folder, fixed latent, style from a drawing, refusals), `eval-gen` and
//! `fit-latent` with checked styles.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use support::{example, fude};

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn png_size(p: &Path) -> (u32, u32) {
    let img = image::open(p).expect("a readable PNG");
    (img.width(), img.height())
}

/// Trains a generator for one short epoch into `dir/g`.
fn trained(dir: &Path) -> String {
    let out = dir.join("g").to_string_lossy().to_string();
    let o = fude(&["train", "--model", "generator", "--data", "fonts", "--epochs", "1", "--epoch-size", "128", "--batch", "32", "--seed", "4", "--out", &out]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("-ELBO") && t.contains("active dims"), "per-epoch held-out figures: {t}");
    assert!(dir.join("g.safetensors").is_file() && dir.join("g.json").is_file() && dir.join("g-best.json").is_file());
    let sidecar: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("g.json")).unwrap()).unwrap();
    assert_eq!(sidecar["kind"], "generator");
    assert_eq!(sidecar["training"]["epochs"], 1);
    assert_eq!(sidecar["latent"]["kl_per_dim"].as_array().map(Vec::len), Some(16));
    // It decodes at the sharpness its reader read it at, not the plain Bernoulli mean, and its
    // random styles were checked (a generator one short epoch old writes none right yet).
    assert_eq!(sidecar["sharpness"], 2.5);
    assert_eq!(sidecar["training"]["settings"]["checked_styles"], "48 random styles after each epoch");
    assert!(sidecar["latent"]["styles"].as_array().map_or(0, Vec::len) <= 64);
    out
}

#[test]
fn train_resume_generate_and_evaluate() {
    let dir = tempfile::tempdir().unwrap();
    let g = trained(dir.path());

    // Resume adds an epoch.
    let o = fude(&["train", "--model", "generator", "--data", "fonts", "--epochs", "2", "--epoch-size", "64", "--batch", "32", "--out", &g, "--resume", &g]);
    assert!(o.status.success(), "{}", text(&o));
    let sidecar: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("g.json")).unwrap()).unwrap();
    assert_eq!(sidecar["training"]["epochs"], 2);

    // A sheet: one row of three samples, 64x64 cells with an 8 px margin.
    let sheet = dir.path().join("sheet.png");
    let o = fude(&["generate", "--model", &g, "--char", "あ", "--count", "3", "--seed", "1", "--out", sheet.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(png_size(&sheet), (3 * 72 + 8, 72 + 8));
    // The same seed writes the same sheet; another seed another.
    let again = dir.path().join("again.png");
    fude(&["generate", "--model", &g, "--char", "あ", "--count", "3", "--seed", "1", "--out", again.to_str().unwrap()]);
    assert_eq!(std::fs::read(&sheet).unwrap(), std::fs::read(&again).unwrap());
    let other = dir.path().join("other.png");
    fude(&["generate", "--model", &g, "--char", "あ", "--count", "3", "--seed", "2", "--out", other.to_str().unwrap()]);
    assert_ne!(std::fs::read(&sheet).unwrap(), std::fs::read(&other).unwrap());

    // One PNG per sample into a folder; a fixed latent; every kana.
    let folder = dir.path().join("each/");
    let o = fude(&["generate", "--model", &g, "--chars", "かキ", "--count", "2", "--out", folder.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 4);
    let z = vec!["0.5"; 16].join(",");
    let fixed = dir.path().join("fixed.png");
    let o = fude(&["generate", "--model", &g, "--all", "--z", &z, "--out", fixed.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(png_size(&fixed), (15 * 72 + 8, 12 * 72 + 8));

    // Every kana in the style of a drawing.
    let style = dir.path().join("style.png");
    let o = fude(&["generate", "--model", &g, "--style-from", &example("a.json"), "--class", "あ", "--out", style.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(png_size(&style), (15 * 72 + 8, 12 * 72 + 8));

    // Refusals name the problem and write nothing.
    let bad = dir.path().join("bad.png");
    for (args, why) in [
        (vec!["--char", "x"], "not one of the 180 kana"),
        (vec!["--char", "あ", "--z", "1,2"], "needs 16 finite numbers"),
        (vec!["--char", "あ", "--prior", "uniform"], "unknown prior"),
        (vec!["--style-from", "/no/such/drawing.json"], "drawing.json"),
    ] {
        let mut a = vec!["generate", "--model", &g, "--out", bad.to_str().unwrap()];
        a.extend(args);
        let o = fude(&a);
        assert!(!o.status.success() && text(&o).contains(why), "{why}: {}", text(&o));
        assert!(!bad.exists());
    }
    // The recognizer's checkpoint is not a generator (and the reverse).
    let rec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/recognizer").to_string_lossy().to_string();
    let o = fude(&["generate", "--model", &rec, "--char", "あ", "--out", bad.to_str().unwrap()]);
    assert!(!o.status.success() && text(&o).contains("recognizer checkpoint, not a generator"), "{}", text(&o));
    let o = fude(&["predict", "--model", &g, &example("a.json")]);
    assert!(!o.status.success() && text(&o).contains("generator checkpoint, not a recognizer"), "{}", text(&o));

    // eval-gen reports every figure.
    let o = fude(&["eval-gen", "--model", &g, "--data", "fonts", "--per-class", "2", "--styles", "2", "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let r: serde_json::Value = serde_json::from_str(&String::from_utf8_lossy(&o.stdout)).expect("JSON report");
    assert!(r["held_out"][0]["neg_elbo"].as_f64().is_some_and(|v| v > 0.0 && v.is_finite()));
    assert_eq!(r["recognizability"].as_array().map(Vec::len), Some(2));
    assert_eq!(r["recognizability"][0]["worst"].as_array().map(Vec::len), Some(10));
    for k in ["style_sheet", "diversity_samples", "diversity_real", "decode_one_ms", "decode_sheet_ms"] {
        assert!(r[k].as_f64().is_some_and(f64::is_finite), "{k}: {r}");
    }
}

/// The gray value (0..=255) of each pixel of a PNG, with its size.
fn gray(p: &Path) -> (u32, u32, Vec<u8>) {
    let img = image::open(p).expect("a readable PNG").to_luma8();
    (img.width(), img.height(), img.into_raw())
}

#[test]
fn a_line_of_text_in_one_style() {
    let dir = tempfile::tempdir().unwrap();
    let line = dir.path().join("line.png");
    let o = fude(&["generate", "--text", "あり がとう", "--seed", "3", "--out", line.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("5 letters"), "{}", text(&o));
    // Six cells of at least 128 pixels in a margin of an eighth of a cell: 6.25 cells by 1.25.
    let (w, h, px) = gray(&line);
    assert!(h >= 160 && w * 125 == h * 625, "{w}x{h}");
    let (cell, margin) = (h * 4 / 5, h / 10);
    let inked = |col: u32| (0..cell).any(|y| (0..cell).any(|x| px[((margin + y) * w + margin + col * cell + x) as usize] < 128));
    assert!((0..6).all(|c| inked(c) == (c != 2)), "ink in every letter, none in the space");

    // In the style of a drawing; the same line again is the same picture.
    let styled = dir.path().join("styled.png");
    let o = fude(&["generate", "--text", "ありがとう", "--style-from", &example("a.json"), "--class", "あ", "--out", styled.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let again = dir.path().join("again.png");
    fude(&["generate", "--text", "ありがとう", "--style-from", &example("a.json"), "--class", "あ", "--out", again.to_str().unwrap()]);
    assert_eq!(std::fs::read(&styled).unwrap(), std::fs::read(&again).unwrap());

    // Refusals name the character (or the limit) and write nothing.
    let bad = dir.path().join("bad.png");
    let long = "あ".repeat(41);
    for (t, why) in [("ありがとうX", "'X' (U+0058) is not one of the 180 kana"), ("コーヒー", "'ー'"), (long.as_str(), "at most 40")] {
        let o = fude(&["generate", "--text", t, "--out", bad.to_str().unwrap()]);
        assert!(!o.status.success() && text(&o).contains(why), "{why}: {}", text(&o));
        assert!(!bad.exists());
    }
    let o = fude(&["generate", "--text", "あ", "--char", "い", "--out", bad.to_str().unwrap()]);
    assert!(!o.status.success(), "--text and --char do not mix");
}

#[test]
fn fit_latent_checks_styles_and_generate_draws_around_them() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("g");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for ext in ["safetensors", "json"] {
        std::fs::copy(root.join(format!("models/generator.{ext}")), g.with_extension(ext)).unwrap();
    }
    let gs = g.to_string_lossy().to_string();
    let before = std::fs::read(g.with_extension("json")).unwrap();
    // Refused before anything is read or written.
    for (args, says) in [(["--check-styles", "5000"], "at most 4096"), (["--style-jitter", "5"], "a share from 0 to 3"), (["--style-draws", "17"], "at most 16")] {
        let o = fude(&["fit-latent", "--model", &gs, "--data", "fonts", args[0], args[1]]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(text(&o).contains(says), "{}", text(&o));
        assert_eq!(std::fs::read(g.with_extension("json")).unwrap(), before, "the model file is unchanged");
    }
    // Three styles checked, all kept (any number of misses allowed), no spread around them.
    let o = fude(&["fit-latent", "--model", &gs, "--data", "fonts", "--check-styles", "3", "--style-misses", "180", "--style-jitter", "0"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("checked 3 random styles") && text(&o).contains("kept 3"), "{}", text(&o));
    let sidecar: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(g.with_extension("json")).unwrap()).unwrap();
    assert_eq!(sidecar["latent"]["styles"].as_array().map(Vec::len), Some(3));
    assert_eq!(sidecar["latent"]["style_jitter"], 0.0);
    // So random samples are those three styles: of five, at least two are the same picture.
    let out = dir.path().join("samples/");
    let o = fude(&["generate", "--model", &gs, "--char", "あ", "--count", "5", "--seed", "2", "--out", &out.to_string_lossy()]);
    assert!(o.status.success(), "{}", text(&o));
    let mut pictures: Vec<Vec<u8>> = std::fs::read_dir(&out).unwrap().map(|e| std::fs::read(e.unwrap().path()).unwrap()).collect();
    assert_eq!(pictures.len(), 5);
    pictures.sort();
    pictures.dedup();
    assert!(pictures.len() <= 3, "{} different pictures from 3 styles", pictures.len());
    // The standard prior ignores them: five different pictures.
    let plain = dir.path().join("plain/");
    let o = fude(&["generate", "--model", &gs, "--char", "あ", "--count", "5", "--seed", "2", "--prior", "standard", "--out", &plain.to_string_lossy()]);
    assert!(o.status.success(), "{}", text(&o));
    let mut pictures: Vec<Vec<u8>> = std::fs::read_dir(&plain).unwrap().map(|e| std::fs::read(e.unwrap().path()).unwrap()).collect();
    pictures.sort();
    pictures.dedup();
    assert_eq!(pictures.len(), 5);
}

#[test]
fn distillation_is_asked_for_with_both_flags_for_a_generator() {
    // Each refusal names what is wrong, before any data opens or anything is written.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("g");
    let out = out.to_str().unwrap();
    for (args, says) in [
        (vec!["--distill-from", "bundled", "--decoder-channels", "32,16,8"], "add --model generator"),
        (vec!["--model", "generator", "--distill-from", "bundled", "--decoder-channels", "32,,8"], "decoder channels"),
        (vec!["--model", "generator", "--distill-from", "bundled", "--decoder-channels", "0,16,8"], "decoder channels"),
    ] {
        let mut all = vec!["train", "--data", "fonts", "--epochs", "1", "--epoch-size", "32", "--out", out];
        all.extend(args.iter().copied());
        let o = fude(&all);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // One flag without the other is refused by the parser.
    let o = fude(&["train", "--model", "generator", "--data", "fonts", "--out", out, "--distill-from", "bundled"]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "nothing written");
}
