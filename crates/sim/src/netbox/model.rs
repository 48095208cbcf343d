//! The simulated NetBox's data: typed objects, the seed, the logical clock and the change log.
//! Pure: no IO, no JSON shapes (those live in `render.rs`).

use serde_json::{Map, Value};

/// The custom field the workflows use (W2).
pub const TICKET_FIELD: &str = "change_ticket_number";
/// The id of the `change_ticket_number` custom field.
pub const TICKET_FIELD_ID: u64 = 1;
/// The user every accepted credential acts as unless a token says otherwise.
pub const DEFAULT_USER: &str = "admin";

pub const SITE_LAB: u64 = 1;
pub const SITE_OTHER: u64 = 2;
pub const DEVICE_C9300: u64 = 1;
/// A second switch at `lab` with no primary IPv4, no platform and no interfaces.
pub const DEVICE_SPARE: u64 = 2;
/// Platform `cisco-ios-xe` ("Cisco IOS XE").
pub const PLATFORM_IOSXE: u64 = 1;
/// The device custom fields the bot reads (`directory.rs` in the bot): text and integer, empty unless set.
pub const PROFILE_FIELD: &str = "patchpanel_profile";
pub const NETCONF_PORT_FIELD: &str = "netconf_port";
/// `GigabitEthernet1/0/N` has id N (1..=48); `Vlan1` comes after them.
pub const IFACE_VLAN1: u64 = 49;
pub const IP_MGMT: u64 = 1;
/// The global VLAN (no site): VID 999, named `GLOBAL999`.
pub const VLAN_GLOBAL999: u64 = 7;
/// The one seeded tag (`/api/extras/tags/` is not simulated; interfaces can carry it).
pub const TAG_PROTECTED: (u64, &str, &str) = (1, "patchpanel-protected", "patchpanel-protected");

#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub id: u64,
    pub name: String,
    pub slug: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub id: u64,
    pub name: String,
    pub site: u64,
    pub primary_ip4: Option<u64>,
    pub platform: Option<u64>,
    pub custom_fields: Map<String, Value>,
    pub created: String,
    pub last_updated: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Interface {
    pub id: u64,
    pub device: u64,
    pub name: String,
    /// NetBox's interface type value (`1000base-t`, `virtual`).
    pub kind: String,
    pub enabled: bool,
    pub mtu: Option<u32>,
    pub description: String,
    /// `None` is NetBox's empty mode (`null` in the API, `""` in snapshots).
    pub mode: Option<String>,
    pub untagged_vlan: Option<u64>,
    pub tagged_vlans: Vec<u64>,
    pub mgmt_only: bool,
    /// Tag ids (only [`TAG_PROTECTED`] exists).
    pub tags: Vec<u64>,
    pub custom_fields: Map<String, Value>,
    pub created: String,
    pub last_updated: String,
}

impl Interface {
    /// A new, enabled 1000base-t port with NetBox's defaults, created at `t`.
    fn copper(
        id: u64,
        device: u64,
        name: String,
        custom_fields: Map<String, Value>,
        t: &str,
    ) -> Self {
        Interface {
            id,
            device,
            name,
            kind: "1000base-t".to_owned(),
            enabled: true,
            mtu: None,
            description: String::new(),
            mode: None,
            untagged_vlan: None,
            tagged_vlans: Vec::new(),
            mgmt_only: false,
            tags: Vec::new(),
            custom_fields,
            created: t.to_owned(),
            last_updated: t.to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Vlan {
    pub id: u64,
    pub vid: u16,
    pub name: String,
    /// `None` is a global VLAN.
    pub site: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IpAddress {
    pub id: u64,
    /// With its mask, as NetBox stores it (`192.0.2.10/24`).
    pub address: String,
    pub status: String,
    pub interface: Option<u64>,
    pub description: String,
    pub dns_name: String,
    pub created: String,
    pub last_updated: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
}

impl Action {
    pub fn value(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Action::Create => "Created",
            Action::Update => "Updated",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectChange {
    pub id: u64,
    pub time: String,
    pub user_id: u64,
    pub user_name: String,
    pub request_id: String,
    pub action: Action,
    /// `dcim.interface`, `ipam.ipaddress`.
    pub object_type: &'static str,
    pub object_id: u64,
    pub object_repr: String,
    pub message: String,
    pub prechange: Value,
    pub postchange: Value,
}

/// Who made a write and why: becomes the change record's user, request id and message.
#[derive(Debug, Clone)]
pub struct Author {
    pub user: String,
    pub request_id: String,
    pub message: String,
}

/// The whole database.
#[derive(Debug, Clone)]
pub struct Netbox {
    pub sites: Vec<Site>,
    pub devices: Vec<Device>,
    pub interfaces: Vec<Interface>,
    pub vlans: Vec<Vlan>,
    pub ips: Vec<IpAddress>,
    pub users: Vec<(u64, String)>,
    pub changes: Vec<ObjectChange>,
    /// The `required` flag of `change_ticket_number` (`PATCH /api/extras/custom-fields/1/`).
    pub ticket_required: bool,
    next_ip: u64,
    next_change: u64,
    clock_micros: u64,
}

impl Netbox {
    /// The seeded lab (the ids are part of the simulator's contract, see `mod.rs`).
    pub fn seeded(now_micros: u64) -> Self {
        let t = iso8601(now_micros);
        let site = |id, name: &str, slug: &str| Site {
            id,
            name: name.to_owned(),
            slug: slug.to_owned(),
        };
        let mut interfaces: Vec<Interface> = (1..=48)
            .map(|n| {
                Interface::copper(
                    n,
                    DEVICE_C9300,
                    format!("GigabitEthernet1/0/{n}"),
                    ticket_cf(Value::Null),
                    &t,
                )
            })
            .collect();
        interfaces.push(Interface {
            kind: "virtual".to_owned(),
            description: "management".to_owned(),
            mgmt_only: true,
            ..Interface::copper(
                IFACE_VLAN1,
                DEVICE_C9300,
                "Vlan1".to_owned(),
                ticket_cf(Value::Null),
                &t,
            )
        });
        let vlan = |id, vid, name: &str, site| Vlan {
            id,
            vid,
            name: name.to_owned(),
            site: Some(site),
        };
        Netbox {
            sites: vec![
                site(SITE_LAB, "Lab", "lab"),
                site(SITE_OTHER, "Other", "other"),
            ],
            devices: vec![
                Device {
                    id: DEVICE_C9300,
                    name: "c9300".to_owned(),
                    site: SITE_LAB,
                    primary_ip4: Some(IP_MGMT),
                    platform: Some(PLATFORM_IOSXE),
                    custom_fields: device_cf(),
                    created: t.clone(),
                    last_updated: t.clone(),
                },
                Device {
                    id: DEVICE_SPARE,
                    name: "c9300-spare".to_owned(),
                    site: SITE_LAB,
                    primary_ip4: None,
                    platform: None,
                    custom_fields: device_cf(),
                    created: t.clone(),
                    last_updated: t.clone(),
                },
            ],
            interfaces,
            vlans: vec![
                vlan(1, 10, "data", SITE_LAB),
                vlan(2, 20, "voice", SITE_LAB),
                vlan(3, 100, "users", SITE_LAB),
                vlan(4, 200, "printers", SITE_LAB),
                vlan(5, 300, "guests", SITE_LAB),
                vlan(6, 100, "other-users", SITE_OTHER),
                Vlan {
                    id: VLAN_GLOBAL999,
                    vid: 999,
                    name: "GLOBAL999".to_owned(),
                    site: None,
                },
            ],
            ips: vec![IpAddress {
                id: IP_MGMT,
                address: "192.0.2.10/24".to_owned(),
                status: "active".to_owned(),
                interface: Some(IFACE_VLAN1),
                description: String::new(),
                dns_name: String::new(),
                created: t.clone(),
                last_updated: t,
            }],
            users: vec![(1, DEFAULT_USER.to_owned())],
            changes: Vec::new(),
            ticket_required: false,
            next_ip: IP_MGMT + 1,
            next_change: 1,
            clock_micros: now_micros,
        }
    }

    /// A timestamp strictly after every earlier one, so `last_updated` (and the ETag) changes on
    /// every write even within one microsecond.
    pub fn tick(&mut self, now_micros: u64) -> String {
        self.clock_micros = now_micros.max(self.clock_micros.saturating_add(1));
        iso8601(self.clock_micros)
    }

    pub fn site(&self, id: u64) -> Option<&Site> {
        self.sites.iter().find(|s| s.id == id)
    }
    pub fn device(&self, id: u64) -> Option<&Device> {
        self.devices.iter().find(|d| d.id == id)
    }
    /// Interfaces are kept sorted by id (the seed and `add_interfaces` only append higher ids), so a
    /// lookup stays cheap with thousands of them.
    pub fn interface(&self, id: u64) -> Option<&Interface> {
        self.interfaces
            .binary_search_by_key(&id, |i| i.id)
            .ok()
            .and_then(|pos| self.interfaces.get(pos))
    }
    pub fn vlan(&self, id: u64) -> Option<&Vlan> {
        self.vlans.iter().find(|v| v.id == id)
    }
    pub fn ip(&self, id: u64) -> Option<&IpAddress> {
        self.ips.iter().find(|i| i.id == id)
    }
    pub fn interface_by_name(&self, device: &str, name: &str) -> Option<&Interface> {
        let dev = self.devices.iter().find(|d| d.name == device)?;
        self.interfaces
            .iter()
            .find(|i| i.device == dev.id && i.name == name)
    }
    pub fn ip_count(&self, iface: u64) -> usize {
        self.ips
            .iter()
            .filter(|i| i.interface == Some(iface))
            .count()
    }

    /// Adds `count` physical interfaces to a device (names `GigabitEthernet<m>/0/<n>` not yet taken,
    /// 48 per module), optionally carrying a ticket number. A bulk import: nothing is written to the
    /// change log. Returns the new ids (`None`: no such device).
    pub fn add_interfaces(
        &mut self,
        device: &str,
        count: usize,
        ticket: Option<&str>,
        now_micros: u64,
    ) -> Option<Vec<u64>> {
        let dev = self.devices.iter().find(|d| d.name == device)?.id;
        let taken: std::collections::HashSet<String> = self
            .interfaces
            .iter()
            .filter(|i| i.device == dev)
            .map(|i| i.name.clone())
            .collect();
        let t = self.tick(now_micros);
        let first_id = self.interfaces.iter().map(|i| i.id).max().unwrap_or(0) + 1;
        let cf = ticket_cf(ticket.map_or(Value::Null, |t| Value::String(t.to_owned())));
        let mut ids = Vec::with_capacity(count);
        let names = (0u64..)
            .map(|k| format!("GigabitEthernet{}/0/{}", 1 + k / 48, 1 + k % 48))
            .filter(|n| !taken.contains(n));
        for (id, name) in (first_id..).zip(names.take(count)) {
            self.interfaces
                .push(Interface::copper(id, dev, name, cf.clone(), &t));
            ids.push(id);
        }
        Some(ids)
    }

    fn user_id(&mut self, name: &str) -> u64 {
        if let Some((id, _)) = self.users.iter().find(|(_, n)| n == name) {
            return *id;
        }
        let id = self.users.iter().map(|(id, _)| *id).max().unwrap_or(0) + 1;
        self.users.push((id, name.to_owned()));
        id
    }

    /// Stores an interface that `patch::apply` validated, and records the change (skipped when
    /// nothing but `last_updated` changed, as NetBox's `CHANGELOG_SKIP_EMPTY_CHANGES` does).
    pub fn save_interface(&mut self, mut new: Interface, author: &Author, now_micros: u64) {
        let Some(pos) = self.interfaces.iter().position(|i| i.id == new.id) else {
            return;
        };
        let before = self.interfaces[pos].clone();
        new.last_updated = self.tick(now_micros);
        let pre = flat_interface(&before);
        let post = flat_interface(&new);
        let repr = new.name.clone();
        let id = new.id;
        self.interfaces[pos] = new;
        if !same_but_timestamp(&pre, &post) {
            self.record(
                author,
                Action::Update,
                "dcim.interface",
                id,
                repr,
                pre,
                post,
            );
        }
    }

    /// Stores a new or changed IP address and records the change.
    pub fn save_ip(&mut self, mut new: IpAddress, author: &Author, now_micros: u64) -> u64 {
        new.last_updated = self.tick(now_micros);
        let existing = self.ips.iter().position(|i| i.id == new.id && new.id != 0);
        let (action, pre) = match existing {
            Some(pos) => (Action::Update, flat_ip(&self.ips[pos])),
            None => {
                new.id = self.next_ip;
                self.next_ip += 1;
                new.created = new.last_updated.clone();
                (Action::Create, Value::Null)
            }
        };
        let post = flat_ip(&new);
        let (id, repr) = (new.id, new.address.clone());
        match existing {
            Some(pos) => self.ips[pos] = new,
            None => self.ips.push(new),
        }
        if !same_but_timestamp(&pre, &post) {
            self.record(author, action, "ipam.ipaddress", id, repr, pre, post);
        }
        id
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        author: &Author,
        action: Action,
        object_type: &'static str,
        object_id: u64,
        object_repr: String,
        prechange: Value,
        postchange: Value,
    ) {
        let user_id = self.user_id(&author.user);
        let id = self.next_change;
        self.next_change += 1;
        self.changes.push(ObjectChange {
            id,
            time: iso8601(self.clock_micros),
            user_id,
            user_name: author.user.clone(),
            request_id: author.request_id.clone(),
            action,
            object_type,
            object_id,
            object_repr,
            message: author.message.clone(),
            prechange,
            postchange,
        });
    }
}

fn device_cf() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(PROFILE_FIELD.to_owned(), Value::Null);
    m.insert(NETCONF_PORT_FIELD.to_owned(), Value::Null);
    m
}

fn ticket_cf(v: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(TICKET_FIELD.to_owned(), v);
    m
}

fn same_but_timestamp(a: &Value, b: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(o) = v.as_object_mut() {
            o.remove("last_updated");
        }
        v
    };
    strip(a) == strip(b)
}

/// The change log's flat snapshot of an interface: FKs as ids, `mode` as a plain string.
pub fn flat_interface(i: &Interface) -> Value {
    serde_json::json!({
        "created": i.created, "last_updated": i.last_updated, "device": i.device,
        "name": i.name, "label": "", "description": i.description, "module": null,
        "cable": null, "cable_end": "", "mark_connected": false, "enabled": i.enabled,
        "mac_address": null, "mtu": i.mtu, "mode": i.mode.clone().unwrap_or_default(),
        "parent": null, "bridge": null, "lag": null, "type": i.kind, "mgmt_only": i.mgmt_only,
        "speed": null, "duplex": null, "wwn": null, "rf_role": "", "rf_channel": "",
        "rf_channel_frequency": null, "rf_channel_width": null, "tx_power": null,
        "poe_mode": "", "poe_type": "", "wireless_link": null, "untagged_vlan": i.untagged_vlan,
        "vrf": null, "vdcs": [], "wireless_lans": [], "tagged_vlans": i.tagged_vlans,
        "custom_fields": i.custom_fields,
        // The change log's snapshots list tag names.
        "tags": i.tags.iter().filter(|t| **t == TAG_PROTECTED.0).map(|_| TAG_PROTECTED.1).collect::<Vec<_>>(),
    })
}

/// The change log's flat snapshot of an IP address.
pub fn flat_ip(ip: &IpAddress) -> Value {
    serde_json::json!({
        "created": ip.created, "last_updated": ip.last_updated, "address": ip.address,
        "vrf": null, "tenant": null, "status": ip.status, "role": "",
        "assigned_object_type": ip.interface.map(|_| "dcim.interface"),
        "assigned_object_id": ip.interface, "nat_inside": null, "dns_name": ip.dns_name,
        "description": ip.description, "comments": "", "custom_fields": {}, "tags": [],
    })
}

/// `2026-11-23T15:53:10.123456Z` from microseconds since the Unix epoch.
pub fn iso8601(micros: u64) -> String {
    let secs = micros / 1_000_000;
    let frac = micros % 1_000_000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:06}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_known_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000000Z");
        // 2024-02-29T12:34:56.5Z
        assert_eq!(
            iso8601(1_709_210_096_500_000),
            "2024-02-29T12:34:56.500000Z"
        );
    }

    #[test]
    fn tick_is_strictly_increasing() {
        let mut nb = Netbox::seeded(10);
        let a = nb.tick(5);
        let b = nb.tick(5);
        assert!(a < b);
    }

    #[test]
    fn unchanged_save_records_nothing() {
        let mut nb = Netbox::seeded(10);
        let author = Author {
            user: "admin".into(),
            request_id: "r".into(),
            message: String::new(),
        };
        let same = nb.interfaces[0].clone();
        nb.save_interface(same, &author, 20);
        assert!(nb.changes.is_empty());
        let mut changed = nb.interfaces[0].clone();
        changed.mtu = Some(9000);
        nb.save_interface(changed, &author, 30);
        assert_eq!(nb.changes.len(), 1);
        assert_eq!(nb.changes[0].prechange["mtu"], Value::Null);
        assert_eq!(nb.changes[0].postchange["mtu"], 9000);
    }

    #[test]
    fn added_interfaces_get_free_names_and_ids_and_no_change_records() {
        let mut nb = Netbox::seeded(10);
        let ids = nb.add_interfaces("c9300", 50, Some("CHG-7"), 20).unwrap();
        assert_eq!(ids.len(), 50);
        assert_eq!(ids[0], IFACE_VLAN1 + 1);
        let first = nb.interface(ids[0]).unwrap();
        assert_eq!(first.name, "GigabitEthernet2/0/1");
        assert_eq!(first.custom_fields[TICKET_FIELD], "CHG-7");
        assert_eq!(nb.interface(ids[49]).unwrap().name, "GigabitEthernet3/0/2");
        assert!(nb.changes.is_empty());
        assert!(nb.interfaces.windows(2).all(|w| w[0].id < w[1].id));
        assert!(nb.add_interfaces("nope", 1, None, 30).is_none());
    }
}
