//! Files: the background file tasks (dialogs, reads and writes on short-lived threads), the app's
//! side of them (starting an action, taking in what they report, dropped files) and the
//! typed-path field.

mod actions;
pub mod path_prompt;
pub mod tasks;

use std::path::PathBuf;
use tasks::{FileAction, FileTasks};

/// The app's file work: the background tasks and what the app remembers of them.
pub(in crate::app) struct Files {
    /// Dialogs, reads and writes on short-lived threads.
    pub(in crate::app) tasks: FileTasks,
    /// The last path run from the typed-path field, until its file work reports back.
    pub(in crate::app) prompted: Option<(FileAction, String)>,
    /// The checkpoint a "Save model" dialog will copy.
    pub(in crate::app) model_to_save: Option<PathBuf>,
}
