//! The Webex simulator against the spec (specs/webex.md §1–§5, §8 checklist), driven from the client
//! side with a raw HTTP client (reqwest) and a raw WebSocket client (tokio-tungstenite).

use std::time::Duration;

use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use patchpanel::sim::webex::{self, RunningWebexSim, SayRequest, WebexSimConfig, BOT_UUID};
use patchpanel::webex::ids::{self, HydraKind};
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

#[tokio::test]
async fn people_me_and_catalog() {
    let s = sim().await;
    let r = s.get("/v1/people/me").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("trackingid"));
    let me: Value = r.json().await.unwrap();
    let id = ids::decode(me["id"].as_str().unwrap()).unwrap();
    assert_eq!(id.kind, HydraKind::People);
    assert_eq!(id.uuid, BOT_UUID);
    assert_eq!(me["emails"], json!(["patchpanel@webex.bot"]));
    assert_eq!(me["displayName"], "patchpanel");
    assert_eq!(me["type"], "bot");
    assert_eq!(s.sim.bot_person_id(), me["id"]);

    let r = s.get("/u2c/api/v1/catalog?format=hostmap").await;
    assert_eq!(r.status(), 200);
    let cat: Value = r.json().await.unwrap();
    assert_eq!(
        cat["serviceLinks"]["wdm"],
        format!("{}/wdm/api/v1", s.sim.base_url)
    );
    let host = s.sim.base_url.trim_start_matches("http://");
    assert_eq!(
        cat["hostCatalog"][host][0]["id"],
        "urn:TEAM:us-east-2_a:conversation"
    );
    // Everything answers in the Webex error shape, even unknown paths.
    let r = s.get("/v1/nope").await;
    assert_eq!(r.status(), 404);
    let e: Value = r.json().await.unwrap();
    assert!(e["errors"][0]["description"].is_string() && e["trackingId"].is_string());
}

#[tokio::test]
async fn device_lifecycle_and_expiry() {
    let s = sim().await;
    let dev = s.device("pp").await;
    let url = dev["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/wdm/api/v1/devices/", s.sim.base_url)));
    let wsu = dev["webSocketUrl"].as_str().unwrap();
    assert!(wsu.starts_with("ws://") && wsu.contains("/mercury/v1/apps/wx2/registrations/"));
    assert!(wsu.ends_with("/messages"));
    assert_eq!(dev["name"], "pp");
    assert!(dev["modificationTime"].is_string());

    let list: Value = s.get("/wdm/api/v1/devices").await.json().await.unwrap();
    assert_eq!(list["devices"].as_array().unwrap().len(), 1);
    assert_eq!(list["devices"][0]["url"], url.as_str());

    let put = s
        .http
        .put(&url)
        .bearer_auth(TOKEN)
        .json(&dev)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let put: Value = put.json().await.unwrap();
    assert_eq!(put["webSocketUrl"], dev["webSocketUrl"]);

    s.control("/_sim/expire-devices", json!({})).await;
    let put = s
        .http
        .put(&url)
        .bearer_auth(TOKEN)
        .json(&dev)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 404);
    let err = tokio_tungstenite::connect_async(ws_url(&dev, true))
        .await
        .unwrap_err();
    assert_eq!(upgrade_status(err), 404);
    let list: Value = s.get("/wdm/api/v1/devices").await.json().await.unwrap();
    assert!(list["devices"].as_array().unwrap().is_empty());

    let dev = s.device("pp").await;
    let url = dev["url"].as_str().unwrap();
    let del = s.http.delete(url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(del.status(), 204);
    let del = s.http.delete(url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(del.status(), 404);
    s.device("a").await;
    s.device("b").await;
    let all = s
        .http
        .delete(s.url("/wdm/api/v1/devices"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(all.status(), 204);
    let list: Value = s.get("/wdm/api/v1/devices").await.json().await.unwrap();
    assert!(list["devices"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn excessive_device_registrations() {
    let mut cfg = WebexSimConfig::default();
    cfg.device_limit = 2;
    let s = sim_with(cfg).await;
    s.device("a").await;
    s.device("b").await;
    let r = s.post("/wdm/api/v1/devices", json!({"name": "c"})).await;
    assert_eq!(r.status(), 403);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["message"], "User has excessive device registrations");
    assert_eq!(
        e["errors"][0]["description"],
        "User has excessive device registrations"
    );
}

#[tokio::test]
async fn upgrade_of_unknown_registration_is_404() {
    let s = sim().await;
    let host = s.sim.base_url.trim_start_matches("http://");
    let url = format!(
        "ws://{host}/mercury/v1/apps/wx2/registrations/{}/messages",
        uuid::Uuid::new_v4()
    );
    let err = tokio_tungstenite::connect_async(url).await.unwrap_err();
    assert_eq!(upgrade_status(err), 404);
}

#[tokio::test]
async fn auth_frame_buffer_state_ping_and_binary_frames() {
    let s = sim().await;
    let dev = s.device("pp").await;
    // Without outboundWireFormat=text every frame is binary.
    let mut ws = connect(&ws_url(&dev, false)).await;
    auth(&mut ws, TOKEN).await;
    let first = next_msg(&mut ws).await;
    let Message::Binary(b) = first else {
        panic!("expected binary, got {first:?}")
    };
    let env: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(env["data"]["eventType"], "mercury.buffer_state");
    for k in [
        "id",
        "timestamp",
        "trackingId",
        "sequenceNumber",
        "filterMessage",
        "alertType",
        "headers",
        "wsWriteTimestamp",
    ] {
        assert!(env.get(k).is_some(), "envelope lacks {k}");
    }
    let seq = env["sequenceNumber"].as_u64().unwrap();
    send(&mut ws, json!({"id": "p-1", "type": "ping"})).await;
    let pong = next_json(&mut ws).await;
    assert_eq!(pong["type"], "pong");
    assert_eq!(pong["id"], "p-1");
    assert_eq!(pong["sequenceNumber"].as_u64().unwrap(), seq + 1);

    // Text mode when asked.
    let mut ws = connect(&ws_url(&dev, true)).await;
    auth(&mut ws, TOKEN).await;
    assert!(matches!(next_msg(&mut ws).await, Message::Text(_)));
}

#[tokio::test]
async fn missing_auth_frame_closes_with_1008() {
    let mut cfg = WebexSimConfig::default();
    cfg.auth_timeout = Duration::from_millis(100);
    let s = sim_with(cfg).await;
    let dev = s.device("pp").await;
    let mut ws = connect(&ws_url(&dev, true)).await;
    let (code, reason) = close_code(&mut ws).await;
    assert_eq!(code, 1008);
    assert!(reason.contains("authentication did not happen"));
    // A first frame that is not an authorization fails too.
    let mut ws = connect(&ws_url(&dev, true)).await;
    send(&mut ws, json!({"id": "1", "type": "ping"})).await;
    assert_eq!(close_code(&mut ws).await.0, 1008);
}

#[tokio::test]
async fn say_direct_delivers_a_post_activity_readable_over_rest() {
    let s = sim().await;
    let (_dev, mut ws) = s.connected().await;
    let mut sub = s.sim.subscribe();
    let id = s
        .say("engineer@example.com", "vrf c9300", "direct", false)
        .await;
    let (env, act) = next_activity(&mut ws).await;
    assert!(env["sequenceNumber"].as_u64().unwrap() >= 2);
    assert_eq!(act["verb"], "post");
    assert_eq!(act["id"], uuid_of(&id));
    assert_eq!(act["actor"]["type"], "PERSON");
    assert_eq!(act["actor"]["emailAddress"], "engineer@example.com");
    assert_eq!(act["actor"]["entryEmail"], "engineer@example.com");
    assert_eq!(act["actor"]["displayName"], "engineer");
    assert_eq!(act["actor"]["id"], act["actor"]["entryUUID"]);
    assert_eq!(act["object"]["objectType"], "comment");
    assert!(
        !act.to_string().contains("vrf c9300"),
        "plaintext on the socket"
    );
    assert_eq!(act["target"]["tags"], json!(["ONE_ON_ONE"]));
    let room_uuid = act["target"]["id"].as_str().unwrap();
    assert_eq!(
        act["target"]["url"],
        format!(
            "{}/conversation/api/v1/conversations/{room_uuid}",
            s.sim.base_url
        )
    );
    assert!(act["encryptionKeyUrl"].is_string() && act["published"].is_string());

    let hydra = ids::encode("us", HydraKind::Message, act["id"].as_str().unwrap());
    let m: Value = s
        .get(&format!("/v1/messages/{hydra}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["id"], id.as_str());
    assert_eq!(m["text"], "vrf c9300");
    assert_eq!(m["roomType"], "direct");
    assert_eq!(m["personEmail"], "engineer@example.com");
    assert_eq!(uuid_of(m["roomId"].as_str().unwrap()), room_uuid);
    assert_eq!(sub.recv().await.unwrap().id, id);

    let mem: Value = s
        .get(&format!(
            "/v1/memberships?roomId={}&personEmail=engineer@example.com",
            m["roomId"].as_str().unwrap()
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mem["items"].as_array().unwrap().len(), 1);
    assert_eq!(mem["items"][0]["personEmail"], "engineer@example.com");
    let room: Value = s
        .get(&format!("/v1/rooms/{}", m["roomId"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(room["type"], "direct");
    let person: Value = s
        .get(&format!("/v1/people/{}", m["personId"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(person["type"], "person");
}

#[tokio::test]
async fn group_mentions_and_undelivered_chatter() {
    let s = sim().await;
    let (_dev, mut ws) = s.connected().await;
    let quiet = s.say("a@example.com", "lunch?", "netops", false).await;
    let loud = s
        .say("a@example.com", "show iface c9300 Gi1/0/2", "netops", true)
        .await;
    // The unmentioned group message never reaches the bot: the first event is the mention.
    let (_env, act) = next_activity(&mut ws).await;
    assert_eq!(act["id"], uuid_of(&loud));
    assert!(act["target"]["tags"].as_array().unwrap().is_empty());
    assert_eq!(act["object"]["mentions"]["items"][0]["id"], BOT_UUID);

    let m: Value = s
        .get(&format!("/v1/messages/{loud}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["roomType"], "group");
    assert!(m["text"].as_str().unwrap().starts_with("patchpanel "));
    let bot_id = s.sim.bot_person_id();
    let mention = format!(
        "<spark-mention data-object-type=\"person\" data-object-id=\"{bot_id}\">patchpanel</spark-mention> show iface"
    );
    assert!(
        m["html"].as_str().unwrap().contains(&mention),
        "{}",
        m["html"]
    );
    assert_eq!(m["mentionedPeople"], json!([bot_id]));
    let r = s.get(&format!("/v1/messages/{quiet}")).await;
    assert_eq!(r.status(), 403);

    let room = m["roomId"].as_str().unwrap();
    assert_eq!(
        s.get(&format!("/v1/messages?roomId={room}")).await.status(),
        403
    );
    let list: Value = s
        .get(&format!(
            "/v1/messages?roomId={room}&mentionedPeople=me&max=10"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["id"], loud.as_str());
    let members: Value = s
        .get(&format!("/v1/memberships?roomId={room}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(members["items"].as_array().unwrap().len(), 2);
    let rooms: Value = s.get("/v1/rooms").await.json().await.unwrap();
    assert_eq!(rooms["items"][0]["title"], "netops");

    // A second bot is a non-PERSON actor and a `bot` person.
    s.control(
        "/_sim/say",
        json!({"from": "other@webex.bot", "text": "hi", "room": "direct", "mention": false, "asBot": true}),
    )
    .await;
    let (_env, act) = next_activity(&mut ws).await;
    assert_ne!(act["actor"]["type"], "PERSON");
    let who: Value = s
        .get(&format!(
            "/v1/people/{}",
            ids::encode(
                "us",
                HydraKind::People,
                act["actor"]["id"].as_str().unwrap()
            )
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(who["type"], "bot");
}

#[tokio::test]
async fn bot_posts_are_echoed_and_validated() {
    let s = sim().await;
    let (_dev, mut ws) = s.connected().await;
    let root = s.say("engineer@example.com", "help", "direct", false).await;
    let (env, _) = next_activity(&mut ws).await;
    ack(&mut ws, &env).await;
    let root_msg: Value = s
        .get(&format!("/v1/messages/{root}"))
        .await
        .json()
        .await
        .unwrap();
    let room = root_msg["roomId"].as_str().unwrap();

    let r = s
        .post(
            "/v1/messages",
            json!({"roomId": room, "parentId": root, "markdown": "**ok**", "text": "ok"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let reply: Value = r.json().await.unwrap();
    assert_eq!(reply["parentId"], root.as_str());
    assert_eq!(reply["personEmail"], "patchpanel@webex.bot");
    assert_eq!(reply["markdown"], "**ok**");
    // The bot hears itself (the self-filter has something to do).
    let (_env, act) = next_activity(&mut ws).await;
    assert_eq!(act["id"], uuid_of(reply["id"].as_str().unwrap()));
    assert_eq!(act["actor"]["id"], BOT_UUID);
    assert_eq!(act["parent"]["id"], uuid_of(&root));
    assert_eq!(act["parent"]["type"], "reply");

    let timings: Value = s.get("/_sim/timings").await.json().await.unwrap();
    assert_eq!(timings["timings"][0]["messageId"], root.as_str());
    assert_eq!(timings["timings"][0]["replyId"], reply["id"]);
    assert!(timings["timings"][0]["micros"].is_u64());

    let r = s
        .post(
            "/v1/messages",
            json!({"roomId": room, "text": "x".repeat(7440)}),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().contains_key("trackingid"));
    let e: Value = r.json().await.unwrap();
    assert!(
        e["message"].is_string()
            && e["errors"][0]["description"].is_string()
            && e["trackingId"].is_string()
    );
    assert_eq!(
        s.post(
            "/v1/messages",
            json!({"roomId": room, "text": "x".repeat(7439)})
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        s.post(
            "/v1/messages",
            json!({"roomId": room, "markdown": "é".repeat(3720)})
        )
        .await
        .status(),
        400
    );
    assert_eq!(
        s.post(
            "/v1/messages",
            json!({"roomId": room, "parentId": reply["id"], "text": "r"})
        )
        .await
        .status(),
        400
    );
    assert_eq!(
        s.post(
            "/v1/messages",
            json!({"roomId": room, "toPersonEmail": "a@b.c", "text": "r"})
        )
        .await
        .status(),
        400
    );
    assert_eq!(
        s.post("/v1/messages", json!({"text": "r"})).await.status(),
        400
    );
    let card = json!({"contentType": "application/vnd.microsoft.card.adaptive", "content": {"type": "AdaptiveCard"}});
    assert_eq!(
        s.post(
            "/v1/messages",
            json!({"roomId": room, "text": "c", "attachments": [card, card]})
        )
        .await
        .status(),
        400
    );
    let r = s
        .http
        .post(s.url("/v1/messages"))
        .bearer_auth(TOKEN)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // The bot may delete its own messages, not the people's.
    let del = s
        .http
        .delete(s.url(&format!("/v1/messages/{}", reply["id"].as_str().unwrap())))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 204);
    let del = s
        .http
        .delete(s.url(&format!("/v1/messages/{root}")))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 403);
    let all: Value = s.get("/_sim/messages").await.json().await.unwrap();
    assert!(all["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["id"] != reply["id"]));
}

#[tokio::test]
async fn card_press_delivers_card_action_and_rest_action() {
    let s = sim().await;
    let (_dev, mut ws) = s.connected().await;
    let card = json!({"contentType": "application/vnd.microsoft.card.adaptive",
                      "content": {"type": "AdaptiveCard", "version": "1.3", "body": []}});
    let r = s
        .post("/v1/messages", json!({"toPersonEmail": "approver@example.com", "text": "approve?", "attachments": [card]}))
        .await;
    assert_eq!(r.status(), 200);
    let msg: Value = r.json().await.unwrap();
    let (echo, _) = next_activity(&mut ws).await;
    ack(&mut ws, &echo).await;

    let all: Value = s.get("/_sim/messages").await.json().await.unwrap();
    assert_eq!(
        all["items"][0]["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(all["items"][0]["roomType"], "direct");

    let pressed = s
        .control("/_sim/press", json!({"from": "approver@example.com", "messageId": msg["id"], "inputs": {"action": "approve"}}))
        .await;
    let action_id = pressed["actionId"].as_str().unwrap();
    let (_env, act) = next_activity(&mut ws).await;
    assert_eq!(act["verb"], "cardAction");
    assert_eq!(act["id"], uuid_of(action_id));
    assert_eq!(act["parent"]["id"], uuid_of(msg["id"].as_str().unwrap()));
    assert_eq!(act["object"]["objectType"], "submit");
    assert!(!act.to_string().contains("approve\""));
    let hydra = ids::encode(
        "us",
        HydraKind::AttachmentAction,
        act["id"].as_str().unwrap(),
    );
    let a: Value = s
        .get(&format!("/v1/attachment/actions/{hydra}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a["type"], "submit");
    assert_eq!(a["messageId"], msg["id"]);
    assert_eq!(a["inputs"], json!({"action": "approve"}));
    assert_eq!(a["roomId"], msg["roomId"]);
    // Pressing something that is not a card is refused.
    let r = s
        .post(
            "/_sim/press",
            json!({"from": "x@example.com", "messageId": "nope", "inputs": {}}),
        )
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn unacked_frames_are_redelivered_to_the_same_registration() {
    let s = sim().await;
    let (dev, mut ws) = s.connected().await;
    let id = s.say("engineer@example.com", "one", "direct", false).await;
    let (env, _) = next_activity(&mut ws).await;
    let state: Value = s.get("/_sim/state").await.json().await.unwrap();
    assert_eq!(state["devices"][0]["unacked"], 1);
    assert_eq!(state["devices"][0]["sockets"], 1);
    ws.close(None).await.unwrap();

    let mut ws = connect_ready(&ws_url(&dev, true)).await;
    let (again, act) = next_activity(&mut ws).await;
    assert_eq!(again["id"], env["id"]);
    assert_eq!(act["id"], uuid_of(&id));
    ack(&mut ws, &again).await;
    // The ack is processed before the next frame is read, so a ping round-trip orders it.
    send(&mut ws, json!({"id": "sync", "type": "ping"})).await;
    assert_eq!(next_json(&mut ws).await["type"], "pong");
    ws.close(None).await.unwrap();

    let mut ws = connect_ready(&ws_url(&dev, true)).await;
    let two = s.say("engineer@example.com", "two", "direct", false).await;
    let (_env, act) = next_activity(&mut ws).await;
    assert_eq!(act["id"], uuid_of(&two), "acked frame was redelivered");

    // A duplicate delivery: same activity, new envelope.
    let replay = s.control("/_sim/replay", json!({"messageId": two})).await;
    let (env, act) = next_activity(&mut ws).await;
    assert_eq!(env["id"], replay["envelopeId"]);
    assert_eq!(act["id"], uuid_of(&two));
}

#[tokio::test]
async fn a_second_socket_replaces_the_first() {
    let s = sim().await;
    let (dev, mut first) = s.connected().await;
    let mut second = connect_ready(&ws_url(&dev, true)).await;
    assert_eq!(close_code(&mut first).await, (4000, "replaced".to_owned()));
    let id = s.say("engineer@example.com", "hi", "direct", false).await;
    let (_env, act) = next_activity(&mut second).await;
    assert_eq!(act["id"], uuid_of(&id));
}

#[tokio::test]
async fn socket_faults_drop_close_and_raw() {
    let s = sim().await;
    let (_dev, mut ws) = s.connected().await;
    let r = s.control("/_sim/raw", json!({"text": "{not json"})).await;
    assert_eq!(r["sockets"], 1);
    assert!(matches!(next_msg(&mut ws).await, Message::Text(t) if t.as_str() == "{not json"));
    let b64 = base64::engine::general_purpose::STANDARD.encode([0xffu8, 0, 1]);
    s.control("/_sim/raw", json!({"binaryBase64": b64})).await;
    assert!(matches!(next_msg(&mut ws).await, Message::Binary(b) if b.as_ref() == [0xff, 0, 1]));

    s.control("/_sim/close", json!({"code": 4001, "reason": "shutdown"}))
        .await;
    assert_eq!(close_code(&mut ws).await, (4001, "shutdown".to_owned()));

    let (_dev, mut ws) = s.connected().await;
    let r = s.control("/_sim/drop", json!({})).await;
    assert_eq!(r["sockets"], 1);
    // An abnormal end: the stream errors or ends, but no close frame ever arrives.
    let end = tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("drop did not end the socket");
    assert!(!matches!(end, Some(Ok(Message::Close(_)))), "{end:?}");
}

#[tokio::test]
async fn injected_failures_with_retry_after() {
    let s = sim().await;
    let r = s
        .post(
            "/_sim/fail",
            json!({"path": "/v1/messages", "status": 429, "times": 1, "retryAfter": 2}),
        )
        .await;
    assert!(r.status().is_success());
    let r = s
        .post(
            "/v1/messages",
            json!({"toPersonEmail": "a@example.com", "text": "x"}),
        )
        .await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "2");
    assert!(r.headers().contains_key("trackingid"));
    let e: Value = r.json().await.unwrap();
    assert!(e["errors"][0]["description"].is_string());
    let r = s
        .post(
            "/v1/messages",
            json!({"toPersonEmail": "a@example.com", "text": "x"}),
        )
        .await;
    assert_eq!(r.status(), 200);

    let dev = s.device("pp").await;
    s.control(
        "/_sim/fail",
        json!({"path": "/mercury", "status": 503, "times": 1}),
    )
    .await;
    let err = tokio_tungstenite::connect_async(ws_url(&dev, true))
        .await
        .unwrap_err();
    assert_eq!(upgrade_status(err), 503);
    connect_ready(&ws_url(&dev, true)).await;

    s.control(
        "/_sim/fail",
        json!({"path": "/wdm", "status": 500, "times": 2}),
    )
    .await;
    assert_eq!(s.get("/wdm/api/v1/devices").await.status(), 500);
    assert_eq!(s.post("/wdm/api/v1/devices", json!({})).await.status(), 500);
    assert_eq!(s.get("/wdm/api/v1/devices").await.status(), 200);
}

#[tokio::test]
async fn token_is_required_when_configured() {
    let mut cfg = WebexSimConfig::default();
    cfg.token = Some(TOKEN.to_owned());
    let s = sim_with(cfg).await;
    for path in [
        "/v1/people/me",
        "/u2c/api/v1/catalog?format=hostmap",
        "/wdm/api/v1/devices",
    ] {
        let none = s.http.get(s.url(path)).send().await.unwrap();
        assert_eq!(none.status(), 401, "{path}");
        let e: Value = none.json().await.unwrap();
        assert!(e["trackingId"].is_string());
        let wrong = s
            .http
            .get(s.url(path))
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401, "{path}");
        assert_eq!(s.get(path).await.status(), 200, "{path}");
    }
    let dev = s.device("pp").await;
    let mut ws = connect(&ws_url(&dev, true)).await;
    auth(&mut ws, "wrong").await;
    assert_eq!(close_code(&mut ws).await.0, 4401);
    connect_ready(&ws_url(&dev, true)).await;
    // The control API stays open.
    let r = s.http.get(s.url("/_sim/state")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn reset_forgets_everything_and_in_process_helpers_work() {
    let s = sim().await;
    let m = s
        .sim
        .say(SayRequest {
            from: "engineer@example.com".into(),
            text: "help".into(),
            room: "direct".into(),
            mention: false,
            parent_id: None,
            as_bot: false,
        })
        .unwrap();
    assert_eq!(s.sim.messages(), vec![m.clone()]);
    assert!(s.sim.press("a@example.com", &m.id, json!({})).is_err());
    s.device("pp").await;
    let r = s.post("/_sim/reset", json!({})).await;
    assert!(r.status().is_success());
    let state: Value = s.get("/_sim/state").await.json().await.unwrap();
    assert_eq!(state["messages"], 0);
    assert!(state["devices"].as_array().unwrap().is_empty());
    assert!(s.sim.messages().is_empty());
    // Bad control input is a 400, never a crash.
    let r = s
        .http
        .post(s.url("/_sim/say"))
        .body("\u{0}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = s
        .post("/_sim/say", json!({"from": "no-at", "text": "x"}))
        .await;
    assert_eq!(r.status(), 400);
    let r = s.post("/_sim/close", json!({"code": 1006})).await;
    assert_eq!(r.status(), 400);
}
