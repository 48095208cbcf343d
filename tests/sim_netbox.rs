//! The NetBox simulator over HTTP: shapes from docs/netbox.md, filters, writes and their
//! change records, the id__gt cursor, the 400/403/404/412/503 answers and the control API.

use patchpanel_sim::netbox::{start, NetboxSimConfig, RunningNetboxSim};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

struct Sim {
    sim: RunningNetboxSim,
    http: Client,
    _stop: tokio_util::sync::DropGuard,
}

async fn sim_with(token: Option<&str>) -> Sim {
    let stop = CancellationToken::new();
    let sim = start(
        NetboxSimConfig {
            token: token.map(str::to_owned),
            ..NetboxSimConfig::default()
        },
        stop.clone(),
    )
    .await
    .unwrap();
    let http = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Sim {
        sim,
        http,
        _stop: stop.drop_guard(),
    }
}

async fn sim() -> Sim {
    sim_with(None).await
}

impl Sim {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url)
    }
    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self
            .http
            .get(self.url(path))
            .header("Authorization", "Token abc")
            .send()
            .await
            .unwrap();
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }
    async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .http
            .patch(self.url(path))
            .header("Authorization", "Token abc")
            .json(&body)
            .send()
            .await
            .unwrap();
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn status_and_api_version_header() {
    let s = sim().await;
    let r = s.http.get(s.url("/api/status/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["API-Version"], "4.7");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["netbox-version"], "4.7.3");
    assert!(body["rq-workers-running"].is_number());
}

#[tokio::test]
async fn device_lookup_has_nested_brief_objects_and_primary_ip() {
    let s = sim().await;
    let (st, page) = s.get("/api/dcim/devices/?name=c9300&site=lab").await;
    assert_eq!(st, 200);
    assert_eq!(page["count"], 1);
    let d = &page["results"][0];
    assert_eq!(d["id"], 1);
    assert_eq!(d["url"], s.url("/api/dcim/devices/1/"));
    assert_eq!(d["site"]["slug"], "lab");
    assert_eq!(d["site"]["url"], s.url("/api/dcim/sites/1/"));
    assert_eq!(d["role"]["slug"], "access-switch");
    assert_eq!(d["device_type"]["manufacturer"]["slug"], "cisco");
    assert_eq!(d["platform"]["slug"], "cisco-ios-xe");
    assert_eq!(d["primary_ip4"]["address"], "192.0.2.10/24");
    assert_eq!(d["primary_ip4"]["family"]["value"], 4);
    assert_eq!(d["status"]["value"], "active");
    let (_, none) = s.get("/api/dcim/devices/?name=C9300").await;
    assert_eq!(none["count"], 0, "name is exact and case-sensitive");
    let (_, other) = s.get("/api/dcim/devices/?name=c9300&site=other").await;
    assert_eq!(other["count"], 0);
    let (st, one) = s.get("/api/dcim/devices/1/").await;
    assert_eq!(st, 200);
    assert_eq!(one, *d);
}

#[tokio::test]
async fn interface_pages_follow_limit_and_offset() {
    let s = sim().await;
    let (_, first) = s.get("/api/dcim/interfaces/?device_id=1").await;
    assert_eq!(first["count"], 49);
    assert_eq!(
        first["results"].as_array().unwrap().len(),
        49,
        "default page is 50"
    );
    assert!(first["next"].is_null() && first["previous"].is_null());
    let (_, p1) = s.get("/api/dcim/interfaces/?device_id=1&limit=20").await;
    assert_eq!(p1["results"].as_array().unwrap().len(), 20);
    let next = p1["next"].as_str().unwrap().to_owned();
    assert!(next.starts_with(&s.sim.base_url), "{next}");
    assert!(
        next.contains("offset=20") && next.contains("device_id=1"),
        "{next}"
    );
    let p2: Value = s
        .http
        .get(&next)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(p2["results"][0]["name"], "GigabitEthernet1/0/21");
    assert!(p2["previous"].as_str().is_some());
    let (_, last) = s
        .get("/api/dcim/interfaces/?device_id=1&limit=20&offset=40")
        .await;
    assert_eq!(last["results"].as_array().unwrap().len(), 9);
    assert!(last["next"].is_null());
    assert_eq!(last["results"][8]["name"], "Vlan1");
}

#[tokio::test]
async fn interface_shape_and_filters() {
    let s = sim().await;
    let (_, page) = s
        .get("/api/dcim/interfaces/?device_id=1&name=GigabitEthernet1%2F0%2F3")
        .await;
    assert_eq!(page["count"], 1);
    let i = &page["results"][0];
    assert_eq!(i["id"], 3);
    assert_eq!(i["display"], "GigabitEthernet1/0/3");
    assert_eq!(
        i["device"],
        json!({"id": 1, "url": s.url("/api/dcim/devices/1/"), "display": "c9300", "name": "c9300", "description": ""})
    );
    assert_eq!(i["type"]["value"], "1000base-t");
    assert_eq!(i["mode"], Value::Null);
    assert_eq!(i["untagged_vlan"], Value::Null);
    assert_eq!(i["tagged_vlans"], json!([]));
    assert_eq!(i["custom_fields"], json!({"change_ticket_number": null}));
    assert_eq!(i["count_ipaddresses"], 0);
    assert!(i["last_updated"].as_str().unwrap().ends_with('Z'));
    let (_, by_name) = s.get("/api/dcim/interfaces/?device=c9300&name=Vlan1").await;
    assert_eq!(by_name["results"][0]["id"], 49);
    assert_eq!(by_name["results"][0]["count_ipaddresses"], 1);
    let (_, brief) = s
        .get("/api/dcim/interfaces/?device_id=1&name=Vlan1&brief=1")
        .await;
    let keys: Vec<&String> = brief["results"][0].as_object().unwrap().keys().collect();
    assert!(
        keys.len() < 10 && brief["results"][0]["device"]["name"] == "c9300",
        "{keys:?}"
    );
    // Unknown filters are ignored, as NetBox does.
    let (_, all) = s.get("/api/dcim/interfaces/?bogus_filter=1&limit=1").await;
    assert_eq!(all["count"], 49);
    let (st, err) = s.get("/api/dcim/interfaces/?device_id=abc").await;
    assert_eq!(st, 400);
    assert!(err["device_id"].is_array());
}

#[tokio::test]
async fn ticket_filters_are_exact() {
    let s = sim().await;
    s.sim
        .edit_interface(
            "c9300",
            "GigabitEthernet1/0/5",
            json!({"custom_fields": {"change_ticket_number": "CHG-1001"}}),
            "alice",
        )
        .unwrap();
    let (_, set) = s
        .get("/api/dcim/interfaces/?cf_change_ticket_number__empty=false")
        .await;
    assert_eq!(set["count"], 1);
    assert_eq!(set["results"][0]["id"], 5);
    let (_, unset) = s
        .get("/api/dcim/interfaces/?cf_change_ticket_number__empty=true")
        .await;
    assert_eq!(unset["count"], 48);
    let (_, exact) = s
        .get("/api/dcim/interfaces/?cf_change_ticket_number=CHG-1001")
        .await;
    assert_eq!(exact["count"], 1);
    let (_, partial) = s
        .get("/api/dcim/interfaces/?cf_change_ticket_number=CHG-100")
        .await;
    assert_eq!(partial["count"], 0);
    let (_, cf) = s
        .get("/api/extras/custom-fields/?name=change_ticket_number")
        .await;
    assert_eq!(cf["count"], 1);
    assert_eq!(cf["results"][0]["filter_logic"]["value"], "exact");
    assert_eq!(cf["results"][0]["object_types"], json!(["dcim.interface"]));
    assert_eq!(cf["results"][0]["type"]["value"], "text");
}

#[tokio::test]
async fn vlan_vids_are_ambiguous_across_sites() {
    let s = sim().await;
    let (_, all) = s.get("/api/ipam/vlans/?vid=100").await;
    assert_eq!(all["count"], 2);
    let (_, lab) = s.get("/api/ipam/vlans/?vid=100&site_id=1").await;
    assert_eq!(lab["count"], 1);
    assert_eq!(lab["results"][0]["id"], 3);
    assert_eq!(lab["results"][0]["site"]["slug"], "lab");
    let (_, avail) = s
        .get("/api/ipam/vlans/?vid=100&available_on_device=1")
        .await;
    assert_eq!(avail["count"], 1);
    let (_, lab_all) = s.get("/api/ipam/vlans/?site=lab").await;
    let vids: Vec<u64> = lab_all["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["vid"].as_u64().unwrap())
        .collect();
    assert_eq!(vids, [10, 20, 100, 200, 300]);
}

#[tokio::test]
async fn patch_records_an_object_change_with_snapshots_and_message() {
    let s = sim().await;
    let body = json!({"description": "printer-3F", "enabled": true, "mtu": 9000, "mode": "access",
        "untagged_vlan": 3, "tagged_vlans": [],
        "custom_fields": {"change_ticket_number": "CHG-1001"},
        "changelog_message": "chatops-bot: from Zammad #10042"});
    let (st, i) = s.patch("/api/dcim/interfaces/3/", body).await;
    assert_eq!(st, 200, "{i}");
    assert_eq!(i["mode"], json!({"value": "access", "label": "Access"}));
    assert_eq!(i["untagged_vlan"]["vid"], 100);
    assert_eq!(i["mtu"], 9000);
    let (_, log) = s
        .get("/api/core/object-changes/?changed_object_type=dcim.interface&ordering=id")
        .await;
    assert_eq!(log["count"], 1);
    let c = &log["results"][0];
    assert_eq!(c["action"]["value"], "update");
    assert_eq!(c["user_name"], "admin");
    assert_eq!(c["user"]["username"], "admin");
    assert_eq!(c["message"], "chatops-bot: from Zammad #10042");
    assert_eq!(c["changed_object_id"], 3);
    assert_eq!(c["changed_object"]["device"]["name"], "c9300");
    assert_eq!(c["object_repr"], "GigabitEthernet1/0/3");
    assert_eq!(c["request_id"].as_str().unwrap().len(), 36);
    assert_eq!(c["prechange_data"]["mtu"], Value::Null);
    assert_eq!(c["prechange_data"]["mode"], "");
    assert_eq!(c["postchange_data"]["mtu"], 9000);
    assert_eq!(c["postchange_data"]["mode"], "access");
    assert_eq!(c["postchange_data"]["untagged_vlan"], 3);
    assert_eq!(
        c["postchange_data"]["custom_fields"]["change_ticket_number"],
        "CHG-1001"
    );

    // Clearing touches only the named custom field; the person's UI edit is recorded as them.
    let (st, _) = s
        .patch(
            "/api/dcim/interfaces/3/",
            json!({"custom_fields": {"change_ticket_number": null}}),
        )
        .await;
    assert_eq!(st, 200);
    let edited = s.http.post(s.url("/_sim/edit"))
        .json(&json!({"device": "c9300", "interface": "GigabitEthernet1/0/3", "fields": {"description": "desk"}, "user": "alice"}))
        .send().await.unwrap();
    assert_eq!(edited.status(), 200);
    let (_, newest) = s.get("/api/core/object-changes/?limit=1").await;
    assert_eq!(newest["count"], 3);
    assert_eq!(
        newest["results"][0]["id"], 3,
        "default order is newest first"
    );
    assert_eq!(newest["results"][0]["user_name"], "alice");
    assert_eq!(
        newest["results"][0]["prechange_data"]["description"],
        "printer-3F"
    );
    let (_, mine) = s.get("/api/core/object-changes/?user_name=alice").await;
    assert_eq!(mine["count"], 1);
}

#[tokio::test]
async fn id_gt_cursor_walks_forward() {
    let s = sim().await;
    for n in 1..=5 {
        s.sim
            .edit_interface(
                "c9300",
                &format!("GigabitEthernet1/0/{n}"),
                json!({"mtu": 1500 + n}),
                "alice",
            )
            .unwrap();
    }
    let mut cursor = 0;
    let mut seen = Vec::new();
    loop {
        let (_, page) = s
            .get(&format!("/api/core/object-changes/?changed_object_type=dcim.interface&id__gt={cursor}&ordering=id&limit=2"))
            .await;
        let items = page["results"].as_array().unwrap().clone();
        if items.is_empty() {
            break;
        }
        for c in items {
            let id = c["id"].as_u64().unwrap();
            assert!(id > cursor);
            cursor = id;
            seen.push(c["changed_object_id"].as_u64().unwrap());
        }
    }
    assert_eq!(seen, [1, 2, 3, 4, 5]);
    let (_, none) = s
        .get("/api/core/object-changes/?changed_object_type=ipam.ipaddress")
        .await;
    assert_eq!(none["count"], 0);
    let (st, err) = s.get("/api/core/object-changes/?id__gt=x").await;
    assert_eq!(st, 400);
    assert_eq!(err["id__gt"], json!(["Enter a number."]));
}

#[tokio::test]
async fn validation_errors_are_field_keyed() {
    let s = sim().await;
    let (st, e) = s
        .patch("/api/dcim/interfaces/3/", json!({"mtu": 70000}))
        .await;
    assert_eq!(st, 400);
    assert_eq!(
        e,
        json!({"mtu": ["Ensure this value is less than or equal to 65536."]})
    );
    let (_, e) = s
        .patch(
            "/api/dcim/interfaces/3/",
            json!({"mode": "trunk", "tagged_vlans": [999]}),
        )
        .await;
    assert_eq!(e["mode"], json!(["\"trunk\" is not a valid choice."]));
    assert_eq!(
        e["tagged_vlans"],
        json!(["Invalid pk \"999\" - object does not exist."])
    );
    let (_, e) = s
        .patch(
            "/api/dcim/interfaces/3/",
            json!({"mode": "access", "untagged_vlan": 6, "tagged_vlans": []}),
        )
        .await;
    assert!(e["untagged_vlan"][0]
        .as_str()
        .unwrap()
        .contains("must belong to the same site"));
    let (_, e) = s
        .patch(
            "/api/dcim/interfaces/3/",
            json!({"custom_fields": {"nope": "x"}}),
        )
        .await;
    assert_eq!(
        e,
        json!({"custom_fields": {"nope": "Custom field 'nope' does not exist for this object type."}})
    );
    let r = s
        .http
        .patch(s.url("/api/dcim/interfaces/3/"))
        .body("{not json")
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        s.sim.object_changes().is_empty(),
        "rejected writes record nothing"
    );
}

#[tokio::test]
async fn not_found_and_trailing_slash() {
    let s = sim().await;
    let (st, e) = s.get("/api/dcim/interfaces/999/").await;
    assert_eq!(st, 404);
    assert_eq!(e, json!({"detail": "Not found."}));
    let r = s
        .http
        .get(s.url("/api/dcim/interfaces/3"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 301);
    assert_eq!(r.headers()["location"], "/api/dcim/interfaces/3/");
    let r = s
        .http
        .patch(s.url("/api/dcim/interfaces/3"))
        .json(&json!({"mtu": 1500}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}

#[tokio::test]
async fn etag_and_if_match() {
    let s = sim().await;
    let r = s
        .http
        .get(s.url("/api/dcim/interfaces/7/"))
        .send()
        .await
        .unwrap();
    let tag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert!(tag.starts_with("W/\""), "{tag}");
    s.sim
        .edit_interface(
            "c9300",
            "GigabitEthernet1/0/7",
            json!({"custom_fields": {"change_ticket_number": "CHG-2"}}),
            "bob",
        )
        .unwrap();
    let r = s
        .http
        .patch(s.url("/api/dcim/interfaces/7/"))
        .header("If-Match", &tag)
        .json(&json!({"custom_fields": {"change_ticket_number": null}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 412);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"detail": "Precondition failed."})
    );
    let fresh = s
        .http
        .get(s.url("/api/dcim/interfaces/7/"))
        .send()
        .await
        .unwrap()
        .headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    let r = s
        .http
        .patch(s.url("/api/dcim/interfaces/7/"))
        .header("If-Match", &fresh)
        .json(&json!({"custom_fields": {"change_ticket_number": null}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_ne!(r.headers()["etag"].to_str().unwrap(), fresh);
}

#[tokio::test]
async fn token_required_answers_403_like_netbox() {
    let s = sim_with(Some("0123456789abcdef0123456789abcdef01234567")).await;
    let get = |auth: Option<&str>| {
        let mut rb = s.http.get(s.url("/api/dcim/devices/"));
        if let Some(a) = auth {
            rb = rb.header("Authorization", a);
        }
        rb.send()
    };
    let r = get(None).await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"detail": "Authentication credentials were not provided."})
    );
    let r = get(Some("Token wrong")).await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"detail": "Invalid v1 token"})
    );
    let r = get(Some("Bearer nbt_netboxlab001.wrong")).await.unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"detail": "Invalid v2 token"})
    );
    let r = get(Some("Token 0123456789abcdef0123456789abcdef01234567"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["API-Version"], "4.7");

    s.sim.add_token("readonly-token", "auditor", false);
    let r = s
        .http
        .get(s.url("/api/dcim/interfaces/3/"))
        .header("Authorization", "Token readonly-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = s
        .http
        .patch(s.url("/api/dcim/interfaces/3/"))
        .header("Authorization", "Token readonly-token")
        .json(&json!({"mtu": 1500}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"detail": "You do not have permission to perform this action."})
    );
    // The control API is never behind the token.
    let r = s.http.get(s.url("/_sim/state")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn ip_addresses_create_filter_and_duplicates() {
    let s = sim().await;
    let (_, mgmt) = s.get("/api/ipam/ip-addresses/?interface_id=49").await;
    assert_eq!(mgmt["count"], 1);
    assert_eq!(mgmt["results"][0]["assigned_object"]["name"], "Vlan1");
    let new = json!({"address": "10.1.2.3/24", "status": "active", "assigned_object_type": "dcim.interface",
                     "assigned_object_id": 9, "changelog_message": "chatops-bot: ip"});
    let r = s
        .http
        .post(s.url("/api/ipam/ip-addresses/"))
        .json(&new)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let ip: Value = r.json().await.unwrap();
    assert_eq!(ip["assigned_object_id"], 9);
    assert_eq!(ip["family"]["value"], 4);
    let r = s
        .http
        .post(s.url("/api/ipam/ip-addresses/"))
        .json(&new)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"address": ["Duplicate IP address found in global table: 10.1.2.3/24"]})
    );
    let (_, any_mask) = s.get("/api/ipam/ip-addresses/?address=10.1.2.3").await;
    assert_eq!(any_mask["count"], 1);
    let id = ip["id"].as_u64().unwrap();
    let (st, moved) = s
        .patch(
            &format!("/api/ipam/ip-addresses/{id}/"),
            json!({"assigned_object_type": "dcim.interface", "assigned_object_id": 12}),
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(moved["assigned_object"]["name"], "GigabitEthernet1/0/12");
    let (_, log) = s
        .get("/api/core/object-changes/?changed_object_type=ipam.ipaddress&ordering=id")
        .await;
    assert_eq!(log["count"], 2);
    assert_eq!(log["results"][0]["action"]["value"], "create");
    assert_eq!(log["results"][0]["prechange_data"], Value::Null);
    assert_eq!(log["results"][0]["message"], "chatops-bot: ip");
    assert_eq!(
        log["results"][1]["postchange_data"]["assigned_object_id"],
        12
    );
}

#[tokio::test]
async fn down_mode_then_recovery_and_reset() {
    let s = sim().await;
    let r = s
        .http
        .post(s.url("/_sim/down"))
        .json(&json!({"seconds": 3600}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (st, _) = s.get("/api/status/").await;
    assert_eq!(st, 503);
    let r = s
        .http
        .post(s.url("/_sim/down"))
        .json(&json!({"seconds": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (st, _) = s.get("/api/status/").await;
    assert_eq!(st, 200);
    s.sim.set_down(true);
    let (st, _) = s.get("/api/dcim/devices/").await;
    assert_eq!(st, 503);
    s.sim.set_down(false);

    s.sim
        .edit_interface(
            "c9300",
            "GigabitEthernet1/0/1",
            json!({"mtu": 9000}),
            "alice",
        )
        .unwrap();
    let state: Value = s
        .http
        .get(s.url("/_sim/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["object_changes"].as_array().unwrap().len(), 1);
    assert_eq!(state["interfaces"][0]["mtu"], 9000);
    assert_eq!(state["down"], false);
    let r = s.http.post(s.url("/_sim/reset")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let state = s.sim.state();
    assert!(state["object_changes"].as_array().unwrap().is_empty());
    assert_eq!(state["interfaces"][0]["mtu"], Value::Null);
}

#[tokio::test]
async fn control_edit_rejects_invalid_and_unknown() {
    let s = sim().await;
    let r = s.http.post(s.url("/_sim/edit"))
        .json(&json!({"device": "c9300", "interface": "GigabitEthernet1/0/1", "fields": {"mtu": 0}, "user": "alice"}))
        .send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"mtu": ["Ensure this value is greater than or equal to 1."]})
    );
    let r = s
        .http
        .post(s.url("/_sim/edit"))
        .json(&json!({"device": "c9300", "interface": "Gi9/9/9", "fields": {}, "user": "alice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = s
        .http
        .post(s.url("/_sim/edit"))
        .body("garbage\u{0}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn seeded_interfaces_fields_selection_and_the_request_counter() {
    let s = sim().await;
    let r = s
        .http
        .post(s.url("/_sim/seed-interfaces"))
        .json(&json!({"device": "c9300", "count": 3, "ticket": "CHG-5"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let added: Value = r.json().await.unwrap();
    assert_eq!(added, json!({"added": 3, "first_id": 50, "last_id": 52}));
    let r = s
        .http
        .post(s.url("/_sim/seed-interfaces"))
        .json(&json!({"device": "nope", "count": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let before = s.sim.requests();
    let (st, body) = s
        .get("/api/dcim/interfaces/?cf_change_ticket_number__empty=false&fields=id,name,custom_fields&limit=2")
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body["count"], 3);
    assert_eq!(
        body["results"][0],
        json!({"id": 50, "name": "GigabitEthernet2/0/1",
               "custom_fields": {"change_ticket_number": "CHG-5"}})
    );
    assert!(body["next"]
        .as_str()
        .unwrap()
        .contains("fields=id%2Cname%2Ccustom_fields"));
    let (_, body) = s
        .get("/api/dcim/interfaces/?cf_change_ticket_number__empty=true&limit=1")
        .await;
    assert_eq!(body["count"], 49);
    let (_, state) = s.get("/_sim/state").await;
    assert_eq!(s.sim.requests(), before + 2, "/_sim is not counted");
    assert_eq!(state["requests"], json!(before + 2));
}

/// What NetBox 4.7.3 answers (checked against the real rig): a `changelog_message` over its
/// `varchar(200)` is not validated but refused by the database, a 500 with a `DataError` body, and
/// nothing is written.
#[tokio::test]
async fn an_overlong_changelog_message_is_a_database_error_and_writes_nothing() {
    let s = sim().await;
    let before = s.sim.object_changes().len();
    let (st, body) = s
        .patch(
            "/api/dcim/interfaces/3/",
            json!({"description": "should not stick", "changelog_message": "x".repeat(201)}),
        )
        .await;
    assert_eq!(st, 500);
    assert_eq!(body["exception"], "DataError");
    assert_eq!(
        body["error"],
        "value too long for type character varying(200)"
    );
    assert_eq!(s.get("/api/dcim/interfaces/3/").await.1["description"], "");
    assert_eq!(s.sim.object_changes().len(), before);
    let (st, _) = s
        .patch(
            "/api/dcim/interfaces/3/",
            json!({"description": "fits", "changelog_message": "é".repeat(200)}),
        )
        .await;
    assert_eq!(st, 200, "200 characters fit, whatever their bytes");
    let (st, body) = s
        .patch(
            "/api/dcim/interfaces/3/",
            json!({"description": "D".repeat(201)}),
        )
        .await;
    assert_eq!(st, 400);
    assert_eq!(
        body,
        json!({"description": ["Ensure this field has no more than 200 characters."]})
    );
}

/// A required `change_ticket_number` (set through the custom-field API, as in NetBox) refuses every
/// interface write that leaves it empty: the bot's clear answers 400 under `__all__`.
#[tokio::test]
async fn a_required_ticket_field_refuses_every_clear() {
    let s = sim().await;
    let (st, _) = s
        .patch(
            "/api/dcim/interfaces/5/",
            json!({"custom_fields": {"change_ticket_number": "CHG-5"}}),
        )
        .await;
    assert_eq!(st, 200);
    let (st, cf) = s
        .patch("/api/extras/custom-fields/1/", json!({"required": true}))
        .await;
    assert_eq!(st, 200);
    assert_eq!(cf["required"], true);
    assert_eq!(
        s.get("/api/extras/custom-fields/?name=change_ticket_number")
            .await
            .1["results"][0]["required"],
        true
    );
    let (st, body) = s
        .patch(
            "/api/dcim/interfaces/5/",
            json!({"custom_fields": {"change_ticket_number": null}, "changelog_message": "patchpanel: x"}),
        )
        .await;
    assert_eq!(st, 400);
    assert_eq!(
        body,
        json!({"__all__": ["Invalid value for custom field 'change_ticket_number': Required field cannot be empty."]})
    );
    let (st, _) = s
        .patch("/api/extras/custom-fields/1/", json!({"required": "yes"}))
        .await;
    assert_eq!(st, 400);
    s.sim.set_ticket_required(false);
    let (st, _) = s
        .patch(
            "/api/dcim/interfaces/5/",
            json!({"custom_fields": {"change_ticket_number": null}}),
        )
        .await;
    assert_eq!(st, 200);
}

/// The fault `reject-clears` refuses the API clears of one interface only; a person's edit, other
/// interfaces and `{"kind": "clear"}` are unaffected.
#[tokio::test]
async fn the_reject_clears_fault_refuses_one_interfaces_clears() {
    let s = sim().await;
    let r = s
        .http
        .post(s.url("/_sim/fault"))
        .json(&json!({"kind": "reject-clears", "interface": 7}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        s.sim.state()["reject_clears"],
        json!({"interface": 7, "status": 400})
    );
    for id in [7, 8] {
        let (st, _) = s
            .patch(
                &format!("/api/dcim/interfaces/{id}/"),
                json!({"custom_fields": {"change_ticket_number": "CHG-7"}}),
            )
            .await;
        assert_eq!(st, 200, "setting a ticket is not a clear");
    }
    let clear = json!({"custom_fields": {"change_ticket_number": null}});
    let (st, body) = s.patch("/api/dcim/interfaces/7/", clear.clone()).await;
    assert_eq!(st, 400);
    assert!(
        body["__all__"][0]
            .as_str()
            .unwrap()
            .contains("reject-clears"),
        "{body}"
    );
    assert_eq!(
        s.patch("/api/dcim/interfaces/8/", clear.clone()).await.0,
        200
    );
    let bad = s
        .http
        .post(s.url("/_sim/fault"))
        .json(&json!({"kind": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let r = s
        .http
        .post(s.url("/_sim/fault"))
        .json(&json!({"kind": "clear"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(s.patch("/api/dcim/interfaces/7/", clear).await.0, 200);
}
