//! What the test binaries share (each includes it with `mod support;`): the app under test
//! ([`TestApp`], with its data in a folder of the test's own, passed through the app's options),
//! one wait for work on other threads ([`wait_until`]), the command-line binary ([`fude`]) and
//! the example drawings ([`example`]); for the GUI tests, pointer drags on the canvas, keys,
//! typed paths, menus and dropped files.

#![allow(dead_code)] // each test binary uses its own part

use egui::{Key, Modifiers, Pos2, Rect, Vec2};
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use fude::app::{AppOptions, FudeApp};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The repository's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The recognizer a measurement reads with: the checkpoint at `$FUDE_MODEL` when set (a candidate
/// to compare before it is bundled), else the bundled one.
pub fn recognizer_under_test() -> fude::models::Checkpoint {
    let cpu = candle_core::Device::Cpu;
    match std::env::var_os("FUDE_MODEL").filter(|p| !p.is_empty()) {
        Some(p) => fude::models::Checkpoint::load(Path::new(&p), &cpu).expect("FUDE_MODEL: a recognizer checkpoint"),
        None => fude::models::Checkpoint::bundled(&cpu).expect("the bundled recognizer"),
    }
}

/// The `fude` binary, ready for arguments.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_fude"))
}

/// Runs `fude` with `args` to its end.
pub fn fude(args: &[&str]) -> Output {
    bin().args(args).output().expect("run fude")
}

/// The example drawing `name` (in `assets/examples`).
pub fn example_path(name: &str) -> PathBuf {
    root().join("assets/examples").join(name)
}

/// The example drawing `name`, as a command-line argument.
pub fn example(name: &str) -> String {
    example_path(name).to_string_lossy().to_string()
}

/// The `--data` spec (`npz=IMAGES,LABELS,CLASSMAP`) of the kuzushiji set `stem` in `dir`, with
/// its files named as Kuzushiji-49 names them (`STEM-imgs.npz`, `STEM-labels.npz`,
/// `STEM_classmap.csv`).
pub fn npz_spec(dir: &Path, stem: &str) -> String {
    let file = |name: String| dir.join(name).to_string_lossy().to_string();
    format!("npz={},{},{}", file(format!("{stem}-imgs.npz")), file(format!("{stem}-labels.npz")), file(format!("{stem}_classmap.csv")))
}

/// The repository's kuzushiji fixture (300 real cells, 10 classes) as a `--data` spec.
pub fn kuzushiji_fixture_spec() -> String {
    npz_spec(&root().join("tests/fixtures/kuzushiji"), "kuzushiji-fixture")
}

/// The kuzushiji sample beside the repository (`../shared/data/kuzushiji-sample`) as a `--data` spec.
pub fn kuzushiji_sample_spec() -> String {
    npz_spec(&root().join("../shared/data/kuzushiji-sample"), "kuzushiji-sample")
}

/// The held-out pictures of the image set `spec` names, as published, with their classes.
pub fn held_out_pictures(spec: &str) -> Vec<(fude::ink::InkImage, usize)> {
    let src = fude::data::spec::parse(&[spec.to_string()]).expect("a data spec")[0]
        .open(fude::data::Split::Test, fude::data::OpenOptions::default())
        .expect("the image set opens");
    src.eval_ink(0, fude::data::augment::Augment::NONE)
}

/// The app under test, built from its window and options.
pub struct TestApp {
    size: Vec2,
    scale: f32,
    options: AppOptions,
}

impl Default for TestApp {
    fn default() -> Self {
        TestApp { size: egui::vec2(1040.0, 720.0), scale: 1.0, options: AppOptions::default() }
    }
}

impl TestApp {
    /// The app in a 1040x720 window at 1 pixel per point, with its default data folder.
    pub fn new() -> Self {
        Self::default()
    }

    /// A window of `size` points.
    pub fn size(mut self, size: Vec2) -> Self {
        self.size = size;
        self
    }

    /// A window `height` points tall and 1400 wide (the training panel and its plots fit).
    pub fn tall(self, height: f32) -> Self {
        self.size(egui::vec2(1400.0, height))
    }

    /// `scale` pixels per point.
    pub fn scale(mut self, scale: f32) -> Self {
        self.scale = scale;
        self
    }

    /// Its data (kept handwriting, runs, downloads) in `dir`, through the app's options: each
    /// test has a folder of its own, whatever runs beside it.
    pub fn data_dir(mut self, dir: &Path) -> Self {
        self.options.data_dir = Some(dir.to_path_buf());
        self
    }

    /// The generator checkpoint at `path` instead of the bundled one.
    pub fn generator(mut self, path: PathBuf) -> Self {
        self.options.generator = Some(path);
        self
    }

    /// The app, two frames in, asking for typed paths instead of native dialogs.
    pub fn build(self) -> Harness<'static, FudeApp> {
        // SAFETY (edition 2021: safe fn): every test sets the same value, before the app starts.
        std::env::set_var("FUDE_NO_FILE_DIALOG", "1");
        let TestApp { size, scale, options } = self;
        let mut h = Harness::builder()
            .with_size(size)
            .with_pixels_per_point(scale)
            .with_max_steps(1_000_000)
            .build_eframe(move |cc| FudeApp::new(cc, options));
        h.step();
        h.step();
        h
    }
}

/// The app in a `size` window at `scale` pixels per point, keeping its data in `data_dir`.
pub fn app(data_dir: &Path, size: Vec2, scale: f32) -> Harness<'static, FudeApp> {
    TestApp::new().size(size).scale(scale).data_dir(data_dir).build()
}

/// Steps frames until `cond` holds (and two more), failing after `secs` with `what` and what
/// the app says about the work it waits for.
pub fn wait_until(h: &mut Harness<'_, FudeApp>, what: &str, secs: u64, cond: impl Fn(&FudeApp) -> bool) {
    let t = Instant::now();
    while !cond(h.state()) {
        h.step();
        if t.elapsed() >= Duration::from_secs(secs) {
            let a = h.state();
            panic!(
                "timed out waiting for {what} (notice {:?}; training: {:?}; download: {:?})",
                a.notice(),
                a.training().message(),
                a.training().k49_download.outcome()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    h.step();
    h.step();
}

/// Ctrl (Command on macOS).
pub const CTRL: Modifiers = Modifiers {
    alt: false,
    ctrl: true,
    shift: false,
    mac_cmd: false,
    command: true,
};

/// The writing box on screen.
pub fn canvas(h: &Harness<'_, FudeApp>) -> Rect {
    h.get_by_label("writing canvas").rect()
}

/// Drags the pointer through `points` (0..1 in the writing box; outside it too), one event per frame.
pub fn drag(h: &mut Harness<'_, FudeApp>, points: &[[f32; 2]]) {
    let r = canvas(h);
    drag_through(h, points, |p| Pos2::new(r.left() + p[0] * r.width(), r.top() + p[1] * r.height()));
}

/// Drags the pointer through `points`, placed on screen by `at`, one event per frame.
fn drag_through(h: &mut Harness<'_, FudeApp>, points: &[[f32; 2]], at: impl Fn(&[f32; 2]) -> Pos2) {
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
    for stroke in fude::app::writing::canvas::normalize_drawing(&d) {
        drag(h, &fude::app::bench_ui::densify(&stroke, 0.01));
    }
}

/// Steps frames until the candidates answer the canvas as it is.
pub fn wait_for_candidates(h: &mut Harness<'_, FudeApp>) {
    wait_until(h, "candidates", 30, |a| a.is_up_to_date() && !a.candidates().is_empty());
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
    drag_through(h, points, |p| Pos2::new(r.left() + p[0] * r.height(), r.top() + p[1] * r.height()));
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
    wait_until(h, "the line's readings", 30, |a| a.is_up_to_date() && !a.line_readings().is_empty());
}
