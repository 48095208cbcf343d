//! The Webex REST client (also used for U2C and WDM): auth and tracking headers, retries for 429/423
//! and 5xx, error mapping, and the calls a ChatOps bot needs (docs/webex.md §5).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::error::WebexError;
use super::split::{split_markdown, MAX_MESSAGE_BYTES};
use super::wire::{self, ErrorBody, NewMessage, Person};
use super::{ids, BotIdentity, WebexConfig};
use crate::backoff::Backoff;
use crate::inbound::Reply;
use crate::secret::Secret;
use crate::text_safety::excerpt;

/// How hard a call tries before giving up. A person who asked the bot something still wants the
/// answer minutes later, so the defaults keep trying for a while; the caller learns of a call that
/// ran out of time through the error and can tell the person.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per call, the first included (a safety net: the deadline normally ends retrying).
    pub max_attempts: u32,
    /// No retry starts later than this after the call's first attempt (10 minutes by default).
    pub deadline: Duration,
    /// The longest `Retry-After` honoured (60 s by default). A longer one (Webex has answered
    /// `Retry-After: 100000`) is waited only this long, then the call is tried again.
    pub retry_after_cap: Duration,
    /// First delay after a 5xx, a refused connection or a 429 without `Retry-After`; doubles per
    /// retry up to `retry_after_cap` (with jitter). Repeated 429s back off the same way, never
    /// sooner than their `Retry-After`.
    pub server_error_base: Duration,
    /// Extra random delay added to Retry-After, at most this much.
    pub retry_after_jitter: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 64,
            deadline: Duration::from_secs(10 * 60),
            retry_after_cap: Duration::from_secs(60),
            server_error_base: Duration::from_millis(500),
            retry_after_jitter: Duration::from_millis(250),
        }
    }
}

/// A cheap-to-clone handle on the Webex REST API.
#[derive(Debug, Clone)]
pub struct WebexRest {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    api: Url,
    token: Secret,
    retry: RetryPolicy,
    /// Fired on shutdown: waits between retries end and the call returns its last error.
    stop_retrying: Option<CancellationToken>,
}

/// One id per process so Cisco support can correlate all our calls (docs/webex.md §5).
fn process_tracking_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| format!("patchpanel_{}", uuid::Uuid::new_v4()))
}

impl WebexRest {
    pub fn new(cfg: &WebexConfig) -> Result<Self, WebexError> {
        Self::with_retry_policy(cfg, RetryPolicy::default())
    }

    pub fn with_retry_policy(cfg: &WebexConfig, retry: RetryPolicy) -> Result<Self, WebexError> {
        let api = Url::parse(cfg.api_url.trim_end_matches('/'))
            .map_err(|e| WebexError::Config(format!("api_url {:?}: {e}", cfg.api_url)))?;
        if api.cannot_be_a_base() {
            return Err(WebexError::Config(format!(
                "api_url {:?} is not a base URL",
                cfg.api_url
            )));
        }
        if cfg.token.is_empty() {
            return Err(WebexError::Config("the bot token is empty".to_owned()));
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            "trackingid",
            HeaderValue::from_str(process_tracking_id())
                .map_err(|e| WebexError::Config(format!("tracking id: {e}")))?,
        );
        let http = reqwest::Client::builder()
            .user_agent(concat!("patchpanel/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| WebexError::Config(format!("http client: {e}")))?;
        // Validate once so a token with illegal header bytes fails here, not on every call.
        bearer(&cfg.token)?;
        Ok(WebexRest {
            inner: Arc::new(Inner {
                http,
                api,
                token: cfg.token.clone(),
                retry,
                stop_retrying: None,
            }),
        })
    }

    /// This client with its waits between retries cut short by `shutdown`: a call that is waiting
    /// to retry then returns its last error at once, so a stop is not held up by a rate limit.
    /// Requests already sent still finish (bounded by the request timeout).
    pub fn stop_retrying_on(&self, shutdown: CancellationToken) -> WebexRest {
        let inner = &self.inner;
        WebexRest {
            inner: Arc::new(Inner {
                http: inner.http.clone(),
                api: inner.api.clone(),
                token: inner.token.clone(),
                retry: inner.retry.clone(),
                stop_retrying: Some(shutdown),
            }),
        }
    }

    /// Sleeps `d` unless shutdown fires first; false when the retry should not happen.
    async fn pause(&self, d: Duration) -> bool {
        match &self.inner.stop_retrying {
            None => {
                tokio::time::sleep(d).await;
                true
            }
            Some(stop) => tokio::select! {
                _ = stop.cancelled() => false,
                _ = tokio::time::sleep(d) => true,
            },
        }
    }

    /// The token, for the socket's authorization frame.
    pub(crate) fn token(&self) -> &Secret {
        &self.inner.token
    }

    /// `GET /people/me`: who the bot is.
    pub async fn me(&self) -> Result<BotIdentity, WebexError> {
        let url = self.api_url(&["people", "me"])?;
        let p: Person = self.get_json(url).await?;
        let person_id =
            p.id.filter(|s| !s.is_empty())
                .ok_or_else(|| missing("people/me", "id"))?;
        let email = p
            .emails
            .into_iter()
            .next()
            .ok_or_else(|| missing("people/me", "emails[0]"))?;
        let display_name = p.display_name.unwrap_or_default();
        Ok(BotIdentity {
            person_uuid: ids::to_uuid(&person_id),
            person_id,
            display_name,
            email,
        })
    }

    /// `GET /messages/{id}`.
    pub async fn get_message(&self, message_id: &str) -> Result<wire::Message, WebexError> {
        let url = self.api_url(&["messages", message_id])?;
        self.get_json(url).await
    }

    /// `GET /attachment/actions/{id}`.
    pub async fn get_attachment_action(
        &self,
        action_id: &str,
    ) -> Result<wire::AttachmentAction, WebexError> {
        let url = self.api_url(&["attachment", "actions", action_id])?;
        self.get_json(url).await
    }

    /// `GET /people/{id}`.
    pub async fn get_person(&self, person_id: &str) -> Result<Person, WebexError> {
        let url = self.api_url(&["people", person_id])?;
        self.get_json(url).await
    }

    /// Posts `reply` as one or more messages (≤ 7,439 bytes each, in order); returns their ids.
    pub async fn send_reply(&self, reply: &Reply) -> Result<Vec<String>, WebexError> {
        let to = NewMessage {
            room_id: Some(&reply.room_id),
            to_person_email: None,
            parent_id: reply.parent_id.as_deref(),
            markdown: "",
        };
        self.post_split(to, &reply.markdown, "reply").await
    }

    /// Posts `markdown` to a person (`target` contains `@`: `toPersonEmail`, a 1:1 message) or a
    /// room (`roomId`), split like [`WebexRest::send_reply`]; returns the message ids in order.
    /// Used for notifications that answer no message (PATCHPANEL_NOTIFY).
    pub async fn notify(&self, target: &str, markdown: &str) -> Result<Vec<String>, WebexError> {
        let target = target.trim();
        if target.is_empty() {
            return Err(WebexError::Config(
                "the notification target is empty: set PATCHPANEL_NOTIFY to an email or a room id"
                    .to_owned(),
            ));
        }
        let email = target.contains('@');
        let to = NewMessage {
            room_id: (!email).then_some(target),
            to_person_email: email.then_some(target),
            parent_id: None,
            markdown: "",
        };
        self.post_split(to, markdown, "notification").await
    }

    /// `POST /messages` once per part of `markdown` split on line boundaries, in order.
    async fn post_split(
        &self,
        to: NewMessage<'_>,
        markdown: &str,
        what: &str,
    ) -> Result<Vec<String>, WebexError> {
        let url = self.api_url(&["messages"])?;
        // The last line of defence: nothing the bot posts carries a character that can disguise
        // text, whichever path built the markdown (outside values are escaped long before).
        let markdown = crate::text_safety::neutralize_markdown(markdown);
        let parts = split_markdown(&markdown, MAX_MESSAGE_BYTES);
        let mut ids = Vec::with_capacity(parts.len());
        for (n, part) in parts.iter().enumerate() {
            let body = NewMessage {
                markdown: part,
                ..to.clone()
            };
            let sent: Result<wire::Message, _> =
                self.send_json(Method::POST, url.clone(), Some(&body)).await;
            match sent {
                Ok(m) => ids.push(m.id.ok_or_else(|| missing("POST messages", "id"))?),
                Err(e) => {
                    if n > 0 {
                        tracing::warn!(sent = n, total = parts.len(), error = %e, "{what} only partly sent");
                    }
                    return Err(e);
                }
            }
        }
        Ok(ids)
    }

    /// `{api}/{segments…}`, each segment percent-encoded.
    pub(crate) fn api_url(&self, segments: &[&str]) -> Result<Url, WebexError> {
        let mut url = self.inner.api.clone();
        url.path_segments_mut()
            .map_err(|_| WebexError::Config("api_url is not a base URL".to_owned()))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    pub(crate) async fn get_json<T: DeserializeOwned>(&self, url: Url) -> Result<T, WebexError> {
        self.send_json::<T, ()>(Method::GET, url, None).await
    }

    pub(crate) async fn send_json<T: DeserializeOwned, B: Serialize>(
        &self,
        method: Method,
        url: Url,
        body: Option<&B>,
    ) -> Result<T, WebexError> {
        let what = describe(&method, &url);
        let bytes = self.call(method, url, body).await?;
        serde_json::from_slice(&bytes).map_err(|e| WebexError::InvalidResponse {
            what,
            detail: e.to_string(),
        })
    }

    /// One request with the retry policy; returns the body of a 2xx answer.
    pub(crate) async fn call<B: Serialize>(
        &self,
        method: Method,
        url: Url,
        body: Option<&B>,
    ) -> Result<Vec<u8>, WebexError> {
        let policy = &self.inner.retry;
        let what = describe(&method, &url);
        let body = match body {
            Some(b) => {
                Some(serde_json::to_vec(b).map_err(|e| WebexError::Config(format!("body: {e}")))?)
            }
            None => None,
        };
        let started = Instant::now();
        let mut backoff = Backoff::new(
            policy.server_error_base,
            policy.retry_after_cap.max(policy.server_error_base),
        );
        // Whether to wait `d` and try again: attempts are left and the retry starts before the
        // deadline.
        let may_wait = |attempt: u32, d: Duration| {
            attempt < policy.max_attempts.max(1) && started.elapsed() + d <= policy.deadline
        };
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let mut req = self
                .inner
                .http
                .request(method.clone(), url.clone())
                .header(AUTHORIZATION, bearer(&self.inner.token)?);
            if let Some(b) = &body {
                req = req
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(b.clone());
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    // Safe to repeat when the request never left (connect) or is idempotent.
                    let retry = e.is_connect() || (method != Method::POST && e.is_timeout());
                    let detail = format!("{what}: {}", without_url(&e));
                    let d = backoff.next_delay(fastrand::f64());
                    if retry && may_wait(attempt, d) {
                        tracing::warn!(%detail, attempt, "webex call failed; retrying");
                        if self.pause(d).await {
                            continue;
                        }
                    }
                    return Err(WebexError::Unavailable { detail });
                }
            };
            let status = resp.status();
            if status.is_success() {
                return resp.bytes().await.map(|b| b.to_vec()).map_err(|e| {
                    WebexError::Unavailable {
                        detail: format!("{what}: reading body: {}", without_url(&e)),
                    }
                });
            }
            let retry_after = retry_after(resp.headers());
            let header_tracking = resp
                .headers()
                .get("trackingid")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let raw = resp.bytes().await.unwrap_or_default();
            let err_body: ErrorBody = serde_json::from_slice(&raw).unwrap_or_default();
            let tracking_id = err_body
                .tracking_id
                .clone()
                .or(header_tracking)
                .unwrap_or_default();
            let message = err_body
                .message
                .clone()
                .or_else(|| err_body.errors.iter().find_map(|e| e.description.clone()))
                .map(|m| excerpt(&m, 300))
                .unwrap_or_else(|| excerpt(&String::from_utf8_lossy(&raw), 200));

            match status {
                StatusCode::TOO_MANY_REQUESTS | StatusCode::LOCKED => {
                    let d = rate_limit_wait(
                        retry_after,
                        backoff.next_delay(fastrand::f64()),
                        policy,
                        fastrand::f64(),
                    );
                    let after = retry_after.unwrap_or(d);
                    if !may_wait(attempt, d) {
                        return Err(WebexError::RetryAfter { after });
                    }
                    tracing::info!(%what, status = status.as_u16(), retry_after_ms = after.as_millis() as u64,
                        wait_ms = d.as_millis() as u64, %tracking_id, attempt, "webex rate limit; waiting");
                    if !self.pause(d).await {
                        return Err(WebexError::RetryAfter { after });
                    }
                }
                s if s.is_server_error() => {
                    let d = backoff.next_delay(fastrand::f64());
                    let unavailable = || WebexError::Unavailable {
                        detail: format!("{what}: HTTP {} (trackingId {tracking_id})", s.as_u16()),
                    };
                    if !may_wait(attempt, d) {
                        return Err(unavailable());
                    }
                    tracing::warn!(%what, status = s.as_u16(), %tracking_id, attempt, "webex server error; retrying");
                    if !self.pause(d).await {
                        return Err(unavailable());
                    }
                }
                StatusCode::UNAUTHORIZED => return Err(WebexError::TokenRejected),
                StatusCode::NOT_FOUND => return Err(WebexError::NotFound { what, tracking_id }),
                StatusCode::FORBIDDEN => {
                    return Err(WebexError::Forbidden {
                        message,
                        tracking_id,
                    })
                }
                s => {
                    return Err(WebexError::BadRequest {
                        status: s.as_u16(),
                        message,
                        tracking_id,
                    })
                }
            }
        }
    }
}

/// The wait after a 429/423: the server's `Retry-After` (capped at `retry_after_cap`, so an absurd
/// value cannot park the answer for a day) or the growing backoff, whichever is longer, plus jitter
/// so that many waiting calls do not return together. `unit` in [0, 1] is the jitter draw.
fn rate_limit_wait(
    retry_after: Option<Duration>,
    backoff: Duration,
    policy: &RetryPolicy,
    unit: f64,
) -> Duration {
    let asked = retry_after.unwrap_or_default().min(policy.retry_after_cap);
    let unit = if unit.is_finite() {
        unit.clamp(0.0, 1.0)
    } else {
        0.0
    };
    asked.max(backoff) + policy.retry_after_jitter.mul_f64(unit)
}

fn bearer(token: &Secret) -> Result<HeaderValue, WebexError> {
    let mut v = HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
        WebexError::Config("the bot token has characters not allowed in a header".to_owned())
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// `GET /v1/messages/…` style label for logs and errors (no query string, no credentials).
fn describe(method: &Method, url: &Url) -> String {
    format!("{method} {}", url.path())
}

/// reqwest's error text without the URL (which we log separately, without its query).
fn without_url(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    if let Some(u) = e.url() {
        msg = msg.replace(u.as_str(), u.path());
    }
    msg
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let secs: f64 = v.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

fn missing(what: &str, field: &str) -> WebexError {
    WebexError::InvalidResponse {
        what: what.to_owned(),
        detail: format!("missing field {field}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(api: &str) -> WebexConfig {
        WebexConfig {
            api_url: api.to_owned(),
            u2c_url: "http://127.0.0.1:1/u2c".to_owned(),
            token: Secret::new("tok"),
            device_name: "d".to_owned(),
        }
    }

    #[test]
    fn builds_encoded_urls_under_the_api_base() {
        let rest = WebexRest::new(&cfg("https://webexapis.com/v1/")).unwrap();
        assert_eq!(
            rest.api_url(&["messages", "a/b?c"]).unwrap().as_str(),
            "https://webexapis.com/v1/messages/a%2Fb%3Fc"
        );
        assert_eq!(
            rest.api_url(&["people", "me"]).unwrap().as_str(),
            "https://webexapis.com/v1/people/me"
        );
    }

    #[test]
    fn rejects_bad_config_without_showing_the_token() {
        assert!(matches!(
            WebexRest::new(&cfg("not a url")),
            Err(WebexError::Config(_))
        ));
        let mut c = cfg("https://x/v1");
        c.token = Secret::new("bad\ntoken");
        let err = WebexRest::new(&c).unwrap_err();
        assert!(!err.to_string().contains("bad\ntoken"));
        c.token = Secret::new("");
        assert!(WebexRest::new(&c).is_err());
        let dbg = format!("{:?}", WebexRest::new(&cfg("https://x/v1")).unwrap());
        assert!(!dbg.contains("tok\""), "{dbg}");
    }

    #[test]
    fn parses_retry_after_seconds() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("-1"));
        assert_eq!(retry_after(&h), None);
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn a_huge_retry_after_is_capped_and_backoff_still_grows() {
        let policy = RetryPolicy {
            retry_after_jitter: Duration::from_millis(250),
            ..RetryPolicy::default()
        };
        let cap = policy.retry_after_cap;
        let day = Some(Duration::from_secs(100_000));
        assert_eq!(rate_limit_wait(day, Duration::ZERO, &policy, 0.0), cap);
        assert_eq!(
            rate_limit_wait(day, Duration::ZERO, &policy, 1.0),
            cap + Duration::from_millis(250)
        );
        // Never sooner than the server asked; longer when the backoff has grown past it.
        let three = Some(Duration::from_secs(3));
        assert_eq!(
            rate_limit_wait(three, Duration::from_secs(1), &policy, 0.0),
            Duration::from_secs(3)
        );
        assert_eq!(
            rate_limit_wait(three, Duration::from_secs(8), &policy, 0.0),
            Duration::from_secs(8)
        );
        assert_eq!(
            rate_limit_wait(None, Duration::from_millis(700), &policy, f64::NAN),
            Duration::from_millis(700)
        );
    }
}
