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

/// Segments stroked and filled as one path. tiny-skia's filler slows down with the square of the
/// edges that cross one scanline, and a long self-crossing stroke has them all on every scanline;
/// filled in chunks of this many segments, the cost stays linear in the points. Each chunk ends
/// in a round cap where the next begins with one, so the union of the chunks is the stroke's
/// outline (strokes this short or shorter are drawn exactly as one path).
pub const SEGMENTS_PER_FILL: usize = 64;

/// Mapped points are clamped to this distance (raster pixels) around the raster: far enough
/// out that a clamped stroke looks the same inside it, near enough that tiny-skia's fixed-point
/// arithmetic never overflows (a point at -1e12 made it panic).
pub const MAX_RASTER_COORD: f32 = 1.0e5;

/// Draws strokes (canvas coordinates, mapped by `transform`) into `mask` with a round pen of
/// `pen_px` raster pixels. Costs time linear in the points (see [`SEGMENTS_PER_FILL`]); any
/// finite coordinates are safe (see [`MAX_RASTER_COORD`]).
pub fn draw_strokes(mask: &mut Mask, strokes: &[Stroke], pen_px: f32, transform: Transform) {
    let pen = tiny_skia::Stroke {
        width: pen_px.max(0.5),
        line_cap: LineCap::Round,
        line_join: LineJoin::Round,
        ..Default::default()
    };
    let map = |p: &[f32; 2]| {
        let mut tp = tiny_skia::Point::from_xy(p[0], p[1]);
        transform.map_point(&mut tp);
        let c = |v: f32| if v.is_finite() { v.clamp(-MAX_RASTER_COORD, MAX_RASTER_COORD) } else { 0.0 };
        [c(tp.x), c(tp.y)]
    };
    for stroke in strokes {
        let degenerate = stroke.windows(2).all(|w| match w {
            [a, b] => (a[0] - b[0]).abs() < 1e-3 && (a[1] - b[1]).abs() < 1e-3,
            _ => true,
        });
        if degenerate {
            // A dot: a filled disc (tiny-skia draws nothing for a zero-length stroke).
            if let Some(disc) = stroke.first().map(map).and_then(|p| PathBuilder::from_circle(p[0], p[1], pen.width * 0.5)) {
                mask.fill_path(&disc, FillRule::Winding, true, Transform::identity());
            }
            continue;
        }
        let mapped: Vec<[f32; 2]> = stroke.iter().map(map).collect();
        match smooth_chunks(&mapped, SEGMENTS_PER_FILL).as_slice() {
            [one] => fill_stroke(mask, one, &pen),
            chunks => draw_chunked(mask, chunks, &pen),
        }
    }
}

fn fill_stroke(mask: &mut Mask, path: &tiny_skia::Path, pen: &tiny_skia::Stroke) {
    if let Some(outline) = path.stroke(pen, 1.0) {
        mask.fill_path(&outline, FillRule::Winding, true, Transform::identity());
    }
}

/// Draws the chunks of one stroke: each into a scratch mask, merged by maximum (the coverage of
/// their union, with no seams where chunks meet), then the stroke onto `mask` as a single stroke
/// would be (coverage added over what is there).
fn draw_chunked(mask: &mut Mask, chunks: &[tiny_skia::Path], pen: &tiny_skia::Stroke) {
    let (Some(mut stroke), Some(mut piece)) = (Mask::new(mask.width(), mask.height()), Mask::new(mask.width(), mask.height())) else {
        return;
    };
    for chunk in chunks {
        piece.data_mut().fill(0);
        fill_stroke(&mut piece, chunk, pen);
        for (s, p) in stroke.data_mut().iter_mut().zip(piece.data()) {
            *s = (*s).max(*p);
        }
    }
    for (m, s) in mask.data_mut().iter_mut().zip(stroke.data()) {
        let (a, b) = (u16::from(*m), u16::from(*s));
        *m = u8::try_from(a + b - (a * b + 127) / 255).unwrap_or(u8::MAX);
    }
}

/// The path of [`smooth_path`] cut into pieces of at most `per_path` segments, each starting
/// where the one before ends.
fn smooth_chunks(points: &[[f32; 2]], per_path: usize) -> Vec<tiny_skia::Path> {
    let per_path = per_path.max(1);
    let Some((first, rest)) = points.split_first() else {
        return Vec::new();
    };
    // Each segment: its control point (None for a line) and its end.
    let mut segments: Vec<(Option<[f32; 2]>, [f32; 2])> = Vec::with_capacity(rest.len());
    match rest {
        [] => segments.push((None, *first)),
        [last] => segments.push((None, *last)),
        _ => {
            for w in rest.windows(2) {
                if let [a, b] = w {
                    segments.push((Some(*a), [(a[0] + b[0]) * 0.5, (a[1] + b[1]) * 0.5]));
                }
            }
            if let Some(last) = rest.last() {
                segments.push((None, *last));
            }
        }
    }
    let mut paths = Vec::with_capacity(segments.len().div_ceil(per_path));
    let mut start = *first;
    for chunk in segments.chunks(per_path) {
        let mut pb = PathBuilder::new();
        pb.move_to(start[0], start[1]);
        for (ctrl, end) in chunk {
            match ctrl {
                Some(c) => pb.quad_to(c[0], c[1], end[0], end[1]),
                None => pb.line_to(end[0], end[1]),
            }
            start = *end;
        }
        paths.extend(pb.finish());
    }
    paths
}

/// The one path from a drawing to the model input: rasterized in its writing box with the model's
/// pen ([`MODEL_PEN_WIDTH`]) at [`RASTER_SIDE`], then [`crate::ink::model_input`]. The app, the
/// CLI, the benches and the fuzzer all read drawings through it.
pub fn drawing_input(drawing: &Drawing) -> crate::ink::ModelInput {
    crate::ink::model_input(&rasterize(drawing, RASTER_SIDE, MODEL_PEN_WIDTH))
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

    /// A stroke zigzagging between the top and bottom edges `n` times, drifting across: every
    /// scanline crosses every segment, the worst case for a scanline filler.
    fn zigzag(n: usize) -> Stroke {
        (0..n)
            .map(|i| {
                let t = i as f32 / n as f32;
                if i % 2 == 0 { [1.0 + 98.0 * t, 1.0] } else { [99.0 - 98.0 * t, 99.0] }
            })
            .collect()
    }

    #[test]
    fn hostile_coordinates_do_not_panic() {
        // Regression (issue 12): one coordinate at -1e12 made tiny-skia panic in alpha_runs.rs.
        for far in [-1e12f32, 1e12, -3.4e38, 3.4e38, -1e9] {
            let mut d = Drawing::new(100.0, 100.0);
            d.strokes.push(vec![[10.0, 10.0], [far, 50.0], [90.0, 90.0]]);
            d.strokes.push(vec![[far, far]]);
            d.strokes.push(vec![[50.0, 50.0], [50.0, far]]);
            let img = rasterize(&d, 56, 0.1);
            assert!(img.data.iter().all(|v| v.is_finite()));
        }
        let mut d = Drawing::new(100.0, 100.0);
        d.strokes.push(vec![[f32::NAN, 1.0], [f32::INFINITY, 2.0], [3.0, 4.0]]);
        let _ = rasterize(&d, 56, 0.1);
    }

    #[test]
    fn chunked_strokes_draw_what_one_path_draws() {
        let stroke: Stroke = (0..300).map(|i| {
            let t = i as f32 / 300.0 * 12.0;
            [50.0 + 40.0 * t.cos() * (t / 12.0), 50.0 + 40.0 * t.sin() * (t / 12.0)]
        }).collect();
        let mut d = Drawing::new(100.0, 100.0);
        d.strokes.push(stroke.clone());
        let chunked = rasterize(&d, 56, 0.075);
        // The same stroke as one path, the way it was drawn before chunking.
        let mut mask = Mask::new(56, 56).unwrap();
        let pen = tiny_skia::Stroke { width: 0.075 * 56.0, line_cap: LineCap::Round, line_join: LineJoin::Round, ..Default::default() };
        let one = smooth_path(&stroke).unwrap().transform(canvas_to_box(100.0, 100.0, 56)).unwrap().stroke(&pen, 1.0).unwrap();
        mask.fill_path(&one, FillRule::Winding, true, Transform::identity());
        let whole = mask_to_image(&mask);
        // Merged by maximum, the chunks cover what the one path covers, up to anti-aliasing.
        let differing = chunked.data.iter().zip(&whole.data).filter(|(a, b)| (*a - *b).abs() > 0.1).count();
        let worst = chunked.data.iter().zip(&whole.data).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(differing <= 12 && worst < 0.35, "{differing} pixels differ, by up to {worst}");
        let (a, b) = (ink_sum(&chunked), ink_sum(&whole));
        assert!((a - b).abs() < 0.01 * b, "ink {a} vs {b}");
    }

    #[test]
    fn a_long_zigzag_is_drawn() {
        // Regression (issue 12): a long self-crossing stroke took time quadratic in its points.
        // The time is printed by `zigzag_timing`; here, that chunking draws the same ink.
        let stroke = zigzag(5_000);
        let mut d = Drawing::new(100.0, 100.0);
        d.strokes.push(stroke.clone());
        assert!(d.validate().is_ok());
        let chunked = rasterize(&d, 56, 0.075);
        let mut mask = Mask::new(56, 56).unwrap();
        let pen = tiny_skia::Stroke { width: 0.075 * 56.0, line_cap: LineCap::Round, line_join: LineJoin::Round, ..Default::default() };
        let one = smooth_path(&stroke).unwrap().transform(canvas_to_box(100.0, 100.0, 56)).unwrap().stroke(&pen, 1.0).unwrap();
        mask.fill_path(&one, FillRule::Winding, true, Transform::identity());
        let (a, b) = (ink_sum(&chunked), ink_sum(&mask_to_image(&mask)));
        assert!(b > 500.0 && (a - b).abs() < 0.01 * b, "ink {a} vs {b}");
    }

    /// Prints rasterizing time against points, chunked (as drawn) and as one path (as before):
    /// `cargo test --release --lib zigzag_timing -- --ignored --nocapture`.
    #[test]
    #[ignore = "a printed measurement, not a check"]
    fn zigzag_timing() {
        let pen = tiny_skia::Stroke { width: 4.2, line_cap: LineCap::Round, line_join: LineJoin::Round, ..Default::default() };
        let t = canvas_to_box(100.0, 100.0, 56);
        for n in [10_000usize, 30_000, 100_000, 300_000, 1_000_000] {
            let stroke = zigzag(n);
            let mut mask = Mask::new(56, 56).unwrap();
            let start = std::time::Instant::now();
            draw_strokes(&mut mask, std::slice::from_ref(&stroke), 4.2, t);
            let chunked = start.elapsed().as_secs_f64();
            let one = if n <= 30_000 {
                let start = std::time::Instant::now();
                let path = smooth_path(&stroke).unwrap().transform(t).unwrap().stroke(&pen, 1.0).unwrap();
                mask.fill_path(&path, FillRule::Winding, true, Transform::identity());
                format!("{:.3} s", start.elapsed().as_secs_f64())
            } else {
                "(skipped)".into()
            };
            println!("zigzag {n:>9} points: chunked {chunked:.3} s ({:.2} us/point), one path {one}", chunked * 1e6 / n as f64);
        }
    }
}
