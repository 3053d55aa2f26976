//! The candidate list: the model's top guesses, each with the character large, its romaji
//! reading and its probability as a bar. Clicking one (or pressing its number) picks it.

use crate::data::classes;
use crate::models::Prediction;
use egui::{Align2, Color32, FontId, Rect, Sense, Stroke, Vec2};

/// Height of one candidate row, in points.
pub const ROW_HEIGHT: f32 = 42.0;

/// The accessible label of the candidate at `rank` (1-based), e.g. `candidate 1: あ a 97.2%`.
pub fn candidate_label(rank: usize, p: &Prediction) -> String {
    let romaji = classes::get(p.class).map(|c| c.romaji()).unwrap_or_default();
    format!("candidate {rank}: {} {romaji} {:.1}%", p.ch, p.prob * 100.0)
}

/// Shows the candidates; returns the one clicked, if any. `stale` greys the list while a newer
/// result is being computed.
pub fn candidates_ui(ui: &mut egui::Ui, candidates: &[Prediction], stale: bool) -> Option<char> {
    let mut picked = None;
    let visuals = ui.visuals().clone();
    let accent = visuals.selection.bg_fill;
    let text = if stale { visuals.weak_text_color() } else { visuals.strong_text_color() };
    for (i, p) in candidates.iter().enumerate() {
        let rank = i + 1;
        let width = ui.available_width().max(160.0);
        let (rect, response) = ui.allocate_exact_size(Vec2::new(width, ROW_HEIGHT), Sense::click());
        let label = candidate_label(rank, p);
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
        let response = response.on_hover_text(format!("Append {} to the text (key {})", p.ch, rank % 10));
        if response.clicked() {
            picked = Some(p.ch);
        }
        if response.gained_focus() {
            // Reached with Tab: bring it into view (the list may scroll in a small window).
            response.scroll_to_me(None);
        }
        if !ui.is_rect_visible(rect) {
            continue;
        }
        let painter = ui.painter_at(rect);
        let fill = if response.hovered() {
            visuals.widgets.hovered.weak_bg_fill
        } else if i == 0 {
            visuals.faint_bg_color
        } else {
            Color32::TRANSPARENT
        };
        painter.rect_filled(rect.shrink(1.0), 6.0, fill);
        if response.has_focus() {
            painter.rect_stroke(rect.shrink(2.0), 6.0, Stroke::new(2.0, visuals.selection.stroke.color), egui::StrokeKind::Inside);
        }
        let key = if rank < 10 { rank.to_string() } else { "0".into() };
        painter.text(
            rect.left_center() + Vec2::new(12.0, 0.0),
            Align2::CENTER_CENTER,
            key,
            FontId::monospace(12.0),
            visuals.weak_text_color(),
        );
        painter.text(
            rect.left_center() + Vec2::new(46.0, 0.0),
            Align2::CENTER_CENTER,
            p.ch,
            FontId::proportional(31.0),
            text,
        );
        let class = classes::get(p.class);
        let mut reading = class.map(|c| c.romaji()).unwrap_or_default();
        if class.is_some_and(|c| c.is_small()) {
            reading.push_str(" · small");
        }
        let x0 = rect.left() + 78.0;
        painter.text(
            egui::pos2(x0, rect.top() + 12.0),
            Align2::LEFT_CENTER,
            reading,
            FontId::proportional(14.0),
            text,
        );
        // Probability bar.
        let bar_w = (rect.right() - 56.0 - x0).max(20.0);
        let bar = Rect::from_min_size(egui::pos2(x0, rect.top() + 25.0), Vec2::new(bar_w, 8.0));
        painter.rect_filled(bar, 4.0, visuals.extreme_bg_color);
        let filled = Rect::from_min_size(bar.min, Vec2::new(bar_w * p.prob.clamp(0.0, 1.0), 8.0));
        painter.rect_filled(filled, 4.0, if stale { visuals.weak_text_color() } else { accent });
        painter.rect_stroke(bar, 4.0, Stroke::new(0.5, visuals.weak_text_color()), egui::StrokeKind::Inside);
        painter.text(
            egui::pos2(rect.right() - 6.0, bar.center().y),
            Align2::RIGHT_CENTER,
            format_percent(p.prob),
            FontId::monospace(12.0),
            text,
        );
    }
    picked
}

/// A probability as a short percentage ("97%", "3.1%", "<0.1%").
pub fn format_percent(p: f32) -> String {
    let pct = p * 100.0;
    if pct >= 10.0 {
        format!("{pct:.0}%")
    } else if pct >= 0.1 {
        format!("{pct:.1}%")
    } else {
        "<0.1%".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_percentages() {
        let p = Prediction { class: 0, ch: 'ぁ', prob: 0.972 };
        assert_eq!(candidate_label(1, &p), "candidate 1: ぁ xa 97.2%");
        assert_eq!(format_percent(0.972), "97%");
        assert_eq!(format_percent(0.031), "3.1%");
        assert_eq!(format_percent(0.0001), "<0.1%");
    }
}
