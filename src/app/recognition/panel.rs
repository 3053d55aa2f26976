//! The recognition panel on the right: the Script choice, the candidates, "Keep for training" and
//! the model's eye (in line mode, the ranked readings instead).

use crate::app::command::AppCommand;
use crate::app::recognition::candidates;
use crate::app::FudeApp;

/// Height of the model's eye with its heading, in points.
const EYE_HEIGHT: f32 = 136.0;

/// Height of the "Keep for training" row, in points.
const KEEP_HEIGHT: f32 = 30.0;

impl FudeApp {
    /// The right-hand panel: returns the candidate picked, or "Keep for training".
    pub(in crate::app) fn recognition_ui(&mut self, ui: &mut egui::Ui) -> Option<AppCommand> {
        if self.settings.line_mode {
            return self.line_panel_ui(ui);
        }
        ui.heading("Candidates");
        crate::app::recognition::script_choice::script_choice_ui(ui, &mut self.settings.script);
        if self.writing.canvas.picture().is_some() && crate::app::recognition::script_choice::picture_box_ui(ui, &mut self.recognition.picture_as_box) {
            // The same picture, read the other way.
            self.recognition.posted_revision = u64::MAX;
        }
        let stale = !self.is_up_to_date();
        if self.recognition.candidates.is_empty() {
            let note = if self.writing.canvas.is_empty() {
                "Write a kana on the canvas."
            } else if self.recognition.blank && !stale {
                "Nothing to read: the drawing is empty or outside the box."
            } else {
                "Reading…"
            };
            ui.add(egui::Label::new(egui::RichText::new(note).weak()).wrap());
        }
        // The model's eye only when at least four candidate rows fit beside it.
        let eye = self.settings.show_model_eye && ui.available_height() > EYE_HEIGHT + KEEP_HEIGHT + 4.0 * candidates::ROW_HEIGHT;
        // A solid scrollbar: a floating one is invisible until hovered, hiding that rows are below.
        ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
        let (as_kuzushiji, picked) = egui::ScrollArea::vertical()
            .max_height(ui.available_height() - if eye { EYE_HEIGHT } else { 0.0 } - KEEP_HEIGHT)
            .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::VisibleWhenNeeded)
            .show(ui, |ui| {
                // Inside the scrolled part, so a long note never pushes the Keep row out of the panel.
                let as_kuzushiji = crate::app::recognition::script_choice::reading_notes_ui(ui, &self.recognition.reading_notes);
                (as_kuzushiji, candidates::candidates_ui(ui, &self.recognition.candidates, stale))
            })
            .inner;
        if as_kuzushiji {
            // As if chosen in the Script menu: the picture is read again under Kuzushiji.
            self.settings.script = crate::models::recognizer::ScriptChoice::Kuzushiji;
        }
        let keep = self.keep_ui(ui);
        if eye {
            ui.separator();
            ui.label("Model's eye (28×28 input)").on_hover_text(
                "Exactly what the network sees: the strokes redrawn with the model's pen, \
                 cleaned up and scaled to 28×28. Size and position in the box are kept, so small kana stay small.",
            );
            let size = egui::Vec2::splat(98.0);
            match (&self.recognition.eye, self.recognition.eye_input.is_some()) {
                (Some(tex), true) => {
                    ui.add(egui::Image::new((tex.id(), size)));
                }
                _ => {
                    let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
                    ui.painter().rect_filled(rect, 0.0, egui::Color32::BLACK);
                }
            }
        }
        picked.map(AppCommand::Pick).or(keep)
    }
}
