//! The device simulator: one in-memory IOS-XE-native datastore served over RESTCONF (HTTP) and NETCONF (SSH)
//! (owned by the device-sim work).
//!
//! INTERFACE (stable): `start(DeviceSimConfig, CancellationToken) -> Result<RunningDeviceSim, DeviceSimError>`.

use std::net::SocketAddr;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct DeviceSimConfig {
    /// RESTCONF over plain HTTP.
    pub restconf_listen: SocketAddr,
    /// NETCONF over SSH (subsystem `netconf`).
    pub netconf_listen: SocketAddr,
    /// Hostname the device reports (`c9300`).
    pub hostname: String,
    /// Credentials the simulator accepts for RESTCONF basic auth and NETCONF password auth;
    /// `None` accepts any (like every simulator without `--token`).
    pub credentials: Option<(String, crate::secret::Secret)>,
    /// SSH host key file (OpenSSH private key). Created when missing, so a restarted simulator keeps
    /// its identity; `None` generates an ephemeral key.
    pub host_key_path: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone)]
pub struct RunningDeviceSim {
    /// e.g. `http://127.0.0.1:PORT/restconf`
    pub restconf_url: String,
    pub netconf_addr: SocketAddr,
    /// The SSH host public key in OpenSSH form (`ssh-ed25519 AAAA…`), for a known_hosts line.
    pub host_key_openssh: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DeviceSimError {
    #[error("device simulator: {0}")]
    Other(String),
}

pub async fn start(
    _cfg: DeviceSimConfig,
    _shutdown: CancellationToken,
) -> Result<RunningDeviceSim, DeviceSimError> {
    todo!("device sim")
}
