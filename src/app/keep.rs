//! The app's side of training: "Keep for training" (the current drawing, labelled with the
//! typed character or the top candidate, saved to "my handwriting") and what the training
//! panel asks for (use or save a trained model).

use super::files::FileAction;
use super::training_panel::TrainingAction;
use super::FudeApp;

impl FudeApp {
    /// The label "Keep for training" would use: the typed character, else the top candidate.
    pub fn keep_label(&self) -> Option<char> {
        let typed = self.keep_label.trim();
        match typed.chars().next() {
            Some(c) => Some(c),
            None => self.candidates.first().map(|p| p.ch),
        }
    }

    /// Saves the canvas as an example of [`Self::keep_label`] in the user's handwriting set.
    pub fn keep_for_training(&mut self) {
        if self.settings.line_mode {
            self.say("Keep for training keeps one character: switch to One character to keep a drawing", true);
            return;
        }
        if self.canvas.picture().is_some() || self.canvas.stroke_count() == 0 {
            self.say("Nothing to keep: draw a kana first (pictures cannot be kept)", true);
            return;
        }
        let Some(ch) = self.keep_label() else {
            self.say("Type the character this drawing shows, then keep it", true);
            return;
        };
        self.files.keep_drawing(self.training.handwriting_dir(), ch, self.canvas.to_drawing());
        // Ready for the next one; the history records the clear as one step (Ctrl+Z brings the
        // drawing back).
        self.canvas.clear();
        self.say(format!("Keeping this {ch} for training… (canvas cleared; Ctrl+Z brings it back)"), false);
    }

    /// The "Keep for training" row under the candidates.
    pub(super) fn keep_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let hint = self.candidates.first().map(|p| p.ch.to_string()).unwrap_or_default();
            let label = ui.label("Label");
            ui.add(egui::TextEdit::singleline(&mut self.keep_label).hint_text(hint).desired_width(28.0).char_limit(1))
                .labelled_by(label.id)
                .on_hover_text("The character this drawing shows (empty: the top candidate)");
            let can = self.canvas.stroke_count() > 0 && self.canvas.picture().is_none() && self.keep_label().is_some();
            if ui.add_enabled(can, egui::Button::new("Keep for training")).on_hover_text("Save this drawing to my handwriting (Ctrl+K)").clicked() {
                self.keep_for_training();
            }
        });
    }

    /// Shows or hides the training panel.
    pub fn show_training(&mut self, open: bool) {
        self.training.open = open;
        if open {
            self.training.refresh();
        }
    }

    /// The training panel's state.
    pub fn training(&self) -> &super::training_panel::TrainingPanel {
        &self.training
    }

    /// The training panel's state, to change.
    pub fn training_mut(&mut self) -> &mut super::training_panel::TrainingPanel {
        &mut self.training
    }

    pub(super) fn training_action(&mut self, action: TrainingAction) {
        match action {
            TrainingAction::UseModel(path) => {
                self.say(format!("Loading {}…", path.display()), false);
                self.files.open_model(crate::models::checkpoint_io::weights_path(&path));
            }
            TrainingAction::UseGenerator(path) => {
                self.say(format!("Loading the generator {}…", path.display()), false);
                self.settings.show_generator = true;
                self.files.open_generator(crate::models::checkpoint_io::weights_path(&path));
            }
            TrainingAction::SaveModel(path) => {
                self.model_to_save = Some(path);
                let name = match self.training.run_model() {
                    crate::training::ModelKind::Recognizer => "recognizer.safetensors",
                    crate::training::ModelKind::Generator => "generator.safetensors",
                };
                self.files.dialog(FileAction::SaveModel, name);
            }
            TrainingAction::AddFont => self.files.dialog(FileAction::AddFont, ""),
            TrainingAction::UseBundledModel => {
                self.say("Loading the bundled recognizer…", false);
                self.files.open_bundled_model();
            }
            TrainingAction::UseBundledGenerator => {
                self.say("Loading the bundled generator…", false);
                self.files.open_bundled_generator();
            }
        }
    }
}
