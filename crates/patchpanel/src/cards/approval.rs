//! The approval card (pure): a network change waiting for a person's Approve / Decline, filled
//! from `cards/approval.json`, and its markdown fallback.

use serde_json::{json, Value};

use super::fit::{fit, fit_text, rows_data, rows_markdown, Budget, FieldRow};
use super::submit::{check_change_id, check_nonce, check_plan_hash};
use super::text::card_text;
use super::{template, CardError, MAX_CARD_BYTES, MAX_FALLBACK_BYTES};
use crate::text_safety::escape_markdown_bounded as esc;

const TEMPLATE: &str = include_str!("../../../../cards/approval.json");

/// Characters kept of a ticket title, and of a name, device, interface or time.
pub(super) const TITLE_CHARS: usize = 200;
pub(super) const NAME_CHARS: usize = 120;

/// What the Approve / Decline buttons carry back (`Action.Submit` data), checked again on press by
/// `Decision::from_inputs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitData {
    /// The change (job) the card is about: 1–64 of `A-Z a-z 0-9 . _ : -`.
    pub change_id: String,
    /// SHA-256 (lowercase hex) of the exact plan shown, so a press approves what was seen.
    pub plan_hash: String,
    /// One-time value: a second press, or a press of an older card, is recognised.
    pub nonce: String,
}

/// A network change waiting for approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalCard {
    pub change_id: String,
    /// The ticket system's number (Zammad `number`, e.g. `15016`).
    pub ticket_number: String,
    pub ticket_title: String,
    pub requester: String,
    pub device: String,
    pub interface: String,
    pub rows: Vec<FieldRow>,
    /// When the approval expires, as it should be shown (e.g. `2026-12-04 18:00 UTC`).
    pub expires_at: String,
    pub submit: SubmitData,
}

impl ApprovalCard {
    /// The card content (`attachments[0].content`): the template filled, every outside value
    /// escaped and cut so the card's JSON is at most [`MAX_CARD_BYTES`].
    pub fn render(&self) -> Result<Value, CardError> {
        self.check_ids()?;
        let template = template_value("approval.json", TEMPLATE)?;
        fit(MAX_CARD_BYTES, |budget| {
            Ok(template::fill(&template, &self.data(budget))?)
        })
    }

    /// The markdown Webex shows beside the card, and alone in clients without cards.
    pub fn fallback_text(&self) -> String {
        fit_text(MAX_FALLBACK_BYTES, |b| {
            // The card shows everything; the fallback shrinks its fixed fields with the rows.
            let e = |s: &str, max: usize| esc(s, max.min(b.value_chars));
            format!(
                "**Network change approval** — ticket {}: {}\n\
                 Requester: {} · Device: {} · Interface: {} · Expires: {}\n\n{}\n\
                 Approve or decline on the card (open this message in a Webex app that shows cards).",
                e(&self.ticket_number, NAME_CHARS),
                e(&self.ticket_title, TITLE_CHARS),
                e(&self.requester, NAME_CHARS),
                e(&self.device, NAME_CHARS),
                e(&self.interface, NAME_CHARS),
                e(&self.expires_at, NAME_CHARS),
                rows_markdown(&self.rows, b).trim_end(),
            )
        })
    }

    /// A card whose press we would refuse is never sent.
    fn check_ids(&self) -> Result<(), CardError> {
        let bad = |what: &'static str, value: &str, why: &'static str| CardError::InvalidId {
            what,
            value: crate::text_safety::excerpt(value, 80),
            why,
        };
        check_change_id(&self.change_id).map_err(|w| bad("change id", &self.change_id, w))?;
        if self.submit.change_id != self.change_id {
            return Err(bad(
                "submit change id",
                &self.submit.change_id,
                "differs from the card's change id",
            ));
        }
        check_plan_hash(&self.submit.plan_hash)
            .map_err(|w| bad("plan hash", &self.submit.plan_hash, w))?;
        check_nonce(&self.submit.nonce).map_err(|w| bad("nonce", &self.submit.nonce, w))?;
        Ok(())
    }

    fn data(&self, budget: Budget) -> Value {
        let (rows, more) = rows_data(&self.rows, budget);
        json!({
            "ticket_number": card_text(&self.ticket_number, NAME_CHARS),
            "ticket_title": card_text(&self.ticket_title, TITLE_CHARS),
            "requester": card_text(&self.requester, NAME_CHARS),
            "device": card_text(&self.device, NAME_CHARS),
            "interface": card_text(&self.interface, NAME_CHARS),
            "expires_at": card_text(&self.expires_at, NAME_CHARS),
            "rows": rows,
            "has_more_rows": more.is_some(),
            "more_rows": more.unwrap_or_default(),
            // Ids go out verbatim (checked above): they must come back byte for byte.
            "submit": {
                "change": self.submit.change_id,
                "plan": self.submit.plan_hash,
                "nonce": self.submit.nonce,
            },
        })
    }
}

/// An embedded template as JSON (a unit test proves each parses; this keeps a bad edit an error).
pub(super) fn template_value(name: &'static str, text: &str) -> Result<Value, CardError> {
    serde_json::from_str(text).map_err(|e| CardError::BadTemplate {
        name,
        detail: e.to_string(),
    })
}
