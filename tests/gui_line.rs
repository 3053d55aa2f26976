//! Line mode, driven as a person would: the toggle, a word written with the mouse (strokes
//! traced from a font by the project's word-drawing code), its reading taken with Enter, a
//! character fixed from its own candidates, an alternative taken, undo; and two words into the
//! text with one Enter each.

mod support;

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use fude::data::Split;
use support::*;

#[test]
fn a_word_is_read_taken_fixed_and_undone() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(dir.path(), egui::vec2(1040.0, 720.0), 1.0);
    let box_canvas = canvas(&h);
    assert!(!h.state().line_mode(), "one character to start with");
    h.get_by_label("A line").click();
    h.run_steps(3);
    assert!(h.state().line_mode());
    let line = canvas(&h);
    assert!(line.width() > 4.5 * line.height() && line.width() > box_canvas.width(), "a wide canvas: {line:?}");
    assert!(h.query_by_label_contains("Enter takes the reading").is_some(), "the status line says what to do");

    write_line(&mut h, Split::Train, "カメラ", 0);
    wait_for_readings(&mut h);
    let readings = h.state().line_readings();
    assert_eq!(readings[0], "カメラ", "{readings:?}");
    assert!(readings.len() <= 6, "the best and up to 5 alternatives: {readings:?}");
    for (i, ch) in "カメラ".chars().enumerate() {
        assert!(h.query_by_label(&format!("reading character {}: {ch}", i + 1)).is_some(), "{ch} shown under the canvas");
    }
    assert!(h.query_by_label("reading 1: カメラ").is_some(), "ranked in the panel");

    // Enter takes the reading into the text and clears the canvas; Ctrl+Z undoes both at once.
    press(&mut h, Key::Enter);
    assert_eq!(h.state().text(), "カメラ");
    assert_eq!(h.state().stroke_count(), 0);
    let strokes = fude::data::line_words::word_drawing(Split::Train, "カメラ", 0, false, 11).unwrap().drawing.strokes.len();
    press_with(&mut h, CTRL, Key::Z);
    assert_eq!(h.state().text(), "", "undo takes the reading out");
    assert_eq!(h.state().stroke_count(), strokes, "and brings the line back");
    wait_for_readings(&mut h);

    // A click on a character shows its candidates (its strokes highlighted); a pick changes it.
    h.get_by_label("reading character 2: メ").click();
    h.run_steps(2);
    assert_eq!(h.state().line_view().selected(), Some(1));
    let best = &h.state().line_view().readings()[0];
    assert_eq!(h.state().line_view().selected_strokes(), best.characters[1].strokes.as_slice());
    let other = best.characters[1].top.iter().map(|p| p.ch).find(|&c| c != 'メ').expect("a second candidate");
    h.get_by_label(&format!("character 2 candidate: {other}")).click();
    h.run_steps(2);
    let fixed = format!("カ{other}ラ");
    assert_eq!(h.state().line_readings()[0], fixed);
    assert!(h.query_by_label(&format!("reading character 2: {other}")).is_some());
    press(&mut h, Key::Enter);
    assert_eq!(h.state().text(), fixed, "Enter takes the fixed reading");
    press_with(&mut h, CTRL, Key::Z);
    assert_eq!((h.state().text(), h.state().stroke_count()), ("", strokes));

    // A click on an alternative takes it instead.
    wait_for_readings(&mut h);
    let second = h.state().line_readings().get(1).cloned().expect("an alternative");
    h.get_by_label(&format!("reading 2: {second}")).click();
    h.run_steps(2);
    assert_eq!(h.state().text(), second);
    assert_eq!(h.state().stroke_count(), 0);
    press_with(&mut h, CTRL, Key::Z);
    assert_eq!((h.state().text(), h.state().stroke_count()), ("", strokes));
    press_with(&mut h, CTRL | Modifiers::SHIFT, Key::Z);
    assert_eq!((h.state().text(), h.state().stroke_count()), (second.as_str(), 0), "redo takes it again");

    // Writing into the last cell grows the canvas by a cell.
    let before = canvas(&h);
    drag_line(&mut h, &[[4.3, 0.3], [4.7, 0.7]]);
    let after = canvas(&h);
    assert!((after.width() - before.width() - before.height()).abs() < 1.0, "{before:?} -> {after:?}");

    // Back to one character: the line is cleared (undoable), the box returns.
    h.get_by_label("One character").click();
    h.run_steps(3);
    assert!(!h.state().line_mode());
    assert_eq!(h.state().stroke_count(), 0);
    assert!((canvas(&h).width() - canvas(&h).height()).abs() < 1.0, "the square box");
}

#[test]
fn arigatou_and_kamera_go_in_with_one_enter_each() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(dir.path(), egui::vec2(1040.0, 720.0), 1.0);
    h.get_by_label("A line").click();
    h.run_steps(3);
    let mut want = String::new();
    for word in ["ありがとう", "カメラ"] {
        write_line(&mut h, Split::Test, word, 0);
        // Pressed at once: taken when the reading answers the finished line.
        press(&mut h, Key::Enter);
        want.push_str(word);
        wait_until(&mut h, word, 30, |a| a.text().chars().count() >= want.chars().count());
        assert_eq!(h.state().text(), want, "{word} with one Enter");
        assert_eq!(h.state().stroke_count(), 0);
    }
}
