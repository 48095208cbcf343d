//! `Applier::apply` over NETCONF against the device simulator (russh + the sim's RFC 6241 datastore),
//! with every result read back independently over the simulator's RESTCONF by `DeviceReader`.

#[path = "reads/mod.rs"]
mod reads;

mod device_sim_fixture;

use device_sim_fixture::SimDevice as Fixture;
use patchpanel::device::apply::{Applier, ApplyError, Outcome};
use patchpanel::device::change::{
    ticket_tagged, ChangeReason, Edit, InterfaceChange, Ipv4Change, ModeChange, VlanList,
};
use patchpanel::device::{DeviceReader, PortMode, Protocol};

fn applier(f: &Fixture) -> Applier {
    Applier::new(f.netconf_inventory("c9300"), f.settings()).unwrap()
}

/// The interface as the simulator's RESTCONF side reports it (an independent read-back).
async fn read(f: &Fixture, iface: &str) -> patchpanel::device::InterfaceConfig {
    reads::interface(
        &DeviceReader::new(f.restconf_inventory("c9300-rc"), f.settings()).unwrap(),
        "c9300-rc",
        iface,
    )
    .await
    .unwrap()
    .data
    .config
}

fn change(interface: &str) -> InterfaceChange {
    InterfaceChange {
        device: "c9300".into(),
        interface: interface.into(),
        description: None,
        enabled: None,
        mtu: None,
        mode: None,
        ipv4: None,
        reason: ChangeReason::Ticket {
            number: "1234".into(),
        },
    }
}

#[tokio::test]
async fn access_port_change_is_committed_verified_and_saved() {
    let f = Fixture::start().await;
    let text = ticket_tagged(
        "hi</description></GigabitEthernet><GigabitEthernet><name>1/0/1</name><shutdown/><description>pwned & ]]>]]> ✓",
        "1234",
    );
    let c = InterfaceChange {
        description: Some(Edit::Set(text.clone())),
        enabled: Some(false),
        mtu: Some(Edit::Set(9000)),
        mode: Some(ModeChange::Access { vlan: 20 }),
        ..change("Gi1/0/2")
    };
    let uplink_before = read(&f, "Gi1/0/1").await;
    let r = applier(&f).apply(&c, &["Gi1/0/1".into()]).await.unwrap();
    assert_eq!(r.protocol, Protocol::Netconf);
    let Outcome::Applied { diff } = &r.outcome else {
        panic!("{:?} after {:?}", r.outcome, r.steps)
    };
    assert!(!diff.is_empty());
    assert!(
        r.steps.iter().any(|s| s == "commit (confirmed)"),
        "{:?}",
        r.steps
    );
    assert!(r.steps.iter().any(|s| s == "commit (confirming)"));
    assert!(r.steps.iter().any(|s| s == "save-config"));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);

    let now = read(&f, "Gi1/0/2").await;
    assert_eq!(now.description.as_deref(), Some(text.as_str()));
    assert_eq!(now.shutdown, Some(true));
    assert_eq!(now.mtu, Some(9000));
    assert_eq!(now.mode, Some(PortMode::Access { vlan: Some(20) }));
    // The injection attempt reached no other interface.
    assert_eq!(read(&f, "Gi1/0/1").await, uplink_before);
}

#[tokio::test]
async fn trunk_list_is_normalized_and_routed_port_gets_its_address() {
    let f = Fixture::start().await;
    let applier = applier(&f);
    let trunk = InterfaceChange {
        mode: Some(ModeChange::Trunk {
            native: Some(99),
            allowed: VlanList::new("30-40, 20,10"),
        }),
        ..change("GigabitEthernet1/0/3")
    };
    let r = applier.apply(&trunk, &[]).await.unwrap();
    assert!(
        matches!(r.outcome, Outcome::Applied { .. }),
        "{:?}",
        r.outcome
    );
    assert_eq!(
        read(&f, "Gi1/0/3").await.mode,
        Some(PortMode::Trunk {
            allowed: Some("10,20,30-40".into()),
            native: Some(99)
        })
    );

    let routed = InterfaceChange {
        mode: Some(ModeChange::Routed),
        ipv4: Some(Edit::Set(Ipv4Change {
            address: "192.0.2.1".into(),
            mask: "/24".into(),
        })),
        ..change("Gi1/0/4")
    };
    let r = applier.apply(&routed, &[]).await.unwrap();
    assert!(
        matches!(r.outcome, Outcome::Applied { .. }),
        "{:?}",
        r.outcome
    );
    let now = read(&f, "Gi1/0/4").await;
    assert_eq!(now.mode, Some(PortMode::Routed));
    assert_eq!(now.ipv4[0].address, "192.0.2.1");
}

#[tokio::test]
async fn device_refusal_is_rejected_and_changes_nothing() {
    let f = Fixture::start().await;
    let before = read(&f, "Vlan10").await;
    // An SVI has no switchport: the device refuses the edit.
    let c = InterfaceChange {
        description: Some(Edit::Set("svi".into())),
        mode: Some(ModeChange::Access { vlan: 20 }),
        ..change("Vlan10")
    };
    let r = applier(&f).apply(&c, &[]).await.unwrap();
    let Outcome::Rejected { device_words, .. } = &r.outcome else {
        panic!("{:?}", r.outcome)
    };
    assert!(!device_words.is_empty());
    assert!(r.steps.iter().any(|s| s == "discard-changes"));
    assert_eq!(read(&f, "Vlan10").await, before);
}

#[tokio::test]
async fn applying_the_same_change_twice_writes_once() {
    let f = Fixture::start().await;
    let c = InterfaceChange {
        description: Some(Edit::Set("twice".into())),
        ..change("Gi1/0/5")
    };
    let applier = applier(&f);
    let first = applier.apply(&c, &[]).await.unwrap();
    assert!(matches!(&first.outcome, Outcome::Applied { diff } if !diff.is_empty()));
    let second = applier.apply(&c, &[]).await.unwrap();
    assert!(matches!(&second.outcome, Outcome::Applied { diff } if diff.is_empty()));
    assert_eq!(
        second.steps,
        [
            "get-config running",
            "nothing to write: the interface already has these values"
        ]
    );
}

#[tokio::test]
async fn invalid_changes_are_refused_before_connecting() {
    let f = Fixture::start().await;
    let c = InterfaceChange {
        description: Some(Edit::Set("x".repeat(241))),
        mtu: Some(Edit::Set(70)),
        ..change("Gi1/0/2")
    };
    match applier(&f).apply(&c, &[]).await {
        Err(ApplyError::Invalid(inv)) => assert_eq!(inv.0.len(), 2),
        other => panic!("{other:?}"),
    }
    let c = InterfaceChange {
        description: Some(Edit::Set("x".into())),
        ..change("Gi1/0/1")
    };
    match applier(&f)
        .apply(&c, &["GigabitEthernet1/0/1".into()])
        .await
    {
        Err(ApplyError::Invalid(inv)) => {
            assert_eq!(
                inv.to_string(),
                "the change is not valid: interface: GigabitEthernet1/0/1 is protected; the bot does not change it"
            )
        }
        other => panic!("{other:?}"),
    }
}
