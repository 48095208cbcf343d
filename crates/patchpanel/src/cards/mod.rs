//! Adaptive Cards the bot sends (pure): the change approval card and the outcome card that
//! replaces it, each rendered from its template in `cards/*.json` (repository root, embedded) by
//! the small templating engine in `template.rs`, with a markdown fallback; and the checked parsing
//! of a card press (`Decision::from_inputs`).
//!
//! INTERFACE (what the app calls):
//! * `ApprovalCard { change_id, ticket_number, ticket_title, requester, device, interface,
//!   rows: Vec<FieldRow>, expires_at, submit: SubmitData }` and `OutcomeCard { change_id,
//!   ticket_number, ticket_title, device, interface, rows, at, outcome: Outcome }`, each with
//!   `render(&self) -> Result<serde_json::Value, CardError>` (the attachment's `content`, at most
//!   [`MAX_CARD_BYTES`] of JSON) and `fallback_text(&self) -> String` (markdown, at most
//!   [`MAX_FALLBACK_BYTES`] as a JSON string); `Card` wraps either.
//! * `Decision::from_inputs(&BTreeMap<String, String>) -> Result<CardDecision, SubmitError>`.
//! * `examples() -> Vec<Example>`: every card the bot can send, with sample data (tests, README).
//!
//! Sizes: Webex documents 7,439 bytes for a message's text and one card per message, but no number
//! for a card attachment that we could find; 28 KB is the limit Microsoft documents for a whole card
//! message in Teams. The budget here keeps the whole `POST /messages` body (card + fallback + ids)
//! under 28,000 bytes, with a margin: see docs/webex.md §10.

mod approval;
mod fit;
mod outcome;
mod submit;
pub mod template;
mod text;

pub use approval::{ApprovalCard, SubmitData};
pub use fit::FieldRow;
pub use outcome::{Outcome, OutcomeCard};
pub use submit::{
    check_change_id, check_nonce, check_plan_hash, CardDecision, Decision, SubmitError,
    APPROVAL_KIND, MAX_REASON_CHARS,
};
pub use template::TemplateError;
pub use text::card_text;

use serde_json::Value;

/// Most bytes of a rendered card's JSON (the attachment `content`).
pub const MAX_CARD_BYTES: usize = 22_000;
/// Most bytes of the fallback markdown as a JSON string (quotes and escapes included).
pub const MAX_FALLBACK_BYTES: usize = 4_000;

/// Why a card could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("card: {0}")]
    Template(#[from] TemplateError),
    /// An embedded template is not JSON (a bad edit of `cards/*.json`).
    #[error("card: template {name} is not valid JSON: {detail}")]
    BadTemplate { name: &'static str, detail: String },
    /// An id the buttons would carry is malformed: the press would be refused, so the card is not made.
    #[error("card: {what} {value:?} is malformed: {why}")]
    InvalidId {
        what: &'static str,
        value: String,
        why: &'static str,
    },
    /// Even the smallest rendering is too large (the fixed fields alone are bounded well below).
    #[error("card: the smallest rendering is {bytes} bytes, over the {limit}-byte budget")]
    TooLarge { bytes: usize, limit: usize },
}

/// Any card the bot sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Card {
    Approval(ApprovalCard),
    Outcome(OutcomeCard),
}

impl Card {
    pub fn render(&self) -> Result<Value, CardError> {
        match self {
            Card::Approval(c) => c.render(),
            Card::Outcome(c) => c.render(),
        }
    }

    pub fn fallback_text(&self) -> String {
        match self {
            Card::Approval(c) => c.fallback_text(),
            Card::Outcome(c) => c.fallback_text(),
        }
    }
}

/// One sample card: a file-name-safe name (`approval`, `outcome-applied`, …) and the card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub name: &'static str,
    pub card: Card,
}

/// Every card the bot can send, filled with the seed's ticket 15016 (c9300 GigabitEthernet1/0/5):
/// the approval card and each outcome.
pub fn examples() -> Vec<Example> {
    let rows = vec![
        FieldRow {
            field: "description".into(),
            before: None,
            after: Some("Configured from the ticket system!".into()),
        },
        FieldRow {
            field: "enabled".into(),
            before: Some("no".into()),
            after: Some("yes".into()),
        },
        FieldRow {
            field: "mode".into(),
            before: Some("access vlan 1".into()),
            after: Some("access vlan 100".into()),
        },
        FieldRow {
            field: "mtu".into(),
            before: Some("1500".into()),
            after: Some("2000".into()),
        },
    ];
    let change_id = "15016-1".to_owned();
    let approval = ApprovalCard {
        change_id: change_id.clone(),
        ticket_number: "15016".into(),
        ticket_title: "Network Change Request: Update Device Interface".into(),
        requester: "Network Team <network-team@local.lab>".into(),
        device: "c9300".into(),
        interface: "GigabitEthernet1/0/5".into(),
        rows: rows.clone(),
        expires_at: "2026-12-04 18:00 UTC".into(),
        submit: SubmitData {
            change_id: change_id.clone(),
            plan_hash: "5d41f3b0c2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3".into(),
            nonce: "q3Zt8W1xYp0LmN4vB7sK2a".into(),
        },
    };
    let outcome = |outcome: Outcome| OutcomeCard {
        change_id: change_id.clone(),
        ticket_number: "15016".into(),
        ticket_title: "Network Change Request: Update Device Interface".into(),
        device: "c9300".into(),
        interface: "GigabitEthernet1/0/5".into(),
        rows: rows.clone(),
        at: "2026-12-04 16:42 UTC".into(),
        outcome,
    };
    let approver = "Alice Example <alice@example.com>".to_owned();
    vec![
        Example {
            name: "approval",
            card: Card::Approval(approval),
        },
        Example {
            name: "outcome-applied",
            card: Card::Outcome(outcome(Outcome::Applied {
                by: approver.clone(),
            })),
        },
        Example {
            name: "outcome-declined",
            card: Card::Outcome(outcome(Outcome::Declined {
                by: approver.clone(),
                reason: Some("Outside the change window; please resubmit for Saturday.".into()),
            })),
        },
        Example {
            name: "outcome-declined-no-reason",
            card: Card::Outcome(outcome(Outcome::Declined {
                by: approver.clone(),
                reason: None,
            })),
        },
        Example {
            name: "outcome-expired",
            card: Card::Outcome(outcome(Outcome::Expired)),
        },
        Example {
            name: "outcome-approved",
            card: Card::Outcome(outcome(Outcome::Approved {
                by: approver.clone(),
            })),
        },
        Example {
            name: "outcome-unknown",
            card: Card::Outcome(outcome(Outcome::Unknown {
                by: approver.clone(),
                detail: "the connection dropped after the commit was sent; a confirmed commit rolls back by itself within 120 s".into(),
            })),
        },
        Example {
            name: "outcome-replaced",
            card: Card::Outcome(outcome(Outcome::Replaced)),
        },
        Example {
            name: "outcome-failed",
            card: Card::Outcome(outcome(Outcome::Failed {
                by: approver,
                device_said: "inconsistent value: MTU 2000 is not supported on GigabitEthernet1/0/5 (range 1500-1998)".into(),
            })),
        },
    ]
}

#[cfg(test)]
mod tests;
