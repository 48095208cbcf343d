//! The read path of `DeviceReader` over NETCONF (beside `netconf/`, which knows nothing of the device
//! model): VRFs and one interface, per profile (IOS-XE native
//! or ietf-interfaces), with subtree filters built by quick-xml's escaping writer. Blocking.

use super::netconf::ops::DataReply;
use super::netconf::rpc::{Datastore, Filter};
use super::netconf::session::NetconfSession;
use crate::device::error::DeviceError;
use crate::device::extract;
use crate::device::inventory::{Device, Profile};
use crate::device::model::{InterfaceName, InterfaceState, InterfaceView, Protocol, Vrf};
use crate::device::restconf::{no_vrf_model, not_native_name};
use crate::device::tree::Node;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

pub const NATIVE_NS: &str = "http://cisco.com/ns/yang/Cisco-IOS-XE-native";
pub const IETF_IF_NS: &str = "urn:ietf:params:xml:ns:yang:ietf-interfaces";

/// Writes a path of nested elements, the first carrying `xmlns`, with an optional `<name>` key leaf
/// in the innermost one (text escaped by the writer). Element names are fixed strings, or interface
/// types from `InterfaceName::parse`'s fixed list.
fn nested(ns: &str, path: &[&str], key: Option<&str>) -> Filter {
    let mut w = Writer::new(Vec::new());
    let mut write = || -> std::io::Result<()> {
        for (i, name) in path.iter().enumerate() {
            let mut e = BytesStart::new(*name);
            if i == 0 {
                e.push_attribute(("xmlns", ns));
            }
            if i + 1 == path.len() && key.is_none() {
                w.write_event(Event::Empty(e))?;
            } else {
                w.write_event(Event::Start(e))?;
            }
        }
        if let Some(k) = key {
            w.write_event(Event::Start(BytesStart::new("name")))?;
            w.write_event(Event::Text(BytesText::new(k)))?;
            w.write_event(Event::End(BytesEnd::new("name")))?;
        }
        let closed = if key.is_some() {
            path.len()
        } else {
            path.len() - 1
        };
        for name in path[..closed].iter().rev() {
            w.write_event(Event::End(BytesEnd::new(*name)))?;
        }
        Ok(())
    };
    // Writing into a Vec cannot fail.
    let _ = write();
    Filter::subtree(w.into_inner())
}

pub fn native_vrfs_filter() -> Filter {
    nested(NATIVE_NS, &["native", "vrf", "definition"], None)
}

pub fn native_interface_filter(kind: &str, number: &str) -> Filter {
    nested(NATIVE_NS, &["native", "interface", kind], Some(number))
}

pub fn ietf_interface_filter(name: &str) -> Filter {
    nested(IETF_IF_NS, &["interfaces", "interface"], Some(name))
}

pub fn ietf_interface_state_filter(name: &str) -> Filter {
    nested(IETF_IF_NS, &["interfaces-state", "interface"], Some(name))
}

/// The profile from the inventory, else from the modules the server hello advertises.
fn profile(device: &Device, session: &NetconfSession) -> Profile {
    device.profile.unwrap_or_else(|| {
        let caps = session.capabilities();
        if !caps.has_namespace(NATIVE_NS) && caps.has_namespace(IETF_IF_NS) {
            Profile::Ietf
        } else {
            Profile::Iosxe
        }
    })
}

fn tree(device: &Device, reply: DataReply) -> Result<Node, DeviceError> {
    reply.tree().map_err(|reason| DeviceError::Protocol {
        device: device.name.clone(),
        protocol: Protocol::Netconf,
        reason: format!("malformed <data>: {reason}"),
    })
}

fn get_config(
    device: &Device,
    address: &str,
    s: &mut NetconfSession,
    filter: &Filter,
) -> Result<Node, DeviceError> {
    let reply = s
        .get_config(Datastore::Running, Some(filter))
        .map_err(|e| DeviceError::from_netconf(&device.name, address, e))?;
    tree(device, reply)
}

/// The whole configuration model the bot reads (`native` for IOS-XE, `interfaces` for the ietf
/// profile) from running, as the `<data>` tree: what the configuration-change notifier snapshots.
pub fn read_running_config(
    device: &Device,
    address: &str,
    s: &mut NetconfSession,
) -> Result<Node, DeviceError> {
    let filter = match profile(device, s) {
        Profile::Iosxe => nested(NATIVE_NS, &["native"], None),
        Profile::Ietf => nested(IETF_IF_NS, &["interfaces"], None),
    };
    get_config(device, address, s, &filter)
}

/// The VRFs of `device` over an open session (`address` names the endpoint in errors).
pub fn read_vrfs(
    device: &Device,
    address: &str,
    s: &mut NetconfSession,
) -> Result<Vec<Vrf>, DeviceError> {
    if profile(device, s) == Profile::Ietf {
        return Err(no_vrf_model(device));
    }
    let d = get_config(device, address, s, &native_vrfs_filter())?;
    let defs = d
        .children_named("native")
        .filter_map(|n| n.child("vrf"))
        .flat_map(|v| v.children_named("definition"));
    Ok(extract::native_vrfs(defs))
}

/// One interface of `device` (config, and state where the device has it) over an open session.
pub fn read_interface(
    device: &Device,
    address: &str,
    s: &mut NetconfSession,
    name: &InterfaceName,
) -> Result<InterfaceView, DeviceError> {
    let missing = || DeviceError::NoSuchInterface {
        device: device.name.clone(),
        interface: name.to_string(),
    };
    match profile(device, s) {
        Profile::Iosxe => {
            let (kind, number) = name.native().ok_or_else(|| not_native_name(name))?;
            let d = get_config(device, address, s, &native_interface_filter(kind, number))?;
            let entries = d
                .children_named("native")
                .filter_map(|n| n.child("interface"))
                .flat_map(|i| i.children_named(kind));
            let entry = extract::find_entry(entries, number).ok_or_else(missing)?;
            let config = extract::native_interface(entry, name.as_str());
            Ok(InterfaceView {
                config,
                state: state(s, name.as_str()),
            })
        }
        Profile::Ietf => {
            let d = get_config(device, address, s, &ietf_interface_filter(name.as_str()))?;
            let entries = d
                .children_named("interfaces")
                .flat_map(|i| i.children_named("interface"));
            let entry = extract::find_entry(entries, name.as_str()).ok_or_else(missing)?;
            let config = extract::ietf_interface(entry, name.as_str());
            Ok(InterfaceView {
                config,
                state: state(s, name.as_str()),
            })
        }
    }
}

/// Best effort `<get>` of ietf-interfaces state; any failure means "unknown".
fn state(s: &mut NetconfSession, full: &str) -> Option<InterfaceState> {
    match s.get(Some(&ietf_interface_state_filter(full))) {
        Ok(reply) => {
            let d = reply.tree().ok()?;
            let entries = d
                .children_named("interfaces-state")
                .flat_map(|i| i.children_named("interface"));
            extract::find_entry(entries, full).and_then(extract::ietf_state)
        }
        Err(e) => {
            tracing::debug!(error = %e, "no interface state over NETCONF");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::tree::from_xml;

    fn s(f: &Filter) -> String {
        String::from_utf8(f.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn filters_match_spec_shapes() {
        assert_eq!(
            s(&native_interface_filter("GigabitEthernet", "1/0/2")),
            "<native xmlns=\"http://cisco.com/ns/yang/Cisco-IOS-XE-native\"><interface><GigabitEthernet><name>1/0/2</name></GigabitEthernet></interface></native>"
        );
        assert_eq!(
            s(&native_vrfs_filter()),
            "<native xmlns=\"http://cisco.com/ns/yang/Cisco-IOS-XE-native\"><vrf><definition/></vrf></native>"
        );
        assert!(s(&ietf_interface_state_filter("Gi1"))
            .starts_with("<interfaces-state xmlns=\"urn:ietf:params:xml:ns:yang:ietf-interfaces\"><interface><name>Gi1</name>"));
    }

    #[test]
    fn user_text_is_escaped_in_filters() {
        // The injection string of docs/netconf.md §4 must stay text.
        let evil = "hi</name></interface></interfaces><x>&";
        let f = ietf_interface_filter(evil);
        let x = s(&f);
        assert!(
            x.contains(
                "<name>hi&lt;/name&gt;&lt;/interface&gt;&lt;/interfaces&gt;&lt;x&gt;&amp;</name>"
            ),
            "{x}"
        );
        let parsed = from_xml(x.as_bytes()).unwrap();
        assert_eq!(
            parsed
                .path(&["interface"])
                .unwrap()
                .text_at(&["name"])
                .as_deref(),
            Some(evil)
        );
    }
}
