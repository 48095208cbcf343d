//! The Webex client against a small fake Webex (REST, U2C, WDM, Mercury) on 127.0.0.1, one test per
//! failure mode.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message as WsMsg, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use patchpanel::inbound::{Inbound, Reply, RoomKind};
use patchpanel::secret::Secret;
use patchpanel::webex::ids::{encode, HydraKind};
use patchpanel::webex::{
    listen_with_timings, BotIdentity, MercuryTimings, WebexConfig, WebexError, WebexRest,
};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const BOT_UUID: &str = "b0b0b0b0-0000-4000-8000-000000000001";
const ALICE_UUID: &str = "a11ce000-0000-4000-8000-000000000002";
const EU: &str = "urn:TEAM:eu-central-1_k";
const TOKEN: &str = "test-token";
const DEVICE_NAME: &str = "patchpanel-test";

#[derive(Debug, Clone)]
enum Ev {
    Connected { n: usize, query: String },
    Auth(String),
    Ack(String),
    Closed(u16),
    MessageGet(String),
    DevicePost,
    DevicePut(String),
    DeviceDelete(String),
}

enum Cmd {
    Text(String),
    Binary(Vec<u8>),
    Close(u16, &'static str),
    Drop,
}

struct St {
    base: String,
    ev: mpsc::UnboundedSender<Ev>,
    ws_connects: AtomicUsize,
    upgrade_404: AtomicUsize,
    device_post_403: AtomicUsize,
    put_404: AtomicBool,
    silent: AtomicBool,
    devices: Mutex<Vec<Value>>,
    device_seq: AtomicUsize,
    messages: Mutex<HashMap<String, Value>>,
    actions: Mutex<HashMap<String, Value>>,
    message_gets: Mutex<Vec<String>>,
    post_429: AtomicUsize,
    post_attempts: AtomicUsize,
    posted: Mutex<Vec<Value>>,
    socket: Mutex<Option<mpsc::UnboundedSender<Cmd>>>,
}

struct Fake {
    st: Arc<St>,
    events: mpsc::UnboundedReceiver<Ev>,
}

impl Fake {
    async fn start() -> Fake {
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

    fn config(&self) -> WebexConfig {
        WebexConfig {
            api_url: format!("{}/v1", self.st.base),
            u2c_url: format!("{}/u2c/api/v1", self.st.base),
            token: Secret::new(TOKEN),
            device_name: DEVICE_NAME.to_owned(),
        }
    }

    fn add_device(&self, id: &str, modified: &str) {
        let d = device_json(&self.st, id, modified);
        self.st.devices.lock().unwrap().push(d);
    }

    fn add_message(&self, activity_uuid: &str, msg: Value) {
        let id = encode(EU, HydraKind::Message, activity_uuid);
        let mut msg = msg;
        msg["id"] = json!(id.clone());
        self.st.messages.lock().unwrap().insert(id, msg);
    }

    fn send(&self, cmd: Cmd) {
        let guard = self.st.socket.lock().unwrap();
        guard
            .as_ref()
            .expect("a socket is connected")
            .send(cmd)
            .ok();
    }

    async fn wait_for(&mut self, what: &str, pred: impl Fn(&Ev) -> bool) -> Ev {
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

    async fn connected(&mut self, n: usize) -> String {
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

fn bot_person_id() -> String {
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

fn timings() -> MercuryTimings {
    MercuryTimings {
        ready_timeout: Duration::from_secs(5),
        ping_interval: Duration::from_secs(60),
        pong_timeout: Duration::from_secs(30),
        silence_timeout: Duration::from_secs(120),
        backoff_initial: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
    }
}

struct Bot {
    rest: WebexRest,
    rx: mpsc::Receiver<Inbound>,
    shutdown: CancellationToken,
    handle: JoinHandle<Result<(), WebexError>>,
}

impl Bot {
    async fn start(fake: &Fake, timings: MercuryTimings) -> Bot {
        let cfg = fake.config();
        let rest = WebexRest::new(&cfg).unwrap();
        let identity: BotIdentity = rest.me().await.unwrap();
        assert_eq!(identity.person_uuid, BOT_UUID);
        let (tx, rx) = mpsc::channel(16);
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(listen_with_timings(
            cfg,
            rest.clone(),
            identity,
            tx,
            shutdown.clone(),
            timings,
        ));
        Bot {
            rest,
            rx,
            shutdown,
            handle,
        }
    }

    async fn next(&mut self) -> Inbound {
        tokio::time::timeout(Duration::from_secs(20), self.rx.recv())
            .await
            .expect("an inbound event in time")
            .expect("listener alive")
    }

    async fn stop(self) -> (Result<(), WebexError>, Vec<Inbound>) {
        self.shutdown.cancel();
        let Bot { mut rx, handle, .. } = self;
        let res = tokio::time::timeout(Duration::from_secs(20), handle)
            .await
            .expect("listener stops")
            .unwrap();
        let mut rest = Vec::new();
        while let Ok(i) = rx.try_recv() {
            rest.push(i);
        }
        (res, rest)
    }

    async fn finished(self) -> Result<(), WebexError> {
        tokio::time::timeout(Duration::from_secs(20), self.handle)
            .await
            .expect("listener stops by itself")
            .unwrap()
    }
}

fn activity(env_id: &str, act_id: &str, verb: &str, actor_uuid: &str, actor_type: &str) -> String {
    json!({
        "id": env_id,
        "data": {"eventType": "conversation.activity", "activity": {
            "id": act_id, "objectType": "activity", "verb": verb,
            "published": "2026-01-01T00:00:00.000Z",
            "actor": {"id": actor_uuid, "entryUUID": actor_uuid, "objectType": "person",
                      "type": actor_type, "displayName": "Alice"},
            "object": {"objectType": "comment", "displayName": "JWE"},
            "target": {"id": "room-uuid", "objectType": "conversation",
                       "url": "https://conv-eu.example/conversation/api/v1/conversations/room-uuid",
                       "tags": []},
            "parent": {"id": "card-msg-uuid", "type": "reply"}
        }},
        "sequenceNumber": 1
    })
    .to_string()
}

fn group_message(person_uuid: &str) -> Value {
    json!({
        "roomId": "ROOM", "roomType": "group",
        "text": "Patch Panel vrf c9300",
        "html": format!("<p><spark-mention data-object-type=\"person\" data-object-id=\"{}\">Patch Panel</spark-mention> vrf c9300</p>", bot_person_id()),
        "personId": encode("us", HydraKind::People, person_uuid),
        "personEmail": "alice@example.com",
        "created": "2026-01-01T00:00:00.000Z"
    })
}

fn message_of(i: &Inbound) -> &patchpanel::inbound::ChatMessage {
    match i {
        Inbound::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

#[tokio::test]
async fn happy_path_discovers_registers_acks_fetches_and_shuts_down() {
    let mut fake = Fake::start().await;
    fake.add_device("old", "2025-01-01T00:00:00.000Z");
    fake.add_message("act-1", group_message(ALICE_UUID));
    let action_id = encode(EU, HydraKind::AttachmentAction, "act-2");
    fake.st.actions.lock().unwrap().insert(
        action_id.clone(),
        json!({"id": action_id, "type": "submit", "inputs": {"choice": "approve", "n": 2},
               "personId": encode("us", HydraKind::People, ALICE_UUID), "roomId": "ROOM"}),
    );
    let mut bot = Bot::start(&fake, timings()).await;

    // The listed device is reused (PUT), and the socket gets our query parameters.
    fake.wait_for(
        "device refresh",
        |e| matches!(e, Ev::DevicePut(id) if id == "old"),
    )
    .await;
    match fake.wait_for("auth", |e| matches!(e, Ev::Auth(_))).await {
        Ev::Auth(t) => assert_eq!(t, format!("Bearer {TOKEN}")),
        _ => unreachable!(),
    }
    let query = fake.connected(1).await;
    assert!(query.starts_with("old?existing=1&"), "{query}");
    for p in [
        "outboundWireFormat=text",
        "bufferStates=true",
        "aliasHttpStatus=true",
    ] {
        assert!(query.contains(p), "{query}");
    }

    fake.send(Cmd::Text(activity(
        "env-1", "act-1", "post", ALICE_UUID, "PERSON",
    )));
    fake.wait_for("ack", |e| matches!(e, Ev::Ack(id) if id == "env-1"))
        .await;
    let m = bot.next().await;
    let m = message_of(&m);
    assert_eq!(m.event_id, "act-1");
    assert_eq!(m.message_id, encode(EU, HydraKind::Message, "act-1"));
    assert_eq!(m.text, "vrf c9300");
    assert_eq!(m.room_kind, RoomKind::Group);
    assert_eq!(m.room_id, "ROOM");
    assert_eq!(m.reply_parent_id, m.message_id);
    assert_eq!(m.sender.email, "alice@example.com");

    // A card press; the actor has no email, so the sender comes from GET /people/{id}.
    let card = activity("env-2", "act-2", "cardAction", ALICE_UUID, "PERSON");
    fake.send(Cmd::Binary(card.into_bytes()));
    match bot.next().await {
        Inbound::CardSubmit(c) => {
            assert_eq!(c.action_id, action_id);
            assert_eq!(c.sender.email, "carol@example.com");
            assert_eq!(c.inputs["choice"], "approve");
            assert_eq!(c.inputs["n"], "2");
            // The REST answer has no messageId: the card message is the activity's parent.
            assert_eq!(
                c.card_message_id,
                encode(EU, HydraKind::Message, "card-msg-uuid")
            );
        }
        other => panic!("{other:?}"),
    }

    let ids = bot
        .rest
        .send_reply(&Reply {
            room_id: "ROOM".into(),
            parent_id: Some(m.message_id.clone()),
            markdown: "**ok**".into(),
        })
        .await
        .unwrap();
    assert_eq!(ids, vec!["sent-0".to_owned()]);
    let posted = fake.st.posted.lock().unwrap().clone();
    assert_eq!(
        posted,
        vec![json!({"roomId": "ROOM", "parentId": m.message_id, "markdown": "**ok**"})]
    );

    let (res, _) = bot.stop().await;
    assert!(res.is_ok(), "{res:?}");
    match fake.wait_for("close", |e| matches!(e, Ev::Closed(_))).await {
        Ev::Closed(code) => assert_eq!(code, 1000),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn upgrade_404_registers_a_new_device() {
    let mut fake = Fake::start().await;
    fake.add_device("stale", "2025-01-01T00:00:00.000Z");
    fake.st.upgrade_404.store(1, Ordering::SeqCst);
    let bot = Bot::start(&fake, timings()).await;
    fake.wait_for("refresh of the listed device", |e| {
        matches!(e, Ev::DevicePut(_))
    })
    .await;
    fake.wait_for("a new device", |e| matches!(e, Ev::DevicePost))
        .await;
    let query = fake.connected(1).await;
    assert!(query.starts_with("new0?"), "{query}");
    let (res, _) = bot.stop().await;
    assert!(res.is_ok());
}

#[tokio::test]
async fn excessive_registrations_delete_our_oldest_device_and_retry() {
    let mut fake = Fake::start().await;
    fake.add_device("mid", "2025-02-01T00:00:00.000Z");
    fake.add_device("oldest", "2025-01-01T00:00:00.000Z");
    fake.add_device("newest", "2025-03-01T00:00:00.000Z");
    fake.st.put_404.store(true, Ordering::SeqCst);
    fake.st.device_post_403.store(1, Ordering::SeqCst);
    let bot = Bot::start(&fake, timings()).await;
    match fake
        .wait_for("a delete", |e| matches!(e, Ev::DeviceDelete(_)))
        .await
    {
        Ev::DeviceDelete(id) => assert_eq!(id, "oldest"),
        _ => unreachable!(),
    }
    fake.wait_for("the retried POST", |e| matches!(e, Ev::DevicePost))
        .await;
    let query = fake.connected(1).await;
    assert!(query.starts_with("new0?"), "{query}");
    let names: Vec<String> = fake
        .st
        .devices
        .lock()
        .unwrap()
        .iter()
        .map(|d| {
            d["url"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(names, vec!["mid", "newest", "new0"]);
    let (res, _) = bot.stop().await;
    assert!(res.is_ok());
}

#[tokio::test]
async fn close_4401_stops_with_token_rejected() {
    let mut fake = Fake::start().await;
    let bot = Bot::start(&fake, timings()).await;
    fake.connected(1).await;
    fake.send(Cmd::Close(4401, "not authorized"));
    let res = bot.finished().await;
    assert!(matches!(res, Err(WebexError::TokenRejected)), "{res:?}");
    assert_eq!(fake.st.ws_connects.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn close_4000_replaced_stops_with_replaced() {
    let mut fake = Fake::start().await;
    let bot = Bot::start(&fake, timings()).await;
    fake.connected(1).await;
    fake.send(Cmd::Close(4000, "replaced"));
    let res = bot.finished().await;
    let err = res.unwrap_err();
    assert!(matches!(err, WebexError::Replaced), "{err:?}");
    assert!(err.to_string().contains("single instance"));
    assert!(!err.to_string().contains(TOKEN));
}

#[tokio::test]
async fn abnormal_drop_reconnects() {
    let mut fake = Fake::start().await;
    fake.add_message("act-9", group_message(ALICE_UUID));
    let mut bot = Bot::start(&fake, timings()).await;
    fake.connected(1).await;
    fake.send(Cmd::Drop);
    fake.connected(2).await;
    // The new socket works.
    fake.send(Cmd::Text(activity(
        "env-9", "act-9", "post", ALICE_UUID, "PERSON",
    )));
    assert_eq!(bot.next().await.event_id(), "act-9");
    let (res, _) = bot.stop().await;
    assert!(res.is_ok());
}

#[tokio::test]
async fn server_shutdown_frame_reconnects() {
    let mut fake = Fake::start().await;
    let bot = Bot::start(&fake, timings()).await;
    fake.connected(1).await;
    fake.send(Cmd::Text(
        json!({"id": "sd-1", "type": "shutdown"}).to_string(),
    ));
    fake.wait_for(
        "ack of the shutdown frame",
        |e| matches!(e, Ev::Ack(id) if id == "sd-1"),
    )
    .await;
    fake.connected(2).await;
    let (res, _) = bot.stop().await;
    assert!(res.is_ok());
}

#[tokio::test]
async fn silent_socket_reconnects() {
    let mut fake = Fake::start().await;
    fake.st.silent.store(true, Ordering::SeqCst);
    let t = MercuryTimings {
        ping_interval: Duration::from_millis(50),
        pong_timeout: Duration::from_millis(200),
        silence_timeout: Duration::from_millis(400),
        ..timings()
    };
    let bot = Bot::start(&fake, t).await;
    fake.connected(1).await;
    fake.connected(2).await;
    let (res, _) = bot.stop().await;
    assert!(res.is_ok());
}

#[tokio::test]
async fn malformed_frames_are_skipped_without_reconnecting() {
    let mut fake = Fake::start().await;
    fake.add_message("act-5", group_message(ALICE_UUID));
    let mut bot = Bot::start(&fake, timings()).await;
    fake.connected(1).await;
    fake.send(Cmd::Text("not json {".into()));
    fake.send(Cmd::Binary(vec![0xff, 0xfe, 0x00]));
    fake.send(Cmd::Text(r#"{"id":5,"data":[]}"#.into()));
    fake.send(Cmd::Text(
        r#"{"data":{"eventType":"conversation.activity","activity":{"verb":"post"}}}"#.into(),
    ));
    fake.send(Cmd::Text(activity(
        "env-5", "act-5", "post", ALICE_UUID, "PERSON",
    )));
    assert_eq!(bot.next().await.event_id(), "act-5");
    assert_eq!(fake.st.ws_connects.load(Ordering::SeqCst), 1);
    let (res, _) = bot.stop().await;
    assert!(res.is_ok());
}

#[tokio::test]
async fn rate_limited_reply_is_delayed_then_delivered_once() {
    let fake = Fake::start().await;
    fake.st.post_429.store(1, Ordering::SeqCst);
    let rest = WebexRest::new(&fake.config()).unwrap();
    let ids = rest
        .send_reply(&Reply {
            room_id: "ROOM".into(),
            parent_id: None,
            markdown: "hello".into(),
        })
        .await
        .unwrap();
    assert_eq!(ids, vec!["sent-0".to_owned()]);
    assert_eq!(fake.st.post_attempts.load(Ordering::SeqCst), 2);
    assert_eq!(
        fake.st.posted.lock().unwrap().clone(),
        vec![json!({"roomId": "ROOM", "markdown": "hello"})]
    );
}

#[tokio::test]
async fn long_reply_is_split_into_ordered_parts() {
    let fake = Fake::start().await;
    let rest = WebexRest::new(&fake.config()).unwrap();
    let line = format!("{}\n", "ä".repeat(49)); // 99 bytes
    let ids = rest
        .send_reply(&Reply {
            room_id: "ROOM".into(),
            parent_id: Some("P".into()),
            markdown: line.repeat(150),
        })
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    let posted = fake.st.posted.lock().unwrap().clone();
    let joined: String = posted
        .iter()
        .map(|p| p["markdown"].as_str().unwrap())
        .collect();
    assert_eq!(joined, line.repeat(150));
    assert!(posted
        .iter()
        .all(|p| p["markdown"].as_str().unwrap().len() <= 7439 && p["parentId"] == "P"));
}

#[tokio::test]
async fn rest_errors_tell_the_caller_what_to_do() {
    let fake = Fake::start().await;
    let rest = WebexRest::new(&fake.config()).unwrap();
    match rest.get_message("nope").await {
        Err(WebexError::NotFound { tracking_id, .. }) => assert_eq!(tracking_id, "t404"),
        other => panic!("{other:?}"),
    }
    // Unreachable server: a retryable error, not a panic.
    let mut cfg = fake.config();
    cfg.api_url = "http://127.0.0.1:9/v1".into();
    let dead = WebexRest::with_retry_policy(
        &cfg,
        patchpanel::webex::RetryPolicy {
            max_attempts: 2,
            server_error_base: Duration::from_millis(1),
            ..Default::default()
        },
    )
    .unwrap();
    let err = dead.me().await.unwrap_err();
    assert!(matches!(err, WebexError::Unavailable { .. }), "{err:?}");
    assert!(!err.to_string().contains(TOKEN));
}

#[tokio::test]
async fn own_and_bot_activities_produce_no_inbound() {
    let mut fake = Fake::start().await;
    for (id, person) in [
        ("self-1", BOT_UUID),
        ("self-2", BOT_UUID),
        ("bot-1", "other-bot"),
        ("rest-self", BOT_UUID),
        ("ok-1", ALICE_UUID),
    ] {
        fake.add_message(id, group_message(person));
    }
    let mut bot = Bot::start(&fake, timings()).await;
    fake.connected(1).await;
    fake.send(Cmd::Text(activity(
        "e1", "self-1", "post", BOT_UUID, "PERSON",
    )));
    let hydra_self = activity("e2", "self-2", "post", &bot_person_id(), "PERSON");
    fake.send(Cmd::Text(hydra_self));
    fake.send(Cmd::Text(activity(
        "e3",
        "bot-1",
        "post",
        "other-bot",
        "BOT",
    )));
    // The socket event claims Alice, but REST says the bot wrote it.
    fake.send(Cmd::Text(activity(
        "e4",
        "rest-self",
        "post",
        ALICE_UUID,
        "PERSON",
    )));
    let rest_self = encode(EU, HydraKind::Message, "rest-self");
    fake.wait_for(
        "fetch of rest-self",
        |e| matches!(e, Ev::MessageGet(id) if *id == rest_self),
    )
    .await;
    fake.send(Cmd::Text(activity(
        "e5", "ok-1", "post", ALICE_UUID, "PERSON",
    )));
    assert_eq!(bot.next().await.event_id(), "ok-1");
    let (res, extra) = bot.stop().await;
    assert!(res.is_ok());
    assert!(extra.is_empty(), "{extra:?}");
    let gets: HashSet<String> = fake
        .st
        .message_gets
        .lock()
        .unwrap()
        .iter()
        .cloned()
        .collect();
    let want: HashSet<String> = ["rest-self", "ok-1"]
        .iter()
        .map(|a| encode(EU, HydraKind::Message, a))
        .collect();
    assert_eq!(
        gets, want,
        "no REST call for activities filtered on the socket event"
    );
}

#[tokio::test]
async fn duplicate_activity_gives_one_inbound() {
    let mut fake = Fake::start().await;
    fake.add_message("dup", group_message(ALICE_UUID));
    fake.add_message("other", group_message(ALICE_UUID));
    let mut bot = Bot::start(&fake, timings()).await;
    fake.connected(1).await;
    fake.send(Cmd::Text(activity(
        "e1", "dup", "post", ALICE_UUID, "PERSON",
    )));
    fake.send(Cmd::Text(activity(
        "e2", "dup", "post", ALICE_UUID, "PERSON",
    )));
    fake.send(Cmd::Text(activity(
        "e3", "other", "post", ALICE_UUID, "PERSON",
    )));
    let mut got = vec![
        bot.next().await.event_id().to_owned(),
        bot.next().await.event_id().to_owned(),
    ];
    got.sort();
    assert_eq!(got, vec!["dup", "other"]);
    // Both deliveries were acked, even the duplicate.
    fake.wait_for("ack e2", |e| matches!(e, Ev::Ack(id) if id == "e2"))
        .await;
    let (res, extra) = bot.stop().await;
    assert!(res.is_ok());
    assert!(extra.is_empty(), "{extra:?}");
    let dup_gets = fake
        .st
        .message_gets
        .lock()
        .unwrap()
        .iter()
        .filter(|id| **id == encode(EU, HydraKind::Message, "dup"))
        .count();
    assert_eq!(dup_gets, 1);
}
