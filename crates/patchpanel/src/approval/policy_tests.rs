//! The approval policy: each refusal, in the order a person would meet them, and the grants.

use super::*;
use crate::approval::plan::PlanHash;
use crate::approval::state::tests::{pending, plan};
use crate::approval::state::{transition, Input};

fn policy() -> ApprovalPolicy {
    ApprovalPolicy {
        approvers: AllowList::parse(
            "approver@example.com, second@example.com, network-team@local.lab",
        )
        .unwrap(),
        allow_self_approval: false,
    }
}

fn card<'a>(room: &'a str, hash: &'a PlanHash, nonce: &'a str) -> Via<'a> {
    Via::Card {
        room_id: room,
        plan_hash: hash,
        nonce,
    }
}

fn attempt<'a>(
    by: &'a str,
    decision: &'a Decision,
    via: Via<'a>,
    fresh: Option<&'a PlanHash>,
) -> Attempt<'a> {
    Attempt {
        by,
        decision,
        via,
        now_ms: 500,
        fresh_plan: fresh,
    }
}

#[test]
fn an_approver_pressing_the_card_is_granted_once_the_plan_is_fresh() {
    let r = pending("room-a");
    let hash = plan().hash();
    let approve = Decision::Approve;
    let a = attempt(
        "Approver@Example.com",
        &approve,
        card("room-a", &hash, "n1"),
        None,
    );
    assert_eq!(judge(&r, &a, &policy()), Verdict::NeedsFreshPlan);
    let a = attempt(
        "approver@example.com",
        &approve,
        card("room-a", &hash, "n1"),
        Some(&hash),
    );
    assert_eq!(judge(&r, &a, &policy()), Verdict::Grant);
    let a = attempt("approver@example.com", &approve, Via::Command, Some(&hash));
    assert_eq!(
        judge(&r, &a, &policy()),
        Verdict::Grant,
        "the command is judged alike"
    );
}

#[test]
fn a_changed_device_or_netbox_means_a_new_plan() {
    let r = pending("room-a");
    let hash = plan().hash();
    let mut newer = plan();
    newer.rows[0].before = Some("9000".into());
    let fresh = newer.hash();
    let approve = Decision::Approve;
    for via in [card("room-a", &hash, "n1"), Via::Command] {
        let a = attempt("approver@example.com", &approve, via, Some(&fresh));
        assert_eq!(judge(&r, &a, &policy()), Verdict::PlanChanged);
    }
}

#[test]
fn a_decline_needs_no_fresh_plan() {
    let r = pending("room-a");
    let hash = plan().hash();
    let decline = Decision::Decline { reason: None };
    let a = attempt(
        "second@example.com",
        &decline,
        card("room-a", &hash, "n1"),
        None,
    );
    assert_eq!(judge(&r, &a, &policy()), Verdict::Grant);
}

#[test]
fn strangers_learn_nothing_about_the_change() {
    let decided = transition(
        &pending("room-a"),
        Input::Decided {
            by: "approver@example.com".into(),
            decision: Decision::Approve,
        },
    )
    .unwrap()
    .record;
    let hash = plan().hash();
    let approve = Decision::Approve;
    let a = attempt(
        "engineer@example.com",
        &approve,
        card("room-a", &hash, "forged"),
        Some(&hash),
    );
    assert_eq!(
        judge(&decided, &a, &policy()),
        Verdict::Refuse(Refusal::NotApprover)
    );
    assert_eq!(
        Refusal::NotApprover.to_string(),
        "you are not an approver: ask one of the people in `PATCHPANEL_APPROVERS`"
    );
}

#[test]
fn the_requester_cannot_approve_their_own_change_unless_allowed() {
    let r = pending("room-a");
    let hash = plan().hash();
    let approve = Decision::Approve;
    let a = attempt(
        "Network-Team@local.lab",
        &approve,
        Via::Command,
        Some(&hash),
    );
    assert_eq!(
        judge(&r, &a, &policy()),
        Verdict::Refuse(Refusal::OwnChange)
    );
    let allowing = ApprovalPolicy {
        allow_self_approval: true,
        ..policy()
    };
    assert_eq!(judge(&r, &a, &allowing), Verdict::Grant);
    let decline = Decision::Decline { reason: None };
    let d = attempt("network-team@local.lab", &decline, Via::Command, None);
    assert_eq!(
        judge(&r, &d, &policy()),
        Verdict::Grant,
        "withdrawing is not approving"
    );
}

#[test]
fn a_second_press_is_told_who_was_first() {
    let r = pending("room-a");
    let approved = transition(
        &r,
        Input::Decided {
            by: "approver@example.com".into(),
            decision: Decision::Approve,
        },
    )
    .unwrap()
    .record;
    let hash = plan().hash();
    let approve = Decision::Approve;
    for by in ["approver@example.com", "second@example.com"] {
        let a = attempt(by, &approve, card("room-a", &hash, "n1"), Some(&hash));
        let v = judge(&approved, &a, &policy());
        let Verdict::Refuse(refusal) = v else {
            panic!("{v:?}")
        };
        assert_eq!(
            refusal.to_string(),
            "already approved by approver@example.com"
        );
    }
    let applying = transition(&approved, Input::ApplyStarted).unwrap().record;
    let a = attempt("second@example.com", &approve, Via::Command, None);
    assert!(matches!(
        judge(&applying, &a, &policy()),
        Verdict::Refuse(Refusal::AlreadyDecided { .. })
    ));
    let declined = transition(
        &r,
        Input::Decided {
            by: "second@example.com".into(),
            decision: Decision::Decline { reason: None },
        },
    )
    .unwrap()
    .record;
    let Verdict::Refuse(refusal) = judge(&declined, &a, &policy()) else {
        panic!()
    };
    assert_eq!(
        refusal.to_string(),
        "already declined by second@example.com"
    );
}

#[test]
fn forged_replayed_and_misplaced_cards_are_refused() {
    let r = pending("room-a");
    let hash = plan().hash();
    let other = PlanHash::parse(&"0".repeat(64)).unwrap();
    let approve = Decision::Approve;
    let judge_card = |r: &ChangeRecord, room: &str, h: &PlanHash, nonce: &str| {
        judge(
            r,
            &attempt(
                "approver@example.com",
                &approve,
                card(room, h, nonce),
                Some(&hash),
            ),
            &policy(),
        )
    };
    assert_eq!(
        judge_card(&r, "room-a", &hash, "wrong"),
        Verdict::Refuse(Refusal::NotIssued)
    );
    assert_eq!(
        judge_card(&r, "room-a", &other, "n1"),
        Verdict::Refuse(Refusal::NotIssued)
    );
    assert_eq!(
        judge_card(&r, "room-b", &hash, "n1"),
        Verdict::Refuse(Refusal::NotSentHere)
    );
    let mut newer = plan();
    newer.rows[0].before = Some("9000".into());
    let replanned = transition(
        &r,
        Input::Replanned {
            plan: newer,
            nonce: "n2".into(),
        },
    )
    .unwrap()
    .record;
    assert_eq!(
        judge_card(&replanned, "room-a", &hash, "n1"),
        Verdict::Refuse(Refusal::OldCard)
    );
}

#[test]
fn a_late_press_expires_the_change() {
    let r = pending("room-a");
    let hash = plan().hash();
    let approve = Decision::Approve;
    let mut a = attempt("approver@example.com", &approve, Via::Command, Some(&hash));
    a.now_ms = 1_000;
    assert_eq!(judge(&r, &a, &policy()), Verdict::Expired);
    let expired = transition(&r, Input::Expire).unwrap().record;
    assert_eq!(
        judge(&expired, &a, &policy()),
        Verdict::Refuse(Refusal::NotPending { state: "expired" })
    );
}
