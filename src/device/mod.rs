//! Device layer: inventory, RESTCONF and NETCONF reads, answers rendered as markdown (owned by the device work).
//!
//! INTERFACE (stable; the app depends on it):
//! * `Inventory::load(path) -> Result<Inventory, DeviceError>`, `Inventory::from_toml_str(&str)`
//! * `DeviceReader::new(Inventory, DeviceSettings) -> Result<DeviceReader, DeviceError>`; `DeviceReader: Clone`
//! * `DeviceReader::vrfs_markdown(&self, device: &str) -> Result<String, DeviceError>`
//! * `DeviceReader::interface_markdown(&self, device: &str, interface: &str) -> Result<String, DeviceError>`
//!   (`interface` is a full name such as `GigabitEthernet1/0/2`). `DeviceError: Display` is user-facing
//!   and never contains a secret.

use crate::secret::Secret;
use std::path::PathBuf;

#[derive(Debug, Clone, Default)]
pub struct DeviceSettings {
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub ssh_key: Option<PathBuf>,
    pub known_hosts: Option<PathBuf>,
    pub default_netconf_port: u16,
    /// Extra CA certificate (PEM) trusted for RESTCONF over HTTPS.
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("device: {0}")]
    Other(String),
}

#[derive(Debug, Clone, Default)]
pub struct Inventory {}

impl Inventory {
    pub fn load(_path: &std::path::Path) -> Result<Self, DeviceError> {
        todo!("device")
    }
    pub fn from_toml_str(_s: &str) -> Result<Self, DeviceError> {
        todo!("device")
    }
}

#[derive(Debug, Clone)]
pub struct DeviceReader {}

impl DeviceReader {
    pub fn new(_inventory: Inventory, _settings: DeviceSettings) -> Result<Self, DeviceError> {
        todo!("device")
    }
    pub async fn vrfs_markdown(&self, _device: &str) -> Result<String, DeviceError> {
        todo!("device")
    }
    pub async fn interface_markdown(
        &self,
        _device: &str,
        _interface: &str,
    ) -> Result<String, DeviceError> {
        todo!("device")
    }
}
