//! The first client's session API (`transport::{Session, SshConfig, MAX_REPLY}`), kept as a thin
//! wrapper over [`NetconfSession`] for code and tests written against it. New code uses
//! `NetconfSession` and `ConnectOptions` directly.

use super::framing::Framing;
use super::options::{ConnectOptions, DEFAULT_MAX_REPLY};
use super::session::NetconfSession;
use crate::device::error::DeviceError;
use crate::device::inventory::Device;
use crate::secret::Secret;
use std::path::PathBuf;
use std::time::Duration;

/// Largest NETCONF message accepted from a device.
pub const MAX_REPLY: usize = DEFAULT_MAX_REPLY;

#[derive(Debug, Clone)]
pub struct SshConfig {
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub key: Option<PathBuf>,
    pub known_hosts: Option<PathBuf>,
    /// Bound for connect and for each RPC.
    pub timeout: Duration,
    pub max_reply: usize,
}

impl SshConfig {
    pub fn connect_options(&self, device: &Device, port: u16) -> ConnectOptions {
        ConnectOptions {
            password: self.password.clone(),
            ssh_key: self.key.clone(),
            known_hosts: self.known_hosts.clone(),
            connect_timeout: self.timeout,
            rpc_timeout: self.timeout,
            max_reply_bytes: self.max_reply,
            ..ConnectOptions::new(
                device.host.clone(),
                port,
                self.username.clone().unwrap_or_default(),
            )
        }
    }
}

/// What the server hello said, as strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    pub capabilities: Vec<String>,
    pub session_id: Option<String>,
}

#[derive(Debug)]
pub struct Session {
    inner: NetconfSession,
    pub hello: ServerHello,
}

impl Session {
    pub fn connect(device: &Device, port: u16, cfg: &SshConfig) -> Result<Session, DeviceError> {
        let opts = cfg.connect_options(device, port);
        let inner = NetconfSession::connect(&opts)
            .map_err(|e| DeviceError::from_netconf(&device.name, &opts.address(), e))?;
        let hello = ServerHello {
            capabilities: inner.capabilities().uris().to_vec(),
            session_id: inner.session_id().map(|s| s.to_string()),
        };
        Ok(Session { inner, hello })
    }

    pub fn framing(&self) -> Framing {
        self.inner.framing()
    }

    pub fn session(&mut self) -> &mut NetconfSession {
        &mut self.inner
    }

    pub fn close(self) {
        self.inner.close();
    }
}
