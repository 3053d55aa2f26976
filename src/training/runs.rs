//! The runs in a folder: what a run needs of any checkpoint sidecar ([`RunRecord`],
//! [`read_sidecar`]), the past runs with their figures ([`list_runs`]) and a new run folder named
//! by the time ([`new_run_folder`]).

use super::events::{mean_metric, HeldOut};
use super::learner::ModelKind;
use super::session::folder_checkpoints;
use crate::error::{Error, Result};
use crate::models::checkpoint_io::{sidecar_path, MAX_SIDECAR_BYTES};
use crate::models::recognizer::TrainingRecord;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a run needs of any checkpoint sidecar (recognizer or generator).
#[derive(Debug, Clone, Deserialize)]
pub struct RunRecord {
    /// The checkpoint kind (`recognizer` or `generator`; older recognizers have none).
    #[serde(default)]
    pub kind: String,
    /// How it was trained.
    pub training: TrainingRecord,
    /// Held-out metrics by set.
    #[serde(default)]
    pub metrics: BTreeMap<String, BTreeMap<String, f64>>,
}

impl RunRecord {
    /// The model kind, if this build trains it.
    pub fn model_kind(&self) -> Option<ModelKind> {
        match self.kind.as_str() {
            "" | "recognizer" => Some(ModelKind::Recognizer),
            "generator" => Some(ModelKind::Generator),
            _ => None,
        }
    }

    /// The metrics as held-out sets.
    pub fn held_out(&self) -> Vec<HeldOut> {
        self.metrics.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

/// Reads a checkpoint sidecar of either kind (JSON only, no weights), with the path in any error.
pub fn read_sidecar(json: &Path) -> Result<RunRecord> {
    let bytes = crate::error::read_limited(json, MAX_SIDECAR_BYTES, "sidecar")?;
    let text = String::from_utf8(bytes).map_err(|_| Error::file(json, "sidecar is not UTF-8 text"))?;
    let mut r: RunRecord = serde_json::from_str(&text).map_err(|e| Error::file(json, format!("not a checkpoint sidecar: {e}")))?;
    if r.kind.is_empty() {
        r.kind = crate::models::checkpoint_io::declared_kind(&text).unwrap_or_default();
    }
    Ok(r)
}

/// A past run, as listed by [`list_runs`].
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// The run folder.
    pub dir: PathBuf,
    /// What the run trains.
    pub model: ModelKind,
    /// Epochs completed.
    pub epochs: usize,
    /// Epochs asked for (0 if unknown).
    pub total_epochs: usize,
    /// Data specs.
    pub data: Vec<String>,
    /// The best epoch's held-out metrics.
    pub best: BTreeMap<String, BTreeMap<String, f64>>,
    /// Why the run cannot be read, if it cannot.
    pub problem: Option<String>,
}

impl RunSummary {
    /// Mean held-out top-1 of the best epoch (NaN if unknown or a generator).
    pub fn best_accuracy(&self) -> f64 {
        self.best_metric("top1")
    }

    /// Mean of a held-out metric of the best epoch (NaN if unknown).
    pub fn best_metric(&self, metric: &str) -> f64 {
        let v: Vec<HeldOut> = self.best.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        mean_metric(&v, metric)
    }

    /// Whether the run stopped before all its epochs (and so can be resumed).
    pub fn resumable(&self) -> bool {
        self.problem.is_none() && self.epochs < self.total_epochs
    }
}

/// The run folders under `root`, newest (by name) first, each with its figures.
pub fn list_runs(root: &Path) -> Vec<RunSummary> {
    let Ok(entries) = std::fs::read_dir(root) else { return Vec::new() };
    let mut dirs: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    dirs.reverse();
    dirs.into_iter()
        .map(|dir| {
            let (last, best) = folder_checkpoints(&dir);
            let mut summary = RunSummary { dir, model: ModelKind::Recognizer, epochs: 0, total_epochs: 0, data: Vec::new(), best: BTreeMap::new(), problem: None };
            let sidecar = sidecar_path(&last);
            if !sidecar.exists() {
                // A run stopped (or still going) before its first epoch ended has saved nothing.
                summary.problem = Some("no epoch finished: nothing saved".to_string());
                return summary;
            }
            match read_sidecar(&sidecar) {
                Ok(s) => {
                    summary.model = s.model_kind().unwrap_or_default();
                    summary.epochs = s.training.epochs;
                    summary.total_epochs = s.training.settings.get("epochs").and_then(|v| v.parse().ok()).unwrap_or(0);
                    // Shown in the app: control characters a sidecar may hold are escaped.
                    summary.data = s.training.data.iter().map(|d| crate::text::escape_controls(d)).collect();
                    summary.best = read_sidecar(&sidecar_path(&best)).map(|b| b.metrics).unwrap_or(s.metrics);
                }
                Err(e) => summary.problem = Some(crate::text::escape_controls(&e.to_string())),
            }
            summary
        })
        .collect()
}

/// A new, empty run folder under `root`, named by the time (e.g. `run-20261122-153045`).
pub fn new_run_folder(root: &Path) -> Result<PathBuf> {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let base = format!("run-{}", timestamp(secs));
    for n in 0..1000 {
        let dir = root.join(if n == 0 { base.clone() } else { format!("{base}-{n}") });
        if !dir.exists() {
            std::fs::create_dir_all(&dir).map_err(|e| Error::file(&dir, format!("cannot create the run folder: {e}")))?;
            return Ok(dir);
        }
    }
    Err(Error::file(root, "cannot find a free run folder name"))
}

/// `YYYYMMDD-HHMMSS` (UTC) for seconds since the Unix epoch.
pub fn timestamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}-{:02}{:02}{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_civil_dates() {
        assert_eq!(timestamp(0), "19700101-000000");
        assert_eq!(timestamp(1_795_000_000), "20261118-110640");
        assert_eq!(timestamp(951_782_400), "20000229-000000");
    }

    #[test]
    fn a_run_stopped_before_its_first_epoch_says_so() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("run-1")).unwrap();
        let runs = list_runs(root.path());
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].problem.as_deref(), Some("no epoch finished: nothing saved"));
        assert!(!runs[0].resumable());
    }
}
