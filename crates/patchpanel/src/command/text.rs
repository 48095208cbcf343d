//! Normalisation of a raw chat message before it is parsed: the length limit, control characters
//! and the characters that can disguise text (`crate::text_safety`), whitespace and smart quotes
//! (steps 1–4 of `grammar/commands.ebnf`). Every character maps to exactly one character, so a
//! position in the normalised text is the same character position in the message as sent.

use std::borrow::Cow;

use super::error::{ErrorKind, ParseError, Source};
use crate::text_safety;

/// Messages longer than this many characters are rejected before any other work.
pub const MAX_INPUT_CHARS: usize = 1000;

/// A UTF-8 character is at most 4 bytes: past this many bytes the message is too long for sure,
/// which keeps the rejection of a huge message O(1).
const MAX_INPUT_BYTES: usize = MAX_INPUT_CHARS * 4;

/// Characters rejected outright: C0/C1 controls (other than whitespace) and every character that
/// can disguise text (bidi controls, invisible format characters), which would make the command, and
/// its echo, read differently from what it is.
pub fn is_forbidden(c: char) -> bool {
    (c.is_control() && !c.is_whitespace()) || text_safety::is_disguising(c)
}

fn map_char(c: char) -> char {
    match c {
        '\u{201C}' | '\u{201D}' => '"',
        '\u{2018}' | '\u{2019}' => '\'',
        c if c.is_whitespace() => ' ',
        c => c,
    }
}

/// The message ready for the grammar: borrowed when it needed no change (the common case).
pub fn normalize(input: &str) -> Result<Cow<'_, str>, ParseError> {
    if input.len() > MAX_INPUT_BYTES || input.chars().count() > MAX_INPUT_CHARS {
        return Err(ParseError::plain(
            ErrorKind::TooLong,
            format!(
                "That message is too long: commands are at most {MAX_INPUT_CHARS} characters. \
                 Send just the command, e.g. `show iface c9300 Gi1/0/2`."
            ),
        ));
    }
    let simple = input.bytes().all(|b| (b' '..=b'~').contains(&b));
    let text: Cow<'_, str> = if simple {
        Cow::Borrowed(input)
    } else {
        if let Some((byte, c)) = input.char_indices().find(|&(_, c)| is_forbidden(c)) {
            return Err(control_error(input, byte, c));
        }
        Cow::Owned(input.chars().map(map_char).collect())
    };
    if text.bytes().all(|b| b == b' ') {
        return Err(ParseError::plain(
            ErrorKind::Empty,
            "I didn't get a command. Try `help` to see what I can do.".to_owned(),
        ));
    }
    Ok(text)
}

fn control_error(input: &str, byte: usize, c: char) -> ParseError {
    // The echoed line must not carry the control character itself into the chat.
    let shown: String = input
        .chars()
        .map(|c| {
            if is_forbidden(c) {
                '\u{FFFD}'
            } else {
                map_char(c)
            }
        })
        .collect();
    let source = Source {
        original: input,
        line: &shown,
    };
    let start = shown
        .char_indices()
        .nth(input[..byte].chars().count())
        .map_or(shown.len(), |(i, _)| i);
    let end = start + '\u{FFFD}'.len_utf8();
    let column = input[..byte].chars().count() + 1;
    let what = match text_safety::name(c) {
        Some(name) => format!(
            "The message contains U+{:04X} {name} at column {column}, an invisible or \
             direction-changing character that can disguise text; it is marked `\u{FFFD}` below.",
            u32::from(c)
        ),
        None => format!(
            "The message contains a control character (U+{:04X}) at column {column}, marked `\u{FFFD}` below.",
            u32::from(c)
        ),
    };
    ParseError::at(
        &source,
        ErrorKind::ControlCharacter,
        what,
        start..end,
        Some("Retype the command without it.".to_owned()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ascii_is_borrowed() {
        assert!(matches!(
            normalize("vrf c9300"),
            Ok(Cow::Borrowed("vrf c9300"))
        ));
    }

    #[test]
    fn whitespace_and_smart_quotes_map_one_to_one() {
        let raw = "\u{A0}vrf\t\u{201C}c9300\u{201D}\u{2003}\u{2018}x\u{2019}\r\n";
        let text = normalize(raw).unwrap();
        assert_eq!(text, " vrf \"c9300\" 'x'  ");
        assert_eq!(text.chars().count(), raw.chars().count());
    }

    #[test]
    fn empty_and_blank_messages_hint_at_help() {
        for raw in ["", "   ", "\t\u{A0}\n", "\u{2003}"] {
            let e = normalize(raw).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Empty, "{raw:?}");
            assert!(e.message.contains("`help`"));
        }
    }

    #[test]
    fn too_long_is_rejected_by_characters_and_by_bytes() {
        let ok = "a".repeat(MAX_INPUT_CHARS);
        assert!(normalize(&ok).is_ok());
        let e = normalize(&"a".repeat(MAX_INPUT_CHARS + 1)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooLong);
        assert!(e.message.contains("1000"));
        // 1000 emoji are 4000 bytes but 1000 characters: allowed.
        assert!(normalize(&"😀".repeat(MAX_INPUT_CHARS)).is_ok());
        assert_eq!(
            normalize(&"x".repeat(10_240)).unwrap_err().kind,
            ErrorKind::TooLong
        );
    }

    #[test]
    fn control_characters_are_rejected_with_their_position() {
        let raw = "vrf c9\u{7}300";
        let e = normalize(raw).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ControlCharacter);
        assert!(
            e.message.contains("U+0007") && e.message.contains("column 7"),
            "{}",
            e.message
        );
        assert!(!e.message.contains('\u{7}'));
        assert_eq!(e.span, Some(6..7));
        let e = normalize("vrf \u{202E}c9300").unwrap_err();
        assert_eq!(e.kind, ErrorKind::ControlCharacter);
        assert_eq!(e.span, Some(4..7));
        assert!(
            e.message
                .contains("U+202E RIGHT-TO-LEFT OVERRIDE at column 5"),
            "{}",
            e.message
        );
    }

    /// The grammar refuses the same set the device validation refuses and the chat neutralizes
    /// (`crate::text_safety`), zero-width spaces included (they used to count as spaces).
    #[test]
    fn every_disguising_character_is_refused_with_its_column() {
        for c in ('\u{200B}'..='\u{2070}')
            .chain(['\u{FEFF}'])
            .filter(|c| text_safety::is_disguising(*c))
        {
            let raw = format!("vrf c9{c}300");
            let e = normalize(&raw).unwrap_err();
            assert_eq!(
                e.kind,
                ErrorKind::ControlCharacter,
                "U+{:04X}",
                u32::from(c)
            );
            let named = format!(
                "U+{:04X} {} at column 7",
                u32::from(c),
                text_safety::name(c).unwrap()
            );
            assert!(e.message.contains(&named), "{}", e.message);
            assert!(!e.message.chars().any(text_safety::is_disguising));
        }
    }
}
