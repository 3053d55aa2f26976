//! What the writing GUI tests share: the app at a given window size with its data in a folder of
//! the test's own, pointer drags on the canvas, waits for the candidates.

#![allow(dead_code)] // each test file uses its own part

use egui::{Key, Modifiers, Pos2, Rect, Vec2};
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use fude::app::{AppOptions, FudeApp};
use std::path::Path;
use std::time::{Duration, Instant};

/// Ctrl (Command on macOS).
pub const CTRL: Modifiers = Modifiers {
    alt: false,
    ctrl: true,
    shift: false,
    mac_cmd: false,
    command: true,
};

/// The app in a `size` window at `scale` pixels per point, keeping its data in `data_dir`, with
/// typed paths instead of native dialogs.
pub fn app(data_dir: &Path, size: Vec2, scale: f32) -> Harness<'static, FudeApp> {
    // SAFETY (edition 2021: safe fn): every test sets the same values before the app starts.
    std::env::set_var("FUDE_NO_FILE_DIALOG", "1");
    std::env::set_var("FUDE_DATA_DIR", data_dir);
    let mut h = Harness::builder()
        .with_size(size)
        .with_pixels_per_point(scale)
        .with_max_steps(1_000_000)
        .build_eframe(|cc| FudeApp::new(cc, AppOptions::default()));
    h.step();
    h.step();
    h
}

/// The writing box on screen.
pub fn canvas(h: &Harness<'_, FudeApp>) -> Rect {
    h.get_by_label("writing canvas").rect()
}

/// Drags the pointer through `points` (0..1 in the writing box; outside it too), one event per frame.
pub fn drag(h: &mut Harness<'_, FudeApp>, points: &[[f32; 2]]) {
    let r = canvas(h);
    let at = |p: &[f32; 2]| Pos2::new(r.left() + p[0] * r.width(), r.top() + p[1] * r.height());
    let Some(first) = points.first() else { return };
    h.hover_at(at(first));
    h.drag_at(at(first));
    for p in points.iter().skip(1) {
        h.hover_at(at(p));
    }
    h.drop_at(at(points.last().unwrap_or(first)));
    h.step();
    h.step();
}

/// Draws a drawing file's strokes onto the canvas as pointer drags.
pub fn draw_example(h: &mut Harness<'_, FudeApp>, json: &str) {
    let d = fude::ink::Drawing::from_json(json).unwrap();
    for stroke in fude::app::canvas::normalize_drawing(&d) {
        drag(h, &fude::app::bench_ui::densify(&stroke, 0.01));
    }
}

/// Steps frames until `cond` holds, failing after 30 s with `what`.
pub fn wait_until(h: &mut Harness<'_, FudeApp>, what: &str, cond: impl Fn(&FudeApp) -> bool) {
    let t = Instant::now();
    while !cond(h.state()) {
        h.step();
        assert!(t.elapsed() < Duration::from_secs(30), "timed out waiting for {what} (notice {:?})", h.state().notice());
        std::thread::sleep(Duration::from_millis(5));
    }
    h.step();
}

/// Steps frames until the candidates answer the canvas as it is.
pub fn wait_for_candidates(h: &mut Harness<'_, FudeApp>) {
    wait_until(h, "candidates", |a| a.is_up_to_date() && !a.candidates().is_empty());
}

/// Presses a key and runs a frame.
pub fn press(h: &mut Harness<'_, FudeApp>, key: Key) {
    h.key_press(key);
    h.step();
    h.step();
}

/// Presses a key with modifiers and runs a frame.
pub fn press_with(h: &mut Harness<'_, FudeApp>, modifiers: Modifiers, key: Key) {
    h.key_press_modifiers(modifiers, key);
    h.step();
    h.step();
}

/// Types `path` into the path field that a file action opened (no dialogs in tests) and goes.
pub fn type_path(h: &mut Harness<'_, FudeApp>, path: &Path) {
    h.run_steps(3);
    assert!(h.state().notice().is_some_and(|(m, _)| m.contains("file dialog")), "{:?}", h.state().notice());
    let field = || egui::accesskit::Role::TextInput;
    h.get_by_role_and_label(field(), "File path").focus();
    h.step();
    h.get_by_role_and_label(field(), "File path").type_text(&path.display().to_string());
    h.step();
    h.get_by_label("Go").click();
    h.step();
}

/// The texts the last frame asked the platform to copy.
pub fn copied(h: &Harness<'_, FudeApp>) -> Vec<String> {
    h.output()
        .platform_output
        .commands
        .iter()
        .filter_map(|c| match c {
            egui::OutputCommand::CopyText(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// Opens the menu `menu` and clicks its item `item`, a few frames apart, as a person would.
pub fn menu_item(h: &mut Harness<'_, FudeApp>, menu: &str, item: &str) {
    h.get_by_label(menu).click();
    h.run_steps(3);
    h.get_by_label(item).click();
    h.run_steps(3);
}

/// The top candidate shown now.
pub fn top(h: &Harness<'_, FudeApp>) -> char {
    h.state().candidates().first().map(|p| p.ch).unwrap_or('?')
}

/// The written-text area.
pub fn text_area<'a>(h: &'a Harness<'_, FudeApp>) -> egui_kittest::Node<'a> {
    h.get_by_role_and_label(egui::accesskit::Role::MultilineTextInput, "Written text")
}

/// The window, in points.
pub fn window(h: &Harness<'_, FudeApp>) -> Rect {
    h.ctx.content_rect()
}

/// Asserts that `inner` lies within `outer` (half a point of slack for rounding).
pub fn assert_inside(inner: Rect, outer: Rect, what: &str) {
    assert!(outer.expand(0.5).contains_rect(inner), "{what}: {inner:?} is not inside {outer:?}");
}

/// A file dropped on the window.
#[derive(Debug)]
pub struct Dropped(pub std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// Drags the pointer through `points` on the line canvas (in its heights: x runs over its
/// cells, y over 0..1), one event per frame.
pub fn drag_line(h: &mut Harness<'_, FudeApp>, points: &[[f32; 2]]) {
    let r = canvas(h);
    let at = |p: &[f32; 2]| Pos2::new(r.left() + p[0] * r.height(), r.top() + p[1] * r.height());
    let Some(first) = points.first() else { return };
    h.hover_at(at(first));
    h.drag_at(at(first));
    for p in points.iter().skip(1) {
        h.hover_at(at(p));
    }
    h.drop_at(at(points.last().unwrap_or(first)));
    h.step();
    h.step();
}

/// Writes `word` on the line canvas as pointer drags: strokes traced from font `font` of
/// `split` by the project's word-drawing code (seed 11, with gaps), as tall as the canvas.
pub fn write_line(h: &mut Harness<'_, FudeApp>, split: fude::data::Split, word: &str, font: usize) {
    let w = fude::data::line_words::word_drawing(split, word, font, false, 11).expect("the font has the word");
    for stroke in fude::app::bench_ui::line_strokes(&w.drawing) {
        drag_line(h, &stroke);
    }
}

/// Steps frames until the line's readings answer the canvas as it is.
pub fn wait_for_readings(h: &mut Harness<'_, FudeApp>) {
    wait_until(h, "the line's readings", |a| a.is_up_to_date() && !a.line_readings().is_empty());
}
