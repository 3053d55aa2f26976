//! The generator panel's kana picker: hiragana / katakana tabs, each laid out as a gojūon table
//! (rows あかさたなはまやらわん, then the voiced rows, the small kana and the iteration marks;
//! columns a i u e o) derived from the class table's romaji, and a romaji field that jumps to a
//! kana as you type. The style sheet uses the same table, both scripts side by side.

use crate::data::classes::{self, KanaClass, Script};
use egui::{Button, RichText, Vec2};
use std::sync::OnceLock;

/// The vowels of the table's columns.
const VOWELS: [char; 5] = ['a', 'i', 'u', 'e', 'o'];

/// Consonant rows in table order: "" is the vowel row, "nn" is ん alone.
const ROWS: [&str; 17] = ["", "k", "s", "t", "n", "h", "m", "y", "r", "w", "nn", "g", "z", "d", "b", "p", "v"];

/// One row of a script's table: five cells (a i u e o), each a class index or empty.
pub type TableRow = [Option<usize>; 5];

/// A row's place in the table: (section, row), sections being plain + voiced, small, marks.
type RowKey = (usize, usize);

/// Where a class sits in its script's table: its row key and column.
fn cell_of(c: &KanaClass) -> (RowKey, usize) {
    let romaji = c.romaji().to_lowercase();
    if romaji.starts_with('(') {
        return ((2, 0), usize::from(romaji.contains("voiced")));
    }
    if romaji == "n" {
        return ((0, 10), 0);
    }
    let small = c.is_small();
    let plain = if small { romaji.strip_prefix('x').unwrap_or(&romaji) } else { &romaji };
    let split = plain.len().saturating_sub(1);
    let (consonant, vowel) = (plain.get(..split).unwrap_or(""), plain.get(split..).unwrap_or(""));
    let col = VOWELS.iter().position(|v| vowel.starts_with(*v)).unwrap_or(0);
    let consonant = match consonant {
        "sh" => "s",
        "ch" | "ts" => "t",
        "f" => "h",
        "j" => "z",
        other => other,
    };
    let row = ROWS.iter().position(|r| *r == consonant).unwrap_or(ROWS.len());
    ((usize::from(small), row), col)
}

fn keyed_rows(script: Script) -> Vec<(RowKey, TableRow)> {
    let mut cells: Vec<((RowKey, usize), usize)> =
        classes::all().iter().filter(|c| c.script() == script).map(|c| (cell_of(c), c.index)).collect();
    cells.sort_unstable();
    let mut rows: Vec<(RowKey, TableRow)> = Vec::new();
    for ((key, col), index) in cells {
        if rows.last().map(|(k, _)| *k) != Some(key) {
            rows.push((key, [None; 5]));
        }
        if let Some(slot) = rows.last_mut().and_then(|(_, r)| r.get_mut(col)) {
            *slot = Some(index);
        }
    }
    rows
}

/// The tables, built once.
struct Tables {
    hiragana: Vec<TableRow>,
    katakana: Vec<TableRow>,
    sheet: Vec<[Option<usize>; SHEET_COLUMNS]>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let rows = |s| keyed_rows(s).into_iter().map(|(_, r)| r).collect();
        Tables { hiragana: rows(Script::Hiragana), katakana: rows(Script::Katakana), sheet: build_sheet_layout() }
    })
}

/// The gojūon table of one script, row by row.
pub fn gojuon_rows(script: Script) -> &'static [TableRow] {
    match script {
        Script::Hiragana => &tables().hiragana,
        Script::Katakana => &tables().katakana,
    }
}

/// The classes of one script in gojūon order (the table read row by row).
pub fn gojuon_order(script: Script) -> Vec<usize> {
    gojuon_rows(script).iter().flatten().flatten().copied().collect()
}

/// Columns of the style sheet: the hiragana table, then the katakana table.
pub const SHEET_COLUMNS: usize = 10;

/// The style sheet's layout: every row of the two tables side by side (hiragana left, katakana
/// right), matched by row, so each of the 180 classes has exactly one cell.
pub fn sheet_layout() -> &'static [[Option<usize>; SHEET_COLUMNS]] {
    &tables().sheet
}

fn build_sheet_layout() -> Vec<[Option<usize>; SHEET_COLUMNS]> {
    let (hira, kata) = (keyed_rows(Script::Hiragana), keyed_rows(Script::Katakana));
    let mut keys: Vec<RowKey> = hira.iter().chain(&kata).map(|(k, _)| *k).collect();
    keys.sort_unstable();
    keys.dedup();
    let find = |rows: &[(RowKey, TableRow)], key: RowKey| rows.iter().find(|(k, _)| *k == key).map(|(_, r)| *r).unwrap_or([None; 5]);
    keys.into_iter()
        .map(|key| {
            let mut row = [None; SHEET_COLUMNS];
            for (slot, v) in row.iter_mut().zip(find(&hira, key).into_iter().chain(find(&kata, key))) {
                *slot = v;
            }
            row
        })
        .collect()
}

/// Other ways of typing a reading (Kunrei-shiki and IME habits) and the table's own spelling.
const ALIASES: [(&str, &str); 9] =
    [("si", "shi"), ("ti", "chi"), ("tu", "tsu"), ("hu", "fu"), ("zi", "ji"), ("nn", "n"), ("xtu", "xtsu"), ("ltu", "xtsu"), ("wo", "wo")];

/// The kana that typed text points at, as the person types: a kana typed as itself; else, in
/// `script` (katakana when the text is all upper case), the kana whose romaji is the text (with
/// the usual alternatives: si, tu, hu, `l` for small, ...), or else the first in gojūon order
/// whose romaji starts with it.
pub fn romaji_jump(text: &str, script: Script) -> Option<usize> {
    let text = text.trim();
    let mut chars = text.chars();
    if let (Some(ch), None) = (chars.next(), chars.next()) {
        if let Some(i) = classes::index_of(ch) {
            return Some(i);
        }
    }
    if text.is_empty() || !text.is_ascii() {
        return None;
    }
    let upper = text.chars().any(|c| c.is_ascii_uppercase()) && !text.chars().any(|c| c.is_ascii_lowercase());
    let script = if upper { Script::Katakana } else { script };
    let mut typed = text.to_ascii_lowercase();
    if let Some(rest) = typed.strip_prefix('l') {
        typed = format!("x{rest}");
    }
    let exact = ALIASES.iter().find(|(a, _)| *a == typed).map(|(_, b)| (*b).to_string()).unwrap_or_else(|| typed.clone());
    let order = gojuon_order(script);
    let reading = |i: &usize| classes::get(*i).map(|c| c.romaji().to_ascii_lowercase()).unwrap_or_default();
    order
        .iter()
        .find(|i| reading(i) == exact)
        .or_else(|| order.iter().find(|i| reading(i).starts_with(&typed)))
        .copied()
}

/// What the picker remembers between frames.
#[derive(Debug, Clone)]
pub struct KanaPicker {
    /// The tab shown.
    pub script: Script,
    /// The romaji being typed.
    pub romaji: String,
    /// Scroll the table to the selected kana on the next frame.
    pub scroll_to_selected: bool,
}

impl Default for KanaPicker {
    fn default() -> Self {
        KanaPicker { script: Script::Hiragana, romaji: String::new(), scroll_to_selected: false }
    }
}

impl KanaPicker {
    /// Shows `selected`'s tab and scrolls the table to it.
    pub fn reveal(&mut self, selected: usize) {
        if let Some(c) = classes::get(selected) {
            self.script = c.script();
        }
        self.scroll_to_selected = true;
    }

    /// Shows the tabs, the romaji field and the table; returns the class picked this frame.
    pub fn kana_picker_ui(&mut self, ui: &mut egui::Ui, selected: usize) -> Option<usize> {
        let mut picked = None;
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.script, Script::Hiragana, "ひらがな");
            ui.selectable_value(&mut self.script, Script::Katakana, "カタカナ");
            ui.separator();
            let label = ui.label("romaji");
            let edit = ui
                .add(egui::TextEdit::singleline(&mut self.romaji).hint_text("ka, SHI, xtsu…").desired_width(80.0))
                .labelled_by(label.id)
                .on_hover_text("Type a reading to jump to its kana (upper case for katakana)");
            if edit.changed() {
                picked = romaji_jump(&self.romaji, self.script);
                if let Some(c) = picked {
                    self.reveal(c);
                }
            }
        });
        let scroll = std::mem::take(&mut self.scroll_to_selected);
        egui::ScrollArea::vertical().id_salt("kana-table").max_height(170.0).auto_shrink([false, true]).show(ui, |ui| {
            let width = ((ui.available_width() - 4.0 * ui.spacing().item_spacing.x) / 5.0).max(28.0);
            let size = Vec2::new(width, 28.0);
            let all = classes::all();
            egui::Grid::new("kana-grid").spacing([ui.spacing().item_spacing.x, 2.0]).show(ui, |ui| {
                for row in gojuon_rows(self.script) {
                    for cell in row {
                        let Some(class) = cell.and_then(|i| all.get(i).copied()) else {
                            ui.allocate_exact_size(size, egui::Sense::hover());
                            continue;
                        };
                        let button = Button::selectable(class.index == selected, RichText::new(class.ch.to_string()).size(18.0)).min_size(size);
                        let response = ui.add(button);
                        // Only while really hovered: a window opened over the picker (Help)
                        // must not keep its tooltip showing through.
                        let response = if response.hovered() {
                            response.on_hover_ui(|ui| {
                                ui.label(class.romaji());
                            })
                        } else {
                            response
                        };
                        if response.clicked() {
                            picked = Some(class.index);
                        }
                        if scroll && class.index == selected {
                            response.scroll_to_me(Some(egui::Align::Center));
                        }
                    }
                    ui.end_row();
                }
            });
        });
        picked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(row: &TableRow) -> String {
        row.iter().map(|c| c.and_then(classes::get).map(|k| k.ch).unwrap_or('_')).collect()
    }

    #[test]
    fn gojuon_table_of_hiragana() {
        let rows = gojuon_rows(Script::Hiragana);
        let shown: Vec<String> = rows.iter().map(chars).collect();
        assert_eq!(
            &shown[..11],
            ["あいうえお", "かきくけこ", "さしすせそ", "たちつてと", "なにぬねの", "はひふへほ", "まみむめも", "や_ゆ_よ", "らりるれろ", "わゐ_ゑを", "ん____"]
        );
        assert_eq!(&shown[11..17], ["がぎぐげご", "ざじずぜぞ", "だぢづでど", "ばびぶべぼ", "ぱぴぷぺぽ", "__ゔ__"]);
        assert_eq!(&shown[17..], ["ぁぃぅぇぉ", "ゕ__ゖ_", "__っ__", "ゃ_ゅ_ょ", "ゎ____", "ゝゞ___"]);
    }

    #[test]
    fn every_class_has_one_place() {
        for script in [Script::Hiragana, Script::Katakana] {
            let order = gojuon_order(script);
            let want = classes::all().iter().filter(|c| c.script() == script).count();
            let mut unique = order.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!((order.len(), unique.len()), (want, want), "{script:?}");
        }
        let katakana: Vec<String> = gojuon_rows(Script::Katakana).iter().map(chars).collect();
        assert_eq!(katakana.first().map(String::as_str), Some("アイウエオ"));
        assert!(katakana.contains(&"ヷヸヴヹヺ".to_string()), "{katakana:?}");
        let mut sheet: Vec<usize> = sheet_layout().iter().flatten().flatten().copied().collect();
        sheet.sort_unstable();
        assert_eq!(sheet, (0..classes::NUM_CLASSES).collect::<Vec<_>>());
        let first = sheet_layout().first().map(|r| r.iter().map(|c| c.and_then(classes::get).map(|k| k.ch).unwrap_or('_')).collect::<String>());
        assert_eq!(first.as_deref(), Some("あいうえおアイウエオ"));
    }

    #[test]
    fn romaji_jumps_as_you_type() {
        let jump = |t: &str, s: Script| romaji_jump(t, s).and_then(classes::get).map(|c| c.ch);
        let h = Script::Hiragana;
        assert_eq!(jump("k", h), Some('か'));
        assert_eq!(jump("ki", h), Some('き'));
        assert_eq!(jump("s", h), Some('さ'));
        assert_eq!(jump("sh", h), Some('し'));
        assert_eq!(jump("si", h), Some('し'));
        assert_eq!(jump("tu", h), Some('つ'));
        assert_eq!(jump("nn", h), Some('ん'));
        assert_eq!(jump("xtsu", h), Some('っ'));
        assert_eq!(jump("ltu", h), Some('っ'));
        assert_eq!(jump("xa", h), Some('ぁ'));
        assert_eq!(jump("wo", h), Some('を'));
        assert_eq!(jump("ka", Script::Katakana), Some('カ'));
        assert_eq!(jump("KA", h), Some('カ'), "upper case is katakana");
        assert_eq!(jump("ぬ", Script::Katakana), Some('ぬ'), "a kana typed as itself");
        assert_eq!(jump("q", h), None);
        assert_eq!(jump("", h), None);
        assert_eq!(jump("字", h), None);
    }
}
