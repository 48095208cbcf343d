//! The NetBox simulator over HTTP: shapes from docs/netbox.md, filters, writes and their
//! change records, the id__gt cursor, the 400/403/404/412/503 answers and the control API.

use patchpanel_sim::netbox::{start, NetboxSimConfig, RunningNetboxSim};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

#[path = "sim_netbox/control.rs"]
mod control;
#[path = "sim_netbox/writes.rs"]
mod writes;

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
