//! What both checkpoint kinds share: the two paths of a checkpoint, which kind a sidecar
//! declares, and weights read back checked against the expected parameter shapes.
//!
//! A checkpoint is saved as one unit: both files are written to temporary files and flushed to
//! disk, the weights are renamed into place, then the sidecar, which records the weights' size
//! and SHA-256 ([`WEIGHTS_FIELD`]). A reader checks them, so an interrupted save (new weights
//! beside the old sidecar) is refused rather than loaded as a mix of two checkpoints.

use crate::error::{remove_stale_temps, sync_dir, temp_path, Error, Result};
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

/// The weights and sidecar paths for a checkpoint path given either way.
pub fn paths(path: &Path) -> (PathBuf, PathBuf) {
    (path.with_extension("safetensors"), path.with_extension("json"))
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

/// Reads a whole file of at most `limit` bytes (checked before reading).
fn read_limited(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| Error::file(path, format!("cannot read {what}: {e}")))?;
    let size = file.metadata().map_err(|e| Error::file(path, e))?.len();
    if size > limit {
        return Err(Error::file(path, format!("{size} bytes is too large for a {what} (the limit is {limit} bytes)")));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limit).read_to_end(&mut bytes).map_err(|e| Error::file(path, format!("cannot read {what}: {e}")))?;
    Ok(bytes)
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
    fn oversized_files_are_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        save_checkpoint(&varmap(1.0), &serde_json::json!({}), &a).unwrap();
        std::fs::File::create(a.with_extension("json")).unwrap().set_len(MAX_SIDECAR_BYTES + 1).unwrap();
        let e = load(&a).unwrap_err().to_string();
        assert!(e.contains("a.json") && e.contains("too large for a sidecar"), "{e}");
    }
}
