//! The device simulator over the real wire: RESTCONF with reqwest, NETCONF over SSH with the blocking
//! `ssh2` client (libssh2) on `spawn_blocking` threads.

use base64::Engine;
use patchpanel::secret::Secret;
use patchpanel_sim::device::{start, DeviceSimConfig, RunningDeviceSim};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

#[path = "sim_device/nc_client.rs"]
mod nc_client;

const USER: &str = "netops";
const PASSWORD: &str = "s3cret-pw";

struct Sim {
    running: RunningDeviceSim,
    shutdown: CancellationToken,
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn sim(credentials: bool, host_key_path: Option<PathBuf>) -> Sim {
    let shutdown = CancellationToken::new();
    let cfg = DeviceSimConfig {
        restconf_listen: "127.0.0.1:0".parse().unwrap(),
        netconf_listen: "127.0.0.1:0".parse().unwrap(),
        hostname: "c9300".into(),
        credentials: credentials.then(|| (USER.to_owned(), Secret::new(PASSWORD))),
        host_key_path,
        base_1_1: true,
    };
    let running = start(cfg, shutdown.clone()).await.unwrap();
    Sim { running, shutdown }
}

// ---------------------------------------------------------------- RESTCONF

async fn restconf_get(sim: &Sim, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}/data/{path}", sim.running.restconf_url))
        .header("Accept", "application/yang-data+json")
        .send()
        .await
        .unwrap()
}

async fn restconf_json(sim: &Sim, path: &str) -> Value {
    let resp = restconf_get(sim, path).await;
    assert_eq!(resp.status(), 200, "{path}");
    assert_eq!(
        resp.headers()["content-type"],
        "application/yang-data+json",
        "{path}"
    );
    resp.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restconf_serves_the_documented_resources() {
    let sim = sim(false, None).await;

    let host = restconf_json(&sim, "Cisco-IOS-XE-native:native/hostname").await;
    assert_eq!(host, json!({"Cisco-IOS-XE-native:hostname": "c9300"}));

    let vrfs = restconf_json(&sim, "Cisco-IOS-XE-native:native/vrf/definition").await;
    let names: Vec<&str> = vrfs["Cisco-IOS-XE-native:definition"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Mgmt-vrf", "BLUE", "RED", "GUEST"]);

    let blue = restconf_json(&sim, "Cisco-IOS-XE-native:native/vrf/definition=BLUE").await;
    assert_eq!(blue["Cisco-IOS-XE-native:definition"]["rd"], "65000:1");
    assert_eq!(
        blue["Cisco-IOS-XE-native:definition"]["address-family"]["ipv4"]["route-target"]
            ["export-route-target"]["without-stitching"][0]["asn-ip"],
        "65000:1"
    );

    let ifaces = restconf_json(&sim, "Cisco-IOS-XE-native:native/interface").await;
    let gi = ifaces["Cisco-IOS-XE-native:interface"]["GigabitEthernet"]
        .as_array()
        .unwrap();
    assert_eq!(gi.len(), 49);
    assert_eq!(
        ifaces["Cisco-IOS-XE-native:interface"]["Vlan"][1]["name"],
        json!(10)
    );

    let gi2 = restconf_json(
        &sim,
        "Cisco-IOS-XE-native:native/interface/GigabitEthernet=1%2F0%2F2",
    )
    .await;
    let gi2 = &gi2["Cisco-IOS-XE-native:GigabitEthernet"];
    assert_eq!(gi2["name"], "1/0/2");
    assert_eq!(gi2["description"], "Floor 2 printer");
    assert_eq!(
        gi2["switchport-config"]["switchport"]["Cisco-IOS-XE-switch:access"]["vlan"]["vlan"],
        json!(10)
    );

    let gi3 = restconf_json(
        &sim,
        "Cisco-IOS-XE-native:native/interface/GigabitEthernet=1%2F0%2F3/shutdown",
    )
    .await;
    assert_eq!(gi3, json!({"Cisco-IOS-XE-native:shutdown": [null]}));

    let ietf = restconf_json(
        &sim,
        "ietf-interfaces:interfaces/interface=GigabitEthernet1%2F0%2F5",
    )
    .await;
    let gi5 = &ietf["ietf-interfaces:interface"][0];
    assert_eq!(gi5["type"], "iana-if-type:ethernetCsmacd");
    assert_eq!(gi5["enabled"], json!(true));
    assert_eq!(gi5["ietf-ip:ipv4"]["address"][0]["ip"], "198.51.100.1");

    let state = restconf_json(
        &sim,
        "ietf-interfaces:interfaces-state/interface=GigabitEthernet1%2F0%2F1",
    )
    .await;
    let st = &state["ietf-interfaces:interface"][0];
    assert_eq!(st["oper-status"], "up");
    assert_eq!(st["speed"], "1000000000");
    assert!(
        st["statistics"]["in-octets"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restconf_errors_discovery_and_negotiation() {
    let sim = sim(false, None).await;

    for path in [
        "Cisco-IOS-XE-native:native/interface/GigabitEthernet=9%2F9%2F9",
        "Cisco-IOS-XE-native:native/vrf/definition=NOPE",
    ] {
        let resp = restconf_get(&sim, path).await;
        assert_eq!(resp.status(), 404);
        assert_eq!(resp.headers()["content-type"], "application/yang-data+json");
        let body: Value = resp.json().await.unwrap();
        let err = &body["ietf-restconf:errors"]["error"][0];
        assert_eq!(err["error-type"], "application");
        assert_eq!(err["error-tag"], "invalid-value");
        assert!(err["error-message"].is_string());
    }

    let bad = restconf_get(&sim, "native/hostname").await;
    assert_eq!(bad.status(), 400);

    let client = reqwest::Client::new();
    let xml = client
        .get(format!(
            "{}/data/Cisco-IOS-XE-native:native/hostname",
            sim.running.restconf_url
        ))
        .header("Accept", "application/yang-data+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(xml.status(), 406);

    let patch = client
        .patch(format!(
            "{}/data/Cisco-IOS-XE-native:native/hostname",
            sim.running.restconf_url
        ))
        .json(&json!({"Cisco-IOS-XE-native:hostname": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 405);

    let meta = client
        .get(format!(
            "http://{}/.well-known/host-meta",
            sim.running.restconf_addr
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(meta.status(), 200);
    assert_eq!(meta.headers()["content-type"], "application/xrd+xml");
    let text = meta.text().await.unwrap();
    assert!(
        text.contains(r#"<Link rel="restconf" href="/restconf"/>"#),
        "{text}"
    );

    let root: Value = client
        .get(&sim.running.restconf_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(root["ietf-restconf:restconf"]["data"].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restconf_basic_auth() {
    let sim = sim(true, None).await;
    let url = format!(
        "{}/data/Cisco-IOS-XE-native:native/hostname",
        sim.running.restconf_url
    );
    let client = reqwest::Client::new();

    let none = client.get(&url).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert!(none.headers().contains_key("www-authenticate"));
    let body: Value = none.json().await.unwrap();
    assert_eq!(
        body["ietf-restconf:errors"]["error"][0]["error-tag"],
        "access-denied"
    );

    let wrong = client
        .get(&url)
        .basic_auth(USER, Some("nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let right = client
        .get(&url)
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
}

// ---------------------------------------------------------------- NETCONF (blocking ssh2 client)

use nc_client::{ssh_session, Nc, HELLO_10};

fn get_config(id: u32, filter: &str) -> String {
    format!(
        r#"<rpc message-id="{id}" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source><running/></source>{filter}</get-config></rpc>"#
    )
}

const VRF_FILTER: &str = r#"<filter type="subtree"><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><vrf><definition/></vrf></native></filter>"#;
const GI2_FILTER: &str = r#"<filter type="subtree"><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>1/0/2</name></GigabitEthernet></interface></native></filter>"#;

fn password_session(addr: SocketAddr, password: &str) -> ssh2::Session {
    let sess = ssh_session(addr);
    sess.userauth_password(USER, password).unwrap();
    assert!(sess.authenticated());
    sess
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netconf_host_key_and_password_auth() {
    let sim = sim(true, None).await;
    let addr = sim.running.netconf_addr;
    let expected_key = sim.running.host_key_openssh.clone();
    let known_hosts = sim.running.known_hosts_line();
    tokio::task::spawn_blocking(move || {
        let sess = ssh_session(addr);
        let (key, kind) = sess.host_key().unwrap();
        assert!(matches!(kind, ssh2::HostKeyType::Ed25519));
        let b64 = expected_key.split_whitespace().nth(1).unwrap();
        assert_eq!(
            key,
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap()
                .as_slice()
        );
        let mut kh = sess.known_hosts().unwrap();
        kh.read_str(&known_hosts, ssh2::KnownHostFileKind::OpenSSH)
            .unwrap();
        assert!(matches!(
            kh.check_port("127.0.0.1", addr.port(), key),
            ssh2::CheckResult::Match
        ));

        assert!(sess.userauth_password(USER, "wrong").is_err());
        assert!(!sess.authenticated());
        let other = ssh_session(addr);
        assert!(other.userauth_password("intruder", PASSWORD).is_err());

        let sess = password_session(addr, PASSWORD);
        let mut nc = Nc::open(sess);
        let hello = nc.hello(true);
        assert!(hello.contains("<session-id>"));
    })
    .await
    .unwrap();
}

fn exercise_session(addr: SocketAddr, offer_11: bool) {
    let mut nc = Nc::open(password_session(addr, "anything"));
    let hello = nc.hello(offer_11);
    assert!(hello.contains("<capability>urn:ietf:params:netconf:base:1.0</capability>"));
    assert!(hello.contains("<capability>urn:ietf:params:netconf:base:1.1</capability>"));
    assert!(hello.contains(
        "http://cisco.com/ns/yang/Cisco-IOS-XE-native?module=Cisco-IOS-XE-native&amp;revision="
    ));
    assert!(hello.contains("<session-id>"));
    assert_eq!(nc.chunked, offer_11);

    let all = nc.rpc(&get_config(1, ""));
    assert!(all.contains(r#"message-id="1""#), "{all}");
    assert!(all.contains("<hostname>c9300</hostname>"));
    assert_eq!(all.matches("<GigabitEthernet>").count(), 49);
    assert!(all.contains("<interfaces xmlns=\"urn:ietf:params:xml:ns:yang:ietf-interfaces\">"));
    if offer_11 {
        assert!(
            nc.chunks_in_last_reply > 1,
            "a large reply arrives in several chunks"
        );
    }

    let vrfs = nc.rpc(&get_config(2, VRF_FILTER));
    assert_eq!(vrfs.matches("<definition>").count(), 4, "{vrfs}");
    assert!(
        vrfs.contains("<name>BLUE</name><description>Blue tenant</description><rd>65000:1</rd>")
    );
    assert!(!vrfs.contains("<interface>") && !vrfs.contains("<hostname>"));

    let gi2 = nc.rpc(&get_config(3, GI2_FILTER));
    assert_eq!(gi2.matches("<GigabitEthernet>").count(), 1, "{gi2}");
    assert!(gi2.contains("<name>1/0/2</name><description>Floor 2 printer</description>"));
    assert!(gi2.contains("<access xmlns=\"http://cisco.com/ns/yang/Cisco-IOS-XE-switch\"><vlan><vlan>10</vlan></vlan></access>"));

    let state = nc.rpc(r#"<rpc message-id="4" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get><filter type="subtree"><interfaces-state xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>GigabitEthernet1/0/3</name></interface></interfaces-state></filter></get></rpc>"#);
    assert!(
        state.contains("<admin-status>down</admin-status><oper-status>down</oper-status>"),
        "{state}"
    );

    let err = nc.rpc(r#"<rpc message-id="5" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><frobnicate/></rpc>"#);
    assert!(err.contains(r#"message-id="5""#));
    assert!(err.contains("<rpc-error><error-type>protocol</error-type><error-tag>operation-not-supported</error-tag><error-severity>error</error-severity>"), "{err}");

    let bad = nc.rpc("<rpc message-id=\"6\"><unclosed>");
    assert!(
        bad.contains("<error-tag>malformed-message</error-tag>"),
        "{bad}"
    );

    let bye = nc.rpc(r#"<rpc message-id="7" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><close-session/></rpc>"#);
    assert!(
        bye.contains(r#"message-id="7""#) && bye.contains("<ok/>"),
        "{bye}"
    );
    assert_eq!(
        nc.read_msg(),
        None,
        "server closes the channel after close-session"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netconf_get_config_in_both_framings() {
    let sim = sim(false, None).await;
    let addr = sim.running.netconf_addr;
    tokio::task::spawn_blocking(move || {
        exercise_session(addr, false);
        exercise_session(addr, true);
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netconf_garbage_drops_only_that_session() {
    let sim = sim(false, None).await;
    let addr = sim.running.netconf_addr;
    tokio::task::spawn_blocking(move || {
        // Open a healthy session first and keep it across the abuse.
        let mut healthy = Nc::open(password_session(addr, "x"));
        healthy.hello(true);

        // Garbage instead of a hello.
        let mut a = Nc::open(password_session(addr, "x"));
        a.read_eom().expect("server hello");
        a.send_raw(b"\x00\xffnot a hello at all]]>]]>");
        assert_eq!(a.read_eom(), None);

        // A broken chunk header after a good hello.
        let mut b = Nc::open(password_session(addr, "x"));
        b.hello(true);
        b.send_raw(b"\n#99999999999\nxx");
        assert_eq!(b.read_msg(), None);

        // A claimed 4 GiB chunk.
        let mut c = Nc::open(password_session(addr, "x"));
        c.hello(true);
        c.send_raw(b"\n#4294967295\n<rpc");
        assert_eq!(c.read_msg(), None);

        // Hello and first rpc in one write.
        let mut d = Nc::open(password_session(addr, "x"));
        d.read_eom().expect("server hello");
        let mut wire = HELLO_10.as_bytes().to_vec();
        wire.extend_from_slice(b"]]>]]>");
        wire.extend_from_slice(get_config(1, GI2_FILTER).as_bytes());
        wire.extend_from_slice(b"]]>]]>");
        d.send_raw(&wire);
        assert!(d.read_eom().unwrap().contains("<name>1/0/2</name>"));

        let reply = healthy.rpc(&get_config(9, VRF_FILTER));
        assert!(reply.contains(r#"message-id="9""#) && reply.contains("<name>GUEST</name>"));
        let fresh = {
            let mut e = Nc::open(password_session(addr, "x"));
            e.hello(false);
            e.rpc(&get_config(1, ""))
        };
        assert!(fresh.contains("<hostname>c9300</hostname>"));
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netconf_client_eof_gets_pending_reply_then_close() {
    let sim = sim(false, None).await;
    let addr = sim.running.netconf_addr;
    tokio::task::spawn_blocking(move || {
        // Half-close right after an rpc, like `ssh -s … netconf < requests.xml`: the reply still comes,
        // then the server closes the channel (so libssh2's close handshake completes).
        let mut nc = Nc::open(password_session(addr, "x"));
        nc.hello(false);
        nc.send(&get_config(1, GI2_FILTER));
        nc.ch.send_eof().unwrap();
        assert!(nc.read_msg().unwrap().contains("<name>1/0/2</name>"));
        assert_eq!(nc.read_msg(), None);
        nc.ch.wait_close().unwrap();
        assert!(nc.ch.eof());
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netconf_publickey_auth_when_open() {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("client_key");
    // The simulator's own key writer produces an OpenSSH ed25519 key file, as ssh-keygen would.
    let client_key = patchpanel_sim::device::ssh::load_or_create_host_key(Some(&key_path)).unwrap();
    let _ = client_key;
    let sim = sim(false, None).await;
    let addr = sim.running.netconf_addr;
    tokio::task::spawn_blocking(move || {
        let sess = ssh_session(addr);
        sess.userauth_pubkey_file("anyone", None, &key_path, None)
            .unwrap();
        assert!(sess.authenticated());
        let mut nc = Nc::open(sess);
        nc.hello(true);
        assert!(nc
            .rpc(&get_config(1, VRF_FILTER))
            .contains("<name>RED</name>"));
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_key_persists_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ssh_host_ed25519_key");

    let first = sim(false, Some(path.clone())).await;
    let key1 = first.running.host_key_openssh.clone();
    assert!(key1.starts_with("ssh-ed25519 "));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    first.shutdown.cancel();
    first.running.stopped().await;

    let second = sim(false, Some(path)).await;
    assert_eq!(second.running.host_key_openssh, key1);
    let addr = second.running.netconf_addr;
    let served = tokio::task::spawn_blocking(move || {
        let sess = ssh_session(addr);
        let (key, _) = sess.host_key().unwrap();
        base64::engine::general_purpose::STANDARD.encode(key)
    })
    .await
    .unwrap();
    assert_eq!(key1.split_whitespace().nth(1).unwrap(), served);

    let ephemeral = sim(false, None).await;
    assert_ne!(ephemeral.running.host_key_openssh, key1);
}
