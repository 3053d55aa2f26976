//! The app's windows and edges, driven as a person would: Esc with a menu, the path field or Help
//! open; the smallest window at 1x and 2x; a drawing outside the box; the typed-path field.

mod support;

use egui::Key;
use egui_kittest::kittest::{NodeT, Queryable};
use fude::app::MIN_WINDOW;
use support::*;

#[test]
fn esc_closes_the_menu_the_path_field_and_help_before_it_clears() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(dir.path(), egui::vec2(1040.0, 720.0), 1.0);
    drag(&mut h, &[[0.2, 0.5], [0.8, 0.5]]);
    assert_eq!(h.state().stroke_count(), 1);

    h.get_by_label("File").click();
    h.run_steps(3);
    assert!(h.query_by_label("Open drawing…").is_some(), "the menu is open");
    press(&mut h, Key::Escape);
    h.run_steps(2);
    assert!(h.query_by_label("Open drawing…").is_none(), "Esc closed the menu");
    assert_eq!(h.state().stroke_count(), 1, "and kept the drawing");

    menu_item(&mut h, "File", "Type a path…");
    assert!(h.state().path_prompt_open());
    assert!(h.ctx.text_edit_focused(), "the path field takes the keyboard");
    press(&mut h, Key::Escape);
    assert!(!h.state().path_prompt_open(), "Esc closed the path field");
    assert_eq!(h.state().stroke_count(), 1, "and kept the drawing");

    press(&mut h, Key::F1);
    assert!(h.state().help_shown().0, "F1 opens Help");
    assert!(h.query_by_label_contains("show or hide this help").is_some(), "Help lists the shortcuts");
    press(&mut h, Key::Escape);
    assert!(!h.state().help_shown().0, "Esc closed Help");
    assert_eq!(h.state().stroke_count(), 1);

    press(&mut h, Key::Escape);
    assert_eq!(h.state().stroke_count(), 0, "with nothing open, Esc clears the drawing");
}

/// The smallest window at `scale`: every candidate reachable (Tab scrolls it into view), the text
/// bar's buttons on screen, the canvas clear of the text bar and the status line.
fn smallest_window_is_usable(scale: f32) {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(dir.path(), egui::vec2(MIN_WINDOW[0], MIN_WINDOW[1]), scale);
    let win = window(&h);
    draw_example(&mut h, include_str!("../assets/examples/a.json"));
    wait_for_candidates(&mut h);
    let rows: Vec<String> = h.get_all_by_label_contains("candidate ").filter_map(|n| n.accesskit_node().label()).collect();
    assert_eq!(rows.len(), 10, "{rows:?}");
    let bar = h.get_by_label("Copy").rect();
    for rank in [1, 5, 10] {
        let label = format!("candidate {rank}:");
        h.get_by_label_contains(&label).focus();
        h.run_steps(4);
        let r = h.get_by_label_contains(&label).rect();
        assert_inside(r, win, &label);
        assert!(r.bottom() <= bar.top(), "{label} is above the text bar: {r:?}");
        assert!(h.ctx.memory(|m| m.focused()).is_some(), "{label} has the focus");
    }
    press(&mut h, Key::Enter);
    assert_eq!(h.state().text().chars().count(), 1, "Enter on the focused 10th candidate picks it, once");
    for button in ["Copy", "Backspace", "Clear text", "Undo", "Redo", "Clear"] {
        assert_inside(h.get_by_label(button).rect(), win, button);
    }
    let canvas = canvas(&h);
    assert!(canvas.bottom() <= bar.top(), "canvas {canvas:?} over the text bar {bar:?}");
    assert!(canvas.width() > 100.0, "{canvas:?}");
    let status = h.get_by_label_contains("Added").rect();
    assert!(bar.bottom() < status.top() && status.bottom() <= win.bottom() + 0.5, "status line {status:?}");
}

#[test]
fn the_smallest_window_keeps_everything_reachable() {
    smallest_window_is_usable(1.0);
}

#[test]
fn the_smallest_window_at_2x_scale_keeps_everything_reachable() {
    smallest_window_is_usable(2.0);
}

#[test]
fn a_drawing_outside_the_box_is_said_to_be_empty() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("outside.json");
    std::fs::write(&file, r#"{"version": 1, "width": 100, "height": 100, "strokes": [[[300, 300], [400, 350], [500, 420]]]}"#).unwrap();
    let mut h = app(dir.path(), egui::vec2(1040.0, 720.0), 1.0);
    menu_item(&mut h, "File", "Open drawing…");
    let field = h.get_by_role_and_label(egui::accesskit::Role::TextInput, "File path");
    field.type_text(&file.display().to_string());
    h.step();
    h.get_by_label("Go").click();
    wait_until(&mut h, "the drawing", 30, |a| a.stroke_count() == 1);
    wait_until(&mut h, "the reading", 30, |a| a.is_up_to_date());
    assert!(h.state().is_blank());
    assert!(h.state().candidates().is_empty(), "no candidates for nothing");
    assert!(h.query_by_label_contains("empty or outside the box").is_some());
}

#[test]
fn the_path_field_remembers_adds_the_extension_asks_and_keeps_failures() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(dir.path(), egui::vec2(1040.0, 720.0), 1.0);
    drag(&mut h, &[[0.2, 0.5], [0.8, 0.5]]);
    menu_item(&mut h, "File", "Export PNG…");
    assert!(h.ctx.text_edit_focused(), "the field has the keyboard at once");
    let sketch = dir.path().join("sketch");
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "File path").type_text(&sketch.display().to_string());
    press(&mut h, Key::Enter);
    wait_until(&mut h, "the export", 30, |a| a.notice().is_some_and(|(m, _)| m.starts_with("Saved")));
    assert!(dir.path().join("sketch.png").is_file(), "a name without extension gets .png");

    // Again: the field remembers the path, and asks before replacing the file.
    menu_item(&mut h, "File", "Export PNG…");
    let field = h.get_by_role_and_label(egui::accesskit::Role::TextInput, "File path");
    assert_eq!(field.accesskit_node().value().as_deref(), Some(dir.path().join("sketch.png").to_str().unwrap()));
    h.get_by_label("Go").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("exists. Replace it?").is_some());
    h.get_by_label("Replace").click();
    wait_until(&mut h, "the second export", 30, |a| a.notice().is_some_and(|(m, _)| m.starts_with("Saved")) && !a.path_prompt_open());

    // A save that fails brings the field back with the path and the reason.
    menu_item(&mut h, "File", "Export PNG…");
    let bad = dir.path().join("no-such-folder").join("x.png");
    let field = h.get_by_role_and_label(egui::accesskit::Role::TextInput, "File path");
    field.focus();
    h.step();
    // The remembered path is selected: typing replaces it.
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "File path").type_text(&bad.display().to_string());
    h.step();
    h.get_by_label("Go").click();
    wait_until(&mut h, "the failure", 30, |a| a.notice().is_some_and(|(m, e)| e && m.starts_with("Could not")));
    assert!(h.state().path_prompt_open(), "the field is back");
    let field = h.get_by_role_and_label(egui::accesskit::Role::TextInput, "File path");
    assert_eq!(field.accesskit_node().value().as_deref(), Some(bad.to_str().unwrap()));
    let (msg, _) = h.state().notice().unwrap();
    assert!(msg.contains("x.png") && !msg.contains(".x.png."), "the error names the file typed: {msg}");
}

#[test]
fn help_and_about_say_what_they_should() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(dir.path(), egui::vec2(1040.0, 720.0), 1.0);
    menu_item(&mut h, "Help", "About fude");
    assert!(h.state().help_shown().1);
    assert!(h.query_by_label_contains(env!("CARGO_PKG_VERSION")).is_some(), "the version");
    assert!(h.query_by_label_contains("CC BY-SA 4.0").is_some(), "the data licence");
    assert!(h.query_by_label_contains("Open Font License").is_some(), "the font licence");
    assert_eq!(h.query_all_by_label("bundled").count(), 2, "the models in use");
}

/// With the generator and the training panel open in an 800x600 window there is no room for
/// both beside the canvas: the generator steps aside (and says so) while training is open, so
/// the training panel is whole and the canvas keeps its room; it comes back when training closes.
#[test]
fn a_narrow_window_with_both_side_panels_keeps_the_training_panel_and_the_canvas_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(dir.path(), egui::vec2(800.0, 600.0), 1.0);
    menu_item(&mut h, "View", "Generator panel");
    press(&mut h, Key::Escape);
    h.run_steps(2);
    assert!(h.query_by_label("Random").is_some(), "the generator panel is open");
    h.get_by_label("Train…").click();
    h.run_steps(3);
    assert!(h.query_by_label_contains("generator panel is hidden").is_some());
    assert!(h.query_by_label("Random").is_none(), "the generator stepped aside");
    let win = window(&h);
    let close = h.get_by_label("Close").rect();
    let candidates = h.get_by_label("Candidates").rect();
    assert_inside(close, win, "the training panel's Close");
    assert!(close.right() <= candidates.left(), "Close {close:?} is left of the candidates panel {candidates:?}");
    let c = canvas(&h);
    assert!(c.width() > 100.0 && c.right() <= candidates.left(), "the canvas {c:?} is whole, left of {candidates:?}");
    h.get_by_label("Close").click();
    h.run_steps(3);
    assert!(h.query_by_label("Random").is_some(), "the generator is back once training closes");
}

/// The smallest window at 2x scale with the training panel open: the panel gives up part of its
/// width so that its Close button and the canvas stay clear of the candidates panel.
#[test]
fn the_smallest_window_at_2x_keeps_the_training_panel_and_the_canvas_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(dir.path(), egui::vec2(MIN_WINDOW[0], MIN_WINDOW[1]), 2.0);
    h.get_by_label("Train…").click();
    h.run_steps(3);
    let win = window(&h);
    let close = h.get_by_label("Close").rect();
    let candidates = h.get_by_label("Candidates").rect();
    assert_inside(close, win, "the training panel's Close");
    assert!(close.right() <= candidates.left(), "Close {close:?} is left of the candidates panel {candidates:?}");
    let c = canvas(&h);
    assert!(c.width() >= 100.0 && c.right() <= candidates.left(), "the canvas {c:?} is whole, left of {candidates:?}");
}
