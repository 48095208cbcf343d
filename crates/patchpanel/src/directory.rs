//! Where devices come from: NetBox (when configured) and the devices file (`PATCHPANEL_INVENTORY`).
//!
//! NetBox is the source of truth for which devices exist and where they are managed (primary IPv4, or
//! its DNS name). An entry in the devices file for the same name overrides how to reach it (host,
//! ports, RESTCONF URL, profile): that is how a lab points a NetBox device at a loopback simulator, and
//! how the bot keeps working without NetBox at all. Neither knows the other's JSON: this module turns
//! `netbox::Device` into `device::Device` and `netbox::Interface` into `device::intent::Intent`
//! (pure functions, [`device_from_netbox`], [`profile_from_netbox`], [`intent_from_netbox`]).

use crate::device::intent::{Intent, IntentMode};
use crate::device::{DeviceError, Inventory, Profile};
use crate::netbox::{self, MgmtAddress, NetboxClient, NetboxError};
use std::sync::Arc;

pub use netbox::wire::{NETCONF_PORT_FIELD, PROFILE_FIELD};

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

/// What [`DeviceDirectory::lookup`] found: the device, and why NetBox could not be asked when the
/// devices file had to answer alone.
#[derive(Debug)]
pub struct Lookup {
    pub resolved: Resolved,
    /// NetBox failed (down, token, …) and the devices file had the device: reads go ahead, and the
    /// answer says NetBox could not be read.
    pub netbox_error: Option<NetboxError>,
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

/// Longest name echoed back in an error.
const MAX_NAME_SHOWN: usize = 64;

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

    /// Neither NetBox nor a devices file: no device can be resolved.
    pub fn is_empty(&self) -> bool {
        self.file.is_none() && self.netbox.is_none()
    }

    /// The device called `name`. Any NetBox failure is an error, even when the devices file has the
    /// device (a change must not go ahead on half the information); reads use [`Self::lookup`].
    pub async fn resolve(&self, name: &str) -> Result<Resolved, ResolveError> {
        let found = self.lookup(name).await?;
        match found.netbox_error {
            Some(e) => Err(e.into()),
            None => Ok(found.resolved),
        }
    }

    /// The device called `name`, for a read: when NetBox fails but the devices file has the device,
    /// the file answers and the NetBox error comes along in [`Lookup::netbox_error`].
    pub async fn lookup(&self, name: &str) -> Result<Lookup, ResolveError> {
        let from_file = self.file.as_ref().and_then(|f| f.get(name).ok()).cloned();
        let file_only = |device| Resolved {
            device,
            netbox_id: None,
            site: None,
            source: Source::File,
        };
        // Only the devices file can answer: its entry, or "unknown" with `hint`.
        let file_answer = |device: Option<crate::device::Device>, hint: String| {
            device
                .map(|d| Lookup {
                    resolved: file_only(d),
                    netbox_error: None,
                })
                .ok_or_else(|| ResolveError::Unknown {
                    name: shown(name),
                    hint,
                })
        };
        let Some(netbox) = &self.netbox else {
            return file_answer(from_file, self.file_hint(name));
        };
        let nb = match netbox.device_by_name(name, None).await {
            Ok(d) => d,
            Err(NetboxError::NotFound { .. }) => {
                let hint = match &self.file {
                    Some(_) => format!(
                        "NetBox has no device by that name and PATCHPANEL_INVENTORY has none either ({})",
                        self.file_hint(name)
                    ),
                    None => "NetBox has no device by that name".to_owned(),
                };
                return file_answer(from_file, hint);
            }
            Err(e) => {
                return match from_file {
                    Some(d) => {
                        tracing::warn!(device = %d.name, error = %e, "NetBox could not be read; using the devices file");
                        Ok(Lookup {
                            resolved: file_only(d),
                            netbox_error: Some(e),
                        })
                    }
                    None => Err(e.into()),
                }
            }
        };
        let site = nb.site.as_ref().and_then(|s| s.slug.clone());
        let (device, source) = match from_file {
            // The file says how to reach it; NetBox says it exists.
            Some(device) => (device, Source::NetboxAndFile),
            None => (device_from_netbox(&nb, name)?, Source::Netbox),
        };
        Ok(Lookup {
            resolved: Resolved {
                device,
                netbox_id: Some(nb.id),
                site,
                source,
            },
            netbox_error: None,
        })
    }

    /// Every device the bot watches: each entry of the devices file, and each active NetBox device
    /// with a primary IPv4 address whose profile NetBox names (its `patchpanel_profile` custom field
    /// or platform), the file's entry winning for a device both know. NetBox failing is an error:
    /// the caller keeps the list it had.
    pub async fn managed(&self) -> Result<Vec<crate::device::Device>, NetboxError> {
        let mut out: Vec<crate::device::Device> = self
            .file
            .as_deref()
            .map(|f| f.devices().to_vec())
            .unwrap_or_default();
        if let Some(netbox) = &self.netbox {
            for nb in netbox.devices_with_primary_ip().await? {
                let Some(name) = nb.name.clone() else {
                    continue;
                };
                if profile_from_netbox(&nb).is_none()
                    || out.iter().any(|d| d.name.eq_ignore_ascii_case(&name))
                {
                    continue;
                }
                if let Ok(device) = device_from_netbox(&nb, &name) {
                    out.push(device);
                }
            }
        }
        // A device the file marks `watch = false` is left out, whoever else knows it.
        if let Some(file) = self.file.as_deref() {
            out.retain(|d| file.is_watched(&d.name));
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The devices file's watched devices alone: what the notifier watches while NetBox cannot
    /// be listed.
    pub fn watched_in_file(&self) -> Vec<crate::device::Device> {
        self.file
            .as_deref()
            .map(|f| {
                f.devices()
                    .iter()
                    .filter(|d| f.is_watched(&d.name))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// NetBox's intent for `interface` (full name) of a resolved device. `Ok(None)` when NetBox is
    /// not configured or knows neither the device nor the interface.
    pub async fn intent(
        &self,
        resolved: &Resolved,
        interface: &str,
    ) -> Result<Option<Intent>, NetboxError> {
        let (Some(netbox), Some(id)) = (&self.netbox, resolved.netbox_id) else {
            return Ok(None);
        };
        match netbox.interface_by_name(id, interface).await {
            Ok(i) => Ok(Some(intent_from_netbox(&i))),
            Err(NetboxError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// "did you mean …, known devices: …" from the devices file.
    fn file_hint(&self, name: &str) -> String {
        let Some(f) = &self.file else {
            return "no devices are configured: set PATCHPANEL_INVENTORY or NETBOX_URL".to_owned();
        };
        match f.get(name) {
            Err(DeviceError::UnknownDevice {
                known, suggestion, ..
            }) => {
                let known = if known.is_empty() {
                    "the devices file is empty".to_owned()
                } else {
                    format!("known devices: {}", known.join(", "))
                };
                match suggestion {
                    Some(s) => format!("did you mean `{s}`? {known}"),
                    None => known,
                }
            }
            _ => "not in PATCHPANEL_INVENTORY".to_owned(),
        }
    }
}

fn shown(name: &str) -> String {
    name.chars()
        .take(MAX_NAME_SHOWN)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// How the bot reaches a device NetBox describes: its management address, the profile and NETCONF
/// port from NetBox. `name` is used when NetBox's record has none.
pub fn device_from_netbox(
    nb: &netbox::Device,
    name: &str,
) -> Result<crate::device::Device, ResolveError> {
    let host = match nb.mgmt_address() {
        Some(MgmtAddress::Ip(ip)) => ip.to_string(),
        Some(MgmtAddress::Dns(dns)) => dns,
        None => {
            return Err(ResolveError::NoAddress {
                name: nb.name.clone().unwrap_or_else(|| shown(name)),
                id: nb.id,
            })
        }
    };
    Ok(crate::device::Device {
        name: nb.name.clone().unwrap_or_else(|| name.to_owned()),
        host,
        netconf_port: netconf_port_from_netbox(nb),
        restconf_url: None,
        profile: profile_from_netbox(nb),
    })
}

/// The profile: the `patchpanel_profile` custom field (`iosxe` | `ietf`) first, else the platform
/// (a slug or name containing `ios-xe`, `iosxe` or `cisco_iosxe` is IOS-XE). `None` lets the device's
/// NETCONF capabilities decide.
pub fn profile_from_netbox(nb: &netbox::Device) -> Option<Profile> {
    let field = nb.profile_field();
    match field.as_deref() {
        Some("iosxe" | "ios-xe") => return Some(Profile::Iosxe),
        Some("ietf") => return Some(Profile::Ietf),
        _ => {}
    }
    let platform = nb.platform.as_ref()?;
    let iosxe = [platform.slug.as_deref(), platform.name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::to_ascii_lowercase)
        .any(|s| {
            ["ios-xe", "iosxe", "cisco_iosxe"]
                .iter()
                .any(|k| s.contains(k))
        });
    iosxe.then_some(Profile::Iosxe)
}

/// The `netconf_port` custom field (an integer field; a numeric string is tolerated), 1–65535.
pub fn netconf_port_from_netbox(nb: &netbox::Device) -> Option<u16> {
    nb.netconf_port_field()
}

/// NetBox's record of an interface as an [`Intent`]: VLANs by VID, the mode by its value.
pub fn intent_from_netbox(i: &netbox::Interface) -> Intent {
    let untagged = i.untagged_vlan.as_ref().map(|v| v.vid);
    let mode = match i.mode.as_deref() {
        None => IntentMode::Unset,
        Some("access") => IntentMode::Access { untagged },
        Some("tagged") => IntentMode::Tagged {
            untagged,
            tagged: i
                .tagged_vlans
                .as_ref()
                .map(|t| t.iter().map(|v| v.vid).collect())
                .unwrap_or_default(),
        },
        Some("tagged-all") => IntentMode::TaggedAll { untagged },
        Some(other) => IntentMode::Other(other.to_owned()),
    };
    Intent {
        description: i
            .description
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_owned),
        enabled: i.enabled.unwrap_or(true),
        mtu: i.mtu,
        mode,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn nb_device(v: Value) -> netbox::Device {
        serde_json::from_value(v).unwrap()
    }

    fn c9300(extra: Value) -> netbox::Device {
        let mut v = json!({
            "id": 1, "name": "c9300", "site": {"id": 1, "slug": "lab"},
            "primary_ip4": {"id": 1, "address": "192.0.2.10/24"},
            "platform": {"id": 1, "name": "Cisco IOS XE", "slug": "cisco-ios-xe"},
            "custom_fields": {"patchpanel_profile": null, "netconf_port": null},
        });
        if let (Some(a), Value::Object(b)) = (v.as_object_mut(), extra) {
            a.extend(b);
        }
        nb_device(v)
    }

    #[test]
    fn a_netbox_device_becomes_a_device() {
        let d = device_from_netbox(&c9300(json!({})), "c9300").unwrap();
        assert_eq!(
            d,
            crate::device::Device {
                name: "c9300".into(),
                host: "192.0.2.10".into(),
                netconf_port: None,
                restconf_url: None,
                profile: Some(Profile::Iosxe),
            }
        );
        let dns = c9300(
            json!({"primary_ip4": {"id": 1, "address": "bogus", "dns_name": " sw.example "}}),
        );
        assert_eq!(
            device_from_netbox(&dns, "c9300").unwrap().host,
            "sw.example"
        );
        let none = c9300(json!({"primary_ip4": null}));
        assert!(matches!(
            device_from_netbox(&none, "c9300"),
            Err(ResolveError::NoAddress { id: 1, .. })
        ));
    }

    #[test]
    fn profile_field_first_then_platform() {
        let cf = |p: Value| c9300(json!({"custom_fields": {"patchpanel_profile": p}}));
        assert_eq!(profile_from_netbox(&cf(json!("ietf"))), Some(Profile::Ietf));
        assert_eq!(
            profile_from_netbox(&cf(json!(" IOSXE "))),
            Some(Profile::Iosxe)
        );
        // Empty, null or unknown: the platform decides.
        for v in [json!(""), json!(null), json!("junos"), json!(7)] {
            assert_eq!(profile_from_netbox(&cf(v)), Some(Profile::Iosxe));
        }
        let platform = |p: Value| c9300(json!({"platform": p}));
        for p in [
            json!({"id": 2, "slug": "ios-xe"}),
            json!({"id": 2, "slug": "cisco_iosxe"}),
            json!({"id": 2, "name": "IOSXE 17.9"}),
            json!({"id": 2, "slug": "Cisco-IOS-XE"}),
        ] {
            assert_eq!(
                profile_from_netbox(&platform(p.clone())),
                Some(Profile::Iosxe),
                "{p}"
            );
        }
        for p in [
            json!(null),
            json!({"id": 3, "slug": "junos", "name": "Junos"}),
            json!({"id": 4, "slug": "ios"}),
        ] {
            assert_eq!(profile_from_netbox(&platform(p.clone())), None, "{p}");
        }
        let both = c9300(
            json!({"custom_fields": {"patchpanel_profile": "ietf"}, "platform": {"id": 1, "slug": "cisco-ios-xe"}}),
        );
        assert_eq!(profile_from_netbox(&both), Some(Profile::Ietf));
    }

    #[test]
    fn netconf_port_from_the_custom_field() {
        let port = |p: Value| {
            netconf_port_from_netbox(&c9300(json!({"custom_fields": {"netconf_port": p}})))
        };
        assert_eq!(port(json!(2830)), Some(2830));
        assert_eq!(port(json!("830")), Some(830));
        for bad in [
            json!(null),
            json!(0),
            json!(70000),
            json!(-1),
            json!("x"),
            json!(1.5),
        ] {
            assert_eq!(port(bad.clone()), None, "{bad}");
        }
        assert_eq!(netconf_port_from_netbox(&nb_device(json!({"id": 9}))), None);
    }

    #[test]
    fn a_netbox_interface_becomes_an_intent() {
        let i: netbox::Interface = serde_json::from_value(json!({
            "id": 2, "name": "GigabitEthernet1/0/2", "enabled": false, "mtu": 9000,
            "description": "  ", "mode": {"value": "tagged", "label": "Tagged"},
            "untagged_vlan": {"id": 5, "vid": 99}, "tagged_vlans": [{"id": 1, "vid": 10}, {"id": 2, "vid": 20}],
        }))
        .unwrap();
        assert_eq!(
            intent_from_netbox(&i),
            Intent {
                description: None,
                enabled: false,
                mtu: Some(9000),
                mode: IntentMode::Tagged {
                    untagged: Some(99),
                    tagged: vec![10, 20]
                },
            }
        );
        let bare: netbox::Interface =
            serde_json::from_value(json!({"id": 3, "description": "x", "mode": null})).unwrap();
        let intent = intent_from_netbox(&bare);
        assert_eq!(
            (intent.enabled, intent.mode, intent.description.as_deref()),
            (true, IntentMode::Unset, Some("x"))
        );
        let qinq: netbox::Interface =
            serde_json::from_value(json!({"id": 4, "mode": "q-in-q"})).unwrap();
        assert_eq!(
            intent_from_netbox(&qinq).mode,
            IntentMode::Other("q-in-q".into())
        );
    }

    #[tokio::test]
    async fn the_file_alone_resolves_and_explains_unknown_names() {
        let file = Inventory::from_toml_str("[[device]]\nname = \"c9300\"\nhost = \"127.0.0.1\"\n")
            .unwrap();
        let dir = DeviceDirectory::new(Some(file), None);
        let r = dir.resolve("C9300").await.unwrap();
        assert_eq!(
            (r.device.name.as_str(), r.source, r.netbox_id),
            ("c9300", Source::File, None)
        );
        let e = dir.resolve("c9301").await.unwrap_err().to_string();
        assert!(e.contains("did you mean `c9300`"), "{e}");
        let e = DeviceDirectory::default()
            .resolve("x")
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("NETBOX_URL"), "{e}");
        assert!(DeviceDirectory::default().is_empty());
    }
}
