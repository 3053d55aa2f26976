//! The recognition panel's reading controls: the Script choice, whether an opened picture is a
//! writing box, and the notes saying what changed the candidates' order.

use crate::models::recognizer::{Note, ScriptChoice};

/// What each script choice means, shown on hover.
fn script_hint(choice: ScriptChoice) -> &'static str {
    match choice {
        ScriptChoice::Auto => "Look-alikes (り/リ, へ/ヘ ...) are read in the script of your text so far (with no text yet, as hiragana); with the bundled model, an opened picture that looks like a Kuzushiji-49 cell (28x28 pixels or less, light ink on dark) is also read by a reader trained mostly on real Kuzushiji-MNIST cells",
        ScriptChoice::Hiragana => "Only hiragana",
        ScriptChoice::Katakana => "Only katakana",
        ScriptChoice::Kuzushiji => "Only the 49 classical hiragana of Kuzushiji-49 (an opened picture of 28x28 pixels or less, as Kuzushiji-49 publishes its cells, is softened a little first: the model reads them better so; with the bundled model, a reader trained mostly on real Kuzushiji-MNIST cells reads opened pictures too)",
        ScriptChoice::All => "Every kana, as the model ranks them",
    }
}

/// The Script menu. Returns whether the choice changed.
pub fn script_choice_ui(ui: &mut egui::Ui, choice: &mut ScriptChoice) -> bool {
    let before = *choice;
    egui::ComboBox::from_label("Script")
        .selected_text(choice.to_string())
        .show_ui(ui, |ui| {
            for c in ScriptChoice::ALL {
                ui.selectable_value(choice, c, c.to_string()).on_hover_text(script_hint(c));
            }
        })
        .response
        .on_hover_text(script_hint(*choice));
    *choice != before
}

/// The "picture is a writing box" switch, shown while a picture is on the canvas. Returns
/// whether it changed.
pub fn picture_box_ui(ui: &mut egui::Ui, as_box: &mut bool) -> bool {
    ui.checkbox(as_box, "Picture is a writing box")
        .on_hover_text(
            "Off: the picture is cropped to its character, and small and full-size kana are read alike (full-size first).\n\
             On: the whole picture is the box, so a kana written small reads as a small kana.",
        )
        .changed()
}

/// The notes under the candidates (why their order is not the model's own).
/// Returns whether "Read as Kuzushiji", offered under the note that the picture looks like a
/// Kuzushiji-49 cell (under Hiragana, Katakana and All), was clicked.
pub fn reading_notes_ui(ui: &mut egui::Ui, notes: &[Note]) -> bool {
    let mut read_as_kuzushiji = false;
    // At the body size: a note that explains the order must be readable. The notes about a
    // Kuzushiji-49 cell are short, the whole note on hover, so the candidates stay in view in a
    // small window.
    for note in notes {
        match note.short() {
            Some(short) if note.offers_kuzushiji() => {
                // With what to do beside it.
                ui.horizontal_wrapped(|ui| {
                    ui.label(format!("Note: {short}")).on_hover_text(note.to_string());
                    read_as_kuzushiji |= ui.button("Read as Kuzushiji").on_hover_text(script_hint(ScriptChoice::Kuzushiji)).clicked();
                });
            }
            Some(short) => {
                ui.add(egui::Label::new(format!("Note: {short}")).wrap()).on_hover_text(note.to_string());
            }
            None => {
                ui.add(egui::Label::new(format!("Note: {note}")).wrap());
            }
        }
    }
    read_as_kuzushiji
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_choice_has_a_hint() {
        for c in ScriptChoice::ALL {
            assert!(!script_hint(c).is_empty());
        }
    }
}
