//! Downloading Kuzushiji-49 in its official layout. Each file goes to a partial file beside its
//! final name ([`partial_path`]), is checked (size and md5) and only then renamed, so an
//! interrupted, cancelled or corrupt download never leaves a file that looks complete. Reads time
//! out, a trickle is given up, and no file grows past its official size. Files already present and verified
//! are kept. `fude download-k49` and the training panel's Download both use [`download_k49`].

use super::k49::{verify, OfficialFile, OFFICIAL_FILES};
use crate::error::{remove_stale_temps, sync_dir, Error, Result};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long connecting to the server may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long one read from the server may wait for data (headers or body) before the download is
/// given up, so a stalled server cannot hang it forever.
pub const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// A download that gets less than [`MIN_BYTES_PER_WINDOW`] in any window of this length is given
/// up: a server trickling a byte a second never trips the read timeout.
pub const STALL_WINDOW: Duration = Duration::from_secs(60);

/// The least a download must get in each [`STALL_WINDOW`] (about 1 KB/s).
pub const MIN_BYTES_PER_WINDOW: u64 = 64 << 10;

/// Largest file fetched when the official sizes are not checked (the largest official file is
/// 66 MB); with the checks, the official size is the limit.
pub const MAX_DOWNLOAD_BYTES: u64 = 1 << 30;

/// The reason a cancelled download gives (its error names the file and says this).
pub const CANCELLED: &str = "download cancelled";

/// Timeouts and limits of a download (the constants above; tests shorten them).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pace {
    pub(crate) connect: Duration,
    pub(crate) read: Duration,
    pub(crate) window: Duration,
    pub(crate) min_bytes: u64,
    pub(crate) max_bytes: u64,
}

/// The pace of real downloads.
pub(crate) const PACE: Pace = Pace {
    connect: CONNECT_TIMEOUT,
    read: READ_TIMEOUT,
    window: STALL_WINDOW,
    min_bytes: MIN_BYTES_PER_WINDOW,
    max_bytes: MAX_DOWNLOAD_BYTES,
};

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// Already there and verified.
    Present,
    /// Downloaded (and verified when asked).
    Downloaded,
}

/// Downloads the five official Kuzushiji-49 files from `base` (see
/// [`super::k49::DOWNLOAD_BASE`]) into `dir`. With `verify`, sizes and md5 sums must match the
/// official ones. `progress` gets the file name, bytes so far and the total when known (first
/// with 0 bytes once the server answers). Setting `cancel` stops the download between two reads
/// with an error saying [`CANCELLED`]; the file being fetched is then removed, and the files
/// finished before it are kept. A partial file left by a killed run is resumed when the server
/// supports ranges; temporary files of earlier runs are removed.
pub fn download_k49(
    dir: &Path,
    base: &str,
    verify_md5: bool,
    cancel: &AtomicBool,
    progress: impl FnMut(&str, u64, Option<u64>),
) -> Result<Vec<(String, Fetched)>> {
    download_with(dir, base, verify_md5, cancel, progress, PACE)
}

/// [`download_k49`] with its timeouts and limits given.
pub(crate) fn download_with(
    dir: &Path,
    base: &str,
    verify_md5: bool,
    cancel: &AtomicBool,
    mut progress: impl FnMut(&str, u64, Option<u64>),
    pace: Pace,
) -> Result<Vec<(String, Fetched)>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::file(dir, e))?;
    // A connection per file: five large files gain nothing from reusing one, and a server that
    // closes a kept-alive connection just as the next request goes out makes that request fail
    // ("connection reset by peer"), which the pool's check before reuse cannot rule out.
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .timeout_connect(Some(pace.connect))
            .timeout_per_read(Some(pace.read))
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            .build(),
    );
    let mut done = Vec::new();
    for file in &OFFICIAL_FILES {
        let target = dir.join(file.name);
        if cancel.load(Ordering::Relaxed) {
            return Err(Error::file(&target, CANCELLED));
        }
        // Temporary files of runs killed midway (earlier versions wrote `.NAME.PID.tmp`).
        remove_stale_temps(&target);
        if target.is_file() && verify(&target, file).is_ok() {
            done.push((file.name.to_string(), Fetched::Present));
            continue;
        }
        let part = partial_path(&target);
        let cap = if verify_md5 { file.bytes } else { pace.max_bytes };
        let result = fetch(&agent, file, base, (&target, &part), cap, verify_md5, cancel, &mut progress, pace);
        if result.is_err() {
            let _ = std::fs::remove_file(&part);
        }
        result?;
        done.push((file.name.to_string(), Fetched::Downloaded));
    }
    Ok(done)
}

/// Where a file is downloaded to before it is checked and renamed: `.NAME.part` beside it. A
/// process killed midway leaves it; the next run resumes it.
pub fn partial_path(target: &Path) -> std::path::PathBuf {
    let name = target.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    target.with_file_name(format!(".{name}.part"))
}

#[allow(clippy::too_many_arguments)]
fn fetch(
    agent: &ureq::Agent,
    file: &OfficialFile,
    base: &str,
    (target, part): (&Path, &Path),
    cap: u64,
    verify_md5: bool,
    cancel: &AtomicBool,
    progress: &mut impl FnMut(&str, u64, Option<u64>),
    pace: Pace,
) -> Result<()> {
    let url = format!("{}/{}", base.trim_end_matches('/'), file.name);
    let failed = |e: &dyn std::fmt::Display| Error::file(target, format!("download from {url} failed: {e}"));
    let mut have = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
    if have >= cap {
        have = 0;
    }
    let mut resp = if have > 0 {
        // Resume; a server that refuses the range gets a plain request.
        match agent.get(&url).header("Range", format!("bytes={have}-")).call() {
            Ok(r) => r,
            Err(_) => {
                have = 0;
                agent.get(&url).call().map_err(|e| failed(&e))?
            }
        }
    } else {
        agent.get(&url).call().map_err(|e| failed(&e))?
    };
    let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let resumed = have > 0 && resp.status().as_u16() == 206 && header("content-range").is_some_and(|r| range_start(&r) == Some(have));
    if !resumed {
        have = 0;
    }
    let total = header("content-length").and_then(|v| v.parse::<u64>().ok()).map(|n| n.saturating_add(have));
    if let Some(t) = total.filter(|&t| t > cap) {
        return Err(Error::file(target, format!("download from {url} refused: the server announces {t} bytes, more than the limit of {cap}")));
    }
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(resumed)
        .truncate(!resumed)
        .open(part)
        .map_err(|e| Error::file(part, e))?;
    let mut reader = resp.body_mut().as_reader();
    let mut buf = vec![0u8; 1 << 16];
    let mut got = have;
    progress(file.name, got, total);
    let (mut window_start, mut window_bytes) = (Instant::now(), 0u64);
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(Error::file(target, CANCELLED));
        }
        let n = reader.read(&mut buf).map_err(|e| Error::file(target, format!("download from {url} broke off: {e}")))?;
        if n == 0 {
            break;
        }
        got += n as u64;
        if got > cap {
            return Err(Error::file(target, format!("download from {url} refused: more than the limit of {cap} bytes")));
        }
        out.write_all(buf.get(..n).unwrap_or(&[])).map_err(|e| Error::file(part, e))?;
        progress(file.name, got, total);
        window_bytes += n as u64;
        if window_start.elapsed() >= pace.window {
            if window_bytes < pace.min_bytes {
                let secs = pace.window.as_secs_f64();
                return Err(Error::file(
                    target,
                    format!("download from {url} is too slow: {window_bytes} bytes in {secs:.0} s (at least {} needed)", pace.min_bytes),
                ));
            }
            (window_start, window_bytes) = (Instant::now(), 0);
        }
    }
    out.sync_all().map_err(|e| Error::file(part, e))?;
    drop(out);
    if let Some(t) = total.filter(|&t| t != got) {
        return Err(Error::file(target, format!("download from {url} is incomplete: {got} of {t} bytes")));
    }
    if verify_md5 {
        verify(part, file).map_err(|e| Error::file(target, format!("downloaded file refused: {}", e.without_path(part))))?;
    }
    std::fs::rename(part, target).map_err(|e| Error::file(target, format!("cannot move finished file into place: {e}")))?;
    sync_dir(target);
    Ok(())
}

/// The first byte of a `Content-Range: bytes START-END/TOTAL` header.
fn range_start(value: &str) -> Option<u64> {
    value.trim().strip_prefix("bytes ")?.split('-').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead;
    use std::net::{TcpListener, TcpStream};

    /// Serves `requests` connections on 127.0.0.1, one request each: `respond` gets the requested
    /// file name and writes the whole response (status line, headers, body) itself.
    fn serve_with(requests: usize, respond: impl Fn(&str, &mut TcpStream) + Send + 'static) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(requests) {
                let mut stream = stream.unwrap();
                let mut line = String::new();
                let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
                reader.read_line(&mut line).unwrap();
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).unwrap();
                    if h.trim().is_empty() {
                        break;
                    }
                }
                let name = line.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/').to_string();
                respond(&name, &mut stream);
            }
        });
        format!("http://{addr}/")
    }

    /// Serves the files of `dir` over HTTP on loopback, `requests` times, one request per connection.
    fn serve(dir: std::path::PathBuf, requests: usize) -> String {
        serve_with(requests, move |name, stream| match std::fs::read(dir.join(name)) {
            Ok(body) => {
                // The client may hang up early (a cancelled download): ignore write errors.
                let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                let _ = stream.write_all(&body);
            }
            Err(_) => {
                let _ = write!(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            }
        })
    }

    /// The names in `dir`, sorted (temporary files included: they start with a dot).
    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
        v.sort();
        v
    }

    fn never() -> AtomicBool {
        AtomicBool::new(false)
    }

    #[test]
    fn downloads_into_the_official_layout_atomically() {
        let src = tempfile::tempdir().unwrap();
        crate::data::k49::write_fixture(src.path(), 2, 1, 7).unwrap();
        let dst = tempfile::tempdir().unwrap();
        let base = serve(src.path().to_path_buf(), 5);
        let mut calls = 0;
        let done = download_k49(dst.path(), &base, false, &never(), |_, _, _| calls += 1).unwrap();
        assert_eq!(done.len(), 5);
        assert!(calls >= 10, "a call when each file starts and one per chunk");
        for f in &OFFICIAL_FILES {
            assert_eq!(std::fs::read(dst.path().join(f.name)).unwrap(), std::fs::read(src.path().join(f.name)).unwrap());
        }
        assert_eq!(names(dst.path()).len(), 5, "no temporary file left");
        let k = crate::data::k49::load(dst.path(), false).unwrap();
        assert_eq!(k.test.len(), 49);
        // The class map is the official file: kept without a second download.
        let base = serve(src.path().to_path_buf(), 4);
        let again = download_k49(dst.path(), &base, false, &never(), |_, _, _| {}).unwrap();
        assert_eq!(again.iter().filter(|(_, f)| *f == Fetched::Present).count(), 1);
    }

    #[test]
    fn unofficial_or_missing_files_are_refused_and_leave_nothing() {
        let src = tempfile::tempdir().unwrap();
        crate::data::k49::write_fixture(src.path(), 1, 1, 7).unwrap();
        let dst = tempfile::tempdir().unwrap();
        // The fixture's image file is not the official release: refused by size/md5.
        let base = serve(src.path().to_path_buf(), 1);
        let e = download_k49(dst.path(), &base, true, &never(), |_, _, _| {}).unwrap_err().to_string();
        assert!(e.contains("k49-train-imgs.npz") && e.contains("refused"), "{e}");
        assert_eq!(std::fs::read_dir(dst.path()).unwrap().count(), 0, "no partial file left");
        // A server without the files: a clear error naming the URL.
        let empty = tempfile::tempdir().unwrap();
        let base = serve(empty.path().to_path_buf(), 1);
        let e = download_k49(dst.path(), &base, false, &never(), |_, _, _| {}).unwrap_err().to_string();
        assert!(e.contains("404") && e.contains("k49-train-imgs.npz"), "{e}");
        assert_eq!(std::fs::read_dir(dst.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_truncated_body_is_refused_and_leaves_nothing() {
        let dst = tempfile::tempdir().unwrap();
        // The server promises 100,000 bytes, sends 1,000 and closes the connection.
        let base = serve_with(1, |_, stream| {
            let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n");
            let _ = stream.write_all(&[7u8; 1000]);
            let _ = stream.flush();
        });
        let e = download_k49(dst.path(), &base, false, &never(), |_, _, _| {}).unwrap_err().to_string();
        assert!(e.contains("k49-train-imgs.npz") && (e.contains("broke off") || e.contains("incomplete")), "{e}");
        assert_eq!(names(dst.path()), Vec::<String>::new(), "no partial or temporary file left");
    }

    #[test]
    fn a_cancelled_download_stops_and_leaves_nothing_half_written() {
        let src = tempfile::tempdir().unwrap();
        crate::data::k49::write_fixture(src.path(), 2, 1, 7).unwrap();
        let dst = tempfile::tempdir().unwrap();
        let base = serve(src.path().to_path_buf(), 2);
        // Cancel after the first chunk of the second file: the first stays, complete.
        let cancel = never();
        let mut seen = Vec::new();
        let e = download_k49(dst.path(), &base, false, &cancel, |name, got, _| {
            seen.push(name.to_string());
            if name == crate::data::k49::TRAIN_LABELS && got > 0 {
                cancel.store(true, Ordering::Relaxed);
            }
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains(CANCELLED) && e.contains(crate::data::k49::TRAIN_LABELS), "{e}");
        assert_eq!(names(dst.path()), [crate::data::k49::TRAIN_IMAGES], "only the finished file, no temporary file");
        assert_eq!(
            std::fs::read(dst.path().join(crate::data::k49::TRAIN_IMAGES)).unwrap(),
            std::fs::read(src.path().join(crate::data::k49::TRAIN_IMAGES)).unwrap()
        );
        // Cancelled before anything: nothing is asked of the server, nothing is written.
        let fresh = tempfile::tempdir().unwrap();
        let e = download_k49(&fresh.path().join("k49"), "http://127.0.0.1:9/", false, &AtomicBool::new(true), |_, _, _| {}).unwrap_err();
        assert!(e.to_string().contains(CANCELLED), "{e}");
        assert_eq!(names(&fresh.path().join("k49")), Vec::<String>::new());
    }
}

#[cfg(test)]
#[path = "download_hostile_tests.rs"]
mod hostile_tests;
