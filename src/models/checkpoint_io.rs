//! What both checkpoint kinds share: the two paths of a checkpoint, which kind a sidecar
//! declares, and weights written atomically and read back checked against the expected
//! parameter shapes.

use crate::error::{write_atomic, write_atomic_with, Error, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

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

/// Writes a checkpoint: the weights of `varmap` and the sidecar as pretty JSON, each atomically.
pub fn save_checkpoint(varmap: &VarMap, sidecar: &impl serde::Serialize, path: &Path) -> Result<()> {
    let (weights, json) = paths(path);
    save_weights(varmap, &weights)?;
    let text = serde_json::to_string_pretty(sidecar).map_err(|e| Error::file(&json, e))?;
    write_atomic(&json, format!("{text}\n").as_bytes())
}

/// Reads a checkpoint from disk: `parse` checks the sidecar text (its errors name the `.json`),
/// `build` makes the model from the weights' bytes (its errors name the `.safetensors`).
pub fn load_checkpoint<S, T>(path: &Path, parse: impl FnOnce(&str) -> Result<S>, build: impl FnOnce(&[u8], S) -> Result<T>) -> Result<T> {
    let (weights, json) = paths(path);
    let text = std::fs::read_to_string(&json).map_err(|e| Error::file(&json, format!("cannot read sidecar: {e}")))?;
    let sidecar = parse(&text).map_err(|e| Error::file(&json, e))?;
    let bytes = std::fs::read(&weights).map_err(|e| Error::file(&weights, e))?;
    build(&bytes, sidecar).map_err(|e| Error::file(&weights, e))
}

/// Parses a sidecar of kind `kind` and runs its own `check`.
pub fn parse_sidecar<S: serde::de::DeserializeOwned>(text: &str, kind: &str, check: impl FnOnce(&S) -> Result<()>) -> Result<S> {
    check_kind(text, kind)?;
    let sidecar: S = serde_json::from_str(text).map_err(|e| Error::ModelMismatch(format!("sidecar is not valid: {e}")))?;
    check(&sidecar)?;
    Ok(sidecar)
}

/// Writes every variable of `varmap` to `weights` as safetensors, atomically.
pub fn save_weights(varmap: &VarMap, weights: &Path) -> Result<()> {
    let tensors: HashMap<String, Tensor> = {
        let data = varmap.data().lock().map_err(|_| Error::Invalid("parameter lock poisoned".into()))?;
        data.iter().map(|(k, v)| (k.clone(), v.as_tensor().clone())).collect()
    };
    write_atomic_with(weights, |tmp| candle_core::safetensors::save(&tensors, tmp).map_err(|e| Error::file(tmp, e)))
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
}
