//! The font picker of the "generated kana" source: the bundled training fonts with checkboxes
//! (all on by default) and "Add font file…" for a font the user owns. A user font is read and
//! checked on a worker (through the app's file tasks: [`crate::app::files::tasks::FileTasks::check_font`]);
//! one without kana is refused with the reason. The choice becomes the row's data spec
//! (`fonts` for every bundled font, else `fonts=FONT+FONT...`), so it reaches training.

use crate::app::training::panel::SourceRow;
use crate::data::fonts::{training_font_names, FontPick};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// A font file the user added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFont {
    /// Its absolute path.
    pub path: PathBuf,
    /// Classes it covers.
    pub covered: usize,
    /// Whether training uses it.
    pub enabled: bool,
}

/// The picker's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FontPicker {
    /// Bundled training fonts switched off (all are on by default).
    pub excluded: BTreeSet<String>,
    /// Font files the user added.
    pub user: Vec<UserFont>,
    /// Why the last font file was refused.
    pub refused: Option<String>,
    /// "Add font file…" was clicked; the app takes it with [`Self::take_add_request`].
    add_requested: bool,
}

impl FontPicker {
    /// The chosen fonts, bundled first.
    pub fn picks(&self) -> Vec<FontPick> {
        let bundled = training_font_names().into_iter().filter(|n| !self.excluded.contains(*n)).map(|n| FontPick::Bundled(n.to_string()));
        let user = self.user.iter().filter(|u| u.enabled).map(|u| FontPick::File(u.path.clone()));
        bundled.chain(user).collect()
    }

    /// The row's spec argument: empty when every bundled font and no user font is chosen (plain
    /// `fonts`), else the chosen fonts joined by `+`.
    pub fn arg(&self) -> String {
        if self.excluded.is_empty() && !self.user.iter().any(|u| u.enabled) {
            return String::new();
        }
        self.picks().iter().map(ToString::to_string).collect::<Vec<_>>().join("+")
    }

    /// Adds a checked font file (again: enables it).
    pub fn add(&mut self, path: PathBuf, covered: usize) {
        self.refused = None;
        match self.user.iter_mut().find(|u| u.path == path) {
            Some(u) => u.enabled = true,
            None => self.user.push(UserFont { path, covered, enabled: true }),
        }
    }

    /// Shows why a font file was refused.
    pub fn refuse(&mut self, why: String) {
        self.refused = Some(why);
    }

    /// Whether "Add font file…" was clicked since the last call.
    pub fn take_add_request(&mut self) -> bool {
        std::mem::take(&mut self.add_requested)
    }

    fn chosen(&self) -> usize {
        self.picks().len()
    }
}

/// The picker under the generated kana row; keeps `row.arg` in step with the choice.
pub fn font_picker_ui(ui: &mut egui::Ui, picker: &mut FontPicker, row: &mut SourceRow) {
    let names = training_font_names();
    let title = format!("Fonts ({} of {})", picker.chosen(), names.len() + picker.user.len());
    egui::CollapsingHeader::new(title).id_salt("font-picker").show(ui, |ui| {
        let last = picker.chosen() <= 1;
        for name in names {
            let mut on = !picker.excluded.contains(name);
            // The last chosen font cannot be switched off: generated kana needs one.
            ui.add_enabled_ui(!(on && last), |ui| {
                if ui.checkbox(&mut on, name).changed() {
                    if on {
                        picker.excluded.remove(name);
                    } else {
                        picker.excluded.insert(name.to_string());
                    }
                }
            });
        }
        let mut remove = None;
        for (i, u) in picker.user.iter_mut().enumerate() {
            ui.horizontal(|ui| {
                let name = u.path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                ui.add_enabled_ui(!(u.enabled && last), |ui| ui.checkbox(&mut u.enabled, &name))
                    .response
                    .on_hover_text(u.path.display().to_string());
                ui.weak(format!("{} kana", u.covered));
                if ui.small_button("Remove").clicked() {
                    remove = Some(i);
                }
            });
        }
        if let Some(i) = remove.filter(|&i| !(last && picker.user.get(i).is_some_and(|u| u.enabled))) {
            picker.user.remove(i);
        }
        if ui.button("Add font file…").on_hover_text("A TrueType or OpenType font with kana that you own").clicked() {
            picker.add_requested = true;
        }
        if let Some(why) = &picker.refused {
            ui.colored_label(ui.visuals().error_fg_color, why);
        }
    });
    row.arg = picker.arg();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::spec;

    #[test]
    fn the_choice_becomes_the_rows_spec() {
        let mut picker = FontPicker::default();
        assert_eq!(picker.arg(), "", "every bundled font: plain `fonts`");
        let names = training_font_names();
        for n in &names[1..] {
            picker.excluded.insert(n.to_string());
        }
        picker.add(PathBuf::from("/fonts/mine.otf"), 90);
        let mut row = SourceRow { kind: spec::SourceKind::Fonts, enabled: true, weight: 2.0, arg: picker.arg() };
        assert_eq!(row.spec_text(), format!("fonts={}+/fonts/mine.otf@2", names[0]));
        let parsed = spec::parse(&[row.spec_text()]).unwrap();
        assert_eq!(parsed[0].kind, spec::SourceKind::ChosenFonts(picker.picks()));
        picker.user[0].enabled = false;
        row.arg = picker.arg();
        assert_eq!(row.spec_text(), format!("fonts={}@2", names[0]));
        picker.refuse("Font refused: x".into());
        picker.add(PathBuf::from("/fonts/mine.otf"), 90);
        assert_eq!(picker.user.len(), 1, "adding again re-enables");
        assert!(picker.refused.is_none() && picker.user[0].enabled);
    }
}
