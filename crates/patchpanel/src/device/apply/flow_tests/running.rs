//! Running-only devices (no :candidate): edit running, verify, restore the snapshot on a mismatch.

use super::*;

#[test]
fn running_only_device_edits_running_with_rollback_on_error() {
    let mut fake = Fake::new(running_caps(true)).reads(&[BEFORE, AFTER]);
    let r = go(&mut fake, &change(), &ApplyOptions::default()).unwrap();
    assert!(matches!(r.outcome, Outcome::Applied { .. }));
    assert_eq!(
        fake.calls,
        [
            "get-config running",
            "lock running",
            "edit-config running rollback-on-error",
            "get-config running",
            "save-config",
            "unlock running"
        ]
    );
}

#[test]
fn running_only_mismatch_restores_the_snapshot() {
    let mut fake = Fake::new(running_caps(true)).reads(&[
        BEFORE,
        "<description>uplink ##ticket:1234##</description><mtu>1500</mtu>",
        BEFORE,
    ]);
    let r = go(&mut fake, &change(), &ApplyOptions::default()).unwrap();
    let Outcome::RolledBack { reason, .. } = &r.outcome else {
        panic!("{:?}", r.outcome)
    };
    assert_eq!(reason, "verification failed: MTU is 1500, expected 9000");
    assert_eq!(fake.calls[4], "edit-config running rollback-on-error");
    let restore = &fake.edits[1];
    assert!(restore.contains("nc:operation=\"replace\""), "{restore}");
    assert!(restore.contains("<name>1/0/2</name><description>old</description>"));
}

#[test]
fn running_only_partial_rejection_without_rollback_on_error_is_undone() {
    let mut fake = Fake::new(running_caps(false))
        .reads(&[
            BEFORE,
            "<description>uplink ##ticket:1234##</description>",
            BEFORE,
        ])
        .fail("edit-config running", rpc_error("invalid-value", "bad mtu"));
    let r = go(&mut fake, &change(), &ApplyOptions::default()).unwrap();
    let Outcome::RolledBack { reason, .. } = &r.outcome else {
        panic!("{:?}", r.outcome)
    };
    assert_eq!(
        reason,
        "the device refused part of the change: application/invalid-value: bad mtu"
    );
    assert_eq!(fake.calls[2], "edit-config running");

    // Refused and untouched: plain rejection.
    let mut fake = Fake::new(running_caps(false))
        .reads(&[BEFORE, BEFORE])
        .fail("edit-config running", rpc_error("invalid-value", "bad mtu"));
    let r = go(&mut fake, &change(), &ApplyOptions::default()).unwrap();
    assert!(matches!(r.outcome, Outcome::Rejected { .. }));
}
