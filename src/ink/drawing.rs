//! The drawing format shared by the GUI and the CLI:
//! `{"version": 1, "width": W, "height": H, "strokes": [[[x, y], ...], ...]}` in canvas pixel
//! coordinates, y down, points in drawing order. Unknown fields are ignored.

use crate::error::{write_atomic, Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One stroke: the points of one pen-down..pen-up, in canvas pixels.
pub type Stroke = Vec<[f32; 2]>;

/// The only drawing format version this build reads and writes.
pub const DRAWING_VERSION: u32 = 1;

/// A handwritten character: strokes on a canvas of `width` x `height` pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drawing {
    /// Format version (must be 1).
    pub version: u32,
    /// Canvas width in pixels.
    pub width: f32,
    /// Canvas height in pixels.
    pub height: f32,
    /// Strokes in drawing order.
    pub strokes: Vec<Stroke>,
}

impl Drawing {
    /// An empty drawing on a canvas of the given size.
    pub fn new(width: f32, height: f32) -> Self {
        Drawing {
            version: DRAWING_VERSION,
            width,
            height,
            strokes: Vec::new(),
        }
    }

    /// Parses and validates drawing JSON; the error names the problem.
    pub fn from_json(text: &str) -> Result<Self> {
        let d: Drawing = serde_json::from_str(text).map_err(|e| Error::Drawing(e.to_string()))?;
        d.validate()?;
        Ok(d)
    }

    /// Reads a drawing file; the error names the file and the problem.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::file(path, e))?;
        Self::from_json(&text).map_err(|e| Error::file(path, e))
    }

    /// Writes the drawing atomically (temporary file, then rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        self.validate()?;
        let text = serde_json::to_string(self).map_err(|e| Error::Drawing(e.to_string()))?;
        write_atomic(path, text.as_bytes())
    }

    /// Checks version, canvas size and coordinates.
    pub fn validate(&self) -> Result<()> {
        if self.version != DRAWING_VERSION {
            return Err(Error::Drawing(format!(
                "unsupported version {} (this build reads version {DRAWING_VERSION})",
                self.version
            )));
        }
        let ok = |v: f32| v.is_finite() && v > 0.0 && v <= 100_000.0;
        if !ok(self.width) || !ok(self.height) {
            return Err(Error::Drawing(format!(
                "canvas size {}x{} must be positive and finite",
                self.width, self.height
            )));
        }
        for (s, stroke) in self.strokes.iter().enumerate() {
            if stroke.is_empty() {
                return Err(Error::Drawing(format!("stroke {s} has no points")));
            }
            if let Some((p, pt)) = stroke
                .iter()
                .enumerate()
                .find(|(_, p)| !p[0].is_finite() || !p[1].is_finite())
            {
                return Err(Error::Drawing(format!(
                    "stroke {s} point {p} is not a finite number: {pt:?}"
                )));
            }
        }
        Ok(())
    }

    /// Whether the drawing has no ink.
    pub fn is_empty(&self) -> bool {
        self.strokes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_ignores_unknown_fields() {
        let d = Drawing::from_json(
            r#"{"version":1,"width":200,"height":100,"pen":"blue","strokes":[[[1,2],[3.5,4]],[[5,5]]]}"#,
        )
        .unwrap();
        assert_eq!(d.width, 200.0);
        assert_eq!(d.strokes.len(), 2);
        assert_eq!(d.strokes[0][1], [3.5, 4.0]);
    }

    #[test]
    fn malformed_drawings_name_the_problem() {
        let err = |s: &str| Drawing::from_json(s).unwrap_err().to_string();
        assert!(err(r#"{"version":2,"width":1,"height":1,"strokes":[]}"#).contains("unsupported version 2"));
        assert!(err(r#"{"version":1,"width":0,"height":1,"strokes":[]}"#).contains("canvas size"));
        assert!(err(r#"{"version":1,"width":1,"height":1,"strokes":[[]]}"#).contains("stroke 0 has no points"));
        assert!(err(r#"{"version":1,"width":1,"height":1}"#).contains("strokes"));
        assert!(err(r#"{"version":1,"width":1,"height":1,"strokes":[[[1]]]}"#).contains("invalid length"));
        assert!(err(r#"{"version":1,"width":1,"height":1,"strokes":[[["a",1]]]}"#).contains("invalid type"));
        assert!(err("not json").contains("invalid drawing"));
    }

    #[test]
    fn save_load_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.json");
        let mut d = Drawing::new(300.0, 300.0);
        d.strokes.push(vec![[10.0, 10.0], [100.5, 120.25]]);
        d.save(&p).unwrap();
        assert_eq!(Drawing::load(&p).unwrap(), d);
        let e = Drawing::load(&dir.path().join("missing.json")).unwrap_err().to_string();
        assert!(e.contains("missing.json"));
    }
}
