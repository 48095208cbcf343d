//! The `/_sim` control API on the RESTCONF listener, in the style of the Webex simulator's: switch faults
//! on (`POST /_sim/fault {"kind": …}`), read the device's state (`GET /_sim/state`), start over
//! (`POST /_sim/reset`), change the configuration at the console behind every client's back
//! (`POST /_sim/cli`), point syslog somewhere (`POST /_sim/syslog`). Never behind basic auth: tests
//! and demos drive it.

use super::console::{self, CliRequest};
use super::faults::Fault;
use super::syslog_send::{SyslogTarget, Transport};
use super::RestState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<RestState> {
    Router::new()
        .route("/_sim/fault", post(fault))
        .route("/_sim/state", get(state))
        .route("/_sim/reset", post(reset))
        .route("/_sim/cli", post(cli))
        .route("/_sim/syslog", post(syslog))
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

async fn fault(State(st): State<RestState>, body: Bytes) -> Response {
    let fault: Fault = match serde_json::from_slice(&body) {
        Ok(f) => f,
        Err(e) => return bad_request(format!("not a fault: {e}")),
    };
    match st.store.inject(fault) {
        Ok(()) => Json(st.store.snapshot()).into_response(),
        Err(e) => bad_request(e.message),
    }
}

async fn state(State(st): State<RestState>) -> Response {
    Json(st.store.snapshot()).into_response()
}

async fn reset(State(st): State<RestState>) -> Response {
    st.store.reset();
    Json(st.store.snapshot()).into_response()
}

/// `{"interface":"Gi1/0/7","set":{"description":"rogue"}}` → `{"interface":"GigabitEthernet1/0/7",
/// "changes":[{"target":…,"operation":"create"}],"signalled":true}`; a refused value is a 400 naming
/// it, and nothing changes.
async fn cli(State(st): State<RestState>, body: Bytes) -> Response {
    let request: CliRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(format!("not a console change: {e}")),
    };
    let change = match console::plan(request) {
        Ok(c) => c,
        Err(message) => return bad_request(message),
    };
    match st.store.console(&change) {
        Ok(edits) => Json(json!({
            "interface": change.full_name(),
            "signalled": !change.silent && !edits.is_empty(),
            "changes": edits,
        }))
        .into_response(),
        Err(errors) => {
            let message = errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            let detail: Vec<_> = errors
                .iter()
                .map(|e| json!({"message": e.message, "path": e.json_path(), "tag": e.tag}))
                .collect();
            (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": message, "errors": detail })),
            )
                .into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SyslogBody {
    /// `HOST:PORT`, or `null` to stop.
    target: Option<String>,
    #[serde(default)]
    transport: Transport,
}

/// `{"target":"127.0.0.1:5514","transport":"udp"|"tcp"}`, or `{"target":null}` to stop.
async fn syslog(State(st): State<RestState>, body: Bytes) -> Response {
    let has_target = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .is_some_and(|v| v.get("target").is_some());
    let parsed: SyslogBody = match serde_json::from_slice(&body) {
        Ok(b) if has_target => b,
        Ok(_) => return bad_request("give \"target\": \"HOST:PORT\", or null to stop".into()),
        Err(e) => return bad_request(format!("not a syslog setting: {e}")),
    };
    let target = match parsed.target {
        None => None,
        Some(text) => match tokio::net::lookup_host(text.as_str()).await {
            Ok(mut addrs) => match addrs.next() {
                Some(addr) => Some(SyslogTarget {
                    addr,
                    transport: parsed.transport,
                }),
                None => return bad_request(format!("{text:?} resolves to no address")),
            },
            Err(e) => return bad_request(format!("target {text:?} is not HOST:PORT: {e}")),
        },
    };
    st.store.signals().set_syslog(target);
    Json(st.store.signals().counters()).into_response()
}
