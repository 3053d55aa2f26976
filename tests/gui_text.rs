//! Writing text with the app, driven as a person would: a long text in a small window, undo of
//! picks and text edits, Enter and Space, editing in the middle of the text, punctuation.

mod support;

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use support::*;

const A: &str = include_str!("../assets/examples/a.json");
const KA: &str = include_str!("../assets/examples/ka.json");

#[test]
fn a_long_text_keeps_the_bar_its_buttons_and_the_status_line_at_800x600() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(dir.path(), egui::vec2(800.0, 600.0), 1.0);
    let long: String = "かなをかいてえらぶ、".chars().cycle().take(100).collect();
    text_area(&h).focus();
    h.step();
    text_area(&h).type_text(&long);
    h.step();
    press(&mut h, Key::Escape); // the field lets go of the keyboard
    h.run_steps(3);
    assert_eq!(h.state().text().chars().count(), 100, "{}", h.state().text());

    let win = window(&h);
    let bar = h.get_by_label("Copy").rect();
    for button in ["Copy", "Backspace", "Clear text", "Space", "insert 。"] {
        let r = h.get_by_label(button).rect();
        assert_inside(r, win, button);
        assert!((r.center().y - bar.center().y).abs() < 2.0, "{button} is in the button row: {r:?}");
    }
    let canvas = canvas(&h);
    let status = h.get_by_label_contains("F1 help").rect();
    assert_inside(status, win, "status line");
    assert!(canvas.bottom() <= bar.top(), "the canvas stays above the text bar: {canvas:?} vs {bar:?}");
    assert!(bar.bottom() < status.top(), "the text bar stays above the status line: {bar:?} vs {status:?}");
    let height = status.top() - bar.top();
    assert!(height > 60.0 && height < 130.0, "the text bar keeps its height: {height}");
    assert!(canvas.height() > 150.0, "the canvas keeps room to write: {canvas:?}");

    // The buttons still work with the long text.
    h.get_by_label("Backspace").click();
    h.run_steps(2);
    assert_eq!(h.state().text().chars().count(), 99);
}

#[test]
fn undo_after_a_pick_takes_the_character_out_and_brings_the_drawing_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(dir.path(), egui::vec2(1040.0, 720.0), 1.0);
    draw_example(&mut h, KA);
    wait_for_candidates(&mut h);
    let strokes = h.state().stroke_count();
    let first = top(&h);
    press(&mut h, Key::Num1);
    assert_eq!(h.state().text(), first.to_string());
    assert_eq!(h.state().stroke_count(), 0);

    press_with(&mut h, CTRL, Key::Z);
    assert_eq!(h.state().text(), "", "undo takes the picked character out");
    assert_eq!(h.state().stroke_count(), strokes, "and brings the drawing back");
    press_with(&mut h, CTRL | Modifiers::SHIFT, Key::Z);
    assert_eq!(h.state().text(), first.to_string(), "redo picks it again");
    assert_eq!(h.state().stroke_count(), 0);

    // Clear text is undoable, by the Undo button too.
    h.get_by_label("Clear text").click();
    h.run_steps(2);
    assert_eq!(h.state().text(), "");
    assert!(h.state().notice().is_some_and(|(m, _)| m.contains("Ctrl+Z")), "{:?}", h.state().notice());
    h.get_by_label("Undo").click();
    h.run_steps(2);
    assert_eq!(h.state().text(), first.to_string(), "Clear text undone");

    // Typing in the text is one undo step.
    text_area(&h).focus();
    h.step();
    text_area(&h).type_text("ab");
    h.step();
    assert_eq!(h.state().text(), format!("{first}ab"));
    press_with(&mut h, CTRL, Key::Z);
    assert_eq!(h.state().text(), first.to_string(), "Ctrl+Z in the text field undoes the typing");
    press_with(&mut h, CTRL, Key::Y);
    assert_eq!(h.state().text(), format!("{first}ab"), "Ctrl+Y redoes it");
}

#[test]
fn enter_and_space_take_the_top_candidate_but_not_from_a_focused_button() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(dir.path(), egui::vec2(1040.0, 720.0), 1.0);
    draw_example(&mut h, A);
    // Pressed at once: taken when the candidates answer the finished drawing.
    press(&mut h, Key::Enter);
    wait_until(&mut h, "Enter to take the top candidate", 30, |a| !a.text().is_empty());
    assert_eq!(h.state().text(), "あ");
    assert_eq!(h.state().stroke_count(), 0);

    draw_example(&mut h, KA);
    wait_for_candidates(&mut h);
    let second = top(&h);
    press(&mut h, Key::Space);
    assert_eq!(h.state().text(), format!("あ{second}"), "Space takes the top candidate when there are strokes");
    press(&mut h, Key::Space);
    assert_eq!(h.state().text(), format!("あ{second}\u{3000}"), "and inserts a space on an empty canvas");

    // With a button focused, Space and Enter press that button, once each, and take nothing.
    draw_example(&mut h, A);
    wait_for_candidates(&mut h);
    h.get_by_label("insert 。").focus();
    h.step();
    press(&mut h, Key::Space);
    press(&mut h, Key::Enter);
    assert_eq!(h.state().text(), format!("あ{second}\u{3000}。。"), "the focused button, once per key");
    assert!(h.state().stroke_count() > 0, "the drawing stays");

    // Tab moves the focus on; Esc takes it away, and only then clears the drawing.
    press(&mut h, Key::Tab);
    assert!(h.ctx.memory(|m| m.focused()).is_some(), "Tab focuses a widget");
    press(&mut h, Key::Escape);
    assert!(h.ctx.memory(|m| m.focused()).is_none());
    assert!(h.state().stroke_count() > 0, "the first Esc only took the focus");
    press(&mut h, Key::Escape);
    assert_eq!(h.state().stroke_count(), 0, "the second cleared the drawing");
}

#[test]
fn picks_and_punctuation_go_in_at_the_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(dir.path(), egui::vec2(1040.0, 720.0), 1.0);
    text_area(&h).focus();
    h.step();
    text_area(&h).type_text("かな");
    h.step();
    press(&mut h, Key::ArrowLeft);
    // Drawing takes the pointer elsewhere; the cursor stays where it was in the text.
    draw_example(&mut h, A);
    wait_for_candidates(&mut h);
    let picked = top(&h);
    press(&mut h, Key::Enter);
    wait_until(&mut h, "the pick", 30, |a| a.text().chars().count() == 3);
    assert_eq!(h.state().text(), format!("か{picked}な"), "the pick goes in at the cursor");
    h.get_by_label("insert ー").click();
    h.run_steps(2);
    assert_eq!(h.state().text(), format!("か{picked}ーな"), "punctuation too");
    press(&mut h, Key::Backspace);
    assert_eq!(h.state().text(), format!("か{picked}な"), "Backspace removes the character before the cursor");

    // Ctrl+C in the text with nothing selected copies all of it (the platform sends a Copy event).
    text_area(&h).focus();
    h.step();
    h.input_mut().events.push(egui::Event::Copy);
    h.step();
    assert_eq!(support::copied(&h), vec![format!("か{picked}な")]);
}

#[test]
fn the_status_line_follows_what_happens() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(dir.path(), egui::vec2(1040.0, 720.0), 1.0);
    draw_example(&mut h, A);
    wait_for_candidates(&mut h);
    press(&mut h, Key::Num1);
    assert!(h.state().notice().is_some_and(|(m, _)| m.starts_with("Added")));
    press(&mut h, Key::Backspace);
    assert!(h.state().notice().is_some_and(|(m, _)| m.starts_with("Removed")), "{:?}", h.state().notice());
    assert_eq!(h.state().text(), "");

    // An error goes once the person does something else.
    h.get_by_label("File").click();
    h.run_steps(3);
    h.get_by_label("Save drawing…").click();
    h.run_steps(2);
    assert!(h.state().notice().is_some_and(|(m, e)| e && m.starts_with("Nothing to save")), "{:?}", h.state().notice());
    drag(&mut h, &[[0.2, 0.5], [0.8, 0.5]]);
    assert_eq!(h.state().notice(), None, "a new stroke clears the stale error");
    assert!(h.query_by_label("1 stroke").is_some(), "one stroke, not \"1 strokes\"");
}
