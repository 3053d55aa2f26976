//! `fude predict --line`: lines of kana written with strokes traced from a training font, read
//! as words, in JSON and plain text, with --script, and bad files.

mod support;

use fude::data::line_words::word_drawing;
use fude::data::Split;
use std::path::Path;
use support::{fude};

/// Writes `word` (training font `font`) as a drawing file in `dir`.
fn write(dir: &Path, word: &str, font: usize, touching: bool) -> String {
    let w = word_drawing(Split::Train, word, font, touching, 11).expect("the font has the word");
    let path = dir.join(format!("{word}.json"));
    w.drawing.save(&path).unwrap();
    path.to_string_lossy().to_string()
}

#[test]
fn line_json_reads_words_with_their_strokes_and_candidates() {
    let dir = tempfile::tempdir().unwrap();
    let words = [("ありがとう", false), ("カメラ", true)];
    let files: Vec<String> = words.iter().map(|(w, t)| write(dir.path(), w, 0, *t)).collect();
    let mut args = vec!["predict", "--line", "--json"];
    args.extend(files.iter().map(String::as_str));
    let out = fude(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "{text}");
    for ((word, _), (v, file)) in words.iter().zip(lines.iter().zip(&files)) {
        assert_eq!(v["file"], file.as_str());
        assert_eq!(v["text"], *word, "{v}");
        let alternatives = v["alternatives"].as_array().unwrap();
        assert!(alternatives.len() <= 5 && !alternatives.iter().any(|a| a == *word), "{v}");
        let chars = v["characters"].as_array().unwrap();
        assert_eq!(chars.len(), word.chars().count());
        let n = fude::ink::Drawing::load(Path::new(file)).unwrap().strokes.len();
        let mut strokes: Vec<u64> = chars.iter().flat_map(|c| c["strokes"].as_array().unwrap().iter().map(|s| s.as_u64().unwrap())).collect();
        strokes.sort_unstable();
        assert_eq!(strokes, (0..n as u64).collect::<Vec<_>>(), "every stroke in one character");
        for (c, ch) in chars.iter().zip(word.chars()) {
            assert_eq!(c["char"], ch.to_string());
            let top = c["top"].as_array().unwrap();
            assert!(!top.is_empty() && top.len() <= 5);
            assert!(top.iter().all(|t| t["char"].is_string() && t["p"].as_f64().is_some_and(|p| (0.0..=1.0).contains(&p))));
        }
    }
}

#[test]
fn line_plain_text_script_and_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let camera = write(dir.path(), "カメラ", 0, false);
    let out = fude(&["predict", "--line", &camera]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with(&format!("{camera}: カメラ\n")), "{text}");
    assert!(text.contains("  alternatives: "), "{text}");
    // --script hiragana reads only hiragana.
    let out = fude(&["predict", "--line", "--json", "--script", "hiragana", &camera]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let read = v["text"].as_str().unwrap();
    assert!(!read.is_empty() && read.chars().all(|c| ('\u{3041}'..='\u{309F}').contains(&c)), "{read}");
    // A bad file is reported; the good one is still read.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"version\":1}").unwrap();
    let out = fude(&["predict", "--line", "--json", bad.to_str().unwrap(), &camera]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines[0]["error"].as_str().unwrap().contains("invalid drawing"), "{text}");
    assert_eq!(lines[1]["text"], "カメラ");
}

#[test]
fn line_bench_reads_with_the_recognizer_asked_for() {
    // Another recognizer is for the predict, train and line benchmarks; a missing one is refused
    // with its path.
    let o = fude(&["bench", "data", "--model", "models/recognizer"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("only `fude bench predict|train|line`"), "{}", String::from_utf8_lossy(&o.stderr));
    for what in ["line", "predict", "train"] {
        let o = fude(&["bench", what, "--model", "/no/such/recognizer"]);
        assert_eq!(o.status.code(), Some(1), "{what}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("/no/such/recognizer"), "{what}: {}", String::from_utf8_lossy(&o.stderr));
    }
}
