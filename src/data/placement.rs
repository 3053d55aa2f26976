//! Where a kana sits in its writing box, as people write it.
//!
//! Fonts draw every full-size kana at nearly the size of the box and every small kana (ぁ ゃ っ ァ
//! ッ ...) small and low in it. People do not fill the box: a full-size kana is often written at half
//! its size, centred or high, or off to one side. [`place`] teaches the recognizer that: during
//! training, a full-size kana is sometimes shrunk to [`MIN_SIZE`]–[`MAX_SIZE`] of its size and moved
//! anywhere in the box *except low*, where a small kana sits; small kana keep their fonts' size and
//! place. [`shrink_about_centre`] is the held-out probe of the same thing: a drawing shrunk about
//! its own centre must still read as the full-size kana.

use crate::data::classes;
use crate::ink::Stroke;
use rand::Rng;

/// Chance that a full-size kana of a training sample is written small.
pub const CHANCE: f32 = 0.5;
/// Smallest size of a full-size kana written small, as a fraction of its font size.
pub const MIN_SIZE: f32 = 0.45;
/// Largest such size.
pub const MAX_SIZE: f32 = 0.9;
/// How far below the box centre the centre of a shrunk full-size kana may go, as a fraction of the
/// box, before the sample's random shift: the fonts put the centres of small kana about 0.1 below it
/// (0.04–0.17 for 90% of them), and a full-size kana higher than that is read as full-size.
pub const MAX_DROP: f32 = 0.0;
/// Ink stays this far inside the box's edges after moving.
const EDGE: f32 = 0.03;

/// The bounding box of the strokes' points: `[min_x, min_y, max_x, max_y]`, or `None` without points.
pub fn extent(strokes: &[Stroke]) -> Option<[f32; 4]> {
    let mut points = strokes.iter().flatten().filter(|p| p[0].is_finite() && p[1].is_finite());
    let first = points.next()?;
    Some(points.fold([first[0], first[1], first[0], first[1]], |b, p| [b[0].min(p[0]), b[1].min(p[1]), b[2].max(p[0]), b[3].max(p[1])]))
}

/// The strokes scaled by `factor` about the centre of their bounding box (box units).
pub fn shrink_about_centre(strokes: &[Stroke], factor: f32) -> Vec<Stroke> {
    let Some([x0, y0, x1, y1]) = extent(strokes) else { return strokes.to_vec() };
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    moved(strokes, factor, [cx, cy], [cx, cy])
}

/// Training placement (see the module docs): for a full-size `class`, with chance [`CHANCE`], the
/// strokes shrunk to a random size and moved to a random place that is not low in the box; other
/// classes and the other samples unchanged.
pub fn place(strokes: Vec<Stroke>, class: usize, rng: &mut impl Rng) -> Vec<Stroke> {
    let full_size = classes::get(class).is_some_and(|c| !c.is_small());
    if !full_size || rng.random::<f32>() >= CHANCE {
        return strokes;
    }
    let Some([x0, y0, x1, y1]) = extent(&strokes) else { return strokes };
    let factor = rng.random_range(MIN_SIZE..=MAX_SIZE);
    let (half_w, half_h) = ((x1 - x0) * factor / 2.0, (y1 - y0) * factor / 2.0);
    let span = |half: f32, hi: f32| {
        let lo = EDGE + half;
        (lo, hi.max(lo))
    };
    let (x_lo, x_hi) = span(half_w, 1.0 - EDGE - half_w);
    let (y_lo, y_hi) = span(half_h, (0.5 + MAX_DROP).min(1.0 - EDGE - half_h));
    let to = [rng.random_range(x_lo..=x_hi), rng.random_range(y_lo..=y_hi)];
    moved(&strokes, factor, [(x0 + x1) / 2.0, (y0 + y1) / 2.0], to)
}

/// The strokes scaled by `factor` about `from`, which moves to `to`.
fn moved(strokes: &[Stroke], factor: f32, from: [f32; 2], to: [f32; 2]) -> Vec<Stroke> {
    strokes.iter().map(|s| s.iter().map(|p| [to[0] + (p[0] - from[0]) * factor, to[1] + (p[1] - from[1]) * factor]).collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn square() -> Vec<Stroke> {
        vec![vec![[0.1, 0.1], [0.9, 0.1], [0.9, 0.9]], vec![[0.1, 0.9]]]
    }

    #[test]
    fn shrinking_keeps_the_centre() {
        let s = shrink_about_centre(&square(), 0.5);
        let e = extent(&s).unwrap();
        for (a, b) in e.iter().zip([0.3, 0.3, 0.7, 0.7]) {
            assert!((a - b).abs() < 1e-6, "{e:?}");
        }
        assert_eq!(shrink_about_centre(&[], 0.5), Vec::<Stroke>::new());
    }

    #[test]
    fn small_kana_stay_and_full_size_kana_are_never_placed_low() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let small = classes::index_of('ゃ').unwrap();
        let full = classes::index_of('や').unwrap();
        for _ in 0..50 {
            assert_eq!(place(square(), small, &mut rng), square());
        }
        let (mut moved_count, mut smallest) = (0, 1.0f32);
        for _ in 0..400 {
            let s = place(square(), full, &mut rng);
            let e = extent(&s).unwrap();
            let size = (e[2] - e[0]) / 0.8;
            assert!((MIN_SIZE - 1e-4..=1.0 + 1e-4).contains(&size), "{size}");
            assert!(e[0] >= EDGE - 1e-4 && e[2] <= 1.0 - EDGE + 1e-4 && e[1] >= EDGE - 1e-4, "{e:?}");
            assert!((e[1] + e[3]) / 2.0 <= 0.5 + MAX_DROP + 1e-4, "a full-size kana placed low: {e:?}");
            if s != square() {
                moved_count += 1;
                smallest = smallest.min(size);
            }
        }
        assert!((160..240).contains(&moved_count), "{moved_count} of 400 placed");
        assert!(smallest < 0.5, "{smallest}");
    }
}
