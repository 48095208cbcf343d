//! The Webex client against the Webex simulator (REST, U2C, WDM, Mercury) on 127.0.0.1, one test
//! per failure mode: faults come from the simulator's control API (`/_sim/fail`, `/_sim/close`,
//! `/_sim/raw`, `/_sim/options`, …) and what the client did from its log (`/_sim/log`). The socket
//! and device tests are in `socket`, the REST ones in `rest`, both clusters in `clusters`, card messages in `cards`.

#[path = "webex_client/cards.rs"]
mod cards;
#[path = "webex_client/clusters.rs"]
mod clusters;
#[path = "webex_client/rest.rs"]
mod rest;
#[path = "webex_client/socket.rs"]
mod socket;

use std::time::Duration;

use patchpanel::inbound::{Inbound, Reply};
use patchpanel::secret::Secret;
use patchpanel::webex::ids::{self, HydraKind};
use patchpanel::webex::{
    listen_with_timings, BotIdentity, MercuryTimings, WebexConfig, WebexError, WebexRest,
};
use patchpanel_sim::webex::{
    self as wxsim, LoggedRequest, LoggedSocket, MessageDto, RunningWebexSim, SayRequest, SimLog,
    WebexSimConfig, BOT_UUID,
};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, DropGuard};

const TOKEN: &str = "test-token";
const DEVICE_NAME: &str = "patchpanel-test";
const ALICE: &str = "alice@example.com";
/// Upper bound for anything the client should do by itself, so a broken client fails the test
/// instead of hanging it.
const WAIT: Duration = Duration::from_secs(20);

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

/// The simulator, requiring [`TOKEN`] as Webex requires a valid one.
struct Sim {
    sim: RunningWebexSim,
    http: reqwest::Client,
    _stop: DropGuard,
}

impl Sim {
    async fn start() -> Sim {
        Sim::start_with(WebexSimConfig::default()).await
    }

    async fn start_with(mut cfg: WebexSimConfig) -> Sim {
        cfg.token = Some(TOKEN.to_owned());
        let stop = CancellationToken::new();
        let sim = wxsim::start(cfg, stop.clone()).await.unwrap();
        Sim {
            sim,
            http: reqwest::Client::new(),
            _stop: stop.drop_guard(),
        }
    }

    fn config(&self) -> WebexConfig {
        WebexConfig {
            api_url: self.sim.api_url(),
            u2c_url: self.sim.u2c_url(),
            token: Secret::new(TOKEN),
            device_name: DEVICE_NAME.to_owned(),
        }
    }

    fn rest(&self) -> WebexRest {
        WebexRest::new(&self.config()).unwrap()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url)
    }

    /// A `/_sim` control call that must succeed.
    async fn control(&self, path: &str, body: Value) -> Value {
        let r = self.http.post(self.url(path)).json(&body).send().await;
        let r = r.unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap_or(Value::Null)
    }

    /// The next `times` requests with `method` under `path` answer `status`.
    async fn fail(&self, method: &str, path: &str, status: u16, times: u32) {
        self.control(
            "/_sim/fail",
            json!({"method": method, "path": path, "status": status, "times": times}),
        )
        .await;
    }

    /// Registers a device named like the bot's (one the bot finds listed), as a previous run would.
    async fn device(&self) -> Value {
        let r = self
            .http
            .post(self.url("/wdm/api/v1/devices"))
            .bearer_auth(TOKEN)
            .json(&json!({"name": DEVICE_NAME, "deviceName": DEVICE_NAME}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    async fn devices(&self) -> Vec<Value> {
        let r = self
            .http
            .get(self.url("/wdm/api/v1/devices"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        v["devices"].as_array().unwrap().clone()
    }

    /// Frames delivered and not acked yet, over every registration.
    async fn unacked(&self) -> u64 {
        let r = self.http.get(self.url("/_sim/state")).send().await.unwrap();
        let v: Value = r.json().await.unwrap();
        v["devices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["unacked"].as_u64().unwrap())
            .sum()
    }

    /// How many requests the log has: the start of what a test step sent.
    fn mark(&self) -> usize {
        self.sim.log().requests.len()
    }

    /// Requests after `mark` whose method is `method` and whose path starts with `path`.
    fn requests(&self, mark: usize, method: &str, path: &str) -> Vec<LoggedRequest> {
        self.sim
            .log()
            .requests
            .into_iter()
            .skip(mark)
            .filter(|r| r.method == method && r.path.starts_with(path))
            .collect()
    }

    /// Polls the log until `done` holds; the polling waits on the client, not on a timer of ours.
    async fn until(&self, what: &str, done: impl Fn(&SimLog) -> bool) -> SimLog {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let log = self.sim.log();
            if done(&log) {
                return log;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting for {what}: {log:?}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// The `n`th socket (from 1), once it is authorized and reachable by `/_sim`.
    async fn socket(&self, n: usize) -> LoggedSocket {
        let log = self
            .until(&format!("socket {n}"), |l| {
                l.sockets.get(n - 1).is_some_and(|s| s.authorized)
            })
            .await;
        log.sockets[n - 1].clone()
    }

    /// Alice writes `text` in the group space `room`, mentioning the bot.
    fn say(&self, text: &str, room: &str) -> MessageDto {
        self.sim
            .say(SayRequest {
                from: ALICE.to_owned(),
                text: text.to_owned(),
                room: room.to_owned(),
                mention: true,
                parent_id: None,
                as_bot: false,
            })
            .unwrap()
    }

    /// The bot answers `to` with an adaptive card; returns the card message's id.
    async fn card(&self, to: &MessageDto) -> String {
        let card = json!({"contentType": "application/vnd.microsoft.card.adaptive",
                          "content": {"type": "AdaptiveCard", "version": "1.3", "body": []}});
        let r = self
            .http
            .post(format!("{}/messages", self.sim.api_url()))
            .bearer_auth(TOKEN)
            .json(&json!({"roomId": to.room_id, "parentId": to.id, "text": "ok?", "attachments": [card]}))
            .send()
            .await
            .unwrap();
        let posted: Value = r.json().await.unwrap();
        posted["id"].as_str().unwrap().to_owned()
    }

    /// What the bot posted, oldest first.
    fn bot_posts(&self) -> Vec<MessageDto> {
        let bot = self.sim.bot_person_id();
        self.sim
            .messages()
            .into_iter()
            .filter(|m| m.person_id == bot)
            .collect()
    }
}

/// The Mercury UUID a REST id names (an activity id, a room's conversation id).
fn uuid_of(rest_id: &str) -> String {
    ids::decode(rest_id).unwrap().uuid
}

/// The registration in a device's `webSocketUrl`.
fn registration_of(device: &Value) -> String {
    let ws = device["webSocketUrl"].as_str().unwrap();
    ws.rsplit('/').nth(1).unwrap().to_owned()
}

fn uuid_of_device(device: &Value) -> String {
    let url = device["url"].as_str().unwrap();
    url.rsplit('/').next().unwrap().to_owned()
}

struct Bot {
    rest: WebexRest,
    rx: mpsc::Receiver<Inbound>,
    shutdown: CancellationToken,
    handle: JoinHandle<Result<(), WebexError>>,
}

impl Bot {
    async fn start(sim: &Sim, timings: MercuryTimings) -> Bot {
        let cfg = sim.config();
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
        tokio::time::timeout(WAIT, self.rx.recv())
            .await
            .expect("an inbound event in time")
            .expect("listener alive")
    }

    async fn stop(self) -> (Result<(), WebexError>, Vec<Inbound>) {
        self.shutdown.cancel();
        let Bot { mut rx, handle, .. } = self;
        let res = tokio::time::timeout(WAIT, handle)
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
        tokio::time::timeout(WAIT, self.handle)
            .await
            .expect("listener stops by itself")
            .unwrap()
    }
}

/// A `conversation.activity` frame written by hand, for what the simulator never sends by itself
/// (an actor that lies about who wrote a message, a bot posting as a `PERSON`).
fn activity(sim: &Sim, env_id: &str, act_id: &str, actor_id: &str, actor_type: &str) -> String {
    let room = uuid::Uuid::new_v4().to_string();
    json!({
        "id": env_id,
        "data": {"eventType": "conversation.activity", "activity": {
            "id": act_id, "objectType": "activity", "verb": "post",
            "published": "2026-01-01T00:00:00.000Z",
            "actor": {"id": actor_id, "entryUUID": actor_id, "objectType": "person",
                      "type": actor_type, "displayName": "Alice"},
            "object": {"objectType": "comment", "displayName": "JWE"},
            "target": {"id": room, "objectType": "conversation",
                       "url": sim.url(&format!("/conversation/api/v1/conversations/{room}")),
                       "tags": []}
        }},
        "sequenceNumber": 1
    })
    .to_string()
}

fn message_of(i: &Inbound) -> &patchpanel::inbound::ChatMessage {
    match i {
        Inbound::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}
