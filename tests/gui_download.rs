//! The training panel's Kuzushiji-49 Download driven through egui_kittest against a real HTTP
//! server on 127.0.0.1 serving a fixture: progress in bytes and Cancel, the refusal of files that
//! are not the official release (sizes and md5 checked by default), then a download with checks
//! off that fills the row's folder; never a partial or temporary file left behind.

mod support;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use fude::app::training::k49_download::{DownloadOutcome, BASE_ENV};
use fude::app::FudeApp;
use fude::data::k49::{self, OFFICIAL_FILES};
use std::io::{BufRead, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::{wait_until, TestApp};

/// Serves the files of `dir` on 127.0.0.1, a thread per connection; while `slow` is set, bodies
/// trickle out in 1 KB pieces every 20 ms so the download can be watched and cancelled.
fn serve(dir: PathBuf, slow: Arc<AtomicBool>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (dir, slow) = (dir.clone(), Arc::clone(&slow));
            std::thread::spawn(move || {
                let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                        break;
                    }
                }
                let name = line.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/').to_string();
                let Ok(body) = std::fs::read(dir.join(&name)) else {
                    let _ = write!(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    return;
                };
                let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                if !slow.load(Ordering::Relaxed) {
                    let _ = stream.write_all(&body);
                    return;
                }
                for piece in body.chunks(1024) {
                    // The client hangs up when it cancels.
                    if stream.write_all(piece).and_then(|_| stream.flush()).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            });
        }
    });
    format!("http://{addr}/")
}

fn app(data_dir: &Path, base: &str) -> Harness<'static, FudeApp> {
    // SAFETY (edition 2021: safe fn): this file's only test sets it before the app starts.
    std::env::set_var(BASE_ENV, base);
    TestApp::new().tall(1800.0).data_dir(data_dir).build()
}

/// The names in `dir` (temporary files start with a dot), sorted; none when it does not exist.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn k49_row(app: &FudeApp) -> &fude::app::training::panel::SourceRow {
    app.training().form.sources.iter().find(|r| matches!(r.kind, fude::data::SourceKind::K49(_))).unwrap()
}

#[test]
fn download_k49_from_the_panel_with_progress_cancel_refusal_and_success() {
    let data = tempfile::tempdir().unwrap();
    let fixture = tempfile::tempdir().unwrap();
    k49::write_fixture(fixture.path(), 2, 1, 7).unwrap();
    let slow = Arc::new(AtomicBool::new(true));
    let base = serve(fixture.path().to_path_buf(), Arc::clone(&slow));
    let mut h = app(data.path(), &base);
    let target = data.path().join("k49");

    h.get_by_label("Train…").click();
    h.step();
    h.step();
    assert!(h.state().training().open);
    assert!(!k49_row(h.state()).enabled, "the Kuzushiji-49 row starts off");
    assert!(h.state().training().k49_download.verify, "sizes and md5 sums are checked by default");

    // Progress in bytes while the server trickles, then Cancel.
    h.get_by_label("Download…").click();
    h.step();
    wait_until(&mut h, "the first bytes", 30, |a| a.training().k49_download.progress().is_some_and(|(_, got, _)| got > 0));
    let (name, got, total) = h.state().training().k49_download.progress().map(|(n, g, t)| (n.to_string(), g, t)).unwrap();
    assert_eq!(name, k49::TRAIN_IMAGES);
    let size = std::fs::metadata(fixture.path().join(k49::TRAIN_IMAGES)).unwrap().len();
    assert_eq!(total, Some(size), "the total comes from Content-Length");
    assert!(got < size, "still under way");
    assert!(h.query_by_label_contains(&format!("{}: ", k49::TRAIN_IMAGES)).is_some(), "the file and its bytes are shown");
    assert!(h.query_by_label_contains(" KB / ").is_some(), "bytes so far / total");
    h.get_by_label("Cancel").click();
    wait_until(&mut h, "the cancelled download to end", 30, |a| !a.training().k49_download.is_busy() && a.training().k49_download.outcome().is_some());
    assert_eq!(h.state().training().k49_download.outcome(), Some(&DownloadOutcome::Cancelled));
    assert!(h.query_by_label_contains("Download cancelled").is_some());
    assert_eq!(names(&target), Vec::<String>::new(), "nothing half-written, no temporary file");
    assert!(!k49_row(h.state()).enabled);

    // The fixture is not the official release: refused by its size, shown on the row.
    slow.store(false, Ordering::Relaxed);
    h.get_by_label("Download…").click();
    h.step();
    wait_until(&mut h, "the refusal", 30, |a| !a.training().k49_download.is_busy() && a.training().k49_download.outcome().is_some());
    match h.state().training().k49_download.outcome() {
        Some(DownloadOutcome::Failed(e)) => assert!(e.contains(k49::TRAIN_IMAGES) && e.contains("refused"), "{e}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(h.query_by_label_contains("Download failed").is_some(), "the error is shown on the row");
    assert_eq!(names(&target), Vec::<String>::new(), "a refused file is not kept");
    assert!(!k49_row(h.state()).enabled);

    // With the checks off (fixtures only), the five files land and the row is filled and enabled.
    h.state_mut().training_mut().k49_download.verify = false;
    h.get_by_label("Download…").click();
    h.step();
    wait_until(&mut h, "the download", 30, |a| !a.training().k49_download.is_busy() && a.training().k49_download.outcome().is_some());
    assert_eq!(h.state().training().k49_download.outcome(), Some(&DownloadOutcome::Finished(target.clone())));
    let row = k49_row(h.state());
    assert!(row.enabled);
    assert_eq!(row.arg, target.display().to_string());
    let mut official: Vec<String> = OFFICIAL_FILES.iter().map(|f| f.name.to_string()).collect();
    official.sort();
    assert_eq!(names(&target), official, "the five files and nothing else");
    for f in &OFFICIAL_FILES {
        assert_eq!(std::fs::read(target.join(f.name)).unwrap(), std::fs::read(fixture.path().join(f.name)).unwrap(), "{}", f.name);
    }
    assert!(h.query_by_label_contains("Downloaded to").is_some());
    assert_eq!(k49::load(&target, false).unwrap().test.len(), 49);
    let specs = h.state().training().form.specs().unwrap();
    assert!(specs.iter().any(|s| s.to_string() == format!("k49={}", target.display())), "the row is a data source now");
}
