//! The chat command language: one table drives the parser, `help` and the docs (owned by the grammar work).
//!
//! INTERFACE (stable; the app depends on it):
//! * `parse(input: &str) -> Result<Command, ParseError>` — `ParseError: Display` is the user-facing
//!   message (what is wrong, which word, how to fix; "did you mean" for unknown words).
//! * `help(topic: Option<&str>) -> String` — markdown help, for all commands or one.
//!
//! Added: `ParseError { kind, span }` beside `message`; `Command::name()` and
//! `Command::availability()` (reserved commands parse; the app answers "not available yet");
//! `command_list_markdown()` (the block kept in the READMEs); `MAX_INPUT_CHARS`.
//!
//! `grammar/commands.ebnf` is the normative grammar; `grammar/README.md` is the user guide.

mod args;
mod error;
mod grammar;
mod help;
mod iface;
mod suggest;
mod table;
mod text;

pub use error::{ErrorKind, ParseError};
pub use help::command_list_markdown;
pub use table::Availability;
pub use text::MAX_INPUT_CHARS;

/// A parsed command. Interface names are already expanded to full names (`GigabitEthernet1/0/2`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help { topic: Option<String> },
    Vrf { device: String },
    ShowInterface { device: String, interface: String },
    Approve { id: String },
    Decline { id: String, reason: Option<String> },
    Status { id: String },
    Changes { device: Option<String> },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_names_its_row() {
        let samples = [
            Command::Help { topic: None },
            Command::Vrf { device: "a".into() },
            Command::ShowInterface { device: "a".into(), interface: "b".into() },
            Command::Approve { id: "1".into() },
            Command::Decline { id: "1".into(), reason: None },
            Command::Status { id: "1".into() },
            Command::Changes { device: None },
        ];
        for c in &samples {
            assert!(table::by_name(c.name()).is_some(), "{c:?}");
        }
        assert_eq!(samples.len(), table::COMMANDS.len());
        assert_eq!(Command::Vrf { device: "a".into() }.availability(), Availability::Available);
        assert_eq!(Command::Approve { id: "1".into() }.availability(), Availability::Reserved);
    }
}
