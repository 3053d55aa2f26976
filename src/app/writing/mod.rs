//! Writing: the canvas (one character, or a line), its toolbar, the text being written, and the
//! one undo/redo history with the edits that go through it.

pub mod canvas;
mod editing;
pub mod history;
pub mod line_canvas;
pub mod text_buffer;
pub mod toolbar;

/// What is being written on: the canvas, where it was last laid out, and the one undo/redo
/// history of the canvas and the text.
pub(in crate::app) struct Writing {
    /// The canvas and its strokes (or picture).
    pub(in crate::app) canvas: canvas::InkCanvas,
    /// Where the canvas was laid out last frame.
    pub(in crate::app) canvas_rect: Option<egui::Rect>,
    /// One undo/redo history for the canvas and the text.
    pub(in crate::app) history: history::History,
}
