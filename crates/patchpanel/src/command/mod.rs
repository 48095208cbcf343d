//! The chat command language: one table drives the parser, `help` and the docs.
//!
//! `parse` turns a chat message into a `Command` or a `ParseError` whose `Display` is the user-facing
//! message (what is wrong, which word, how to fix; "did you mean" for unknown words); `help` is the
//! markdown help; `command_list_markdown()` the block kept in the READMEs. Reserved commands parse
//! and `Command::availability()` says so. An interface argument is read once, by the one interface
//! table (`crate::iface`), into the `InterfaceName` the device layer uses as it is.
//!
//! `grammar/commands.ebnf` is the normative grammar; `grammar/README.md` is the user guide.

use crate::iface::InterfaceName;

mod args;
mod error;
mod grammar;
mod help;
pub mod table;
mod text;

pub use error::{ErrorKind, ParseError};
pub use help::command_list_markdown;
pub use table::Availability;
pub use text::MAX_INPUT_CHARS;

/// A parsed command. Interface names are already expanded to full names (`GigabitEthernet1/0/2`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help {
        topic: Option<String>,
    },
    Vrf {
        device: String,
    },
    ShowInterface {
        device: String,
        interface: InterfaceName,
    },
    Approve {
        id: String,
    },
    Decline {
        id: String,
        reason: Option<String>,
    },
    Status {
        id: String,
    },
    Changes {
        device: Option<String>,
        /// One change of the device, with its whole diff.
        number: Option<u32>,
    },
}

impl Command {
    /// The command's name in the table (`"show"` for `ShowInterface`).
    pub fn name(&self) -> &'static str {
        match self {
            Command::Help { .. } => "help",
            Command::Vrf { .. } => "vrf",
            Command::ShowInterface { .. } => "show",
            Command::Approve { .. } => "approve",
            Command::Decline { .. } => "decline",
            Command::Status { .. } => "status",
            Command::Changes { .. } => "changes",
        }
    }

    /// Whether the bot acts on this command yet.
    pub fn availability(&self) -> Availability {
        table::by_name(self.name()).map_or(Availability::Reserved, |row| row.availability)
    }
}

/// Parses one chat message (the bot mention already removed) into a command.
pub fn parse(input: &str) -> Result<Command, ParseError> {
    grammar::parse(input)
}

/// Markdown help: every command (`None`), or one command by name or alias (`Some("show")`). An
/// unknown topic gets a "did you mean" and the full list.
pub fn help(topic: Option<&str>) -> String {
    help::help(topic)
}

/// Every interface type as (canonical name, abbreviation), e.g. `("GigabitEthernet", "Gi")`.
pub fn interface_types() -> impl Iterator<Item = (&'static str, &'static str)> {
    crate::iface::TYPES.iter().map(|t| (t.name, t.abbreviation))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_names_its_row() {
        let samples = [
            Command::Help { topic: None },
            Command::Vrf { device: "a".into() },
            Command::ShowInterface {
                device: "a".into(),
                interface: InterfaceName::parse_iosxe("Gi1/0/2").unwrap(),
            },
            Command::Approve { id: "1".into() },
            Command::Decline {
                id: "1".into(),
                reason: None,
            },
            Command::Status { id: "1".into() },
            Command::Changes {
                device: None,
                number: None,
            },
        ];
        for c in &samples {
            assert!(table::by_name(c.name()).is_some(), "{c:?}");
        }
        assert_eq!(samples.len(), table::COMMANDS.len());
        assert_eq!(
            Command::Vrf { device: "a".into() }.availability(),
            Availability::Available
        );
        assert_eq!(
            Command::Approve { id: "1".into() }.availability(),
            Availability::Available
        );
        assert_eq!(
            Command::Changes {
                device: None,
                number: None
            }
            .availability(),
            Availability::Available
        );
    }

    const PIECES: &[&str] = &[
        "help",
        "vrf",
        "show",
        "iface",
        "interface",
        "sh",
        "approve",
        "decline",
        "status",
        "changes",
        "?",
        "c9300",
        "Gi",
        "gi1/0/2",
        "1/0/2",
        "Po",
        "10",
        ".100",
        "/",
        ".",
        "#",
        "-",
        "_",
        "\"",
        "'",
        "\u{201C}",
        "\u{201D}",
        "\u{2018}",
        "\u{2019}",
        " ",
        "  ",
        "\t",
        "\u{A0}",
        "\n",
        "\r",
        "\u{7}",
        "\u{0}",
        "\u{1B}",
        "\u{7F}",
        "\u{85}",
        "\u{202E}",
        "\u{2067}",
        "\u{200B}",
        "\u{FEFF}",
        "😀",
        "👩\u{200D}👩\u{200D}👧",
        "e\u{301}",
        "\u{301}",
        "שלום",
        "مرحبا",
        "漢字",
        "`",
        "```",
        "|",
        "x",
        "shwo",
        "vfr",
        "intrface",
        "t",
        "f",
    ];

    /// Many generated messages, fixed seed: nothing panics, every error says something and points
    /// inside the input, and every success holds the grammar's promises.
    #[test]
    fn generated_messages_never_panic() {
        let mut rng = fastrand::Rng::with_seed(0x9300);
        for round in 0..20_000 {
            let mut input = String::new();
            for _ in 0..rng.usize(0..12) {
                if rng.u8(..) < 24 {
                    input.push(char::from_u32(rng.u32(0..0x11_0000)).unwrap_or('\u{FFFD}'));
                } else {
                    input.push_str(PIECES[rng.usize(..PIECES.len())]);
                }
            }
            match parse(&input) {
                Err(e) => {
                    assert!(!e.message.trim().is_empty(), "round {round}: {input:?}");
                    assert_eq!(e.to_string(), e.message);
                    if let Some(span) = &e.span {
                        assert!(
                            input.get(span.clone()).is_some(),
                            "round {round}: {input:?} span {span:?}"
                        );
                    }
                }
                Ok(Command::ShowInterface { device, interface }) => {
                    assert!(!device.is_empty() && device.len() <= 63, "{input:?}");
                    assert!(
                        interface
                            .as_str()
                            .starts_with(|c: char| c.is_ascii_uppercase()),
                        "{input:?} -> {interface}"
                    );
                    assert!(
                        interface.as_str().ends_with(|c: char| c.is_ascii_digit()),
                        "{input:?} -> {interface}"
                    );
                }
                Ok(Command::Help { topic }) => assert!(!help(topic.as_deref()).is_empty()),
                Ok(_) => {}
            }
            assert!(!help(Some(&input)).is_empty());
        }
    }

    #[test]
    fn huge_messages_are_refused_up_front() {
        let big = "show iface c9300 Gi1/0/2 ".repeat(400);
        let e = parse(&big).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooLong);
        assert!(e.message.contains("1000"));
    }
}
