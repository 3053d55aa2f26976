//! The latent map: the current kana decoded on a grid across two latent dimensions (by default
//! the two the model uses most), ±[`MAP_SPAN`] spreads around the centre, with the current point
//! marked. A click on a cell moves the two sliders there. The grid is decoded on the generation
//! worker; this module keeps what it shows and draws it. A map that decodes slowly is redrawn
//! when a drag ends rather than during it.

use crate::app::generator::pictures::InkTexture;
use crate::models::generator::lettering::lay_out;
use crate::ink::InkImage;
use crate::models::generator::{LatentStats, Prior};
use egui::{Color32, Pos2, Sense, Stroke, Vec2};
use std::time::Duration;

/// Cells along each side of the map.
pub const MAP_CELLS: usize = 7;

/// How far the map reaches each side of the centre, in spreads (the sliders reach 3).
pub const MAP_SPAN: f32 = 2.0;

/// A map that took longer than this to decode is not redrawn during a drag (it would hold up the
/// preview on the worker), only when the drag ends.
pub const LIVE_MAP_BUDGET: Duration = Duration::from_millis(60);

/// Where one axis of the map lies: its dimension, centre and spread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Axis {
    /// The latent dimension.
    pub dim: usize,
    /// Its value at the middle of the map.
    pub centre: f32,
    /// One spread.
    pub spread: f32,
}

impl Axis {
    /// The axis of dimension `dim` for `class` under `prior`.
    pub fn new(stats: &LatentStats, dim: usize, prior: Prior, class: usize) -> Self {
        Axis { dim, centre: stats.centre(prior, class).get(dim).copied().unwrap_or(0.0), spread: stats.spread(dim, prior, class) }
    }

    /// The value at cell `i` of [`MAP_CELLS`] (0: −span, last: +span).
    pub fn value(&self, i: usize) -> f32 {
        let t = 2.0 * i as f32 / (MAP_CELLS - 1) as f32 - 1.0;
        self.centre + MAP_SPAN * self.spread * t
    }

    /// Where `z` lies on this axis, −1..=1 across the map (outside it beyond).
    pub fn position(&self, z: &[f32]) -> f32 {
        (z.get(self.dim).copied().unwrap_or(self.centre) - self.centre) / (MAP_SPAN * self.spread.max(1e-6))
    }
}

/// The latents of the map, row by row from the top: `across` grows to the right, `down` grows
/// upwards (the top row is +span); every other dimension stays as in `z`.
pub fn map_latents(z: &[f32], across: Axis, down: Axis) -> Vec<Vec<f32>> {
    let mut out = Vec::with_capacity(MAP_CELLS * MAP_CELLS);
    for row in 0..MAP_CELLS {
        for col in 0..MAP_CELLS {
            let mut cell = z.to_vec();
            if let Some(v) = cell.get_mut(across.dim) {
                *v = across.value(col);
            }
            if let Some(v) = cell.get_mut(down.dim) {
                *v = down.value(MAP_CELLS - 1 - row);
            }
            out.push(cell);
        }
    }
    out
}

/// What a map was decoded for; a new one is needed when it changes.
#[derive(Debug, Clone, PartialEq)]
pub struct MapKey {
    /// The kana.
    pub class: usize,
    /// The two axes.
    pub axes: (Axis, Axis),
    /// The latent with the two axes' values left out.
    pub rest: Vec<f32>,
}

impl MapKey {
    /// The key of a map of `class` through `z` across `axes`.
    pub fn new(class: usize, z: &[f32], axes: (Axis, Axis)) -> Self {
        let rest = z.iter().enumerate().map(|(d, &v)| if d == axes.0.dim || d == axes.1.dim { 0.0 } else { v }).collect();
        MapKey { class, axes, rest }
    }
}

/// The map shown, and the choice of its axes.
#[derive(Default)]
pub struct LatentMap {
    /// The dimensions across and down, chosen by the person (`None`: the two most used).
    pub chosen: Option<(usize, usize)>,
    /// What the newest request was for.
    pub posted: Option<MapKey>,
    /// What the picture shows.
    shown: Option<MapKey>,
    picture: Option<InkImage>,
    texture: InkTexture,
    /// How long the last map took to decode.
    compute: Duration,
}

impl LatentMap {
    /// Forgets the map (another model).
    pub fn clear(&mut self) {
        *self = LatentMap::default();
    }

    /// Whether the last map took longer than [`LIVE_MAP_BUDGET`] to decode.
    pub fn is_slow(&self) -> bool {
        self.picture.is_some() && self.compute > LIVE_MAP_BUDGET
    }

    /// Takes in a decoded map (one `side²` picture per cell, row by row) for `key`, which took
    /// `compute` to decode.
    pub fn receive(&mut self, key: MapKey, side: usize, images: Vec<Vec<f32>>, compute: Duration) {
        self.compute = compute;
        let cells: Vec<Option<Vec<f32>>> = images.into_iter().map(Some).collect();
        self.picture = Some(lay_out(&cells, side, MAP_CELLS));
        self.shown = Some(key);
        self.texture.invalidate();
    }

    /// The composed map (ink bright), once decoded.
    pub fn picture(&self) -> Option<&InkImage> {
        self.picture.as_ref()
    }

    /// Whether the map shows what was asked last.
    pub fn is_current(&self) -> bool {
        self.shown.is_some() && self.shown == self.posted
    }

    /// Shows the map `side` points wide with `current` (−1..=1 each way) marked; `axes` names
    /// the directions across and up. Returns the cell clicked (column, row from the top).
    pub fn latent_map_ui(&mut self, ui: &mut egui::Ui, side: f32, current: (f32, f32), axes: (&str, &str)) -> Option<(usize, usize)> {
        let dark = ui.visuals().dark_mode;
        let (rect, response) = ui.allocate_exact_size(Vec2::splat(side), Sense::click());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, "latent map"));
        let painter = ui.painter_at(rect);
        let Some(picture) = &self.picture else {
            painter.rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);
            return None;
        };
        let id = self.texture.texture_id(ui.ctx(), "generator-map", picture, dark);
        painter.image(id, rect, egui::Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)), Color32::WHITE);
        // The cells lie inside a margin of 1/8 cell (see `lay_out`).
        let cell_side = side / (MAP_CELLS as f32 + 0.25);
        let grid = rect.shrink(cell_side / 8.0);
        let at = |t: (f32, f32)| {
            // −1..=1 runs between the centres of the first and last cells.
            let half = (MAP_CELLS - 1) as f32 / 2.0;
            let cx = grid.left() + (half * (1.0 + t.0.clamp(-1.1, 1.1)) + 0.5) * cell_side;
            let cy = grid.top() + (half * (1.0 - t.1.clamp(-1.1, 1.1)) + 0.5) * cell_side;
            Pos2::new(cx, cy)
        };
        let accent = ui.visuals().selection.stroke.color;
        painter.circle_stroke(at(current), cell_side * 0.45, Stroke::new(2.0, accent));
        let cell_of = |p: Pos2| {
            let (col, row) = ((p.x - grid.left()) / cell_side, (p.y - grid.top()) / cell_side);
            let inside = (0.0..MAP_CELLS as f32).contains(&col) && (0.0..MAP_CELLS as f32).contains(&row);
            inside.then_some((col as usize, row as usize))
        };
        if let Some((col, row)) = response.hover_pos().and_then(cell_of) {
            let min = grid.min + Vec2::new(col as f32, row as f32) * cell_side;
            painter.rect_stroke(egui::Rect::from_min_size(min, Vec2::splat(cell_side)), 2.0, Stroke::new(1.0, ui.visuals().weak_text_color()), egui::StrokeKind::Inside);
        }
        let (across, up) = axes;
        let response = response.on_hover_text(format!(
            "The kana across \"{across}\" (left to right) and \"{up}\" (bottom to top), ±{MAP_SPAN} spreads; the ring is where you are. Click a cell to go there."
        ));
        if response.clicked() {
            return response.interact_pointer_pos().and_then(cell_of);
        }
        None
    }
}

/// The two axes' choice: one combo box for each, among `names` (dimension, slider name). Taking
/// the other axis's dimension swaps the two. Returns the new choice.
pub fn axes_ui(ui: &mut egui::Ui, axes: (usize, usize), names: &[(usize, String)]) -> Option<(usize, usize)> {
    let name = |d: usize| names.iter().find(|(n, _)| *n == d).map(|(_, s)| s.clone()).unwrap_or_else(|| format!("dimension {d}"));
    let (mut across, mut up) = axes;
    ui.horizontal_wrapped(|ui| {
        for (title, id, value) in [("Map across", "map-across", &mut across), ("and up", "map-up", &mut up)] {
            let label = ui.label(title);
            let combo = egui::ComboBox::from_id_salt(id).selected_text(name(*value)).show_ui(ui, |ui| {
                for (d, n) in names {
                    ui.selectable_value(&mut *value, *d, n);
                }
            });
            combo.response.labelled_by(label.id);
        }
    });
    match (across, up) {
        (a, u) if (a, u) == axes => None,
        (a, u) if a == u && a == axes.1 => Some((a, axes.0)),
        (a, u) if a == u => Some((axes.1, u)),
        chosen => Some(chosen),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_spans_two_dimensions_and_keeps_the_rest() {
        let across = Axis { dim: 2, centre: 1.0, spread: 0.5 };
        let down = Axis { dim: 0, centre: -1.0, spread: 2.0 };
        let z = [9.0, 7.0, 9.0];
        let cells = map_latents(&z, across, down);
        assert_eq!(cells.len(), MAP_CELLS * MAP_CELLS);
        assert_eq!(cells[0], vec![-1.0 + 4.0, 7.0, 1.0 - 1.0], "top left: up the most, left the most");
        assert_eq!(cells[MAP_CELLS * MAP_CELLS - 1], vec![-1.0 - 4.0, 7.0, 1.0 + 1.0], "bottom right");
        let middle = &cells[MAP_CELLS * MAP_CELLS / 2];
        assert_eq!((middle[0], middle[2]), (-1.0, 1.0), "the centre cell is the centre");
        assert_eq!(across.position(&[0.0, 0.0, 2.0]), 1.0);
        assert_eq!(down.position(&[-1.0, 0.0, 0.0]), 0.0);
        let key = MapKey::new(3, &z, (across, down));
        assert_eq!(key, MapKey::new(3, &[1.0, 7.0, 5.0], (across, down)), "moving along the axes keeps the map");
        assert_ne!(key, MapKey::new(3, &[9.0, 6.0, 9.0], (across, down)));

        let mut map = LatentMap::default();
        assert!(!map.is_slow() && !map.is_current());
        map.posted = Some(key.clone());
        map.receive(key.clone(), 2, vec![vec![0.5; 4]; MAP_CELLS * MAP_CELLS], LIVE_MAP_BUDGET * 2);
        assert!(map.is_slow() && map.is_current());
        assert_eq!(map.picture().map(|p| (p.width, p.height)), Some((7 * 2, 7 * 2)), "no margin at 2 pixels");
        map.receive(key, 2, vec![vec![0.5; 4]; MAP_CELLS * MAP_CELLS], LIVE_MAP_BUDGET / 2);
        assert!(!map.is_slow());
    }
}
