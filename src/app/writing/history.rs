//! One undo/redo history for the canvas and the text together.
//!
//! The app does not record each edit where it happens: at the end of every frame it compares
//! what the canvas and the text hold with the last recorded state, and a difference becomes one
//! undo step. So a pick (a character added and the canvas cleared in the same frame) is one step,
//! Clear text is a step, and a run of typing in the text field is merged into one step.

use crate::app::writing::canvas::CanvasContent;

/// What one undo step brings back.
#[derive(Clone, Default)]
pub struct Snapshot {
    /// The canvas's finished content.
    pub canvas: CanvasContent,
    /// Which canvas content this is (the canvas's content revision when it was taken).
    pub canvas_revision: u64,
    /// The written text.
    pub text: String,
}

/// What kind of change a frame made, for merging runs of typing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Typed into the text field (merged with the typing just before it).
    Typing,
    /// Anything else: a stroke, a pick, a clear.
    Other,
}

/// The undo and redo stacks, and the state they start from.
#[derive(Default)]
pub struct History {
    undo: Vec<Snapshot>,
    redo: Vec<Snapshot>,
    /// The state as last recorded.
    current: Snapshot,
    /// Whether the newest undo step is a run of typing that more typing joins.
    typing_run: bool,
}

/// Most undo steps kept.
const MAX_STEPS: usize = 500;

impl History {
    /// A history starting from `start`.
    pub fn new(start: Snapshot) -> Self {
        History {
            current: start,
            ..Default::default()
        }
    }

    /// Whether undo would do anything.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Whether redo would do anything.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Records the state at the end of a frame; returns whether it differs from the last one
    /// (which then becomes an undo step, or joins the typing run before it).
    pub fn record(&mut self, canvas: &CanvasContent, canvas_revision: u64, text: &str, kind: ChangeKind) -> bool {
        if canvas_revision == self.current.canvas_revision && text == self.current.text {
            return false;
        }
        let next = Snapshot {
            canvas: canvas.clone(),
            canvas_revision,
            text: text.to_string(),
        };
        let canvas_same = canvas_revision == self.current.canvas_revision;
        let prev = std::mem::replace(&mut self.current, next);
        self.redo.clear();
        if kind == ChangeKind::Typing && canvas_same && self.typing_run {
            return true;
        }
        self.undo.push(prev);
        if self.undo.len() > MAX_STEPS {
            self.undo.remove(0);
        }
        self.typing_run = kind == ChangeKind::Typing && canvas_same;
        true
    }

    /// Ends a run of typing (the next typing starts a new undo step).
    pub fn break_typing_run(&mut self) {
        self.typing_run = false;
    }

    /// Steps back; returns the state to show, if there was a step.
    pub fn undo(&mut self) -> Option<&Snapshot> {
        self.step(false)
    }

    /// Steps forward again; returns the state to show, if there was a step.
    pub fn redo(&mut self) -> Option<&Snapshot> {
        self.step(true)
    }

    fn step(&mut self, forward: bool) -> Option<&Snapshot> {
        let (from, to) = if forward { (&mut self.redo, &mut self.undo) } else { (&mut self.undo, &mut self.redo) };
        let snapshot = from.pop()?;
        to.push(std::mem::replace(&mut self.current, snapshot));
        self.typing_run = false;
        Some(&self.current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strokes(n: usize) -> CanvasContent {
        CanvasContent {
            strokes: vec![vec![[0.5, 0.5]]; n],
            picture: None,
        }
    }

    #[test]
    fn a_pick_is_one_step_and_typing_merges() {
        let mut h = History::default();
        assert!(!h.record(&strokes(0), 0, "", ChangeKind::Other), "nothing changed");
        assert!(h.record(&strokes(1), 1, "", ChangeKind::Other));
        assert!(h.record(&strokes(0), 2, "か", ChangeKind::Other), "a pick: text and canvas at once");
        assert!(h.record(&strokes(0), 2, "か ", ChangeKind::Typing));
        assert!(h.record(&strokes(0), 2, "か a", ChangeKind::Typing));
        let back = h.undo().map(|s| (s.text.clone(), s.canvas.strokes.len()));
        assert_eq!(back, Some(("か".to_string(), 0)), "the typing run is one step");
        let back = h.undo().map(|s| (s.text.clone(), s.canvas.strokes.len()));
        assert_eq!(back, Some((String::new(), 1)), "undoing the pick brings the drawing back and takes the character out");
        assert!(h.redo().is_some_and(|s| s.text == "か"));
        // A new change drops the redo branch.
        assert!(h.record(&strokes(0), 2, "", ChangeKind::Other));
        assert!(!h.can_redo());
        assert!(h.can_undo());
    }

    #[test]
    fn typing_after_a_break_is_a_new_step() {
        let mut h = History::default();
        h.record(&strokes(0), 0, "a", ChangeKind::Typing);
        h.break_typing_run();
        h.record(&strokes(0), 0, "ab", ChangeKind::Typing);
        assert!(h.undo().is_some_and(|s| s.text == "a"));
        assert!(h.undo().is_some_and(|s| s.text.is_empty()));
        assert!(h.undo().is_none());
    }
}
