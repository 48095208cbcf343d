//! The pure half of the smoke test's tiny NETCONF client: XML built and read with quick-xml, and
//! RFC 6242 framing over a receive buffer. No IO here.

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use quick_xml::Writer;

pub const EOM: &[u8] = b"]]>]]>";
/// A message bigger than this is a framing bug, not a reply.
pub const MAX_MESSAGE: usize = 4 << 20;

// ---------------------------------------------------------------------------------------------
// XML out: a small element tree written with quick-xml (text and attributes escaped by it).

pub struct El {
    pub name: &'static str,
    pub attrs: Vec<(&'static str, String)>,
    pub text: Option<String>,
    pub kids: Vec<El>,
}

pub fn el(name: &'static str) -> El {
    El {
        name,
        attrs: Vec::new(),
        text: None,
        kids: Vec::new(),
    }
}

impl El {
    pub fn ns(self, ns: &str) -> El {
        self.attr("xmlns", ns)
    }
    pub fn attr(mut self, key: &'static str, value: &str) -> El {
        self.attrs.push((key, value.to_string()));
        self
    }
    pub fn text(mut self, text: &str) -> El {
        self.text = Some(text.to_string());
        self
    }
    pub fn kid(mut self, kid: El) -> El {
        self.kids.push(kid);
        self
    }
    pub fn write(&self, w: &mut Writer<Vec<u8>>) {
        let mut start = BytesStart::new(self.name);
        for (k, v) in &self.attrs {
            start.push_attribute((*k, v.as_str()));
        }
        if self.text.is_none() && self.kids.is_empty() {
            w.write_event(Event::Empty(start)).unwrap();
            return;
        }
        w.write_event(Event::Start(start)).unwrap();
        if let Some(t) = &self.text {
            w.write_event(Event::Text(BytesText::new(t))).unwrap();
        }
        for k in &self.kids {
            k.write(w);
        }
        w.write_event(Event::End(BytesEnd::new(self.name))).unwrap();
    }
    pub fn to_xml(&self) -> String {
        let mut w = Writer::new(Vec::new());
        self.write(&mut w);
        String::from_utf8(w.into_inner()).unwrap()
    }
}

// ---------------------------------------------------------------------------------------------
// XML in: a small namespace-aware tree.

#[derive(Debug)]
pub struct Node {
    pub ns: String,
    pub name: String,
    /// By local name.
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub kids: Vec<Node>,
}

impl Node {
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.kids.iter().find(|k| k.name == name)
    }
    pub fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.kids.iter().filter(move |k| k.name == name)
    }
    pub fn path(&self, names: &[&str]) -> Option<&Node> {
        names.iter().try_fold(self, |n, name| n.child(name))
    }
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn text_at(&self, names: &[&str]) -> Option<&str> {
        self.path(names).map(|n| n.text.as_str())
    }
}

fn node(ns: String, e: &BytesStart) -> Node {
    let attrs = e
        .attributes()
        .map(|a| {
            let a = a.expect("well-formed attribute");
            let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
            (
                key,
                a.unescape_value().expect("attribute value").into_owned(),
            )
        })
        .collect();
    Node {
        ns,
        name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
        attrs,
        text: String::new(),
        kids: Vec::new(),
    }
}

pub fn parse(xml: &str) -> Node {
    let mut r = NsReader::from_str(xml);
    r.config_mut().trim_text(true);
    let mut stack: Vec<Node> = vec![Node {
        ns: String::new(),
        name: "#document".into(),
        attrs: Vec::new(),
        text: String::new(),
        kids: Vec::new(),
    }];
    loop {
        let (ns, ev) = r
            .read_resolved_event()
            .expect("well-formed XML from the peer");
        let ns = match ns {
            ResolveResult::Bound(n) => String::from_utf8_lossy(n.as_ref()).into_owned(),
            _ => String::new(),
        };
        match ev {
            Event::Start(e) => stack.push(node(ns, &e)),
            Event::Empty(e) => {
                let leaf = node(ns, &e);
                stack.last_mut().unwrap().kids.push(leaf);
            }
            Event::Text(t) => stack.last_mut().unwrap().text += &t.unescape().unwrap(),
            Event::End(_) => {
                let done = stack.pop().unwrap();
                stack.last_mut().unwrap().kids.push(done);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unbalanced XML: {xml}");
    stack.pop().unwrap().kids.pop().expect("a root element")
}

// ---------------------------------------------------------------------------------------------
// Framing (RFC 6242): pure helpers over a receive buffer.

/// Takes one `]]>]]>`-terminated message off the front of `buf`.
pub fn take_eom(buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let end = buf.windows(EOM.len()).position(|w| w == EOM)?;
    let msg = buf[..end].to_vec();
    buf.drain(..end + EOM.len());
    Some(msg)
}

/// Takes one chunked message (`\n#<len>\n<data>…\n##\n`) off the front of `buf`.
pub fn take_chunked(buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let mut msg = Vec::new();
    let mut p = 0;
    loop {
        let rest = &buf[p..];
        if rest.len() < 4 {
            return None;
        }
        assert_eq!(
            &rest[..2],
            b"\n#",
            "chunk header expected, got {:?}",
            &rest[..4]
        );
        if &rest[..4] == b"\n##\n" {
            buf.drain(..p + 4);
            return Some(msg);
        }
        let nl = rest[2..].iter().position(|&b| b == b'\n')?;
        let len: usize = std::str::from_utf8(&rest[2..2 + nl])
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad chunk size {:?}", &rest[2..2 + nl]));
        assert!((1..=MAX_MESSAGE).contains(&len), "chunk size {len}");
        let start = 2 + nl + 1;
        if rest.len() < start + len {
            return None;
        }
        msg.extend_from_slice(&rest[start..start + len]);
        p += start + len;
    }
}

pub fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("\n#{}\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out
}
