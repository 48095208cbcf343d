//! RFC 6241 §6 subtree filtering over generic element trees: namespace selection, containment, selection
//! and content-match nodes. Several filter nodes naming the same data node select the union. List keys
//! (given by the caller, since the tree carries no schema) are always returned with a selected entry.

use super::xmltree::Element;

/// The key leaves of a list entry element (empty for containers and leaves).
pub type KeysOf = fn(&Element) -> &'static [&'static str];

/// Filter `data` (the top-level nodes of a datastore) by the children of a `<filter type="subtree">`.
/// An empty filter selects nothing.
pub fn apply(data: &[Element], filter: &Element, keys: KeysOf) -> Vec<Element> {
    data.iter()
        .filter_map(|d| {
            let fs: Vec<&Element> = filter.children.iter().filter(|f| names(f, d)).collect();
            if fs.is_empty() {
                None
            } else {
                select(d, &fs, keys)
            }
        })
        .collect()
}

/// A filter node names a data node when local names match and the namespaces do (a filter node in no
/// namespace, `xmlns=""`, matches every namespace).
fn names(f: &Element, d: &Element) -> bool {
    f.name == d.name && (f.ns.is_empty() || f.ns == d.ns)
}

fn is_content_match(f: &Element) -> bool {
    f.children.is_empty() && !f.text.is_empty()
}

fn is_selection(f: &Element) -> bool {
    f.children.is_empty() && f.text.is_empty()
}

/// Does `d` satisfy filter node `f` at its own level (its content-match children, or its own text)?
fn satisfies(d: &Element, f: &Element) -> bool {
    if is_content_match(f) {
        return d.children.is_empty() && d.text.trim() == f.text.trim();
    }
    f.children.iter().filter(|c| is_content_match(c)).all(|cm| {
        d.children
            .iter()
            .any(|dc| names(cm, dc) && dc.children.is_empty() && dc.text.trim() == cm.text.trim())
    })
}

/// `d` as selected by the union of filter nodes `fs` (all of which name `d`), or `None` when nothing of it
/// is selected.
fn select(d: &Element, fs: &[&Element], keys: KeysOf) -> Option<Element> {
    let matching: Vec<&Element> = fs.iter().copied().filter(|f| satisfies(d, f)).collect();
    if matching.is_empty() {
        return None;
    }
    // A selection node, a matching leaf, or a containment node holding only content-match nodes: all of d.
    let whole = matching
        .iter()
        .any(|f| is_selection(f) || is_content_match(f) || f.children.iter().all(is_content_match));
    if whole {
        return Some(d.clone());
    }
    let key_names = keys(d);
    let mut out = Element {
        ns: d.ns.clone(),
        name: d.name.clone(),
        attrs: d.attrs.clone(),
        text: String::new(),
        children: Vec::new(),
    };
    let mut selected_something = false;
    for dc in &d.children {
        let child_filters: Vec<&Element> = matching
            .iter()
            .flat_map(|f| f.children.iter())
            .filter(|fc| names(fc, dc))
            .collect();
        let is_key = dc.ns == d.ns && key_names.contains(&dc.name.as_str());
        if child_filters.is_empty() {
            if is_key {
                out.children.push(dc.clone());
            }
            continue;
        }
        if let Some(picked) = select(dc, &child_filters, keys) {
            selected_something = true;
            out.children.push(picked);
        } else if is_key {
            out.children.push(dc.clone());
        }
    }
    // Keys alone do not make an entry worth returning unless a content match chose the entry.
    let chose_by_content = matching
        .iter()
        .any(|f| f.children.iter().any(is_content_match));
    if selected_something || chose_by_content {
        Some(out)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::{seed_c9300, NS_IF, NS_NATIVE};
    use super::super::render_xml::{config_trees, list_keys};
    use super::*;

    fn filter(xml: &str) -> Element {
        Element::parse(format!("<filter type=\"subtree\">{xml}</filter>").as_bytes()).unwrap()
    }

    fn run(xml: &str) -> Vec<Element> {
        apply(&config_trees(&seed_c9300("c9300")), &filter(xml), list_keys)
    }

    fn doc(es: &[Element]) -> String {
        es.iter()
            .map(|e| {
                String::from_utf8(e.to_document())
                    .unwrap()
                    .replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "")
            })
            .collect()
    }

    #[test]
    fn selection_of_the_vrf_list() {
        let out = run(
            r#"<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><vrf><definition/></vrf></native>"#,
        );
        assert_eq!(out.len(), 1);
        let native = &out[0];
        assert_eq!(native.children.len(), 1, "only vrf: {}", doc(&out));
        let vrf = native.child(NS_NATIVE, "vrf").unwrap();
        assert_eq!(vrf.children.len(), 4);
        assert!(doc(&out).contains("<rd>65000:1</rd>"));
        assert!(!doc(&out).contains("hostname"));
    }

    #[test]
    fn content_match_picks_one_entry_whole() {
        let out = run(
            r#"<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>1/0/2</name></GigabitEthernet></interface></native>"#,
        );
        let xml = doc(&out);
        assert_eq!(xml.matches("<GigabitEthernet>").count(), 1, "{xml}");
        assert!(xml.contains(
            "<name>1/0/2</name><description>Floor 2 printer</description><switchport-config>"
        ));
        assert!(!xml.contains("TenGigabitEthernet") && !xml.contains("<vrf>"));
    }

    #[test]
    fn content_match_plus_selection_returns_key_and_selected_leaf() {
        let out = run(
            r#"<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>1/0/2</name><description/></GigabitEthernet></interface></native>"#,
        );
        assert!(doc(&out).contains("<interface><GigabitEthernet><name>1/0/2</name><description>Floor 2 printer</description></GigabitEthernet></interface>"));
    }

    #[test]
    fn selection_without_key_still_returns_keys() {
        let out = run(
            r#"<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><vrf><definition><rd/></definition></vrf></native>"#,
        );
        let xml = doc(&out);
        assert!(
            xml.contains("<definition><name>BLUE</name><rd>65000:1</rd></definition>"),
            "{xml}"
        );
        // Entries without an rd contribute nothing.
        assert!(!xml.contains("GUEST"));
    }

    #[test]
    fn namespaces_select_the_model() {
        assert!(run(r#"<native xmlns="urn:wrong"><hostname/></native>"#).is_empty());
        assert!(!run(r#"<native xmlns=""><hostname/></native>"#).is_empty());
        let ietf = run(
            r#"<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>GigabitEthernet1/0/5</name></interface></interfaces>"#,
        );
        assert_eq!(ietf.len(), 1);
        assert_eq!(ietf[0].ns, NS_IF);
        assert!(doc(&ietf).contains("<prefix-length>30</prefix-length>"));
    }

    #[test]
    fn no_match_and_empty_filter_select_nothing() {
        assert!(run(r#"<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>9/9/9</name></GigabitEthernet></interface></native>"#).is_empty());
        assert!(run("").is_empty());
    }

    #[test]
    fn union_of_two_filter_nodes() {
        let out = run(
            r#"<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><hostname/></native><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>1/0/3</name><shutdown/></GigabitEthernet><GigabitEthernet><name>1/0/5</name><mtu/></GigabitEthernet></interface></native>"#,
        );
        let xml = doc(&out);
        assert_eq!(out.len(), 1);
        assert!(xml.contains("<hostname>c9300</hostname>"));
        assert!(xml.contains("<GigabitEthernet><name>1/0/3</name><shutdown/></GigabitEthernet><GigabitEthernet><name>1/0/5</name><mtu>9000</mtu></GigabitEthernet>"), "{xml}");
    }
}
