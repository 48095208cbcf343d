use super::*;
use crate::device::change::{
    validate, ChangeReason, Edit, InterfaceChange, Ipv4Change, ModeChange, Rules, VlanList,
};
use crate::device::model::{Ipv4, PortMode};
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use serde_json::json;

fn change(profile: Profile, f: impl FnOnce(&mut InterfaceChange)) -> ValidChange {
    let mut c = InterfaceChange {
        device: "c9300".into(),
        interface: "Gi1/0/2".into(),
        description: None,
        enabled: None,
        mtu: None,
        mode: None,
        ipv4: None,
        reason: ChangeReason::Ticket {
            number: "1234".into(),
        },
    };
    f(&mut c);
    validate(
        &c,
        &Rules {
            profile,
            protected: &[],
        },
    )
    .unwrap()
}

fn snapshot(profile: Profile, xml: &str) -> Snapshot {
    let name = InterfaceName::parse(match profile {
        Profile::Iosxe => "GigabitEthernet1/0/2",
        Profile::Ietf => "Gi1/0/2",
    })
    .unwrap();
    let name = if profile == Profile::Ietf {
        name.without_native()
    } else {
        name
    };
    parse_data(profile, &name, xml.as_bytes()).unwrap().unwrap()
}

fn plain_before() -> Snapshot {
    snapshot(
        Profile::Iosxe,
        r#"<data><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet>
           <name>1/0/2</name></GigabitEthernet></interface></native></data>"#,
    )
}

fn build(c: &ValidChange, before: &Snapshot, remove: RemoveOp) -> Vec<u8> {
    edit_config(c, &EditContext { before, remove }).unwrap()
}

/// Every element carrying `nc:operation` (resolved by namespace, not prefix): `(local name, op)`.
fn operations(xml: &[u8]) -> Vec<(String, String)> {
    let mut r = NsReader::from_reader(xml);
    let mut out = Vec::new();
    loop {
        match r.read_resolved_event().unwrap() {
            (_, Event::Start(e)) | (_, Event::Empty(e)) => {
                for a in e.attributes() {
                    let a = a.unwrap();
                    let (ns, local) = r.resolve_attribute(a.key);
                    if matches!(ns, ResolveResult::Bound(n) if n.as_ref() == NC_NS.as_bytes())
                        && local.as_ref() == b"operation"
                    {
                        out.push((
                            String::from_utf8(e.local_name().as_ref().to_vec()).unwrap(),
                            a.unescape_value().unwrap().into_owned(),
                        ));
                    }
                }
            }
            (_, Event::Eof) => break,
            _ => {}
        }
    }
    out
}

fn entry_of(xml: &[u8]) -> Node {
    let root = tree::from_xml(xml).unwrap();
    assert_eq!(root.name, "native");
    assert_eq!(root.ns.as_deref(), Some(NATIVE_NS));
    let entries: Vec<&Node> = root
        .path(&["interface"])
        .unwrap()
        .children_named("GigabitEthernet")
        .collect();
    assert_eq!(entries.len(), 1, "exactly one interface entry");
    entries[0].clone()
}

#[test]
fn iosxe_payload_has_the_shape_of_seed_003() {
    let c = change(Profile::Iosxe, |c| {
        c.description = Some(Edit::Set(crate::device::change::ticket_tagged(
            "Webhook function completed!",
            "1234",
        )));
        c.enabled = Some(true);
        c.mtu = Some(Edit::Remove);
    });
    let xml = build(&c, &plain_before(), RemoveOp::Remove);
    let e = entry_of(&xml);
    assert_eq!(e.text_at(&["name"]).as_deref(), Some("1/0/2"));
    assert_eq!(
        e.text_at(&["description"]).as_deref(),
        Some("Webhook function completed! ##ticket:1234##")
    );
    assert_eq!(
        operations(&xml),
        vec![
            ("shutdown".to_string(), "remove".to_string()),
            ("mtu".to_string(), "remove".to_string())
        ]
    );
}

#[test]
fn hostile_descriptions_are_stored_literally_and_round_trip() {
    for text in [
        "hi</description><shutdown/><description>pwned",
        "hi</description></GigabitEthernet><GigabitEthernet><name>1/0/1</name><shutdown/><description>pwned",
        "a < b && c > d ]]>]]> \"q\" 'a' ✓ Ünïcödé 日本 🚀",
        "&lt; already-escaped &amp; <![CDATA[x]]> <!-- c -->",
    ] {
        let c = change(Profile::Iosxe, |c| c.description = Some(Edit::Set(text.into())));
        let xml = build(&c, &plain_before(), RemoveOp::Remove);
        assert!(
            !xml.windows(6).any(|w| w == b"]]>]]>"),
            "EOM marker in payload"
        );
        let e = entry_of(&xml);
        assert_eq!(e.text_at(&["name"]).as_deref(), Some("1/0/2"));
        assert!(!e.has(&["shutdown"]));
        // build → parse → equal, through the same reader the read-back uses.
        let snap = parse_data(Profile::Iosxe, &c.interface, &xml).unwrap().unwrap();
        assert_eq!(snap.config.description.as_deref(), Some(text));

        let c = change(Profile::Ietf, |c| c.description = Some(Edit::Set(text.into())));
        let before = snapshot(
            Profile::Ietf,
            r#"<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>GigabitEthernet1/0/2</name></interface></interfaces>"#,
        );
        let xml = build(&c, &before, RemoveOp::Remove);
        let snap = parse_data(Profile::Ietf, &c.interface, &xml).unwrap().unwrap();
        assert_eq!(snap.config.description.as_deref(), Some(text));
    }
}

#[test]
fn iosxe_access_trunk_and_routed() {
    let c = change(Profile::Iosxe, |c| {
        c.mode = Some(ModeChange::Trunk {
            native: Some(99),
            allowed: VlanList::new("30-40,10,20"),
        });
        c.enabled = Some(false);
        c.mtu = Some(Edit::Set(9000));
    });
    let xml = build(&c, &plain_before(), RemoveOp::Remove);
    let e = entry_of(&xml);
    assert!(e.has(&["shutdown"]));
    assert_eq!(e.text_at(&["mtu"]).as_deref(), Some("9000"));
    let sw = e.path(&["switchport-config", "switchport"]).unwrap();
    assert_eq!(sw.child("mode").unwrap().ns.as_deref(), Some(SWITCH_NS));
    assert_eq!(sw.child("trunk").unwrap().ns.as_deref(), Some(SWITCH_NS));
    let parsed = parse_data(Profile::Iosxe, &c.interface, &xml)
        .unwrap()
        .unwrap();
    assert_eq!(
        parsed.config.mode,
        Some(PortMode::Trunk {
            allowed: Some("10,20,30-40".into()),
            native: Some(99)
        })
    );

    // Routed → access turns switchport back on.
    let routed = snapshot(
        Profile::Iosxe,
        r#"<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>1/0/2</name>
           <switchport-conf><switchport>false</switchport></switchport-conf></GigabitEthernet></interface></native>"#,
    );
    let c = change(Profile::Iosxe, |c| {
        c.mode = Some(ModeChange::Access { vlan: 10 })
    });
    let e = entry_of(&build(&c, &routed, RemoveOp::Remove));
    assert_eq!(
        e.text_at(&["switchport-conf", "switchport"]).as_deref(),
        Some("true")
    );
    assert_eq!(
        e.text_at(&["switchport-config", "switchport", "access", "vlan", "vlan"])
            .as_deref(),
        Some("10")
    );

    // Access → routed: no switchport, and the switchport config goes.
    let access = snapshot(
        Profile::Iosxe,
        r#"<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>1/0/2</name>
           <switchport-config><switchport><mode xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-switch"><access/></mode></switchport></switchport-config>
           </GigabitEthernet></interface></native>"#,
    );
    let c = change(Profile::Iosxe, |c| {
        c.mode = Some(ModeChange::Routed);
        c.ipv4 = Some(Edit::Set(Ipv4Change {
            address: "192.0.2.1".into(),
            mask: "/24".into(),
        }));
    });
    let xml = build(&c, &access, RemoveOp::Delete);
    assert_eq!(
        operations(&xml),
        vec![("switchport-config".to_string(), "delete".to_string())]
    );
    let e = entry_of(&xml);
    assert_eq!(
        e.text_at(&["switchport-conf", "switchport"]).as_deref(),
        Some("false")
    );
    assert_eq!(
        e.text_at(&["ip", "address", "primary", "mask"]).as_deref(),
        Some("255.255.255.0")
    );
}

#[test]
fn delete_is_only_sent_for_nodes_that_exist() {
    let c = change(Profile::Iosxe, |c| {
        c.description = Some(Edit::Remove);
        c.enabled = Some(true);
        c.mtu = Some(Edit::Remove);
        c.ipv4 = Some(Edit::Remove);
    });
    // Nothing of it exists: base:1.0 servers get no delete at all.
    assert_eq!(
        operations(&build(&c, &plain_before(), RemoveOp::Delete)),
        vec![]
    );
    let full = snapshot(
        Profile::Iosxe,
        r#"<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>1/0/2</name>
           <description>x</description><shutdown/><mtu>9000</mtu>
           <ip><address><primary><address>192.0.2.1</address><mask>255.255.255.0</mask></primary></address></ip>
           </GigabitEthernet></interface></native>"#,
    );
    let ops: Vec<String> = operations(&build(&c, &full, RemoveOp::Delete))
        .into_iter()
        .map(|(n, o)| format!("{n}={o}"))
        .collect();
    assert_eq!(
        ops,
        [
            "description=delete",
            "shutdown=delete",
            "mtu=delete",
            "address=delete"
        ]
    );
}

#[test]
fn iosxe_mirrors_legacy_and_vlan_v2_layouts() {
    let legacy = snapshot(
        Profile::Iosxe,
        r#"<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>1/0/2</name>
           <switchport><mode xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-switch"><access/></mode></switchport>
           </GigabitEthernet></interface></native>"#,
    );
    let c = change(Profile::Iosxe, |c| {
        c.mode = Some(ModeChange::Trunk {
            native: None,
            allowed: VlanList::new("10"),
        })
    });
    let e = entry_of(&build(&c, &legacy, RemoveOp::Remove));
    assert!(e.has(&["switchport", "trunk", "allowed", "vlan", "vlans"]));
    assert!(!e.has(&["switchport-config"]));

    let v2 = snapshot(
        Profile::Iosxe,
        r#"<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>1/0/2</name>
           <switchport-config><switchport><trunk xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-switch"><allowed><vlan-v2><vlan-choices><vlans>5</vlans></vlan-choices></vlan-v2></allowed></trunk></switchport></switchport-config>
           </GigabitEthernet></interface></native>"#,
    );
    let e = entry_of(&build(&c, &v2, RemoveOp::Remove));
    assert_eq!(
        e.text_at(&[
            "switchport-config",
            "switchport",
            "trunk",
            "allowed",
            "vlan-v2",
            "vlan-choices",
            "vlans"
        ])
        .as_deref(),
        Some("10")
    );
}

#[test]
fn ietf_payload_enabled_mtu_and_address_replacement() {
    let before = snapshot(
        Profile::Ietf,
        r#"<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>GigabitEthernet1/0/2</name>
           <enabled>true</enabled><ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip"><address><ip>198.51.100.1</ip><prefix-length>24</prefix-length></address></ipv4>
           </interface></interfaces>"#,
    );
    let c = change(Profile::Ietf, |c| {
        c.enabled = Some(false);
        c.mtu = Some(Edit::Set(1400));
        c.ipv4 = Some(Edit::Set(Ipv4Change {
            address: "192.0.2.1".into(),
            mask: "255.255.255.0".into(),
        }));
    });
    let xml = build(&c, &before, RemoveOp::Remove);
    assert_eq!(
        operations(&xml),
        vec![("address".to_string(), "remove".to_string())]
    );
    let root = tree::from_xml(&xml).unwrap();
    assert_eq!(root.ns.as_deref(), Some(IETF_IF_NS));
    let i = root.child("interface").unwrap();
    assert_eq!(
        i.text_at(&["name"]).as_deref(),
        Some("GigabitEthernet1/0/2")
    );
    assert_eq!(i.text_at(&["enabled"]).as_deref(), Some("false"));
    let v4 = i.child("ipv4").unwrap();
    assert_eq!(v4.ns.as_deref(), Some(IETF_IP_NS));
    assert_eq!(v4.text_at(&["mtu"]).as_deref(), Some("1400"));
    let addrs: Vec<String> = v4
        .children_named("address")
        .filter_map(|a| a.text_at(&["ip"]))
        .collect();
    assert_eq!(addrs, ["198.51.100.1", "192.0.2.1"]);
}

#[test]
fn read_filters_select_one_entry_by_key() {
    let name = InterfaceName::parse("Te1/1/1").unwrap();
    let f = tree::from_xml(&read_filter(Profile::Iosxe, &name).unwrap()).unwrap();
    assert_eq!(f.ns.as_deref(), Some(NATIVE_NS));
    let e = f.path(&["interface", "TenGigabitEthernet"]).unwrap();
    assert_eq!(e.children.len(), 1);
    assert_eq!(e.text_at(&["name"]).as_deref(), Some("1/1/1"));
    let f = tree::from_xml(&read_filter(Profile::Ietf, &name).unwrap()).unwrap();
    assert_eq!(f.ns.as_deref(), Some(IETF_IF_NS));
    assert_eq!(
        f.text_at(&["interface", "name"]).as_deref(),
        Some("TenGigabitEthernet1/1/1")
    );
}

#[test]
fn restore_replaces_the_entry_with_the_snapshot_exactly() {
    let before = snapshot(
        Profile::Iosxe,
        r#"<?xml version="1.0"?><data xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface>
           <GigabitEthernet><name>1/0/2</name><description>a &lt;b&gt; &amp; ✓</description><shutdown/>
           <switchport-config><switchport><mode xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-switch"><access/></mode>
           <access xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-switch"><vlan><vlan>10</vlan></vlan></access></switchport></switchport-config>
           </GigabitEthernet><GigabitEthernet><name>1/0/3</name></GigabitEthernet></interface></native></data>"#,
    );
    assert_eq!(
        before.config.mode,
        Some(PortMode::Access { vlan: Some(10) })
    );
    let xml = restore_config(Profile::Iosxe, &before).unwrap();
    assert_eq!(
        operations(&xml),
        vec![("GigabitEthernet".to_string(), "replace".to_string())]
    );
    let back = parse_data(
        Profile::Iosxe,
        &InterfaceName::parse("Gi1/0/2").unwrap(),
        &xml,
    )
    .unwrap()
    .unwrap();
    assert_eq!(back.config, before.config);
    let sw = back
        .entry
        .path(&["switchport-config", "switchport", "access"])
        .unwrap();
    assert_eq!(sw.ns.as_deref(), Some(SWITCH_NS));

    let mut hostile = before.clone();
    hostile.entry.children.push(Node::new("x\"><shutdown"));
    assert!(matches!(
        restore_config(Profile::Iosxe, &hostile),
        Err(ProfileError::Data(_))
    ));
}

#[test]
fn restconf_bodies_paths_and_undo() {
    let before = InterfaceConfig {
        name: "GigabitEthernet1/0/2".into(),
        shutdown: Some(true),
        ..InterfaceConfig::default()
    };
    let c = change(Profile::Iosxe, |c| {
        c.description = Some(Edit::Set("x <y>".into()));
        c.enabled = Some(true);
        c.mode = Some(ModeChange::Access { vlan: 10 });
    });
    let plan = restconf_plan(&c, &before);
    assert_eq!(
        plan.patch,
        Some(
            json!({"Cisco-IOS-XE-native:GigabitEthernet":[{"name":"1/0/2","description":"x <y>",
            "switchport-config":{"switchport":{"Cisco-IOS-XE-switch:mode":{"access":{}},
                "Cisco-IOS-XE-switch:access":{"vlan":{"vlan":10}}}}}]})
        )
    );
    assert_eq!(plan.deletes, vec![vec![PathSeg::node("shutdown")]]);
    assert_eq!(
        restconf_undo(&c, &before),
        vec![
            vec![PathSeg::node("description")],
            vec![PathSeg::node("switchport-config")]
        ]
    );
    let url = crate::device::restconf::data_url(
        "http://h/restconf",
        &restconf_entry(Profile::Iosxe, &c.interface),
    );
    assert_eq!(
        url,
        "http://h/restconf/data/Cisco-IOS-XE-native:native/interface/GigabitEthernet=1%2F0%2F2"
    );

    let before = InterfaceConfig {
        ipv4: vec![Ipv4 {
            address: "198.51.100.1".into(),
            mask: "/24".into(),
        }],
        ..InterfaceConfig::default()
    };
    let c = change(Profile::Ietf, |c| {
        c.mtu = Some(Edit::Set(1400));
        c.ipv4 = Some(Edit::Set(Ipv4Change {
            address: "192.0.2.1".into(),
            mask: "24".into(),
        }));
    });
    let plan = restconf_plan(&c, &before);
    assert_eq!(
        plan.patch,
        Some(
            json!({"ietf-interfaces:interface":[{"name":"GigabitEthernet1/0/2",
            "ietf-ip:ipv4":{"mtu":1400,"address":[{"ip":"192.0.2.1","prefix-length":24}]}}]})
        )
    );
    assert_eq!(
        plan.deletes,
        vec![vec![
            PathSeg::node("ietf-ip:ipv4"),
            PathSeg::Entry("address".into(), "198.51.100.1".into())
        ]]
    );
    let only_removal = change(Profile::Iosxe, |c| c.mtu = Some(Edit::Remove));
    let plan = restconf_plan(
        &only_removal,
        &InterfaceConfig {
            mtu: Some(9000),
            ..InterfaceConfig::default()
        },
    );
    assert_eq!(plan.patch, None);
    assert_eq!(plan.deletes, vec![vec![PathSeg::node("mtu")]]);
}

#[test]
fn restconf_entries_parse_in_object_and_array_form() {
    let name = InterfaceName::parse("Gi1/0/2").unwrap();
    for body in [
        json!({"Cisco-IOS-XE-native:GigabitEthernet":{"name":"1/0/2","mtu":9000}}),
        json!({"Cisco-IOS-XE-native:GigabitEthernet":[{"name":"1/0/2","mtu":9000}]}),
    ] {
        let s = parse_restconf(Profile::Iosxe, &name, &body).unwrap();
        assert_eq!(s.config.mtu, Some(9000));
    }
    assert!(parse_restconf(Profile::Iosxe, &name, &json!({})).is_none());
}

#[test]
fn profile_from_capabilities() {
    let native = [
        "urn:ietf:params:netconf:base:1.1",
        "http://cisco.com/ns/yang/Cisco-IOS-XE-native?module=Cisco-IOS-XE-native&revision=2023-07-01",
        "urn:ietf:params:xml:ns:yang:ietf-interfaces?module=ietf-interfaces&revision=2014-05-08",
    ];
    assert_eq!(choose(None, &native), Profile::Iosxe);
    assert_eq!(choose(None, &native[2..]), Profile::Ietf);
    assert_eq!(choose(None, &["ietf-interfaces"]), Profile::Ietf);
    assert_eq!(choose::<&str>(None, &[]), Profile::Iosxe);
    assert_eq!(choose(Some(Profile::Ietf), &native), Profile::Ietf);
}

#[test]
fn data_replies_in_every_wrapping() {
    let name = InterfaceName::parse("Gi1/0/2").unwrap();
    let entry = r#"<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>1/0/2</name></GigabitEthernet></interface></native>"#;
    for data in [
        entry.to_string(),
        format!("<data>{entry}</data>"),
        format!(r#"<?xml version="1.0"?>{entry}<hostname xmlns="x">c</hostname>"#),
        format!("  {entry}<other/>  "),
    ] {
        assert!(
            parse_data(Profile::Iosxe, &name, data.as_bytes())
                .unwrap()
                .is_some(),
            "{data}"
        );
    }
    assert_eq!(parse_data(Profile::Iosxe, &name, b"").unwrap(), None);
    assert_eq!(parse_data(Profile::Iosxe, &name, b"<data/>").unwrap(), None);
    for bad in ["<a><b></a>", "<!DOCTYPE x><x/>", "<?xml"] {
        assert!(
            parse_data(Profile::Iosxe, &name, bad.as_bytes()).is_err(),
            "{bad}"
        );
    }
}
