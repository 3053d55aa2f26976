//! End-to-end tests of the `fude` command line: predict (drawings, images of both polarities,
//! bad files), eval, train / resume, and refusal of bad data and model files.

mod support;

use std::path::Path;
use std::process::Output;
use support::{example, fude, root};

/// `../shared/data/REL`, or `None` (saying so) when this checkout has nothing beside it; CI sets
/// `FUDE_REQUIRE_SHARED_DATA`, which makes the absence a failure.
fn shared_or_skip(test: &str, rel: &str) -> Option<String> {
    let path = root().join("../shared/data").join(rel);
    if path.exists() {
        return Some(path.to_string_lossy().to_string());
    }
    let why = format!("{test}: skipped, {} is absent (only the project's machines have ../shared/data)", path.display());
    assert!(std::env::var_os("FUDE_REQUIRE_SHARED_DATA").is_none(), "{why}, and FUDE_REQUIRE_SHARED_DATA is set");
    // Straight to stderr, past the test harness's capture, so the skip shows in `cargo test`.
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("{why}\n").as_bytes());
    None
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// Asserts the command succeeded (showing its stderr when not) and returns its output.
fn succeeded(o: Output) -> Output {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

/// Asserts the command failed and its stderr says `says`.
fn refused(o: &Output, says: &str) {
    assert!(!o.status.success(), "expected a refusal saying {says:?}: {}", stdout(o));
    assert!(String::from_utf8_lossy(&o.stderr).contains(says), "{says}: {}", String::from_utf8_lossy(&o.stderr));
}

fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    stdout(o).lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect()
}

fn top1(v: &serde_json::Value) -> String {
    v["top"][0]["char"].as_str().unwrap_or("").to_string()
}

/// Renders the example あ drawing to a PNG, dark-on-light or light-on-dark.
fn drawing_png(dir: &Path, name: &str, dark_on_light: bool) -> String {
    let d = fude::ink::Drawing::load(Path::new(&example("a.json"))).unwrap();
    let mut img = fude::ink::raster::rasterize(&d, 300, 0.05);
    if dark_on_light {
        img.data.iter_mut().for_each(|v| *v = 1.0 - *v);
    }
    let p = dir.join(name);
    img.save_png(&p).unwrap();
    p.to_string_lossy().to_string()
}

#[test]
fn predict_reads_drawings_with_the_bundled_model() {
    let o = succeeded(fude(&["predict", "--json", "--top", "3", &example("a.json"), &example("ka.json"), &example("small-ya.json")]));
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["file"], example("a.json"));
    assert_eq!(lines[0]["top"].as_array().unwrap().len(), 3);
    let p0 = lines[0]["top"][0]["prob"].as_f64().unwrap();
    let p1 = lines[0]["top"][1]["prob"].as_f64().unwrap();
    assert!(p0 >= p1 && p0 <= 1.0);
    assert_eq!(top1(&lines[0]), "あ");
    assert_eq!(top1(&lines[1]), "カ");
    assert_eq!(top1(&lines[2]), "ゃ");
}

#[test]
fn predict_images_of_both_polarities_agree() {
    let dir = tempfile::tempdir().unwrap();
    let dark = drawing_png(dir.path(), "dark.png", true);
    let light = drawing_png(dir.path(), "light.png", false);
    let o = succeeded(fude(&["predict", "--json", &dark, &light]));
    let lines = json_lines(&o);
    assert_eq!(top1(&lines[0]), "あ");
    assert_eq!(top1(&lines[1]), "あ");
    let (a, b) = (lines[0]["top"][0]["prob"].as_f64().unwrap(), lines[1]["top"][0]["prob"].as_f64().unwrap());
    assert!((a - b).abs() < 0.02, "{a} vs {b}");
    // Plain text output names the reading.
    let o = fude(&["predict", &dark]);
    assert!(stdout(&o).contains("あ a "), "{}", stdout(&o));
}

#[test]
fn predict_reports_bad_files_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"version": 1, "width": 100, "strokes": []}"#).unwrap();
    let blank = dir.path().join("blank.png");
    fude::ink::InkImage::new(40, 40).save_png(&blank).unwrap();
    let bad_s = bad.to_string_lossy().to_string();
    let blank_s = blank.to_string_lossy().to_string();
    let o = fude(&["predict", "--json", &bad_s, "missing.png", &example("a.json"), &blank_s]);
    assert!(!o.status.success(), "any failure gives a non-zero exit");
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 4);
    assert!(lines[0]["error"].as_str().unwrap().contains("height"), "{}", lines[0]);
    assert_eq!(lines[1]["file"], "missing.png");
    assert!(lines[1]["error"].as_str().is_some());
    assert_eq!(top1(&lines[2]), "あ");
    assert!(lines[3]["error"].as_str().unwrap().contains("no ink"));
}

/// Evaluates the bundled model on a real kuzushiji set and checks the report's shape.
fn eval_real(spec: &str, samples: u64) {
    let o = succeeded(fude(&["eval", "--data", spec, "--json"]));
    let reports: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let r = &reports[0];
    assert_eq!(r["samples"], samples);
    assert!(r["accuracy"].as_f64().unwrap() > 0.9, "{r}");
    assert!(r["balanced_accuracy"].as_f64().is_some() && r["top5"].as_f64().is_some());
    assert_eq!(r["per_class"].as_array().unwrap().len(), 10);
}

#[test]
fn eval_on_the_kuzushiji_fixture() {
    let spec = support::kuzushiji_fixture_spec();
    // 30 images a class, fewer than the 200 held out per class: all 300 are held out.
    eval_real(&spec, 300);

    // `--script kuzushiji` reads only Kuzushiji-49's classes: never a katakana answer, and never
    // worse than the network's own ranking on a kuzushiji set.
    let accuracy = |script: &str| {
        let o = succeeded(fude(&["eval", "--data", &spec, "--json", "--script", script]));
        let reports: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        let confused: Vec<String> = reports[0]["most_confused"].as_array().unwrap().iter().map(|c| c["predicted"].as_str().unwrap().to_string()).collect();
        (reports[0]["accuracy"].as_f64().unwrap(), confused)
    };
    let (all, _) = accuracy("all");
    let (k49, confused) = accuracy("kuzushiji");
    assert!(k49 >= all, "{k49} < {all}");
    let k49_chars: Vec<char> = fude::models::recognizer::reading::kuzushiji_classes().iter().map(|&c| fude::data::classes::get(c).unwrap().ch).collect();
    assert!(confused.iter().all(|c| c.chars().all(|ch| k49_chars.contains(&ch))), "{confused:?}");
    refused(&fude(&["eval", "--data", &spec, "--script", "cyrillic"]), "unknown script");
}

#[test]
fn eval_on_the_kuzushiji_sample_holdout() {
    let Some(dir) = shared_or_skip("eval_on_the_kuzushiji_sample_holdout", "kuzushiji-sample") else {
        return;
    };
    let spec = support::npz_spec(Path::new(&dir), "kuzushiji-sample");
    // 200 held-out images for each of the 10 classes.
    eval_real(&spec, 2000);
}

/// A small Kuzushiji-49 fixture in `dir` (not the official files: open it with `--no-verify`), as
/// a `--data` spec.
fn k49_fixture(dir: &std::path::Path) -> String {
    let k49 = dir.join("k49");
    fude::data::k49::write_fixture(&k49, 4, 2, 1).unwrap();
    format!("k49={}", k49.display())
}

#[test]
fn train_resume_eval_and_refuse_bad_models() {
    let dir = tempfile::tempdir().unwrap();
    let k49_spec = k49_fixture(dir.path());
    let out = dir.path().join("m.safetensors");
    let out_s = out.to_string_lossy().to_string();
    // The fixture is not the official release: refused unless --no-verify.
    let o = fude(&["train", "--data", &k49_spec, "--out", &out_s, "--epochs", "1"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("k49-train-imgs.npz") && (err.contains("truncated") || err.contains("md5")), "{err}");

    let o = succeeded(fude(&["train", "--data", &k49_spec, "--no-verify", "--out", &out_s, "--epochs", "1", "--epoch-size", "128", "--batch", "64", "--seed", "3"]));
    assert!(stdout(&o).contains("epoch 1/1"), "{}", stdout(&o));
    let sidecar: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.with_extension("json")).unwrap()).unwrap();
    assert_eq!(sidecar["training"]["epochs"], 1);
    assert_eq!(sidecar["training"]["seed"], 3);
    assert!(sidecar["training"]["command"].as_str().unwrap().contains("--epoch-size 128"));
    assert!(sidecar["metrics"]["k49-test"]["top1"].as_f64().is_some());

    let o = succeeded(fude(&["train", "--data", &k49_spec, "--no-verify", "--out", &out_s, "--epochs", "2", "--epoch-size", "128", "--batch", "64", "--resume", &out_s]));
    assert!(stdout(&o).contains("resuming") && stdout(&o).contains("epoch 2/2"));

    let o = succeeded(fude(&["eval", "--model", &out_s, "--data", &k49_spec, "--no-verify"]));
    assert!(stdout(&o).contains("k49-test: 98 samples"), "{}", stdout(&o));

    // A corrupt weights file is refused with its path and the reason: it does not match what
    // its sidecar records.
    std::fs::write(&out, b"not safetensors").unwrap();
    let o = fude(&["predict", "--model", &out_s, &example("a.json")]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("m.safetensors") && err.contains("its sidecar records"), "{err}");
}

#[test]
fn train_a_recognizer_of_another_width_and_read_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let k49_spec = k49_fixture(dir.path());
    let out_s = dir.path().join("narrow").to_string_lossy().to_string();
    let base = ["train", "--data", &k49_spec, "--no-verify", "--out", &out_s, "--epoch-size", "128", "--batch", "64"];
    succeeded(fude(&[&base[..], &["--epochs", "1", "--channels", "8,8,16,16", "--hidden", "32"]].concat()));
    let sidecar: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(format!("{out_s}.json")).unwrap()).unwrap();
    assert_eq!(sidecar["architecture"]["channels"], serde_json::json!([8, 8, 16, 16]));
    assert_eq!(sidecar["architecture"]["hidden"], 32);
    succeeded(fude(&["predict", "--model", &out_s, "--top", "3", &example("a.json")]));

    // A resumed run keeps the checkpoint's shape: giving one is refused, not ignored.
    let o = fude(&[&base[..], &["--epochs", "2", "--resume", &out_s, "--hidden", "64"]].concat());
    refused(&o, "--hidden");
    let o = fude(&[&base[..], &["--epochs", "1", "--channels", "8,8,16"]].concat());
    refused(&o, "four counts");
    let o = fude(&[&base[..], &["--epochs", "1", "--channels", "8,8,16,0"]].concat());
    refused(&o, "bad layer sizes");
    let o = fude(&[&base[..], &["--epochs", "1", "--model", "generator", "--hidden", "64"]].concat());
    refused(&o, "shape a recognizer");

    // The narrow network teaches another of a different width; the run records its teacher.
    let student = dir.path().join("student").to_string_lossy().to_string();
    let taught = ["train", "--data", &k49_spec, "--no-verify", "--out", &student, "--epoch-size", "128", "--batch", "64", "--epochs", "1"];
    succeeded(fude(&[&taught[..], &["--channels", "8,8,8,8", "--hidden", "16", "--teacher", &out_s, "--teacher-weight", "0.8"]].concat()));
    let sidecar: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(format!("{student}.json")).unwrap()).unwrap();
    let settings = &sidecar["training"]["settings"];
    assert_eq!(settings["teacher_weight"], "0.8");
    assert_eq!(serde_json::from_str::<Vec<String>>(settings["teachers"].as_str().unwrap()).unwrap(), vec![out_s.clone()]);
    // Student and teacher compared sample by sample: the counts add up to the set.
    let o = succeeded(fude(&["eval", "--model", &student, "--against", &out_s, "--data", &k49_spec, "--no-verify", "--json"]));
    let reports: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let (r, a) = (&reports[0], &reports[0]["against"]);
    let counts: Vec<u64> = ["both", "only_a", "only_b", "neither"].iter().map(|k| a[k].as_u64().unwrap()).collect();
    assert_eq!(counts.iter().sum::<u64>(), r["samples"].as_u64().unwrap(), "{a}");
    let right = (counts[0] + counts[1]) as f64 / r["samples"].as_f64().unwrap();
    assert!((right - r["accuracy"].as_f64().unwrap()).abs() < 1e-9, "A's accuracy is the report's: {a}");
    assert!((0.0..=1.0).contains(&a["p_value"].as_f64().unwrap()));
    let o = fude(&["eval", "--model", &student, "--against", "bundled", "--data", &k49_spec, "--no-verify"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("against bundled") && String::from_utf8_lossy(&o.stdout).contains("exact McNemar p ="), "{}", String::from_utf8_lossy(&o.stdout));
    for (extra, says) in [
        (&["--teacher", &out_s, "--teacher-weight", "1.5"][..], "between 0 and 1"),
        (&["--teacher", &out_s, "--model", "generator"][..], "trains a recognizer"),
        (&["--teacher", "/nonexistent/teacher"][..], "/nonexistent/teacher"),
    ] {
        let o = fude(&[&taught[..], extra].concat());
        refused(&o, says);
    }
}

#[test]
fn train_a_residual_recognizer_resume_it_and_read_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let k49_spec = k49_fixture(dir.path());
    let out_s = dir.path().join("res").to_string_lossy().to_string();
    let base = ["train", "--data", &k49_spec, "--no-verify", "--out", &out_s, "--epoch-size", "128", "--batch", "64"];
    succeeded(fude(&[&base[..], &["--epochs", "1", "--residual", "--channels", "8,8,16,16", "--hidden", "32"]].concat()));
    let sidecar: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(format!("{out_s}.json")).unwrap()).unwrap();
    assert_eq!(sidecar["architecture"]["name"], "fude-res");
    assert_eq!(sidecar["architecture"]["channels"], serde_json::json!([8, 8, 16, 16]));
    // The residual blocks' weights are in the file.
    let tensors = candle_core::safetensors::load(format!("{out_s}.safetensors"), &candle_core::Device::Cpu).unwrap();
    assert_eq!(tensors.len(), 20, "conv1, three blocks of two, conv3, fc1, fc2: weight and bias each");
    assert!(tensors.contains_key("res3b.weight") && !tensors.contains_key("conv4.weight"));
    // A resumed run goes on with the same family; predict reads with it.
    let o = succeeded(fude(&[&base[..], &["--epochs", "2", "--resume", &out_s]].concat()));
    assert!(String::from_utf8_lossy(&o.stdout).contains("epoch 2/2"), "{}", String::from_utf8_lossy(&o.stdout));
    succeeded(fude(&["predict", "--model", &out_s, "--top", "3", &example("a.json")]));
    // A block keeps its stage's width; the flag shapes a recognizer only, and from scratch only.
    for (extra, says) in [
        (&["--epochs", "1", "--residual", "--channels", "8,16,16,16"][..], "keeps each stage's width"),
        (&["--epochs", "1", "--residual", "--model", "generator"][..], "shape a recognizer"),
        (&["--epochs", "3", "--residual", "--resume", &out_s][..], "--residual"),
    ] {
        let o = fude(&[&base[..], extra].concat());
        refused(&o, says);
    }
}

#[test]
fn bad_arguments_are_explained() {
    refused(&fude(&["train", "--data", "mnist", "--out", "x"]), "expected k49=DIR");
    let o = fude(&["predict", "--device", "tpu", &example("a.json")]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown device"));
}

#[test]
fn bench_runs_off_the_cpu_only_for_train() {
    // Only the training benchmark takes a GPU; the others time what runs on the CPU.
    let o = fude(&["bench", "predict", "--device", "cuda"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("only `fude bench train` runs off the CPU"), "{}", String::from_utf8_lossy(&o.stderr));
    let o = fude(&["bench", "train", "--device", "tpu"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown device"), "{}", String::from_utf8_lossy(&o.stderr));
    if !cfg!(feature = "cuda") {
        // A device this build lacks is refused before anything is timed.
        let o = fude(&["bench", "train", "--device", "cuda"]);
        assert_eq!(o.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&o.stderr).contains("--features cuda"), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(!stdout(&o).contains("round 1"), "{}", stdout(&o));
    }
    // Rounds are bounded: none, or more than 50, is refused before anything is timed.
    for rounds in ["0", "51", "many"] {
        let o = fude(&["bench", "train", "--rounds", rounds]);
        refused(&o, "--rounds");
        assert!(!stdout(&o).contains("round 1"), "{}", stdout(&o));
    }
}
