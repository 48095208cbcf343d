//! W3's plan, pure: what a validated ticket change will do to NetBox (updated first, as the source
//! of truth) and to the switch, each field before → after, computed from what both hold now. The
//! same function runs when the card is made and again when Approve is pressed; the two plans'
//! hashes must match for the approval to stand.

use crate::approval::{Plan, PlanRow, Side};
use crate::device::change::{Edit, ModeChange, ValidChange};
use crate::device::diff::{diff, project};
use crate::device::InterfaceConfig;
use crate::netbox::{InterfaceUpdate, L2Update};

/// NetBox's record of the interface, reduced to the fields a ticket can change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetboxSide {
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub mtu: Option<u32>,
    /// NetBox's `mode` value (`access`, `tagged`, `tagged-all`), `None` when unset.
    pub mode: Option<String>,
    pub untagged_vlan: Option<u16>,
    pub tagged_vlans: Vec<u16>,
    /// Addresses assigned to the interface, with their prefix length (`10.1.2.3/24`), sorted.
    pub ipv4: Vec<String>,
}

impl NetboxSide {
    /// From the interface as the NetBox client read it and the addresses assigned to it.
    pub fn from_netbox(
        interface: &crate::netbox::Interface,
        addresses: &[crate::netbox::IpAddress],
    ) -> NetboxSide {
        let mut tagged: Vec<u16> = interface
            .tagged_vlans
            .as_ref()
            .map(|v| v.iter().map(|v| v.vid).collect())
            .unwrap_or_default();
        tagged.sort_unstable();
        let mut ipv4: Vec<String> = addresses
            .iter()
            .filter(|a| !a.address.contains(':'))
            .map(|a| a.address.clone())
            .collect();
        ipv4.sort();
        NetboxSide {
            description: interface.description.clone().filter(|d| !d.is_empty()),
            enabled: interface.enabled,
            mtu: interface.mtu,
            mode: interface.mode.clone().filter(|m| !m.is_empty()),
            untagged_vlan: interface.untagged_vlan.as_ref().map(|v| v.vid),
            tagged_vlans: tagged,
            ipv4,
        }
    }

    /// What NetBox will hold once `change` is written (see [`netbox_update`]).
    pub fn after(&self, change: &ValidChange) -> NetboxSide {
        let mut next = self.clone();
        match &change.description {
            Some(Edit::Set(t)) => next.description = Some(netbox_description(t)),
            Some(Edit::Remove) => next.description = None,
            None => {}
        }
        if let Some(e) = change.enabled {
            next.enabled = Some(e);
        }
        match &change.mtu {
            Some(Edit::Set(m)) => next.mtu = Some(u32::from(*m)),
            Some(Edit::Remove) => next.mtu = None,
            None => {}
        }
        match l2_update(change) {
            Some(L2Update::Access { vlan }) => {
                next.mode = Some("access".into());
                next.untagged_vlan = Some(vlan);
                next.tagged_vlans = Vec::new();
            }
            Some(L2Update::Tagged { native, allowed }) => {
                next.mode = Some("tagged".into());
                if native.is_some() {
                    next.untagged_vlan = native;
                }
                next.tagged_vlans = allowed;
            }
            Some(L2Update::TaggedAll { native }) => {
                next.mode = Some("tagged-all".into());
                next.untagged_vlan = native;
                next.tagged_vlans = Vec::new();
            }
            Some(L2Update::Clear) => {
                next.mode = None;
                next.untagged_vlan = None;
                next.tagged_vlans = Vec::new();
            }
            None => {}
        }
        match &change.ipv4 {
            Some(Edit::Set(net)) => {
                let text = format!("{}/{}", net.address, net.prefix);
                if !next.ipv4.contains(&text) {
                    next.ipv4.push(text);
                    next.ipv4.sort();
                }
            }
            Some(Edit::Remove) | None => {}
        }
        next
    }
}

/// NetBox keeps the description without the `##ticket:N##` tag, as W2 leaves it: the tag marks
/// the switch's configuration, and NetBox's intent is compared with the device with the tag set
/// aside.
fn netbox_description(text: &str) -> String {
    crate::device::change::strip_ticket_tags(text)
        .trim_end()
        .to_owned()
}

/// The L2 part of a change as NetBox states it (`Routed` clears the mode: NetBox has no routed
/// mode, only none).
pub fn l2_update(change: &ValidChange) -> Option<L2Update> {
    match &change.mode {
        Some(ModeChange::Access { vlan }) => Some(L2Update::Access { vlan: *vlan }),
        Some(ModeChange::Trunk { native, allowed }) => {
            let mut vids = Vec::new();
            for (lo, hi) in allowed.ranges().unwrap_or_default() {
                vids.extend(lo..=hi);
            }
            Some(L2Update::Tagged {
                native: *native,
                allowed: vids,
            })
        }
        Some(ModeChange::Routed) => Some(L2Update::Clear),
        None => None,
    }
}

/// The NetBox write of a change (the address is assigned separately; see the workflow).
pub fn netbox_update(change: &ValidChange, changelog_message: &str) -> InterfaceUpdate {
    let mut update = InterfaceUpdate::new(changelog_message);
    match &change.description {
        Some(Edit::Set(t)) => update.description = Some(netbox_description(t)),
        Some(Edit::Remove) => update.description = Some(String::new()),
        None => {}
    }
    update.enabled = change.enabled;
    match &change.mtu {
        Some(Edit::Set(m)) => update.mtu = Some(Some(u32::from(*m))),
        Some(Edit::Remove) => update.mtu = Some(None),
        None => {}
    }
    update.l2 = l2_update(change);
    update
}

/// The plan: NetBox rows first (it is written first), then the device's.
pub fn plan(
    change: &ValidChange,
    device_now: &InterfaceConfig,
    netbox_now: Option<&NetboxSide>,
) -> Plan {
    let mut rows = Vec::new();
    if let Some(now) = netbox_now {
        rows.extend(netbox_rows(now, &now.after(change)));
    }
    let after = project(device_now, change);
    rows.extend(
        diff(device_now, &after)
            .changes
            .into_iter()
            .map(|c| PlanRow {
                side: Side::Device,
                field: c.field.to_owned(),
                before: c.before,
                after: c.after,
            }),
    );
    Plan {
        device: change.device.clone(),
        interface: change.interface.to_string(),
        rows,
    }
}

fn netbox_rows(before: &NetboxSide, after: &NetboxSide) -> Vec<PlanRow> {
    let mut rows = Vec::new();
    let mut row = |field: &str, b: Option<String>, a: Option<String>| {
        if b != a {
            rows.push(PlanRow {
                side: Side::Netbox,
                field: field.to_owned(),
                before: b,
                after: a,
            });
        }
    };
    row(
        "description",
        before.description.clone(),
        after.description.clone(),
    );
    row(
        "enabled",
        before.enabled.map(|e| e.to_string()),
        after.enabled.map(|e| e.to_string()),
    );
    row(
        "mtu",
        before.mtu.map(|m| m.to_string()),
        after.mtu.map(|m| m.to_string()),
    );
    row("mode", before.mode.clone(), after.mode.clone());
    row(
        "untagged VLAN",
        before.untagged_vlan.map(|v| v.to_string()),
        after.untagged_vlan.map(|v| v.to_string()),
    );
    let list = |v: &[u16]| {
        (!v.is_empty()).then(|| v.iter().map(u16::to_string).collect::<Vec<_>>().join(","))
    };
    row(
        "tagged VLANs",
        list(&before.tagged_vlans),
        list(&after.tagged_vlans),
    );
    let ips = |v: &[String]| (!v.is_empty()).then(|| v.join(", "));
    row("IPv4", ips(&before.ipv4), ips(&after.ipv4));
    rows
}

#[cfg(test)]
#[path = "ticket_plan_tests.rs"]
mod tests;
