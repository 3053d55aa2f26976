//! The kana word list (`assets/words/kana-words.txt`, made from UniDic, see its README): words in
//! hiragana or katakana, most likely first. Line reading uses it as a prior that settles
//! look-alikes (り/リ, へ/ヘ, small/full-size) by context, never as a constraint.

use std::collections::HashMap;

/// The bundled word list, one word a line, most likely first.
pub const BUNDLED_WORDS: &str = include_str!("../../assets/words/kana-words.txt");

/// Most words read from a list (the bundled one has 30,000).
pub const MAX_WORDS: usize = 200_000;

/// Longest word kept, in characters.
pub const MAX_WORD_CHARS: usize = 16;

/// A ranked word list.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    ranks: HashMap<String, u32>,
    words: Vec<String>,
}

impl Lexicon {
    /// Parses a list, one word a line, most likely first. Blank lines, `#` comments, words over
    /// [`MAX_WORD_CHARS`] and words after the first [`MAX_WORDS`] are skipped; a repeated word
    /// keeps its first rank.
    pub fn parse(text: &str) -> Self {
        let mut lex = Lexicon::default();
        for line in text.lines().map(str::trim) {
            if lex.words.len() >= MAX_WORDS {
                break;
            }
            if line.is_empty() || line.starts_with('#') || line.chars().count() > MAX_WORD_CHARS || lex.ranks.contains_key(line) {
                continue;
            }
            lex.ranks.insert(line.to_string(), lex.words.len() as u32);
            lex.words.push(line.to_string());
        }
        lex
    }

    /// The bundled list, parsed once per process.
    pub fn bundled() -> &'static Lexicon {
        static LEX: std::sync::OnceLock<Lexicon> = std::sync::OnceLock::new();
        LEX.get_or_init(|| Lexicon::parse(BUNDLED_WORDS))
    }

    /// The word's rank (0: most likely), if it is in the list.
    pub fn rank(&self, word: &str) -> Option<usize> {
        self.ranks.get(word).map(|&r| r as usize)
    }

    /// Whether the word is in the list.
    pub fn contains(&self, word: &str) -> bool {
        self.ranks.contains_key(word)
    }

    /// The words, most likely first.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether the list has no words.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranks_and_limits() {
        let long = "あ".repeat(MAX_WORD_CHARS + 1);
        let lex = Lexicon::parse(&format!("# comment\nりんご\n\n カメラ \nりんご\n{long}\nねこ\n"));
        assert_eq!(lex.len(), 3);
        assert_eq!(lex.rank("りんご"), Some(0));
        assert_eq!(lex.rank("カメラ"), Some(1));
        assert_eq!(lex.rank("ねこ"), Some(2));
        assert!(!lex.contains(&long) && !lex.contains("# comment"));
    }

    #[test]
    fn the_bundled_list_has_common_words() {
        let lex = Lexicon::bundled();
        assert!(lex.len() >= 20_000, "{}", lex.len());
        for w in ["ありがとう", "カメラ", "まっすぐ", "ねこ"] {
            assert!(lex.contains(w), "{w}");
        }
        assert!(lex.words().iter().all(|w| w.chars().all(|c| crate::data::classes::index_of(c).is_some())));
    }
}
