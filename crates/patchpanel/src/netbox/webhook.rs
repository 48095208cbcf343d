//! The optional NetBox webhook receiver (docs/netbox.md §9): a signed `POST` of an interface event
//! means "poll now". It verifies `X-Hook-Signature` (hex HMAC-SHA512 of the exact body) before reading
//! the JSON, and then only wakes the poller: it never acts on the payload, so the change log stays
//! the one code path and nothing is handled twice.
//!
//! The decision is pure ([`judge`]: signature, body, object type → [`Verdict`]; `replay`: a body
//! seen recently wakes nothing); the axum edge ([`start`]) runs behind the hardened
//! [`crate::listener`] (connection cap, header and idle timeouts, rate limit), bounds the body
//! (1 MiB, 413) and its arrival time, and logs each woken event — refusals and replays once per
//! burst — never the secret or the signature.

mod replay;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha512;
use tokio_util::sync::CancellationToken;

use super::wakeup::Wakeup;
use super::wire::WebhookBody;
use crate::listener::edge::{answer, body_or_refusal, header_str, hex_decode, refuse};
use crate::listener::{self, BodyError, Events, ListenerConfig, RunningListener};
use crate::secret::Secret;
pub use replay::ReplayGuard;

/// The store entry holding the port the receiver listens on (`NETBOX_WEBHOOK_LISTEN` may ask for
/// port 0, "any free port": operators and tests read which one it got here).
pub const LISTEN_PORT: &str = "netbox.webhook_port";
/// Largest body accepted; NetBox's interface payloads are a few KB.
pub const MAX_BODY: usize = 1024 * 1024;
/// The header NetBox puts the signature in.
pub const SIGNATURE_HEADER: &str = "x-hook-signature";
/// The only object type that wakes the poller.
pub const WAKING_OBJECT_TYPE: &str = "dcim.interface";
/// How long a sender may take to deliver its body.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a body is remembered as seen: a replay within it wakes nothing.
pub const REPLAY_WINDOW: Duration = Duration::from_secs(300);
/// Most bodies remembered at once (32-byte hashes).
const REPLAY_CAPACITY: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("cannot listen for NetBox webhooks on {addr}: {source} (check NETBOX_WEBHOOK_LISTEN)")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// An empty key would make every signature forgeable.
    #[error("NETBOX_WEBHOOK_SECRET is empty: set it to the secret of NetBox's webhook")]
    EmptySecret,
}

/// What one webhook event said, for the log line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    pub event: Option<String>,
    pub object_type: Option<String>,
    pub request_id: Option<String>,
}

/// What to do with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A signed interface event: wake the poller (200).
    Wake(Event),
    /// Signed, well-formed, but not an interface (202, nothing happens).
    Ignore(Event),
    /// Refused with this status and a short reason (401 signature, 400 body); nothing happens.
    Refuse { status: u16, reason: String },
}

/// Signature first, then the JSON, then the object type.
pub fn judge(secret: &[u8], signature: Option<&str>, body: &[u8]) -> Verdict {
    if let Err(reason) = verify(secret, signature, body) {
        return Verdict::Refuse {
            status: 401,
            reason: reason.to_owned(),
        };
    }
    // Through `Value` first: serde would also read a struct from a JSON array.
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return Verdict::Refuse {
                status: 400,
                reason: format!("the body is not valid JSON: {e}"),
            }
        }
    };
    if !value.is_object() {
        return Verdict::Refuse {
            status: 400,
            reason: "the body is not a JSON object".to_owned(),
        };
    }
    let parsed: WebhookBody = match serde_json::from_value(value) {
        Ok(b) => b,
        Err(e) => {
            return Verdict::Refuse {
                status: 400,
                reason: format!("the body is not a NetBox webhook payload: {e}"),
            }
        }
    };
    let event = Event {
        event: parsed.event.clone().map(|e| bounded(&e)),
        object_type: parsed.object_type().map(|t| bounded(&t)),
        request_id: parsed.request_id().map(|r| bounded(&r)),
    };
    if event.object_type.as_deref() == Some(WAKING_OBJECT_TYPE) {
        Verdict::Wake(event)
    } else {
        Verdict::Ignore(event)
    }
}

/// Checks `signature` (hex HMAC-SHA512 of `body` keyed with `secret`) in constant time.
pub fn verify(secret: &[u8], signature: Option<&str>, body: &[u8]) -> Result<(), &'static str> {
    let sig = signature
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("missing X-Hook-Signature header")?;
    let sig = hex_decode(sig).ok_or("X-Hook-Signature is not hex")?;
    let mut mac = Hmac::<Sha512>::new_from_slice(secret).map_err(|_| "unusable secret")?;
    mac.update(body);
    mac.verify_slice(&sig)
        .map_err(|_| "X-Hook-Signature does not match the body")
}

/// A payload value fit for a log line: bounded, no control characters.
fn bounded(s: &str) -> String {
    s.chars()
        .take(80)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The receiver while it runs. Dropping it stops the server (gracefully); [`Self::stopped`] waits.
#[derive(Debug)]
pub struct RunningWebhook {
    /// Where it listens (the real port when started on port 0).
    pub addr: SocketAddr,
    listener: RunningListener,
}

impl RunningWebhook {
    /// Resolves once the server has stopped (after `shutdown` fires or this handle is dropped
    /// elsewhere); requests in flight finish first.
    pub async fn stopped(&self) {
        self.listener.stopped().await;
    }

    /// The listener's counters (connections, refusals, rate limiting, replays, …).
    pub fn counts(&self) -> listener::Counts {
        self.listener.counts()
    }
}

struct Shared {
    secret: Secret,
    wake: Wakeup,
    replays: Mutex<ReplayGuard>,
    events: Events,
}

/// Binds `listen` and serves `POST /netbox` (and `POST /`) under the listener's default limits
/// until `shutdown` fires. Each signed `dcim.interface` event not seen before calls `wake.wake()`.
pub async fn start(
    listen: SocketAddr,
    secret: Secret,
    wake: Wakeup,
    shutdown: CancellationToken,
) -> Result<RunningWebhook, WebhookError> {
    start_with(listen, secret, wake, ListenerConfig::default(), shutdown).await
}

/// [`start`] under other listener limits.
pub async fn start_with(
    listen: SocketAddr,
    secret: Secret,
    wake: Wakeup,
    limits: ListenerConfig,
    shutdown: CancellationToken,
) -> Result<RunningWebhook, WebhookError> {
    if secret.is_empty() {
        return Err(WebhookError::EmptySecret);
    }
    let events = Events::new("netbox webhook");
    let shared = Arc::new(Shared {
        secret,
        wake,
        replays: Mutex::new(ReplayGuard::new(REPLAY_WINDOW, REPLAY_CAPACITY)),
        events: events.clone(),
    });
    let app = Router::new()
        .route("/netbox", post(receive))
        .route("/netbox/", post(receive))
        .route("/", post(receive))
        .with_state(shared);
    let listener = listener::serve(listen, app, limits, events, shutdown)
        .await
        .map_err(
            |listener::ListenerError::Bind { addr, source }| WebhookError::Bind { addr, source },
        )?;
    let addr = listener.addr;
    tracing::info!(%addr, "netbox webhook receiver listening");
    Ok(RunningWebhook { addr, listener })
}

async fn receive(State(sh): State<Arc<Shared>>, req: Request) -> Response {
    let events = &sh.events;
    let (parts, body) = req.into_parts();
    let too_large = BodyError::TooLarge { max: MAX_BODY }.to_string();
    if listener::declared_too_large(&parts.headers, MAX_BODY) {
        return refuse(events, StatusCode::PAYLOAD_TOO_LARGE, &too_large);
    }
    let signature = header_str(&parts.headers, SIGNATURE_HEADER);
    if signature.is_none() {
        return refuse(
            events,
            StatusCode::UNAUTHORIZED,
            "missing X-Hook-Signature header",
        );
    }
    let bytes = match body_or_refusal(events, body, MAX_BODY, BODY_TIMEOUT).await {
        Ok(b) => b,
        Err(refusal) => return refusal,
    };
    match judge(sh.secret.expose().as_bytes(), signature, &bytes) {
        Verdict::Refuse { status, reason } => refuse(
            events,
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            &reason,
        ),
        Verdict::Wake(e) => {
            let first = sh
                .replays
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .first_time(&bytes, Instant::now());
            if !first {
                events.note(
                    listener::Event::Replay,
                    &format_args!("request_id {}", e.request_id.as_deref().unwrap_or("?")),
                );
                return answer(StatusCode::OK, json!({ "woken": false, "replay": true }));
            }
            sh.wake.wake();
            log(&e, true);
            answer(StatusCode::OK, json!({ "woken": true }))
        }
        Verdict::Ignore(e) => {
            log(&e, false);
            answer(
                StatusCode::ACCEPTED,
                json!({ "woken": false, "ignored": "only dcim.interface events wake the poller" }),
            )
        }
    }
}

fn log(e: &Event, woke: bool) {
    tracing::info!(
        event = e.event.as_deref().unwrap_or("?"),
        object_type = e.object_type.as_deref().unwrap_or("?"),
        request_id = e.request_id.as_deref().unwrap_or("?"),
        woke,
        "netbox webhook"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"s3cret";

    fn sign(body: &[u8]) -> String {
        let mut mac = Hmac::<Sha512>::new_from_slice(SECRET).unwrap();
        mac.update(body);
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn signature_is_checked_before_anything_else() {
        let body = br#"{"event":"updated","object_type":"dcim.interface","data":{}}"#;
        let good = sign(body);
        assert!(matches!(judge(SECRET, Some(&good), body), Verdict::Wake(_)));
        assert!(matches!(
            judge(SECRET, Some(&good.to_uppercase()), body),
            Verdict::Wake(_)
        ));
        for sig in [
            None,
            Some(""),
            Some("nothex"),
            Some(&good[..64]),
            Some(&sign(b"{}")),
        ] {
            assert!(
                matches!(
                    judge(SECRET, sig, body),
                    Verdict::Refuse { status: 401, .. }
                ),
                "{sig:?}"
            );
        }
        // A wrong signature on garbage is a 401, not a 400: nothing is parsed unsigned.
        assert!(matches!(
            judge(SECRET, Some("00"), b"{not json"),
            Verdict::Refuse { status: 401, .. }
        ));
    }

    #[test]
    fn bodies_are_classified_by_object_type() {
        let v = |body: &[u8]| judge(SECRET, Some(&sign(body)), body);
        let old = br#"{"event":"updated","model":"interface","username":"u","request_id":"r1","data":{}}"#;
        assert_eq!(
            v(old),
            Verdict::Wake(Event {
                event: Some("updated".into()),
                object_type: Some("dcim.interface".into()),
                request_id: Some("r1".into()),
            })
        );
        let new = br#"{"event":"updated","object_type":"dcim.interface","request":{"id":"r2","user":"u"},"data":{}}"#;
        assert!(matches!(v(new), Verdict::Wake(Event { request_id: Some(r), .. }) if r == "r2"));
        assert!(matches!(
            v(br#"{"event":"created","object_type":"dcim.device","data":{}}"#),
            Verdict::Ignore(_)
        ));
        assert!(matches!(v(b"{}"), Verdict::Ignore(_)));
        match v(br#"{"event":"updated","object_type":"dcim.inter"#) {
            Verdict::Refuse {
                status: 400,
                reason,
            } => assert!(reason.contains("column"), "{reason}"),
            other => panic!("{other:?}"),
        }
        for bad in [&b"[1,2]"[..], b"\"x\"", b"", b"\xff\xfe"] {
            assert!(
                matches!(v(bad), Verdict::Refuse { status: 400, .. }),
                "{bad:?}"
            );
        }
    }
}
