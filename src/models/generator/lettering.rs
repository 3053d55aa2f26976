//! "Write my text": a line of kana in one style. The text is checked against the class table
//! ([`text_cells`]), each letter gets the style's latent moved to it ([`write_line`]), and the
//! decoded letters are laid out in rows ([`lay_out`]); [`upscale`] makes exports a useful size.
//! Shared by the generator panel (on its worker) and `fude generate --text`.

use crate::data::classes;
use crate::error::{Error, Result};
use crate::ink::InkImage;
use crate::models::generator::GeneratorCheckpoint;

/// The most characters (spaces included) one text may have.
pub const MAX_TEXT_CHARS: usize = 40;

/// Smallest side, in pixels, of one letter in an exported line or sheet.
pub const EXPORT_CELL: usize = 128;

/// Smallest side, in pixels, of an exported preview.
pub const EXPORT_PREVIEW: usize = 256;

/// The classes of `text`, one cell per character: `None` for a space (a gap). A character
/// outside the 180 kana is refused with its name; so is an empty or too long text.
pub fn text_cells(text: &str) -> Result<Vec<Option<usize>>> {
    let text = text.trim();
    let count = text.chars().count();
    if count == 0 {
        return Err(Error::Invalid("nothing to write: type some kana".into()));
    }
    if count > MAX_TEXT_CHARS {
        return Err(Error::Invalid(format!("the text has {count} characters; at most {MAX_TEXT_CHARS} are written at once")));
    }
    text.chars()
        .map(|c| match classes::index_of(c) {
            Some(k) => Ok(Some(k)),
            None if c.is_whitespace() => Ok(None),
            None => Err(Error::Invalid(format!("{c:?} (U+{:04X}) is not one of the 180 kana fude writes", c as u32))),
        })
        .collect()
}

/// Lays letters out `per_row` to a row, `side`×`side` each (ink bright, `side²` values; `None`
/// is a gap), with a margin of `side / 8` around them. Ink bright.
pub fn lay_out(cells: &[Option<Vec<f32>>], side: usize, per_row: usize) -> InkImage {
    let per_row = per_row.clamp(1, cells.len().max(1));
    let rows = cells.len().div_ceil(per_row).max(1);
    let margin = side / 8;
    let width = per_row * side + 2 * margin;
    let mut picture = InkImage::new(width, rows * side + 2 * margin);
    for (i, cell) in cells.iter().enumerate() {
        let Some(cell) = cell else { continue };
        let (x0, y0) = (margin + (i % per_row) * side, margin + (i / per_row) * side);
        for (y, line) in cell.chunks(side).take(side).enumerate() {
            let start = (y0 + y) * width + x0;
            if let Some(dst) = picture.data.get_mut(start..start + line.len()) {
                dst.copy_from_slice(line);
            }
        }
    }
    picture
}

/// The whole factor that makes `side` at least `at_least` pixels (1 when it already is).
pub fn export_scale(side: usize, at_least: usize) -> usize {
    at_least.div_ceil(side.max(1)).max(1)
}

/// `picture` made `factor` times larger with bilinear interpolation (pixel centres kept).
pub fn upscale(picture: &InkImage, factor: usize) -> InkImage {
    let factor = factor.max(1);
    if factor == 1 || picture.width == 0 || picture.height == 0 {
        return picture.clone();
    }
    let (w, h) = (picture.width * factor, picture.height * factor);
    // Source coordinate of a destination pixel centre, split into a cell and a weight.
    let axis = |n: usize, i: usize| {
        let s = ((i as f32 + 0.5) / factor as f32 - 0.5).clamp(0.0, (n - 1) as f32);
        let i0 = s.floor() as usize;
        (i0, (i0 + 1).min(n - 1), s - i0 as f32)
    };
    let xs: Vec<(usize, usize, f32)> = (0..w).map(|x| axis(picture.width, x)).collect();
    let mut data = Vec::with_capacity(w * h);
    for y in 0..h {
        let (y0, y1, ty) = axis(picture.height, y);
        for &(x0, x1, tx) in &xs {
            let top = picture.get(x0, y0) * (1.0 - tx) + picture.get(x1, y0) * tx;
            let bottom = picture.get(x0, y1) * (1.0 - tx) + picture.get(x1, y1) * tx;
            data.push(top * (1.0 - ty) + bottom * ty);
        }
    }
    InkImage { width: w, height: h, data }
}

/// `cells` written by `g` in the style that latent `z` gives letter `class` (moved to each
/// letter as [`crate::models::generator::LatentStats::transfer`] does), laid out `per_row` to a
/// row. Ink bright, at the generator's side.
pub fn write_line(g: &GeneratorCheckpoint, z: &[f32], class: usize, cells: &[Option<usize>], per_row: usize) -> Result<InkImage> {
    let latents: Vec<(usize, Vec<f32>)> = cells.iter().flatten().map(|&c| (c, g.stats().transfer(z, class, c))).collect();
    let jobs: Vec<(usize, &[f32])> = latents.iter().map(|(c, z)| (*c, z.as_slice())).collect();
    let mut images = g.decode(&jobs)?.into_iter();
    let decoded: Vec<Option<Vec<f32>>> = cells.iter().map(|c| c.and_then(|_| images.next())).collect();
    Ok(lay_out(&decoded, g.side(), per_row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_checked_letter_by_letter() {
        let cells = text_cells(" あり がとう ").unwrap();
        assert_eq!(cells.len(), 6, "outer spaces are trimmed");
        assert_eq!(cells[2], None, "an inner space is a gap");
        assert_eq!(cells[0], classes::index_of('あ'));
        let e = text_cells("あA").unwrap_err().to_string();
        assert!(e.contains("'A'") && e.contains("U+0041") && e.contains("180 kana"), "{e}");
        assert!(text_cells("コーヒー").unwrap_err().to_string().contains("'ー'"));
        assert!(text_cells("  ").is_err());
        assert!(text_cells(&"あ".repeat(MAX_TEXT_CHARS)).is_ok());
        assert!(text_cells(&"あ".repeat(MAX_TEXT_CHARS + 1)).unwrap_err().to_string().contains("at most"));
    }

    #[test]
    fn letters_are_laid_out_in_rows_with_gaps() {
        let side = 8;
        let cells = vec![Some(vec![0.5; 64]), None, Some(vec![1.0; 64])];
        let one = lay_out(&cells, side, 10);
        assert_eq!((one.width, one.height), (3 * 8 + 2, 8 + 2));
        assert_eq!((one.get(1, 1), one.get(9, 1), one.get(17, 1), one.get(0, 0)), (0.5, 0.0, 1.0, 0.0));
        let two = lay_out(&cells, side, 2);
        assert_eq!((two.width, two.height), (2 * 8 + 2, 2 * 8 + 2));
        assert_eq!(two.get(1, 9), 1.0, "the third letter starts the second row");
    }

    #[test]
    fn upscaling_keeps_the_picture() {
        assert_eq!(export_scale(64, EXPORT_PREVIEW), 4);
        assert_eq!(export_scale(64, EXPORT_CELL), 2);
        assert_eq!(export_scale(300, EXPORT_CELL), 1);
        let p = InkImage { width: 2, height: 1, data: vec![0.0, 1.0] };
        let big = upscale(&p, 4);
        assert_eq!((big.width, big.height), (8, 4));
        assert_eq!((big.get(0, 0), big.get(7, 3)), (0.0, 1.0), "the ends stay");
        let row: Vec<f32> = (0..8).map(|x| big.get(x, 1)).collect();
        assert!(row.windows(2).all(|w| w[0] <= w[1]), "a smooth ramp: {row:?}");
        assert_eq!(upscale(&p, 1), p);
    }
}
