//! HTTP plumbing of the `/api` edge: NetBox's authentication and permission answers, the 503
//! switch, the trailing-slash rules, query parameters, pagination (with 4.x `?fields=`), error bodies
//! and the request counter.

use crate::refusal::Refusal;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use url::Url;

use super::model::DEFAULT_USER;
use super::patch::FieldErrors;
use super::{Shared, WriteError, API_VERSION, NETBOX_VERSION};

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 1000;
const NO_PERMISSION: &str = "You do not have permission to perform this action.";

/// Who the request acts as.
#[derive(Debug, Clone)]
pub(super) struct Caller {
    pub user: String,
    write: bool,
}

pub(super) fn detail(status: StatusCode, msg: &str) -> Response {
    (status, Json(json!({ "detail": msg }))).into_response()
}

pub(super) fn not_found() -> Response {
    detail(StatusCode::NOT_FOUND, "Not found.")
}

pub(super) fn invalid(errs: FieldErrors) -> Response {
    (StatusCode::BAD_REQUEST, Json(Value::Object(errs))).into_response()
}

pub(super) fn write_error(e: WriteError) -> Response {
    match e {
        WriteError::NotFound => not_found(),
        WriteError::Invalid(errs) => invalid(errs),
        WriteError::Precondition => detail(StatusCode::PRECONDITION_FAILED, "Precondition failed."),
        // NetBox's answer to an unhandled database error (its REST exception handler).
        WriteError::Database(error) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({
                "error": error, "exception": "DataError",
                "netbox_version": NETBOX_VERSION, "python_version": "3.12.1",
            })),
        )
            .into_response(),
        WriteError::Failing(status, error) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            Json(json!({
                "error": error, "exception": "OperationalError",
                "netbox_version": NETBOX_VERSION, "python_version": "3.12.1",
            })),
        )
            .into_response(),
    }
}

fn forbidden(msg: &str) -> Response {
    detail(StatusCode::FORBIDDEN, msg)
}

/// `http://host` as the client addressed us (NetBox builds absolute URLs from the Host header).
pub(super) fn base(shared: &Shared, headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| shared.base_url.clone(), |h| format!("http://{h}"))
}

/// Resolves the credential. NetBox answers 403 (not 401) for a missing or bad token.
fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Caller, &'static str> {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let credential = header.map(|h| {
        h.strip_prefix("Token ")
            .or_else(|| h.strip_prefix("Bearer "))
            .unwrap_or(h)
            .trim()
    });
    let matches = |t: &str| header == Some(t) || credential == Some(t);
    let extra = shared
        .lock()
        .tokens
        .iter()
        .find(|t| matches(&t.token))
        .cloned();
    if let Some(t) = extra {
        return Ok(Caller {
            user: t.user,
            write: t.write,
        });
    }
    let admin = Caller {
        user: DEFAULT_USER.to_owned(),
        write: true,
    };
    let Some(expected) = shared.token.as_deref() else {
        return Ok(admin);
    };
    match (header, credential) {
        _ if matches(expected) => Ok(admin),
        (None, _) => Err("Authentication credentials were not provided."),
        (Some(h), Some(c)) if h.starts_with("Bearer ") && c.starts_with("nbt_") => {
            if c.contains('.') {
                Err("Invalid v2 token")
            } else {
                Err("Could not parse key from v2 token")
            }
        }
        // NetBox 4.7 names the token version it tried: a wrong v1 (40-hex) token is "Invalid v1 token".
        _ => Err("Invalid v1 token"),
    }
}

/// Counts every request under `/api` (answered, refused or 503), before anything else runs.
pub(super) async fn count_requests(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    if req.uri().path().starts_with("/api") {
        shared
            .requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    next.run(req).await
}

/// Runs before every `/api` route: the 503 switch, authentication, safe-method permission, and the
/// `API-Version` header.
pub(super) async fn guard(
    State(shared): State<Arc<Shared>>,
    mut req: Request,
    next: Next,
) -> Response {
    if shared.is_down() {
        let mut resp = detail(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service temporarily unavailable.",
        );
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return resp;
    }
    let caller = match authenticate(&shared, req.headers()) {
        Ok(c) => c,
        Err(msg) => return with_version(forbidden(msg)),
    };
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !caller.write {
        return with_version(forbidden(NO_PERMISSION));
    }
    req.extensions_mut().insert(caller);
    with_version(next.run(req).await)
}

fn with_version(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert("API-Version", HeaderValue::from_static(API_VERSION));
    resp
}

/// Unmatched paths. As seen live: a GET without the trailing slash is redirected (301), any other
/// method gets Django's HTML 404.
pub async fn fallback(req: Request) -> Response {
    let path = req.uri().path();
    if path.starts_with("/api") && !path.ends_with('/') {
        if matches!(*req.method(), Method::GET | Method::HEAD) {
            let target = match req.uri().query() {
                Some(q) => format!("{path}/?{q}"),
                None => format!("{path}/"),
            };
            if let Ok(loc) = HeaderValue::from_str(&target) {
                return (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, loc)]).into_response();
            }
        }
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<!DOCTYPE html><html><body><h1>Page Not Found</h1></body></html>",
        )
            .into_response();
    }
    not_found()
}

/// The query string as ordered pairs (repeatable keys allowed).
pub(super) struct Params(Vec<(String, String)>);

impl Params {
    pub(super) fn parse(query: Option<&str>) -> Self {
        let pairs = query
            .and_then(|q| Url::parse(&format!("http://q/?{q}")).ok())
            .map(|u| u.query_pairs().into_owned().collect())
            .unwrap_or_default();
        Params(pairs)
    }
    pub(super) fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    pub(super) fn first(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    /// Every value of `key` as an integer; a bad one is NetBox's 400 for that filter.
    pub(super) fn ints(&self, key: &str, errs: &mut FieldErrors) -> Vec<u64> {
        let mut out = Vec::new();
        for v in self.all(key) {
            match v.trim().parse::<u64>() {
                Ok(n) => out.push(n),
                Err(_) => {
                    errs.insert(key.to_owned(), json!(["Enter a number."]));
                }
            }
        }
        out
    }
    pub(super) fn brief(&self) -> bool {
        matches!(self.first("brief"), Some("1" | "true" | "True"))
    }
}

/// `values` empty means "no filter"; otherwise one of them must match.
pub(super) fn any_of<T: PartialEq>(values: &[T], v: &T) -> bool {
    values.is_empty() || values.contains(v)
}

pub(super) fn truthy(s: &str) -> Option<bool> {
    match s {
        "true" | "True" | "1" => Some(true),
        "false" | "False" | "0" => Some(false),
        _ => None,
    }
}

/// A `count/next/previous/results` page with NetBox's `limit`/`offset` rules.
pub(super) fn page(base: &str, path: &str, params: &Params, items: Vec<Value>) -> Response {
    page_of(base, path, params, items, |v| v)
}

/// [`page`] over matches that are rendered only when they land on the page (large listings).
pub(super) fn page_of<T>(
    base: &str,
    path: &str,
    params: &Params,
    items: Vec<T>,
    render: impl Fn(T) -> Value,
) -> Response {
    let limit = match params.first("limit").map(|l| l.trim().parse::<usize>()) {
        Some(Ok(0)) => MAX_LIMIT,
        Some(Ok(n)) => n.min(MAX_LIMIT),
        _ => DEFAULT_LIMIT,
    };
    let offset = params
        .first("offset")
        .and_then(|o| o.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let count = items.len();
    let link = |new_offset: usize| -> Value {
        let Ok(mut url) = Url::parse(&format!("{base}{path}")) else {
            return Value::Null;
        };
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in params
                .0
                .iter()
                .filter(|(k, _)| k != "limit" && k != "offset")
            {
                q.append_pair(k, v);
            }
            q.append_pair("limit", &limit.to_string());
            if new_offset > 0 {
                q.append_pair("offset", &new_offset.to_string());
            }
        }
        Value::String(url.to_string())
    };
    let next = if offset.saturating_add(limit) < count {
        link(offset + limit)
    } else {
        Value::Null
    };
    let previous = if offset > 0 {
        link(offset.saturating_sub(limit))
    } else {
        Value::Null
    };
    let results: Vec<Value> = items
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|item| only_fields(render(item), params.first("fields")))
        .collect();
    Json(json!({"count": count, "next": next, "previous": previous, "results": results}))
        .into_response()
}

/// NetBox 4.x `?fields=a,b`: each object keeps only the named top-level keys (unknown names are
/// ignored; an empty list keeps everything).
fn only_fields(item: Value, fields: Option<&str>) -> Value {
    let wanted: Vec<&str> = fields
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    match item {
        Value::Object(map) if !wanted.is_empty() => Value::Object(
            map.into_iter()
                .filter(|(k, _)| wanted.contains(&k.as_str()))
                .collect(),
        ),
        other => other,
    }
}

pub(super) fn parse_id(raw: &str) -> Option<u64> {
    raw.parse().ok()
}

/// The body as JSON, or the message of NetBox's 400 `detail`.
pub(super) fn parse_body(body: &Bytes) -> Result<Value, Refusal> {
    serde_json::from_slice(body).map_err(|e| Refusal(format!("JSON parse error - {e}")))
}

pub(super) fn with_etag(mut resp: Response, tag: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(tag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}
