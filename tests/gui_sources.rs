//! The training panel's data sources driven through egui_kittest: the preview of generated kana
//! (a sample grid and the class chart appear; a Kuzushiji-49 row without a folder says why it
//! cannot be previewed), and the font picker's "Add font file…" through the typed-path prompt: a
//! font with kana is added and reaches the row's data spec, a non-font and a font without kana
//! are refused with the reason.

mod support;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use fude::app::FudeApp;
use fude::data::fonts::{FontPick, EMBEDDED_FONTS};
use fude::data::SourceKind;
use std::path::Path;
use support::{wait_until, TestApp};

fn app(data_dir: &Path) -> Harness<'static, FudeApp> {
    TestApp::new().tall(2400.0).data_dir(data_dir).build()
}

/// "Add font file…", then the path typed into the prompt (no dialogs in tests).
fn add_font(h: &mut Harness<'_, FudeApp>, path: &Path) {
    h.get_by_label("Add font file…").click();
    support::type_path(h, path);
}

#[test]
fn preview_sources_and_add_fonts() {
    let data = tempfile::tempdir().unwrap();
    let mut h = app(data.path());
    h.get_by_label("Train…").click();
    h.run_steps(2);
    assert!(h.state().training().open);

    // Generated kana: the grid and the chart appear once the worker is done.
    h.get_all_by_label("Preview").next().unwrap().click();
    h.step();
    assert!(h.state().training().previews.is_open("fonts"));
    wait_until(&mut h, "the generated kana preview", 120, |a| a.training().previews.data("fonts").is_some());
    let preview = h.state().training().previews.data("fonts").unwrap();
    assert_eq!(preview.samples.len(), 32);
    assert!(!preview.counted, "generated: coverage, not counts");
    assert!(h.query_by_label_contains("32 training samples of fonts:train").is_some(), "the grid is shown");
    assert!(h.query_by_label_contains("Classes covered: 180 of 180").is_some(), "the chart's caption is shown");

    // Drawings as real pens write: a row of their own, previewed the same way.
    let pens = h.state().training().form.sources.iter().position(|r| r.kind == SourceKind::Pens).unwrap();
    assert!(h.query_by_label("Pen-like drawings").is_some());
    h.get_all_by_label("Preview").nth(pens).unwrap().click();
    wait_until(&mut h, "the pens preview", 120, |a| a.training().previews.data("pens").is_some());
    assert!(h.query_by_label_contains("training samples of pens:train").is_some(), "the grid is shown");

    // A Kuzushiji-49 row without a folder says why there is nothing to preview.
    let k49 = h.state().training().form.sources.iter().position(|r| matches!(r.kind, SourceKind::K49(_))).unwrap();
    h.get_all_by_label("Preview").nth(k49).unwrap().click();
    wait_until(&mut h, "the k49 preview error", 30, |a| a.training().previews.error("k49").is_some());
    assert!(h.query_by_label_contains("Preview failed").is_some());
    assert!(h.state().training().previews.error("k49").unwrap().contains("k49=DIR"));

    // The font picker: a font with kana is added and reaches the spec.
    h.get_by_label_contains("Fonts (").click();
    h.run_steps(2);
    let fonts = tempfile::tempdir().unwrap();
    let info = EMBEDDED_FONTS.iter().find(|f| !f.validation).unwrap();
    let good = fonts.path().join("my-font.ttf");
    std::fs::write(&good, info.bytes).unwrap();
    add_font(&mut h, &good);
    wait_until(&mut h, "the font check", 60, |a| !a.training().fonts.user.is_empty());
    assert!(h.query_by_label("my-font.ttf").is_some(), "the added font is listed");
    let specs = h.state().training().form.specs().unwrap();
    let good = std::fs::canonicalize(&good).unwrap();
    match &specs[0].kind {
        SourceKind::ChosenFonts(picks) => assert!(picks.contains(&FontPick::File(good.clone())), "{picks:?}"),
        other => panic!("generated kana should carry the chosen fonts: {other:?}"),
    }
    // The open preview follows the new choice.
    wait_until(&mut h, "the preview with the added font", 120, |a| a.training().previews.data("fonts").is_some());

    // Not a font, and a font without kana: refused with the path and the reason.
    let junk = fonts.path().join("junk.ttf");
    std::fs::write(&junk, b"this is not a font").unwrap();
    add_font(&mut h, &junk);
    wait_until(&mut h, "the junk refusal", 60, |a| a.training().fonts.refused.is_some());
    let why = h.state().training().fonts.refused.clone().unwrap();
    assert!(why.contains("junk.ttf") && why.contains("not a font"), "{why}");
    let shown = h.query_all_by_label_contains("not a font").count();
    assert!(shown >= 2, "the reason is shown in the picker and the status line ({shown})");

    let latin = fonts.path().join("latin.ttf");
    let hack = egui::FontDefinitions::default().font_data.get("Hack").map(|d| (*d.font).as_ref().to_vec()).unwrap();
    std::fs::write(&latin, hack).unwrap();
    h.state_mut().training_mut().fonts.refused = None;
    add_font(&mut h, &latin);
    wait_until(&mut h, "the latin font refusal", 60, |a| a.training().fonts.refused.is_some());
    let why = h.state().training().fonts.refused.clone().unwrap();
    assert!(why.contains("latin.ttf") && why.contains("no kana"), "{why}");
    assert_eq!(h.state().training().fonts.user.len(), 1, "refused fonts are not added");
}
