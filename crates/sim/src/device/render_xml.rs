//! The datastore as NETCONF XML element trees: `native` (Cisco-IOS-XE-native, 17.x layout), the
//! ietf-interfaces config view and `interfaces-state`. Trees, not strings: the subtree filter walks them and
//! `xmltree` writes (and escapes) them.

use super::model::{
    AddressFamily, Interface, NativeConfig, Switchport, VrfDefinition, NS_ETHERNET, NS_IANAIFT,
    NS_IF, NS_IP, NS_NATIVE, NS_SWITCH,
};
use super::xmltree::Element;

/// What `<get-config>` on running returns before filtering.
pub fn config_trees(cfg: &NativeConfig) -> Vec<Element> {
    vec![native(cfg), interfaces(cfg)]
}

/// What `<get>` returns before filtering: config plus operational state.
pub fn all_trees(cfg: &NativeConfig) -> Vec<Element> {
    vec![native(cfg), interfaces(cfg), interfaces_state(cfg)]
}

/// The list keys of the trees built here, for the subtree filter (which always returns keys).
pub fn list_keys(e: &Element) -> &'static [&'static str] {
    match (e.ns.as_str(), e.name.as_str()) {
        (
            NS_NATIVE,
            "GigabitEthernet" | "TenGigabitEthernet" | "Vlan" | "Loopback" | "definition",
        ) => &["name"],
        (NS_NATIVE, "without-stitching") => &["asn-ip"],
        (NS_IF, "interface") => &["name"],
        (NS_IP, "address") => &["ip"],
        (super::library::NS_YANG_LIBRARY, "module") => &["name", "revision"],
        _ => &[],
    }
}

pub fn native(cfg: &NativeConfig) -> Element {
    let mut native = Element::new(NS_NATIVE, "native");
    native.push(leaf("hostname", &cfg.hostname));
    let mut vrf = Element::new(NS_NATIVE, "vrf");
    for def in &cfg.vrfs {
        vrf.push(vrf_definition(def));
    }
    native.push(vrf);
    let mut container = Element::new(NS_NATIVE, "interface");
    for iface in &cfg.interfaces {
        container.push(native_interface(iface));
    }
    native.push(container);
    native
}

fn leaf(name: &str, text: &str) -> Element {
    Element::leaf(NS_NATIVE, name, text)
}

fn node(name: &str) -> Element {
    Element::new(NS_NATIVE, name)
}

pub fn vrf_definition(def: &VrfDefinition) -> Element {
    let mut e = node("definition").with_child(leaf("name", &def.name));
    if let Some(d) = &def.description {
        e.push(leaf("description", d));
    }
    if let Some(rd) = &def.rd {
        e.push(leaf("rd", rd));
    }
    if def.ipv4.is_some() || def.ipv6.is_some() {
        let mut af = node("address-family");
        if let Some(v4) = &def.ipv4 {
            af.push(address_family("ipv4", v4));
        }
        if let Some(v6) = &def.ipv6 {
            af.push(address_family("ipv6", v6));
        }
        e.push(af);
    }
    e
}

fn address_family(name: &str, af: &AddressFamily) -> Element {
    let mut e = node(name);
    if af.import_rt.is_empty() && af.export_rt.is_empty() {
        return e;
    }
    let mut rt = node("route-target");
    for (list, values) in [
        ("export-route-target", &af.export_rt),
        ("import-route-target", &af.import_rt),
    ] {
        if values.is_empty() {
            continue;
        }
        let mut l = node(list);
        for v in values {
            l.push(node("without-stitching").with_child(leaf("asn-ip", v)));
        }
        rt.push(l);
    }
    e.push(rt);
    e
}

pub fn native_interface(iface: &Interface) -> Element {
    let mut e = node(iface.kind.list_name()).with_child(leaf("name", &iface.name));
    if let Some(d) = &iface.description {
        e.push(leaf("description", d));
    }
    if iface.shutdown {
        e.push(node("shutdown"));
    }
    if let Some(mtu) = iface.mtu {
        e.push(leaf("mtu", &mtu.to_string()));
    }
    if iface.routed {
        e.push(node("switchport-conf").with_child(leaf("switchport", "false")));
    }
    if let Some(sp) = &iface.switchport {
        e.push(
            node("switchport-config").with_child(node("switchport").with_children(switchport(sp))),
        );
    }
    if let Some(vrf) = &iface.vrf {
        e.push(node("vrf").with_child(leaf("forwarding", vrf)));
    }
    if let Some(ip) = &iface.ipv4 {
        e.push(
            node("ip").with_child(
                node("address").with_child(
                    node("primary")
                        .with_child(leaf("address", &ip.address.to_string()))
                        .with_child(leaf("mask", &ip.mask.to_string())),
                ),
            ),
        );
    }
    if let Some(auto) = iface.negotiation_auto {
        e.push(
            Element::new(NS_ETHERNET, "negotiation").with_child(Element::leaf(
                NS_ETHERNET,
                "auto",
                bool_text(auto),
            )),
        );
    }
    e
}

fn switchport(sp: &Switchport) -> Vec<Element> {
    let sw = |name: &str| Element::new(NS_SWITCH, name);
    let sw_leaf = |name: &str, text: String| Element::leaf(NS_SWITCH, name, text);
    match sp {
        Switchport::Access { vlan } => {
            let mut out = vec![sw("mode").with_child(sw("access"))];
            if let Some(v) = vlan {
                out.push(
                    sw("access").with_child(sw("vlan").with_child(sw_leaf("vlan", v.to_string()))),
                );
            }
            out
        }
        Switchport::Trunk {
            allowed_vlans,
            native_vlan,
        } => {
            let mut trunk = sw("trunk");
            if let Some(a) = allowed_vlans {
                trunk.push(
                    sw("allowed").with_child(sw("vlan").with_child(sw_leaf("vlans", a.clone()))),
                );
            }
            if let Some(n) = native_vlan {
                trunk.push(
                    sw("native")
                        .with_child(sw("vlan").with_child(sw_leaf("vlan-id", n.to_string()))),
                );
            }
            vec![sw("mode").with_child(sw("trunk")), trunk]
        }
    }
}

fn bool_text(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

fn iana_type(iface: &Interface) -> Element {
    Element::leaf(NS_IF, "type", format!("ianaift:{}", iface.kind.iana_type()))
        .with_attr("xmlns:ianaift", NS_IANAIFT)
}

/// ietf-interfaces config view of the same interfaces.
pub fn interfaces(cfg: &NativeConfig) -> Element {
    let mut top = Element::new(NS_IF, "interfaces");
    for iface in &cfg.interfaces {
        top.push(ietf_interface(iface));
    }
    top
}

/// One ietf-interfaces `interface` entry (config view).
pub fn ietf_interface(iface: &Interface) -> Element {
    let mut e = Element::new(NS_IF, "interface").with_child(Element::leaf(
        NS_IF,
        "name",
        iface.full_name(),
    ));
    if let Some(d) = &iface.description {
        e.push(Element::leaf(NS_IF, "description", d.clone()));
    }
    e.push(iana_type(iface));
    e.push(Element::leaf(NS_IF, "enabled", bool_text(!iface.shutdown)));
    if let Some(ip) = &iface.ipv4 {
        e.push(
            Element::new(NS_IP, "ipv4").with_child(
                Element::new(NS_IP, "address")
                    .with_child(Element::leaf(NS_IP, "ip", ip.address.to_string()))
                    .with_child(Element::leaf(
                        NS_IP,
                        "prefix-length",
                        ip.prefix_length().to_string(),
                    )),
            ),
        );
    }
    e
}

/// ietf-interfaces `interfaces-state`: status, speed and counters.
pub fn interfaces_state(cfg: &NativeConfig) -> Element {
    let mut top = Element::new(NS_IF, "interfaces-state");
    for iface in &cfg.interfaces {
        let st = cfg.oper_state(iface);
        let l = |name: &str, text: String| Element::leaf(NS_IF, name, text);
        let updown = |up: bool| if up { "up" } else { "down" }.to_owned();
        let stats = Element::new(NS_IF, "statistics").with_children(vec![
            l("discontinuity-time", st.last_change.to_owned()),
            l("in-octets", st.in_octets.to_string()),
            l("in-unicast-pkts", st.in_unicast_pkts.to_string()),
            l("in-broadcast-pkts", st.in_broadcast_pkts.to_string()),
            l("in-multicast-pkts", st.in_multicast_pkts.to_string()),
            l("in-discards", st.in_discards.to_string()),
            l("in-errors", st.in_errors.to_string()),
            l("in-unknown-protos", "0".to_owned()),
            l("out-octets", st.out_octets.to_string()),
            l("out-unicast-pkts", st.out_unicast_pkts.to_string()),
            l("out-broadcast-pkts", st.out_broadcast_pkts.to_string()),
            l("out-multicast-pkts", st.out_multicast_pkts.to_string()),
            l("out-discards", st.out_discards.to_string()),
            l("out-errors", st.out_errors.to_string()),
        ]);
        top.push(Element::new(NS_IF, "interface").with_children(vec![
            l("name", iface.full_name()),
            iana_type(iface),
            l("admin-status", updown(st.admin_up)),
            l("oper-status", updown(st.oper_up)),
            l("last-change", st.last_change.to_owned()),
            l("if-index", st.if_index.to_string()),
            l("phys-address", st.phys_address.clone()),
            l("speed", st.speed.to_string()),
            stats,
        ]));
    }
    top
}

#[cfg(test)]
mod tests {
    use super::super::model::{seed_c9300, IfKind};
    use super::*;

    fn text(e: &Element) -> String {
        String::from_utf8(e.to_document()).unwrap()
    }

    #[test]
    fn gi1_0_2_matches_the_spec_shape() {
        let cfg = seed_c9300("c9300");
        let gi = native_interface(cfg.interface(IfKind::GigabitEthernet, "1/0/2").unwrap());
        let xml = text(&gi);
        assert!(xml.contains("<GigabitEthernet xmlns=\"http://cisco.com/ns/yang/Cisco-IOS-XE-native\"><name>1/0/2</name><description>Floor 2 printer</description>"));
        assert!(xml.contains("<switchport-config><switchport><mode xmlns=\"http://cisco.com/ns/yang/Cisco-IOS-XE-switch\"><access/></mode><access xmlns=\"http://cisco.com/ns/yang/Cisco-IOS-XE-switch\"><vlan><vlan>10</vlan></vlan></access></switchport></switchport-config>"));
        assert!(xml.contains("<negotiation xmlns=\"http://cisco.com/ns/yang/Cisco-IOS-XE-ethernet\"><auto>true</auto></negotiation>"));
    }

    #[test]
    fn routed_port_and_trunk() {
        let cfg = seed_c9300("c9300");
        let gi5 = text(&native_interface(
            cfg.interface(IfKind::GigabitEthernet, "1/0/5").unwrap(),
        ));
        assert!(gi5.contains("<mtu>9000</mtu><switchport-conf><switchport>false</switchport></switchport-conf><vrf><forwarding>BLUE</forwarding></vrf><ip><address><primary><address>198.51.100.1</address><mask>255.255.255.252</mask></primary></address></ip>"));
        let gi1 = text(&native_interface(
            cfg.interface(IfKind::GigabitEthernet, "1/0/1").unwrap(),
        ));
        assert!(gi1.contains("<trunk xmlns=\"http://cisco.com/ns/yang/Cisco-IOS-XE-switch\"><allowed><vlan><vlans>10,20,30-40</vlans></vlan></allowed><native><vlan><vlan-id>99</vlan-id></vlan></native></trunk>"));
        let gi3 = text(&native_interface(
            cfg.interface(IfKind::GigabitEthernet, "1/0/3").unwrap(),
        ));
        assert!(gi3.contains("<shutdown/>"));
    }

    #[test]
    fn vrfs_and_ietf_views() {
        let cfg = seed_c9300("c9300");
        let blue = text(&vrf_definition(&cfg.vrfs[1]));
        assert!(blue.contains("<name>BLUE</name><description>Blue tenant</description><rd>65000:1</rd><address-family><ipv4><route-target><export-route-target><without-stitching><asn-ip>65000:1</asn-ip></without-stitching></export-route-target><import-route-target>"));
        let mgmt = text(&vrf_definition(&cfg.vrfs[0]));
        assert!(mgmt.contains("<address-family><ipv4/><ipv6/></address-family>"));
        let ietf = text(&interfaces(&cfg));
        assert!(ietf.contains("<interface><name>GigabitEthernet1/0/5</name><description>routed link to fw1 (BLUE)</description><type xmlns:ianaift=\"urn:ietf:params:xml:ns:yang:iana-if-type\">ianaift:ethernetCsmacd</type><enabled>true</enabled><ipv4 xmlns=\"urn:ietf:params:xml:ns:yang:ietf-ip\"><address><ip>198.51.100.1</ip><prefix-length>30</prefix-length></address></ipv4></interface>"));
        let state = text(&interfaces_state(&cfg));
        assert!(state.contains("<name>GigabitEthernet1/0/3</name><type xmlns:ianaift=\"urn:ietf:params:xml:ns:yang:iana-if-type\">ianaift:ethernetCsmacd</type><admin-status>down</admin-status><oper-status>down</oper-status>"));
        assert!(state.contains("<speed>10000000000</speed>"));
    }
}
