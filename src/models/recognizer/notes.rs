//! What the candidates say about how they were read: one [`Note`] per thing that changed them
//! or their order. `fude predict` prints each as its sentence ([`fmt::Display`]); the app shows
//! the same sentence, or a short line with the sentence on hover ([`Note::short`]), and offers
//! the Kuzushiji script where a note asks for it ([`Note::offers_kuzushiji`]), by the note's kind,
//! never by its words.

use super::ScriptChoice;
use crate::data::classes::Script;
use crate::ink::picture::PictureInput;
use std::fmt;

/// How the notes about a Kuzushiji-MNIST or Kuzushiji-49 cell begin ([`Note::KuzushijiCell`],
/// and [`Note::KuzushijiReader`] under Auto).
pub const KUZUSHIJI_CELL_NOTE: &str = "this looks like a cell of Kuzushiji-MNIST or Kuzushiji-49 (a small picture, light ink on dark)";

/// What follows [`KUZUSHIJI_CELL_NOTE`] when the Kuzushiji reader did not read the picture.
pub const KUZUSHIJI_SCRIPT_ADVICE: &str = ": if it is classical writing, the Kuzushiji script reads such cells better";

/// What [`Note::KuzushijiReader`] says after why the reader joined ("under Kuzushiji, " or
/// [`KUZUSHIJI_CELL_NOTE`] and ", so ").
pub const KUZUSHIJI_READER_NOTE: &str =
    "a reader trained mostly on real Kuzushiji-MNIST cells reads the picture too: each percentage is the average of its reading and the recognizer's";

/// One thing the candidates say about how they were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Note {
    /// The picture seems to hold more than one character ([`PictureInput::several`]).
    SeveralCharacters,
    /// A thumbnail was softened before it was read ([`PictureInput::softened`]).
    Softened,
    /// Under Auto, look-alikes were read in the script of the text so far.
    ContextScript(Script),
    /// Under Auto with no text yet, look-alikes were read as hiragana.
    LoneHiragana,
    /// A script choice kept only its own characters.
    ScriptOnly(ScriptChoice),
    /// A cropped picture: small and full-size kana were read alike, full-size first.
    SizeUnseen,
    /// Ink written high in its box was read as a full-size kana.
    WrittenHigh,
    /// The picture looks like a Kuzushiji-49 cell and the Kuzushiji reader did not read it: the
    /// Kuzushiji script would.
    KuzushijiCell,
    /// The Kuzushiji reader read the picture too; `cell`: because it looks like a Kuzushiji-49
    /// cell (under Auto), not because of the Kuzushiji script; `reordered`: another note changed
    /// the order after the percentages were averaged.
    KuzushijiReader {
        /// Joined for a Kuzushiji-49-like cell under Auto.
        cell: bool,
        /// Another note reordered the candidates.
        reordered: bool,
    },
    /// The percentages are the network's own, before the notes above reordered them.
    OwnPercentages,
}

impl Note {
    /// The notes about how a picture was read (several characters, softened), which come before
    /// the reading's own.
    pub fn of_picture(picture: &PictureInput) -> Vec<Note> {
        [(picture.several, Note::SeveralCharacters), (picture.softened, Note::Softened)].into_iter().filter(|(shown, _)| *shown).map(|(_, note)| note).collect()
    }

    /// The short line the app shows in place of the whole note (which it shows on hover), for
    /// the long notes about a Kuzushiji-49 cell; `None` where the whole note is the line.
    pub fn short(&self) -> Option<&'static str> {
        match self {
            Note::KuzushijiCell => Some("this looks like a Kuzushiji-49 cell"),
            Note::KuzushijiReader { cell: true, .. } => Some("this looks like a Kuzushiji-49 cell, so the Kuzushiji reader read it too"),
            _ => None,
        }
    }

    /// Whether the app offers "Read as Kuzushiji" beside this note.
    pub fn offers_kuzushiji(&self) -> bool {
        *self == Note::KuzushijiCell
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::SeveralCharacters => f.write_str("this picture seems to hold more than one character, but it is read as one: crop it to a single character"),
            Note::Softened => f.write_str("this small picture was softened a little before it was read: the model reads Kuzushiji-49's sharp cells better so"),
            Note::ContextScript(script) => {
                let name = match script {
                    Script::Hiragana => "hiragana",
                    Script::Katakana => "katakana",
                };
                write!(f, "script Auto: the text so far is {name}, so look-alikes are read as {name}")
            }
            Note::LoneHiragana => f.write_str("script Auto: with no text yet, look-alikes are read as hiragana, the more common script in Japanese text"),
            Note::ScriptOnly(choice) => write!(f, "script {choice}: only its characters are candidates"),
            Note::SizeUnseen => f.write_str("a picture does not show how large the character was written: small and full-size kana are read alike, full-size first"),
            Note::WrittenHigh => f.write_str("written high in the box, or stopping above its lower part, so read as a full-size kana (a small kana sits low, on the line)"),
            Note::KuzushijiCell => write!(f, "{KUZUSHIJI_CELL_NOTE}{KUZUSHIJI_SCRIPT_ADVICE}"),
            Note::KuzushijiReader { cell, reordered } => {
                if *cell {
                    write!(f, "{KUZUSHIJI_CELL_NOTE}, so ")?;
                } else {
                    f.write_str("under Kuzushiji, ")?;
                }
                f.write_str(KUZUSHIJI_READER_NOTE)?;
                if *reordered {
                    f.write_str(", before this ordering")?;
                }
                Ok(())
            }
            Note::OwnPercentages => f.write_str("the percentages are the network's own, before this ordering"),
        }
    }
}

impl serde::Serialize for Note {
    /// A note is written as its sentence (`fude predict --json`).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_note() -> Vec<Note> {
        let mut notes = vec![Note::SeveralCharacters, Note::Softened, Note::ContextScript(Script::Hiragana), Note::ContextScript(Script::Katakana), Note::LoneHiragana];
        notes.extend(ScriptChoice::ALL.map(Note::ScriptOnly));
        notes.extend([Note::SizeUnseen, Note::WrittenHigh, Note::KuzushijiCell, Note::OwnPercentages]);
        for cell in [false, true] {
            for reordered in [false, true] {
                notes.push(Note::KuzushijiReader { cell, reordered });
            }
        }
        notes
    }

    #[test]
    fn every_note_reads_as_its_own_sentence() {
        let notes = every_note();
        let texts: Vec<String> = notes.iter().map(ToString::to_string).collect();
        for (i, t) in texts.iter().enumerate() {
            assert!(t.len() > 20 && !t.ends_with('.'), "{t}");
            assert!(texts.iter().skip(i + 1).all(|u| u != t), "two notes read alike: {t}");
        }
        assert_eq!(Note::ContextScript(Script::Katakana).to_string(), "script Auto: the text so far is katakana, so look-alikes are read as katakana");
        assert_eq!(Note::ScriptOnly(ScriptChoice::Hiragana).to_string(), "script Hiragana: only its characters are candidates");
    }

    #[test]
    fn the_cell_notes_are_short_in_the_app_and_only_the_advice_offers_kuzushiji() {
        for note in every_note() {
            let about_cell = note.to_string().starts_with(KUZUSHIJI_CELL_NOTE);
            assert_eq!(note.short().is_some(), about_cell, "{note}");
            assert_eq!(note.offers_kuzushiji(), note == Note::KuzushijiCell, "{note}");
        }
        let reader = Note::KuzushijiReader { cell: false, reordered: true }.to_string();
        assert!(reader.starts_with("under Kuzushiji, a reader") && reader.ends_with(", before this ordering"), "{reader}");
    }

    #[test]
    fn a_note_is_written_to_json_as_its_sentence() {
        let json = serde_json::to_value([Note::Softened, Note::KuzushijiCell]).unwrap();
        assert_eq!(json, serde_json::json!([Note::Softened.to_string(), Note::KuzushijiCell.to_string()]));
    }

    #[test]
    fn a_picture_says_what_happened_to_it() {
        let picture = |several, softened| PictureInput { input: [0.0; crate::ink::preprocess::INPUT_SIDE * crate::ink::preprocess::INPUT_SIDE], cropped: true, several, softened, kuzushiji_like: false, drawing: false };
        assert!(Note::of_picture(&picture(false, false)).is_empty());
        assert_eq!(Note::of_picture(&picture(true, true)), vec![Note::SeveralCharacters, Note::Softened]);
        assert_eq!(Note::of_picture(&picture(false, true)), vec![Note::Softened]);
    }
}
