//! The keyboard: shortcuts, what Esc, Enter and Space do, and a visible focus ring.
//!
//! Esc closes the innermost thing first: an open menu or popup (egui closes it), then the path
//! field, then Help and About, then it takes the keyboard focus away; only when nothing else is
//! open does it clear the drawing. Enter takes the top candidate (once the candidates answer the
//! drawing as it is); Space does too when the canvas has strokes, and inserts a space when it is
//! empty. Neither fires while a button or another field has the keyboard focus: there, Space and
//! Enter press the button.

use super::text_buffer::{TextBuffer, SPACE};
use super::FudeApp;
use egui::{Key, KeyboardShortcut as Ks, Modifiers as M};

/// What a frame's keys asked for.
#[derive(Debug, Default)]
struct Keys {
    undo: bool,
    redo: bool,
    escape: bool,
    delete: bool,
    back: bool,
    enter: bool,
    space: bool,
    copy: bool,
    quit: bool,
    keep: bool,
    help: bool,
    digit: Option<usize>,
}

impl FudeApp {
    /// Handles this frame's keyboard shortcuts (before the panels are drawn, so the keys a
    /// shortcut takes are not seen by the widgets too).
    pub(super) fn shortcuts(&mut self, ctx: &egui::Context) {
        let focused = ctx.memory(|m| m.focused());
        let area = focused == Some(TextBuffer::area_id());
        // Another text field (the path, the training label) keeps its keys.
        let other_field = ctx.text_edit_focused() && !area;
        let free = focused.is_none();
        let popup_open = egui::Popup::is_any_open(ctx);
        let any_field = ctx.text_edit_focused();
        let keys = ctx.input_mut(|i| {
            let mut k = Keys::default();
            if !other_field {
                k.redo = i.consume_shortcut(&Ks::new(M::COMMAND | M::SHIFT, Key::Z)) || i.consume_shortcut(&Ks::new(M::COMMAND, Key::Y));
                k.undo = i.consume_shortcut(&Ks::new(M::COMMAND, Key::Z));
                k.enter = (free || area) && i.consume_key(M::NONE, Key::Enter);
            }
            // Esc is left to egui while a menu or popup is open: it closes that.
            k.escape = !popup_open && i.consume_key(M::NONE, Key::Escape);
            k.help = i.consume_key(M::NONE, Key::F1);
            if !any_field {
                k.quit = i.consume_shortcut(&Ks::new(M::COMMAND, Key::Q));
                k.keep = i.consume_shortcut(&Ks::new(M::COMMAND, Key::K));
                k.delete = i.consume_key(M::NONE, Key::Delete);
                k.back = i.consume_key(M::NONE, Key::Backspace);
                k.copy = i.events.iter().any(|e| matches!(e, egui::Event::Copy));
                let digits = [Key::Num1, Key::Num2, Key::Num3, Key::Num4, Key::Num5, Key::Num6, Key::Num7, Key::Num8, Key::Num9, Key::Num0];
                k.digit = digits.iter().position(|d| i.consume_key(M::NONE, *d)).map(|p| p + 1);
            }
            // In the text area with nothing selected, Ctrl+C copies all the text (egui copies a selection).
            k.copy |= area && i.events.iter().any(|e| matches!(e, egui::Event::Copy));
            k.space = free && i.consume_key(M::NONE, Key::Space);
            k
        });
        if keys.quit {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if keys.keep {
            self.keep_for_training();
        }
        if keys.help {
            self.help_open = !self.help_open;
        }
        if keys.redo {
            self.redo();
        } else if keys.undo {
            self.undo();
        }
        if keys.escape {
            self.escape();
        }
        if keys.delete {
            self.canvas.clear();
        }
        if keys.back {
            self.backspace();
        }
        if keys.copy && !self.settings.text.text().is_empty() && !(area && self.settings.text.has_selection(ctx)) {
            self.copy_text();
        }
        if let Some(rank) = keys.digit {
            self.pick_rank(rank);
        }
        if keys.enter {
            self.take_top();
        }
        if keys.space {
            if self.canvas.is_empty() {
                self.settings.text.insert(SPACE, ctx);
            } else {
                self.take_top();
            }
        }
    }

    /// Esc: closes the innermost open thing, or clears the drawing when nothing is open.
    fn escape(&mut self) {
        if self.prompt.is_some() {
            self.prompt = None;
        } else if self.help_open || self.about_open {
            self.help_open = false;
            self.about_open = false;
        } else if self.had_focus {
            // egui has already taken the focus away: that is all Esc does this time.
        } else if self.pending_top {
            self.pending_top = false;
        } else {
            self.canvas.clear();
        }
    }

    /// Takes the top candidate now if it answers the drawing as it is, or as soon as it does.
    pub(super) fn take_top(&mut self) {
        if self.canvas.is_empty() {
            self.say("Nothing to take: write a kana first", false);
            return;
        }
        self.pending_top = true;
        self.take_pending_top();
    }

    /// Picks the top candidate for a waiting Enter once the candidates are up to date.
    pub(super) fn take_pending_top(&mut self) {
        if !self.pending_top {
            return;
        }
        if self.canvas.is_empty() {
            self.pending_top = false;
        } else if self.is_up_to_date() && !self.canvas.is_drawing() {
            self.pending_top = false;
            self.pick_rank(1);
        }
    }

    /// Paints a ring around the widget that has the keyboard focus (text fields show their own).
    pub(super) fn focus_ring(&mut self, ctx: &egui::Context) {
        let focused = ctx.memory(|m| m.focused());
        self.had_focus = focused.is_some();
        let Some(response) = focused.and_then(|id| ctx.read_response(id)) else { return };
        if ctx.text_edit_focused() {
            return;
        }
        let stroke = egui::Stroke::new(2.0, ctx.global_style().visuals.selection.stroke.color);
        let painter = ctx.layer_painter(egui::LayerId::new(egui::Order::Tooltip, egui::Id::unique("focus-ring")));
        // The visible part only (a widget scrolled half out of view is not ringed over its neighbours).
        painter.rect_stroke(response.interact_rect.expand(2.0), 4.0, stroke, egui::StrokeKind::Outside);
    }
}
