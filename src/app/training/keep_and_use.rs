//! The app's side of training: "Keep for training" (the current drawing, labelled with the
//! typed character or the top candidate, saved to "my handwriting"), and showing the training
//! panel. What the panel asks for (use or save a trained model) is applied with the other
//! commands ([`crate::app::command`]).

use crate::app::command::AppCommand;
use crate::app::FudeApp;

impl FudeApp {
    /// The label "Keep for training" would use: the typed character, else the top candidate.
    pub fn keep_label(&self) -> Option<char> {
        let typed = self.recognition.keep_label.trim();
        match typed.chars().next() {
            Some(c) => Some(c),
            None => self.recognition.candidates.first().map(|p| p.ch),
        }
    }

    /// Saves the canvas as an example of [`Self::keep_label`] in the user's handwriting set.
    pub fn keep_for_training(&mut self) {
        if self.settings.line_mode {
            self.say("Keep for training keeps one character: switch to One character to keep a drawing", true);
            return;
        }
        if self.writing.canvas.picture().is_some() || self.writing.canvas.stroke_count() == 0 {
            self.say("Nothing to keep: draw a kana first (pictures cannot be kept)", true);
            return;
        }
        let Some(ch) = self.keep_label() else {
            self.say("Type the character this drawing shows, then keep it", true);
            return;
        };
        self.files.tasks.keep_drawing(self.training.handwriting_dir(), ch, self.writing.canvas.to_drawing());
        // Ready for the next one; the history records the clear as one step (Ctrl+Z brings the
        // drawing back).
        self.writing.canvas.clear();
        self.say(format!("Keeping this {ch} for training… (canvas cleared; Ctrl+Z brings it back)"), false);
    }

    /// The "Keep for training" row under the candidates.
    pub(in crate::app) fn keep_ui(&mut self, ui: &mut egui::Ui) -> Option<AppCommand> {
        ui.horizontal(|ui| {
            let hint = self.recognition.candidates.first().map(|p| p.ch.to_string()).unwrap_or_default();
            let label = ui.label("Label");
            ui.add(egui::TextEdit::singleline(&mut self.recognition.keep_label).hint_text(hint).desired_width(28.0).char_limit(1))
                .labelled_by(label.id)
                .on_hover_text("The character this drawing shows (empty: the top candidate)");
            let can = self.writing.canvas.stroke_count() > 0 && self.writing.canvas.picture().is_none() && self.keep_label().is_some();
            let keep = ui.add_enabled(can, egui::Button::new("Keep for training")).on_hover_text("Save this drawing to my handwriting (Ctrl+K)").clicked();
            keep.then_some(AppCommand::KeepForTraining)
        })
        .inner
    }

    /// Shows or hides the training panel.
    pub fn show_training(&mut self, open: bool) {
        self.training.open = open;
        if open {
            self.training.refresh();
        }
    }

    /// The training panel's state.
    pub fn training(&self) -> &crate::app::training::panel::TrainingPanel {
        &self.training
    }

    /// The training panel's state, to change.
    pub fn training_mut(&mut self) -> &mut crate::app::training::panel::TrainingPanel {
        &mut self.training
    }
}
