//! The datastore as RESTCONF JSON (RFC 7951): module-qualified member names where the namespace changes,
//! `[null]` for empty leaves, `{}` for presence containers, 64-bit counters as strings.

use super::model::{AddressFamily, Interface, NativeConfig, Switchport, VrfDefinition};
use serde_json::{json, Map, Value};

pub const MOD_NATIVE: &str = "Cisco-IOS-XE-native";
pub const MOD_IF: &str = "ietf-interfaces";

/// The whole datastore as one JSON object keyed by the top-level nodes: the tree RESTCONF paths walk.
pub fn datastore(cfg: &NativeConfig) -> Value {
    json!({
        "Cisco-IOS-XE-native:native": native(cfg),
        "ietf-interfaces:interfaces": interfaces(cfg),
        "ietf-interfaces:interfaces-state": interfaces_state(cfg),
    })
}

/// The content of `Cisco-IOS-XE-native:native`.
pub fn native(cfg: &NativeConfig) -> Value {
    let mut lists = Map::new();
    for kind in super::model::IfKind::ALL {
        let entries: Vec<Value> = cfg.interfaces_of(kind).map(native_interface).collect();
        if !entries.is_empty() {
            lists.insert(kind.list_name().to_owned(), Value::Array(entries));
        }
    }
    json!({
        "hostname": cfg.hostname,
        "vrf": { "definition": cfg.vrfs.iter().map(vrf_definition).collect::<Vec<_>>() },
        "interface": Value::Object(lists),
    })
}

pub fn vrf_definition(def: &VrfDefinition) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(def.name));
    if let Some(d) = &def.description {
        m.insert("description".into(), json!(d));
    }
    if let Some(rd) = &def.rd {
        m.insert("rd".into(), json!(rd));
    }
    let mut af = Map::new();
    if let Some(v4) = &def.ipv4 {
        af.insert("ipv4".into(), address_family(v4));
    }
    if let Some(v6) = &def.ipv6 {
        af.insert("ipv6".into(), address_family(v6));
    }
    if !af.is_empty() {
        m.insert("address-family".into(), Value::Object(af));
    }
    Value::Object(m)
}

fn address_family(af: &AddressFamily) -> Value {
    let rts = |values: &[String]| -> Value {
        json!({ "without-stitching": values.iter().map(|v| json!({"asn-ip": v})).collect::<Vec<_>>() })
    };
    let mut rt = Map::new();
    if !af.export_rt.is_empty() {
        rt.insert("export-route-target".into(), rts(&af.export_rt));
    }
    if !af.import_rt.is_empty() {
        rt.insert("import-route-target".into(), rts(&af.import_rt));
    }
    if rt.is_empty() {
        json!({})
    } else {
        json!({ "route-target": rt })
    }
}

/// The list key as RFC 7951 wants it: a number for integer keys (Vlan, Loopback), else a string.
pub fn key_value(iface: &Interface) -> Value {
    if iface.kind.numeric_name() {
        if let Ok(n) = iface.name.parse::<u32>() {
            return json!(n);
        }
    }
    json!(iface.name)
}

pub fn native_interface(iface: &Interface) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), key_value(iface));
    if let Some(d) = &iface.description {
        m.insert("description".into(), json!(d));
    }
    if iface.shutdown {
        m.insert("shutdown".into(), json!([null]));
    }
    if let Some(mtu) = iface.mtu {
        m.insert("mtu".into(), json!(mtu));
    }
    if iface.routed {
        m.insert("switchport-conf".into(), json!({"switchport": false}));
    }
    if let Some(sp) = &iface.switchport {
        m.insert(
            "switchport-config".into(),
            json!({ "switchport": switchport(sp) }),
        );
    }
    if let Some(vrf) = &iface.vrf {
        m.insert("vrf".into(), json!({ "forwarding": vrf }));
    }
    if let Some(ip) = &iface.ipv4 {
        m.insert(
            "ip".into(),
            json!({"address": {"primary": {
                "address": ip.address.to_string(),
                "mask": ip.mask.to_string(),
            }}}),
        );
    }
    if let Some(auto) = iface.negotiation_auto {
        m.insert(
            "Cisco-IOS-XE-ethernet:negotiation".into(),
            json!({ "auto": auto }),
        );
    }
    Value::Object(m)
}

fn switchport(sp: &Switchport) -> Value {
    match sp {
        Switchport::Access { vlan } => {
            let mut m = Map::new();
            m.insert("Cisco-IOS-XE-switch:mode".into(), json!({"access": {}}));
            if let Some(v) = vlan {
                m.insert(
                    "Cisco-IOS-XE-switch:access".into(),
                    json!({"vlan": {"vlan": v}}),
                );
            }
            Value::Object(m)
        }
        Switchport::Trunk {
            allowed_vlans,
            native_vlan,
        } => {
            let mut trunk = Map::new();
            if let Some(a) = allowed_vlans {
                trunk.insert("allowed".into(), json!({"vlan": {"vlans": a}}));
            }
            if let Some(n) = native_vlan {
                trunk.insert("native".into(), json!({"vlan": {"vlan-id": n}}));
            }
            json!({
                "Cisco-IOS-XE-switch:mode": {"trunk": {}},
                "Cisco-IOS-XE-switch:trunk": trunk,
            })
        }
    }
}

fn iana_type(iface: &Interface) -> String {
    format!("iana-if-type:{}", iface.kind.iana_type())
}

/// The content of `ietf-interfaces:interfaces`.
pub fn interfaces(cfg: &NativeConfig) -> Value {
    let list: Vec<Value> = cfg
        .interfaces
        .iter()
        .map(|iface| {
            let mut m = Map::new();
            m.insert("name".into(), json!(iface.full_name()));
            if let Some(d) = &iface.description {
                m.insert("description".into(), json!(d));
            }
            m.insert("type".into(), json!(iana_type(iface)));
            m.insert("enabled".into(), json!(!iface.shutdown));
            if let Some(ip) = &iface.ipv4 {
                m.insert(
                    "ietf-ip:ipv4".into(),
                    json!({"address": [{
                        "ip": ip.address.to_string(),
                        "prefix-length": ip.prefix_length(),
                    }]}),
                );
            }
            Value::Object(m)
        })
        .collect();
    json!({ "interface": list })
}

/// The content of `ietf-interfaces:interfaces-state`.
pub fn interfaces_state(cfg: &NativeConfig) -> Value {
    let updown = |up: bool| if up { "up" } else { "down" };
    let list: Vec<Value> = cfg
        .interfaces
        .iter()
        .map(|iface| {
            let st = cfg.oper_state(iface);
            json!({
                "name": iface.full_name(),
                "type": iana_type(iface),
                "admin-status": updown(st.admin_up),
                "oper-status": updown(st.oper_up),
                "last-change": st.last_change,
                "if-index": st.if_index,
                "phys-address": st.phys_address,
                "speed": st.speed.to_string(),
                "statistics": {
                    "discontinuity-time": st.last_change,
                    "in-octets": st.in_octets.to_string(),
                    "in-unicast-pkts": st.in_unicast_pkts.to_string(),
                    "in-broadcast-pkts": st.in_broadcast_pkts.to_string(),
                    "in-multicast-pkts": st.in_multicast_pkts.to_string(),
                    "in-discards": st.in_discards,
                    "in-errors": st.in_errors,
                    "in-unknown-protos": 0,
                    "out-octets": st.out_octets.to_string(),
                    "out-unicast-pkts": st.out_unicast_pkts.to_string(),
                    "out-broadcast-pkts": st.out_broadcast_pkts.to_string(),
                    "out-multicast-pkts": st.out_multicast_pkts.to_string(),
                    "out-discards": st.out_discards,
                    "out-errors": st.out_errors,
                },
            })
        })
        .collect();
    json!({ "interface": list })
}

#[cfg(test)]
mod tests {
    use super::super::model::{seed_c9300, IfKind};
    use super::*;

    #[test]
    fn native_interfaces_follow_rfc7951() {
        let cfg = seed_c9300("c9300");
        let gi2 = native_interface(cfg.interface(IfKind::GigabitEthernet, "1/0/2").unwrap());
        assert_eq!(
            gi2,
            json!({
                "name": "1/0/2",
                "description": "Floor 2 printer",
                "switchport-config": {"switchport": {
                    "Cisco-IOS-XE-switch:mode": {"access": {}},
                    "Cisco-IOS-XE-switch:access": {"vlan": {"vlan": 10}},
                }},
                "Cisco-IOS-XE-ethernet:negotiation": {"auto": true},
            })
        );
        let gi3 = native_interface(cfg.interface(IfKind::GigabitEthernet, "1/0/3").unwrap());
        assert_eq!(gi3["shutdown"], json!([null]));
        let gi5 = native_interface(cfg.interface(IfKind::GigabitEthernet, "1/0/5").unwrap());
        assert_eq!(gi5["mtu"], json!(9000));
        assert_eq!(gi5["switchport-conf"], json!({"switchport": false}));
        assert_eq!(gi5["vrf"], json!({"forwarding": "BLUE"}));
        assert_eq!(
            gi5["ip"]["address"]["primary"]["mask"],
            json!("255.255.255.252")
        );
        let v10 = native_interface(cfg.interface(IfKind::Vlan, "10").unwrap());
        assert_eq!(v10["name"], json!(10));
        assert!(v10.get("Cisco-IOS-XE-ethernet:negotiation").is_none());
    }

    #[test]
    fn vrfs_and_ietf_views() {
        let cfg = seed_c9300("c9300");
        let n = native(&cfg);
        let defs = n["vrf"]["definition"].as_array().unwrap();
        assert_eq!(defs.len(), 4);
        assert_eq!(
            defs[1],
            json!({"name": "BLUE", "description": "Blue tenant", "rd": "65000:1",
                   "address-family": {"ipv4": {"route-target": {
                       "export-route-target": {"without-stitching": [{"asn-ip": "65000:1"}]},
                       "import-route-target": {"without-stitching": [{"asn-ip": "65000:1"}]}}}}})
        );
        assert_eq!(defs[0]["address-family"], json!({"ipv4": {}, "ipv6": {}}));
        assert_eq!(
            n["interface"]["GigabitEthernet"].as_array().unwrap().len(),
            49
        );

        let ietf = interfaces(&cfg);
        let gi5 = ietf["interface"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == "GigabitEthernet1/0/5")
            .unwrap();
        assert_eq!(gi5["type"], json!("iana-if-type:ethernetCsmacd"));
        assert_eq!(
            gi5["ietf-ip:ipv4"],
            json!({"address": [{"ip": "198.51.100.1", "prefix-length": 30}]})
        );
        let state = interfaces_state(&cfg);
        let te = state["interface"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == "TenGigabitEthernet1/1/1")
            .unwrap();
        assert_eq!(te["oper-status"], json!("up"));
        assert_eq!(te["speed"], json!("10000000000"));
        assert!(te["statistics"]["in-octets"].is_string());
        assert!(te["statistics"]["in-errors"].is_number());
    }
}
