//! The state machine, transition by transition: the states each input is taken in, the effects and
//! their texts, and every input refused where it does not belong.

use super::*;
use crate::approval::plan::{PlanRow, Side};

pub(crate) fn ticket() -> TicketRef {
    TicketRef {
        id: 16,
        number: "15016".into(),
        title: "Network Change Request: Update Device Interface".into(),
        requester: "network-team@local.lab".into(),
        updated_at: "2023-05-30T16:30:05.449Z".into(),
    }
}

pub(crate) fn plan() -> Plan {
    Plan {
        device: "c9300".into(),
        interface: "GigabitEthernet1/0/5".into(),
        rows: vec![PlanRow {
            side: Side::Device,
            field: "mtu".into(),
            before: Some("1500".into()),
            after: Some("2000".into()),
        }],
    }
}

fn new_record() -> ChangeRecord {
    received(
        ChangeId::for_ticket("15016", 1).unwrap(),
        ticket(),
        serde_json::json!({"mtu": 2000}),
    )
}

/// A record in `pending approval` with one card posted in `room`.
pub(crate) fn pending(room: &str) -> ChangeRecord {
    let t = transition(
        &new_record(),
        Input::Validated {
            plan: plan(),
            nonce: "n1".into(),
            expires_at_ms: 1_000,
        },
    )
    .unwrap();
    transition(
        &t.record,
        Input::CardsPosted {
            cards: vec![CardRef {
                message_id: "m1".into(),
                room_id: room.into(),
            }],
        },
    )
    .unwrap()
    .record
}

fn step(record: &ChangeRecord, input: Input) -> Transition {
    transition(record, input).unwrap()
}

#[test]
fn change_ids_are_what_people_type() {
    assert_eq!(ChangeId::for_ticket("15016", 1).unwrap().as_str(), "15016");
    assert_eq!(
        ChangeId::for_ticket("15016", 2).unwrap().as_str(),
        "15016-2"
    );
    assert_eq!(ChangeId::parse("#15016-2").unwrap().as_str(), "15016-2");
    assert_eq!(ChangeId::for_ticket("15 016", 1), None);
    assert_eq!(ChangeId::for_ticket("", 1), None);
    assert_eq!(ChangeId::for_ticket(&"9".repeat(40), 1), None);
    assert_eq!(ChangeId::parse("a/b"), None);
}

#[test]
fn a_valid_request_waits_for_approval_with_its_plan() {
    let t = step(
        &new_record(),
        Input::Validated {
            plan: plan(),
            nonce: "n1".into(),
            expires_at_ms: 1_000,
        },
    );
    assert_eq!(t.record.state, ChangeState::PendingApproval);
    assert_eq!(t.record.version, 1);
    let a = t.record.approval.as_ref().unwrap();
    assert_eq!(a.hash, plan().hash());
    assert_eq!(a.nonce, "n1");
    assert_eq!(
        t.effects,
        vec![
            Effect::UpdateTicket {
                state: TicketState::PendingApproval,
                note: "Your change request has been received and is pending approval \
                       (patchpanel change 15016)."
                    .into()
            },
            Effect::PostCards
        ]
    );
    assert_eq!(t.step.state, "pending approval");
}

#[test]
fn an_invalid_request_asks_for_attention_with_every_reason() {
    let t = step(
        &new_record(),
        Input::Refused {
            problems: "network_interface_mtu: `12a` is not a number\nnetwork_device_name: unset"
                .into(),
        },
    );
    assert!(t.record.state.is_final());
    assert_eq!(t.record.state.word(), "invalid");
    let Effect::UpdateTicket { state, note } = &t.effects[0] else {
        panic!("{:?}", t.effects)
    };
    assert_eq!(*state, TicketState::AttentionRequired);
    assert!(note.contains("`12a` is not a number") && note.contains("unset"));
    let Effect::Notify { markdown } = &t.effects[1] else {
        panic!("{:?}", t.effects)
    };
    assert!(
        markdown.contains("- network\\_interface\\_mtu"),
        "{markdown}"
    );
    assert_eq!(markdown.matches("\n- ").count(), 2, "{markdown}");
}

#[test]
fn approval_replaces_the_cards_then_applies() {
    let t = step(
        &pending("room-a"),
        Input::Decided {
            by: "approver@example.com".into(),
            decision: Decision::Approve,
        },
    );
    assert_eq!(
        t.record.state,
        ChangeState::Approved {
            by: "approver@example.com".into()
        }
    );
    assert_eq!(t.effects, vec![Effect::ReplaceCards, Effect::Apply]);
    assert_eq!(t.step.actor.as_deref(), Some("approver@example.com"));
    let applying = step(&t.record, Input::ApplyStarted);
    assert_eq!(applying.record.state.word(), "applying");
    assert!(applying.effects.is_empty());
    let done = step(
        &applying.record,
        Input::Applied {
            summary: "mtu: 1500 -> 2000".into(),
        },
    );
    assert_eq!(done.record.state.word(), "done");
    assert!(matches!(
        &done.effects[0],
        Effect::UpdateTicket { state: TicketState::Closed, note } if note.contains("approver@example.com") && note.contains("1500 -> 2000")
    ));
    assert_eq!(done.record.version, 5);
}

#[test]
fn a_decline_denies_the_ticket_with_the_reason() {
    let t = step(
        &pending("room-a"),
        Input::Decided {
            by: "approver@example.com".into(),
            decision: Decision::Decline {
                reason: Some("change *freeze*".into()),
            },
        },
    );
    assert!(t.record.state.is_final());
    let Effect::UpdateTicket { state, note } = &t.effects[0] else {
        panic!()
    };
    assert_eq!(*state, TicketState::Denied);
    assert!(note.ends_with("Reason: change *freeze*"), "{note}");
    assert_eq!(t.effects[1], Effect::ReplaceCards);
    let Effect::Notify { markdown } = &t.effects[2] else {
        panic!()
    };
    assert!(markdown.contains("🛑 not 🛑"), "{markdown}");
    assert!(
        markdown.contains("change \\*freeze\\*"),
        "escaped: {markdown}"
    );
}

#[test]
fn failures_and_unknown_outcomes_ask_a_person() {
    let approved = step(
        &pending("r"),
        Input::Decided {
            by: "a@example.com".into(),
            decision: Decision::Approve,
        },
    );
    let applying = step(&approved.record, Input::ApplyStarted).record;
    let failed = step(
        &applying,
        Input::ApplyFailed {
            detail: "c9300: mtu 2000 refused".into(),
        },
    );
    assert_eq!(failed.record.state.word(), "failed");
    assert!(matches!(
        &failed.effects[0],
        Effect::UpdateTicket { state: TicketState::AttentionRequired, note } if note.contains("mtu 2000 refused")
    ));
    let unknown = step(
        &applying,
        Input::ApplyUnknown {
            detail: "the connection dropped after commit".into(),
        },
    );
    assert_eq!(unknown.record.state.word(), "outcome unknown");
    assert!(matches!(
        &unknown.effects[0],
        Effect::UpdateTicket { state: TicketState::AttentionRequired, note } if note.contains("must check the device")
    ));
}

#[test]
fn a_replanned_change_retires_the_old_nonce_and_sends_a_new_card() {
    let mut newer = plan();
    newer.rows[0].before = Some("9000".into());
    let t = step(
        &pending("r"),
        Input::Replanned {
            plan: newer.clone(),
            nonce: "n2".into(),
        },
    );
    let a = t.record.approval.unwrap();
    assert_eq!(a.nonce, "n2");
    assert_eq!(a.retired_nonces, vec!["n1".to_owned()]);
    assert_eq!(a.hash, newer.hash());
    assert_eq!(t.effects, vec![Effect::ReplaceCards, Effect::PostCards]);
}

#[test]
fn expiry_tells_the_ticket_and_replaces_the_cards() {
    let t = step(&pending("r"), Input::Expire);
    assert_eq!(t.record.state, ChangeState::Expired);
    assert!(matches!(
        &t.effects[0],
        Effect::UpdateTicket { state: TicketState::AttentionRequired, note } if note.contains("expired")
    ));
    assert_eq!(t.effects[1], Effect::ReplaceCards);
}

#[test]
fn inputs_out_of_place_are_refused_and_change_nothing() {
    let received = new_record();
    let pending = pending("r");
    let declined = step(
        &pending,
        Input::Decided {
            by: "a@example.com".into(),
            decision: Decision::Decline { reason: None },
        },
    )
    .record;
    let cases: Vec<(&ChangeRecord, Input)> = vec![
        (
            &received,
            Input::Decided {
                by: "a@example.com".into(),
                decision: Decision::Approve,
            },
        ),
        (&received, Input::ApplyStarted),
        (&received, Input::Expire),
        (&pending, Input::ApplyStarted),
        (
            &pending,
            Input::Refused {
                problems: "x".into(),
            },
        ),
        (
            &declined,
            Input::Decided {
                by: "b@example.com".into(),
                decision: Decision::Approve,
            },
        ),
        (&declined, Input::Expire),
        (
            &declined,
            Input::Applied {
                summary: "x".into(),
            },
        ),
    ];
    for (record, input) in cases {
        let err = transition(record, input.clone()).unwrap_err();
        assert_eq!(err.state, record.state.word(), "{input:?}");
        assert!(err.to_string().starts_with("change 15016 is "), "{err}");
    }
}

#[test]
fn records_round_trip_through_json() {
    let r = pending("room-a");
    let text = serde_json::to_string(&r).unwrap();
    assert!(text.contains(r#""state":"pending-approval""#), "{text}");
    let back: ChangeRecord = serde_json::from_str(&text).unwrap();
    assert_eq!(back, r);
    for e in [
        Effect::PostCards,
        Effect::Apply,
        Effect::UpdateTicket {
            state: TicketState::Denied,
            note: "n".into(),
        },
    ] {
        let back: Effect = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
    }
}

#[test]
fn replaced_cards_leave_the_record_in_any_state() {
    let declined = step(
        &pending("r"),
        Input::Decided {
            by: "a@example.com".into(),
            decision: Decision::Decline { reason: None },
        },
    )
    .record;
    let t = step(
        &declined,
        Input::CardsReplaced {
            message_ids: vec!["m1".into()],
        },
    );
    assert_eq!(t.record.state, declined.state);
    assert!(t.record.approval.unwrap().cards.is_empty());
    assert!(t.effects.is_empty());
    assert_eq!(t.step.state, "declined");
}
