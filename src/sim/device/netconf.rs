//! The NETCONF server protocol, sans IO: one [`Session`] per SSH channel takes raw bytes and returns the
//! framed bytes to send. Hello exchange and framing choice (RFC 6242), `<get-config>` / `<get>` with subtree
//! filters, `<close-session>`, and `<rpc-error>` for everything else (RFC 6241).

use super::filter;
use super::framing::{self, Decoder, Framing};
use super::model::NativeConfig;
use super::render_xml;
use super::xmltree::Element;

pub const NS_BASE: &str = "urn:ietf:params:xml:ns:netconf:base:1.0";
pub const CAP_BASE_10: &str = "urn:ietf:params:netconf:base:1.0";
pub const CAP_BASE_11: &str = "urn:ietf:params:netconf:base:1.1";
/// Largest message accepted from a client.
pub const MAX_MESSAGE: usize = 4 * 1024 * 1024;
/// Replies are cut into chunks of this size under base:1.1, as real devices do.
pub const MAX_CHUNK: usize = 8 * 1024;

/// Capabilities in the server hello: only what this simulator implements.
pub const CAPABILITIES: &[&str] = &[
    CAP_BASE_10,
    CAP_BASE_11,
    "http://cisco.com/ns/yang/Cisco-IOS-XE-native?module=Cisco-IOS-XE-native&revision=2024-03-01",
    "http://cisco.com/ns/yang/Cisco-IOS-XE-switch?module=Cisco-IOS-XE-switch&revision=2024-03-01",
    "http://cisco.com/ns/yang/Cisco-IOS-XE-ethernet?module=Cisco-IOS-XE-ethernet&revision=2024-03-01",
    "urn:ietf:params:xml:ns:yang:ietf-interfaces?module=ietf-interfaces&revision=2014-05-08",
    "urn:ietf:params:xml:ns:yang:ietf-ip?module=ietf-ip&revision=2014-06-16",
    "urn:ietf:params:xml:ns:yang:iana-if-type?module=iana-if-type&revision=2014-05-08",
];

pub fn server_hello(session_id: u32) -> Vec<u8> {
    server_hello_with(session_id, true)
}

/// The server hello; without `base_1_1` it advertises base:1.0 only (an old device), so every
/// session stays end-of-message framed.
pub fn server_hello_with(session_id: u32, base_1_1: bool) -> Vec<u8> {
    let mut caps = Element::new(NS_BASE, "capabilities");
    for c in CAPABILITIES
        .iter()
        .filter(|c| base_1_1 || **c != CAP_BASE_11)
    {
        caps.push(Element::leaf(NS_BASE, "capability", *c));
    }
    Element::new(NS_BASE, "hello")
        .with_child(caps)
        .with_child(Element::leaf(NS_BASE, "session-id", session_id.to_string()))
        .to_document()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HelloError {
    #[error("client hello is not well-formed XML")]
    Malformed,
    #[error("first message is not a <hello>")]
    NotHello,
    #[error("client hello carries a session-id")]
    HasSessionId,
    #[error("client hello offers neither base:1.0 nor base:1.1")]
    NoBase,
}

/// Parse a client hello; `Ok(true)` when it offers base:1.1.
pub fn parse_client_hello(bytes: &[u8]) -> Result<bool, HelloError> {
    let hello = Element::parse(bytes).map_err(|_| HelloError::Malformed)?;
    if !hello.is(NS_BASE, "hello") {
        return Err(HelloError::NotHello);
    }
    if hello.child(NS_BASE, "session-id").is_some() {
        return Err(HelloError::HasSessionId);
    }
    let caps: Vec<&str> = hello
        .child(NS_BASE, "capabilities")
        .map(|c| {
            c.children
                .iter()
                .filter(|e| e.is(NS_BASE, "capability"))
                .map(|e| e.text.trim())
                .collect()
        })
        .unwrap_or_default();
    let base11 = caps.contains(&CAP_BASE_11);
    if !base11 && !caps.contains(&CAP_BASE_10) {
        return Err(HelloError::NoBase);
    }
    Ok(base11)
}

/// One `<rpc-error>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcError {
    pub error_type: &'static str,
    pub tag: &'static str,
    pub message: String,
    pub info: Vec<Element>,
}

impl RpcError {
    fn new(error_type: &'static str, tag: &'static str, message: impl Into<String>) -> Self {
        RpcError {
            error_type,
            tag,
            message: message.into(),
            info: Vec::new(),
        }
    }

    fn with_info(mut self, name: &str, text: &str) -> Self {
        self.info.push(Element::leaf(NS_BASE, name, text));
        self
    }

    fn to_element(&self) -> Element {
        let mut e = Element::new(NS_BASE, "rpc-error")
            .with_child(Element::leaf(NS_BASE, "error-type", self.error_type))
            .with_child(Element::leaf(NS_BASE, "error-tag", self.tag))
            .with_child(Element::leaf(NS_BASE, "error-severity", "error"))
            .with_child(
                Element::leaf(NS_BASE, "error-message", self.message.clone())
                    .with_attr("xml:lang", "en"),
            );
        if !self.info.is_empty() {
            e.push(Element::new(NS_BASE, "error-info").with_children(self.info.clone()));
        }
        e
    }
}

/// The reply to one rpc message, and whether the session ends after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub xml: Vec<u8>,
    pub close: bool,
}

fn rpc_reply(rpc_attrs: &[(String, String)], body: Vec<Element>) -> Vec<u8> {
    let mut reply = Element::new(NS_BASE, "rpc-reply").with_children(body);
    // Every attribute of <rpc> goes back on <rpc-reply> (RFC 6241 §4.2); the default namespace is ours.
    reply.attrs = rpc_attrs
        .iter()
        .filter(|(k, _)| k != "xmlns")
        .cloned()
        .collect();
    reply.to_document()
}

/// Handle one message received after the hellos.
pub fn handle_rpc(bytes: &[u8], cfg: &NativeConfig) -> Reply {
    let rpc = match Element::parse(bytes) {
        Ok(rpc) => rpc,
        Err(e) => {
            let err = RpcError::new("rpc", "malformed-message", e.to_string());
            return Reply {
                xml: rpc_reply(&[], vec![err.to_element()]),
                close: false,
            };
        }
    };
    if !rpc.is(NS_BASE, "rpc") {
        let err = RpcError::new("rpc", "malformed-message", "expected an <rpc> element")
            .with_info("bad-element", &rpc.name);
        return Reply {
            xml: rpc_reply(&[], vec![err.to_element()]),
            close: false,
        };
    }
    if rpc.attr("message-id").is_none() {
        let err = RpcError::new("rpc", "missing-attribute", "<rpc> has no message-id")
            .with_info("bad-attribute", "message-id")
            .with_info("bad-element", "rpc");
        return Reply {
            xml: rpc_reply(&rpc.attrs, vec![err.to_element()]),
            close: false,
        };
    }
    let (body, close) = match dispatch(&rpc, cfg) {
        Ok((body, close)) => (body, close),
        Err(err) => (vec![err.to_element()], false),
    };
    Reply {
        xml: rpc_reply(&rpc.attrs, body),
        close,
    }
}

fn dispatch(rpc: &Element, cfg: &NativeConfig) -> Result<(Vec<Element>, bool), RpcError> {
    let op = rpc.children.first().ok_or_else(|| {
        RpcError::new("protocol", "missing-element", "<rpc> names no operation")
            .with_info("bad-element", "rpc")
    })?;
    if op.ns != NS_BASE {
        return Err(not_supported(op));
    }
    match op.name.as_str() {
        "get-config" => {
            check_source(op)?;
            Ok((vec![data(op, render_xml::config_trees(cfg))?], false))
        }
        "get" => Ok((vec![data(op, render_xml::all_trees(cfg))?], false)),
        "close-session" => Ok((vec![Element::new(NS_BASE, "ok")], true)),
        _ => Err(not_supported(op)),
    }
}

fn not_supported(op: &Element) -> RpcError {
    RpcError::new(
        "protocol",
        "operation-not-supported",
        format!("operation {} is not supported", op.name),
    )
    .with_info("bad-element", &op.name)
}

fn check_source(op: &Element) -> Result<(), RpcError> {
    let source = op.child(NS_BASE, "source").ok_or_else(|| {
        RpcError::new(
            "protocol",
            "missing-element",
            "<get-config> needs a <source>",
        )
        .with_info("bad-element", "source")
    })?;
    match source.children.first() {
        Some(ds) if ds.is(NS_BASE, "running") => Ok(()),
        Some(ds) => Err(RpcError::new(
            "protocol",
            "invalid-value",
            format!("datastore {} is not supported; use <running/>", ds.name),
        )
        .with_info("bad-element", &ds.name)),
        None => Err(
            RpcError::new("protocol", "missing-element", "<source> names no datastore")
                .with_info("bad-element", "source"),
        ),
    }
}

/// `<data>` with the trees, filtered when the operation carries a `<filter>`.
fn data(op: &Element, trees: Vec<Element>) -> Result<Element, RpcError> {
    let selected = match op.child(NS_BASE, "filter") {
        None => trees,
        Some(f) => {
            let kind = f
                .attrs
                .iter()
                .find(|(k, _)| k == "type" || k.ends_with(":type"))
                .map(|(_, v)| v.as_str())
                .unwrap_or("subtree");
            match kind {
                "subtree" => filter::apply(&trees, f, render_xml::list_keys),
                "xpath" => {
                    return Err(RpcError::new(
                        "protocol",
                        "operation-not-supported",
                        "xpath filters need the :xpath capability, which this server lacks",
                    )
                    .with_info("bad-attribute", "type")
                    .with_info("bad-element", "filter"))
                }
                _ => {
                    return Err(RpcError::new(
                        "protocol",
                        "bad-attribute",
                        "filter type must be subtree",
                    )
                    .with_info("bad-attribute", "type")
                    .with_info("bad-element", "filter"))
                }
            }
        }
    };
    Ok(Element::new(NS_BASE, "data").with_children(selected))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    AwaitingHello,
    Established,
    Closed,
}

/// What the IO side must do after feeding bytes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Output {
    /// Framed bytes to write, in order.
    pub send: Vec<Vec<u8>>,
    /// End the session (close the channel) after sending.
    pub close: bool,
    /// Why the session ended abnormally, for the log.
    pub error: Option<String>,
}

/// One NETCONF session over one channel.
#[derive(Debug)]
pub struct Session {
    session_id: u32,
    phase: Phase,
    decoder: Decoder,
    /// Whether our hello offered base:1.1 (chunked framing needs both sides to offer it).
    base_1_1: bool,
}

impl Session {
    /// The session and its framed server hello, to be sent straight away.
    pub fn new(session_id: u32) -> (Self, Vec<u8>) {
        Self::with_base_1_1(session_id, true)
    }

    /// Like [`Session::new`]; `base_1_1 = false` makes the server offer base:1.0 only.
    pub fn with_base_1_1(session_id: u32, base_1_1: bool) -> (Self, Vec<u8>) {
        let hello = framing::encode(
            Framing::Eom,
            &server_hello_with(session_id, base_1_1),
            MAX_CHUNK,
        );
        let session = Session {
            session_id,
            phase: Phase::AwaitingHello,
            decoder: Decoder::new(MAX_MESSAGE),
            base_1_1,
        };
        (session, hello)
    }

    pub fn session_id(&self) -> u32 {
        self.session_id
    }

    pub fn framing(&self) -> Framing {
        self.decoder.framing()
    }

    /// Feed bytes from the client; `cfg` is the datastore as it is now.
    pub fn on_bytes(&mut self, bytes: &[u8], cfg: &NativeConfig) -> Output {
        let mut out = Output::default();
        if self.phase == Phase::Closed {
            out.close = true;
            return out;
        }
        self.decoder.feed(bytes);
        loop {
            let message = match self.decoder.next_message() {
                Ok(Some(m)) => m,
                Ok(None) => return out,
                Err(e) => {
                    self.phase = Phase::Closed;
                    out.close = true;
                    out.error = Some(e.to_string());
                    return out;
                }
            };
            match self.phase {
                Phase::AwaitingHello => match parse_client_hello(&message) {
                    Ok(base11) => {
                        self.phase = Phase::Established;
                        if base11 && self.base_1_1 {
                            self.decoder.set_framing(Framing::Chunked);
                        }
                    }
                    Err(e) => {
                        self.phase = Phase::Closed;
                        out.close = true;
                        out.error = Some(e.to_string());
                        return out;
                    }
                },
                Phase::Established => {
                    let reply = handle_rpc(&message, cfg);
                    out.send.push(framing::encode(
                        self.decoder.framing(),
                        &reply.xml,
                        MAX_CHUNK,
                    ));
                    if reply.close {
                        self.phase = Phase::Closed;
                        out.close = true;
                        return out;
                    }
                }
                Phase::Closed => {
                    out.close = true;
                    return out;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::seed_c9300;
    use super::*;

    const HELLO_11: &str = r#"<?xml version="1.0" encoding="UTF-8"?><hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability><capability>urn:ietf:params:netconf:base:1.1</capability></capabilities></hello>]]>]]>"#;
    const HELLO_10: &str = r#"<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]>"#;

    fn reply_text(bytes: &[u8], cfg: &NativeConfig) -> String {
        String::from_utf8(handle_rpc(bytes, cfg).xml).unwrap()
    }

    #[test]
    fn server_hello_lists_capabilities_escaped() {
        let hello = String::from_utf8(server_hello(42)).unwrap();
        assert!(hello.contains("<capability>urn:ietf:params:netconf:base:1.1</capability>"));
        assert!(hello.contains("?module=Cisco-IOS-XE-native&amp;revision="));
        assert!(hello.contains("<session-id>42</session-id>"));
        assert!(!hello.contains("candidate"));
    }

    #[test]
    fn client_hello_rules() {
        let strip = |s: &str| s.trim_end_matches("]]>]]>").as_bytes().to_vec();
        assert_eq!(parse_client_hello(&strip(HELLO_11)), Ok(true));
        assert_eq!(parse_client_hello(&strip(HELLO_10)), Ok(false));
        assert_eq!(
            parse_client_hello(br#"<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities><session-id>4</session-id></hello>"#),
            Err(HelloError::HasSessionId)
        );
        assert_eq!(
            parse_client_hello(br#"<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities/></hello>"#),
            Err(HelloError::NoBase)
        );
        assert_eq!(parse_client_hello(b"<rpc/>"), Err(HelloError::NotHello));
        assert_eq!(parse_client_hello(b"<hello"), Err(HelloError::Malformed));
    }

    #[test]
    fn rpc_reply_echoes_every_rpc_attribute() {
        let cfg = seed_c9300("c9300");
        let xml = reply_text(br#"<nc:rpc xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="urn:uuid:1" xmlns:ex="urn:ex" ex:user="ann &amp; bob"><nc:close-session/></nc:rpc>"#, &cfg);
        assert!(xml.contains(r#"<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="urn:uuid:1" xmlns:ex="urn:ex" ex:user="ann &amp; bob"><ok/></rpc-reply>"#), "{xml}");
        assert!(Element::parse(xml.as_bytes()).is_ok());
    }

    #[test]
    fn get_config_with_filter_and_errors() {
        let cfg = seed_c9300("c9300");
        let xml = reply_text(br#"<rpc message-id="2" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source><running/></source><filter type="subtree"><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>1/0/2</name><description/></GigabitEthernet></interface></native></filter></get-config></rpc>"#, &cfg);
        assert!(xml.contains(r#"<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="2"><data><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet><name>1/0/2</name><description>Floor 2 printer</description></GigabitEthernet></interface></native></data></rpc-reply>"#), "{xml}");

        let unfiltered = reply_text(br#"<rpc message-id="3" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source><running/></source></get-config></rpc>"#, &cfg);
        assert!(
            unfiltered.contains("<hostname>c9300</hostname>")
                && unfiltered
                    .contains("<interfaces xmlns=\"urn:ietf:params:xml:ns:yang:ietf-interfaces\">")
        );
        assert!(!unfiltered.contains("interfaces-state"));

        let get = reply_text(br#"<rpc message-id="4" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get><filter><interfaces-state xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>GigabitEthernet1/0/3</name><oper-status/></interface></interfaces-state></filter></get></rpc>"#, &cfg);
        assert!(get.contains("<interface><name>GigabitEthernet1/0/3</name><oper-status>down</oper-status></interface>"), "{get}");

        for (rpc, tag) in [
            (&br#"<rpc message-id="5" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><edit-config/></rpc>"#[..], "operation-not-supported"),
            (br#"<rpc message-id="5" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><save-config xmlns="http://cisco.com/yang/cisco-ia"/></rpc>"#, "operation-not-supported"),
            (br#"<rpc message-id="5" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source><candidate/></source></get-config></rpc>"#, "invalid-value"),
            (br#"<rpc message-id="5" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config/></rpc>"#, "missing-element"),
            (br#"<rpc message-id="5" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get><filter type="xpath" select="/"/></get></rpc>"#, "operation-not-supported"),
            (br#"<rpc xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get/></rpc>"#, "missing-attribute"),
            (b"<rpc message-id=\"5\"><get>", "malformed-message"),
            (b"\x00\x01garbage", "malformed-message"),
        ] {
            let xml = reply_text(rpc, &cfg);
            assert!(xml.contains(&format!("<error-tag>{tag}</error-tag>")), "{xml}");
            assert!(xml.contains("<error-severity>error</error-severity>"));
            assert!(xml.contains("<error-message xml:lang=\"en\">"));
        }
    }

    #[test]
    fn session_negotiates_chunked_and_closes() {
        let cfg = seed_c9300("c9300");
        let (mut s, hello) = Session::new(7);
        assert!(hello.ends_with(b"]]>]]>"));
        // Hello and the first chunked rpc arrive in one read.
        let rpc = br#"<rpc message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><close-session/></rpc>"#;
        let mut wire = HELLO_11.as_bytes().to_vec();
        wire.extend(framing::encode(Framing::Chunked, rpc, 10));
        let out = s.on_bytes(&wire, &cfg);
        assert!(out.close);
        assert_eq!(out.send.len(), 1);
        assert!(out.send[0].starts_with(b"\n#"));
        assert!(out.send[0].ends_with(b"\n##\n"));
        assert_eq!(s.on_bytes(b"more", &cfg).send.len(), 0);
    }

    #[test]
    fn base_1_0_only_server_stays_end_of_message() {
        let hello = String::from_utf8(server_hello_with(3, false)).unwrap();
        assert!(hello.contains("<capability>urn:ietf:params:netconf:base:1.0</capability>"));
        assert!(!hello.contains("base:1.1"), "{hello}");
        assert!(hello.contains("Cisco-IOS-XE-native"));

        let cfg = seed_c9300("c9300");
        let (mut s, wire_hello) = Session::with_base_1_1(4, false);
        assert!(!String::from_utf8(wire_hello).unwrap().contains("base:1.1"));
        // The client offers 1.1, but only what both offer counts.
        assert_eq!(s.on_bytes(HELLO_11.as_bytes(), &cfg), Output::default());
        assert_eq!(s.framing(), Framing::Eom);
        let rpc = br#"<rpc message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><close-session/></rpc>]]>]]>"#;
        let out = s.on_bytes(rpc, &cfg);
        assert!(out.close);
        assert!(out.send[0].ends_with(b"]]>]]>"));
    }

    #[test]
    fn session_eom_and_garbage() {
        let cfg = seed_c9300("c9300");
        let (mut s, _) = Session::new(8);
        assert_eq!(s.on_bytes(HELLO_10.as_bytes(), &cfg), Output::default());
        assert_eq!(s.framing(), Framing::Eom);
        let out = s.on_bytes(b"<<<not xml]]>]]>", &cfg);
        assert!(!out.close);
        assert!(out.send[0].ends_with(b"]]>]]>"));

        let (mut s, _) = Session::new(9);
        let out = s.on_bytes(b"garbage]]>]]>", &cfg);
        assert!(out.close && out.send.is_empty() && out.error.is_some());

        let (mut s, _) = Session::new(10);
        s.on_bytes(HELLO_11.as_bytes(), &cfg);
        let out = s.on_bytes(b"garbage", &cfg);
        assert!(out.close && out.error.is_some());
    }
}
