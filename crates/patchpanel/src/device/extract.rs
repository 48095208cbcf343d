//! Model extraction: typed `Vrf`/`InterfaceConfig`/`InterfaceState` out of generic data trees, one
//! function per YANG model (IOS-XE native, ietf-interfaces). Tolerant of the release differences
//! listed in docs/netconf.md §2.1 (`switchport` vs `switchport-config/switchport`, `vlan` vs
//! `vlan-v2`, route-targets per VRF or per address family).

use super::model::{InterfaceConfig, InterfaceState, Ipv4, PortMode, Vrf};
use super::tree::Node;

/// VRFs from `vrf/definition` list entries of Cisco-IOS-XE-native.
pub fn native_vrfs<'a>(definitions: impl Iterator<Item = &'a Node>) -> Vec<Vrf> {
    let mut vrfs: Vec<Vrf> = definitions
        .filter_map(|d| {
            let name = d.text_at(&["name"])?;
            let mut vrf = Vrf {
                name,
                rd: d.text_at(&["rd"]),
                description: d.text_at(&["description"]),
                ..Vrf::default()
            };
            if let Some(af) = d.child("address-family") {
                for fam in &af.children {
                    push_unique(&mut vrf.address_families, fam.name.clone());
                }
            }
            let mut rts = Vec::new();
            d.descendants_named("route-target", &mut rts);
            for rt in rts {
                for dir in &rt.children {
                    let target = if dir.name.starts_with("import") {
                        &mut vrf.import_targets
                    } else if dir.name.starts_with("export") {
                        &mut vrf.export_targets
                    } else {
                        continue;
                    };
                    collect_targets(dir, target);
                }
            }
            // Same order whatever the encoding (JSON objects come back key-sorted, XML in document order).
            vrf.import_targets.sort();
            vrf.export_targets.sort();
            Some(vrf)
        })
        .collect();
    vrfs.sort_by(|a, b| a.name.cmp(&b.name));
    vrfs
}

/// Route-target values under an `import*`/`export*` node: `asn-ip` leaves at any depth (16.x
/// `export[]/asn-ip`, 17.x `export-route-target/without-stitching[]/asn-ip`) or the node's own text
/// (leaf-list form).
fn collect_targets(dir: &Node, out: &mut Vec<String>) {
    if let Some(t) = dir.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        push_unique(out, t.to_string());
    }
    let mut leaves = Vec::new();
    dir.descendants_named("asn-ip", &mut leaves);
    for l in leaves {
        if let Some(t) = l.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            push_unique(out, t.to_string());
        }
    }
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

/// Finds the native list entry (`GigabitEthernet` with `name` = `number`) among `candidates`.
pub fn find_entry<'a>(candidates: impl Iterator<Item = &'a Node>, key: &str) -> Option<&'a Node> {
    candidates
        .into_iter()
        .find(|n| n.text_at(&["name"]).as_deref() == Some(key))
}

/// Interface config from a Cisco-IOS-XE-native interface list entry; `full_name` is `Type` + key.
pub fn native_interface(entry: &Node, full_name: &str) -> InterfaceConfig {
    let sw = entry
        .path(&["switchport-config", "switchport"])
        .or_else(|| entry.child("switchport"));
    let mut mode = sw.and_then(switchport_mode);
    let no_switchport =
        entry.text_at(&["switchport-conf", "switchport"]).as_deref() == Some("false");
    let mut ipv4 = Vec::new();
    if let Some(primary) = entry.path(&["ip", "address", "primary"]) {
        if let (Some(a), Some(m)) = (primary.text_at(&["address"]), primary.text_at(&["mask"])) {
            ipv4.push(Ipv4 {
                address: a,
                mask: m,
            });
        }
    }
    if let Some(sec) = entry.path(&["ip", "address"]) {
        for s in sec.children_named("secondary") {
            if let (Some(a), Some(m)) = (s.text_at(&["address"]), s.text_at(&["mask"])) {
                ipv4.push(Ipv4 {
                    address: a,
                    mask: m,
                });
            }
        }
    }
    if entry.has(&["ip", "address", "dhcp"]) {
        ipv4.push(Ipv4 {
            address: "DHCP".into(),
            mask: String::new(),
        });
    }
    if mode.is_none() && (no_switchport || !ipv4.is_empty()) {
        mode = Some(PortMode::Routed);
    }
    let vrf = entry
        .text_at(&["vrf", "forwarding"])
        .or_else(|| entry.text_at(&["ip", "vrf", "forwarding", "word"]))
        .or_else(|| entry.text_at(&["ip", "vrf", "forwarding"]));
    InterfaceConfig {
        name: full_name.to_string(),
        description: entry.text_at(&["description"]),
        shutdown: Some(entry.has(&["shutdown"])),
        mode,
        ipv4,
        mtu: entry.text_at(&["mtu"]).and_then(|m| m.parse().ok()),
        vrf,
    }
}

fn switchport_mode(sw: &Node) -> Option<PortMode> {
    let access_vlan = sw
        .text_at(&["access", "vlan", "vlan"])
        .and_then(|v| v.parse().ok());
    if sw.has(&["mode", "trunk"]) {
        let allowed = sw
            .child("trunk")
            .and_then(|t| t.child("allowed"))
            .and_then(|a| {
                let mut vl = Vec::new();
                a.descendants_named("vlans", &mut vl);
                vl.iter().find_map(|n| {
                    n.text
                        .as_deref()
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(str::to_string)
                })
            });
        let native = sw
            .text_at(&["trunk", "native", "vlan", "vlan-id"])
            .or_else(|| sw.text_at(&["trunk", "native", "vlan"]))
            .and_then(|v| v.parse().ok());
        return Some(PortMode::Trunk { allowed, native });
    }
    if sw.has(&["mode", "access"]) || access_vlan.is_some() {
        return Some(PortMode::Access { vlan: access_vlan });
    }
    None
}

/// Interface config from an ietf-interfaces `interface` entry (RFC 8343/8344).
pub fn ietf_interface(entry: &Node, full_name: &str) -> InterfaceConfig {
    let mut ipv4 = Vec::new();
    if let Some(v4) = entry.child("ipv4") {
        for a in v4.children_named("address") {
            let Some(ip) = a.text_at(&["ip"]) else {
                continue;
            };
            let mask = a
                .text_at(&["netmask"])
                .or_else(|| a.text_at(&["prefix-length"]).map(|p| format!("/{p}")))
                .unwrap_or_default();
            ipv4.push(Ipv4 { address: ip, mask });
        }
    }
    let shutdown = entry.text_at(&["enabled"]).map(|e| e == "false");
    InterfaceConfig {
        name: entry
            .text_at(&["name"])
            .unwrap_or_else(|| full_name.to_string()),
        description: entry.text_at(&["description"]),
        shutdown,
        mode: (!ipv4.is_empty()).then_some(PortMode::Routed),
        mtu: entry.text_at(&["ipv4", "mtu"]).and_then(|m| m.parse().ok()),
        ipv4,
        vrf: None,
    }
}

/// Operational state from an ietf-interfaces `interfaces-state/interface` entry (or an NMDA
/// `interfaces/interface` entry carrying `oper-status`). `None` when it holds nothing useful.
pub fn ietf_state(entry: &Node) -> Option<InterfaceState> {
    let st = InterfaceState {
        oper_status: entry.text_at(&["oper-status"]),
        speed: entry.text_at(&["speed"]),
        phys_address: entry.text_at(&["phys-address"]),
    };
    (st != InterfaceState::default()).then_some(st)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::tree::{from_json, from_xml};

    fn json(s: &str) -> Node {
        from_json(&serde_json::from_str(s).unwrap())
    }

    #[test]
    fn vrfs_from_spec_json_and_both_route_target_layouts() {
        let root = json(
            r#"{"Cisco-IOS-XE-native:definition":[
              {"name":"MGMT","rd":"65000:1","address-family":{"ipv4":{}}},
              {"name":"BLUE","description":"tenant | blue","rd":"65000:2",
               "route-target":{"export":[{"asn-ip":"65000:2"}],"import":[{"asn-ip":"65000:2"},{"asn-ip":"65000:99"}]},
               "address-family":{"ipv4":{"route-target":{"export-route-target":{"without-stitching":[{"asn-ip":"65000:20"}]},
                                                          "import-route-target":{"without-stitching":[{"asn-ip":"65000:2"}]}}},
                                 "ipv6":{}}}]}"#,
        );
        let vrfs = native_vrfs(root.children_named("definition"));
        assert_eq!(vrfs.len(), 2);
        assert_eq!(vrfs[0].name, "BLUE");
        assert_eq!(vrfs[0].import_targets, vec!["65000:2", "65000:99"]);
        assert_eq!(vrfs[0].export_targets, vec!["65000:2", "65000:20"]);
        assert_eq!(vrfs[0].address_families, vec!["ipv4", "ipv6"]);
        assert_eq!(vrfs[0].description.as_deref(), Some("tenant | blue"));
        assert_eq!(
            vrfs[1],
            Vrf {
                name: "MGMT".into(),
                rd: Some("65000:1".into()),
                address_families: vec!["ipv4".into()],
                ..Vrf::default()
            }
        );
    }

    #[test]
    fn native_access_port_from_spec_json_object_form() {
        let root = json(
            r#"{"Cisco-IOS-XE-native:GigabitEthernet":{"name":"1/0/2","description":"uplink to core","shutdown":[null],"mtu":9000,
              "switchport-config":{"switchport":{"Cisco-IOS-XE-switch:mode":{"access":{}},"Cisco-IOS-XE-switch:access":{"vlan":{"vlan":10}}}},
              "ip":{"address":{"primary":{"address":"192.0.2.1","mask":"255.255.255.0"}}},
              "Cisco-IOS-XE-ethernet:negotiation":{"auto":true}}}"#,
        );
        let e = find_entry(root.children_named("GigabitEthernet"), "1/0/2").unwrap();
        let c = native_interface(e, "GigabitEthernet1/0/2");
        assert_eq!(c.description.as_deref(), Some("uplink to core"));
        assert_eq!(c.shutdown, Some(true));
        assert_eq!(c.mtu, Some(9000));
        assert_eq!(c.mode, Some(PortMode::Access { vlan: Some(10) }));
        assert_eq!(c.ipv4[0].address, "192.0.2.1");
    }

    #[test]
    fn native_trunk_and_routed_from_spec_xml() {
        let trunk = from_xml(br#"<GigabitEthernet xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><name>1/0/3</name>
          <switchport-config><switchport>
            <mode xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-switch"><trunk/></mode>
            <trunk xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-switch">
              <allowed><vlan><vlans>10,20,30-40</vlans></vlan></allowed>
              <native><vlan><vlan-id>99</vlan-id></vlan></native></trunk>
          </switchport></switchport-config></GigabitEthernet>"#).unwrap();
        let c = native_interface(&trunk, "GigabitEthernet1/0/3");
        assert_eq!(
            c.mode,
            Some(PortMode::Trunk {
                allowed: Some("10,20,30-40".into()),
                native: Some(99)
            })
        );
        assert_eq!(c.shutdown, Some(false));

        let routed = from_xml(br#"<GigabitEthernet><name>1/0/2</name>
          <switchport-conf><switchport>false</switchport></switchport-conf>
          <vrf><forwarding>MGMT</forwarding></vrf>
          <ip><address><primary><address>192.0.2.1</address><mask>255.255.255.0</mask></primary></address></ip>
          </GigabitEthernet>"#).unwrap();
        let c = native_interface(&routed, "GigabitEthernet1/0/2");
        assert_eq!(c.mode, Some(PortMode::Routed));
        assert_eq!(c.vrf.as_deref(), Some("MGMT"));
    }

    #[test]
    fn ietf_config_and_state() {
        let root = json(
            r#"{"ietf-interfaces:interface":[{"name":"GigabitEthernet1/0/2","description":"uplink","type":"iana-if-type:ethernetCsmacd",
              "enabled":false,"ietf-ip:ipv4":{"mtu":1500,"address":[{"ip":"192.0.2.1","prefix-length":24}]}}]}"#,
        );
        let c = ietf_interface(root.child("interface").unwrap(), "x");
        assert_eq!(c.name, "GigabitEthernet1/0/2");
        assert_eq!(c.shutdown, Some(true));
        assert_eq!(c.mtu, Some(1500));
        assert_eq!(c.ipv4[0].mask, "/24");
        let st = json(
            r#"{"ietf-interfaces:interface":[{"name":"GigabitEthernet1/0/2","oper-status":"down","speed":"1000000000"}]}"#,
        );
        let s = ietf_state(st.child("interface").unwrap()).unwrap();
        assert_eq!(s.oper_status.as_deref(), Some("down"));
        assert_eq!(ietf_state(&Node::new("interface")), None);
    }
}
