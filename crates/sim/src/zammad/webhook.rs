//! The webhook a Zammad trigger runs (docs/zammad.md §5): `POST` of the default payload with
//! `User-Agent: Zammad User Agent`, `X-Zammad-Trigger`, `X-Zammad-Delivery` (the job's id, the
//! same on every retry) and, with a signature token, `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the
//! raw body>`; a non-2xx answer or a failed connection is retried (Zammad: 5 attempts, waiting
//! 10 s × attempt). Every attempt is recorded for `/_sim/state`. Plain `http://` only.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha1::Sha1;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::time::{iso, now_ms};
use super::Shared;

/// The trigger name sent when none is configured.
pub const DEFAULT_TRIGGER: &str = "patchpanel network change";
/// `TriggerWebhookJob`: `retry_on …, attempts: 5, wait: executions * 10.seconds`.
pub const ATTEMPTS: u32 = 5;
pub const RETRY_WAIT: Duration = Duration::from_secs(10);
/// `UserAgent.post`'s `open_timeout` and `total_timeout`.
const OPEN_TIMEOUT: Duration = Duration::from_secs(4);
const TOTAL_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the trigger's webhook posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    pub url: String,
    /// The signature token: with one, every delivery carries `X-Hub-Signature`.
    pub secret: Option<String>,
    pub trigger: String,
}

impl WebhookTarget {
    /// Checks what the admin screen would: an `http://` URL and header-safe names.
    pub fn new(url: &str, secret: Option<String>, trigger: Option<String>) -> Result<Self, String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("webhook url {url:?}: {e}"))?;
        if parsed.scheme() != "http" || parsed.host_str().is_none() {
            return Err(format!(
                "webhook url {url:?}: the simulator posts to http:// URLs only"
            ));
        }
        let trigger = trigger.unwrap_or_else(|| DEFAULT_TRIGGER.to_owned());
        if trigger.is_empty() || trigger.chars().any(char::is_control) {
            return Err("trigger must be a non-empty name without control characters".into());
        }
        if secret
            .as_deref()
            .is_some_and(|s| s.chars().any(char::is_control))
        {
            return Err("secret must not contain control characters".into());
        }
        Ok(WebhookTarget {
            url: url.to_owned(),
            secret: secret.filter(|s| !s.is_empty()),
            trigger,
        })
    }
}

/// One attempt's outcome.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub at: i64,
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// One delivery (one trigger run) and its attempts.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub trigger: String,
    pub url: String,
    pub ticket_id: u64,
    pub article_id: Option<u64>,
    pub signature: Option<String>,
    pub body: Vec<u8>,
    pub attempts: Vec<Attempt>,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pending,
    Delivered,
    Failed,
}

impl Delivery {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "trigger": self.trigger,
            "url": self.url,
            "ticket_id": self.ticket_id,
            "article_id": self.article_id,
            "signature": self.signature,
            "outcome": match self.outcome {
                Outcome::Pending => "pending",
                Outcome::Delivered => "delivered",
                Outcome::Failed => "failed",
            },
            "attempts": self.attempts.iter().map(|a| json!({
                "at": iso(a.at), "status": a.status, "error": a.error,
            })).collect::<Vec<_>>(),
        })
    }
}

/// `sha1=<hex>` of the body under the token (`lib/user_agent.rb`).
pub fn signature(secret: &str, body: &[u8]) -> Option<String> {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Some(format!("sha1={hex}"))
}

/// Posts one delivery until it succeeds or the attempts run out; waits end early on shutdown.
/// Its record is found by id each time, as `/_sim/reset` may have dropped it meanwhile.
pub async fn deliver(shared: Arc<Shared>, d: Delivery) {
    for attempt in 1..=shared.attempts {
        let result = tokio::time::timeout(TOTAL_TIMEOUT, post(&d)).await;
        let (status, error) = match result {
            Ok(Ok(status)) => (Some(status), None),
            Ok(Err(e)) => (None, Some(e)),
            Err(_) => (None, Some("timed out".to_owned())),
        };
        let ok = status.is_some_and(|s| (200..300).contains(&s));
        let last = attempt == shared.attempts;
        {
            let mut inner = shared.lock();
            if let Some(rec) = inner.deliveries.iter_mut().find(|r| r.id == d.id) {
                rec.attempts.push(Attempt {
                    at: now_ms(),
                    status,
                    error,
                });
                if ok {
                    rec.outcome = Outcome::Delivered;
                } else if last {
                    rec.outcome = Outcome::Failed;
                }
            }
        }
        shared.delivery_done.notify_waiters();
        if ok || last {
            return;
        }
        let wait = wait_after(attempt, shared.retry_wait);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = shared.shutdown.cancelled() => return,
        }
    }
}

/// The pause after failed attempt `n` (1-based): `executions * 10.seconds` in Zammad's job.
pub fn wait_after(attempt: u32, retry_wait: Duration) -> Duration {
    retry_wait.saturating_mul(attempt)
}

/// One HTTP/1.1 POST; the answer's status code.
async fn post(d: &Delivery) -> Result<u16, String> {
    let url = url::Url::parse(&d.url).map_err(|e| e.to_string())?;
    let host = url.host_str().unwrap_or_default().to_owned();
    let port = url.port_or_known_default().unwrap_or(80);
    let stream = tokio::time::timeout(OPEN_TIMEOUT, TcpStream::connect((host.as_str(), port)))
        .await
        .map_err(|_| "connect timed out".to_owned())?
        .map_err(|e| format!("connect: {e}"))?;
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let host_header = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.clone(),
    };
    let mut head = format!(
        "POST {target} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: Zammad User Agent\r\n\
         Content-Type: application/json; charset=utf-8\r\nAccept: */*\r\n\
         X-Zammad-Trigger: {}\r\nX-Zammad-Delivery: {}\r\n",
        d.trigger, d.id
    );
    if let Some(sig) = &d.signature {
        head.push_str(&format!("X-Hub-Signature: {sig}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        d.body.len()
    ));
    let mut stream = BufReader::new(stream);
    let w = stream.get_mut();
    w.write_all(head.as_bytes())
        .await
        .map_err(|e| format!("send: {e}"))?;
    w.write_all(&d.body)
        .await
        .map_err(|e| format!("send: {e}"))?;
    w.flush().await.map_err(|e| format!("send: {e}"))?;
    let mut line = String::new();
    stream
        .read_line(&mut line)
        .await
        .map_err(|e| format!("read: {e}"))?;
    line.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {:?}", line.trim_end()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hex_hmac_sha1() {
        // RFC 2202 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?").as_deref(),
            Some("sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        );
    }

    #[test]
    fn zammads_schedule_waits_ten_seconds_times_the_attempt() {
        let waits: Vec<u64> = (1..ATTEMPTS)
            .map(|n| wait_after(n, RETRY_WAIT).as_secs())
            .collect();
        assert_eq!(waits, vec![10, 20, 30, 40]);
    }

    #[test]
    fn targets_are_checked() {
        assert!(WebhookTarget::new("https://x.example/hook", None, None).is_err());
        assert!(WebhookTarget::new("http://127.0.0.1:1/h", None, Some("a\r\nb".into())).is_err());
        let t = WebhookTarget::new("http://127.0.0.1:1/h", Some(String::new()), None).unwrap();
        assert_eq!((t.secret, t.trigger.as_str()), (None, DEFAULT_TRIGGER));
    }
}
