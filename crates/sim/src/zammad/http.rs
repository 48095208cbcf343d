//! The HTTP edge of `/api/v1`: the request counter and injected failures, authentication as
//! Zammad's `authentication_check` answers it (docs/zammad.md §1), and error bodies as its
//! `HandlesErrors` renders them (`{"error", "error_human"}`; words only admins may read replaced
//! by an error id).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::model::Refused;
use super::seed;
use super::Shared;

/// Who a request acts as.
#[derive(Debug, Clone, Copy)]
pub(super) struct Caller {
    pub user: u64,
    /// Has `ticket.agent`; without it every ticket endpoint is a 403.
    pub agent: bool,
    /// Has `admin`: sees the real words of database and internal errors.
    pub admin: bool,
}

/// A token added with `/_sim/token`.
#[derive(Debug, Clone)]
pub(crate) struct ExtraToken {
    pub token: String,
    pub user: u64,
    pub agent: bool,
}

/// `POST /_sim/fail`: the next `times` API requests under `path` answer `status`.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub path: String,
    pub status: u16,
    pub times: u32,
}

fn body(status: StatusCode, error: &str, human: Option<&str>) -> Response {
    let mut v = json!({ "error": error });
    if let Some(h) = human {
        v["error_human"] = Value::String(h.to_owned());
    }
    (status, Json(v)).into_response()
}

/// 401 and 403 carry their words in `X-Failure` too.
fn refusal(status: StatusCode, words: &str) -> Response {
    let mut r = body(status, words, Some(words));
    if let Ok(v) = HeaderValue::from_str(words) {
        r.headers_mut().insert("X-Failure", v);
    }
    r
}

pub(super) fn not_authorized() -> Response {
    refusal(StatusCode::FORBIDDEN, "Not authorized")
}

/// `SecureRandom.urlsafe_base64(6)`.
fn error_id() -> String {
    let bytes: [u8; 6] = std::array::from_fn(|_| fastrand::u8(..));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// `humanize_error`: validation words are shown to everyone; database and internal errors only
/// to admins, everyone else gets an error id.
pub(super) fn refused(r: Refused, caller: Caller) -> Response {
    match r {
        Refused::NotFound(id) => {
            let words = format!("Couldn't find Ticket with 'id'={id}");
            body(StatusCode::NOT_FOUND, &words, Some(&words))
        }
        Refused::Unprocessable(msg) => {
            let human = msg
                .strip_prefix("Validation failed: ")
                .map(|rest| rest.split(',').next().unwrap_or(rest).to_owned())
                .unwrap_or(msg);
            body(StatusCode::UNPROCESSABLE_ENTITY, &human, Some(&human))
        }
        Refused::Statement(msg) => hidden(StatusCode::UNPROCESSABLE_ENTITY, &msg, caller),
        Refused::Internal(msg) => hidden(StatusCode::INTERNAL_SERVER_ERROR, &msg, caller),
    }
}

fn hidden(status: StatusCode, msg: &str, caller: Caller) -> Response {
    if caller.admin {
        body(status, msg, None)
    } else {
        let id = error_id();
        tracing::info!(error_id = %id, error = %msg, "zammad simulator: hidden error");
        body(
            status,
            &format!("Error ID {id}: Please contact your administrator."),
            None,
        )
    }
}

/// Rails' token parsing: `Token token="t"`, `Token token=t`, `Token t`, `Bearer t`.
fn credential(headers: &HeaderMap) -> Option<(&'static str, String)> {
    let h = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = h.split_once(' ').unwrap_or((h, ""));
    let scheme = match scheme {
        s if s.eq_ignore_ascii_case("token") => "token",
        s if s.eq_ignore_ascii_case("bearer") => "bearer",
        s if s.eq_ignore_ascii_case("basic") => "basic",
        _ => return None,
    };
    let first = rest.split([',', ';']).next().unwrap_or("").trim();
    let raw = first.strip_prefix("token=").unwrap_or(first);
    Some((scheme, raw.trim_matches('"').to_owned()))
}

fn authenticate(
    shared: &Shared,
    headers: &HeaderMap,
) -> Result<Caller, (StatusCode, &'static str)> {
    let forbidden = || (StatusCode::FORBIDDEN, "Authentication required");
    let Some((scheme, token)) = credential(headers) else {
        return Err(forbidden());
    };
    if scheme == "basic" {
        return Err((StatusCode::UNAUTHORIZED, "Invalid BasicAuth credentials"));
    }
    // Rails does not hand a blank token to the check at all.
    if token.is_empty() {
        return Err(forbidden());
    }
    let inner = shared.lock();
    let found = match inner.tokens.iter().find(|t| t.token == token) {
        Some(t) => Some((t.user, t.agent)),
        None => match &shared.token {
            Some(expected) if *expected != token => None,
            _ => Some((seed::BOT_USER, true)),
        },
    };
    let user = found.and_then(|(id, agent)| inner.z.user(id).map(|u| (u, agent)));
    match user {
        Some((u, agent)) => Ok(Caller {
            user: u.id,
            agent: agent && u.is_agent(),
            admin: u.is_admin(),
        }),
        // A Bearer token that is no access token is tried as an OAuth2 token next.
        None if scheme == "bearer" => {
            Err((StatusCode::UNAUTHORIZED, "The provided token is invalid."))
        }
        None => Err((StatusCode::UNAUTHORIZED, "Can't find User for Token")),
    }
}

/// Before every `/api` route: count, injected failures, authentication.
pub(super) async fn guard(
    State(shared): State<Arc<Shared>>,
    mut req: Request,
    next: Next,
) -> Response {
    shared
        .requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if let Some(status) = shared.take_failure(req.uri().path()) {
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = body(code, "simulated failure (/_sim/fail)", None);
        if status == 429 || status == 503 {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        return r;
    }
    match authenticate(&shared, req.headers()) {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err((status, words)) => refusal(status, words),
    }
}

/// The query string as ordered pairs.
pub(super) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .and_then(|q| url::Url::parse(&format!("http://q/?{q}")).ok())
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

/// A JSON body as an object (an empty body is an empty object), else Rails' 400.
pub(super) fn json_object(bytes: &[u8]) -> Result<Map<String, Value>, Box<Response>> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Ok(Map::new()),
        Err(e) => Err(Box::new(body(
            StatusCode::BAD_REQUEST,
            &format!("Error occurred while parsing request parameters: {e}"),
            None,
        ))),
    }
}

/// Unmatched paths: Rails' routing error.
pub(super) async fn fallback(req: Request) -> Response {
    let words = format!("No route matches [{}] {:?}", req.method(), req.uri().path());
    body(StatusCode::NOT_FOUND, &words, Some(&words))
}
