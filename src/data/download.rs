//! Downloading Kuzushiji-49 in its official layout. Each file goes to a temporary file beside its
//! final name, is checked (size and md5) and only then renamed, so an interrupted or corrupt
//! download never leaves a file that looks complete. Files already present and verified are kept.

use super::k49::{verify, OfficialFile, OFFICIAL_FILES};
use crate::error::{Error, Result};
use std::io::{Read, Write};
use std::path::Path;

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
/// official ones. `progress` gets the file name, bytes so far and the total when known.
pub fn download_k49(
    dir: &Path,
    base: &str,
    verify_md5: bool,
    mut progress: impl FnMut(&str, u64, Option<u64>),
) -> Result<Vec<(String, Fetched)>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::file(dir, e))?;
    let mut done = Vec::new();
    for file in &OFFICIAL_FILES {
        let target = dir.join(file.name);
        if target.is_file() && verify(&target, file).is_ok() {
            done.push((file.name.to_string(), Fetched::Present));
            continue;
        }
        fetch(file, base, &target, verify_md5, &mut progress)?;
        done.push((file.name.to_string(), Fetched::Downloaded));
    }
    Ok(done)
}

fn fetch(file: &OfficialFile, base: &str, target: &Path, verify_md5: bool, progress: &mut impl FnMut(&str, u64, Option<u64>)) -> Result<()> {
    let url = format!("{}/{}", base.trim_end_matches('/'), file.name);
    crate::error::write_atomic_with(target, |tmp| {
        let mut resp = ureq::get(&url).call().map_err(|e| Error::file(target, format!("download from {url} failed: {e}")))?;
        let total = resp
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let mut reader = resp.body_mut().as_reader();
        let mut out = std::fs::File::create(tmp).map_err(|e| Error::file(tmp, e))?;
        let mut buf = vec![0u8; 1 << 16];
        let mut got = 0u64;
        loop {
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
    use std::net::TcpListener;

    /// Serves the files of `dir` over HTTP on loopback, `requests` times, one request per connection.
    fn serve(dir: std::path::PathBuf, requests: usize) -> String {
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
                match std::fs::read(dir.join(&name)) {
                    Ok(body) => {
                        write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).unwrap();
                        stream.write_all(&body).unwrap();
                    }
                    Err(_) => {
                        write!(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
                    }
                }
            }
        });
        format!("http://{addr}/")
    }

    #[test]
    fn downloads_into_the_official_layout_atomically() {
        let src = tempfile::tempdir().unwrap();
        crate::data::k49::write_fixture(src.path(), 2, 1, 7).unwrap();
        let dst = tempfile::tempdir().unwrap();
        let base = serve(src.path().to_path_buf(), 5);
        let mut calls = 0;
        let done = download_k49(dst.path(), &base, false, |_, _, _| calls += 1).unwrap();
        assert_eq!(done.len(), 5);
        assert!(calls >= 5);
        for f in &OFFICIAL_FILES {
            assert_eq!(std::fs::read(dst.path().join(f.name)).unwrap(), std::fs::read(src.path().join(f.name)).unwrap());
        }
        let k = crate::data::k49::load(dst.path(), false).unwrap();
        assert_eq!(k.test.len(), 49);
        // The class map is the official file: kept without a second download.
        let base = serve(src.path().to_path_buf(), 4);
        let again = download_k49(dst.path(), &base, false, |_, _, _| {}).unwrap();
        assert_eq!(again.iter().filter(|(_, f)| *f == Fetched::Present).count(), 1);
    }

    #[test]
    fn unofficial_or_missing_files_are_refused_and_leave_nothing() {
        let src = tempfile::tempdir().unwrap();
        crate::data::k49::write_fixture(src.path(), 1, 1, 7).unwrap();
        let dst = tempfile::tempdir().unwrap();
        // The fixture's image file is not the official release: refused by size/md5.
        let base = serve(src.path().to_path_buf(), 1);
        let e = download_k49(dst.path(), &base, true, |_, _, _| {}).unwrap_err().to_string();
        assert!(e.contains("k49-train-imgs.npz") && e.contains("refused"), "{e}");
        assert_eq!(std::fs::read_dir(dst.path()).unwrap().count(), 0, "no partial file left");
        // A server without the files: a clear error naming the URL.
        let empty = tempfile::tempdir().unwrap();
        let base = serve(empty.path().to_path_buf(), 1);
        let e = download_k49(dst.path(), &base, false, |_, _, _| {}).unwrap_err().to_string();
        assert!(e.contains("404") && e.contains("k49-train-imgs.npz"), "{e}");
        assert_eq!(std::fs::read_dir(dst.path()).unwrap().count(), 0);
    }
}
