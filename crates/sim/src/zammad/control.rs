//! The `/_sim` control API: tickets made and edited as people do in the UI, the whole state,
//! reset, extra tokens, injected failures and the webhook's target. Never behind the token check
//! or the injected failures; a bad body is a 400 `{"error"}`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use crate::refusal::Refusal;

use super::http::{ExtraToken, Failure};
use super::model::{NewTicket, Refused};
use super::seed;
use super::webhook::WebhookTarget;
use super::Shared;

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sim/state", get(state))
        .route("/_sim/reset", post(reset))
        .route("/_sim/tickets", post(create))
        .route("/_sim/edit", post(edit))
        .route("/_sim/token", post(token))
        .route("/_sim/fail", post(fail))
        .route("/_sim/webhook", post(webhook))
}

fn bad(msg: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": msg }))).into_response()
}

fn object(body: &Bytes) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err("invalid control request: expected a JSON object".into()),
        Err(e) => Err(format!("invalid control request: {e}").into()),
    }
}

fn text(m: &Map<String, Value>, key: &str) -> Result<Option<String>, Refusal> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{key} must be a string").into()),
    }
}

/// A control request's refusal: 404 for an unknown ticket, else 400 with Zammad's words.
pub(super) fn refusal(e: Refused) -> Response {
    match e {
        Refused::NotFound(id) => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": format!("Couldn't find Ticket with 'id'={id}") })),
        )
            .into_response(),
        Refused::Unprocessable(m) | Refused::Statement(m) | Refused::Internal(m) => bad(&m),
    }
}

/// `POST /_sim/tickets`'s body as the form the UI fills in; every key it does not name itself is
/// a custom attribute.
pub(super) fn new_ticket(m: Map<String, Value>) -> Result<NewTicket, Refusal> {
    let title = text(&m, "title")?.ok_or_else(|| Refusal::from("title is required"))?;
    let customer = text(&m, "customer")?.ok_or_else(|| Refusal::from("customer is required"))?;
    let mut attributes = Map::new();
    attributes.insert(
        "ticket_type".into(),
        Value::String(seed::NETWORK_CHANGE.into()),
    );
    for (k, v) in &m {
        if !matches!(
            k.as_str(),
            "title" | "customer" | "group" | "state" | "created_by" | "body"
        ) {
            attributes.insert(k.clone(), v.clone());
        }
    }
    Ok(NewTicket {
        title,
        customer,
        group: text(&m, "group")?.unwrap_or_else(|| seed::DEFAULT_GROUP.into()),
        state: text(&m, "state")?.unwrap_or_else(|| seed::DEFAULT_STATE.into()),
        created_by: text(&m, "created_by")?,
        attributes,
        body: text(&m, "body")?.unwrap_or_default(),
    })
}

async fn create(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    let new = match object(&body).and_then(new_ticket) {
        Ok(n) => n,
        Err(r) => return bad(&r),
    };
    match sh.create(new) {
        Ok((id, number)) => Json(json!({ "id": id, "number": number })).into_response(),
        Err(e) => refusal(e),
    }
}

async fn edit(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    let m = match object(&body) {
        Ok(m) => m,
        Err(r) => return bad(&r),
    };
    let fields = match m.get("fields") {
        Some(Value::Object(f)) => f.clone(),
        _ => return bad("fields must be an object"),
    };
    let user = match text(&m, "user") {
        Ok(u) => u.unwrap_or_else(|| "engineer@example.com".into()),
        Err(r) => return bad(&r),
    };
    let ticket = match m.get("ticket") {
        Some(Value::Number(n)) => n.as_u64().map(TicketRef::Id),
        Some(Value::String(s)) => Some(TicketRef::Number(s.clone())),
        _ => None,
    };
    let Some(ticket) = ticket else {
        return bad("ticket must be an id (number) or a ticket number (string)");
    };
    match sh.edit(ticket, &fields, &user) {
        Ok(v) => Json(v).into_response(),
        Err(e) => refusal(e),
    }
}

/// How `/_sim/edit` names a ticket.
pub(crate) enum TicketRef {
    Id(u64),
    Number(String),
}

async fn state(State(sh): State<Arc<Shared>>) -> Response {
    Json(sh.state()).into_response()
}

async fn reset(State(sh): State<Arc<Shared>>) -> Response {
    sh.reset();
    Json(json!({ "reset": true })).into_response()
}

async fn token(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    let m = match object(&body) {
        Ok(m) => m,
        Err(r) => return bad(&r),
    };
    let token = match text(&m, "token") {
        Ok(Some(t)) if !t.trim().is_empty() => t,
        Ok(_) => return bad("token must be a non-empty string"),
        Err(r) => return bad(&r),
    };
    let user = match text(&m, "user") {
        Ok(u) => u.unwrap_or_else(|| "patchpanel".into()),
        Err(r) => return bad(&r),
    };
    let agent = match m.get("agent") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return bad("agent must be true or false"),
    };
    let mut inner = sh.lock();
    let Some(u) = inner.z.user_by_name(&user).map(|u| (u.id, u.login.clone())) else {
        return bad(&format!("no user {user:?} (a login or email)"));
    };
    inner.tokens.push(ExtraToken {
        token,
        user: u.0,
        agent,
    });
    Json(json!({ "user": u.1, "agent": agent })).into_response()
}

async fn fail(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    let m = match object(&body) {
        Ok(m) => m,
        Err(r) => return bad(&r),
    };
    let path = match text(&m, "path") {
        Ok(Some(p)) if p.starts_with('/') => p,
        Ok(_) => return bad("path must start with /"),
        Err(r) => return bad(&r),
    };
    let status = match m.get("status").and_then(Value::as_u64) {
        Some(s @ 400..=599) => s as u16,
        _ => return bad("status must be between 400 and 599"),
    };
    let times = match m.get("times") {
        None | Some(Value::Null) => 1,
        Some(v) => match v.as_u64().and_then(|t| u32::try_from(t).ok()) {
            Some(t) => t,
            None => return bad("times must be a non-negative integer"),
        },
    };
    sh.lock().failures.push(Failure {
        path: path.clone(),
        status,
        times,
    });
    Json(json!({ "path": path, "status": status, "times": times })).into_response()
}

async fn webhook(State(sh): State<Arc<Shared>>, body: Bytes) -> Response {
    let m = match object(&body) {
        Ok(m) => m,
        Err(r) => return bad(&r),
    };
    let target = match text(&m, "url") {
        Ok(None) => None,
        Ok(Some(url)) => {
            let secret = match text(&m, "secret") {
                Ok(s) => s,
                Err(r) => return bad(&r),
            };
            let trigger = match text(&m, "trigger") {
                Ok(t) => t,
                Err(r) => return bad(&r),
            };
            match WebhookTarget::new(&url, secret, trigger) {
                Ok(t) => Some(t),
                Err(e) => return bad(&e),
            }
        }
        Err(r) => return bad(&r),
    };
    sh.lock().webhook = target;
    Json(json!({ "webhook": sh.webhook_json() })).into_response()
}
