//! The shell around the panels: the menu bar, the status line, the keyboard, the persisted
//! settings (and fonts, theme), and the Help and About windows.

pub mod help;
mod keys;
mod menus;
pub mod settings;
mod status;

use std::time::Instant;

/// A message on the status line.
#[derive(Debug, Clone)]
pub(in crate::app) struct Notice {
    /// What it says (control characters escaped).
    pub(in crate::app) text: String,
    /// It is an error: it stays until dismissed.
    pub(in crate::app) error: bool,
    /// When it was said.
    pub(in crate::app) at: Instant,
}

/// The shell's own state: the status line's notice and what the keyboard and the history need
/// to know of the frame.
pub(in crate::app) struct ShellState {
    /// The message on the status line.
    pub(in crate::app) notice: Option<Notice>,
    /// A widget had the keyboard focus at the end of the last frame.
    pub(in crate::app) had_focus: bool,
    /// When this frame started (notices older than a change in this frame go).
    pub(in crate::app) frame_start: Instant,
}

/// The windows over the panels that the app opens and closes.
#[derive(Default)]
pub(in crate::app) struct Windows {
    /// The Help window is shown.
    pub(in crate::app) help: bool,
    /// The About window is shown.
    pub(in crate::app) about: bool,
    /// The typed-path field, when open.
    pub(in crate::app) prompt: Option<crate::app::files::path_prompt::PathPrompt>,
}
