//! The keyboard: shortcuts, what Esc, Enter and Space do, and a visible focus ring.
//!
//! Esc closes the innermost thing first: an open menu or popup (egui closes it), then the path
//! field, then Help and About, then it takes the keyboard focus away; only when nothing else is
//! open does it clear the drawing. Enter takes the top candidate (once the candidates answer the
//! drawing as it is); Space does too when the canvas has strokes, and inserts a space when it is
//! empty. Neither fires while a button or another field has the keyboard focus: there, Space and
//! Enter press the button.

use crate::app::writing::text_buffer::{TextBuffer, SPACE};
use crate::app::command::AppCommand;
use crate::app::FudeApp;
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
    /// This frame's keyboard shortcuts, as commands (taken before the panels are drawn, so the
    /// keys a shortcut takes are not seen by the widgets too).
    pub(in crate::app) fn shortcuts(&self, ctx: &egui::Context) -> Vec<AppCommand> {
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
        let mut commands = Vec::new();
        let mut push = |on: bool, command: AppCommand| {
            if on {
                commands.push(command);
            }
        };
        push(keys.quit, AppCommand::Quit);
        push(keys.keep, AppCommand::KeepForTraining);
        push(keys.help, AppCommand::ToggleHelp);
        push(keys.redo, AppCommand::Redo);
        push(keys.undo && !keys.redo, AppCommand::Undo);
        push(keys.escape, AppCommand::Escape);
        push(keys.delete, AppCommand::ClearCanvas);
        push(keys.back, AppCommand::Backspace);
        let copy = keys.copy && !self.settings.text.text().is_empty() && !(area && self.settings.text.has_selection(ctx));
        push(copy, AppCommand::CopyText);
        if let Some(rank) = keys.digit {
            push(true, AppCommand::PickRank(rank));
        }
        push(keys.enter, AppCommand::TakeTop);
        if keys.space {
            push(true, if self.writing.canvas.is_empty() { AppCommand::Insert(SPACE) } else { AppCommand::TakeTop });
        }
        commands
    }

    /// Esc: closes the innermost open thing, or clears the drawing when nothing is open.
    pub(in crate::app) fn escape(&mut self) {
        if self.windows.prompt.is_some() {
            self.windows.prompt = None;
        } else if self.windows.help || self.windows.about {
            self.windows.help = false;
            self.windows.about = false;
        } else if self.shell.had_focus {
            // egui has already taken the focus away: that is all Esc does this time.
        } else if self.recognition.pending_top {
            self.recognition.pending_top = false;
        } else {
            self.writing.canvas.clear();
        }
    }

    /// Takes the top candidate now if it answers the drawing as it is, or as soon as it does.
    pub(in crate::app) fn take_top(&mut self) {
        if self.writing.canvas.is_empty() {
            self.say("Nothing to take: write a kana first", false);
            return;
        }
        self.recognition.pending_top = true;
        self.take_pending_top();
    }

    /// Picks the top candidate for a waiting Enter once the candidates are up to date.
    pub(in crate::app) fn take_pending_top(&mut self) {
        if !self.recognition.pending_top {
            return;
        }
        if self.writing.canvas.is_empty() {
            self.recognition.pending_top = false;
        } else if self.is_up_to_date() && !self.writing.canvas.is_drawing() {
            self.recognition.pending_top = false;
            self.pick_rank(1);
        }
    }

    /// Paints a ring around the widget that has the keyboard focus (text fields show their own).
    pub(in crate::app) fn focus_ring(&mut self, ctx: &egui::Context) {
        let focused = ctx.memory(|m| m.focused());
        self.shell.had_focus = focused.is_some();
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
