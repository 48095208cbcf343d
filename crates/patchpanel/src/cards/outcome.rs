//! The outcome card (pure): what replaces an approval card once it is decided or expired — no
//! buttons, the decision and its result, the same before → after rows — filled from
//! `cards/outcome.json`, and its markdown fallback.

use serde_json::{json, Value};

use super::approval::{template_value, NAME_CHARS, TITLE_CHARS};
use super::fit::{fit, fit_text, rows_data, rows_markdown, FieldRow};
use super::text::card_text;
use super::{template, CardError, MAX_CARD_BYTES, MAX_FALLBACK_BYTES};
use crate::text_safety::escape_markdown_bounded as esc;

const TEMPLATE: &str = include_str!("../../../../cards/outcome.json");

/// Characters kept of a decline reason (the card's input allows 500) or of the device's words.
const DETAIL_CHARS: usize = 600;

/// How an approval ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Approved by `by` and applied to the device.
    Applied { by: String },
    /// Declined by `by`, with the reason they gave (if any).
    Declined { by: String, reason: Option<String> },
    /// Nobody decided before the card expired; nothing was changed.
    Expired,
    /// Approved by `by`, but applying failed; `device_said` is the device's own error text.
    Failed { by: String, device_said: String },
    /// Approved by `by`; the change is being applied (its result follows as a message).
    Approved { by: String },
    /// Approved by `by`, but the change stopped where the device may or may not have changed.
    Unknown { by: String, detail: String },
    /// The device or NetBox changed after the card was made: a newer card replaces this one.
    Replaced,
}

/// The card posted in place of a decided or expired approval card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeCard {
    pub change_id: String,
    pub ticket_number: String,
    pub ticket_title: String,
    pub device: String,
    pub interface: String,
    pub rows: Vec<FieldRow>,
    /// When it was decided (or expired), as it should be shown.
    pub at: String,
    pub outcome: Outcome,
}

/// The words of one outcome: label, colour (an Adaptive Card `color`), headline, detail.
struct Words {
    label: &'static str,
    color: &'static str,
    headline: String,
    detail: Option<(&'static str, String)>,
}

impl Outcome {
    /// `esc` escapes an outside value for the target (card text or chat markdown).
    fn words(&self, esc: impl Fn(&str, usize) -> String) -> Words {
        match self {
            Outcome::Applied { by } => Words {
                label: "Approved and applied",
                color: "Good",
                headline: format!(
                    "Approved by {} and applied to the device.",
                    esc(by, NAME_CHARS)
                ),
                detail: None,
            },
            Outcome::Declined { by, reason } => Words {
                label: "Declined",
                color: "Attention",
                headline: format!(
                    "Declined by {}. The change was not made.",
                    esc(by, NAME_CHARS)
                ),
                detail: reason.as_deref().map(|r| ("Reason", esc(r, DETAIL_CHARS))),
            },
            Outcome::Expired => Words {
                label: "Expired",
                color: "Warning",
                headline: "Nobody decided before the approval expired. The change was not made."
                    .to_owned(),
                detail: None,
            },
            Outcome::Failed { by, device_said } => Words {
                label: "Approved, but the change failed",
                color: "Attention",
                headline: format!(
                    "Approved by {}, but applying the change failed.",
                    esc(by, NAME_CHARS)
                ),
                detail: Some(("The device said", esc(device_said, DETAIL_CHARS))),
            },
            Outcome::Approved { by } => Words {
                label: "Approved",
                color: "Good",
                headline: format!(
                    "Approved by {}. The change is being applied; its result follows as a message.",
                    esc(by, NAME_CHARS)
                ),
                detail: None,
            },
            Outcome::Unknown { by, detail } => Words {
                label: "Approved, outcome unknown",
                color: "Warning",
                headline: format!(
                    "Approved by {}, but the change stopped where the device may or may not have \
                     changed. A person must check the device.",
                    esc(by, NAME_CHARS)
                ),
                detail: Some(("What happened", esc(detail, DETAIL_CHARS))),
            },
            Outcome::Replaced => Words {
                label: "Replaced",
                color: "Default",
                headline: "The device or NetBox changed after this card was made, so it can no \
                           longer be used. A newer card with the current plan replaces it."
                    .to_owned(),
                detail: None,
            },
        }
    }
}

impl OutcomeCard {
    /// The card content, every outside value escaped and cut to fit [`MAX_CARD_BYTES`].
    pub fn render(&self) -> Result<Value, CardError> {
        let template = template_value("outcome.json", TEMPLATE)?;
        let words = self.outcome.words(card_text);
        let (detail_title, detail) = words.detail.clone().unwrap_or_default();
        fit(MAX_CARD_BYTES, |budget| {
            let (rows, more) = rows_data(&self.rows, budget);
            let data = json!({
                "ticket_number": card_text(&self.ticket_number, NAME_CHARS),
                "ticket_title": card_text(&self.ticket_title, TITLE_CHARS),
                "device": card_text(&self.device, NAME_CHARS),
                "interface": card_text(&self.interface, NAME_CHARS),
                "at": card_text(&self.at, NAME_CHARS),
                "rows": rows,
                "has_more_rows": more.is_some(),
                "more_rows": more.unwrap_or_default(),
                "outcome": {
                    "label": words.label,
                    "color": words.color,
                    "headline": words.headline,
                    "has_detail": words.detail.is_some(),
                    "detail_title": detail_title,
                    "detail": detail,
                },
            });
            Ok(template::fill(&template, &data)?)
        })
    }

    /// The markdown Webex shows beside the card, and alone in clients without cards.
    pub fn fallback_text(&self) -> String {
        fit_text(MAX_FALLBACK_BYTES, |b| {
            // The card shows everything; the fallback shrinks its fixed fields with the rows.
            let e = |s: &str, max: usize| esc(s, max.min(b.value_chars));
            let words = self.outcome.words(e);
            let detail = words
                .detail
                .map(|(t, d)| format!("\n{t}: {d}"))
                .unwrap_or_default();
            format!(
                "**{}** — ticket {}: {}\n{}{}\nDevice: {} · Interface: {} · {}\n\n{}",
                words.label,
                e(&self.ticket_number, NAME_CHARS),
                e(&self.ticket_title, TITLE_CHARS),
                words.headline,
                detail,
                e(&self.device, NAME_CHARS),
                e(&self.interface, NAME_CHARS),
                e(&self.at, NAME_CHARS),
                rows_markdown(&self.rows, b).trim_end(),
            )
        })
    }
}
