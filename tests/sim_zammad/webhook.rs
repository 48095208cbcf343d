//! The trigger's webhook against a receiver on loopback: Zammad's headers, the HMAC-SHA1 signature
//! of the raw body, retries after a 500 with the same delivery id, and deliveries for the bot's own
//! updates too.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha1::Sha1;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{sim_with, Sim};
use patchpanel_sim::zammad::ZammadSimConfig;

struct Receiver {
    url: String,
    got: mpsc::UnboundedReceiver<(HeaderMap, Bytes)>,
    _stop: tokio_util::sync::DropGuard,
}

#[derive(Clone)]
struct Hook {
    /// Statuses to answer, in order; 200 once they run out.
    answers: Arc<Mutex<VecDeque<u16>>>,
    tx: mpsc::UnboundedSender<(HeaderMap, Bytes)>,
}

async fn hook(State(h): State<Hook>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let _ = h.tx.send((headers, body));
    let code = h.answers.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(code).unwrap()
}

/// A receiver answering `answers` first, then 200.
async fn receiver(answers: &[u16]) -> Receiver {
    let (tx, got) = mpsc::unbounded_channel();
    let h = Hook {
        answers: Arc::new(Mutex::new(answers.iter().copied().collect())),
        tx,
    };
    let app = Router::new().route("/hook", post(hook)).with_state(h);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    let s = stop.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(s.cancelled_owned())
            .await;
    });
    Receiver {
        url: format!("http://{addr}/hook"),
        got,
        _stop: stop.drop_guard(),
    }
}

async fn set_webhook(s: &Sim, body: Value) {
    let (st, v) = s
        .call(reqwest::Method::POST, "/_sim/webhook", None, Some(body))
        .await;
    assert_eq!(st, 200, "{v}");
}

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha1={hex}")
}

/// Sets a webhook, has the bot add a note to `id`, and answers the payload delivered.
pub async fn payload_of_next_change(s: &Sim, id: u64) -> Value {
    let mut r = receiver(&[]).await;
    set_webhook(s, json!({"url": r.url})).await;
    let (st, _) = s
        .put(
            &format!("/api/v1/tickets/{id}"),
            json!({"article": {"body": "seen", "type": "note", "internal": true}}),
        )
        .await;
    assert_eq!(st, 200);
    let (_, body) = r.got.recv().await.unwrap();
    serde_json::from_slice(&body).unwrap()
}

#[tokio::test]
async fn delivered_signed_with_zammads_headers() {
    let mut r = receiver(&[]).await;
    let s = super::sim().await;
    set_webhook(
        &s,
        json!({"url": r.url, "secret": "s3cret", "trigger": "network change"}),
    )
    .await;
    let id = s.file(json!({})).await;
    let (headers, body) = r.got.recv().await.unwrap();
    assert_eq!(headers["user-agent"], "Zammad User Agent");
    assert_eq!(headers["x-zammad-trigger"], "network change");
    let delivery = headers["x-zammad-delivery"].to_str().unwrap().to_owned();
    assert_eq!(delivery.len(), 36, "{delivery}");
    assert_eq!(
        headers["x-hub-signature"].to_str().unwrap(),
        sign("s3cret", &body)
    );
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["ticket"]["id"], id);
    assert_eq!(v["ticket"]["number"], "15001");
    assert_eq!(v["ticket"]["state"], "open");
    assert_eq!(v["ticket"]["ticket_type"], "network_change");
    assert_eq!(v["article"]["type"], "phone");
    assert_eq!(v["article"]["sender"], "Customer");
    assert_eq!(v["article"]["created_by"]["email"], "engineer@example.com");
    s.sim
        .wait_deliveries(|d| d.len() == 1 && d[0]["outcome"] == "delivered")
        .await;
    // Without a secret there is no signature header.
    set_webhook(&s, json!({"url": r.url})).await;
    s.sim
        .edit(id, json!({"network_interface_mtu": 9000}), "engineer")
        .unwrap();
    let (headers, body) = r.got.recv().await.unwrap();
    assert!(headers.get("x-hub-signature").is_none());
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["article"], json!({}), "a change without an article");
    assert_eq!(v["ticket"]["updated_by"]["login"], "engineer");
    // Turned off: nothing more is posted.
    set_webhook(&s, json!({"url": null})).await;
    s.sim
        .edit(id, json!({"network_interface_mtu": 9100}), "engineer")
        .unwrap();
    assert_eq!(s.sim.deliveries().len(), 2);
    assert!(r.got.try_recv().is_err());
}

#[tokio::test]
async fn retried_after_a_500_with_the_same_delivery_id() {
    let mut r = receiver(&[500, 502]).await;
    let s = sim_with(ZammadSimConfig {
        retry_wait: Duration::from_millis(5),
        ..ZammadSimConfig::default()
    })
    .await;
    set_webhook(&s, json!({"url": r.url, "secret": "k"})).await;
    s.file(json!({})).await;
    let mut ids = Vec::new();
    let mut bodies = Vec::new();
    for _ in 0..3 {
        let (h, b) = r.got.recv().await.unwrap();
        ids.push(h["x-zammad-delivery"].to_str().unwrap().to_owned());
        assert_eq!(h["x-hub-signature"].to_str().unwrap(), sign("k", &b));
        bodies.push(b);
    }
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    s.sim
        .wait_deliveries(|d| d.first().is_some_and(|d| d["outcome"] == "delivered"))
        .await;
    let d = &s.sim.deliveries()[0];
    let statuses: Vec<Value> = d["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].clone())
        .collect();
    assert_eq!(statuses, vec![json!(500), json!(502), json!(200)]);
}

#[tokio::test]
async fn gives_up_after_five_attempts() {
    let mut r = receiver(&[500; 10]).await;
    let s = sim_with(ZammadSimConfig {
        retry_wait: Duration::from_millis(1),
        ..ZammadSimConfig::default()
    })
    .await;
    set_webhook(&s, json!({"url": r.url})).await;
    s.file(json!({})).await;
    s.sim
        .wait_deliveries(|d| d.first().is_some_and(|d| d["outcome"] == "failed"))
        .await;
    assert_eq!(
        s.sim.deliveries()[0]["attempts"].as_array().unwrap().len(),
        5
    );
    let mut n = 0;
    while r.got.try_recv().is_ok() {
        n += 1;
    }
    assert_eq!(n, 5);
    let state = s.sim.state();
    assert_eq!(state["deliveries"][0]["outcome"], "failed");
}

#[tokio::test]
async fn the_bots_own_update_fires_the_trigger_too() {
    let mut r = receiver(&[]).await;
    let s = super::sim().await;
    set_webhook(&s, json!({"url": r.url, "secret": "x"})).await;
    let id = s.file(json!({})).await;
    let _ = r.got.recv().await.unwrap();
    let (st, _) = s
        .put(
            &format!("/api/v1/tickets/{id}"),
            json!({"state": "pending approval", "article": {"body": "waiting", "type": "note", "internal": true}}),
        )
        .await;
    assert_eq!(st, 200);
    let (_, body) = r.got.recv().await.unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["ticket"]["state"], "pending approval");
    assert_eq!(v["ticket"]["updated_by_id"], 2, "the bot's own change");
    assert_eq!(v["ticket"]["updated_by"]["login"], "patchpanel");
    assert_eq!(v["article"]["body"], "waiting");
    assert_eq!(v["article"]["created_by"]["login"], "patchpanel");
    // A write that changes nothing does not fire.
    let (st, _) = s
        .put(
            &format!("/api/v1/tickets/{id}"),
            json!({"state": "pending approval"}),
        )
        .await;
    assert_eq!(st, 200);
    s.sim
        .wait_deliveries(|d| d.len() == 2 && d.iter().all(|d| d["outcome"] == "delivered"))
        .await;
    assert_eq!(s.sim.deliveries().len(), 2);
}
