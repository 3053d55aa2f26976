//! The evaluation view driven through egui_kittest: a past run is compared with the current
//! model from the training panel; the view shows both models' accuracy and balanced accuracy on
//! the same held-out data, the samples only one of them reads right (with the exact McNemar
//! test), per-class recall worst first, the confusion heatmap and misreads.

mod support;

use egui_kittest::kittest::Queryable;
use std::path::Path;
use std::time::{Duration, Instant};
use support::TestApp;

/// A run folder whose checkpoints are copies of the bundled model.
fn fake_run(runs: &Path) {
    let dir = runs.join("run-20260101-000000");
    std::fs::create_dir_all(&dir).unwrap();
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    for name in ["last", "best"] {
        for ext in ["safetensors", "json"] {
            std::fs::copy(models.join(format!("recognizer.{ext}")), dir.join(format!("{name}.{ext}"))).unwrap();
        }
    }
}

#[test]
fn compare_a_run_with_the_current_model_and_see_where_it_errs() {
    let data = tempfile::tempdir().unwrap();
    fake_run(&data.path().join("runs"));
    let mut h = TestApp::new().size(egui::vec2(1600.0, 1800.0)).data_dir(data.path()).build();
    h.get_by_label("Train…").click();
    h.step();
    h.step();
    for row in &mut h.state_mut().training_mut().form.sources {
        row.enabled = row.kind == fude::data::SourceKind::Fonts;
    }
    h.step();
    h.get_by_label("Compare").click();
    h.step();
    assert!(h.state().training().evaluation.is_busy(), "the evaluation runs off the UI thread");
    let t = Instant::now();
    while h.state().training().evaluation.result().is_none() {
        assert!(t.elapsed() < Duration::from_secs(120), "no result: {:?}", h.state().training().evaluation.error());
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    h.step();
    h.step();
    let r = h.state().training().evaluation.result().unwrap();
    assert_eq!(r.models.len(), 2, "the new model beside the current one");
    for label in ["current: accuracy", "new: accuracy", "Recall per class, worst first", "Confusion (rows: truth, columns: read as)"] {
        assert!(h.query_by_label_contains(label).is_some(), "{label}");
    }
    assert_eq!(h.query_all_by_label("All held out").count(), 2, "in the figures and in the comparison");
    // Both columns show the same figures (the same model, the same held-out data).
    let acc = format!("{:.2}%", 100.0 * r.models[0].whole.report.accuracy);
    assert!(h.query_all_by_label(&acc).count() >= 2, "{acc} in both columns");
    // Sample by sample, the same model never disagrees with itself.
    for label in ["new against current, sample by sample", "only new right", "only current right"] {
        assert!(h.query_by_label_contains(label).is_some(), "{label}");
    }
    assert!(h.query_all_by_label("within chance").count() >= 2, "all held out and the fonts, within chance");
    let first = &r.models[0].whole.misreads[0];
    let ch = |c: usize| fude::data::classes::get(c).map(|k| k.ch).unwrap_or('?');
    let misread = format!("{} read as {}", ch(first.truth), ch(first.read_as));
    assert!(h.query_all_by_label(&misread).count() >= 1, "the gallery shows {misread}");
}
