//! Where devices come from: NetBox (when configured) and the devices file (`PATCHPANEL_INVENTORY`).
//!
//! NetBox is the source of truth for which devices exist and where they are managed (primary IPv4, or
//! its DNS name). An entry in the devices file for the same name overrides how to reach it (host,
//! ports, RESTCONF URL, profile): that is how a lab points a NetBox device at a loopback simulator, and
//! how the bot keeps working without NetBox at all. Neither knows the other's JSON: this module turns
//! `netbox::Device` into `device::Device`.

use crate::device::{Inventory, Profile};
use crate::netbox::{MgmtAddress, NetboxClient, NetboxError};
use std::sync::Arc;

/// The custom field on a NetBox device that names its profile (`iosxe` or `ietf`).
pub const PROFILE_FIELD: &str = "patchpanel_profile";
/// The custom field on a NetBox device that gives its NETCONF port (when not DEVICE_NETCONF_PORT).
pub const NETCONF_PORT_FIELD: &str = "netconf_port";

/// A device as the bot will reach it, and where that came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub device: crate::device::Device,
    /// NetBox's id of the device, when NetBox knows it.
    pub netbox_id: Option<u64>,
    /// NetBox's site slug, when NetBox knows the device.
    pub site: Option<String>,
    pub source: Source,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    File,
    Netbox,
    /// Known to NetBox; reached as the devices file says.
    NetboxAndFile,
}

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// Neither NetBox nor the devices file has it.
    #[error("unknown device `{name}`: {hint}")]
    Unknown { name: String, hint: String },
    /// NetBox has the device but no way to reach it: set its primary IPv4.
    #[error("NetBox has device `{name}` (id {id}) but no primary IPv4 address or DNS name: set one in NetBox, or add the device to PATCHPANEL_INVENTORY")]
    NoAddress { name: String, id: u64 },
    /// NetBox could not answer (down, token, ambiguous name, …): the message says what to do.
    #[error(transparent)]
    Netbox(#[from] NetboxError),
}

impl ResolveError {
    /// True when asking again later may succeed (NetBox down or timing out).
    pub fn is_transient(&self) -> bool {
        matches!(self, ResolveError::Netbox(NetboxError::Unavailable { .. }))
    }
}

/// Resolves device names through NetBox and/or the devices file. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct DeviceDirectory {
    file: Option<Arc<Inventory>>,
    netbox: Option<NetboxClient>,
}

impl DeviceDirectory {
    pub fn new(file: Option<Inventory>, netbox: Option<NetboxClient>) -> Self {
        DeviceDirectory {
            file: file.map(Arc::new),
            netbox,
        }
    }

    pub fn file(&self) -> Option<&Inventory> {
        self.file.as_deref()
    }

    pub fn netbox(&self) -> Option<&NetboxClient> {
        self.netbox.as_ref()
    }

    /// The device called `name`.
    pub async fn resolve(&self, name: &str) -> Result<Resolved, ResolveError> {
        let from_file = self.file.as_ref().and_then(|f| f.get(name).ok()).cloned();
        let Some(netbox) = &self.netbox else {
            return from_file
                .map(|device| Resolved {
                    device,
                    netbox_id: None,
                    site: None,
                    source: Source::File,
                })
                .ok_or_else(|| ResolveError::Unknown {
                    name: name.to_owned(),
                    hint: self.unknown_hint(),
                });
        };
        let nb = match netbox.device_by_name(name, None).await {
            Ok(d) => d,
            Err(NetboxError::NotFound { .. }) => {
                return from_file
                    .map(|device| Resolved {
                        device,
                        netbox_id: None,
                        site: None,
                        source: Source::File,
                    })
                    .ok_or_else(|| ResolveError::Unknown {
                        name: name.to_owned(),
                        hint: "NetBox has no device by that name (and PATCHPANEL_INVENTORY has none either)".to_owned(),
                    })
            }
            Err(e) => return Err(e.into()),
        };
        let site = nb.site.as_ref().and_then(|s| s.slug.clone());
        if let Some(device) = from_file {
            return Ok(Resolved {
                device,
                netbox_id: Some(nb.id),
                site,
                source: Source::NetboxAndFile,
            });
        }
        let host = match nb.mgmt_address() {
            Some(MgmtAddress::Ip(ip)) => ip.to_string(),
            Some(MgmtAddress::Dns(dns)) => dns,
            None => {
                return Err(ResolveError::NoAddress {
                    name: name.to_owned(),
                    id: nb.id,
                })
            }
        };
        let field = |key: &str| {
            nb.custom_fields
                .as_ref()
                .and_then(|cf| cf.get(key))
                .cloned()
        };
        let profile = field(PROFILE_FIELD)
            .and_then(|v| v.as_str().map(str::to_ascii_lowercase))
            .and_then(|p| match p.trim() {
                "iosxe" | "ios-xe" => Some(Profile::Iosxe),
                "ietf" => Some(Profile::Ietf),
                _ => None,
            });
        let netconf_port = field(NETCONF_PORT_FIELD)
            .and_then(|v| v.as_u64())
            .and_then(|p| u16::try_from(p).ok())
            .filter(|p| *p != 0);
        Ok(Resolved {
            device: crate::device::Device {
                name: nb.name.clone().unwrap_or_else(|| name.to_owned()),
                host,
                netconf_port,
                restconf_url: None,
                profile,
            },
            netbox_id: Some(nb.id),
            site,
            source: Source::Netbox,
        })
    }

    fn unknown_hint(&self) -> String {
        match &self.file {
            Some(f) => {
                let names: Vec<&str> = f.devices().iter().map(|d| d.name.as_str()).collect();
                format!("known devices: {}", names.join(", "))
            }
            None => "no devices are configured: set PATCHPANEL_INVENTORY or NETBOX_URL".to_owned(),
        }
    }
}
