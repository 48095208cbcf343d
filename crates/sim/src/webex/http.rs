//! HTTP plumbing shared by every endpoint: Webex-shaped errors with a `trackingid` header, bearer-token
//! checks, injected failures, the request log, and JSON bodies parsed leniently into Webex 400s.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::log::LoggedRequest;
use super::state::ChatError;
use super::wire::ErrorBody;
use super::Shared;

const TRACKING_HEADER: &str = "trackingid";
const UNAUTHORIZED: &str =
    "The request requires a valid access token set in the Authorization request header.";

fn tracking_id() -> String {
    format!("ROUTER_{}", uuid::Uuid::new_v4())
}

/// An error answered in the Webex shape.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
}

impl From<ChatError> for ApiError {
    fn from(e: ChatError) -> Self {
        let status = match e {
            ChatError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ChatError::NotFound(_) => StatusCode::NOT_FOUND,
            ChatError::Forbidden(_) => StatusCode::FORBIDDEN,
        };
        ApiError::new(status, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let id = tracking_id();
        let mut resp = (self.status, Json(ErrorBody::new(&self.message, &id))).into_response();
        if let Ok(v) = HeaderValue::from_str(&id) {
            resp.headers_mut().insert(TRACKING_HEADER, v);
        }
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

/// A 200 with a JSON body.
pub fn ok<T: Serialize>(value: T) -> Response {
    Json(value).into_response()
}

/// Parses a JSON request body; anything malformed is a Webex 400, never a panic.
pub fn parse_json<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("Invalid JSON request body: {e}")))
}

/// Whether this request carries an acceptable bearer token: any non-empty one, or exactly the
/// configured one.
pub fn authorized(headers: &HeaderMap, expected: Option<&str>) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    match value.strip_prefix("Bearer ") {
        Some(t) if !t.is_empty() => expected.map_or(true, |e| e == t),
        _ => false,
    }
}

fn needs_token(path: &str) -> bool {
    ["/v1", "/u2c", "/wdm", "/conversation"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

/// Runs before every route: injected failures (never for `/_sim`), the token check, the
/// `trackingid` header every Webex response carries, and the request log (`/_sim` left out).
pub async fn guard(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if path.starts_with("/_sim") {
        return with_tracking_id(next.run(req).await);
    }
    let method = req.method().as_str().to_owned();
    let resp = with_tracking_id(answer(&shared, &path, req, next).await);
    let tracking_id = resp
        .headers()
        .get(TRACKING_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    shared.lock().log.request(LoggedRequest {
        method,
        path,
        status: resp.status().as_u16(),
        tracking_id,
    });
    resp
}

async fn answer(shared: &Shared, path: &str, req: Request, next: Next) -> Response {
    let injected = shared.lock().faults.take(req.method().as_str(), path);
    if let Some(hit) = injected {
        tracing::debug!(path = %path, status = hit.status, "injected failure");
        let status = StatusCode::from_u16(hit.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let reason = status.canonical_reason().unwrap_or("Injected failure");
        return ApiError {
            status,
            message: reason.to_owned(),
            retry_after: hit.retry_after,
        }
        .into_response();
    }
    if needs_token(path) && !authorized(req.headers(), shared.token.as_deref()) {
        return ApiError::new(StatusCode::UNAUTHORIZED, UNAUTHORIZED).into_response();
    }
    next.run(req).await
}

fn with_tracking_id(mut resp: Response) -> Response {
    if !resp.headers().contains_key(TRACKING_HEADER) {
        if let Ok(v) = HeaderValue::from_str(&tracking_id()) {
            resp.headers_mut().insert(TRACKING_HEADER, v);
        }
    }
    resp
}

/// Unknown routes answer like Webex does.
pub async fn not_found() -> ApiError {
    ApiError::not_found("The requested resource could not be found.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(auth).unwrap());
        h
    }

    #[test]
    fn bearer_tokens() {
        assert!(authorized(&headers("Bearer abc"), None));
        assert!(authorized(&headers("Bearer abc"), Some("abc")));
        assert!(!authorized(&headers("Bearer abd"), Some("abc")));
        assert!(!authorized(&headers("abc"), None));
        assert!(!authorized(&headers("Bearer "), None));
        assert!(!authorized(&HeaderMap::new(), None));
    }

    #[test]
    fn which_paths_need_a_token() {
        assert!(needs_token("/v1/people/me"));
        assert!(needs_token("/wdm/api/v1/devices"));
        assert!(needs_token("/u2c/api/v1/catalog"));
        assert!(!needs_token(
            "/mercury/v1/apps/wx2/registrations/x/messages"
        ));
        assert!(!needs_token("/_sim/say"));
        assert!(!needs_token("/v1x"));
    }
}
