//! `NetconfError`: the one error of the NETCONF client, combining the layers' errors
//! (`TransportError`, `FramingError`, `SessionError`, `OperationError`) into variants that say what the
//! caller should do. Nothing here carries a password or key.

use super::framing::FramingError;
use super::reply::RpcError;
use super::rpc::{is_change, PayloadError};
use super::transport::TransportError;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetconfError {
    /// Not in known_hosts: verify the fingerprint out of band, then add the key (or opt in to
    /// `HostKeyPolicy::AcceptNew` for first use).
    #[error("refusing {host}:{port}: its SSH host key is not in known_hosts ({fingerprint}); verify it out of band, then add it")]
    HostKeyUnknown {
        host: String,
        port: u16,
        fingerprint: String,
    },
    /// known_hosts has a different key for this host: stop and alert, never re-learn automatically.
    #[error("refusing {host}:{port}: HOST KEY MISMATCH, the device presented {fingerprint}, which differs from known_hosts. This may be an attack or a replaced device; verify before changing known_hosts")]
    HostKeyMismatch {
        host: String,
        port: u16,
        fingerprint: String,
    },
    /// No known_hosts file configured: NETCONF is refused before connecting.
    #[error("no known_hosts file is configured, so the device's SSH host key cannot be verified")]
    KnownHostsMissing,
    #[error("cannot use known_hosts file {path}: {reason}")]
    KnownHostsUnreadable { path: String, reason: String },
    /// Wrong username, password or key: fix the credentials.
    #[error("SSH authentication as {user} failed: {reason}")]
    AuthFailed { user: String, reason: String },
    /// TCP connect failed or the peer is not an SSH server: check address, port and `netconf-yang`.
    #[error("cannot reach {address}: {reason}")]
    Unreachable { address: String, reason: String },
    /// No answer in time; the session is closed. For a change, the outcome is unknown: re-read.
    #[error(
        "no answer to {operation} within {}{}",
        secs(after),
        outcome_note(operation)
    )]
    Timeout {
        operation: &'static str,
        after: Duration,
    },
    /// The reply exceeded the limit; the session is closed. Narrow the filter.
    #[error("the device's reply is larger than {limit} bytes; the session was closed (narrow the filter)")]
    ReplyTooLarge { limit: usize },
    /// The device broke the framing; the session is closed.
    #[error("the device broke NETCONF framing: {0}; the session was closed")]
    Framing(FramingError),
    /// The device broke the protocol (bad hello, malformed reply, wrong message-id); session closed.
    #[error("NETCONF protocol error: {0}")]
    Protocol(String),
    /// The device said no.
    #[error("{}", rpc_sentence(.0))]
    Rpc(Vec<RpcError>),
    /// Another session holds the lock: retry later, or ask its owner (`0`: a non-NETCONF user).
    #[error("the datastore is locked by {}", holder(*held_by_session))]
    LockDenied { held_by_session: Option<u32> },
    /// The SSH session broke. After a commit this means OUTCOME UNKNOWN: re-read the device.
    #[error("the NETCONF session was lost during {during}{}", outcome_note(during))]
    ConnectionLost { during: &'static str },
    /// The device lacks a capability the operation needs (e.g. `:candidate`).
    #[error("the device does not support {0}")]
    Unsupported(&'static str),
    /// The request was refused before sending: a caller bug (bad fragment, inconsistent options).
    #[error("invalid NETCONF request: {0}")]
    InvalidRequest(String),
    /// The session was closed earlier (after an error); open a new one.
    #[error("the NETCONF session is closed ({reason}); open a new one")]
    SessionClosed { reason: String },
}

impl NetconfError {
    /// Whether a change may or may not have been applied (lost reply to edit-config/commit/…).
    pub fn outcome_unknown(&self) -> bool {
        match self {
            NetconfError::Timeout { operation, .. } => is_change(operation),
            NetconfError::ConnectionLost { during } => is_change(during),
            _ => false,
        }
    }

    /// The `<rpc-error>`s, if the device refused the request.
    pub fn rpc_errors(&self) -> &[RpcError] {
        match self {
            NetconfError::Rpc(e) => e,
            _ => &[],
        }
    }
}

fn secs(d: &Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn outcome_note(operation: &str) -> &'static str {
    if is_change(operation) {
        "; the session was closed and whether the change was applied is UNKNOWN: re-read the device before retrying"
    } else {
        "; the session was closed"
    }
}

fn holder(session: Option<u32>) -> String {
    match session {
        Some(0) => "a non-NETCONF user (e.g. the CLI, session 0)".into(),
        Some(id) => format!("NETCONF session {id}"),
        None => "another session".into(),
    }
}

/// "the device rejected the change: mtu 100 is not in range (invalid-value at …)".
fn rpc_sentence(errors: &[RpcError]) -> String {
    let what = if errors.iter().any(is_change_error) {
        "change"
    } else {
        "request"
    };
    let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let list = if list.is_empty() {
        "no details given".to_string()
    } else {
        list.join("; ")
    };
    format!("the device rejected the {what}: {list}")
}

/// The error points into an edit-config payload (or is a commit-time validation error).
fn is_change_error(e: &RpcError) -> bool {
    let raw = e.error_path.as_deref().unwrap_or("");
    raw.contains("edit-config") || raw.contains("commit") || raw.contains(":config/")
}

/// Why the operation layer refused before sending, or how it read the device's answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OperationError {
    #[error("the device does not support {0}")]
    Unsupported(&'static str),
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error(transparent)]
    Payload(#[from] PayloadError),
}

impl From<OperationError> for NetconfError {
    fn from(e: OperationError) -> Self {
        match e {
            OperationError::Unsupported(what) => NetconfError::Unsupported(what),
            OperationError::Invalid(why) => NetconfError::InvalidRequest(why),
            OperationError::Payload(p) => NetconfError::InvalidRequest(p.to_string()),
        }
    }
}

impl From<FramingError> for NetconfError {
    fn from(e: FramingError) -> Self {
        match e {
            FramingError::TooLarge { limit } => NetconfError::ReplyTooLarge { limit },
            other => NetconfError::Framing(other),
        }
    }
}

impl From<TransportError> for NetconfError {
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::HostKeyUnknown {
                host,
                port,
                fingerprint,
            } => NetconfError::HostKeyUnknown {
                host,
                port,
                fingerprint,
            },
            TransportError::HostKeyMismatch {
                host,
                port,
                fingerprint,
            } => NetconfError::HostKeyMismatch {
                host,
                port,
                fingerprint,
            },
            TransportError::KnownHostsMissing => NetconfError::KnownHostsMissing,
            TransportError::KnownHostsUnreadable { path, reason } => {
                NetconfError::KnownHostsUnreadable { path, reason }
            }
            TransportError::AuthFailed { user, reason } => {
                NetconfError::AuthFailed { user, reason }
            }
            TransportError::Unreachable { address, reason } => {
                NetconfError::Unreachable { address, reason }
            }
            TransportError::Timeout { during, after } => NetconfError::Timeout {
                operation: during,
                after,
            },
            e @ (TransportError::Handshake { .. } | TransportError::Subsystem { .. }) => {
                NetconfError::Protocol(e.to_string())
            }
            TransportError::Closed { during } | TransportError::Io { during, .. } => {
                NetconfError::ConnectionLost { during }
            }
        }
    }
}

/// How the session layer failed (defined here, beside the error it becomes, so the session layer
/// depends on this module and not the other way round).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error(transparent)]
    Framing(#[from] FramingError),
    #[error("{0}")]
    Protocol(String),
    #[error("reply message-id {got:?} does not match request {expected}")]
    MessageIdMismatch {
        expected: String,
        got: Option<String>,
    },
    #[error("session closed: {reason}")]
    Closed { reason: String },
}

impl From<SessionError> for NetconfError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::Transport(t) => t.into(),
            SessionError::Framing(f) => f.into(),
            SessionError::Protocol(p) => NetconfError::Protocol(p),
            SessionError::MessageIdMismatch { expected, got } => NetconfError::Protocol(format!(
                "reply message-id {} does not match request {expected}; the session was closed",
                got.as_deref()
                    .map_or("(none)".to_string(), |g| format!("{g:?}"))
            )),
            SessionError::Closed { reason } => NetconfError::SessionClosed { reason },
        }
    }
}
