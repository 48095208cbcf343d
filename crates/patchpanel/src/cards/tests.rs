//! The cards as a whole: every example renders within the budgets, hostile and huge values stay
//! inside their text fields, and a press of a rendered card parses.

use std::collections::BTreeMap;

use serde_json::Value;

use super::*;

fn approval() -> ApprovalCard {
    match examples().into_iter().next().map(|e| e.card) {
        Some(Card::Approval(a)) => a,
        other => panic!("the first example is the approval card: {other:?}"),
    }
}

/// Every string in the tree, with the keys of the objects they sit in.
fn walk(v: &Value, f: &mut impl FnMut(Option<&str>, &Value)) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                f(Some(k), x);
                walk(x, f);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| walk(x, f)),
        _ => {}
    }
}

fn size(v: &Value) -> usize {
    serde_json::to_vec(v).unwrap().len()
}

/// What Webex sends back when `button` is pressed: the inputs merged with the button's data, as
/// strings (`webex::dispatch::card_submit`).
fn press(card: &Value, button: usize, reason: &str) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = card["actions"][button]["data"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    m.insert("reason".into(), reason.into());
    m
}

#[test]
fn every_example_renders_within_budget_without_template_syntax_left() {
    let all = examples();
    let names: Vec<_> = all.iter().map(|e| e.name).collect();
    assert_eq!(
        names,
        [
            "approval",
            "outcome-applied",
            "outcome-declined",
            "outcome-declined-no-reason",
            "outcome-expired",
            "outcome-approved",
            "outcome-unknown",
            "outcome-replaced",
            "outcome-failed"
        ]
    );
    for e in all {
        let card = e.card.render().unwrap();
        assert_eq!(card["type"], "AdaptiveCard", "{}", e.name);
        assert_eq!(card["version"], "1.3", "{}", e.name);
        assert!(size(&card) <= MAX_CARD_BYTES);
        walk(&card, &mut |k, v| {
            assert!(!matches!(k, Some("$data" | "$when")), "{}", e.name);
            if let Value::String(s) = v {
                assert!(!s.contains("${"), "{}: {s}", e.name);
            }
        });
        let text = e.card.fallback_text();
        assert!(text.contains("15016"), "{}", e.name);
        assert!(serde_json::to_string(&text).unwrap().len() <= MAX_FALLBACK_BYTES);
        let outcome = matches!(e.card, Card::Outcome(_));
        assert_eq!(card.get("actions").is_none(), outcome, "{}", e.name);
    }
}

#[test]
fn the_approval_card_shows_the_change_and_its_buttons_carry_the_ids() {
    let a = approval();
    let card = a.render().unwrap();
    let text = card.to_string();
    for shown in [
        "Network Change Request: Update Device Interface",
        "c9300",
        "GigabitEthernet1/0/5",
        "Configured from the ticket system\\\\!",
        "1500",
        "2000",
        "2026-12-04 18:00 UTC",
    ] {
        assert!(text.contains(shown), "{shown} in {text}");
    }
    let decide = |button, reason| Decision::from_inputs(&press(&card, button, reason)).unwrap();
    let yes = decide(0, "");
    assert_eq!(yes.decision, Decision::Approve);
    assert_eq!(yes.change_id, a.change_id);
    assert_eq!(yes.plan_hash, a.submit.plan_hash);
    assert_eq!(yes.nonce, a.submit.nonce);
    let no = decide(1, "not today");
    assert_eq!(no.decision, Decision::Decline);
    assert_eq!(no.reason.as_deref(), Some("not today"));
    assert_eq!(
        card["body"].as_array().unwrap().len(),
        4 + 4 + 1,
        "{card:#}"
    );
}

#[test]
fn hostile_text_stays_inside_its_text_field() {
    let hostile = "\"}]}, {\"type\": \"Action.OpenUrl\", \"url\": \"http://evil\"} ${submit.nonce} **x** [y](http://z) \u{202E}gnp.exe\n- list";
    let mut a = approval();
    a.ticket_title = hostile.into();
    a.requester = hostile.into();
    a.rows[0].before = Some(hostile.into());
    a.rows[0].field = hostile.into();
    let card = a.render().unwrap();
    // Same shape as the plain card: nothing was added or removed.
    let plain = approval().render().unwrap();
    assert_eq!(card["actions"], plain["actions"]);
    assert_eq!(
        card["body"].as_array().unwrap().len(),
        plain["body"].as_array().unwrap().len()
    );
    let title = card["body"][1]["text"].as_str().unwrap();
    assert_eq!(title, format!("Ticket 15016: {}", card_text(hostile, 200)));
    assert!(!card.to_string().contains('\u{202E}'));
    assert!(title.contains("<U+202E>"));
    assert!(title.contains(r"\*\*x\*\* \[y\]"));
    assert!(!title.contains('\n'));
    // The nonce appears only where the template puts it, twice (once per button).
    assert_eq!(card.to_string().matches(&a.submit.nonce).count(), 2);
    let fallback = a.fallback_text();
    assert!(!fallback.contains('\u{202E}'));
    assert!(fallback.contains(r"\*\*x\*\*"));
}

#[test]
fn two_hundred_rows_of_ten_kilobytes_still_fit() {
    let big = "<\"*\u{202E}x".repeat(2048);
    let mut a = approval();
    a.ticket_title = big.clone();
    a.requester = big.clone();
    a.device = big.clone();
    a.interface = big.clone();
    a.expires_at = big.clone();
    a.rows = (0..200)
        .map(|i| FieldRow {
            field: format!("field{i} {big}"),
            before: Some(big.clone()),
            after: Some(big.clone()),
        })
        .collect();
    let card = a.render().unwrap();
    assert!(size(&card) <= MAX_CARD_BYTES, "{}", size(&card));
    let text = card.to_string();
    assert!(
        text.contains("more fields not shown (200 in all)"),
        "{text}"
    );
    assert!(text.contains('…'));
    let fallback = a.fallback_text();
    assert!(serde_json::to_string(&fallback).unwrap().len() <= MAX_FALLBACK_BYTES);
    assert!(fallback.len() < 7439);

    let o = OutcomeCard {
        change_id: a.change_id.clone(),
        ticket_number: big.clone(),
        ticket_title: big.clone(),
        device: big.clone(),
        interface: big.clone(),
        rows: a.rows.clone(),
        at: big.clone(),
        outcome: Outcome::Failed {
            by: big.clone(),
            device_said: big.clone(),
        },
    };
    assert!(size(&o.render().unwrap()) <= MAX_CARD_BYTES);
    assert!(serde_json::to_string(&o.fallback_text()).unwrap().len() <= MAX_FALLBACK_BYTES);
    // A few rows keep their values whole.
    let mut small = approval();
    small.rows.truncate(2);
    assert!(!small.render().unwrap().to_string().contains('…'));
}

#[test]
fn malformed_ids_make_no_card() {
    let mut a = approval();
    a.submit.nonce = "short".into();
    assert!(matches!(
        a.render(),
        Err(CardError::InvalidId { what: "nonce", .. })
    ));
    let mut a = approval();
    a.submit.plan_hash = "XYZ".into();
    assert!(matches!(
        a.render(),
        Err(CardError::InvalidId {
            what: "plan hash",
            ..
        })
    ));
    let mut a = approval();
    a.submit.change_id = "other".into();
    assert!(matches!(a.render(), Err(CardError::InvalidId { .. })));
    let mut a = approval();
    a.change_id = "a b".into();
    a.submit.change_id = "a b".into();
    assert!(matches!(a.render(), Err(CardError::InvalidId { .. })));
}

#[test]
fn each_outcome_says_what_happened() {
    for e in examples() {
        let Card::Outcome(o) = &e.card else { continue };
        let card = e.card.render().unwrap();
        let text = card.to_string();
        let fallback = e.card.fallback_text();
        let (label, must) = match &o.outcome {
            Outcome::Applied { .. } => ("Approved and applied", "Alice Example"),
            Outcome::Declined {
                reason: Some(_), ..
            } => ("Declined", "Outside the change window"),
            Outcome::Declined { reason: None, .. } => ("Declined", "Alice Example"),
            Outcome::Expired => ("Expired", "expired"),
            Outcome::Failed { .. } => ("Approved, but the change failed", "range 1500"),
            Outcome::Approved { .. } => ("Approved", "being applied"),
            Outcome::Unknown { .. } => ("Approved, outcome unknown", "connection dropped"),
            Outcome::Replaced => ("Replaced", "newer card"),
        };
        assert_eq!(card["body"][0]["text"], label, "{}", e.name);
        assert!(text.contains(must), "{}: {text}", e.name);
        assert!(
            fallback.contains(label) && fallback.contains(must),
            "{}",
            e.name
        );
        let has_detail = matches!(
            o.outcome,
            Outcome::Failed { .. }
                | Outcome::Unknown { .. }
                | Outcome::Declined {
                    reason: Some(_),
                    ..
                }
        );
        assert_eq!(text.contains("\"Container\""), has_detail, "{}", e.name);
    }
}
