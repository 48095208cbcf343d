//! A change's id as people type it and cards carry it: the ticket number, `-N` for a ticket's
//! N-th request.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A change's id as people type it: the ticket number, with `-N` for the N-th request of the same
/// ticket (a ticket sent back to `open` after it was fixed asks again).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChangeId(String);

/// Longest change id (the chat grammar's id limit).
pub const CHANGE_ID_MAX: usize = 32;

impl ChangeId {
    /// The id of a ticket's `revision`-th request (1 for the first); `None` when the ticket number
    /// is not one people could type back (the ITSM's numbers are digits).
    pub fn for_ticket(number: &str, revision: u32) -> Option<ChangeId> {
        if revision <= 1 {
            ChangeId::parse(number)
        } else {
            ChangeId::parse(&format!("{number}-{revision}"))
        }
        .filter(|_| !number.trim().starts_with('#'))
    }

    /// An id as typed or carried by a card: an optional leading `#`, then letters, digits and
    /// `-`, at most [`CHANGE_ID_MAX`] characters.
    pub fn parse(text: &str) -> Option<ChangeId> {
        let id = text.trim().trim_start_matches('#');
        (!id.is_empty()
            && id.len() <= CHANGE_ID_MAX
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .then(|| ChangeId(id.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChangeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
