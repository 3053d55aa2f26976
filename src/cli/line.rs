//! `fude predict --line`: each drawing is a line of kana written left to right; prints its best
//! reading and the alternatives, or with `--json` one object per file with each character's
//! strokes and candidates.

use crate::ink::Drawing;
use crate::models::recognizer::line::{LineOptions, LineReader, LineReading};
use crate::models::recognizer::Reading;
use crate::models::CpuRecognizer;
use anyhow::Result;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Reads one drawing file as a line.
fn read_file(net: &CpuRecognizer, path: &Path, opts: &LineOptions) -> crate::Result<Vec<LineReading>> {
    let d = Drawing::load(path)?;
    if d.is_empty() {
        return Err(crate::Error::file(path, "the drawing has no strokes"));
    }
    LineReader::new().read(net, &d.strokes, opts).map_err(|e| crate::Error::file(path, e))
}

/// The JSON object of one file's readings.
pub fn line_json(file: &str, readings: &[LineReading]) -> serde_json::Value {
    let best = readings.first();
    let characters: Vec<_> = best
        .map(|r| {
            r.characters
                .iter()
                .map(|c| {
                    let top: Vec<_> = c.top.iter().map(|p| serde_json::json!({"char": p.ch.to_string(), "p": p.prob})).collect();
                    serde_json::json!({"char": c.ch.to_string(), "strokes": c.strokes, "top": top})
                })
                .collect()
        })
        .unwrap_or_default();
    let alternatives: Vec<&str> = readings.iter().skip(1).map(|r| r.text.as_str()).collect();
    serde_json::json!({"file": file, "text": best.map_or("", |r| r.text.as_str()), "alternatives": alternatives, "characters": characters})
}

/// `fude predict --line`.
pub fn predict_line_cmd(model: Option<&Path>, json: bool, device: &str, reading: &Reading, files: &[PathBuf]) -> Result<ExitCode> {
    let ck = super::commands::load_model(model, device)?;
    let net = CpuRecognizer::new(&ck.model)?;
    let opts = LineOptions { reading: reading.clone(), ..LineOptions::default() };
    let results: Vec<crate::Result<Vec<LineReading>>> = files
        .par_iter()
        .map(|f| {
            std::panic::catch_unwind(|| read_file(&net, f, &opts))
                .unwrap_or_else(|_| Err(crate::Error::file(f, "the reader failed on this file (a bug in fude: please report it)")))
        })
        .collect();
    let mut failed = false;
    for (file, result) in files.iter().zip(&results) {
        let shown = file.to_string_lossy();
        match result {
            Ok(readings) if json => println!("{}", line_json(&shown, readings)),
            Ok(readings) => {
                println!("{shown}: {}", readings.first().map_or("", |r| r.text.as_str()));
                let alternatives: Vec<&str> = readings.iter().skip(1).map(|r| r.text.as_str()).collect();
                if !alternatives.is_empty() {
                    println!("  alternatives: {}", alternatives.join(" | "));
                }
            }
            Err(e) => {
                failed = true;
                if json {
                    println!("{}", serde_json::json!({"file": shown, "error": e.without_path(file)}));
                } else {
                    eprintln!("{shown}: error: {}", e.without_path(file));
                }
            }
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
