//! Stroke rasterization with tiny-skia: the one code path used by the canvas, `predict` on drawing
//! files, and the synthetic drawings used for training.

use super::{Drawing, InkImage, Stroke};
use tiny_skia::{FillRule, LineCap, LineJoin, Mask, PathBuilder, Transform};

/// Side of the square raster that strokes and glyphs are drawn into before preprocessing (twice
/// the model input, so anti-aliasing survives the downsampling).
pub const RASTER_SIDE: u32 = 56;

/// Pen width of the model's raster, as a fraction of the writing box side. The on-screen pen
/// width is cosmetic; the model always sees this width.
pub const MODEL_PEN_WIDTH: f32 = 0.075;

/// Maps canvas pixels into a square box of `side` raster pixels: the canvas is centred in a square
/// whose side is the canvas's longer side (the writing box).
pub fn canvas_to_box(width: f32, height: f32, side: u32) -> Transform {
    let long = width.max(height).max(1e-3);
    let s = side as f32 / long;
    Transform::from_row(s, 0.0, 0.0, s, (long - width) * 0.5 * s, (long - height) * 0.5 * s)
}

/// A smoothed path through the points: quadratic segments through the midpoints (the usual ink
/// smoothing), a plain line for two points.
pub fn smooth_path(points: &[[f32; 2]]) -> Option<tiny_skia::Path> {
    let (first, rest) = points.split_first()?;
    let mut pb = PathBuilder::new();
    pb.move_to(first[0], first[1]);
    match rest {
        [] => pb.line_to(first[0], first[1]),
        [last] => pb.line_to(last[0], last[1]),
        _ => {
            for w in rest.windows(2) {
                if let [a, b] = w {
                    pb.quad_to(a[0], a[1], (a[0] + b[0]) * 0.5, (a[1] + b[1]) * 0.5);
                }
            }
            if let Some(last) = rest.last() {
                pb.line_to(last[0], last[1]);
            }
        }
    }
    pb.finish()
}

/// The curve of [`smooth_path`] flattened to points (`steps` per quadratic segment), for
/// painting strokes on screen exactly as the rasterizer draws them.
pub fn smooth_polyline(points: &[[f32; 2]], steps: usize) -> Vec<[f32; 2]> {
    let Some((first, rest)) = points.split_first() else {
        return Vec::new();
    };
    let mut out = vec![*first];
    if rest.len() < 2 {
        out.extend_from_slice(rest);
        return out;
    }
    let steps = steps.max(1);
    let mut start = *first;
    for w in rest.windows(2) {
        if let [a, b] = w {
            let end = [(a[0] + b[0]) * 0.5, (a[1] + b[1]) * 0.5];
            for i in 1..=steps {
                let t = i as f32 / steps as f32;
                let u = 1.0 - t;
                out.push([
                    u * u * start[0] + 2.0 * u * t * a[0] + t * t * end[0],
                    u * u * start[1] + 2.0 * u * t * a[1] + t * t * end[1],
                ]);
            }
            start = end;
        }
    }
    if let Some(last) = rest.last() {
        out.push(*last);
    }
    out
}

/// Draws strokes (already in raster pixels) into `mask` with a round pen of `pen_px` pixels.
pub fn draw_strokes(mask: &mut Mask, strokes: &[Stroke], pen_px: f32, transform: Transform) {
    let pen = tiny_skia::Stroke {
        width: pen_px.max(0.5),
        line_cap: LineCap::Round,
        line_join: LineJoin::Round,
        ..Default::default()
    };
    for stroke in strokes {
        let degenerate = stroke.windows(2).all(|w| match w {
            [a, b] => (a[0] - b[0]).abs() < 1e-3 && (a[1] - b[1]).abs() < 1e-3,
            _ => true,
        });
        let outline = if degenerate {
            // A dot: a filled disc (tiny-skia draws nothing for a zero-length stroke).
            stroke.first().and_then(|p| {
                let mut tp = tiny_skia::Point::from_xy(p[0], p[1]);
                transform.map_point(&mut tp);
                PathBuilder::from_circle(tp.x, tp.y, pen.width * 0.5)
            })
        } else {
            smooth_path(stroke)
                .and_then(|p| p.transform(transform))
                .and_then(|p| p.stroke(&pen, 1.0))
        };
        if let Some(path) = outline {
            mask.fill_path(&path, FillRule::Winding, true, Transform::identity());
        }
    }
}

/// Rasterizes a drawing into a `side` x `side` image of its writing box, ink bright on black,
/// with a pen `pen_width` wide (fraction of the box side).
pub fn rasterize(drawing: &Drawing, side: u32, pen_width: f32) -> InkImage {
    let side = side.max(1);
    let Some(mut mask) = Mask::new(side, side) else {
        return InkImage::new(side as usize, side as usize);
    };
    let t = canvas_to_box(drawing.width, drawing.height, side);
    draw_strokes(&mut mask, &drawing.strokes, pen_width * side as f32, t);
    mask_to_image(&mask)
}

/// Converts a tiny-skia mask to an [`InkImage`].
pub fn mask_to_image(mask: &Mask) -> InkImage {
    InkImage {
        width: mask.width() as usize,
        height: mask.height() as usize,
        data: mask.data().iter().map(|&a| f32::from(a) / 255.0).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ink_sum(img: &InkImage) -> f32 {
        img.data.iter().sum()
    }

    #[test]
    fn line_is_drawn_where_it_should_be() {
        let mut d = Drawing::new(100.0, 100.0);
        d.strokes.push(vec![[10.0, 50.0], [90.0, 50.0]]);
        let img = rasterize(&d, 56, 0.1);
        assert!(img.get(28, 28) > 0.9);
        assert!(img.get(28, 5) < 0.01);
        assert!(img.get(1, 28) < 0.01, "round cap stays near the end point");
    }

    #[test]
    fn dots_and_wide_canvases() {
        let mut d = Drawing::new(200.0, 100.0);
        d.strokes.push(vec![[100.0, 50.0]]);
        let img = rasterize(&d, 56, 0.1);
        assert!(img.get(28, 28) > 0.9, "a single point is a dot at the centre");
        // The canvas is centred in its square box: the top quarter stays empty.
        assert!(img.data[..56 * 13].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn polyline_follows_the_smoothed_path() {
        assert!(smooth_polyline(&[], 4).is_empty());
        assert_eq!(smooth_polyline(&[[1.0, 2.0]], 4), vec![[1.0, 2.0]]);
        let pts = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]];
        let line = smooth_polyline(&pts, 4);
        assert_eq!(line.first(), Some(&[0.0, 0.0]));
        assert_eq!(line.last(), Some(&[10.0, 10.0]));
        // The corner is rounded off: the curve passes inside it, through the midpoint (10, 5).
        assert!(line.contains(&[10.0, 5.0]));
        assert!(line.iter().all(|p| !(p[0] == 10.0 && p[1] == 0.0)));
    }

    #[test]
    fn pen_width_scales_ink() {
        let mut d = Drawing::new(100.0, 100.0);
        d.strokes.push(vec![[20.0, 20.0], [50.0, 80.0], [80.0, 20.0]]);
        let thin = ink_sum(&rasterize(&d, 56, 0.04));
        let thick = ink_sum(&rasterize(&d, 56, 0.12));
        assert!(thick > 2.0 * thin);
    }
}
