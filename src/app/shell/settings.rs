//! Settings that persist between runs (through eframe's storage), the embedded UI font and the
//! theme.

use serde::{Deserialize, Serialize};

/// Storage key of the settings.
pub const STORAGE_KEY: &str = "fude-settings";

/// The Japanese UI font (Noto Sans CJK JP, subset to kana, Latin and the UI's symbols).
const UI_FONT: &[u8] = include_bytes!("../../../assets/fonts/ui/noto-sans-cjk-jp.ttf");

/// Light, dark, or follow the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    /// Follow the operating system.
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

impl Theme {
    /// egui's preference for this theme.
    pub fn preference(self) -> egui::ThemePreference {
        match self {
            Theme::System => egui::ThemePreference::System,
            Theme::Light => egui::ThemePreference::Light,
            Theme::Dark => egui::ThemePreference::Dark,
        }
    }
}

/// Everything the app remembers between runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Theme.
    pub theme: Theme,
    /// On-screen pen width, as a fraction of the box side (the model always uses its own).
    pub pen_width: f32,
    /// Show the model's 28x28 input.
    pub show_model_eye: bool,
    /// Recognise while a stroke is being drawn (not only after it ends).
    pub live_while_drawing: bool,
    /// The text written so far.
    pub text: crate::app::writing::text_buffer::TextBuffer,
    /// Show the generator panel.
    #[serde(default)]
    pub show_generator: bool,
    /// The recognizer opened from the menu last time (loaded again at the next start).
    pub model_path: Option<std::path::PathBuf>,
    /// The last path typed in the path field.
    pub last_path: String,
    /// Which characters the candidates may be (the Script menu).
    pub script: crate::models::recognizer::ScriptChoice,
    /// Write a line of kana instead of one character.
    pub line_mode: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            theme: Theme::System,
            pen_width: 0.04,
            show_model_eye: true,
            live_while_drawing: true,
            text: Default::default(),
            show_generator: false,
            model_path: None,
            last_path: String::new(),
            script: Default::default(),
            line_mode: false,
        }
    }
}

impl Settings {
    /// Smallest and largest on-screen pen width.
    pub const PEN_RANGE: std::ops::RangeInclusive<f32> = 0.01..=0.12;

    /// Loads settings from eframe storage (defaults when absent or unreadable).
    pub fn load(storage: Option<&dyn eframe::Storage>) -> Self {
        let mut s: Settings = storage.and_then(|st| eframe::get_value(st, STORAGE_KEY)).unwrap_or_default();
        s.pen_width = s.pen_width.clamp(*Self::PEN_RANGE.start(), *Self::PEN_RANGE.end());
        s
    }
}

/// Adds the embedded Japanese font as a fallback of both font families.
pub fn install_fonts(ctx: &egui::Context) {
    use egui::epaint::text::{FontInsert, FontPriority, InsertFontFamily};
    ctx.add_font(FontInsert {
        name: "noto-sans-cjk-jp".into(),
        data: egui::FontData::from_static(UI_FONT),
        families: vec![
            InsertFontFamily {
                family: egui::FontFamily::Proportional,
                priority: FontPriority::Lowest,
            },
            InsertFontFamily {
                family: egui::FontFamily::Monospace,
                priority: FontPriority::Lowest,
            },
        ],
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_old_files() {
        let s = Settings {
            pen_width: 0.05,
            theme: Theme::Dark,
            line_mode: true,
            ..Default::default()
        };
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Settings>(&text).unwrap(), s);
        // Missing fields (an older version's settings) take defaults.
        let old: Settings = serde_json::from_str(r#"{"pen_width": 0.02}"#).unwrap();
        assert_eq!(old.theme, Theme::System);
        assert_eq!(old.pen_width, 0.02);
        assert!(!old.line_mode, "one character, as before line mode");
    }

    #[test]
    fn ui_font_has_every_kana() {
        let font = ab_glyph::FontRef::try_from_slice(UI_FONT).unwrap();
        use ab_glyph::Font;
        for ch in crate::data::classes::chars() {
            assert_ne!(font.glyph_id(ch).0, 0, "{ch} missing from the UI font");
        }
        let palette = crate::app::writing::text_buffer::PUNCTUATION.into_iter().chain([crate::app::writing::text_buffer::SPACE]);
        for ch in "Copy Undo 0123456789%·…→×".chars().chain(palette) {
            assert_ne!(font.glyph_id(ch).0, 0, "{ch:?} missing from the UI font");
        }
    }
}
