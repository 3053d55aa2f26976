//! The generator panel's "Write my text" tab: a line typed (or taken from the text written so
//! far), written in the sliders' style or in the style of the drawing on the canvas, shown and
//! exported. The letters are decoded on the generation worker ([`crate::models::generator::lettering`]).

use crate::app::generator::pictures::InkTexture;
use crate::models::generator::lettering::MAX_TEXT_CHARS;
use crate::ink::InkImage;
use egui::Vec2;

/// Letters per row in the panel (and its export).
pub const PER_ROW: usize = 10;

/// What the tab asks the panel to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextAction {
    /// Write the text in the chosen style.
    Write,
    /// Put the text written so far into the field.
    UseWrittenText,
    /// Export the written line as PNG.
    Export,
}

/// The text tab's state.
pub struct WriteText {
    /// The text to write.
    pub text: String,
    /// Write in the style of the drawing on the canvas (else: the sliders).
    pub from_drawing: bool,
    /// The text the picture shows.
    pub written: String,
    picture: Option<InkImage>,
    texture: InkTexture,
    /// Why the last request failed.
    pub error: Option<String>,
}

impl Default for WriteText {
    fn default() -> Self {
        WriteText { text: "ありがとう".into(), from_drawing: false, written: String::new(), picture: None, texture: InkTexture::default(), error: None }
    }
}

impl WriteText {
    /// Takes in a written line (ink bright) of `text`.
    pub fn receive(&mut self, text: String, picture: InkImage) {
        self.written = text;
        self.picture = Some(picture);
        self.texture.invalidate();
        self.error = None;
    }

    /// The written line (ink bright), once there is one.
    pub fn picture(&self) -> Option<&InkImage> {
        self.picture.as_ref()
    }

    /// Forgets the line (another model).
    pub fn clear(&mut self) {
        self.picture = None;
        self.written.clear();
    }

    /// Shows the field, the style choice, the buttons and the line.
    pub fn write_text_ui(&mut self, ui: &mut egui::Ui) -> Option<TextAction> {
        let mut action = None;
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Your text");
            let edit = egui::TextEdit::singleline(&mut self.text).char_limit(MAX_TEXT_CHARS).hint_text("ありがとう").desired_width(ui.available_width().min(220.0));
            let response = ui.add(edit).labelled_by(label.id).on_hover_text(format!("Up to {MAX_TEXT_CHARS} kana; a space leaves a gap"));
            if response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                action = Some(TextAction::Write);
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.label("in the style of");
            ui.radio_value(&mut self.from_drawing, false, "the sliders");
            ui.radio_value(&mut self.from_drawing, true, "my drawing").on_hover_text("The kana on the canvas, encoded as the recognizer reads it");
        });
        ui.horizontal_wrapped(|ui| {
            if ui.button("Write").clicked() {
                action = Some(TextAction::Write);
            }
            if ui.button("Use my written text").on_hover_text("The text written in the app so far").clicked() {
                action = Some(TextAction::UseWrittenText);
            }
            if ui.add_enabled(self.picture.is_some(), egui::Button::new("Export text PNG…")).clicked() {
                action = Some(TextAction::Export);
            }
        });
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if let Some(picture) = &self.picture {
            ui.weak(format!("“{}”", self.written));
            let dark = ui.visuals().dark_mode;
            let id = self.texture.texture_id(ui.ctx(), "generator-text", picture, dark);
            let width = ui.available_width().max(100.0);
            let size = Vec2::new(width, width * picture.height as f32 / picture.width.max(1) as f32);
            let response = ui.add(egui::Image::new((id, size)));
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, "text in this style"));
        }
        action
    }
}
