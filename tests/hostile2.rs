//! The hostile inputs of issue 20 ("Hardening 2") through the `fude` command line. The small
//! reproducer files are copied from `../shared/hostile/` into `tests/fixtures/hostile/`, so these
//! run without `../shared`. Each test names its item of the issue.

mod support;

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};
use support::{bin, example, fude, root};

/// Runs fude, failing the test (and killing it) when it has not ended after `secs`: a read that
/// blocks on a FIFO shows as this failure rather than as a hung test.
fn fude_within(secs: u64, args: &[&str]) -> Output {
    let mut child = bin().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run fude");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("fude {args:?} hung for more than {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

fn hostile(name: &str) -> PathBuf {
    root().join("tests/fixtures/hostile").join(name)
}

fn s(p: &Path) -> String {
    p.to_string_lossy().to_string()
}

/// Copies a hostile sidecar beside a copy of the shipped weights of `model` (`recognizer` or
/// `generator`), returning the checkpoint path. The sidecar's record of its weights, if it has
/// one (size and SHA-256, written for the weights shipped when it was made), is set to the
/// copied ones, so what is refused is the hostile part, not a weights file retrained since.
fn hostile_checkpoint(dir: &Path, sidecar: &str, model: &str) -> String {
    let stem = sidecar.trim_end_matches(".json");
    let weights = std::fs::read(root().join("models").join(format!("{model}.safetensors"))).unwrap();
    let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(hostile(sidecar)).unwrap()).unwrap();
    if json.get("weights_file").is_some() {
        json["weights_file"] = serde_json::json!({"bytes": weights.len(), "sha256": fude::models::checkpoint_io::sha256_hex(&weights)});
    }
    std::fs::write(dir.join(sidecar), serde_json::to_vec(&json).unwrap()).unwrap();
    std::fs::write(dir.join(format!("{stem}.safetensors")), weights).unwrap();
    s(&dir.join(sidecar))
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo {}", path.display());
}

#[test]
fn item1_sidecar_architectures_are_checked_before_anything_is_allocated() {
    // Regression: the generator sidecar aborted asking for 17 GB; the recognizer one took 48 s
    // and 8 GB before it was refused.
    let dir = tempfile::tempdir().unwrap();
    let out = s(&dir.path().join("x.png"));
    let t = Instant::now();
    let g = hostile_checkpoint(dir.path(), "gen_huge_arch.json", "generator");
    let o = fude(&["generate", "--model", &g, "--char", "あ", "--out", &out]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("gen_huge_arch") && err.contains("model refused"), "{err}");
    let r = hostile_checkpoint(dir.path(), "rec_huge_arch.json", "recognizer");
    let o = fude(&["predict", "--model", &r, &example("a.json")]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("rec_huge_arch") && err.contains("model refused") && err.contains("4096"), "{err}");
    assert!(t.elapsed() < Duration::from_secs(10), "refused at once, took {:?}", t.elapsed());
}

#[test]
fn item2_font_bombs_are_refused_with_the_reason() {
    // Regression: a 1.6 KB TrueType aborted at 7.6 GB, a 1.7 KB CFF font at 4.7 GB.
    let dir = tempfile::tempdir().unwrap();
    let out = s(&dir.path().join("s.png"));
    for (font, why) in [("font_composite_bomb.ttf", "composite components"), ("font_cff_subr_bomb.otf", "charstring operations")] {
        let t = Instant::now();
        let o = fude(&["samples", "--data", &format!("fonts={}", s(&hostile(font))), "--out", &out]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{font}: {err}");
        assert!(err.contains(font) && err.contains(why) && err.contains("the font is refused"), "{err}");
        assert!(t.elapsed() < Duration::from_secs(10), "{font}: took {:?}", t.elapsed());
    }
    assert!(!dir.path().join("s.png").exists());
}

#[test]
fn item3_font_files_have_a_size_limit() {
    // Regression: a 2 GB padded font was read whole and accepted (`fonts=/dev/zero` read until
    // memory ran out; that is item 15's).
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.ttf");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(fude::data::fonts::MAX_FONT_BYTES + 1).unwrap();
    let o = fude(&["samples", "--data", &format!("fonts={}", s(&big)), "--out", &s(&dir.path().join("s.png"))]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("big.ttf") && err.contains("too large for a font file"), "{err}");
}

/// Runs fude with files limited to `bytes` (writes past it fail with EFBIG, as on a full disk).
fn fude_with_file_limit(bytes: u64, args: &[&str]) -> Output {
    let mut cmd = bin();
    cmd.args(args);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let lim = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().expect("run fude")
}

#[test]
fn item4_a_failed_png_write_is_an_error_and_keeps_the_old_file() {
    // Regression: on a full disk `generate` exited 0 with a 0-byte file, and an existing sheet was
    // replaced by 0 bytes (the encoder's buffered writer lost the error on close).
    let dir = tempfile::tempdir().unwrap();
    let sheet = dir.path().join("sheet.png");
    std::fs::write(&sheet, b"the old sheet").unwrap();
    let o = fude_with_file_limit(100, &["generate", "--char", "あ", "--count", "4", "--out", &s(&sheet)]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("sheet.png") && err.contains("cannot write"), "{err}");
    assert_eq!(std::fs::read(&sheet).unwrap(), b"the old sheet");
    let folder = dir.path().join("pngs");
    let o = fude_with_file_limit(100, &["generate", "--chars", "あい", "--count", "2", "--out", &format!("{}/", s(&folder))]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(!text(&o.stdout).contains("wrote"), "{}", text(&o.stdout));
    for d in [dir.path(), folder.as_path()] {
        for e in std::fs::read_dir(d).unwrap() {
            let (p, name) = e.map(|e| (e.path(), e.file_name().to_string_lossy().to_string())).unwrap();
            assert!(!name.ends_with(".tmp"), "no temporary file left: {name}");
            assert!(p.is_dir() || std::fs::metadata(&p).unwrap().len() > 0, "{} is empty", p.display());
        }
    }
}

/// A kept-handwriting folder with one drawing of あ: nothing held out.
fn mine_without_held_out(dir: &Path) -> PathBuf {
    let mine = dir.join("mine");
    std::fs::create_dir_all(mine.join("3042")).unwrap();
    std::fs::copy(example("a.json"), mine.join("3042/a.json")).unwrap();
    mine
}

#[test]
fn item5_fit_latent_refuses_too_little_held_out_data() {
    // Regression: with no held-out data the fitted prior was rewritten to N(0, I) (samples read
    // as asked fell from 95/100 to 22/100).
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("g");
    for ext in ["safetensors", "json"] {
        std::fs::copy(root().join(format!("models/generator.{ext}")), g.with_extension(ext)).unwrap();
    }
    let before = std::fs::read(g.with_extension("json")).unwrap();
    let mine = mine_without_held_out(dir.path());
    let o = fude(&["fit-latent", "--model", &s(&g), "--data", &format!("mine={}", s(&mine))]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("fewer than 5 held-out images") && err.contains("left as it is"), "{err}");
    assert_eq!(std::fs::read(g.with_extension("json")).unwrap(), before, "the model file is unchanged");
}

#[test]
fn item7_a_second_run_on_the_same_out_is_refused_while_the_first_runs() {
    // Regression: two `train` runs on the same --out both reported success.
    let dir = tempfile::tempdir().unwrap();
    let out = s(&dir.path().join("m"));
    let mut first = bin()
        .args(["train", "--data", "fonts", "--epochs", "1", "--epoch-size", "10000000", "--out", &out])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lock = dir.path().join("m.lock");
    let t = Instant::now();
    while !lock.exists() && t.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let o = fude(&["train", "--data", "fonts", "--epochs", "1", "--epoch-size", "64", "--out", &out]);
    let _ = first.kill();
    let _ = first.wait();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("m.lock") && err.contains("another training run") && err.contains(&format!("process {}", first.id())), "{err}");
    // Killed: its lock went with it, and a new run may take the output.
    let o = fude(&["train", "--data", "fonts", "--epochs", "1", "--epoch-size", "64", "--batch", "32", "--out", &out]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(!lock.exists(), "the lock file is removed when the run ends");
}

#[test]
fn item8_and_20_train_checks_its_plan_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let out = s(&dir.path().join("m"));
    // Item 8 regression: a batch larger than the epoch was not clamped (killed at 18 GB).
    let o = fude(&["train", "--data", "fonts", "--epochs", "1", "--epoch-size", "32", "--batch", "100000", "--out", &out]);
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(stdout.contains("1 epochs of 32 samples, batch 32"), "{stdout}");
    // Item 20 regression: `--epochs 0` said "checkpoint already has 0 epochs".
    let o = fude(&["train", "--data", "fonts", "--epochs", "0", "--out", &out]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("0 epochs asked for") && !err.contains("already has"), "{err}");
    // Item 20 regression: an --out whose sidecar or best checkpoint collides with a folder failed
    // only after epoch 1, leaving an orphan -best.safetensors.
    std::fs::create_dir_all(dir.path().join("c-best.json")).unwrap();
    let c = s(&dir.path().join("c"));
    let o = fude(&["train", "--data", "fonts", "--epochs", "1", "--epoch-size", "32", "--out", &c]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("c-best.json") && err.contains("a folder is there"), "{err}");
    assert!(!text(&o.stdout).contains("epoch 1/1"), "refused before training: {}", text(&o.stdout));
    assert!(!dir.path().join("c-best.safetensors").exists() && !dir.path().join("c.safetensors").exists());
}

#[test]
fn item6_a_dot_in_out_names_its_own_files() {
    // Regression: `train --out dir/m.v2` overwrote dir/m.* (".v2" was taken for an extension).
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.json"), b"another checkpoint").unwrap();
    let out = s(&dir.path().join("m.v2"));
    let o = fude(&["train", "--data", "fonts", "--epochs", "1", "--epoch-size", "32", "--batch", "32", "--out", &out]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(std::fs::read(dir.path().join("m.json")).unwrap(), b"another checkpoint");
    for name in ["m.v2.safetensors", "m.v2.json", "m.v2-best.safetensors", "m.v2-best.json"] {
        assert!(dir.path().join(name).is_file(), "{name}");
    }
    assert!(text(&o.stdout).contains("m.v2.safetensors"), "{}", text(&o.stdout));
}

#[test]
fn item10_and_11_generate_refuses_oversized_calls_and_bad_temperatures_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let out = s(&dir.path().join("x.png"));
    // Item 10 regression: `--all --count 1000` took 8 GB and 12 minutes.
    let t = Instant::now();
    let o = fude(&["generate", "--all", "--count", "1000", "--out", &out]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("180000 samples") && err.contains("limit for one call is 10000"), "{err}");
    let long = "あ".repeat(20_000);
    let o = fude(&["generate", "--chars", &long, "--out", &out]);
    assert!(text(&o.stderr).contains("limit for one call"), "{}", text(&o.stderr));
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    // Item 11 regression: these said "a latent needs 16 finite values, got 16".
    for bad in ["nan", "inf", "1e39", "20"] {
        let o = fude(&["generate", "--char", "あ", "--temperature", bad, "--out", &out]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{bad}: {err}");
        assert!(err.contains("--temperature") && !err.contains("latent needs"), "{err}");
    }
    let t = Instant::now();
    let o = fude(&["eval-gen", "--temperature", "nan"]);
    assert!(text(&o.stderr).contains("--temperature"), "{}", text(&o.stderr));
    assert!(t.elapsed() < Duration::from_secs(5), "refused before the work: {:?}", t.elapsed());
    assert!(!dir.path().join("x.png").exists());
}

#[test]
fn item12_style_from_reads_a_picture_as_predict_does() {
    let dir = tempfile::tempdir().unwrap();
    let out = s(&dir.path().join("x.png"));
    // Regression: a small あ in a corner was read as a writing box (ヽ); predict reads あ.
    let o = fude(&["generate", "--style-from", &s(&hostile("small_a_corner.png")), "--chars", "い", "--out", &out]);
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(stdout.contains("reads as あ"), "{stdout}");
    // Regression: a 1x100000 picture refused by predict was accepted.
    let thin = s(&hostile("thin1x100k.png"));
    let p = fude(&["predict", &thin]);
    let o = fude(&["generate", "--style-from", &thin, "--out", &out]);
    let (perr, err) = (text(&p.stderr), text(&o.stderr));
    assert_eq!(o.status.code(), Some(1), "{err}");
    let reason = perr.lines().find_map(|l| l.split_once("error: ").map(|(_, r)| r.to_string())).unwrap_or_default();
    assert!(!reason.is_empty() && err.contains(&reason), "the same refusal as predict: {perr} / {err}");
}

#[test]
fn item13_an_empty_held_out_split_is_said_not_scored() {
    // Regression: "0 samples top-1 0.00%", 100 blank samples labelled ぁ, a ratio of -inf.
    let dir = tempfile::tempdir().unwrap();
    let mine = format!("mine={}", s(&mine_without_held_out(dir.path())));
    let out = s(&dir.path().join("s.png"));
    for args in [
        vec!["eval", "--data", &mine],
        vec!["samples", "--data", &mine, "--test-split", "--out", &out],
        vec!["eval-gen", "--data", &mine, "--per-class", "2", "--styles", "1"],
    ] {
        let o = fude(&args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err} / {}", text(&o.stdout));
        assert!(err.contains("mine") && err.contains("held-out") && err.contains("none yet"), "{args:?}: {err}");
    }
    assert!(!dir.path().join("s.png").exists());
    // Training with nothing held out printed "-ELBO NaN nats" for its best epoch.
    let g = s(&dir.path().join("g"));
    let o = fude(&["train", "--model", "generator", "--data", &mine, "--epochs", "1", "--epoch-size", "32", "--batch", "32", "--out", &g]);
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(!stdout.contains("NaN") && stdout.contains("no held-out data"), "{stdout}");
}

#[test]
fn item15_non_regular_files_are_refused_not_waited_on() {
    // Regression: a FIFO as sidecar, drawing, kept handwriting, font or --style-from hung.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    mkfifo(&d.join("fifo.json"));
    std::fs::copy(root().join("models/recognizer.safetensors"), d.join("fifo.safetensors")).unwrap();
    mkfifo(&d.join("font.ttf"));
    mkfifo(&d.join("pic.png"));
    std::fs::create_dir_all(d.join("mine/3042")).unwrap();
    mkfifo(&d.join("mine/3042/a.json"));
    let out = s(&d.join("x.png"));
    let fifo = s(&d.join("fifo.json"));
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["predict".into(), "--model".into(), fifo.clone(), example("a.json")], "fifo.json"),
        (vec!["predict".into(), fifo.clone(), s(&d.join("pic.png"))], "pic.png"),
        (vec!["samples".into(), "--data".into(), format!("fonts={}", s(&d.join("font.ttf"))), "--out".into(), out.clone()], "font.ttf"),
        (vec!["samples".into(), "--data".into(), format!("mine={}", s(&d.join("mine"))), "--out".into(), out.clone()], "a.json"),
        (vec!["generate".into(), "--style-from".into(), s(&d.join("pic.png")), "--out".into(), out.clone()], "pic.png"),
        (vec!["generate".into(), "--style-from".into(), fifo.clone(), "--class".into(), "あ".into(), "--out".into(), out.clone()], "fifo.json"),
    ];
    for (args, name) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = fude_within(30, &args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(name) && err.contains("FIFO"), "{args:?}: {err}");
    }
    // /dev/zero as a font is a device: refused before reading.
    let o = fude_within(30, &["samples", "--data", "fonts=/dev/zero", "--out", &out]);
    let err = text(&o.stderr);
    assert!(err.contains("/dev/zero") && err.contains("not a regular file"), "{err}");
}

#[test]
fn item16_generate_into_a_folder_cleans_stale_temps_and_never_mixes_runs() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("out");
    std::fs::create_dir_all(&folder).unwrap();
    // Left by a run killed with kill -9 (a process long gone).
    let stale = folder.join(".0000-u3042.png.999999999.tmp");
    std::fs::write(&stale, b"x").unwrap();
    let arg = format!("{}/", s(&folder));
    let o = fude(&["generate", "--chars", "あい", "--out", &arg]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(!stale.exists(), "the stale temporary file is removed");
    let mut names: Vec<String> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    names.sort();
    assert_eq!(names, ["0000-u3042.png", "0001-u3044.png"]);
    // A second run would mix its files with the first's: refused, the first's kept.
    let o = fude(&["generate", "--chars", "う", "--out", &arg]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("2 PNGs of an earlier generate") && err.contains("0000-u3042.png"), "{err}");
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 2);
}

#[test]
fn item17_out_never_replaces_what_is_not_a_regular_file() {
    // Regression: --out replaced a symlink (or, as root, a device such as /dev/null) with a file.
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target.txt");
    std::fs::write(&target, b"keep me").unwrap();
    let link = dir.path().join("link.png");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let fifo = dir.path().join("fifo.png");
    mkfifo(&fifo);
    for out in [&link, &fifo] {
        let o = fude_within(30, &["generate", "--char", "あ", "--out", &s(out)]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains("not a regular file: refusing to replace it"), "{err}");
    }
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
    let o = fude_within(30, &["samples", "--data", "fonts", "--count", "4", "--out", &s(&link)]);
    assert!(text(&o.stderr).contains("refusing to replace it"), "{}", text(&o.stderr));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
}

#[test]
fn item18_a_closed_pipe_ends_predict_quietly() {
    // Regression: `predict a.json ... | head -c 1` panicked (exit 101) on the closed pipe.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let files: Vec<String> = (0..50).map(|_| example("a.json")).collect();
    let mut child = bin().arg("predict").args(&files).stdout(writer).stderr(Stdio::piped()).spawn().unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let status = child.wait().unwrap();
    assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{err}");
    assert_ne!(status.code(), Some(101), "{status:?}");
}

#[test]
fn item19_escape_sequences_from_a_sidecar_are_not_written_raw() {
    let dir = tempfile::tempdir().unwrap();
    let r = hostile_checkpoint(dir.path(), "r_esc.json", "recognizer");
    let o = fude(&["predict", "--model", &r, &example("a.json")]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("r_esc.json") && err.contains("\\u{1b}"), "{err}");
    assert!(!o.stderr.contains(&0x1b) && !o.stdout.contains(&0x1b), "no raw escape: {err:?}");
}

#[test]
fn item20_non_finite_pictures_missing_fonts_and_other_runs_best() {
    let dir = tempfile::tempdir().unwrap();
    let out = s(&dir.path().join("x.png"));
    // A latent of 3e38 (in the sidecar's class means, or given) gave a NaN picture with exit 0.
    let g = hostile_checkpoint(dir.path(), "gen_latent_3e38.json", "generator");
    let o = fude(&["generate", "--model", &g, "--char", "あ", "--out", &out]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("not finite"), "{}", text(&o.stderr));
    let z = vec!["3e38"; 16].join(",");
    let o = fude(&["generate", "--char", "あ", "--z", &z, "--out", &out]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(!dir.path().join("x.png").exists());
    // `eval --data fonts=/missing.ttf` passed silently.
    let missing = s(&dir.path().join("missing.ttf"));
    let o = fude(&["eval", "--data", &format!("fonts={missing}")]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    assert!(text(&o.stderr).contains("missing.ttf"), "{}", text(&o.stderr));
}

#[test]
fn item20_a_resumed_run_reports_its_own_best_not_another_runs() {
    // Regression: resuming next to an unrelated `X-best` reported it as the run's best epoch.
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let train = |out: &Path, seed: &str, epochs: &str, resume: bool| {
        let mut args = vec!["train", "--data", "fonts", "--epoch-size", "32", "--batch", "32", "--seed", seed, "--epochs", epochs];
        let out = s(out);
        args.extend(["--out", &out]);
        if resume {
            args.extend(["--resume", &out]);
        }
        let o = fude(&args);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        text(&o.stdout)
    };
    train(&a, "1", "1", false);
    train(&b, "2", "1", false);
    // b's best, with a perfect score no epoch of a can beat, put where a's best goes.
    let best = std::fs::read_to_string(dir.path().join("b-best.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&best).unwrap();
    for m in v["metrics"].as_object_mut().unwrap().values_mut() {
        m["top1"] = serde_json::json!(1.0);
    }
    std::fs::write(dir.path().join("a-best.json"), serde_json::to_string(&v).unwrap()).unwrap();
    std::fs::copy(dir.path().join("b-best.safetensors"), dir.path().join("a-best.safetensors")).unwrap();
    let stdout = train(&a, "1", "2", true);
    assert!(stdout.contains("best epoch"), "{stdout}");
    let now: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("a-best.json")).unwrap()).unwrap();
    assert_eq!(now["training"]["seed"], 1, "a's best is now a's own: {now}");
}
