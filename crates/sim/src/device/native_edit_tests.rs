//! Unit tests of `native_edit`: the NetBox-driven edit payload, value checks and their paths, error options, the
//! ietf-interfaces view and value quirks.

use super::*;
use crate::device::model::seed_c9300;
use crate::device::native_parse::valid_vlan_list;
use std::net::Ipv4Addr;

fn config(xml: &str) -> Element {
    Element::parse(
        format!(r#"<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">{xml}</config>"#)
            .as_bytes(),
    )
    .unwrap()
}

fn run_with(xml: &str, op: Op, eo: ErrorOption, quirks: &ValueQuirks) -> EditOutcome {
    let c = config(xml);
    let scope = Scope::default().enter(&c);
    apply(&seed_c9300("c9300"), &c, &scope, op, eo, quirks)
}

fn run(xml: &str) -> EditOutcome {
    run_with(
        xml,
        Op::Merge,
        ErrorOption::StopOnError,
        &ValueQuirks::default(),
    )
}

fn gi(out: &EditOutcome, n: &str) -> Interface {
    out.config
        .interface(IfKind::GigabitEthernet, n)
        .unwrap()
        .clone()
}

fn native(inner: &str) -> String {
    format!(
        r#"<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface>{inner}</interface></native>"#
    )
}

/// The edit a NetBox-driven script sends (new description, `no shutdown`, `no mtu`).
const SEED_003: &str = r#"<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
    <interface>
      <GigabitEthernet>
        <name>1/0/3</name>
        <description>Webhook function completed! ##ticket:1234##</description>
        <shutdown xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="remove"/>
        <mtu xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="remove"/>
      </GigabitEthernet>
    </interface>
  </native>"#;

#[test]
fn seed_003_payload_sets_description_and_removes_shutdown() {
    let out = run(SEED_003);
    assert_eq!(out.errors, vec![]);
    let g = gi(&out, "1/0/3");
    assert_eq!(
        g.description.as_deref(),
        Some("Webhook function completed! ##ticket:1234##")
    );
    assert!(!g.shutdown);
    assert_eq!(g.mtu, None);
    // Everything else on the port is kept.
    assert_eq!(g.switchport, Some(Switchport::Access { vlan: Some(10) }));
    assert_eq!(g.negotiation_auto, Some(true));
    assert!(g.link_up);
}

#[test]
fn values_are_checked_with_paths() {
    let out = run(&native(
        "<GigabitEthernet><name>1/0/2</name><mtu>63</mtu></GigabitEthernet>",
    ));
    let e = &out.errors[0];
    assert_eq!((e.error_type, e.tag), ("application", "invalid-value"));
    assert_eq!(e.app_tag, Some("not-in-range"));
    assert_eq!(
        e.json_path().unwrap(),
        "/Cisco-IOS-XE-native:native/interface/GigabitEthernet[name='1/0/2']/mtu"
    );
    assert!(e.message.contains("64..18000"), "{}", e.message);
    assert_eq!(out.config, seed_c9300("c9300"));
    // The model's range is wider than the switch's: 100 passes here (`platform` refuses it later).
    let out = run(&native(
        "<GigabitEthernet><name>1/0/2</name><mtu>100</mtu></GigabitEthernet>",
    ));
    assert_eq!(out.errors, vec![]);

    for (payload, leaf) in [
        (r#"<GigabitEthernet><name>1/0/2</name><switchport-config><switchport><access xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-switch"><vlan><vlan>4095</vlan></vlan></access></switchport></switchport-config></GigabitEthernet>"#, "vlan"),
        (r#"<GigabitEthernet><name>1/0/1</name><switchport-config><switchport><trunk xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-switch"><allowed><vlan><vlans>10,5000</vlans></vlan></allowed></trunk></switchport></switchport-config></GigabitEthernet>"#, "vlans"),
        (r#"<GigabitEthernet><name>1/0/1</name><switchport-config><switchport><trunk xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-switch"><native><vlan><vlan-id>0</vlan-id></vlan></native></trunk></switchport></switchport-config></GigabitEthernet>"#, "vlan-id"),
        ("<GigabitEthernet><name>1/0/2</name><mtu>abc</mtu></GigabitEthernet>", "mtu"),
        ("<GigabitEthernet><name>1/0/2</name><mtu>18001</mtu></GigabitEthernet>", "mtu"),
        ("<GigabitEthernet><name>1/0/2</name><ip><address><primary><address>10.0.0.300</address><mask>255.255.255.0</mask></primary></address></ip></GigabitEthernet>", "address"),
        ("<GigabitEthernet><name>1/0/2</name><ip><address><primary><address>10.0.0.1</address><mask>255.0.255.0</mask></primary></address></ip></GigabitEthernet>", "mask"),
        ("<GigabitEthernet><name>1/0/2</name><shutdown>yes</shutdown></GigabitEthernet>", "shutdown"),
        ("<Vlan><name>4095</name></Vlan>", "name"),
        (&format!("<GigabitEthernet><name>1/0/2</name><description>{}</description></GigabitEthernet>", "x".repeat(201)), "description"),
    ] {
        let out = run(&native(payload));
        let e = &out.errors[0];
        assert_eq!(e.tag, "invalid-value", "{payload}");
        assert_eq!(e.path.last().unwrap().name, leaf, "{payload}");
        assert_eq!(out.config, seed_c9300("c9300"));
    }
}

#[test]
fn structural_errors() {
    let tag = |xml: &str| run(xml).errors[0].tag;
    assert_eq!(
        tag(&native(
            "<GigabitEthernet><name>9/9/9</name><description>x</description></GigabitEthernet>"
        )),
        "invalid-value"
    );
    assert_eq!(
        tag(&native(
            r#"<GigabitEthernet xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"><name>1/0/2</name><shutdown nc:operation="delete"/></GigabitEthernet>"#
        )),
        "data-missing"
    );
    assert_eq!(
        tag(&native(
            "<GigabitEthernet><name>1/0/2</name><speed>1000</speed></GigabitEthernet>"
        )),
        "unknown-element"
    );
    assert_eq!(
        tag(&native(
            "<GigabitEthernet><description>x</description></GigabitEthernet>"
        )),
        "missing-element"
    );
    assert_eq!(
        tag(&native("<GigabitEthernet><name>1/0/2</name><vrf><forwarding>NOPE</forwarding></vrf></GigabitEthernet>")),
        "data-missing"
    );
    assert_eq!(
        tag(r#"<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><vrf/></native>"#),
        "operation-not-supported"
    );
    assert_eq!(
        tag(
            r#"<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"><interface nc:operation="replace"/></native>"#
        ),
        "operation-not-supported"
    );
    assert_eq!(tag(r#"<other xmlns="urn:nope"/>"#), "unknown-namespace");
    assert_eq!(
        tag(&native(
            r#"<GigabitEthernet xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="create"><name>1/0/2</name></GigabitEthernet>"#
        )),
        "data-exists"
    );
}

#[test]
fn switchport_modes_and_routed_ports() {
    let out = run(&native(
        r#"<GigabitEthernet><name>1/0/2</name><switchport-config><switchport><mode xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-switch"><trunk/></mode><trunk xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-switch"><allowed><vlan><vlans>10,20,30-40</vlans></vlan></allowed><native><vlan><vlan-id>99</vlan-id></vlan></native></trunk></switchport></switchport-config></GigabitEthernet>"#,
    ));
    assert_eq!(out.errors, vec![]);
    assert_eq!(
        gi(&out, "1/0/2").switchport,
        Some(Switchport::Trunk {
            allowed_vlans: Some("10,20,30-40".into()),
            native_vlan: Some(99)
        })
    );
    let out = run(&native(
        r#"<GigabitEthernet><name>1/0/7</name><switchport-config><switchport><access xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-switch"><vlan><vlan>20</vlan></vlan></access></switchport></switchport-config></GigabitEthernet>"#,
    ));
    assert_eq!(
        gi(&out, "1/0/7").switchport,
        Some(Switchport::Access { vlan: Some(20) })
    );
    let out = run(&native("<GigabitEthernet><name>1/0/8</name><switchport-conf><switchport>false</switchport></switchport-conf><vrf><forwarding>RED</forwarding></vrf><ip><address><primary><address>192.0.2.1</address><mask>255.255.255.0</mask></primary></address></ip></GigabitEthernet>"));
    let g = gi(&out, "1/0/8");
    assert!(g.routed);
    assert_eq!(g.vrf.as_deref(), Some("RED"));
    assert_eq!(g.ipv4.unwrap().prefix_length(), 24);
    assert!(valid_vlan_list("all") && valid_vlan_list("1-4094") && !valid_vlan_list("5-3"));
    assert!(!valid_vlan_list("") && !valid_vlan_list("1,,2") && !valid_vlan_list("x"));
}

#[test]
fn replace_delete_and_logical_interfaces() {
    let out = run(&native(
        r#"<GigabitEthernet xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="replace"><name>1/0/2</name><description>only this</description></GigabitEthernet>"#,
    ));
    let g = gi(&out, "1/0/2");
    assert_eq!(g.description.as_deref(), Some("only this"));
    assert_eq!(g.switchport, None);
    assert_eq!(g.negotiation_auto, None);

    let out = run(&native(
        r#"<GigabitEthernet xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="delete"><name>1/0/2</name></GigabitEthernet>"#,
    ));
    let g = gi(&out, "1/0/2");
    assert_eq!((g.description.clone(), g.switchport.clone()), (None, None));
    assert!(g.link_up, "a defaulted port keeps its cable");

    let out = run(&native(
        "<Loopback><name>7</name><description>new</description></Loopback>",
    ));
    assert_eq!(out.errors, vec![]);
    assert!(out.config.interface(IfKind::Loopback, "7").is_some());
    let out = run(&native(
        r#"<Loopback xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="delete"><name>0</name></Loopback>"#,
    ));
    assert!(out.config.interface(IfKind::Loopback, "0").is_none());
    let out = run(&native(
        r#"<Loopback xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="remove"><name>99</name></Loopback>"#,
    ));
    assert_eq!(out.errors, vec![]);
    assert_eq!(out.config, seed_c9300("c9300"));

    let out = run(
        r#"<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><hostname>edge-1</hostname></native>"#,
    );
    assert_eq!(out.config.hostname, "edge-1");
    assert_eq!(run(r#"<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><hostname>bad name</hostname></native>"#).errors[0].tag, "invalid-value");
}

#[test]
fn error_options_decide_about_the_other_units() {
    let payload = native(
        "<GigabitEthernet><name>1/0/6</name><description>first</description></GigabitEthernet>\
         <GigabitEthernet><name>1/0/7</name><mtu>1</mtu></GigabitEthernet>\
         <GigabitEthernet><name>1/0/8</name><description>third</description></GigabitEthernet>",
    );
    let q = ValueQuirks::default();
    let stop = run_with(&payload, Op::Merge, ErrorOption::StopOnError, &q);
    assert_eq!(stop.errors.len(), 1);
    assert_eq!(gi(&stop, "1/0/6").description.as_deref(), Some("first"));
    assert_eq!(gi(&stop, "1/0/8").description, None);

    let cont = run_with(&payload, Op::Merge, ErrorOption::ContinueOnError, &q);
    assert_eq!(cont.errors.len(), 1);
    assert_eq!(gi(&cont, "1/0/8").description.as_deref(), Some("third"));

    let rollback = run_with(&payload, Op::Merge, ErrorOption::RollbackOnError, &q);
    assert_eq!(rollback.errors.len(), 1);
    assert_eq!(rollback.config, seed_c9300("c9300"));
}

#[test]
fn default_operation_none_and_replace() {
    let q = ValueQuirks::default();
    let out = run_with(
        &native(
            r#"<GigabitEthernet xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"><name>1/0/3</name><shutdown nc:operation="delete"/><description>kept out</description></GigabitEthernet>"#,
        ),
        Op::None,
        ErrorOption::StopOnError,
        &q,
    );
    assert_eq!(out.errors, vec![]);
    let g = gi(&out, "1/0/3");
    assert!(!g.shutdown);
    assert_eq!(g.description.as_deref(), Some("unused - shut"));

    let out = run_with(
        &native("<GigabitEthernet><name>1/0/4</name><mtu>1600</mtu></GigabitEthernet>"),
        Op::Replace,
        ErrorOption::StopOnError,
        &q,
    );
    // default-operation replace reaches the containers too; this device refuses that.
    assert_eq!(out.errors[0].tag, "operation-not-supported");
}

#[test]
fn ietf_interfaces_view() {
    let out = run(
        r#"<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>GigabitEthernet1/0/4</name><enabled>false</enabled><description>via ietf</description></interface></interfaces>"#,
    );
    assert_eq!(out.errors, vec![]);
    let g = gi(&out, "1/0/4");
    assert!(g.shutdown);
    assert_eq!(g.description.as_deref(), Some("via ietf"));
    assert_eq!(g.switchport, Some(Switchport::Access { vlan: Some(20) }));

    let out = run(
        r#"<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>GigabitEthernet1/0/9</name><ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip"><address><ip>203.0.113.5</ip><prefix-length>29</prefix-length></address></ipv4></interface></interfaces>"#,
    );
    assert_eq!(out.errors, vec![]);
    assert_eq!(
        gi(&out, "1/0/9").ipv4.unwrap().mask,
        Ipv4Addr::new(255, 255, 255, 248)
    );

    let bad = run(
        r#"<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>GigabitEthernet1/0/9</name><type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:softwareLoopback</type></interface></interfaces>"#,
    );
    assert_eq!(bad.errors[0].tag, "invalid-value");
    let missing = run(
        r#"<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>Foo1</name><enabled>true</enabled></interface></interfaces>"#,
    );
    assert_eq!(missing.errors[0].tag, "invalid-value");
    assert_eq!(
        split_full_name("TenGigabitEthernet1/1/1"),
        Some((IfKind::TenGigabitEthernet, "1/1/1"))
    );
}

#[test]
fn quirks_make_read_back_differ() {
    let q = ValueQuirks {
        truncate_description: Some(8),
        ignore: vec!["mtu".into()],
    };
    let out = run_with(
        &native("<GigabitEthernet><name>1/0/2</name><description>ünïcode description</description><mtu>9000</mtu></GigabitEthernet>"),
        Op::Merge,
        ErrorOption::StopOnError,
        &q,
    );
    assert_eq!(out.errors, vec![]);
    let g = gi(&out, "1/0/2");
    assert_eq!(g.description.as_deref(), Some("ünïcode "));
    assert_eq!(g.mtu, None);
}

#[test]
fn hostile_text_is_stored_literally() {
    let out = run(&native("<GigabitEthernet><name>1/0/2</name><description>&lt;/description&gt;&lt;shutdown/&gt;</description></GigabitEthernet>"));
    let g = gi(&out, "1/0/2");
    assert_eq!(g.description.as_deref(), Some("</description><shutdown/>"));
    assert!(!g.shutdown);
}
