//! What changed between two running configurations, as RFC 6470's edit list, pure: the native trees
//! of both (`render_xml::native`, the model the switch is configured in) are walked side by side,
//! list entries matched by their keys, and each changed leaf, or each list entry or container that
//! appears or goes as a whole, becomes one [`Edit`] with an instance-identifier
//! (`/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/7']/ios:description`).

use super::model::NativeConfig;
use super::ns::{NS_ETHERNET, NS_NATIVE, NS_SWITCH};
use super::render_xml;
use super::xmltree::Element;

/// The prefixes a target uses, with their namespaces (declared on the `<target>` element).
pub const PREFIXES: &[(&str, &str)] = &[
    ("ios", NS_NATIVE),
    ("ios-sw", NS_SWITCH),
    ("ios-eth", NS_ETHERNET),
];

/// RFC 6470 `edit-operation-type` (the subset a diff can tell: no `merge`, no `remove`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EditOp {
    Create,
    Delete,
    Replace,
}

impl EditOp {
    pub fn name(self) -> &'static str {
        match self {
            EditOp::Create => "create",
            EditOp::Delete => "delete",
            EditOp::Replace => "replace",
        }
    }
}

/// One changed node.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Edit {
    /// Instance-identifier with the [`PREFIXES`].
    pub target: String,
    pub operation: EditOp,
}

/// The edit list that turns `before` into `after` (empty when they are the same).
pub fn edits(before: &NativeConfig, after: &NativeConfig) -> Vec<Edit> {
    let mut out = Vec::new();
    let (b, a) = (render_xml::native(before), render_xml::native(after));
    walk(&b, &a, &step(&b), &mut out);
    out
}

fn prefix(ns: &str) -> &'static str {
    PREFIXES
        .iter()
        .find(|(_, n)| *n == ns)
        .map_or("ios", |(p, _)| p)
}

/// `'value'`, or `"value"` when the value holds an apostrophe (XPath 1.0 literals have no escapes).
fn literal(value: &str) -> String {
    if value.contains('\'') {
        format!("\"{value}\"")
    } else {
        format!("'{value}'")
    }
}

/// `/p:name` plus one `[p:key='value']` per list key.
fn step(e: &Element) -> String {
    let p = prefix(&e.ns);
    let mut s = format!("/{p}:{}", e.name);
    for key in render_xml::list_keys(e) {
        if let Some(k) = e.children.iter().find(|c| c.name == *key) {
            s.push_str(&format!("[{}:{key}={}]", prefix(&k.ns), literal(&k.text)));
        }
    }
    s
}

/// The identity of a child among its siblings: namespace, name and key values.
fn same_node(x: &Element, y: &Element) -> bool {
    x.ns == y.ns
        && x.name == y.name
        && render_xml::list_keys(x)
            .iter()
            .all(|key| key_value(x, key) == key_value(y, key))
}

fn key_value<'a>(e: &'a Element, key: &str) -> Option<&'a str> {
    e.children
        .iter()
        .find(|c| c.name == key)
        .map(|c| c.text.as_str())
}

fn walk(before: &Element, after: &Element, path: &str, out: &mut Vec<Edit>) {
    let keys = render_xml::list_keys(before);
    let is_key = |c: &Element| keys.contains(&c.name.as_str());
    for b in before.children.iter().filter(|c| !is_key(c)) {
        let here = format!("{path}{}", step(b));
        match after.children.iter().find(|a| same_node(a, b)) {
            None => out.push(Edit {
                target: here,
                operation: EditOp::Delete,
            }),
            Some(a) if b.children.is_empty() && a.children.is_empty() => {
                if a.text != b.text {
                    out.push(Edit {
                        target: here,
                        operation: EditOp::Replace,
                    });
                }
            }
            Some(a) => {
                if a != b {
                    walk(b, a, &here, out);
                }
            }
        }
    }
    for a in after.children.iter().filter(|c| !is_key(c)) {
        if !before.children.iter().any(|b| same_node(a, b)) {
            out.push(Edit {
                target: format!("{path}{}", step(a)),
                operation: EditOp::Create,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::model::{seed_c9300, IfKind, Interface, Switchport};

    const GI7: &str = "/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/7']";

    fn edit(target: &str, operation: EditOp) -> Edit {
        Edit {
            target: target.to_owned(),
            operation,
        }
    }

    fn with_gi(cfg: &NativeConfig, name: &str, f: impl FnOnce(&mut Interface)) -> NativeConfig {
        let mut cfg = cfg.clone();
        if let Some(i) = cfg
            .interfaces
            .iter_mut()
            .find(|i| i.kind == IfKind::GigabitEthernet && i.name == name)
        {
            f(i);
        }
        cfg
    }

    #[test]
    fn nothing_changed_is_an_empty_list() {
        let seed = seed_c9300("c9300");
        assert!(edits(&seed, &seed.clone()).is_empty());
    }

    #[test]
    fn leaves_are_created_replaced_and_deleted() {
        let seed = seed_c9300("c9300");
        let set = with_gi(&seed, "1/0/7", |i| {
            i.description = Some("rogue".into());
            i.shutdown = true;
            i.mtu = Some(9000);
        });
        assert_eq!(
            edits(&seed, &set),
            vec![
                edit(&format!("{GI7}/ios:description"), EditOp::Create),
                edit(&format!("{GI7}/ios:shutdown"), EditOp::Create),
                edit(&format!("{GI7}/ios:mtu"), EditOp::Create),
            ]
        );
        let changed = with_gi(&set, "1/0/7", |i| i.description = Some("other".into()));
        assert_eq!(
            edits(&set, &changed),
            vec![edit(&format!("{GI7}/ios:description"), EditOp::Replace)]
        );
        assert_eq!(
            edits(&set, &seed),
            vec![
                edit(&format!("{GI7}/ios:description"), EditOp::Delete),
                edit(&format!("{GI7}/ios:shutdown"), EditOp::Delete),
                edit(&format!("{GI7}/ios:mtu"), EditOp::Delete),
            ]
        );
    }

    #[test]
    fn switchport_leaves_carry_the_switch_prefix() {
        let seed = seed_c9300("c9300");
        let gi2 = "/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/2']";
        let moved = with_gi(&seed, "1/0/2", |i| {
            i.switchport = Some(Switchport::Access { vlan: Some(30) })
        });
        assert_eq!(
            edits(&seed, &moved),
            vec![edit(
                &format!("{gi2}/ios:switchport-config/ios:switchport/ios-sw:access/ios-sw:vlan/ios-sw:vlan"),
                EditOp::Replace
            )]
        );
        let fresh = with_gi(&seed, "1/0/7", |i| {
            i.switchport = Some(Switchport::Access { vlan: Some(30) })
        });
        assert_eq!(
            edits(&seed, &fresh),
            vec![edit(
                &format!("{GI7}/ios:switchport-config"),
                EditOp::Create
            )]
        );
    }

    #[test]
    fn list_entries_come_and_go_whole() {
        let seed = seed_c9300("c9300");
        let mut more = seed.clone();
        more.interfaces
            .push(Interface::blank(IfKind::Loopback, "7"));
        more.hostname = "edge-1".into();
        more.vrfs.retain(|v| v.name != "RED");
        assert_eq!(
            edits(&seed, &more),
            vec![
                edit("/ios:native/ios:hostname", EditOp::Replace),
                edit(
                    "/ios:native/ios:vrf/ios:definition[ios:name='RED']",
                    EditOp::Delete
                ),
                edit(
                    "/ios:native/ios:interface/ios:Loopback[ios:name='7']",
                    EditOp::Create
                ),
            ]
        );
    }

    #[test]
    fn a_key_with_an_apostrophe_is_double_quoted() {
        assert_eq!(literal("it's"), "\"it's\"");
        assert_eq!(literal("1/0/7"), "'1/0/7'");
    }
}
