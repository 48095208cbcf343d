//! The simulator's datastore as typed values: a subset of the Cisco-IOS-XE-native running config
//! (hostname, `vrf definition`, interfaces) plus the link state the operational view is derived from,
//! and the Catalyst 9300 seed every simulator starts with. Pure: no IO, no serialisation.

pub use super::ns::{NS_ETHERNET, NS_IANAIFT, NS_IF, NS_IP, NS_NATIVE, NS_SWITCH};

use std::net::Ipv4Addr;

/// The running configuration the simulator serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeConfig {
    pub hostname: String,
    pub vrfs: Vec<VrfDefinition>,
    pub interfaces: Vec<Interface>,
}

/// `vrf definition NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrfDefinition {
    pub name: String,
    pub description: Option<String>,
    pub rd: Option<String>,
    pub ipv4: Option<AddressFamily>,
    pub ipv6: Option<AddressFamily>,
}

/// `address-family ipv4|ipv6` inside a VRF, with its route targets (`asn-ip` values such as `65000:1`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressFamily {
    pub import_rt: Vec<String>,
    pub export_rt: Vec<String>,
}

/// The native interface lists this simulator knows (the YANG list name is the type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfKind {
    GigabitEthernet,
    TenGigabitEthernet,
    Vlan,
    Loopback,
}

impl IfKind {
    pub const ALL: [IfKind; 4] = [
        IfKind::GigabitEthernet,
        IfKind::TenGigabitEthernet,
        IfKind::Vlan,
        IfKind::Loopback,
    ];

    /// The native list name, e.g. `GigabitEthernet`.
    pub fn list_name(self) -> &'static str {
        match self {
            IfKind::GigabitEthernet => "GigabitEthernet",
            IfKind::TenGigabitEthernet => "TenGigabitEthernet",
            IfKind::Vlan => "Vlan",
            IfKind::Loopback => "Loopback",
        }
    }

    /// Whether the list key `name` is a YANG integer (uint16 for Vlan, uint32 for Loopback), which RFC 7951
    /// encodes as a JSON number.
    pub fn numeric_name(self) -> bool {
        matches!(self, IfKind::Vlan | IfKind::Loopback)
    }

    /// The `iana-if-type` identity (without prefix).
    pub fn iana_type(self) -> &'static str {
        match self {
            IfKind::GigabitEthernet | IfKind::TenGigabitEthernet => "ethernetCsmacd",
            IfKind::Vlan => "l3ipvlan",
            IfKind::Loopback => "softwareLoopback",
        }
    }

    /// Nominal speed in bit/s for the operational view.
    pub fn speed(self) -> u64 {
        match self {
            IfKind::GigabitEthernet | IfKind::Vlan => 1_000_000_000,
            IfKind::TenGigabitEthernet => 10_000_000_000,
            IfKind::Loopback => 8_000_000_000,
        }
    }

    /// Physical ports carry switchport and `negotiation`; SVIs and loopbacks do not.
    pub fn is_physical(self) -> bool {
        matches!(self, IfKind::GigabitEthernet | IfKind::TenGigabitEthernet)
    }
}

/// `switchport mode …` and its VLANs (Cisco-IOS-XE-switch augment, 17.x `switchport-config` layout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Switchport {
    Access {
        vlan: Option<u16>,
    },
    Trunk {
        allowed_vlans: Option<String>,
        native_vlan: Option<u16>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Primary {
    pub address: Ipv4Addr,
    pub mask: Ipv4Addr,
}

impl Ipv4Primary {
    pub fn prefix_length(&self) -> u32 {
        u32::from(self.mask).count_ones()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    pub kind: IfKind,
    /// The key: `1/0/2` for GigabitEthernet, `10` for Vlan.
    pub name: String,
    pub description: Option<String>,
    pub shutdown: bool,
    pub mtu: Option<u16>,
    pub switchport: Option<Switchport>,
    /// `no switchport`: a routed physical port.
    pub routed: bool,
    pub vrf: Option<String>,
    pub ipv4: Option<Ipv4Primary>,
    pub negotiation_auto: Option<bool>,
    /// Operational: a cable is plugged in and the far end is up.
    pub link_up: bool,
}

impl Interface {
    /// An interface with nothing configured (`default interface`), no link.
    pub fn blank(kind: IfKind, name: &str) -> Self {
        Self::new(kind, name)
    }

    fn new(kind: IfKind, name: &str) -> Self {
        Interface {
            kind,
            name: name.to_owned(),
            description: None,
            shutdown: false,
            mtu: None,
            switchport: None,
            routed: false,
            vrf: None,
            ipv4: None,
            negotiation_auto: kind.is_physical().then_some(true),
            link_up: false,
        }
    }

    /// The full name used by ietf-interfaces and by people: `GigabitEthernet1/0/2`.
    pub fn full_name(&self) -> String {
        format!("{}{}", self.kind.list_name(), self.name)
    }

    pub fn oper_up(&self) -> bool {
        !self.shutdown && self.link_up
    }
}

impl NativeConfig {
    pub fn interface(&self, kind: IfKind, name: &str) -> Option<&Interface> {
        self.interfaces
            .iter()
            .find(|i| i.kind == kind && i.name == name)
    }

    pub fn interfaces_of(&self, kind: IfKind) -> impl Iterator<Item = &Interface> {
        self.interfaces.iter().filter(move |i| i.kind == kind)
    }

    /// A stable, 1-based ifIndex: position in the interface table.
    pub fn if_index(&self, iface: &Interface) -> u32 {
        let pos = self
            .interfaces
            .iter()
            .position(|i| i.kind == iface.kind && i.name == iface.name)
            .unwrap_or(0);
        u32::try_from(pos + 1).unwrap_or(u32::MAX)
    }
}

/// The operational view of one interface (ietf-interfaces `interfaces-state`), derived deterministically
/// from the config and link state so every run and every protocol shows the same numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperState {
    pub if_index: u32,
    pub admin_up: bool,
    pub oper_up: bool,
    pub speed: u64,
    pub phys_address: String,
    pub last_change: &'static str,
    pub in_octets: u64,
    pub in_unicast_pkts: u64,
    pub in_broadcast_pkts: u64,
    pub in_multicast_pkts: u64,
    pub in_discards: u32,
    pub in_errors: u32,
    pub out_octets: u64,
    pub out_unicast_pkts: u64,
    pub out_broadcast_pkts: u64,
    pub out_multicast_pkts: u64,
    pub out_discards: u32,
    pub out_errors: u32,
}

/// When the simulated device booted; also each interface's `last-change` and `discontinuity-time`.
pub const BOOT_TIME: &str = "2024-05-01T08:00:00.000+00:00";

impl NativeConfig {
    pub fn oper_state(&self, iface: &Interface) -> OperState {
        let idx = self.if_index(iface);
        let n = u64::from(idx);
        // Ports that never saw a link have zero traffic; the others get plausible, distinct numbers.
        let traffic = if iface.link_up { 1 } else { 0 };
        let in_pkts = traffic * (1_000_003 * n + 40_000);
        let out_pkts = traffic * (900_007 * n + 35_000);
        OperState {
            if_index: idx,
            admin_up: !iface.shutdown,
            oper_up: iface.oper_up(),
            speed: iface.kind.speed(),
            phys_address: format!("00:1e:7a:c9:{:02x}:{:02x}", (idx >> 8) & 0xff, idx & 0xff),
            last_change: BOOT_TIME,
            in_octets: in_pkts * 612,
            in_unicast_pkts: in_pkts,
            in_broadcast_pkts: traffic * (1_200 + 7 * n),
            in_multicast_pkts: traffic * (25_000 + 11 * n),
            in_discards: 0,
            in_errors: u32::from(iface.link_up && idx % 7 == 0),
            out_octets: out_pkts * 734,
            out_unicast_pkts: out_pkts,
            out_broadcast_pkts: traffic * (300 + 3 * n),
            out_multicast_pkts: traffic * (50_000 + 13 * n),
            out_discards: 0,
            out_errors: 0,
        }
    }
}

fn ip(a: [u8; 4], m: [u8; 4]) -> Option<Ipv4Primary> {
    Some(Ipv4Primary {
        address: Ipv4Addr::from(a),
        mask: Ipv4Addr::from(m),
    })
}

/// The Catalyst 9300-48 every simulator starts with. Demos and end-to-end tests rely on these values.
pub fn seed_c9300(hostname: &str) -> NativeConfig {
    let vrfs = vec![
        VrfDefinition {
            name: "Mgmt-vrf".into(),
            description: None,
            rd: None,
            ipv4: Some(AddressFamily::default()),
            ipv6: Some(AddressFamily::default()),
        },
        VrfDefinition {
            name: "BLUE".into(),
            description: Some("Blue tenant".into()),
            rd: Some("65000:1".into()),
            ipv4: Some(AddressFamily {
                import_rt: vec!["65000:1".into()],
                export_rt: vec!["65000:1".into()],
            }),
            ipv6: None,
        },
        VrfDefinition {
            name: "RED".into(),
            description: Some("Red tenant".into()),
            rd: Some("65000:2".into()),
            ipv4: Some(AddressFamily {
                import_rt: vec!["65000:2".into(), "65000:100".into()],
                export_rt: vec!["65000:2".into()],
            }),
            ipv6: None,
        },
        VrfDefinition {
            name: "GUEST".into(),
            description: Some("Guest Wi-Fi".into()),
            rd: None,
            ipv4: Some(AddressFamily::default()),
            ipv6: None,
        },
    ];

    let mut interfaces = Vec::new();

    let mut mgmt = Interface::new(IfKind::GigabitEthernet, "0/0");
    mgmt.description = Some("OOB management".into());
    mgmt.vrf = Some("Mgmt-vrf".into());
    mgmt.ipv4 = ip([192, 0, 2, 10], [255, 255, 255, 0]);
    mgmt.link_up = true;
    mgmt.negotiation_auto = Some(true);
    interfaces.push(mgmt);

    for port in 1..=48u32 {
        let mut i = Interface::new(IfKind::GigabitEthernet, &format!("1/0/{port}"));
        match port {
            1 => {
                i.description = Some("uplink to core-sw1 Gi1/0/48".into());
                i.switchport = Some(Switchport::Trunk {
                    allowed_vlans: Some("10,20,30-40".into()),
                    native_vlan: Some(99),
                });
                i.link_up = true;
            }
            2 => {
                i.description = Some("Floor 2 printer".into());
                i.switchport = Some(Switchport::Access { vlan: Some(10) });
                i.link_up = true;
            }
            3 => {
                i.description = Some("unused - shut".into());
                i.shutdown = true;
                i.switchport = Some(Switchport::Access { vlan: Some(10) });
                i.link_up = true;
            }
            4 => {
                i.description = Some("AP-2F-01".into());
                i.switchport = Some(Switchport::Access { vlan: Some(20) });
                i.link_up = true;
            }
            5 => {
                i.description = Some("routed link to fw1 (BLUE)".into());
                i.routed = true;
                i.vrf = Some("BLUE".into());
                i.ipv4 = ip([198, 51, 100, 1], [255, 255, 255, 252]);
                i.mtu = Some(9000);
                i.link_up = true;
            }
            // A few unconfigured ports with something plugged in, the rest "notconnect".
            10..=12 => i.link_up = true,
            _ => {}
        }
        interfaces.push(i);
    }

    for port in 1..=4u32 {
        let mut i = Interface::new(IfKind::TenGigabitEthernet, &format!("1/1/{port}"));
        if port == 1 {
            i.description = Some("uplink to core-sw2 Te1/1/1".into());
            i.switchport = Some(Switchport::Trunk {
                allowed_vlans: Some("10,20,30-40".into()),
                native_vlan: Some(99),
            });
            i.link_up = true;
        }
        interfaces.push(i);
    }

    let mut vlan1 = Interface::new(IfKind::Vlan, "1");
    vlan1.shutdown = true;
    interfaces.push(vlan1);

    let mut vlan10 = Interface::new(IfKind::Vlan, "10");
    vlan10.description = Some("Users".into());
    vlan10.ipv4 = ip([10, 10, 10, 1], [255, 255, 255, 0]);
    vlan10.link_up = true;
    interfaces.push(vlan10);

    let mut lo0 = Interface::new(IfKind::Loopback, "0");
    lo0.description = Some("router-id".into());
    lo0.ipv4 = ip([10, 255, 255, 1], [255, 255, 255, 255]);
    lo0.link_up = true;
    interfaces.push(lo0);

    NativeConfig {
        hostname: hostname.to_owned(),
        vrfs,
        interfaces,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_has_the_documented_shape() {
        let c = seed_c9300("c9300");
        assert_eq!(c.hostname, "c9300");
        assert_eq!(c.interfaces_of(IfKind::GigabitEthernet).count(), 49);
        assert_eq!(c.interfaces_of(IfKind::TenGigabitEthernet).count(), 4);
        let names: Vec<_> = c.vrfs.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["Mgmt-vrf", "BLUE", "RED", "GUEST"]);
        let gi5 = c.interface(IfKind::GigabitEthernet, "1/0/5").unwrap();
        assert!(gi5.routed);
        assert_eq!(gi5.vrf.as_deref(), Some("BLUE"));
        assert_eq!(gi5.ipv4.unwrap().prefix_length(), 30);
        assert_eq!(gi5.full_name(), "GigabitEthernet1/0/5");
        let gi3 = c.interface(IfKind::GigabitEthernet, "1/0/3").unwrap();
        assert!(gi3.shutdown && !gi3.oper_up());
        assert_eq!(
            c.if_index(c.interface(IfKind::GigabitEthernet, "0/0").unwrap()),
            1
        );
        assert!(c.interface(IfKind::Vlan, "10").unwrap().ipv4.is_some());
    }
}
