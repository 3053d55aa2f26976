//! Downloading Kuzushiji-49 from the training panel: a worker thread runs
//! [`crate::data::download::download_k49`] (the implementation `fude download-k49` uses) into
//! `<data dir>/k49`, reports progress in bytes through a channel, and can be cancelled. The UI
//! thread never waits on it: it drains the channel each frame. On success the panel's
//! Kuzushiji-49 row gets the folder and is enabled.

use crate::data::download::{download_k49, Fetched};
use crate::data::{k49, mine};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The environment variable that replaces [`k49::DOWNLOAD_BASE`] (a mirror, or a test server).
pub const BASE_ENV: &str = "FUDE_K49_BASE";

/// The server the panel downloads from: `$FUDE_K49_BASE` when set, else the official one.
pub fn download_base() -> String {
    std::env::var(BASE_ENV).ok().filter(|b| !b.trim().is_empty()).unwrap_or_else(|| k49::DOWNLOAD_BASE.to_string())
}

/// Where the panel puts the download: `<data dir>/k49`.
pub fn download_dir() -> PathBuf {
    mine::data_dir().join("k49")
}

/// What the worker reports.
enum Report {
    Progress { name: String, got: u64, total: Option<u64> },
    Done(Result<Vec<(String, Fetched)>, String>),
}

struct Worker {
    dir: PathBuf,
    cancel: Arc<AtomicBool>,
    reports: Receiver<Report>,
}

/// How the last download ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadOutcome {
    /// All five files are in the folder.
    Finished(PathBuf),
    /// Cancelled by the user; nothing half-written was kept.
    Cancelled,
    /// Failed, with the reason.
    Failed(String),
}

/// The Download button's state: at most one download at a time.
pub struct K49Download {
    /// Whether sizes and md5 sums must match the official release (on by default; off only for
    /// tests that serve a fixture).
    pub verify: bool,
    worker: Option<Worker>,
    /// The file being fetched, bytes so far and the total when known.
    file: Option<(String, u64, Option<u64>)>,
    outcome: Option<DownloadOutcome>,
    /// Where the download goes ([`download_dir`] unless the app keeps its data elsewhere).
    pub dir: PathBuf,
}

impl Default for K49Download {
    fn default() -> Self {
        Self::into_dir(None)
    }
}

impl Drop for K49Download {
    fn drop(&mut self) {
        // The app is closing: let the worker stop and remove its temporary file.
        self.cancel();
    }
}

impl K49Download {
    /// A download into `dir` (`None`: [`download_dir`]).
    pub fn into_dir(dir: Option<PathBuf>) -> Self {
        K49Download { verify: true, worker: None, file: None, outcome: None, dir: dir.unwrap_or_else(download_dir) }
    }

    /// Whether a download is going.
    pub fn is_busy(&self) -> bool {
        self.worker.is_some()
    }

    /// Whether a going download was asked to stop.
    pub fn is_cancelling(&self) -> bool {
        self.worker.as_ref().is_some_and(|w| w.cancel.load(Ordering::Relaxed))
    }

    /// The file being fetched: name, bytes so far and the total when known.
    pub fn progress(&self) -> Option<(&str, u64, Option<u64>)> {
        self.file.as_ref().map(|(n, g, t)| (n.as_str(), *g, *t))
    }

    /// How the last download ended.
    pub fn outcome(&self) -> Option<&DownloadOutcome> {
        self.outcome.as_ref()
    }

    /// Starts downloading from [`download_base`] into [`K49Download::dir`] on a worker thread.
    pub fn start(&mut self, ctx: &egui::Context) {
        if self.worker.is_some() {
            return;
        }
        let (dir, base, verify) = (self.dir.clone(), download_base(), self.verify);
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, rx) = channel();
        let (stop, wake) = (Arc::clone(&cancel), ctx.clone());
        let target = dir.clone();
        let spawned = std::thread::Builder::new().name("fude-k49-download".into()).spawn(move || {
            let mut last_wake: Option<Instant> = None;
            let result = download_k49(&dir, &base, verify, &stop, |name, got, total| {
                let _ = tx.send(Report::Progress { name: name.to_string(), got, total });
                if last_wake.is_none_or(|t| t.elapsed() > Duration::from_millis(100)) {
                    wake.request_repaint();
                    last_wake = Some(Instant::now());
                }
            });
            let _ = tx.send(Report::Done(result.map_err(|e| e.to_string())));
            wake.request_repaint();
        });
        match spawned {
            Ok(_) => {
                self.worker = Some(Worker { dir: target, cancel, reports: rx });
                self.file = None;
                self.outcome = None;
            }
            Err(e) => self.outcome = Some(DownloadOutcome::Failed(format!("cannot start the download thread: {e}"))),
        }
    }

    /// Asks the going download to stop; it ends at its next read and removes its partial file.
    pub fn cancel(&mut self) {
        if let Some(w) = &self.worker {
            w.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Takes in the worker's reports (call every frame). Returns the folder once a download has
    /// just finished.
    pub fn poll(&mut self) -> Option<PathBuf> {
        let worker = self.worker.as_ref()?;
        let result = loop {
            match worker.reports.try_recv() {
                Ok(Report::Progress { name, got, total }) => self.file = Some((name, got, total)),
                Ok(Report::Done(r)) => break r,
                Err(TryRecvError::Empty) => return None,
                // The worker ended without a word (it panicked).
                Err(TryRecvError::Disconnected) => break Err("the download thread stopped unexpectedly".into()),
            }
        };
        let cancelled = worker.cancel.load(Ordering::Relaxed);
        let dir = worker.dir.clone();
        self.worker = None;
        self.file = None;
        let (outcome, finished) = match result {
            Ok(_) => (DownloadOutcome::Finished(dir.clone()), Some(dir)),
            Err(_) if cancelled => (DownloadOutcome::Cancelled, None),
            Err(e) => (DownloadOutcome::Failed(e), None),
        };
        self.outcome = Some(outcome);
        finished
    }
}

/// Draws the Download button of the Kuzushiji-49 row, the download's progress (file, bytes,
/// bar, Cancel) and how it ended. A finished download fills the row's folder and enables it
/// (when the training panel polls it, [`crate::app::training::panel::TrainingPanel::poll`]).
pub fn k49_download_ui(ui: &mut egui::Ui, state: &mut K49Download) {
    if state.is_busy() {
        ui.ctx().request_repaint_after(Duration::from_millis(200));
        ui.horizontal(|ui| {
            match state.progress() {
                Some((name, got, total)) => {
                    let text = match total {
                        Some(t) => format!("{name}: {} / {}", bytes_text(got), bytes_text(t)),
                        None => format!("{name}: {}", bytes_text(got)),
                    };
                    let fraction = total.filter(|&t| t > 0).map_or(0.0, |t| got as f32 / t as f32);
                    ui.add(egui::ProgressBar::new(fraction).desired_width(120.0));
                    ui.label(text);
                }
                None => {
                    ui.spinner();
                    ui.label("Connecting…");
                }
            }
            let cancelling = state.is_cancelling();
            if ui.add_enabled(!cancelling, egui::Button::new(if cancelling { "Cancelling…" } else { "Cancel" })).clicked() {
                state.cancel();
            }
        });
        return;
    }
    ui.horizontal_wrapped(|ui| {
        let dir = state.dir.clone();
        let button = ui.button("Download…").on_hover_text(format!(
            "Download Kuzushiji-49 (about 77 MB) from {} into {}; sizes and md5 sums are checked",
            download_base(),
            dir.display()
        ));
        if button.clicked() {
            let ctx = ui.ctx().clone();
            state.start(&ctx);
        }
    });
    // Below the button, not beside it: a long path or address then wraps within the panel
    // (wrapped beside a button, its later rows started left of the panel's edge, cut off).
    let text = match state.outcome() {
        Some(DownloadOutcome::Finished(d)) => egui::RichText::new(format!("Downloaded to {}", d.display())),
        Some(DownloadOutcome::Cancelled) => egui::RichText::new("Download cancelled; nothing half-written was kept."),
        Some(DownloadOutcome::Failed(e)) => egui::RichText::new(format!("Download failed: {e}")).color(ui.visuals().error_fg_color),
        None => return,
    };
    ui.add(egui::Label::new(text).wrap_mode(egui::TextWrapMode::Wrap));
}

/// Bytes in the largest fitting unit (KB = 1000 bytes).
fn bytes_text(n: u64) -> String {
    match n {
        n if n >= 1_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        n if n >= 1_000 => format!("{:.1} KB", n as f64 / 1e3),
        n => format!("{n} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_shown_in_fitting_units() {
        assert_eq!(bytes_text(512), "512 B");
        assert_eq!(bytes_text(27_400), "27.4 KB");
        assert_eq!(bytes_text(66_117_696), "66.1 MB");
    }
}
