//! The device simulator's configuration-change notifications over the real wire (ssh2): a subscribed
//! session receives an RFC 6470 `netconf-config-change` for a console change (`POST /_sim/cli`),
//! for another session's commit and edit of running, and for its own edit, interleaved with its rpc
//! replies; the mute and drop-subscriptions faults.

#[path = "sim_device/harness.rs"]
mod harness;
#[path = "sim_device/nc_client.rs"]
mod nc_client;

use harness::*;
use patchpanel_sim::device::{DatastoreMode, Fault};
use serde_json::{json, Value};

const SUBSCRIBE: &str =
    r#"<create-subscription xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"/>"#;

async fn cli(addr: std::net::SocketAddr, body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("http://{addr}/_sim/cli"))
        .json(&body)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

fn target(gi: &str, leaf: &str) -> String {
    format!(
        "<target xmlns:ios=\"http://cisco.com/ns/yang/Cisco-IOS-XE-native\">/ios:native/ios:interface/ios:GigabitEthernet[ios:name='{gi}']/ios:{leaf}</target>"
    )
}

fn is_change(msg: &str) -> bool {
    msg.contains(
        r#"<notification xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"><eventTime>"#,
    ) && msg.contains(
        r#"<netconf-config-change xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-notifications">"#,
    ) && msg.contains("<datastore>running</datastore>")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_hears_console_and_netconf_changes() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    let running = sim.running.clone();
    let rt = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let addr = running.restconf_addr;
        let (mut a, hello) = session(running.netconf_addr, true);
        assert!(hello.contains(
            "urn:ietf:params:xml:ns:yang:ietf-netconf-notifications?module=ietf-netconf-notifications&amp;revision=2012-02-06"
        ), "{hello}");
        let a_id = session_id(&hello);
        assert!(ok(&a.rpc(&rpc(1, SUBSCRIBE))));

        // A person at the console.
        let (status, answer) = rt.block_on(cli(
            addr,
            json!({"interface": "Gi1/0/7", "set": {"description": "rogue"}}),
        ));
        assert_eq!(status, 200, "{answer}");
        let n = a.read_msg().unwrap();
        assert!(is_change(&n), "{n}");
        assert!(n.contains("<changed-by><username>admin</username><session-id>0</session-id><source-host>10.1.1.1</source-host></changed-by>"), "{n}");
        assert!(n.contains(&format!("<edit>{}<operation>create</operation></edit>", target("1/0/7", "description"))), "{n}");

        // Another session (base:1.0) commits the candidate.
        let (mut b, b_hello) = session(running.netconf_addr, false);
        let b_id = session_id(&b_hello);
        assert!(ok(&b.rpc(&rpc(1, &edit_gi("candidate", "", "1/0/8", "<description>uplink</description><mtu>9000</mtu>")))));
        assert!(ok(&b.rpc(&rpc(2, "<commit/>"))));
        let n = a.read_msg().unwrap();
        assert!(is_change(&n), "{n}");
        assert!(n.contains(&format!("<changed-by><username>netops</username><session-id>{b_id}</session-id><source-host>127.0.0.1</source-host></changed-by>")), "{n}");
        assert!(n.contains(&target("1/0/8", "description")) && n.contains(&target("1/0/8", "mtu")), "{n}");
        assert_eq!(n.matches("<edit>").count(), 2, "{n}");

        // The subscriber keeps answering rpcs; its own edit of running brings the reply, then the event.
        assert!(a.rpc(&rpc(2, &get_gi("running", "1/0/8"))).contains("<mtu>9000</mtu>"));
        a.send(&rpc(3, &edit_gi("running", "", "1/0/8", "<description>changed</description>")));
        let first = a.read_msg().unwrap();
        let second = a.read_msg().unwrap();
        assert!(ok(&first) && first.contains("message-id=\"3\""), "{first}");
        assert!(is_change(&second), "{second}");
        assert!(second.contains(&format!("<session-id>{a_id}</session-id>")), "{second}");
        assert!(second.contains(&format!("<edit>{}<operation>replace</operation></edit>", target("1/0/8", "description"))), "{second}");

        // Muted: the change happens, no event; cleared: the next one arrives (and is the next message).
        running.inject(Fault::MuteNotifications).unwrap();
        assert!(ok(&b.rpc(&rpc(3, &edit_gi("running", "", "1/0/9", "<shutdown/>")))));
        running.clear_faults();
        rt.block_on(cli(addr, json!({"interface": "Gi1/0/10", "set": {"shutdown": true}, "line": "console"})));
        let n = a.read_msg().unwrap();
        assert!(n.contains(&target("1/0/10", "shutdown")), "{n}");
        assert!(n.contains("<session-id>0</session-id></changed-by>"), "console line: no source host: {n}");

        let st = running.state();
        assert_eq!(st.signals.notifications_sent, 4);
        assert_eq!(st.signals.subscribed_sessions, vec![a_id]);

        // Dropped: the subscriber's connection closes; other sessions go on.
        running.inject(Fault::DropSubscriptions).unwrap();
        assert!(!matches!(a.try_fill(), Ok(true)), "the subscribed session is gone");
        assert!(b.rpc(&rpc(4, &get_gi("running", "1/0/7"))).contains("rogue"));
        assert!(eventually(|| running.state().signals.subscribed_sessions.is_empty()));
        // The server ends the session once the client's side of the connection is closed too.
        drop(a);
        assert!(eventually(|| !running.state().sessions.contains(&a_id)));
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restconf_writes_and_rollbacks_are_announced() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    let running = sim.running.clone();
    let rt = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let (mut a, _) = session(running.netconf_addr, true);
        assert!(ok(&a.rpc(&rpc(1, SUBSCRIBE))));

        let url = format!(
            "{}/data/Cisco-IOS-XE-native:native/interface/GigabitEthernet=1%2F0%2F11",
            running.restconf_url
        );
        let status = rt.block_on(async {
            reqwest::Client::new()
                .patch(url)
                .basic_auth("ops", Some("x"))
                .header("Content-Type", "application/yang-data+json")
                .body(r#"{"Cisco-IOS-XE-native:GigabitEthernet":[{"name":"1/0/11","description":"via restconf"}]}"#)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
        assert_eq!(status, 204);
        let n = a.read_msg().unwrap();
        assert!(n.contains("<changed-by><username>ops</username><session-id>0</session-id><source-host>127.0.0.1</source-host></changed-by>"), "{n}");
        assert!(n.contains(&target("1/0/11", "description")), "{n}");

        // A confirmed commit nobody confirms: the device rolls running back by itself.
        let (mut b, _) = session(running.netconf_addr, true);
        assert!(ok(&b.rpc(&rpc(1, &edit_gi("candidate", "", "1/0/12", "<mtu>9000</mtu>")))));
        assert!(ok(&b.rpc(&rpc(2, "<commit><confirmed/><confirm-timeout>1</confirm-timeout></commit>"))));
        let n = a.read_msg().unwrap();
        assert!(n.contains(&target("1/0/12", "mtu")) && n.contains("<operation>create</operation>"), "{n}");
        let n = a.read_msg().unwrap();
        assert!(n.contains("<changed-by><server/></changed-by>"), "{n}");
        assert!(n.contains(&target("1/0/12", "mtu")) && n.contains("<operation>delete</operation>"), "{n}");
    })
    .await
    .unwrap();
}
