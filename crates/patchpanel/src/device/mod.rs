//! Device layer: inventory, RESTCONF and NETCONF reads and writes, the one apply procedure; typed
//! answers (the chat side renders them, in `crate::render`; nothing here knows markdown).
//!
//! Reads: `DeviceReader` (built from an `Inventory` or a `DeviceDirectory` entry and
//! `DeviceSettings`) answers `vrfs_on` and `interface_on` a resolved `Device` as typed `Answer`s; it
//! picks the protocol per device and keeps NETCONF sessions in the `pool`. `DeviceError: Display` is
//! user-facing and never contains a secret.
//!
//! Writes: `change::InterfaceChange` → `change::validate` → `change::ValidChange` →
//! `apply::Applier::apply_to` (NETCONF candidate + confirmed commit, or running with
//! rollback-on-error, or RESTCONF PATCH; every value read back and verified) → `apply::ApplyReport`
//! with the `diff`. Only a `ValidChange` reaches a device.
//!
//! Layout: `inventory` (TOML), `model` (typed data), `tree` (one generic tree for JSON and XML
//! data), `extract` (model out of trees, per YANG model), `restconf` (the RESTCONF client and its one
//! path type), `netconf/` (transport → framing → session → ops), `netconf_read`, `connect`, `pool`
//! (pooled NETCONF sessions, fan-out), `reader` (protocol choice and reads), `intent` (NetBox's
//! intent beside the device, pure), `change`, `profile/` (payloads per YANG model family), `diff`,
//! `apply` (+ `apply/`: the NETCONF and RESTCONF flows).

pub mod apply;
pub mod change;
pub mod connect;
pub mod diff;
mod error;
pub mod extract;
pub mod intent;
pub mod inventory;
pub mod model;
pub mod netconf;
pub mod netconf_read;
pub mod pool;
pub mod profile;
pub mod reader;
pub mod restconf;
pub mod tree;

pub use error::{DeviceError, RpcErrorInfo};
pub use inventory::{Device, Inventory, Profile};
pub use model::{
    Answer, InterfaceConfig, InterfaceState, InterfaceView, Ipv4, PortMode, Protocol, Vrf,
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
