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

/// Opens `path` for reading, refusing anything that is not a regular file (a FIFO, a device, a
/// folder, a socket) before a read could block on it or never end: the file is opened without
/// blocking and its type checked on the open handle. `what` names the file in the error.
pub fn open_regular(path: &Path, what: &str) -> Result<std::fs::File> {
    // Refused before it is opened (opening a device can itself do something); checked again on
    // the open handle, should the path change in between.
    if let Ok(m) = std::fs::metadata(path) {
        if !m.file_type().is_file() {
            return Err(Error::file(path, format!("cannot read {what}: {} is not a regular file", file_kind(&m.file_type()))));
        }
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Opening a FIFO for reading would wait for a writer; non-blocking, it returns at once.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| Error::file(path, format!("cannot read {what}: {e}")))?;
    let kind = file.metadata().map_err(|e| Error::file(path, format!("cannot read {what}: {e}")))?.file_type();
    if !kind.is_file() {
        return Err(Error::file(path, format!("cannot read {what}: {} is not a regular file", file_kind(&kind))));
    }
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        // Back to blocking reads (regular files never block anyway; this keeps the flags plain).
        // SAFETY: fcntl on a descriptor this function owns; only the file status flags change.
        unsafe {
            let fd = file.as_raw_fd();
            let flags = libc::fcntl(fd, libc::F_GETFL);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
            }
        }
    }
    Ok(file)
}

/// What a file type is, in words, for errors ("a FIFO", "a folder", ...).
fn file_kind(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a folder"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_file() {
        "a regular file"
    } else {
        "a special file"
    }
}

/// Reads a whole regular file of at most `limit` bytes: the size is checked before reading (and
/// the read stops past the limit, should the file grow meanwhile). `what` names it in errors.
pub fn read_limited(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = open_regular(path, what)?;
    let size = file.metadata().map_err(|e| Error::file(path, e))?.len();
    if size > limit {
        return Err(Error::file(path, format!("{size} bytes is too large for a {what} (the limit is {limit} bytes)")));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| Error::file(path, format!("cannot read {what}: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(Error::file(path, format!("the {what} grew past the limit of {limit} bytes while it was read")));
    }
    Ok(bytes)
}

/// Refuses to replace `path` when something other than a regular file is there (a device, a
/// FIFO, a folder, a symbolic link): writing fude's output over `/dev/null` or through a link
/// would damage what is there. A missing path is fine.
pub fn check_replaceable(path: &Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if !m.file_type().is_file() => Err(Error::file(
            path,
            format!("{} is there, not a regular file: refusing to replace it", file_kind(&m.file_type())),
        )),
        _ => Ok(()),
    }
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, then a rename, so a crash never
/// leaves a half-written file behind.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    // Errors name the file asked for, not the temporary one beside it.
    write_atomic_with(path, |tmp| {
        use std::io::Write;
        let failed = |e: std::io::Error| Error::file(path, format!("cannot write: {e}"));
        let mut file = std::fs::File::create(tmp).map_err(failed)?;
        file.write_all(bytes).map_err(failed)?;
        file.sync_all().map_err(failed)
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
    check_replaceable(path)?;
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
    remove_stale_temps_matching(dir, &format!(".{}.", name.to_string_lossy()));
}

/// Removes every `.{name}.{pid}.tmp` file in the folder `dir` whose process is gone (what a run
/// writing many files there left when it was killed).
pub fn remove_stale_temps_in(dir: &Path) {
    remove_stale_temps_matching(dir, ".");
}

fn remove_stale_temps_matching(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().to_string();
        let pid = file
            .strip_prefix(prefix)
            .and_then(|r| r.strip_suffix(".tmp"))
            .map(|r| r.rsplit_once('.').map_or(r, |(_, p)| p))
            .and_then(|p| p.parse::<u32>().ok());
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        if regular && pid.is_some_and(|p| p != std::process::id() && !process_alive(p)) {
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
    fn only_regular_files_are_read_or_replaced() {
        // Regression (issue 20, items 15 and 17): a FIFO hung the reader; an output replaced a
        // symbolic link or a device.
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_string_lossy().as_bytes()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let e = read_limited(&fifo, 10, "drawing").unwrap_err().to_string();
        assert!(e.contains("fifo") && e.contains("a FIFO (named pipe) is not a regular file"), "{e}");
        let e = read_limited(Path::new("/dev/zero"), 10, "font file").unwrap_err().to_string();
        assert!(e.contains("a device is not a regular file"), "{e}");
        assert!(read_limited(dir.path(), 10, "drawing").unwrap_err().to_string().contains("a folder"));
        let p = dir.path().join("a.txt");
        std::fs::write(&p, b"12345").unwrap();
        assert_eq!(read_limited(&p, 5, "x").unwrap(), b"12345");
        assert!(read_limited(&p, 4, "x").unwrap_err().to_string().contains("too large for a x"));
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&p, &link).unwrap();
        for target in [&link, &fifo, &dir.path().to_path_buf()] {
            let e = write_atomic(target, b"new").unwrap_err().to_string();
            assert!(e.contains("refusing to replace it"), "{e}");
        }
        assert_eq!(std::fs::read(&p).unwrap(), b"12345");
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    }

    #[test]
    fn stale_temps_of_a_folder_are_removed() {
        // Regression (issue 20, item 16): a run killed midway left `.NNNN-uXXXX.png.PID.tmp` forever.
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(".0001-u3042.png.999999999.tmp");
        let live = dir.path().join(format!(".0002-u3042.png.{}.tmp", std::process::id()));
        let other = dir.path().join("notes.tmp");
        for p in [&stale, &live, &other] {
            std::fs::write(p, b"x").unwrap();
        }
        remove_stale_temps_in(dir.path());
        assert!(!stale.exists() && live.exists() && other.exists());
    }

    #[test]
    fn errors_about_a_named_file_drop_its_path() {
        let e = Error::file("a/b.png", "cannot decode image");
        assert_eq!(e.without_path(Path::new("a/b.png")), "cannot decode image");
        assert_eq!(e.without_path(Path::new("c.png")), "a/b.png: cannot decode image");
        assert_eq!(Error::Invalid("x".into()).without_path(Path::new("a")), "x");
    }
}
