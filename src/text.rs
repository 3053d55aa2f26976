//! Text from files made safe to show: control characters (terminal escape sequences, bells,
//! carriage returns, bidirectional overrides) are written as visible escapes, so a string read
//! from a sidecar, a data set or a file name cannot drive the terminal or disguise itself in the
//! UI.

/// `text` with every control character escaped (`\u{1b}`), newlines kept when `keep_newlines`
/// (for messages of several lines) and written `\n` otherwise. Everything else is unchanged.
pub fn escape_controls_with(text: &str, keep_newlines: bool) -> String {
    if !text.chars().any(|c| needs_escape(c, keep_newlines)) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c, keep_newlines) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` on one line with every control character escaped (see [`escape_controls_with`]).
pub fn escape_controls(text: &str) -> String {
    escape_controls_with(text, false)
}

fn needs_escape(c: char, keep_newlines: bool) -> bool {
    if c == '\n' {
        return !keep_newlines;
    }
    // C0, DEL, C1, and the Unicode format characters that reorder or hide text.
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        // Regression (issue 20, item 19): a sidecar's `kind` of "\x1b]0;pwned\x07\x1b[2J" reached
        // the terminal raw.
        let e = escape_controls("\u{1b}]0;pwned\u{7}\u{1b}[2J あ");
        assert!(!e.chars().any(|c| c.is_control()), "{e:?}");
        assert_eq!(e, "\\u{1b}]0;pwned\\u{7}\\u{1b}[2J あ");
        assert_eq!(escape_controls("plain かな"), "plain かな");
        assert_eq!(escape_controls("a\nb\r\u{9b}\u{202e}"), "a\\nb\\r\\u{9b}\\u{202e}");
        assert_eq!(escape_controls_with("a\nb\u{1b}", true), "a\nb\\u{1b}");
    }
}
