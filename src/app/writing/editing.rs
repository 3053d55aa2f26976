//! Changing the text and the canvas from the app: picks, copy, backspace, and undo/redo through
//! the one history ([`crate::app::writing::history`]) that covers both.

use crate::app::writing::history::{ChangeKind, Snapshot};
use crate::app::writing::text_buffer::{BufferAction, TextBuffer};
use crate::app::FudeApp;

impl FudeApp {
    /// Puts a character into the text at the cursor and clears the canvas (one undo step).
    pub(in crate::app) fn pick(&mut self, ch: char) {
        self.settings.text.insert(ch, &self.ctx);
        self.writing.canvas.clear();
        self.recognition.pending_top = false;
        self.say(format!("Added {ch}"), false);
    }

    pub(in crate::app) fn copy_text(&mut self) {
        self.settings.text.apply(BufferAction::Copy, &self.ctx);
        self.say("Text copied", false);
    }

    pub(in crate::app) fn backspace(&mut self) {
        if let Some(gone) = self.settings.text.backspace(&self.ctx) {
            self.say(format!("Removed {gone}"), false);
        }
    }

    /// Steps the shared canvas-and-text history back.
    pub(in crate::app) fn undo(&mut self) {
        if let Some(s) = self.writing.history.undo().cloned() {
            self.restore(s);
        }
    }

    /// Steps the shared canvas-and-text history forward.
    pub(in crate::app) fn redo(&mut self) {
        if let Some(s) = self.writing.history.redo().cloned() {
            self.restore(s);
        }
    }

    fn restore(&mut self, s: Snapshot) {
        if s.canvas_revision != self.writing.canvas.content_revision() {
            self.writing.canvas.restore(s.canvas, s.canvas_revision);
        }
        if s.text != self.settings.text.text() {
            self.settings.text.set(&s.text, &self.ctx);
        }
        self.shell.notice = None;
    }

    /// Records this frame's changes of the canvas and the text as one undo step; a change makes
    /// older status messages stale, so they go.
    pub(in crate::app) fn record_history(&mut self) {
        let typing = self.ctx.memory(|m| m.focused()) == Some(TextBuffer::area_id());
        if !typing {
            self.writing.history.break_typing_run();
        }
        let kind = if typing { ChangeKind::Typing } else { ChangeKind::Other };
        let changed = self.writing.history.record(self.writing.canvas.content(), self.writing.canvas.content_revision(), self.settings.text.text(), kind);
        if changed && self.shell.notice.as_ref().is_some_and(|n| n.at < self.shell.frame_start) {
            self.shell.notice = None;
        }
    }

    pub(in crate::app) fn pick_rank(&mut self, rank: usize) {
        if self.settings.line_mode {
            return self.take_line_rank(rank);
        }
        if let Some(p) = rank.checked_sub(1).and_then(|i| self.recognition.candidates.get(i)).copied() {
            self.pick(p.ch);
        }
    }
}
