//! The Zammad simulator over HTTP: authentication answers, ticket states, tickets read with and
//! without `expand`, the seed payload's shape, updates with notes, the condition search, injected
//! failures and the webhook (docs/zammad.md).

use std::collections::BTreeSet;

use patchpanel_sim::zammad::{start, RunningZammadSim, ZammadSimConfig};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

#[path = "sim_zammad/auth.rs"]
mod auth;
#[path = "sim_zammad/search.rs"]
mod search;
#[path = "sim_zammad/webhook.rs"]
mod webhook;

const BOT: &str = "Token token=bot-token";

struct Sim {
    sim: RunningZammadSim,
    http: Client,
    _stop: tokio_util::sync::DropGuard,
}

async fn sim_with(cfg: ZammadSimConfig) -> Sim {
    let stop = CancellationToken::new();
    let sim = start(cfg, stop.clone()).await.unwrap();
    Sim {
        sim,
        http: Client::new(),
        _stop: stop.drop_guard(),
    }
}

async fn sim() -> Sim {
    sim_with(ZammadSimConfig::default()).await
}

impl Sim {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url)
    }
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }
    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, Some(BOT), None).await
    }
    async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::PUT, path, Some(BOT), Some(body))
            .await
    }
    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, Some(BOT), Some(body))
            .await
    }
    /// A network change as a person files it in the UI; its id.
    async fn file(&self, extra: Value) -> u64 {
        let mut body = json!({
            "title": "Network Change Request: Update Device Interface",
            "customer": "network-team@local.lab",
            "created_by": "engineer@example.com",
            "body": "<div>Network change ticket</div>",
            "network_device_name": "c9300",
            "network_interface_name": "GigabitEthernet1/0/2",
            "network_interface_description": "",
            "network_interface_enabled": true,
            "network_interface_mtu": 1500,
            "network_interface_ip4_address": "",
            "network_switchport_mode_and_vlan": "::",
        });
        if let (Some(b), Value::Object(e)) = (body.as_object_mut(), extra) {
            b.extend(e);
        }
        let (st, v) = self.post("/_sim/tickets", body).await;
        assert_eq!(st, 200, "{v}");
        v["id"].as_u64().unwrap()
    }
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn seed_payload() -> Value {
    serde_json::from_str(include_str!("sim_zammad/seed_004_payload.json")).unwrap()
}

#[tokio::test]
async fn ticket_states_have_default_ids_and_types() {
    let s = sim().await;
    let (st, v) = s.get("/api/v1/ticket_states").await;
    assert_eq!(st, 200);
    let rows: Vec<(String, u64, u64, bool)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["id"].as_u64().unwrap(),
                s["state_type_id"].as_u64().unwrap(),
                s["active"].as_bool().unwrap(),
            )
        })
        .collect();
    let expect = [
        ("new", 1, 1, true),
        ("open", 2, 2, true),
        ("pending reminder", 3, 3, true),
        ("closed", 4, 5, true),
        ("merged", 5, 6, true),
        ("removed", 6, 7, false),
        ("pending close", 7, 4, true),
        ("pending approval", 8, 2, true),
        ("attention required", 9, 2, true),
        ("denied", 10, 5, true),
    ];
    let expect: Vec<(String, u64, u64, bool)> = expect
        .iter()
        .map(|(n, i, t, a)| ((*n).to_owned(), *i, *t, *a))
        .collect();
    assert_eq!(rows, expect);
    let first = &v[0];
    for k in [
        "ignore_escalation",
        "created_at",
        "updated_at",
        "next_state_id",
    ] {
        assert!(first.get(k).is_some(), "{k}");
    }
    assert_eq!(v[6]["next_state_id"], 4);
}

#[tokio::test]
async fn create_then_read_plain_and_expanded() {
    let s = sim().await;
    let id = s.file(json!({})).await;
    assert_eq!(id, 1);
    let (st, plain) = s.get("/api/v1/tickets/1").await;
    assert_eq!(st, 200);
    assert_eq!(plain["number"], "15001");
    assert_eq!(plain["state_id"], 2);
    assert_eq!(plain["group_id"], 2);
    assert_eq!(plain["customer_id"], 5);
    assert_eq!(plain["created_by_id"], 3);
    assert_eq!(plain["network_device_name"], "c9300");
    assert!(plain.get("state").is_none() && plain.get("customer").is_none());
    assert!(plain.get("article_ids").is_none(), "the row's columns only");
    let (_, ex) = s.get("/api/v1/tickets/1?expand=true").await;
    assert_eq!(ex["state"], "open");
    assert_eq!(ex["group"], "NetDevOps");
    assert_eq!(ex["priority"], "2 normal");
    assert_eq!(ex["owner"], "-");
    assert_eq!(ex["customer"], "network-team@local.lab");
    assert_eq!(ex["created_by"], "engineer");
    assert_eq!(ex["updated_by"], "engineer");
    assert_eq!(ex["create_article_type"], "phone");
    assert_eq!(ex["create_article_sender"], "Customer");
    let (_, arts) = s.get("/api/v1/ticket_articles/by_ticket/1").await;
    assert_eq!(arts[0]["type"], "phone");
    assert_eq!(arts[0]["sender"], "Customer");
    assert_eq!(arts[0]["from"], "NetDevOps Engineer");
    assert_eq!(arts[0]["to"], "NetDevOps");
    let (st, v) = s.get("/api/v1/tickets/99").await;
    assert_eq!(st, 404);
    assert_eq!(
        v,
        json!({"error": "Couldn't find Ticket with 'id'=99", "error_human": "Couldn't find Ticket with 'id'=99"})
    );
    let id2 = s.file(json!({"title": "second"})).await;
    let (_, list) = s.get("/api/v1/tickets?per_page=1&page=2&expand=true").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], id2);
    assert_eq!(list[0]["number"], "15002");
    let (_, capped) = s.get("/api/v1/tickets?per_page=500").await;
    assert_eq!(capped.as_array().unwrap().len(), 2);
    let (_, put) = s
        .put("/api/v1/tickets/1", json!({"title": "renamed"}))
        .await;
    assert_eq!(
        put["article_ids"],
        json!([1]),
        "a PUT answers with the has-many ids"
    );
    assert_eq!(put["title"], "renamed");
}

#[tokio::test]
async fn the_seed_payload_shape_round_trips() {
    let s = sim().await;
    let seed = seed_payload();
    let id = s.file(json!({})).await;
    let (_, ex) = s.get(&format!("/api/v1/tickets/{id}?expand=true")).await;
    let seed_ticket = &seed["ticket"];
    assert_eq!(keys(&ex), keys(seed_ticket), "REST expanded ticket keys");
    for attr in [
        "network_device_name",
        "network_interface_name",
        "network_interface_description",
        "network_interface_enabled",
        "network_interface_mtu",
        "network_interface_ip4_address",
        "network_switchport_mode_and_vlan",
        "ticket_type",
    ] {
        assert_eq!(ex[attr], seed_ticket[attr], "{attr} as the seed has it");
    }
    assert!(ex["network_interface_enabled"].is_boolean());
    assert!(ex["network_interface_mtu"].is_i64());
    // Strings for typed attributes are cast as Zammad's columns cast them.
    let (st, v) = s
        .put(
            &format!("/api/v1/tickets/{id}"),
            json!({"network_interface_mtu": "9000", "network_interface_enabled": "false"}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (
            v["network_interface_mtu"].clone(),
            v["network_interface_enabled"].clone()
        ),
        (json!(9000), json!(false))
    );
    // The webhook payload nests users, group, priority and organization like the seed's.
    let state = s.sim.state();
    assert_eq!(state["tickets"][0]["number"], "15001");
    let payload = webhook::payload_of_next_change(&s, id).await;
    let t = &payload["ticket"];
    assert_eq!(keys(t), keys(seed_ticket), "webhook ticket keys");
    // A user carries `organization` (its name) only when it has one, as the seed's owner `-` shows.
    for k in ["customer", "owner", "created_by", "updated_by"] {
        let mut expect = keys(&seed_ticket["customer"]);
        if t[k]["organization_id"].is_null() {
            expect.remove("organization");
        }
        assert_eq!(keys(&t[k]), expect, "{k}");
    }
    assert_eq!(keys(&t["owner"]), keys(&seed_ticket["owner"]), "owner `-`");
    for k in ["group", "priority", "organization"] {
        assert_eq!(keys(&t[k]), keys(&seed_ticket[k]), "{k}");
    }
    assert_eq!(t["state"], "open");
    assert_eq!(t["customer"]["login"], "network-team@local.lab");
    assert_eq!(t["customer"]["roles"], json!(["Customer"]));
    assert_eq!(
        keys(&payload["article"]),
        keys(&seed["article"]),
        "article keys"
    );
}

#[tokio::test]
async fn put_state_by_name_appends_a_note() {
    let s = sim().await;
    let id = s.file(json!({})).await;
    let (_, before) = s.get(&format!("/api/v1/tickets/{id}")).await;
    let (st, v) = s
        .put(
            &format!("/api/v1/tickets/{id}?expand=true"),
            json!({"state": "pending approval", "article": {
                "subject": "ChatOps bot", "body": "Validated: c9300 Gi1/0/2 exists.",
                "type": "note", "internal": true, "content_type": "text/plain"}}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["state"], "pending approval");
    assert_eq!(v["state_id"], 8);
    assert_eq!(v["updated_by"], "patchpanel");
    assert_eq!(v["article_count"], 2);
    assert!(v["updated_at"].as_str() > before["updated_at"].as_str());
    let (st, arts) = s
        .get(&format!("/api/v1/ticket_articles/by_ticket/{id}"))
        .await;
    assert_eq!(st, 200);
    let arts = arts.as_array().unwrap();
    assert_eq!(arts.len(), 2, "appended, never replaced");
    let note = &arts[1];
    assert_eq!(note["type"], "note");
    assert_eq!(note["internal"], true);
    assert_eq!(note["subject"], "ChatOps bot");
    assert_eq!(note["body"], "Validated: c9300 Gi1/0/2 exists.");
    assert_eq!(note["created_by"], "patchpanel");
    assert_eq!(note["created_by_id"], 2);
    assert_eq!(note["sender"], "Agent");
    // `state_id` works too, and wins over a name given beside it.
    let (st, v) = s
        .put(
            &format!("/api/v1/tickets/{id}"),
            json!({"state": "no such", "state_id": 4}),
        )
        .await;
    assert_eq!((st, &v["state_id"]), (StatusCode::OK, &json!(4)));
    assert!(v["close_at"].is_string(), "closing sets close_at");
}

#[tokio::test]
async fn validation_errors_are_422_with_zammads_words() {
    let s = sim().await;
    let id = s.file(json!({})).await;
    let path = format!("/api/v1/tickets/{id}");
    let (st, v) = s.put(&path, json!({"state": "pendng approval"})).await;
    assert_eq!(st, 422);
    assert_eq!(
        v,
        json!({"error": "No lookup value found for 'state': \"pendng approval\"",
               "error_human": "No lookup value found for 'state': \"pendng approval\""})
    );
    let (st, v) = s.put(&path, json!({"network_interface_mtu": "big"})).await;
    assert_eq!(st, 422);
    assert_eq!(v["error_human"], "Network interface mtu is not a number");
    let (st, v) = s
        .put(&path, json!({"article": {"type": "pigeon", "body": "x"}}))
        .await;
    assert_eq!(st, 422);
    assert_eq!(v["error"], "No lookup value found for 'type': \"pigeon\"");
    // A database error: its words are for admins, the bot gets an error id.
    let (st, v) = s.put(&path, json!({"state_id": 99})).await;
    assert_eq!(st, 422);
    let e = v["error"].as_str().unwrap();
    assert!(
        e.starts_with("Error ID ") && e.ends_with(": Please contact your administrator."),
        "{e}"
    );
    assert!(v.get("error_human").is_none());
    // Nothing of the refused writes was stored.
    let (_, t) = s.get(&format!("{path}?expand=true")).await;
    assert_eq!(
        (t["state"].clone(), t["article_count"].clone()),
        (json!("open"), json!(1))
    );
}

#[tokio::test]
async fn updated_at_strictly_increases_and_a_no_op_keeps_it() {
    let s = sim().await;
    let id = s.file(json!({})).await;
    let path = format!("/api/v1/tickets/{id}");
    let mut seen = vec![s.get(&path).await.1["updated_at"]
        .as_str()
        .unwrap()
        .to_owned()];
    for i in 0..20 {
        let (_, v) = s
            .put(&path, json!({"network_interface_mtu": 1500 + i + 1}))
            .await;
        seen.push(v["updated_at"].as_str().unwrap().to_owned());
    }
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert!(
        seen.iter().all(|t| t.len() == 24 && t.ends_with('Z')),
        "{seen:?}"
    );
    let last = seen.last().unwrap().clone();
    let (_, same) = s.put(&path, json!({"network_interface_mtu": 1520})).await;
    assert_eq!(
        same["updated_at"].as_str().unwrap(),
        last,
        "nothing changed"
    );
}

#[tokio::test]
async fn sim_fail_answers_the_next_requests_under_a_path() {
    let s = sim().await;
    let (st, _) = s
        .call(
            reqwest::Method::POST,
            "/_sim/fail",
            None,
            Some(json!({"path": "/api/v1/tickets", "status": 503, "times": 2})),
        )
        .await;
    assert_eq!(st, 200);
    let (st, _) = s.get("/api/v1/users/me").await;
    assert_eq!(st, 200, "another path is not hit");
    assert_eq!(s.get("/api/v1/tickets/search").await.0, 503);
    assert_eq!(s.get("/api/v1/tickets").await.0, 503);
    assert_eq!(s.get("/api/v1/tickets").await.0, 200);
    let (st, _) = s
        .call(
            reqwest::Method::POST,
            "/_sim/fail",
            None,
            Some(json!({"path": "/api/v1/tickets", "status": 700})),
        )
        .await;
    assert_eq!(st, 400);
    assert_eq!(s.sim.state()["requests"], 4);
}

#[tokio::test]
async fn edit_and_reset_through_the_control_api() {
    let s = sim().await;
    let id = s.file(json!({})).await;
    let (st, v) = s
        .call(
            reqwest::Method::POST,
            "/_sim/edit",
            None,
            Some(json!({"ticket": "15001", "user": "approver@example.com",
                        "fields": {"network_interface_enabled": false,
                                   "article": {"body": "flip it", "type": "note"}}})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["id"], id);
    assert_eq!(v["updated_by"], "approver");
    assert_eq!(v["network_interface_enabled"], false);
    let (st, _) = s
        .call(
            reqwest::Method::POST,
            "/_sim/edit",
            None,
            Some(json!({"ticket": 9, "fields": {}})),
        )
        .await;
    assert_eq!(st, 404);
    let (st, v) = s
        .call(
            reqwest::Method::POST,
            "/_sim/tickets",
            None,
            Some(json!({"title": "x"})),
        )
        .await;
    assert_eq!(
        (st, &v["error"]),
        (StatusCode::BAD_REQUEST, &json!("customer is required"))
    );
    let state = s.sim.state();
    assert_eq!(state["articles"].as_array().unwrap().len(), 2);
    let (st, _) = s
        .call(reqwest::Method::POST, "/_sim/reset", None, None)
        .await;
    assert_eq!(st, 200);
    assert_eq!(s.sim.state()["tickets"], json!([]));
    assert_eq!(s.file(json!({})).await, 1, "ids start over");
}

/// `patchpanel sim zammad` prints its endpoint and serves with the token and webhook it was given.
#[tokio::test]
async fn the_cli_prints_its_endpoint() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_patchpanel"))
        .args(["sim", "zammad", "--listen", "127.0.0.1:0", "--token", "t0k"])
        .args([
            "--webhook-url",
            "http://127.0.0.1:9/hook",
            "--webhook-secret",
            "s",
        ])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().unwrap();
    let second = lines.next_line().await.unwrap().unwrap();
    let url = second.strip_prefix("ZAMMAD_URL=").unwrap().to_owned();
    assert_eq!(first, format!("zammad simulator listening on {url}"));
    let http = Client::new();
    let me = |auth: &'static str| {
        http.get(format!("{url}/api/v1/users/me"))
            .header("Authorization", auth)
            .send()
    };
    assert_eq!(me("Token token=t0k").await.unwrap().status(), 200);
    assert_eq!(me("Token token=other").await.unwrap().status(), 401);
    let state: Value = http
        .get(format!("{url}/_sim/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        state["webhook"],
        json!({"url": "http://127.0.0.1:9/hook", "trigger": "patchpanel network change", "signed": true})
    );
    child.kill().await.unwrap();
}
