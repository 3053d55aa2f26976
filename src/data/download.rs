//! Downloading Kuzushiji-49 in its official layout. Each file goes to a temporary file beside its
//! final name, is checked (size and md5) and only then renamed, so an interrupted, cancelled or
//! corrupt download never leaves a file that looks complete. Files already present and verified
//! are kept. `fude download-k49` and the training panel's Download both use [`download_k49`].

use super::k49::{verify, OfficialFile, OFFICIAL_FILES};
use crate::error::{Error, Result};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long connecting to the server may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long one read from the server may wait for data (headers or body) before the download is
/// given up, so a stalled server cannot hang it forever.
pub const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// The reason a cancelled download gives (its error names the file and says this).
pub const CANCELLED: &str = "download cancelled";

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
/// finished before it are kept.
pub fn download_k49(
    dir: &Path,
    base: &str,
    verify_md5: bool,
    cancel: &AtomicBool,
    mut progress: impl FnMut(&str, u64, Option<u64>),
) -> Result<Vec<(String, Fetched)>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::file(dir, e))?;
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder().timeout_connect(Some(CONNECT_TIMEOUT)).timeout_per_read(Some(READ_TIMEOUT)).build(),
    );
    let mut done = Vec::new();
    for file in &OFFICIAL_FILES {
        let target = dir.join(file.name);
        if cancel.load(Ordering::Relaxed) {
            return Err(Error::file(&target, CANCELLED));
        }
        if target.is_file() && verify(&target, file).is_ok() {
            done.push((file.name.to_string(), Fetched::Present));
            continue;
        }
        fetch(&agent, file, base, &target, verify_md5, cancel, &mut progress)?;
        done.push((file.name.to_string(), Fetched::Downloaded));
    }
    Ok(done)
}

fn fetch(
    agent: &ureq::Agent,
    file: &OfficialFile,
    base: &str,
    target: &Path,
    verify_md5: bool,
    cancel: &AtomicBool,
    progress: &mut impl FnMut(&str, u64, Option<u64>),
) -> Result<()> {
    let url = format!("{}/{}", base.trim_end_matches('/'), file.name);
    crate::error::write_atomic_with(target, |tmp| {
        let mut resp = agent.get(&url).call().map_err(|e| Error::file(target, format!("download from {url} failed: {e}")))?;
        let total = resp
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let mut reader = resp.body_mut().as_reader();
        let mut out = std::fs::File::create(tmp).map_err(|e| Error::file(tmp, e))?;
        let mut buf = vec![0u8; 1 << 16];
        let mut got = 0u64;
        progress(file.name, 0, total);
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Err(Error::file(target, CANCELLED));
            }
            let n = reader.read(&mut buf).map_err(|e| Error::file(target, format!("download from {url} broke off: {e}")))?;
            if n == 0 {
                break;
            }
            out.write_all(buf.get(..n).unwrap_or(&[])).map_err(|e| Error::file(tmp, e))?;
            got += n as u64;
            progress(file.name, got, total);
        }
        out.sync_all().map_err(|e| Error::file(tmp, e))?;
        if let Some(t) = total.filter(|&t| t != got) {
            return Err(Error::file(target, format!("download from {url} is incomplete: {got} of {t} bytes")));
        }
        if verify_md5 {
            verify(tmp, file).map_err(|e| Error::file(target, format!("downloaded file refused: {e}")))?;
        }
        Ok(())
    })
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
