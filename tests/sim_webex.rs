//! The Webex simulator against docs/webex.md ( §1–§5, §8 checklist), driven from the client
//! side with a raw HTTP client (reqwest) and a raw WebSocket client (tokio-tungstenite).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use patchpanel::webex::ids;
use patchpanel_sim::webex::{self, RunningWebexSim, WebexSimConfig};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::{CancellationToken, DropGuard};

/// Upper bound for waiting on a frame, so a broken simulator fails the test instead of hanging it.
const WAIT: Duration = Duration::from_secs(10);
const TOKEN: &str = "test-token";

struct Sim {
    sim: RunningWebexSim,
    http: reqwest::Client,
    _stop: DropGuard,
}

async fn sim_with(cfg: WebexSimConfig) -> Sim {
    let stop = CancellationToken::new();
    let sim = webex::start(cfg, stop.clone()).await.unwrap();
    Sim {
        sim,
        http: reqwest::Client::new(),
        _stop: stop.drop_guard(),
    }
}

async fn sim() -> Sim {
    sim_with(WebexSimConfig::default()).await
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

impl Sim {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url)
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn control(&self, path: &str, body: Value) -> Value {
        let r = self.post(path, body).await;
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap_or(Value::Null)
    }

    async fn say(&self, from: &str, text: &str, room: &str, mention: bool) -> String {
        let v = self
            .control(
                "/_sim/say",
                json!({"from": from, "text": text, "room": room, "mention": mention}),
            )
            .await;
        v["messageId"].as_str().unwrap().to_owned()
    }

    /// Creates a device and returns its DTO.
    async fn device(&self, name: &str) -> Value {
        let r = self
            .post(
                "/wdm/api/v1/devices",
                json!({"deviceName": name, "deviceType": "DESKTOP", "localizedModel": "rust",
                       "model": "rust", "name": name, "systemName": name, "systemVersion": "1"}),
            )
            .await;
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// A device plus an authorized text-mode socket that has seen `mercury.buffer_state`.
    async fn connected(&self) -> (Value, Ws) {
        let dev = self.device("pp").await;
        let ws = connect_ready(&ws_url(&dev, true)).await;
        (dev, ws)
    }
}

fn ws_url(dev: &Value, text: bool) -> String {
    let base = dev["webSocketUrl"].as_str().unwrap();
    if text {
        format!("{base}?outboundWireFormat=text&bufferStates=true&aliasHttpStatus=true")
    } else {
        base.to_owned()
    }
}

async fn connect(url: &str) -> Ws {
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

async fn auth(ws: &mut Ws, token: &str) {
    let id = uuid::Uuid::new_v4().to_string();
    send(
        ws,
        json!({"id": id, "type": "authorization", "data": {"token": format!("Bearer {token}")}}),
    )
    .await;
}

/// The next data frame (text or binary), skipping protocol pings.
async fn next_msg(ws: &mut Ws) -> Message {
    loop {
        let m = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("no frame in time")
            .expect("socket ended")
            .expect("socket error");
        if !matches!(m, Message::Ping(_) | Message::Pong(_)) {
            return m;
        }
    }
}

async fn next_json(ws: &mut Ws) -> Value {
    match next_msg(ws).await {
        Message::Text(t) => serde_json::from_str(t.as_str()).unwrap(),
        Message::Binary(b) => serde_json::from_slice(&b).unwrap(),
        other => panic!("unexpected frame {other:?}"),
    }
}

/// The next `conversation.activity`, acking nothing.
async fn next_activity(ws: &mut Ws) -> (Value, Value) {
    let env = next_json(ws).await;
    assert_eq!(env["data"]["eventType"], "conversation.activity", "{env}");
    let act = env["data"]["activity"].clone();
    (env, act)
}

async fn ack(ws: &mut Ws, env: &Value) {
    send(ws, json!({"type": "ack", "messageId": env["id"]})).await;
}

async fn close_code(ws: &mut Ws) -> (u16, String) {
    match next_msg(ws).await {
        Message::Close(Some(f)) => (u16::from(f.code), f.reason.as_str().to_owned()),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

async fn connect_ready(url: &str) -> Ws {
    let mut ws = connect(url).await;
    auth(&mut ws, TOKEN).await;
    let first = next_json(&mut ws).await;
    assert_eq!(first["data"]["eventType"], "mercury.buffer_state");
    ws
}

fn uuid_of(rest_id: &str) -> String {
    ids::decode(rest_id).unwrap().uuid
}

fn upgrade_status(err: tungstenite::Error) -> u16 {
    match err {
        tungstenite::Error::Http(resp) => resp.status().as_u16(),
        other => panic!("expected an HTTP refusal, got {other}"),
    }
}

// Tests live in `tests/sim_webex/`, one file per surface; the helpers above are shared.
#[path = "sim_webex/control.rs"]
mod control;
#[path = "sim_webex/conversation.rs"]
mod conversation;
#[path = "sim_webex/http.rs"]
mod http;
#[path = "sim_webex/log.rs"]
mod log;
#[path = "sim_webex/mercury.rs"]
mod mercury;
