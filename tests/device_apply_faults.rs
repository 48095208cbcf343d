//! `Applier::apply` over NETCONF against a misbehaving device simulator: a device that drops a value
//! (candidate: cancel-commit; running-only: snapshot restore), a connection lost after the commit, a
//! lock held by someone else.
//!
//! Uses the simulator's fault switches and datastore modes and the NETCONF session
//! API.

#[path = "reads/mod.rs"]
mod reads;

mod device_sim_fixture;

use device_sim_fixture::SimDevice as Fixture;
use patchpanel::device::apply::{Applier, ApplyError, ApplyOptions, Outcome};
use patchpanel::device::change::{ChangeReason, Edit, InterfaceChange};
use patchpanel::device::DeviceReader;
use patchpanel_sim::device::{DatastoreMode, Fault};
use std::time::Duration;

fn applier(f: &Fixture) -> Applier {
    Applier::new(f.netconf_inventory("c9300"), f.settings()).unwrap()
}

/// The interface's description as the device's RESTCONF side reports it (an independent read).
async fn description(f: &Fixture, interface: &str) -> Option<String> {
    reads::interface(
        &DeviceReader::new(f.restconf_inventory("c9300"), f.settings()).unwrap(),
        "c9300",
        interface,
    )
    .await
    .unwrap()
    .data
    .config
    .description
}

fn change() -> InterfaceChange {
    InterfaceChange {
        device: "c9300".into(),
        interface: "Gi1/0/2".into(),
        description: Some(Edit::Set("uplink ##ticket:7##".into())),
        enabled: None,
        mtu: Some(Edit::Set(9000)),
        mode: None,
        ipv4: None,
        reason: ChangeReason::Ticket { number: "7".into() },
    }
}

#[tokio::test]
async fn ignored_value_on_a_candidate_device_is_cancelled() {
    let f = Fixture::start_in(DatastoreMode::CandidateAndRunning).await;
    f.sim
        .inject(Fault::IgnoreLeaf { leaf: "mtu".into() })
        .unwrap();
    let before = f.sim.running_config();
    let r = applier(&f).apply(&change(), &[]).await.unwrap();
    let Outcome::RolledBack { reason, .. } = &r.outcome else {
        panic!("{:?} after {:?}", r.outcome, r.steps)
    };
    assert!(reason.starts_with("verification failed: MTU"), "{reason}");
    assert!(r.steps.iter().any(|s| s == "cancel-commit"));
    assert_eq!(f.sim.running_config(), before);
    let state = f.sim.state();
    assert_eq!(state.confirmed_commit, None);
    assert_eq!(state.counters.cancelled_commits, 1);
    assert_eq!(state.counters.saves, 0);
    assert!(state.locks.is_empty());
}

#[tokio::test]
async fn ignored_value_on_a_running_only_device_is_restored_from_the_snapshot() {
    let f = Fixture::start_in(DatastoreMode::RunningOnly).await;
    f.sim
        .inject(Fault::IgnoreLeaf { leaf: "mtu".into() })
        .unwrap();
    let before = f.sim.running_config();
    let r = applier(&f).apply(&change(), &[]).await.unwrap();
    let Outcome::RolledBack { reason, .. } = &r.outcome else {
        panic!("{:?} after {:?}", r.outcome, r.steps)
    };
    assert_eq!(reason, "verification failed: MTU is unset, expected 9000");
    assert!(r
        .steps
        .iter()
        .any(|s| s == "edit-config running (restore snapshot)"));
    assert_eq!(f.sim.running_config(), before);
    assert_eq!(f.sim.state().counters.saves, 0);
}

#[tokio::test]
async fn a_device_that_keeps_mangling_the_value_is_outcome_unknown() {
    let f = Fixture::start_in(DatastoreMode::RunningOnly).await;
    // Every description write is cut, the restore's too: the bot must not claim a clean rollback.
    f.sim
        .inject(Fault::TruncateDescription { max_len: 5 })
        .unwrap();
    let r = applier(&f).apply(&change(), &[]).await.unwrap();
    let Outcome::OutcomeUnknown { detail, .. } = &r.outcome else {
        panic!("{:?} after {:?}", r.outcome, r.steps)
    };
    assert!(
        detail.starts_with(
            "verification failed: description is `uplin`, expected `uplink ##ticket:7##`"
        ),
        "{detail}"
    );
    assert!(
        detail.contains("after the rollback the interface still differs from before"),
        "{detail}"
    );
}

#[tokio::test]
async fn running_only_device_is_written_directly_and_saved() {
    let f = Fixture::start_in(DatastoreMode::RunningOnly).await;
    let r = applier(&f).apply(&change(), &[]).await.unwrap();
    assert!(
        matches!(r.outcome, Outcome::Applied { .. }),
        "{:?}",
        r.outcome
    );
    assert_eq!(
        r.steps,
        [
            "get-config running",
            "lock running",
            "edit-config running",
            "get-config running",
            "save-config",
            "unlock running"
        ]
    );
    assert_eq!(f.sim.state().counters.saves, 1);
}

#[tokio::test]
async fn connection_lost_after_commit_is_outcome_unknown_and_left_to_the_device() {
    let f = Fixture::start_in(DatastoreMode::CandidateAndRunning).await;
    f.sim.inject(Fault::DropAfterCommit).unwrap();
    let applier = applier(&f)
        .with_options(ApplyOptions {
            confirm_timeout: Duration::from_secs(2),
            ..ApplyOptions::default()
        })
        .unwrap();
    let r = applier.apply(&change(), &[]).await.unwrap();
    let Outcome::OutcomeUnknown { detail, .. } = &r.outcome else {
        panic!("{:?} after {:?}", r.outcome, r.steps)
    };
    assert!(detail.contains("rolls it back by itself"), "{detail}");
    // The commit landed unconfirmed: the device holds it pending its own rollback…
    let pending = f
        .sim
        .state()
        .confirmed_commit
        .expect("a pending confirmed commit");
    assert_eq!(pending.timeout_secs, 2);
    assert!(pending.persist.is_some());
    assert_eq!(
        description(&f, "GigabitEthernet1/0/2").await.as_deref(),
        Some("uplink ##ticket:7##")
    );
    // …and rolls it back by itself when nobody confirms it: from here the clock is virtual, so the
    // device's 2 s timer passes as soon as nothing else is left to do.
    tokio::time::pause();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while f.sim.state().confirmed_commit.is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "the device never rolled back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(f.sim.state().counters.rollbacks, 1);
    assert_eq!(
        description(&f, "GigabitEthernet1/0/2").await.as_deref(),
        Some("Floor 2 printer")
    );
}

#[tokio::test]
async fn a_lock_held_elsewhere_means_busy_and_nothing_is_written() {
    let f = Fixture::start_in(DatastoreMode::CandidateAndRunning).await;
    f.sim
        .inject(Fault::PhantomLock {
            datastore: None,
            session_id: 0,
        })
        .unwrap();
    let before = f.sim.running_config();
    match applier(&f).apply(&change(), &[]).await {
        Err(ApplyError::Busy { held_by, .. }) => assert_eq!(held_by, Some(0)),
        other => panic!("{other:?}"),
    }
    assert_eq!(f.sim.running_config(), before);
    assert_eq!(f.sim.state().counters.edits, 0);
}
