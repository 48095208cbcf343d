use super::*;
use crate::device::apply::ApplyReport;
use crate::device::change::{validate, ChangeReason, Field, InterfaceChange, Rules, VlanList};
use crate::device::diff::diff;
use crate::device::{InterfaceConfig, Profile, Protocol};

const HOSTILE: &str = "*bold* _it_ `code` [link](http://x) <script>alert(1)</script> | # ~ \u{7}";

fn subject() -> Subject<'static> {
    Subject {
        device: "c9300",
        interface: "GigabitEthernet1/0/2",
        ticket: "CHG-1",
    }
}

/// No markdown or HTML from outside text survives: every special character is escaped.
fn assert_inert(md: &str) {
    assert!(!md.contains("<script>"), "{md}");
    assert!(!md.contains("[link]"), "{md}");
    assert!(!md.contains("*bold*"), "{md}");
    assert!(!md.contains('\u{7}'), "{md}");
    assert!(md.contains("&lt;script&gt;"), "{md}");
}

fn valid(description: &str) -> ValidChange {
    validate(
        &InterfaceChange {
            device: "c9300".into(),
            interface: "GigabitEthernet1/0/2".into(),
            description: Some(Edit::Set(description.into())),
            enabled: Some(false),
            mtu: Some(Edit::Remove),
            mode: Some(ModeChange::Trunk {
                native: Some(10),
                allowed: VlanList::new("20,100"),
            }),
            ipv4: None,
            reason: ChangeReason::Ticket {
                number: "CHG-1".into(),
            },
        },
        &Rules {
            profile: Profile::Iosxe,
            protected: &[],
        },
    )
    .unwrap()
}

fn report(outcome: fn(crate::device::diff::Diff) -> Outcome, after_desc: &str) -> ApplyReport {
    let before = InterfaceConfig {
        name: "GigabitEthernet1/0/2".into(),
        ..Default::default()
    };
    let after = InterfaceConfig {
        description: Some(after_desc.into()),
        ..before.clone()
    };
    ApplyReport {
        device: "c9300".into(),
        interface: "GigabitEthernet1/0/2".into(),
        protocol: Protocol::Netconf,
        profile: Profile::Iosxe,
        reason: ChangeReason::Ticket {
            number: "CHG-1".into(),
        },
        before: before.clone(),
        after: Some(after.clone()),
        outcome: outcome(diff(&before, &after)),
        warnings: vec![],
        steps: vec![],
    }
}

#[test]
fn received_names_device_interface_ticket_and_editor() {
    let md = received(&subject(), Some("alice"));
    assert!(
        md.contains("**GigabitEthernet1/0/2** on **c9300** (ticket **CHG-1**)"),
        "{md}"
    );
    assert!(md.ends_with(", edited by alice"), "{md}");
    assert!(!received(&subject(), None).contains("edited by"));
    assert!(!received(&subject(), Some("  ")).contains("edited by"));
    assert_inert(&received(&subject(), Some(HOSTILE)));
    let s = Subject {
        device: HOSTILE,
        interface: HOSTILE,
        ticket: HOSTILE,
    };
    assert_inert(&received(&s, None));
}

#[test]
fn configuring_lists_what_will_be_set() {
    let md = configuring(&subject(), &valid("printer ##ticket:CHG-1##"));
    assert!(md.contains("configuring the device"), "{md}");
    assert!(
        md.contains("- description: “printer \\#\\#ticket:CHG-1\\#\\#”"),
        "{md}"
    );
    assert!(md.contains("- disabled (shutdown)"), "{md}");
    assert!(md.contains("- MTU: the device default (no mtu)"), "{md}");
    assert!(
        md.contains("- trunk carrying VLANs 20,100, native VLAN 10"),
        "{md}"
    );
    assert_inert(&configuring(
        &subject(),
        &valid(&HOSTILE.replace('\u{7}', "")),
    ));
}

#[test]
fn invalid_lists_every_reason_and_how_to_retry() {
    let problems = vec![
        Problem {
            field: Field::Mtu,
            message: "MTU 100 is out of range for IOS-XE devices (1500–9216)".into(),
        },
        Problem {
            field: Field::Mode,
            message: "VLAN 999 is not defined at site lab: add it to the site in NetBox or pick one of the site's VLANs".into(),
        },
        Problem {
            field: Field::Description,
            message: HOSTILE.into(),
        },
    ];
    let md = invalid(&subject(), &problems);
    assert!(
        md.contains("not valid; nothing was sent to the device"),
        "{md}"
    );
    assert!(md.contains("- mtu: MTU 100 is out of range"), "{md}");
    assert!(
        md.contains("- mode: VLAN 999 is not defined at site lab"),
        "{md}"
    );
    assert!(
        md.ends_with("Fix it in NetBox and set the ticket number again."),
        "{md}"
    );
    assert_inert(&md);
    let many: Vec<Problem> = (0..50)
        .map(|n| Problem {
            field: Field::Mode,
            message: format!("p{n}"),
        })
        .collect();
    let md = invalid(&subject(), &many);
    assert!(md.contains("… and 30 more"), "{md}");
    assert_inert(&invalid_device(&subject(), HOSTILE));
}

#[test]
fn finished_is_configured_only_when_applied() {
    let ok = finished(&subject(), &report(|diff| Outcome::Applied { diff }, "x"));
    assert!(
        ok.starts_with("🟢 Device configured for ticket **CHG-1**"),
        "{ok}"
    );
    assert!(ok.contains("applied and verified"), "{ok}");
    let unknown = finished(
        &subject(),
        &report(
            |diff_attempted| Outcome::OutcomeUnknown {
                detail: "connection lost after commit".into(),
                diff_attempted,
            },
            "x",
        ),
    );
    assert!(
        unknown.starts_with("🔴 The device was not configured"),
        "{unknown}"
    );
    assert!(unknown.contains("OUTCOME UNKNOWN"), "{unknown}");
    let rolled = finished(
        &subject(),
        &report(
            |diff_attempted| Outcome::RolledBack {
                reason: HOSTILE.into(),
                diff_attempted,
            },
            HOSTILE,
        ),
    );
    assert!(rolled.contains("rolled back"), "{rolled}");
    assert_inert(&rolled);
}

#[test]
fn failed_carries_the_apply_error() {
    let busy = ApplyError::Busy {
        device: "c9300".into(),
        held_by: Some(7),
    };
    let md = failed(&subject(), &busy);
    assert!(
        md.contains("c9300 is busy: its configuration is locked by NETCONF session 7"),
        "{md}"
    );
    assert!(
        md.contains("Set the ticket number again in NetBox to retry."),
        "{md}"
    );
    let interrupted = ApplyError::Interrupted {
        device: "c9300".into(),
        detail: HOSTILE.into(),
    };
    assert_inert(&failed(&subject(), &interrupted));
}

/// Regression: a worker that stopped at an unknown point was reported as "nothing was committed".
#[test]
fn a_stopped_worker_is_an_unknown_outcome_not_a_clean_failure() {
    let stopped = ApplyError::OutcomeUnknown {
        device: "c9300".into(),
        detail: "the NETCONF worker stopped: task panicked".into(),
    };
    assert!(stopped.may_have_changed());
    let md = failed(&subject(), &stopped);
    assert!(md.contains("OUTCOME UNKNOWN"), "{md}");
    assert!(md.contains("may or may not have been changed"), "{md}");
    assert!(md.contains("Check the device"), "{md}");
    assert!(!md.contains("nothing was committed"), "{md}");
    assert!(!md.contains("was not configured"), "{md}");
    let clean = ApplyError::Interrupted {
        device: "c9300".into(),
        detail: "edit-config candidate: the connection was lost".into(),
    };
    assert!(!clean.may_have_changed());
    assert!(failed(&subject(), &clean).contains("nothing was committed"));
}

#[test]
fn escape_bounds_long_text() {
    let long = "a".repeat(2000);
    let e = escape(&long);
    assert!(e.chars().count() <= 401);
    assert!(e.ends_with('…'));
    assert_eq!(escape("Gi1/0/2 printer-3F"), "Gi1/0/2 printer-3F");
}
