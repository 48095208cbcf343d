//! W3's plan from real values: the seed's ticket 15016 (Gi1/0/5: description, MTU 2000, access
//! VLAN 100) against a device and a NetBox record, and the NetBox write it implies.

use super::*;
use crate::device::change::{validate, ChangeReason, InterfaceChange, Ipv4Change, Rules};
use crate::device::{PortMode, Profile};
use crate::netbox::{Interface, IpAddress};

fn change(mode: Option<ModeChange>, ipv4: Option<Edit<Ipv4Change>>) -> ValidChange {
    let request = InterfaceChange {
        device: "c9300".into(),
        interface: "Gi1/0/5".into(),
        description: Some(Edit::Set(
            "Configured from the ticket system! ##ticket:15016##".into(),
        )),
        enabled: Some(true),
        mtu: Some(Edit::Set(2000)),
        mode,
        ipv4,
        reason: ChangeReason::Ticket {
            number: "15016".into(),
        },
    };
    validate(
        &request,
        &Rules {
            profile: Profile::Iosxe,
            protected: &[],
        },
    )
    .unwrap()
}

fn device_now() -> InterfaceConfig {
    InterfaceConfig {
        name: "GigabitEthernet1/0/5".into(),
        description: None,
        shutdown: Some(false),
        mode: Some(PortMode::Access { vlan: Some(1) }),
        ipv4: Vec::new(),
        mtu: Some(1500),
        vrf: None,
    }
}

fn netbox_now() -> NetboxSide {
    let interface: Interface = serde_json::from_value(serde_json::json!({
        "id": 5, "name": "GigabitEthernet1/0/5", "enabled": true, "mtu": null,
        "description": "", "mode": null, "untagged_vlan": null, "tagged_vlans": []
    }))
    .unwrap();
    NetboxSide::from_netbox(&interface, &[])
}

#[test]
fn the_seed_ticket_plans_netbox_then_the_device() {
    let c = change(Some(ModeChange::Access { vlan: 100 }), None);
    let p = plan(&c, &device_now(), Some(&netbox_now()));
    let lines: Vec<String> = p.rows.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "NetBox description: (none) → Configured from the ticket system!",
            "NetBox mtu: (none) → 2000",
            "NetBox mode: (none) → access",
            "NetBox untagged VLAN: (none) → 100",
            "device description: (none) → Configured from the ticket system! ##ticket:15016##",
            "device mtu: 1500 → 2000",
            "device mode: access, VLAN 1 → access, VLAN 100",
        ],
        "{lines:#?}"
    );
    assert_eq!(p.interface, "GigabitEthernet1/0/5");
}

#[test]
fn the_same_state_gives_the_same_hash_and_any_change_another() {
    let c = change(Some(ModeChange::Access { vlan: 100 }), None);
    let a = plan(&c, &device_now(), Some(&netbox_now()));
    assert_eq!(
        a.hash(),
        plan(&c, &device_now(), Some(&netbox_now())).hash()
    );
    let mut touched = device_now();
    touched.description = Some("rogue".into());
    assert_ne!(a.hash(), plan(&c, &touched, Some(&netbox_now())).hash());
    let mut nb = netbox_now();
    nb.mtu = Some(9000);
    assert_ne!(a.hash(), plan(&c, &device_now(), Some(&nb)).hash());
    assert_ne!(
        a.hash(),
        plan(&c, &device_now(), None).hash(),
        "without NetBox, device rows only"
    );
}

#[test]
fn a_trunk_becomes_netbox_tagged_with_every_vid() {
    let c = change(
        Some(ModeChange::Trunk {
            native: Some(1),
            allowed: crate::device::change::VlanList::new("100,200-202"),
        }),
        None,
    );
    let update = netbox_update(&c, "patchpanel: ticket 15016");
    assert_eq!(
        update.l2,
        Some(L2Update::Tagged {
            native: Some(1),
            allowed: vec![100, 200, 201, 202]
        })
    );
    assert_eq!(update.mtu, Some(Some(2000)));
    assert_eq!(update.enabled, Some(true));
    assert_eq!(update.changelog_message(), "patchpanel: ticket 15016");
    let after = netbox_now().after(&c);
    assert_eq!(after.mode.as_deref(), Some("tagged"));
    assert_eq!(after.untagged_vlan, Some(1));
    assert_eq!(after.tagged_vlans, vec![100, 200, 201, 202]);
}

#[test]
fn an_address_is_added_to_netbox_once() {
    let c = change(
        None,
        Some(Edit::Set(Ipv4Change {
            address: "10.1.2.3".into(),
            mask: "24".into(),
        })),
    );
    let ip: IpAddress =
        serde_json::from_value(serde_json::json!({"id": 1, "address": "10.1.2.3/24"})).unwrap();
    let interface: Interface = serde_json::from_value(serde_json::json!({"id": 5})).unwrap();
    let with = NetboxSide::from_netbox(&interface, &[ip]);
    assert_eq!(with.after(&c).ipv4, vec!["10.1.2.3/24".to_owned()]);
    assert_eq!(netbox_now().after(&c).ipv4, vec!["10.1.2.3/24".to_owned()]);
    let rows = plan(&c, &device_now(), Some(&with)).rows;
    assert!(rows
        .iter()
        .all(|r| r.field != "IPv4" || r.side == Side::Device));
}
