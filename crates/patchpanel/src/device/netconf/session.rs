//! Session layer: one NETCONF session over a [`Transport`]. Owns the hello exchange (ours first, then
//! the server's is read in full before any `<rpc>` is written, never coalesced with it), the framing
//! choice, capabilities, message-id numbering and matching, a wall-clock deadline over each RPC (on
//! top of the transport's per-call timeout) and the reply bound. After any transport, framing or
//! protocol failure the session is poisoned: the connection is dropped and later calls fail fast.
//!
//! The first reply of a session is nudged: yuma123 netconfd leaves an rpc that reached it in the same
//! read as the client hello unanswered until another message arrives (separate writes make that rare,
//! but the SSH server or the OS may still join them). So when the first reply is [`FIRST_REPLY_NUDGE`]
//! late, one harmless probe (a `<get-config>` that selects nothing) is sent; its reply is recognised by
//! message-id and skipped whenever it arrives. A prompt server never sees the probe.
//!
//! On a subscribed session (RFC 5277) [`NetconfSession::next_notification`] waits for the next
//! `<notification>` until a deadline; reaching it is normal (a quiet device) and leaves the session
//! usable. Notifications that arrive while an rpc waits for its reply (`:interleave`) are queued,
//! bounded by [`MAX_QUEUED_NOTIFICATIONS`] and the reply bound in bytes; the overflow is counted.
//!
//! Blocking: use it from `tokio::task::spawn_blocking` or a dedicated thread only.

use super::capabilities::Capabilities;
pub use super::error::SessionError;
use super::error::{NetconfError, OperationError};
use super::framing::{encode_into, Decoder, Framing};
use super::notification::{parse_notification, Notification, NotificationError, ReceiveError};
use super::options::ConnectOptions;
use super::reply::{parse_hello, parse_message, Incoming, ParsedReply, RpcError};
use super::rpc::{build_rpc, client_hello, Datastore, Filter, Operation};
use super::transport::{SshTransport, Transport, TransportError};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Size of each transport read (libssh2 hands out at most one SSH packet, ~32 KiB, per read).
const READ_CHUNK: usize = 64 * 1024;
/// Bound for the close-session exchange: a dead peer must not hold the thread for a full RPC timeout.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the first reply may take before a probe is sent to release it (see the module docs).
/// netconfd answers in about a millisecond; a slow real device only costs one cheap extra request.
pub const FIRST_REPLY_NUDGE: Duration = Duration::from_secs(1);
/// Most notifications kept while an rpc waits for its reply (beyond it they are dropped and counted).
pub const MAX_QUEUED_NOTIFICATIONS: usize = 64;
/// What `during` says while waiting for notifications (errors, logs).
const WAITING: &str = "waiting for notifications";

/// Session parameters when the transport is supplied by the caller ([`NetconfSession::over`]).
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Bounds the hello exchange.
    pub hello_timeout: Duration,
    pub rpc_timeout: Duration,
    pub max_reply_bytes: usize,
    pub offer_base_1_1: bool,
    /// `host:port` (or any label) for logs.
    pub peer: String,
}

impl From<&ConnectOptions> for SessionOptions {
    fn from(o: &ConnectOptions) -> Self {
        SessionOptions {
            hello_timeout: o.connect_timeout,
            rpc_timeout: o.rpc_timeout,
            max_reply_bytes: o.max_reply_bytes,
            offer_base_1_1: o.offer_base_1_1,
            peer: o.address(),
        }
    }
}

/// An open NETCONF session. `Send`, not `Sync`: one thread drives it at a time.
pub struct NetconfSession {
    transport: Box<dyn Transport>,
    decoder: Decoder,
    framing: Framing,
    capabilities: Capabilities,
    session_id: Option<u32>,
    next_id: u64,
    rpc_timeout: Duration,
    read_buf: Vec<u8>,
    out_buf: Vec<u8>,
    /// Why the session can no longer be used.
    poisoned: Option<String>,
    warnings: Vec<RpcError>,
    peer: String,
    /// No reply has been read yet: the next request may need a nudge.
    awaiting_first_reply: bool,
    /// Message-ids of probes whose replies are still to come (and to be skipped).
    probes: Vec<String>,
    /// `<create-subscription>` succeeded: notifications are expected, and kept.
    subscribed: bool,
    /// Notifications read while waiting for a reply, oldest first, with their total size.
    queued: VecDeque<Vec<u8>>,
    queued_bytes: usize,
    max_queued_bytes: usize,
    /// Notifications dropped because the queue was full.
    dropped_notifications: u64,
}

impl std::fmt::Debug for NetconfSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetconfSession")
            .field("peer", &self.peer)
            .field("session_id", &self.session_id)
            .field("framing", &self.framing)
            .field("poisoned", &self.poisoned)
            .finish_non_exhaustive()
    }
}

fn classify(e: SessionError, operation: &'static str, after: Duration) -> NetconfError {
    match e {
        SessionError::Transport(TransportError::Timeout { .. }) => {
            NetconfError::Timeout { operation, after }
        }
        SessionError::Transport(TransportError::Closed { .. } | TransportError::Io { .. }) => {
            NetconfError::ConnectionLost { during: operation }
        }
        other => other.into(),
    }
}

impl NetconfSession {
    /// Opens SSH (host key checked, authenticated) and runs the hello exchange. Blocking.
    pub fn connect(opts: &ConnectOptions) -> Result<NetconfSession, NetconfError> {
        let started = Instant::now();
        let transport = SshTransport::connect(opts)?;
        let mut session_opts = SessionOptions::from(opts);
        // The connect timeout covers the hello too.
        session_opts.hello_timeout = opts
            .connect_timeout
            .saturating_sub(started.elapsed())
            .max(Duration::from_millis(1));
        Self::over(Box::new(transport), &session_opts)
    }

    /// Runs the hello exchange over an already open transport (tests, other transports).
    pub fn over(
        transport: Box<dyn Transport>,
        opts: &SessionOptions,
    ) -> Result<NetconfSession, NetconfError> {
        let mut s = NetconfSession {
            transport,
            decoder: Decoder::new(opts.max_reply_bytes),
            framing: Framing::EndOfMessage,
            capabilities: Capabilities::default(),
            session_id: None,
            next_id: 1,
            rpc_timeout: opts.rpc_timeout,
            read_buf: vec![0; READ_CHUNK],
            out_buf: Vec::new(),
            poisoned: None,
            warnings: Vec::new(),
            peer: opts.peer.clone(),
            awaiting_first_reply: true,
            probes: Vec::new(),
            subscribed: false,
            queued: VecDeque::new(),
            queued_bytes: 0,
            max_queued_bytes: opts.max_reply_bytes,
            dropped_notifications: 0,
        };
        let deadline = Instant::now() + opts.hello_timeout;
        match s.hello(opts.offer_base_1_1, deadline) {
            Ok(()) => Ok(s),
            Err(e) => {
                let e = classify(e, "hello", opts.hello_timeout);
                s.poison(&e.to_string());
                Err(e)
            }
        }
    }

    fn hello(&mut self, offer_1_1: bool, deadline: Instant) -> Result<(), SessionError> {
        // Our hello goes out alone, end-of-message framed; the first <rpc> is written only after the
        // server's hello has been read and parsed (netconfd stalls on a coalesced hello + rpc).
        let hello = super::framing::encode(Framing::EndOfMessage, &client_hello(offer_1_1));
        self.transport.write_all(&hello, deadline, "hello")?;
        let msg = self.read_message(deadline, "hello")?;
        let hello = parse_hello(&msg)
            .map_err(|e| SessionError::Protocol(format!("bad server hello: {e}")))?;
        let caps = hello.capabilities;
        self.framing = if offer_1_1 && caps.base_1_1() {
            Framing::Chunked
        } else if caps.base_1_0() {
            Framing::EndOfMessage
        } else {
            return Err(SessionError::Protocol(
                "the server hello offers no NETCONF base version this client speaks".into(),
            ));
        };
        self.decoder.set_framing(self.framing);
        self.session_id = hello.session_id;
        self.capabilities = caps;
        tracing::debug!(peer = %self.peer, framing = ?self.framing, session_id = ?self.session_id, "NETCONF session up");
        Ok(())
    }

    pub fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    pub fn session_id(&self) -> Option<u32> {
        self.session_id
    }

    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// `<rpc-error>`s of severity `warning` in the last reply (the operation succeeded).
    pub fn warnings(&self) -> &[RpcError] {
        &self.warnings
    }

    /// Whether the session can still be used (no transport, framing or protocol failure so far).
    pub fn is_usable(&self) -> bool {
        self.poisoned.is_none()
    }

    pub fn rpc_timeout(&self) -> Duration {
        self.rpc_timeout
    }

    /// Changes the deadline for later RPCs (e.g. longer for a large get-config).
    pub fn set_rpc_timeout(&mut self, timeout: Duration) {
        self.rpc_timeout = timeout;
    }

    fn poison(&mut self, reason: &str) {
        if self.poisoned.is_none() {
            tracing::debug!(peer = %self.peer, reason, "NETCONF session closed after an error");
            self.poisoned = Some(reason.to_string());
            self.transport.close();
        }
    }

    /// Reads until one whole message is decoded, or the deadline passes.
    fn read_message(
        &mut self,
        deadline: Instant,
        during: &'static str,
    ) -> Result<Vec<u8>, SessionError> {
        loop {
            if let Some(m) = self.decoder.next_message()? {
                return Ok(m);
            }
            if Instant::now() >= deadline {
                return Err(TransportError::Timeout {
                    during,
                    after: Duration::ZERO,
                }
                .into());
            }
            let n = self.transport.read(&mut self.read_buf, deadline, during)?;
            self.decoder
                .push(&self.read_buf[..n.min(self.read_buf.len())]);
        }
    }

    /// Sends one `<rpc>` and returns its parsed `<rpc-reply>` (errors included, not yet judged).
    pub(crate) fn exchange(&mut self, op: &Operation<'_>) -> Result<ParsedReply, NetconfError> {
        if let Some(reason) = &self.poisoned {
            return Err(NetconfError::SessionClosed {
                reason: reason.clone(),
            });
        }
        let id = self.next_id;
        let xml = build_rpc(id, op).map_err(OperationError::from)?;
        self.next_id += 1;
        let name = op.name();
        let timeout = self.rpc_timeout;
        let deadline = Instant::now() + timeout;
        match self.send_and_receive(&xml, id, deadline, name) {
            Ok(reply) => Ok(reply),
            Err(e) => {
                let e = classify(e, name, timeout);
                self.poison(&e.to_string());
                Err(e)
            }
        }
    }

    fn send_and_receive(
        &mut self,
        xml: &[u8],
        id: u64,
        deadline: Instant,
        name: &'static str,
    ) -> Result<ParsedReply, SessionError> {
        let mut out = std::mem::take(&mut self.out_buf);
        out.clear();
        encode_into(self.framing, xml, &mut out);
        let sent = self.transport.write_all(&out, deadline, name);
        // Keep a modest buffer for the next request, not a huge edit's.
        if out.capacity() <= 1 << 20 {
            self.out_buf = out;
        }
        sent?;
        let expected = id.to_string();
        let mut nudge_at = self
            .awaiting_first_reply
            .then(|| Instant::now() + FIRST_REPLY_NUDGE)
            .filter(|at| *at < deadline);
        loop {
            let msg = match nudge_at {
                Some(at) => match self.read_message(at, name) {
                    Err(SessionError::Transport(TransportError::Timeout { .. })) => {
                        nudge_at = None;
                        self.send_probe(deadline, name)?;
                        continue;
                    }
                    other => other?,
                },
                None => self.read_message(deadline, name)?,
            };
            let parsed = parse_message(&msg)
                .map_err(|e| SessionError::Protocol(format!("malformed reply to {name}: {e}")))?;
            match parsed {
                Incoming::Notification => self.keep_notification(msg),
                Incoming::Reply(reply) => {
                    self.decoder.recycle(msg);
                    self.awaiting_first_reply = false;
                    if let Some(i) = reply
                        .message_id
                        .as_deref()
                        .and_then(|got| self.probes.iter().position(|p| p == got))
                    {
                        self.probes.swap_remove(i);
                        continue;
                    }
                    let matches = match reply.message_id.as_deref() {
                        Some(got) => got == expected,
                        // RFC 6241 §4.1: a server that cannot parse the rpc answers without the id.
                        None => !reply.errors.is_empty(),
                    };
                    if !matches {
                        return Err(SessionError::MessageIdMismatch {
                            expected,
                            got: reply.message_id,
                        });
                    }
                    return Ok(reply);
                }
            }
        }
    }

    /// Sends the probe that releases a first rpc stuck behind the hello (module docs). Read-only and
    /// selects nothing, so it is harmless whatever the stuck request was.
    fn send_probe(&mut self, deadline: Instant, during: &'static str) -> Result<(), SessionError> {
        let id = self.next_id;
        self.next_id += 1;
        let empty = Filter::empty();
        let probe = Operation::GetConfig {
            source: Datastore::Running,
            filter: Some(&empty),
        };
        let xml = build_rpc(id, &probe)
            .map_err(|e| SessionError::Protocol(format!("cannot build the probe: {e}")))?;
        tracing::debug!(peer = %self.peer, waiting_for = during, "first reply is late; sending a probe to release it");
        let framed = super::framing::encode(self.framing, &xml);
        self.transport.write_all(&framed, deadline, during)?;
        self.probes.push(id.to_string());
        Ok(())
    }

    /// A notification read while waiting for a reply: queued for [`Self::next_notification`] on a
    /// subscribed session (bounded; the overflow counted), skipped otherwise.
    fn keep_notification(&mut self, msg: Vec<u8>) {
        if !self.subscribed {
            tracing::debug!(peer = %self.peer, "skipping a notification on an unsubscribed session");
            return;
        }
        if self.queued.len() >= MAX_QUEUED_NOTIFICATIONS
            || self.queued_bytes.saturating_add(msg.len()) > self.max_queued_bytes
        {
            self.dropped_notifications = self.dropped_notifications.saturating_add(1);
            tracing::warn!(peer = %self.peer, queued = self.queued.len(), "notification queue full while waiting for a reply; one notification dropped");
            return;
        }
        self.queued_bytes += msg.len();
        self.queued.push_back(msg);
    }

    pub(crate) fn set_subscribed(&mut self) {
        self.subscribed = true;
    }

    /// Whether `<create-subscription>` succeeded on this session.
    pub fn is_subscribed(&self) -> bool {
        self.subscribed
    }

    /// Notifications lost because too many arrived while an rpc waited (a change may be unreported).
    pub fn dropped_notifications(&self) -> u64 {
        self.dropped_notifications
    }

    /// The next notification on a subscribed session: a queued one at once, else the next message
    /// read before `deadline`. `Ok(None)` at the deadline (a quiet subscription; the session stays
    /// usable, a message half read is kept). A message that cannot be read as a notification is
    /// `ReceiveError::Notification` and the session stays usable; a lost or broken session is
    /// `ReceiveError::Session`, after which the session is closed.
    pub fn next_notification(
        &mut self,
        deadline: Instant,
    ) -> Result<Option<Notification>, ReceiveError> {
        if let Some(reason) = &self.poisoned {
            return Err(NetconfError::SessionClosed {
                reason: reason.clone(),
            }
            .into());
        }
        if let Some(msg) = self.queued.pop_front() {
            self.queued_bytes = self.queued_bytes.saturating_sub(msg.len());
            return Ok(Some(parse_notification(&msg)?));
        }
        loop {
            let msg = match self.read_message(deadline, WAITING) {
                Ok(msg) => msg,
                Err(SessionError::Transport(TransportError::Timeout { .. })) => return Ok(None),
                Err(e) => {
                    let e = classify(e, WAITING, Duration::ZERO);
                    self.poison(&e.to_string());
                    return Err(e.into());
                }
            };
            let parsed = parse_message(&msg);
            match parsed {
                Ok(Incoming::Notification) => {
                    let n = parse_notification(&msg);
                    self.decoder.recycle(msg);
                    return Ok(Some(n?));
                }
                Ok(Incoming::Reply(reply)) => {
                    self.decoder.recycle(msg);
                    let probe = reply
                        .message_id
                        .as_deref()
                        .and_then(|got| self.probes.iter().position(|p| p == got));
                    if let Some(i) = probe {
                        self.probes.swap_remove(i);
                        continue;
                    }
                    // Every rpc waits for its own reply, so a reply now answers nothing we sent.
                    let e = NetconfError::Protocol(format!(
                        "an <rpc-reply> (message-id {:?}) that answers no request arrived while waiting for notifications",
                        reply.message_id
                    ));
                    self.poison(&e.to_string());
                    return Err(e.into());
                }
                Err(e) => {
                    return Err(NotificationError::Malformed(e.to_string()).into());
                }
            }
        }
    }

    pub(crate) fn set_warnings(&mut self, warnings: Vec<RpcError>) {
        self.warnings = warnings;
    }

    /// `<close-session/>`, then EOF and disconnect. Best effort: failures are logged, not returned.
    pub fn close(mut self) {
        if self.poisoned.is_none() {
            self.rpc_timeout = self.rpc_timeout.min(CLOSE_TIMEOUT);
            if let Err(e) = self.exchange(&Operation::CloseSession) {
                tracing::debug!(peer = %self.peer, error = %e, "close-session");
            }
        }
        self.transport.close();
    }
}
