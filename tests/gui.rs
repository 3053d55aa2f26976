//! The desktop app driven as a person would, through egui_kittest: real pointer drags on the
//! canvas, clicks on buttons found by their labels, key presses, dropped files.

use egui::{Key, Modifiers, Pos2};
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use fude::app::FudeApp;
use fude::ink::Drawing;
use std::time::{Duration, Instant};
use support::{canvas, drag, draw_example, top, wait_for_candidates, wait_until, Dropped, TestApp, CTRL};

mod support;

fn drop_file(h: &mut Harness<'_, FudeApp>, path: std::path::PathBuf) {
    h.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(path)));
    h.step();
}

fn app() -> Harness<'static, FudeApp> {
    TestApp::new().build()
}

fn first_candidate_label(h: &Harness<'_, FudeApp>) -> String {
    h.get_by_label_contains("candidate 1:").accesskit_node().label().unwrap_or_default()
}


#[test]
fn strokes_update_the_candidate_list() {
    let mut h = app();
    assert!(h.query_by_label_contains("candidate 1:").is_none());
    drag(&mut h, &[[0.2, 0.5], [0.5, 0.5], [0.8, 0.5]]);
    wait_for_candidates(&mut h);
    assert_eq!(h.state().stroke_count(), 1);
    let one = first_candidate_label(&h);
    let all_one: Vec<String> = h.get_all_by_label_contains("candidate ").filter_map(|n| n.accesskit_node().label()).collect();
    assert_eq!(all_one.len(), 10, "ten candidates: {all_one:?}");
    drag(&mut h, &[[0.5, 0.2], [0.5, 0.5], [0.5, 0.8]]);
    wait_for_candidates(&mut h);
    assert_eq!(h.state().stroke_count(), 2);
    let all_two: Vec<String> = h.get_all_by_label_contains("candidate ").filter_map(|n| n.accesskit_node().label()).collect();
    assert_ne!(all_one, all_two, "a second stroke changes the candidates (first was {one})");
    assert!(h.state().model_eye().is_some_and(|e| e.iter().any(|&v| v > 0.5)), "the model's eye shows the input");
}

#[test]
fn candidates_update_while_a_stroke_is_drawn() {
    let mut h = app();
    let r = canvas(&h);
    let at = |x: f32, y: f32| Pos2::new(r.left() + x * r.width(), r.top() + y * r.height());
    h.hover_at(at(0.2, 0.5));
    h.drag_at(at(0.2, 0.5));
    let t = Instant::now();
    let mut x = 0.2;
    // Keep the pen down, moving slowly, until candidates show up.
    while h.state().candidates().is_empty() {
        x = (x + 0.01f32).min(0.8);
        h.hover_at(at(x, 0.5));
        h.step();
        std::thread::sleep(Duration::from_millis(10));
        assert!(t.elapsed() < Duration::from_secs(30), "no candidates while drawing");
    }
    assert_eq!(h.state().stroke_count(), 0, "the stroke is still being drawn");
    h.drop_at(at(x, 0.5));
    h.step();
    assert_eq!(h.state().stroke_count(), 1);
}

#[test]
fn undo_redo_and_clear_by_buttons_and_keys() {
    let mut h = app();
    drag(&mut h, &[[0.2, 0.3], [0.8, 0.3]]);
    drag(&mut h, &[[0.2, 0.6], [0.8, 0.6]]);
    assert_eq!(h.state().stroke_count(), 2);

    h.get_by_label("Undo").click();
    h.step();
    assert_eq!(h.state().stroke_count(), 1);
    h.get_by_label("Redo").click();
    h.step();
    assert_eq!(h.state().stroke_count(), 2);

    h.key_press_modifiers(CTRL, Key::Z);
    h.step();
    assert_eq!(h.state().stroke_count(), 1, "Ctrl+Z");
    h.key_press_modifiers(CTRL | Modifiers::SHIFT, Key::Z);
    h.step();
    assert_eq!(h.state().stroke_count(), 2, "Ctrl+Shift+Z");
    h.key_press_modifiers(CTRL, Key::Z);
    h.key_press_modifiers(CTRL, Key::Y);
    h.step();
    assert_eq!(h.state().stroke_count(), 2, "Ctrl+Y");

    h.key_press(Key::Escape);
    h.step();
    assert_eq!(h.state().stroke_count(), 0, "Esc clears");
    h.key_press_modifiers(CTRL, Key::Z);
    h.step();
    assert_eq!(h.state().stroke_count(), 2, "clearing is undoable");
    h.key_press(Key::Delete);
    h.step();
    assert_eq!(h.state().stroke_count(), 0, "Delete clears");
    h.key_press_modifiers(CTRL, Key::Z);
    h.step();
    h.get_by_label("Clear").click();
    h.step();
    assert_eq!(h.state().stroke_count(), 0, "Clear button");
    wait_until(&mut h, "the list to empty", 30, |a| a.candidates().is_empty());
}

#[test]
fn writing_a_word_and_copying_it() {
    let mut h = app();
    draw_example(&mut h, include_str!("../assets/examples/ka.json"));
    wait_for_candidates(&mut h);
    let first = top(&h);
    h.get_by_label_contains("candidate 1:").click();
    h.step();
    assert_eq!(h.state().text(), first.to_string(), "clicking a candidate appends it");
    assert_eq!(h.state().stroke_count(), 0, "and clears the canvas");

    draw_example(&mut h, include_str!("../assets/examples/a.json"));
    wait_for_candidates(&mut h);
    let second = h.state().candidates()[1].ch;
    h.key_press(Key::Num2);
    h.step();
    assert_eq!(h.state().text(), format!("{first}{second}"), "key 2 picks the second candidate");

    h.get_by_label("Copy").click();
    h.step();
    assert_eq!(support::copied(&h), vec![format!("{first}{second}")]);

    h.get_by_label("Backspace").click();
    h.step();
    assert_eq!(h.state().text(), first.to_string());
    h.key_press(Key::Backspace);
    h.step();
    assert_eq!(h.state().text(), "");
}

#[test]
fn scripted_a_ka_and_small_ya_are_read_right() {
    let mut h = app();
    for (json, want) in [
        (include_str!("../assets/examples/a.json"), 'あ'),
        (include_str!("../assets/examples/ka.json"), 'カ'),
        (include_str!("../assets/examples/small-ya.json"), 'ゃ'),
    ] {
        draw_example(&mut h, json);
        wait_for_candidates(&mut h);
        let got: Vec<char> = h.state().candidates().iter().take(3).map(|p| p.ch).collect();
        assert_eq!(top(&h), want, "top candidates {got:?}");
        h.key_press(Key::Num1);
        h.step();
    }
    assert_eq!(h.state().text(), "あカゃ");
}

fn open_by_path(h: &mut Harness<'_, FudeApp>, menu_item: &str, path: &std::path::Path) {
    h.get_by_label("File").click();
    h.run_steps(3);
    h.get_by_label(menu_item).click();
    // No dialog in tests: the app says so and asks for a path.
    support::type_path(h, path);
}

#[test]
fn malformed_files_are_refused_and_the_canvas_kept() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.json");
    std::fs::write(&bad, r#"{"version": 1, "width": 100, "height": 100, "strokes": [[[1, "x"]]]}"#).unwrap();
    let mut h = app();
    drag(&mut h, &[[0.3, 0.3], [0.7, 0.7]]);
    open_by_path(&mut h, "Open drawing…", &bad);
    wait_until(&mut h, "an error", 30, |a| a.notice().is_some_and(|(m, _)| m.starts_with("Could not open")));
    let (msg, is_error) = h.state().notice().unwrap();
    assert!(is_error);
    assert!(msg.contains("broken.json"), "the error names the file: {msg}");
    assert_eq!(h.state().stroke_count(), 1, "the canvas is kept");

    // A model that does not fit is refused; the bundled one stays.
    let model = dir.path().join("model.safetensors");
    std::fs::write(&model, b"not safetensors").unwrap();
    std::fs::write(dir.path().join("model.json"), "{}").unwrap();
    drop_file(&mut h, model);
    wait_until(&mut h, "the model error", 30, |a| a.notice().is_some_and(|(m, _)| m.contains("Model not loaded")));
    assert!(h.state().notice().unwrap().0.contains("model.json"), "{:?}", h.state().notice());
    assert_eq!(h.state().model_name().as_deref(), Some("bundled"));
    assert_eq!(h.state().stroke_count(), 1);

    // A model that fits replaces the bundled one, and the canvas is read again with it.
    let good = dir.path().join("good.safetensors");
    let net = fude::models::Recognizer::new_seeded(Default::default(), &candle_core::Device::Cpu, 3).unwrap();
    let sidecar = fude::models::Sidecar::new(Default::default(), Default::default());
    fude::models::Checkpoint::save(&net, &sidecar, &good).unwrap();
    open_by_path(&mut h, "Open model…", &good);
    wait_until(&mut h, "the new model", 30, |a| a.model_name().is_some_and(|n| n.ends_with("good.safetensors")));
    wait_for_candidates(&mut h);
    assert_eq!(h.state().stroke_count(), 1);
}

#[test]
fn save_reopen_export_and_import_an_image() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app();
    draw_example(&mut h, include_str!("../assets/examples/a.json"));
    wait_for_candidates(&mut h);
    let strokes = h.state().stroke_count();
    let saved = dir.path().join("mine.json");
    open_by_path(&mut h, "Save drawing…", &saved);
    wait_until(&mut h, "the save", 30, |a| a.notice().is_some_and(|(m, _)| m.starts_with("Saved")));
    assert_eq!(Drawing::load(&saved).unwrap().strokes.len(), strokes);

    let png = dir.path().join("mine.png");
    open_by_path(&mut h, "Export PNG…", &png);
    wait_until(&mut h, "the export", 30, |a| a.notice().is_some_and(|(m, _)| m.contains("mine.png")));
    let exported = fude::ink::InkImage::load(&png).unwrap();
    assert_eq!((exported.width, exported.height), (256, 256));
    assert!(exported.get(0, 0) > 0.99, "white paper");
    assert!(exported.data.iter().any(|&v| v < 0.1), "dark ink");

    h.key_press(Key::Escape);
    h.step();
    // The exported picture, dropped back on the window, is read as the same character.
    drop_file(&mut h, png);
    wait_until(&mut h, "the image", 30, |a| a.notice().is_some_and(|(m, _)| m.starts_with("Opened")));
    wait_for_candidates(&mut h);
    assert_eq!(top(&h), 'あ');

    h.key_press(Key::Escape);
    h.step();
    drop_file(&mut h, saved);
    wait_until(&mut h, "the drawing", 30, |a| a.stroke_count() == strokes);
    wait_for_candidates(&mut h);
    assert_eq!(top(&h), 'あ');
}

#[test]
fn theme_switches_between_light_and_dark() {
    let mut h = app();
    for (item, dark) in [("Dark", true), ("Light", false), ("Dark", true)] {
        h.get_by_label("View").click();
        h.run_steps(3);
        h.get_by_label(item).click();
        h.run_steps(3);
        assert_eq!(h.ctx.theme() == egui::Theme::Dark, dark, "after choosing {item}");
        assert_eq!(h.ctx.global_style().visuals.dark_mode, dark);
        h.key_press(Key::Escape);
        h.run_steps(2);
    }
}
