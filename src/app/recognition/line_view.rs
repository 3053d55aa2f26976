//! What line mode shows of a reading: the best reading large under the canvas, each character a
//! button that opens its own candidates (a pick there changes that character), and the
//! alternatives as a ranked list. Taking a reading is the app's business: these functions
//! return the text to take.

use crate::app::recognition::candidates::format_percent;
use crate::models::recognizer::line::LineReading;
use egui::{Color32, FontId, RichText, Vec2};

/// Alternatives shown beside the best reading.
pub const ALTERNATIVES: usize = 5;

/// Size of the reading's characters, in points.
const READING_SIZE: f32 = 40.0;

/// The readings of the line on the canvas, and the person's changes to the best one.
#[derive(Default)]
pub struct LineView {
    /// The best reading first, then the alternatives.
    readings: Vec<LineReading>,
    /// Per character of the best reading, the candidate picked instead of it.
    fixed: Vec<Option<char>>,
    /// The character whose candidates are shown.
    selected: Option<usize>,
}

impl LineView {
    /// Shows new readings (the changes to the old best reading go).
    pub fn set(&mut self, readings: Vec<LineReading>) {
        let n = readings.first().map_or(0, |r| r.characters.len());
        self.fixed = vec![None; n];
        self.selected = self.selected.filter(|&i| i < n);
        self.readings = readings;
    }

    /// Forgets the readings (the canvas is empty).
    pub fn clear(&mut self) {
        self.set(Vec::new());
        self.selected = None;
    }

    /// The readings, best first.
    pub fn readings(&self) -> &[LineReading] {
        &self.readings
    }

    /// The best reading with the person's changes.
    pub fn text(&self) -> Option<String> {
        let best = self.readings.first()?;
        Some(best.characters.iter().zip(&self.fixed).map(|(c, f)| f.unwrap_or(c.ch)).collect())
    }

    /// The reading at `rank` (1: the best, with the changes; 2 on: the alternatives).
    pub fn choice(&self, rank: usize) -> Option<String> {
        match rank {
            0 => None,
            1 => self.text(),
            _ => self.readings.get(rank - 1).filter(|_| rank <= ALTERNATIVES + 1).map(|r| r.text.clone()),
        }
    }

    /// Changes character `index` of the best reading to `ch`.
    pub fn fix(&mut self, index: usize, ch: char) {
        if let Some(f) = self.fixed.get_mut(index) {
            *f = Some(ch);
        }
    }

    /// Opens (or, if open, closes) character `index`'s candidates.
    pub fn select(&mut self, index: usize) {
        self.selected = if self.selected == Some(index) { None } else { Some(index) };
    }

    /// The character whose candidates are shown.
    pub fn selected(&self) -> Option<usize> {
        self.selected
    }

    /// The strokes of the selected character (drawn highlighted).
    pub fn selected_strokes(&self) -> &[usize] {
        let best = self.readings.first();
        self.selected.and_then(|i| best?.characters.get(i)).map_or(&[], |c| c.strokes.as_slice())
    }
}

/// The accessible label of character `index` (0-based) of the reading.
pub fn character_label(index: usize, ch: char) -> String {
    format!("reading character {}: {ch}", index + 1)
}

/// The accessible label of a candidate of character `index` (0-based).
pub fn character_candidate_label(index: usize, ch: char) -> String {
    format!("character {} candidate: {ch}", index + 1)
}

/// The accessible label of the reading at `rank` (1-based).
pub fn reading_label(rank: usize, text: &str) -> String {
    format!("reading {rank}: {text}")
}

/// Under the line canvas: the best reading large, its characters as buttons, and the selected
/// character's candidates. Returns the text to take when "Take" is clicked.
pub fn line_reading_ui(ui: &mut egui::Ui, view: &mut LineView, stale: bool, empty_note: &str) -> Option<String> {
    let Some(best) = view.readings.first().cloned() else {
        ui.add(egui::Label::new(RichText::new(empty_note).weak()).wrap());
        return None;
    };
    let color = if stale { ui.visuals().weak_text_color() } else { ui.visuals().strong_text_color() };
    let mut take = None;
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 2.0;
        for (i, c) in best.characters.iter().enumerate() {
            let ch = view.fixed.get(i).copied().flatten().unwrap_or(c.ch);
            let text = RichText::new(ch.to_string()).font(FontId::proportional(READING_SIZE)).color(color);
            let button = egui::Button::selectable(view.selected == Some(i), text).min_size(Vec2::splat(READING_SIZE + 12.0));
            let response = ui.add(button);
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, character_label(i, ch)));
            if response.on_hover_text("Show this character's candidates").clicked() {
                view.select(i);
            }
        }
        ui.add_space(12.0);
        let text = view.text().unwrap_or_default();
        if ui.button("Take (Enter)").on_hover_text(format!("Put {text} into the text")).clicked() {
            take = Some(text);
        }
    });
    if let Some(i) = view.selected {
        if let Some(c) = best.characters.get(i) {
            ui.horizontal_wrapped(|ui| {
                ui.label(format!("Character {}:", i + 1));
                for p in &c.top {
                    let chosen = view.fixed.get(i).copied().flatten().unwrap_or(c.ch) == p.ch;
                    let text = RichText::new(format!("{} {}", p.ch, format_percent(p.prob)));
                    let response = ui.add(egui::Button::selectable(chosen, text.size(20.0)));
                    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, character_candidate_label(i, p.ch)));
                    if response.on_hover_text(format!("Read character {} as {}", i + 1, p.ch)).clicked() {
                        view.fix(i, p.ch);
                    }
                }
            });
        }
    } else {
        ui.weak("Click a character to see its candidates and change it.");
    }
    take
}

/// The ranked readings (the best, with its changes, then the alternatives); returns the one
/// clicked.
pub fn line_readings_ui(ui: &mut egui::Ui, view: &LineView, stale: bool) -> Option<String> {
    let mut picked = None;
    let color = if stale { ui.visuals().weak_text_color() } else { ui.visuals().strong_text_color() };
    for rank in 1..=(ALTERNATIVES + 1) {
        let Some(text) = view.choice(rank) else { break };
        let row = RichText::new(format!("{rank}  {text}")).font(FontId::proportional(if rank == 1 { 26.0 } else { 20.0 })).color(color);
        let response = ui.add(egui::Button::new(row).frame(rank == 1).fill(if rank == 1 { ui.visuals().faint_bg_color } else { Color32::TRANSPARENT }));
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, reading_label(rank, &text)));
        if response.on_hover_text(format!("Put {text} into the text (key {rank})")).clicked() {
            picked = Some(text);
        }
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::recognizer::line::LineChar;
    use crate::models::Prediction;

    fn reading(text: &str) -> LineReading {
        let characters = text
            .chars()
            .enumerate()
            .map(|(i, ch)| LineChar { ch, strokes: vec![i], top: vec![Prediction { class: 0, ch, prob: 0.9 }] })
            .collect();
        LineReading { text: text.into(), score: 0.0, characters }
    }

    #[test]
    fn a_fixed_character_changes_the_best_reading_only() {
        let mut v = LineView::default();
        assert_eq!(v.text(), None);
        v.set(["カメラ", "カメう", "力メラ"].map(reading).to_vec());
        assert_eq!(v.choice(1).as_deref(), Some("カメラ"));
        v.select(1);
        assert_eq!(v.selected_strokes(), &[1]);
        v.fix(1, 'ヌ');
        v.fix(9, 'ヌ');
        assert_eq!(v.text().as_deref(), Some("カヌラ"));
        assert_eq!(v.choice(2).as_deref(), Some("カメう"));
        assert_eq!((v.choice(0), v.choice(4)), (None, None));
        v.select(1);
        assert_eq!(v.selected(), None, "a second click closes it");
        // New readings drop the change.
        v.set(vec![reading("カメ")]);
        assert_eq!(v.text().as_deref(), Some("カメ"));
        v.clear();
        assert!(v.readings().is_empty() && v.selected_strokes().is_empty());
        assert_eq!(reading_label(2, "カメう"), "reading 2: カメう");
        assert_eq!(character_label(0, 'カ'), "reading character 1: カ");
    }
}
