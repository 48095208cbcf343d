//! One generic data tree for both encodings of YANG data (RFC 7951 JSON from RESTCONF, XML from NETCONF),
//! so the model extraction in `extract` is written once. Element names are local names; `ns` keeps the
//! XML namespace URI or the JSON module prefix where one was given.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

/// Why a document is not one the device layer reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Not well-formed: quick-xml's words about the part named.
    #[error("malformed {what}: {detail}")]
    Malformed { what: &'static str, detail: String },
    /// Well-formed, but refused (a DTD, too deep, content after the root, …).
    #[error("{0}")]
    Unexpected(String),
}

impl XmlError {
    fn malformed(what: &'static str, e: impl std::fmt::Display) -> XmlError {
        XmlError::Malformed {
            what,
            detail: e.to_string(),
        }
    }
}

/// Deepest element nesting accepted from a device (YANG data for one interface is ~10 deep).
pub const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub ns: Option<String>,
    /// Leaf value; `None` for containers and for empty leaves / presence containers.
    pub text: Option<String>,
    pub children: Vec<Node>,
    /// Attributes of the element (XML only; only kept where a caller needs them, e.g. `message-id`).
    pub attrs: Vec<(String, String)>,
}

impl Node {
    pub fn new(name: impl Into<String>) -> Self {
        Node {
            name: name.into(),
            ..Node::default()
        }
    }

    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub fn path(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |n, p| n.child(p))
    }

    /// The trimmed, non-empty text of the leaf at `path`.
    pub fn text_at(&self, path: &[&str]) -> Option<String> {
        self.path(path)
            .and_then(|n| n.text.as_deref())
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    }

    pub fn has(&self, path: &[&str]) -> bool {
        self.path(path).is_some()
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every descendant (depth-first, self excluded) named `name`.
    pub fn descendants_named<'a>(&'a self, name: &str, out: &mut Vec<&'a Node>) {
        for c in &self.children {
            if c.name == name {
                out.push(c);
            }
            c.descendants_named(name, out);
        }
    }
}

/// Converts an RFC 7951 JSON document into a root node (named `""`) whose children are its members.
/// Arrays become repeated nodes (list entries, leaf-lists); `[null]` (an `empty` leaf) becomes a
/// childless, textless node, like `<shutdown/>` in XML.
pub fn from_json(value: &serde_json::Value) -> Node {
    let mut root = Node::new("");
    if let serde_json::Value::Object(map) = value {
        for (k, v) in map {
            push_json(&mut root.children, k, v, 0);
        }
    }
    root
}

fn push_json(out: &mut Vec<Node>, key: &str, value: &serde_json::Value, depth: usize) {
    use serde_json::Value;
    if depth > MAX_DEPTH {
        return;
    }
    let (ns, name) = match key.split_once(':') {
        Some((m, n)) => (Some(m.to_string()), n.to_string()),
        None => (None, key.to_string()),
    };
    let mk = |text: Option<String>| Node {
        name: name.clone(),
        ns: ns.clone(),
        text,
        ..Node::default()
    };
    match value {
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Array(_) => {}
                    other => push_json(out, key, other, depth + 1),
                }
            }
        }
        Value::Object(map) => {
            let mut n = mk(None);
            for (k, v) in map {
                push_json(&mut n.children, k, v, depth + 1);
            }
            out.push(n);
        }
        Value::Null => out.push(mk(None)),
        Value::String(s) => out.push(mk(Some(s.clone()))),
        Value::Bool(b) => out.push(mk(Some(b.to_string()))),
        Value::Number(n) => out.push(mk(Some(n.to_string()))),
    }
}

/// Parses one XML document into its root element. DTDs are refused, depth is bounded, namespaces are
/// resolved (prefixes are never compared). Attributes are kept for the root element only.
pub fn from_xml(bytes: &[u8]) -> Result<Node, XmlError> {
    let mut reader = NsReader::from_reader(bytes);
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| XmlError::malformed("XML", e))?;
        let ns = match ns {
            ResolveResult::Bound(n) => Some(String::from_utf8_lossy(n.as_ref()).into_owned()),
            _ => None,
        };
        match event {
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                let _ = e;
                return Err(XmlError::Unexpected(
                    "content after the root element".into(),
                ));
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::Unexpected("XML nested too deeply".into()));
                }
                let mut node = Node {
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    ns,
                    ..Node::default()
                };
                if stack.is_empty() {
                    for a in e.attributes().flatten() {
                        let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
                        if let Ok(v) = a.unescape_value() {
                            node.attrs.push((key, v.into_owned()));
                        }
                    }
                }
                if matches!(event, Event::Empty(_)) {
                    attach(&mut stack, &mut root, node);
                } else {
                    stack.push(node);
                }
            }
            Event::End(_) => match stack.pop() {
                Some(node) => attach(&mut stack, &mut root, node),
                None => return Err(XmlError::Unexpected("unbalanced end tag".into())),
            },
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    let s = t
                        .unescape()
                        .map_err(|e| XmlError::malformed("XML text", e))?;
                    top.text.get_or_insert_with(String::new).push_str(&s);
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    let s = String::from_utf8_lossy(&c).into_owned();
                    top.text.get_or_insert_with(String::new).push_str(&s);
                }
            }
            Event::DocType(_) => {
                return Err(XmlError::Unexpected("DOCTYPE is not accepted".into()))
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Unexpected("XML ended inside an element".into()));
    }
    let mut root = root.ok_or_else(|| XmlError::Unexpected("no XML element".into()))?;
    strip_container_text(&mut root, 0);
    Ok(root)
}

fn attach(stack: &mut [Node], root: &mut Option<Node>, node: Node) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(node),
        None => *root = Some(node),
    }
}

/// Whitespace between child elements is formatting, not a value.
fn strip_container_text(n: &mut Node, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    if !n.children.is_empty() {
        n.text = None;
        for c in &mut n.children {
            strip_container_text(c, depth + 1);
        }
    } else if n.text.as_deref().is_some_and(|t| t.trim().is_empty()) {
        n.text = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_empty_leaf_presence_and_arrays() {
        let v: serde_json::Value = serde_json::from_str(
            r#"{"Cisco-IOS-XE-native:GigabitEthernet":[{"name":"1/0/2","shutdown":[null],"mtu":9000,
               "switchport-config":{"switchport":{"Cisco-IOS-XE-switch:mode":{"access":{}}}}}]}"#,
        )
        .unwrap();
        let root = from_json(&v);
        let gi = root.child("GigabitEthernet").unwrap();
        assert_eq!(gi.ns.as_deref(), Some("Cisco-IOS-XE-native"));
        assert_eq!(gi.text_at(&["name"]).as_deref(), Some("1/0/2"));
        assert!(gi.has(&["shutdown"]));
        assert_eq!(gi.text_at(&["mtu"]).as_deref(), Some("9000"));
        assert!(gi.has(&["switchport-config", "switchport", "mode", "access"]));
    }

    #[test]
    fn xml_namespaces_resolved_and_whitespace_dropped() {
        let xml = br#"<?xml version="1.0"?>
<nc:rpc-reply xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="7">
  <nc:data><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
    <hostname>c9300 &amp; co</hostname><x><![CDATA[a<b]]></x></native></nc:data>
</nc:rpc-reply>"#;
        let root = from_xml(xml).unwrap();
        assert_eq!(root.name, "rpc-reply");
        assert_eq!(
            root.ns.as_deref(),
            Some("urn:ietf:params:xml:ns:netconf:base:1.0")
        );
        assert_eq!(root.attr("message-id"), Some("7"));
        let native = root.path(&["data", "native"]).unwrap();
        assert_eq!(
            native.ns.as_deref(),
            Some("http://cisco.com/ns/yang/Cisco-IOS-XE-native")
        );
        assert_eq!(native.text, None);
        assert_eq!(native.text_at(&["hostname"]).as_deref(), Some("c9300 & co"));
        assert_eq!(native.text_at(&["x"]).as_deref(), Some("a<b"));
    }

    #[test]
    fn hostile_xml_is_an_error_not_a_panic() {
        let deep = "<a>".repeat(10_000);
        for bad in [
            "<!DOCTYPE x [<!ENTITY e \"boom\">]><x>&e;</x>".to_string(),
            "<a><b></a>".to_string(),
            "<a>".to_string(),
            "".to_string(),
            "<a>&unknown;</a>".to_string(),
            "<a/><b/>".to_string(),
            deep,
            "\u{0}\u{1}<<<>>>".to_string(),
        ] {
            assert!(from_xml(bad.as_bytes()).is_err(), "accepted {bad:.40}");
        }
    }
}
