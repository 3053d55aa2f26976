//! Pictures and the script choice in the app, driven as a person would: a dropped picture is read
//! as `fude predict` reads it (cropped, full-size first), "Picture is a writing box" reads it as
//! `--as-box`, the Script menu limits the candidates, and the text written so far orders look-alikes.

mod support;

use egui::Key;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use fude::app::FudeApp;
use fude::ink::raster::rasterize;
use fude::ink::{Drawing, InkImage};
use std::path::{Path, PathBuf};
use std::process::Command;
use support::{app, drag, text_area, wait_until};


/// `fude predict --json --top 10 ARGS...`: the candidates' characters and probabilities.
fn cli(args: &[&str]) -> Vec<(char, f32)> {
    let o = Command::new(env!("CARGO_BIN_EXE_fude")).args([&["predict", "--json", "--top", "10"], args].concat()).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(String::from_utf8_lossy(&o.stdout).lines().next().unwrap()).unwrap();
    v["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["char"].as_str().unwrap().chars().next().unwrap(), c["prob"].as_f64().unwrap() as f32))
        .collect()
}

fn shown(h: &Harness<'_, FudeApp>) -> Vec<(char, f32)> {
    h.state().candidates().iter().map(|p| (p.ch, p.prob)).collect()
}

fn assert_same(app: &[(char, f32)], cli: &[(char, f32)], what: &str) {
    let chars = |v: &[(char, f32)]| v.iter().map(|c| c.0).collect::<String>();
    assert_eq!(chars(app), chars(cli), "{what}: app vs CLI");
    for (a, c) in app.iter().zip(cli) {
        assert!((a.1 - c.1).abs() < 1e-4, "{what}: {a:?} vs {c:?}");
    }
}

/// Waits until the shown candidates answer the canvas and reading as they are now.
fn settle(h: &mut Harness<'_, FudeApp>) {
    h.step();
    wait_until(h, "the candidates", 30, |a| a.is_up_to_date() && !a.candidates().is_empty());
}

/// A scan-like picture: the small ゃ drawing, written small on a wide white page with a ruled line,
/// the scanner's top border and specks.
fn ya_picture(path: &Path) {
    let d = Drawing::load(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/examples/small-ya.json")).unwrap();
    let ink = rasterize(&d, 80, 0.06);
    let (w, h) = (200, 160);
    let mut img = InkImage { width: w, height: h, data: vec![1.0; w * h] };
    for (i, v) in ink.data.iter().enumerate() {
        img.data[(30 + i / ink.width) * w + 40 + i % ink.width] = 1.0 - v;
    }
    for x in 0..w {
        img.data[(h - 12) * w + x] = 0.1;
        img.data[x] = 0.2;
    }
    img.data[9 * w + w - 9] = 0.0;
    img.save_png(path).unwrap();
}

#[test]
fn pictures_and_scripts_read_as_the_command_line_does() {
    let data = tempfile::tempdir().unwrap();
    let pic = data.path().join("ya.png");
    ya_picture(&pic);
    let pic_s = pic.to_string_lossy().to_string();
    let mut h = app(data.path(), egui::vec2(1040.0, 720.0), 1.0);

    // A dropped picture is cropped to its character: full-size first, as fude predict reads it.
    h.input_mut().dropped_files.push(std::sync::Arc::new(support::Dropped(pic.clone())));
    settle(&mut h);
    assert_same(&shown(&h), &cli(&[&pic_s]), "picture");
    assert_eq!(h.state().candidates()[0].ch, 'や');
    assert!(h.query_by_label_contains("full-size first").is_some(), "the candidates say why");

    // Read as a writing box, it is what predict --as-box says.
    h.get_by_label("Picture is a writing box").click();
    settle(&mut h);
    assert_same(&shown(&h), &cli(&["--as-box", &pic_s]), "picture as a box");
    assert!(h.query_by_label_contains("full-size first").is_none());
    h.get_by_label("Picture is a writing box").click();
    settle(&mut h);

    // The Script menu: only katakana, as predict --script katakana.
    h.get_by_label("Script").click();
    h.run_steps(2);
    h.get_by_label("Katakana").click();
    settle(&mut h);
    assert_same(&shown(&h), &cli(&["--script", "katakana", &pic_s]), "katakana only");
    assert!(h.state().candidates().iter().all(|p| ('\u{30a0}'..='\u{30ff}').contains(&p.ch)));
    h.get_by_label("Script").click();
    h.run_steps(2);
    h.get_by_label("Auto").click();
    h.run_steps(2);

    // Auto with the text so far: へ/ヘ, drawn alike, is read in the script of the text.
    h.key_press(Key::Escape);
    h.run_steps(2);
    let he: &[[f32; 2]] = &[[0.15, 0.6], [0.27, 0.47], [0.4, 0.36], [0.6, 0.52], [0.85, 0.7]];
    for (text, want) in [("いち", 'へ'), ("アイ", 'ヘ')] {
        text_area(&h).focus();
        h.step();
        h.key_press_modifiers(support::CTRL, Key::A);
        h.step();
        text_area(&h).type_text(text);
        h.step();
        h.key_press(Key::Escape);
        h.run_steps(2);
        assert!(h.state().text().ends_with(text), "{:?}", h.state().text());
        drag(&mut h, he);
        settle(&mut h);
        assert_eq!(h.state().candidates()[0].ch, want, "after {text}: {:?}", shown(&h));
        h.key_press(Key::Escape);
        h.run_steps(2);
    }
}

/// A Kuzushiji-49 cell (28x28, from the repository's fixture) under the Kuzushiji script: the app
/// softens it as `fude predict --script kuzushiji` does, has the Kuzushiji reader read it too, as
/// `predict` does, shows the model that softened input and says both under the candidates.
#[test]
fn a_kuzushiji_cell_is_read_softened_under_the_kuzushiji_script_as_predict_reads_it() {
    use fude::ink::picture::picture_input;
    use fude::models::recognizer::ScriptChoice;
    let data = tempfile::tempdir().unwrap();
    let (cell, _) = support::held_out_pictures(&support::kuzushiji_fixture_spec()).into_iter().next().unwrap();
    assert_eq!((cell.width, cell.height), (28, 28));
    let pic = data.path().join("cell.png");
    cell.save_png(&pic).unwrap();
    let pic_s = pic.to_string_lossy().to_string();
    let saved = InkImage::load(&pic).unwrap();
    let mut h = app(data.path(), egui::vec2(1040.0, 720.0), 1.0);

    h.input_mut().dropped_files.push(std::sync::Arc::new(support::Dropped(pic.clone())));
    settle(&mut h);
    let as_published = h.state().model_eye().unwrap().to_vec();
    assert_eq!(as_published, fude::ink::model_input(&saved).to_vec(), "under Auto the cell is read as it is");
    assert_same(&shown(&h), &cli(&[&pic_s]), "the cell under Auto");
    assert!(h.query_by_label_contains("softened").is_none());

    h.get_by_label("Script").click();
    h.run_steps(2);
    h.get_by_label("Kuzushiji").click();
    settle(&mut h);
    assert_same(&shown(&h), &cli(&["--script", "kuzushiji", &pic_s]), "the cell under Kuzushiji");
    let softened = h.state().model_eye().unwrap().to_vec();
    assert_eq!(softened, picture_input(&saved, ScriptChoice::Kuzushiji.picture_options(false)).unwrap().input.to_vec());
    assert_ne!(softened, as_published, "the model sees the softened cell");
    assert!(h.query_by_label_contains("softened a little").is_some(), "the candidates say so");
    assert!(h.query_by_label_contains("a reader trained mostly on real Kuzushiji-MNIST cells").is_some(), "and that the Kuzushiji reader read the picture too");
}

/// The same cell under Auto (the default): the candidates say that it looks like a Kuzushiji-49 cell,
/// so the Kuzushiji reader read it too, and they are `fude predict`'s (Auto). Under Hiragana the note
/// offers "Read as Kuzushiji"; one click reads it as the Kuzushiji script does (as `fude predict
/// --script kuzushiji` reads it), and the note and its button go.
#[test]
fn a_kuzushiji_cell_under_auto_is_read_by_the_reader_too_and_other_scripts_offer_kuzushiji() {
    use fude::models::recognizer::ScriptChoice;
    let data = tempfile::tempdir().unwrap();
    let (cell, _) = support::held_out_pictures(&support::kuzushiji_fixture_spec()).into_iter().next().unwrap();
    let pic = data.path().join("cell.png");
    cell.save_png(&pic).unwrap();
    let pic_s = pic.to_string_lossy().to_string();
    let mut h = app(data.path(), egui::vec2(1040.0, 720.0), 1.0);

    h.input_mut().dropped_files.push(std::sync::Arc::new(support::Dropped(pic.clone())));
    settle(&mut h);
    assert_eq!(h.state().script(), ScriptChoice::Auto);
    assert!(h.query_by_label_contains("looks like a Kuzushiji-49 cell, so the Kuzushiji reader read it too").is_some(), "the note under Auto");
    assert_same(&shown(&h), &cli(&[&pic_s]), "the cell under Auto");
    assert!(h.query_by_label("Read as Kuzushiji").is_none(), "the reader reads it already");

    h.get_by_label("Script").click();
    h.run_steps(2);
    h.get_by_label("Hiragana").click();
    settle(&mut h);
    assert!(h.query_by_label_contains("looks like a Kuzushiji-49 cell").is_some(), "the note under Hiragana");
    h.get_by_label("Read as Kuzushiji").click();
    settle(&mut h);
    assert_eq!(h.state().script(), ScriptChoice::Kuzushiji);
    assert_same(&shown(&h), &cli(&["--script", "kuzushiji", &pic_s]), "the cell read as Kuzushiji");
    assert!(h.query_by_label_contains("looks like a Kuzushiji-49 cell").is_none(), "no note under Kuzushiji");
    assert!(h.query_by_label("Read as Kuzushiji").is_none());
    assert!(h.query_by_label_contains("softened a little").is_some());

    // A picture of dark ink on white paper of the same size is not taken for a Kuzushiji cell.
    let inverted = InkImage { data: cell.data.iter().map(|v| 1.0 - v).collect(), ..cell.clone() };
    let white = data.path().join("white.png");
    inverted.save_png(&white).unwrap();
    h.get_by_label("Script").click();
    h.run_steps(2);
    h.get_by_label("Auto").click();
    h.input_mut().dropped_files.push(std::sync::Arc::new(support::Dropped(white)));
    settle(&mut h);
    assert!(!h.state().candidates().is_empty());
    assert!(h.query_by_label_contains("looks like a Kuzushiji-49 cell").is_none(), "dark on white: no note");
}
