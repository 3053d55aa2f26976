//! The panels around the canvas: menu bar, status line, recognition panel (candidates and the
//! model's eye) and the canvas toolbar.

use super::files::{FileAction, PathPrompt};
use super::settings::{self, Settings};
use super::{candidates, FudeApp};
use std::time::Duration;

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
                if ui.button("Type a path…").clicked() {
                    self.prompt = Some(PathPrompt {
                        action: FileAction::OpenDrawing,
                        path: String::new(),
                        reason: String::new(),
                    });
                }
                ui.separator();
                if ui.add(egui::Button::new("Quit").shortcut_text("Ctrl+Q")).clicked() {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button("Edit", |ui| {
                if ui.add_enabled(self.canvas.can_undo(), egui::Button::new("Undo").shortcut_text("Ctrl+Z")).clicked() {
                    self.canvas.undo();
                }
                if ui.add_enabled(self.canvas.can_redo(), egui::Button::new("Redo").shortcut_text("Ctrl+Shift+Z")).clicked() {
                    self.canvas.redo();
                }
                if ui.add(egui::Button::new("Clear canvas").shortcut_text("Esc")).clicked() {
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
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let model = self.recognition.model().map(|m| m.name).unwrap_or_else(|| "none".into());
                ui.weak(format!("model: {model} · CPU"));
            });
        });
    }

    pub(super) fn status_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if let Some(n) = &self.notice {
                if !n.error && n.at.elapsed() > Duration::from_secs(8) {
                    self.notice = None;
                }
            }
            match &self.notice {
                Some(n) if n.error => {
                    ui.colored_label(ui.visuals().error_fg_color, &n.text);
                    if ui.small_button("Dismiss").clicked() {
                        self.notice = None;
                    }
                }
                Some(n) => {
                    ui.label(&n.text);
                }
                None => {
                    ui.weak("Write one kana in the box · 1–9 picks a candidate · Ctrl+Z undo · Esc clear");
                }
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if let Some(l) = self.last_latency {
                    ui.weak(format!("recognised in {:.1} ms", l.as_secs_f64() * 1e3));
                }
            });
        });
    }

    pub(super) fn recognition_ui(&mut self, ui: &mut egui::Ui) {
        ui.heading("Candidates");
        let stale = !self.is_up_to_date();
        if self.candidates.is_empty() {
            ui.weak(if self.canvas.is_empty() { "Write a kana on the canvas." } else { "Reading…" });
        }
        let picked = egui::ScrollArea::vertical()
            .max_height(ui.available_height() - if self.settings.show_model_eye { 136.0 } else { 0.0 } - 30.0)
            .show(ui, |ui| candidates::candidates_ui(ui, &self.candidates, stale))
            .inner;
        if let Some(ch) = picked {
            self.pick(ch);
        }
        self.keep_ui(ui);
        if self.settings.show_model_eye {
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
        ui.horizontal(|ui| {
            if ui.add_enabled(self.canvas.can_undo(), egui::Button::new("Undo")).on_hover_text("Undo (Ctrl+Z)").clicked() {
                self.canvas.undo();
            }
            if ui.add_enabled(self.canvas.can_redo(), egui::Button::new("Redo")).on_hover_text("Redo (Ctrl+Shift+Z or Ctrl+Y)").clicked() {
                self.canvas.redo();
            }
            if ui.add_enabled(!self.canvas.is_empty(), egui::Button::new("Clear")).on_hover_text("Clear (Esc or Delete)").clicked() {
                self.canvas.clear();
            }
            ui.separator();
            ui.label("Pen");
            ui.add(egui::Slider::new(&mut self.settings.pen_width, Settings::PEN_RANGE).show_value(false))
                .on_hover_text("On-screen pen width (the model always sees its own pen)");
            ui.weak(format!("{} strokes", self.canvas.stroke_count()));
        });
    }
}
