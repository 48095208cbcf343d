//! `netbox::NetboxClient` against a small loopback fake of NetBox written here, one test per
//! behaviour: the count==1 rule, VID ambiguity, ETag/If-Match and 412, 403 bodies, the
//! core→extras change-log fallback, pagination, bounded bodies.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Router;
use patchpanel::netbox::{
    ChangeAction, ClearOutcome, InterfaceUpdate, L2Update, MgmtAddress, NetboxClient, NetboxConfig,
    NetboxError,
};
use patchpanel::secret::Secret;
use reqwest::Url;
use serde_json::{json, Value};

const V1: &str = "0123456789abcdef0123456789abcdef01234567";
const V2: &str = "nbt_netboxlab001.abcdef0123456789abcdef0123456789abcdef01";

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Value,
}

impl Seen {
    fn q(&self, k: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
    fn header(&self, k: &str) -> Option<&str> {
        self.headers.get(k).and_then(|v| v.to_str().ok())
    }
}

/// (status, extra headers, body)
type Answer = (u16, Vec<(&'static str, String)>, String);
type Handler = Arc<dyn Fn(&Seen) -> Answer + Send + Sync>;

struct Fake {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    fn client(&self, token: &str) -> NetboxClient {
        NetboxClient::new(&NetboxConfig::new(&self.base, Secret::new(token))).unwrap()
    }
}

async fn fake(handler: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Fake {
    let handler: Handler = Arc::new(handler);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = Router::new().fallback(move |req: Request| {
        let handler = handler.clone();
        let log = log.clone();
        async move {
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
            let url = Url::parse(&format!("http://fake{}", parts.uri)).unwrap();
            let s = Seen {
                method: parts.method.to_string(),
                path: url.path().to_owned(),
                query: url.query_pairs().into_owned().collect(),
                headers: parts.headers,
                body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            };
            let (status, headers, body) = handler(&s);
            log.lock().unwrap().push(s);
            let mut r = Response::builder().status(StatusCode::from_u16(status).unwrap());
            for (k, v) in headers {
                r = r.header(k, v);
            }
            r.header("content-type", "application/json")
                .body(Body::from(body))
                .unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Fake {
        base: format!("http://{addr}"),
        seen,
    }
}

fn ok(v: Value) -> Answer {
    (200, vec![], v.to_string())
}

fn list(items: Vec<Value>) -> Value {
    json!({"count": items.len(), "next": null, "previous": null, "results": items})
}

fn device(id: u64, site: &str) -> Value {
    json!({"id": id, "name": "c9300", "site": {"id": id, "slug": site},
           "primary_ip4": {"id": 1, "address": "192.0.2.10/24", "dns_name": ""}})
}

#[tokio::test]
async fn device_lookup_acts_only_on_exactly_one_match() {
    let nb = fake(|s| match s.q("name") {
        Some("c9300") if s.q("site") == Some("lab") => ok(list(vec![device(1, "lab")])),
        Some("c9300") => ok(list(vec![device(1, "lab"), device(2, "other")])),
        _ => ok(list(vec![])),
    })
    .await;
    let c = nb.client(V1);

    let d = c.device_by_name("c9300", Some("lab")).await.unwrap();
    assert_eq!(d.id, 1);
    assert_eq!(
        d.mgmt_address(),
        Some(MgmtAddress::Ip([192, 0, 2, 10].into()))
    );

    match c.device_by_name("c9300", None).await {
        Err(NetboxError::Ambiguous { candidates, .. }) => {
            assert_eq!(candidates.len(), 2);
            assert!(candidates[0].contains("site lab") && candidates[1].contains("site other"));
        }
        other => panic!("{other:?}"),
    }
    let e = c.device_by_name("sw&name=c9300", None).await.unwrap_err();
    assert!(matches!(e, NetboxError::NotFound { .. }), "{e:?}");

    let seen = nb.seen();
    assert_eq!(seen[0].path, "/api/dcim/devices/");
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Token {V1}").as_str())
    );
    assert_eq!(seen[0].header("accept"), Some("application/json"));
    // The hostile name arrived as one encoded value, not as an extra filter.
    assert_eq!(seen[2].q("name"), Some("sw&name=c9300"));
    assert_eq!(seen[2].query.iter().filter(|(k, _)| k == "name").count(), 1);
}

fn iface(etag_version: &str) -> Value {
    json!({"id": 3, "name": "GigabitEthernet1/0/3", "device": {"id": 1, "name": "c9300"},
           "enabled": true, "mtu": null, "description": "", "mode": null,
           "untagged_vlan": null, "tagged_vlans": [],
           "custom_fields": {"change_ticket_number": "CHG-1001"}, "last_updated": etag_version})
}

#[tokio::test]
async fn ambiguous_vid_is_refused_before_any_write_and_unique_vids_become_ids() {
    let nb = fake(|s| match (s.method.as_str(), s.path.as_str()) {
        ("GET", "/api/ipam/vlans/") => {
            assert_eq!(s.q("available_on_device"), Some("1"));
            match s.q("vid") {
                Some("100") => ok(list(vec![
                    json!({"id": 7, "vid": 100, "name": "users", "site": {"id": 1, "slug": "lab"}}),
                    json!({"id": 12, "vid": 100, "name": "users", "site": null}),
                ])),
                Some("200") => ok(list(vec![json!({"id": 8, "vid": 200, "name": "voice"})])),
                Some("300") => ok(list(vec![json!({"id": 9, "vid": 300})])),
                _ => ok(list(vec![])),
            }
        }
        ("GET", "/api/dcim/interfaces/3/") => ok(iface("a")),
        ("PATCH", "/api/dcim/interfaces/3/") => ok(iface("b")),
        _ => (404, vec![], "{}".into()),
    })
    .await;
    let c = nb.client(V2);
    let current = c.interface(3).await.unwrap();

    let mut upd = InterfaceUpdate::new("chatops-bot: CHG-1001");
    upd.l2 = Some(L2Update::Access { vlan: 100 });
    match c.patch_interface(&current, &upd).await {
        Err(NetboxError::Ambiguous { what, candidates }) => {
            assert!(what.contains("VLAN 100"));
            assert!(candidates[0].contains("id 7") && candidates[1].contains("id 12"));
        }
        other => panic!("{other:?}"),
    }
    upd.l2 = Some(L2Update::Access { vlan: 999 });
    assert!(matches!(
        c.patch_interface(&current, &upd).await,
        Err(NetboxError::NotFound { .. })
    ));
    assert!(nb.seen().iter().all(|s| s.method != "PATCH"));

    let mut upd = InterfaceUpdate::new("chatops-bot: CHG-1001").ticket_number(None);
    upd.mtu = Some(Some(9000));
    upd.l2 = Some(L2Update::Tagged {
        native: Some(200),
        allowed: vec![200, 300],
    });
    c.patch_interface(&current, &upd).await.unwrap();
    let patch = nb.seen().into_iter().find(|s| s.method == "PATCH").unwrap();
    assert_eq!(
        patch.body,
        json!({"mtu": 9000, "mode": "tagged", "untagged_vlan": 8, "tagged_vlans": [8, 9],
               "custom_fields": {"change_ticket_number": null},
               "changelog_message": "chatops-bot: CHG-1001"})
    );
    assert_eq!(patch.header("content-type"), Some("application/json"));
    assert_eq!(
        patch.header("authorization"),
        Some(format!("Bearer {V2}").as_str())
    );
}

/// A NetBox 4.6+ that versions interface 3 with an ETag and enforces If-Match.
#[tokio::test]
async fn etag_is_sent_back_as_if_match_and_a_concurrent_change_gives_412() {
    let version = Arc::new(Mutex::new(1u32));
    let v = version.clone();
    let nb = fake(move |s| {
        let mut cur = v.lock().unwrap();
        let etag = format!("W/\"v{cur}\"");
        match s.method.as_str() {
            "GET" => (200, vec![("etag", etag)], iface("x").to_string()),
            "PATCH" if s.header("if-match").is_some_and(|m| m != etag) => (
                412,
                vec![],
                json!({"detail": "Precondition failed."}).to_string(),
            ),
            _ => {
                *cur += 1;
                let mut body = iface("y");
                body["custom_fields"]["change_ticket_number"] = Value::Null;
                (
                    200,
                    vec![("etag", format!("W/\"v{cur}\""))],
                    body.to_string(),
                )
            }
        }
    })
    .await;
    let c = nb.client(V1);

    let read = c.interface(3).await.unwrap();
    assert_eq!(read.etag.as_deref(), Some("W/\"v1\""));
    let out = c
        .clear_ticket_number(3, "CHG-1001", None, "chatops-bot: done")
        .await
        .unwrap();
    assert_eq!(out, ClearOutcome::Cleared);
    let patch = nb.seen().into_iter().find(|s| s.method == "PATCH").unwrap();
    assert_eq!(patch.header("if-match"), Some("W/\"v1\""));
    assert_eq!(
        patch.body,
        json!({"custom_fields": {"change_ticket_number": null}, "changelog_message": "chatops-bot: done"})
    );

    // `read` is now stale (the clear bumped the version): a write with it must fail with 412.
    let upd = InterfaceUpdate::new("chatops-bot: x");
    let e = c.patch_interface(&read, &upd).await.unwrap_err();
    assert!(matches!(e, NetboxError::PreconditionFailed { .. }), "{e:?}");
    assert!(e.to_string().contains("re-read"));
}

/// NetBox before 4.6 gives no ETag: no If-Match is sent, and the compare step guards the clear.
#[tokio::test]
async fn without_etag_no_if_match_is_sent_and_a_changed_ticket_is_left_alone() {
    let nb = fake(|s| match s.method.as_str() {
        "GET" => ok(iface("x")),
        _ => ok(iface("y")),
    })
    .await;
    let c = nb.client(V1);
    let out = c
        .clear_ticket_number(3, "CHG-2000", None, "m")
        .await
        .unwrap();
    assert_eq!(
        out,
        ClearOutcome::TicketChanged {
            current: Some("CHG-1001".into())
        }
    );
    assert!(nb.seen().iter().all(|s| s.method == "GET"));
    assert_eq!(
        c.clear_ticket_number(3, "CHG-1001", None, "m")
            .await
            .unwrap(),
        ClearOutcome::Cleared
    );
    let patch = nb.seen().into_iter().find(|s| s.method == "PATCH").unwrap();
    assert_eq!(patch.header("if-match"), None);
}

#[tokio::test]
async fn forbidden_and_bad_token_bodies_become_actionable_errors_without_the_token() {
    let nb = fake(|s| match s.method.as_str() {
        "PATCH" => (
            403,
            vec![],
            json!({"detail": "You do not have permission to perform this action."}).to_string(),
        ),
        _ if s.path == "/api/status/" => (
            403,
            vec![],
            json!({"detail": "Invalid v2 token"}).to_string(),
        ),
        _ => ok(iface("x")),
    })
    .await;
    let c = nb.client(V2);
    let current = c.interface(3).await.unwrap();
    let e = c
        .patch_interface(&current, &InterfaceUpdate::new("m"))
        .await
        .unwrap_err();
    match &e {
        NetboxError::Forbidden { what, detail } => {
            assert!(what.contains("interface id 3"));
            assert!(detail.contains("permission"));
        }
        other => panic!("{other:?}"),
    }
    let e = c.status().await.unwrap_err();
    assert!(matches!(e, NetboxError::Unauthorized { .. }), "{e:?}");
    let shown = format!("{e} {e:?}");
    assert!(shown.contains("NETBOX_TOKEN"));
    assert!(!shown.contains("abcdef0123456789"));
}

#[tokio::test]
async fn change_log_falls_back_from_core_to_extras_on_404_and_remembers() {
    let nb = fake(|s| {
        if s.path.starts_with("/api/core/") {
            return (404, vec![], "<html>Page not found</html>".into());
        }
        ok(list(vec![json!({
            "id": 11, "time": "2023-05-30T12:06:26Z", "user_name": "developer",
            "request_id": "a44aecb7", "action": {"value": "update", "label": "Updated"},
            "changed_object_type": "dcim.interface", "changed_object_id": 3,
            "prechange_data": {"custom_fields": {"change_ticket_number": null}},
            "postchange_data": {"custom_fields": {"change_ticket_number": "1234"}, "mode": "access",
                                "untagged_vlan": 7, "tagged_vlans": []}
        })]))
    })
    .await;
    let c = nb.client(V1);
    let changes = c.object_changes_after(10, 200).await.unwrap();
    assert_eq!(changes.len(), 1);
    let ch = &changes[0];
    assert_eq!(
        (ch.id, ch.changed_object_id, ch.action),
        (11, 3, ChangeAction::Update)
    );
    let post = ch.postchange_data.as_ref().unwrap();
    assert_eq!(post.change_ticket_number(), Some("1234"));
    assert_eq!(post.untagged_vlan(), Some(7));
    assert_eq!(c.latest_object_change_id().await.unwrap(), Some(11));

    let paths: Vec<String> = nb.seen().iter().map(|s| s.path.clone()).collect();
    assert_eq!(
        paths,
        [
            "/api/core/object-changes/",
            "/api/extras/object-changes/",
            "/api/extras/object-changes/"
        ]
    );
    let first = &nb.seen()[1];
    assert_eq!(first.q("changed_object_type"), Some("dcim.interface"));
    assert_eq!(first.q("id__gt"), Some("10"));
    assert_eq!(first.q("ordering"), Some("id"));
    assert_eq!(first.q("limit"), Some("200"));
    assert_eq!(nb.seen()[2].q("ordering"), Some("-id"));
}

#[tokio::test]
async fn status_reports_version_and_change_log_endpoint() {
    let nb = fake(|_| {
        (
            200,
            vec![("api-version", "4.0".into())],
            json!({"netbox-version": "4.0.11", "rq-workers-running": 0}).to_string(),
        )
    })
    .await;
    let s = nb.client(V1).status().await.unwrap();
    assert_eq!(s.version.as_deref(), Some("4.0.11"));
    assert_eq!(s.api_version.as_deref(), Some("4.0"));
    assert_eq!(s.change_log, patchpanel::netbox::ChangeLogApi::Extras);
    assert_eq!(s.rq_workers_running, Some(0));
}

#[tokio::test]
async fn pagination_follows_next_on_our_own_origin_and_is_bounded() {
    let nb = fake(|s| {
        let offset: usize = s.q("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
        if s.q("device_id") == Some("2") {
            // A runaway server: always another page.
            let next = format!(
                "http://elsewhere.invalid/api/dcim/interfaces/?device_id=2&limit=500&offset={}",
                offset + 1
            );
            return ok(json!({"count": 1_000_000, "next": next, "results": [iface("x")]}));
        }
        let all: Vec<Value> = (0..5)
            .map(|i| json!({"id": i, "name": format!("Gi1/0/{i}")}))
            .collect();
        let page: Vec<Value> = all.iter().skip(offset).take(2).cloned().collect();
        // `next` names the wrong host, as NetBox behind a proxy does.
        let next = (offset + 2 < all.len()).then(|| {
            format!(
                "http://internal.invalid:8000/api/dcim/interfaces/?device_id=1&limit=2&offset={}",
                offset + 2
            )
        });
        ok(json!({"count": all.len(), "next": next, "results": page}))
    })
    .await;
    let c = nb.client(V1);
    let all = c.interfaces(1).await.unwrap();
    let names: Vec<&str> = all.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        ["Gi1/0/0", "Gi1/0/1", "Gi1/0/2", "Gi1/0/3", "Gi1/0/4"]
    );
    assert_eq!(nb.seen().len(), 3);

    let e = c.interfaces(2).await.unwrap_err();
    assert!(matches!(e, NetboxError::InvalidResponse { .. }), "{e:?}");
    assert!(nb.seen().len() <= 3 + 50);
}

#[tokio::test]
async fn oversized_and_non_json_answers_are_invalid_responses() {
    let nb = fake(|s| match s.path.as_str() {
        "/api/dcim/interfaces/1/" => ok(json!({"id": 1, "name": "x".repeat(100_000)})),
        _ => (200, vec![], "<html>login</html>".into()),
    })
    .await;
    let mut cfg = NetboxConfig::new(&nb.base, Secret::new(V1));
    cfg.max_body = 10_000;
    let c = NetboxClient::new(&cfg).unwrap();
    assert!(matches!(
        c.interface(1).await,
        Err(NetboxError::InvalidResponse { .. })
    ));
    assert!(matches!(
        c.interface(2).await,
        Err(NetboxError::InvalidResponse { .. })
    ));
}

#[tokio::test]
async fn ip_addresses_lookup_create_and_reassign() {
    let nb = fake(|s| match (s.method.as_str(), s.path.as_str()) {
        ("GET", "/api/ipam/ip-addresses/") => ok(list(vec![json!({
            "id": 5, "address": "10.1.2.3/24", "status": {"value": "active"},
            "assigned_object_type": "dcim.interface", "assigned_object_id": 9})])),
        ("POST", "/api/ipam/ip-addresses/") => (
            400,
            vec![],
            json!({"address": ["Duplicate IP address found in global table: 10.1.2.3/24"]})
                .to_string(),
        ),
        ("PATCH", "/api/ipam/ip-addresses/5/") => ok(json!({
            "id": 5, "address": "10.1.2.3/24", "assigned_object_type": "dcim.interface",
            "assigned_object_id": 12})),
        _ => (404, vec![], "{}".into()),
    })
    .await;
    let c = nb.client(V1);
    let found = c.ip_addresses_by_address("10.1.2.3").await.unwrap();
    assert_eq!(found[0].assigned_object_id, Some(9));
    let on = c.ip_addresses_on_interface(9).await.unwrap();
    assert_eq!(on[0].status.as_deref(), Some("active"));

    match c.create_ip_address("10.1.2.3/24", 12, "m").await {
        Err(NetboxError::Invalid { field_errors, .. }) => {
            assert_eq!(field_errors[0].field, "address");
            assert!(field_errors[0].messages[0].contains("Duplicate"));
        }
        other => panic!("{other:?}"),
    }
    let moved = c
        .assign_ip_address(5, 12, "chatops-bot: move")
        .await
        .unwrap();
    assert_eq!(moved.assigned_object_id, Some(12));

    let seen = nb.seen();
    assert_eq!(seen[0].q("address"), Some("10.1.2.3"));
    assert_eq!(seen[1].q("interface_id"), Some("9"));
    assert_eq!(
        seen[2].body,
        json!({"address": "10.1.2.3/24", "status": "active", "assigned_object_type": "dcim.interface",
               "assigned_object_id": 12, "changelog_message": "m"})
    );
    assert_eq!(
        seen[3].body,
        json!({"assigned_object_type": "dcim.interface", "assigned_object_id": 12,
               "changelog_message": "chatops-bot: move"})
    );
}

#[tokio::test]
async fn interface_by_name_and_unreachable_netbox() {
    let nb = fake(|s| match s.q("name") {
        Some("GigabitEthernet1/0/3") => ok(list(vec![iface("x")])),
        _ => ok(list(vec![])),
    })
    .await;
    let c = nb.client(V1);
    let i = c
        .interface_by_name(1, "GigabitEthernet1/0/3")
        .await
        .unwrap();
    assert_eq!(i.change_ticket_number(), Some("CHG-1001"));
    assert_eq!(nb.seen()[0].q("device_id"), Some("1"));
    assert!(matches!(
        c.interface_by_name(1, "Gi9/9/9").await,
        Err(NetboxError::NotFound { .. })
    ));

    // A port nobody listens on: bind, learn the port, drop the listener.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let down = NetboxClient::new(&NetboxConfig::new(
        format!("http://127.0.0.1:{port}"),
        Secret::new(V1),
    ))
    .unwrap();
    let e = down.status().await.unwrap_err();
    assert!(matches!(e, NetboxError::Unavailable { .. }), "{e:?}");
    assert!(!format!("{e} {e:?}").contains(V1));
}
