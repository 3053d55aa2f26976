//! The generator panel driven as a person would, through egui_kittest: the panel opened from the
//! View menu, kana picked by tab and click and by typing romaji, sliders dragged with the pointer,
//! buttons clicked by their labels, strokes drawn on the canvas, PNGs exported through the typed
//! path prompt and read back. Each test makes its own tiny generator (16x16, 4 latent dimensions,
//! one of them unused), so the tests do not depend on the bundled one.

use candle_core::Device;
use egui::accesskit::Role;
use egui::{Pos2, Rect};
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use fude::app::FudeApp;
use fude::data::classes;
use fude::ink::InkImage;
use fude::models::generator::{Generator, GeneratorArchitecture, GeneratorCheckpoint, GeneratorSidecar, LatentStats};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::{draw_example, menu_item, type_path, wait_until, TestApp};

mod support;

const SIDE: usize = 16;

fn arch() -> GeneratorArchitecture {
    GeneratorArchitecture { side: SIDE, latent: 4, encoder_channels: vec![4, 8], decoder_channels: vec![8, 4], hidden: 16, ..Default::default() }
}

/// Dimension 1 is unused (KL 0); the others are ordered 2, 3, 0 by KL.
fn stats() -> LatentStats {
    LatentStats { kl_per_dim: vec![0.4, 0.0, 2.5, 1.2], mean: vec![0.1, 0.0, -0.2, 0.3], std: vec![0.8, 1.0, 1.2, 0.5], ..LatentStats::standard(4) }
}

/// Saves a tiny untrained generator whose output layers are scaled up, so its pictures are not
/// all the same grey.
fn tiny_generator(dir: &Path) -> PathBuf {
    let g = Generator::new_seeded(arch(), &Device::Cpu, 3).unwrap();
    for (name, gain) in [("dec.out.weight", 20.0), ("dec.fc1.weight", 3.0)] {
        let data = g.varmap().data().lock().unwrap();
        let var = data.get(name).unwrap();
        var.set(&(var.as_tensor() * gain).unwrap()).unwrap();
    }
    let path = dir.join("tiny-generator.safetensors");
    GeneratorCheckpoint::save(&g, &GeneratorSidecar::new(arch(), stats(), Default::default()), &path).unwrap();
    path
}

fn app_with(generator: PathBuf) -> Harness<'static, FudeApp> {
    app_sized(generator, egui::vec2(1280.0, 1500.0))
}

/// The app in a window of `size` points.
fn app_sized(generator: PathBuf, size: egui::Vec2) -> Harness<'static, FudeApp> {
    TestApp::new().size(size).generator(generator).build()
}

/// Opens the panel from the View menu and waits for the first preview.
fn open_panel(h: &mut Harness<'_, FudeApp>) {
    assert!(h.query_by_label("Generator").is_none(), "the panel starts hidden");
    toggle_panel(h);
    assert!(h.query_by_label("Generator").is_some(), "the panel is shown");
    wait_idle(h);
}

/// View → Generator panel, then Esc to close the menu.
fn toggle_panel(h: &mut Harness<'_, FudeApp>) {
    menu_item(h, "View", "Generator panel");
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
}

/// Waits until the preview shows the current kana and latent.
fn wait_idle(h: &mut Harness<'_, FudeApp>) {
    wait_until(h, "the preview", 30, |a| a.generator().is_idle() && a.generator().preview().is_some());
}

fn preview(h: &Harness<'_, FudeApp>) -> Vec<f32> {
    h.state().generator().preview().map(|p| p.data.clone()).unwrap_or_default()
}

fn mean_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len().max(1) as f32
}

/// The text a node shows (a label's text is its value).
fn text(node: &egui_kittest::Node<'_>) -> String {
    node.accesskit_node().value().or_else(|| node.accesskit_node().label()).unwrap_or_default()
}

fn class_of(ch: char) -> usize {
    classes::index_of(ch).unwrap()
}

/// Presses and releases the primary button at `pos`.
fn click_at(h: &mut Harness<'_, FudeApp>, pos: Pos2) {
    h.hover_at(pos);
    h.step();
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton { pos, button: egui::PointerButton::Primary, pressed, modifiers: Default::default() });
    }
    h.run_steps(2);
}

/// Drags a slider's handle from the middle of its rail to `fraction` of the rail.
fn drag_slider(h: &mut Harness<'_, FudeApp>, label: &str, fraction: f32) {
    let rail = h.get_by_role_and_label(Role::Slider, label).rect();
    let to = Pos2::new(rail.left() + fraction * rail.width(), rail.center().y);
    h.hover_at(rail.center());
    h.drag_at(rail.center());
    h.step();
    h.hover_at(Pos2::new((rail.center().x + to.x) / 2.0, to.y));
    h.step();
    h.hover_at(to);
    h.step();
    h.drop_at(to);
    h.run_steps(2);
}

#[test]
fn picking_a_kana_by_tab_click_and_by_romaji() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_with(tiny_generator(dir.path()));
    open_panel(&mut h);
    assert_eq!(h.state().generator().class(), class_of('あ'));
    let a = preview(&h);

    h.get_by_label("Kana").click();
    h.run_steps(2);
    h.get_by_label("カタカナ").click();
    h.run_steps(2);
    assert!(h.query_by_label("か").is_none(), "the katakana tab hides hiragana");
    h.get_by_label("カ").click();
    h.run_steps(2);
    assert_eq!(h.state().generator().class(), class_of('カ'));
    wait_idle(&mut h);
    assert!(mean_abs_diff(&a, &preview(&h)) > 1e-4, "another kana, another picture");

    // Typing romaji jumps as you type: s → サ, shi → シ (the katakana tab is shown).
    h.get_by_role_and_label(Role::TextInput, "romaji").focus();
    h.step();
    h.get_by_role_and_label(Role::TextInput, "romaji").type_text("s");
    h.run_steps(2);
    assert_eq!(h.state().generator().class(), class_of('サ'));
    h.get_by_role_and_label(Role::TextInput, "romaji").type_text("hi");
    h.run_steps(2);
    assert_eq!(h.state().generator().class(), class_of('シ'));
    for _ in 0..3 {
        h.key_press(egui::Key::Backspace);
    }
    h.step();
    // Lower case follows the tab, upper case is katakana, and the tab follows the jump.
    h.get_by_label("ひらがな").click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::TextInput, "romaji").focus();
    h.step();
    h.get_by_role_and_label(Role::TextInput, "romaji").type_text("nu");
    h.run_steps(2);
    assert_eq!(h.state().generator().class(), class_of('ぬ'));
    wait_idle(&mut h);
    let reading = text(&h.get_by_label_contains("Recognizer reads"));
    let r = h.state().generator().reading().expect("the bundled recognizer reads the preview");
    assert!(reading.contains(r.ch), "{reading} shows {}", r.ch);
}

#[test]
fn sliders_random_and_reset_change_the_preview() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_with(tiny_generator(dir.path()));
    open_panel(&mut h);
    let s = stats();
    assert_eq!(h.state().generator().latent(), s.mean.as_slice(), "starts at the fitted centre");

    // One slider per used dimension, most informative first; the unused one is hidden. Each is
    // named by what it does when one measure clearly changes most, else "style N".
    let labels = h.state().generator().slider_labels();
    assert!(h.state().generator().names_measured());
    assert_eq!(labels.len(), 3, "{labels:?}");
    let shown: Vec<String> = h.get_all_by_role(Role::Slider).filter_map(|n| n.accesskit_node().label()).filter(|l| labels.contains(l)).collect();
    assert_eq!(shown, labels);
    for (rank, label) in labels.iter().enumerate() {
        let named = ["boldness", "slant", "size", "aspect"].iter().any(|n| label.starts_with(n));
        assert!(named || *label == format!("style {}", rank + 1), "{label}");
    }

    let before = preview(&h);
    drag_slider(&mut h, &labels[0], 0.95);
    let z = h.state().generator().latent().to_vec();
    assert!(z[2] > s.mean[2] + 2.0 * s.std[2], "the first slider moves dimension 2: {z:?}");
    assert_eq!((z[0], z[1], z[3]), (s.mean[0], s.mean[1], s.mean[3]), "and nothing else");
    wait_idle(&mut h);
    let dragged = preview(&h);
    assert!(mean_abs_diff(&before, &dragged) > 1e-3, "the preview follows the slider");

    h.get_by_label("Random").click();
    h.run_steps(2);
    assert_ne!(h.state().generator().latent(), z.as_slice(), "Random draws a new latent");
    wait_idle(&mut h);
    assert!(mean_abs_diff(&dragged, &preview(&h)) > 1e-4, "and a new picture");

    h.get_by_label("Reset").click();
    h.run_steps(2);
    assert_eq!(h.state().generator().latent(), s.mean.as_slice());
    wait_idle(&mut h);
    assert!(mean_abs_diff(&before, &preview(&h)) < 1e-6, "Reset brings the first picture back");

    // The standard prior centres on zero; temperature 0 makes Random land on the centre.
    h.get_by_label("standard").click();
    h.run_steps(2);
    h.get_by_label("Reset").click();
    h.run_steps(2);
    assert_eq!(h.state().generator().latent(), [0.0; 4].as_slice());
    drag_slider(&mut h, "temperature", 0.0);
    h.get_by_label("Random").click();
    h.run_steps(2);
    assert_eq!(h.state().generator().latent(), [0.0; 4].as_slice());
}

#[test]
fn interpolation_plays_and_scrubs_through_its_frames() {
    let dir = tempfile::tempdir().unwrap();
    let path = tiny_generator(dir.path());
    let mut h = app_with(path.clone());
    open_panel(&mut h);
    let start = preview(&h);

    h.get_by_label("Interpolation").click();
    h.run_steps(2);
    h.get_by_label("Interpolate").click();
    wait_until(&mut h, "the frames", 30, |a| a.generator().animation().is_some());
    let anim = |h: &Harness<'_, FudeApp>| {
        let a = h.state().generator().animation().unwrap();
        (a.len(), a.index(), a.is_playing(), a.frame().unwrap().data.clone())
    };
    let (len, _, playing, _) = anim(&h);
    assert_eq!(len, 16);
    assert!(playing, "it starts playing");
    let t = Instant::now();
    let first = anim(&h).1;
    while anim(&h).1 == first {
        h.step();
        std::thread::sleep(Duration::from_millis(10));
        assert!(t.elapsed() < Duration::from_secs(10), "the animation does not advance");
    }

    h.get_by_label("Pause").click();
    h.run_steps(2);
    assert!(!anim(&h).2);
    drag_slider(&mut h, "frame", 0.0);
    let (_, index, _, frame0) = anim(&h);
    assert_eq!(index, 0);
    assert!(mean_abs_diff(&frame0, &start) < 1e-4, "the first frame is the preview");
    drag_slider(&mut h, "frame", 0.5);
    let (_, mid, _, frame_mid) = anim(&h);
    assert!((5..=10).contains(&mid), "{mid}");
    drag_slider(&mut h, "frame", 1.0);
    let (_, index, playing, frame15) = anim(&h);
    assert_eq!((index, playing), (15, false));
    assert!(mean_abs_diff(&frame0, &frame15) > 1e-4 && mean_abs_diff(&frame0, &frame_mid) > 1e-5, "the frames differ");

    // From あ to か with the same latent: the last frame is か in this style.
    h.get_by_label("Close").click();
    h.run_steps(2);
    assert!(h.state().generator().animation().is_none());
    h.get_by_label("kana").click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::TextInput, "target").focus();
    h.step();
    for _ in 0..3 {
        h.key_press(egui::Key::Backspace);
    }
    h.get_by_role_and_label(Role::TextInput, "target").type_text("ka");
    h.run_steps(2);
    h.get_by_label("Interpolate").click();
    wait_until(&mut h, "the kana frames", 30, |a| a.generator().animation().is_some());
    assert!(h.query_by_label_contains("あ → か").is_some(), "the caption names both kana");
    h.get_by_label("Pause").click();
    h.run_steps(2);
    drag_slider(&mut h, "frame", 1.0);
    let z = h.state().generator().latent().to_vec();
    let g = GeneratorCheckpoint::load(&path, &Device::Cpu).unwrap();
    let ka = g.decode(&[(class_of('か'), &z)]).unwrap().remove(0);
    assert!(mean_abs_diff(&anim(&h).3, &ka) < 1e-4, "the last frame is か");
}

#[test]
fn style_from_a_drawn_character_and_clicking_the_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_with(tiny_generator(dir.path()));
    open_panel(&mut h);
    h.get_by_label("Sheet").click();
    h.run_steps(2);
    h.get_by_label("Style from my drawing").click();
    h.run_steps(2);
    assert!(h.state().notice().is_some_and(|(m, e)| e && m.contains("write a kana")), "{:?}", h.state().notice());

    draw_example(&mut h, include_str!("../assets/examples/a.json"));
    wait_until(&mut h, "candidates", 30, |a| a.is_up_to_date() && !a.candidates().is_empty());
    let top = h.state().candidates()[0];
    h.get_by_label("Style from my drawing").click();
    wait_until(&mut h, "the sheet", 30, |a| a.generator().sheet().is_some());
    let (class, z) = {
        let s = h.state().generator().sheet().unwrap();
        (s.class, s.z.clone())
    };
    assert_eq!(class, top.class, "the drawing is read as the top candidate");
    assert_eq!(z.len(), 4);
    assert!(h.query_by_label_contains(&format!("Every kana in the style of your {}", top.ch)).is_some());

    // Click カ on the sheet: it goes to the picker with the drawing's latent.
    h.get_by_label("style sheet").scroll_to_me();
    h.run_steps(3);
    let rect: Rect = h.get_by_label("style sheet").rect();
    let layout = fude::app::generator::kana_picker::sheet_layout();
    let (row, col) = sheet_position('カ');
    let pos = Pos2::new(
        rect.left() + (col as f32 + 0.5) / 10.0 * rect.width(),
        rect.top() + (row as f32 + 0.5) / layout.len() as f32 * rect.height(),
    );
    click_at(&mut h, pos);
    assert_eq!(h.state().generator().class(), class_of('カ'));
    assert_eq!(h.state().generator().latent(), z.as_slice());
    wait_idle(&mut h);
    let sheet = h.state().generator().sheet().unwrap().picture.clone();
    assert!(mean_abs_diff(&sheet_cell(&sheet, row, col), &preview(&h)) < 1e-4, "the preview is the sheet's カ");
}

/// The (row, column) of `ch` in the style sheet's layout.
fn sheet_position(ch: char) -> (usize, usize) {
    let layout = fude::app::generator::kana_picker::sheet_layout();
    layout.iter().enumerate().find_map(|(r, cells)| cells.iter().position(|c| *c == Some(class_of(ch))).map(|c| (r, c))).unwrap()
}

/// The picture in cell (`row`, `col`) of a composed sheet of `SIDE`-pixel letters (a 2-pixel gap,
/// half of it on each side).
fn sheet_cell(sheet: &InkImage, row: usize, col: usize) -> Vec<f32> {
    let cell = SIDE + 2;
    (0..SIDE).flat_map(|y| (0..SIDE).map(move |x| (x, y))).map(|(x, y)| sheet.get(col * cell + 1 + x, row * cell + 1 + y)).collect()
}

#[test]
fn exporting_the_preview_and_the_sheet_as_png() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_with(tiny_generator(dir.path()));
    open_panel(&mut h);
    h.get_by_label("Sheet").click();
    h.run_steps(2);
    assert!(h.get_by_label("Export sheet PNG…").accesskit_node().is_disabled(), "no sheet yet");

    let png = dir.path().join("preview.png");
    h.get_by_label("Export preview PNG…").click();
    type_path(&mut h, &png);
    wait_until(&mut h, "the export", 30, |a| a.notice().is_some_and(|(m, _)| m.contains("preview.png")));
    // At least 256 pixels: the 16-pixel preview enlarged 16 times.
    let read = image::open(&png).unwrap().to_luma8();
    assert_eq!(read.dimensions(), (256, 256));
    let shown = fude::app::generator::pictures::on_paper(h.state().generator().preview().unwrap());
    let want = fude::models::generator::lettering::upscale(&shown, 16);
    for (p, v) in read.pixels().zip(&want.data) {
        let want = (v.clamp(0.0, 1.0) * 255.0).round();
        assert!((f32::from(p.0[0]) - want).abs() <= 1.0, "dark ink on white: {} vs {want}", p.0[0]);
    }

    draw_example(&mut h, include_str!("../assets/examples/ka.json"));
    h.get_by_label("Style from my drawing").click();
    wait_until(&mut h, "the sheet", 30, |a| a.generator().sheet().is_some());
    h.run_steps(2);
    let sheet_png = dir.path().join("sheet.png");
    h.get_by_label("Export sheet PNG…").click();
    type_path(&mut h, &sheet_png);
    wait_until(&mut h, "the sheet export", 30, |a| a.notice().is_some_and(|(m, _)| m.contains("sheet.png")));
    // Read as it is (InkImage::load shrinks pictures over 2048 pixels).
    let sheet = image::open(&sheet_png).unwrap().to_luma8();
    let rows = fude::app::generator::kana_picker::sheet_layout().len() as u32;
    // Each letter at least 128 pixels: the 16-pixel cells enlarged 8 times.
    assert_eq!(sheet.dimensions(), (8 * 10 * (SIDE as u32 + 2), 8 * rows * (SIDE as u32 + 2)));
    assert_eq!(sheet.get_pixel(0, 0).0[0], 255, "white gutters");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().contains("tmp")).collect();
    assert!(leftovers.is_empty(), "atomic writes leave no temporary files");
}

#[test]
fn without_a_generator_the_panel_says_so_and_opens_one() {
    let dir = tempfile::tempdir().unwrap();
    let good = tiny_generator(dir.path());
    let mut h = app_with(dir.path().join("missing.safetensors"));
    assert!(h.state().notice().is_some_and(|(m, e)| e && m.contains("No generator loaded")), "{:?}", h.state().notice());
    h.get_by_label("View").click();
    h.run_steps(3);
    h.get_by_label("Generator panel").click();
    h.run_steps(2);
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    // On the status line and in the panel.
    let messages: Vec<String> = h.get_all_by_label_contains("No generator loaded").map(|n| text(&n)).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages.iter().all(|m| m.contains("missing.json")), "the reason names the file: {messages:?}");
    assert!(h.query_by_label("Random").is_none());

    // A recognizer is refused as a generator, with the reason.
    let recognizer = dir.path().join("recognizer.safetensors");
    let net = fude::models::Recognizer::new_seeded(Default::default(), &Device::Cpu, 1).unwrap();
    fude::models::Checkpoint::save(&net, &fude::models::Sidecar::new(Default::default(), Default::default()), &recognizer).unwrap();
    h.get_by_label("Open generator…").click();
    type_path(&mut h, &recognizer);
    wait_until(&mut h, "the refusal", 30, |a| a.notice().is_some_and(|(m, _)| m.contains("Generator not loaded")));
    assert!(h.state().notice().unwrap().0.contains("not a generator"), "{:?}", h.state().notice());
    assert!(h.state().generator().model_name().is_none());

    h.get_by_label("Open generator…").click();
    type_path(&mut h, &good);
    wait_until(&mut h, "the generator", 30, |a| a.generator().model_name().is_some());
    h.run_steps(2);
    wait_idle(&mut h);
    assert_eq!(preview(&h).len(), SIDE * SIDE);
    assert!(h.query_by_label("Random").is_some());
}

/// The centre of cell (`col`, `row`) of the latent map on screen (the cells lie inside a margin
/// of an eighth of a cell).
fn map_cell(h: &Harness<'_, FudeApp>, col: usize, row: usize) -> Pos2 {
    let rect = h.get_by_label("latent map").rect();
    let cell = rect.width() / 7.25;
    Pos2::new(rect.left() + cell / 8.0 + (col as f32 + 0.5) * cell, rect.top() + cell / 8.0 + (row as f32 + 0.5) * cell)
}

/// The node labelled `label` whose role is none of `roles`.
fn labelled_not<'a>(h: &'a Harness<'_, FudeApp>, label: &'a str, roles: &[Role]) -> egui_kittest::Node<'a> {
    h.get_all_by_label(label).find(|n| !roles.contains(&n.accesskit_node().role())).unwrap()
}

/// Cell (`col`, `row`) of a composed map or line of `SIDE`-pixel cells with a 2-pixel margin.
fn cell(picture: &InkImage, col: usize, row: usize) -> Vec<f32> {
    let mut out = Vec::new();
    for y in 0..SIDE {
        for x in 0..SIDE {
            out.push(picture.get(2 + col * SIDE + x, 2 + row * SIDE + y));
        }
    }
    out
}

#[test]
fn clicking_the_latent_map_moves_the_sliders() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_with(tiny_generator(dir.path()));
    open_panel(&mut h);
    wait_until(&mut h, "the map", 30, |a| a.generator().map_ready() && a.generator().map().is_some());
    let s = stats();
    let (map, axes) = h.state().generator().map().map(|(p, a)| (p.clone(), a)).unwrap();
    assert_eq!(axes, (2, 3), "across and up: the two most used dimensions");
    assert_eq!((map.width, map.height), (7 * SIDE + 4, 7 * SIDE + 4));

    // Top right: both dimensions two spreads up; the rest stays.
    let at = map_cell(&h, 6, 0);
    click_at(&mut h, at);
    let z = h.state().generator().latent().to_vec();
    assert!((z[2] - (s.mean[2] + 2.0 * s.std[2])).abs() < 1e-5 && (z[3] - (s.mean[3] + 2.0 * s.std[3])).abs() < 1e-5, "{z:?}");
    assert_eq!((z[0], z[1]), (s.mean[0], s.mean[1]));
    let labels = h.state().generator().slider_labels();
    let shown = h.get_by_role_and_label(Role::Slider, &labels[0]).accesskit_node().numeric_value().unwrap();
    assert!((shown - f64::from(z[2])).abs() < 1e-3, "the first slider moved there: {shown}");
    wait_idle(&mut h);
    assert!(mean_abs_diff(&cell(&map, 6, 0), &preview(&h)) < 1e-4, "the preview is the cell clicked");
    wait_until(&mut h, "the same map", 30, |a| a.generator().map_ready());
    assert_eq!(h.state().generator().map().unwrap().0, &map, "moving along the map's axes keeps the map");

    // Bottom left: both two spreads down.
    let at = map_cell(&h, 0, 6);
    click_at(&mut h, at);
    let z = h.state().generator().latent().to_vec();
    assert!((z[2] - (s.mean[2] - 2.0 * s.std[2])).abs() < 1e-5 && (z[3] - (s.mean[3] - 2.0 * s.std[3])).abs() < 1e-5, "{z:?}");
    wait_idle(&mut h);
    assert!(mean_abs_diff(&cell(&map, 0, 6), &preview(&h)) < 1e-4);

    // Other axes: the third slider's dimension across (0; the second's, 3, stays up).
    let labels = h.state().generator().slider_labels();
    labelled_not(&h, "Map across", &[Role::Label]).click();
    h.run_steps(3);
    labelled_not(&h, &labels[2], &[Role::Label, Role::Slider]).click();
    h.run_steps(3);
    wait_until(&mut h, "the map across dimension 0", 30, |a| a.generator().map_ready() && a.generator().map().is_some_and(|(_, axes)| axes == (0, 3)));
    let across_0 = h.state().generator().map().unwrap().0.clone();
    assert!(mean_abs_diff(&across_0.data, &map.data) > 1e-4, "another map");

    // Another kana, another map.
    h.get_by_label("Kana").click();
    h.run_steps(2);
    h.get_by_label("か").click();
    h.run_steps(2);
    wait_until(&mut h, "the map of か", 30, |a| a.generator().map_ready());
    assert!(mean_abs_diff(&h.state().generator().map().unwrap().0.data, &across_0.data) > 1e-4);
}

#[test]
fn writing_a_text_showing_it_and_exporting_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = tiny_generator(dir.path());
    let mut h = app_with(path.clone());
    open_panel(&mut h);

    // The text written so far comes into the field.
    draw_example(&mut h, include_str!("../assets/examples/a.json"));
    support::wait_for_candidates(&mut h);
    support::press(&mut h, egui::Key::Enter);
    let written = h.state().text().to_string();
    assert!(!written.is_empty());
    h.get_by_label("Write text").click();
    h.run_steps(2);
    h.get_by_label("Use my written text").click();
    h.run_steps(2);
    assert_eq!(text(&h.get_by_role_and_label(Role::TextInput, "Your text")), written);

    // A character outside the kana is refused by name.
    let retype = |h: &mut Harness<'_, FudeApp>, t: &str| {
        h.get_by_role_and_label(Role::TextInput, "Your text").focus();
        h.step();
        h.key_press(egui::Key::End);
        for _ in 0..12 {
            h.key_press(egui::Key::Backspace);
        }
        h.step();
        h.get_by_role_and_label(Role::TextInput, "Your text").type_text(t);
        h.run_steps(2);
    };
    retype(&mut h, "かきAく");
    h.get_by_label("Write").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("'A' (U+0041) is not one of the 180 kana").is_some());
    assert!(h.state().generator().text_picture().is_none());

    // In the sliders' style: one cell per letter, a gap for the space.
    retype(&mut h, "かき く");
    h.get_by_label("Write").click();
    wait_until(&mut h, "the text", 30, |a| a.generator().text_picture().is_some());
    let line = h.state().generator().text_picture().unwrap().clone();
    assert_eq!((line.width, line.height), (4 * SIDE + 4, SIDE + 4));
    assert!(cell(&line, 2, 0).iter().all(|&v| v == 0.0), "the space is a gap");
    let g = GeneratorCheckpoint::load(&path, &Device::Cpu).unwrap();
    let z = h.state().generator().latent().to_vec();
    for (col, ch) in [(0, 'か'), (1, 'き'), (3, 'く')] {
        let want = g.decode(&[(class_of(ch), &z)]).unwrap().remove(0);
        assert!(mean_abs_diff(&cell(&line, col, 0), &want) < 1e-4, "{ch} in the sliders' style");
    }
    assert!(h.query_by_label("text in this style").is_some(), "shown in the tab");

    let png = dir.path().join("text.png");
    h.get_by_label("Export text PNG…").click();
    type_path(&mut h, &png);
    wait_until(&mut h, "the text export", 30, |a| a.notice().is_some_and(|(m, _)| m.contains("text.png")));
    let read = InkImage::load(&png).unwrap();
    assert_eq!((read.width, read.height), (8 * line.width, 8 * line.height), "letters of at least 128 pixels");
    assert_eq!(read.get(0, 0), 1.0, "white paper");

    // In the style of the drawing on the canvas (taking the candidate cleared it).
    draw_example(&mut h, include_str!("../assets/examples/ka.json"));
    h.get_by_label("my drawing").click();
    h.run_steps(2);
    h.get_by_label("Write").click();
    wait_until(&mut h, "the text in my style", 30, |a| a.generator().text_picture().is_some_and(|p| *p != line));
    assert_eq!(h.state().generator().text_picture().unwrap().width, line.width);
}

#[test]
fn the_player_stops_at_the_end_unless_looping() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_with(tiny_generator(dir.path()));
    open_panel(&mut h);
    h.get_by_label("Interpolation").click();
    h.run_steps(2);
    h.get_by_label("Interpolate").click();
    wait_until(&mut h, "the frames", 30, |a| a.generator().animation().is_some());
    let state = |h: &Harness<'_, FudeApp>| h.state().generator().animation().map(|a| (a.index(), a.is_playing(), a.len())).unwrap();
    wait_until(&mut h, "the end", 30, |a| a.generator().animation().is_some_and(|a| !a.is_playing()));
    let (index, _, len) = state(&h);
    assert_eq!(index, len - 1, "it stopped on the last frame");
    h.run_steps(5);
    assert_eq!(state(&h).0, len - 1, "and stays there");

    // Looping: Play starts again from the first frame and goes round.
    h.get_by_label("Loop").click();
    h.get_by_label("Play").click();
    h.run_steps(2);
    assert!(state(&h).1);
    let t = Instant::now();
    let mut seen_end = false;
    loop {
        let (i, playing, _) = state(&h);
        assert!(playing, "a loop keeps playing");
        if i == len - 1 {
            seen_end = true;
        } else if seen_end {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "the loop does not go round");
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn the_preview_stays_in_view_while_a_slider_moves_and_nothing_is_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let path = tiny_generator(dir.path());
    for size in [egui::vec2(1280.0, 800.0), egui::vec2(800.0, 600.0)] {
        let mut h = app_sized(path.clone(), size);
        open_panel(&mut h);
        let window = h.ctx.content_rect();
        let canvas = support::canvas(&h);
        let in_panel = |h: &Harness<'_, FudeApp>, label: &str| {
            for node in h.get_all_by_label(label) {
                let r = node.rect();
                support::assert_inside(r, window, label);
                assert!(r.right() <= canvas.left() + 0.5, "{label} {r:?} runs under the canvas {canvas:?} at {size:?}");
            }
        };
        let top = ["generated kana", "latent map", "Random", "Reset", "Export preview PNG…", "Sliders", "Kana", "Interpolation", "Sheet", "Write text"];
        for label in top {
            in_panel(&h, label);
        }
        let preview = h.get_by_label("generated kana").rect();
        let labels = h.state().generator().slider_labels();
        for label in labels.iter().map(String::as_str).chain(["temperature"]) {
            h.get_by_role_and_label(Role::Slider, label).scroll_to_me();
            h.run_steps(3);
            in_panel(&h, label);
            drag_slider(&mut h, label, 0.8);
            assert_eq!(h.get_by_label("generated kana").rect(), preview, "the preview stays put while {label} moves");
        }
        for (tab, inside) in [("Interpolation", "Interpolate"), ("Sheet", "Style from my drawing"), ("Write text", "Use my written text"), ("Write text", "Export text PNG…")] {
            h.get_by_label(tab).click();
            h.run_steps(2);
            in_panel(&h, inside);
        }
    }
}

/// Issue 18: each worker is polled once a frame whether its panel is shown or not. A style sheet
/// asked for just before the panel is hidden arrives while it stays hidden (before, the panel took
/// in its worker's results only while it was drawn).
#[test]
fn a_sheet_asked_for_arrives_while_the_panel_is_hidden() {
    let mut h = TestApp::new().size(egui::vec2(1280.0, 1500.0)).build();
    open_panel(&mut h);
    h.get_by_label("Sheet").click();
    h.run_steps(2);
    draw_example(&mut h, include_str!("../assets/examples/a.json"));
    wait_until(&mut h, "candidates", 30, |a| a.is_up_to_date() && !a.candidates().is_empty());
    // The bundled generator takes hundreds of milliseconds for a sheet: the panel is hidden
    // long before it is done.
    h.get_by_label("Style from my drawing").click();
    h.step();
    toggle_panel(&mut h);
    assert!(h.query_by_label("Generator").is_none(), "the panel is hidden");
    wait_until(&mut h, "the sheet, the panel hidden", 60, |a| a.generator().sheet().is_some());
    assert!(h.query_by_label("Generator").is_none(), "the panel stayed hidden");
}

/// The sheet of the sliders' style follows them: a click on the latent map (which moves the
/// sliders) redraws it, and a sheet from a drawing stops it following.
#[test]
fn the_sheet_follows_the_sliders_until_a_drawing_gives_the_style() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_with(tiny_generator(dir.path()));
    open_panel(&mut h);
    h.get_by_label("Sheet").click();
    h.run_steps(2);
    assert!(h.state().generator().sheet().is_none(), "no sheet before one is asked for");
    h.get_by_label("The sliders' style").click();
    h.run_steps(2);
    assert!(h.state().generator().sheet_follows_sliders());
    let now = |a: &FudeApp| a.generator().sheet().is_some_and(|s| s.class == a.generator().class() && s.z == a.generator().latent());
    wait_until(&mut h, "the sliders' sheet", 30, now);
    assert!(h.query_by_label_contains("Every kana in the sliders' style").is_some());
    let first = h.state().generator().sheet().unwrap().picture.clone();

    // A click on the map moves the sliders; the sheet follows, and its あ is the preview.
    wait_until(&mut h, "the map", 30, |a| a.generator().map_ready() && a.generator().map().is_some());
    let at = map_cell(&h, 6, 0);
    click_at(&mut h, at);
    wait_until(&mut h, "the sheet of the new latent", 30, now);
    wait_idle(&mut h);
    let sheet = h.state().generator().sheet().unwrap().picture.clone();
    assert!(mean_abs_diff(&sheet.data, &first.data) > 1e-4, "another style, another sheet");
    let (row, col) = sheet_position('あ');
    assert!(mean_abs_diff(&sheet_cell(&sheet, row, col), &preview(&h)) < 1e-4, "the sheet's あ is the preview");

    // The style of a drawing: the sheet stops following the sliders.
    draw_example(&mut h, include_str!("../assets/examples/ka.json"));
    wait_until(&mut h, "candidates", 30, |a| a.is_up_to_date() && !a.candidates().is_empty());
    h.get_by_label("Style from my drawing").click();
    h.run_steps(2);
    assert!(!h.state().generator().sheet_follows_sliders());
    wait_until(&mut h, "the drawing's sheet", 30, |a| a.generator().sheet().is_some_and(|s| s.z != a.generator().latent()));
    let drawn = h.state().generator().sheet().unwrap().z.clone();
    let at = map_cell(&h, 0, 6);
    click_at(&mut h, at);
    wait_idle(&mut h);
    h.run_steps(5);
    assert_eq!(h.state().generator().sheet().unwrap().z, drawn, "the drawing's sheet stays");
}
