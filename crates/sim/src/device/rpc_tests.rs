//! Unit tests of the NETCONF operations in `rpc`.

use super::*;
use crate::device::model::{seed_c9300, IfKind};
use crate::device::state::DatastoreMode;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

fn store(mode: DatastoreMode) -> Datastore {
    let s = Datastore::new(
        seed_c9300("c9300"),
        mode,
        CancellationToken::new(),
        TaskTracker::new(),
    );
    s.session_started(1);
    s.session_started(2);
    s
}

fn run(s: &Datastore, session: u32, op: &str) -> Result<Done, Vec<YangError>> {
    let rpc = Element::parse(
        format!(r#"<rpc message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">{op}</rpc>"#).as_bytes(),
    )
    .unwrap();
    dispatch(&rpc, session, s)
}

fn edit(target: &str, inner: &str) -> String {
    format!(
        r#"<edit-config><target><{target}/></target><config><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>1/0/2</name>{inner}</GigabitEthernet></interface></native></config></edit-config>"#
    )
}

fn gi2(s: &Datastore) -> crate::device::model::Interface {
    s.read(|c| {
        c.interface(IfKind::GigabitEthernet, "1/0/2")
            .unwrap()
            .clone()
    })
}

#[test]
fn edit_candidate_commit_and_read_back() {
    let s = store(DatastoreMode::CandidateAndRunning);
    run(&s, 1, "<lock><target><candidate/></target></lock>").unwrap();
    let e = run(&s, 2, "<lock><target><candidate/></target></lock>").unwrap_err();
    assert_eq!(
        (e[0].tag, e[0].info("session-id")),
        ("lock-denied", Some("1"))
    );
    let d = run(
        &s,
        1,
        &edit(
            "candidate",
            "<description>x</description><shutdown nc:operation=\"remove\"/>",
        ),
    )
    .unwrap();
    assert!(!d.applied_to_running);
    run(&s, 1, "<validate><source><candidate/></source></validate>").unwrap();
    let candidate = run(&s, 1, r#"<get-config><source><candidate/></source><filter type="subtree"><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>1/0/2</name><description/></GigabitEthernet></interface></native></filter></get-config>"#).unwrap();
    let xml = String::from_utf8(candidate.body[0].to_document()).unwrap();
    assert!(xml.contains("<description>x</description>"), "{xml}");
    assert_eq!(gi2(&s).description.as_deref(), Some("Floor 2 printer"));
    let c = run(&s, 1, "<commit/>").unwrap();
    assert!(c.applied_to_running);
    assert_eq!(gi2(&s).description.as_deref(), Some("x"));
    run(&s, 1, "<unlock><target><candidate/></target></unlock>").unwrap();
    run(
        &s,
        2,
        r#"<save-config xmlns="http://cisco.com/yang/cisco-ia"/>"#,
    )
    .unwrap();
    assert_eq!(s.snapshot().counters.saves, 1);
    assert!(!s.snapshot().unsaved_changes);
}

#[test]
fn parameters_are_checked() {
    let s = store(DatastoreMode::CandidateAndRunning);
    for (op, tag) in [
        ("<commit><confirmed/><confirm-timeout>soon</confirm-timeout></commit>", "invalid-value"),
        ("<commit><confirmed/><persist></persist></commit>", "invalid-value"),
        ("<edit-config><target><running/></target><default-operation>frob</default-operation><config/></edit-config>", "invalid-value"),
        ("<edit-config><target><running/></target><error-option>explode</error-option><config/></edit-config>", "invalid-value"),
        ("<edit-config><target><running/></target><test-option>maybe</test-option><config/></edit-config>", "invalid-value"),
        ("<edit-config><target><running/></target><url>file:///x</url></edit-config>", "operation-not-supported"),
        ("<edit-config><target><running/></target></edit-config>", "missing-element"),
        ("<edit-config><target><nowhere/></target><config/></edit-config>", "invalid-value"),
        ("<lock/>", "missing-element"),
        ("<kill-session><session-id>1</session-id></kill-session>", "invalid-value"),
        ("<kill-session><session-id>77</session-id></kill-session>", "invalid-value"),
        ("<kill-session><session-id>x</session-id></kill-session>", "invalid-value"),
        ("<cancel-commit/>", "operation-failed"),
        ("<validate><source><config><native xmlns=\"http://cisco.com/ns/yang/Cisco-IOS-XE-native\"><interface><GigabitEthernet><name>1/0/2</name><mtu>1</mtu></GigabitEthernet></interface></native></config></source></validate>", "invalid-value"),
    ] {
        let e = run(&s, 1, op).unwrap_err();
        assert_eq!(e[0].tag, tag, "{op}");
    }
    run(&s, 1, "<validate><source><config><native xmlns=\"http://cisco.com/ns/yang/Cisco-IOS-XE-native\"><hostname>ok</hostname></native></config></source></validate>").unwrap();
    assert_eq!(
        s.read(|c| c.hostname.clone()),
        "c9300",
        "validate changes nothing"
    );
}

#[test]
fn running_only_edit_with_rollback_on_error() {
    let s = store(DatastoreMode::RunningOnly);
    let bad = r#"<edit-config><target><running/></target><error-option>rollback-on-error</error-option><config><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>1/0/2</name><description>half</description></GigabitEthernet><GigabitEthernet><name>1/0/3</name><mtu>50000</mtu></GigabitEthernet></interface></native></config></edit-config>"#;
    let e = run(&s, 1, bad).unwrap_err();
    assert_eq!(e[0].tag, "invalid-value");
    assert_eq!(gi2(&s).description.as_deref(), Some("Floor 2 printer"));
    let d = run(&s, 1, &edit("running", "<mtu>9000</mtu>")).unwrap();
    assert!(d.applied_to_running);
    assert_eq!(gi2(&s).mtu, Some(9000));
    assert_eq!(
        run(&s, 1, "<commit/>").unwrap_err()[0].tag,
        "operation-not-supported"
    );
}

#[test]
fn kill_session_releases_the_victims_locks() {
    let s = store(DatastoreMode::CandidateAndRunning);
    run(&s, 2, "<lock><target><running/></target></lock>").unwrap();
    let d = run(
        &s,
        1,
        "<kill-session><session-id>2</session-id></kill-session>",
    )
    .unwrap();
    assert_eq!(d.killed, Some(2));
    assert!(!s.is_active(2));
    run(&s, 1, "<lock><target><running/></target></lock>").unwrap();
}
