//! Connected components of an ink mask (8-neighbour), with each one's area and bounding box: what
//! the speckle removal ([`super::preprocess`]), the crop finder ([`super::picture`]) and the ink's
//! centre for telling small kana from full-size ones all count.

use std::collections::VecDeque;

/// One 8-connected component of an ink mask: its area in pixels and its inclusive bounding box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Component {
    /// Pixels in the component.
    pub area: usize,
    /// Leftmost column.
    pub x0: usize,
    /// Top row.
    pub y0: usize,
    /// Rightmost column.
    pub x1: usize,
    /// Bottom row.
    pub y1: usize,
}

impl Component {
    /// Width of the bounding box in pixels.
    pub fn width(&self) -> usize {
        self.x1 - self.x0 + 1
    }

    /// Height of the bounding box in pixels.
    pub fn height(&self) -> usize {
        self.y1 - self.y0 + 1
    }
}

/// Labels the 8-connected components of `mask` (label 0 = no ink, component `i` has label `i+1`).
/// A mask that is not `w` x `h` has no components.
pub fn components(mask: &[bool], w: usize, h: usize) -> (Vec<u32>, Vec<Component>) {
    let mut labels = vec![0u32; mask.len()];
    let mut comps = Vec::new();
    if w == 0 || h == 0 || w.checked_mul(h) != Some(mask.len()) {
        return (labels, comps);
    }
    let mut queue = VecDeque::new();
    for start in 0..mask.len() {
        if !mask.get(start).copied().unwrap_or(false) || labels.get(start).copied().unwrap_or(1) != 0 {
            continue;
        }
        let label = comps.len() as u32 + 1;
        let (sx, sy) = (start % w, start / w);
        let mut c = Component { area: 0, x0: sx, y0: sy, x1: sx, y1: sy };
        if let Some(l) = labels.get_mut(start) {
            *l = label;
        }
        queue.push_back(start);
        while let Some(i) = queue.pop_front() {
            let (x, y) = (i % w, i / w);
            c.area += 1;
            (c.x0, c.y0, c.x1, c.y1) = (c.x0.min(x), c.y0.min(y), c.x1.max(x), c.y1.max(y));
            for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                    let j = ny * w + nx;
                    if mask.get(j).copied().unwrap_or(false) {
                        if let Some(l) = labels.get_mut(j).filter(|l| **l == 0) {
                            *l = label;
                            queue.push_back(j);
                        }
                    }
                }
            }
        }
        comps.push(c);
    }
    (labels, comps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_labelled_with_their_areas_and_boxes() {
        // Two components in a 5x4 mask: an L of 4 pixels and a diagonal pair (8-neighbours).
        let rows = ["#...#", "#..#.", "##...", "....."];
        let mask: Vec<bool> = rows.iter().flat_map(|r| r.chars().map(|c| c == '#')).collect();
        let (labels, comps) = components(&mask, 5, 4);
        assert_eq!(comps.len(), 2);
        assert_eq!(comps[0], Component { area: 4, x0: 0, y0: 0, x1: 1, y1: 2 });
        assert_eq!(comps[1], Component { area: 2, x0: 3, y0: 0, x1: 4, y1: 1 });
        assert_eq!((comps[0].width(), comps[0].height()), (2, 3));
        assert_eq!(labels.iter().filter(|&&l| l == 2).count(), 2);
        assert_eq!(labels.iter().filter(|&&l| l == 0).count(), 20 - 6);
        assert!(components(&[], 0, 0).1.is_empty());
        assert!(components(&[true; 10], 28, 0).1.is_empty(), "a mask of the wrong size has none");
    }
}
