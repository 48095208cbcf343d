//! The user-facing parse error: what is wrong, where (the message echoed in a code block with a
//! `^^^` marker under the offending word), and how to fix it.

use std::fmt;
use std::ops::Range;

/// What kind of mistake the message has; lets the app (and tests) react without reading prose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Nothing but whitespace.
    Empty,
    /// Longer than [`super::MAX_INPUT_CHARS`].
    TooLong,
    ControlCharacter,
    UnbalancedQuote,
    UnknownCommand,
    /// An unknown word where a fixed one was expected (`show intrface`).
    UnknownKeyword,
    UnknownTopic,
    MissingArgument,
    ExtraArgument,
    InvalidDevice,
    InvalidInterface,
    InvalidId,
    InvalidNumber,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Markdown for the chat: what is wrong, where, and how to fix it.
    pub message: String,
    pub kind: ErrorKind,
    /// Byte range of the offending text in the input as given to `parse` (empty at the end of the
    /// input for a missing argument); `None` when the error is about the whole message.
    pub span: Option<Range<usize>>,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

/// The message as sent and the text shown back (normalised), which has the same characters in the
/// same positions.
pub struct Source<'a> {
    pub original: &'a str,
    pub line: &'a str,
}

/// Longest echo of the message; past it a window around the error is shown.
const ECHO_CHARS: usize = 72;

impl ParseError {
    pub(crate) fn plain(kind: ErrorKind, message: String) -> Self {
        ParseError {
            message,
            kind,
            span: None,
        }
    }

    /// An error about the text at `span` (byte offsets into `source.line`).
    pub(crate) fn at(
        source: &Source<'_>,
        kind: ErrorKind,
        headline: String,
        span: Range<usize>,
        hint: Option<String>,
    ) -> Self {
        let line = source.line;
        let start_col = line.get(..span.start).map_or(0, |s| s.chars().count());
        let width = line.get(span.clone()).map_or(0, |s| s.chars().count());
        let mut message = headline;
        message.push_str("\n\n");
        message.push_str(&echo(line, start_col, width.max(1)));
        if let Some(hint) = hint {
            message.push('\n');
            message.push_str(&hint);
        }
        let original = byte_of_char(source.original, start_col)
            ..byte_of_char(source.original, start_col + width);
        ParseError {
            message,
            kind,
            span: Some(original),
        }
    }
}

fn byte_of_char(s: &str, col: usize) -> usize {
    s.char_indices().nth(col).map_or(s.len(), |(i, _)| i)
}

/// The line in a code block with a marker line under columns `start..start + width`.
fn echo(line: &str, start: usize, width: usize) -> String {
    let total = line.chars().count();
    // Window: keep the marked text in view with some context before it.
    let (from, to) = if total <= ECHO_CHARS {
        (0, total)
    } else {
        let from = start
            .saturating_sub(ECHO_CHARS / 3)
            .min(total.saturating_sub(ECHO_CHARS));
        (from, (from + ECHO_CHARS).min(total))
    };
    let mut shown = String::new();
    if from > 0 {
        shown.push('…');
    }
    shown.extend(line.chars().skip(from).take(to - from));
    if to < total {
        shown.push('…');
    }
    let lead = start.saturating_sub(from) + usize::from(from > 0);
    let marks = width.min(ECHO_CHARS.saturating_sub(lead.saturating_sub(1)).max(1));
    let mut marker = " ".repeat(lead);
    marker.push_str(&"^".repeat(marks));
    // A fence longer than any backtick run in the echo, so user text cannot close it early.
    let longest_run = shown.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run.max(2) + 1);
    format!("{fence}\n{shown}\n{marker}\n{fence}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(s: &str) -> Source<'_> {
        Source {
            original: s,
            line: s,
        }
    }

    #[test]
    fn marks_the_word_under_the_line() {
        let e = ParseError::at(
            &src("shwo iface c9300"),
            ErrorKind::UnknownCommand,
            "Bad".into(),
            0..4,
            Some("Hint".into()),
        );
        assert_eq!(e.message, "Bad\n\n```\nshwo iface c9300\n^^^^\n```\n\nHint");
        assert_eq!(e.span, Some(0..4));
        assert_eq!(e.to_string(), e.message);
    }

    #[test]
    fn marks_past_the_end_for_a_missing_word() {
        let e = ParseError::at(
            &src("vrf"),
            ErrorKind::MissingArgument,
            "Bad".into(),
            3..3,
            None,
        );
        assert!(e.message.contains("```\nvrf\n   ^\n```"), "{}", e.message);
        assert_eq!(e.span, Some(3..3));
    }

    #[test]
    fn spans_are_bytes_of_the_original_and_columns_are_characters() {
        let original = "\u{A0}vrf ça";
        let line = " vrf ça";
        let e = ParseError::at(
            &Source { original, line },
            ErrorKind::InvalidDevice,
            "Bad".into(),
            5..8,
            None,
        );
        assert_eq!(&original[e.span.clone().unwrap()], "ça");
        assert!(e.message.contains("\n vrf ça\n     ^^\n"), "{}", e.message);
    }

    #[test]
    fn long_lines_show_a_window_around_the_error() {
        let line = format!("vrf {} tail", "x".repeat(200));
        let at = line.len() - 4;
        let e = ParseError::at(
            &src(&line),
            ErrorKind::ExtraArgument,
            "Bad".into(),
            at..line.len(),
            None,
        );
        let echoed: Vec<&str> = e.message.lines().collect();
        assert!(
            echoed[3].starts_with('…') && echoed[3].ends_with("tail"),
            "{}",
            e.message
        );
        let caret = echoed[4].find('^').unwrap();
        assert_eq!(echoed[3].chars().nth(caret), Some('t'));
    }

    #[test]
    fn backticks_in_the_input_get_a_longer_fence() {
        let e = ParseError::at(
            &src("vrf ```x"),
            ErrorKind::InvalidDevice,
            "Bad".into(),
            4..8,
            None,
        );
        assert!(e.message.contains("````\nvrf ```x\n"), "{}", e.message);
    }
}
