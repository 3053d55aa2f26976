//! The training panel driven through egui_kittest: open it, start a tiny run, watch progress and
//! the curves appear, pause, resume, stop, use the new model, and resume the stopped run from its
//! folder until it finishes.

mod support;

use egui::{Key, Modifiers, Pos2};
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use fude::app::FudeApp;
use fude::data::SourceKind;
use fude::training::events::RunPhase;
use support::{wait_until, TestApp};
use std::time::Duration;

fn app(data_dir: &std::path::Path) -> Harness<'static, FudeApp> {
    TestApp::new().tall(1800.0).data_dir(data_dir).build()
}

/// Draws a horizontal stroke across the canvas and waits for its candidates.
fn draw_line(h: &mut Harness<'_, FudeApp>) {
    let r = h.get_by_label("writing canvas").rect();
    let at = |x: f32| Pos2::new(r.left() + x * r.width(), r.top() + 0.5 * r.height());
    h.hover_at(at(0.2));
    h.drag_at(at(0.2));
    for i in 1..=30 {
        h.hover_at(at(0.2 + 0.02 * i as f32));
    }
    h.drop_at(at(0.8));
    wait_until(h, "candidates", 30, |a| a.is_up_to_date() && !a.candidates().is_empty());
}

/// Sets the form to a tiny run on the generated kana alone: `epochs` of `epoch_size` samples.
fn tiny_fonts_run(h: &mut Harness<'_, FudeApp>, epochs: usize, epoch_size: usize) {
    let form = &mut h.state_mut().training_mut().form;
    for row in &mut form.sources {
        row.enabled = row.kind == SourceKind::Fonts;
    }
    form.cfg.epochs = epochs;
    form.cfg.epoch_size = epoch_size;
    form.cfg.batch = 64;
}

fn steps_done(app: &FudeApp) -> usize {
    app.training().progress().train_loss.len()
}

#[test]
fn train_watch_pause_stop_use_and_resume() {
    let data = tempfile::tempdir().unwrap();
    let mut h = app(data.path());
    assert!(h.query_by_label("Start").is_none(), "the panel starts hidden");
    h.get_by_label("Train…").click();
    h.step();
    h.step();
    assert!(h.state().training().open);
    h.get_by_label("Quick").click();
    h.step();
    tiny_fonts_run(&mut h, 3, 2048);
    // Keep for training (Ctrl+K) files the drawing under its label and the panel counts it.
    draw_line(&mut h);
    let label = h.state().keep_label().unwrap();
    h.key_press_modifiers(Modifiers { ctrl: true, command: true, ..Modifiers::NONE }, Key::K);
    let class_dir = data.path().join("handwriting").join(format!("{:04X}", u32::from(label)));
    wait_until(&mut h, "the kept drawing", 30, |_| std::fs::read_dir(&class_dir).map(|d| d.count()).unwrap_or(0) == 1);
    // The file is in place a moment before the app hears that it was written.
    let kept = format!("{label} 1");
    let t = std::time::Instant::now();
    while h.query_by_label_contains(&kept).is_none() && t.elapsed() < Duration::from_secs(30) {
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(h.query_by_label_contains(&kept).is_some(), "the kept count is shown");
    h.key_press(Key::Escape);
    h.step();

    let before = h.state().model_name();
    assert_eq!(before.as_deref(), Some("bundled"));

    h.get_by_label("Start").click();
    wait_until(&mut h, "the first steps", 120, |a| steps_done(a) >= 2);
    assert!(h.state().training().is_running());
    assert!(h.query_by_label_contains("images/s").is_some(), "throughput is shown");
    assert!(h.query_by_label_contains("epoch 1/3").is_some(), "the epoch bar is shown");

    h.get_by_label("Pause").click();
    h.step();
    assert!(h.state().training().is_paused());
    // A step already under way may still land (slowly on a loaded machine): once the run holds
    // in its pause, nothing may move.
    wait_until(&mut h, "the run to hold in its pause", 60, |a| a.training().is_holding());
    h.step();
    let paused_at = steps_done(h.state());
    for _ in 0..10 {
        std::thread::sleep(Duration::from_millis(50));
        h.step();
    }
    assert_eq!(steps_done(h.state()), paused_at, "a paused run does not step");

    h.get_by_label("Resume").click();
    h.step();
    assert!(!h.state().training().is_paused());
    wait_until(&mut h, "the first epoch's checkpoint", 180, |a| a.training().progress().best_checkpoint.is_some());
    let p = h.state().training().progress();
    assert_eq!(p.accuracy.len(), 1, "one held-out point per epoch");
    assert_eq!(p.held_out_loss.len(), 1);
    assert!(p.train_loss.len() > paused_at && !p.lr.is_empty());

    h.get_by_label("Stop").click();
    wait_until(&mut h, "the run to stop", 120, |a| !a.training().is_running());
    assert_eq!(h.state().training().progress().phase, RunPhase::Cancelled);
    let run_dir = h.state().training().run_dir().map(|d| d.to_path_buf()).unwrap();
    assert!(run_dir.starts_with(data.path().join("runs")), "{}", run_dir.display());
    assert!(run_dir.join("best.safetensors").is_file() && run_dir.join("last.json").is_file());

    h.get_by_label("Use this model").click();
    wait_until(&mut h, "the new model", 60, |a| a.model_name().is_some_and(|n| n.contains("best")));
    let name = h.state().model_name().unwrap_or_default();
    assert!(name.starts_with(&run_dir.display().to_string()), "{name}");

    // The stopped run is listed and resumes from its checkpoint to the end.
    h.get_by_label("Resume run").click();
    h.step();
    assert!(h.state().training().is_running());
    wait_until(&mut h, "the resumed run to finish", 300, |a| !a.training().is_running());
    let p = h.state().training().progress();
    assert_eq!(p.phase, RunPhase::Finished, "{:?}", p.error);
    assert_eq!(p.start_epoch, 1, "resumed after the first epoch");
    let sidecar = std::fs::read_to_string(run_dir.join("last.json")).unwrap();
    assert!(sidecar.contains("\"epochs\": 3"), "{sidecar}");
    assert!(h.query_by_label("Resume run").is_none(), "a finished run is not offered for resuming");
}

#[test]
fn continue_the_current_model_keeping_what_it_knows() {
    let data = tempfile::tempdir().unwrap();
    let mut h = app(data.path());
    h.get_by_label("Train…").click();
    h.step();
    h.step();
    h.get_by_label("From scratch").click();
    h.step();
    assert!(h.query_by_label("Keep what it knows").is_none(), "only a continued recognizer has a model to keep");
    h.get_by_label("Continue the current model").click();
    h.step();
    tiny_fonts_run(&mut h, 1, 256);
    h.get_by_label("Keep what it knows").click();
    h.step();
    assert!(h.state().training().form.keep_what_it_knows);
    h.get_by_label("Start").click();
    h.step();
    wait_until(&mut h, "the run to finish", 300, |a| !a.training().is_running());
    let p = h.state().training().progress();
    assert_eq!(p.phase, RunPhase::Finished, "{:?}", p.error);
    // The run learned from the model in use (the bundled one) and says so in its checkpoint.
    let run_dir = h.state().training().run_dir().map(|d| d.to_path_buf()).unwrap();
    let sidecar: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(run_dir.join("last.json")).unwrap()).unwrap();
    assert_eq!(sidecar["training"]["settings"]["teachers"], "[\"bundled\"]", "{sidecar}");
}
