//! The device simulator's fault switches over the real wire (ssh2 for NETCONF, reqwest for RESTCONF and
//! `/_sim`), and RESTCONF writes sharing the datastore with NETCONF.

#[path = "sim_device/harness.rs"]
mod harness;
#[path = "sim_device/nc_client.rs"]
mod nc_client;

use harness::*;
use patchpanel_sim::device::{DatastoreMode, Fault};
use serde_json::{json, Value};

async fn control(sim: &Sim, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("http://{}/_sim/{path}", sim.running.restconf_addr);
    let client = reqwest::Client::new();
    let req = match body {
        Some(b) => client.post(url).json(&b),
        None => client.get(url),
    };
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_after_commit_leaves_the_outcome_unknown() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    let (status, st) = control(&sim, "fault", Some(json!({"kind": "drop-after-commit"}))).await;
    assert_eq!(status, 200);
    assert_eq!(st["wireFaults"]["dropAfterCommit"], json!(true));
    let running = sim.running.clone();
    tokio::task::spawn_blocking(move || {
        let (mut nc, _) = session(running.netconf_addr, true);
        assert!(ok(&nc.rpc(&rpc(
            1,
            &edit_gi(
                "candidate",
                "",
                "1/0/2",
                "<description>applied?</description>"
            )
        ))));
        nc.send(&rpc(
            2,
            "<commit><confirmed/><persist>t-1</persist></commit>",
        ));
        // No reply: the connection is gone.
        assert!(
            !matches!(nc.try_fill(), Ok(true)),
            "the connection drops instead of replying"
        );
        // The commit was applied and, being persisted, survives; a new session confirms it.
        assert_eq!(
            running_description(&running, "1/0/2").as_deref(),
            Some("applied?")
        );
        let (mut again, _) = session(running.netconf_addr, true);
        assert!(ok(
            &again.rpc(&rpc(1, "<commit><persist-id>t-1</persist-id></commit>"))
        ));
        assert!(running.state().confirmed_commit.is_none());
        assert!(!running.state().wire_faults.drop_after_commit, "one-shot");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_reply_never_comes() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    sim.running.inject(Fault::StallNextReply).unwrap();
    let running = sim.running.clone();
    tokio::task::spawn_blocking(move || {
        let (mut stalled, _) = session(running.netconf_addr, true);
        stalled.send(&rpc(1, &get_gi("running", "1/0/2")));
        stalled.set_timeout(1_000);
        let read = stalled.try_fill();
        assert!(
            read.is_err(),
            "no reply within the client's deadline: {read:?}"
        );
        // Other sessions still work.
        let (mut other, _) = session(running.netconf_addr, false);
        assert!(other
            .rpc(&rpc(1, &get_gi("running", "1/0/2")))
            .contains("<name>1/0/2</name>"));
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_framing_instead_of_a_reply() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    let (status, _) = control(&sim, "fault", Some(json!({"kind": "garbage-framing"}))).await;
    assert_eq!(status, 200);
    let running = sim.running.clone();
    tokio::task::spawn_blocking(move || {
        let (mut nc, _) = session(running.netconf_addr, true);
        nc.send(&rpc(1, &get_gi("running", "1/0/2")));
        let raw = nc.read_raw().unwrap();
        assert!(raw.starts_with(b"\n#zz\n"), "{raw:?}");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_reply_is_streamed_whole() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    const BYTES: u64 = 100 * 1024 * 1024;
    let (status, _) = control(
        &sim,
        "fault",
        Some(json!({"kind": "huge-reply", "bytes": BYTES})),
    )
    .await;
    assert_eq!(status, 200);
    let running = sim.running.clone();
    tokio::task::spawn_blocking(move || {
        let (mut nc, _) = session(running.netconf_addr, true);
        nc.send(&rpc(7, &get_gi("running", "1/0/2")));
        let (total, tail) = nc.measure_chunked().expect("a complete chunked message");
        assert!(total > BYTES, "{total}");
        let tail = String::from_utf8_lossy(&tail);
        assert!(tail.ends_with("xxxx</filler></data></rpc-reply>"), "{tail}");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phantom_lock_denies_until_released() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    let (status, st) = control(
        &sim,
        "fault",
        Some(json!({"kind": "phantom-lock", "sessionId": 4242})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(st["locks"]["candidate"], json!(4242));
    let (bad, err) = control(
        &sim,
        "fault",
        Some(json!({"kind": "phantom-lock", "datastore": "nowhere"})),
    )
    .await;
    assert_eq!(bad, 400);
    assert!(err["error"].is_string());
    let running = sim.running.clone();
    let nc_addr = running.netconf_addr;
    let mut nc = tokio::task::spawn_blocking(move || {
        let (mut nc, _) = session(nc_addr, true);
        let denied = nc.rpc(&rpc(1, "<lock><target><candidate/></target></lock>"));
        assert!(
            denied.contains("<error-tag>lock-denied</error-tag>"),
            "{denied}"
        );
        assert!(denied.contains("<session-id>4242</session-id>"), "{denied}");
        nc
    })
    .await
    .unwrap();
    let (status, st) = control(&sim, "fault", Some(json!({"kind": "release-phantom-lock"}))).await;
    assert_eq!(status, 200);
    assert!(st["locks"].as_object().unwrap().is_empty());
    tokio::task::spawn_blocking(move || {
        assert!(ok(
            &nc.rpc(&rpc(2, "<lock><target><candidate/></target></lock>"))
        ));
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn value_faults_make_read_back_differ() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    sim.running
        .inject(Fault::TruncateDescription { max_len: 10 })
        .unwrap();
    let (status, _) = control(
        &sim,
        "fault",
        Some(json!({"kind": "ignore-leaf", "leaf": "mtu"})),
    )
    .await;
    assert_eq!(status, 200);
    let running = sim.running.clone();
    tokio::task::spawn_blocking(move || {
        let (mut nc, _) = session(running.netconf_addr, true);
        let edit = edit_gi(
            "candidate",
            "",
            "1/0/2",
            "<description>written in full</description><mtu>9000</mtu>",
        );
        assert!(ok(&nc.rpc(&rpc(1, &edit))), "the device says yes");
        assert!(ok(&nc.rpc(&rpc(2, "<commit/>"))));
        let back = nc.rpc(&rpc(3, &get_gi("running", "1/0/2")));
        assert!(
            back.contains("<description>written in</description>"),
            "{back}"
        );
        assert!(!back.contains("<mtu>"), "{back}");
    })
    .await
    .unwrap();
    let (_, st) = control(&sim, "fault", Some(json!({"kind": "clear"}))).await;
    assert_eq!(st["truncateDescription"], Value::Null);
    let (_, st) = control(&sim, "reset", Some(json!({}))).await;
    assert_eq!(st["counters"]["commits"], json!(0));
    assert_eq!(
        running_description(&sim.running, "1/0/2").as_deref(),
        Some("Floor 2 printer")
    );
}

// ---------------------------------------------------------------- RESTCONF writes

fn gi_url(sim: &Sim, name: &str) -> String {
    format!(
        "{}/data/Cisco-IOS-XE-native:native/interface/GigabitEthernet={}",
        sim.running.restconf_url,
        name.replace('/', "%2F")
    )
}

async fn send(req: reqwest::RequestBuilder, body: Option<Value>) -> (u16, Option<Value>) {
    let req = req.header("Accept", "application/yang-data+json");
    let req = match body {
        Some(b) => req
            .header("Content-Type", "application/yang-data+json")
            .body(serde_json::to_vec(&b).unwrap()),
        None => req,
    };
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap();
    (status, serde_json::from_slice(&bytes).ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restconf_patch_put_delete_share_the_datastore() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    let client = reqwest::Client::new();

    let (status, body) = send(
        client.patch(gi_url(&sim, "1/0/2")),
        Some(json!({"Cisco-IOS-XE-native:GigabitEthernet": [{"name": "1/0/2", "description": "via restconf",
            "switchport-config": {"switchport": {"Cisco-IOS-XE-switch:mode": {"trunk": {}},
                "Cisco-IOS-XE-switch:trunk": {"allowed": {"vlan": {"vlans": "10,20"}}, "native": {"vlan": {"vlan-id": 99}}}}}}]})),
    )
    .await;
    assert_eq!((status, body), (204, None));
    let (status, got) = send(client.get(gi_url(&sim, "1/0/2")), None).await;
    assert_eq!(status, 200);
    let gi = &got.unwrap()["Cisco-IOS-XE-native:GigabitEthernet"];
    assert_eq!(gi["description"], "via restconf");
    assert_eq!(
        gi["switchport-config"]["switchport"]["Cisco-IOS-XE-switch:trunk"]["native"]["vlan"]
            ["vlan-id"],
        json!(99)
    );

    // A single leaf, and the same datastore through NETCONF.
    let (status, _) = send(
        client.patch(format!("{}/description", gi_url(&sim, "1/0/2"))),
        Some(json!({"Cisco-IOS-XE-native:description": "leaf patch"})),
    )
    .await;
    assert_eq!(status, 204);
    let addr = sim.running.netconf_addr;
    let via_netconf = tokio::task::spawn_blocking(move || {
        let (mut nc, _) = session(addr, true);
        nc.rpc(&rpc(1, &get_gi("running", "1/0/2")))
    })
    .await
    .unwrap();
    assert!(
        via_netconf.contains("<description>leaf patch</description>"),
        "{via_netconf}"
    );

    // PUT creates a loopback (201), replaces it (204); DELETE removes it.
    let lo = format!(
        "{}/data/Cisco-IOS-XE-native:native/interface/Loopback=42",
        sim.running.restconf_url
    );
    let body = json!({"Cisco-IOS-XE-native:Loopback": [{"name": 42, "description": "new",
        "ip": {"address": {"primary": {"address": "10.42.0.1", "mask": "255.255.255.255"}}}}]});
    assert_eq!(send(client.put(&lo), Some(body.clone())).await.0, 201);
    assert_eq!(send(client.put(&lo), Some(body)).await.0, 204);
    assert_eq!(send(client.delete(&lo), None).await.0, 204);
    assert_eq!(send(client.get(&lo), None).await.0, 404);
    assert_eq!(send(client.delete(&lo), None).await.0, 404);

    // ietf-interfaces too.
    let ietf = format!(
        "{}/data/ietf-interfaces:interfaces/interface=GigabitEthernet1%2F0%2F9",
        sim.running.restconf_url
    );
    let (status, _) = send(
        client.patch(&ietf),
        Some(json!({"ietf-interfaces:interface": [{"name": "GigabitEthernet1/0/9", "enabled": false}]})),
    )
    .await;
    assert_eq!(status, 204);
    let cfg = sim.running.running_config();
    assert!(cfg
        .interfaces
        .iter()
        .any(|i| i.name == "1/0/9" && i.shutdown));

    let (status, out) = send(
        client.post(format!(
            "{}/operations/cisco-ia:save-config",
            sim.running.restconf_url
        )),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(out.unwrap()["cisco-ia:output"]["result"].is_string());
    assert_eq!(sim.running.state().counters.saves, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restconf_write_errors() {
    let sim = sim(DatastoreMode::CandidateAndRunning).await;
    let client = reqwest::Client::new();
    let patch = |name: &str, entry: Value| {
        (
            client.patch(gi_url(&sim, name)),
            Some(json!({"Cisco-IOS-XE-native:GigabitEthernet": [entry]})),
        )
    };

    let (req, body) = patch("1/0/2", json!({"name": "1/0/2", "mtu": 20}));
    let (status, err) = send(req, body).await;
    assert_eq!(status, 400);
    let e = &err.unwrap()["ietf-restconf:errors"]["error"][0];
    assert_eq!(e["error-type"], "application");
    assert_eq!(e["error-tag"], "invalid-value");
    assert_eq!(e["error-app-tag"], "not-in-range");
    // RESTCONF paths are instance-identifiers of the data resource (RFC 8040 §7.1).
    assert_eq!(
        e["error-path"],
        "/Cisco-IOS-XE-native:native/interface/GigabitEthernet[name='1/0/2']/mtu"
    );
    assert!(e["error-message"].as_str().unwrap().contains("64..18000"));

    // In the model's range, not in the switch's: refused as the switch applies it.
    let (req, body) = patch("1/0/2", json!({"name": "1/0/2", "mtu": 1000}));
    let (status, err) = send(req, body).await;
    let e = &err.unwrap()["ietf-restconf:errors"]["error"][0];
    assert_eq!(
        (status, &e["error-tag"]),
        (412, &json!("operation-failed")),
        "{e}"
    );
    assert!(
        e["error-message"].as_str().unwrap().contains("1500-9198"),
        "{e}"
    );

    let (req, body) = patch(
        "1/0/2",
        json!({"name": "1/0/2", "switchport-config": {"switchport": {"Cisco-IOS-XE-switch:access": {"vlan": {"vlan": 5000}}}}}),
    );
    let (status, err) = send(req, body).await;
    assert_eq!(status, 400);
    assert_eq!(
        err.unwrap()["ietf-restconf:errors"]["error"][0]["error-tag"],
        "invalid-value"
    );

    let (req, body) = patch("1/0/2", json!({"name": "1/0/3", "description": "x"}));
    assert_eq!(send(req, body).await.0, 400, "key mismatch");
    let (req, body) = patch("9/9/9", json!({"name": "9/9/9", "description": "x"}));
    assert_eq!(
        send(req, body).await.0,
        404,
        "PATCH needs an existing resource"
    );
    let (status, _) = send(
        client.put(gi_url(&sim, "9/9/9")),
        Some(json!({"Cisco-IOS-XE-native:GigabitEthernet": [{"name": "9/9/9"}]})),
    )
    .await;
    assert_eq!(status, 400, "no such port to create");
    let not_json = client
        .patch(gi_url(&sim, "1/0/2"))
        .header("Content-Type", "application/yang-data+json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    let xml = client
        .patch(gi_url(&sim, "1/0/2"))
        .header("Content-Type", "application/yang-data+xml")
        .body("<x/>")
        .send()
        .await
        .unwrap();
    assert_eq!(xml.status(), 415);

    // A NETCONF lock on running blocks RESTCONF writes (409 in-use).
    let addr = sim.running.netconf_addr;
    let mut nc = tokio::task::spawn_blocking(move || {
        let (mut nc, _) = session(addr, true);
        assert!(ok(
            &nc.rpc(&rpc(1, "<lock><target><running/></target></lock>"))
        ));
        nc
    })
    .await
    .unwrap();
    let (req, body) = patch("1/0/2", json!({"name": "1/0/2", "description": "blocked"}));
    let (status, err) = send(req, body).await;
    assert_eq!(status, 409);
    assert_eq!(
        err.unwrap()["ietf-restconf:errors"]["error"][0]["error-tag"],
        "in-use"
    );
    tokio::task::spawn_blocking(move || {
        assert!(ok(
            &nc.rpc(&rpc(2, "<unlock><target><running/></target></unlock>"))
        ));
    })
    .await
    .unwrap();
    assert_eq!(
        running_description(&sim.running, "1/0/2").as_deref(),
        Some("Floor 2 printer")
    );
}
