//! The toolbar above the canvas: the line-mode toggle, Undo, Redo, Clear, the pen width and the
//! stroke count.

use crate::app::command::AppCommand;
use crate::app::shell::settings::Settings;
use crate::app::FudeApp;

/// "1 stroke", "3 strokes".
pub fn stroke_count_text(n: usize) -> String {
    if n == 1 {
        "1 stroke".into()
    } else {
        format!("{n} strokes")
    }
}

impl FudeApp {
    /// The toolbar; returns the button pressed.
    pub(in crate::app) fn canvas_tools_ui(&mut self, ui: &mut egui::Ui) -> Option<AppCommand> {
        let mut command = None;
        // Wraps in a narrow window instead of cutting off the stroke count.
        ui.horizontal_wrapped(|ui| {
            command = self.mode_toggle_ui(ui);
            ui.separator();
            if ui.add_enabled(self.writing.history.can_undo(), egui::Button::new("Undo")).on_hover_text("Undo the last stroke, pick or text edit (Ctrl+Z)").clicked() {
                command = Some(AppCommand::Undo);
            }
            if ui.add_enabled(self.writing.history.can_redo(), egui::Button::new("Redo")).on_hover_text("Redo (Ctrl+Shift+Z or Ctrl+Y)").clicked() {
                command = Some(AppCommand::Redo);
            }
            if ui.add_enabled(!self.writing.canvas.is_empty(), egui::Button::new("Clear")).on_hover_text("Clear (Esc or Delete)").clicked() {
                command = Some(AppCommand::ClearCanvas);
            }
            ui.separator();
            // The wrapped row does not move a slider to the next line by itself: it would run on
            // under the next panel and widen the canvas with it.
            let pen_width = ui.spacing().slider_width + 40.0;
            // (In a wrapped row `available_width` is the whole row's; what is left is measured.)
            if ui.max_rect().right() - ui.cursor().left() < pen_width {
                ui.end_row();
            }
            ui.label("Pen");
            ui.add(egui::Slider::new(&mut self.settings.pen_width, Settings::PEN_RANGE).show_value(false))
                .on_hover_text("On-screen pen width (the model always sees its own pen)");
            let count = egui::RichText::new(stroke_count_text(self.writing.canvas.stroke_count())).weak();
            ui.add(egui::Label::new(count).wrap_mode(egui::TextWrapMode::Extend));
        });
        command
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn stroke_counts_read_right() {
        assert_eq!(super::stroke_count_text(0), "0 strokes");
        assert_eq!(super::stroke_count_text(1), "1 stroke");
        assert_eq!(super::stroke_count_text(2), "2 strokes");
    }
}
