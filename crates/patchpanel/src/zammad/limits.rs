//! The bounds of the texts the bot writes to Zammad, and the pure functions that make a text fit
//! them. The write path (`ZammadClient::update`) passes every note through here, so no caller can
//! send a text Zammad would refuse or one that reads differently than it is.
//!
//! Zammad refuses an article body over 1,500,000 characters with a 422 (docs/zammad.md §6); the
//! bot's notes are a few lines, so it keeps far below that. A note is plain text (`text/plain`):
//! line breaks are kept (one problem per line), every other control character becomes a space, and
//! characters that can disguise text are shown as `<U+202E>` (`text_safety`).

use crate::text_safety::{is_disguising, visible};

/// Longest note body the bot writes, in characters.
pub const NOTE_BODY_MAX: usize = 20_000;
/// Longest note subject, in characters (one line; Zammad turns breaks in a subject into spaces).
pub const NOTE_SUBJECT_MAX: usize = 200;

/// Marks a text that was cut to fit.
const ELLIPSIS: char = '…';

/// `text` as a plain-text note body of at most `max` characters: `\r\n` and `\r` become `\n`, tabs
/// and other control characters a space, disguising characters their visible form, trailing blanks
/// of each line and blank lines at the ends are dropped, and a text still too long is cut with `…`.
/// Pure and total.
pub fn note_body(text: &str, max: usize) -> String {
    let unified = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut clean = String::with_capacity(unified.len().min(max.saturating_mul(4)));
    for c in unified.chars() {
        match c {
            '\n' => {
                let kept = clean.trim_end_matches(' ').len();
                clean.truncate(kept);
                clean.push('\n');
            }
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => clean.push(' '),
            c if is_disguising(c) => clean.push_str(&visible(c)),
            c => clean.push(c),
        }
    }
    cut(clean.trim_matches(|c: char| c == '\n' || c == ' '), max)
}

/// `text` as one line of at most `max` characters (a subject): every control character a space,
/// disguising characters their visible form, trimmed, cut with `…`.
pub fn one_line(text: &str, max: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                " ".to_owned()
            } else if is_disguising(c) {
                visible(c)
            } else {
                c.to_string()
            }
        })
        .collect();
    cut(clean.trim(), max)
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.truncate(out.trim_end().len());
    out.push(ELLIPSIS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_kept_and_everything_else_is_made_plain() {
        assert_eq!(
            note_body("ticket 15004:\r\nmtu: bad  \n\tdescription: bad\r", 100),
            "ticket 15004:\nmtu: bad\n description: bad"
        );
        assert_eq!(note_body("\n\n  x\u{7}y\u{1b}[31m \n\n", 100), "x y [31m");
        assert_eq!(note_body("admin\u{202E}txt", 100), "admin<U+202E>txt");
        assert_eq!(note_body("", 100), "");
    }

    #[test]
    fn long_notes_and_subjects_are_cut_in_characters() {
        let long = "é".repeat(NOTE_BODY_MAX * 2);
        let out = note_body(&long, NOTE_BODY_MAX);
        assert_eq!(out.chars().count(), NOTE_BODY_MAX);
        assert!(out.ends_with('…'));
        assert_eq!(note_body("abc", 0), "");
        assert_eq!(one_line("a\nb\u{2066}c", 100), "a b<U+2066>c");
        assert_eq!(
            one_line(&"s".repeat(500), NOTE_SUBJECT_MAX).chars().count(),
            NOTE_SUBJECT_MAX
        );
    }

    #[test]
    fn the_result_always_fits_and_has_no_control_or_disguising_characters() {
        for s in [
            "x".repeat(30_000),
            "\u{0}\u{202E}\r\n".repeat(9000),
            "😀\t".repeat(20_000),
        ] {
            for max in [0, 1, 2, 100, NOTE_BODY_MAX] {
                let out = note_body(&s, max);
                assert!(out.chars().count() <= max);
                assert!(!out
                    .chars()
                    .any(|c| (c.is_control() && c != '\n') || is_disguising(c)));
                let line = one_line(&s, max);
                assert!(line.chars().count() <= max);
                assert!(!line.chars().any(|c| c.is_control() || is_disguising(c)));
            }
        }
    }
}
