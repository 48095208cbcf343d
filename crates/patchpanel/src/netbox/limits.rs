//! The limits of the NetBox text fields the bot writes, and the one pure function that makes a value
//! fit them. Every write body passes through here on its way out (`write.rs`, `ipam.rs`), so no caller
//! can send NetBox a value it would refuse.
//!
//! Why it matters: NetBox 4.7 keeps `changelog_message` in a `varchar(200)` without validating its
//! length first, so a longer one is not a 400 but a 500 (`DataError: value too long`) that looks like
//! an outage. An interface `description` is limited to 200 characters (a 400). NetBox counts
//! characters (code points), not bytes.

/// `changelog_message` of any write (NetBox `ChangeLoggingMixin`, 4.4+).
pub const CHANGELOG_MESSAGE_MAX: usize = 200;
/// `description` of a device interface.
pub const DESCRIPTION_MAX: usize = 200;

/// Marks a value that was cut to fit.
const ELLIPSIS: char = '…';

/// `text` made safe for a field of at most `max_chars` characters: each run of line breaks, tabs and
/// other control characters becomes one space, invisible format and bidirectional-override
/// characters (which make text read differently than it is) are removed, the ends are trimmed (NetBox
/// trims descriptions too), and a value still too long is cut and ends with `…`. Pure and total.
pub fn bounded(text: &str, max_chars: usize) -> String {
    let mut clean = String::with_capacity(text.len().min(max_chars.saturating_mul(4)));
    let mut in_break = false;
    for c in text.chars() {
        if crate::text_safety::is_disguising(c) {
            continue;
        }
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            if !in_break {
                clean.push(' ');
            }
            in_break = true;
            continue;
        }
        in_break = false;
        clean.push(c);
    }
    let clean = clean.trim();
    if clean.chars().count() <= max_chars {
        return clean.to_owned();
    }
    if max_chars == 0 {
        return String::new();
    }
    let mut cut: String = clean.chars().take(max_chars - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push(ELLIPSIS);
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_clean_text_is_kept_as_is() {
        assert_eq!(
            bounded("patchpanel: ticket CHG-1 applied", 200),
            "patchpanel: ticket CHG-1 applied"
        );
        assert_eq!(bounded("", 200), "");
        assert_eq!(bounded("Printer <&> ü 😀", 200), "Printer <&> ü 😀");
    }

    #[test]
    fn control_characters_become_single_spaces_and_ends_are_trimmed() {
        assert_eq!(bounded("CHG-1\nrm -rf\r\n\tx", 200), "CHG-1 rm -rf x");
        assert_eq!(bounded("\u{1}\u{7}a\u{0}b\u{1b}[31m", 200), "a b [31m");
        assert_eq!(bounded("\n  lead and trail \t\n", 200), "lead and trail");
        assert_eq!(
            bounded("\u{85}x\u{2028}y", 200),
            "x y",
            "Unicode line breaks too"
        );
        assert_eq!(bounded("two  spaces stay", 200), "two  spaces stay");
    }

    #[test]
    fn invisible_and_bidi_characters_are_removed() {
        assert_eq!(bounded("admin\u{202E}txt.exe", 200), "admintxt.exe");
        assert_eq!(bounded("a\u{200B}b\u{FEFF}c\u{2066}d\u{2069}", 200), "abcd");
        assert_eq!(bounded("a\u{200F}b\u{2060}c\u{2070}é", 200), "abc\u{2070}é");
    }

    #[test]
    fn long_text_is_cut_to_the_limit_in_characters_not_bytes() {
        let ticket = "CHG-2026-0000000000000000000000000000000";
        let msg = format!(
            "patchpanel: ticket {ticket} not valid: {}",
            "description: too long; ".repeat(20)
        );
        let out = bounded(&msg, CHANGELOG_MESSAGE_MAX);
        let n = out.chars().count();
        assert!(
            (CHANGELOG_MESSAGE_MAX - 1..=CHANGELOG_MESSAGE_MAX).contains(&n),
            "{n}: {out}"
        );
        assert!(
            out.starts_with("patchpanel: ticket CHG-2026"),
            "the prefix survives: {out}"
        );
        assert!(out.ends_with('…'));
        let wide = "é".repeat(300);
        assert_eq!(
            bounded(&wide, DESCRIPTION_MAX).chars().count(),
            DESCRIPTION_MAX
        );
        let exact = "D".repeat(200);
        assert_eq!(
            bounded(&exact, DESCRIPTION_MAX),
            exact,
            "exactly at the limit: untouched"
        );
        assert_eq!(bounded("abc", 0), "");
        assert_eq!(bounded("abc", 1), "…");
        assert_eq!(
            bounded("ab    cdef", 4),
            "ab…",
            "no blank before the ellipsis"
        );
    }

    #[test]
    fn the_result_always_fits_and_has_no_control_characters() {
        let samples = [
            "x".repeat(1000),
            "\n".repeat(500),
            "a\u{202E}".repeat(300),
            "é\t".repeat(300),
            "😀".repeat(201),
        ];
        for s in &samples {
            for max in [0, 1, 2, 50, 200] {
                let out = bounded(s, max);
                assert!(out.chars().count() <= max, "{max}: {out:?}");
                assert!(
                    !out.chars()
                        .any(|c| c.is_control() || crate::text_safety::is_disguising(c)),
                    "{out:?}"
                );
            }
        }
    }
}
