//! Pen-like strokes from glyph shapes: a glyph is rendered, thinned to a one-pixel skeleton
//! (Zhang–Suen) and traced into polylines. Redrawn with a round pen and jitter, these look like
//! what a person draws with a mouse, which typeset glyphs do not.

use crate::ink::Stroke;
use tiny_skia::{FillRule, Mask, Path, Transform};

/// Resolution at which glyphs are thinned.
const SIDE: usize = 64;

/// Traces a glyph (a path in box units) into strokes in box units (0..1, y down).
pub fn glyph_strokes(glyph: &Path) -> Vec<Stroke> {
    let Some(mut mask) = Mask::new(SIDE as u32, SIDE as u32) else {
        return Vec::new();
    };
    mask.fill_path(glyph, FillRule::Winding, true, Transform::from_scale(SIDE as f32, SIDE as f32));
    let mut on: Vec<bool> = mask.data().iter().map(|&a| a >= 128).collect();
    thin(&mut on, SIDE, SIDE);
    trace(&on, SIDE, SIDE)
        .into_iter()
        .map(|s| simplify(&s, 0.7))
        .map(|s| s.into_iter().map(|[x, y]| [(x + 0.5) / SIDE as f32, (y + 0.5) / SIDE as f32]).collect())
        .collect()
}

fn at(on: &[bool], w: usize, h: usize, x: isize, y: isize) -> bool {
    x >= 0 && y >= 0 && (x as usize) < w && (y as usize) < h && on.get(y as usize * w + x as usize).copied().unwrap_or(false)
}

/// The 8 neighbours P2..P9 clockwise from north, as in Zhang & Suen (1984).
const RING: [(isize, isize); 8] = [(0, -1), (1, -1), (1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1)];

/// Zhang–Suen thinning in place.
pub fn thin(on: &mut [bool], w: usize, h: usize) {
    loop {
        let mut changed = false;
        for pass in 0..2 {
            let mut remove = Vec::new();
            for y in 0..h as isize {
                for x in 0..w as isize {
                    if !at(on, w, h, x, y) {
                        continue;
                    }
                    let p: [bool; 8] = RING.map(|(dx, dy)| at(on, w, h, x + dx, y + dy));
                    let b = p.iter().filter(|&&v| v).count();
                    let a = p.iter().zip(p.iter().cycle().skip(1)).filter(|(u, v)| !**u && **v).count();
                    let (p2, p4, p6, p8) = (p[0], p[2], p[4], p[6]);
                    // Zhang–Suen: not all of p2 p4 p6 and not all of p4 p6 p8 (first pass), and the mirror.
                    let cond = if pass == 0 { !p4 || !p6 || (!p2 && !p8) } else { !p2 || !p8 || (!p4 && !p6) };
                    if (2..=6).contains(&b) && a == 1 && cond {
                        remove.push(y as usize * w + x as usize);
                    }
                }
            }
            for i in &remove {
                if let Some(v) = on.get_mut(*i) {
                    *v = false;
                }
            }
            changed |= !remove.is_empty();
        }
        if !changed {
            break;
        }
    }
}

/// Neighbours of `p`, the four edge-adjacent ones first.
fn neighbours(on: &[bool], w: usize, h: usize, p: usize) -> Vec<usize> {
    let (x, y) = ((p % w) as isize, (p / w) as isize);
    const ORDER: [usize; 8] = [0, 2, 4, 6, 1, 3, 5, 7];
    ORDER
        .iter()
        .filter_map(|&i| RING.get(i))
        .filter(|(dx, dy)| at(on, w, h, x + dx, y + dy))
        .map(|(dx, dy)| (y + dy) as usize * w + (x + dx) as usize)
        .collect()
}

/// Crossing number: the 0→1 transitions around `p` (1 = end point, 2 = line, 3+ = junction).
fn crossings(on: &[bool], w: usize, h: usize, p: usize) -> usize {
    let (x, y) = ((p % w) as isize, (p / w) as isize);
    let ring: [bool; 8] = RING.map(|(dx, dy)| at(on, w, h, x + dx, y + dy));
    ring.iter().zip(ring.iter().cycle().skip(1)).filter(|(u, v)| !**u && **v).count()
}

/// Traces a skeleton into polylines (pixel coordinates) between end points and junctions, plus
/// closed loops. Short spurs ending in an end point are dropped.
fn trace(on: &[bool], w: usize, h: usize) -> Vec<Vec<[f32; 2]>> {
    let pt = |p: usize| [(p % w) as f32, (p / w) as f32];
    let pixels: Vec<usize> = (0..w * h).filter(|&p| on.get(p).copied().unwrap_or(false)).collect();
    let cross: Vec<usize> = (0..w * h).map(|p| if on.get(p).copied().unwrap_or(false) { crossings(on, w, h, p) } else { 0 }).collect();
    let is_node = |p: usize| cross.get(p).is_some_and(|&c| c != 2);
    let is_junction = |p: usize| cross.get(p).is_some_and(|&c| c >= 3);
    let mut visited = vec![false; w * h];
    let mut node_links = std::collections::HashSet::new();
    let mut lines: Vec<(Vec<usize>, bool)> = Vec::new();
    // Walks from `start` through `first` until a node or a dead end.
    let walk = |start: usize, first: usize, visited: &mut Vec<bool>| -> Vec<usize> {
        let mut line = vec![start, first];
        let (mut prev, mut cur) = (start, first);
        while !is_node(cur) {
            if let Some(v) = visited.get_mut(cur) {
                *v = true;
            }
            let next = neighbours(on, w, h, cur)
                .into_iter()
                .find(|&q| q != prev && !line.contains(&q) && (is_node(q) || !visited.get(q).copied().unwrap_or(true)));
            let Some(n) = next else { break };
            line.push(n);
            prev = cur;
            cur = n;
        }
        line
    };
    for &p in pixels.iter().filter(|&&p| is_node(p)) {
        let around = neighbours(on, w, h, p);
        if around.is_empty() {
            // An isolated pixel: a dot (a dakuten tick or a small mark thinned away).
            lines.push((vec![p], false));
        }
        for n in around {
            if is_node(n) {
                if node_links.insert((p.min(n), p.max(n))) {
                    lines.push((vec![p, n], true));
                }
            } else if !visited.get(n).copied().unwrap_or(true) {
                lines.push((walk(p, n, &mut visited), true));
            }
        }
    }
    // Closed loops: nothing on them is a node.
    for &p in &pixels {
        if is_node(p) || visited.get(p).copied().unwrap_or(true) {
            continue;
        }
        if let Some(v) = visited.get_mut(p) {
            *v = true;
        }
        if let Some(n) = neighbours(on, w, h, p).into_iter().next() {
            let mut line = walk(p, n, &mut visited);
            line.push(p);
            lines.push((line, false));
        }
    }
    // Drop spurs: short branches from a junction to a free end (thinning noise). Short pieces
    // standing alone (dakuten ticks) are kept.
    lines
        .into_iter()
        .filter(|(line, from_node)| {
            let junction_ends = line.first().is_some_and(|&a| is_junction(a)) as u8 + line.last().is_some_and(|&b| is_junction(b)) as u8;
            let pts: Vec<[f32; 2]> = line.iter().map(|&p| pt(p)).collect();
            !(*from_node && junction_ends == 1 && length(&pts) < 2.5)
        })
        .map(|(line, _)| line.into_iter().map(pt).collect())
        .collect()
}

fn length(s: &[[f32; 2]]) -> f32 {
    s.windows(2)
        .map(|w| match w {
            [a, b] => ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt(),
            _ => 0.0,
        })
        .sum()
}

/// Ramer–Douglas–Peucker simplification with tolerance `eps`.
fn simplify(s: &[[f32; 2]], eps: f32) -> Vec<[f32; 2]> {
    if s.len() < 3 {
        return s.to_vec();
    }
    let (Some(a), Some(b)) = (s.first(), s.last()) else {
        return s.to_vec();
    };
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len = (dx * dx + dy * dy).sqrt();
    let dist = |p: &[f32; 2]| {
        if len < 1e-6 {
            ((p[0] - a[0]).powi(2) + (p[1] - a[1]).powi(2)).sqrt()
        } else {
            ((p[0] - a[0]) * dy - (p[1] - a[1]) * dx).abs() / len
        }
    };
    let (idx, dmax) = s
        .iter()
        .enumerate()
        .skip(1)
        .take(s.len() - 2)
        .map(|(i, p)| (i, dist(p)))
        .fold((0, 0.0f32), |m, x| if x.1 > m.1 { x } else { m });
    if dmax <= eps || idx == 0 {
        return vec![*a, *b];
    }
    let mut left = simplify(s.get(..=idx).unwrap_or(&[]), eps);
    let right = simplify(s.get(idx..).unwrap_or(&[]), eps);
    left.pop();
    left.extend(right);
    left
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thick_bar_thins_to_one_line() {
        let (w, h) = (30, 12);
        let mut on = vec![false; w * h];
        for y in 3..8 {
            for x in 2..28 {
                on[y * w + x] = true;
            }
        }
        thin(&mut on, w, h);
        for x in 6..24 {
            assert_eq!((0..h).filter(|&y| on[y * w + x]).count(), 1, "column {x}");
        }
        let lines = trace(&on, w, h);
        let long: Vec<_> = lines.iter().filter(|l| length(l) > 10.0).collect();
        assert_eq!(long.len(), 1);
        assert_eq!(simplify(long[0], 0.7).len(), 2, "a straight bar is one segment");
    }

    #[test]
    fn small_marks_survive_as_dots_and_ticks() {
        let (w, h) = (20, 20);
        let mut on = vec![false; w * h];
        on[5 * w + 5] = true; // a lone pixel
        on[10 * w + 10] = true; // a two-pixel tick
        on[11 * w + 11] = true;
        let lines = trace(&on, w, h);
        assert!(lines.iter().any(|l| l.len() == 1 && l[0] == [5.0, 5.0]), "{lines:?}");
        assert!(lines.iter().any(|l| l.len() == 2), "{lines:?}");
    }

    #[test]
    fn a_ring_traces_as_a_closed_loop() {
        let circle = tiny_skia::PathBuilder::from_circle(0.5, 0.5, 0.27).unwrap();
        let pen = tiny_skia::Stroke { width: 0.06, ..Default::default() };
        let ring = circle.stroke(&pen, 1.0).unwrap();
        let strokes = glyph_strokes(&ring);
        let total: f32 = strokes.iter().map(|s| length(s)).sum();
        assert!((total - 2.0 * std::f32::consts::PI * 0.27).abs() < 0.25, "{total}");
    }

    #[test]
    fn glyphs_of_bundled_fonts_trace() {
        let fonts = crate::data::fonts::load_all();
        let f = fonts.first().unwrap();
        let a = f.glyph(crate::data::classes::index_of('い').unwrap()).unwrap();
        let s = glyph_strokes(a);
        assert!(s.len() >= 2, "い has two strokes, traced {}", s.len());
    }
}
