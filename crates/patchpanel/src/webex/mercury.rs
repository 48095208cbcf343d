//! The Mercury socket: the single reconnect loop (discovery, device, connect, authorize, keepalive,
//! ack, dispatch) and one socket session (docs/webex.md §2).

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use reqwest::Url;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{sleep_until, timeout, Instant};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message as WsMessage};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

use super::device::{self, Registration, ServiceCatalog};
use super::dispatch::Dispatcher;
use super::frames::{self, FrameKind};
use super::policy::{self, Action, SessionEnd};
use super::{BotIdentity, WebexConfig, WebexError, WebexRest};
use crate::backoff::Backoff;
use crate::inbound::Inbound;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Keepalive and reconnect intervals (defaults: docs/webex.md §2.2–§2.6); tests shorten them.
#[derive(Debug, Clone)]
pub struct MercuryTimings {
    /// Connect + authorize must reach `mercury.buffer_state` within this.
    pub ready_timeout: Duration,
    /// An app-level ping is sent this long after the last pong (or readiness).
    pub ping_interval: Duration,
    /// The matching pong must arrive within this.
    pub pong_timeout: Duration,
    /// No frame of any kind for this long = dead socket.
    pub silence_timeout: Duration,
    /// First reconnect delay; doubles per failed attempt (jittered) up to `backoff_max`.
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
}

impl Default for MercuryTimings {
    fn default() -> Self {
        MercuryTimings {
            ready_timeout: Duration::from_secs(30),
            ping_interval: Duration::from_secs(15),
            pong_timeout: Duration::from_secs(14),
            silence_timeout: Duration::from_secs(30),
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(32),
        }
    }
}

/// Largest inbound frame accepted; Webex events are a few KiB.
const MAX_FRAME_BYTES: usize = 8 * 1024 * 1024;
/// See `new_devices_in_a_row`; past it the loop reuses (PUT-refreshes) our newest device instead.
const MAX_NEW_DEVICES_IN_A_ROW: u32 = 3;
/// A write that takes longer means the connection is stuck.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
const OUR_QUERY: [(&str, &str); 3] = [
    ("outboundWireFormat", "text"),
    ("bufferStates", "true"),
    ("aliasHttpStatus", "true"),
];

/// `webSocketUrl` with our query parameters merged in (replacing any it already has).
pub fn socket_url(web_socket_url: &str) -> Result<Url, WebexError> {
    let mut url = Url::parse(web_socket_url).map_err(|e| WebexError::InvalidResponse {
        what: "device webSocketUrl".to_owned(),
        detail: e.to_string(),
    })?;
    let keep: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !OUR_QUERY.iter().any(|(ours, _)| ours == k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    {
        let mut q = url.query_pairs_mut();
        q.clear();
        for (k, v) in &keep {
            q.append_pair(k, v);
        }
        for (k, v) in OUR_QUERY {
            q.append_pair(k, v);
        }
    }
    Ok(url)
}

/// The whole lifecycle; returns Ok(()) on shutdown and Err on a fatal stop.
pub async fn run(
    cfg: WebexConfig,
    rest: WebexRest,
    identity: BotIdentity,
    tx: mpsc::Sender<Inbound>,
    shutdown: CancellationToken,
    timings: MercuryTimings,
) -> Result<(), WebexError> {
    let mut dispatcher = Dispatcher::new(rest.clone(), identity, tx, shutdown.child_token());
    let result = reconnect_loop(&cfg, &rest, &mut dispatcher, &shutdown, &timings).await;
    dispatcher.shutdown().await;
    match &result {
        Ok(()) => tracing::info!("webex listener stopped"),
        Err(e) => tracing::error!(error = %e, "webex listener stopped"),
    }
    result
}

/// The one reconnect owner: nothing else opens sockets or registers devices.
async fn reconnect_loop(
    cfg: &WebexConfig,
    rest: &WebexRest,
    dispatcher: &mut Dispatcher,
    shutdown: &CancellationToken,
    timings: &MercuryTimings,
) -> Result<(), WebexError> {
    let mut backoff = Backoff::new(timings.backoff_initial, timings.backoff_max);
    let mut catalog: Option<ServiceCatalog> = None;
    let mut registration: Option<Registration> = None;
    let mut fresh_device = false;
    // Devices POSTed after 404s with no healthy socket since; capped so a broken registration
    // service cannot make us leak a device per backoff step.
    let mut new_devices_in_a_row: u32 = 0;
    loop {
        if shutdown.is_cancelled() {
            return Ok(());
        }
        let cat = match &catalog {
            Some(c) => c.clone(),
            None => {
                let c = tokio::select! {
                    _ = shutdown.cancelled() => return Ok(()),
                    r = device::discover(rest, &cfg.u2c_url) => r?,
                };
                catalog = Some(c.clone());
                c
            }
        };
        let reg = match &registration {
            Some(r) => r.clone(),
            None => {
                let attempt = async {
                    if fresh_device {
                        device::create(rest, &cat.wdm_url, &cfg.device_name).await
                    } else {
                        device::register(rest, &cat.wdm_url, &cfg.device_name).await
                    }
                };
                let r = tokio::select! {
                    _ = shutdown.cancelled() => return Ok(()),
                    r = attempt => r,
                };
                match r {
                    Ok(r) => {
                        fresh_device = false;
                        registration = Some(r.clone());
                        r
                    }
                    Err(e) if e.is_fatal() => return Err(e),
                    Err(e) => {
                        tracing::warn!(error = %e, "webex device registration failed; will retry");
                        if !pause(&mut backoff, shutdown).await {
                            return Ok(());
                        }
                        continue;
                    }
                }
            }
        };
        let (end, healthy) = match session(&reg, rest, dispatcher, &cat, shutdown, timings).await {
            Outcome::Shutdown => return Ok(()),
            Outcome::Ended { end, healthy } => (end, healthy),
        };
        if healthy {
            backoff.reset();
            new_devices_in_a_row = 0;
        }
        let action = policy::decide(&end);
        tracing::warn!(?end, ?action, healthy, "webex socket ended");
        match action {
            Action::StopTokenRejected => return Err(WebexError::TokenRejected),
            Action::StopReplaced => return Err(WebexError::Replaced),
            Action::ReconnectNow => continue,
            Action::NewDevice => {
                registration = None;
                new_devices_in_a_row += 1;
                fresh_device = new_devices_in_a_row <= MAX_NEW_DEVICES_IN_A_ROW;
            }
            Action::Reconnect => {}
        }
        if !pause(&mut backoff, shutdown).await {
            return Ok(());
        }
    }
}

/// Waits the next backoff delay; false when shut down meanwhile.
async fn pause(backoff: &mut Backoff, shutdown: &CancellationToken) -> bool {
    let d = backoff.next_delay(fastrand::f64());
    tracing::info!(delay_ms = d.as_millis() as u64, "webex reconnect backoff");
    tokio::select! {
        _ = shutdown.cancelled() => false,
        _ = tokio::time::sleep(d) => true,
    }
}

enum Outcome {
    Shutdown,
    /// `healthy`: the socket reached readiness before it ended.
    Ended {
        end: SessionEnd,
        healthy: bool,
    },
}

fn ended(end: SessionEnd, healthy: bool) -> Outcome {
    Outcome::Ended { end, healthy }
}

async fn connect(url: &Url, timings: &MercuryTimings) -> Result<Socket, SessionEnd> {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES));
    let attempt = tokio_tungstenite::connect_async_with_config(url.as_str(), Some(config), true);
    match timeout(timings.ready_timeout, attempt).await {
        Err(_) => Err(SessionEnd::Dead("connect timed out".to_owned())),
        Ok(Ok((ws, _resp))) => Ok(ws),
        Ok(Err(WsError::Http(resp))) => Err(SessionEnd::Handshake(resp.status().as_u16())),
        Ok(Err(e)) => Err(SessionEnd::Dead(format!("connect: {e}"))),
    }
}

/// One socket from connect to close.
async fn session(
    reg: &Registration,
    rest: &WebexRest,
    dispatcher: &mut Dispatcher,
    catalog: &ServiceCatalog,
    shutdown: &CancellationToken,
    timings: &MercuryTimings,
) -> Outcome {
    let url = match socket_url(&reg.web_socket_url) {
        Ok(u) => u,
        // An unusable URL from WDM: get a new device rather than spin on it.
        Err(_) => return ended(SessionEnd::Handshake(404), false),
    };
    let mut ws = tokio::select! {
        _ = shutdown.cancelled() => return Outcome::Shutdown,
        r = connect(&url, timings) => match r {
            Ok(ws) => ws,
            Err(end) => return ended(end, false),
        },
    };
    let auth_id = uuid::Uuid::new_v4().to_string();
    let auth = frames::auth_frame(&auth_id, rest.token().expose());
    if let Err(e) = send_text(&mut ws, auth).await {
        return ended(
            SessionEnd::Dead(format!("sending authorization: {e}")),
            false,
        );
    }
    tracing::info!(
        host = url.host_str().unwrap_or(""),
        "webex socket open; authorizing"
    );

    let started = Instant::now();
    let mut ready = false;
    let mut last_rx = Instant::now();
    let mut next_ping: Option<Instant> = None;
    let mut pending_pong: Option<(String, Instant)> = None;
    let mut last_seq: Option<u64> = None;

    loop {
        let silence_at = last_rx + timings.silence_timeout;
        let ready_at = started + timings.ready_timeout;
        let ping_at = match (&pending_pong, next_ping) {
            (None, Some(t)) => Some(t),
            _ => None,
        };
        let pong_at = pending_pong.as_ref().map(|(_, t)| *t);
        tokio::select! {
            _ = shutdown.cancelled() => {
                let frame = CloseFrame { code: CloseCode::Normal, reason: "shutdown".into() };
                let _ = timeout(Duration::from_secs(2), ws.close(Some(frame))).await;
                return Outcome::Shutdown;
            }
            _ = sleep_until(silence_at) => {
                return ended(SessionEnd::Dead("socket silent".to_owned()), ready);
            }
            _ = sleep_until(ready_at), if !ready => {
                return ended(SessionEnd::Dead("not ready in time".to_owned()), false);
            }
            _ = sleep_until_opt(ping_at) => {
                let id = uuid::Uuid::new_v4().to_string();
                if let Err(e) = send_text(&mut ws, frames::ping_frame(&id)).await {
                    return ended(SessionEnd::Dead(format!("sending ping: {e}")), ready);
                }
                pending_pong = Some((id, Instant::now() + timings.pong_timeout));
            }
            _ = sleep_until_opt(pong_at) => {
                close_quietly(&mut ws, "pong not received").await;
                return ended(SessionEnd::Dead("pong not received".to_owned()), ready);
            }
            msg = ws.next() => {
                last_rx = Instant::now();
                let payload = match msg {
                    None => return ended(SessionEnd::Closed { code: None, reason: "stream ended".to_owned() }, ready),
                    Some(Err(e)) => return ended(read_error(e), ready),
                    Some(Ok(WsMessage::Text(t))) => t.as_bytes().to_vec(),
                    Some(Ok(WsMessage::Binary(b))) => b.to_vec(),
                    Some(Ok(WsMessage::Close(frame))) => {
                        let (code, reason) = match frame {
                            Some(f) => (Some(u16::from(f.code)), f.reason.to_string()),
                            None => (None, String::new()),
                        };
                        return ended(SessionEnd::Closed { code, reason }, ready);
                    }
                    // Protocol pings are answered by tungstenite; they only prove liveness.
                    Some(Ok(_)) => continue,
                };
                let frame = match frames::classify(&payload) {
                    Ok(f) => f,
                    Err(e) => {
                        tracing::warn!(error = %e, excerpt = %frames::payload_excerpt(&payload), "malformed webex frame skipped");
                        continue;
                    }
                };
                // Ack before dispatch: the server then stops re-delivering it (at-most-once + dedupe).
                if let Some(id) = &frame.ack_id {
                    if let Err(e) = send_text(&mut ws, frames::ack_frame(id)).await {
                        return ended(SessionEnd::Dead(format!("sending ack: {e}")), ready);
                    }
                }
                if let (Some(prev), Some(seq)) = (last_seq, frame.sequence_number) {
                    if seq != prev.wrapping_add(1) {
                        tracing::debug!(prev, seq, "webex sequence gap");
                    }
                }
                last_seq = frame.sequence_number.or(last_seq);
                match frame.kind {
                    FrameKind::Ready => {
                        if !ready {
                            ready = true;
                            next_ping = Some(Instant::now() + timings.ping_interval);
                            tracing::info!("webex socket ready");
                        }
                    }
                    FrameKind::Pong { id } => match (&pending_pong, id) {
                        (Some((want, _)), Some(got)) if *want == got => {
                            pending_pong = None;
                            next_ping = Some(Instant::now() + timings.ping_interval);
                        }
                        (Some(_), _) => {
                            close_quietly(&mut ws, "pong mismatch").await;
                            return ended(SessionEnd::Dead("pong mismatch".to_owned()), ready);
                        }
                        (None, _) => tracing::debug!("unsolicited pong"),
                    },
                    FrameKind::Shutdown => {
                        tracing::info!("webex server is draining this socket; reconnecting");
                        close_quietly(&mut ws, "shutdown").await;
                        return ended(SessionEnd::ServerShutdown, ready);
                    }
                    FrameKind::Error if !ready => {
                        return ended(SessionEnd::AuthError, false);
                    }
                    FrameKind::Error => tracing::warn!("webex error frame on a ready socket ignored"),
                    FrameKind::Activity(a) => dispatcher.handle(*a, catalog),
                    FrameKind::Ignored { what } => tracing::trace!(%what, "webex frame ignored"),
                }
            }
        }
    }
}

/// Why a frame could not be written; the session ends either way.
#[derive(Debug, thiserror::Error)]
enum SendError {
    #[error(transparent)]
    Socket(#[from] tokio_tungstenite::tungstenite::Error),
    #[error("write timed out")]
    TimedOut,
}

async fn send_text(ws: &mut Socket, text: String) -> Result<(), SendError> {
    match timeout(SEND_TIMEOUT, ws.send(WsMessage::text(text))).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(SendError::Socket(e)),
        Err(_) => Err(SendError::TimedOut),
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(t) => sleep_until(t).await,
        None => std::future::pending().await,
    }
}

async fn close_quietly(ws: &mut Socket, reason: &str) {
    let frame = CloseFrame {
        code: CloseCode::Normal,
        reason: reason.to_owned().into(),
    };
    let _ = timeout(Duration::from_secs(2), ws.close(Some(frame))).await;
}

fn read_error(e: WsError) -> SessionEnd {
    match e {
        WsError::ConnectionClosed | WsError::AlreadyClosed => SessionEnd::Closed {
            code: None,
            reason: "connection closed".to_owned(),
        },
        other => SessionEnd::Closed {
            code: None,
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_our_query_into_the_socket_url() {
        let u = socket_url(
            "wss://mercury-connection-a.wbx2.com/v1/apps/wx2/registrations/r/messages?x=1&bufferStates=false",
        )
        .unwrap();
        let pairs: Vec<(String, String)> =
            u.query_pairs().map(|(k, v)| (k.into(), v.into())).collect();
        assert_eq!(
            pairs,
            vec![
                ("x".into(), "1".into()),
                ("outboundWireFormat".into(), "text".into()),
                ("bufferStates".into(), "true".into()),
                ("aliasHttpStatus".into(), "true".into()),
            ]
        );
        assert_eq!(u.path(), "/v1/apps/wx2/registrations/r/messages");
        assert!(socket_url("not a url").is_err());
    }

    #[test]
    fn default_timings_follow_the_spec() {
        let t = MercuryTimings::default();
        assert_eq!(t.ping_interval, Duration::from_secs(15));
        assert_eq!(t.pong_timeout, Duration::from_secs(14));
        assert_eq!(t.ready_timeout, Duration::from_secs(30));
        assert_eq!(t.backoff_max, Duration::from_secs(32));
    }
}
