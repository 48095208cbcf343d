//! NETCONF messages as values: `<hello>` and `<rpc>` built with quick-xml's escaping writer (never by
//! pasting text), `<hello>`/`<rpc-reply>` parsed with namespace resolution (prefixes are never compared).

use crate::device::error::RpcErrorInfo;
use crate::device::tree::{from_xml, Node};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

pub const BASE_NS: &str = "urn:ietf:params:xml:ns:netconf:base:1.0";
pub const BASE_1_0: &str = "urn:ietf:params:netconf:base:1.0";
pub const BASE_1_1: &str = "urn:ietf:params:netconf:base:1.1";
pub const NATIVE_NS: &str = "http://cisco.com/ns/yang/Cisco-IOS-XE-native";
pub const IETF_IF_NS: &str = "urn:ietf:params:xml:ns:yang:ietf-interfaces";

/// What to read. Interface types are element names, so `NativeInterface::kind` must come from
/// `InterfaceName::parse` (a fixed list of IOS-XE type names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    NativeVrfs,
    NativeInterface { kind: String, number: String },
    IetfInterface { name: String },
    IetfInterfaceState { name: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `<get-config>` of `<running/>`.
    GetConfig,
    /// `<get>` (config + state).
    Get,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    pub capabilities: Vec<String>,
    pub session_id: Option<String>,
}

impl ServerHello {
    pub fn supports_1_1(&self) -> bool {
        self.capabilities.iter().any(|c| c.trim() == BASE_1_1)
    }

    /// Whether a YANG module is advertised (`namespace?module=NAME&...`).
    pub fn has_module(&self, namespace: &str) -> bool {
        self.capabilities
            .iter()
            .any(|c| c.trim() == namespace || c.trim().starts_with(&format!("{namespace}?")))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Ok,
    /// The `<data>` element.
    Data(Node),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("malformed reply: {0}")]
    Malformed(String),
    #[error("reply message-id {got:?} does not match request {expected}")]
    WrongId {
        expected: String,
        got: Option<String>,
    },
    #[error("rpc-error")]
    Rpc(Vec<RpcErrorInfo>),
}

type W = Writer<Vec<u8>>;

fn start(w: &mut W, name: &str, attrs: &[(&str, &str)]) -> std::io::Result<()> {
    let mut e = BytesStart::new(name);
    for (k, v) in attrs {
        e.push_attribute((*k, *v));
    }
    w.write_event(Event::Start(e))
}

fn end(w: &mut W, name: &str) -> std::io::Result<()> {
    w.write_event(Event::End(BytesEnd::new(name)))
}

fn empty(w: &mut W, name: &str) -> std::io::Result<()> {
    w.write_event(Event::Empty(BytesStart::new(name)))
}

fn leaf(w: &mut W, name: &str, text: &str) -> std::io::Result<()> {
    start(w, name, &[])?;
    w.write_event(Event::Text(BytesText::new(text)))?;
    end(w, name)
}

fn document(body: impl FnOnce(&mut W) -> std::io::Result<()>) -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    let r = w
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .and_then(|()| body(&mut w));
    // Writing into a Vec cannot fail; keep whatever was written if it somehow did.
    let _ = r;
    w.into_inner()
}

/// The client `<hello>` offering base:1.0 and base:1.1 (no session-id, as RFC 6241 requires).
pub fn client_hello() -> Vec<u8> {
    document(|w| {
        start(w, "hello", &[("xmlns", BASE_NS)])?;
        start(w, "capabilities", &[])?;
        leaf(w, "capability", BASE_1_0)?;
        leaf(w, "capability", BASE_1_1)?;
        end(w, "capabilities")?;
        end(w, "hello")
    })
}

/// `<rpc message-id=ID><get-config|get>…<filter type="subtree">…</filter></…></rpc>`.
pub fn read_rpc(message_id: &str, op: Operation, filter: &Filter) -> Vec<u8> {
    document(|w| {
        start(w, "rpc", &[("message-id", message_id), ("xmlns", BASE_NS)])?;
        let op_name = match op {
            Operation::GetConfig => "get-config",
            Operation::Get => "get",
        };
        start(w, op_name, &[])?;
        if op == Operation::GetConfig {
            start(w, "source", &[])?;
            empty(w, "running")?;
            end(w, "source")?;
        }
        start(w, "filter", &[("type", "subtree")])?;
        write_filter(w, filter)?;
        end(w, "filter")?;
        end(w, op_name)?;
        end(w, "rpc")
    })
}

fn write_filter(w: &mut W, filter: &Filter) -> std::io::Result<()> {
    match filter {
        Filter::NativeVrfs => {
            start(w, "native", &[("xmlns", NATIVE_NS)])?;
            start(w, "vrf", &[])?;
            empty(w, "definition")?;
            end(w, "vrf")?;
            end(w, "native")
        }
        Filter::NativeInterface { kind, number } => {
            start(w, "native", &[("xmlns", NATIVE_NS)])?;
            start(w, "interface", &[])?;
            start(w, kind, &[])?;
            leaf(w, "name", number)?;
            end(w, kind)?;
            end(w, "interface")?;
            end(w, "native")
        }
        Filter::IetfInterface { name } | Filter::IetfInterfaceState { name } => {
            let top = if matches!(filter, Filter::IetfInterface { .. }) {
                "interfaces"
            } else {
                "interfaces-state"
            };
            start(w, top, &[("xmlns", IETF_IF_NS)])?;
            start(w, "interface", &[])?;
            leaf(w, "name", name)?;
            end(w, "interface")?;
            end(w, top)
        }
    }
}

pub fn close_session(message_id: &str) -> Vec<u8> {
    document(|w| {
        start(w, "rpc", &[("message-id", message_id), ("xmlns", BASE_NS)])?;
        empty(w, "close-session")?;
        end(w, "rpc")
    })
}

fn in_base(n: &Node) -> bool {
    n.ns.as_deref() == Some(BASE_NS)
}

pub fn parse_hello(bytes: &[u8]) -> Result<ServerHello, String> {
    let root = from_xml(bytes)?;
    if root.name != "hello" || !in_base(&root) {
        return Err(format!("expected <hello>, got <{}>", root.name));
    }
    let capabilities: Vec<String> = root
        .child("capabilities")
        .map(|c| {
            c.children_named("capability")
                .filter_map(|n| n.text.as_deref().map(str::trim).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if capabilities.is_empty() {
        return Err("server hello lists no capabilities".into());
    }
    Ok(ServerHello {
        capabilities,
        session_id: root.text_at(&["session-id"]),
    })
}

/// Parses an `<rpc-reply>`: errors (not warnings) become `ReplyError::Rpc`.
pub fn parse_reply(bytes: &[u8], expected_id: &str) -> Result<Reply, ReplyError> {
    let root = from_xml(bytes).map_err(ReplyError::Malformed)?;
    if root.name != "rpc-reply" || !in_base(&root) {
        return Err(ReplyError::Malformed(format!(
            "expected <rpc-reply>, got <{}>",
            root.name
        )));
    }
    let got = root.attr("message-id");
    if got != Some(expected_id) {
        return Err(ReplyError::WrongId {
            expected: expected_id.to_string(),
            got: got.map(|s| s.chars().take(64).collect()),
        });
    }
    let errors: Vec<RpcErrorInfo> = root
        .children
        .iter()
        .filter(|c| c.name == "rpc-error" && in_base(c))
        .map(rpc_error)
        .filter(|e| e.severity.as_deref() != Some("warning"))
        .collect();
    if !errors.is_empty() {
        return Err(ReplyError::Rpc(errors));
    }
    if let Some(data) = root
        .children
        .iter()
        .find(|c| c.name == "data" && in_base(c))
    {
        return Ok(Reply::Data(data.clone()));
    }
    if root.children.iter().any(|c| c.name == "ok" && in_base(c)) {
        return Ok(Reply::Ok);
    }
    // An empty <rpc-reply/> to a read means no data (seen from some servers).
    Ok(Reply::Data(Node::new("data")))
}

fn rpc_error(e: &Node) -> RpcErrorInfo {
    let short = |s: String| -> String { s.chars().take(300).collect() };
    let info = e.child("error-info").map(|i| {
        i.children
            .iter()
            .map(|c| match c.text.as_deref().map(str::trim) {
                Some(t) if !t.is_empty() => format!("{}: {t}", c.name),
                _ => c.name.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    });
    RpcErrorInfo {
        error_type: e.text_at(&["error-type"]).map(short),
        tag: e.text_at(&["error-tag"]).map(short),
        severity: e.text_at(&["error-severity"]).map(short),
        app_tag: e.text_at(&["error-app-tag"]).map(short),
        path: e.text_at(&["error-path"]).map(short),
        message: e.text_at(&["error-message"]).map(short),
        info: info.filter(|s| !s.is_empty()).map(short),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[u8]) -> String {
        String::from_utf8(v.to_vec()).unwrap()
    }

    #[test]
    fn hello_offers_both_bases_without_session_id() {
        let h = s(&client_hello());
        assert!(h.contains(BASE_1_0) && h.contains(BASE_1_1));
        assert!(!h.contains("session-id"));
        // parses as a hello (round trip through our own parser)
        let parsed = parse_hello(h.as_bytes()).unwrap();
        assert!(parsed.supports_1_1());
    }

    #[test]
    fn get_config_filters_match_spec_shapes() {
        let x = s(&read_rpc(
            "2",
            Operation::GetConfig,
            &Filter::NativeInterface {
                kind: "GigabitEthernet".into(),
                number: "1/0/2".into(),
            },
        ));
        assert!(
            x.contains(r#"<rpc message-id="2" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">"#),
            "{x}"
        );
        assert!(x.contains("<get-config><source><running/></source><filter type=\"subtree\"><native xmlns=\"http://cisco.com/ns/yang/Cisco-IOS-XE-native\"><interface><GigabitEthernet><name>1/0/2</name></GigabitEthernet></interface></native></filter></get-config>"), "{x}");
        let v = s(&read_rpc("3", Operation::GetConfig, &Filter::NativeVrfs));
        assert!(v.contains("<vrf><definition/></vrf>"), "{v}");
        let st = s(&read_rpc(
            "4",
            Operation::Get,
            &Filter::IetfInterfaceState { name: "Gi1".into() },
        ));
        assert!(st.contains("<get><filter type=\"subtree\"><interfaces-state xmlns=\"urn:ietf:params:xml:ns:yang:ietf-interfaces\">"), "{st}");
    }

    #[test]
    fn user_text_is_escaped_in_filters() {
        // The spec's injection string (§4.3) must stay text.
        let evil = "hi</name></interface></interfaces><x>&";
        let x = s(&read_rpc(
            "5",
            Operation::GetConfig,
            &Filter::IetfInterface { name: evil.into() },
        ));
        assert!(
            x.contains(
                "<name>hi&lt;/name&gt;&lt;/interface&gt;&lt;/interfaces&gt;&lt;x&gt;&amp;</name>"
            ),
            "{x}"
        );
        let parsed = from_xml(x.as_bytes()).unwrap();
        let name = parsed
            .path(&["get-config", "filter", "interfaces", "interface"])
            .unwrap()
            .text_at(&["name"]);
        assert_eq!(name.as_deref(), Some(evil));
    }

    #[test]
    fn server_hello_with_prefixes_and_modules() {
        let hello = br#"<?xml version="1.0" encoding="UTF-8"?>
<nc:hello xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"><nc:capabilities>
<nc:capability>urn:ietf:params:netconf:base:1.0</nc:capability>
<nc:capability>urn:ietf:params:netconf:base:1.1</nc:capability>
<nc:capability>http://cisco.com/ns/yang/Cisco-IOS-XE-native?module=Cisco-IOS-XE-native&amp;revision=2021-03-01</nc:capability>
</nc:capabilities><nc:session-id>42</nc:session-id></nc:hello>"#;
        let h = parse_hello(hello).unwrap();
        assert!(h.supports_1_1());
        assert!(h.has_module(NATIVE_NS));
        assert!(!h.has_module(IETF_IF_NS));
        assert_eq!(h.session_id.as_deref(), Some("42"));
        assert!(parse_hello(b"<hello xmlns=\"urn:other\"/>").is_err());
    }

    #[test]
    fn data_reply_from_spec() {
        let reply = br#"<rpc-reply message-id="2" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">
  <data><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface><GigabitEthernet>
    <name>1/0/2</name><description>uplink to core</description><shutdown/><mtu>9000</mtu>
  </GigabitEthernet></interface></native></data></rpc-reply>"#;
        match parse_reply(reply, "2").unwrap() {
            Reply::Data(d) => {
                let gi = d.path(&["native", "interface", "GigabitEthernet"]).unwrap();
                assert_eq!(
                    gi.text_at(&["description"]).as_deref(),
                    Some("uplink to core")
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            parse_reply(reply, "3"),
            Err(ReplyError::WrongId {
                expected: "3".into(),
                got: Some("2".into())
            })
        );
        let ok = br#"<nc:rpc-reply xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="9"><nc:ok/></nc:rpc-reply>"#;
        assert_eq!(parse_reply(ok, "9"), Ok(Reply::Ok));
    }

    #[test]
    fn rpc_error_from_spec_is_readable_and_warnings_ignored() {
        let reply = br#"<rpc-reply message-id="7" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><rpc-error>
  <error-type>application</error-type>
  <error-tag>data-missing</error-tag>
  <error-severity>error</error-severity>
  <error-app-tag>data-incomplete</error-app-tag>
  <error-path>/nc:rpc/nc:edit-config/nc:config/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/2']/ios:shutdown</error-path>
  <error-message xml:lang="en">data missing</error-message>
  <error-info><error-number xmlns="http://netconfcentral.org/ns/yuma-ncx">272</error-number></error-info>
</rpc-error><rpc-error><error-type>rpc</error-type><error-tag>x</error-tag><error-severity>warning</error-severity></rpc-error></rpc-reply>"#;
        let Err(ReplyError::Rpc(errs)) = parse_reply(reply, "7") else {
            panic!()
        };
        assert_eq!(errs.len(), 1);
        let text = errs[0].to_string();
        assert_eq!(
            text,
            "application/data-missing: data missing (at /nc:rpc/nc:edit-config/nc:config/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/2']/ios:shutdown) [error-number: 272]"
        );
        let only_warning = br#"<rpc-reply message-id="8" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><rpc-error><error-severity>warning</error-severity></rpc-error><ok/></rpc-reply>"#;
        assert_eq!(parse_reply(only_warning, "8"), Ok(Reply::Ok));
    }

    #[test]
    fn foreign_namespace_reply_is_rejected() {
        assert!(matches!(
            parse_reply(br#"<rpc-reply message-id="1"><ok/></rpc-reply>"#, "1"),
            Err(ReplyError::Malformed(_))
        ));
        assert!(matches!(
            parse_reply(b"<<garbage", "1"),
            Err(ReplyError::Malformed(_))
        ));
    }
}
