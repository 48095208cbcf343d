//! The `/_sim` control API on the RESTCONF listener, in the style of the Webex simulator's: switch faults
//! on (`POST /_sim/fault {"kind": …}`), read the device's state (`GET /_sim/state`), start over
//! (`POST /_sim/reset`). Never behind basic auth: tests and demos drive it.

use super::faults::Fault;
use super::RestState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

pub fn routes() -> Router<RestState> {
    Router::new()
        .route("/_sim/fault", post(fault))
        .route("/_sim/state", get(state))
        .route("/_sim/reset", post(reset))
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
