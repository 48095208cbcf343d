//! The device layer's one error type: every variant says what went wrong and what to do, in words a chat
//! user can act on. Nothing here ever carries a password, key or token.

use super::model::Protocol;
use super::netconf::{NetconfError, RpcError};
use std::fmt;

/// One `<rpc-error>` (NETCONF) or `ietf-restconf:errors/error` entry, as the device reported it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpcErrorInfo {
    pub error_type: Option<String>,
    pub tag: Option<String>,
    pub severity: Option<String>,
    pub app_tag: Option<String>,
    pub path: Option<String>,
    pub message: Option<String>,
    /// `error-info` flattened to text (e.g. `bad-element: foo`).
    pub info: Option<String>,
}

impl fmt::Display for RpcErrorInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = self.tag.as_deref().unwrap_or("error");
        match (&self.error_type, &self.message) {
            (Some(t), Some(m)) => write!(f, "{t}/{tag}: {m}")?,
            (Some(t), None) => write!(f, "{t}/{tag}")?,
            (None, Some(m)) => write!(f, "{tag}: {m}")?,
            (None, None) => write!(f, "{tag}")?,
        }
        if let Some(p) = &self.path {
            write!(f, " (at {p})")?;
        }
        if let Some(i) = &self.info {
            write!(f, " [{i}]")?;
        }
        Ok(())
    }
}

fn join_errors(errors: &[RpcErrorInfo]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "the inventory is empty".to_string()
    } else {
        format!("known devices: {}", known.join(", "))
    }
}

fn did_you_mean(s: &Option<String>) -> String {
    s.as_ref()
        .map(|n| format!(" Did you mean `{n}`?"))
        .unwrap_or_default()
}

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// The inventory file is wrong; `line` is 1-based when known.
    #[error("inventory{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Inventory {
        line: Option<usize>,
        message: String,
    },
    /// The inventory file could not be read.
    #[error("cannot read inventory {path}: {reason}")]
    InventoryIo { path: String, reason: String },
    /// Settings are unusable (missing username, unreadable CA file, ...).
    #[error("device settings: {0}")]
    Config(String),
    #[error(
        "unknown device `{name}`.{} ({})",
        did_you_mean(suggestion),
        known_list(known)
    )]
    UnknownDevice {
        name: String,
        known: Vec<String>,
        suggestion: Option<String>,
    },
    /// The interface name given by the user is not one we can ask for.
    #[error("`{input}` is not a valid interface name: {reason}")]
    InvalidInterface {
        input: String,
        #[source]
        reason: crate::iface::InterfaceNameError,
    },
    /// An IOS-XE device was asked for a name that is not an IOS-XE interface type.
    #[error("`{input}` is not a valid interface name: not an IOS-XE interface type (expected e.g. GigabitEthernet1/0/2, Te1/1/1, Vlan10)")]
    NotIosxeInterface { input: String },
    #[error("no interface {interface} on device {device}")]
    NoSuchInterface { device: String, interface: String },
    /// The device does not offer the data model needed for this read.
    #[error("{device}: {what}")]
    Unsupported { device: String, what: String },
    #[error("authentication to {device} over {protocol} failed: {reason} (check DEVICE_USERNAME/DEVICE_PASSWORD{})",
        if matches!(protocol, Protocol::Netconf) { "/DEVICE_SSH_KEY" } else { "" })]
    AuthFailed {
        device: String,
        protocol: Protocol,
        reason: String,
    },
    #[error("cannot reach {device} at {address}: {reason}")]
    Unreachable {
        device: String,
        address: String,
        reason: String,
    },
    #[error("{device} did not answer over {protocol} within {seconds} s")]
    Timeout {
        device: String,
        protocol: Protocol,
        seconds: u64,
    },
    /// TLS failed (certificate not trusted, wrong name, ...).
    #[error(
        "TLS to {device} failed: {reason} (give the device CA with the RESTCONF CA file setting)"
    )]
    Tls { device: String, reason: String },
    /// No `DEVICE_KNOWN_HOSTS`: NETCONF refuses to talk to an unverified host.
    #[error("refusing NETCONF to {device} ({address}): no known_hosts file configured. Set DEVICE_KNOWN_HOSTS to a known_hosts file with the device's host key (e.g. `ssh-keyscan -p PORT HOST`, checked out of band)")]
    KnownHostsMissing { device: String, address: String },
    #[error("cannot read known_hosts file {path}: {reason}")]
    KnownHostsUnreadable { path: String, reason: String },
    #[error("refusing NETCONF to {device}: host key of {address} is not in known_hosts ({fingerprint}). Verify it out of band, then add it to DEVICE_KNOWN_HOSTS")]
    HostKeyUnknown {
        device: String,
        address: String,
        fingerprint: String,
    },
    #[error("refusing NETCONF to {device}: HOST KEY MISMATCH for {address} — the device presented {fingerprint}, which differs from known_hosts. This may be an attack or a replaced device; verify before updating DEVICE_KNOWN_HOSTS")]
    HostKeyMismatch {
        device: String,
        address: String,
        fingerprint: String,
    },
    /// RESTCONF answered with an error status.
    #[error("{device} answered RESTCONF {status}: {message}")]
    Restconf {
        device: String,
        status: u16,
        message: String,
    },
    /// NETCONF `<rpc-error>`s (warnings are dropped before this is built).
    #[error("{device} rejected the NETCONF request: {}", join_errors(errors))]
    Rpc {
        device: String,
        errors: Vec<RpcErrorInfo>,
    },
    /// The device broke the protocol: bad framing, malformed XML/JSON, oversize reply, not an SSH server...
    #[error("{device}: {protocol} protocol error: {reason}")]
    Protocol {
        device: String,
        protocol: Protocol,
        reason: String,
    },
    #[error("device: {0}")]
    Other(String),
    /// A NETCONF failure without device context (see [`DeviceError::from_netconf`] for the read path).
    #[error("NETCONF: {0}")]
    Netconf(NetconfError),
}

impl From<NetconfError> for DeviceError {
    fn from(e: NetconfError) -> Self {
        DeviceError::Netconf(e)
    }
}

impl From<&RpcError> for RpcErrorInfo {
    fn from(e: &RpcError) -> Self {
        let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let info = e
            .error_info
            .iter()
            .map(|(k, v)| {
                if v.is_empty() {
                    k.clone()
                } else {
                    format!("{k}: {v}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        RpcErrorInfo {
            error_type: non_empty(&e.error_type),
            tag: non_empty(&e.error_tag),
            severity: non_empty(&e.error_severity),
            app_tag: e.error_app_tag.clone(),
            path: e.error_path.clone(),
            message: e.error_message.clone(),
            info: non_empty(&info),
        }
    }
}

impl DeviceError {
    /// A NETCONF failure on the read path, in the device layer's terms (`address` is `host:port`).
    pub fn from_netconf(device: &str, address: &str, e: NetconfError) -> DeviceError {
        let device = device.to_string();
        match e {
            NetconfError::HostKeyUnknown {
                host,
                port,
                fingerprint,
            } => DeviceError::HostKeyUnknown {
                device,
                address: host_port(&host, port),
                fingerprint,
            },
            NetconfError::HostKeyMismatch {
                host,
                port,
                fingerprint,
            } => DeviceError::HostKeyMismatch {
                device,
                address: host_port(&host, port),
                fingerprint,
            },
            NetconfError::KnownHostsMissing => DeviceError::KnownHostsMissing {
                device,
                address: address.to_string(),
            },
            NetconfError::KnownHostsUnreadable { path, reason } => {
                DeviceError::KnownHostsUnreadable { path, reason }
            }
            NetconfError::AuthFailed { reason, .. } => DeviceError::AuthFailed {
                device,
                protocol: Protocol::Netconf,
                reason,
            },
            NetconfError::Unreachable { address, reason } => DeviceError::Unreachable {
                device,
                address,
                reason,
            },
            NetconfError::Timeout { after, .. } => DeviceError::Timeout {
                device,
                protocol: Protocol::Netconf,
                seconds: after.as_secs().max(1),
            },
            NetconfError::Rpc(errors) => DeviceError::Rpc {
                device,
                errors: errors.iter().map(RpcErrorInfo::from).collect(),
            },
            NetconfError::Unsupported(what) => DeviceError::Unsupported {
                device,
                what: format!("the device does not support {what}"),
            },
            other => DeviceError::Protocol {
                device,
                protocol: Protocol::Netconf,
                reason: other.to_string(),
            },
        }
    }
}

fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}
