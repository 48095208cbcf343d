//! The Webex simulator: REST, U2C, WDM, the Mercury socket and the `/_sim` control API.
//!
//! INTERFACE (stable): `start(WebexSimConfig, CancellationToken) -> Result<RunningWebexSim, SimError>`;
//! `RunningWebexSim { base_url }` with `api_url()` = `{base}/v1`, `u2c_url()` = `{base}/u2c/api/v1`.
//!
//! Layout: `state` (chat model), `devices` (WDM registrations + unacked buffers), `faults`, `log`,
//! `timing` are pure; `wire` and `activity` are the JSON shapes; `http`, `rest`, `conversation`, `wdm`,
//! `mercury`, `control` are the axum edges. All state lives in memory behind one mutex, never held across an await.

mod activity;
mod control;
mod conversation;
mod devices;
mod faults;
mod http;
mod log;
mod mercury;
mod rest;
mod state;
mod timing;
mod wdm;
mod wire;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use serde_json::Value;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use patchpanel_common::ids;

pub use activity::BOT_ACTOR_TYPE;
pub use faults::Options;
pub use log::{LoggedRequest, LoggedSocket, SimLog};
pub use state::{BOT_EMAIL, BOT_NAME, BOT_UUID, MAX_TEXT_BYTES};
pub use timing::Timing;
pub use wire::{ActionDto, MessageDto};

use activity::Envelope;
use devices::Devices;
use faults::Faults;
use log::Log;
use mercury::Hub;
use state::{Chat, ChatError, NewMessage};
use timing::{ReplyIn, Timings};

/// Devices per identity before WDM answers 403 (the 2026 JS SDK's `MAX_REGISTERED_DEVICES`).
pub const DEFAULT_DEVICE_LIMIT: usize = 100;
/// Time a socket has to send its authorization frame (Webex: 30 s).
pub const DEFAULT_AUTH_TIMEOUT: Duration = Duration::from_secs(30);
/// The cluster the simulated org is homed in unless told otherwise (its hydra ids say `us`).
pub const DEFAULT_CLUSTER: &str = "us-east-2_a";

#[derive(Debug, Clone)]
pub struct WebexSimConfig {
    pub listen: SocketAddr,
    /// When set, every request must carry this bearer token (401 otherwise), as the real service does.
    pub token: Option<String>,
    /// Registrations allowed before `POST /devices` answers 403 `User has excessive device registrations`.
    pub device_limit: usize,
    /// Deadline for the Mercury authorization frame; the socket is closed with 1008 after it.
    pub auth_timeout: Duration,
    /// The U2C cluster the org is homed in (`us-east-2_a`, `eu-central-1_k`, …): the catalog names it
    /// for the simulator's host and the org's rooms, messages and card actions carry it in their ids.
    pub cluster: String,
}

impl WebexSimConfig {
    /// Defaults for everything but the listen address.
    pub fn new(listen: SocketAddr) -> Self {
        WebexSimConfig {
            listen,
            token: None,
            device_limit: DEFAULT_DEVICE_LIMIT,
            auth_timeout: DEFAULT_AUTH_TIMEOUT,
            cluster: DEFAULT_CLUSTER.to_owned(),
        }
    }

    /// The same settings with the org homed on `cluster` (checked by [`start`]).
    pub fn with_cluster(mut self, cluster: impl Into<String>) -> Self {
        self.cluster = cluster.into();
        self
    }
}

/// Checks a U2C cluster name (`eu-central-1_k`): letters, digits, `-` and `_`, at most 64 bytes.
pub fn check_cluster(cluster: &str) -> Result<(), SimError> {
    let ok = !cluster.is_empty()
        && cluster.len() <= 64
        && cluster
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(SimError::Cluster(cluster.to_owned()))
    }
}

/// The cluster part of hydra ids for a U2C cluster name (`us` for the original US cluster).
fn hydra_cluster(cluster: &str) -> String {
    ids::cluster_from_catalog_id(&format!("urn:TEAM:{cluster}:conversation"))
}

impl Default for WebexSimConfig {
    /// An ephemeral port on 127.0.0.1.
    fn default() -> Self {
        Self::new(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("simulator: cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// A `say`/`press` the simulated Webex refuses (same reasons as the HTTP control API's 4xx).
    #[error("simulator rejected the request: {0}")]
    Rejected(String),
    #[error(
        "simulator: invalid cluster {0:?}: give a Webex cluster name such as us-east-2_a or \
         eu-central-1_k (letters, digits, '-' and '_')"
    )]
    Cluster(String),
    #[error("simulator: {0}")]
    Other(String),
}

/// A person (or a second bot) posting; the in-process twin of `POST /_sim/say`.
#[derive(Debug, Clone)]
pub struct SayRequest {
    pub from: String,
    pub text: String,
    /// `"direct"` (the sender's 1:1 room with the bot) or a group room id / name.
    pub room: String,
    pub mention: bool,
    pub parent_id: Option<String>,
    pub as_bot: bool,
}

/// Everything the handlers share.
pub(crate) struct Shared {
    token: Option<String>,
    auth_timeout: Duration,
    device_limit: usize,
    /// The U2C cluster name of the org, and the cluster part of its hydra ids.
    cluster: String,
    hydra_cluster: String,
    /// `host:port` clients reach us at (unspecified bind addresses become loopback).
    host: String,
    base_url: String,
    inner: Mutex<Inner>,
    messages_tx: broadcast::Sender<MessageDto>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
}

pub(crate) struct Inner {
    chat: Chat,
    devices: Devices,
    faults: Faults,
    options: faults::Options,
    log: Log,
    timings: Timings,
    hub: Hub,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock only means a handler panicked mid-update; the data is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn publish(&self, dto: &MessageDto) {
        // No receivers is fine: nobody in-process is watching.
        let _ = self.messages_tx.send(dto.clone());
    }

    /// A person (or second bot) posts; the activity goes to the bot's sockets when Webex would send it.
    fn say(&self, say: state::Say) -> Result<MessageDto, ChatError> {
        let dto = {
            let mut inner = self.lock();
            let inner = &mut *inner;
            let msg = inner.chat.say(say, SystemTime::now())?.clone();
            if inner.chat.delivered_to_bot(&msg) {
                let data = activity::post_activity(&inner.chat, &msg, &self.host);
                mercury::deliver(
                    inner,
                    Envelope::new(data, msg.created, Some(msg.uuid.clone())),
                );
            }
            wire::message_dto(&inner.chat, &msg)
        };
        self.publish(&dto);
        Ok(dto)
    }

    /// The bot posts (`POST /v1/messages`); real Webex echoes it to the bot's own sockets.
    fn bot_post(&self, new: NewMessage) -> Result<MessageDto, ChatError> {
        let received = Instant::now();
        let dto = {
            let mut inner = self.lock();
            let inner = &mut *inner;
            let msg = inner.chat.post(new, SystemTime::now())?.clone();
            let within = match msg.parent_uuid.as_deref() {
                Some(root) => ReplyIn::Thread(root),
                None => ReplyIn::Room(&msg.room_uuid),
            };
            inner.timings.replied(within, &msg.rest_id, received);
            let data = activity::post_activity(&inner.chat, &msg, &self.host);
            mercury::deliver(
                inner,
                Envelope::new(data, msg.created, Some(msg.uuid.clone())),
            );
            wire::message_dto(&inner.chat, &msg)
        };
        self.publish(&dto);
        Ok(dto)
    }

    /// A person presses a card button; the bot's sockets get a `cardAction`.
    fn press(&self, from: &str, message_id: &str, inputs: Value) -> Result<ActionDto, ChatError> {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let act = inner
            .chat
            .press(from, message_id, inputs, SystemTime::now())?
            .clone();
        let data = activity::card_action_activity(&inner.chat, &act, &self.host);
        mercury::deliver(inner, Envelope::new(data, act.created, None));
        Ok(wire::action_dto(&inner.chat, &act))
    }
}

/// A running simulator. Cloning shares it.
#[derive(Clone)]
pub struct RunningWebexSim {
    pub base_url: String,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RunningWebexSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningWebexSim")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl RunningWebexSim {
    pub fn api_url(&self) -> String {
        format!("{}/v1", self.base_url)
    }
    pub fn u2c_url(&self) -> String {
        format!("{}/u2c/api/v1", self.base_url)
    }
    /// The cluster part of the org's hydra ids (`us`, `urn:TEAM:eu-central-1_k`, …).
    pub fn hydra_cluster(&self) -> &str {
        &self.shared.hydra_cluster
    }
    /// The bot's REST person id (what `GET /v1/people/me` answers).
    pub fn bot_person_id(&self) -> String {
        Chat::bot_rest_id()
    }
    /// Every live message, oldest first (what `GET /_sim/messages` lists).
    pub fn messages(&self) -> Vec<MessageDto> {
        let inner = self.shared.lock();
        inner
            .chat
            .messages()
            .map(|m| wire::message_dto(&inner.chat, m))
            .collect()
    }
    /// Every message posted from now on (by people and by the bot), as it is posted.
    pub fn subscribe(&self) -> broadcast::Receiver<MessageDto> {
        self.shared.messages_tx.subscribe()
    }
    /// `POST /_sim/say` in process; returns the new message.
    pub fn say(&self, req: SayRequest) -> Result<MessageDto, SimError> {
        self.shared
            .say(state::Say {
                from: req.from,
                text: req.text,
                room: req.room,
                mention: req.mention,
                parent_id: req.parent_id,
                as_bot: req.as_bot,
            })
            .map_err(|e| SimError::Rejected(e.to_string()))
    }
    /// `POST /_sim/press` in process; returns the attachment action.
    pub fn press(
        &self,
        from: &str,
        message_id: &str,
        inputs: Value,
    ) -> Result<ActionDto, SimError> {
        self.shared
            .press(from, message_id, inputs)
            .map_err(|e| SimError::Rejected(e.to_string()))
    }
    /// What clients did so far (`GET /_sim/log`): requests and sockets.
    pub fn log(&self) -> SimLog {
        self.shared.lock().log.snapshot()
    }
    /// Reply latencies measured so far (`GET /_sim/timings`).
    pub fn timings(&self) -> Vec<Timing> {
        self.shared.lock().timings.all().to_vec()
    }
    /// Resolves once the server and every socket task have stopped (after the shutdown token fires).
    pub async fn stopped(&self) {
        self.shared.tracker.close();
        self.shared.tracker.wait().await;
    }
}

fn reachable(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .merge(rest::routes())
        .merge(conversation::routes())
        .merge(wdm::routes())
        .merge(mercury::routes())
        .merge(control::routes())
        .fallback(http::not_found)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            http::guard,
        ))
        .with_state(shared)
}

/// Binds, starts serving, and returns once the listener accepts connections.
pub async fn start(
    cfg: WebexSimConfig,
    shutdown: CancellationToken,
) -> Result<RunningWebexSim, SimError> {
    check_cluster(&cfg.cluster)?;
    let hydra_cluster = hydra_cluster(&cfg.cluster);
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|source| SimError::Bind {
            addr: cfg.listen,
            source,
        })?;
    let local = listener.local_addr().map_err(|source| SimError::Bind {
        addr: cfg.listen,
        source,
    })?;
    let host = reachable(local).to_string();
    let base_url = format!("http://{host}");
    let (messages_tx, _) = broadcast::channel(1024);
    let shared = Arc::new(Shared {
        token: cfg.token.clone(),
        auth_timeout: cfg.auth_timeout,
        device_limit: cfg.device_limit,
        cluster: cfg.cluster.clone(),
        host,
        base_url: base_url.clone(),
        inner: Mutex::new(Inner {
            chat: Chat::with_cluster(SystemTime::now(), &hydra_cluster),
            devices: Devices::new(cfg.device_limit),
            faults: Faults::default(),
            options: faults::Options::default(),
            log: Log::default(),
            timings: Timings::default(),
            hub: Hub::default(),
        }),
        messages_tx,
        shutdown: shutdown.clone(),
        tracker: TaskTracker::new(),
        hydra_cluster,
    });
    let app = router(shared.clone());
    let stop = shutdown.clone();
    shared.tracker.spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await;
        if let Err(e) = served {
            tracing::warn!(error = %e, "webex simulator stopped serving");
        }
    });
    tracing::info!(url = %base_url, token = cfg.token.is_some(), cluster = %cfg.cluster, "webex simulator listening");
    Ok(RunningWebexSim { base_url, shared })
}
