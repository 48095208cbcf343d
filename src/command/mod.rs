//! The chat command language: one table drives the parser, `help` and the docs (owned by the grammar work).
//!
//! INTERFACE (stable; the app depends on it):
//! * `parse(input: &str) -> Result<Command, ParseError>` — `ParseError: Display` is the user-facing
//!   message (what is wrong, which word, how to fix; "did you mean" for unknown words).
//! * `help(topic: Option<&str>) -> String` — markdown help, for all commands or one.

use std::fmt;

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

pub fn parse(_input: &str) -> Result<Command, ParseError> {
    todo!("grammar")
}

pub fn help(_topic: Option<&str>) -> String {
    todo!("grammar")
}
