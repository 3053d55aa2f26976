//! What the panel GUI tests share: the app in a tall window with its data in a folder of the
//! test's own and no native dialogs, and a wait for work that runs on other threads.

use egui_kittest::Harness;
use fude::app::{AppOptions, FudeApp};
use std::path::Path;
use std::time::{Duration, Instant};

/// The app, `height` pixels tall, keeping its data in `data_dir` and asking for typed paths
/// instead of native dialogs.
pub fn app(data_dir: &Path, height: f32) -> Harness<'static, FudeApp> {
    // SAFETY (edition 2021: safe fn): each test file has one test, which sets these before the app starts.
    std::env::set_var("FUDE_NO_FILE_DIALOG", "1");
    std::env::set_var("FUDE_DATA_DIR", data_dir);
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, height))
        .with_max_steps(1_000_000)
        .build_eframe(|cc| FudeApp::new(cc, AppOptions::default()));
    h.step();
    h.step();
    h
}

/// Steps frames until `cond` holds, failing after `secs` with `what` and `state(app)` (what the
/// app says about the work it waits for).
pub fn wait_until(h: &mut Harness<'_, FudeApp>, what: &str, secs: u64, cond: impl Fn(&FudeApp) -> bool, state: impl Fn(&FudeApp) -> String) {
    let t = Instant::now();
    while !cond(h.state()) {
        h.step();
        assert!(t.elapsed() < Duration::from_secs(secs), "timed out waiting for {what} ({})", state(h.state()));
        std::thread::sleep(Duration::from_millis(10));
    }
    h.step();
}
