//! A small namespace-resolved XML element tree: parsed from bytes with quick-xml's `NsReader` (no DTDs,
//! bounded depth) and written back with quick-xml's `Writer`, declaring a default namespace wherever it
//! changes. NETCONF payloads are element-only data, so text is kept per element.

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use quick_xml::Writer;

/// Deeper documents are refused: no data model here nests anywhere near this, and the bound keeps every
/// recursive walk over a parsed tree safe.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Namespace URI; empty when the element is in no namespace.
    pub ns: String,
    /// Local name (prefix removed).
    pub name: String,
    /// Attributes as written (qualified names, `xmlns:p` declarations included, the default `xmlns` not:
    /// that is `ns`), values unescaped.
    pub attrs: Vec<(String, String)>,
    /// Concatenated character data directly inside this element, surrounding whitespace removed.
    pub text: String,
    pub children: Vec<Element>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error("not well-formed XML: {0}")]
    Malformed(String),
    #[error("DTDs are not accepted")]
    Doctype,
    #[error("elements nested deeper than {MAX_DEPTH}")]
    TooDeep,
    #[error("no root element")]
    Empty,
}

impl Element {
    pub fn new(ns: &str, name: &str) -> Self {
        Element {
            ns: ns.to_owned(),
            name: name.to_owned(),
            attrs: Vec::new(),
            text: String::new(),
            children: Vec::new(),
        }
    }

    /// A leaf with text content.
    pub fn leaf(ns: &str, name: &str, text: impl Into<String>) -> Self {
        let mut e = Element::new(ns, name);
        e.text = text.into();
        e
    }

    pub fn with_attr(mut self, name: &str, value: &str) -> Self {
        self.attrs.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn with_child(mut self, child: Element) -> Self {
        self.children.push(child);
        self
    }

    pub fn with_children(mut self, children: Vec<Element>) -> Self {
        self.children.extend(children);
        self
    }

    pub fn push(&mut self, child: Element) {
        self.children.push(child);
    }

    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Parse one document. Refuses DTDs, unknown prefixes, several roots and text outside the root.
    pub fn parse(bytes: &[u8]) -> Result<Element, XmlError> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| XmlError::Malformed("invalid UTF-8".to_owned()))?;
        let mut reader = NsReader::from_str(text);
        reader.config_mut().trim_text(true);
        let mut stack: Vec<Element> = Vec::new();
        let mut root: Option<Element> = None;
        loop {
            let (resolved, event) = reader
                .read_resolved_event()
                .map_err(|e| XmlError::Malformed(e.to_string()))?;
            match event {
                Event::Start(start) => open(resolved, &start, false, &mut stack, &mut root)?,
                Event::Empty(start) => open(resolved, &start, true, &mut stack, &mut root)?,
                Event::End(_) => {
                    let element = stack
                        .pop()
                        .ok_or_else(|| XmlError::Malformed("unbalanced end tag".into()))?;
                    close(element, &mut stack, &mut root);
                }
                Event::Text(t) => {
                    let s = t
                        .unescape()
                        .map_err(|e| XmlError::Malformed(e.to_string()))?;
                    append_text(&mut stack, &s)?;
                }
                Event::CData(c) => {
                    let s = String::from_utf8_lossy(&c).into_owned();
                    append_text(&mut stack, &s)?;
                }
                Event::DocType(_) => return Err(XmlError::Doctype),
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
                Event::Eof => break,
            }
        }
        if !stack.is_empty() {
            return Err(XmlError::Malformed("unclosed element".into()));
        }
        root.ok_or(XmlError::Empty)
    }

    /// Serialise with an XML declaration.
    pub fn to_document(&self) -> Vec<u8> {
        let mut writer = Writer::new(Vec::new());
        // Writing into a Vec cannot fail; the io::Result is only the Writer's generic signature.
        let _ = writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        let _ = self.write(&mut writer, "");
        writer.into_inner()
    }

    /// Write this element, declaring `xmlns` when its namespace differs from `parent_ns`.
    pub fn write<W: std::io::Write>(
        &self,
        writer: &mut Writer<W>,
        parent_ns: &str,
    ) -> std::io::Result<()> {
        let mut start = BytesStart::new(self.name.as_str());
        if self.ns != parent_ns {
            start.push_attribute(("xmlns", self.ns.as_str()));
        }
        for (k, v) in &self.attrs {
            if k != "xmlns" {
                start.push_attribute((k.as_str(), v.as_str()));
            }
        }
        if self.children.is_empty() && self.text.is_empty() {
            return writer.write_event(Event::Empty(start));
        }
        writer.write_event(Event::Start(start))?;
        if !self.text.is_empty() {
            // Only `<`, `>` and `&` need escaping in text; quotes stay readable (as real servers send them).
            let escaped = quick_xml::escape::partial_escape(&self.text);
            writer.write_event(Event::Text(BytesText::from_escaped(escaped)))?;
        }
        for child in &self.children {
            child.write(writer, &self.ns)?;
        }
        writer.write_event(Event::End(BytesEnd::new(self.name.as_str())))
    }
}

fn open(
    resolved: ResolveResult<'_>,
    start: &BytesStart<'_>,
    is_empty: bool,
    stack: &mut Vec<Element>,
    root: &mut Option<Element>,
) -> Result<(), XmlError> {
    if root.is_some() {
        return Err(XmlError::Malformed("more than one root element".into()));
    }
    if stack.len() >= MAX_DEPTH {
        return Err(XmlError::TooDeep);
    }
    let element = start_to_element(resolved, start)?;
    if is_empty {
        close(element, stack, root);
    } else {
        stack.push(element);
    }
    Ok(())
}

fn close(element: Element, stack: &mut [Element], root: &mut Option<Element>) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}

fn append_text(stack: &mut [Element], s: &str) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(e) => {
            e.text.push_str(s);
            Ok(())
        }
        None if s.trim().is_empty() => Ok(()),
        None => Err(XmlError::Malformed("text outside the root element".into())),
    }
}

fn start_to_element(
    resolved: ResolveResult<'_>,
    start: &BytesStart<'_>,
) -> Result<Element, XmlError> {
    let ns = match resolved {
        ResolveResult::Bound(ns) => String::from_utf8_lossy(ns.as_ref()).into_owned(),
        ResolveResult::Unbound => String::new(),
        ResolveResult::Unknown(prefix) => {
            return Err(XmlError::Malformed(format!(
                "unknown namespace prefix {:?}",
                String::from_utf8_lossy(&prefix)
            )))
        }
    };
    let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let mut element = Element::new(&ns, &name);
    for attr in start.attributes() {
        let attr = attr.map_err(|e| XmlError::Malformed(e.to_string()))?;
        let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
        if key == "xmlns" {
            // Carried by `ns`; the writer declares it again where needed.
            continue;
        }
        let value = attr
            .unescape_value()
            .map_err(|e| XmlError::Malformed(e.to_string()))?
            .into_owned();
        element.attrs.push((key, value));
    }
    Ok(element)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NC: &str = "urn:ietf:params:xml:ns:netconf:base:1.0";

    #[test]
    fn resolves_prefixes_and_default_namespaces() {
        let doc = br#"<?xml version="1.0"?>
            <nc:rpc xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="7">
              <nc:get-config><nc:source><nc:running/></nc:source>
                <nc:filter type="subtree"><native xmlns="urn:x"><hostname/></native></nc:filter>
              </nc:get-config>
            </nc:rpc>"#;
        let rpc = Element::parse(doc).unwrap();
        assert!(rpc.is(NC, "rpc"));
        assert_eq!(rpc.attr("message-id"), Some("7"));
        assert_eq!(rpc.attr("xmlns:nc"), Some(NC));
        let gc = rpc.child(NC, "get-config").unwrap();
        let filter = gc.child(NC, "filter").unwrap();
        assert_eq!(filter.children[0].ns, "urn:x");
        assert!(filter.children[0].children[0].is("urn:x", "hostname"));
    }

    #[test]
    fn refuses_hostile_documents() {
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        let cases: Vec<(&[u8], XmlError)> = vec![
            (
                b"<!DOCTYPE x [<!ENTITY e \"boom\">]><x>&e;</x>",
                XmlError::Doctype,
            ),
            (deep.as_bytes(), XmlError::TooDeep),
            (b"", XmlError::Empty),
        ];
        for (doc, want) in cases {
            assert_eq!(Element::parse(doc), Err(want));
        }
        for doc in [
            &b"<a><b></a>"[..],
            b"<a>",
            b"<a/><b/>",
            b"text<a/>",
            b"<p:a/>",
            b"<a>&unknown;</a>",
            b"\xff\xfe<a/>",
            b"<a x='1' x='2'/>",
        ] {
            assert!(
                matches!(Element::parse(doc), Err(XmlError::Malformed(_))),
                "{doc:?}"
            );
        }
    }

    #[test]
    fn writes_escaped_text_and_namespace_changes() {
        let tree = Element::new("urn:a", "top")
            .with_attr("message-id", "1\"<&")
            .with_child(Element::leaf("urn:a", "d", "hi</d><shutdown/>&"))
            .with_child(Element::new("urn:b", "mode").with_child(Element::new("urn:b", "access")));
        let doc = tree.to_document();
        let text = String::from_utf8(doc.clone()).unwrap();
        assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        assert!(text.contains("<top xmlns=\"urn:a\" message-id=\"1&quot;&lt;&amp;\">"));
        assert!(text.contains("<d>hi&lt;/d&gt;&lt;shutdown/&gt;&amp;</d>"));
        assert!(text.contains("<mode xmlns=\"urn:b\"><access/></mode>"));
        assert_eq!(Element::parse(&doc).unwrap(), tree);
    }
}
