//! W3's chat texts, pure: a change's status with its history, the plan as a list, what a person is
//! told after deciding or when refused, and the new diff when a card went stale. Every outside
//! value is escaped for markdown.

use crate::approval::when::utc_minute;
use crate::approval::{ChangeRecord, ChangeState, Decision, Plan, Refusal};
use crate::store::HistoryEntry;
use crate::text_safety::escape_markdown as esc;

/// Rows as a markdown list (`- device mtu: 1500 → 2000`); "nothing to change" when empty.
pub fn plan_list(plan: &Plan) -> String {
    if plan.rows.is_empty() {
        return "- nothing to change: the device and NetBox already match the ticket".to_owned();
    }
    plan.rows
        .iter()
        .map(|r| format!("- {}", esc(&r.to_string())))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The answer to `status <id>`.
pub fn status(record: &ChangeRecord, history: &[HistoryEntry]) -> String {
    let mut out = format!(
        "**Change {}** — ticket {} “{}”, asked by {}\n\nState: **{}**",
        record.id,
        esc(&record.ticket.number),
        esc(&record.ticket.title),
        esc(&record.ticket.requester),
        record.state.word()
    );
    match &record.state {
        ChangeState::PendingApproval => {
            if let Some(a) = &record.approval {
                out.push_str(&format!(" until {}", utc_minute(a.expires_at_ms)));
            }
        }
        ChangeState::Declined { by, reason } => {
            out.push_str(&format!(" by {}", esc(by)));
            if let Some(r) = reason {
                out.push_str(&format!(": {}", esc(r)));
            }
        }
        ChangeState::Approved { by } | ChangeState::Applying { by } => {
            out.push_str(&format!(" (approved by {})", esc(by)));
        }
        ChangeState::Invalid { problems } => {
            out.push_str(&format!("\n\n{}", bullets(problems)));
        }
        ChangeState::Failed { detail } | ChangeState::OutcomeUnknown { detail } => {
            out.push_str(&format!("\n\n{}", bullets(detail)));
        }
        ChangeState::Done { .. } | ChangeState::Received | ChangeState::Expired => {}
    }
    if let Some(a) = &record.approval {
        out.push_str(&format!(
            "\n\n{} {}:\n{}",
            esc(&a.plan.device),
            esc(&a.plan.interface),
            plan_list(&a.plan)
        ));
    }
    if !history.is_empty() {
        out.push_str("\n\nHistory:");
        for h in history {
            out.push_str(&format!("\n- {} {}", utc_minute(h.at_ms), h.state));
            if let Some(actor) = &h.actor {
                out.push_str(&format!(" by {}", esc(actor)));
            }
            if !h.detail.is_empty() && h.detail != h.state {
                let first = h.detail.lines().next().unwrap_or_default();
                out.push_str(&format!(": {}", esc(first)));
            }
        }
    }
    out
}

/// What the person who decided is told (seed 004's words for a decline).
pub fn decided(decision: &Decision) -> &'static str {
    match decision {
        Decision::Approve => {
            "Your action ✅ Approve has been recorded. The change will be executed; every step is \
             reported here."
        }
        Decision::Decline { .. } => {
            "Your action ❌ Decline has been recorded. The change will 🛑 not 🛑 be executed."
        }
    }
}

/// Why a decision was not taken.
pub fn refused(id: &str, refusal: &Refusal) -> String {
    format!("Change {}: {refusal}.", esc(id))
}

/// A press on a card whose plan no longer holds: what changed, and that a new card was sent.
pub fn plan_changed(id: &str, old: &Plan, new: &Plan) -> String {
    let changed: Vec<String> = old
        .changed_rows(new)
        .iter()
        .map(|r| format!("- {}", esc(&r.to_string())))
        .collect();
    format!(
        "Change {} was **not** approved: the device or NetBox changed since the card was made. \
         Now the change would do:\n{}\n\nWhat differs from the card:\n{}\n\nA new card with this \
         plan was sent; approve that one if it is still right.",
        esc(id),
        plan_list(new),
        if changed.is_empty() {
            "- rows were removed: the interface already holds part of the change".to_owned()
        } else {
            changed.join("\n")
        }
    )
}

/// `approve`/`decline`/`status` for an id the store does not know.
pub fn unknown_change(id: &str) -> String {
    format!(
        "There is no change {}. The id is the ticket number shown on the approval card (for a \
         ticket that asked again, `NUMBER-2`, …).",
        esc(id)
    )
}

fn bullets(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("- {}", esc(l.trim())))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approval::{transition, Input};

    fn pending() -> ChangeRecord {
        crate::approval::state::tests::pending("room")
    }

    #[test]
    fn status_shows_the_state_the_plan_and_the_history() {
        let r = pending();
        let history = vec![
            HistoryEntry {
                at_ms: 0,
                state: "received".into(),
                actor: None,
                detail: "ticket 15016".into(),
            },
            HistoryEntry {
                at_ms: 60_000,
                state: "pending approval".into(),
                actor: None,
                detail: "1 change(s) to approve".into(),
            },
        ];
        let text = status(&r, &history);
        assert!(text.starts_with("**Change 15016** — ticket 15016 “Network Change Request: Update Device Interface”, asked by network-team@local.lab"), "{text}");
        assert!(
            text.contains("State: **pending approval** until 1970-01-01 00:00 UTC"),
            "{text}"
        );
        assert!(
            text.contains("c9300 GigabitEthernet1/0/5:\n- device mtu: 1500 → 2000"),
            "{text}"
        );
        assert!(
            text.ends_with("- 1970-01-01 00:01 UTC pending approval: 1 change(s) to approve"),
            "{text}"
        );
    }

    #[test]
    fn status_escapes_what_people_wrote() {
        let r = transition(
            &pending(),
            Input::Decided {
                by: "a_b@example.com".into(),
                decision: Decision::Decline {
                    reason: Some("*not* now [x](http://evil)".into()),
                },
            },
        )
        .unwrap()
        .record;
        let text = status(&r, &[]);
        assert!(
            text.contains("by a\\_b@example.com: \\*not\\* now \\[x\\]"),
            "{text}"
        );
    }

    #[test]
    fn a_stale_card_shows_the_new_plan_and_what_differs() {
        let old = pending().approval.unwrap().plan;
        let mut new = old.clone();
        new.rows[0].before = Some("9000".into());
        let text = plan_changed("15016", &old, &new);
        assert!(text.contains("**not** approved"), "{text}");
        assert!(
            text.contains("What differs from the card:\n- device mtu: 9000 → 2000"),
            "{text}"
        );
    }
}
