//! The text being written: a text area with a cursor and a selection, where picked characters
//! go in at the cursor, with Copy, Backspace, Clear text, a space key and a small punctuation
//! palette. The area wraps and scrolls inside a fixed height, so the bar never grows over the
//! canvas however long the text gets.

use egui::text::{CCursor, CCursorRange};
use egui::{FontId, Id, RichText};

/// What the person asked the buffer to do this frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BufferAction {
    /// Copy the text to the clipboard.
    Copy,
    /// Remove the character before the cursor (or the selection).
    Backspace,
    /// Remove everything.
    Clear,
    /// Insert this character at the cursor.
    Insert(char),
}

/// The punctuation palette: ideographic comma and full stop, long-vowel mark, corner brackets,
/// middle dot.
pub const PUNCTUATION: [char; 6] = ['、', '。', 'ー', '「', '」', '・'];

/// The ideographic (full-width) space the Space button inserts.
pub const SPACE: char = '\u{3000}';

/// Height of the text area, in points (about two lines of the text's size).
const AREA_HEIGHT: f32 = 64.0;

/// Size of the written text.
const TEXT_SIZE: f32 = 26.0;

/// Height of the whole text bar: buttons, text area, margins.
pub const BAR_HEIGHT: f32 = AREA_HEIGHT + 44.0;

/// The written text.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TextBuffer {
    text: String,
}

impl TextBuffer {
    /// The id of the text area (its cursor and selection are kept under it).
    pub fn area_id() -> Id {
        Id::unique("fude-text-area")
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Replaces the whole text (undo and redo); the cursor goes to the end.
    pub fn set(&mut self, text: &str, ctx: &egui::Context) {
        self.text = text.to_string();
        let end = self.text.chars().count();
        self.set_cursor(ctx, end, end);
    }

    /// Appends a character (tests and callers without a UI).
    pub fn push(&mut self, ch: char) {
        self.text.push(ch);
    }

    /// Empties the buffer.
    pub fn clear(&mut self) {
        self.text.clear();
    }

    /// The selection (or the cursor, as an empty range) in characters, clamped to the text.
    /// Without a remembered cursor, the end of the text.
    fn selection(&self, ctx: &egui::Context) -> (usize, usize) {
        let len = self.text.chars().count();
        let range = egui::TextEdit::load_state(ctx, Self::area_id()).and_then(|s| s.cursor.char_range());
        match range {
            Some(r) => {
                let (a, b) = (r.primary.index.0.min(len), r.secondary.index.0.min(len));
                (a.min(b), a.max(b))
            }
            None => (len, len),
        }
    }

    /// Whether part of the text is selected.
    pub fn has_selection(&self, ctx: &egui::Context) -> bool {
        let (from, to) = self.selection(ctx);
        from != to
    }

    fn set_cursor(&self, ctx: &egui::Context, from: usize, to: usize) {
        let mut state = egui::TextEdit::load_state(ctx, Self::area_id()).unwrap_or_default();
        state.cursor.set_char_range(Some(CCursorRange::two(CCursor::new(from), CCursor::new(to))));
        egui::TextEdit::store_state(ctx, Self::area_id(), state);
    }

    /// Byte offset of the character at `index` (the end when past it).
    fn byte_at(&self, index: usize) -> usize {
        self.text.char_indices().nth(index).map_or(self.text.len(), |(b, _)| b)
    }

    /// Replaces the characters `from..to` with `with`; the cursor goes after it.
    fn splice(&mut self, ctx: &egui::Context, from: usize, to: usize, with: &str) {
        let (a, b) = (self.byte_at(from), self.byte_at(to));
        self.text.replace_range(a..b, with);
        let at = from + with.chars().count();
        self.set_cursor(ctx, at, at);
    }

    /// Inserts `ch` at the cursor, replacing the selection.
    pub fn insert(&mut self, ch: char, ctx: &egui::Context) {
        let (from, to) = self.selection(ctx);
        self.splice(ctx, from, to, ch.encode_utf8(&mut [0; 4]));
    }

    /// Inserts `text` at the cursor, replacing the selection (a line reading taken at once).
    pub fn insert_str(&mut self, text: &str, ctx: &egui::Context) {
        let (from, to) = self.selection(ctx);
        self.splice(ctx, from, to, text);
    }

    /// Removes the selection, or the character before the cursor; returns what went.
    pub fn backspace(&mut self, ctx: &egui::Context) -> Option<String> {
        let (from, to) = self.selection(ctx);
        let from = if from == to { from.checked_sub(1)? } else { from };
        let gone: String = self.text.chars().skip(from).take(to - from).collect();
        self.splice(ctx, from, to, "");
        Some(gone)
    }

    /// Applies an action; `Copy` puts the text on the clipboard through `ctx`.
    pub fn apply(&mut self, action: BufferAction, ctx: &egui::Context) {
        match action {
            BufferAction::Copy => ctx.copy_text(self.text.clone()),
            BufferAction::Backspace => {
                self.backspace(ctx);
            }
            BufferAction::Clear => self.set("", ctx),
            BufferAction::Insert(ch) => self.insert(ch, ctx),
        }
    }

    /// Shows the buttons, the palette and the text area; returns the button pressed. The text
    /// area edits the text directly (typing, selection, Delete).
    pub fn text_buffer_ui(&mut self, ui: &mut egui::Ui) -> Option<BufferAction> {
        let mut action = None;
        let empty = self.text.is_empty();
        let mut label = None;
        ui.horizontal(|ui| {
            label = Some(ui.weak("Written text").id);
            let mut button = |ui: &mut egui::Ui, enabled: bool, text: &str, hover: &str, what: BufferAction| {
                if ui.add_enabled(enabled, egui::Button::new(text)).on_hover_text(hover).clicked() {
                    action = Some(what);
                }
            };
            button(ui, !empty, "Copy", "Copy the text to the clipboard (Ctrl+C)", BufferAction::Copy);
            button(ui, !empty, "Backspace", "Remove the character before the cursor (Backspace)", BufferAction::Backspace);
            button(ui, !empty, "Clear text", "Remove all the text (Ctrl+Z brings it back)", BufferAction::Clear);
            ui.separator();
            button(ui, true, "Space", "Insert a full-width space (Space, when the canvas is empty)", BufferAction::Insert(SPACE));
            for ch in PUNCTUATION {
                let text = ch.to_string();
                let hover = format!("Insert {ch} at the cursor");
                let clicked = ui
                    .add(egui::Button::new(RichText::new(&text).size(16.0)).min_size(egui::vec2(26.0, 0.0)))
                    .on_hover_text(hover);
                clicked.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, format!("insert {ch}")));
                if clicked.clicked() {
                    action = Some(BufferAction::Insert(ch));
                }
            }
        });
        ui.add_space(2.0);
        ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
        egui::ScrollArea::vertical()
            .id_salt("text-scroll")
            .max_height(AREA_HEIGHT)
            .auto_shrink([false, true])
            .stick_to_bottom(true)
            .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::VisibleWhenNeeded)
            .show(ui, |ui| {
                let edit = egui::TextEdit::multiline(&mut self.text)
                    .id(Self::area_id())
                    .font(FontId::proportional(TEXT_SIZE))
                    .hint_text("Pick a candidate to start writing…")
                    .desired_rows(1)
                    .desired_width(f32::INFINITY)
                    .return_key(None);
                let response = ui.add(edit);
                if let Some(label) = label {
                    response.labelled_by(label);
                }
            });
        action
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_and_deletes_at_the_cursor() {
        let ctx = egui::Context::default();
        let mut b = TextBuffer::default();
        b.insert('か', &ctx);
        b.insert('な', &ctx);
        assert_eq!(b.text(), "かな");
        b.set_cursor(&ctx, 1, 1);
        b.insert('ん', &ctx);
        assert_eq!(b.text(), "かんな", "in the middle, at the cursor");
        assert_eq!(b.backspace(&ctx).as_deref(), Some("ん"));
        assert_eq!(b.text(), "かな");
        b.set_cursor(&ctx, 0, 2);
        b.insert('。', &ctx);
        assert_eq!(b.text(), "。", "a selection is replaced");
        b.set_cursor(&ctx, 0, 0);
        assert_eq!(b.backspace(&ctx), None, "nothing before the cursor");
        b.set("あい", &ctx);
        b.insert('う', &ctx);
        assert_eq!(b.text(), "あいう", "after set, the cursor is at the end");
        b.apply(BufferAction::Clear, &ctx);
        assert_eq!(b.text(), "");
    }

    #[test]
    fn a_cursor_past_the_end_is_clamped() {
        let ctx = egui::Context::default();
        let mut b = TextBuffer::default();
        b.set_cursor(&ctx, 9, 9);
        b.insert('あ', &ctx);
        assert_eq!(b.text(), "あ");
    }
}
