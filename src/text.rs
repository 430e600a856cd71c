//! Text from outside hubfix (AWS answers, files, answers files, runbooks) made safe to show:
//! control characters are written as visible escapes, so an escape sequence in a resource
//! name or a reason cannot recolour, clear or rewrite the operator's terminal, and cannot
//! hide inside a finding note.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal or a note as it is: C0 controls other than a line
/// feed and a tab, DEL, C1 controls (U+0080 to U+009F), and the bidirectional overrides and
/// isolates that can make a text read differently from what it holds.
pub fn is_unsafe(c: char) -> bool {
    match c {
        '\n' | '\t' => false,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

/// The text with every [`is_unsafe`] character written as a visible escape: `\x1b` for C0
/// controls and DEL, `\u{9b}` for the others. Text without one is returned as it is.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
        } else if u32::from(c) <= 0x7f {
            out.push_str(&format!("\\x{:02x}", u32::from(c)));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible_and_lines_and_tabs_stay() {
        assert_eq!(escape_controls("a\u{1b}[31mb"), "a\\x1b[31mb");
        assert_eq!(escape_controls("bell\u{7}\r"), "bell\\x07\\x0d");
        assert_eq!(escape_controls("del\u{7f}"), "del\\x7f");
        assert_eq!(escape_controls("csi\u{9b}2J"), "csi\\u{9b}2J");
        assert_eq!(escape_controls("rtl\u{202e}gnp.exe"), "rtl\\u{202e}gnp.exe");
        assert_eq!(escape_controls("line\n\tnext"), "line\n\tnext");
        assert_eq!(escape_controls("日本語 ok"), "日本語 ok");
        assert!(matches!(escape_controls("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn escaping_twice_changes_nothing_more() {
        let once = escape_controls("x\u{1b}y\u{85}").into_owned();
        assert_eq!(escape_controls(&once), once);
    }
}
