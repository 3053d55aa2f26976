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

/// Largest drawing file read, in bytes (checked before reading): far above any handwriting
/// (a stroke of 1,000 points is about 20 KB) and small enough that parsing stays cheap.
pub const MAX_DRAWING_BYTES: u64 = 8 << 20;

/// Most strokes in one drawing (a kana has at most a handful; a page of notes a few hundred).
pub const MAX_STROKES: usize = 2_000;

/// Most points in one stroke (ten seconds of a 1 kHz pen is 10,000).
pub const MAX_POINTS_PER_STROKE: usize = 20_000;

/// Most points in one drawing, all strokes together.
pub const MAX_POINTS: usize = 200_000;

/// Largest canvas side, in pixels.
pub const MAX_CANVAS_SIDE: f32 = 100_000.0;

/// How far outside the canvas a point may lie, in canvas sides (the longer one): a pen dragged
/// off the edge goes a little beyond it; a point a million sides away is not handwriting.
pub const MAX_OUTSIDE_CANVAS: f32 = 4.0;

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
        if text.len() as u64 > MAX_DRAWING_BYTES {
            return Err(Error::Drawing(format!(
                "{} bytes is too large for a drawing (the limit is {MAX_DRAWING_BYTES} bytes)",
                text.len()
            )));
        }
        // A byte-order mark (some editors write one) is accepted, as in class-map CSV.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let d: Drawing = serde_json::from_str(text).map_err(|e| Error::Drawing(e.to_string()))?;
        d.validate()?;
        Ok(d)
    }

    /// Reads a drawing file; the error names the file and the problem.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = crate::error::read_limited(path, MAX_DRAWING_BYTES, "drawing")?;
        let text = String::from_utf8(bytes).map_err(|_| Error::file(path, "stream did not contain valid UTF-8"))?;
        Self::from_json(&text).map_err(|e| Error::file(path, e))
    }

    /// Writes the drawing atomically (temporary file, then rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        self.validate()?;
        let text = serde_json::to_string(self).map_err(|e| Error::Drawing(e.to_string()))?;
        write_atomic(path, text.as_bytes())
    }

    /// Checks version, canvas size, the limits on strokes and points, and that every point is
    /// finite and within [`MAX_OUTSIDE_CANVAS`] canvas sides of the canvas.
    pub fn validate(&self) -> Result<()> {
        if self.version != DRAWING_VERSION {
            return Err(Error::Drawing(format!(
                "unsupported version {} (this build reads version {DRAWING_VERSION})",
                self.version
            )));
        }
        let ok = |v: f32| v.is_finite() && v > 0.0 && v <= MAX_CANVAS_SIDE;
        if !ok(self.width) || !ok(self.height) {
            return Err(Error::Drawing(format!(
                "canvas size {}x{} must be positive and finite (at most {MAX_CANVAS_SIDE} a side)",
                self.width, self.height
            )));
        }
        if self.strokes.len() > MAX_STROKES {
            return Err(Error::Drawing(format!(
                "{} strokes is too many (the limit is {MAX_STROKES})",
                self.strokes.len()
            )));
        }
        let total: usize = self.strokes.iter().map(Vec::len).sum();
        if total > MAX_POINTS {
            return Err(Error::Drawing(format!(
                "{total} points is too many (the limit is {MAX_POINTS} in one drawing)"
            )));
        }
        let margin = MAX_OUTSIDE_CANVAS * self.width.max(self.height);
        let inside = |v: f32, side: f32| v.is_finite() && v >= -margin && v <= side + margin;
        for (s, stroke) in self.strokes.iter().enumerate() {
            if stroke.is_empty() {
                return Err(Error::Drawing(format!("stroke {s} has no points")));
            }
            if stroke.len() > MAX_POINTS_PER_STROKE {
                return Err(Error::Drawing(format!(
                    "stroke {s} has {} points, too many (the limit is {MAX_POINTS_PER_STROKE})",
                    stroke.len()
                )));
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
            if let Some((p, pt)) = stroke
                .iter()
                .enumerate()
                .find(|(_, p)| !inside(p[0], self.width) || !inside(p[1], self.height))
            {
                return Err(Error::Drawing(format!(
                    "stroke {s} point {p} {pt:?} lies too far outside the {}x{} canvas \
                     (at most {MAX_OUTSIDE_CANVAS} canvas sides beyond it)",
                    self.width, self.height
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

    #[test]
    fn hostile_drawings_are_refused_by_the_limits() {
        let err = |d: &Drawing| d.validate().unwrap_err().to_string();
        // Regression (issue 12): a finite coordinate at -1e12 reached tiny-skia and panicked.
        let mut d = Drawing::new(300.0, 300.0);
        d.strokes.push(vec![[10.0, 10.0], [-1e12, 20.0]]);
        let e = err(&d);
        assert!(e.contains("stroke 0 point 1") && e.contains("too far outside") && e.contains("4 canvas sides"), "{e}");
        let json = r#"{"version":1,"width":300,"height":300,"strokes":[[[10,10],[-1e12,20]]]}"#;
        assert!(Drawing::from_json(json).unwrap_err().to_string().contains("too far outside"));
        // Just off the canvas is fine (a pen dragged past the edge).
        let mut d = Drawing::new(300.0, 300.0);
        d.strokes.push(vec![[-50.0, 10.0], [350.0, 1200.0]]);
        assert!(d.validate().is_ok());
        // Points per stroke, points per drawing, strokes per drawing.
        let mut d = Drawing::new(100.0, 100.0);
        d.strokes.push(vec![[1.0, 1.0]; MAX_POINTS_PER_STROKE + 1]);
        let e = err(&d);
        assert!(e.contains("stroke 0 has 20001 points") && e.contains("limit is 20000"), "{e}");
        let mut d = Drawing::new(100.0, 100.0);
        d.strokes = vec![vec![[1.0, 1.0]; MAX_POINTS_PER_STROKE]; MAX_POINTS / MAX_POINTS_PER_STROKE + 1];
        assert!(err(&d).contains("points is too many"), "{}", err(&d));
        let mut d = Drawing::new(100.0, 100.0);
        d.strokes = vec![vec![[1.0, 1.0]]; MAX_STROKES + 1];
        assert!(err(&d).contains("2001 strokes is too many (the limit is 2000)"), "{}", err(&d));
        d.strokes.truncate(MAX_STROKES);
        assert!(d.validate().is_ok());
    }

    #[test]
    fn a_byte_order_mark_is_accepted() {
        let d = Drawing::from_json("\u{feff}{\"version\":1,\"width\":10,\"height\":10,\"strokes\":[[[1,2]]]}").unwrap();
        assert_eq!(d.strokes.len(), 1);
    }

    #[test]
    fn large_files_are_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.json");
        let f = std::fs::File::create(&p).unwrap();
        f.set_len(MAX_DRAWING_BYTES + 1).unwrap();
        let e = Drawing::load(&p).unwrap_err().to_string();
        assert!(e.contains("big.json") && e.contains("too large for a drawing") && e.contains("8388608"), "{e}");
        let text = " ".repeat(MAX_DRAWING_BYTES as usize + 1);
        assert!(Drawing::from_json(&text).unwrap_err().to_string().contains("too large"));
    }
}
