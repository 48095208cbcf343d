//! How to open a NETCONF session: `ConnectOptions` (address, credentials, host-key policy, timeouts,
//! reply bound, framing offer).

use crate::secret::Secret;
use std::path::PathBuf;
use std::time::Duration;

/// Default bound on one reply from the device.
pub const DEFAULT_MAX_REPLY: usize = 64 * 1024 * 1024;
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
pub const DEFAULT_RPC_TIMEOUT: Duration = Duration::from_secs(30);
/// The IANA port for NETCONF over SSH.
pub const NETCONF_PORT: u16 = 830;

/// What to do with a host key that is not in known_hosts. A *changed* key is always refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HostKeyPolicy {
    /// Fail closed on an unknown key, naming host:port and the SHA256 fingerprint.
    #[default]
    Strict,
    /// Trust on first use (explicit opt-in): an unknown key is logged as a warning with its
    /// fingerprint and appended to known_hosts; later sessions then check it strictly.
    AcceptNew,
}

#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: Option<Secret>,
    /// Private key file for public-key authentication (tried before the password).
    pub ssh_key: Option<PathBuf>,
    /// Required: the session is refused without one (`AcceptNew` creates it if missing).
    pub known_hosts: Option<PathBuf>,
    pub host_key_policy: HostKeyPolicy,
    /// Bounds TCP connect, SSH handshake, authentication and the hello exchange together.
    pub connect_timeout: Duration,
    /// Bounds each RPC from sending the request to the end of the reply.
    pub rpc_timeout: Duration,
    pub max_reply_bytes: usize,
    /// Offer base:1.1 (chunked framing) in our hello.
    pub offer_base_1_1: bool,
}

/// No host or user yet; port 830 and the defaults of [`ConnectOptions::new`].
impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions::new("", NETCONF_PORT, "")
    }
}

impl ConnectOptions {
    /// Defaults: strict host keys, 15 s connect, 30 s per RPC, 64 MiB replies, base:1.1 offered.
    pub fn new(host: impl Into<String>, port: u16, username: impl Into<String>) -> Self {
        ConnectOptions {
            host: host.into(),
            port,
            username: username.into(),
            password: None,
            ssh_key: None,
            known_hosts: None,
            host_key_policy: HostKeyPolicy::Strict,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            rpc_timeout: DEFAULT_RPC_TIMEOUT,
            max_reply_bytes: DEFAULT_MAX_REPLY,
            offer_base_1_1: true,
        }
    }

    /// `host:port` as shown in errors.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}
