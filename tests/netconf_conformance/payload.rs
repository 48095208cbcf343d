//! IOS-XE native payloads and filters for the conformance checks, written with quick-xml (never by
//! pasting text), and the read-back of one `GigabitEthernet` entry from a `<data>` reply.

use patchpanel::device::netconf::{
    ConfigPayload, DataReply, Datastore, Filter, NetconfError, NetconfSession,
};
use patchpanel::device::tree::Node;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

pub const NATIVE_NS: &str = "http://cisco.com/ns/yang/Cisco-IOS-XE-native";
pub const SWITCH_NS: &str = "http://cisco.com/ns/yang/Cisco-IOS-XE-switch";
pub const BASE_NS: &str = "urn:ietf:params:xml:ns:netconf:base:1.0";

type W = Writer<Vec<u8>>;

fn start(w: &mut W, name: &str, attrs: &[(&str, &str)]) {
    let mut e = BytesStart::new(name);
    for a in attrs {
        e.push_attribute(*a);
    }
    w.write_event(Event::Start(e)).unwrap();
}

fn end(w: &mut W, name: &str) {
    w.write_event(Event::End(BytesEnd::new(name))).unwrap();
}

fn leaf(w: &mut W, name: &str, text: &str) {
    start(w, name, &[]);
    w.write_event(Event::Text(BytesText::new(text))).unwrap();
    end(w, name);
}

fn empty(w: &mut W, name: &str, attrs: &[(&str, &str)]) {
    let mut e = BytesStart::new(name);
    for a in attrs {
        e.push_attribute(*a);
    }
    w.write_event(Event::Empty(e)).unwrap();
}

/// `<native><interface><GigabitEthernet><name>N</name>` + `body` + closing tags.
fn native_iface(name: &str, body: impl FnOnce(&mut W)) -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    start(&mut w, "native", &[("xmlns", NATIVE_NS)]);
    start(&mut w, "interface", &[]);
    start(&mut w, "GigabitEthernet", &[]);
    leaf(&mut w, "name", name);
    body(&mut w);
    end(&mut w, "GigabitEthernet");
    end(&mut w, "interface");
    end(&mut w, "native");
    w.into_inner()
}

/// Selects one whole interface entry (content match on the key).
pub fn iface_filter(name: &str) -> Filter {
    Filter::subtree(native_iface(name, |_| {}))
}

/// What to set on an interface; `None` leaves a leaf out of the payload.
#[derive(Debug, Clone, Default)]
pub struct Set<'a> {
    pub description: Option<&'a str>,
    pub mtu: Option<&'a str>,
    pub shutdown: bool,
    /// `switchport mode access` + `switchport access vlan N`.
    pub access_vlan: Option<&'a str>,
}

pub fn edit(name: &str, set: &Set<'_>) -> ConfigPayload {
    ConfigPayload::from_xml(native_iface(name, |w| {
        if let Some(d) = set.description {
            leaf(w, "description", d);
        }
        if set.shutdown {
            empty(w, "shutdown", &[]);
        }
        if let Some(m) = set.mtu {
            leaf(w, "mtu", m);
        }
        if let Some(v) = set.access_vlan {
            start(w, "switchport-config", &[]);
            start(w, "switchport", &[]);
            start(w, "mode", &[("xmlns", SWITCH_NS)]);
            empty(w, "access", &[]);
            end(w, "mode");
            start(w, "access", &[("xmlns", SWITCH_NS)]);
            start(w, "vlan", &[]);
            leaf(w, "vlan", v);
            end(w, "vlan");
            end(w, "access");
            end(w, "switchport");
            end(w, "switchport-config");
        }
    }))
}

/// The NetBox workflow's payload (from the original NetBox-driven lab): a new description, and `no shutdown` / `no mtu` as
/// `nc:operation="remove"`, each declaring the base namespace itself as the lab script does.
pub fn seed_003(name: &str, description: &str) -> ConfigPayload {
    ConfigPayload::from_xml(native_iface(name, |w| {
        leaf(w, "description", description);
        let remove = [("xmlns:nc", BASE_NS), ("nc:operation", "remove")];
        empty(w, "shutdown", &remove);
        empty(w, "mtu", &remove);
    }))
}

/// One `GigabitEthernet` entry as read back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Iface {
    /// Exactly as the server sent it (unescaped, untrimmed).
    pub description: Option<String>,
    pub shutdown: bool,
    pub mtu: Option<String>,
    pub mode_access: bool,
    pub access_vlan: Option<String>,
}

/// The entry named `name` in a `<data>` reply; `None` when absent.
pub fn iface_in(data: &DataReply, name: &str) -> Option<Iface> {
    let tree = data.tree().unwrap();
    let list = tree.path(&["native", "interface"])?;
    let gi = list
        .children_named("GigabitEthernet")
        .find(|g| g.text_at(&["name"]).as_deref() == Some(name))?;
    let ns_ok = |n: &Node, ns: &str| n.ns.as_deref() == Some(ns);
    assert!(ns_ok(gi, NATIVE_NS), "{gi:?}");
    let sw = gi.path(&["switchport-config", "switchport"]);
    let mode = sw.and_then(|s| s.child("mode"));
    let access = sw.and_then(|s| s.child("access"));
    if let Some(m) = mode {
        assert!(ns_ok(m, SWITCH_NS), "switchport mode namespace: {m:?}");
    }
    Some(Iface {
        description: gi.child("description").and_then(|d| d.text.clone()),
        shutdown: gi.child("shutdown").is_some(),
        mtu: gi.text_at(&["mtu"]),
        mode_access: mode.is_some_and(|m| m.child("access").is_some()),
        access_vlan: access.and_then(|a| a.text_at(&["vlan", "vlan"])),
    })
}

/// `get-config` of one interface from `source`.
pub fn read(
    s: &mut NetconfSession,
    source: Datastore,
    name: &str,
) -> Result<Option<Iface>, NetconfError> {
    let data = s.get_config(source, Some(&iface_filter(name)))?;
    Ok(iface_in(&data, name))
}
