//! The NETCONF apply procedure against a scripted session: exact operation order per branch.

use super::netconf_flow::{run, Input};
use super::ops::{CommitRequest, DeviceCaps, EditOpts, NcFailure, NetconfOps, Store};
use super::{ApplyError, ApplyOptions, Outcome};
use crate::device::change::{ChangeReason, Edit, InterfaceChange, ModeChange};
use crate::device::inventory::{Device, Profile};
use crate::device::RpcErrorInfo;
use std::collections::VecDeque;

mod running;

const PERSIST: &str = "patchpanel-test";

struct Fake {
    caps: DeviceCaps,
    reads: VecDeque<Result<String, NcFailure>>,
    /// The first call whose log line starts with the prefix fails with the error (once).
    failures: Vec<(&'static str, NcFailure)>,
    calls: Vec<String>,
    edits: Vec<String>,
}

impl Fake {
    fn new(caps: DeviceCaps) -> Self {
        Fake {
            caps,
            reads: VecDeque::new(),
            failures: Vec::new(),
            calls: Vec::new(),
            edits: Vec::new(),
        }
    }

    fn reads(mut self, entries: &[&str]) -> Self {
        self.reads
            .extend(entries.iter().map(|inner| Ok(data(inner))));
        self
    }

    fn fail(mut self, prefix: &'static str, e: NcFailure) -> Self {
        self.failures.push((prefix, e));
        self
    }

    fn log(&mut self, line: String) -> Result<(), NcFailure> {
        let hit = self.failures.iter().position(|(p, _)| line.starts_with(p));
        self.calls.push(line);
        match hit {
            Some(i) => Err(self.failures.remove(i).1),
            None => Ok(()),
        }
    }
}

impl NetconfOps for Fake {
    fn caps(&self) -> &DeviceCaps {
        &self.caps
    }
    fn get_config(&mut self, source: Store, filter: &[u8]) -> Result<Vec<u8>, NcFailure> {
        assert!(String::from_utf8_lossy(filter).contains("1/0/2</name>"));
        self.log(format!("get-config {}", source.word()))?;
        self.reads
            .pop_front()
            .unwrap_or_else(|| Err(NcFailure::Other("no scripted read left".into())))
            .map(String::into_bytes)
    }
    fn edit_config(
        &mut self,
        target: Store,
        config: &[u8],
        opts: EditOpts,
    ) -> Result<(), NcFailure> {
        self.edits
            .push(String::from_utf8_lossy(config).into_owned());
        let roe = if opts.rollback_on_error {
            " rollback-on-error"
        } else {
            ""
        };
        self.log(format!("edit-config {}{roe}", target.word()))
    }
    fn lock(&mut self, target: Store) -> Result<(), NcFailure> {
        self.log(format!("lock {}", target.word()))
    }
    fn unlock(&mut self, target: Store) -> Result<(), NcFailure> {
        self.log(format!("unlock {}", target.word()))
    }
    fn validate(&mut self, source: Store) -> Result<(), NcFailure> {
        self.log(format!("validate {}", source.word()))
    }
    fn commit(&mut self, request: &CommitRequest) -> Result<(), NcFailure> {
        self.log(match request {
            CommitRequest::Plain => "commit".into(),
            CommitRequest::Confirmed {
                timeout_secs,
                persist,
            } => format!("commit confirmed {timeout_secs} {persist}"),
            CommitRequest::Confirm { persist_id } => format!("commit confirm {persist_id}"),
        })
    }
    fn cancel_commit(&mut self, persist_id: &str) -> Result<(), NcFailure> {
        self.log(format!("cancel-commit {persist_id}"))
    }
    fn discard_changes(&mut self) -> Result<(), NcFailure> {
        self.log("discard-changes".into())
    }
    fn save_config(&mut self) -> Result<(), NcFailure> {
        self.log("save-config".into())
    }
    fn close(self: Box<Self>) {}
}

fn data(inner: &str) -> String {
    format!(
        r#"<data xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>1/0/2</name>{inner}</GigabitEthernet></interface></native></data>"#
    )
}

fn uris() -> Vec<String> {
    vec!["http://cisco.com/ns/yang/Cisco-IOS-XE-native?module=Cisco-IOS-XE-native&revision=2023-07-01".into()]
}

fn candidate_caps() -> DeviceCaps {
    DeviceCaps {
        uris: uris(),
        base_1_1: true,
        candidate: true,
        confirmed_commit_1_1: true,
        validate: true,
        rollback_on_error: true,
        writable_running: false,
        startup: false,
    }
}

fn running_caps(rollback_on_error: bool) -> DeviceCaps {
    DeviceCaps {
        candidate: false,
        confirmed_commit_1_1: false,
        writable_running: true,
        rollback_on_error,
        ..candidate_caps()
    }
}

fn device() -> Device {
    Device {
        name: "sw1".into(),
        host: "192.0.2.10".into(),
        netconf_port: Some(830),
        restconf_url: None,
        profile: None,
    }
}

fn change() -> InterfaceChange {
    InterfaceChange {
        device: "sw1".into(),
        interface: "Gi1/0/2".into(),
        description: Some(Edit::Set("uplink ##ticket:1234##".into())),
        enabled: None,
        mtu: Some(Edit::Set(9000)),
        mode: None,
        ipv4: None,
        reason: ChangeReason::Ticket {
            number: "1234".into(),
        },
    }
}

const BEFORE: &str = "<description>old</description>";
const AFTER: &str = "<description>uplink ##ticket:1234##</description><mtu>9000</mtu>";

fn go(
    fake: &mut Fake,
    c: &InterfaceChange,
    options: &ApplyOptions,
) -> Result<super::ApplyReport, ApplyError> {
    let device = device();
    // Validated once, as the applier does: for the profile the device is known to speak, IOS-XE
    // when it is not known; the flow takes it for the profile the device turns out to speak.
    let rules = crate::device::change::Rules {
        profile: device.profile.unwrap_or(Profile::Iosxe),
        protected: &[],
    };
    let valid = crate::device::change::validate(c, &rules)?;
    run(
        fake,
        &Input {
            device: &device,
            change: &valid,
            options,
            persist_id: PERSIST,
        },
    )
}

fn rpc_error(tag: &str, message: &str) -> NcFailure {
    NcFailure::Rejected(vec![RpcErrorInfo {
        error_type: Some("application".into()),
        tag: Some(tag.into()),
        message: Some(message.into()),
        ..RpcErrorInfo::default()
    }])
}

#[test]
fn candidate_happy_path_confirms_saves_and_unlocks() {
    let mut fake = Fake::new(candidate_caps()).reads(&[BEFORE, AFTER]);
    let r = go(&mut fake, &change(), &ApplyOptions::default()).unwrap();
    assert_eq!(
        fake.calls,
        [
            "get-config running",
            "lock candidate",
            "discard-changes",
            "edit-config candidate",
            "commit confirmed 60 patchpanel-test",
            "get-config running",
            "commit confirm patchpanel-test",
            "save-config",
            "unlock candidate",
        ]
    );
    assert_eq!(r.profile, Profile::Iosxe);
    assert_eq!(r.steps.len(), fake.calls.len());
    assert_eq!(r.steps[4], "commit (confirmed)");
    assert_eq!(r.steps[6], "commit (confirming)");
    let Outcome::Applied { diff } = &r.outcome else {
        panic!("{:?}", r.outcome)
    };
    assert_eq!(
        crate::render::diff_lines(diff),
        [
            "- **description**: old → uplink \\#\\#ticket:1234\\#\\#",
            "- **mtu**: — → 9000"
        ]
    );
    assert_eq!(r.after.unwrap().mtu, Some(9000));
    assert!(r.warnings.is_empty());
    assert!(fake.edits[0].contains("<mtu>9000</mtu>"));
}

#[test]
fn verification_mismatch_cancels_the_confirmed_commit() {
    // The device took the description but not the MTU.
    let mut fake = Fake::new(candidate_caps()).reads(&[
        BEFORE,
        "<description>uplink ##ticket:1234##</description>",
        BEFORE,
    ]);
    let r = go(&mut fake, &change(), &ApplyOptions::default()).unwrap();
    let Outcome::RolledBack {
        reason,
        diff_attempted,
    } = &r.outcome
    else {
        panic!("{:?}", r.outcome)
    };
    assert_eq!(reason, "verification failed: MTU is unset, expected 9000");
    assert_eq!(diff_attempted.changes.len(), 2);
    assert_eq!(
        fake.calls[4..],
        [
            "commit confirmed 60 patchpanel-test",
            "get-config running",
            "cancel-commit patchpanel-test",
            "discard-changes",
            "get-config running",
            "unlock candidate",
        ]
    );
    assert_eq!(r.after.unwrap().description.as_deref(), Some("old"));
}

#[test]
fn rollback_that_does_not_restore_is_outcome_unknown() {
    let mut fake = Fake::new(candidate_caps()).reads(&[
        BEFORE,
        "<description>x</description>",
        "<description>x</description>",
    ]);
    let r = go(&mut fake, &change(), &ApplyOptions::default()).unwrap();
    let Outcome::OutcomeUnknown { detail, .. } = &r.outcome else {
        panic!("{:?}", r.outcome)
    };
    assert!(detail.contains("still differs from before"), "{detail}");
}

#[test]
fn connection_lost_after_commit_is_outcome_unknown() {
    let mut fake = Fake::new(candidate_caps()).reads(&[BEFORE]).fail(
        "commit confirmed",
        NcFailure::ConnectionLost {
            during: "commit".into(),
        },
    );
    let r = go(&mut fake, &change(), &ApplyOptions::default()).unwrap();
    let Outcome::OutcomeUnknown { detail, .. } = &r.outcome else {
        panic!("{:?}", r.outcome)
    };
    assert!(
        detail.contains("rolls it back by itself within 60 s"),
        "{detail}"
    );
    // Nothing is attempted on a dead session.
    assert_eq!(
        fake.calls.last().map(String::as_str),
        Some("commit confirmed 60 patchpanel-test")
    );
    assert_eq!(r.after, None);
}

#[test]
fn read_back_failure_after_commit_is_outcome_unknown() {
    let mut fake = Fake::new(candidate_caps()).reads(&[BEFORE]);
    fake.reads.push_back(Err(NcFailure::Timeout {
        during: "get-config".into(),
    }));
    let r = go(&mut fake, &change(), &ApplyOptions::default()).unwrap();
    let Outcome::OutcomeUnknown { detail, .. } = &r.outcome else {
        panic!("{:?}", r.outcome)
    };
    assert!(detail.contains("could not be read back"), "{detail}");
    // A timed-out session is closed by the client: nothing more is sent, the confirm never happens,
    // so the device rolls the change back by itself.
    assert_eq!(
        fake.calls.last().map(String::as_str),
        Some("get-config running")
    );
    assert!(!fake.calls.iter().any(|c| c.starts_with("commit confirm ")));
}

#[test]
fn refused_edit_is_rejected_with_the_device_words() {
    let mut fake = Fake::new(candidate_caps()).reads(&[BEFORE]).fail(
        "edit-config",
        rpc_error("invalid-value", "value not in range"),
    );
    let r = go(&mut fake, &change(), &ApplyOptions::default()).unwrap();
    assert_eq!(
        r.outcome,
        Outcome::Rejected {
            device_words: "application/invalid-value: value not in range".into(),
            diff_attempted: r.outcome.diff().clone(),
        }
    );
    assert_eq!(
        fake.calls[3..],
        [
            "edit-config candidate",
            "discard-changes",
            "unlock candidate"
        ]
    );
}

#[test]
fn refused_commit_is_rejected_and_discarded() {
    let mut fake = Fake::new(candidate_caps()).reads(&[BEFORE]).fail(
        "commit confirmed",
        rpc_error("operation-failed", "commit failed"),
    );
    let r = go(&mut fake, &change(), &ApplyOptions::default()).unwrap();
    assert!(matches!(r.outcome, Outcome::Rejected { .. }));
    assert_eq!(fake.calls[5..], ["discard-changes", "unlock candidate"]);
}

#[test]
fn a_held_lock_means_busy() {
    let mut fake = Fake::new(candidate_caps())
        .reads(&[BEFORE])
        .fail("lock candidate", NcFailure::LockDenied { held_by: Some(7) });
    match go(&mut fake, &change(), &ApplyOptions::default()) {
        Err(ApplyError::Busy { device, held_by }) => {
            assert_eq!(device, "sw1");
            assert_eq!(held_by, Some(7));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.calls, ["get-config running", "lock candidate"]);
}

#[test]
fn connection_lost_before_commit_changes_nothing() {
    let mut fake = Fake::new(candidate_caps()).reads(&[BEFORE]).fail(
        "edit-config",
        NcFailure::ConnectionLost {
            during: "edit-config".into(),
        },
    );
    match go(&mut fake, &change(), &ApplyOptions::default()) {
        Err(ApplyError::Interrupted { detail, .. }) => {
            assert!(
                detail.starts_with("edit-config candidate: the connection was lost"),
                "{detail}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        fake.calls.last().map(String::as_str),
        Some("edit-config candidate")
    );
}

#[test]
fn validate_is_opt_in() {
    let mut fake = Fake::new(candidate_caps()).reads(&[BEFORE, AFTER]);
    go(&mut fake, &change(), &ApplyOptions::default()).unwrap();
    assert!(!fake.calls.iter().any(|c| c.starts_with("validate")));

    let opts = ApplyOptions {
        validate_before_commit: true,
        lock_running: true,
        ..ApplyOptions::default()
    };
    let mut fake = Fake::new(candidate_caps()).reads(&[BEFORE, AFTER]);
    let r = go(&mut fake, &change(), &opts).unwrap();
    assert!(matches!(r.outcome, Outcome::Applied { .. }));
    assert_eq!(
        fake.calls[1..6],
        [
            "lock candidate",
            "lock running",
            "discard-changes",
            "edit-config candidate",
            "validate candidate"
        ]
    );
    assert_eq!(
        fake.calls[fake.calls.len() - 2..],
        ["unlock running", "unlock candidate"]
    );

    // The netconfd quirk (docs/netconf.md §5.6, item 3): validate → commit drops the candidate,
    // running is unchanged.
    let mut fake = Fake::new(candidate_caps()).reads(&[BEFORE, BEFORE, BEFORE]);
    let r = go(&mut fake, &change(), &opts).unwrap();
    assert!(
        matches!(r.outcome, Outcome::RolledBack { .. }),
        "{:?}",
        r.outcome
    );
}

#[test]
fn plain_commit_without_confirmed_commit_restores_through_the_candidate() {
    let caps = DeviceCaps {
        confirmed_commit_1_1: false,
        ..candidate_caps()
    };
    let mut fake = Fake::new(caps).reads(&[BEFORE, "<description>x</description>", BEFORE]);
    let r = go(&mut fake, &change(), &ApplyOptions::default()).unwrap();
    assert!(
        matches!(r.outcome, Outcome::RolledBack { .. }),
        "{:?}",
        r.outcome
    );
    assert_eq!(
        fake.calls[4..],
        [
            "commit",
            "get-config running",
            "edit-config candidate",
            "commit",
            "get-config running",
            "unlock candidate"
        ]
    );
    assert!(fake.edits[1].contains("operation=\"replace\""));
    assert!(fake.edits[1].contains("<description>old</description>"));
}

#[test]
fn save_config_failure_is_a_warning() {
    let mut fake = Fake::new(candidate_caps())
        .reads(&[BEFORE, AFTER])
        .fail("save-config", rpc_error("operation-not-supported", "no"));
    let r = go(&mut fake, &change(), &ApplyOptions::default()).unwrap();
    assert!(matches!(r.outcome, Outcome::Applied { .. }));
    assert_eq!(r.warnings.len(), 1);
    assert!(r.warnings[0].starts_with("the change is in running-config but was not saved"));
}

#[test]
fn nothing_to_do_writes_nothing() {
    let mut fake = Fake::new(candidate_caps()).reads(&[AFTER]);
    let r = go(&mut fake, &change(), &ApplyOptions::default()).unwrap();
    assert_eq!(fake.calls, ["get-config running"]);
    assert!(matches!(&r.outcome, Outcome::Applied { diff } if diff.is_empty()));
    assert!(crate::render::apply_report(&r).contains("already as requested"));
}

#[test]
fn invalid_changes_and_missing_interfaces_send_nothing() {
    let mut bad = change();
    bad.mode = Some(ModeChange::Access { vlan: 5000 });
    let mut fake = Fake::new(candidate_caps());
    assert!(matches!(
        go(&mut fake, &bad, &ApplyOptions::default()),
        Err(ApplyError::Invalid(_))
    ));
    assert!(fake.calls.is_empty());

    let mut fake = Fake::new(candidate_caps());
    fake.reads.push_back(Ok("<data/>".into()));
    match go(&mut fake, &change(), &ApplyOptions::default()) {
        Err(ApplyError::Device(e)) => {
            assert_eq!(
                e.to_string(),
                "no interface GigabitEthernet1/0/2 on device sw1"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn base_1_0_servers_get_delete_only_for_present_nodes() {
    let caps = DeviceCaps {
        base_1_1: false,
        ..candidate_caps()
    };
    let mut c = change();
    c.mtu = Some(Edit::Remove);
    c.enabled = Some(true);
    let mut fake = Fake::new(caps).reads(&[
        "<description>old</description><shutdown/>",
        "<description>uplink ##ticket:1234##</description>",
    ]);
    let r = go(&mut fake, &c, &ApplyOptions::default()).unwrap();
    assert!(
        matches!(r.outcome, Outcome::Applied { .. }),
        "{:?}",
        r.outcome
    );
    assert!(fake.edits[0].contains(
        "<shutdown xmlns:nc=\"urn:ietf:params:xml:ns:netconf:base:1.0\" nc:operation=\"delete\"/>"
    ));
    assert!(!fake.edits[0].contains("mtu"));
}

#[test]
fn ietf_devices_are_detected_from_capabilities() {
    let caps = DeviceCaps {
        uris: vec!["urn:ietf:params:xml:ns:yang:ietf-interfaces?module=ietf-interfaces&revision=2014-05-08".into()],
        ..running_caps(true)
    };
    let entry = |inner: &str| {
        format!(
            r#"<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>GigabitEthernet1/0/2</name>{inner}</interface></interfaces>"#
        )
    };
    let mut fake = Fake::new(caps);
    fake.reads.push_back(Ok(entry("<enabled>true</enabled>")));
    fake.reads.push_back(Ok(entry("<enabled>false</enabled>")));
    let c = InterfaceChange {
        description: None,
        mtu: None,
        enabled: Some(false),
        ..change()
    };
    let r = go(&mut fake, &c, &ApplyOptions::default()).unwrap();
    assert_eq!(r.profile, Profile::Ietf);
    assert!(
        matches!(r.outcome, Outcome::Applied { .. }),
        "{:?}",
        r.outcome
    );
    // Not Cisco, no :startup: no save-config.
    assert!(!fake.calls.iter().any(|c| c == "save-config"));
    assert!(fake.edits[0].contains("<enabled>false</enabled>"));
}
