//! Unit tests of the datastore rules in `state`.

use super::*;
use crate::device::model::{seed_c9300, IfKind};

fn payload(desc: &str) -> Element {
    Element::parse(
        format!(
            r#"<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>1/0/2</name><description>{desc}</description></GigabitEthernet></interface></native></config>"#
        )
        .as_bytes(),
    )
    .unwrap()
}

fn edit(s: &mut DeviceState, who: Who, target: Target, desc: &str) -> Result<(), Vec<YangError>> {
    let c = payload(desc);
    let scope = Scope::default().enter(&c);
    s.edit(
        who,
        target,
        &c,
        &scope,
        Op::Merge,
        TestOption::TestThenSet,
        ErrorOption::StopOnError,
    )
}

fn desc(cfg: &NativeConfig) -> String {
    cfg.interface(IfKind::GigabitEthernet, "1/0/2")
        .unwrap()
        .description
        .clone()
        .unwrap_or_default()
}

fn state(mode: DatastoreMode) -> DeviceState {
    let mut s = DeviceState::new(seed_c9300("c9300"), mode);
    s.session_started(1);
    s.session_started(2);
    s
}

const SEED_DESC: &str = "Floor 2 printer";

#[test]
fn candidate_edit_commit_and_discard() {
    let mut s = state(DatastoreMode::CandidateAndRunning);
    edit(&mut s, Who::Session(1), Target::Candidate, "new").unwrap();
    assert_eq!(desc(s.get(Target::Candidate).unwrap()), "new");
    assert_eq!(desc(&s.running), SEED_DESC);
    assert!(s.candidate_dirty());
    s.discard_changes(Who::Session(1)).unwrap();
    assert!(!s.candidate_dirty());
    edit(&mut s, Who::Session(1), Target::Candidate, "again").unwrap();
    assert_eq!(s.commit(1, &CommitRequest::default()).unwrap(), vec![]);
    assert_eq!(desc(&s.running), "again");
    assert_eq!(s.counters.commits, 1);
    // Validate never touches the candidate.
    edit(&mut s, Who::Session(1), Target::Candidate, "pending").unwrap();
    s.validate(Target::Candidate).unwrap();
    assert_eq!(desc(s.get(Target::Candidate).unwrap()), "pending");
}

#[test]
fn test_only_changes_nothing_and_reports_errors() {
    let mut s = state(DatastoreMode::CandidateAndRunning);
    let c = payload("x");
    let scope = Scope::default().enter(&c);
    s.edit(
        Who::Session(1),
        Target::Candidate,
        &c,
        &scope,
        Op::Merge,
        TestOption::TestOnly,
        ErrorOption::StopOnError,
    )
    .unwrap();
    assert!(!s.candidate_dirty());
    let bad = Element::parse(br#"<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>1/0/2</name><mtu>1</mtu></GigabitEthernet></interface></native></config>"#).unwrap();
    let errs = s
        .edit(
            Who::Session(1),
            Target::Candidate,
            &bad,
            &scope,
            Op::Merge,
            TestOption::TestOnly,
            ErrorOption::StopOnError,
        )
        .unwrap_err();
    assert_eq!(errs[0].tag, "invalid-value");
}

#[test]
fn locks_are_per_datastore_and_go_with_the_session() {
    let mut s = state(DatastoreMode::CandidateAndRunning);
    s.lock(1, Target::Candidate).unwrap();
    let e = s.lock(2, Target::Candidate).unwrap_err();
    assert_eq!((e.tag, e.info("session-id")), ("lock-denied", Some("1")));
    assert_eq!(s.lock(1, Target::Candidate).unwrap_err().tag, "lock-denied");
    s.lock(2, Target::Running).unwrap();
    let e = edit(&mut s, Who::Session(2), Target::Candidate, "x").unwrap_err();
    assert_eq!((e[0].tag, e[0].info("session-id")), ("in-use", Some("1")));
    assert_eq!(
        s.unlock(2, Target::Candidate).unwrap_err().tag,
        "lock-denied"
    );
    assert_eq!(
        s.unlock(2, Target::Startup).unwrap_err().tag,
        "invalid-value"
    );
    // RESTCONF cannot write a running locked by a session.
    assert_eq!(
        edit(&mut s, Who::Restconf, Target::Running, "x").unwrap_err()[0].tag,
        "in-use"
    );

    edit(&mut s, Who::Session(1), Target::Candidate, "uncommitted").unwrap();
    assert_eq!(s.session_ended(1), vec![]);
    assert!(
        !s.candidate_dirty(),
        "a locked candidate is discarded with its session"
    );
    assert_eq!(s.lock_holder(Target::Candidate), None);
    s.lock(2, Target::Candidate).unwrap();
    s.unlock(2, Target::Candidate).unwrap();
    assert_eq!(
        s.unlock(2, Target::Candidate).unwrap_err().tag,
        "operation-failed"
    );
}

#[test]
fn dirty_candidate_of_another_session_cannot_be_locked() {
    let mut s = state(DatastoreMode::CandidateAndRunning);
    edit(&mut s, Who::Session(1), Target::Candidate, "mine").unwrap();
    let e = s.lock(2, Target::Candidate).unwrap_err();
    assert_eq!((e.tag, e.info("session-id")), ("lock-denied", Some("1")));
    s.lock(1, Target::Candidate).unwrap();
}

#[test]
fn phantom_lock() {
    let mut s = state(DatastoreMode::CandidateAndRunning);
    s.set_phantom_lock(Target::Candidate, Some(0));
    let e = s.lock(1, Target::Candidate).unwrap_err();
    assert_eq!(e.info("session-id"), Some("0"));
    s.set_phantom_lock(Target::Candidate, None);
    s.lock(1, Target::Candidate).unwrap();
}

#[test]
fn confirmed_commit_times_out_and_rolls_back() {
    let mut s = state(DatastoreMode::CandidateAndRunning);
    edit(&mut s, Who::Session(1), Target::Candidate, "trial").unwrap();
    let fx = s
        .commit(
            1,
            &CommitRequest {
                confirmed: true,
                confirm_timeout: Some(2),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        fx,
        vec![Effect::ArmConfirm {
            generation: 1,
            after: Duration::from_secs(2)
        }]
    );
    assert_eq!(desc(&s.running), "trial");
    assert!(!s.confirm_timeout(99), "a stale timer does nothing");
    assert!(s.confirm_timeout(1));
    assert_eq!(desc(&s.running), SEED_DESC);
    assert_eq!(desc(s.get(Target::Candidate).unwrap()), SEED_DESC);
    assert_eq!(s.counters.rollbacks, 1);
    assert!(s.pending().is_none());
}

#[test]
fn confirming_commit_and_extension() {
    let mut s = state(DatastoreMode::CandidateAndRunning);
    edit(&mut s, Who::Session(1), Target::Candidate, "one").unwrap();
    s.commit(
        1,
        &CommitRequest {
            confirmed: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(s.pending().unwrap().timeout_secs, DEFAULT_CONFIRM_TIMEOUT);
    // Another session may not confirm a non-persisted commit.
    assert_eq!(
        s.commit(2, &CommitRequest::default()).unwrap_err().tag,
        "in-use"
    );
    edit(&mut s, Who::Session(1), Target::Candidate, "two").unwrap();
    let fx = s
        .commit(
            1,
            &CommitRequest {
                confirmed: true,
                confirm_timeout: Some(30),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(matches!(fx[0], Effect::ArmConfirm { generation: 2, .. }));
    assert!(!s.confirm_timeout(1), "the first timer is superseded");
    assert_eq!(
        s.commit(1, &CommitRequest::default()).unwrap(),
        vec![Effect::DisarmConfirm]
    );
    assert_eq!(desc(&s.running), "two");
    assert!(!s.confirm_timeout(2));
    assert_eq!(s.counters.confirmations, 1);
}

#[test]
fn extension_rolls_back_to_the_first_point() {
    let mut s = state(DatastoreMode::CandidateAndRunning);
    edit(&mut s, Who::Session(1), Target::Candidate, "one").unwrap();
    s.commit(
        1,
        &CommitRequest {
            confirmed: true,
            ..Default::default()
        },
    )
    .unwrap();
    edit(&mut s, Who::Session(1), Target::Candidate, "two").unwrap();
    s.commit(
        1,
        &CommitRequest {
            confirmed: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(s.confirm_timeout(2));
    assert_eq!(desc(&s.running), SEED_DESC);
}

#[test]
fn persist_survives_the_session_and_needs_its_token() {
    let mut s = state(DatastoreMode::CandidateAndRunning);
    edit(&mut s, Who::Session(1), Target::Candidate, "kept").unwrap();
    let req = CommitRequest {
        confirmed: true,
        persist: Some("tok".into()),
        ..Default::default()
    };
    s.commit(1, &req).unwrap();
    assert_eq!(s.session_ended(1), vec![]);
    assert_eq!(desc(&s.running), "kept");
    assert_eq!(
        s.commit(2, &CommitRequest::default()).unwrap_err().tag,
        "invalid-value"
    );
    let wrong = CommitRequest {
        persist_id: Some("nope".into()),
        ..Default::default()
    };
    assert_eq!(s.commit(2, &wrong).unwrap_err().tag, "invalid-value");
    let right = CommitRequest {
        persist_id: Some("tok".into()),
        ..Default::default()
    };
    assert_eq!(s.commit(2, &right).unwrap(), vec![Effect::DisarmConfirm]);
    assert_eq!(desc(&s.running), "kept");
    assert!(s.pending().is_none());
    assert_eq!(s.commit(2, &right).unwrap_err().tag, "invalid-value");
}

#[test]
fn cancel_commit_reverts() {
    let mut s = state(DatastoreMode::CandidateAndRunning);
    assert_eq!(
        s.cancel_commit(1, None).unwrap_err().tag,
        "operation-failed"
    );
    edit(&mut s, Who::Session(1), Target::Candidate, "x").unwrap();
    s.commit(
        1,
        &CommitRequest {
            confirmed: true,
            persist: Some("p".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(s.cancel_commit(2, None).unwrap_err().tag, "invalid-value");
    assert_eq!(
        s.cancel_commit(2, Some("p")).unwrap(),
        vec![Effect::DisarmConfirm]
    );
    assert_eq!(desc(&s.running), SEED_DESC);
    assert_eq!(s.counters.cancelled_commits, 1);

    edit(&mut s, Who::Session(1), Target::Candidate, "y").unwrap();
    s.commit(
        1,
        &CommitRequest {
            confirmed: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(s.cancel_commit(2, None).unwrap_err().tag, "in-use");
    s.cancel_commit(1, None).unwrap();
    assert_eq!(desc(&s.running), SEED_DESC);
}

#[test]
fn losing_the_session_reverts_a_non_persisted_confirmed_commit() {
    let mut s = state(DatastoreMode::CandidateAndRunning);
    edit(&mut s, Who::Session(2), Target::Candidate, "x").unwrap();
    s.commit(
        2,
        &CommitRequest {
            confirmed: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(s.session_ended(1), vec![]);
    assert_eq!(desc(&s.running), "x");
    assert_eq!(s.session_ended(2), vec![Effect::DisarmConfirm]);
    assert_eq!(desc(&s.running), SEED_DESC);
    assert_eq!(s.session_ended(2), vec![], "ending twice is harmless");
}

#[test]
fn running_only_mode() {
    let mut s = state(DatastoreMode::RunningOnly);
    assert_eq!(s.get(Target::Candidate).unwrap_err().tag, "invalid-value");
    assert_eq!(
        edit(&mut s, Who::Session(1), Target::Candidate, "x").unwrap_err()[0].tag,
        "invalid-value"
    );
    assert_eq!(
        s.commit(1, &CommitRequest::default()).unwrap_err().tag,
        "operation-not-supported"
    );
    assert_eq!(
        s.discard_changes(Who::Session(1)).unwrap_err().tag,
        "operation-not-supported"
    );
    edit(&mut s, Who::Session(1), Target::Running, "direct").unwrap();
    assert_eq!(desc(&s.running), "direct");
    s.save_config();
    assert_eq!(s.startup, s.running);
    assert_eq!(s.counters.saves, 1);

    let mut c = state(DatastoreMode::CandidateOnly);
    assert_eq!(
        edit(&mut c, Who::Session(1), Target::Running, "x").unwrap_err()[0].tag,
        "operation-not-supported"
    );
}

#[test]
fn running_writes_carry_a_clean_candidate_along() {
    let mut s = state(DatastoreMode::CandidateAndRunning);
    edit(&mut s, Who::Restconf, Target::Running, "rest").unwrap();
    assert_eq!(desc(s.get(Target::Candidate).unwrap()), "rest");
    assert!(!s.candidate_dirty());
}

#[test]
fn reset_keeps_sessions() {
    let mut s = state(DatastoreMode::CandidateAndRunning);
    s.lock(1, Target::Running).unwrap();
    edit(&mut s, Who::Session(1), Target::Running, "x").unwrap();
    s.reset(seed_c9300("c9300"));
    assert_eq!(s.lock_holder(Target::Running), None);
    assert_eq!(desc(&s.running), SEED_DESC);
    assert!(s.is_active(1) && s.is_active(2));
}
