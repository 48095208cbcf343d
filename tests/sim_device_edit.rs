//! The device simulator's write path over the real wire (ssh2 / libssh2, like a bot would): candidate
//! edits and commit, the NetBox-driven edit payload, value errors with paths, locks between sessions, confirmed
//! commits (timeout, confirm, cancel, session loss, persist), discard-changes, and a running-only device.

#[path = "sim_device/harness.rs"]
mod harness;
#[path = "sim_device/nc_client.rs"]
mod nc_client;

use harness::*;
use patchpanel_sim::device::DatastoreMode;

/// The description of Gi`name` in a get-config reply.
fn description(reply: &str) -> Option<String> {
    text_of(reply, "description").map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn candidate_edit_commit_and_read_back() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    let running = sim.running.clone();
    tokio::task::spawn_blocking(move || {
        let (mut nc, hello) = session(running.netconf_addr, true);
        for cap in [
            "urn:ietf:params:netconf:capability:candidate:1.0",
            "urn:ietf:params:netconf:capability:confirmed-commit:1.1",
            "urn:ietf:params:netconf:capability:validate:1.1",
            "urn:ietf:params:netconf:capability:rollback-on-error:1.0",
            "urn:ietf:params:netconf:capability:writable-running:1.0",
        ] {
            assert!(hello.contains(cap), "{cap}");
        }
        assert!(ok(&nc.rpc(&rpc(1, "<lock><target><candidate/></target></lock>"))));
        assert!(ok(&nc.rpc(&rpc(2, "<discard-changes/>"))));
        let edit = edit_gi(
            "candidate",
            "",
            "1/0/2",
            &format!(
                r#"<description>uplink to core</description><shutdown/><mtu>9000</mtu><switchport-config><switchport><mode xmlns="{SWITCH}"><access/></mode><access xmlns="{SWITCH}"><vlan><vlan>30</vlan></vlan></access></switchport></switchport-config>"#
            ),
        );
        assert!(ok(&nc.rpc(&rpc(3, &edit))));
        // Running is untouched until the commit; the candidate shows the edit.
        let before = nc.rpc(&rpc(4, &get_gi("running", "1/0/2")));
        assert_eq!(description(&before).as_deref(), Some("Floor 2 printer"));
        let cand = nc.rpc(&rpc(5, &get_gi("candidate", "1/0/2")));
        assert_eq!(description(&cand).as_deref(), Some("uplink to core"));
        assert!(ok(&nc.rpc(&rpc(6, "<validate><source><candidate/></source></validate>"))));
        assert!(ok(&nc.rpc(&rpc(7, "<commit/>"))));
        let after = nc.rpc(&rpc(8, &get_gi("running", "1/0/2")));
        assert!(after.contains("<name>1/0/2</name><description>uplink to core</description><shutdown/><mtu>9000</mtu>"), "{after}");
        assert!(after.contains("<vlan><vlan>30</vlan></vlan>"), "{after}");
        assert!(ok(&nc.rpc(&rpc(9, "<unlock><target><candidate/></target></unlock>"))));
        assert!(ok(&nc.rpc(&rpc(10, r#"<save-config xmlns="http://cisco.com/yang/cisco-ia"/>"#))));
        let st = running.state();
        assert_eq!((st.counters.commits, st.counters.saves), (1, 1));
        assert!(!st.unsaved_changes);
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_003_remove_payload() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    let running = sim.running.clone();
    tokio::task::spawn_blocking(move || {
        // `remove` is a base:1.1 operation, so this session negotiates base:1.1.
        let (mut nc, _) = session(running.netconf_addr, true);
        // Gi1/0/3 is shut in the seed; the NetBox-driven edit removes shutdown and mtu.
        let payload = r#"<edit-config><target><candidate/></target><config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
  <native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
    <interface>
      <GigabitEthernet>
        <name>1/0/3</name>
        <description>Webhook function completed! ##ticket:1234##</description>
        <shutdown xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="remove"/>
        <mtu xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="remove"/>
      </GigabitEthernet>
    </interface>
  </native>
</config></edit-config>"#;
        assert!(ok(&nc.rpc(&rpc(1, payload))));
        assert!(ok(&nc.rpc(&rpc(2, "<commit/>"))));
        let after = nc.rpc(&rpc(3, &get_gi("running", "1/0/3")));
        assert_eq!(
            description(&after).as_deref(),
            Some("Webhook function completed! ##ticket:1234##")
        );
        assert!(!after.contains("<shutdown/>") && !after.contains("<mtu>"), "{after}");
        // The same payload again is idempotent (remove of an absent node is no error) ...
        assert!(ok(&nc.rpc(&rpc(4, payload))));
        // ... while delete of an absent node is data-missing, with its path.
        let delete = edit_gi(
            "candidate",
            "",
            "1/0/3",
            r#"<shutdown xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="delete"/>"#,
        );
        let err = nc.rpc(&rpc(5, &delete));
        assert!(err.contains("<error-type>application</error-type><error-tag>data-missing</error-tag>"), "{err}");
        assert!(err.contains("/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/3']/ios:shutdown</error-path>"), "{err}");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remove_is_unknown_in_a_base_1_0_session() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    let running = sim.running.clone();
    tokio::task::spawn_blocking(move || {
        let (mut nc, hello) = session(running.netconf_addr, false);
        // The client offered base:1.0 only, so the session speaks 1.0: no 1.1 `remove` (as netconfd
        // answers).
        assert!(hello.contains("<session-id>"));
        let remove = edit_gi(
            "candidate",
            "",
            "1/0/3",
            r#"<shutdown xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="remove"/>"#,
        );
        let err = nc.rpc(&rpc(1, &remove));
        assert!(err.contains("<error-tag>unknown-element</error-tag>"), "{err}");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_values_give_invalid_value_with_a_path() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    let running = sim.running.clone();
    tokio::task::spawn_blocking(move || {
        let (mut nc, _) = session(running.netconf_addr, true);
        let mtu = nc.rpc(&rpc(1, &edit_gi("candidate", "", "1/0/2", "<mtu>20</mtu>")));
        assert!(mtu.contains(r#"message-id="1""#));
        // The path is rooted in the request, as netconfd roots it (RFC 6241 §4.3).
        assert!(mtu.contains("<error-type>application</error-type><error-tag>invalid-value</error-tag><error-severity>error</error-severity><error-app-tag>not-in-range</error-app-tag><error-path xmlns:nc=\"urn:ietf:params:xml:ns:netconf:base:1.0\" xmlns:ios=\"http://cisco.com/ns/yang/Cisco-IOS-XE-native\">/nc:rpc/nc:edit-config/nc:config/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/2']/ios:mtu</error-path>"), "{mtu}");
        assert!(mtu.contains("64..18000"), "{mtu}");
        let vlan = nc.rpc(&rpc(
            2,
            &edit_gi(
                "candidate",
                "",
                "1/0/2",
                &format!(r#"<switchport-config><switchport><access xmlns="{SWITCH}"><vlan><vlan>4095</vlan></vlan></access></switchport></switchport-config>"#),
            ),
        ));
        assert!(vlan.contains("<error-tag>invalid-value</error-tag>"), "{vlan}");
        assert!(vlan.contains("/ios-sw:access/ios-sw:vlan/ios-sw:vlan</error-path>"), "{vlan}");
        let unknown = nc.rpc(&rpc(3, &edit_gi("candidate", "", "9/9/9", "<description>x</description>")));
        assert!(unknown.contains("<error-tag>invalid-value</error-tag>") && unknown.contains("does not exist"), "{unknown}");
        // Nothing reached the candidate.
        let st = running.state();
        assert!(!st.candidate_dirty);
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_denied_then_granted_after_unlock_or_session_end() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    let running = sim.running.clone();
    tokio::task::spawn_blocking(move || {
        let (mut a, hello_a) = session(running.netconf_addr, true);
        let (mut b, _) = session(running.netconf_addr, false);
        let a_id = session_id(&hello_a);
        assert!(ok(
            &a.rpc(&rpc(1, "<lock><target><candidate/></target></lock>"))
        ));
        let denied = b.rpc(&rpc(1, "<lock><target><candidate/></target></lock>"));
        assert!(
            denied.contains("<error-tag>lock-denied</error-tag>"),
            "{denied}"
        );
        assert!(
            denied.contains(&format!(
                "<error-info><session-id>{a_id}</session-id></error-info>"
            )),
            "{denied}"
        );
        let in_use = b.rpc(&rpc(
            2,
            &edit_gi("candidate", "", "1/0/2", "<description>b</description>"),
        ));
        assert!(in_use.contains("<error-tag>in-use</error-tag>"), "{in_use}");
        assert!(ok(
            &a.rpc(&rpc(2, "<unlock><target><candidate/></target></unlock>"))
        ));
        assert!(ok(
            &b.rpc(&rpc(3, "<lock><target><candidate/></target></lock>"))
        ));
        // b's lock goes with b's session.
        let closed = b.rpc(&rpc(4, "<close-session/>"));
        assert!(ok(&closed));
        assert!(eventually(|| running.state().locks.is_empty()));
        assert!(ok(
            &a.rpc(&rpc(3, "<lock><target><candidate/></target></lock>"))
        ));
        // kill-session ends another session and frees what it held.
        let (mut c, hello_c) = session(running.netconf_addr, true);
        let c_id = session_id(&hello_c);
        assert!(ok(
            &c.rpc(&rpc(1, "<lock><target><running/></target></lock>"))
        ));
        let kill = a.rpc(&rpc(
            4,
            &format!("<kill-session><session-id>{c_id}</session-id></kill-session>"),
        ));
        assert!(ok(&kill), "{kill}");
        assert_eq!(c.read_msg(), None, "the killed session's channel is closed");
        assert!(ok(
            &a.rpc(&rpc(5, "<lock><target><running/></target></lock>"))
        ));
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmed_commit_rolls_back_on_timeout() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    let running = sim.running.clone();
    tokio::task::spawn_blocking(move || {
        let (mut nc, _) = session(running.netconf_addr, true);
        assert!(ok(&nc.rpc(&rpc(
            1,
            &edit_gi("candidate", "", "1/0/2", "<description>trial</description>")
        ))));
        let commit = nc.rpc(&rpc(
            2,
            "<commit><confirmed/><confirm-timeout>1</confirm-timeout></commit>",
        ));
        assert!(ok(&commit), "{commit}");
        assert_eq!(
            running_description(&running, "1/0/2").as_deref(),
            Some("trial")
        );
        assert!(eventually(|| running.state().counters.rollbacks == 1));
        let after = nc.rpc(&rpc(3, &get_gi("running", "1/0/2")));
        assert_eq!(description(&after).as_deref(), Some("Floor 2 printer"));
        assert!(running.state().confirmed_commit.is_none());
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirming_commit_keeps_and_cancel_commit_reverts() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    let running = sim.running.clone();
    tokio::task::spawn_blocking(move || {
        let (mut a, _) = session(running.netconf_addr, true);
        let (mut b, _) = session(running.netconf_addr, true);
        // Persisted: another session confirms with the token.
        assert!(ok(&a.rpc(&rpc(1, &edit_gi("candidate", "", "1/0/2", "<description>kept</description>")))));
        assert!(ok(&a.rpc(&rpc(2, "<commit><confirmed/><confirm-timeout>120</confirm-timeout><persist>chatops-1</persist></commit>"))));
        assert_eq!(running.state().confirmed_commit.unwrap().timeout_secs, 120);
        let wrong = b.rpc(&rpc(1, "<commit><persist-id>other</persist-id></commit>"));
        assert!(wrong.contains("<error-tag>invalid-value</error-tag>"), "{wrong}");
        assert!(ok(&b.rpc(&rpc(2, "<commit><persist-id>chatops-1</persist-id></commit>"))));
        assert!(running.state().confirmed_commit.is_none());
        assert_eq!(running_description(&running, "1/0/2").as_deref(), Some("kept"));

        // Cancelled: running goes back.
        assert!(ok(&a.rpc(&rpc(3, &edit_gi("candidate", "", "1/0/2", "<description>cancel me</description>")))));
        assert!(ok(&a.rpc(&rpc(4, "<commit><confirmed/><persist>chatops-2</persist></commit>"))));
        assert_eq!(running.state().confirmed_commit.unwrap().timeout_secs, 600, "RFC 6241 default");
        assert!(ok(&b.rpc(&rpc(3, "<cancel-commit><persist-id>chatops-2</persist-id></cancel-commit>"))));
        assert_eq!(running_description(&running, "1/0/2").as_deref(), Some("kept"));

        // Not persisted: the same session confirms with a plain commit.
        assert!(ok(&a.rpc(&rpc(5, &edit_gi("candidate", "", "1/0/2", "<description>same session</description>")))));
        assert!(ok(&a.rpc(&rpc(6, "<commit><confirmed/></commit>"))));
        let other = b.rpc(&rpc(4, "<commit/>"));
        assert!(other.contains("<error-tag>in-use</error-tag>"), "{other}");
        assert!(ok(&a.rpc(&rpc(7, "<commit/>"))));
        assert!(running.state().confirmed_commit.is_none());
        assert_eq!(running_description(&running, "1/0/2").as_deref(), Some("same session"));
        let st = running.state();
        assert_eq!((st.counters.cancelled_commits, st.counters.rollbacks), (1, 1));
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_the_session_reverts_an_unconfirmed_commit() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    let running = sim.running.clone();
    tokio::task::spawn_blocking(move || {
        let (mut a, _) = session(running.netconf_addr, true);
        assert!(ok(&a.rpc(&rpc(
            1,
            &edit_gi("candidate", "", "1/0/4", "<description>risky</description>")
        ))));
        assert!(ok(&a.rpc(&rpc(
            2,
            "<commit><confirmed/><confirm-timeout>600</confirm-timeout></commit>"
        ))));
        assert_eq!(
            running_description(&running, "1/0/4").as_deref(),
            Some("risky")
        );
        // The transport goes away without close-session.
        drop(a);
        assert!(eventually(|| running.state().counters.rollbacks == 1));
        assert_eq!(
            running_description(&running, "1/0/4").as_deref(),
            Some("AP-2F-01")
        );

        // With persist the change outlives the session.
        let (mut b, _) = session(running.netconf_addr, false);
        assert!(ok(&b.rpc(&rpc(
            1,
            &edit_gi(
                "candidate",
                "",
                "1/0/4",
                "<description>persisted</description>"
            )
        ))));
        assert!(ok(&b.rpc(&rpc(
            2,
            "<commit><confirmed/><persist>p-1</persist></commit>"
        ))));
        drop(b);
        assert!(eventually(|| running.state().sessions.is_empty()));
        assert_eq!(running.state().counters.rollbacks, 1);
        assert_eq!(
            running_description(&running, "1/0/4").as_deref(),
            Some("persisted")
        );
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discard_changes_resets_the_candidate() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    let running = sim.running.clone();
    tokio::task::spawn_blocking(move || {
        let (mut nc, _) = session(running.netconf_addr, true);
        assert!(ok(&nc.rpc(&rpc(
            1,
            &edit_gi(
                "candidate",
                "",
                "1/0/2",
                "<description>scratch</description>"
            )
        ))));
        assert!(running.state().candidate_dirty);
        assert!(ok(&nc.rpc(&rpc(2, "<discard-changes/>"))));
        let cand = nc.rpc(&rpc(3, &get_gi("candidate", "1/0/2")));
        assert_eq!(description(&cand).as_deref(), Some("Floor 2 printer"));
        assert!(!running.state().candidate_dirty);
        // test-only checks without storing.
        let test_only = edit_gi(
            "candidate",
            "<test-option>test-only</test-option>",
            "1/0/2",
            "<description>probe</description>",
        );
        assert!(ok(&nc.rpc(&rpc(4, &test_only))));
        assert!(!running.state().candidate_dirty);
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_only_device_edits_running_with_rollback_on_error() {
    let sim = sim(DatastoreMode::RunningOnly).await;
    let running = sim.running.clone();
    tokio::task::spawn_blocking(move || {
        let (mut nc, hello) = session(running.netconf_addr, true);
        assert!(!hello.contains("capability:candidate") && !hello.contains("confirmed-commit"));
        assert!(hello.contains("urn:ietf:params:netconf:capability:writable-running:1.0"));
        assert!(hello.contains("urn:ietf:params:netconf:capability:rollback-on-error:1.0"));
        let no_candidate = nc.rpc(&rpc(1, "<lock><target><candidate/></target></lock>"));
        assert!(no_candidate.contains("<error-tag>invalid-value</error-tag>"), "{no_candidate}");
        assert!(ok(&nc.rpc(&rpc(2, "<lock><target><running/></target></lock>"))));
        // Two entries, the second invalid: rollback-on-error keeps neither.
        let both = format!(
            r#"<edit-config><target><running/></target><error-option>rollback-on-error</error-option><config><native xmlns="{NATIVE}"><interface><GigabitEthernet><name>1/0/6</name><description>first</description></GigabitEthernet><GigabitEthernet><name>1/0/7</name><mtu>20000</mtu></GigabitEthernet></interface></native></config></edit-config>"#
        );
        let err = nc.rpc(&rpc(3, &both));
        assert!(err.contains("<error-tag>invalid-value</error-tag>"), "{err}");
        assert_eq!(running_description(&running, "1/0/6"), None);
        let good = edit_gi("running", "<error-option>rollback-on-error</error-option>", "1/0/6", "<description>first</description>");
        assert!(ok(&nc.rpc(&rpc(4, &good))));
        assert_eq!(running_description(&running, "1/0/6").as_deref(), Some("first"));
        let commit = nc.rpc(&rpc(5, "<commit/>"));
        assert!(commit.contains("<error-tag>operation-not-supported</error-tag>"), "{commit}");
        assert!(running.state().unsaved_changes);
        assert!(ok(&nc.rpc(&rpc(6, r#"<save-config xmlns="http://cisco.com/yang/cisco-ia"/>"#))));
        assert!(!running.state().unsaved_changes);
        assert!(ok(&nc.rpc(&rpc(7, "<unlock><target><running/></target></unlock>"))));
    })
    .await
    .unwrap();
}

/// An MTU the native model allows (64–18000) but a Catalyst 9300 port does not take (1500–9198) is
/// refused when the switch applies it: at the commit for the candidate (the candidate is kept), at
/// the edit on running; `operation-failed`, naming the value and the switch's range. Nothing of it
/// reaches running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_mtu_the_switch_refuses_is_refused_when_applied() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    let running = sim.running.clone();
    tokio::task::spawn_blocking(move || {
        let (mut nc, _) = session(running.netconf_addr, true);
        assert!(ok(&nc.rpc(&rpc(1, &edit_gi("candidate", "", "1/0/2", "<mtu>1000</mtu>")))));
        let commit = nc.rpc(&rpc(2, "<commit/>"));
        assert!(commit.contains("<error-type>application</error-type><error-tag>operation-failed</error-tag>"), "{commit}");
        // A commit has no payload element: the path is the datastore's.
        assert!(commit.contains(">/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/2']/ios:mtu</error-path>"), "{commit}");
        assert!(commit.contains("mtu 1000") && commit.contains("1500-9198"), "{commit}");
        assert!(running.state().candidate_dirty, "the candidate is kept");
        let now = nc.rpc(&rpc(3, &get_gi("running", "1/0/2")));
        assert!(!now.contains("<mtu>"), "{now}");
        assert!(ok(&nc.rpc(&rpc(4, "<discard-changes/>"))));

        let edit = nc.rpc(&rpc(5, &edit_gi("running", "", "1/0/2", "<description>kept?</description><mtu>9199</mtu>")));
        assert!(edit.contains("<error-tag>operation-failed</error-tag>"), "{edit}");
        assert!(edit.contains(">/nc:rpc/nc:edit-config/nc:config/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/2']/ios:mtu</error-path>"), "{edit}");
        assert_eq!(running_description(&running, "1/0/2").as_deref(), Some("Floor 2 printer"));
        // The edges of the switch's range are taken.
        assert!(ok(&nc.rpc(&rpc(6, &edit_gi("running", "", "1/0/2", "<mtu>9198</mtu>")))));
        assert!(ok(&nc.rpc(&rpc(7, &edit_gi("running", "", "1/0/2", "<mtu>1500</mtu>")))));
    })
    .await
    .unwrap();
}
