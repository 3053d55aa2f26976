//! `pens`: synthetic drawings written the way real people and pens write, for training on shapes
//! closer to real handwriting than the clean `drawings`.
//!
//! The fonts' traced strokes get the writer's habits of [`super::pen_habits`] (loose joins,
//! overshoots, uneven widths, short strokes as dots), a pen that is thin half of the time, the
//! usual geometry and raster effects, scanner specks close to the character (smaller than the
//! pen, so they must not read as a dakuten: the label stays), and JPEG compression. Drawn in the
//! writing box like the canvas, so small kana keep their size. The test split writes the held-out
//! validation fonts. Without raster effects ([`Augment::SHAPE`], the generator's) there are no
//! specks and no JPEG.

use super::augment::Augment;
use super::pen_habits::{as_written, WrittenStroke};
use super::scans::jpeg_round_trip;
use crate::ink::raster::{draw_strokes, mask_to_image, MODEL_PEN_WIDTH};
use crate::ink::{InkImage, Stroke};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use tiny_skia::{Mask, Transform};

/// Chance that a held-out writing gets specks near the character (kept as it was, so the held-out
/// `pens` figures stay comparable between models).
const SPECK_CHANCE: f32 = 0.25;
/// Chance that a training writing (full-strength augmentation) gets specks: more than held out, so
/// letters with a speck where a dakuten would sit are seen often enough to stay themselves.
const TRAIN_SPECK_CHANCE: f32 = 0.6;
/// Largest speck radius, in pen widths, held out (diameter 60% of the pen's width).
const SPECK_RADIUS: f32 = 0.3;
/// Largest speck radius in training: a little larger than held out, so a speck at the held-out
/// limit is not the largest one the model has seen (a dot written with the pen is larger still).
const TRAIN_SPECK_RADIUS: f32 = 0.36;
/// Chance that a writing goes through JPEG compression.
const JPEG_CHANCE: f32 = 0.3;

/// Writes `strokes` (box units, already jittered) into the empty `mask` as a real writer would:
/// habits, geometry, pen, specks, raster effects and JPEG (see the module docs). The `pens`
/// source is [`super::DrawingSource::with_habits`], whose renderer calls this.
pub(super) fn write(strokes: &[Stroke], mut mask: Mask, aug: Augment, rng: &mut ChaCha8Rng) -> InkImage {
    let side = mask.width() as f32;
    let written = as_written(strokes, rng);
    let t = aug.geometry(rng, side);
    let pen = MODEL_PEN_WIDTH * side * if rng.random::<f32>() < 0.5 { rng.random_range(0.4f32..0.8) } else { rng.random_range(0.8f32..1.4) };
    draw_written(&mut mask, &written, pen, t);
    let mut img = mask_to_image(&mask);
    let training = aug.strength >= Augment::TRAIN.strength;
    let (speck_chance, speck_radius) = if training { (TRAIN_SPECK_CHANCE, TRAIN_SPECK_RADIUS) } else { (SPECK_CHANCE, SPECK_RADIUS) };
    if aug.effects && rng.random::<f32>() < speck_chance {
        specks_near_ink(&mut img, pen, speck_radius, rng);
    }
    aug.effects(rng, &mut img);
    if aug.effects && rng.random::<f32>() < JPEG_CHANCE {
        img = jpeg_ink(&img, rng.random_range(30u8..85));
    }
    img
}

/// Draws written strokes, each with its own width (`pen_px` times its factor).
pub fn draw_written(mask: &mut Mask, written: &[WrittenStroke], pen_px: f32, t: Transform) {
    for s in written {
        draw_strokes(mask, std::slice::from_ref(&s.points), pen_px * s.width, t);
    }
}

/// One or two specks in or just around the ink's bounding box: the first most often at its top
/// right, where a dakuten would sit, the second anywhere around the letter (two specks side by side
/// at the top right would be a dakuten). A speck's radius is 0.12 to `largest` pen widths (its
/// diameter at most 60% of the pen's width held out, 72% in training), so it is always smaller
/// than a dot written with the pen.
fn specks_near_ink(img: &mut InkImage, pen_px: f32, largest: f32, rng: &mut impl Rng) {
    let (w, h) = (img.width, img.height);
    let inked = |i: usize| img.data.get(i).is_some_and(|&v| v > 0.5);
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for i in (0..w * h).filter(|&i| inked(i)) {
        let (x, y) = (i % w, i / w);
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    if x1 < x0 || y1 < y0 {
        return;
    }
    let (bw, bh) = ((x1 - x0) as f32, (y1 - y0) as f32);
    for k in 0..rng.random_range(1..=2) {
        let (u, v) = if k == 0 && rng.random::<f32>() < 0.6 {
            (rng.random_range(0.6f32..1.15), rng.random_range(-0.15f32..0.35))
        } else {
            (rng.random_range(-0.15f32..1.15), rng.random_range(0.35f32..1.15))
        };
        let (cx, cy) = (x0 as f32 + u * bw, y0 as f32 + v * bh);
        let r = (pen_px * rng.random_range(0.12f32..largest.max(0.13))).max(0.5);
        let shade = rng.random_range(0.5f32..1.0);
        let reach = r.ceil() as isize + 1;
        for dy in -reach..=reach {
            for dx in -reach..=reach {
                let (px, py) = (cx.round() as isize + dx, cy.round() as isize + dy);
                if px < 0 || py < 0 || px >= w as isize || py >= h as isize {
                    continue;
                }
                let d = ((px as f32 - cx).powi(2) + (py as f32 - cy).powi(2)).sqrt();
                let cover = (r + 0.5 - d).clamp(0.0, 1.0) * shade;
                if let Some(p) = img.data.get_mut(py as usize * w + px as usize) {
                    *p = p.max(cover);
                }
            }
        }
    }
}

/// The ink after JPEG compression as a picture (dark ink on paper) at `quality`.
fn jpeg_ink(img: &InkImage, quality: u8) -> InkImage {
    let paper = InkImage { data: img.data.iter().map(|v| 1.0 - v).collect(), ..img.clone() };
    match jpeg_round_trip(&paper, quality) {
        Some(back) if back.data.len() == img.data.len() => InkImage { data: back.data.iter().map(|v| 1.0 - v).collect(), ..back },
        _ => img.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{DrawingSource, Source, Split};
    use rand::SeedableRng;

    #[test]
    fn pens_write_every_class_and_hold_out_the_validation_fonts() {
        let train = DrawingSource::with_habits(Split::Train);
        let test = DrawingSource::with_habits(Split::Test);
        assert!(train.classes().iter().all(|&c| c), "every class is written by some training font");
        let held: Vec<String> = test.eval_parts().into_iter().map(|(n, _)| n).collect();
        assert_eq!(held.len(), 3);
        let trained: Vec<String> = train.eval_parts().into_iter().map(|(n, _)| n).collect();
        assert!(held.iter().all(|n| !trained.contains(n)), "{held:?} vs {trained:?}");
        let a = test.eval_samples();
        let b = test.eval_samples();
        assert_eq!(a.len(), b.len());
        assert!(a.iter().zip(&b).all(|(x, y)| x.label == y.label && x.input == y.input), "the held-out set is fixed");
    }

    #[test]
    fn samples_are_inked_and_vary() {
        let src = DrawingSource::with_habits(Split::Train);
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let samples: Vec<_> = (0..40).map(|_| src.sample(&mut rng)).collect();
        assert!(samples.iter().all(|s| s.input.iter().filter(|&&v| v > 0.5).count() > 10));
        let first = &samples[0].input;
        assert!(samples.iter().skip(1).any(|s| &s.input != first));
    }

    #[test]
    fn specks_land_near_the_ink_and_jpeg_keeps_the_size() {
        // An L from (20, 20) down to (20, 35) and across to (35, 35): the top right is empty.
        let mut img = InkImage::new(56, 56);
        for k in 20..36 {
            for w in 0..2 {
                img.data[k * 56 + 20 + w] = 1.0;
                img.data[(34 + w) * 56 + k] = 1.0;
            }
        }
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let before = img.clone();
        specks_near_ink(&mut img, 4.2, SPECK_RADIUS, &mut rng);
        let changed: Vec<usize> = (0..56 * 56).filter(|&i| img.data[i] != before.data[i]).collect();
        assert!(!changed.is_empty());
        assert!(changed.iter().all(|&i| (14..42).contains(&(i % 56)) && (14..42).contains(&(i / 56))), "near the ink");
        let j = jpeg_ink(&img, 40);
        assert_eq!((j.width, j.height), (56, 56));
        assert!(j.data[28 * 56 + 20] > 0.8 && j.data[2 * 56 + 2] < 0.2, "ink stays ink, paper stays paper: {} {}", j.data[28 * 56 + 20], j.data[2 * 56 + 2]);
    }
}
