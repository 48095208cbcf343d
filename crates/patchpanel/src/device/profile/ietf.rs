//! ietf-interfaces + ietf-ip payloads (RFC 8343/8344, docs/netconf.md §2.3). Keys are full
//! interface names; `enabled` replaces `shutdown`; the MTU is the IPv4 MTU (`ipv4/mtu`); there is
//! no switchport model (validation refuses mode changes). Addresses are list entries keyed by `ip`,
//! so setting the address removes the previous ones named in the snapshot.

use super::{removal, EditContext, PathSeg, ProfileError, RestconfPlan, Snapshot, Xml};
use super::{IETF_IF_NS, IETF_IP_NS, NC_NS};
use crate::device::change::{Edit, ValidChange};
use crate::device::extract;
use crate::device::model::{InterfaceConfig, InterfaceName};
use crate::device::tree::Node;
use serde_json::{json, Map, Value};

const IF_MODULE: &str = "ietf-interfaces";
const IP_MODULE: &str = "ietf-ip";

/// Addresses in the snapshot that the change replaces or removes.
fn stale_addresses<'a>(c: &ValidChange, before: &'a InterfaceConfig) -> Vec<&'a str> {
    match &c.ipv4 {
        Some(Edit::Set(net)) => {
            let new = net.address.to_string();
            before
                .ipv4
                .iter()
                .map(|a| a.address.as_str())
                .filter(|a| *a != new)
                .collect()
        }
        Some(Edit::Remove) => before.ipv4.iter().map(|a| a.address.as_str()).collect(),
        None => Vec::new(),
    }
}

pub(super) fn edit_config(c: &ValidChange, ctx: &EditContext<'_>) -> Result<Vec<u8>, ProfileError> {
    let before = &ctx.before.config;
    let op = ctx.remove;
    let mut x = Xml::new();
    x.open("interfaces", &[("xmlns", IETF_IF_NS)]);
    x.open("interface", &[]);
    x.leaf("name", c.interface.as_str());
    match &c.description {
        Some(Edit::Set(t)) => x.leaf("description", t),
        Some(Edit::Remove) => removal(&mut x, "description", before.description.is_some(), op),
        None => {}
    }
    if let Some(e) = c.enabled {
        x.leaf("enabled", if e { "true" } else { "false" });
    }
    let stale = stale_addresses(c, before);
    let mtu_part = match &c.mtu {
        Some(Edit::Set(_)) => true,
        Some(Edit::Remove) => op == super::RemoveOp::Remove || before.mtu.is_some(),
        None => false,
    };
    if mtu_part || !stale.is_empty() || matches!(c.ipv4, Some(Edit::Set(_))) {
        x.open("ipv4", &[("xmlns", IETF_IP_NS)]);
        match &c.mtu {
            Some(Edit::Set(m)) => x.leaf("mtu", &m.to_string()),
            Some(Edit::Remove) => removal(&mut x, "mtu", before.mtu.is_some(), op),
            None => {}
        }
        for old in stale {
            // Each stale entry is known to exist, so `delete` is as safe as `remove`.
            x.open(
                "address",
                &[("xmlns:nc", NC_NS), ("nc:operation", op_word(op))],
            );
            x.leaf("ip", old);
            x.close("address");
        }
        if let Some(Edit::Set(net)) = &c.ipv4 {
            x.open("address", &[]);
            x.leaf("ip", &net.address.to_string());
            x.leaf("prefix-length", &net.prefix.to_string());
            x.close("address");
        }
        x.close("ipv4");
    }
    x.close("interface");
    x.close("interfaces");
    x.finish()
}

fn op_word(op: super::RemoveOp) -> &'static str {
    match op {
        super::RemoveOp::Remove => "remove",
        super::RemoveOp::Delete => "delete",
    }
}

pub(super) fn read_filter(name: &InterfaceName) -> Result<Vec<u8>, ProfileError> {
    let mut x = Xml::new();
    x.open("interfaces", &[("xmlns", IETF_IF_NS)]);
    x.open("interface", &[]);
    x.leaf("name", name.as_str());
    x.close("interface");
    x.close("interfaces");
    x.finish()
}

pub(super) fn find(tops: &[Node], name: &InterfaceName) -> Option<Snapshot> {
    let from_list = tops
        .iter()
        .filter(|n| n.name == "interfaces")
        .flat_map(|i| i.children_named("interface"));
    let direct = tops.iter().filter(|n| n.name == "interface");
    let entry = extract::find_entry(from_list.chain(direct), name.as_str())?;
    Some(Snapshot {
        config: extract::ietf_interface(entry, name.as_str()),
        entry: entry.clone(),
    })
}

pub(super) fn restconf_entry(name: &InterfaceName) -> Vec<PathSeg> {
    vec![
        PathSeg::node(&format!("{IF_MODULE}:interfaces")),
        PathSeg::Entry("interface".into(), name.as_str().to_owned()),
    ]
}

fn ipv4_node() -> PathSeg {
    PathSeg::node(&format!("{IP_MODULE}:ipv4"))
}

pub(super) fn restconf_plan(c: &ValidChange, before: &InterfaceConfig) -> RestconfPlan {
    let mut entry = Map::new();
    let mut deletes: Vec<Vec<PathSeg>> = Vec::new();
    entry.insert("name".into(), json!(c.interface.as_str()));
    match &c.description {
        Some(Edit::Set(t)) => {
            entry.insert("description".into(), json!(t));
        }
        Some(Edit::Remove) if before.description.is_some() => {
            deletes.push(vec![PathSeg::node("description")])
        }
        _ => {}
    }
    if let Some(e) = c.enabled {
        entry.insert("enabled".into(), json!(e));
    }
    let mut ipv4 = Map::new();
    match &c.mtu {
        Some(Edit::Set(m)) => {
            ipv4.insert("mtu".into(), json!(m));
        }
        Some(Edit::Remove) if before.mtu.is_some() => {
            deletes.push(vec![ipv4_node(), PathSeg::node("mtu")])
        }
        _ => {}
    }
    if let Some(Edit::Set(net)) = &c.ipv4 {
        ipv4.insert(
            "address".into(),
            json!([{"ip": net.address.to_string(), "prefix-length": net.prefix}]),
        );
    }
    for old in stale_addresses(c, before) {
        deletes.push(vec![
            ipv4_node(),
            PathSeg::Entry("address".into(), old.to_string()),
        ]);
    }
    if !ipv4.is_empty() {
        entry.insert(format!("{IP_MODULE}:ipv4"), Value::Object(ipv4));
    }
    let patch = (entry.len() > 1)
        .then(|| json!({ format!("{IF_MODULE}:interface"): [Value::Object(entry)] }));
    RestconfPlan { patch, deletes }
}

pub(super) fn restconf_undo(c: &ValidChange, before: &InterfaceConfig) -> Vec<Vec<PathSeg>> {
    let mut out = Vec::new();
    if matches!(c.description, Some(Edit::Set(_))) && before.description.is_none() {
        out.push(vec![PathSeg::node("description")]);
    }
    if c.enabled.is_some() && before.shutdown.is_none() {
        out.push(vec![PathSeg::node("enabled")]);
    }
    if matches!(c.mtu, Some(Edit::Set(_))) && before.mtu.is_none() {
        out.push(vec![ipv4_node(), PathSeg::node("mtu")]);
    }
    if let Some(Edit::Set(net)) = &c.ipv4 {
        let new = net.address.to_string();
        if !before.ipv4.iter().any(|a| a.address == new) {
            out.push(vec![ipv4_node(), PathSeg::Entry("address".into(), new)]);
        }
    }
    out
}
