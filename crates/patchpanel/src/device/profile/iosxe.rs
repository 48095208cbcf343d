//! Cisco-IOS-XE-native (+ Cisco-IOS-XE-switch) payloads (docs/netconf.md §2.1/§2.2). The list name
//! is the interface type and the key its number (`GigabitEthernet` / `1/0/2`). Switchport leaves
//! follow the layout the device itself returned (17.x `switchport-config/switchport`, 16.x
//! `switchport`; trunk `allowed/vlan` or `allowed/vlan-v2`), so an edit mirrors the release it is
//! sent to.

use super::{removal, EditContext, PathSeg, ProfileError, RestconfPlan, Snapshot, Xml};
use super::{NATIVE_NS, SWITCH_NS};
use crate::device::change::{Edit, ModeChange, ValidChange};
use crate::device::extract;
use crate::device::model::{InterfaceConfig, InterfaceName, PortMode};
use crate::device::tree::Node;
use serde_json::{json, Map, Value};

const NATIVE_MODULE: &str = "Cisco-IOS-XE-native";
const SWITCH_MODULE: &str = "Cisco-IOS-XE-switch";

/// `(list name, key)`; validation guarantees IOS-XE names split, the fallback keeps this total.
fn split(name: &InterfaceName) -> (&str, &str) {
    name.native().unwrap_or(("GigabitEthernet", name.as_str()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// 17.x: `switchport-config/switchport/…`
    Config,
    /// 16.x: `switchport/…` directly under the interface.
    Legacy,
}

fn layout(entry: &Node) -> Layout {
    if !entry.has(&["switchport-config"])
        && entry
            .child("switchport")
            .is_some_and(|s| s.has(&["mode"]) || s.has(&["access"]) || s.has(&["trunk"]))
    {
        Layout::Legacy
    } else {
        Layout::Config
    }
}

/// Whether the device's trunk list sits under `allowed/vlan-v2` (17.13+).
fn vlan_v2(entry: &Node) -> bool {
    let mut found = Vec::new();
    entry.descendants_named("vlan-v2", &mut found);
    !found.is_empty()
}

fn is_switchport(mode: &Option<PortMode>) -> bool {
    matches!(mode, Some(PortMode::Access { .. } | PortMode::Trunk { .. }))
}

pub(super) fn edit_config(c: &ValidChange, ctx: &EditContext<'_>) -> Result<Vec<u8>, ProfileError> {
    let (kind, number) = split(&c.interface);
    let before = &ctx.before.config;
    let op = ctx.remove;
    let mut x = Xml::new();
    x.open("native", &[("xmlns", NATIVE_NS)]);
    x.open("interface", &[]);
    x.open(kind, &[]);
    x.leaf("name", number);
    match &c.description {
        Some(Edit::Set(t)) => x.leaf("description", t),
        Some(Edit::Remove) => removal(&mut x, "description", before.description.is_some(), op),
        None => {}
    }
    match c.enabled {
        Some(false) => x.empty("shutdown", &[]),
        Some(true) => removal(&mut x, "shutdown", before.shutdown == Some(true), op),
        None => {}
    }
    match &c.mtu {
        Some(Edit::Set(m)) => x.leaf("mtu", &m.to_string()),
        Some(Edit::Remove) => removal(&mut x, "mtu", before.mtu.is_some(), op),
        None => {}
    }
    match &c.mode {
        None => {}
        Some(ModeChange::Routed) => {
            x.open("switchport-conf", &[]);
            x.leaf("switchport", "false");
            x.close("switchport-conf");
            let container = match layout(&ctx.before.entry) {
                Layout::Config => "switchport-config",
                Layout::Legacy => "switchport",
            };
            removal(&mut x, container, is_switchport(&before.mode), op);
        }
        Some(mode) => {
            if before.mode == Some(PortMode::Routed) {
                x.open("switchport-conf", &[]);
                x.leaf("switchport", "true");
                x.close("switchport-conf");
            }
            let legacy = layout(&ctx.before.entry) == Layout::Legacy;
            if !legacy {
                x.open("switchport-config", &[]);
            }
            x.open("switchport", &[]);
            switchport_xml(&mut x, mode, vlan_v2(&ctx.before.entry));
            x.close("switchport");
            if !legacy {
                x.close("switchport-config");
            }
        }
    }
    match &c.ipv4 {
        Some(Edit::Set(net)) => {
            x.open("ip", &[]);
            x.open("address", &[]);
            x.open("primary", &[]);
            x.leaf("address", &net.address.to_string());
            x.leaf("mask", &net.mask().to_string());
            x.close("primary");
            x.close("address");
            x.close("ip");
        }
        Some(Edit::Remove) if op == super::RemoveOp::Remove || !before.ipv4.is_empty() => {
            x.open("ip", &[]);
            removal(&mut x, "address", true, op);
            x.close("ip");
        }
        _ => {}
    }
    x.close(kind);
    x.close("interface");
    x.close("native");
    x.finish()
}

fn switchport_xml(x: &mut Xml, mode: &ModeChange, v2: bool) {
    let sw = [("xmlns", SWITCH_NS)];
    match mode {
        ModeChange::Access { vlan } => {
            x.open("mode", &sw);
            x.empty("access", &[]);
            x.close("mode");
            x.open("access", &sw);
            x.open("vlan", &[]);
            x.leaf("vlan", &vlan.to_string());
            x.close("vlan");
            x.close("access");
        }
        ModeChange::Trunk { native, allowed } => {
            x.open("mode", &sw);
            x.empty("trunk", &[]);
            x.close("mode");
            x.open("trunk", &sw);
            x.open("allowed", &[]);
            if v2 {
                x.open("vlan-v2", &[]);
                x.open("vlan-choices", &[]);
                x.leaf("vlans", allowed.as_str());
                x.close("vlan-choices");
                x.close("vlan-v2");
            } else {
                x.open("vlan", &[]);
                x.leaf("vlans", allowed.as_str());
                x.close("vlan");
            }
            x.close("allowed");
            if let Some(n) = native {
                x.open("native", &[]);
                x.open("vlan", &[]);
                x.leaf("vlan-id", &n.to_string());
                x.close("vlan");
                x.close("native");
            }
            x.close("trunk");
        }
        ModeChange::Routed => {}
    }
}

pub(super) fn read_filter(name: &InterfaceName) -> Result<Vec<u8>, ProfileError> {
    let (kind, number) = split(name);
    let mut x = Xml::new();
    x.open("native", &[("xmlns", NATIVE_NS)]);
    x.open("interface", &[]);
    x.open(kind, &[]);
    x.leaf("name", number);
    x.close(kind);
    x.close("interface");
    x.close("native");
    x.finish()
}

/// The entry among top-level data nodes (`native/interface/<kind>` from NETCONF, or `<kind>` itself
/// from a RESTCONF GET of the entry).
pub(super) fn find(tops: &[Node], name: &InterfaceName) -> Option<Snapshot> {
    let (kind, number) = split(name);
    let from_native = tops
        .iter()
        .filter(|n| n.name == "native")
        .filter_map(|n| n.child("interface"))
        .flat_map(|i| i.children_named(kind));
    let direct = tops.iter().filter(|n| n.name == kind);
    let entry = extract::find_entry(from_native.chain(direct), number)?;
    Some(Snapshot {
        config: extract::native_interface(entry, name.as_str()),
        entry: entry.clone(),
    })
}

pub(super) fn restconf_entry(name: &InterfaceName) -> Vec<PathSeg> {
    let (kind, number) = split(name);
    vec![
        PathSeg::node(&format!("{NATIVE_MODULE}:native")),
        PathSeg::node("interface"),
        PathSeg::Entry(kind.to_string(), number.to_string()),
    ]
}

pub(super) fn restconf_plan(c: &ValidChange, before: &InterfaceConfig) -> RestconfPlan {
    let (kind, number) = split(&c.interface);
    let mut entry = Map::new();
    let mut deletes: Vec<Vec<PathSeg>> = Vec::new();
    let mut del = |path: &[&str]| deletes.push(path.iter().map(|p| PathSeg::node(p)).collect());
    entry.insert("name".into(), json!(number));
    match &c.description {
        Some(Edit::Set(t)) => {
            entry.insert("description".into(), json!(t));
        }
        Some(Edit::Remove) if before.description.is_some() => del(&["description"]),
        _ => {}
    }
    match c.enabled {
        Some(false) => {
            entry.insert("shutdown".into(), json!([null]));
        }
        Some(true) if before.shutdown == Some(true) => del(&["shutdown"]),
        _ => {}
    }
    match &c.mtu {
        Some(Edit::Set(m)) => {
            entry.insert("mtu".into(), json!(m));
        }
        Some(Edit::Remove) if before.mtu.is_some() => del(&["mtu"]),
        _ => {}
    }
    match &c.mode {
        None => {}
        Some(ModeChange::Routed) => {
            entry.insert("switchport-conf".into(), json!({"switchport": false}));
            if is_switchport(&before.mode) {
                del(&["switchport-config"]);
            }
        }
        Some(mode) => {
            if before.mode == Some(PortMode::Routed) {
                entry.insert("switchport-conf".into(), json!({"switchport": true}));
            }
            entry.insert(
                "switchport-config".into(),
                json!({"switchport": switchport_json(mode)}),
            );
        }
    }
    match &c.ipv4 {
        Some(Edit::Set(net)) => {
            entry.insert(
                "ip".into(),
                json!({"address": {"primary": {
                    "address": net.address.to_string(),
                    "mask": net.mask().to_string()
                }}}),
            );
        }
        Some(Edit::Remove) if !before.ipv4.is_empty() => del(&["ip", "address"]),
        _ => {}
    }
    let patch = (entry.len() > 1)
        .then(|| json!({ format!("{NATIVE_MODULE}:{kind}"): [Value::Object(entry)] }));
    RestconfPlan { patch, deletes }
}

fn switchport_json(mode: &ModeChange) -> Value {
    let m = |k: &str| format!("{SWITCH_MODULE}:{k}");
    match mode {
        ModeChange::Access { vlan } => json!({
            m("mode"): {"access": {}},
            m("access"): {"vlan": {"vlan": vlan}}
        }),
        ModeChange::Trunk { native, allowed } => {
            let mut trunk = Map::new();
            trunk.insert(
                "allowed".into(),
                json!({"vlan": {"vlans": allowed.as_str()}}),
            );
            if let Some(n) = native {
                trunk.insert("native".into(), json!({"vlan": {"vlan-id": n}}));
            }
            json!({ m("mode"): {"trunk": {}}, m("trunk"): Value::Object(trunk) })
        }
        ModeChange::Routed => json!({}),
    }
}

pub(super) fn restconf_undo(c: &ValidChange, before: &InterfaceConfig) -> Vec<Vec<PathSeg>> {
    let mut out: Vec<Vec<PathSeg>> = Vec::new();
    let mut del = |path: &[&str]| out.push(path.iter().map(|p| PathSeg::node(p)).collect());
    if matches!(c.description, Some(Edit::Set(_))) && before.description.is_none() {
        del(&["description"]);
    }
    if c.enabled == Some(false) && before.shutdown != Some(true) {
        del(&["shutdown"]);
    }
    if matches!(c.mtu, Some(Edit::Set(_))) && before.mtu.is_none() {
        del(&["mtu"]);
    }
    match &c.mode {
        Some(ModeChange::Routed) if before.mode != Some(PortMode::Routed) => {
            del(&["switchport-conf"])
        }
        Some(ModeChange::Access { .. } | ModeChange::Trunk { .. })
            if !is_switchport(&before.mode) =>
        {
            del(&["switchport-config"])
        }
        _ => {}
    }
    if matches!(c.ipv4, Some(Edit::Set(_))) && before.ipv4.is_empty() {
        del(&["ip", "address"]);
    }
    out
}
