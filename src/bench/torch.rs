//! The PyTorch reference for `fude bench train` / `fude bench predict`: runs
//! `tools/bench/torch_reference.py` (embedded in the binary, fed to Python on stdin) with the
//! interpreter from `FUDE_TORCH_PYTHON`, else `.venv-torch/bin/python` in the current directory,
//! and reads the one JSON object it prints.

use serde::Deserialize;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The reference script (the same architecture in PyTorch).
pub const SCRIPT: &str = include_str!("../../tools/bench/torch_reference.py");

/// How to install the reference, printed when it is missing.
pub const INSTALL_HINT: &str = "python3 -m venv .venv-torch && .venv-torch/bin/pip install torch (or set FUDE_TORCH_PYTHON to a Python with torch)";

/// Figures printed by the reference script; each mode fills its own.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct TorchFigures {
    /// torch version string.
    pub torch: String,
    /// Threads torch used.
    pub threads: usize,
    /// Whether oneDNN (mkldnn) is available.
    #[serde(default)]
    pub mkldnn: bool,
    /// Training throughput.
    pub train_images_per_sec: Option<f64>,
    /// Milliseconds per training step.
    pub ms_per_step: Option<f64>,
    /// One-image predict latency, median.
    pub predict_median_ms: Option<f64>,
    /// One-image predict latency, 99th percentile.
    pub predict_p99_ms: Option<f64>,
    /// Batch-256 inference throughput.
    pub batch256_images_per_sec: Option<f64>,
    /// Where it trained: "cpu" or the GPU's name (older scripts print none).
    #[serde(default)]
    pub device: Option<String>,
}

/// The Python to run the reference with, if one is configured or found.
pub fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("FUDE_TORCH_PYTHON").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let local = PathBuf::from(".venv-torch/bin/python");
    local.exists().then_some(local)
}

/// The script's arguments for one mode, then `extra` (such as the recognizer's shape).
pub fn arguments(what: &str, threads: usize, batch: usize, steps: usize, extra: &[String]) -> Vec<String> {
    let mut a = vec!["-".to_string(), what.to_string(), "--threads".into(), threads.to_string()];
    if matches!(what, "train" | "gen-train" | "gen-train-thin") {
        a.extend(["--batch".into(), batch.to_string(), "--steps".into(), steps.to_string()]);
    }
    a.extend(extra.iter().cloned());
    a
}

/// Parses the script's output: the last line that is a JSON object.
pub fn parse(stdout: &str) -> Result<TorchFigures, String> {
    let line = stdout.lines().rev().map(str::trim).find(|l| l.starts_with('{')).ok_or("no JSON line in the reference's output")?;
    serde_json::from_str(line).map_err(|e| format!("reference output {line:?}: {e}"))
}

/// Runs the reference; `Err` says why there are no figures (not installed, failed).
pub fn run(what: &str, threads: usize, batch: usize, steps: usize, extra: &[String]) -> Result<TorchFigures, String> {
    let py = python().ok_or_else(|| format!("PyTorch reference not found; to compare, install it: {INSTALL_HINT}"))?;
    let mut child = Command::new(&py)
        .args(arguments(what, threads, batch, steps, extra))
        .env("OMP_NUM_THREADS", threads.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("PyTorch reference: cannot run {}: {e}; to compare, install it: {INSTALL_HINT}", py.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(SCRIPT.as_bytes()).map_err(|e| format!("writing the script to {}: {e}", py.display()))?;
    }
    let out = child.wait_with_output().map_err(|e| format!("{}: {e}", py.display()))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(3).collect();
        return Err(format!("{} failed ({}): {}", py.display(), out.status, tail.into_iter().rev().collect::<Vec<_>>().join(" | ")));
    }
    parse(&String::from_utf8_lossy(&out.stdout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_last_json_line() {
        let out = "warning: something\n{\"train_images_per_sec\": 1204.5, \"ms_per_step\": 106.3, \"torch\": \"2.15.0\", \"threads\": 2, \"mkldnn\": true, \"batch\": 128}\n";
        let f = parse(out).unwrap();
        assert_eq!(f.train_images_per_sec, Some(1204.5));
        assert_eq!(f.threads, 2);
        assert!(f.mkldnn && f.predict_median_ms.is_none() && f.device.is_none());
        assert_eq!(parse("{\"torch\": \"x\", \"threads\": 2, \"device\": \"NVIDIA H200\"}").unwrap().device.as_deref(), Some("NVIDIA H200"));
        let p = parse("{\"predict_median_ms\": 0.5, \"predict_p99_ms\": 0.9, \"batch256_images_per_sec\": 9000, \"torch\": \"x\", \"threads\": 1}").unwrap();
        assert_eq!((p.predict_median_ms, p.batch256_images_per_sec), (Some(0.5), Some(9000.0)));
        assert!(parse("Traceback: no torch").is_err());
        assert!(parse("{\"torch\": 3}").is_err());
    }

    #[test]
    fn arguments_match_the_script() {
        assert_eq!(arguments("train", 2, 128, 20, &[]), ["-", "train", "--threads", "2", "--batch", "128", "--steps", "20"]);
        let shape = ["--channels".to_string(), "48,48,96,96".into(), "--hidden".into(), "384".into()];
        assert_eq!(arguments("predict", 2, 128, 20, &shape), ["-", "predict", "--threads", "2", "--channels", "48,48,96,96", "--hidden", "384"]);
        for flag in ["--threads", "--batch", "--steps", "--channels", "--hidden", "--residual", "--device", "\"train\", \"predict\""] {
            assert!(SCRIPT.contains(flag), "{flag}");
        }
    }
}
