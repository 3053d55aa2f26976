//! `scans`: a held-out stand-in for real scanned handwriting, read the way `fude predict` reads a
//! picture.
//!
//! The project has no real scanned katakana, so this builds the closest check it can: the glyphs
//! of the held-out validation fonts (never seen in training) are traced to strokes, written with a
//! thin pen at 40–70% of a 64x63 form cell, off centre, darker or lighter, with bits of the cell's
//! ruling along its edges, scanner specks, blur, sensor noise and JPEG compression. Only full-size
//! kana are written (a picture cannot show a small kana's size). Each scan is then read as a
//! picture ([`crate::ink::picture::picture_input`]: cropped to its character), or, with
//! `scans=box`, as a writing box (how fude read pictures before cropping).
//!
//! The training split writes the training fonts the same way, and adds the writers' habits of
//! [`super::pen_habits`] (the held-out set is written without them, so its figures stay
//! comparable from one model to the next).

use super::augment::gauss;
use super::classes::{self, NUM_CLASSES};
use super::sources::{Sample, Source, Split};
use crate::ink::picture::{picture_input, PictureOptions};
use crate::ink::raster::{draw_strokes, mask_to_image};
use crate::ink::{InkImage, Stroke};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::io::Cursor;
use tiny_skia::{Mask, Transform};

/// Width and height of a scanned form cell, in pixels.
pub const CELL: (u32, u32) = (64, 63);
/// Scans per class and font in the evaluation set.
pub const EVAL_PER_FONT: u64 = 4;
/// Seed salt of the evaluation set (no training source uses it).
const SALT: u64 = 0x5CA_u64 << 48;

/// Scanned-cell renderings of the fonts of one split.
pub struct ScanSource {
    names: Vec<String>,
    /// Per font, per class: the traced strokes (full-size kana only).
    strokes: Vec<Vec<Option<Vec<Stroke>>>>,
    /// The (class, font) pairs that can be written.
    pairs: Vec<(usize, usize)>,
    split: Split,
    as_box: bool,
}

/// Whether a split's scans get the writers' habits (training only).
fn with_habits(split: Split) -> bool {
    split == Split::Train
}

impl ScanSource {
    /// The full-size kana of the fonts of `split` (the validation fonts for [`Split::Test`]), as
    /// traced strokes shared with the drawing sources; `as_box` reads each scan as a writing box
    /// instead of cropping it.
    pub fn new(split: Split, as_box: bool) -> Self {
        let fonts = super::sources::split_fonts(split);
        let names = fonts.iter().map(|f| f.name.clone()).collect();
        let full_size = |c: usize| classes::get(c).is_some_and(|k| !k.is_small());
        let traced = super::sources::bundled_traces(split);
        let strokes = traced.iter().map(|g| g.iter().enumerate().map(|(c, s)| s.as_ref().filter(|_| full_size(c)).cloned()).collect()).collect();
        let mut source = ScanSource { names, strokes, pairs: Vec::new(), split, as_box };
        source.pairs = (0..NUM_CLASSES)
            .flat_map(|c| (0..source.strokes.len()).map(move |f| (c, f)))
            .filter(|&(c, f)| source.has(f, c))
            .collect();
        source
    }

    /// The deterministic evaluation scans (of one font, or of all).
    fn eval_scans(&self, font: Option<usize>) -> Vec<(InkImage, usize)> {
        let jobs: Vec<(usize, usize, u64)> = self
            .pairs
            .iter()
            .copied()
            .filter(|&(_, f)| font.is_none_or(|only| only == f))
            .flat_map(|(c, f)| (0..EVAL_PER_FONT).map(move |k| (c, f, k)))
            .collect();
        jobs.into_par_iter()
            .map(|(c, f, k)| {
                let mut rng = ChaCha8Rng::seed_from_u64(SALT ^ ((f as u64) << 40) ^ ((c as u64) << 20) ^ k);
                (self.scan(f, c, &mut rng), c)
            })
            .collect()
    }

    fn has(&self, font: usize, class: usize) -> bool {
        self.strokes.get(font).and_then(|g| g.get(class)).is_some_and(Option::is_some)
    }

    /// One scan of class `class` in font `font`: paper bright, ink dark.
    pub fn scan(&self, font: usize, class: usize, rng: &mut ChaCha8Rng) -> InkImage {
        let (w, h) = CELL;
        let mut paper = InkImage { width: w as usize, height: h as usize, data: vec![1.0; (w * h) as usize] };
        let (Some(strokes), Some(mut mask)) = (self.strokes.get(font).and_then(|g| g.get(class)).and_then(Option::as_ref), Mask::new(w, h)) else {
            return paper;
        };
        let size = rng.random_range(0.4f32..0.7) * h as f32;
        let x0 = (w as f32 - size) / 2.0 + rng.random_range(-0.12f32..0.12) * w as f32;
        let y0 = (h as f32 - size) / 2.0 + rng.random_range(-0.12f32..0.12) * h as f32;
        let t = Transform::from_row(size, 0.0, rng.random_range(-0.12f32..0.12) * size, size, x0, y0);
        let pen = rng.random_range(1.0f32..2.2);
        if with_habits(self.split) {
            let written = super::pen_habits::as_written(strokes, rng);
            super::pens::draw_written(&mut mask, &written, pen, t);
        } else {
            draw_strokes(&mut mask, strokes, pen, t);
        }
        let ink = mask_to_image(&mask);
        let dark = rng.random_range(0.55f32..0.95);
        for (p, v) in paper.data.iter_mut().zip(&ink.data) {
            *p = 1.0 - dark * v;
        }
        form_ruling(&mut paper, rng);
        for _ in 0..rng.random_range(0..4) {
            let (x, y) = (rng.random_range(0..w as usize), rng.random_range(0..h as usize));
            let shade = rng.random_range(0.2f32..0.7);
            for (dx, dy) in [(0, 0), (1, 0), (0, 1)].into_iter().take(rng.random_range(1..=3)) {
                if let Some(p) = paper.data.get_mut((y + dy).min(h as usize - 1) * w as usize + (x + dx).min(w as usize - 1)) {
                    *p = p.min(shade);
                }
            }
        }
        let mut paper = paper.blurred(rng.random_range(0.3f32..0.8));
        for p in paper.data.iter_mut() {
            *p = (*p + 0.03 * gauss(rng)).clamp(0.0, 1.0);
        }
        jpeg_round_trip(&paper, rng.random_range(35u8..85)).unwrap_or(paper)
    }

    /// The model input for a scan, read as `fude predict` reads a picture (or as a box); a scan
    /// where no ink is found becomes a blank input (a miss).
    fn read(&self, scan: &InkImage) -> crate::ink::ModelInput {
        picture_input(scan, PictureOptions { as_box: self.as_box, ..PictureOptions::default() }).map(|p| p.input).unwrap_or([0.0; crate::ink::INPUT_SIDE * crate::ink::INPUT_SIDE])
    }
}

/// Bits of a form's ruling along the cell's edges: each edge has a faint line with some chance.
fn form_ruling(img: &mut InkImage, rng: &mut ChaCha8Rng) {
    let (w, h) = (img.width, img.height);
    for edge in 0..4 {
        if rng.random::<f32>() > 0.35 {
            continue;
        }
        let shade = rng.random_range(0.4f32..0.8);
        let (from, to) = (rng.random_range(0.0f32..0.3), rng.random_range(0.7f32..1.0));
        let along = if edge < 2 { w } else { h };
        for k in (from * along as f32) as usize..(to * along as f32) as usize {
            let (x, y) = match edge {
                0 => (k, 0),
                1 => (k, h - 1),
                2 => (0, k),
                _ => (w - 1, k),
            };
            if let Some(p) = img.data.get_mut(y * w + x) {
                *p = p.min(shade);
            }
        }
    }
}

/// The image after JPEG compression at `quality` and decoding (`None` if either fails).
pub(super) fn jpeg_round_trip(img: &InkImage, quality: u8) -> Option<InkImage> {
    let gray = image::GrayImage::from_raw(img.width as u32, img.height as u32, img.to_u8())?;
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(Cursor::new(&mut bytes), quality).encode_image(&gray).ok()?;
    let decoded = image::load_from_memory(&bytes).ok()?;
    Some(InkImage::from_dynamic(&decoded))
}

impl Source for ScanSource {
    fn name(&self) -> String {
        let split = if self.split == Split::Train { "train" } else { "test" };
        format!("scans{}:{split}", if self.as_box { "-as-box" } else { "" })
    }

    fn sample_ink(&self, rng: &mut ChaCha8Rng, _side: u32, _aug: super::augment::Augment) -> (InkImage, usize) {
        let (class, font) = self.pairs.get(rng.random_range(0..self.pairs.len().max(1))).copied().unwrap_or((0, 0));
        (self.scan(font, class, rng), class)
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> Sample {
        let (img, label) = self.sample_ink(rng, 0, super::augment::Augment::NONE);
        Sample { input: self.read(&img), label }
    }

    fn eval_ink(&self, _side: u32, _aug: super::augment::Augment) -> Vec<(InkImage, usize)> {
        self.eval_scans(None)
    }

    fn eval_samples(&self) -> Vec<Sample> {
        self.eval_scans(None).into_par_iter().map(|(img, label)| Sample { input: self.read(&img), label }).collect()
    }

    fn eval_parts(&self) -> Vec<(String, Vec<Sample>)> {
        (0..self.names.len())
            .map(|f| {
                let samples = self.eval_scans(Some(f)).into_par_iter().map(|(img, label)| Sample { input: self.read(&img), label }).collect();
                (self.names.get(f).cloned().unwrap_or_default(), samples)
            })
            .collect()
    }

    fn classes(&self) -> Vec<bool> {
        (0..NUM_CLASSES).map(|c| (0..self.strokes.len()).any(|f| self.has(f, c))).collect()
    }

    fn reads_pictures(&self) -> bool {
        !self.as_box
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_out_scans_are_full_size_cells_read_as_pictures() {
        let s = ScanSource::new(Split::Test, false);
        assert_eq!(s.names.len(), 3, "the three validation fonts");
        let classes = s.classes();
        assert!(classes.iter().enumerate().all(|(c, &has)| !has || !classes::get(c).unwrap().is_small()));
        assert!(classes.iter().filter(|&&h| h).count() > 140);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let a = classes::index_of('ア').unwrap();
        let scan = s.scan(0, a, &mut rng);
        assert_eq!((scan.width, scan.height), (64, 63));
        let dark = scan.data.iter().filter(|&&v| v < 0.5).count();
        assert!(dark > 20 && dark < 64 * 63 / 4, "{dark} dark pixels: thin strokes on paper");
        let cropped = s.read(&scan);
        let boxed = ScanSource { names: vec![], strokes: vec![], pairs: vec![], split: Split::Test, as_box: true }.read(&scan);
        // Cropped, the character fills the input; as a box it keeps its small size in the cell.
        let inked = |x: &crate::ink::ModelInput| x.iter().filter(|&&v| v > 0.3).count();
        assert!(inked(&cropped) * 10 > inked(&boxed) * 13, "{} vs {} inked pixels", inked(&cropped), inked(&boxed));
        let eval = s.eval_samples();
        assert_eq!(eval.len() as u64, s.pairs.len() as u64 * EVAL_PER_FONT);
        assert_eq!(eval, s.eval_samples(), "deterministic");
    }
}
