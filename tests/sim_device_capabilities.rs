//! What the simulator does with the capabilities IOS-XE 17 advertises where it implements less than
//! netconfd (the shared behaviour is in `tests/netconf_conformance/capabilities.rs`): XPath outside
//! the evaluated subset, with-defaults modes other than `explicit`, replay, and a subscription that
//! stays silent. Every refusal is an rpc-error and the session goes on.

#[path = "sim_device/harness.rs"]
mod harness;
#[path = "sim_device/nc_client.rs"]
mod nc_client;

use harness::*;
use patchpanel_sim::device::DatastoreMode;

const WD: &str = "urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults";
const NOTIF: &str = "urn:ietf:params:xml:ns:netconf:notification:1.0";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mode_and_framing_advertises_the_ios_xe_17_capabilities() {
    for mode in [
        DatastoreMode::CandidateAndRunning,
        DatastoreMode::RunningOnly,
        DatastoreMode::CandidateOnly,
    ] {
        let sim = sim(mode).await;
        let addr = sim.running.netconf_addr;
        tokio::task::spawn_blocking(move || {
            for offer_11 in [true, false] {
                let (nc, hello) = session(addr, offer_11);
                for cap in [
                    "urn:ietf:params:netconf:capability:xpath:1.0",
                    "urn:ietf:params:netconf:capability:notification:1.0",
                    "urn:ietf:params:netconf:capability:interleave:1.0",
                    "urn:ietf:params:netconf:capability:with-defaults:1.0?basic-mode=explicit<",
                    "urn:ietf:params:netconf:capability:yang-library:1.0?revision=2016-06-21&amp;module-set-id=",
                    "urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults?module=ietf-netconf-with-defaults&amp;revision=2011-06-01",
                    "urn:ietf:params:xml:ns:yang:ietf-yang-library?module=ietf-yang-library&amp;revision=2016-06-21",
                ] {
                    assert!(hello.contains(cap), "{mode:?}: {cap} missing from {hello}");
                }
                drop(nc);
            }
        })
        .await
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xpath_outside_the_subset_is_refused_not_guessed() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    let addr = sim.running.netconf_addr;
    tokio::task::spawn_blocking(move || {
        let (mut nc, _) = session(addr, true);
        for (id, select) in [
            (1, "//ios:description"),
            (2, "/ios:native/ios:interface/*"),
            (3, "/ios:native/ios:interface/ios:GigabitEthernet[starts-with(ios:name, '1/0')]"),
            (4, "/"),
        ] {
            let reply = nc.rpc(&rpc(
                id,
                &format!(r#"<get><filter type="xpath" xmlns:ios="{NATIVE}" select="{select}"/></get>"#),
            ));
            assert!(
                reply.contains("<error-type>protocol</error-type><error-tag>operation-not-supported</error-tag>"),
                "{select}: {reply}"
            );
            assert!(reply.contains("<bad-attribute>select</bad-attribute>"), "{reply}");
        }
        // A supported path on the same session, after the refusals.
        let reply = nc.rpc(&rpc(
            5,
            &format!(
                r#"<get-config><source><running/></source><filter type="xpath" xmlns:ios="{NATIVE}" select="/ios:native/ios:hostname"/></get-config>"#
            ),
        ));
        assert!(reply.contains("<hostname>c9300</hostname>") && !reply.contains("<interface>"), "{reply}");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_defaults_other_than_explicit_is_refused() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    let addr = sim.running.netconf_addr;
    tokio::task::spawn_blocking(move || {
        let (mut nc, _) = session(addr, true);
        for (id, mode) in [(1, "report-all"), (2, "trim"), (3, "report-all-tagged")] {
            let reply = nc.rpc(&rpc(
                id,
                &format!(
                    r#"<get-config><source><running/></source><with-defaults xmlns="{WD}">{mode}</with-defaults></get-config>"#
                ),
            ));
            assert!(reply.contains("<error-tag>invalid-value</error-tag>"), "{mode}: {reply}");
            assert!(reply.contains("explicit only"), "{reply}");
            assert!(reply.contains(">/nc:rpc/nc:get-config/ncwd:with-defaults</error-path>"), "{reply}");
        }
        let reply = nc.rpc(&rpc(
            4,
            &format!(r#"<get><with-defaults xmlns="{WD}">explicit</with-defaults><filter type="subtree"><native xmlns="{NATIVE}"><hostname/></native></filter></get>"#),
        ));
        assert!(reply.contains("<hostname>c9300</hostname>"), "{reply}");
    })
    .await
    .unwrap();
}

/// No replay (no event log); a running change reaches the subscription as one RFC 6470
/// notification between the session's replies (interleave), and the session keeps answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_have_no_replay_and_changes_arrive_between_replies() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    let addr = sim.running.netconf_addr;
    tokio::task::spawn_blocking(move || {
        let (mut nc, _) = session(addr, true);
        for (id, replay) in [(1, "startTime"), (2, "stopTime")] {
            let reply = nc.rpc(&rpc(
                id,
                &format!(r#"<create-subscription xmlns="{NOTIF}"><{replay}>2026-01-01T00:00:00Z</{replay}></create-subscription>"#),
            ));
            assert!(reply.contains("<error-tag>operation-failed</error-tag>"), "{reply}");
            assert!(reply.contains("no :replay"), "{reply}");
        }
        assert!(ok(&nc.rpc(&rpc(3, &format!(r#"<create-subscription xmlns="{NOTIF}"/>"#)))));
        assert!(ok(&nc.rpc(&rpc(4, &edit_gi("candidate", "", "1/0/6", "<description>event?</description>")))));
        // The commit's reply comes first; its notification follows, before or after the next
        // reply (it is sent by its own task).
        let mut messages = vec![nc.rpc(&rpc(5, "<commit/>"))];
        messages.push(nc.rpc(&rpc(6, "<get-config><source><running/></source><filter type=\"subtree\"/></get-config>")));
        // The SSH session's read timeout (20 s) bounds this.
        while !(messages.iter().any(|m| m.contains(r#"message-id="6""#))
            && messages.iter().any(|m| m.contains("<notification")))
        {
            messages.push(nc.read_msg().expect("the reply to 6 and the notification"));
        }
        assert!(ok(&messages[0]) && messages[0].contains(r#"message-id="5""#), "{messages:#?}");
        assert!(messages.iter().any(|m| m.contains(r#"message-id="6""#)), "{messages:#?}");
        let notifications: Vec<&String> =
            messages.iter().filter(|m| m.contains("<notification")).collect();
        assert_eq!(notifications.len(), 1, "{messages:#?}");
        assert!(notifications[0].contains("<netconf-config-change"), "{messages:#?}");
        assert!(notifications[0].contains("1/0/6"), "{messages:#?}");
        // Another session subscribes on its own.
        drop(nc);
        let (mut nc, _) = session(addr, true);
        assert!(ok(&nc.rpc(&rpc(1, &format!(r#"<create-subscription xmlns="{NOTIF}"/>"#)))));
    })
    .await
    .unwrap();
}
