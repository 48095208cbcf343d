//! The NETCONF operations the apply procedure needs, as a trait named after the session API of
//! `device::netconf::NetconfSession` (`get_config`, `edit_config`, `lock`, `commit`, ...). `NetconfSession` implements it
//! through `session_adapter`; tests implement it with a scripted fake, so the procedure is tested
//! without a device. Everything here is blocking.

use crate::device::inventory::Device;
use crate::device::RpcErrorInfo;
use crate::device::{DeviceError, DeviceSettings};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Running,
    Candidate,
}

impl Store {
    pub fn word(self) -> &'static str {
        match self {
            Store::Running => "running",
            Store::Candidate => "candidate",
        }
    }
}

/// What the server's hello offered, as far as applying a change cares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceCaps {
    /// Every capability URI (module URIs included), for profile choice and module checks.
    pub uris: Vec<String>,
    pub base_1_1: bool,
    pub candidate: bool,
    pub confirmed_commit_1_1: bool,
    pub validate: bool,
    pub rollback_on_error: bool,
    pub writable_running: bool,
    pub startup: bool,
}

impl DeviceCaps {
    /// Whether a YANG module with this namespace is advertised.
    pub fn has_namespace(&self, ns: &str) -> bool {
        self.uris
            .iter()
            .any(|u| u == ns || u.strip_prefix(ns).is_some_and(|r| r.starts_with('?')))
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EditOpts {
    /// `<error-option>rollback-on-error</error-option>` (only when `:rollback-on-error` is offered).
    pub rollback_on_error: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitRequest {
    /// `<commit/>`
    Plain,
    /// `<commit><confirmed/><confirm-timeout>N</confirm-timeout><persist>ID</persist></commit>`
    Confirmed { timeout_secs: u32, persist: String },
    /// The confirming `<commit><persist-id>ID</persist-id></commit>`.
    Confirm { persist_id: String },
}

/// Why an operation failed, sorted by what the procedure does next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NcFailure {
    /// The device answered `<rpc-error>`: it refused, and said why.
    #[error("{}", render_errors(.0))]
    Rejected(Vec<RpcErrorInfo>),
    #[error("the datastore is locked by {}", held_by.map(|s| format!("session {s}")).unwrap_or_else(|| "another session".into()))]
    LockDenied { held_by: Option<u32> },
    /// The session broke while the operation was in flight: its effect is unknown.
    #[error("the connection was lost during {during}")]
    ConnectionLost { during: String },
    /// No reply within the deadline: its effect is unknown.
    #[error("no reply to {during} in time")]
    Timeout { during: String },
    #[error("the device does not support {0}")]
    Unsupported(String),
    #[error("{0}")]
    Other(String),
}

impl NcFailure {
    /// The request may have taken effect (nothing came back).
    pub fn effect_unknown(&self) -> bool {
        matches!(
            self,
            NcFailure::ConnectionLost { .. } | NcFailure::Timeout { .. } | NcFailure::Other(_)
        )
    }
}

pub(crate) fn render_errors(errors: &[RpcErrorInfo]) -> String {
    if errors.is_empty() {
        return "the device refused the request without details".into();
    }
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// One NETCONF session, blocking. Implemented for `NetconfSession` (`device::netconf`)
/// and by test fakes.
pub trait NetconfOps: Send {
    fn caps(&self) -> &DeviceCaps;
    /// The content of `<data>` for a get-config with a subtree filter.
    fn get_config(&mut self, source: Store, filter: &[u8]) -> Result<Vec<u8>, NcFailure>;
    /// `config` is the content of `<config>`; default-operation merge.
    fn edit_config(
        &mut self,
        target: Store,
        config: &[u8],
        opts: EditOpts,
    ) -> Result<(), NcFailure>;
    fn lock(&mut self, target: Store) -> Result<(), NcFailure>;
    fn unlock(&mut self, target: Store) -> Result<(), NcFailure>;
    fn validate(&mut self, source: Store) -> Result<(), NcFailure>;
    fn commit(&mut self, request: &CommitRequest) -> Result<(), NcFailure>;
    fn cancel_commit(&mut self, persist_id: &str) -> Result<(), NcFailure>;
    fn discard_changes(&mut self) -> Result<(), NcFailure>;
    /// Cisco `<save-config xmlns="http://cisco.com/yang/cisco-ia"/>`.
    fn save_config(&mut self) -> Result<(), NcFailure>;
    /// `<close-session/>`, best effort.
    fn close(self: Box<Self>);
}

/// Opens sessions; the default one uses `NetconfSession::connect`. Blocking.
pub trait NetconfConnector: Send + Sync {
    fn connect(
        &self,
        device: &Device,
        settings: &DeviceSettings,
        timeout: Duration,
    ) -> Result<Box<dyn NetconfOps>, DeviceError>;
}
