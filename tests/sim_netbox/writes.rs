//! Writes: change records with snapshots, the `id__gt` cursor, field-keyed 400s, 404 and the
//! trailing slash, ETag and `If-Match`, IP addresses.

use super::*;

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
