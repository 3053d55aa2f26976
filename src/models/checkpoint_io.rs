//! What both checkpoint kinds share: the two paths of a checkpoint, which kind a sidecar
//! declares, and weights read back checked against the expected parameter shapes.
//!
//! A checkpoint is saved as one unit: both files are written to temporary files and flushed to
//! disk, the weights are renamed into place, then the sidecar, which records the weights' size
//! and SHA-256 ([`WEIGHTS_FIELD`]). A reader checks them, so an interrupted save (new weights
//! beside the old sidecar) is refused rather than loaded as a mix of two checkpoints.

use crate::error::{check_replaceable, read_limited, remove_stale_temps, sync_dir, temp_path, Error, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The sidecar field recording its weights file: `{"bytes": N, "sha256": "hex"}`.
pub const WEIGHTS_FIELD: &str = "weights_file";

/// Largest weights file read (the shipped models are a few MB).
pub const MAX_WEIGHTS_BYTES: u64 = 1 << 30;

/// Largest sidecar read.
pub const MAX_SIDECAR_BYTES: u64 = 16 << 20;

/// The checkpoint a path names, without the extension of either file: `m.safetensors`,
/// `m.json` and `m` all name `m`. Only those two extensions are taken off: `m.v2` names `m.v2`
/// (its files are `m.v2.safetensors` and `m.v2.json`), never `m`.
pub fn checkpoint_base(path: &Path) -> PathBuf {
    match path.extension().and_then(|e| e.to_str()) {
        Some("safetensors" | "json") => path.with_extension(""),
        _ => path.to_path_buf(),
    }
}

/// `path` with `suffix` appended to its file name (`m.v2` + `-best` = `m.v2-best`).
pub fn append_to_name(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// The weights and sidecar paths for a checkpoint path given either way (see
/// [`checkpoint_base`]): the extensions are appended, never put in place of what follows the
/// last dot.
pub fn paths(path: &Path) -> (PathBuf, PathBuf) {
    let base = checkpoint_base(path);
    (append_to_name(&base, ".safetensors"), append_to_name(&base, ".json"))
}

/// The sidecar path of a checkpoint path given either way.
pub fn sidecar_path(path: &Path) -> PathBuf {
    paths(path).1
}

/// The weights path of a checkpoint path given either way.
pub fn weights_path(path: &Path) -> PathBuf {
    paths(path).0
}

/// Refuses a checkpoint output whose files could not be written: a folder (or anything but a
/// regular file) where the weights or the sidecar go. Checked before a run starts, so it fails
/// before its first epoch rather than after it, with nothing written.
pub fn check_out_files(path: &Path) -> Result<()> {
    let (weights, json) = paths(path);
    check_replaceable(&weights)?;
    check_replaceable(&json)
}

/// An exclusive lock on a checkpoint output (`NAME.lock` beside `NAME.safetensors`), held while a
/// training run writes there, so a second run on the same output is refused instead of mixing
/// its checkpoints with the first's. The lock is the operating system's (`flock`): it goes with
/// the process, so a run killed with `kill -9` leaves no stale lock behind. The file records the
/// holder's process id (for the error of the run refused) and is removed on release.
#[derive(Debug)]
pub struct OutLock {
    path: PathBuf,
    #[allow(dead_code)]
    file: std::fs::File,
}

impl OutLock {
    /// The lock file of checkpoint output `out`.
    pub fn path_for(out: &Path) -> PathBuf {
        append_to_name(&checkpoint_base(out), ".lock")
    }

    /// Takes the lock of checkpoint output `out`, refusing (with the holder's process id) when
    /// another run holds it.
    pub fn acquire(out: &Path) -> Result<Self> {
        let path = Self::path_for(out);
        // A lock file removed and re-created by a run ending between our open and our lock is
        // noticed (another file under the name now) and the lock taken again.
        for _ in 0..8 {
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| Error::file(&path, format!("cannot create the lock file of this output: {e}")))?;
            if !try_lock(&file) {
                let holder = std::fs::read_to_string(&path).ok().and_then(|t| t.trim().parse::<u32>().ok());
                let who = holder.map(|p| format!(" (process {p})")).unwrap_or_default();
                return Err(Error::file(
                    &path,
                    format!("another training run{who} is writing this checkpoint: wait for it to end, or choose another output"),
                ));
            }
            if same_file(&file, &path) {
                use std::io::{Seek, Write};
                let mut f = &file;
                let _ = f.set_len(0);
                let _ = f.seek(std::io::SeekFrom::Start(0));
                let _ = writeln!(f, "{}", std::process::id());
                return Ok(OutLock { path, file });
            }
        }
        Err(Error::file(&path, "cannot take the lock of this output (its lock file keeps changing)"))
    }
}

impl Drop for OutLock {
    fn drop(&mut self) {
        // Removed while still locked, so no other run can lock the old file after we let go.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Takes an exclusive `flock` on `file` without waiting; false when another holds it.
fn try_lock(file: &std::fs::File) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        // SAFETY: flock on a descriptor that `file` owns for the duration of the call.
        unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        true
    }
}

/// Whether `path` still names the open `file` (same device and inode).
fn same_file(file: &std::fs::File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

/// The kind a sidecar declares (`recognizer` or `generator`), read from its `kind` field or,
/// for sidecars written before the field existed, its `format` (`fude-recognizer`). `None` when
/// the text is not a JSON object or names neither.
pub fn declared_kind(sidecar_json: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(sidecar_json).ok()?;
    if let Some(k) = v.get("kind").and_then(|k| k.as_str()) {
        return Some(k.to_string());
    }
    v.get("format").and_then(|f| f.as_str()).and_then(|f| f.strip_prefix("fude-")).map(str::to_string)
}

/// Refuses a sidecar of another kind than `expected`, saying what it is.
pub fn check_kind(sidecar_json: &str, expected: &str) -> Result<()> {
    match declared_kind(sidecar_json) {
        Some(k) if k != expected => Err(Error::ModelMismatch(format!(
            "this is a {k} checkpoint, not a {expected}: open it as a {k}"
        ))),
        _ => Ok(()),
    }
}

/// Refuses an output path whose folder does not exist or cannot be written, so a run fails
/// before its first epoch rather than after it.
pub fn check_out_dir(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(Error::file(&dir, "the output folder does not exist"));
    }
    let probe = temp_path(path, "probe");
    std::fs::File::create(&probe).map_err(|e| Error::file(&dir, format!("cannot write in the output folder: {e}")))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Writes a checkpoint as one unit (see the module docs): a reader sees the old pair, the new
/// pair, or a pair it refuses as torn; both files get the same permissions. Temporary files left
/// by interrupted saves of earlier processes are removed first.
pub fn save_checkpoint(varmap: &VarMap, sidecar: &impl serde::Serialize, path: &Path) -> Result<()> {
    let (weights, json) = paths(path);
    check_out_dir(&weights)?;
    check_out_files(path)?;
    remove_stale_temps(&weights);
    remove_stale_temps(&json);
    let (w_tmp, j_tmp) = (temp_path(&weights, "tmp"), temp_path(&json, "tmp"));
    let result = write_pair(varmap, sidecar, (&weights, &w_tmp), (&json, &j_tmp));
    if result.is_err() {
        let _ = std::fs::remove_file(&w_tmp);
        let _ = std::fs::remove_file(&j_tmp);
    }
    result
}

fn write_pair(varmap: &VarMap, sidecar: &impl serde::Serialize, (weights, w_tmp): (&Path, &Path), (json, j_tmp): (&Path, &Path)) -> Result<()> {
    let tensors = tensors_of(varmap)?;
    // A checkpoint that could not be loaded again is not written (and the run saving it stops).
    let mut names: Vec<&String> = tensors.keys().collect();
    names.sort();
    for name in names {
        if let Some(t) = tensors.get(name) {
            if !t.flatten_all()?.to_dtype(DType::F32)?.to_vec1::<f32>()?.iter().all(|v| v.is_finite()) {
                return Err(Error::file(weights, format!("not saved: tensor {name} holds NaN or infinite values")));
            }
        }
    }
    candle_core::safetensors::save(&tensors, w_tmp).map_err(|e| Error::file(w_tmp, e))?;
    let bytes = std::fs::read(w_tmp).map_err(|e| Error::file(w_tmp, e))?;
    let mut value = serde_json::to_value(sidecar).map_err(|e| Error::file(json, e))?;
    if let Some(obj) = value.as_object_mut() {
        obj.insert(WEIGHTS_FIELD.into(), serde_json::json!({"bytes": bytes.len(), "sha256": sha256_hex(&bytes)}));
    }
    let text = serde_json::to_string_pretty(&value).map_err(|e| Error::file(json, e))?;
    let mut file = std::fs::File::create(j_tmp).map_err(|e| Error::file(j_tmp, e))?;
    file.write_all(format!("{text}\n").as_bytes()).map_err(|e| Error::file(j_tmp, e))?;
    file.sync_all().map_err(|e| Error::file(j_tmp, e))?;
    // The sidecar was created as any new file (the umask decides); the weights get the same.
    let perms = file.metadata().map_err(|e| Error::file(j_tmp, e))?.permissions();
    drop(file);
    let w_file = std::fs::OpenOptions::new().write(true).open(w_tmp).map_err(|e| Error::file(w_tmp, e))?;
    w_file.set_permissions(perms).map_err(|e| Error::file(w_tmp, e))?;
    w_file.sync_all().map_err(|e| Error::file(w_tmp, e))?;
    drop(w_file);
    std::fs::rename(w_tmp, weights).map_err(|e| Error::file(weights, format!("cannot move finished file into place: {e}")))?;
    std::fs::rename(j_tmp, json).map_err(|e| Error::file(json, format!("cannot move finished file into place: {e}")))?;
    sync_dir(json);
    Ok(())
}

/// SHA-256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Reads a checkpoint from disk: `parse` checks the sidecar text (its errors name the `.json`),
/// `build` makes the model from the weights' bytes (its errors name the `.safetensors`). The
/// weights must match the size and hash their sidecar records (sidecars without the record,
/// written before it existed, are trusted).
pub fn load_checkpoint<S, T>(path: &Path, parse: impl FnOnce(&str) -> Result<S>, build: impl FnOnce(&[u8], S) -> Result<T>) -> Result<T> {
    let (weights, json) = paths(path);
    let text = read_limited(&json, MAX_SIDECAR_BYTES, "sidecar")?;
    let text = String::from_utf8(text).map_err(|_| Error::file(&json, "sidecar is not UTF-8 text"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let sidecar = parse(text).map_err(|e| Error::file(&json, e))?;
    let bytes = read_limited(&weights, MAX_WEIGHTS_BYTES, "weights file")?;
    check_recorded(text, &bytes).map_err(|e| Error::file(&weights, e))?;
    build(&bytes, sidecar).map_err(|e| Error::file(&weights, e))
}

/// Checks weights against the size and hash their sidecar records.
pub(crate) fn check_recorded(sidecar: &str, weights: &[u8]) -> std::result::Result<(), String> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(sidecar) else {
        return Ok(());
    };
    let Some(rec) = v.get(WEIGHTS_FIELD) else {
        return Ok(());
    };
    let size = rec.get("bytes").and_then(serde_json::Value::as_u64);
    let hash = rec.get("sha256").and_then(serde_json::Value::as_str);
    let (Some(size), Some(hash)) = (size, hash) else {
        return Err(format!("its sidecar's {WEIGHTS_FIELD} record is malformed"));
    };
    let torn = "the checkpoint is torn (a save was interrupted) or its two files come from different checkpoints";
    if size != weights.len() as u64 {
        return Err(format!("holds {} bytes, its sidecar records {size}: {torn}", weights.len()));
    }
    if sha256_hex(weights) != hash {
        return Err(format!("does not match the SHA-256 its sidecar records: {torn}"));
    }
    Ok(())
}

/// Parses a sidecar of kind `kind` and runs its own `check`.
pub fn parse_sidecar<S: serde::de::DeserializeOwned>(text: &str, kind: &str, check: impl FnOnce(&S) -> Result<()>) -> Result<S> {
    check_kind(text, kind)?;
    let sidecar: S = serde_json::from_str(text).map_err(|e| Error::ModelMismatch(format!("sidecar is not valid: {e}")))?;
    check(&sidecar)?;
    Ok(sidecar)
}

/// The variables of `varmap` by name.
fn tensors_of(varmap: &VarMap) -> Result<HashMap<String, Tensor>> {
    let data = varmap.data().lock().map_err(|_| Error::Invalid("parameter lock poisoned".into()))?;
    Ok(data.iter().map(|(k, v)| (k.clone(), v.as_tensor().clone())).collect())
}

/// Most bytes of a safetensors header (the JSON naming the tensors) read.
pub const MAX_HEADER_BYTES: u64 = 1 << 20;

/// Most parameters a checkpoint may have (the shipped models have a few million).
pub const MAX_PARAMETERS: usize = 64 << 20;

/// Checks, from the safetensors header alone and before anything is allocated for a model, that
/// the weights hold exactly the `expected` f32 tensors with the expected shapes, in bounds of the
/// file, and that their total is at most [`MAX_PARAMETERS`]: a sidecar whose architecture asks for
/// more than the weights hold (or than any fude model needs) is refused here, cheaply.
pub fn check_weights_header(bytes: &[u8], expected: &[(String, Vec<usize>)]) -> Result<()> {
    let bad = |why: String| Error::ModelMismatch(format!("not a readable safetensors file: {why}"));
    let len_bytes: [u8; 8] = bytes.get(..8).and_then(|b| b.try_into().ok()).ok_or_else(|| bad("shorter than its 8-byte header length".into()))?;
    let n = u64::from_le_bytes(len_bytes);
    if n > MAX_HEADER_BYTES {
        return Err(bad(format!("its header claims {n} bytes (the limit is {MAX_HEADER_BYTES})")));
    }
    let header = usize::try_from(n).ok().and_then(|n| bytes.get(8..8 + n)).ok_or_else(|| bad(format!("its header claims {n} bytes, past the end of the file")))?;
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(header).map_err(|e| bad(format!("its header is not a JSON object: {e}")))?;
    let data_len = bytes.len().saturating_sub(8 + header.len());
    let mut total = 0usize;
    for (name, shape) in expected {
        let numel = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        total = numel.and_then(|n| total.checked_add(n)).filter(|&t| t <= MAX_PARAMETERS).ok_or_else(|| {
            Error::ModelMismatch(format!("the architecture needs more than {MAX_PARAMETERS} parameters (at tensor {name} {shape:?}): no fude model is that large"))
        })?;
        let t = map.get(name).ok_or_else(|| Error::ModelMismatch(format!("tensor {name} is missing")))?;
        let dims: Option<Vec<usize>> = t.get("shape").and_then(|s| s.as_array()).and_then(|a| a.iter().map(|d| d.as_u64().and_then(|d| usize::try_from(d).ok())).collect());
        let dims = dims.ok_or_else(|| bad(format!("tensor {name} has no readable shape")))?;
        if dims != *shape {
            return Err(Error::ModelMismatch(format!("tensor {name} has shape {dims:?}, expected {shape:?}")));
        }
        let dtype = t.get("dtype").and_then(|d| d.as_str()).unwrap_or("?");
        if dtype != "F32" {
            return Err(Error::ModelMismatch(format!("tensor {name} is {dtype}, expected f32")));
        }
        let offsets: Option<Vec<u64>> = t.get("data_offsets").and_then(|o| o.as_array()).and_then(|a| a.iter().map(serde_json::Value::as_u64).collect());
        let fits = match offsets.as_deref() {
            Some(&[a, b]) => a <= b && b <= data_len as u64 && numel.and_then(|n| n.checked_mul(4)).is_some_and(|need| (b - a) as usize == need),
            _ => false,
        };
        if !fits {
            return Err(bad(format!("tensor {name}'s data does not lie within the file")));
        }
    }
    if let Some(extra) = map.keys().find(|k| *k != "__metadata__" && !expected.iter().any(|(n, _)| n == *k)) {
        return Err(Error::ModelMismatch(format!("unexpected tensor {extra}")));
    }
    Ok(())
}

/// Reads safetensors bytes, checking that they hold exactly the `expected` f32 tensors with
/// finite values, and copies them into `varmap`.
pub fn load_weights(bytes: &[u8], expected: &[(String, Vec<usize>)], varmap: &VarMap, device: &Device) -> Result<()> {
    let tensors = candle_core::safetensors::load_buffer(bytes, device)
        .map_err(|e| Error::ModelMismatch(format!("not a readable safetensors file: {e}")))?;
    for (name, shape) in expected {
        let t = tensors.get(name).ok_or_else(|| Error::ModelMismatch(format!("tensor {name} is missing")))?;
        if t.dims() != shape.as_slice() {
            return Err(Error::ModelMismatch(format!("tensor {name} has shape {:?}, expected {shape:?}", t.dims())));
        }
        if t.dtype() != DType::F32 {
            return Err(Error::ModelMismatch(format!("tensor {name} is {:?}, expected f32", t.dtype())));
        }
        let finite = t.flatten_all()?.to_vec1::<f32>()?.iter().all(|v| v.is_finite());
        if !finite {
            return Err(Error::ModelMismatch(format!("tensor {name} holds NaN or infinite values")));
        }
    }
    if let Some(extra) = tensors.keys().find(|k| !expected.iter().any(|(n, _)| n == *k)) {
        return Err(Error::ModelMismatch(format!("unexpected tensor {extra}")));
    }
    let data = varmap.data().lock().map_err(|_| Error::Invalid("parameter lock poisoned".into()))?;
    for (name, var) in data.iter() {
        if let Some(t) = tensors.get(name) {
            var.set(t)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_read_from_kind_or_format() {
        assert_eq!(declared_kind(r#"{"kind":"generator"}"#).as_deref(), Some("generator"));
        assert_eq!(declared_kind(r#"{"format":"fude-recognizer"}"#).as_deref(), Some("recognizer"));
        assert_eq!(declared_kind("[1]"), None);
        assert!(check_kind(r#"{"kind":"generator"}"#, "generator").is_ok());
        let e = check_kind(r#"{"kind":"generator"}"#, "recognizer").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("generator checkpoint, not a recognizer"), "{e}");
    }

    fn varmap(v: f32) -> VarMap {
        let vm = VarMap::new();
        vm.get((2, 3), "w", candle_nn::Init::Const(f64::from(v)), DType::F32, &Device::Cpu).unwrap();
        vm
    }

    /// Loads the one-tensor checkpoint of [`varmap`], returning its first value.
    fn load(path: &Path) -> Result<f32> {
        load_checkpoint(path, |t| Ok(t.to_string()), |bytes, _| {
            let vm = varmap(0.0);
            load_weights(bytes, &[("w".to_string(), vec![2, 3])], &vm, &Device::Cpu)?;
            let t = vm.data().lock().unwrap().get("w").unwrap().as_tensor().clone();
            Ok(t.flatten_all()?.to_vec1::<f32>()?[0])
        })
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn checkpoints_save_as_one_unit() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        save_checkpoint(&varmap(1.0), &serde_json::json!({"epoch": 1}), &a).unwrap();
        assert_eq!(load(&a).unwrap(), 1.0);
        save_checkpoint(&varmap(2.0), &serde_json::json!({"epoch": 2}), &a).unwrap();
        assert_eq!(load(&a).unwrap(), 2.0);
        assert_eq!(names(dir.path()), ["a.json", "a.safetensors"], "no temporary file left");
        let text = std::fs::read_to_string(a.with_extension("json")).unwrap();
        assert!(text.contains(WEIGHTS_FIELD) && text.contains("sha256"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: PathBuf| std::fs::metadata(p).unwrap().permissions().mode();
            assert_eq!(mode(a.with_extension("json")), mode(a.with_extension("safetensors")), "same permissions for both");
        }
    }

    #[test]
    fn a_torn_checkpoint_is_refused() {
        // Regression (issue 12): a kill between the two renames left epoch-2 weights beside the
        // epoch-1 sidecar, loaded without complaint. That state, made by hand:
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        save_checkpoint(&varmap(1.0), &serde_json::json!({"epoch": 1}), &a).unwrap();
        save_checkpoint(&varmap(2.0), &serde_json::json!({"epoch": 2}), &b).unwrap();
        std::fs::copy(b.with_extension("safetensors"), a.with_extension("safetensors")).unwrap();
        let e = load(&a).unwrap_err().to_string();
        assert!(e.contains("a.safetensors") && e.contains("SHA-256") && e.contains("torn"), "{e}");
        // A truncated weights file: the size says it.
        let bytes = std::fs::read(b.with_extension("safetensors")).unwrap();
        std::fs::write(b.with_extension("safetensors"), &bytes[..bytes.len() - 1]).unwrap();
        assert!(load(&b).unwrap_err().to_string().contains("its sidecar records"));
        // Sidecars written before the record existed are trusted.
        std::fs::write(b.with_extension("safetensors"), &bytes).unwrap();
        std::fs::write(b.with_extension("json"), "{}").unwrap();
        assert_eq!(load(&b).unwrap(), 2.0);
    }

    #[test]
    fn stale_temp_files_are_cleaned_and_missing_folders_refused() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        // Left by a save killed midway, by a process long gone.
        std::fs::write(dir.path().join(".a.safetensors.999999999.tmp"), b"x").unwrap();
        std::fs::write(dir.path().join(".a.json.999999999.tmp"), b"x").unwrap();
        std::fs::write(dir.path().join(".other.json.999999999.tmp"), b"x").unwrap();
        save_checkpoint(&varmap(1.0), &serde_json::json!({}), &a).unwrap();
        assert_eq!(names(dir.path()), [".other.json.999999999.tmp", "a.json", "a.safetensors"]);
        let missing = dir.path().join("missing/dir/x");
        let e = check_out_dir(&missing).unwrap_err().to_string();
        assert!(e.contains("missing/dir") && e.contains("does not exist"), "{e}");
        assert!(save_checkpoint(&varmap(1.0), &serde_json::json!({}), &missing).is_err());
        assert!(check_out_dir(&a).is_ok());
    }

    #[test]
    fn non_finite_weights_are_refused_with_the_tensor_name() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        for bad in [f32::NAN, f32::INFINITY] {
            // Not saved: the run that made them stops with the reason.
            let e = save_checkpoint(&varmap(bad), &serde_json::json!({}), &a).unwrap_err().to_string();
            assert!(e.contains("a.safetensors") && e.contains("not saved: tensor w holds NaN"), "{e}");
            assert_eq!(names(dir.path()), Vec::<String>::new(), "nothing written");
            // Written by something else: refused on load with the tensor's name.
            let tensors: HashMap<String, Tensor> = [("w".to_string(), Tensor::full(bad, (2, 3), &Device::Cpu).unwrap())].into();
            candle_core::safetensors::save(&tensors, a.with_extension("safetensors")).unwrap();
            std::fs::write(a.with_extension("json"), "{}").unwrap();
            let e = load(&a).unwrap_err().to_string();
            assert!(e.contains("a.safetensors") && e.contains("tensor w holds NaN or infinite values"), "{e}");
            std::fs::remove_file(a.with_extension("safetensors")).unwrap();
            std::fs::remove_file(a.with_extension("json")).unwrap();
        }
    }

    #[test]
    fn a_dot_in_the_name_is_kept() {
        // Regression (issue 20, item 6): `m.v2` named `m.safetensors` and `m.json`, clobbering
        // another checkpoint.
        assert_eq!(paths(Path::new("d/m.v2")), (PathBuf::from("d/m.v2.safetensors"), PathBuf::from("d/m.v2.json")));
        for given in ["d/m", "d/m.safetensors", "d/m.json"] {
            assert_eq!(paths(Path::new(given)), (PathBuf::from("d/m.safetensors"), PathBuf::from("d/m.json")), "{given}");
        }
        assert_eq!(paths(Path::new("d/m.v2.json")).0, PathBuf::from("d/m.v2.safetensors"));
        assert_eq!(crate::training::session::best_beside(Path::new("d/m.v2")), PathBuf::from("d/m.v2-best"));
        assert_eq!(crate::training::session::best_beside(Path::new("d/m.safetensors")), PathBuf::from("d/m-best"));
        let dir = tempfile::tempdir().unwrap();
        save_checkpoint(&varmap(1.0), &serde_json::json!({}), &dir.path().join("m")).unwrap();
        save_checkpoint(&varmap(2.0), &serde_json::json!({}), &dir.path().join("m.v2")).unwrap();
        assert_eq!(load(&dir.path().join("m")).unwrap(), 1.0, "m is untouched");
        assert_eq!(names(dir.path()), ["m.json", "m.safetensors", "m.v2.json", "m.v2.safetensors"]);
    }

    #[test]
    fn an_output_is_locked_while_a_run_holds_it() {
        // Regression (issue 20, item 7): two runs on the same output both wrote there.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("m");
        let lock = OutLock::acquire(&out).unwrap();
        let text = std::fs::read_to_string(dir.path().join("m.lock")).unwrap();
        assert_eq!(text.trim(), std::process::id().to_string());
        let e = OutLock::acquire(&dir.path().join("m.safetensors")).unwrap_err().to_string();
        assert!(e.contains("m.lock") && e.contains("another training run") && e.contains(&format!("process {}", std::process::id())), "{e}");
        drop(lock);
        assert!(!dir.path().join("m.lock").exists());
        // A lock file left by a killed run (no process holds its lock) is no obstacle.
        std::fs::write(dir.path().join("m.lock"), "999999999\n").unwrap();
        let again = OutLock::acquire(&out);
        assert!(again.is_ok(), "{again:?}");
    }

    #[test]
    fn weights_headers_are_checked_before_allocating() {
        // Regression (issue 20, item 1): shapes came from the sidecar and were allocated before the
        // weights were looked at.
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        save_checkpoint(&varmap(1.0), &serde_json::json!({}), &a).unwrap();
        let bytes = std::fs::read(a.with_extension("safetensors")).unwrap();
        assert!(check_weights_header(&bytes, &[("w".to_string(), vec![2, 3])]).is_ok());
        let e = check_weights_header(&bytes, &[("w".to_string(), vec![4096, 4096])]).unwrap_err().to_string();
        assert!(e.contains("shape [2, 3], expected [4096, 4096]"), "{e}");
        let e = check_weights_header(&bytes, &[("w".to_string(), vec![1 << 20, 1 << 20])]).unwrap_err().to_string();
        assert!(e.contains("more than 67108864 parameters"), "{e}");
        let e = check_weights_header(&bytes, &[("w".to_string(), vec![usize::MAX, 2])]).unwrap_err().to_string();
        assert!(e.contains("parameters"), "{e}");
        let e = check_weights_header(&bytes[..bytes.len() - 4], &[("w".to_string(), vec![2, 3])]).unwrap_err().to_string();
        assert!(e.contains("does not lie within the file"), "{e}");
        let mut huge = bytes.clone();
        huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(check_weights_header(&huge, &[]).unwrap_err().to_string().contains("header claims"));
        assert!(check_weights_header(&bytes[..3], &[]).is_err());
    }

    #[test]
    fn oversized_files_are_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        save_checkpoint(&varmap(1.0), &serde_json::json!({}), &a).unwrap();
        std::fs::File::create(a.with_extension("json")).unwrap().set_len(MAX_SIDECAR_BYTES + 1).unwrap();
        let e = load(&a).unwrap_err().to_string();
        assert!(e.contains("a.json") && e.contains("too large for a sidecar"), "{e}");
    }
}
