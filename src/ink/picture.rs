//! Pictures of characters (scans, photos, crops): find the character's ink and crop to it.
//!
//! A canvas drawing is read as a writing box, so a kana written small stays small. A picture shows
//! no writing box: a full-size character written small in its scanned cell would be read as the
//! small kana. [`crop_character`] therefore finds the ink that belongs to the character, ignoring
//! what a scan adds:
//!
//! - **ruled lines and scanner borders**: runs of ink from edge to edge of the picture, and thin
//!   bands along its edges;
//! - **specks**: tiny components, and small ones far from the character;
//! - **a frame** drawn around the character: then the picture *does* show its writing box, and
//!   the inside of the frame is returned as the box ([`Cropped::framed`]).
//!
//! Otherwise the ink's bounding box is cropped with a margin of [`MARGIN`] of its longer side.
//! The result is ink bright on dark, ready for [`super::preprocess::model_input`].
//!
//! [`picture_input`] reads a picture that is framed like a dataset cell ([`is_dataset_cell`]: small,
//! square, the character spanning at least [`CELL_MIN_FILL`] of it, or no larger than the model's
//! input, as Kuzushiji-49 publishes its pictures) as it is: cropping it again changes the framing
//! the recognizer learned (on the kuzushiji sample read as pictures, 93.75% cropped against 97.10%
//! as it is with the stage-4 recognizer; the thumbnail rule closed the rest of the gap to reading
//! it as a writing box, see `models/README.md`). [`PictureOptions::thumbnail_blur`] softens such a
//! thumbnail first, for the script choice that reads Kuzushiji-49's sharp published cells.

use super::components::{components, Component};
use super::preprocess::{model_input, ModelInput, INPUT_SIDE};
use super::InkImage;

/// Margin around the ink's bounding box, as a fraction of its longer side.
pub const MARGIN: f32 = 0.15;
/// Ink must stand this far above the background (0..1) to count.
const MIN_CONTRAST: f32 = 0.15;
/// A run of ink is a ruled line when it reaches within this fraction of both picture edges.
const LINE_EDGE_SLACK: f32 = 0.02;

/// A picture cropped to its character.
#[derive(Debug, Clone, PartialEq)]
pub struct Cropped {
    /// The crop: ink bright on dark, everything that is not the character erased.
    pub image: InkImage,
    /// Whether a frame around the character was found; the crop is then the frame's inside,
    /// which is a writing box (small kana can be told from full-size ones).
    pub framed: bool,
    /// How much of the picture the character's ink spans: the larger of its width and height
    /// shares (0..=1; 1 for a frame's inside).
    pub fill: f32,
}

/// A picture made ready for the recognizer.
#[derive(Debug, Clone, PartialEq)]
pub struct PictureInput {
    /// The model input.
    pub input: ModelInput,
    /// Whether the picture was cropped to its ink, so that small and full-size kana cannot be
    /// told apart (false when it was read as a writing box: a frame, or `as_box`).
    pub cropped: bool,
    /// The picture seems to hold more than one character (side by side or one above the other),
    /// though it is read as one; never said of a square dataset cell, which holds one.
    pub several: bool,
    /// The picture is a thumbnail that was softened first ([`PictureOptions::thumbnail_blur`]).
    pub softened: bool,
    /// The picture looks like a Kuzushiji-MNIST or Kuzushiji-49 cell (a thumbnail, light ink on
    /// dark paper) and the options asked ([`PictureOptions::kuzushiji_hint`]): the reading decides
    /// what that changes (`models::recognizer::Reading::kuzushiji_cell`).
    pub kuzushiji_like: bool,
    /// A drawing's strokes, not a picture file.
    pub drawing: bool,
}

impl PictureInput {
    /// A drawing's input, which is its own writing box: not cropped, one character, not softened.
    pub fn of_drawing(input: ModelInput) -> Self {
        PictureInput { input, cropped: false, several: false, softened: false, kuzushiji_like: false, drawing: true }
    }
}

/// How [`picture_input`] reads a picture.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PictureOptions {
    /// The picture is a writing box as it is: read whole, never cropped.
    pub as_box: bool,
    /// A thumbnail (no larger than the model input, as Kuzushiji-49 publishes its cells) is first
    /// blurred by a Gaussian of this many pixels; 0 reads it as it is. Larger pictures are
    /// softened by their scaling down already.
    pub thumbnail_blur: f32,
    /// Tell whether a thumbnail looks like a Kuzushiji-MNIST or Kuzushiji-49 cell
    /// ([`PictureInput::kuzushiji_like`]): every script but Kuzushiji, which reads every picture
    /// as classical writing.
    pub kuzushiji_hint: bool,
}

/// Reads a picture as the recognizer should: cropped to its character (a frame, when there is
/// one, is the writing box), or as a writing box as it is when the options say the picture is
/// one. Errors, with the reason, when there is no ink.
pub fn picture_input(img: &InkImage, options: PictureOptions) -> Result<PictureInput, String> {
    // A thumbnail read as it is is softened when the options ask (a crop or a frame's inside is not).
    let soften_it = is_thumbnail(img) && options.thumbnail_blur > 0.0;
    let as_it_is = || if soften_it { model_input(&soften(img, options.thumbnail_blur)) } else { model_input(img) };
    // Whether the picture is read as it is because it is framed like a dataset's cell.
    let (input, cropped, softened, cell) = if options.as_box {
        (as_it_is(), false, soften_it, is_thumbnail(img))
    } else {
        let c = crop_character(img)?;
        if c.framed {
            (model_input(&c.image), false, false, false)
        } else if is_dataset_cell(img, c.fill) {
            // Framed as the datasets frame their pictures: read as it is (cropping it would
            // change the framing the recognizer learned), still without telling sizes apart.
            (as_it_is(), true, soften_it, true)
        } else {
            (model_input(&c.image), true, false, false)
        }
    };
    if super::is_blank(&input) {
        return Err("no ink found (the picture is blank or has no contrast)".into());
    }
    let kuzushiji_like = options.kuzushiji_hint && looks_like_kuzushiji_cell(img);
    // A square dataset cell holds one character by how the datasets are made: a kuzushiji
    // character whose parts stand apart is not two (90 of the kuzushiji sample's 2,000 held-out
    // cells were said to be, models/README.md "Session 37").
    let several = !(cell && is_squarish(img)) && seems_several_characters(img);
    Ok(PictureInput { input, cropped, several, softened, kuzushiji_like, drawing: false })
}

/// The picture blurred by a Gaussian of `sigma` pixels about its paper's level, so that the
/// paper beyond its edges neither darkens nor lightens them, whichever its polarity.
fn soften(img: &InkImage, sigma: f32) -> InkImage {
    if sigma <= 0.0 || img.data.len() != img.width * img.height || img.data.is_empty() {
        return img.clone();
    }
    let paper = super::preprocess::border_median(&img.data, img.width, img.height);
    let relative = InkImage { data: img.data.iter().map(|v| v - paper).collect(), ..img.clone() };
    let mut out = relative.blurred(sigma);
    out.data.iter_mut().for_each(|v| *v = (*v + paper).clamp(0.0, 1.0));
    out
}

/// Whether a picture looks like a cell as Kuzushiji-MNIST and Kuzushiji-49 publish them: a thumbnail
/// ([`INPUT_SIDE`] pixels or less on its longer side) of light ink on dark paper (its border's
/// median below half). Modern kana can be saved so too; the note it brings only says what to try.
pub fn looks_like_kuzushiji_cell(img: &InkImage) -> bool {
    img.width > 0 && img.height > 0 && img.data.len() == img.width * img.height && is_thumbnail(img) && super::preprocess::border_median(&img.data, img.width, img.height) < 0.5
}

/// A picture at most this many pixels on its longer side can be a dataset cell.
pub const CELL_MAX_SIDE: usize = 96;
/// The character's ink spans at least this share of a dataset cell.
pub const CELL_MIN_FILL: f32 = 0.8;

/// Whether a picture is framed like a cell of Kuzushiji-MNIST, Kuzushiji-49 or ETL (a small,
/// square picture that the character fills), or is no larger than the model's input (a
/// thumbnail, as those datasets publish them): such a picture is already its character's box and
/// is read as it is, not cropped again (cropping a thumbnail only scales it up, and the crop finder
/// can take a detached dot or a stroke along the edge for a speck or a band).
pub fn is_dataset_cell(img: &InkImage, fill: f32) -> bool {
    let long = img.width.max(img.height);
    img.width.min(img.height) > 0 && (is_thumbnail(img) || (long <= CELL_MAX_SIDE && is_squarish(img) && fill >= CELL_MIN_FILL))
}

/// Whether a picture is about square (its longer side at most 5/4 of its shorter), as dataset
/// cells are.
fn is_squarish(img: &InkImage) -> bool {
    img.width.max(img.height) * 4 <= img.width.min(img.height) * 5
}

/// Whether a picture is no larger than the model's input on its longer side (a thumbnail).
fn is_thumbnail(img: &InkImage) -> bool {
    img.width.max(img.height) <= INPUT_SIDE
}

/// Whether the picture's ink seems to be more than one character: after ruled lines and specks
/// go, its ink is at least 1.5 times as wide as tall (or tall as wide) and falls apart along
/// that direction into two or more parts, each at least 0.4 of the ink's other side, with a gap
/// between them.
pub fn seems_several_characters(img: &InkImage) -> bool {
    let (w, h) = (img.width, img.height);
    if w == 0 || h == 0 || img.data.len() != w * h {
        return false;
    }
    let contrast = ink_contrast(img);
    let Some(peak) = percentile(contrast.iter().copied().filter(|&c| c >= MIN_CONTRAST), 0.9) else { return false };
    let threshold = (0.4 * peak).max(MIN_CONTRAST);
    let mut mask: Vec<bool> = contrast.iter().map(|&c| c >= threshold).collect();
    erase_ruled_lines(&mut mask, w, h);
    let (_, comps) = components(&mask, w, h);
    let largest = comps.iter().map(|c| c.area).max().unwrap_or(0);
    // Specks and noise do not count.
    let strokes: Vec<&Component> = comps.iter().filter(|c| c.area * 20 >= largest && c.area >= 4).collect();
    let Some(first) = strokes.first() else { return false };
    let b = strokes.iter().fold(Bounds::of(first), |b, c| b.union(c));
    let (bw, bh) = (b.x1 - b.x0 + 1, b.y1 - b.y0 + 1);
    let spans = |along_x: bool| -> Vec<(usize, usize)> { strokes.iter().map(|c| if along_x { (c.x0, c.x1) } else { (c.y0, c.y1) }).collect() };
    if bw * 2 >= bh * 3 {
        apart(spans(true), bh)
    } else if bh * 2 >= bw * 3 {
        apart(spans(false), bw)
    } else {
        false
    }
}

/// Whether the spans (start, end) fall into two or more separate groups, with a gap of at least
/// 5% of `other`, each group at least 0.4 of `other` long.
fn apart(mut spans: Vec<(usize, usize)>, other: usize) -> bool {
    spans.sort_unstable();
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let min_gap = (other / 20).max(1);
    for (a, b) in spans {
        match groups.last_mut() {
            Some(g) if a <= g.1 + min_gap => g.1 = g.1.max(b),
            _ => groups.push((a, b)),
        }
    }
    groups.iter().filter(|(a, b)| (b - a + 1) * 5 >= other * 2).count() >= 2
}

/// Gap between a component's box and `o` in pixels (0 when they overlap or touch).
fn gap(c: &Component, o: &Bounds) -> usize {
    let dx = o.x0.saturating_sub(c.x1).max(c.x0.saturating_sub(o.x1));
    let dy = o.y0.saturating_sub(c.y1).max(c.y0.saturating_sub(o.y1));
    dx.max(dy)
}

/// An inclusive pixel rectangle.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bounds {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
}

impl Bounds {
    fn of(c: &Component) -> Self {
        Bounds { x0: c.x0, y0: c.y0, x1: c.x1, y1: c.y1 }
    }
    fn union(self, c: &Component) -> Self {
        Bounds { x0: self.x0.min(c.x0), y0: self.y0.min(c.y0), x1: self.x1.max(c.x1), y1: self.y1.max(c.y1) }
    }
}

/// Finds the character in a picture and crops to it (see the module docs). Errors, with the
/// reason, when the picture has no ink that could be a character.
pub fn crop_character(img: &InkImage) -> Result<Cropped, String> {
    let (w, h) = (img.width, img.height);
    if w == 0 || h == 0 || img.data.len() != w * h {
        return Err("the picture is empty".into());
    }
    let contrast = ink_contrast(img);
    // The strokes' typical strength (a few dark specks do not set it).
    let peak = percentile(contrast.iter().copied().filter(|&c| c >= MIN_CONTRAST), 0.9);
    let Some(peak) = peak else {
        return Err("no ink found (the picture is blank or has no contrast)".into());
    };
    let threshold = (0.4 * peak).max(MIN_CONTRAST);
    let mut mask: Vec<bool> = contrast.iter().map(|&c| c >= threshold).collect();
    let (labels, comps) = components(&mask, w, h);
    if let Some(inside) = frame_inside(&labels, &comps, w, h) {
        // What is inside the frame, cleaned of specks like the whole picture below.
        let within: Vec<bool> = comps.iter().map(|c| inside_of(c, &inside)).collect();
        let inner: Vec<Component> = comps.iter().zip(&within).filter(|(_, &i)| i).map(|(c, _)| *c).collect();
        let mut inner_keep = character_components(&inner, w, h).into_iter();
        let keep: Vec<bool> = within.iter().map(|&i| i && inner_keep.next().unwrap_or(false)).collect();
        let inked: usize = comps.iter().zip(&keep).filter(|(_, &k)| k).map(|(c, _)| c.area).sum();
        let room = (inside.x1 - inside.x0 + 1) * (inside.y1 - inside.y0 + 1);
        if inked * 200 >= room {
            let image = cut(&contrast, &labels, &keep, w, inside);
            return Ok(Cropped { image, framed: true, fill: 1.0 });
        }
    }
    erase_ruled_lines(&mut mask, w, h);
    let (labels, comps) = components(&mask, w, h);
    let keep = character_components(&comps, w, h);
    let mut kept = comps.iter().zip(&keep).filter(|(_, &k)| k).map(|(c, _)| c);
    let Some(first) = kept.next() else {
        return Err("no ink found that could be a character (only specks, lines or borders)".into());
    };
    let bounds = kept.fold(Bounds::of(first), |b, c| b.union(c));
    let side = (bounds.x1 - bounds.x0 + 1).max(bounds.y1 - bounds.y0 + 1) as f32;
    let margin = (MARGIN * side).round().max(1.0) as usize;
    let cropped = cut(&contrast, &labels, &keep, w, bounds);
    let fill = ((bounds.x1 - bounds.x0 + 1) as f32 / w as f32).max((bounds.y1 - bounds.y0 + 1) as f32 / h as f32);
    Ok(Cropped { image: pad(&cropped, margin), framed: false, fill })
}

/// Ink strength per pixel in 0..=1: the distance from the background, whatever the polarity.
/// The background is the picture's median (ink covers less than half of a picture), not its
/// border's, which ruling and scanner bands along the edges can darken.
fn ink_contrast(img: &InkImage) -> Vec<f32> {
    // At most about a million pixels are looked at for the median.
    let step = (img.data.len() / (1 << 20)).max(1);
    let bg = percentile(img.data.iter().step_by(step).copied().filter(|v| v.is_finite()), 0.5).unwrap_or(0.0).clamp(0.0, 1.0);
    let clean = |v: f32| if v.is_finite() { v.clamp(0.0, 1.0) } else { bg };
    if bg > 0.5 {
        img.data.iter().map(|&v| (bg - clean(v)).max(0.0)).collect()
    } else {
        img.data.iter().map(|&v| (clean(v) - bg).max(0.0)).collect()
    }
}

/// The `q` quantile (0..=1) of the values, `None` when there are none.
fn percentile(values: impl Iterator<Item = f32>, q: f32) -> Option<f32> {
    let mut v: Vec<f32> = values.collect();
    if v.is_empty() {
        return None;
    }
    let k = ((v.len() - 1) as f32 * q.clamp(0.0, 1.0)).round() as usize;
    let (_, x, _) = v.select_nth_unstable_by(k, f32::total_cmp);
    Some(*x)
}

/// The inside of a frame drawn around the character, if one component is a frame: at least half
/// the picture in each direction, mostly empty, with ink along all four of its edges.
fn frame_inside(labels: &[u32], comps: &[Component], w: usize, h: usize) -> Option<Bounds> {
    comps.iter().enumerate().find_map(|(i, c)| {
        let (bw, bh) = (c.width(), c.height());
        if 2 * bw < w || 2 * bh < h || c.area * 10 > bw * bh * 3 {
            return None;
        }
        let label = i as u32 + 1;
        let band = (bw.min(bh) / 12).max(1);
        let is_ink = |x: usize, y: usize| labels.get(y * w + x) == Some(&label);
        let row_cover = |y0: usize, y1: usize| (c.x0..=c.x1).filter(|&x| (y0..=y1).any(|y| is_ink(x, y))).count();
        let col_cover = |x0: usize, x1: usize| (c.y0..=c.y1).filter(|&y| (x0..=x1).any(|x| is_ink(x, y))).count();
        let full = |covered: usize, of: usize| covered * 10 >= of * 9;
        let edges = full(row_cover(c.y0, c.y0 + band), bw)
            && full(row_cover(c.y1 - band, c.y1), bw)
            && full(col_cover(c.x0, c.x0 + band), bh)
            && full(col_cover(c.x1 - band, c.x1), bh);
        // The frame's stroke: the deepest ink of the top edge at the middle column.
        let thick = (c.y0..=c.y1).take_while(|&y| is_ink((c.x0 + c.x1) / 2, y)).count().max(1);
        let inside = Bounds { x0: c.x0 + thick, y0: c.y0 + thick, x1: c.x1.saturating_sub(thick), y1: c.y1.saturating_sub(thick) };
        (edges && inside.x1 > inside.x0 && inside.y1 > inside.y0).then_some(inside)
    })
}

/// Whether the component lies entirely within `b`.
fn inside_of(c: &Component, b: &Bounds) -> bool {
    c.x0 >= b.x0 && c.y0 >= b.y0 && c.x1 <= b.x1 && c.y1 <= b.y1
}

/// Erases runs of ink that reach from edge to edge (ruled lines, scanner bands), row by row and
/// column by column.
fn erase_ruled_lines(mask: &mut [bool], w: usize, h: usize) {
    let slack = |n: usize| ((n as f32 * LINE_EDGE_SLACK).ceil() as usize).max(1);
    let (sw, sh) = (slack(w), slack(h));
    let mut erase = Vec::new();
    for y in 0..h {
        let run = |x: usize| mask.get(y * w + x).copied().unwrap_or(false);
        let first = (0..w).find(|&x| run(x));
        if let Some(first) = first.filter(|&f| f < sw) {
            let end = (first..w).take_while(|&x| run(x)).last().unwrap_or(first);
            if end + sw >= w {
                erase.extend((first..=end).map(|x| y * w + x));
            }
        }
    }
    for x in 0..w {
        let run = |y: usize| mask.get(y * w + x).copied().unwrap_or(false);
        let first = (0..h).find(|&y| run(y));
        if let Some(first) = first.filter(|&f| f < sh) {
            let end = (first..h).take_while(|&y| run(y)).last().unwrap_or(first);
            if end + sh >= h {
                erase.extend((first..=end).map(|y| y * w + x));
            }
        }
    }
    for i in erase {
        if let Some(m) = mask.get_mut(i) {
            *m = false;
        }
    }
}

/// Which components belong to the character: not thin bands along the picture's edges, not
/// specks (tiny, or small and away from the main strokes).
fn character_components(comps: &[Component], w: usize, h: usize) -> Vec<bool> {
    let (strip_w, strip_h) = ((w / 25).max(2), (h / 25).max(2));
    let band = |c: &Component| {
        let touches = c.x0 == 0 || c.y0 == 0 || c.x1 + 1 == w || c.y1 + 1 == h;
        let thin_long = (c.width() * 20 <= w && c.height() * 10 >= h * 3) || (c.height() * 20 <= h && c.width() * 10 >= w * 3);
        // A piece of ruling inside the outer 4% of the picture, running along its edge.
        let along_top_or_bottom = (c.y1 < strip_h || c.y0 + strip_h >= h) && c.width() >= 3 * c.height();
        let along_a_side = (c.x1 < strip_w || c.x0 + strip_w >= w) && c.height() >= 3 * c.width();
        (touches && thin_long) || along_top_or_bottom || along_a_side
    };
    let largest = comps.iter().filter(|c| !band(c)).map(|c| c.area).max().unwrap_or(0);
    let total: usize = comps.iter().filter(|c| !band(c)).map(|c| c.area).sum();
    let main = comps
        .iter()
        .filter(|c| !band(c) && c.area * 10 >= largest)
        .fold(None::<Bounds>, |b, c| Some(b.map_or(Bounds::of(c), |b| b.union(c))));
    let Some(main) = main else {
        return vec![false; comps.len()];
    };
    let reach = ((main.x1 - main.x0 + 1).max(main.y1 - main.y0 + 1) as f32 * 0.3) as usize;
    let candidate = |c: &Component| !band(c) && c.area >= 3 && c.area * 100 >= total;
    let mut keep: Vec<bool> = comps.iter().map(|c| candidate(c) && c.area * 10 >= largest).collect();
    // Small parts (dakuten, dots) join when they are near what is kept, one ring at a time.
    let mut near = main;
    for _ in 0..4 {
        let mut grew = false;
        for (c, k) in comps.iter().zip(keep.iter_mut()) {
            if !*k && candidate(c) && gap(c, &near) <= reach {
                *k = true;
                grew = true;
                near = near.union(c);
            }
        }
        if !grew {
            break;
        }
    }
    keep
}

/// The pixels of the kept components inside `b` (with a one-pixel halo for their anti-aliased
/// edges), everything else dark.
fn cut(contrast: &[f32], labels: &[u32], keep: &[bool], w: usize, b: Bounds) -> InkImage {
    let kept = |x: usize, y: usize| {
        let l = labels.get(y * w + x).copied().unwrap_or(0) as usize;
        l > 0 && keep.get(l - 1).copied().unwrap_or(false)
    };
    let (cw, ch) = (b.x1 - b.x0 + 1, b.y1 - b.y0 + 1);
    let mut out = InkImage::new(cw, ch);
    for y in b.y0..=b.y1 {
        for x in b.x0..=b.x1 {
            let near = (y.saturating_sub(1)..=y + 1).any(|ny| (x.saturating_sub(1)..=x + 1).any(|nx| kept(nx, ny)));
            if near {
                if let (Some(o), Some(&v)) = (out.data.get_mut((y - b.y0) * cw + (x - b.x0)), contrast.get(y * w + x)) {
                    *o = v;
                }
            }
        }
    }
    out
}

/// `img` with `margin` dark pixels on every side.
fn pad(img: &InkImage, margin: usize) -> InkImage {
    let (w, h) = (img.width + 2 * margin, img.height + 2 * margin);
    let mut out = InkImage::new(w, h);
    for (y, row) in img.data.chunks_exact(img.width.max(1)).enumerate() {
        let start = (y + margin) * w + margin;
        if let Some(dst) = out.data.get_mut(start..start + row.len()) {
            dst.copy_from_slice(row);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A white picture `w` x `h` (dark ink is drawn on it).
    fn paper(w: usize, h: usize) -> InkImage {
        InkImage { width: w, height: h, data: vec![1.0; w * h] }
    }

    fn fill(img: &mut InkImage, x0: usize, y0: usize, x1: usize, y1: usize) {
        for y in y0..=y1 {
            for x in x0..=x1 {
                img.data[y * img.width + x] = 0.0;
            }
        }
    }

    /// A small "character" (a cross, 16 px, strokes 3 px) centred at (cx, cy).
    fn cross(img: &mut InkImage, cx: usize, cy: usize) {
        fill(img, cx - 8, cy - 1, cx + 8, cy + 1);
        fill(img, cx - 1, cy - 8, cx + 1, cy + 8);
    }

    fn ink_bounds(img: &InkImage) -> (usize, usize, usize, usize) {
        let mut b = (usize::MAX, usize::MAX, 0, 0);
        for y in 0..img.height {
            for x in 0..img.width {
                if img.get(x, y) > 0.5 {
                    b = (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y));
                }
            }
        }
        b
    }

    #[test]
    fn training_ux_two_characters_side_by_side_are_noticed() {
        let mut img = paper(200, 100);
        cross(&mut img, 60, 50);
        cross(&mut img, 110, 50);
        assert!(seems_several_characters(&img), "two crosses side by side");
        let mut img = paper(100, 200);
        cross(&mut img, 50, 60);
        cross(&mut img, 50, 110);
        assert!(seems_several_characters(&img), "one above the other");
        let mut img = paper(200, 100);
        cross(&mut img, 60, 50);
        assert!(!seems_several_characters(&img), "one character");
        // Two strokes close together, as wide as tall (い, ハ): one character.
        let mut img = paper(100, 100);
        fill(&mut img, 30, 30, 33, 60);
        fill(&mut img, 50, 30, 53, 60);
        assert!(!seems_several_characters(&img));
        assert!(picture_input(&{
            let mut two = paper(200, 100);
            cross(&mut two, 60, 50);
            cross(&mut two, 110, 50);
            two
        }, PictureOptions::default()).is_ok_and(|p| p.several));
    }

    #[test]
    fn a_square_dataset_cell_holds_one_character_whatever_its_parts() {
        // Two parts side by side, as a kuzushiji character's parts can stand apart.
        let parts = |w: usize, h: usize| {
            let mut img = paper(w, h);
            fill(&mut img, 2, 10, 10, 16);
            fill(&mut img, 17, 10, 25, 16);
            img
        };
        let cell = parts(28, 28);
        assert!(seems_several_characters(&cell), "the parts alone look like two characters");
        for as_box in [false, true] {
            let options = PictureOptions { as_box, ..PictureOptions::default() };
            assert!(!picture_input(&cell, options).unwrap().several, "as a box: {as_box}");
            // Not square: a strip of two characters is still noticed.
            assert!(picture_input(&parts(56, 28), options).unwrap().several, "as a box: {as_box}");
        }
    }

    #[test]
    fn a_picture_framed_like_a_dataset_cell_is_read_as_it_is() {
        // A 28x28 cell that a 24 px cross fills (86%): read as it is.
        let mut cell = paper(28, 28);
        fill(&mut cell, 2, 13, 25, 15);
        fill(&mut cell, 13, 2, 15, 25);
        let c = crop_character(&cell).unwrap();
        assert!(c.fill > 0.85 && is_dataset_cell(&cell, c.fill), "{}", c.fill);
        let p = picture_input(&cell, PictureOptions::default()).unwrap();
        assert_eq!(p.input, model_input(&cell), "the cell is not cropped again");
        assert!(p.cropped, "sizes are still not told apart");
        // The same cross small in a large scan, or filling a wide strip, is cropped.
        let mut scan = paper(100, 80);
        cross(&mut scan, 60, 30);
        let c = crop_character(&scan).unwrap();
        assert!(!is_dataset_cell(&scan, c.fill));
        assert_eq!(picture_input(&scan, PictureOptions::default()).unwrap().input, model_input(&c.image));
        let mut strip = paper(60, 28);
        fill(&mut strip, 2, 13, 57, 15);
        assert!(!is_dataset_cell(&strip, 1.0), "not square");
        let big = paper(200, 200);
        assert!(!is_dataset_cell(&big, 1.0), "too large to be a dataset cell");
        // A small character in a small cell is cropped.
        let mut loose = paper(40, 40);
        cross(&mut loose, 20, 20);
        let c = crop_character(&loose).unwrap();
        assert!(c.fill < CELL_MIN_FILL && !is_dataset_cell(&loose, c.fill));
        // A thumbnail no larger than the model's input is read as it is, however loose.
        let mut thumb = paper(28, 28);
        fill(&mut thumb, 8, 13, 19, 14);
        fill(&mut thumb, 13, 8, 14, 19);
        let c = crop_character(&thumb).unwrap();
        assert!(c.fill < CELL_MIN_FILL && is_dataset_cell(&thumb, c.fill), "{}", c.fill);
        assert_eq!(picture_input(&thumb, PictureOptions::default()).unwrap().input, model_input(&thumb));
    }

    #[test]
    fn only_thumbnails_are_softened_and_only_when_asked() {
        let soft = PictureOptions { thumbnail_blur: 0.6, ..PictureOptions::default() };
        let mut thumb = paper(28, 28);
        fill(&mut thumb, 2, 13, 25, 15);
        fill(&mut thumb, 13, 2, 15, 25);
        let sharp = picture_input(&thumb, PictureOptions::default()).unwrap().input;
        let softened = picture_input(&thumb, soft).unwrap().input;
        assert_eq!(softened, model_input(&soften(&thumb, 0.6)));
        assert!(picture_input(&thumb, soft).unwrap().softened && !picture_input(&thumb, PictureOptions::default()).unwrap().softened);
        // The paper stays paper at the edges, dark ink on white as light ink on black.
        let white = soften(&thumb, 0.6);
        assert!(white.get(0, 0) == 1.0 && white.get(27, 27) == 1.0 && white.get(14, 1) < 0.9);
        let black = InkImage { data: thumb.data.iter().map(|v| 1.0 - v).collect(), ..thumb.clone() };
        let black = soften(&black, 0.6);
        assert!(black.data.iter().zip(&white.data).all(|(b, w)| (b + w - 1.0).abs() < 1e-5));
        // Softer: more of the ink is mid-tone.
        let mid = |v: &[f32]| v.iter().filter(|&&x| x > 0.05 && x < 0.8).count();
        assert!(mid(&softened) > mid(&sharp), "{} {}", mid(&softened), mid(&sharp));
        let as_box = PictureOptions { as_box: true, ..soft };
        assert_eq!(picture_input(&thumb, as_box).unwrap().input, softened, "a thumbnail read as a box too");
        // A larger picture, cropped or read as a box, is read as before.
        let mut scan = paper(100, 80);
        cross(&mut scan, 60, 30);
        assert_eq!(picture_input(&scan, soft).unwrap(), picture_input(&scan, PictureOptions::default()).unwrap(), "not softened");
        let as_box_scan = PictureOptions { as_box: true, ..PictureOptions::default() };
        assert_eq!(picture_input(&scan, PictureOptions { thumbnail_blur: 0.6, ..as_box_scan }).unwrap(), picture_input(&scan, as_box_scan).unwrap());
    }

    #[test]
    fn a_thumbnail_of_light_ink_on_dark_is_taken_for_a_kuzushiji_cell_when_asked() {
        let hint = PictureOptions { kuzushiji_hint: true, ..PictureOptions::default() };
        let mut dark_on_white = paper(28, 28);
        fill(&mut dark_on_white, 2, 13, 25, 15);
        fill(&mut dark_on_white, 13, 2, 15, 25);
        let light_on_dark = InkImage { data: dark_on_white.data.iter().map(|v| 1.0 - v).collect(), ..dark_on_white.clone() };
        assert!(looks_like_kuzushiji_cell(&light_on_dark) && !looks_like_kuzushiji_cell(&dark_on_white));
        let cell = picture_input(&light_on_dark, hint).unwrap();
        assert!(cell.kuzushiji_like);
        assert_eq!(cell.input, picture_input(&light_on_dark, PictureOptions::default()).unwrap().input, "the input is the same");
        assert!(!picture_input(&light_on_dark, PictureOptions::default()).unwrap().kuzushiji_like, "only when asked");
        assert!(!picture_input(&dark_on_white, hint).unwrap().kuzushiji_like, "dark ink on white paper");
        // A larger picture of light ink on dark is a scan or a photograph, not a dataset cell.
        let mut big = paper(100, 80);
        cross(&mut big, 60, 30);
        let big = InkImage { data: big.data.iter().map(|v| 1.0 - v).collect(), ..big };
        assert!(!looks_like_kuzushiji_cell(&big) && !picture_input(&big, hint).unwrap().kuzushiji_like);
        assert!(!looks_like_kuzushiji_cell(&InkImage { width: 0, height: 0, data: Vec::new() }));
    }

    #[test]
    fn a_small_character_in_wide_margins_is_cropped_with_a_margin() {
        let mut img = paper(100, 80);
        cross(&mut img, 60, 30);
        let c = crop_character(&img).unwrap();
        assert!(!c.framed);
        // 17 px of ink + 15% margin (3 px) on each side.
        assert_eq!((c.image.width, c.image.height), (23, 23));
        assert_eq!(ink_bounds(&c.image), (3, 3, 19, 19));
    }

    #[test]
    fn specks_ruled_lines_and_scanner_borders_are_ignored() {
        let mut img = paper(120, 90);
        cross(&mut img, 50, 45);
        fill(&mut img, 100, 10, 101, 11); // a speck far away
        fill(&mut img, 2, 80, 2, 80); // a one-pixel speck
        fill(&mut img, 0, 70, 119, 70); // a ruled line under the character, edge to edge
        fill(&mut img, 0, 0, 119, 1); // the scanner's top border
        fill(&mut img, 117, 20, 119, 60); // a dark band along the right edge
        let c = crop_character(&img).unwrap();
        assert!(!c.framed);
        assert_eq!((c.image.width, c.image.height), (23, 23));
        assert_eq!(ink_bounds(&c.image), (3, 3, 19, 19));
    }

    #[test]
    fn form_ruling_along_the_edges_is_not_the_background_or_the_character() {
        // A faint character in a small cell whose top, bottom and right edges carry darker
        // ruling, broken into dashes: the border's median would be the ruling.
        let mut img = paper(64, 63);
        for v in img.data.iter_mut() {
            *v = 0.95;
        }
        for y in 22..=38 {
            for x in 22..=38 {
                if (29..=31).contains(&y) || (29..=31).contains(&x) {
                    img.data[y * 64 + x] = 0.5;
                }
            }
        }
        for x in (0..64).filter(|x| x % 9 != 0) {
            img.data[x] = 0.2;
            img.data[62 * 64 + x] = 0.2;
        }
        for y in (5..50).filter(|y| y % 7 != 0) {
            img.data[y * 64 + 63] = 0.2;
        }
        let c = crop_character(&img).unwrap();
        assert_eq!((c.image.width, c.image.height), (23, 23));
    }

    #[test]
    fn a_ruled_line_through_the_character_is_erased_and_the_strokes_kept() {
        let mut img = paper(100, 60);
        cross(&mut img, 50, 30);
        fill(&mut img, 0, 25, 99, 25);
        let c = crop_character(&img).unwrap();
        assert_eq!((c.image.width, c.image.height), (23, 23));
    }

    #[test]
    fn a_dakuten_beside_the_character_is_kept() {
        let mut img = paper(100, 80);
        cross(&mut img, 50, 40);
        fill(&mut img, 61, 30, 62, 31); // two small dots just right of the cross
        fill(&mut img, 64, 30, 65, 31);
        let c = crop_character(&img).unwrap();
        // The ink now reaches 65 instead of 58: 24 px wide plus margins.
        assert_eq!(c.image.width, 24 + 2 * 4);
    }

    #[test]
    fn a_frame_makes_its_inside_the_writing_box() {
        let mut img = paper(100, 100);
        fill(&mut img, 10, 10, 89, 12);
        fill(&mut img, 10, 87, 89, 89);
        fill(&mut img, 10, 10, 12, 89);
        fill(&mut img, 87, 10, 89, 89);
        cross(&mut img, 35, 65); // small, low in the box
        let c = crop_character(&img).unwrap();
        assert!(c.framed);
        assert_eq!((c.image.width, c.image.height), (74, 74));
        let (x0, y0, x1, y1) = ink_bounds(&c.image);
        assert_eq!((x0, y0, x1, y1), (35 - 8 - 13, 65 - 8 - 13, 35 + 8 - 13, 65 + 8 - 13));
    }

    #[test]
    fn either_polarity_reads_the_same() {
        let mut img = paper(80, 80);
        cross(&mut img, 40, 40);
        let dark = InkImage { data: img.data.iter().map(|v| 1.0 - v).collect(), ..img.clone() };
        assert_eq!(crop_character(&img).unwrap(), crop_character(&dark).unwrap());
    }

    #[test]
    fn a_picture_that_is_all_margin_is_an_error() {
        assert!(crop_character(&paper(50, 50)).unwrap_err().contains("no ink"));
        let mut specks = paper(80, 80);
        fill(&mut specks, 0, 40, 79, 40);
        assert!(crop_character(&specks).unwrap_err().contains("no ink"));
        assert!(crop_character(&InkImage { width: 3, height: 3, data: vec![] }).is_err());
    }
}
