//! The one preprocessing function from any ink image to the model input.
//!
//! Every source — canvas drawings, imported images, font renders, Kuzushiji-49 — goes through
//! [`model_input`], so the model sees one distribution. The image is treated as the **writing box**:
//! size and position of the ink inside it are kept, which is how a small kana (ゃ, ッ, ぁ) written
//! small stays distinguishable from its full-size twin. Steps:
//!
//! 1. **Polarity**: the median of the border pixels is the background; if it is bright, the image
//!    is inverted, so ink is bright on dark (as in Kuzushiji-49).
//! 2. **Levels**: background is subtracted and the 90th percentile of the inked pixels (those at
//!    least 0.15 above the background) scaled to 1. An image without such pixels (blank) gives an
//!    all-zero input.
//! 3. **Speckle removal**: connected ink components (8-neighbour, threshold 0.5) smaller than
//!    `max(3 px, area/4000, 2% of the largest component)` are erased, and so is every pixel more
//!    than one pixel away from the components kept (the specks' anti-aliased halo).
//! 4. **Thin strokes**: if the mean stroke width would be under 1.5 px at 28x28, the ink is dilated
//!    first, so thin pen lines on large scans are not lost in downsampling.
//! 5. **Box**: the image is centred in a square whose side is its longer side, then area-averaged
//!    down (or up) to 28x28.
//! 6. **Gain**: the result is scaled so its brightest pixel is 1.
//!
//! The output is 784 floats in 0..=1, row-major, ink bright. The format is versioned by
//! [`INPUT_FORMAT`]; checkpoints record it and are refused if it differs.

use super::components::components;
use super::InkImage;

/// Side of the square model input.
pub const INPUT_SIDE: usize = 28;
/// Name and version of the input format above; stored in checkpoints.
pub const INPUT_FORMAT: &str = "fude-box28-v1";
/// Target minimum stroke width at model resolution, in pixels.
const MIN_STROKE_PX: f32 = 1.5;

/// The model input: 28x28 values in 0..=1, ink bright on dark, row-major.
pub type ModelInput = [f32; INPUT_SIDE * INPUT_SIDE];

/// Whether a model input holds no ink worth reading: nothing drawn, everything outside the box,
/// or a picture without contrast. [`model_input`] scales the brightest pixel of any ink to 1, so
/// this is the one definition of blank for the app, the CLI and the tools.
pub fn is_blank(input: &[f32]) -> bool {
    input.iter().all(|&v| v < 0.1)
}

/// A detached bit of ink smaller than this (pixels above 0.3 in the model input) is a speck, not
/// part of the character, for [`ink_centre_y`]: a scanner speck or a pen's blot that the speckle
/// removal kept at full resolution is a pixel or three here, and above a small kana it would lift
/// the ink's centre into the full-size range (on the held-out `pens`, 6 of 288 small kana).
pub const CENTRE_SPECK_PIXELS: usize = 4;

/// Where the ink of a model input sits: the vertical centre of its bounding box (pixels above
/// 0.3, without detached specks of fewer than [`CENTRE_SPECK_PIXELS`]), as a fraction of the box
/// from the top; `None` for a blank input.
pub fn ink_centre_y(input: &[f32]) -> Option<f32> {
    ink_centre_y_without_specks(input, CENTRE_SPECK_PIXELS)
}

/// [`ink_centre_y`] with detached marks of fewer than `speck_pixels` pixels left out (for tuning
/// [`CENTRE_SPECK_PIXELS`]; 0 counts every pixel above 0.3).
pub fn ink_centre_y_without_specks(input: &[f32], speck_pixels: usize) -> Option<f32> {
    let mask: Vec<bool> = input.iter().map(|&v| v > 0.3).collect();
    let (_, comps) = components(&mask, INPUT_SIDE, input.len() / INPUT_SIDE);
    let extent = |min_area: usize| {
        comps.iter().filter(|c| c.area >= min_area).fold(None, |b: Option<(usize, usize)>, c| Some(b.map_or((c.y0, c.y1), |(a, z)| (a.min(c.y0), z.max(c.y1)))))
    };
    // Ink made only of specks is still ink: then every bit counts.
    let (first, last) = extent(speck_pixels).or_else(|| extent(0))?;
    Some((first + last) as f32 / 2.0 / (INPUT_SIDE - 1) as f32)
}

/// How far down the ink of a model input reaches: the row above which 95% of its ink lies (a thin
/// tail below does not count), as a fraction of the box from the top; `None` for a blank input.
pub fn ink_reach_y(input: &[f32]) -> Option<f32> {
    let rows: Vec<f32> = input.chunks(INPUT_SIDE).map(|row| row.iter().map(|v| v.max(0.0)).sum()).collect();
    let total: f32 = rows.iter().sum();
    if is_blank(input) || total <= 0.0 {
        return None;
    }
    let mut seen = 0.0;
    let row = rows.iter().position(|r| {
        seen += r;
        seen >= 0.95 * total
    })?;
    Some(row as f32 / (INPUT_SIDE - 1) as f32)
}

/// Preprocesses any ink image into the model input (see the module docs for the steps).
pub fn model_input(img: &InkImage) -> ModelInput {
    let mut out = [0.0f32; INPUT_SIDE * INPUT_SIDE];
    let v = boxed_input(img, INPUT_SIDE);
    for (o, x) in out.iter_mut().zip(v) {
        *o = x;
    }
    out
}

/// The same preprocessing as [`model_input`] with an output of `out_side` x `out_side` (the
/// generator works at 64x64): `out_side²` values in 0..=1, row-major, ink bright. The thin-stroke
/// rule keeps strokes at least 1.5 px wide at the output size.
pub fn boxed_input(img: &InkImage, out_side: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; out_side * out_side];
    let (w, h) = (img.width, img.height);
    if w == 0 || h == 0 || out_side == 0 || img.data.len() != w * h {
        return out;
    }
    let mut v = img.data.clone();
    for x in v.iter_mut() {
        *x = if x.is_finite() { x.clamp(0.0, 1.0) } else { 0.0 };
    }

    // 1-2. polarity and levels.
    let mut bg = border_median(&v, w, h);
    if bg > 0.5 {
        v.iter_mut().for_each(|x| *x = 1.0 - *x);
        bg = 1.0 - bg;
    }
    let inky: Vec<f32> = v.iter().copied().filter(|&x| x > bg + 0.15).collect();
    if inky.len() < 2 {
        return out;
    }
    let hi = percentile(&inky, 0.9);
    let scale = 1.0 / (hi - bg);
    v.iter_mut().for_each(|x| *x = ((*x - bg) * scale).clamp(0.0, 1.0));

    // 3. speckle removal.
    remove_specks(&mut v, w, h);

    // 4. thin strokes.
    let side = w.max(h);
    let width = mean_stroke_width(&v, w, h);
    let target = MIN_STROKE_PX * side as f32 / out_side as f32;
    if width > 0.0 && width < target {
        let r = ((target - width) * 0.5).round() as usize;
        if r > 0 {
            v = dilate(&v, w, h, r);
        }
    }

    // 5. box and resample.
    let ox = (side - w) as f32 * 0.5;
    let oy = (side - h) as f32 * 0.5;
    let xs = area_weights(w, ox, side, out_side);
    let ys = area_weights(h, oy, side, out_side);
    // Horizontal pass: h rows of out_side.
    let mut tmp = vec![0.0f32; h * out_side];
    for y in 0..h {
        let row = v.get(y * w..(y + 1) * w).unwrap_or(&[]);
        for (ox_i, taps) in xs.iter().enumerate() {
            let s: f32 = taps.iter().map(|&(i, wt)| row.get(i).copied().unwrap_or(0.0) * wt).sum();
            if let Some(t) = tmp.get_mut(y * out_side + ox_i) {
                *t = s;
            }
        }
    }
    for (oy_i, taps) in ys.iter().enumerate() {
        for ox_i in 0..out_side {
            let s: f32 = taps
                .iter()
                .map(|&(i, wt)| tmp.get(i * out_side + ox_i).copied().unwrap_or(0.0) * wt)
                .sum();
            if let Some(o) = out.get_mut(oy_i * out_side + ox_i) {
                *o = s;
            }
        }
    }

    // 6. gain.
    let max = out.iter().copied().fold(0.0f32, f32::max);
    if max > 1e-6 {
        out.iter_mut().for_each(|x| *x = (*x / max).clamp(0.0, 1.0));
    }
    out
}

/// Median of the pixels on the image border (the paper's level).
pub(super) fn border_median(v: &[f32], w: usize, h: usize) -> f32 {
    let mut border: Vec<f32> = Vec::with_capacity(2 * (w + h));
    for x in 0..w {
        border.extend(v.get(x).copied());
        border.extend(v.get((h - 1) * w + x).copied());
    }
    for y in 0..h {
        border.extend(v.get(y * w).copied());
        border.extend(v.get(y * w + w - 1).copied());
    }
    percentile(&border, 0.5)
}

/// The `q` quantile (0..=1) of the values.
fn percentile(v: &[f32], q: f32) -> f32 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    let k = ((s.len() - 1) as f32 * q).round() as usize;
    let (_, x, _) = s.select_nth_unstable_by(k.min(v.len() - 1), f32::total_cmp);
    *x
}

/// Erases small connected components (speckle noise) and their anti-aliased halo.
fn remove_specks(v: &mut [f32], w: usize, h: usize) {
    let mask: Vec<bool> = v.iter().map(|&x| x > 0.5).collect();
    let (label, comps) = components(&mask, w, h);
    // Index 0 is the background, component i has label i + 1.
    let areas: Vec<usize> = std::iter::once(0).chain(comps.iter().map(|c| c.area)).collect();
    let largest = areas.iter().copied().max().unwrap_or(0);
    let min_area = 3usize.max(w * h / 4000).max(largest / 50);
    let keep: Vec<bool> = areas.iter().map(|&a| a >= min_area).collect();
    // Keep pixels within one pixel of a kept component: a 3x3 max filter of the kept mask.
    let kept: Vec<u8> = label
        .iter()
        .map(|&l| u8::from(l > 0 && keep.get(l as usize).copied().unwrap_or(false)))
        .collect();
    let near = dilate(&kept, w, h, 1);
    for (x, n) in v.iter_mut().zip(near) {
        if n == 0 {
            *x = 0.0;
        }
    }
}

/// Mean stroke width in pixels, estimated as 2·area / boundary of the ink mask (0 if no ink). A
/// boundary pixel is an ink pixel with a 4-neighbour outside the ink or the image.
fn mean_stroke_width(v: &[f32], w: usize, h: usize) -> f32 {
    let ink: Vec<bool> = v.iter().map(|&x| x > 0.5).collect();
    let row = |y: usize| ink.get(y * w..(y + 1) * w).unwrap_or(&[]);
    let (mut area, mut boundary) = (0usize, 0usize);
    for y in 0..h {
        let (cur, up, down) = (row(y), if y > 0 { row(y - 1) } else { &[] }, row(y + 1));
        for (x, &here) in cur.iter().enumerate() {
            if !here {
                continue;
            }
            area += 1;
            let at = |r: &[bool], i: Option<usize>| i.and_then(|i| r.get(i)).copied().unwrap_or(false);
            let inner = at(cur, x.checked_sub(1)) && at(cur, Some(x + 1)) && at(up, Some(x)) && at(down, Some(x));
            if !inner {
                boundary += 1;
            }
        }
    }
    if boundary == 0 {
        0.0
    } else {
        2.0 * area as f32 / boundary as f32
    }
}

/// Dilation (max filter) with a square of radius `r`, separable: each row, then whole rows
/// folded together. For non-negative values (gray levels, 0/1 masks).
pub(crate) fn dilate<T: Copy + PartialOrd + Default>(v: &[T], w: usize, h: usize, r: usize) -> Vec<T> {
    if w == 0 || h == 0 {
        return Vec::new();
    }
    let max = |a: T, b: T| if b > a { b } else { a };
    let mut rows = vec![T::default(); w * h];
    for (src, dst) in v.chunks_exact(w).zip(rows.chunks_exact_mut(w)) {
        for (x, d) in dst.iter_mut().enumerate() {
            let window = src.get(x.saturating_sub(r)..(x + r + 1).min(w)).unwrap_or(&[]);
            *d = window.iter().copied().fold(T::default(), max);
        }
    }
    let mut out = vec![T::default(); w * h];
    for (y, dst) in out.chunks_exact_mut(w).enumerate() {
        for yy in y.saturating_sub(r)..(y + r + 1).min(h) {
            if let Some(row) = rows.get(yy * w..(yy + 1) * w) {
                dst.iter_mut().zip(row).for_each(|(d, v)| *d = max(*d, *v));
            }
        }
    }
    out
}

/// [`dilate`] on an image.
pub(crate) fn dilate_image(img: &InkImage, r: usize) -> InkImage {
    InkImage {
        width: img.width,
        height: img.height,
        data: dilate(&img.data, img.width, img.height, r),
    }
}

/// For each of `n_out` output cells spanning a square of `side` source pixels (the source of
/// length `len` sits at `offset` inside it), the source pixels it covers and their area weights.
fn area_weights(len: usize, offset: f32, side: usize, n_out: usize) -> Vec<Vec<(usize, f32)>> {
    let step = side as f32 / n_out as f32;
    (0..n_out)
        .map(|o| {
            let a = o as f32 * step - offset;
            let b = a + step;
            let first = a.floor().max(0.0) as usize;
            let last = (b.ceil().max(0.0) as usize).min(len);
            (first..last)
                .filter_map(|i| {
                    let cover = (b.min(i as f32 + 1.0) - a.max(i as f32)).max(0.0);
                    (cover > 0.0).then_some((i, cover / step))
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(size: usize, x0: usize, y0: usize, x1: usize, y1: usize, ink: f32, bg: f32) -> InkImage {
        let mut img = InkImage {
            width: size,
            height: size,
            data: vec![bg; size * size],
        };
        for y in y0..y1 {
            for x in x0..x1 {
                img.data[y * size + x] = ink;
            }
        }
        img
    }

    #[test]
    fn ink_reach_ignores_a_thin_tail() {
        let mut input = [0.0f32; INPUT_SIDE * INPUT_SIDE];
        // Rows 5..=15 full width, and one pixel at row 25: under 5% of the ink.
        input[5 * INPUT_SIDE..16 * INPUT_SIDE].iter_mut().for_each(|v| *v = 1.0);
        input[25 * INPUT_SIDE + 3] = 1.0;
        assert_eq!(ink_reach_y(&input), Some(15.0 / 27.0));
        assert_eq!(ink_reach_y(&[0.0; INPUT_SIDE * INPUT_SIDE]), None);
    }

    #[test]
    fn ink_centre_counts_a_tail_but_not_a_detached_speck() {
        let mut input = [0.0f32; INPUT_SIDE * INPUT_SIDE];
        // Rows 10..=20 full width.
        input[10 * INPUT_SIDE..21 * INPUT_SIDE].iter_mut().for_each(|v| *v = 1.0);
        assert_eq!(ink_centre_y(&input), Some(15.0 / 27.0));
        // A speck of 3 pixels at rows 2..=3, detached: the centre stays.
        for i in [2 * INPUT_SIDE + 20, 2 * INPUT_SIDE + 21, 3 * INPUT_SIDE + 20] {
            input[i] = 1.0;
        }
        assert_eq!(ink_centre_y(&input), Some(15.0 / 27.0), "a speck is not the character");
        // A thin tail joined to the ink, down to row 26, counts however thin it is.
        for y in 21..27 {
            input[y * INPUT_SIDE + 5] = 1.0;
        }
        assert_eq!(ink_centre_y(&input), Some(18.0 / 27.0), "the extent counts the tail");
        // A fourth pixel makes the mark a stroke of the character (a dot, a dakuten's tick).
        input[3 * INPUT_SIDE + 21] = 1.0;
        assert_eq!(ink_centre_y(&input), Some(14.0 / 27.0));
        // Ink that is only specks still has a centre.
        let mut dots = [0.0f32; INPUT_SIDE * INPUT_SIDE];
        dots[4 * INPUT_SIDE + 4] = 1.0;
        dots[8 * INPUT_SIDE + 4] = 1.0;
        assert_eq!(ink_centre_y(&dots), Some(6.0 / 27.0));
        assert_eq!(ink_centre_y(&[0.0; INPUT_SIDE * INPUT_SIDE]), None);
    }

    fn mass_center(v: &ModelInput) -> (f32, f32, f32) {
        let (mut m, mut cx, mut cy) = (0.0, 0.0, 0.0);
        for (i, &x) in v.iter().enumerate() {
            m += x;
            cx += x * (i % 28) as f32;
            cy += x * (i / 28) as f32;
        }
        (m, cx / m, cy / m)
    }

    #[test]
    fn both_polarities_give_the_same_input() {
        let bright = square(112, 30, 30, 80, 50, 1.0, 0.0);
        let dark = square(112, 30, 30, 80, 50, 0.0, 1.0);
        let a = model_input(&bright);
        let b = model_input(&dark);
        let diff: f32 = a.iter().zip(b.iter()).map(|(x, y)| (x - y).abs()).sum();
        assert!(diff < 1e-3, "{diff}");
        assert!(a.iter().copied().fold(0.0, f32::max) > 0.99);
    }

    #[test]
    fn identity_on_clean_28x28_input() {
        let img = square(28, 5, 6, 20, 12, 1.0, 0.0);
        let out = model_input(&img);
        for (a, b) in out.iter().zip(img.data.iter()) {
            assert!((a - b).abs() < 1e-4);
        }
    }

    #[test]
    fn blank_and_degenerate_images_are_zero() {
        assert!(model_input(&InkImage::new(40, 40)).iter().all(|&x| x == 0.0));
        let gray = InkImage { width: 10, height: 10, data: vec![0.5; 100] };
        assert!(model_input(&gray).iter().all(|&x| x == 0.0));
        assert!(model_input(&InkImage { width: 0, height: 0, data: vec![] }).iter().all(|&x| x == 0.0));
    }

    #[test]
    fn size_and_position_in_the_box_are_kept() {
        // A small mark low-left stays small and low-left: what tells ゃ from や.
        let small = model_input(&square(112, 10, 60, 40, 100, 1.0, 0.0));
        let (m, cx, cy) = mass_center(&small);
        assert!(cx < 10.0 && cy > 17.0, "{cx} {cy}");
        let big = model_input(&square(112, 10, 10, 100, 100, 1.0, 0.0));
        assert!(mass_center(&big).0 > 4.0 * m);
    }

    #[test]
    fn speckles_are_removed_but_small_marks_kept() {
        let mut img = square(200, 40, 40, 160, 60, 1.0, 0.0);
        // isolated noise pixels
        for i in 0..50 {
            img.data[(i * 37 % 200) * 200 + (i * 53 % 30)] = 1.0;
        }
        // a dakuten-sized mark (10x10, 4% of the main stroke) is kept
        for y in 150..160 {
            for x in 150..160 {
                img.data[y * 200 + x] = 1.0;
            }
        }
        let out = model_input(&img);
        let left: f32 = (0..28).map(|y| out[y * 28]).sum::<f32>() + (0..28).map(|y| out[y * 28 + 1]).sum::<f32>();
        assert!(left < 1e-3, "noise near the left edge is gone: {left}");
        assert!(out[21 * 28 + 21] > 0.1, "the small mark stays");
    }

    #[test]
    fn thin_lines_on_large_images_survive() {
        let img = square(1000, 100, 500, 900, 502, 1.0, 0.0);
        let out = model_input(&img);
        let row_max = (0..28).map(|y| out[y * 28 + 14]).fold(0.0, f32::max);
        let rows_with_ink = (0..28).filter(|y| out[y * 28 + 14] > 0.3).count();
        assert!(row_max > 0.99);
        assert!(rows_with_ink >= 1);
    }

    #[test]
    fn non_square_images_are_centred_in_their_box() {
        let mut img = InkImage { width: 200, height: 100, data: vec![0.0; 20000] };
        for y in 40..60 {
            for x in 90..110 {
                img.data[y * 200 + x] = 1.0;
            }
        }
        let (_, cx, cy) = mass_center(&model_input(&img));
        assert!((cx - 13.5).abs() < 0.5 && (cy - 13.5).abs() < 0.5, "{cx} {cy}");
    }
}
