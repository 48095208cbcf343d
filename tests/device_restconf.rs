//! RESTCONF reads end to end against a loopback fake written here (axum): an IOS-XE device, an
//! ietf-only device, a device with no VRFs, a device with an oversized reply and one that never answers.

#[path = "reads/mod.rs"]
mod reads;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::Router;
use patchpanel::device::{
    DeviceError, DeviceReader, DeviceSettings, Inventory, PortMode, Protocol,
};
use patchpanel::secret::Secret;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const AUTH: &str = "Basic YWRtaW46czNjcmV0"; // admin:s3cret

const VRFS: &str = r#"{"Cisco-IOS-XE-native:definition":[
  {"name":"MGMT","rd":"65000:1","address-family":{"ipv4":{}}},
  {"name":"BLUE","description":"tenant *blue* | <b>","rd":"65000:2",
   "route-target":{"export":[{"asn-ip":"65000:2"}],"import":[{"asn-ip":"65000:2"}]},
   "address-family":{"ipv4":{},"ipv6":{}}}]}"#;

const GI: &str = r#"{"Cisco-IOS-XE-native:GigabitEthernet":{"name":"1/0/2","description":"uplink to core","shutdown":[null],"mtu":9000,
  "switchport-config":{"switchport":{"Cisco-IOS-XE-switch:mode":{"access":{}},"Cisco-IOS-XE-switch:access":{"vlan":{"vlan":10}}}},
  "Cisco-IOS-XE-ethernet:negotiation":{"auto":true}}}"#;

const NOT_FOUND: &str = r#"{"ietf-restconf:errors":{"error":[{"error-type":"application","error-tag":"invalid-value","error-message":"uri keypath not found"}]}}"#;

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

fn json(status: StatusCode, body: impl Into<Body>) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/yang-data+json")
        .body(body.into())
        .unwrap()
}

async fn fake(seen: Seen, uri: Uri, headers: HeaderMap) -> Response {
    let pq = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    seen.0.lock().unwrap().push(pq.clone());
    assert_eq!(
        headers.get("accept").and_then(|v| v.to_str().ok()),
        Some("application/yang-data+json")
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(AUTH) {
        return json(StatusCode::UNAUTHORIZED, "");
    }
    let Some((dev, path)) = pq
        .strip_prefix('/')
        .and_then(|p| p.split_once("/restconf/data/"))
    else {
        return json(StatusCode::NOT_FOUND, NOT_FOUND);
    };
    match (dev, path) {
        ("iosxe", "Cisco-IOS-XE-native:native/vrf/definition") => json(StatusCode::OK, VRFS),
        ("iosxe", "Cisco-IOS-XE-native:native/interface/GigabitEthernet=1%2F0%2F2") => {
            json(StatusCode::OK, GI)
        }
        ("iosxe", "ietf-interfaces:interfaces-state/interface=GigabitEthernet1%2F0%2F2") => json(
            StatusCode::OK,
            r#"{"ietf-interfaces:interface":[{"name":"GigabitEthernet1/0/2","oper-status":"down"}]}"#,
        ),
        ("iosxe", "Cisco-IOS-XE-native:native/interface/Loopback=0") => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"ietf-restconf:errors":{"error":[{"error-type":"application","error-tag":"operation-failed","error-message":"backend busy"}]}}"#,
        ),
        ("iosxe", "Cisco-IOS-XE-native:native?depth=1") => json(
            StatusCode::OK,
            r#"{"Cisco-IOS-XE-native:native":{"hostname":"c9300"}}"#,
        ),
        ("ietf", "ietf-interfaces:interfaces/interface=GigabitEthernet1%2F0%2F2") => json(
            StatusCode::OK,
            r#"{"ietf-interfaces:interface":[{"name":"GigabitEthernet1/0/2","description":"edge","type":"iana-if-type:ethernetCsmacd",
                "enabled":true,"ietf-ip:ipv4":{"mtu":1500,"address":[{"ip":"192.0.2.1","prefix-length":24}]}}]}"#,
        ),
        ("ietf", "ietf-interfaces:interfaces-state/interface=GigabitEthernet1%2F0%2F2") => json(
            StatusCode::OK,
            r#"{"ietf-interfaces:interface":[{"name":"GigabitEthernet1/0/2","oper-status":"up"}]}"#,
        ),
        ("empty", "Cisco-IOS-XE-native:native/vrf/definition") => json(StatusCode::NO_CONTENT, ""),
        ("huge", _) => json(StatusCode::OK, vec![b' '; 17 * 1024 * 1024]),
        ("silent", _) => std::future::pending().await,
        _ => json(StatusCode::NOT_FOUND, NOT_FOUND),
    }
}

struct Fixture {
    reader: DeviceReader,
    seen: Seen,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

async fn fixture(password: &str) -> Fixture {
    let seen = Seen::default();
    let s = seen.clone();
    let app =
        Router::new().fallback(move |uri: Uri, headers: HeaderMap| fake(s.clone(), uri, headers));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    let mut toml = String::new();
    for (name, profile) in [
        ("c9300", Some("iosxe")),
        ("edge", None),
        ("empty", Some("iosxe")),
        ("huge", None),
        ("silent", None),
    ] {
        let path = match name {
            "c9300" => "iosxe",
            "edge" => "ietf",
            other => other,
        };
        toml.push_str(&format!(
            "[[device]]\nname = \"{name}\"\nhost = \"127.0.0.1\"\nrestconf_url = \"http://{addr}/{path}/restconf\"\n"
        ));
        if let Some(p) = profile {
            toml.push_str(&format!("profile = \"{p}\"\n"));
        }
    }
    let inventory = Inventory::from_toml_str(&toml).unwrap();
    let settings = DeviceSettings {
        username: Some("admin".into()),
        password: Some(Secret::new(password)),
        ..DeviceSettings::default()
    };
    let reader = DeviceReader::new(inventory, settings)
        .unwrap()
        .with_timeout(Duration::from_secs(2))
        .unwrap();
    Fixture {
        reader,
        seen,
        _shutdown: tx,
    }
}

#[tokio::test]
async fn vrfs_over_restconf_render_a_table() {
    let f = fixture("s3cret").await;
    let answer = reads::vrfs(&f.reader, "C9300").await.unwrap();
    assert_eq!(answer.protocol, Protocol::Restconf);
    assert_eq!(answer.device, "c9300");
    assert_eq!(answer.data.len(), 2);
    let md = reads::vrfs(&f.reader, "c9300")
        .await
        .map(|a| patchpanel::render::vrfs(&a))
        .unwrap();
    assert!(md.starts_with("**c9300** — 2 VRFs (via RESTCONF)"), "{md}");
    assert!(
        md.contains(
            "| BLUE | 65000:2 | 65000:2 | 65000:2 | ipv4, ipv6 | tenant \\*blue\\* \\| &lt;b&gt; |"
        ),
        "{md}"
    );
    assert!(md.contains("| MGMT | 65000:1 | — | — | ipv4 | — |"), "{md}");
}

#[tokio::test]
async fn no_vrfs_is_a_friendly_line() {
    let f = fixture("s3cret").await;
    let md = reads::vrfs(&f.reader, "empty")
        .await
        .map(|a| patchpanel::render::vrfs(&a))
        .unwrap();
    assert_eq!(md, "**empty** has no VRFs configured (via RESTCONF).");
}

#[tokio::test]
async fn native_interface_with_ietf_oper_state() {
    let f = fixture("s3cret").await;
    let a = reads::interface(&f.reader, "c9300", "Gi1/0/2")
        .await
        .unwrap();
    assert_eq!(a.data.config.name, "GigabitEthernet1/0/2");
    assert_eq!(
        a.data.config.mode,
        Some(PortMode::Access { vlan: Some(10) })
    );
    assert_eq!(a.data.state.unwrap().oper_status.as_deref(), Some("down"));
    let md = reads::interface(&f.reader, "c9300", "GigabitEthernet1/0/2")
        .await
        .map(|a| patchpanel::render::interface(&a))
        .unwrap();
    assert!(
        md.starts_with("**c9300** — GigabitEthernet1/0/2 (via RESTCONF)"),
        "{md}"
    );
    assert!(md.contains("| Admin state | shutdown |"), "{md}");
    assert!(md.contains("| Mode | access, VLAN 10 |"), "{md}");
    assert!(md.contains("| MTU | 9000 |"), "{md}");
    // The key went out percent-encoded, never raw.
    let seen = f.seen.0.lock().unwrap().clone();
    assert!(
        seen.contains(
            &"/iosxe/restconf/data/Cisco-IOS-XE-native:native/interface/GigabitEthernet=1%2F0%2F2"
                .to_string()
        ),
        "{seen:?}"
    );
}

#[tokio::test]
async fn missing_interface_is_named() {
    let f = fixture("s3cret").await;
    let e = reads::interface(&f.reader, "c9300", "Gi1/0/9")
        .await
        .map(|a| patchpanel::render::interface(&a))
        .unwrap_err()
        .device();
    assert!(matches!(e, DeviceError::NoSuchInterface { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "no interface GigabitEthernet1/0/9 on device c9300"
    );
}

#[tokio::test]
async fn ietf_only_device_falls_back_after_native_404() {
    let f = fixture("s3cret").await;
    let a = reads::interface(&f.reader, "edge", "GigabitEthernet1/0/2")
        .await
        .unwrap();
    assert_eq!(a.data.config.description.as_deref(), Some("edge"));
    assert_eq!(a.data.config.shutdown, Some(false));
    assert_eq!(
        a.data.state.as_ref().unwrap().oper_status.as_deref(),
        Some("up")
    );
    let md = reads::interface(&f.reader, "edge", "GigabitEthernet1/0/2")
        .await
        .map(|a| patchpanel::render::interface(&a))
        .unwrap();
    assert!(md.contains("| IPv4 | 192.0.2.1/24 |"), "{md}");
    assert!(md.contains("| Oper state | up |"), "{md}");
    let seen = f.seen.0.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|p| p == "/ietf/restconf/data/Cisco-IOS-XE-native:native?depth=1"),
        "{seen:?}"
    );
    // VRFs need the native model: a clear refusal, not an empty table.
    let e = reads::vrfs(&f.reader, "edge").await.unwrap_err().device();
    assert!(matches!(e, DeviceError::Unsupported { .. }), "{e:?}");
}

#[tokio::test]
async fn wrong_password_is_an_auth_error_without_the_secret() {
    let f = fixture("wrong-pw-123").await;
    let e = reads::vrfs(&f.reader, "c9300").await.unwrap_err().device();
    assert!(
        matches!(
            e,
            DeviceError::AuthFailed {
                protocol: Protocol::Restconf,
                ..
            }
        ),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(text.contains("DEVICE_USERNAME/DEVICE_PASSWORD"), "{text}");
    assert!(!text.contains("wrong-pw-123") && !format!("{e:?}").contains("wrong-pw-123"));
}

#[tokio::test]
async fn restconf_error_body_is_readable() {
    let f = fixture("s3cret").await;
    let e = reads::interface(&f.reader, "c9300", "Loopback0")
        .await
        .unwrap_err()
        .device();
    assert_eq!(
        e.to_string(),
        "c9300 answered RESTCONF 500: application/operation-failed: backend busy"
    );
}

#[tokio::test]
async fn bad_input_never_reaches_the_device() {
    let f = fixture("s3cret").await;
    let e = reads::interface(&f.reader, "c9300", "Gi1/0/2/../../x?y")
        .await
        .unwrap_err();
    assert!(matches!(e, reads::ReadError::Name(_)), "{e:?}");
    let e = reads::vrfs(&f.reader, "c930").await.unwrap_err();
    assert!(
        e.to_string()
            .to_lowercase()
            .contains("did you mean `c9300`?"),
        "{e}"
    );
    assert!(f.seen.0.lock().unwrap().is_empty());
}

#[tokio::test]
async fn oversized_reply_and_silent_device_fail_cleanly() {
    let f = fixture("s3cret").await;
    let e = reads::vrfs(&f.reader, "huge").await.unwrap_err().device();
    assert!(e.to_string().contains("reply larger than 16 MiB"), "{e}");
    let e = reads::vrfs(&f.reader, "silent").await.unwrap_err().device();
    assert!(
        matches!(
            e,
            DeviceError::Timeout {
                protocol: Protocol::Restconf,
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn unreadable_ca_file_is_a_settings_error() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, "not a certificate").unwrap();
    let settings = DeviceSettings {
        ca_file: Some(ca),
        ..DeviceSettings::default()
    };
    let e = DeviceReader::new(Inventory::default(), settings).unwrap_err();
    assert!(matches!(e, DeviceError::Config(_)), "{e:?}");
}
