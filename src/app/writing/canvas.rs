//! The writing canvas: a square writing box with guide lines, strokes kept in box-normalized
//! coordinates (0..1, y down, as egui's painting demo does) and an optional imported picture.
//! In line mode the same strokes are drawn on a wide canvas ([`crate::app::writing::line_canvas`]): y is still
//! 0..1 over its height, and x runs over [`InkCanvas::cells`] cells of that height.
//! Undo and redo live in the app's [`crate::app::writing::history`], which covers the text as well: every change
//! of the finished content bumps [`InkCanvas::content_revision`], and [`InkCanvas::restore`] puts
//! an earlier content back.

use crate::ink::raster::smooth_polyline;
use crate::ink::{Drawing, InkImage, Stroke};
use egui::emath::RectTransform;
use egui::{Color32, Pos2, Rect, Sense, Shape, Stroke as LineStyle, TextureHandle, Vec2};
use std::sync::Arc;

/// Side, in drawing units, of the drawings the canvas saves (the writing box's side).
pub const SAVED_SIDE: f32 = 400.0;

/// Smallest pointer movement, as a fraction of the box side, that adds a point to a stroke.
const MIN_STEP: f32 = 0.002;

/// What the canvas holds: strokes, or a picture imported from a file.
#[derive(Clone, Default)]
pub struct CanvasContent {
    /// Finished strokes, box-normalized.
    pub strokes: Vec<Stroke>,
    /// An imported picture of a character (shown instead of strokes until cleared or drawn over).
    pub picture: Option<Arc<InkImage>>,
}

impl CanvasContent {
    /// True when there is nothing to recognise.
    pub fn is_empty(&self) -> bool {
        self.strokes.is_empty() && self.picture.is_none()
    }
}

/// The canvas state and its history.
#[derive(Default)]
pub struct InkCanvas {
    content: CanvasContent,
    /// The stroke being drawn, box-normalized.
    current: Option<Stroke>,
    /// Bumped on every change of what the canvas shows (strokes, current stroke, picture).
    revision: u64,
    /// Bumped on every change of the finished content.
    content_revision: u64,
    picture_texture: Option<TextureHandle>,
    /// Line mode: a wide canvas of [`LINE_CELLS`] cells or more.
    line: bool,
}

/// Cells a line canvas has before the writing reaches its end.
pub const LINE_CELLS: f32 = 5.0;

/// How to draw the canvas.
#[derive(Debug, Clone, Copy)]
pub struct CanvasStyle {
    /// Ink width as a fraction of the box side (cosmetic: the model uses its own pen).
    pub pen_width: f32,
    /// Dark paper instead of light.
    pub dark: bool,
}

/// What happened on the canvas this frame.
#[derive(Debug, Clone, Copy, Default)]
pub struct CanvasResponse {
    /// A stroke was finished this frame.
    pub stroke_finished: bool,
    /// A stroke is being drawn.
    pub drawing: bool,
    /// The writing box on screen.
    pub rect: Option<Rect>,
}

impl InkCanvas {
    /// The finished content.
    pub fn content(&self) -> &CanvasContent {
        &self.content
    }

    /// Changes whenever what the canvas shows changes.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Whether this is the wide canvas of line mode.
    pub fn is_line(&self) -> bool {
        self.line
    }

    /// Switches between the writing box and the line canvas (the strokes stay as they are).
    pub fn set_line(&mut self, line: bool) {
        if self.line != line {
            self.line = line;
            self.revision += 1;
        }
    }

    /// The canvas's width in heights: 1 for the writing box; for a line at least
    /// [`LINE_CELLS`], and always a whole empty cell right of the finished ink, so the canvas
    /// grows when the writing reaches its last cell.
    pub fn cells(&self) -> f32 {
        if !self.line {
            return 1.0;
        }
        let right = self.content.strokes.iter().flatten().map(|p| p[0]).filter(|x| x.is_finite()).fold(0.0f32, f32::max);
        // Bounded: a hostile drawing file cannot ask for a canvas miles wide.
        LINE_CELLS.max((right + 1.0).floor() + 1.0).min(MAX_LINE_CELLS)
    }

    /// Number of finished strokes.
    pub fn stroke_count(&self) -> usize {
        self.content.strokes.len()
    }

    /// True when nothing is drawn or imported (and no stroke is in progress).
    pub fn is_empty(&self) -> bool {
        self.content.is_empty() && self.current.is_none()
    }

    /// Changes whenever the finished content changes (not while a stroke is drawn).
    pub fn content_revision(&self) -> u64 {
        self.content_revision
    }

    /// Whether a stroke is being drawn.
    pub fn is_drawing(&self) -> bool {
        self.current.is_some()
    }

    fn replace(&mut self, next: CanvasContent) {
        self.content = next;
        self.current = None;
        self.picture_texture = None;
        self.revision += 1;
        self.content_revision += 1;
    }

    /// Puts back a content from the history, with the content revision it had then.
    pub fn restore(&mut self, content: CanvasContent, content_revision: u64) {
        self.replace(content);
        self.content_revision = content_revision;
    }

    /// Adds a finished stroke (box-normalized points).
    pub fn push_stroke(&mut self, stroke: Stroke) {
        if stroke.is_empty() {
            return;
        }
        // Drawing over an imported picture starts a new drawing (undo brings the picture back).
        let mut next = if self.content.picture.is_some() { CanvasContent::default() } else { self.content.clone() };
        next.strokes.push(stroke);
        self.replace(next);
    }

    /// Clears the canvas (undoable through the app's history). Returns whether anything was there.
    pub fn clear(&mut self) -> bool {
        if self.is_empty() {
            return false;
        }
        self.replace(CanvasContent::default());
        true
    }

    /// Replaces the content with a loaded drawing (undoable through the app's history): centred
    /// in the writing box, or on a line scaled to the line's height.
    pub fn set_drawing(&mut self, drawing: &Drawing) {
        let strokes = if self.line { normalize_line_drawing(drawing) } else { normalize_drawing(drawing) };
        self.replace(CanvasContent { strokes, picture: None });
    }

    /// Replaces the content with an imported picture (undoable through the app's history).
    pub fn set_picture(&mut self, picture: InkImage) {
        self.replace(CanvasContent {
            strokes: Vec::new(),
            picture: Some(Arc::new(picture)),
        });
    }

    /// The strokes (finished plus the one in progress) as a drawing in [`SAVED_SIDE`] units.
    pub fn to_drawing(&self) -> Drawing {
        let mut d = Drawing::new(SAVED_SIDE * self.cells(), SAVED_SIDE);
        // Rounded to 1/100 of a unit: no float noise (159.99998) in saved files.
        let unit = |v: f32| (v * SAVED_SIDE * 100.0).round() / 100.0;
        let scale = |s: &Stroke| -> Stroke { s.iter().map(|p| [unit(p[0]), unit(p[1])]).collect() };
        d.strokes = self.content.strokes.iter().chain(self.current.as_ref()).map(scale).collect();
        d
    }

    /// The imported picture, unless strokes are being drawn.
    pub fn picture(&self) -> Option<&Arc<InkImage>> {
        if self.current.is_some() {
            None
        } else {
            self.content.picture.as_ref()
        }
    }

    /// Shows the canvas in the largest square that fits, and handles drawing on it.
    pub fn canvas_ui(&mut self, ui: &mut egui::Ui, style: CanvasStyle) -> CanvasResponse {
        let avail = ui.available_size();
        let side = avail.x.min(avail.y).max(120.0);
        let (response, painter) = ui.allocate_painter(Vec2::splat(side), Sense::DRAG); // not focusable: Tab skips it
        let response = response.on_hover_cursor(egui::CursorIcon::Crosshair);
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, "writing canvas"));
        let rect = response.rect;
        let to_screen = RectTransform::from_to(Rect::from_min_size(Pos2::ZERO, Vec2::splat(1.0)), rect);
        let out = self.pointer(&response, to_screen);
        self.paint(ui, &painter, to_screen, style);
        out
    }

    /// Adds the pointer's position to the stroke being drawn, or finishes it; `to_screen` maps
    /// canvas coordinates (the points are kept inside its source rectangle) to the screen.
    pub(in crate::app) fn pointer(&mut self, response: &egui::Response, to_screen: RectTransform) -> CanvasResponse {
        let from_screen = to_screen.inverse();
        let bounds = *to_screen.from();
        let mut out = CanvasResponse {
            rect: Some(response.rect),
            ..Default::default()
        };
        if let Some(pos) = response.interact_pointer_pos() {
            let p = from_screen * pos;
            let p = [p.x.clamp(bounds.left(), bounds.right()), p.y.clamp(bounds.top(), bounds.bottom())];
            let stroke = self.current.get_or_insert_with(Vec::new);
            let far = stroke
                .last()
                .is_none_or(|q| (q[0] - p[0]).abs().max((q[1] - p[1]).abs()) > MIN_STEP);
            if far {
                stroke.push(p);
                self.revision += 1;
            }
            out.drawing = true;
        } else if let Some(stroke) = self.current.take() {
            self.push_stroke(stroke);
            out.stroke_finished = true;
        }
        out
    }

    fn paint(&mut self, ui: &egui::Ui, painter: &egui::Painter, to_screen: RectTransform, style: CanvasStyle) {
        let rect = *to_screen.to();
        let (paper, guide) = paper_colors(style);
        painter.rect_filled(rect, 4.0, paper);
        painter.rect_stroke(rect, 4.0, LineStyle::new(1.5, guide), egui::StrokeKind::Inside);
        // Faint guides: centre cross, dashed; a small kana is written in the lower-left quarter.
        let c = rect.center();
        let dash = |a: Pos2, b: Pos2| Shape::dashed_line(&[a, b], LineStyle::new(1.0, guide), 6.0, 6.0);
        painter.extend(dash(Pos2::new(c.x, rect.top()), Pos2::new(c.x, rect.bottom())));
        painter.extend(dash(Pos2::new(rect.left(), c.y), Pos2::new(rect.right(), c.y)));

        if let Some(picture) = self.picture().cloned() {
            let tex = self.picture_texture.get_or_insert_with(|| {
                ui.ctx().load_texture("imported-picture", display_image(&picture), egui::TextureOptions::LINEAR)
            });
            // Fit the picture into the box, keeping its aspect ratio.
            let (w, h) = (picture.width as f32, picture.height as f32);
            let s = rect.width() / w.max(h).max(1.0);
            let pic = Rect::from_center_size(c, Vec2::new(w * s, h * s));
            painter.image(tex.id(), pic, Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)), Color32::WHITE);
        }

        self.paint_ink(painter, to_screen, style, &[]);
    }

    /// Paints the strokes (those in `highlight` in the accent colour).
    pub(in crate::app) fn paint_ink(&self, painter: &egui::Painter, to_screen: RectTransform, style: CanvasStyle, highlight: &[usize]) {
        let ink = if style.dark { Color32::from_gray(235) } else { Color32::from_gray(20) };
        let accent = if style.dark { Color32::from_rgb(120, 180, 255) } else { Color32::from_rgb(0, 100, 210) };
        let width = (style.pen_width * to_screen.to().height()).max(1.0);
        for (i, stroke) in self.content.strokes.iter().chain(self.current.as_ref()).enumerate() {
            let color = if highlight.contains(&i) { accent } else { ink };
            paint_stroke(painter, stroke, to_screen, width, color);
        }
    }
}

/// Most cells a line canvas grows to.
const MAX_LINE_CELLS: f32 = 200.0;

/// Maps a drawing's strokes onto a line: its height becomes the line's, its left edge the
/// line's start (a word drawing of `fude predict --line` opens as it was written).
pub fn normalize_line_drawing(drawing: &Drawing) -> Vec<Stroke> {
    let s = 1.0 / drawing.height.max(1e-3);
    drawing.strokes.iter().map(|st| st.iter().map(|p| [p[0] * s, p[1] * s]).collect()).collect()
}

/// The paper and the guides' colour.
pub(in crate::app) fn paper_colors(style: CanvasStyle) -> (Color32, Color32) {
    if style.dark {
        (Color32::from_gray(28), Color32::from_gray(70))
    } else {
        (Color32::from_rgb(253, 252, 247), Color32::from_gray(205))
    }
}

fn paint_stroke(painter: &egui::Painter, stroke: &Stroke, to_screen: RectTransform, width: f32, ink: Color32) {
    let points: Vec<Pos2> = smooth_polyline(stroke, 3)
        .iter()
        .map(|p| to_screen * Pos2::new(p[0], p[1]))
        .collect();
    // Round caps; the flattened curve is dense enough that its joins need no rounding.
    for p in points.first().into_iter().chain(points.last()) {
        painter.circle_filled(*p, width * 0.5, ink);
    }
    if points.len() > 1 {
        painter.add(Shape::line(points, LineStyle::new(width, ink)));
    }
}

/// Largest side of an imported picture's on-screen copy (big photos are sampled down, so the
/// texture stays small and within every GPU's limits).
const MAX_PICTURE_SIDE: usize = 1024;

/// The on-screen copy of an imported picture, sampled down to [`MAX_PICTURE_SIDE`].
fn display_image(picture: &InkImage) -> egui::ColorImage {
    let long = picture.width.max(picture.height).max(1);
    let step = long.div_ceil(MAX_PICTURE_SIDE).max(1);
    let (w, h) = (picture.width.div_ceil(step).max(1), picture.height.div_ceil(step).max(1));
    let gray = (0..h).flat_map(|y| (0..w).map(move |x| (x * step, y * step)));
    egui::ColorImage::from_gray_iter([w, h], gray.map(|(x, y)| (picture.get(x, y).clamp(0.0, 1.0) * 255.0) as u8))
}

/// Maps a drawing's canvas-pixel strokes into the unit writing box (the same centring as the
/// rasterizer's [`crate::ink::raster::canvas_to_box`]).
pub fn normalize_drawing(drawing: &Drawing) -> Vec<Stroke> {
    let t = crate::ink::raster::canvas_to_box(drawing.width, drawing.height, 1);
    drawing
        .strokes
        .iter()
        .map(|s| {
            s.iter()
                .map(|p| [p[0] * t.sx + t.tx, p[1] * t.sy + t.ty])
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_revision_follows_finished_content_only() {
        let mut c = InkCanvas::default();
        let r0 = c.content_revision();
        c.push_stroke(vec![[0.1, 0.1], [0.9, 0.1]]);
        let r1 = c.content_revision();
        assert_ne!(r0, r1);
        let before = c.content().clone();
        assert!(c.clear());
        assert!(c.is_empty());
        assert!(!c.clear(), "clearing an empty canvas changes nothing");
        c.restore(before, r1);
        assert_eq!((c.stroke_count(), c.content_revision()), (1, r1));
    }

    #[test]
    fn saved_coordinates_are_rounded() {
        let mut c = InkCanvas::default();
        c.push_stroke(vec![[0.399_999_97, 1.0 / 3.0]]);
        assert_eq!(c.to_drawing().strokes[0][0], [160.0, 133.33]);
    }

    #[test]
    fn drawings_round_trip_through_the_unit_box() {
        let mut d = Drawing::new(200.0, 100.0);
        d.strokes.push(vec![[0.0, 0.0], [200.0, 100.0]]);
        let mut c = InkCanvas::default();
        c.set_drawing(&d);
        // A wide canvas is centred in its square box.
        let s = c.content().strokes.first().unwrap();
        assert_eq!(s[0], [0.0, 0.25]);
        assert_eq!(s[1], [1.0, 0.75]);
        let saved = c.to_drawing();
        assert_eq!(saved.width, SAVED_SIDE);
        assert_eq!(saved.strokes[0][1], [SAVED_SIDE, 0.75 * SAVED_SIDE]);
    }

    #[test]
    fn a_line_grows_when_the_writing_reaches_its_last_cell() {
        let mut c = InkCanvas::default();
        assert_eq!(c.cells(), 1.0);
        c.set_line(true);
        assert_eq!(c.cells(), LINE_CELLS);
        c.push_stroke(vec![[3.2, 0.5], [3.9, 0.5]]);
        assert_eq!(c.cells(), LINE_CELLS, "the fourth cell: room enough");
        c.push_stroke(vec![[4.1, 0.5], [4.6, 0.5]]);
        assert_eq!(c.cells(), 6.0, "the last cell: one more");
        assert_eq!(c.to_drawing().width, 6.0 * SAVED_SIDE);
        c.push_stroke(vec![[1e9, 0.5]]);
        assert_eq!(c.cells(), MAX_LINE_CELLS);
        // A line drawing opens at the line's height.
        let mut d = Drawing::new(500.0, 100.0);
        d.strokes.push(vec![[0.0, 50.0], [450.0, 100.0]]);
        c.set_drawing(&d);
        assert_eq!(c.content().strokes[0], vec![[0.0, 0.5], [4.5, 1.0]]);
        assert_eq!(c.cells(), 6.0);
    }

    #[test]
    fn big_pictures_are_shown_sampled_down() {
        let mut big = InkImage::new(3000, 1500);
        big.data[3000 * 2 + 4] = 1.0;
        let shown = display_image(&big);
        assert_eq!(shown.size, [1000, 500]);
        assert_eq!(display_image(&InkImage::new(20, 10)).size, [20, 10]);
    }

    #[test]
    fn drawing_over_a_picture_replaces_it() {
        let mut c = InkCanvas::default();
        c.set_picture(InkImage::new(4, 4));
        assert!(c.picture().is_some());
        let with_picture = (c.content().clone(), c.content_revision());
        c.push_stroke(vec![[0.5, 0.5]]);
        assert!(c.picture().is_none());
        c.restore(with_picture.0, with_picture.1);
        assert!(c.picture().is_some());
    }
}
