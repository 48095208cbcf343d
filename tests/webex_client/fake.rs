//! A small fake Webex for the client tests: REST, U2C, WDM and a Mercury socket the test drives.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message as WsMsg, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use patchpanel::secret::Secret;
use patchpanel::webex::ids::{encode, HydraKind};
use patchpanel::webex::WebexConfig;
use serde_json::{json, Value};
use tokio::sync::mpsc;

pub const BOT_UUID: &str = "b0b0b0b0-0000-4000-8000-000000000001";
pub const ALICE_UUID: &str = "a11ce000-0000-4000-8000-000000000002";
pub const EU: &str = "urn:TEAM:eu-central-1_k";
pub const TOKEN: &str = "test-token";
pub const DEVICE_NAME: &str = "patchpanel-test";

#[derive(Debug, Clone)]
pub enum Ev {
    Connected { n: usize, query: String },
    Auth(String),
    Ack(String),
    Closed(u16),
    MessageGet(String),
    DevicePost,
    DevicePut(String),
    DeviceDelete(String),
}

pub enum Cmd {
    Text(String),
    Binary(Vec<u8>),
    Close(u16, &'static str),
    Drop,
}

pub struct St {
    pub base: String,
    pub ev: mpsc::UnboundedSender<Ev>,
    pub ws_connects: AtomicUsize,
    pub upgrade_404: AtomicUsize,
    pub device_post_403: AtomicUsize,
    pub put_404: AtomicBool,
    pub silent: AtomicBool,
    pub devices: Mutex<Vec<Value>>,
    pub device_seq: AtomicUsize,
    pub messages: Mutex<HashMap<String, Value>>,
    pub actions: Mutex<HashMap<String, Value>>,
    pub message_gets: Mutex<Vec<String>>,
    pub post_429: AtomicUsize,
    pub post_503: AtomicUsize,
    pub post_400: AtomicBool,
    pub post_attempts: AtomicUsize,
    pub posted: Mutex<Vec<Value>>,
    pub socket: Mutex<Option<mpsc::UnboundedSender<Cmd>>>,
}

pub struct Fake {
    pub st: Arc<St>,
    pub events: mpsc::UnboundedReceiver<Ev>,
}

impl Fake {
    pub async fn start() -> Fake {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (ev, events) = mpsc::unbounded_channel();
        let st = Arc::new(St {
            base,
            ev,
            ws_connects: AtomicUsize::new(0),
            upgrade_404: AtomicUsize::new(0),
            device_post_403: AtomicUsize::new(0),
            put_404: AtomicBool::new(false),
            silent: AtomicBool::new(false),
            devices: Mutex::new(Vec::new()),
            device_seq: AtomicUsize::new(0),
            messages: Mutex::new(HashMap::new()),
            actions: Mutex::new(HashMap::new()),
            message_gets: Mutex::new(Vec::new()),
            post_429: AtomicUsize::new(0),
            post_503: AtomicUsize::new(0),
            post_400: AtomicBool::new(false),
            post_attempts: AtomicUsize::new(0),
            posted: Mutex::new(Vec::new()),
            socket: Mutex::new(None),
        });
        let app = Router::new()
            .route("/v1/people/me", get(me))
            .route("/v1/people/{id}", get(person))
            .route("/v1/messages/{id}", get(get_message))
            .route("/v1/messages", axum::routing::post(post_message))
            .route("/v1/attachment/actions/{id}", get(get_action))
            .route("/u2c/api/v1/catalog", get(catalog))
            .route("/wdm/api/v1/devices", get(list_devices).post(post_device))
            .route(
                "/wdm/api/v1/devices/{id}",
                axum::routing::put(put_device).delete(delete_device),
            )
            .route("/mercury/{dev}", get(mercury))
            .with_state(st.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Fake { st, events }
    }

    pub fn config(&self) -> WebexConfig {
        WebexConfig {
            api_url: format!("{}/v1", self.st.base),
            u2c_url: format!("{}/u2c/api/v1", self.st.base),
            token: Secret::new(TOKEN),
            device_name: DEVICE_NAME.to_owned(),
        }
    }

    pub fn add_device(&self, id: &str, modified: &str) {
        let d = device_json(&self.st, id, modified);
        self.st.devices.lock().unwrap().push(d);
    }

    pub fn add_message(&self, activity_uuid: &str, msg: Value) {
        let id = encode(EU, HydraKind::Message, activity_uuid);
        let mut msg = msg;
        msg["id"] = json!(id.clone());
        self.st.messages.lock().unwrap().insert(id, msg);
    }

    pub fn send(&self, cmd: Cmd) {
        let guard = self.st.socket.lock().unwrap();
        guard
            .as_ref()
            .expect("a socket is connected")
            .send(cmd)
            .ok();
    }

    pub async fn wait_for(&mut self, what: &str, pred: impl Fn(&Ev) -> bool) -> Ev {
        let fut = async {
            loop {
                let ev = self.events.recv().await.expect("fake server alive");
                if pred(&ev) {
                    return ev;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(20), fut)
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
    }

    pub async fn connected(&mut self, n: usize) -> String {
        match self
            .wait_for(
                &format!("connection {n}"),
                |e| matches!(e, Ev::Connected { n: k, .. } if *k == n),
            )
            .await
        {
            Ev::Connected { query, .. } => query,
            _ => unreachable!(),
        }
    }
}

fn device_json(st: &St, id: &str, modified: &str) -> Value {
    let ws_base = st.base.replacen("http://", "ws://", 1);
    json!({
        "url": format!("{}/wdm/api/v1/devices/{id}", st.base),
        "webSocketUrl": format!("{ws_base}/mercury/{id}?existing=1"),
        "name": DEVICE_NAME,
        "deviceType": "DESKTOP",
        "modificationTime": modified,
    })
}

pub fn bot_person_id() -> String {
    encode("us", HydraKind::People, BOT_UUID)
}

async fn me() -> Json<Value> {
    Json(
        json!({"id": bot_person_id(), "emails": ["patch@webex.bot"], "displayName": "Patch Panel", "type": "bot"}),
    )
}

async fn person(Path(id): Path<String>) -> Json<Value> {
    Json(json!({"id": id, "emails": ["carol@example.com"], "displayName": "Carol"}))
}

async fn get_message(State(st): State<Arc<St>>, Path(id): Path<String>) -> Response {
    st.message_gets.lock().unwrap().push(id.clone());
    st.ev.send(Ev::MessageGet(id.clone())).ok();
    match st.messages.lock().unwrap().get(&id) {
        Some(m) => Json(m.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"message": "not found", "trackingId": "t404"})),
        )
            .into_response(),
    }
}

async fn get_action(State(st): State<Arc<St>>, Path(id): Path<String>) -> Response {
    match st.actions.lock().unwrap().get(&id) {
        Some(a) => Json(a.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn post_message(State(st): State<Arc<St>>, Json(body): Json<Value>) -> Response {
    st.post_attempts.fetch_add(1, Ordering::SeqCst);
    if st
        .post_429
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("Retry-After", "1")],
            Json(json!({"message": "Too Many Requests", "trackingId": "t429"})),
        )
            .into_response();
    }
    if st
        .post_503
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    if st.post_400.load(Ordering::SeqCst) {
        return (
            StatusCode::BAD_REQUEST,
            [("trackingid", "hdr-t")],
            Json(json!({"message": "Unable to post message: room not found", "errors": []})),
        )
            .into_response();
    }
    let mut posted = st.posted.lock().unwrap();
    let id = format!("sent-{}", posted.len());
    posted.push(body.clone());
    let mut answer = body;
    answer["id"] = json!(id);
    Json(answer).into_response()
}

async fn catalog(RawQuery(q): RawQuery, State(st): State<Arc<St>>) -> Response {
    if q.as_deref() != Some("format=hostmap") {
        return StatusCode::BAD_REQUEST.into_response();
    }
    Json(json!({
        "serviceLinks": {"wdm": format!("{}/wdm/api/v1", st.base)},
        "hostCatalog": {"conv-eu.example": [{"host": "conv-eu.example", "ttl": -1, "priority": 5,
                         "id": format!("{EU}:conversation")}]},
        "format": "hostmap"
    }))
    .into_response()
}

async fn list_devices(State(st): State<Arc<St>>) -> Json<Value> {
    Json(json!({"devices": st.devices.lock().unwrap().clone()}))
}

async fn post_device(State(st): State<Arc<St>>, Json(body): Json<Value>) -> Response {
    if st
        .device_post_403
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return (
            StatusCode::FORBIDDEN,
            Json(
                json!({"message": "User has excessive device registrations", "trackingId": "t403"}),
            ),
        )
            .into_response();
    }
    for k in [
        "deviceName",
        "deviceType",
        "localizedModel",
        "model",
        "name",
        "systemName",
        "systemVersion",
    ] {
        if body.get(k).is_none() {
            return StatusCode::BAD_REQUEST.into_response();
        }
    }
    let n = st.device_seq.fetch_add(1, Ordering::SeqCst);
    let d = device_json(&st, &format!("new{n}"), "2030-01-01T00:00:00.000Z");
    st.devices.lock().unwrap().push(d.clone());
    st.ev.send(Ev::DevicePost).ok();
    Json(d).into_response()
}

async fn put_device(State(st): State<Arc<St>>, Path(id): Path<String>) -> Response {
    if st.put_404.load(Ordering::SeqCst) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let found = st
        .devices
        .lock()
        .unwrap()
        .iter()
        .find(|d| {
            d["url"]
                .as_str()
                .is_some_and(|u| u.ends_with(&format!("/{id}")))
        })
        .cloned();
    match found {
        Some(d) => {
            st.ev.send(Ev::DevicePut(id)).ok();
            Json(d).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn delete_device(State(st): State<Arc<St>>, Path(id): Path<String>) -> StatusCode {
    st.devices.lock().unwrap().retain(|d| {
        !d["url"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("/{id}")))
    });
    st.ev.send(Ev::DeviceDelete(id)).ok();
    StatusCode::NO_CONTENT
}

async fn mercury(
    ws: WebSocketUpgrade,
    Path(dev): Path<String>,
    RawQuery(q): RawQuery,
    State(st): State<Arc<St>>,
) -> Response {
    if st
        .upgrade_404
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return StatusCode::NOT_FOUND.into_response();
    }
    let query = format!("{dev}?{}", q.unwrap_or_default());
    ws.on_upgrade(move |socket| serve_socket(socket, st, query))
}

async fn serve_socket(mut socket: WebSocket, st: Arc<St>, query: String) {
    // The authorization frame comes first.
    let Some(Ok(WsMsg::Text(auth))) = socket.recv().await else {
        return;
    };
    let auth: Value = serde_json::from_str(auth.as_str()).unwrap();
    assert_eq!(auth["type"], "authorization");
    st.ev
        .send(Ev::Auth(
            auth["data"]["token"].as_str().unwrap_or("").to_owned(),
        ))
        .ok();
    let ready = json!({"id": uuid::Uuid::new_v4().to_string(), "data": {"eventType": "mercury.buffer_state"}});
    if socket
        .send(WsMsg::Text(ready.to_string().into()))
        .await
        .is_err()
    {
        return;
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    *st.socket.lock().unwrap() = Some(tx);
    let n = st.ws_connects.fetch_add(1, Ordering::SeqCst) + 1;
    st.ev.send(Ev::Connected { n, query }).ok();
    loop {
        tokio::select! {
            cmd = rx.recv() => match cmd {
                Some(Cmd::Text(t)) => { let _ = socket.send(WsMsg::Text(t.into())).await; }
                Some(Cmd::Binary(b)) => { let _ = socket.send(WsMsg::Binary(b.into())).await; }
                Some(Cmd::Close(code, reason)) => {
                    let _ = socket.send(WsMsg::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                    return;
                }
                Some(Cmd::Drop) | None => return,
            },
            msg = socket.recv() => match msg {
                Some(Ok(WsMsg::Text(t))) => {
                    let v: Value = serde_json::from_str(t.as_str()).unwrap();
                    match v["type"].as_str() {
                        Some("ack") => { st.ev.send(Ev::Ack(v["messageId"].as_str().unwrap_or("").to_owned())).ok(); }
                        Some("ping") if !st.silent.load(Ordering::SeqCst) => {
                            let pong = json!({"type": "pong", "id": v["id"]});
                            let _ = socket.send(WsMsg::Text(pong.to_string().into())).await;
                        }
                        _ => {}
                    }
                }
                Some(Ok(WsMsg::Close(f))) => {
                    st.ev.send(Ev::Closed(f.map(|f| f.code).unwrap_or(0))).ok();
                    return;
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            },
        }
    }
}
