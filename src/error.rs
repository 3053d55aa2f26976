//! The library's error type: every failure names what it was about (a file path, a field) and why.

use std::path::{Path, PathBuf};

/// Everything that can go wrong in the fude library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read, written, or was refused; `reason` says why.
    #[error("{}: {reason}", path.display())]
    File {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A drawing (stroke JSON) is malformed.
    #[error("invalid drawing: {0}")]
    Drawing(String),
    /// A model checkpoint does not fit this build (classes, input format, shapes).
    #[error("model refused: {0}")]
    ModelMismatch(String),
    /// A user-supplied argument (data spec, option) is invalid.
    #[error("{0}")]
    Invalid(String),
    /// A tensor operation failed.
    #[error("tensor error: {0}")]
    Candle(#[from] candle_core::Error),
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error about a file.
    pub fn file(path: impl AsRef<Path>, reason: impl std::fmt::Display) -> Self {
        Error::File {
            path: path.as_ref().to_path_buf(),
            reason: reason.to_string(),
        }
    }

    /// The error as said after `path` has already been named: an error about that same file
    /// gives its reason alone (no `X: error: X: ...`), any other error all of itself.
    pub fn without_path(&self, path: &Path) -> String {
        match self {
            Error::File { path: p, reason } if p == path => reason.clone(),
            other => other.to_string(),
        }
    }
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, then a rename, so a crash never
/// leaves a half-written file behind.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |tmp| {
        use std::io::Write;
        let mut file = std::fs::File::create(tmp).map_err(|e| Error::file(tmp, e))?;
        file.write_all(bytes).map_err(|e| Error::file(tmp, e))?;
        file.sync_all().map_err(|e| Error::file(tmp, e))
    })
}

/// The temporary file beside `path` that this process writes before renaming it into place:
/// `.{name}.{pid}.{suffix}`.
pub fn temp_path(path: &Path, suffix: &str) -> PathBuf {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    dir.join(format!(".{name}.{}.{suffix}", std::process::id()))
}

/// Flushes the folder holding `path` to disk, so a rename into it survives a crash (best effort:
/// not every system can open a folder).
pub fn sync_dir(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Like [`write_atomic`] but lets `write` produce the temporary file itself (e.g. a library that
/// only writes to paths).
pub fn write_atomic_with(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    if path.file_name().is_none() {
        return Err(Error::file(path, "not a file path"));
    }
    let tmp = temp_path(path, "tmp");
    if let Err(e) = write(&tmp) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::file(path, format!("cannot move finished file into place: {e}"))
    })?;
    sync_dir(path);
    Ok(())
}

/// Removes `.{name}.{pid}.tmp` files beside `path` whose process is gone (saves killed midway).
pub fn remove_stale_temps(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().to_string();
        let pid = file.strip_prefix(&prefix).and_then(|r| r.strip_suffix(".tmp")).and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|p| p != std::process::id() && !process_alive(p)) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether a process with this id exists (on other systems than Unix: assumed so).
fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: kill with signal 0 only checks that the process exists; it sends nothing.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn failed_write_keeps_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_atomic(&p, b"old").unwrap();
        let r = write_atomic_with(&p, |_| Err(Error::Invalid("boom".into())));
        assert!(r.is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn errors_about_a_named_file_drop_its_path() {
        let e = Error::file("a/b.png", "cannot decode image");
        assert_eq!(e.without_path(Path::new("a/b.png")), "cannot decode image");
        assert_eq!(e.without_path(Path::new("c.png")), "a/b.png: cannot decode image");
        assert_eq!(Error::Invalid("x".into()).without_path(Path::new("a")), "x");
    }
}
