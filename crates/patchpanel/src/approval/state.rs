//! The change record of a ticket-driven change and its state machine, pure:
//! `transition(record, input) → (record, effects, history step)`.
//!
//! ```text
//! received ─┬─▶ invalid                       (ticket: attention required + the reasons)
//!           └─▶ pending approval ─┬─▶ declined (ticket: denied)
//!                                 ├─▶ expired  (ticket: attention required + a note)
//!                                 └─▶ approved ─▶ applying ─┬─▶ done            (ticket: closed)
//!                                                           ├─▶ failed          (attention required)
//!                                                           └─▶ outcome unknown (attention required)
//! ```
//!
//! The caller stores the new record, its history step and its effects in one transaction before
//! running any effect (the outbox), so a crash neither loses nor repeats a step. Effects carry
//! their texts, fixed when the step was taken, so an effect run again after a restart says the
//! same thing.

pub use super::id::{ChangeId, CHANGE_ID_MAX};
use super::plan::{Plan, PlanHash};
use serde::{Deserialize, Serialize};

/// The ticket a change came from, as it was when the change was received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketRef {
    /// The ITSM's id (what its API takes).
    pub id: u64,
    /// What people see (`15016`).
    pub number: String,
    pub title: String,
    /// The ticket's customer (or creator) email, lower-cased: who asked for the change.
    pub requester: String,
    /// The ticket's `updated_at` when it was read: with `id`, which version was handled.
    pub updated_at: String,
}

/// One approval card as posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRef {
    pub message_id: String,
    pub room_id: String,
}

/// What approvers are asked to approve, while a change waits for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub plan: Plan,
    pub hash: PlanHash,
    /// The one-time value the current card carries; a press must bring it back.
    pub nonce: String,
    /// Nonces of cards this change posted earlier and replaced (a press on one is refused as an
    /// old card, not as a forgery).
    pub retired_nonces: Vec<String>,
    /// Unix milliseconds after which the change expires.
    pub expires_at_ms: i64,
    /// The cards currently posted for this change.
    pub cards: Vec<CardRef>,
}

/// Where a change stands. Terminal states end the record; a new request on the same ticket gets a
/// new record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ChangeState {
    Received,
    /// The ticket's request cannot be applied as it is; `problems` says why, one per line.
    Invalid {
        problems: String,
    },
    PendingApproval,
    Declined {
        by: String,
        reason: Option<String>,
    },
    Expired,
    Approved {
        by: String,
    },
    Applying {
        by: String,
    },
    Done {
        summary: String,
    },
    Failed {
        detail: String,
    },
    /// The device may or may not have been changed: a person must look.
    OutcomeUnknown {
        detail: String,
    },
}

impl ChangeState {
    /// The state's name, as stored (an index column) and as shown in chat.
    pub fn word(&self) -> &'static str {
        match self {
            ChangeState::Received => "received",
            ChangeState::Invalid { .. } => "invalid",
            ChangeState::PendingApproval => "pending approval",
            ChangeState::Declined { .. } => "declined",
            ChangeState::Expired => "expired",
            ChangeState::Approved { .. } => "approved",
            ChangeState::Applying { .. } => "applying",
            ChangeState::Done { .. } => "done",
            ChangeState::Failed { .. } => "failed",
            ChangeState::OutcomeUnknown { .. } => "outcome unknown",
        }
    }

    /// No further transition is possible.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            ChangeState::Invalid { .. }
                | ChangeState::Declined { .. }
                | ChangeState::Expired
                | ChangeState::Done { .. }
                | ChangeState::Failed { .. }
                | ChangeState::OutcomeUnknown { .. }
        )
    }

    /// Who decided, for "already approved by X".
    pub fn decided_by(&self) -> Option<&str> {
        match self {
            ChangeState::Declined { by, .. }
            | ChangeState::Approved { by }
            | ChangeState::Applying { by } => Some(by),
            _ => None,
        }
    }
}

/// One ticket-driven change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRecord {
    pub id: ChangeId,
    pub ticket: TicketRef,
    pub state: ChangeState,
    /// Set once the request was found valid; kept after the decision (the outcome card shows it).
    pub approval: Option<Approval>,
    /// The request as the workflow parsed it from the ticket (its own shape; opaque here).
    pub request: serde_json::Value,
    /// Bumped by every transition: the store commits a transition only onto the version it was
    /// computed from, so of two racing presses exactly one wins.
    pub version: u64,
}

/// The ticket states the workflow moves tickets to (resolved by name against the ITSM at start).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TicketState {
    PendingApproval,
    AttentionRequired,
    Denied,
    Closed,
}

impl TicketState {
    /// The state's name in Zammad.
    pub fn name(self) -> &'static str {
        match self {
            TicketState::PendingApproval => "pending approval",
            TicketState::AttentionRequired => "attention required",
            TicketState::Denied => "denied",
            TicketState::Closed => "closed",
        }
    }
}

/// What the approver decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "kebab-case")]
pub enum Decision {
    Approve,
    Decline { reason: Option<String> },
}

/// Something that happened to a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// The request is valid; this is the plan to approve.
    Validated {
        plan: Plan,
        nonce: String,
        expires_at_ms: i64,
    },
    /// The request cannot be applied (`problems`: one per line).
    Refused {
        problems: String,
    },
    /// The approval cards were posted.
    CardsPosted {
        cards: Vec<CardRef>,
    },
    /// These cards were deleted and their outcome posted in their place (any state).
    CardsReplaced {
        message_ids: Vec<String>,
    },
    /// A press found the device or NetBox changed since the card was made: this is the new plan,
    /// to be shown on a new card with a new nonce.
    Replanned {
        plan: Plan,
        nonce: String,
    },
    /// An approver decided (already judged by `policy::judge`).
    Decided {
        by: String,
        decision: Decision,
    },
    /// The approval window closed.
    Expire,
    /// The apply effect began (stored before the device is touched).
    ApplyStarted,
    Applied {
        summary: String,
    },
    ApplyFailed {
        detail: String,
    },
    ApplyUnknown {
        detail: String,
    },
}

impl Input {
    fn word(&self) -> &'static str {
        match self {
            Input::Validated { .. } => "validated",
            Input::Refused { .. } => "refused",
            Input::CardsPosted { .. } => "cards posted",
            Input::CardsReplaced { .. } => "cards replaced",
            Input::Replanned { .. } => "replanned",
            Input::Decided { .. } => "decided",
            Input::Expire => "expire",
            Input::ApplyStarted => "apply started",
            Input::Applied { .. } => "applied",
            Input::ApplyFailed { .. } => "apply failed",
            Input::ApplyUnknown { .. } => "apply outcome unknown",
        }
    }
}

/// Work to do after a transition is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "kebab-case")]
pub enum Effect {
    /// Move the ticket and add an internal note (one call).
    UpdateTicket { state: TicketState, note: String },
    /// Add an internal note, leaving the ticket's state as it is.
    NoteTicket { note: String },
    /// Post the approval card (to each approver 1:1, or to the approvals space).
    PostCards,
    /// Delete every card of the change and post the outcome card in its place, to every recipient.
    ReplaceCards,
    /// Tell the notification room (markdown).
    Notify { markdown: String },
    /// Update NetBox, then configure the switch through the one apply procedure, verified.
    Apply,
}

/// One line of a change's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The state entered (its word).
    pub state: &'static str,
    /// Who caused it, when a person did.
    pub actor: Option<String>,
    pub detail: String,
}

/// An input the current state does not take (a bug in the caller, or a race the store settles).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("change {id} is {state}: it cannot take \"{input}\"")]
pub struct NotNow {
    pub id: ChangeId,
    pub state: &'static str,
    pub input: &'static str,
}

/// A change's next record, the effects to run once it is stored, and the history line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub record: ChangeRecord,
    pub effects: Vec<Effect>,
    pub step: Step,
}

/// A new record for a ticket's request, in `received`.
pub fn received(id: ChangeId, ticket: TicketRef, request: serde_json::Value) -> ChangeRecord {
    ChangeRecord {
        id,
        ticket,
        state: ChangeState::Received,
        approval: None,
        request,
        version: 0,
    }
}

/// The state machine. Pure: the same record and input always give the same transition.
pub fn transition(record: &ChangeRecord, input: Input) -> Result<Transition, NotNow> {
    let not_now = || NotNow {
        id: record.id.clone(),
        state: record.state.word(),
        input: input.word(),
    };
    let mut next = record.clone();
    next.version = record.version + 1;
    let ticket = esc(&record.ticket.number);
    let (state, effects, actor, detail) = match (&record.state, input.clone()) {
        (
            ChangeState::Received,
            Input::Validated {
                plan,
                nonce,
                expires_at_ms,
            },
        ) => {
            let detail = format!("{} change(s) to approve", plan.rows.len());
            next.approval = Some(Approval {
                hash: plan.hash(),
                plan,
                nonce,
                retired_nonces: Vec::new(),
                expires_at_ms,
                cards: Vec::new(),
            });
            (
                ChangeState::PendingApproval,
                vec![
                    Effect::UpdateTicket {
                        state: TicketState::PendingApproval,
                        note: format!(
                            "Your change request has been received and is pending approval \
                             (patchpanel change {}).",
                            record.id
                        ),
                    },
                    Effect::PostCards,
                ],
                None,
                detail,
            )
        }
        (ChangeState::Received, Input::Refused { problems }) => (
            ChangeState::Invalid {
                problems: problems.clone(),
            },
            vec![
                Effect::UpdateTicket {
                    state: TicketState::AttentionRequired,
                    note: format!(
                        "There was a problem processing the ticket. Details:\n\n{problems}\n\n\
                         Fix the ticket and set it to open again to have it checked anew."
                    ),
                },
                Effect::Notify {
                    markdown: format!(
                        "Ticket {ticket} cannot be applied as it is; it is now **attention \
                         required**:\n\n{}",
                        bullet_lines(&problems)
                    ),
                },
            ],
            None,
            problems,
        ),
        (ChangeState::PendingApproval, Input::CardsPosted { cards }) => {
            let n = cards.len();
            if let Some(a) = next.approval.as_mut() {
                a.cards.extend(cards);
            }
            (
                ChangeState::PendingApproval,
                Vec::new(),
                None,
                format!("{n} approval card(s) posted"),
            )
        }
        (state, Input::CardsReplaced { message_ids }) => {
            if let Some(a) = next.approval.as_mut() {
                a.cards.retain(|c| !message_ids.contains(&c.message_id));
            }
            (
                state.clone(),
                Vec::new(),
                None,
                format!("{} card(s) replaced by the outcome", message_ids.len()),
            )
        }
        (ChangeState::PendingApproval, Input::Replanned { plan, nonce }) => {
            let Some(a) = next.approval.as_mut() else {
                return Err(not_now());
            };
            let old = std::mem::replace(&mut a.nonce, nonce);
            a.retired_nonces.push(old);
            a.hash = plan.hash();
            a.plan = plan;
            // The old cards are replaced by the outcome "replaced by a newer card" and new ones
            // are posted; the list fills again from CardsPosted.
            (
                ChangeState::PendingApproval,
                vec![Effect::ReplaceCards, Effect::PostCards],
                None,
                "the device or NetBox changed since the card was made: a new card was sent"
                    .to_owned(),
            )
        }
        (ChangeState::PendingApproval, Input::Decided { by, decision }) => match decision {
            Decision::Approve => (
                ChangeState::Approved { by: by.clone() },
                vec![Effect::ReplaceCards, Effect::Apply],
                Some(by),
                "approved".to_owned(),
            ),
            Decision::Decline { reason } => {
                let why = reason
                    .as_deref()
                    .map(|r| format!(" Reason: {r}"))
                    .unwrap_or_default();
                (
                    ChangeState::Declined {
                        by: by.clone(),
                        reason: reason.clone(),
                    },
                    vec![
                        Effect::UpdateTicket {
                            state: TicketState::Denied,
                            note: format!(
                                "The change was declined by {by} and will not be executed.{why}"
                            ),
                        },
                        Effect::ReplaceCards,
                        Effect::Notify {
                            markdown: format!(
                                "Change {} (ticket {ticket}) was ❌ declined by {}. The change \
                                 will 🛑 not 🛑 be executed.{}",
                                record.id,
                                esc(&by),
                                esc(&why)
                            ),
                        },
                    ],
                    Some(by),
                    reason.unwrap_or_else(|| "declined".to_owned()),
                )
            }
        },
        (ChangeState::PendingApproval, Input::Expire) => (
            ChangeState::Expired,
            vec![
                Effect::UpdateTicket {
                    state: TicketState::AttentionRequired,
                    note: "Nobody approved or declined the change in time, so it expired and \
                           nothing was changed. Set the ticket to open again to ask anew."
                        .to_owned(),
                },
                Effect::ReplaceCards,
                Effect::Notify {
                    markdown: format!(
                        "Change {} (ticket {ticket}) expired without a decision; nothing was \
                         changed.",
                        record.id
                    ),
                },
            ],
            None,
            "no decision in time".to_owned(),
        ),
        (ChangeState::Approved { by }, Input::ApplyStarted) => (
            ChangeState::Applying { by: by.clone() },
            Vec::new(),
            None,
            "NetBox, then the device".to_owned(),
        ),
        (ChangeState::Applying { by }, Input::Applied { summary }) => (
            ChangeState::Done {
                summary: summary.clone(),
            },
            vec![
                Effect::UpdateTicket {
                    state: TicketState::Closed,
                    note: format!(
                        "The change approved by {by} was applied and verified.\n\n{summary}"
                    ),
                },
                Effect::Notify {
                    markdown: format!(
                        "✅ Change {} (ticket {ticket}) applied and verified; the ticket is \
                         closed.",
                        record.id
                    ),
                },
            ],
            None,
            summary,
        ),
        (ChangeState::Applying { .. }, Input::ApplyFailed { detail }) => (
            ChangeState::Failed {
                detail: detail.clone(),
            },
            vec![
                Effect::UpdateTicket {
                    state: TicketState::AttentionRequired,
                    note: format!("The change could not be applied.\n\n{detail}"),
                },
                Effect::Notify {
                    markdown: format!(
                        "❗ Change {} (ticket {ticket}) failed; the ticket needs attention:\n\n{}",
                        record.id,
                        bullet_lines(&detail)
                    ),
                },
            ],
            None,
            detail,
        ),
        (ChangeState::Applying { .. }, Input::ApplyUnknown { detail }) => (
            ChangeState::OutcomeUnknown {
                detail: detail.clone(),
            },
            vec![
                Effect::UpdateTicket {
                    state: TicketState::AttentionRequired,
                    note: format!(
                        "The change stopped at a point where the device may or may not have \
                         been changed. A person must check the device before anything else is \
                         done.\n\n{detail}"
                    ),
                },
                Effect::Notify {
                    markdown: format!(
                        "⚠️ Change {} (ticket {ticket}): outcome unknown, check the device:\n\n{}",
                        record.id,
                        bullet_lines(&detail)
                    ),
                },
            ],
            None,
            detail,
        ),
        _ => return Err(not_now()),
    };
    next.state = state;
    Ok(Transition {
        step: Step {
            state: next.state.word(),
            actor,
            detail,
        },
        record: next,
        effects,
    })
}

/// Outside text (names, reasons, device words) in chat markdown.
fn esc(text: &str) -> String {
    crate::text_safety::escape_markdown(text)
}

/// One escaped bullet per non-empty line.
fn bullet_lines(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("- {}", esc(l.trim())))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
#[path = "state_tests.rs"]
pub(crate) mod tests;
