//! The optional Zammad webhook receiver (docs/zammad.md §5): a trigger's signed `POST` means "search
//! for tickets now". It checks `X-Hub-Signature` (`sha1=` + hex HMAC-SHA1 of the exact body) before
//! reading anything, answers a delivery it has seen (`X-Zammad-Delivery`, Zammad's retries) without
//! waking, and otherwise only wakes the poller: the ticket in the body is never acted on, the poller
//! reads it again, so a forged or stale body cannot change anything.
//!
//! The decision is pure ([`judge`]); the axum edge ([`start`]) runs behind the hardened
//! [`crate::listener`] like the NetBox receiver, with the same body bound.

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
use sha1::Sha1;
use tokio_util::sync::CancellationToken;

use crate::listener::edge::{answer, body_or_refusal, header_str, hex_decode, refuse};
use crate::listener::{self, BodyError, Events, ListenerConfig, RunningListener};
use crate::netbox::webhook::ReplayGuard;
use crate::netbox::Wakeup;
use crate::secret::Secret;

/// Largest body accepted: an expanded ticket with nested users is a few tens of KB.
pub const MAX_BODY: usize = 1024 * 1024;
/// Where Zammad puts the signature.
pub const SIGNATURE_HEADER: &str = "x-hub-signature";
/// Zammad's id of one delivery (the same on its retries).
pub const DELIVERY_HEADER: &str = "x-zammad-delivery";
/// The store entry holding the port the receiver listens on (`ZAMMAD_WEBHOOK_LISTEN` may ask for
/// port 0).
pub const LISTEN_PORT: &str = "zammad.webhook_port";
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a delivery id is remembered (Zammad retries within a minute or so).
const DELIVERY_WINDOW: Duration = Duration::from_secs(600);
const DELIVERY_CAPACITY: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum ZammadWebhookError {
    #[error("cannot listen for Zammad webhooks on {addr}: {source} (check ZAMMAD_WEBHOOK_LISTEN)")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// An empty key would make every signature forgeable.
    #[error("ZAMMAD_WEBHOOK_SECRET is empty: set it to the webhook's HMAC-SHA1 signature token")]
    EmptySecret,
}

/// What to do with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Signed and a ticket payload: wake the poller (200). Carries the ticket id for the log.
    Wake { ticket_id: Option<u64> },
    /// Refused with this status and a short reason; nothing happens.
    Refuse { status: u16, reason: String },
}

/// Signature first, then the JSON's shape (an object with a `ticket` object).
pub fn judge(secret: &[u8], signature: Option<&str>, body: &[u8]) -> Verdict {
    if let Err(reason) = verify(secret, signature, body) {
        return Verdict::Refuse {
            status: 401,
            reason: reason.to_owned(),
        };
    }
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return Verdict::Refuse {
                status: 400,
                reason: format!("the body is not valid JSON: {e}"),
            }
        }
    };
    match value.get("ticket") {
        Some(t) if t.is_object() => Verdict::Wake {
            ticket_id: t.get("id").and_then(serde_json::Value::as_u64),
        },
        _ => Verdict::Refuse {
            status: 400,
            reason: "the body has no `ticket` object (only Zammad's default webhook payload is \
                     accepted)"
                .to_owned(),
        },
    }
}

/// Checks `sha1=<hex>` (HMAC-SHA1 of `body` keyed with `secret`) in constant time.
pub fn verify(secret: &[u8], signature: Option<&str>, body: &[u8]) -> Result<(), &'static str> {
    let sig = signature
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("missing X-Hub-Signature header")?;
    let hex = sig
        .strip_prefix("sha1=")
        .ok_or("X-Hub-Signature does not start with sha1=")?;
    let sig = hex_decode(hex).ok_or("X-Hub-Signature is not hex")?;
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).map_err(|_| "unusable secret")?;
    mac.update(body);
    mac.verify_slice(&sig)
        .map_err(|_| "X-Hub-Signature does not match the body")
}

/// The receiver while it runs; dropping it stops the server.
#[derive(Debug)]
pub struct RunningZammadWebhook {
    /// Where it listens (the real port when started on port 0).
    pub addr: SocketAddr,
    listener: RunningListener,
}

impl RunningZammadWebhook {
    pub async fn stopped(&self) {
        self.listener.stopped().await;
    }

    pub fn counts(&self) -> listener::Counts {
        self.listener.counts()
    }
}

struct Shared {
    secret: Secret,
    wake: Wakeup,
    deliveries: Mutex<ReplayGuard>,
    events: Events,
}

/// Binds `listen` and serves `POST /zammad` (and `POST /`) until `shutdown` fires.
pub async fn start(
    listen: SocketAddr,
    secret: Secret,
    wake: Wakeup,
    shutdown: CancellationToken,
) -> Result<RunningZammadWebhook, ZammadWebhookError> {
    if secret.is_empty() {
        return Err(ZammadWebhookError::EmptySecret);
    }
    let events = Events::new("zammad webhook");
    let shared = Arc::new(Shared {
        secret,
        wake,
        deliveries: Mutex::new(ReplayGuard::new(DELIVERY_WINDOW, DELIVERY_CAPACITY)),
        events: events.clone(),
    });
    let app = Router::new()
        .route("/zammad", post(receive))
        .route("/zammad/", post(receive))
        .route("/", post(receive))
        .with_state(shared);
    let listener = listener::serve(listen, app, ListenerConfig::default(), events, shutdown)
        .await
        .map_err(
            |listener::ListenerError::Bind { addr, source }| ZammadWebhookError::Bind {
                addr,
                source,
            },
        )?;
    let addr = listener.addr;
    tracing::info!(%addr, "zammad webhook receiver listening");
    Ok(RunningZammadWebhook { addr, listener })
}

async fn receive(State(sh): State<Arc<Shared>>, req: Request) -> Response {
    let events = &sh.events;
    let (parts, body) = req.into_parts();
    if listener::declared_too_large(&parts.headers, MAX_BODY) {
        let reason = BodyError::TooLarge { max: MAX_BODY }.to_string();
        return refuse(events, StatusCode::PAYLOAD_TOO_LARGE, &reason);
    }
    let signature = header_str(&parts.headers, SIGNATURE_HEADER);
    if signature.is_none() {
        return refuse(
            events,
            StatusCode::UNAUTHORIZED,
            "missing X-Hub-Signature header",
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
        Verdict::Wake { ticket_id } => {
            // A retry of a delivery already taken carries the same id; without one, the body.
            let key: &[u8] = match header_str(&parts.headers, DELIVERY_HEADER) {
                Some(d) if !d.trim().is_empty() => d.trim().as_bytes(),
                _ => &bytes,
            };
            let first = sh
                .deliveries
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .first_time(key, Instant::now());
            if !first {
                events.note(
                    listener::Event::Replay,
                    &format_args!("ticket {ticket_id:?}"),
                );
                return answer(StatusCode::OK, json!({ "woken": false, "repeat": true }));
            }
            sh.wake.wake();
            tracing::info!(ticket_id, "zammad webhook: poll woken");
            answer(StatusCode::OK, json!({ "woken": true }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"zammad-s3cret";

    fn sign(body: &[u8]) -> String {
        let mut mac = Hmac::<Sha1>::new_from_slice(SECRET).unwrap();
        mac.update(body);
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("sha1={hex}")
    }

    #[test]
    fn a_signed_ticket_payload_wakes() {
        let body = br#"{"ticket": {"id": 12, "number": "15012"}, "article": {}}"#;
        assert_eq!(
            judge(SECRET, Some(&sign(body)), body),
            Verdict::Wake {
                ticket_id: Some(12)
            }
        );
    }

    #[test]
    fn the_signature_is_checked_before_the_body_is_read() {
        let body = br#"{"ticket": {"id": 12}}"#;
        let good = sign(body);
        let hex = good.trim_start_matches("sha1=").to_owned();
        for (sig, says) in [
            (None, "missing X-Hub-Signature"),
            (Some(""), "missing X-Hub-Signature"),
            (Some(hex.as_str()), "does not start with sha1="),
            (Some("sha1=zz"), "not hex"),
            (Some("sha1=00"), "does not match"),
        ] {
            let Verdict::Refuse { status, reason } = judge(SECRET, sig, body) else {
                panic!("{sig:?} was accepted")
            };
            assert_eq!(status, 401);
            assert!(reason.contains(says), "{reason}");
        }
        let other = br#"{"ticket": {"id": 13}}"#;
        assert!(matches!(
            judge(SECRET, Some(&good), other),
            Verdict::Refuse { status: 401, .. }
        ));
        let garbage = b"not json";
        assert!(matches!(
            judge(SECRET, Some(&sign(garbage)), garbage),
            Verdict::Refuse { status: 400, .. }
        ));
        let no_ticket = br#"{"article": {}}"#;
        assert!(matches!(
            judge(SECRET, Some(&sign(no_ticket)), no_ticket),
            Verdict::Refuse { status: 400, .. }
        ));
    }
}
