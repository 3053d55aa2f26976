//! The line canvas of line mode: as wide as the panel allows for [`LINE_CELLS`] cells, with a
//! faint baseline and dashed cell guides (only guides: the reader finds the characters itself).
//! It grows a cell at a time when the writing reaches its last cell, and scrolls sideways when it
//! is wider than the panel, keeping its newest cell in view.

use crate::app::writing::canvas::{paper_colors, CanvasResponse, CanvasStyle, InkCanvas, LINE_CELLS};
use egui::emath::RectTransform;
use egui::{Pos2, Rect, Sense, Shape, Stroke as LineStyle, Vec2};

/// Smallest and largest side of a cell, in points.
const CELL_RANGE: (f32, f32) = (64.0, 190.0);

/// Where the baseline is drawn, as a fraction of the height (the bottom of a full-size kana).
const BASELINE: f32 = 0.9;

impl InkCanvas {
    /// Shows the line canvas and handles drawing on it; the strokes in `highlight` are drawn in
    /// the accent colour.
    pub fn line_canvas_ui(&mut self, ui: &mut egui::Ui, style: CanvasStyle, highlight: &[usize]) -> CanvasResponse {
        let avail = ui.available_size();
        let cell = (avail.x / LINE_CELLS).min(avail.y * 0.6).clamp(CELL_RANGE.0, CELL_RANGE.1);
        let cells = self.cells();
        let memory = ui.scope_id().with("line-canvas-cells");
        let before: f32 = ui.data(|d| d.get_temp(memory)).unwrap_or(cells);
        ui.data_mut(|d| d.insert_temp(memory, cells));
        // A solid scrollbar, under the canvas: a floating one would lie over its bottom edge.
        ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
        egui::ScrollArea::horizontal()
            .id_salt("line-canvas")
            .scroll_source(egui::scroll_area::ScrollSource { drag: egui::scroll_area::DragScroll::Never, ..Default::default() })
            .auto_shrink([true, true])
            .show(ui, |ui| {
                let (response, painter) = ui.allocate_painter(Vec2::new(cell * cells, cell), Sense::DRAG);
                let response = response.on_hover_cursor(egui::CursorIcon::Crosshair);
                response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, "writing canvas"));
                let to_screen = RectTransform::from_to(Rect::from_min_size(Pos2::ZERO, Vec2::new(cells, 1.0)), response.rect);
                let out = self.pointer(&response, to_screen);
                paint_guides(&painter, to_screen, style);
                self.paint_ink(&painter, to_screen, style, highlight);
                if cells > before {
                    // Grown: the new last cell comes into view.
                    let last = Rect::from_min_max(Pos2::new(cells - 1.0, 0.0), Pos2::new(cells, 1.0));
                    ui.scroll_to_rect(to_screen.transform_rect(last), None);
                }
                out
            })
            .inner
    }
}

/// The paper, its border, the baseline and the cell guides.
fn paint_guides(painter: &egui::Painter, to_screen: RectTransform, style: CanvasStyle) {
    let rect = *to_screen.to();
    let (paper, guide) = paper_colors(style);
    painter.rect_filled(rect, 4.0, paper);
    painter.rect_stroke(rect, 4.0, LineStyle::new(1.5, guide), egui::StrokeKind::Inside);
    let at = |x: f32, y: f32| to_screen * Pos2::new(x, y);
    let cells = to_screen.from().width();
    let mut x = 1.0;
    while x < cells {
        painter.extend(Shape::dashed_line(&[at(x, 0.04), at(x, 0.96)], LineStyle::new(1.0, guide), 4.0, 8.0));
        x += 1.0;
    }
    painter.line_segment([at(0.0, BASELINE), at(cells, BASELINE)], LineStyle::new(1.0, guide));
}
