//! The one definition of the characters that can disguise text: the bidirectional embedding,
//! override and isolate controls (U+202A–U+202E, U+2066–U+2069) and the invisible format characters
//! (U+200B–U+200F, U+2060, U+FEFF). A right-to-left override displays the text after it reversed,
//! so a description can read as something it is not; a zero-width space makes two equal-looking
//! names differ. Pure.
//!
//! Every place that handles outside text uses this module: the chat grammar refuses them
//! (`command::text`), values written to devices are refused with the position named
//! (`device::change`), and everything the bot posts shows them visibly as `<U+202E>`
//! (`escape_markdown` for every outside value in a chat answer, and the last pass before posting in
//! `webex::rest`).

use std::borrow::Cow;
use std::fmt;

/// Whether `c` can disguise text (reorder it or hide inside it).
pub fn is_disguising(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// The Unicode name of a disguising character (`None` for any other character).
pub fn name(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{200B}' => "ZERO WIDTH SPACE",
        '\u{200C}' => "ZERO WIDTH NON-JOINER",
        '\u{200D}' => "ZERO WIDTH JOINER",
        '\u{200E}' => "LEFT-TO-RIGHT MARK",
        '\u{200F}' => "RIGHT-TO-LEFT MARK",
        '\u{202A}' => "LEFT-TO-RIGHT EMBEDDING",
        '\u{202B}' => "RIGHT-TO-LEFT EMBEDDING",
        '\u{202C}' => "POP DIRECTIONAL FORMATTING",
        '\u{202D}' => "LEFT-TO-RIGHT OVERRIDE",
        '\u{202E}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{2060}' => "WORD JOINER",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE",
        '\u{2068}' => "FIRST STRONG ISOLATE",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE",
        '\u{FEFF}' => "ZERO WIDTH NO-BREAK SPACE",
        _ => return None,
    })
}

/// One disguising character found in a text: where and which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disguise {
    /// Character index, 1-based (what a person counts), not a byte offset.
    pub position: usize,
    /// Byte offset of the character in the text searched.
    pub byte: usize,
    pub ch: char,
}

impl Disguise {
    /// `U+202E RIGHT-TO-LEFT OVERRIDE`.
    pub fn describe(&self) -> String {
        format!(
            "U+{:04X} {}",
            u32::from(self.ch),
            name(self.ch).unwrap_or("FORMAT CHARACTER")
        )
    }
}

impl fmt::Display for Disguise {
    /// `character 7 is U+202E RIGHT-TO-LEFT OVERRIDE, which can disguise text`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "character {} is {}, which can disguise text",
            self.position,
            self.describe()
        )
    }
}

/// Every disguising character of `s`, in order.
pub fn find_all(s: &str) -> impl Iterator<Item = Disguise> + '_ {
    s.char_indices()
        .enumerate()
        .filter(|(_, (_, c))| is_disguising(*c))
        .map(|(i, (byte, ch))| Disguise {
            position: i + 1,
            byte,
            ch,
        })
}

/// The first disguising character of `s`.
pub fn find(s: &str) -> Option<Disguise> {
    find_all(s).next()
}

/// How a disguising character is shown: `<U+202E>` (plain text; markdown escapes the brackets).
pub fn visible(c: char) -> String {
    format!("<U+{:04X}>", u32::from(c))
}

/// `s` with every disguising character shown as [`visible`]; borrowed when there is none.
pub fn neutralize(s: &str) -> Cow<'_, str> {
    neutralize_with(s, visible)
}

/// [`neutralize`] for markdown: the brackets as entities (`&lt;U+202E&gt;`), so the form shows
/// as `<U+202E>` and is never read as an HTML tag.
pub fn neutralize_markdown(s: &str) -> Cow<'_, str> {
    neutralize_with(s, |c| format!("&lt;U+{:04X}&gt;", u32::from(c)))
}

fn neutralize_with(s: &str, show: impl Fn(char) -> String) -> Cow<'_, str> {
    if !s.chars().any(is_disguising) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_disguising(c) {
            out.push_str(&show(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Longest value shown in one cell.
pub const MAX_CELL: usize = 120;

/// Escapes device-supplied text for a markdown table cell: control characters become spaces,
/// characters that can disguise text show as `<U+202E>`, markdown
/// punctuation is backslash-escaped, HTML-significant characters become entities.
pub fn escape_markdown(s: &str) -> String {
    escape_markdown_bounded(s, MAX_CELL)
}

/// [`escape_markdown`] for running text: at most `max_chars` characters are kept (then `…`).
pub fn escape_markdown_bounded(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars * 2));
    for (i, c) in s.chars().enumerate() {
        if i == max_chars {
            out.push('…');
            break;
        }
        match c {
            c if c.is_control() => out.push(' '),
            // The visible form, its brackets as entities like any other `<` and `>`.
            c if is_disguising(c) => out.push_str(&neutralize_markdown(&c.to_string())),
            '\\' | '`' | '*' | '_' | '|' | '[' | ']' | '~' | '#' | '{' | '}' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

/// A short, log-safe, single-line excerpt of outside text (a server's error body, a frame): at most
/// `max` characters, control characters as spaces, disguising characters shown as [`visible`], `…`
/// when cut. The one excerpt helper of the crate.
pub fn excerpt(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max * 2));
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        match c {
            c if c.is_control() => out.push(' '),
            c if is_disguising(c) => out.push_str(&visible(c)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_bounded_single_line_and_undisguised() {
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(excerpt("a\nb\tc", 10), "a b c");
        assert_eq!(excerpt("abcdef", 3), "abc…");
        assert_eq!(excerpt("abc", 3), "abc");
        assert_eq!(excerpt("x\u{202E}y", 10), "x<U+202E>y");
        assert_eq!(excerpt("ü", 0), "…");
    }

    /// The whole set the issue names, and nothing next to it.
    const LISTED: &[char] = &[
        '\u{200B}', '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}',
        '\u{202C}', '\u{202D}', '\u{202E}', '\u{2060}', '\u{2066}', '\u{2067}', '\u{2068}',
        '\u{2069}', '\u{FEFF}',
    ];

    #[test]
    fn exactly_the_listed_characters_are_disguising_and_named() {
        for &c in LISTED {
            assert!(is_disguising(c), "U+{:04X}", u32::from(c));
            assert!(name(c).is_some(), "U+{:04X}", u32::from(c));
        }
        let listed: std::collections::BTreeSet<char> = LISTED.iter().copied().collect();
        for c in ('\u{2000}'..='\u{2070}').chain(['\u{FEFE}', '\u{FFFD}', 'a', ' ', '\u{7}']) {
            assert_eq!(
                is_disguising(c),
                listed.contains(&c),
                "U+{:04X}",
                u32::from(c)
            );
        }
    }

    #[test]
    fn positions_are_characters_not_bytes() {
        let d = find("café \u{202E}x").unwrap();
        assert_eq!(d.position, 6);
        assert_eq!(d.byte, "café ".len());
        assert_eq!(
            d.to_string(),
            "character 6 is U+202E RIGHT-TO-LEFT OVERRIDE, which can disguise text"
        );
        assert_eq!(find("plain text"), None);
        let all: Vec<usize> = find_all("\u{200B}a\u{FEFF}").map(|d| d.position).collect();
        assert_eq!(all, [1, 3]);
    }

    #[test]
    fn neutralized_text_has_none_left_and_shows_each() {
        assert!(matches!(neutralize("uplink"), Cow::Borrowed("uplink")));
        let n = neutralize("a\u{202E}b\u{200B}c");
        assert_eq!(n, "a<U+202E>b<U+200B>c");
        assert_eq!(neutralize_markdown("a\u{2066}b"), "a&lt;U+2066&gt;b");
        for &c in LISTED {
            let s = format!("x{c}y");
            assert!(!neutralize(&s).chars().any(is_disguising));
            assert!(!neutralize_markdown(&s).chars().any(is_disguising));
        }
    }
}
