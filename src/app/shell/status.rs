//! The status line: the latest notice (an error stays until dismissed), the models in use and
//! how long the last recognition took.

use crate::app::command::AppCommand;
use crate::app::FudeApp;
use std::time::Duration;

impl FudeApp {
    /// The models in use, short: "recognizer: bundled · generator: bundled".
    pub fn models_in_use(&self) -> String {
        let short = crate::app::training::panel::short_model_name;
        let model = self.model_name().unwrap_or_else(|| "none".into());
        let generator = self.generator.model_name().unwrap_or("none");
        format!("recognizer: {} · generator: {}", short(&model), short(generator))
    }

    /// The models in use with their full paths.
    fn models_in_use_full(&self) -> String {
        let model = self.model_name().unwrap_or_else(|| "none".into());
        format!("Recognizer: {model} (on the CPU)\nGenerator: {}", self.generator.model_name().unwrap_or("none"))
    }

    /// The status line; returns Dismiss when it is pressed.
    pub(in crate::app) fn status_ui(&mut self, ui: &mut egui::Ui) -> Option<AppCommand> {
        let mut command = None;
        if let Some(n) = &self.shell.notice {
            if !n.error && n.at.elapsed() > Duration::from_secs(8) {
                self.shell.notice = None;
            }
        }
        // Right to left: the latency first, so a long message is cut short instead of running
        // over it.
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if let Some(l) = self.recognition.last_latency {
                ui.weak(format!("recognised in {:.1} ms", l.as_secs_f64() * 1e3));
            }
            ui.weak(self.models_in_use()).on_hover_text(self.models_in_use_full());
            if self.shell.notice.as_ref().is_some_and(|n| n.error) && ui.small_button("Dismiss").clicked() {
                command = Some(AppCommand::DismissNotice);
            }
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                let text = match &self.shell.notice {
                    Some(n) if n.error => egui::RichText::new(&n.text).color(ui.visuals().error_fg_color),
                    Some(n) => egui::RichText::new(&n.text),
                    None if self.settings.line_mode => {
                        egui::RichText::new("Write a line of kana · Enter takes the reading · click a character to change it · Ctrl+Z undo · F1 help").weak()
                    }
                    None => egui::RichText::new("Write one kana in the box · Enter or 1–9 takes a candidate · Ctrl+Z undo · F1 help").weak(),
                };
                let full = self.shell.notice.as_ref().map(|n| n.text.clone());
                let label = ui.add(egui::Label::new(text).truncate());
                if let Some(full) = full {
                    label.on_hover_text(full);
                }
            });
        });
        command
    }
}
