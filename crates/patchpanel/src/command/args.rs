//! Checks of single-word argument values: device names and change ids (`device-name` and
//! `ticket-id` in `grammar/commands.ebnf`).

use std::ops::Range;

/// A bad value: the message (markdown, without the echo) and the bytes of the bad part within the
/// value as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    pub message: String,
    pub span: Range<usize>,
}

pub const MAX_DEVICE_CHARS: usize = 63;
pub const MAX_ID_CHARS: usize = 32;

fn is_device_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

/// Shows a character in a message: a space or a quote would be invisible or confusing in backticks.
fn show_char(c: char) -> String {
    match c {
        ' ' => "a space".to_owned(),
        '`' => "a backtick".to_owned(),
        c => format!("`{c}`"),
    }
}

pub fn device(value: &str) -> Result<String, ValueError> {
    const RULE: &str = "Device names use letters, digits, `.`, `-` and `_`, up to 63 characters, like `c9300` or `core-sw1.lab`.";
    if value.is_empty() {
        return Err(ValueError {
            message: format!("The device name is empty. {RULE}"),
            span: 0..0,
        });
    }
    if let Some((i, c)) = value.char_indices().find(|&(_, c)| !is_device_char(c)) {
        return Err(ValueError {
            message: format!(
                "The device name `{value}` contains {}, which device names can't have. {RULE}",
                show_char(c)
            ),
            span: i..i + c.len_utf8(),
        });
    }
    if value.len() > MAX_DEVICE_CHARS {
        return Err(ValueError {
            message: format!(
                "The device name is {} characters long; the limit is {MAX_DEVICE_CHARS}. {RULE}",
                value.len()
            ),
            span: 0..value.len(),
        });
    }
    Ok(value.to_owned())
}

/// The id without its optional `#`.
/// `number ::= [0-9]{1,9}`, at least 1: a change's number on its device (`changes c9300 3`).
pub fn number(value: &str) -> Result<String, ValueError> {
    const RULE: &str =
        "Change numbers are whole numbers from 1, like `3` (`changes <device>` lists them).";
    let bare = value.strip_prefix('#').unwrap_or(value);
    match bare.parse::<u32>() {
        Ok(n) if n >= 1 && bare.len() <= 9 && bare.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(n.to_string())
        }
        _ => Err(ValueError {
            message: format!("`{value}` is not a change number. {RULE}"),
            span: 0..value.len(),
        }),
    }
}

pub fn id(value: &str) -> Result<String, ValueError> {
    const RULE: &str = "Ids use letters, digits and `-`, with an optional `#` in front, up to 32 characters, like `42` or `#CHG-1001`.";
    let (skip, bare) = match value.strip_prefix('#') {
        Some(rest) => (1, rest),
        None => (0, value),
    };
    if bare.is_empty() {
        return Err(ValueError {
            message: format!("The id is empty. {RULE}"),
            span: 0..value.len(),
        });
    }
    if let Some((i, c)) = bare.char_indices().find(|&(_, c)| !is_id_char(c)) {
        return Err(ValueError {
            message: format!(
                "The id `{value}` contains {}, which ids can't have. {RULE}",
                show_char(c)
            ),
            span: skip + i..skip + i + c.len_utf8(),
        });
    }
    if bare.len() > MAX_ID_CHARS {
        return Err(ValueError {
            message: format!(
                "The id is {} characters long; the limit is {MAX_ID_CHARS}. {RULE}",
                bare.len()
            ),
            span: 0..value.len(),
        });
    }
    Ok(bare.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices() {
        assert_eq!(device("c9300").unwrap(), "c9300");
        assert_eq!(device("Core-SW1.lab_a").unwrap(), "Core-SW1.lab_a");
        assert!(device(&"a".repeat(63)).is_ok());
        let e = device(&"a".repeat(64)).unwrap_err();
        assert!(e.message.contains("64 characters") && e.message.contains("63"));
        let e = device("c9300!").unwrap_err();
        assert!(e.message.contains("`!`"), "{}", e.message);
        assert_eq!(e.span, 5..6);
        let e = device("sw😀").unwrap_err();
        assert_eq!(e.span, 2..6);
        assert!(device("").unwrap_err().message.contains("empty"));
        assert!(device("a b").unwrap_err().message.contains("a space"));
    }

    #[test]
    fn ids() {
        assert_eq!(id("42").unwrap(), "42");
        assert_eq!(id("#CHG-1001").unwrap(), "CHG-1001");
        assert!(id(&"9".repeat(32)).is_ok());
        assert!(id(&format!("#{}", "9".repeat(32))).is_ok());
        assert!(id(&"9".repeat(33))
            .unwrap_err()
            .message
            .contains("33 characters"));
        assert!(id("#").unwrap_err().message.contains("empty"));
        let e = id("#4_2").unwrap_err();
        assert!(e.message.contains("`_`"));
        assert_eq!(e.span, 2..3);
        assert!(id("##1").is_err());
    }
}
