//! Typed device data (what the reads return, whatever protocol or YANG model produced it) and the
//! interface-name grammar (`Gi1/0/2` → `GigabitEthernet` + `1/0/2`).

use std::fmt;

/// Which protocol answered a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Restconf,
    Netconf,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Restconf => "RESTCONF",
            Protocol::Netconf => "NETCONF",
        })
    }
}

/// A read result with its provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer<T> {
    /// The device name as written in the inventory.
    pub device: String,
    pub protocol: Protocol,
    pub data: T,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vrf {
    pub name: String,
    pub rd: Option<String>,
    pub description: Option<String>,
    pub import_targets: Vec<String>,
    pub export_targets: Vec<String>,
    /// `ipv4`, `ipv6`, ...
    pub address_families: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv4 {
    pub address: String,
    /// Dotted mask (`255.255.255.0`) or prefix length (`/24`) as the device gave it.
    pub mask: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortMode {
    Access {
        vlan: Option<u16>,
    },
    Trunk {
        /// VLAN list as configured (`10,20,30-40`); `None` means all.
        allowed: Option<String>,
        native: Option<u16>,
    },
    Routed,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterfaceConfig {
    /// Full name, e.g. `GigabitEthernet1/0/2`.
    pub name: String,
    pub description: Option<String>,
    /// `Some(true)` = shutdown; `None` when the model does not say.
    pub shutdown: Option<bool>,
    pub mode: Option<PortMode>,
    pub ipv4: Vec<Ipv4>,
    pub mtu: Option<u32>,
    pub vrf: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterfaceState {
    /// `up`, `down`, `lower-layer-down`, ...
    pub oper_status: Option<String>,
    pub speed: Option<String>,
    pub phys_address: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterfaceView {
    pub config: InterfaceConfig,
    pub state: Option<InterfaceState>,
}

/// Interface types of the IOS-XE native model with their usual abbreviations (first = shortest accepted
/// besides the full name). The type is the native list name, so it must stay a valid XML element name.
const CISCO_TYPES: &[(&str, &[&str])] = &[
    ("GigabitEthernet", &["gi", "gig", "ge"]),
    ("TenGigabitEthernet", &["te", "ten", "tengig"]),
    ("TwentyFiveGigE", &["twe", "twentyfive"]),
    ("FortyGigabitEthernet", &["fo", "forty"]),
    ("HundredGigE", &["hu", "hundred"]),
    ("TwoGigabitEthernet", &["tw", "two"]),
    ("FiveGigabitEthernet", &["fi", "five"]),
    ("AppGigabitEthernet", &["ap", "app"]),
    ("FastEthernet", &["fa", "fast"]),
    ("Ethernet", &["eth", "et"]),
    ("Loopback", &["lo", "loop"]),
    ("Vlan", &["vl"]),
    ("Port-channel", &["po", "portchannel"]),
    ("Tunnel", &["tu", "tun"]),
];

/// A validated interface name. `full` is what goes into ietf-interfaces keys; `native` is the
/// IOS-XE split (list name + key) when the name is a known Cisco type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceName {
    pub full: String,
    pub native: Option<(String, String)>,
}

impl fmt::Display for InterfaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

impl InterfaceName {
    /// Accepts full names (`GigabitEthernet1/0/2`), abbreviations (`Gi1/0/2`, `te1/1/1`), and for
    /// non-Cisco devices any plain name (`eth0`, `ge-0/0/0`) made of `A-Z a-z 0-9 / . : _ -`.
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        if s.is_empty() {
            return Err("it is empty".into());
        }
        if s.len() > 64 {
            return Err("it is longer than 64 characters".into());
        }
        if let Some(bad) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | ':' | '_' | '-')))
        {
            return Err(format!(
                "character {bad:?} is not allowed (use a name such as GigabitEthernet1/0/2)"
            ));
        }
        let split = s.find(|c: char| c.is_ascii_digit()).map(|i| s.split_at(i));
        if let Some((kind, number)) = split {
            if let Some(canonical) = canonical_type(kind) {
                if !valid_number(number) {
                    return Err(format!(
                        "`{number}` is not an interface number (expected e.g. 1/0/2)"
                    ));
                }
                return Ok(InterfaceName {
                    full: format!("{canonical}{number}"),
                    native: Some((canonical.to_string(), number.to_string())),
                });
            }
        }
        Ok(InterfaceName {
            full: s.to_string(),
            native: None,
        })
    }
}

fn canonical_type(kind: &str) -> Option<&'static str> {
    let k = kind.to_ascii_lowercase();
    CISCO_TYPES.iter().find_map(|(full, abbrevs)| {
        (full.to_ascii_lowercase() == k || abbrevs.contains(&k.as_str())).then_some(*full)
    })
}

/// `1`, `1/0/2`, `1/0/2.100`: digits separated by `/`, at most 4 parts, optional sub-interface.
fn valid_number(n: &str) -> bool {
    let (main, sub) = match n.split_once('.') {
        Some((m, s)) => (m, Some(s)),
        None => (n, None),
    };
    let digits = |p: &str| !p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = main.split('/').collect();
    let sub_ok = match sub {
        Some(s) => digits(s),
        None => true,
    };
    parts.len() <= 4 && parts.iter().all(|p| digits(p)) && sub_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_and_abbreviated_names_split() {
        for input in [
            "GigabitEthernet1/0/2",
            "Gi1/0/2",
            "gi1/0/2",
            "gigabitethernet1/0/2",
        ] {
            let n = InterfaceName::parse(input).unwrap();
            assert_eq!(n.full, "GigabitEthernet1/0/2");
            assert_eq!(
                n.native,
                Some(("GigabitEthernet".to_string(), "1/0/2".to_string()))
            );
        }
        let po = InterfaceName::parse("Po10").unwrap();
        assert_eq!(po.full, "Port-channel10");
        let sub = InterfaceName::parse("Te1/1/1.100").unwrap();
        assert_eq!(
            sub.native,
            Some(("TenGigabitEthernet".into(), "1/1/1.100".into()))
        );
    }

    #[test]
    fn non_cisco_names_pass_through_without_native_split() {
        let n = InterfaceName::parse("ge-0/0/0").unwrap();
        assert_eq!(n.full, "ge-0/0/0");
        assert_eq!(n.native, None);
    }

    #[test]
    fn hostile_names_are_rejected() {
        for bad in [
            "",
            "Gi1/0/2</name><shutdown/>",
            "Gi1/0/2 ; reload",
            "Gi1/0/2\n",
            "Gi1//2",
            "Gi1/0/2/3/4",
            "Gi1/0/2%2F",
            "Gi١/0/2",
            &"x".repeat(65),
        ] {
            if bad == "Gi1/0/2\n" {
                // surrounding whitespace is trimmed, the rest is fine
                assert!(InterfaceName::parse(bad).is_ok());
                continue;
            }
            assert!(InterfaceName::parse(bad).is_err(), "accepted {bad:?}");
        }
    }
}
