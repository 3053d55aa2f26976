//! The typed-path field, for machines where no file dialog can be shown: it takes the keyboard,
//! starts from the last path typed, asks before replacing a file, and shows why the last try
//! failed.

use crate::app::command::AppCommand;
use crate::app::files::tasks::{with_default_extension, FileAction};
use std::path::{Path, PathBuf};

/// A path typed by hand, for machines without file dialogs.
#[derive(Debug, Clone)]
pub struct PathPrompt {
    /// What the path is for.
    pub action: FileAction,
    /// The path being typed.
    pub path: String,
    /// Why the prompt is shown.
    pub reason: String,
    /// Whether `reason` is an error (the last try failed).
    pub error: bool,
    /// The field takes the keyboard focus on the next frame.
    focus: bool,
    /// A save path that exists, shown once before Go overwrites it.
    confirm: Option<PathBuf>,
}

impl PathPrompt {
    /// A prompt for `action`, filled with `path`, saying `reason`; the field takes the focus.
    pub fn new(action: FileAction, path: &str, reason: String) -> Self {
        PathPrompt {
            action,
            path: path.to_string(),
            reason,
            error: false,
            focus: true,
            confirm: None,
        }
    }

    /// Shows the prompt as a window; returns Go (run the action on the typed path) or Close.
    pub fn path_prompt_ui(&mut self, ctx: &egui::Context) -> Option<AppCommand> {
        let mut outcome = None;
        let mut open = true;
        egui::Window::new("File path")
            .collapsible(false)
            .resizable(false)
            .open(&mut open)
            .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
            .show(ctx, |ui| {
                ui.set_max_width(420.0);
                if !self.reason.is_empty() {
                    let color = if self.error { ui.visuals().error_fg_color } else { ui.visuals().text_color() };
                    ui.add(egui::Label::new(egui::RichText::new(&self.reason).color(color)).wrap());
                }
                egui::ComboBox::from_label("Action")
                    .selected_text(self.action.title())
                    .show_ui(ui, |ui| {
                        for a in FileAction::ALL {
                            ui.selectable_value(&mut self.action, a, a.title());
                        }
                        if !FileAction::ALL.contains(&self.action) {
                            let current = self.action;
                            ui.selectable_value(&mut self.action, current, current.title());
                        }
                    });
                let label = ui.label("File path");
                let edit = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.path)
                            .hint_text("/path/to/file")
                            .desired_width(360.0),
                    )
                    .labelled_by(label.id);
                // Until it has the keyboard once (the click that opened it may take it away); then
                // the remembered path is selected, so typing replaces it and an arrow key keeps it.
                if self.focus {
                    if edit.has_focus() {
                        self.focus = false;
                        select_all(ui.ctx(), edit.id, self.path.chars().count());
                    } else {
                        edit.request_focus();
                    }
                }
                let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                let target = expand_home(self.path.trim());
                let target = if self.action.is_save() { with_default_extension(target, self.action) } else { target };
                if self.confirm.as_ref().is_some_and(|c| *c != target) {
                    self.confirm = None;
                }
                if self.confirm.is_some() {
                    ui.colored_label(ui.visuals().warn_fg_color, format!("{} exists. Replace it?", target.display()));
                }
                ui.horizontal(|ui| {
                    let text = if self.confirm.is_some() { "Replace" } else { "Go" };
                    let go = ui.add_enabled(!self.path.trim().is_empty(), egui::Button::new(text));
                    if go.clicked() || (enter && !self.path.trim().is_empty()) {
                        if self.action.is_save() && target.exists() && self.confirm.is_none() {
                            self.confirm = Some(target.clone());
                        } else {
                            outcome = Some(AppCommand::RunTypedPath(self.action, target.clone()));
                        }
                    }
                    if ui.button("Cancel").clicked() {
                        outcome = Some(AppCommand::ClosePrompt);
                    }
                });
            });
        if !open {
            outcome = Some(AppCommand::ClosePrompt);
        }
        outcome
    }
}

/// Selects the first `len` characters of the text field `id`.
fn select_all(ctx: &egui::Context, id: egui::Id, len: usize) {
    use egui::text::{CCursor, CCursorRange};
    let mut state = egui::TextEdit::load_state(ctx, id).unwrap_or_default();
    state.cursor.set_char_range(Some(CCursorRange::two(CCursor::new(0), CCursor::new(len))));
    egui::TextEdit::store_state(ctx, id, state);
}

/// Expands a leading `~/` to the home directory.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(path),
    }
}
