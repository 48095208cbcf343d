//! `decide` (pure): authorization first, commands and card presses to actions; reply targets.
use super::*;
use crate::approval;
use crate::inbound::{CardSubmit, ChatMessage, RoomKind, Sender};

fn message(email: &str, text: &str) -> Inbound {
    Inbound::Message(ChatMessage {
        event_id: "e1".into(),
        message_id: "m1".into(),
        room_id: "r1".into(),
        room_kind: RoomKind::Direct,
        reply_parent_id: "m1".into(),
        sender: Sender {
            person_id: "p1".into(),
            email: email.into(),
        },
        text: text.into(),
    })
}

fn allowed() -> AllowList {
    AllowList::parse("@example.com").unwrap()
}

#[test]
fn strangers_are_refused_before_parsing() {
    assert_eq!(
        decide(&message("eve@evil.test", "vrf c9300"), &allowed()),
        Action::Refuse
    );
    let card = Inbound::CardSubmit(CardSubmit {
        event_id: "e".into(),
        action_id: "a".into(),
        card_message_id: "m".into(),
        room_id: "r".into(),
        sender: Sender {
            person_id: "p".into(),
            email: "eve@evil.test".into(),
        },
        inputs: Default::default(),
    });
    assert_eq!(decide(&card, &allowed()), Action::Refuse);
}

#[test]
fn commands_become_actions() {
    assert_eq!(
        decide(&message("a@example.com", "vrf c9300"), &allowed()),
        Action::ReadVrfs {
            device: "c9300".into()
        }
    );
    assert_eq!(
        decide(
            &message("a@example.com", "show iface c9300 gi1/0/2"),
            &allowed()
        ),
        Action::ReadInterface {
            device: "c9300".into(),
            interface: InterfaceName::parse_iosxe("GigabitEthernet1/0/2").unwrap()
        }
    );
    assert_eq!(
        decide(&message("a@example.com", "approve 42"), &allowed()),
        Action::Decide {
            change: "42".into(),
            decision: approval::Decision::Approve,
            card: None
        }
    );
    assert_eq!(
        decide(
            &message("a@example.com", "decline #42 change freeze"),
            &allowed()
        ),
        Action::Decide {
            change: "42".into(),
            decision: approval::Decision::Decline {
                reason: Some("change freeze".into())
            },
            card: None
        }
    );
    assert_eq!(
        decide(&message("a@example.com", "status 42"), &allowed()),
        Action::Status {
            change: "42".into()
        }
    );
    assert_eq!(
        decide(&message("a@example.com", "changes c9300 2"), &allowed()),
        Action::Changes {
            device: Some("c9300".into()),
            number: Some(2)
        }
    );
    match decide(
        &message("a@example.com", "shwo iface c9300 Gi1/0/2"),
        &allowed(),
    ) {
        Action::Answer(text) => assert!(text.to_lowercase().contains("did you mean")),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn replies_go_to_the_thread_root() {
    let (room, parent) = reply_target(&message("a@example.com", "help"));
    assert_eq!(room, "r1");
    assert_eq!(parent.as_deref(), Some("m1"));
}

fn press(inputs: &[(&str, &str)]) -> Inbound {
    Inbound::CardSubmit(CardSubmit {
        event_id: "e".into(),
        action_id: "a".into(),
        card_message_id: "m".into(),
        room_id: "r".into(),
        sender: Sender {
            person_id: "p".into(),
            email: "approver@example.com".into(),
        },
        inputs: inputs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    })
}

#[test]
fn card_presses_become_decisions_or_say_what_is_wrong() {
    let hash = "ab".repeat(32);
    let good = [
        ("patchpanel", "approval"),
        ("decision", "decline"),
        ("change", "15016"),
        ("plan", hash.as_str()),
        ("nonce", "0123456789abcdef0123"),
        ("reason", "change freeze"),
    ];
    assert_eq!(
        decide(&press(&good), &allowed()),
        Action::Decide {
            change: "15016".into(),
            decision: approval::Decision::Decline {
                reason: Some("change freeze".into())
            },
            card: Some(CardKeys {
                room_id: "r".into(),
                plan_hash: approval::PlanHash::parse(&hash).unwrap(),
                nonce: "0123456789abcdef0123".into(),
            }),
        }
    );
    match decide(&press(&[("anything", "else")]), &allowed()) {
        Action::Answer(text) => assert!(text.contains("not a patchpanel card"), "{text}"),
        other => panic!("unexpected {other:?}"),
    }
    let mut forged = good;
    forged[3] = ("plan", "not-a-hash");
    match decide(&press(&forged), &allowed()) {
        Action::Answer(text) => assert!(text.contains("plan"), "{text}"),
        other => panic!("unexpected {other:?}"),
    }
}
