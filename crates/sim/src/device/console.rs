//! A change typed at the switch's CLI (`POST /_sim/cli`), pure: the request as a person would make
//! it (`{"interface":"Gi1/0/7","set":{"description":"rogue"}}`), interface names in the
//! abbreviations people type, and the change as a native `<config>` payload, so it passes through
//! the same value checks as a NETCONF edit (`native_edit`, `platform`) rather than a second copy of
//! them. Who made it (`user`, `line`, `from`) is what the syslog message and the notification name.

use super::model::IfKind;
use super::ns::{NS_BASE, NS_NATIVE, NS_SWITCH};
use super::xmltree::Element;
use serde::Deserialize;
use std::net::IpAddr;

fn default_user() -> String {
    "admin".to_owned()
}
fn default_line() -> String {
    "vty0".to_owned()
}
fn default_from() -> String {
    "10.1.1.1".to_owned()
}

/// The body of `POST /_sim/cli`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CliRequest {
    #[serde(default)]
    pub interface: Option<String>,
    #[serde(default)]
    pub set: Option<CliSet>,
    /// `{"id":30,"name":"GUEST"}`: refused, the simulated switch keeps no VLAN database.
    #[serde(default)]
    pub vlan: Option<serde_json::Value>,
    /// Refused like `vlan`.
    #[serde(default)]
    pub no_vlan: Option<serde_json::Value>,
    #[serde(default = "default_user")]
    pub user: String,
    /// `vty0`…, or `console` (the serial line, which has no source address).
    #[serde(default = "default_line")]
    pub line: String,
    #[serde(default = "default_from")]
    pub from: String,
    /// Change without any syslog message or notification (a lost signal).
    #[serde(default)]
    pub silent: bool,
}

/// Interface settings, each as its CLI command sets it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CliSet {
    /// `description TEXT`
    #[serde(default)]
    pub description: Option<String>,
    /// `mtu N` (any integer: the model's range check answers)
    #[serde(default)]
    pub mtu: Option<i64>,
    /// `shutdown` / `no shutdown`
    #[serde(default)]
    pub shutdown: Option<bool>,
    /// `switchport access vlan N`
    #[serde(default)]
    pub access_vlan: Option<i64>,
}

/// A checked console change, ready for the datastore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleChange {
    pub kind: IfKind,
    /// The list key (`1/0/7`).
    pub name: String,
    /// The edit as an `<edit-config>` `<config>` (merge).
    pub config: Element,
    pub user: String,
    pub line: String,
    /// The terminal's source address; `None` on the `console` line.
    pub from: Option<String>,
    pub silent: bool,
}

impl ConsoleChange {
    pub fn full_name(&self) -> String {
        format!("{}{}", self.kind.list_name(), self.name)
    }
}

/// Interface types people type, with the shortest prefix IOS accepts for each on this switch
/// (`Gi`, `Gig`, `Te`, `TenGig`, `Vl`, `Lo`, … up to the full name, any case).
const TYPES: &[(&str, usize, IfKind)] = &[
    ("GigabitEthernet", 2, IfKind::GigabitEthernet),
    ("TenGigabitEthernet", 2, IfKind::TenGigabitEthernet),
    ("Vlan", 2, IfKind::Vlan),
    ("Loopback", 2, IfKind::Loopback),
];

/// `Gi1/0/7`, `gig 1/0/7`, `TenGigabitEthernet1/1/1`, `vl10` → the type and the list key.
pub fn interface_name(text: &str) -> Option<(IfKind, String)> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_digit())?;
    let (word, number) = (text[..split].trim_end(), text[split..].trim());
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit() || b == b'/') {
        return None;
    }
    TYPES
        .iter()
        .find(|(full, min, _)| {
            word.len() >= *min
                && full
                    .get(..word.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(word))
        })
        .map(|(_, _, kind)| (*kind, number.to_owned()))
}

/// A name, a line or an address as a person has it: non-empty, at most 64 characters, no spaces or
/// control characters (they would break the syslog line).
fn token(field: &str, value: &str) -> Result<(), String> {
    if value.is_empty() || value.chars().count() > 64 || value.chars().any(char::is_whitespace) {
        return Err(format!(
            "{field} must be 1 to 64 characters without spaces, got {value:?}"
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{field} holds a control character"));
    }
    Ok(())
}

/// Check a request and build its edit; `Err` says what is wrong, for a 400.
pub fn plan(req: CliRequest) -> Result<ConsoleChange, String> {
    if req.vlan.is_some() || req.no_vlan.is_some() {
        return Err(
            "this simulated switch keeps no VLAN database (its model holds hostname, VRFs and interfaces); \
             vlan and no_vlan are not supported"
                .to_owned(),
        );
    }
    token("user", &req.user)?;
    token("line", &req.line)?;
    let from = if req.line == "console" {
        None
    } else {
        token("from", &req.from)?;
        req.from
            .parse::<IpAddr>()
            .map_err(|_| format!("from must be an IP address, got {:?}", req.from))?;
        Some(req.from.clone())
    };
    let Some(raw) = req.interface.as_deref() else {
        return Err("name the interface: {\"interface\":\"Gi1/0/7\",\"set\":{…}}".to_owned());
    };
    let (kind, name) = interface_name(raw).ok_or_else(|| {
        format!("{raw:?} is no interface name (GigabitEthernet/Gi, TenGigabitEthernet/Te, Vlan/Vl, Loopback/Lo and a number)")
    })?;
    let set = req.set.unwrap_or_default();
    let mut entry = Element::new(NS_NATIVE, kind.list_name()).with_child(Element::leaf(
        NS_NATIVE,
        "name",
        name.as_str(),
    ));
    if let Some(d) = &set.description {
        entry.push(Element::leaf(NS_NATIVE, "description", d.as_str()));
    }
    if let Some(mtu) = set.mtu {
        entry.push(Element::leaf(NS_NATIVE, "mtu", mtu.to_string()));
    }
    match set.shutdown {
        Some(true) => entry.push(Element::new(NS_NATIVE, "shutdown")),
        // `no shutdown`: remove the leaf whether or not it is there.
        Some(false) => {
            entry.push(Element::new(NS_NATIVE, "shutdown").with_attr("nc:operation", "remove"))
        }
        None => {}
    }
    if let Some(vlan) = set.access_vlan {
        let sw = |name: &str| Element::new(NS_SWITCH, name);
        entry.push(Element::new(NS_NATIVE, "switchport-config").with_child(
            Element::new(NS_NATIVE, "switchport").with_child(sw("access").with_child(
                sw("vlan").with_child(Element::leaf(NS_SWITCH, "vlan", vlan.to_string())),
            )),
        ));
    }
    if entry.children.len() == 1 {
        return Err(
            "set at least one of description, mtu, shutdown, access_vlan in \"set\"".to_owned(),
        );
    }
    let config = Element::new(NS_BASE, "config")
        .with_attr("xmlns:nc", NS_BASE)
        .with_child(
            Element::new(NS_NATIVE, "native")
                .with_child(Element::new(NS_NATIVE, "interface").with_child(entry)),
        );
    Ok(ConsoleChange {
        kind,
        name,
        config,
        user: req.user,
        line: req.line,
        from,
        silent: req.silent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(v: serde_json::Value) -> CliRequest {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn names_as_people_type_them() {
        let gi = |n: &str| Some((IfKind::GigabitEthernet, n.to_owned()));
        assert_eq!(interface_name("Gi1/0/7"), gi("1/0/7"));
        assert_eq!(interface_name("gig 1/0/7"), gi("1/0/7"));
        assert_eq!(interface_name("GigabitEthernet1/0/7"), gi("1/0/7"));
        assert_eq!(
            interface_name("Te1/1/1"),
            Some((IfKind::TenGigabitEthernet, "1/1/1".into()))
        );
        assert_eq!(
            interface_name("TenGig1/1/1"),
            Some((IfKind::TenGigabitEthernet, "1/1/1".into()))
        );
        assert_eq!(interface_name("vl10"), Some((IfKind::Vlan, "10".into())));
        assert_eq!(interface_name("Lo0"), Some((IfKind::Loopback, "0".into())));
        for bad in [
            "G1/0/7", "Gx1/0/7", "Gi", "1/0/7", "Gi1/0/7x", "Tunnel0", "",
        ] {
            assert_eq!(interface_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn defaults_and_the_payload() {
        let c = plan(req(
            json!({"interface":"Gi1/0/7","set":{"description":"rogue","shutdown":false}}),
        ))
        .unwrap();
        assert_eq!(
            (c.user.as_str(), c.line.as_str(), c.from.as_deref()),
            ("admin", "vty0", Some("10.1.1.1"))
        );
        assert_eq!(c.full_name(), "GigabitEthernet1/0/7");
        assert!(!c.silent);
        let xml = String::from_utf8(c.config.to_document()).unwrap();
        assert!(xml.contains("<GigabitEthernet><name>1/0/7</name><description>rogue</description><shutdown nc:operation=\"remove\"/></GigabitEthernet>"), "{xml}");
        let c = plan(req(
            json!({"interface":"Gi1/0/7","set":{"access_vlan":30},"line":"console","silent":true}),
        ))
        .unwrap();
        assert_eq!(c.from, None);
        assert!(c.silent);
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        let err = |v| plan(req(v)).unwrap_err();
        assert!(err(json!({"vlan":{"id":30,"name":"GUEST"}})).contains("no VLAN database"));
        assert!(err(json!({"no_vlan":30})).contains("no VLAN database"));
        assert!(err(json!({"interface":"Gi1/0/7","set":{}})).contains("at least one"));
        assert!(err(json!({"interface":"Fa0/1","set":{"mtu":1500}})).contains("no interface name"));
        assert!(err(json!({"set":{"mtu":1500}})).contains("name the interface"));
        assert!(
            err(json!({"interface":"Gi1/0/7","set":{"mtu":1500},"from":"here"}))
                .contains("IP address")
        );
        assert!(
            err(json!({"interface":"Gi1/0/7","set":{"mtu":1500},"user":"a b"})).contains("user")
        );
        assert!(
            serde_json::from_value::<CliRequest>(json!({"interface":"Gi1/0/7","sett":{}})).is_err()
        );
        assert!(serde_json::from_value::<CliRequest>(
            json!({"interface":"Gi1/0/7","set":{"speed":1}})
        )
        .is_err());
    }
}
