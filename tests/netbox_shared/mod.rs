//! One test body for the NetBox client, run against the NetBox simulator and against a real NetBox
//! (so the simulator must answer the same calls the same way). Both are seeded with site `lab`,
//! device `c9300` (primary IPv4 192.0.2.10/24), GigabitEthernet1/0/1–48, VLANs 10/20/100/200/300 at
//! `lab`, the global VLAN 999 `GLOBAL999`, the custom field `change_ticket_number` (text, exact
//! filter), platform `cisco-ios-xe` on c9300, empty device custom fields `patchpanel_profile` and
//! `netconf_port`, and `c9300-spare` (no primary IPv4).
#![allow(dead_code)]

use patchpanel::device::intent::{Intent, IntentMode};
use patchpanel::device::{Device, Inventory, Profile};
use patchpanel::directory::{DeviceDirectory, ResolveError, Source};
use patchpanel::netbox::{
    ChangeLogApi, ClearOutcome, InterfaceUpdate, L2Update, MgmtAddress, NetboxClient, NetboxError,
};

/// Reads, a ticketed PATCH with its change-log record, the guarded clear, and the errors.
pub async fn client_conformance(client: &NetboxClient, interface: &str) {
    let status = client.status().await.expect("status");
    assert!(
        status
            .version
            .as_deref()
            .is_some_and(|v| v.starts_with("4.7")),
        "{status:?}"
    );
    assert_eq!(status.change_log, ChangeLogApi::Core);

    let device = client.device_by_name("c9300", None).await.expect("device");
    assert_eq!(
        device.mgmt_address(),
        Some(MgmtAddress::Ip("192.0.2.10".parse().unwrap()))
    );
    let missing = client
        .device_by_name("no-such-switch", None)
        .await
        .unwrap_err();
    assert!(
        matches!(missing, NetboxError::NotFound { .. }),
        "{missing:?}"
    );

    let iface = client
        .interface_by_name(device.id, interface)
        .await
        .expect("interface");
    assert_eq!(iface.name, interface);
    let vlan = client
        .vlan_for_device(device.id, 10)
        .await
        .expect("VLAN 10");
    assert_eq!(vlan.vid, 10);
    // By id, with its site; the global VLAN 999 has none.
    let by_id = client.vlan(vlan.id).await.expect("VLAN by id");
    assert_eq!(by_id.vid, 10);
    assert_eq!(
        by_id.site.as_ref().and_then(|s| s.slug.as_deref()),
        Some("lab")
    );
    let global = client
        .vlan_for_device(device.id, 999)
        .await
        .expect("global VLAN 999");
    assert_eq!(global.name.as_deref(), Some("GLOBAL999"));
    assert!(global.site.is_none(), "{global:?}");
    let global = client.vlan(global.id).await.expect("global VLAN by id");
    assert_eq!((global.vid, global.site), (999, None));
    assert!(matches!(
        client.vlan(987_654).await,
        Err(NetboxError::NotFound { .. })
    ));

    let cursor = client
        .latest_object_change_id()
        .await
        .expect("change log")
        .unwrap_or(0);
    let current = client.interface(iface.id).await.expect("read");
    let message = "patchpanel conformance: ticketed edit";
    let mut update = InterfaceUpdate::new(message).ticket_number(Some("1234"));
    update.description = Some("Floor 2 printer <&> “ünïcode”".into());
    update.mtu = Some(Some(9000));
    update.l2 = Some(L2Update::Access { vlan: 10 });
    let patched = client
        .patch_interface(&current, &update)
        .await
        .expect("patch");
    assert_eq!(
        patched.value.description.as_deref(),
        Some("Floor 2 printer <&> “ünïcode”")
    );
    assert_eq!(patched.value.mtu, Some(9000));
    assert_eq!(patched.value.change_ticket_number(), Some("1234"));

    // The write is in the change log after the cursor, with our message and the ticket in postchange.
    let changes = client
        .object_changes_after(cursor, 100)
        .await
        .expect("changes");
    let ours = changes
        .iter()
        .find(|c| c.changed_object_id == iface.id && c.message.as_deref() == Some(message))
        .unwrap_or_else(|| panic!("no change for interface {} in {changes:#?}", iface.id));
    assert!(ours.id > cursor);
    let post = ours.postchange_data.as_ref().expect("postchange data");
    assert_eq!(post.change_ticket_number(), Some("1234"));
    assert!(
        changes.windows(2).all(|w| w[0].id < w[1].id),
        "oldest first"
    );

    // Clearing is guarded: only the ticket we handled is cleared, once.
    let cleared = client
        .clear_ticket_number(iface.id, "1234", None, "patchpanel: ticket 1234 handled")
        .await;
    assert_eq!(cleared.expect("clear"), ClearOutcome::Cleared);
    let again = client
        .clear_ticket_number(iface.id, "1234", None, "patchpanel: again")
        .await
        .expect("clear");
    assert_eq!(again, ClearOutcome::TicketChanged { current: None });
    let now = client.interface(iface.id).await.expect("read");
    assert_eq!(now.value.change_ticket_number(), None);

    // NetBox's own validation comes back as field errors.
    let mut bad = InterfaceUpdate::new("patchpanel: bad mtu");
    bad.mtu = Some(Some(70_000));
    let e = client.patch_interface(&now, &bad).await.unwrap_err();
    let NetboxError::Invalid { field_errors, .. } = &e else {
        panic!("{e:?}")
    };
    assert!(
        field_errors.iter().any(|f| f.field == "mtu"),
        "{field_errors:?}"
    );
}

/// `DeviceDirectory` over NetBox: c9300 resolves from NetBox (host from its primary IPv4, profile
/// from its platform), a devices-file entry overrides how to reach it, unknown names and devices
/// without a primary IPv4 are clear errors, and an interface's NetBox record becomes an `Intent`.
/// Touches only `interface` (give each test its own).
pub async fn inventory_conformance(client: &NetboxClient, interface: &str) {
    let netbox_only = DeviceDirectory::new(None, Some(client.clone()));
    let r = netbox_only
        .resolve("c9300")
        .await
        .expect("c9300 from NetBox");
    assert_eq!(r.source, Source::Netbox);
    assert_eq!(r.site.as_deref(), Some("lab"));
    assert!(r.netbox_id.is_some());
    assert_eq!(
        r.device,
        Device {
            name: "c9300".into(),
            host: "192.0.2.10".into(),
            netconf_port: None,
            restconf_url: None,
            profile: Some(Profile::Iosxe),
        },
        "host from primary_ip4, profile from the platform, custom fields empty"
    );

    let file = Inventory::from_toml_str(
        "[[device]]\nname = \"c9300\"\nhost = \"127.0.0.1\"\nnetconf_port = 2830\nprofile = \"ietf\"\n",
    )
    .unwrap();
    let both = DeviceDirectory::new(Some(file), Some(client.clone()));
    let o = both.resolve("c9300").await.expect("c9300 from both");
    assert_eq!(o.source, Source::NetboxAndFile);
    assert_eq!(o.netbox_id, r.netbox_id, "still NetBox's device");
    assert_eq!(
        (
            o.device.host.as_str(),
            o.device.netconf_port,
            o.device.profile
        ),
        ("127.0.0.1", Some(2830), Some(Profile::Ietf)),
        "the file says how to reach it"
    );

    let e = netbox_only.resolve("no-such-switch").await.unwrap_err();
    assert!(matches!(e, ResolveError::Unknown { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("no-such-switch") && text.contains("NetBox has no device"),
        "{text}"
    );
    let e = both
        .resolve("no-such-switch")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("known devices: c9300"), "{e}");

    let e = netbox_only.resolve("c9300-spare").await.unwrap_err();
    assert!(
        matches!(&e, ResolveError::NoAddress { name, .. } if name == "c9300-spare"),
        "{e:?}"
    );
    assert!(e.to_string().contains("primary IPv4"), "{e}");

    // The interface's NetBox record, as the intent shown beside the device.
    let iface = client
        .interface_by_name(r.netbox_id.unwrap(), interface)
        .await
        .expect("interface");
    let current = client.interface(iface.id).await.expect("read");
    let mut update = InterfaceUpdate::new("patchpanel conformance: intent");
    update.description = Some("intent check".into());
    update.mtu = Some(Some(9100));
    update.enabled = Some(false);
    update.l2 = Some(L2Update::Tagged {
        native: Some(20),
        allowed: vec![10, 100],
    });
    client
        .patch_interface(&current, &update)
        .await
        .expect("patch");
    let intent = netbox_only
        .intent(&r, interface)
        .await
        .expect("intent")
        .expect("NetBox knows the interface");
    assert_eq!(
        intent,
        Intent {
            description: Some("intent check".into()),
            enabled: false,
            mtu: Some(9100),
            mode: IntentMode::Tagged {
                untagged: Some(20),
                tagged: vec![10, 100],
            },
        }
    );
    assert_eq!(
        netbox_only
            .intent(&r, "GigabitEthernet9/9/9")
            .await
            .expect("no error"),
        None,
        "an interface NetBox does not know has no intent"
    );
}
