//! Tokens, outages and the `/_sim` control API: edits, seeds, the request counter, and the
//! faults the W2 tests use (overlong change-log messages, a required ticket field, refused clears).

use super::*;

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
