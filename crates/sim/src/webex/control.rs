//! The `/_sim` control API (docs/contracts.md plus test helpers): people post and press, the whole
//! message log, socket faults (drop, close, raw frames, duplicate deliveries, unanswered pings),
//! HTTP fault injection, device expiry, state, reset, reply timings and the log of what clients
//! did. Never subject to injected failures or
//! the token.

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::ws::Message;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};

use super::activity::{self, Envelope};
use super::devices::Devices;
use super::faults::{FailRule, Faults};
use super::http::{ok, parse_json, ApiError};
use super::mercury::{self, SocketCmd};
use super::state::{Chat, Say};
use super::timing::Timings;
use super::wire::{self, Items};
use super::Shared;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sim/say", post(say))
        .route("/_sim/press", post(press))
        .route("/_sim/messages", get(messages))
        .route("/_sim/drop", post(drop_sockets))
        .route("/_sim/close", post(close_sockets))
        .route("/_sim/raw", post(raw))
        .route("/_sim/replay", post(replay))
        .route("/_sim/fail", post(fail))
        .route("/_sim/expire-devices", post(expire_devices))
        .route("/_sim/state", get(state))
        .route("/_sim/reset", post(reset))
        .route("/_sim/timings", get(timings))
        .route("/_sim/log", get(log))
        .route("/_sim/options", post(options))
}

macro_rules! body {
    ($bytes:expr) => {
        match parse_json(&$bytes) {
            Ok(v) => v,
            Err(e) => return e.into_response(),
        }
    };
}

fn default_room() -> String {
    "direct".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SayBody {
    from: String,
    text: String,
    #[serde(default = "default_room")]
    room: String,
    #[serde(default)]
    mention: bool,
    parent_id: Option<String>,
    #[serde(default)]
    as_bot: bool,
}

async fn say(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let b: SayBody = body!(body);
    let said = shared.say(Say {
        from: b.from,
        text: b.text,
        room: b.room,
        mention: b.mention,
        parent_id: b.parent_id,
        as_bot: b.as_bot,
    });
    match said {
        Ok(dto) => ok(json!({"messageId": dto.id})),
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PressBody {
    from: String,
    message_id: String,
    #[serde(default)]
    inputs: Option<Value>,
}

async fn press(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let b: PressBody = body!(body);
    let inputs = b.inputs.unwrap_or_else(|| json!({}));
    match shared.press(&b.from, &b.message_id, inputs) {
        Ok(a) => ok(json!({"actionId": a.id})),
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn messages(State(shared): State<Arc<Shared>>) -> Response {
    let inner = shared.lock();
    let items: Vec<_> = inner
        .chat
        .messages()
        .map(|m| wire::message_dto(&inner.chat, m))
        .collect();
    ok(Items { items })
}

async fn drop_sockets(State(shared): State<Arc<Shared>>) -> Response {
    let n = shared.lock().hub.broadcast(|| SocketCmd::Drop);
    ok(json!({"sockets": n}))
}

#[derive(Debug, Deserialize)]
struct CloseBody {
    code: u16,
    #[serde(default)]
    reason: String,
}

async fn close_sockets(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let b: CloseBody = body!(body);
    // Codes a close frame may not carry (RFC 6455 §7.4).
    if b.code < 1000 || matches!(b.code, 1004..=1006 | 1015) || b.code >= 5000 {
        return ApiError::bad_request("code is not allowed in a close frame").into_response();
    }
    if b.reason.len() > 123 {
        return ApiError::bad_request("reason is longer than 123 bytes").into_response();
    }
    let n = shared
        .lock()
        .hub
        .broadcast(|| SocketCmd::Close(b.code, b.reason.clone()));
    ok(json!({"sockets": n}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBody {
    text: Option<String>,
    binary_base64: Option<String>,
}

async fn raw(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let b: RawBody = body!(body);
    let msg = match (b.text, b.binary_base64) {
        (Some(t), None) => Message::Text(t.into()),
        (None, Some(b64)) => match STANDARD.decode(b64.as_bytes()) {
            Ok(bytes) => Message::Binary(bytes.into()),
            Err(_) => return ApiError::bad_request("binaryBase64 is not base64").into_response(),
        },
        _ => {
            return ApiError::bad_request("exactly one of text or binaryBase64 is required")
                .into_response()
        }
    };
    let n = shared.lock().hub.broadcast(|| SocketCmd::Raw(msg.clone()));
    ok(json!({"sockets": n}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReplayBody {
    message_id: String,
}

async fn replay(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let b: ReplayBody = body!(body);
    let mut inner = shared.lock();
    let inner = &mut *inner;
    let Some(m) = inner.chat.message_by_rest_id(&b.message_id).cloned() else {
        return ApiError::not_found("Could not find message").into_response();
    };
    let data = activity::post_activity(&inner.chat, &m, &shared.host);
    let env = Envelope::new(data, SystemTime::now(), Some(m.uuid.clone()));
    let id = env.id.clone();
    mercury::deliver(inner, env);
    ok(json!({"envelopeId": id}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FailBody {
    path: String,
    status: u16,
    #[serde(default = "one")]
    times: u32,
    retry_after: Option<u64>,
    method: Option<String>,
}

fn one() -> u32 {
    1
}

async fn fail(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let b: FailBody = body!(body);
    if !(100..=599).contains(&b.status) || StatusCode::from_u16(b.status).is_err() {
        return ApiError::bad_request("status must be an HTTP status code").into_response();
    }
    if !b.path.starts_with('/') {
        return ApiError::bad_request("path must start with /").into_response();
    }
    shared.lock().faults.add(FailRule {
        prefix: b.path,
        status: b.status,
        remaining: b.times,
        retry_after: b.retry_after,
        method: b.method,
    });
    StatusCode::NO_CONTENT.into_response()
}

async fn expire_devices(State(shared): State<Arc<Shared>>) -> Response {
    shared.lock().devices.clear();
    StatusCode::NO_CONTENT.into_response()
}

async fn state(State(shared): State<Arc<Shared>>) -> Response {
    let inner = shared.lock();
    let devices: Vec<Value> = inner
        .devices
        .list()
        .iter()
        .map(|d| {
            json!({
                "url": format!("{}/wdm/api/v1/devices/{}", shared.base_url, d.uuid),
                "name": d.name(),
                "registration": d.reg_uuid,
                "sockets": inner.hub.connected(&d.reg_uuid),
                "unacked": d.unacked.len(),
            })
        })
        .collect();
    let orphans = inner
        .hub
        .registrations()
        .filter(|r| inner.devices.by_registration(r).is_none())
        .count();
    let failures: Vec<Value> = inner
        .faults
        .pending()
        .iter()
        .map(|f| json!({"path": f.prefix, "method": f.method, "status": f.status, "times": f.remaining, "retryAfter": f.retry_after}))
        .collect();
    ok(json!({
        "cluster": shared.cluster,
        "devices": devices,
        "sockets": inner.hub.len(),
        "socketsWithoutDevice": orphans,
        "people": inner.chat.people_count(),
        "rooms": inner.chat.rooms().count(),
        "messages": inner.chat.messages().count(),
        "failures": failures,
    }))
}

async fn reset(State(shared): State<Arc<Shared>>) -> Response {
    let mut inner = shared.lock();
    inner.chat = Chat::with_cluster(SystemTime::now(), &shared.hydra_cluster);
    inner.devices = Devices::new(shared.device_limit);
    inner.faults = Faults::default();
    inner.timings = Timings::default();
    StatusCode::NO_CONTENT.into_response()
}

async fn timings(State(shared): State<Arc<Shared>>) -> Response {
    let all = shared.lock().timings.all().to_vec();
    ok(json!({"timings": all}))
}

async fn log(State(shared): State<Arc<Shared>>) -> Response {
    ok(shared.lock().log.snapshot())
}

/// Each field optional: only the given switches change.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OptionsBody {
    pongs: Option<bool>,
    actor_email: Option<bool>,
}

async fn options(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let b: OptionsBody = body!(body);
    let mut inner = shared.lock();
    if let Some(p) = b.pongs {
        inner.options.pongs = p;
    }
    if let Some(e) = b.actor_email {
        inner.options.actor_email = e;
    }
    ok(inner.options)
}
