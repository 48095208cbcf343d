//! Lenient serde shapes of the NetBox JSON the bot reads and writes (docs/netbox.md §3–§9).
//! Every field we do not need is ignored; every field we read tolerates `null`, absence and the
//! shape differences between 3.5 and 4.7 (choice objects vs plain strings, `role`/`device_role`).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// A DRF list page: `{"count", "next", "previous", "results"}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Page<T> {
    #[serde(default)]
    pub count: u64,
    #[serde(default)]
    pub next: Option<String>,
    #[serde(default = "Vec::new")]
    pub results: Vec<T>,
}

/// A choice field: `{"value": "access", "label": "Access"}` on 3.x/4.x, a plain string in
/// snapshots, `null` when unset. Empty strings count as unset.
fn choice<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        Some(Value::Object(m)) => m
            .get("value")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        _ => None,
    })
}

/// `null`, absent or a wrong type all read as `None`, so one odd field never rejects a record.
fn lenient<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(
    d: D,
) -> Result<Option<T>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(v.and_then(|v| serde_json::from_value(v).ok()))
}

/// A nested object reference (`{"id", "name", "slug", "display"}`); all but `id` optional.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Ref {
    pub id: u64,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub display: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NestedIp {
    pub id: u64,
    pub address: String,
    #[serde(default, deserialize_with = "lenient")]
    pub dns_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Device {
    pub id: u64,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "choice")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub site: Option<Ref>,
    /// `role` from 3.6 on, `device_role` before.
    #[serde(default, deserialize_with = "lenient", alias = "device_role")]
    pub role: Option<Ref>,
    /// The platform (`{"slug": "cisco-ios-xe", "name": "Cisco IOS XE"}`), `null` when unset.
    #[serde(default, deserialize_with = "lenient")]
    pub platform: Option<Ref>,
    #[serde(default, deserialize_with = "lenient")]
    pub primary_ip4: Option<NestedIp>,
    #[serde(default, deserialize_with = "lenient")]
    pub primary_ip: Option<NestedIp>,
    #[serde(default, deserialize_with = "lenient")]
    pub custom_fields: Option<DeviceCustomFields>,
}

/// The custom fields of a device the bot reads (others ignored). Each is read on its own, so one
/// of an unexpected type never hides the other.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct DeviceCustomFields {
    /// `iosxe` | `ietf` as someone typed it; see `Device::profile_field`.
    #[serde(default, deserialize_with = "lenient")]
    pub patchpanel_profile: Option<String>,
    /// An integer field; a numeric string is tolerated because the field may have been created as
    /// text.
    #[serde(default, deserialize_with = "port_number")]
    pub netconf_port: Option<u16>,
}

/// A TCP port from an integer or a numeric string; 0, out of range or anything else is `None`.
fn port_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    let n = v.and_then(|v| match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    });
    Ok(n.and_then(|n| u16::try_from(n).ok()).filter(|p| *p != 0))
}

/// Where to reach a device, from NetBox's point of view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MgmtAddress {
    /// `primary_ip4.address` without its prefix length.
    Ip(std::net::Ipv4Addr),
    /// The primary IPv4's `dns_name`, when its address cannot be used.
    Dns(String),
}

/// The custom field on a NetBox device that names its profile (`iosxe` | `ietf`).
pub const PROFILE_FIELD: &str = "patchpanel_profile";
/// The custom field on a NetBox device that gives its NETCONF port (when not DEVICE_NETCONF_PORT).
pub const NETCONF_PORT_FIELD: &str = "netconf_port";

impl Device {
    /// The `patchpanel_profile` custom field, trimmed and lower-cased; `None` when unset or not text.
    pub fn profile_field(&self) -> Option<String> {
        self.custom_fields
            .as_ref()?
            .patchpanel_profile
            .as_deref()
            .map(|p| p.trim().to_ascii_lowercase())
    }

    /// The `netconf_port` custom field (an integer field; a numeric string is tolerated), 1–65535.
    pub fn netconf_port_field(&self) -> Option<u16> {
        self.custom_fields.as_ref()?.netconf_port
    }

    /// The management address: `primary_ip4.address` without its prefix length, else the
    /// primary IPv4's DNS name. `None` means "device has no primary IPv4": never guess.
    pub fn mgmt_address(&self) -> Option<MgmtAddress> {
        let ip = self.primary_ip4.as_ref()?;
        let bare = ip.address.split('/').next().unwrap_or_default();
        if let Ok(addr) = bare.trim().parse() {
            return Some(MgmtAddress::Ip(addr));
        }
        ip.dns_name
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| MgmtAddress::Dns(d.to_owned()))
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct VlanRef {
    pub id: u64,
    #[serde(default)]
    pub vid: u16,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Interface {
    pub id: u64,
    #[serde(default)]
    pub name: String,
    #[serde(default, deserialize_with = "lenient")]
    pub device: Option<Ref>,
    #[serde(default, deserialize_with = "lenient")]
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "lenient")]
    pub mtu: Option<u32>,
    #[serde(default, deserialize_with = "lenient")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "choice")]
    pub mode: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "choice")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub untagged_vlan: Option<VlanRef>,
    #[serde(default, deserialize_with = "lenient")]
    pub tagged_vlans: Option<Vec<VlanRef>>,
    #[serde(default, deserialize_with = "lenient")]
    pub custom_fields: Option<InterfaceCustomFields>,
    #[serde(default, deserialize_with = "lenient")]
    pub last_updated: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub mgmt_only: Option<bool>,
    #[serde(default, deserialize_with = "lenient")]
    pub count_ipaddresses: Option<u64>,
    /// The interface's tags (`[{"id", "slug", "name", ...}]`); entries without a slug are dropped.
    #[serde(default, deserialize_with = "tag_list")]
    pub tags: Vec<Tag>,
}

/// A tag on an object (`{"id", "url", "display", "name", "slug", "color"}`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Tag {
    pub slug: String,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
}

/// A list of tags; `null`, a wrong type or a malformed entry never rejects the object.
fn tag_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Tag>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::Array(items)) => items
            .into_iter()
            .filter_map(|t| serde_json::from_value(t).ok())
            .collect(),
        _ => Vec::new(),
    })
}

/// The custom fields of an interface the bot reads (others ignored).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct InterfaceCustomFields {
    /// The field W2 watches (`TICKET_FIELD`); not a string reads as unset.
    #[serde(default, deserialize_with = "lenient")]
    pub change_ticket_number: Option<String>,
}

impl Interface {
    /// `custom_fields.change_ticket_number`, `None` when null, empty or not a string.
    pub fn change_ticket_number(&self) -> Option<&str> {
        self.custom_fields
            .as_ref()?
            .change_ticket_number
            .as_deref()
            .and_then(nonblank)
    }

    /// True when the interface carries the tag with this slug (case-insensitive).
    pub fn has_tag(&self, slug: &str) -> bool {
        let slug = slug.trim();
        !slug.is_empty() && self.tags.iter().any(|t| t.slug.eq_ignore_ascii_case(slug))
    }
}

/// A ticket number as read: trimmed, and blank means none.
fn nonblank(ticket: &str) -> Option<&str> {
    Some(ticket.trim()).filter(|t| !t.is_empty())
}

/// The custom field W2 watches.
pub const TICKET_FIELD: &str = "change_ticket_number";

#[derive(Debug, Clone, Deserialize)]
pub struct Vlan {
    pub id: u64,
    pub vid: u16,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub site: Option<Ref>,
    #[serde(default, deserialize_with = "lenient")]
    pub group: Option<Ref>,
    #[serde(default, deserialize_with = "choice")]
    pub status: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IpAddress {
    pub id: u64,
    pub address: String,
    #[serde(default, deserialize_with = "choice")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub assigned_object_type: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub assigned_object_id: Option<u64>,
    #[serde(default, deserialize_with = "lenient")]
    pub dns_name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub vrf: Option<Ref>,
}

/// `GET /api/status/`.
#[derive(Debug, Clone, Deserialize)]
pub struct StatusBody {
    #[serde(rename = "netbox-version", default, deserialize_with = "lenient")]
    pub netbox_version: Option<String>,
    #[serde(rename = "rq-workers-running", default, deserialize_with = "lenient")]
    pub rq_workers_running: Option<u64>,
}

/// The change-log action: `{"value": "update", ...}` (or a plain string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeAction {
    Create,
    Update,
    Delete,
    Other,
}

fn action<'de, D: Deserializer<'de>>(d: D) -> Result<ChangeAction, D::Error> {
    Ok(match choice(d)?.as_deref() {
        Some("create") => ChangeAction::Create,
        Some("update") => ChangeAction::Update,
        Some("delete") => ChangeAction::Delete,
        _ => ChangeAction::Other,
    })
}

/// `"dcim.interface"`, or `{"app_label": "dcim", "model": "interface"}` as some versions render it.
fn object_type<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::String(s)) => s,
        Some(Value::Object(m)) => match (
            m.get("app_label").and_then(Value::as_str),
            m.get("model").and_then(Value::as_str),
        ) {
            (Some(a), Some(b)) => format!("{a}.{b}"),
            _ => String::new(),
        },
        _ => String::new(),
    })
}

/// One object-change record (`/api/core/object-changes/`, 3.x `/api/extras/object-changes/`).
#[derive(Debug, Clone, Deserialize)]
pub struct ObjectChange {
    pub id: u64,
    #[serde(default)]
    pub time: String,
    #[serde(default, deserialize_with = "lenient")]
    pub user_name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub request_id: Option<String>,
    #[serde(default = "other_action", deserialize_with = "action")]
    pub action: ChangeAction,
    #[serde(default, deserialize_with = "object_type")]
    pub changed_object_type: String,
    #[serde(default)]
    pub changed_object_id: u64,
    /// 4.4+: the `changelog_message` of the write (absent in 3.x).
    #[serde(default, deserialize_with = "lenient")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub prechange_data: Option<Snapshot>,
    #[serde(default, deserialize_with = "lenient")]
    pub postchange_data: Option<Snapshot>,
}

fn other_action() -> ChangeAction {
    ChangeAction::Other
}

/// A flat snapshot of an interface (change log `pre/postchange_data`, webhook `snapshots`):
/// FKs as ids, `tagged_vlans` as an id list, `mode` a plain string. Kept whole; typed accessors
/// read the fields W2 needs.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(transparent)]
pub struct Snapshot(pub Map<String, Value>);

impl Snapshot {
    pub fn change_ticket_number(&self) -> Option<&str> {
        self.0
            .get("custom_fields")
            .and_then(|cf| cf.get(TICKET_FIELD))
            .and_then(Value::as_str)
            .and_then(nonblank)
    }
    pub fn description(&self) -> Option<&str> {
        self.0.get("description").and_then(Value::as_str)
    }
    pub fn enabled(&self) -> Option<bool> {
        self.0.get("enabled").and_then(Value::as_bool)
    }
    pub fn mtu(&self) -> Option<u32> {
        self.0
            .get("mtu")
            .and_then(Value::as_u64)
            .and_then(|m| u32::try_from(m).ok())
    }
    /// `access`, `tagged`, `tagged-all`, `q-in-q`; `None` when unset (`""` or null).
    pub fn mode(&self) -> Option<&str> {
        match self.0.get("mode")? {
            Value::String(s) if !s.is_empty() => Some(s),
            Value::Object(m) => m
                .get("value")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty()),
            _ => None,
        }
    }
    /// The untagged VLAN's NetBox id (not its VID).
    pub fn untagged_vlan(&self) -> Option<u64> {
        id_of(self.0.get("untagged_vlan")?)
    }
    /// The tagged VLANs' NetBox ids (not VIDs).
    pub fn tagged_vlans(&self) -> Vec<u64> {
        self.0
            .get("tagged_vlans")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(id_of).collect())
            .unwrap_or_default()
    }
}

fn id_of(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.get("id").and_then(Value::as_u64))
}

/// A NetBox webhook body, read defensively across 3.5–4.7 (docs/netbox.md §9).
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookBody {
    #[serde(default, deserialize_with = "lenient")]
    pub event: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub timestamp: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    model: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    object_type: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    username: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    request_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    request: Option<Map<String, Value>>,
    #[serde(default)]
    pub data: Value,
    #[serde(default, deserialize_with = "lenient")]
    pub snapshots: Option<Snapshots>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Snapshots {
    #[serde(default, deserialize_with = "lenient")]
    pub prechange: Option<Snapshot>,
    #[serde(default, deserialize_with = "lenient")]
    pub postchange: Option<Snapshot>,
}

impl WebhookBody {
    /// `object_type` (4.4+) or `"dcim." + model` (3.5–4.4).
    pub fn object_type(&self) -> Option<String> {
        self.object_type
            .clone()
            .or_else(|| self.model.as_ref().map(|m| format!("dcim.{m}")))
    }
    /// `request.user` (4.7) or `username` (before).
    pub fn user(&self) -> Option<String> {
        self.request
            .as_ref()
            .and_then(|r| r.get("user"))
            .and_then(|u| {
                u.as_str()
                    .map(str::to_owned)
                    .or_else(|| u.get("username").and_then(Value::as_str).map(str::to_owned))
            })
            .or_else(|| self.username.clone())
    }
    /// `request.id` (4.7) or `request_id` (before).
    pub fn request_id(&self) -> Option<String> {
        self.request
            .as_ref()
            .and_then(|r| r.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| self.request_id.clone())
    }
    /// `data` as an interface, when it is one.
    pub fn interface(&self) -> Option<Interface> {
        serde_json::from_value(self.data.clone()).ok()
    }
}

/// The body of `PATCH /api/dcim/interfaces/{id}/`, with VLANs already resolved to ids.
/// Absent fields are left untouched by NetBox.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct InterfacePatchBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// `Some(None)` clears the MTU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtu: Option<Option<u32>>,
    /// The L2 triple is always written together (a lone `mode` fails on 4.x).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub untagged_vlan: Option<Option<u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tagged_vlans: Option<Vec<u64>>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub custom_fields: Map<String, Value>,
    pub changelog_message: String,
}

/// `POST /api/ipam/ip-addresses/` and the re-assigning PATCH.
#[derive(Debug, Clone, Serialize)]
pub struct IpAssignBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'a str>,
    pub assigned_object_type: &'a str,
    pub assigned_object_id: u64,
    pub changelog_message: &'a str,
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
