//! Typed device data (what the reads return, whatever protocol or YANG model produced it).
//! Interface names are `crate::iface`'s, re-exported here for the device layer's callers.

use std::fmt;

/// Which protocol answered a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Restconf,
    Netconf,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Restconf => "RESTCONF",
            Protocol::Netconf => "NETCONF",
        })
    }
}

/// A read result with its provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer<T> {
    /// The device name as written in the inventory.
    pub device: String,
    pub protocol: Protocol,
    pub data: T,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vrf {
    pub name: String,
    pub rd: Option<String>,
    pub description: Option<String>,
    pub import_targets: Vec<String>,
    pub export_targets: Vec<String>,
    /// `ipv4`, `ipv6`, ...
    pub address_families: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv4 {
    pub address: String,
    /// Dotted mask (`255.255.255.0`) or prefix length (`/24`) as the device gave it.
    pub mask: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortMode {
    Access {
        vlan: Option<u16>,
    },
    Trunk {
        /// VLAN list as configured (`10,20,30-40`); `None` means all.
        allowed: Option<String>,
        native: Option<u16>,
    },
    Routed,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterfaceConfig {
    /// Full name, e.g. `GigabitEthernet1/0/2`.
    pub name: String,
    pub description: Option<String>,
    /// `Some(true)` = shutdown; `None` when the model does not say.
    pub shutdown: Option<bool>,
    pub mode: Option<PortMode>,
    pub ipv4: Vec<Ipv4>,
    pub mtu: Option<u32>,
    pub vrf: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterfaceState {
    /// `up`, `down`, `lower-layer-down`, ...
    pub oper_status: Option<String>,
    pub speed: Option<String>,
    pub phys_address: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterfaceView {
    pub config: InterfaceConfig,
    pub state: Option<InterfaceState>,
}

pub use crate::iface::InterfaceName;
