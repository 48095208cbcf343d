//! Proves the NetBox rig (`tests/netbox/rig.sh`, `tests/netbox_rig/mod.rs`) end to end with plain
//! reqwest: the version, the seeded lab, both token kinds, refusals, and that an interface PATCH with a
//! `changelog_message` lands in the change log the bot polls. All tests share this binary's one rig.

mod netbox_rig;

use netbox_rig::NetboxRig;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("reqwest client")
}

async fn get(rig: &NetboxRig, auth: &str, path: &str) -> (StatusCode, Value) {
    let resp = client()
        .get(rig.api(path))
        .header("Authorization", auth)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = resp.status();
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

async fn get_ok(rig: &NetboxRig, path: &str) -> Value {
    let (status, body) = get(rig, &rig.auth_v2, path).await;
    assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
    body
}

#[tokio::test]
async fn status_reports_4_7_3_with_either_token_kind() {
    let rig = NetboxRig::shared();
    eprintln!("netbox rig up at {} in {:?}", rig.url, rig.startup);
    for auth in [&rig.auth_v1, &rig.auth_v2] {
        let (status, body) = get(rig, auth, "/api/status/").await;
        assert_eq!(status, StatusCode::OK, "{auth}: {body}");
        assert_eq!(body["netbox-version"], "4.7.3", "{body}");
    }
    assert!(rig.auth_v1.starts_with("Token ") && rig.token_v1.len() == 40);
    assert!(rig.auth_v2.starts_with("Bearer nbt_"));
}

#[tokio::test]
async fn wrong_or_missing_credentials_are_refused() {
    let rig = NetboxRig::shared();
    let wrong_v1 = format!("Token {}", "f".repeat(40));
    let (secretless, _) = rig
        .auth_v2
        .rsplit_once('.')
        .expect("v2 header has key.secret");
    let wrong_v2 = format!("{secretless}.{}", "0".repeat(40));
    for auth in [wrong_v1.as_str(), wrong_v2.as_str()] {
        let (status, body) = get(rig, auth, "/api/dcim/devices/").await;
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::UNAUTHORIZED,
            "{auth}: {status} {body}"
        );
        assert!(body.get("results").is_none(), "{body}");
    }
    let resp = client()
        .get(rig.api("/api/dcim/devices/"))
        .send()
        .await
        .expect("GET without a token");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_c9300_lab_is_seeded() {
    let rig = NetboxRig::shared();
    let devices = get_ok(rig, "/api/dcim/devices/?name=c9300").await;
    assert_eq!(devices["count"], 1, "{devices}");
    let device = &devices["results"][0];
    assert_eq!(device["site"]["slug"], "lab");
    assert_eq!(device["platform"]["slug"], "cisco-ios-xe");
    assert_eq!(device["primary_ip4"]["address"], "192.0.2.10/24");

    let ifaces = get_ok(rig, "/api/dcim/interfaces/?device=c9300&limit=100").await;
    let mut names: Vec<String> = ifaces["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|i| i["name"].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    let mut want: Vec<String> = (1..=48)
        .map(|n| format!("GigabitEthernet1/0/{n}"))
        .chain(["Vlan1".to_string()])
        .collect();
    want.sort();
    assert_eq!(names, want);

    let ip = get_ok(rig, "/api/ipam/ip-addresses/?address=192.0.2.10/24").await;
    assert_eq!(ip["results"][0]["assigned_object"]["name"], "Vlan1", "{ip}");

    let vlans = get_ok(rig, "/api/ipam/vlans/?site=lab&ordering=vid").await;
    let vids: Vec<i64> = vlans["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|v| v["vid"].as_i64())
        .collect();
    assert_eq!(vids, [10, 20, 100, 200, 300]);

    let cf = get_ok(rig, "/api/extras/custom-fields/?name=change_ticket_number").await;
    assert_eq!(cf["count"], 1, "{cf}");
    assert_eq!(cf["results"][0]["type"]["value"], "text");
    assert_eq!(cf["results"][0]["filter_logic"]["value"], "exact");
    assert_eq!(cf["results"][0]["object_types"], json!(["dcim.interface"]));
}

#[tokio::test]
async fn an_interface_patch_with_a_changelog_message_lands_in_the_change_log() {
    let rig = NetboxRig::shared();
    // Gi1/0/48 belongs to this test: the others only read.
    let found = get_ok(
        rig,
        "/api/dcim/interfaces/?device=c9300&name=GigabitEthernet1%2F0%2F48",
    )
    .await;
    assert_eq!(found["count"], 1, "{found}");
    let id = found["results"][0]["id"].as_i64().expect("interface id");
    let newest = get_ok(rig, "/api/core/object-changes/?ordering=-id&limit=1").await;
    let cursor = newest["results"][0]["id"].as_i64().unwrap_or(0);

    let patch = json!({
        "description": "printer-3F",
        "custom_fields": {"change_ticket_number": "CHG-1001"},
        "changelog_message": "rig smoke: CHG-1001",
    });
    let resp = client()
        .patch(rig.api(&format!("/api/dcim/interfaces/{id}/")))
        .header("Authorization", &rig.auth_v1)
        .json(&patch)
        .send()
        .await
        .expect("PATCH interface");
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["description"], "printer-3F");
    assert_eq!(body["custom_fields"]["change_ticket_number"], "CHG-1001");

    let changes = get_ok(
        rig,
        &format!(
            "/api/core/object-changes/?changed_object_type=dcim.interface&id__gt={cursor}\
             &changed_object_id={id}&ordering=id"
        ),
    )
    .await;
    assert_eq!(changes["count"], 1, "{changes}");
    let change = &changes["results"][0];
    assert_eq!(change["action"]["value"], "update");
    assert_eq!(change["message"], "rig smoke: CHG-1001");
    assert_eq!(change["user_name"], rig.username);
    assert_eq!(change["prechange_data"]["description"], "");
    assert_eq!(
        change["prechange_data"]["custom_fields"]["change_ticket_number"],
        Value::Null
    );
    assert_eq!(change["postchange_data"]["description"], "printer-3F");
    assert_eq!(
        change["postchange_data"]["custom_fields"]["change_ticket_number"],
        "CHG-1001"
    );
}
