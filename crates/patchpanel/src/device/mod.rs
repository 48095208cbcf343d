//! Device layer: inventory, RESTCONF and NETCONF reads and writes, the one apply procedure, answers
//! rendered as markdown.
//!
//! INTERFACE (stable; the app depends on it):
//! * `Inventory::load(path) -> Result<Inventory, DeviceError>`, `Inventory::from_toml_str(&str)`
//! * `DeviceReader::new(Inventory, DeviceSettings) -> Result<DeviceReader, DeviceError>`; `DeviceReader: Clone`
//! * `DeviceReader::vrfs_markdown(&self, device: &str) -> Result<String, DeviceError>`
//! * `DeviceReader::interface_markdown(&self, device: &str, interface: &str) -> Result<String, DeviceError>`
//!   (`interface` is a full name such as `GigabitEthernet1/0/2`). `DeviceError: Display` is user-facing
//!   and never contains a secret.
//!
//! Additions (same contract rules):
//! * `DeviceReader::vrfs(&self, device) -> Result<Answer<Vec<Vrf>>, DeviceError>` and
//!   `DeviceReader::interface(&self, device, interface) -> Result<Answer<InterfaceView>, DeviceError>`:
//!   the typed reads the `_markdown` methods render (`render::vrfs`, `render::interface`).
//! * `DeviceReader::with_timeout(self, Duration)`: per-request / per-NETCONF-operation timeout (default 15 s).
//! * `Inventory::{devices, get}`; `Device`, `Profile`, `Protocol`, `InterfaceName` (abbreviation-aware parse).
//!
//! Writes: `change::InterfaceChange` → `change::validate` → `apply::Applier::apply` (NETCONF candidate +
//! confirmed commit, or running with rollback-on-error, or RESTCONF PATCH; every value read back and
//! verified) → `apply::ApplyReport` with the `diff`.
//!
//! Layout: `inventory` (TOML), `model` (typed data), `tree` (one generic tree for JSON and XML data),
//! `extract` (model out of trees, per YANG model), `render` (markdown), `restconf` / `restconf_write`,
//! `netconf/` (transport → framing → session → ops), `pool` (pooled NETCONF sessions, fan-out),
//! `reader` (protocol choice and reads), `intent` (NetBox's intent beside the device, pure), `change`, `profile/` (payloads per YANG model family), `diff`,
//! `apply`.

pub mod apply;
pub mod change;
pub mod diff;
mod error;
pub mod extract;
pub mod intent;
pub mod inventory;
pub mod model;
pub mod netconf;
pub mod pool;
pub mod profile;
pub mod reader;
pub mod render;
pub mod restconf;
pub mod restconf_write;
pub mod tree;

pub use error::{DeviceError, RpcErrorInfo};
pub use inventory::{Device, Inventory, Profile};
pub use model::{
    Answer, InterfaceConfig, InterfaceName, InterfaceState, InterfaceView, Ipv4, PortMode,
    Protocol, Vrf,
};
pub use reader::DeviceReader;

use crate::secret::Secret;
use std::path::PathBuf;

#[derive(Debug, Clone, Default)]
pub struct DeviceSettings {
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub ssh_key: Option<PathBuf>,
    pub known_hosts: Option<PathBuf>,
    /// NETCONF port for devices without `netconf_port`; 0 means the IANA port 830.
    pub default_netconf_port: u16,
    /// Extra CA certificate (PEM) trusted for RESTCONF over HTTPS.
    pub ca_file: Option<PathBuf>,
    /// `DEVICE_ACCEPT_NEW_HOST_KEYS`: learn the SSH host key of a device not yet in `known_hosts` on
    /// first use (logged with its fingerprint, appended to the file). Off by default: unknown keys are
    /// refused. A *changed* key is refused either way.
    pub accept_new_host_keys: bool,
}
