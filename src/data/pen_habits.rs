//! Stroke-level changes real writers make, applied to traced glyph strokes before they are drawn:
//! loose joins (a stroke broken at a corner where the pen lifts, or two strokes joined by a faint
//! connecting line), overshoots and short ends, uneven and thin pens, and short strokes written as
//! dots. Used by the `pens` source ([`super::pens`]) and by the training split of `scans`.

use super::augment::gauss;
use crate::ink::Stroke;
use rand::Rng;

/// One stroke as written: its points (box units, 0..1) and its pen width as a factor of the
/// writing's base pen.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenStroke {
    /// Points in box units.
    pub points: Stroke,
    /// Pen width relative to the base pen of the writing.
    pub width: f32,
}

/// Strokes shorter than this (box units) are short marks: ticks of a dakuten, dots.
const SHORT_STROKE: f32 = 0.1;
/// A turn sharper than this (radians) is a corner where the pen may lift.
const CORNER: f32 = 0.9;

/// The strokes as a real writer might write them (see the module docs). Every change is random;
/// the character stays the same letter: no stroke is dropped or moved far.
pub fn as_written(strokes: &[Stroke], rng: &mut impl Rng) -> Vec<WrittenStroke> {
    let mut out = Vec::with_capacity(strokes.len() + 2);
    for stroke in strokes {
        let width = rng.random_range(0.7f32..1.3);
        let length = length(stroke);
        if length < SHORT_STROKE && rng.random::<f32>() < 0.45 {
            out.push(WrittenStroke { points: vec![centre(stroke)], width: width * rng.random_range(1.0f32..1.5) });
            continue;
        }
        let mut points = stroke.clone();
        for at_start in [true, false] {
            if rng.random::<f32>() < 0.4 {
                stretch_end(&mut points, at_start, rng.random_range(-0.1f32..0.18) * length.min(0.5));
            }
        }
        for piece in lift_at_corners(&points, rng) {
            out.push(WrittenStroke { points: piece, width: width * rng.random_range(0.85f32..1.15) });
        }
    }
    join_some(&mut out, rng);
    out
}

/// Total polyline length.
fn length(s: &[[f32; 2]]) -> f32 {
    s.windows(2).map(|w| if let [a, b] = w { (b[0] - a[0]).hypot(b[1] - a[1]) } else { 0.0 }).sum()
}

/// The mean point (a short stroke collapsed to a dot).
fn centre(s: &[[f32; 2]]) -> [f32; 2] {
    let n = s.len().max(1) as f32;
    let (x, y) = s.iter().fold((0.0, 0.0), |(x, y), p| (x + p[0], y + p[1]));
    [x / n, y / n]
}

/// Moves the first (or last) point along the stroke's direction there by `by` (negative: the
/// stroke stops short), keeping at least a little of the end segment.
fn stretch_end(points: &mut [[f32; 2]], at_start: bool, by: f32) {
    let n = points.len();
    if n < 2 {
        return;
    }
    let (end, inner) = if at_start { (0, 1) } else { (n - 1, n - 2) };
    let (Some(&e), Some(&i)) = (points.get(end), points.get(inner)) else {
        return;
    };
    let (dx, dy) = (e[0] - i[0], e[1] - i[1]);
    let seg = dx.hypot(dy);
    if seg < 1e-4 {
        return;
    }
    let by = by.max(-0.6 * seg);
    if let Some(p) = points.get_mut(end) {
        *p = [e[0] + dx / seg * by, e[1] + dy / seg * by];
    }
}

/// Splits a stroke at some of its sharp corners: the pen lifts there and comes down again a
/// little off (a gap or an overlap).
fn lift_at_corners(points: &[[f32; 2]], rng: &mut impl Rng) -> Vec<Stroke> {
    let mut pieces = Vec::new();
    let mut current: Stroke = Vec::with_capacity(points.len());
    for (k, &p) in points.iter().enumerate() {
        current.push(p);
        let (Some(&a), Some(&b)) = (k.checked_sub(1).and_then(|j| points.get(j)), points.get(k + 1)) else {
            continue;
        };
        let turn = angle_between([p[0] - a[0], p[1] - a[1]], [b[0] - p[0], b[1] - p[1]]);
        if turn > CORNER && rng.random::<f32>() < 0.35 {
            pieces.push(std::mem::take(&mut current));
            let off = rng.random_range(0.01f32..0.035);
            current.push([p[0] + off * gauss(rng).clamp(-2.0, 2.0), p[1] + off * gauss(rng).clamp(-2.0, 2.0)]);
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// The unsigned angle between two directions (0 when either is a point).
fn angle_between(u: [f32; 2], v: [f32; 2]) -> f32 {
    let (nu, nv) = (u[0].hypot(u[1]), v[0].hypot(v[1]));
    if nu < 1e-5 || nv < 1e-5 {
        return 0.0;
    }
    ((u[0] * v[0] + u[1] * v[1]) / (nu * nv)).clamp(-1.0, 1.0).acos()
}

/// Sometimes joins a stroke's end to the next stroke's start with a faint, thin line, as a fast
/// writer's pen does when it does not quite lift (only for starts close by).
fn join_some(strokes: &mut Vec<WrittenStroke>, rng: &mut impl Rng) {
    let mut joins = Vec::new();
    for (k, pair) in strokes.windows(2).enumerate() {
        let [a, b] = pair else { continue };
        let (Some(&end), Some(&start)) = (a.points.last(), b.points.first()) else { continue };
        let gap = (start[0] - end[0]).hypot(start[1] - end[1]);
        if (0.03..0.25).contains(&gap) && rng.random::<f32>() < 0.12 {
            joins.push((k + 1, WrittenStroke { points: vec![end, start], width: rng.random_range(0.35f32..0.6) }));
        }
    }
    for (shift, (at, join)) in joins.into_iter().enumerate() {
        strokes.insert(at + shift, join);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn l_shape() -> Vec<Stroke> {
        vec![vec![[0.2, 0.2], [0.2, 0.8], [0.8, 0.8]], vec![[0.7, 0.1], [0.75, 0.15]]]
    }

    #[test]
    fn changes_vary_with_the_seed_and_keep_the_ink_near_the_letter() {
        let mut seen = std::collections::HashSet::new();
        for seed in 0..200 {
            let written = as_written(&l_shape(), &mut ChaCha8Rng::seed_from_u64(seed));
            assert!(!written.is_empty());
            for s in &written {
                assert!(s.width > 0.3 && s.width < 2.0, "width {}", s.width);
                assert!(s.points.iter().all(|p| p[0] > 0.05 && p[0] < 0.95 && p[1] > 0.0 && p[1] < 0.95), "{:?}", s.points);
            }
            seen.insert(written.len());
        }
        assert!(seen.len() >= 3, "lifts, dots and joins change the stroke count: {seen:?}");
    }

    #[test]
    fn each_habit_happens_sometimes() {
        let (mut dots, mut lifts, mut joins) = (0, 0, 0);
        for seed in 0..400 {
            let written = as_written(&l_shape(), &mut ChaCha8Rng::seed_from_u64(seed));
            dots += written.iter().filter(|s| s.points.len() == 1).count();
            lifts += usize::from(written.iter().filter(|s| s.points.len() >= 2 && s.width >= 0.6).count() > 2);
            joins += written.iter().filter(|s| s.width < 0.6).count();
        }
        assert!(dots > 100 && dots < 300, "the short tick becomes a dot about 45% of the time: {dots}");
        assert!(lifts > 40, "the corner lifts about a third of the time: {lifts}");
        assert!(joins > 5, "a few strokes are joined: {joins}");
    }

    #[test]
    fn ends_stretch_along_the_stroke() {
        let mut s = vec![[0.0, 0.0], [1.0, 0.0]];
        stretch_end(&mut s, false, 0.1);
        assert!((s[1][0] - 1.1).abs() < 1e-6 && s[1][1] == 0.0);
        stretch_end(&mut s, true, -5.0);
        assert!(s[0][0] > 0.0 && s[0][0] < 1.1, "a short end keeps part of its segment: {s:?}");
        let mut dot = vec![[0.5, 0.5]];
        stretch_end(&mut dot, true, 0.1);
        assert_eq!(dot, vec![[0.5, 0.5]]);
    }
}
