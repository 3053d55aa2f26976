//! The geometry of a line of kana: each stroke's extent, the line's writing box (a square of the
//! line's height that every character is read in, so small kana stay small and low), a late
//! dakuten moved back beside its letter, and the model input of a group of strokes.

use crate::ink::{Drawing, ModelInput, Stroke};

/// How much of the writing box a full-size character's ink fills, top to bottom (the fonts the
/// recognizer learned from fill about this much of their em box).
pub const BAND_FILL: f32 = 0.85;

/// A stroke counts as a dakuten-like mark when its extent is under this fraction of the box.
pub const SMALL_MARK: f32 = 0.3;

/// An axis-aligned extent in canvas pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extent {
    /// Left edge.
    pub x0: f32,
    /// Right edge.
    pub x1: f32,
    /// Top edge.
    pub y0: f32,
    /// Bottom edge.
    pub y1: f32,
}

impl Extent {
    /// The extent of the points (`None` for none).
    pub fn of(points: &[[f32; 2]]) -> Option<Self> {
        let mut it = points.iter().filter(|p| p[0].is_finite() && p[1].is_finite());
        let first = it.next()?;
        let mut e = Extent { x0: first[0], x1: first[0], y0: first[1], y1: first[1] };
        for p in it {
            e = e.union(&Extent { x0: p[0], x1: p[0], y0: p[1], y1: p[1] });
        }
        Some(e)
    }

    /// The smallest extent holding both.
    pub fn union(&self, o: &Extent) -> Extent {
        Extent { x0: self.x0.min(o.x0), x1: self.x1.max(o.x1), y0: self.y0.min(o.y0), y1: self.y1.max(o.y1) }
    }

    /// Width.
    pub fn width(&self) -> f32 {
        self.x1 - self.x0
    }

    /// Height.
    pub fn height(&self) -> f32 {
        self.y1 - self.y0
    }

    /// Horizontal centre.
    pub fn cx(&self) -> f32 {
        (self.x0 + self.x1) * 0.5
    }

    /// Vertical centre.
    pub fn cy(&self) -> f32 {
        (self.y0 + self.y1) * 0.5
    }
}

/// A line's strokes with their extents and writing box.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The strokes in reading order (see [`reading_order`]), as indices into the drawing.
    pub order: Vec<usize>,
    /// Each drawing stroke's extent (by drawing index).
    pub extents: Vec<Extent>,
    /// Side of the writing box, in canvas pixels.
    pub side: f32,
    /// Top of the writing box.
    pub top: f32,
}

impl Layout {
    /// The layout of a drawing's strokes; `None` when it has no ink.
    pub fn new(strokes: &[Stroke]) -> Option<Self> {
        Self::with_fill(strokes, BAND_FILL)
    }

    /// [`Self::new`] with the box side set to the line's ink height over `fill`.
    pub fn with_fill(strokes: &[Stroke], fill: f32) -> Option<Self> {
        let extents: Vec<Extent> = strokes.iter().map(|s| Extent::of(s)).collect::<Option<_>>()?;
        let band = extents.iter().copied().reduce(|a, b| a.union(&b))?;
        // (A flat line, へ alone, gets a flat box; groups wider than the box get one of their
        // width, see `input`.)
        let side = (band.height() / fill.clamp(0.3, 1.5)).max(1e-3);
        let top = band.cy() - side * 0.5;
        let mut layout = Layout { order: (0..strokes.len()).collect(), extents, side, top };
        layout.order = reading_order(&layout);
        Some(layout)
    }

    /// The extent of a group of strokes (drawing indices).
    pub fn extent(&self, group: &[usize]) -> Option<Extent> {
        group.iter().filter_map(|&i| self.extents.get(i).copied()).reduce(|a, b| a.union(&b))
    }

    /// The widest horizontal gap inside a group: between the x-extents of its strokes, merged
    /// where they overlap (0 when they form one run).
    pub fn inner_gap(&self, group: &[usize]) -> f32 {
        let mut spans: Vec<(f32, f32)> = group.iter().filter_map(|&i| self.extents.get(i)).map(|e| (e.x0, e.x1)).collect();
        spans.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut right = f32::NEG_INFINITY;
        let mut gap = 0.0f32;
        for (x0, x1) in spans {
            if right.is_finite() {
                gap = gap.max(x0 - right);
            }
            right = right.max(x1);
        }
        gap
    }

    /// Whether a stroke is a small mark in the upper half of the box: a dakuten or handakuten.
    pub fn is_high_mark(&self, stroke: usize) -> bool {
        self.extents.get(stroke).is_some_and(|e| {
            e.width().max(e.height()) < SMALL_MARK * self.side && e.cy() < self.top + 0.5 * self.side
        })
    }

    /// The model input of a group of strokes: drawn in a square of the line's height, centred
    /// on the group horizontally (a group wider than that gets a square of its width, centred
    /// on the line, so nothing is cut off), through the one drawing → model-input path.
    pub fn input(&self, strokes: &[Stroke], group: &[usize]) -> Option<ModelInput> {
        let e = self.extent(group)?;
        let side = self.side.max(e.width() * 1.05);
        let left = e.cx() - side * 0.5;
        let top = self.top + (self.side - side) * 0.5;
        let mut box_drawing = Drawing::new(side, side);
        for &i in group {
            let s = strokes.get(i)?;
            box_drawing.strokes.push(s.iter().map(|p| [p[0] - left, p[1] - top]).collect());
        }
        Some(crate::ink::drawing_input(&box_drawing))
    }
}

/// The order strokes are read in: as written, except that a small high mark (a dakuten written
/// after later characters, back at the top right of its letter) moves back to just after the
/// last earlier stroke that starts left of its centre, so a letter's strokes stay together.
pub fn reading_order(layout: &Layout) -> Vec<usize> {
    let mut order: Vec<usize> = Vec::with_capacity(layout.extents.len());
    let x0 = |i: usize| layout.extents.get(i).map_or(f32::NEG_INFINITY, |e| e.x0);
    for k in 0..layout.extents.len() {
        let Some(e) = layout.extents.get(k).copied() else { continue };
        let went_back = order.last().is_some_and(|&prev| x0(prev) > e.cx());
        if !(went_back && layout.is_high_mark(k)) {
            order.push(k);
            continue;
        }
        // After the last stroke that starts left of the mark's centre (or first, if none does).
        let at = order.iter().rposition(|&j| x0(j) <= e.cx()).map_or(0, |p| p + 1);
        order.insert(at, k);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(x: f32, y: f32, w: f32, h: f32) -> Stroke {
        vec![[x, y], [x + w, y + h]]
    }

    #[test]
    fn the_box_is_the_line_height_over_its_fill() {
        let strokes = vec![line(0.0, 10.0, 50.0, 85.0), line(60.0, 60.0, 20.0, 20.0)];
        let l = Layout::new(&strokes).unwrap();
        assert!((l.side - 100.0).abs() < 1e-3, "{}", l.side);
        assert!((l.top - 2.5).abs() < 1e-3, "{}", l.top);
        assert_eq!(l.order, vec![0, 1]);
        assert!(Layout::new(&[]).is_none());
    }

    #[test]
    fn a_late_dakuten_moves_back_to_its_letter() {
        // Letter A (strokes 0, 1) at x 0..80, letter B (2, 3) at x 100..180, then two short
        // marks at A's top right.
        let strokes = vec![
            line(0.0, 20.0, 70.0, 0.0),
            line(30.0, 5.0, 10.0, 85.0),
            line(100.0, 20.0, 80.0, 0.0),
            line(140.0, 5.0, 0.0, 85.0),
            line(72.0, 5.0, 4.0, 10.0),
            line(80.0, 5.0, 4.0, 10.0),
        ];
        let l = Layout::new(&strokes).unwrap();
        assert!(l.is_high_mark(4) && l.is_high_mark(5) && !l.is_high_mark(1));
        assert_eq!(l.order, vec![0, 1, 4, 5, 2, 3]);
        // Written in place, nothing moves.
        let in_place = vec![strokes[0].clone(), strokes[1].clone(), strokes[4].clone(), strokes[5].clone(), strokes[2].clone(), strokes[3].clone()];
        assert_eq!(Layout::new(&in_place).unwrap().order, vec![0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn groups_are_read_in_the_line_box() {
        // A small mark low in the line stays small and low in its input.
        let strokes = vec![line(0.0, 0.0, 60.0, 85.0), line(100.0, 60.0, 20.0, 20.0)];
        let l = Layout::new(&strokes).unwrap();
        let input = l.input(&strokes, &[1]).unwrap();
        let top_half: f32 = input[..14 * 28].iter().sum();
        let bottom_half: f32 = input[14 * 28..].iter().sum();
        assert!(bottom_half > 0.0 && top_half < 0.1 * bottom_half, "{top_half} {bottom_half}");
        let big: f32 = l.input(&strokes, &[0]).unwrap().iter().sum();
        assert!(big > 2.0 * bottom_half);
    }
}
