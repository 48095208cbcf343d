//! RFC 7951 JSON (a RESTCONF write body) to the element trees the edit code works on: `module:` prefixes
//! switch namespaces, arrays are list entries, `[null]` and `{}` are empty leaves and presence
//! containers, scalars are leaf text. Bounded depth, like the XML parser.

use super::error::{ns_of_module, YangError};
use super::xmltree::{Element, MAX_DEPTH};
use serde_json::Value;

fn malformed(message: impl Into<String>) -> YangError {
    YangError::protocol("malformed-message", message)
}

/// The elements of one member `name: value` under a parent in `parent_ns` (`None` at the top, where a
/// module prefix is required).
pub fn member(
    name: &str,
    value: &Value,
    parent_ns: Option<&str>,
) -> Result<Vec<Element>, YangError> {
    member_at(name, value, parent_ns, 0)
}

fn member_at(
    name: &str,
    value: &Value,
    parent_ns: Option<&str>,
    depth: usize,
) -> Result<Vec<Element>, YangError> {
    if depth >= MAX_DEPTH {
        return Err(malformed(format!("nested deeper than {MAX_DEPTH}")));
    }
    let (ns, local) = match name.split_once(':') {
        Some((module, local)) => {
            let ns = ns_of_module(module).ok_or_else(|| {
                YangError::protocol("unknown-namespace", format!("unknown module {module:?}"))
                    .with_info("bad-element", local)
            })?;
            (ns.to_owned(), local)
        }
        None => match parent_ns {
            Some(ns) => (ns.to_owned(), name),
            None => {
                return Err(malformed(format!(
                    "top-level member {name:?} needs a module prefix"
                )))
            }
        },
    };
    if local.is_empty() {
        return Err(malformed("empty member name"));
    }
    match value {
        // `[null]` is an empty leaf; any other array is a list (or leaf-list) of entries.
        Value::Array(items) if items.len() == 1 && items[0].is_null() => {
            Ok(vec![Element::new(&ns, local)])
        }
        Value::Array(items) => items
            .iter()
            .map(|item| {
                if item.is_array() {
                    return Err(malformed(format!("{local}: nested arrays")));
                }
                one(&ns, local, item, depth)
            })
            .collect(),
        other => Ok(vec![one(&ns, local, other, depth)?]),
    }
}

fn one(ns: &str, local: &str, value: &Value, depth: usize) -> Result<Element, YangError> {
    let mut e = Element::new(ns, local);
    match value {
        Value::Object(members) => {
            for (k, v) in members {
                e.children.extend(member_at(k, v, Some(ns), depth + 1)?);
            }
        }
        Value::String(s) => e.text = s.clone(),
        Value::Number(n) => e.text = n.to_string(),
        Value::Bool(b) => e.text = b.to_string(),
        Value::Null => {}
        Value::Array(_) => return Err(malformed(format!("{local}: nested arrays"))),
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::model::{NS_NATIVE, NS_SWITCH};
    use serde_json::json;

    #[test]
    fn converts_the_spec_patch_body() {
        let body = json!([{"name": "1/0/2", "description": "x", "shutdown": [null], "mtu": 9000,
            "switchport-config": {"switchport": {
                "Cisco-IOS-XE-switch:mode": {"trunk": {}},
                "Cisco-IOS-XE-switch:trunk": {"allowed": {"vlan": {"vlans": "10,20"}}}}}}]);
        let es = member("Cisco-IOS-XE-native:GigabitEthernet", &body, None).unwrap();
        assert_eq!(es.len(), 1);
        let g = &es[0];
        assert!(g.is(NS_NATIVE, "GigabitEthernet"));
        assert_eq!(g.child(NS_NATIVE, "mtu").unwrap().text, "9000");
        let shut = g.child(NS_NATIVE, "shutdown").unwrap();
        assert!(shut.children.is_empty() && shut.text.is_empty());
        let sp = g
            .child(NS_NATIVE, "switchport-config")
            .unwrap()
            .child(NS_NATIVE, "switchport")
            .unwrap();
        assert!(sp
            .child(NS_SWITCH, "mode")
            .unwrap()
            .child(NS_SWITCH, "trunk")
            .is_some());
        assert_eq!(
            sp.child(NS_SWITCH, "trunk").unwrap().children[0].children[0].children[0].text,
            "10,20"
        );
    }

    #[test]
    fn refuses_bad_shapes() {
        assert_eq!(
            member("GigabitEthernet", &json!({}), None).unwrap_err().tag,
            "malformed-message"
        );
        assert_eq!(
            member("Nope:x", &json!({}), None).unwrap_err().tag,
            "unknown-namespace"
        );
        assert_eq!(
            member("Cisco-IOS-XE-native:x", &json!([[1]]), None)
                .unwrap_err()
                .tag,
            "malformed-message"
        );
        let mut deep = json!(1);
        for _ in 0..100 {
            deep = json!({ "a": deep });
        }
        assert_eq!(
            member("Cisco-IOS-XE-native:x", &deep, None)
                .unwrap_err()
                .tag,
            "malformed-message"
        );
        assert_eq!(
            member("Cisco-IOS-XE-native:b", &json!(true), None).unwrap()[0].text,
            "true"
        );
    }
}
