//! The text being written, one picked character at a time, with copy, backspace and clear.

use egui::{FontId, RichText};

/// What the person asked the buffer to do this frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BufferAction {
    /// Copy the text to the clipboard.
    Copy,
    /// Remove the last character.
    Backspace,
    /// Remove everything.
    Clear,
}

/// The written text.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TextBuffer {
    text: String,
}

impl TextBuffer {
    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Appends a character.
    pub fn push(&mut self, ch: char) {
        self.text.push(ch);
    }

    /// Removes the last character; returns it.
    pub fn backspace(&mut self) -> Option<char> {
        self.text.pop()
    }

    /// Empties the buffer.
    pub fn clear(&mut self) {
        self.text.clear();
    }

    /// Applies an action; `Copy` puts the text on the clipboard through `ctx`.
    pub fn apply(&mut self, action: BufferAction, ctx: &egui::Context) {
        match action {
            BufferAction::Copy => ctx.copy_text(self.text.clone()),
            BufferAction::Backspace => {
                self.backspace();
            }
            BufferAction::Clear => self.clear(),
        }
    }

    /// Shows the text large, with its buttons; returns the button pressed.
    pub fn text_buffer_ui(&self, ui: &mut egui::Ui) -> Option<BufferAction> {
        let mut action = None;
        ui.horizontal(|ui| {
            let empty = self.text.is_empty();
            if ui
                .add_enabled(!empty, egui::Button::new("Copy"))
                .on_hover_text("Copy the text to the clipboard (Ctrl+C)")
                .clicked()
            {
                action = Some(BufferAction::Copy);
            }
            if ui
                .add_enabled(!empty, egui::Button::new("Backspace"))
                .on_hover_text("Remove the last character (Backspace)")
                .clicked()
            {
                action = Some(BufferAction::Backspace);
            }
            if ui.add_enabled(!empty, egui::Button::new("Clear text")).clicked() {
                action = Some(BufferAction::Clear);
            }
            ui.separator();
            let shown = if empty {
                RichText::new("Pick a candidate to start writing…").italics().weak()
            } else {
                RichText::new(&self.text).font(FontId::proportional(30.0)).strong()
            };
            let label = ui.add(egui::Label::new(shown).selectable(true).wrap());
            label.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, format!("text: {}", self.text)));
        });
        action
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits() {
        let mut b = TextBuffer::default();
        b.push('か');
        b.push('な');
        assert_eq!(b.text(), "かな");
        assert_eq!(b.backspace(), Some('な'));
        assert_eq!(b.text(), "か");
        b.clear();
        assert_eq!(b.backspace(), None);
    }
}
