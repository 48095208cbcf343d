//! The `/_sim` control API: state, reset, a person's UI edit, the 503 switch, extra tokens, bulk
//! interfaces, the write faults.
//! Never behind the token check or the 503 switch.

use crate::refusal::Refusal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{Down, ExtraToken, NetboxSimError, Shared};

/// Longest `POST /_sim/down` accepted (a day), so `Instant` arithmetic cannot overflow.
const MAX_DOWN_SECONDS: f64 = 86_400.0;

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sim/state", get(state))
        .route("/_sim/reset", post(reset))
        .route("/_sim/edit", post(edit))
        .route("/_sim/down", post(down))
        .route("/_sim/token", post(token))
        .route("/_sim/seed-interfaces", post(seed_interfaces))
        .route("/_sim/fault", post(fault))
}

fn bad(msg: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": msg }))).into_response()
}

fn parse<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|e| Refusal(format!("invalid control request: {e}")))
}

async fn state(State(sh): State<Arc<Shared>>) -> Response {
    Json(sh.state()).into_response()
}

async fn reset(State(sh): State<Arc<Shared>>) -> Response {
    sh.reset();
    Json(json!({ "reset": true })).into_response()
}

#[derive(Deserialize)]
struct Edit {
    device: String,
    interface: String,
    fields: Value,
    #[serde(default = "default_editor")]
    user: String,
}

fn default_editor() -> String {
    "engineer".to_owned()
}

async fn edit(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: Edit = match parse(&body) {
        Ok(r) => r,
        Err(msg) => return bad(msg.0),
    };
    if req.user.trim().is_empty() {
        return bad("user must not be empty".into());
    }
    match sh.edit(&req.device, &req.interface, &req.fields, &req.user) {
        Ok(v) => Json(v).into_response(),
        Err(NetboxSimError::Rejected(errs)) => {
            let body: Value = serde_json::from_str(&errs).unwrap_or(Value::String(errs));
            (StatusCode::BAD_REQUEST, Json(body)).into_response()
        }
        Err(e) => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": e.to_string() })),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct DownReq {
    seconds: f64,
}

async fn down(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: DownReq = match parse(&body) {
        Ok(r) => r,
        Err(msg) => return bad(msg.0),
    };
    if !req.seconds.is_finite() || req.seconds < 0.0 || req.seconds > MAX_DOWN_SECONDS {
        return bad(format!("seconds must be between 0 and {MAX_DOWN_SECONDS}"));
    }
    if req.seconds == 0.0 {
        sh.set_down(Down::Up);
    } else {
        sh.set_down(Down::Until(
            Instant::now() + Duration::from_secs_f64(req.seconds),
        ));
    }
    Json(json!({ "down": req.seconds > 0.0, "seconds": req.seconds })).into_response()
}

#[derive(Deserialize)]
struct TokenReq {
    token: String,
    #[serde(default = "default_token_user")]
    user: String,
    #[serde(default = "yes")]
    write: bool,
}

fn default_token_user() -> String {
    super::DEFAULT_USER.to_owned()
}

fn yes() -> bool {
    true
}

async fn token(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: TokenReq = match parse(&body) {
        Ok(r) => r,
        Err(msg) => return bad(msg.0),
    };
    if req.token.trim().is_empty() {
        return bad("token must not be empty".into());
    }
    sh.lock().tokens.push(ExtraToken {
        token: req.token,
        user: req.user.clone(),
        write: req.write,
    });
    Json(json!({ "user": req.user, "write": req.write })).into_response()
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum FaultReq {
    /// API writes clearing this interface's ticket number answer `status` (400 unless given: one
    /// bad record; a 5xx makes the clear fail for now).
    RejectClears {
        interface: u64,
        #[serde(default = "bad_request")]
        status: u16,
    },
    /// Every fault off.
    Clear,
}

fn bad_request() -> u16 {
    400
}

async fn fault(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: FaultReq = match parse(&body) {
        Ok(r) => r,
        Err(msg) => return bad(msg.0),
    };
    let fault = match req {
        FaultReq::RejectClears { status, .. } if !(400..=599).contains(&status) => {
            return bad("status must be between 400 and 599".into())
        }
        FaultReq::RejectClears { interface, status } => Some((interface, status)),
        FaultReq::Clear => None,
    };
    sh.lock().reject_clears = fault;
    Json(json!({ "reject_clears": fault.map(|(id, status)| json!({"interface": id, "status": status})) }))
        .into_response()
}

/// Most interfaces one `POST /_sim/seed-interfaces` adds.
const MAX_SEED: usize = 100_000;

#[derive(Deserialize)]
struct SeedReq {
    device: String,
    count: usize,
    #[serde(default)]
    ticket: Option<String>,
}

async fn seed_interfaces(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: SeedReq = match parse(&body) {
        Ok(r) => r,
        Err(msg) => return bad(msg.0),
    };
    if req.count > MAX_SEED {
        return bad(format!("count must be at most {MAX_SEED}"));
    }
    let ticket = req.ticket.as_deref().filter(|t| !t.trim().is_empty());
    match sh.seed_interfaces(&req.device, req.count, ticket) {
        Ok(ids) => Json(json!({
            "added": ids.len(),
            "first_id": ids.first(),
            "last_id": ids.last(),
        }))
        .into_response(),
        Err(e) => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": e.to_string() })),
        )
            .into_response(),
    }
}
