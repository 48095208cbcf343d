//! The Mercury WebSocket at a device's `webSocketUrl`: in-band authorization with a deadline,
//! `mercury.buffer_state`, app-level ping/pong, acks, redelivery of unacked frames when the same
//! registration reconnects, and one live socket per registration (a newer one replaces the older with
//! 4000 `replaced`). The hub is how the rest of the simulator reaches the live sockets.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::SinkExt;
use serde_json::Value;
use tokio::sync::mpsc;

use super::activity::{self, Envelope};
use super::http::ApiError;
use super::state::BOT_UUID;
use super::wire::epoch_ms;
use super::{Inner, Shared};

/// Frames queued for one socket before it counts as too slow (they stay unacked, so a reconnect
/// gets them back).
const SOCKET_QUEUE: usize = 1024;
/// How long a closing socket waits for the client's close reply.
const CLOSE_LINGER: Duration = Duration::from_secs(2);
const MAX_MESSAGE: usize = 1 << 20;

/// What the simulator can ask of a live socket.
#[derive(Debug)]
pub(crate) enum SocketCmd {
    Frame(Envelope),
    Raw(Message),
    Close(u16, String),
    /// Drop the TCP connection without a close frame.
    Drop,
    /// Another socket took this registration.
    Replaced,
}

#[derive(Debug)]
struct SocketHandle {
    conn_id: u64,
    tx: mpsc::Sender<SocketCmd>,
}

/// The live sockets, one per registration.
#[derive(Debug, Default)]
pub(crate) struct Hub {
    sockets: HashMap<String, SocketHandle>,
    next_id: u64,
}

impl Hub {
    fn register(&mut self, reg: &str, tx: mpsc::Sender<SocketCmd>) -> u64 {
        self.next_id += 1;
        let conn_id = self.next_id;
        if let Some(old) = self
            .sockets
            .insert(reg.to_owned(), SocketHandle { conn_id, tx })
        {
            let _ = old.tx.try_send(SocketCmd::Replaced);
        }
        conn_id
    }

    fn unregister(&mut self, reg: &str, conn_id: u64) {
        if self.sockets.get(reg).is_some_and(|s| s.conn_id == conn_id) {
            self.sockets.remove(reg);
        }
    }

    /// Sends a command to every live socket; returns how many took it.
    pub(crate) fn broadcast(&self, make: impl Fn() -> SocketCmd) -> usize {
        self.sockets
            .values()
            .filter(|s| s.tx.try_send(make()).is_ok())
            .count()
    }

    pub(crate) fn connected(&self, reg: &str) -> usize {
        usize::from(self.sockets.contains_key(reg))
    }

    pub(crate) fn len(&self) -> usize {
        self.sockets.len()
    }

    pub(crate) fn registrations(&self) -> impl Iterator<Item = &String> {
        self.sockets.keys()
    }
}

/// Buffers a frame for every registration (until acked) and writes it to every live socket.
pub(crate) fn deliver(inner: &mut Inner, mut env: Envelope) {
    if !inner.options.actor_email {
        if let Some(actor) = env
            .data
            .pointer_mut("/activity/actor")
            .and_then(Value::as_object_mut)
        {
            actor.remove("emailAddress");
            actor.remove("entryEmail");
        }
    }
    inner.devices.buffer(&env);
    let sent = inner.hub.broadcast(|| SocketCmd::Frame(env.clone()));
    tracing::debug!(envelope = %env.id, sockets = sent, "mercury event");
}

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new().route(
        "/mercury/v1/apps/wx2/registrations/{reg}/messages",
        get(upgrade),
    )
}

async fn upgrade(
    State(shared): State<Arc<Shared>>,
    Path(reg): Path<String>,
    RawQuery(raw_query): RawQuery,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    if shared.lock().devices.by_registration(&reg).is_none() {
        return ApiError::not_found("registration not found").into_response();
    }
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let text = query
        .ok()
        .and_then(|Query(q)| q.get("outboundWireFormat").cloned())
        .is_some_and(|v| v == "text");
    let tracker = shared.tracker.clone();
    let raw_query = raw_query.unwrap_or_default();
    ws.max_message_size(MAX_MESSAGE).on_upgrade(move |socket| {
        tracker.track_future(async move {
            let id = shared.lock().log.socket_opened(&reg, &raw_query);
            let conn = Conn { reg, log_id: id };
            run_socket(&shared, &conn, text, socket).await;
            shared.lock().log.socket_ended(id);
        })
    })
}

/// Checks the first client frame: `{"type":"authorization","data":{"token":"Bearer …"}}`.
/// Err carries the close code and reason.
fn check_auth(frame: &[u8], expected: Option<&str>) -> Result<(), (u16, &'static str)> {
    const FAILED: (u16, &str) = (1008, "authentication failed");
    let v: Value = serde_json::from_slice(frame).map_err(|_| FAILED)?;
    if v.get("type").and_then(Value::as_str) != Some("authorization") {
        return Err(FAILED);
    }
    let token = v
        .pointer("/data/token")
        .and_then(Value::as_str)
        .ok_or(FAILED)?;
    match token.strip_prefix("Bearer ") {
        Some(t) if !t.is_empty() && expected.map_or(true, |e| e == t) => Ok(()),
        _ => Err((4401, "Unauthorized")),
    }
}

enum Auth {
    Ok,
    Reject(u16, String),
    Gone,
}

async fn authorize(shared: &Shared, ws: &mut WebSocket) -> Auth {
    let deadline = tokio::time::sleep(shared.auth_timeout);
    tokio::pin!(deadline);
    loop {
        let frame: Bytes = tokio::select! {
            _ = shared.shutdown.cancelled() => return Auth::Gone,
            _ = &mut deadline => return Auth::Reject(1008, format!(
                // Webex's own wording, milliseconds labelled as seconds.
                "authentication did not happen within the timeout window of {} seconds.",
                shared.auth_timeout.as_millis()
            )),
            msg = ws.recv() => match msg {
                Some(Ok(Message::Text(t))) => Bytes::copy_from_slice(t.as_str().as_bytes()),
                Some(Ok(Message::Binary(b))) => b,
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(Message::Close(_)) | Err(_)) | None => return Auth::Gone,
            },
        };
        return match check_auth(&frame, shared.token.as_deref()) {
            Ok(()) => Auth::Ok,
            Err((code, reason)) => Auth::Reject(code, reason.to_owned()),
        };
    }
}

/// Writes frames with this connection's sequence numbers, as text or binary per the URL.
struct Writer {
    seq: u64,
    text: bool,
}

impl Writer {
    async fn json(&mut self, ws: &mut WebSocket, make: impl FnOnce(u64, u64) -> String) -> bool {
        self.seq += 1;
        let body = make(self.seq, epoch_ms(SystemTime::now()));
        let msg = if self.text {
            Message::Text(body.into())
        } else {
            Message::Binary(body.into())
        };
        ws.send(msg).await.is_ok()
    }

    async fn envelope(&mut self, shared: &Shared, ws: &mut WebSocket, env: &Envelope) -> bool {
        // The clock starts before the write: recording after it races a fast bot whose reply can
        // arrive before this task runs again, which would lose the sample.
        if let Some(uuid) = &env.message_uuid {
            let written = Instant::now();
            let mut inner = shared.lock();
            let inner = &mut *inner;
            if let Some(m) = inner.chat.message(uuid) {
                if m.author_uuid != BOT_UUID {
                    let root = m.parent_uuid.as_deref().unwrap_or(&m.uuid);
                    inner
                        .timings
                        .written(&m.uuid, &m.rest_id, root, &m.room_uuid, written);
                }
            }
        }
        self.json(ws, |seq, ms| env.frame(seq, ms)).await
    }
}

async fn close(ws: &mut WebSocket, code: u16, reason: String) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    if ws.send(Message::Close(Some(frame))).await.is_err() {
        return;
    }
    // Let the client's close reply arrive so it sees a clean close, but never wait long.
    let _ = tokio::time::timeout(CLOSE_LINGER, async {
        while let Some(Ok(_)) = ws.recv().await {}
    })
    .await;
}

/// One socket: its registration and its entry in the request log.
struct Conn {
    reg: String,
    log_id: u64,
}

/// A client frame after authorization: ping → pong (unless switched off), ack → forget the frame,
/// anything else ignored.
async fn on_client_frame(
    shared: &Shared,
    conn: &Conn,
    out: &mut Writer,
    ws: &mut WebSocket,
    frame: &[u8],
) -> bool {
    let Ok(v) = serde_json::from_slice::<Value>(frame) else {
        tracing::debug!(reg = %conn.reg, "ignoring a malformed client frame");
        return true;
    };
    match v.get("type").and_then(Value::as_str) {
        Some("ping") => {
            if !shared.lock().options.pongs {
                return true;
            }
            let id = v.get("id").cloned().unwrap_or(Value::Null);
            out.json(ws, |seq, ms| activity::pong(&id, seq, ms)).await
        }
        Some("ack") => {
            if let Some(id) = v.get("messageId").and_then(Value::as_str) {
                let mut inner = shared.lock();
                inner.devices.ack(&conn.reg, id);
                inner.log.acked(conn.log_id, id);
            }
            true
        }
        _ => true,
    }
}

async fn run_socket(shared: &Shared, conn: &Conn, text: bool, mut ws: WebSocket) {
    let reg = &conn.reg;
    match authorize(shared, &mut ws).await {
        Auth::Ok => {}
        Auth::Reject(code, reason) => {
            tracing::debug!(reg = %reg, code, "mercury authorization refused");
            close(&mut ws, code, reason).await;
            return;
        }
        Auth::Gone => return,
    }
    let (tx, mut rx) = mpsc::channel(SOCKET_QUEUE);
    let (conn_id, backlog) = {
        let mut inner = shared.lock();
        let id = inner.hub.register(reg, tx);
        // Logged once the hub has it, so a test that saw `authorized` can reach it with `/_sim`.
        inner.log.authorized(conn.log_id);
        (id, inner.devices.unacked(reg))
    };
    tracing::debug!(reg = %reg, conn_id, redeliver = backlog.len(), "mercury socket ready");
    let mut out = Writer { seq: 0, text };
    let ending = serve(shared, conn, &mut out, &mut ws, &mut rx, backlog).await;
    // Unregister before the close handshake so a closing socket never counts as live.
    shared.lock().hub.unregister(reg, conn_id);
    if let Some((code, reason)) = ending {
        close(&mut ws, code, reason).await;
    }
}

/// Serves an authorized socket; returns the close frame to send, or `None` to just drop it.
async fn serve(
    shared: &Shared,
    conn: &Conn,
    out: &mut Writer,
    ws: &mut WebSocket,
    rx: &mut mpsc::Receiver<SocketCmd>,
    backlog: Vec<Envelope>,
) -> Option<(u16, String)> {
    if !out
        .envelope(shared, ws, &activity::buffer_state(SystemTime::now()))
        .await
    {
        return None;
    }
    for env in &backlog {
        if !out.envelope(shared, ws, env).await {
            return None;
        }
    }
    loop {
        tokio::select! {
            _ = shared.shutdown.cancelled() => return Some((1001, "going away".into())),
            cmd = rx.recv() => match cmd {
                Some(SocketCmd::Frame(env)) => {
                    if !out.envelope(shared, ws, &env).await {
                        return None;
                    }
                }
                Some(SocketCmd::Raw(msg)) => {
                    if ws.send(msg).await.is_err() {
                        return None;
                    }
                }
                Some(SocketCmd::Close(code, reason)) => return Some((code, reason)),
                Some(SocketCmd::Replaced) => return Some((4000, "replaced".into())),
                Some(SocketCmd::Drop) | None => return None,
            },
            msg = ws.recv() => match msg {
                Some(Ok(Message::Text(t))) => {
                    if !on_client_frame(shared, conn, out, ws, t.as_str().as_bytes()).await {
                        return None;
                    }
                }
                Some(Ok(Message::Binary(b))) => {
                    if !on_client_frame(shared, conn, out, ws, &b).await {
                        return None;
                    }
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(frame))) => {
                    let code = frame.map_or(1005, |f| f.code);
                    shared.lock().log.client_closed(conn.log_id, code);
                    // Sends the queued close reply, completing the client's handshake.
                    let _ = ws.flush().await;
                    return None;
                }
                Some(Err(_)) | None => return None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_frames() {
        let ok = br#"{"id":"1","type":"authorization","data":{"token":"Bearer abc"}}"#;
        assert_eq!(check_auth(ok, None), Ok(()));
        assert_eq!(check_auth(ok, Some("abc")), Ok(()));
        assert_eq!(check_auth(ok, Some("xyz")).unwrap_err().0, 4401);
        let raw = br#"{"id":"1","type":"authorization","data":{"token":"abc"}}"#;
        assert_eq!(check_auth(raw, None).unwrap_err().0, 4401);
        assert_eq!(
            check_auth(br#"{"type":"ping","id":"1"}"#, None)
                .unwrap_err()
                .0,
            1008
        );
        assert_eq!(check_auth(b"\xff\x00garbage", None).unwrap_err().0, 1008);
        assert_eq!(
            check_auth(br#"{"type":"authorization"}"#, None)
                .unwrap_err()
                .0,
            1008
        );
    }

    #[test]
    fn a_new_socket_replaces_the_old_one() {
        let mut hub = Hub::default();
        let (tx1, mut rx1) = mpsc::channel(4);
        let (tx2, _rx2) = mpsc::channel(4);
        let a = hub.register("r", tx1);
        let b = hub.register("r", tx2);
        assert!(matches!(rx1.try_recv(), Ok(SocketCmd::Replaced)));
        hub.unregister("r", a);
        assert_eq!(hub.connected("r"), 1);
        hub.unregister("r", b);
        assert_eq!(hub.len(), 0);
    }
}
