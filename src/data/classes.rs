//! The class table: every hiragana and katakana letter, 180 classes in codepoint order.
//!
//! Ranges: U+3041–U+3096, U+309D–U+309E, U+30A1–U+30FA, U+30FD–U+30FE. Datasets with class maps of
//! their own (Kuzushiji-49, the kuzushiji sample) are mapped onto this table by codepoint.

use crate::error::{Error, Result};
use std::path::Path;

/// Number of classes the recognizer distinguishes.
pub const NUM_CLASSES: usize = 180;

/// The codepoint ranges (inclusive) that make up the class table, in order.
pub const RANGES: [(u32, u32); 4] = [
    (0x3041, 0x3096),
    (0x309D, 0x309E),
    (0x30A1, 0x30FA),
    (0x30FD, 0x30FE),
];

/// Romaji of U+3041..=U+3096 (hiragana) and, in upper case, U+30A1..=U+30F6 (katakana).
/// Small kana are written with a leading `x` (the IME convention).
const BASE_ROMAJI: [&str; 86] = [
    "xa", "a", "xi", "i", "xu", "u", "xe", "e", "xo", "o", // ぁ..お
    "ka", "ga", "ki", "gi", "ku", "gu", "ke", "ge", "ko", "go", // か..ご
    "sa", "za", "shi", "ji", "su", "zu", "se", "ze", "so", "zo", // さ..ぞ
    "ta", "da", "chi", "di", "xtsu", "tsu", "du", "te", "de", "to", "do", // た..ど
    "na", "ni", "nu", "ne", "no", // な..の
    "ha", "ba", "pa", "hi", "bi", "pi", "fu", "bu", "pu", "he", "be", "pe", "ho", "bo", "po",
    "ma", "mi", "mu", "me", "mo", // ま..も
    "xya", "ya", "xyu", "yu", "xyo", "yo", // ゃ..よ
    "ra", "ri", "ru", "re", "ro", // ら..ろ
    "xwa", "wa", "wi", "we", "wo", "n", "vu", "xka", "xke", // ゎ..ゖ
];

/// Which syllabary a class belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// ひらがな
    Hiragana,
    /// カタカナ
    Katakana,
}

/// One recognizable letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KanaClass {
    /// Index in the class table (0..180).
    pub index: usize,
    /// The character.
    pub ch: char,
}

impl KanaClass {
    /// Hiragana or katakana.
    pub fn script(&self) -> Script {
        if (self.ch as u32) < 0x30A0 {
            Script::Hiragana
        } else {
            Script::Katakana
        }
    }

    /// Reading in romaji: lower case for hiragana, upper case for katakana (あ `a`, ア `A`).
    pub fn romaji(&self) -> String {
        let cp = self.ch as u32;
        let base = match cp {
            0x3041..=0x3096 => BASE_ROMAJI.get((cp - 0x3041) as usize).copied(),
            0x30A1..=0x30F6 => BASE_ROMAJI.get((cp - 0x30A1) as usize).copied(),
            0x30F7 => Some("va"),
            0x30F8 => Some("vi"),
            0x30F9 => Some("ve"),
            0x30FA => Some("vo"),
            0x309D | 0x30FD => Some("(repeat)"),
            0x309E | 0x30FE => Some("(repeat, voiced)"),
            _ => None,
        }
        .unwrap_or("?");
        match self.script() {
            Script::Katakana if !base.starts_with('(') => base.to_uppercase(),
            _ => base.to_string(),
        }
    }

    /// Whether the kana carries a dakuten or handakuten (が, ぱ, ヴ, ゞ ...).
    pub fn has_voicing_mark(&self) -> bool {
        let r = self.romaji().to_lowercase();
        r.starts_with(['g', 'z', 'j', 'd', 'b', 'p', 'v']) || r.contains("voiced")
    }

    /// Whether this is a small kana (ぁ ゃ っ ァ ッ ヵ ...), which must be written small.
    pub fn is_small(&self) -> bool {
        matches!(
            self.ch,
            'ぁ' | 'ぃ' | 'ぅ' | 'ぇ' | 'ぉ' | 'っ' | 'ゃ' | 'ゅ' | 'ょ' | 'ゎ' | 'ゕ' | 'ゖ'
                | 'ァ' | 'ィ' | 'ゥ' | 'ェ' | 'ォ' | 'ッ' | 'ャ' | 'ュ' | 'ョ' | 'ヮ' | 'ヵ' | 'ヶ'
        )
    }
}

/// All 180 classes in table order.
pub fn all() -> Vec<KanaClass> {
    RANGES
        .iter()
        .flat_map(|&(a, b)| a..=b)
        .filter_map(char::from_u32)
        .enumerate()
        .map(|(index, ch)| KanaClass { index, ch })
        .collect()
}

/// The characters of the class table, in order.
pub fn chars() -> Vec<char> {
    all().into_iter().map(|c| c.ch).collect()
}

/// The class of a character, if it is in the table.
pub fn index_of(ch: char) -> Option<usize> {
    let cp = ch as u32;
    let mut offset = 0usize;
    for &(a, b) in &RANGES {
        if (a..=b).contains(&cp) {
            return Some(offset + (cp - a) as usize);
        }
        offset += (b - a + 1) as usize;
    }
    None
}

/// The class at `index`, if any (the inverse of [`index_of`], without building the table).
pub fn get(index: usize) -> Option<KanaClass> {
    let mut offset = index;
    for &(a, b) in &RANGES {
        let len = (b - a + 1) as usize;
        if offset < len {
            return char::from_u32(a + offset as u32).map(|ch| KanaClass { index, ch });
        }
        offset -= len;
    }
    None
}

/// Largest class-map file read (Kuzushiji-49's is 1 KB).
pub const MAX_CLASSMAP_BYTES: u64 = 1 << 20;

/// A dataset's own class map, mapped onto the class table: entry `i` is the table index of the
/// dataset's label `i`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassMap {
    /// Table index for each of the dataset's labels.
    pub to_table: Vec<usize>,
}

impl ClassMap {
    /// Reads a class-map CSV (`index,codepoint,char` header, codepoints written `U+XXXX`) and
    /// maps each row onto the class table by codepoint.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = crate::error::read_limited(path, MAX_CLASSMAP_BYTES, "class map")?;
        let text = String::from_utf8(bytes).map_err(|_| Error::file(path, "stream did not contain valid UTF-8"))?;
        Self::parse(&text).map_err(|reason| Error::file(path, reason))
    }

    /// Parses class-map CSV text; the error is a reason without the path.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let text = text.trim_start_matches('\u{feff}');
        let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
        let (_, header) = lines.next().ok_or("empty class map")?;
        let cols: Vec<String> = header.split(',').map(|c| c.trim().to_lowercase()).collect();
        let idx_col = cols.iter().position(|c| c == "index");
        let cp_col = cols
            .iter()
            .position(|c| c == "codepoint")
            .ok_or_else(|| format!("header {header:?} has no 'codepoint' column"))?;
        let mut rows: Vec<(usize, usize)> = Vec::new();
        let mut seen: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
        for (n, line) in lines {
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let field = |c: usize| {
                fields
                    .get(c)
                    .copied()
                    .ok_or_else(|| format!("line {}: too few columns", n + 1))
            };
            let cp_text = field(cp_col)?;
            let hex = cp_text
                .strip_prefix("U+")
                .or_else(|| cp_text.strip_prefix("u+"))
                .unwrap_or(cp_text);
            let cp = u32::from_str_radix(hex, 16)
                .map_err(|_| format!("line {}: bad codepoint {cp_text:?}", n + 1))?;
            let ch = char::from_u32(cp)
                .ok_or_else(|| format!("line {}: bad codepoint {cp_text:?}", n + 1))?;
            if let Some(first) = seen.insert(cp, n + 1) {
                return Err(format!(
                    "line {}: {ch} ({cp_text}) is already on line {first}: two labels for one letter would merge their classes",
                    n + 1
                ));
            }
            let table = index_of(ch).ok_or_else(|| {
                format!("line {}: {ch} ({cp_text}) is not a hiragana or katakana letter", n + 1)
            })?;
            let label = match idx_col {
                Some(c) => field(c)?
                    .parse::<usize>()
                    .map_err(|_| format!("line {}: bad index", n + 1))?,
                None => rows.len(),
            };
            rows.push((label, table));
        }
        if rows.is_empty() {
            return Err("class map has no rows".into());
        }
        rows.sort_by_key(|r| r.0);
        for (i, (label, _)) in rows.iter().enumerate() {
            if *label != i {
                return Err(format!("indices must be 0..{} without gaps", rows.len()));
            }
        }
        Ok(ClassMap {
            to_table: rows.into_iter().map(|r| r.1).collect(),
        })
    }

    /// Number of labels in the dataset's own map.
    pub fn len(&self) -> usize {
        self.to_table.len()
    }

    /// Whether the map is empty (never true for a parsed map).
    pub fn is_empty(&self) -> bool {
        self.to_table.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_180_classes_in_codepoint_order() {
        let all = all();
        assert_eq!(all.len(), NUM_CLASSES);
        assert_eq!(all[0].ch, 'ぁ');
        assert_eq!(all[179].ch, 'ヾ');
        for w in all.windows(2) {
            assert!(w[0].ch < w[1].ch);
        }
        for c in &all {
            assert_eq!(index_of(c.ch), Some(c.index));
            assert_eq!(get(c.index), Some(*c));
        }
        assert_eq!(get(NUM_CLASSES), None);
        assert_eq!(index_of('A'), None);
        assert_eq!(index_of('ー'), None);
    }

    #[test]
    fn readings_and_small_flags() {
        let r = |c: char| get(index_of(c).unwrap()).unwrap().romaji();
        assert_eq!(r('あ'), "a");
        assert_eq!(r('ア'), "A");
        assert_eq!(r('し'), "shi");
        assert_eq!(r('ん'), "n");
        assert_eq!(r('ゖ'), "xke");
        assert_eq!(r('ヶ'), "XKE");
        assert_eq!(r('ヺ'), "VO");
        assert_eq!(r('を'), "wo");
        assert_eq!(r('ヲ'), "WO");
        assert!(all().iter().all(|c| c.romaji() != "?"));
        assert_eq!(all().iter().filter(|c| c.is_small()).count(), 24);
        assert!(get(index_of('ゃ').unwrap()).unwrap().is_small());
        assert!(!get(index_of('や').unwrap()).unwrap().is_small());
        let marked: String = all().iter().filter(|c| c.has_voicing_mark()).map(|c| c.ch).collect();
        assert_eq!(marked.chars().count(), 58, "{marked}");
        assert!(marked.contains('ぱ') && marked.contains('ゞ') && marked.contains('ヺ') && !marked.contains('は'));
    }

    #[test]
    fn classmap_parses_k49_style() {
        let m = ClassMap::parse("index,codepoint,char\n0,U+3042,あ\n1,U+3044,い\n2,U+309D,ゝ\n").unwrap();
        assert_eq!(m.to_table, vec![index_of('あ').unwrap(), index_of('い').unwrap(), index_of('ゝ').unwrap()]);
    }

    #[test]
    fn classmap_refuses_bad_rows() {
        assert!(ClassMap::parse("").is_err());
        assert!(ClassMap::parse("index,char\n0,あ").unwrap_err().contains("codepoint"));
        assert!(ClassMap::parse("index,codepoint,char\n0,U+4E00,一").unwrap_err().contains("not a hiragana"));
        assert!(ClassMap::parse("index,codepoint,char\n0,U+ZZ,x").unwrap_err().contains("bad codepoint"));
        assert!(ClassMap::parse("index,codepoint,char\n1,U+3042,あ").unwrap_err().contains("without gaps"));
    }

    #[test]
    fn official_classmaps_load() {
        let m = ClassMap::load(&crate::data::test_data::fixture("k49_classmap.csv")).unwrap();
        assert_eq!(m.len(), 49);
        assert_eq!(m.to_table[0], index_of('あ').unwrap());
        assert_eq!(m.to_table[48], index_of('ゝ').unwrap());
        let kmnist = ClassMap::load(&crate::data::test_data::fixture("kuzushiji-fixture_classmap.csv")).unwrap();
        assert_eq!(kmnist.len(), 10);
        assert_eq!(kmnist.to_table[0], index_of('お').unwrap());
        assert_eq!(kmnist.to_table[9], index_of('を').unwrap());
    }

    #[test]
    fn duplicate_codepoints_are_refused() {
        // Regression (issue 12): a class map with a duplicate codepoint silently merged two classes.
        let e = ClassMap::parse("index,codepoint,char\n0,U+3042,あ\n1,U+3044,い\n2,U+3042,あ\n").unwrap_err();
        assert!(e.contains("line 4") && e.contains("already on line 2"), "{e}");
        // A BOM is accepted, as in drawing JSON.
        assert_eq!(ClassMap::parse("\u{feff}index,codepoint,char\n0,U+3042,あ\n").unwrap().len(), 1);
    }
}
