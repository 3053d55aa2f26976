//! Downloads against hostile or broken servers on 127.0.0.1 (issue 12): stalls before and after
//! the headers, a trickle, a body larger than the limit, leftovers of killed runs, and resuming.

use super::*;
use crate::data::k49::{TRAIN_IMAGES, TRAIN_LABELS};
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};

/// Short timeouts so each stall ends within about a second.
const FAST: Pace = Pace {
    connect: Duration::from_secs(2),
    read: Duration::from_millis(700),
    window: Duration::from_millis(700),
    min_bytes: 10_000,
    max_bytes: 50_000,
};

/// Serves connections on 127.0.0.1 until the test ends: `respond` gets the request line and
/// headers (lowercase names) and writes the whole response itself.
fn serve(respond: impl Fn(&str, &[(String, String)], &mut TcpStream) + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let respond = std::sync::Arc::new(respond);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let respond = std::sync::Arc::clone(&respond);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                let mut headers = Vec::new();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        headers.push((k.trim().to_lowercase(), v.trim().to_string()));
                    }
                }
                let name = line.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/').to_string();
                respond(&name, &headers, &mut stream);
            });
        }
    });
    format!("http://{addr}/")
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    v.sort();
    v
}

fn fetch_err(base: &str, dir: &Path) -> String {
    download_with(dir, base, false, &AtomicBool::new(false), |_, _, _| {}, FAST).unwrap_err().to_string()
}

#[test]
fn stalled_servers_time_out_and_leave_nothing() {
    // Regression (issue 12): a server that stalls before its headers, after them, or sends a
    // byte at a time kept the download waiting forever.
    let dst = tempfile::tempdir().unwrap();
    let before = serve(|_, _, _| std::thread::sleep(Duration::from_secs(30)));
    let e = fetch_err(&before, dst.path());
    assert!(e.contains(TRAIN_IMAGES) && e.contains("failed") && e.to_lowercase().contains("time"), "{e}");
    let after = serve(|_, _, s| {
        let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        let _ = s.flush();
        std::thread::sleep(Duration::from_secs(30));
    });
    let e = fetch_err(&after, dst.path());
    assert!(e.contains(TRAIN_IMAGES) && e.contains("broke off"), "{e}");
    let trickle = serve(|_, _, s| {
        let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: 40000\r\n\r\n");
        for _ in 0..40_000 {
            if s.write_all(b"x").and_then(|_| s.flush()).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let e = fetch_err(&trickle, dst.path());
    assert!(e.contains(TRAIN_IMAGES) && e.contains("too slow") && e.contains("at least 10000 needed"), "{e}");
    assert_eq!(names(dst.path()), Vec::<String>::new(), "no partial or temporary file left");
}

#[test]
fn bodies_beyond_the_limit_are_refused_while_streaming() {
    // Regression (issue 12): a 300 MB body was written in full before the size check refused it.
    let dst = tempfile::tempdir().unwrap();
    let announced = serve(|_, _, s| {
        let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: 300000000\r\n\r\n");
        let _ = s.write_all(&[0u8; 100_000]);
    });
    let e = fetch_err(&announced, dst.path());
    assert!(e.contains("announces 300000000 bytes, more than the limit of 50000"), "{e}");
    // No length announced: the body is cut off at the limit (nothing past it is written).
    let unannounced = serve(move |_, _, s| {
        let _ = write!(s, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
        for _ in 0..3000 {
            if s.write_all(&[0u8; 1000]).is_err() {
                return;
            }
        }
    });
    let mut most = 0;
    let e = download_with(dst.path(), &unannounced, false, &AtomicBool::new(false), |_, got, _| most = most.max(got), FAST)
        .unwrap_err()
        .to_string();
    assert!(e.contains("refused: more than the limit of 50000 bytes"), "{e}");
    assert!(most <= 50_000, "{most} bytes written");
    assert_eq!(names(dst.path()), Vec::<String>::new());
    // With the official checks, the official size is the limit.
    let official = serve(|_, _, s| {
        let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: 300000000\r\n\r\n");
    });
    let e = download_with(dst.path(), &official, true, &AtomicBool::new(false), |_, _, _| {}, FAST).unwrap_err().to_string();
    assert!(e.contains("more than the limit of 66117696"), "{e}");
}

#[test]
fn leftovers_are_cleaned_and_partial_files_resumed() {
    let src = tempfile::tempdir().unwrap();
    crate::data::k49::write_fixture(src.path(), 2, 1, 7).unwrap();
    let dst = tempfile::tempdir().unwrap();
    // A run killed midway: half of the first file under its partial name, and a temporary file of
    // an older version whose process is gone.
    let whole = std::fs::read(src.path().join(TRAIN_IMAGES)).unwrap();
    let half = whole.len() / 2;
    std::fs::write(partial_path(&dst.path().join(TRAIN_IMAGES)), &whole[..half]).unwrap();
    std::fs::write(dst.path().join(format!(".{TRAIN_LABELS}.999999999.tmp")), b"old").unwrap();
    let ranges = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&ranges);
    let dir = src.path().to_path_buf();
    let base = serve(move |name, headers, s| {
        let body = std::fs::read(dir.join(name)).unwrap_or_default();
        let range = headers.iter().find(|(k, _)| k == "range").map(|(_, v)| v.clone());
        seen.lock().unwrap().push((name.to_string(), range.clone()));
        let start = range.and_then(|r| r.strip_prefix("bytes=")?.trim_end_matches('-').parse::<usize>().ok());
        match start {
            Some(at) if at < body.len() => {
                let _ = write!(
                    s,
                    "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {at}-{}/{}\r\nContent-Length: {}\r\n\r\n",
                    body.len() - 1,
                    body.len(),
                    body.len() - at
                );
                let _ = s.write_all(&body[at..]);
            }
            _ => {
                let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
                let _ = s.write_all(&body);
            }
        }
    });
    let mut first_progress = None;
    let pace = Pace { max_bytes: 1 << 30, ..FAST };
    download_with(dst.path(), &base, false, &AtomicBool::new(false), |n, got, _| {
        if n == TRAIN_IMAGES && first_progress.is_none() {
            first_progress = Some(got);
        }
    }, pace)
    .unwrap();
    assert_eq!(std::fs::read(dst.path().join(TRAIN_IMAGES)).unwrap(), whole, "the resumed file is whole");
    assert_eq!(first_progress, Some(half as u64), "progress starts at the bytes already there");
    let asked = ranges.lock().unwrap().clone();
    assert_eq!(asked.first(), Some(&(TRAIN_IMAGES.to_string(), Some(format!("bytes={half}-")))));
    assert!(asked.iter().skip(1).all(|(_, r)| r.is_none()), "{asked:?}");
    assert_eq!(names(dst.path()).len(), 5, "the five files, no partial or stale temporary file");
}

#[test]
fn a_server_ignoring_ranges_starts_over() {
    let src = tempfile::tempdir().unwrap();
    crate::data::k49::write_fixture(src.path(), 2, 1, 7).unwrap();
    let dst = tempfile::tempdir().unwrap();
    std::fs::write(partial_path(&dst.path().join(TRAIN_IMAGES)), b"stale bytes of another file").unwrap();
    let dir = src.path().to_path_buf();
    let base = serve(move |name, _, s| {
        let body = std::fs::read(dir.join(name)).unwrap_or_default();
        let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
        let _ = s.write_all(&body);
    });
    download_with(dst.path(), &base, false, &AtomicBool::new(false), |_, _, _| {}, Pace { max_bytes: 1 << 30, ..FAST }).unwrap();
    assert_eq!(std::fs::read(dst.path().join(TRAIN_IMAGES)).unwrap(), std::fs::read(src.path().join(TRAIN_IMAGES)).unwrap());
    assert_eq!(range_start("bytes 100-199/200"), Some(100));
    assert_eq!(range_start("items 1-2"), None);
}
