//! Interface names, one type for the whole bot: the chat grammar builds an [`InterfaceName`] once and
//! the device layer uses it as it is; NetBox's names and the protected list are read through the
//! same table (`canonical`), so `Gi1/0/2`, `gi 1/0/2` and `GigabitEthernet1/0/2` are one interface
//! everywhere.

pub mod canonical;

pub use canonical::{NameError, TYPES};
use std::fmt;

/// Longest name accepted (IOS-XE's longest names are far shorter; this bounds hostile input).
pub const MAX_NAME_CHARS: usize = 64;

/// A checked interface name. Built only by parsing, so it is always safe to put in a filter, a
/// RESTCONF key or a log line.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct InterfaceName {
    /// What goes into ietf-interfaces keys and chat: `GigabitEthernet1/0/2`.
    full: String,
    /// The IOS-XE native split (list name, key) when the name is a type of the table.
    native: Option<(&'static str, String)>,
}

/// Why a name cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterfaceNameError {
    #[error("it is empty")]
    Empty,
    #[error("it is longer than {MAX_NAME_CHARS} characters")]
    TooLong,
    #[error("character {0:?} is not allowed (use a name such as GigabitEthernet1/0/2)")]
    Character(char),
    /// A known IOS-XE type with a number that is not one (`Gi1//2`).
    #[error("{}", .0.message)]
    Number(#[source] NameError),
}

/// Shown as the quoted full name (the native split follows from it), so commands print as people
/// read them (`grammar/examples.txt` holds them so).
impl fmt::Debug for InterfaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.full, f)
    }
}

impl fmt::Display for InterfaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

impl InterfaceName {
    /// An IOS-XE interface as a person writes it (`gi 1/0/2`, `Te1/1/1.100`, `Po10`): a type of the
    /// table and its number. The error says what is wrong, for the chat.
    pub fn parse_iosxe(text: &str) -> Result<InterfaceName, NameError> {
        let (kind, number) = canonical::parse(text.trim())?;
        Ok(InterfaceName {
            full: format!("{kind}{number}"),
            native: Some((kind, number)),
        })
    }

    /// Any device's interface: an IOS-XE name as [`InterfaceName::parse_iosxe`] reads it, else (a
    /// device that is not IOS-XE) any plain name made of `A-Z a-z 0-9 / . : _ -` (`eth0`,
    /// `ge-0/0/0`), kept as written and without a native split.
    pub fn parse(input: &str) -> Result<InterfaceName, InterfaceNameError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(InterfaceNameError::Empty);
        }
        if s.chars().count() > MAX_NAME_CHARS {
            return Err(InterfaceNameError::TooLong);
        }
        if let Some(bad) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | ':' | '_' | '-')))
        {
            return Err(InterfaceNameError::Character(bad));
        }
        match InterfaceName::parse_iosxe(s) {
            Ok(name) => Ok(name),
            Err(e) => {
                let word: String = s.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
                let typed_number = s[word.len()..].starts_with(|c: char| c.is_ascii_digit());
                if typed_number && canonical::resolve_type(&word).is_ok() {
                    Err(InterfaceNameError::Number(e))
                } else {
                    Ok(InterfaceName {
                        full: s.to_owned(),
                        native: None,
                    })
                }
            }
        }
    }

    /// The full name (`GigabitEthernet1/0/2`).
    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// The IOS-XE native list name and key (`GigabitEthernet`, `1/0/2`), when the type is known.
    pub fn native(&self) -> Option<(&'static str, &str)> {
        self.native.as_ref().map(|(k, n)| (*k, n.as_str()))
    }

    /// The same name for a device keyed by full names only (ietf-interfaces): no native split.
    pub fn without_native(self) -> InterfaceName {
        InterfaceName {
            native: None,
            ..self
        }
    }

    /// Whether two names written anyhow (`Gi1/0/1`, `GigabitEthernet1/0/1`, `gi 1/0/1`) are one
    /// interface; text that is not a name compares as trimmed text, ignoring ASCII case.
    pub fn same(a: &str, b: &str) -> bool {
        fn key(s: &str) -> String {
            match InterfaceName::parse_iosxe(s) {
                Ok(n) => n.full,
                Err(_) => s.trim().to_owned(),
            }
        }
        key(a).eq_ignore_ascii_case(&key(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_and_abbreviated_names_split() {
        for input in [
            "GigabitEthernet1/0/2",
            "Gi1/0/2",
            "gi1/0/2",
            "gigabitethernet1/0/2",
        ] {
            let n = InterfaceName::parse(input).unwrap();
            assert_eq!(n.as_str(), "GigabitEthernet1/0/2");
            assert_eq!(n.native(), Some(("GigabitEthernet", "1/0/2")));
        }
        let po = InterfaceName::parse("Po10").unwrap();
        assert_eq!(po.as_str(), "Port-channel10");
        let sub = InterfaceName::parse("Te1/1/1.100").unwrap();
        assert_eq!(sub.native(), Some(("TenGigabitEthernet", "1/1/1.100")));
    }

    #[test]
    fn non_cisco_names_pass_through_without_native_split() {
        let n = InterfaceName::parse("ge-0/0/0").unwrap();
        assert_eq!(n.as_str(), "ge-0/0/0");
        assert_eq!(n.native(), None);
        let em = InterfaceName::parse("em0").unwrap();
        assert_eq!((em.as_str(), em.native()), ("em0", None));
        // `eth` is the table's abbreviation of Ethernet.
        assert_eq!(InterfaceName::parse("eth0").unwrap().as_str(), "Ethernet0");
    }

    #[test]
    fn hostile_names_are_rejected() {
        for bad in [
            "",
            "Gi1/0/2</name><shutdown/>",
            "Gi1/0/2 ; reload",
            "Gi1//2",
            "Gi1/0/2/3/4",
            "Gi1/0/2%2F",
            "Gi١/0/2",
            &"x".repeat(65),
        ] {
            assert!(InterfaceName::parse(bad).is_err(), "accepted {bad:?}");
        }
        // Surrounding whitespace is trimmed, the rest is fine.
        assert!(InterfaceName::parse("Gi1/0/2\n").is_ok());
    }

    /// Regression: the device model had its own table, where `Tw` was TwoGigabitEthernet while
    /// the chat said TwentyFiveGigE; one table now answers for both.
    #[test]
    fn one_table_answers_for_chat_and_devices() {
        let chat = InterfaceName::parse_iosxe("tw 1/0/1").unwrap();
        let device = InterfaceName::parse("Tw1/0/1").unwrap();
        assert_eq!(chat, device);
        assert_eq!(chat.as_str(), "TwentyFiveGigE1/0/1");
    }

    #[test]
    fn same_compares_spellings() {
        assert!(InterfaceName::same("Gi1/0/1", "GigabitEthernet1/0/1"));
        assert!(InterfaceName::same(" gi 1/0/1 ", "GIGABITETHERNET1/0/1"));
        assert!(!InterfaceName::same("Gi1/0/1", "Gi1/0/10"));
        assert!(InterfaceName::same("eth0", "ETH0"));
    }
}
