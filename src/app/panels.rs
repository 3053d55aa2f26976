//! The panels around the canvas: menu bar, status line, recognition panel (candidates and the
//! model's eye) and the canvas toolbar.

use super::files::FileAction;
use super::settings::{self, Settings};
use super::{candidates, FudeApp};
use std::time::Duration;

/// Height of the model's eye with its heading, in points.
const EYE_HEIGHT: f32 = 136.0;

/// Height of the "Keep for training" row, in points.
const KEEP_HEIGHT: f32 = 30.0;

/// "1 stroke", "3 strokes".
pub fn stroke_count_text(n: usize) -> String {
    if n == 1 {
        "1 stroke".into()
    } else {
        format!("{n} strokes")
    }
}

impl FudeApp {
    pub(super) fn menu_ui(&mut self, ui: &mut egui::Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                for action in FileAction::ALL {
                    if ui.add_enabled(!self.files.dialog_open(), egui::Button::new(action.title())).clicked() {
                        self.start_file_action(action);
                    }
                }
                ui.separator();
                let bundled = self.model_name().as_deref() == Some("bundled");
                if ui.add_enabled(!bundled, egui::Button::new("Use the bundled recognizer")).clicked() {
                    self.training_action(super::training_panel::TrainingAction::UseBundledModel);
                }
                let bundled = self.generator.model_name() == Some("bundled");
                if ui.add_enabled(!bundled, egui::Button::new("Use the bundled generator")).clicked() {
                    self.training_action(super::training_panel::TrainingAction::UseBundledGenerator);
                }
                ui.separator();
                if ui.button("Type a path…").clicked() {
                    self.open_prompt(FileAction::OpenDrawing, String::new());
                }
                ui.separator();
                if ui.add(egui::Button::new("Quit").shortcut_text("Ctrl+Q")).clicked() {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button("Edit", |ui| {
                if ui.add_enabled(self.history.can_undo(), egui::Button::new("Undo").shortcut_text("Ctrl+Z")).clicked() {
                    self.undo();
                }
                if ui.add_enabled(self.history.can_redo(), egui::Button::new("Redo").shortcut_text("Ctrl+Shift+Z")).clicked() {
                    self.redo();
                }
                ui.separator();
                let has_text = !self.settings.text.text().is_empty();
                if ui.add_enabled(has_text, egui::Button::new("Copy text").shortcut_text("Ctrl+C")).clicked() {
                    self.copy_text();
                }
                if ui.add_enabled(has_text, egui::Button::new("Clear all text")).clicked() {
                    self.settings.text.set("", &self.ctx);
                    self.say("Text cleared (Ctrl+Z brings it back)", false);
                }
                if ui.add_enabled(!self.canvas.is_empty(), egui::Button::new("Clear canvas").shortcut_text("Esc")).clicked() {
                    self.canvas.clear();
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
                    self.show_training(training);
                }
            });
            if ui.button("Train…").on_hover_text("Train a recognizer on your choice of data").clicked() {
                self.show_training(!self.training.open);
            }
            ui.menu_button("Help", |ui| {
                if ui.add(egui::Button::new("Help").shortcut_text("F1")).clicked() {
                    self.help_open = true;
                }
                if ui.button("About fude").clicked() {
                    self.about_open = true;
                }
            });
        });
    }

    /// The models in use, short: "recognizer: bundled · generator: bundled".
    pub fn models_in_use(&self) -> String {
        let short = super::training_panel::short_model_name;
        let model = self.model_name().unwrap_or_else(|| "none".into());
        let generator = self.generator.model_name().unwrap_or("none");
        format!("recognizer: {} · generator: {}", short(&model), short(generator))
    }

    /// The models in use with their full paths.
    fn models_in_use_full(&self) -> String {
        let model = self.model_name().unwrap_or_else(|| "none".into());
        format!("Recognizer: {model} (on the CPU)\nGenerator: {}", self.generator.model_name().unwrap_or("none"))
    }

    pub(super) fn status_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(n) = &self.notice {
            if !n.error && n.at.elapsed() > Duration::from_secs(8) {
                self.notice = None;
            }
        }
        // Right to left: the latency first, so a long message is cut short instead of running
        // over it.
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if let Some(l) = self.last_latency {
                ui.weak(format!("recognised in {:.1} ms", l.as_secs_f64() * 1e3));
            }
            ui.weak(self.models_in_use()).on_hover_text(self.models_in_use_full());
            if self.notice.as_ref().is_some_and(|n| n.error) && ui.small_button("Dismiss").clicked() {
                self.notice = None;
            }
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                let text = match &self.notice {
                    Some(n) if n.error => egui::RichText::new(&n.text).color(ui.visuals().error_fg_color),
                    Some(n) => egui::RichText::new(&n.text),
                    None if self.settings.line_mode => {
                        egui::RichText::new("Write a line of kana · Enter takes the reading · click a character to change it · Ctrl+Z undo · F1 help").weak()
                    }
                    None => egui::RichText::new("Write one kana in the box · Enter or 1–9 takes a candidate · Ctrl+Z undo · F1 help").weak(),
                };
                let full = self.notice.as_ref().map(|n| n.text.clone());
                let label = ui.add(egui::Label::new(text).truncate());
                if let Some(full) = full {
                    label.on_hover_text(full);
                }
            });
        });
    }

    pub(super) fn recognition_ui(&mut self, ui: &mut egui::Ui) {
        if self.settings.line_mode {
            return self.line_panel_ui(ui);
        }
        ui.heading("Candidates");
        super::reading_choice::script_choice_ui(ui, &mut self.settings.script);
        if self.canvas.picture().is_some() && super::reading_choice::picture_box_ui(ui, &mut self.picture_as_box) {
            // The same picture, read the other way.
            self.posted_revision = u64::MAX;
        }
        let stale = !self.is_up_to_date();
        if self.candidates.is_empty() {
            let note = if self.canvas.is_empty() {
                "Write a kana on the canvas."
            } else if self.blank && !stale {
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
        let picked = egui::ScrollArea::vertical()
            .max_height(ui.available_height() - if eye { EYE_HEIGHT } else { 0.0 } - KEEP_HEIGHT)
            .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::VisibleWhenNeeded)
            .show(ui, |ui| {
                // Inside the scrolled part, so a long note never pushes the Keep row out of the panel.
                super::reading_choice::reading_notes_ui(ui, &self.reading_notes);
                candidates::candidates_ui(ui, &self.candidates, stale)
            })
            .inner;
        if let Some(ch) = picked {
            self.pick(ch);
        }
        self.keep_ui(ui);
        if eye {
            ui.separator();
            ui.label("Model's eye (28×28 input)").on_hover_text(
                "Exactly what the network sees: the strokes redrawn with the model's pen, \
                 cleaned up and scaled to 28×28. Size and position in the box are kept, so small kana stay small.",
            );
            let size = egui::Vec2::splat(98.0);
            match (&self.eye, self.eye_input.is_some()) {
                (Some(tex), true) => {
                    ui.add(egui::Image::new((tex.id(), size)));
                }
                _ => {
                    let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
                    ui.painter().rect_filled(rect, 0.0, egui::Color32::BLACK);
                }
            }
        }
    }

    pub(super) fn canvas_tools_ui(&mut self, ui: &mut egui::Ui) {
        // Wraps in a narrow window instead of cutting off the stroke count.
        ui.horizontal_wrapped(|ui| {
            self.mode_toggle_ui(ui);
            ui.separator();
            if ui.add_enabled(self.history.can_undo(), egui::Button::new("Undo")).on_hover_text("Undo the last stroke, pick or text edit (Ctrl+Z)").clicked() {
                self.undo();
            }
            if ui.add_enabled(self.history.can_redo(), egui::Button::new("Redo")).on_hover_text("Redo (Ctrl+Shift+Z or Ctrl+Y)").clicked() {
                self.redo();
            }
            if ui.add_enabled(!self.canvas.is_empty(), egui::Button::new("Clear")).on_hover_text("Clear (Esc or Delete)").clicked() {
                self.canvas.clear();
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
            let count = egui::RichText::new(stroke_count_text(self.canvas.stroke_count())).weak();
            ui.add(egui::Label::new(count).wrap_mode(egui::TextWrapMode::Extend));
        });
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
