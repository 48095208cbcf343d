//! Everything that knows Zammad JSON (docs/zammad.md, Zammad 5.x/6.x): the REST client, its wire
//! shapes, the `Authorization` rule, the error mapping, and the pure reading of a network-change
//! ticket into an `InterfaceChange`. The rest of the bot sees typed values (`Ticket`, `User`,
//! `StateIds`, `InterfaceChange`) and `ZammadError`. Zammad is optional: without `ZAMMAD_URL` none
//! of this runs.
//!
//! Interface (others code against it):
//! * `ZammadClient::new(&ZammadConfig)`; `me()` (the bot's own user: its id marks the bot's own
//!   updates), `states()` + `StateIds::resolve(&states, &REQUIRED_STATES)` (one error naming every
//!   missing or inactive state), `candidates(&CandidateQuery { field, value, state_ids,
//!   updated_after })` → `Candidates` (the SQL condition search, oldest update first, expanded,
//!   paged until a short page), `ticket(id)` (expanded), `update(id, &TicketUpdate { state, note })`
//!   (state by name + an internal plain-text note in one `PUT`; the note is bounded by
//!   `limits::note_body` on the way out) → the updated ticket, `articles(id)`.
//! * `ZammadError::is_transient()` / `is_outage()` classify failures; no message contains the token.
//! * `request::change_request(&Ticket) -> Result<InterfaceChange, AttributeProblems>` (pure): the
//!   seven attributes → the change with `ChangeReason::Ticket { number }`, or every problem at once,
//!   one line each (for a ticket note and a chat message). `change::validate` checks the rest.
//! * `wire::WebhookBody` parses a webhook's default body (the receiver checks the signature first).

mod auth;
mod client;
mod error;
pub mod limits;
pub mod request;
pub mod search;
pub mod webhook;
pub mod wire;

use std::time::Duration;

pub use auth::authorization;
pub use client::{Candidates, TicketUpdate, ZammadClient, MAX_PAGES, NOTE_SUBJECT};
pub use error::ZammadError;
pub use request::{change_request, Attribute, AttributeProblem, AttributeProblems};
pub use search::{CandidateQuery, StateIds, REQUIRED_STATES};
pub use wire::{Article, Ticket, TicketState, User, UserRef, WebhookBody};

use crate::secret::Secret;

/// How to reach Zammad.
#[derive(Debug, Clone)]
pub struct ZammadConfig {
    /// ZAMMAD_URL, e.g. `https://zammad.example.com` (a trailing `/api/v1` is tolerated).
    pub url: String,
    /// ZAMMAD_TOKEN: the bare access token, or the whole header value (`Bearer …`, `Token token=…`).
    pub token: Secret,
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Largest response body accepted.
    pub max_body: usize,
}

impl ZammadConfig {
    pub fn new(url: impl Into<String>, token: Secret) -> Self {
        ZammadConfig {
            url: url.into(),
            token,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(20),
            max_body: 16 * 1024 * 1024,
        }
    }
}
