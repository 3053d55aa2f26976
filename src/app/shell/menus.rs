//! The menu bar: File (file actions, the bundled models, a typed path, Quit), Edit, View, Train
//! and Help.

use crate::app::command::AppCommand;
use crate::app::files::tasks::FileAction;
use crate::app::shell::settings;
use crate::app::FudeApp;

impl FudeApp {
    /// The menu bar; returns the item chosen. The View menu's checkboxes change the settings
    /// they show.
    pub(in crate::app) fn menu_ui(&mut self, ui: &mut egui::Ui) -> Option<AppCommand> {
        let mut command = None;
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                for action in FileAction::ALL {
                    if ui.add_enabled(!self.files.tasks.dialog_open(), egui::Button::new(action.title())).clicked() {
                        command = Some(AppCommand::StartFile(action));
                    }
                }
                ui.separator();
                let bundled = self.model_name().as_deref() == Some(crate::models::BUNDLED_NAME);
                if ui.add_enabled(!bundled, egui::Button::new("Use the bundled recognizer")).clicked() {
                    command = Some(AppCommand::UseBundledModel);
                }
                let bundled = self.generator.model_name() == Some(crate::models::BUNDLED_NAME);
                if ui.add_enabled(!bundled, egui::Button::new("Use the bundled generator")).clicked() {
                    command = Some(AppCommand::UseBundledGenerator);
                }
                ui.separator();
                if ui.button("Type a path…").clicked() {
                    command = Some(AppCommand::OpenPrompt(FileAction::OpenDrawing, String::new()));
                }
                ui.separator();
                if ui.add(egui::Button::new("Quit").shortcut_text("Ctrl+Q")).clicked() {
                    command = Some(AppCommand::Quit);
                }
            });
            ui.menu_button("Edit", |ui| {
                if ui.add_enabled(self.writing.history.can_undo(), egui::Button::new("Undo").shortcut_text("Ctrl+Z")).clicked() {
                    command = Some(AppCommand::Undo);
                }
                if ui.add_enabled(self.writing.history.can_redo(), egui::Button::new("Redo").shortcut_text("Ctrl+Shift+Z")).clicked() {
                    command = Some(AppCommand::Redo);
                }
                ui.separator();
                let has_text = !self.settings.text.text().is_empty();
                if ui.add_enabled(has_text, egui::Button::new("Copy text").shortcut_text("Ctrl+C")).clicked() {
                    command = Some(AppCommand::CopyText);
                }
                if ui.add_enabled(has_text, egui::Button::new("Clear all text")).clicked() {
                    command = Some(AppCommand::ClearText);
                }
                if ui.add_enabled(!self.writing.canvas.is_empty(), egui::Button::new("Clear canvas").shortcut_text("Esc")).clicked() {
                    command = Some(AppCommand::ClearCanvas);
                }
            });
            ui.menu_button("View", |ui| {
                ui.label("Theme");
                let before = self.settings.theme;
                ui.radio_value(&mut self.settings.theme, settings::Theme::System, "Follow system");
                ui.radio_value(&mut self.settings.theme, settings::Theme::Light, "Light");
                ui.radio_value(&mut self.settings.theme, settings::Theme::Dark, "Dark");
                if self.settings.theme != before {
                    ui.ctx().set_theme(self.settings.theme.preference());
                }
                ui.separator();
                ui.checkbox(&mut self.settings.show_model_eye, "Show the model's eye");
                ui.checkbox(&mut self.settings.live_while_drawing, "Recognise while drawing");
                ui.checkbox(&mut self.settings.show_generator, "Generator panel");
                let mut training = self.training.open;
                if ui.checkbox(&mut training, "Training panel").changed() {
                    command = Some(AppCommand::ShowTraining(training));
                }
            });
            if ui.button("Train…").on_hover_text("Train a recognizer on your choice of data").clicked() {
                command = Some(AppCommand::ShowTraining(!self.training.open));
            }
            ui.menu_button("Help", |ui| {
                if ui.add(egui::Button::new("Help").shortcut_text("F1")).clicked() {
                    command = Some(AppCommand::ShowHelp);
                }
                if ui.button("About fude").clicked() {
                    command = Some(AppCommand::ShowAbout);
                }
            });
        });
        command
    }
}
