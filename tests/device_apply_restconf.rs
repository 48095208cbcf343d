//! `Applier::apply` over RESTCONF against a stateful loopback fake (axum) of one IOS-XE interface:
//! PATCH accepted → read back → verified → saved; 400 invalid-value → Rejected, untouched; a device
//! that silently drops a value → restore → RolledBack with the snapshot back in place.

use axum::body::Bytes;
use axum::http::{Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use patchpanel::device::apply::{Applier, ApplyError, Outcome};
use patchpanel::device::change::{ChangeReason, Edit, InterfaceChange, ModeChange};
use patchpanel::device::{DeviceSettings, Inventory, PortMode, Protocol};
use serde_json::{json, Map, Value};
use std::sync::{Arc, Mutex};

const ENTRY: &str = "/restconf/data/Cisco-IOS-XE-native:native/interface/GigabitEthernet=1%2F0%2F2";
const SAVE: &str = "/restconf/operations/cisco-ia:save-config";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Normal,
    RejectPatch,
    /// Answers 204 to a PATCH but keeps its old MTU (as a device that ignores a leaf would).
    IgnoreMtu,
}

struct State {
    entry: Map<String, Value>,
    behaviour: Behaviour,
    /// `METHOD path` per request, plus the JSON body of writes.
    log: Vec<(String, Option<Value>)>,
}

type Shared = Arc<Mutex<State>>;

fn initial() -> Map<String, Value> {
    let v = json!({"name":"1/0/2","description":"old","shutdown":[null],
        "switchport-config":{"switchport":{"Cisco-IOS-XE-switch:mode":{"access":{}},
            "Cisco-IOS-XE-switch:access":{"vlan":{"vlan":10}}}},
        "Cisco-IOS-XE-ethernet:negotiation":{"auto":true}});
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn merge(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (k, v) in from {
        match (into.get_mut(k), v) {
            (Some(Value::Object(a)), Value::Object(b)) => merge(a, b),
            _ => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}

fn reply(status: StatusCode, body: Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/yang-data+json")
        .body(if body.is_null() {
            axum::body::Body::empty()
        } else {
            axum::body::Body::from(body.to_string())
        })
        .unwrap()
}

async fn handle(state: Shared, method: Method, uri: Uri, body: Bytes) -> Response {
    let path = uri.path().to_string();
    let json_body: Option<Value> =
        (!body.is_empty()).then(|| serde_json::from_slice(&body).unwrap());
    let mut s = state.lock().unwrap();
    s.log.push((format!("{method} {path}"), json_body.clone()));
    if path == SAVE && method == Method::POST {
        return reply(
            StatusCode::OK,
            json!({"cisco-ia:output":{"result":"Save running config successful"}}),
        );
    }
    let Some(rest) = path.strip_prefix(ENTRY) else {
        return reply(StatusCode::NOT_FOUND, Value::Null);
    };
    match (method, rest) {
        (Method::GET, "") => reply(
            StatusCode::OK,
            json!({"Cisco-IOS-XE-native:GigabitEthernet": [Value::Object(s.entry.clone())]}),
        ),
        (Method::PATCH, "") => {
            if s.behaviour == Behaviour::RejectPatch {
                return reply(
                    StatusCode::BAD_REQUEST,
                    json!({"ietf-restconf:errors":{"error":[{"error-type":"application","error-tag":"invalid-value",
                        "error-path":"/Cisco-IOS-XE-native:native/interface/GigabitEthernet=1%2F0%2F2/mtu",
                        "error-message":"value not in range"}]}}),
                );
            }
            let body = json_body.unwrap();
            let mut e = body["Cisco-IOS-XE-native:GigabitEthernet"][0]
                .as_object()
                .unwrap()
                .clone();
            assert_eq!(
                e.get("name"),
                Some(&json!("1/0/2")),
                "PATCH names the entry"
            );
            if s.behaviour == Behaviour::IgnoreMtu {
                e.remove("mtu");
            }
            merge(&mut s.entry, &e);
            reply(StatusCode::NO_CONTENT, Value::Null)
        }
        (Method::DELETE, leaf) => {
            let parts: Vec<&str> = leaf.trim_start_matches('/').split('/').collect();
            let mut node = &mut s.entry;
            for p in &parts[..parts.len() - 1] {
                match node.get_mut(*p) {
                    Some(Value::Object(m)) => node = m,
                    _ => return reply(StatusCode::NOT_FOUND, Value::Null),
                }
            }
            match node.remove(parts[parts.len() - 1]) {
                Some(_) => reply(StatusCode::NO_CONTENT, Value::Null),
                None => reply(StatusCode::NOT_FOUND, Value::Null),
            }
        }
        _ => reply(StatusCode::METHOD_NOT_ALLOWED, Value::Null),
    }
}

struct Fake {
    state: Shared,
    applier: Applier,
    _shutdown: tokio_util::sync::DropGuard,
}

async fn fake(behaviour: Behaviour) -> Fake {
    let state: Shared = Arc::new(Mutex::new(State {
        entry: initial(),
        behaviour,
        log: Vec::new(),
    }));
    let st = state.clone();
    let app = Router::new().fallback(any(move |m: Method, u: Uri, b: Bytes| {
        let st = st.clone();
        async move { handle(st, m, u, b).await }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let token = tokio_util::sync::CancellationToken::new();
    let stop = token.clone();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await
            .unwrap();
    });
    let inventory = Inventory::from_toml_str(&format!(
        "[[device]]\nname = \"c9300\"\nhost = \"127.0.0.1\"\nrestconf_url = \"http://{addr}/restconf\"\nprofile = \"iosxe\"\n"
    ))
    .unwrap();
    let applier = Applier::new(inventory, DeviceSettings::default()).unwrap();
    Fake {
        state,
        applier,
        _shutdown: token.drop_guard(),
    }
}

fn change() -> InterfaceChange {
    InterfaceChange {
        device: "c9300".into(),
        interface: "gi 1/0/2".into(),
        description: Some(Edit::Set(
            "<b>core</b> & \"edge\" ]]>]]> ✓ ##ticket:15016##".into(),
        )),
        enabled: Some(true),
        mtu: Some(Edit::Set(2000)),
        mode: Some(ModeChange::Access { vlan: 100 }),
        ipv4: None,
        reason: ChangeReason::Ticket {
            number: "15016".into(),
        },
    }
}

fn requests(f: &Fake) -> Vec<String> {
    f.state
        .lock()
        .unwrap()
        .log
        .iter()
        .map(|(l, _)| l.clone())
        .collect()
}

#[tokio::test]
async fn patch_read_back_verify_and_save() {
    let f = fake(Behaviour::Normal).await;
    let r = f.applier.apply(&change(), &[]).await.unwrap();
    assert_eq!(r.protocol, Protocol::Restconf);
    assert_eq!(r.interface, "GigabitEthernet1/0/2");
    let Outcome::Applied { diff } = &r.outcome else {
        panic!("{:?}", r.outcome)
    };
    let fields: Vec<&str> = diff.changes.iter().map(|c| c.field).collect();
    assert_eq!(fields, ["description", "enabled", "mtu", "mode"]);
    assert_eq!(
        requests(&f),
        [
            format!("GET {ENTRY}"),
            format!("PATCH {ENTRY}"),
            format!("DELETE {ENTRY}/shutdown"),
            format!("GET {ENTRY}"),
            format!("POST {SAVE}"),
        ]
    );
    let s = f.state.lock().unwrap();
    // The hostile description is stored literally.
    assert_eq!(
        s.entry["description"],
        json!("<b>core</b> & \"edge\" ]]>]]> ✓ ##ticket:15016##")
    );
    assert_eq!(s.entry["mtu"], json!(2000));
    assert!(s.entry.get("shutdown").is_none());
    assert_eq!(
        s.entry["switchport-config"]["switchport"]["Cisco-IOS-XE-switch:access"]["vlan"]["vlan"],
        json!(100)
    );
    assert_eq!(
        r.after.as_ref().unwrap().mode,
        Some(PortMode::Access { vlan: Some(100) })
    );
    assert!(r.warnings.is_empty());
}

#[tokio::test]
async fn invalid_value_is_rejected_and_nothing_changes() {
    let f = fake(Behaviour::RejectPatch).await;
    let r = f.applier.apply(&change(), &[]).await.unwrap();
    let Outcome::Rejected {
        device_words,
        diff_attempted,
    } = &r.outcome
    else {
        panic!("{:?}", r.outcome)
    };
    assert!(
        device_words.starts_with("application/invalid-value: value not in range"),
        "{device_words}"
    );
    assert_eq!(diff_attempted.changes.len(), 4);
    assert_eq!(f.state.lock().unwrap().entry, initial());
    assert!(!requests(&f)
        .iter()
        .any(|l| l.starts_with("DELETE") || l.starts_with("POST")));
    assert!(patchpanel::render::apply_report(&r).contains("the device refused the change"));
}

#[tokio::test]
async fn a_dropped_value_is_detected_and_the_snapshot_restored() {
    let f = fake(Behaviour::IgnoreMtu).await;
    let r = f.applier.apply(&change(), &[]).await.unwrap();
    let Outcome::RolledBack { reason, .. } = &r.outcome else {
        panic!("{:?}", r.outcome)
    };
    assert_eq!(reason, "verification failed: MTU is unset, expected 2000");
    let log = f.state.lock().unwrap().log.clone();
    let lines: Vec<&str> = log.iter().map(|(l, _)| l.as_str()).collect();
    // Undo what the change created (mtu was absent: DELETE, 404 is fine), then PATCH the snapshot.
    assert_eq!(
        lines[4..],
        [
            format!("DELETE {ENTRY}/mtu").as_str(),
            format!("PATCH {ENTRY}").as_str(),
            format!("GET {ENTRY}").as_str()
        ]
    );
    assert_eq!(
        log[5].1,
        Some(json!({"Cisco-IOS-XE-native:GigabitEthernet": [Value::Object(initial())]}))
    );
    assert_eq!(f.state.lock().unwrap().entry, initial());
    assert!(!lines.contains(&format!("POST {SAVE}").as_str()));
    assert_eq!(r.after.unwrap().description.as_deref(), Some("old"));
}

#[tokio::test]
async fn invalid_and_protected_changes_never_reach_the_device() {
    let f = fake(Behaviour::Normal).await;
    let mut c = change();
    c.mtu = Some(Edit::Set(100));
    c.mode = Some(ModeChange::Access { vlan: 0 });
    match f.applier.apply(&c, &["GigabitEthernet1/0/2".into()]).await {
        Err(ApplyError::Invalid(inv)) => {
            let msgs: Vec<String> = inv.0.iter().map(ToString::to_string).collect();
            assert_eq!(
                msgs,
                [
                    "interface: GigabitEthernet1/0/2 is protected; the bot does not change it",
                    "mtu: MTU 100 is out of range for IOS-XE devices (1500–9198)",
                    "mode: access VLAN 0 is out of range (1–4094)",
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(requests(&f).is_empty());
}

#[tokio::test]
async fn changes_to_one_device_run_one_at_a_time() {
    let f = fake(Behaviour::Normal).await;
    let mut a = change();
    a.description = Some(Edit::Set("first".into()));
    let mut b = change();
    b.description = Some(Edit::Set("second".into()));
    let (ra, rb) = tokio::join!(f.applier.apply(&a, &[]), f.applier.apply(&b, &[]));
    assert!(matches!(ra.unwrap().outcome, Outcome::Applied { .. }));
    assert!(matches!(rb.unwrap().outcome, Outcome::Applied { .. }));
    // Each change's requests are contiguous (snapshot, write, verify, save), never interleaved: the
    // first one still saw `shutdown` and removed it, the second one had nothing to remove.
    let log = f.state.lock().unwrap().log.clone();
    let lines: Vec<String> = log
        .iter()
        .map(|(l, _)| l.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(
        lines,
        ["GET", "PATCH", "DELETE", "GET", "POST", "GET", "PATCH", "GET", "POST"]
    );
    let second =
        log[6].1.as_ref().unwrap()["Cisco-IOS-XE-native:GigabitEthernet"][0]["description"].clone();
    assert_eq!(f.state.lock().unwrap().entry["description"], second);
}
