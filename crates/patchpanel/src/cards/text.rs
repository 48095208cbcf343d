//! Outside text made safe for a card (pure): Adaptive Card TextBlocks render a markdown subset
//! (bold, italic, lists, links), so a ticket title such as `**APPROVED** [click](http://x)` would
//! otherwise render as formatting or a link. Characters that can disguise text are shown as
//! `<U+202E>` (`text_safety`), control characters become spaces, and every value is cut to a
//! character budget with `…` so a card always fits Webex's message size.

use crate::text_safety::{is_disguising, visible};

/// `s` for a TextBlock or FactSet value: at most `max_chars` characters of it (then `…`), markdown
/// punctuation backslash-escaped, a leading list/heading/quote marker escaped, line breaks and
/// other control characters as spaces, disguising characters visible.
pub fn card_text(s: &str, max_chars: usize) -> String {
    let mut chars: Vec<char> = s.chars().take(max_chars.saturating_add(1)).collect();
    let was_cut = chars.len() > max_chars;
    chars.truncate(max_chars);
    // Block markers only act as the first visible character (`- x`, `# x`, `+ x`, `> x`), and
    // an ordered-list marker is digits then `.` or `)` then a space (`12. x`; `1.5` is no list).
    let first = chars
        .iter()
        .position(|c| !c.is_whitespace() && !c.is_control());
    let list_mark = first.and_then(|f| {
        let digits = chars[f..].iter().take_while(|c| c.is_ascii_digit()).count();
        let j = f + digits;
        let marks = digits > 0
            && matches!(chars.get(j), Some('.' | ')'))
            && !matches!(chars.get(j + 1), Some(c) if !c.is_whitespace());
        marks.then_some(j)
    });
    let mut out = String::with_capacity(chars.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        match c {
            c if c.is_control() => out.push(' '),
            c if is_disguising(c) => out.push_str(&visible(c)),
            // CommonMark inline punctuation the card markdown subset acts on (`<` starts autolinks).
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' | '<' | '>' | '!' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '#' | '-' | '+' | '=' if Some(i) == first => {
                out.push('\\');
                out.push(c);
            }
            c if Some(i) == list_mark => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    if was_cut {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_escaped_where_it_would_render() {
        assert_eq!(card_text("plain text 1.5", 100), "plain text 1.5");
        assert_eq!(
            card_text("**bold** _it_ [l](http://x) `c`", 100),
            r"\*\*bold\*\* \_it\_ \[l\](http://x) \`c\`"
        );
        assert_eq!(card_text("- item", 100), r"\- item");
        assert_eq!(card_text("  # head", 100), r"  \# head");
        assert_eq!(card_text("a - b # c + d", 100), "a - b # c + d");
        assert_eq!(card_text("12. x", 100), r"12\. x");
        assert_eq!(card_text("3) x", 100), r"3\) x");
        assert_eq!(card_text("7.", 100), r"7\.");
        assert_eq!(card_text("1.5 x", 100), "1.5 x");
        assert_eq!(card_text("<b>&amp;", 100), r"\<b\>&amp;");
        assert_eq!(card_text(r"a\b", 100), r"a\\b");
    }

    #[test]
    fn controls_and_disguises_are_neutral_and_text_is_cut() {
        assert_eq!(card_text("a\nb\tc", 100), "a b c");
        assert_eq!(card_text("x\u{202E}y\u{200B}", 100), "x<U+202E>y<U+200B>");
        assert_eq!(card_text("abcdef", 3), "abc…");
        assert_eq!(card_text("abc", 3), "abc");
        assert_eq!(card_text("ééé", 2), "éé…");
    }
}
