//! The approval policy, pure and one for both ways of deciding: a card press and `approve <id>` /
//! `decline <id>` typed in chat are judged by the same [`judge`]. The caller has already let the
//! sender through the bot's allow list; this decides whether *this* person may decide *this*
//! change now, and whether the card they pressed is the one the bot issued.

use super::plan::PlanHash;
use super::state::{ChangeRecord, ChangeState, Decision};
use crate::policy::AllowList;
use std::fmt;

/// Who may approve, from the settings.
#[derive(Debug, Clone, Default)]
pub struct ApprovalPolicy {
    /// `PATCHPANEL_APPROVERS`: emails (or `@domain`s) allowed to approve and decline.
    pub approvers: AllowList,
    /// Whether the person who asked for a change may approve it themselves (off by default: four
    /// eyes).
    pub allow_self_approval: bool,
}

/// How the decision arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via<'a> {
    /// A button on a card: what the card's submit data carried, and the room it was pressed in.
    Card {
        room_id: &'a str,
        plan_hash: &'a PlanHash,
        nonce: &'a str,
    },
    /// Typed in chat (`approve 15016`).
    Command,
}

/// One attempt to decide a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt<'a> {
    /// The person's email as the chat service verified it.
    pub by: &'a str,
    pub decision: &'a Decision,
    pub via: Via<'a>,
    /// Unix milliseconds.
    pub now_ms: i64,
    /// The hash of the plan computed afresh from the device and NetBox just now; `None` when not
    /// computed yet (an approval needs it, see [`Verdict::NeedsFreshPlan`]).
    pub fresh_plan: Option<&'a PlanHash>,
}

/// What to do with an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Take the decision (`Input::Decided`).
    Grant,
    /// Everything else holds; read the device and NetBox, compute the plan, and judge again with
    /// its hash.
    NeedsFreshPlan,
    /// The device or NetBox changed since the plan was shown: refuse with the new diff and send a
    /// new card (`Input::Replanned`).
    PlanChanged,
    /// The approval window has closed: expire the change (`Input::Expire`) and say so.
    Expired,
    Refuse(Refusal),
}

/// Why an attempt is refused. `Display` is what the person is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotApprover,
    OwnChange,
    AlreadyDecided {
        state: &'static str,
        by: Option<String>,
    },
    /// Not waiting for a decision (received, invalid, expired, or finished).
    NotPending {
        state: &'static str,
    },
    /// A card this change replaced with a newer one.
    OldCard,
    /// Submit data the bot never issued for this change (wrong nonce or plan hash).
    NotIssued,
    /// The card was never sent to the room it was pressed in.
    NotSentHere,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotApprover => f.write_str(
                "you are not an approver: ask one of the people in `PATCHPANEL_APPROVERS`",
            ),
            Refusal::OwnChange => f.write_str(
                "you asked for this change, so someone else must approve it (four eyes)",
            ),
            Refusal::AlreadyDecided { state, by } => match by {
                Some(by) => write!(
                    f,
                    "already {} by {}",
                    if *state == "declined" {
                        "declined"
                    } else {
                        "approved"
                    },
                    crate::text_safety::escape_markdown(by)
                ),
                None => write!(f, "already {state}"),
            },
            Refusal::NotPending { state } => {
                write!(f, "the change is {state}, not waiting for a decision")
            }
            Refusal::OldCard => f.write_str(
                "this card was replaced by a newer one: use the latest card for this change",
            ),
            Refusal::NotIssued => f.write_str(
                "this card does not match the change it names: it was not issued by the bot",
            ),
            Refusal::NotSentHere => {
                f.write_str("this card was not sent to this room: use the card the bot sent you")
            }
        }
    }
}

/// Judges one attempt against the change as stored. The order matters: a stranger learns nothing
/// about the change; a decided change answers "already …" before any card check, so a second
/// press is told who was first.
pub fn judge(record: &ChangeRecord, attempt: &Attempt<'_>, policy: &ApprovalPolicy) -> Verdict {
    if !policy.approvers.permits(attempt.by) {
        return Verdict::Refuse(Refusal::NotApprover);
    }
    match &record.state {
        ChangeState::PendingApproval => {}
        ChangeState::Approved { by }
        | ChangeState::Applying { by }
        | ChangeState::Declined { by, .. } => {
            return Verdict::Refuse(Refusal::AlreadyDecided {
                state: record.state.word(),
                by: Some(by.clone()),
            })
        }
        ChangeState::Done { .. }
        | ChangeState::Failed { .. }
        | ChangeState::OutcomeUnknown { .. } => {
            return Verdict::Refuse(Refusal::AlreadyDecided {
                state: "approved",
                by: None,
            })
        }
        other => {
            return Verdict::Refuse(Refusal::NotPending {
                state: other.word(),
            })
        }
    }
    let Some(approval) = &record.approval else {
        return Verdict::Refuse(Refusal::NotPending {
            state: record.state.word(),
        });
    };
    if let Via::Card {
        room_id,
        plan_hash,
        nonce,
    } = &attempt.via
    {
        if approval.retired_nonces.iter().any(|n| n == nonce) {
            return Verdict::Refuse(Refusal::OldCard);
        }
        if approval.nonce != *nonce || approval.hash != **plan_hash {
            return Verdict::Refuse(Refusal::NotIssued);
        }
        if !approval.cards.iter().any(|c| c.room_id == *room_id) {
            return Verdict::Refuse(Refusal::NotSentHere);
        }
    }
    if attempt.now_ms >= approval.expires_at_ms {
        return Verdict::Expired;
    }
    match attempt.decision {
        Decision::Decline { .. } => Verdict::Grant,
        Decision::Approve => {
            if !policy.allow_self_approval && same_person(attempt.by, &record.ticket.requester) {
                return Verdict::Refuse(Refusal::OwnChange);
            }
            match attempt.fresh_plan {
                None => Verdict::NeedsFreshPlan,
                Some(fresh) if *fresh == approval.hash => Verdict::Grant,
                Some(_) => Verdict::PlanChanged,
            }
        }
    }
}

fn same_person(a: &str, b: &str) -> bool {
    !a.trim().is_empty() && a.trim().eq_ignore_ascii_case(b.trim())
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
