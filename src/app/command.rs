//! The one way in: every panel, window and key returns an [`AppCommand`] for what it asks the app
//! to do, and [`FudeApp::apply`] applies it, in one place (rerun's viewer works the same way).
//! State a widget only shows and edits (a checkbox's setting, a field's text) stays the widget's.

use crate::app::files::tasks::FileAction;
use crate::app::writing::text_buffer::BufferAction;
use crate::app::FudeApp;
use std::path::PathBuf;

/// Something a panel, a window or a key asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum AppCommand {
    /// Put this candidate into the text and clear the canvas.
    Pick(char),
    /// Take the candidate (in line mode, the reading) at this rank, 1 the best.
    PickRank(usize),
    /// Take the top candidate as soon as it answers the drawing (Enter).
    TakeTop,
    /// Put this reading of the line into the text and clear the canvas.
    TakeLine(String),
    /// Insert this character into the text at the cursor.
    Insert(char),
    /// Copy the text to the clipboard.
    CopyText,
    /// Remove the character before the cursor (or the selection).
    Backspace,
    /// Remove all the text.
    ClearText,
    /// Clear the canvas.
    ClearCanvas,
    /// Step the canvas-and-text history back.
    Undo,
    /// Step the canvas-and-text history forward.
    Redo,
    /// Read one character (`false`) or a line (`true`).
    SetLineMode(bool),
    /// Keep the drawing for training ("Keep for training").
    KeepForTraining,
    /// Start a file action: check there is something to save, then show its dialog.
    StartFile(FileAction),
    /// Run a file action on a typed path.
    RunTypedPath(FileAction, PathBuf),
    /// Open the typed-path field for this action, saying why.
    OpenPrompt(FileAction, String),
    /// Close the typed-path field.
    ClosePrompt,
    /// Load this recognizer checkpoint.
    UseModel(PathBuf),
    /// Load this generator checkpoint into the generator panel.
    UseGenerator(PathBuf),
    /// Ask where to save a copy of this checkpoint.
    SaveModel(PathBuf),
    /// Ask for a font file to add to generated kana.
    AddFont,
    /// Go back to the bundled recognizer.
    UseBundledModel,
    /// Go back to the bundled generator.
    UseBundledGenerator,
    /// Show every kana in the style of the drawing on the canvas.
    StyleFromDrawing,
    /// Write the generator's text in the style of the drawing on the canvas.
    WriteTextFromDrawing,
    /// Put the text written so far into the generator's text field.
    UseWrittenText,
    /// Show (`true`) or hide the training panel.
    ShowTraining(bool),
    /// Open or close the Help window.
    ToggleHelp,
    /// Open the Help window.
    ShowHelp,
    /// Open the About window.
    ShowAbout,
    /// Esc: close the innermost open thing, or clear the drawing when nothing is open.
    Escape,
    /// Take the error off the status line.
    DismissNotice,
    /// Close the window.
    Quit,
}

impl From<BufferAction> for AppCommand {
    fn from(action: BufferAction) -> Self {
        match action {
            BufferAction::Copy => AppCommand::CopyText,
            BufferAction::Backspace => AppCommand::Backspace,
            BufferAction::Clear => AppCommand::ClearText,
            BufferAction::Insert(ch) => AppCommand::Insert(ch),
        }
    }
}

impl FudeApp {
    /// Applies what a panel, a window or a key asked for; the next frame shows the result
    /// everywhere (a panel drawn before the change is drawn again).
    pub fn apply(&mut self, command: AppCommand) {
        self.ctx.request_repaint();
        match command {
            AppCommand::Pick(ch) => self.pick(ch),
            AppCommand::PickRank(rank) => self.pick_rank(rank),
            AppCommand::TakeTop => self.take_top(),
            AppCommand::TakeLine(text) => self.take_line(&text),
            AppCommand::Insert(ch) => self.settings.text.insert(ch, &self.ctx),
            AppCommand::CopyText => self.copy_text(),
            AppCommand::Backspace => self.backspace(),
            AppCommand::ClearText => {
                self.settings.text.set("", &self.ctx);
                self.say("Text cleared (Ctrl+Z brings it back)", false);
            }
            AppCommand::ClearCanvas => {
                self.writing.canvas.clear();
            }
            AppCommand::Undo => self.undo(),
            AppCommand::Redo => self.redo(),
            AppCommand::SetLineMode(on) => self.set_line_mode(on),
            AppCommand::KeepForTraining => self.keep_for_training(),
            AppCommand::StartFile(action) => self.start_file_action(action),
            AppCommand::RunTypedPath(action, path) => {
                self.windows.prompt = None;
                self.settings.last_path = path.display().to_string();
                self.files.prompted = Some((action, self.settings.last_path.clone()));
                self.run_file_action(action, path);
            }
            AppCommand::OpenPrompt(action, reason) => self.open_prompt(action, reason),
            AppCommand::ClosePrompt => self.windows.prompt = None,
            AppCommand::UseModel(path) => {
                self.say(format!("Loading {}…", path.display()), false);
                self.files.tasks.open_model(crate::models::checkpoint_io::weights_path(&path));
            }
            AppCommand::UseGenerator(path) => {
                self.say(format!("Loading the generator {}…", path.display()), false);
                self.settings.show_generator = true;
                self.files.tasks.open_generator(crate::models::checkpoint_io::weights_path(&path));
            }
            AppCommand::SaveModel(path) => {
                self.files.model_to_save = Some(path);
                let name = match self.training.run_model() {
                    crate::training::ModelKind::Recognizer => "recognizer.safetensors",
                    crate::training::ModelKind::Generator => "generator.safetensors",
                };
                self.files.tasks.dialog(FileAction::SaveModel, name);
            }
            AppCommand::AddFont => self.files.tasks.dialog(FileAction::AddFont, ""),
            AppCommand::UseBundledModel => {
                self.say("Loading the bundled recognizer…", false);
                self.files.tasks.open_bundled_model();
            }
            AppCommand::UseBundledGenerator => {
                self.say("Loading the bundled generator…", false);
                self.files.tasks.open_bundled_generator();
            }
            AppCommand::StyleFromDrawing => {
                if let Some((source, class)) = self.canvas_style("every kana") {
                    self.generator.post_style(source, class);
                }
            }
            AppCommand::WriteTextFromDrawing => {
                if let Some((source, class)) = self.canvas_style("your text") {
                    self.generator.post_text(crate::app::generator::worker::TextStyle::Source { source, class });
                }
            }
            AppCommand::UseWrittenText => {
                let text = self.text().to_string();
                if text.trim().is_empty() {
                    self.say("No text written yet: pick candidates to write some", true);
                } else {
                    self.generator.set_text(&text);
                }
            }
            AppCommand::ShowTraining(open) => self.show_training(open),
            AppCommand::ToggleHelp => self.windows.help = !self.windows.help,
            AppCommand::ShowHelp => self.windows.help = true,
            AppCommand::ShowAbout => self.windows.about = true,
            AppCommand::Escape => self.escape(),
            AppCommand::DismissNotice => self.shell.notice = None,
            AppCommand::Quit => self.ctx.send_viewport_cmd(egui::ViewportCommand::Close),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_bar_buttons_become_commands() {
        assert_eq!(AppCommand::from(BufferAction::Copy), AppCommand::CopyText);
        assert_eq!(AppCommand::from(BufferAction::Clear), AppCommand::ClearText);
        assert_eq!(AppCommand::from(BufferAction::Insert('、')), AppCommand::Insert('、'));
    }
}
