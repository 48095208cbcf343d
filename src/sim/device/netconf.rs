//! The NETCONF server protocol, sans IO: one [`Session`] per SSH channel takes raw bytes and returns the
//! framed bytes to send. Hello exchange with the capabilities of the device's datastore mode and framing
//! choice (RFC 6242), `<rpc>` envelope checks and `<rpc-reply>` (RFC 6241 §4), the operations themselves
//! in `rpc`, and the one-shot wire faults (stall, garbage, huge reply, drop after commit).

use super::error::YangError;
use super::framing::{self, Decoder, Framing};
use super::rpc;
use super::state::DatastoreMode;
use super::store::Datastore;
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
    "http://cisco.com/yang/cisco-ia?module=cisco-ia&revision=2023-03-01",
];

pub const CAP_CANDIDATE: &str = "urn:ietf:params:netconf:capability:candidate:1.0";
pub const CAP_CONFIRMED_COMMIT_10: &str = "urn:ietf:params:netconf:capability:confirmed-commit:1.0";
pub const CAP_CONFIRMED_COMMIT_11: &str = "urn:ietf:params:netconf:capability:confirmed-commit:1.1";
pub const CAP_WRITABLE_RUNNING: &str = "urn:ietf:params:netconf:capability:writable-running:1.0";
pub const CAP_ROLLBACK_ON_ERROR: &str = "urn:ietf:params:netconf:capability:rollback-on-error:1.0";
pub const CAP_VALIDATE_10: &str = "urn:ietf:params:netconf:capability:validate:1.0";
pub const CAP_VALIDATE_11: &str = "urn:ietf:params:netconf:capability:validate:1.1";

/// The datastore capabilities a device in `mode` advertises.
pub fn datastore_capabilities(mode: DatastoreMode) -> Vec<&'static str> {
    let mut caps = Vec::new();
    if mode.candidate() {
        caps.extend([
            CAP_CANDIDATE,
            CAP_CONFIRMED_COMMIT_10,
            CAP_CONFIRMED_COMMIT_11,
        ]);
    }
    if mode.writable_running() {
        caps.push(CAP_WRITABLE_RUNNING);
    }
    caps.extend([CAP_ROLLBACK_ON_ERROR, CAP_VALIDATE_10, CAP_VALIDATE_11]);
    caps
}

pub fn server_hello(session_id: u32) -> Vec<u8> {
    server_hello_with(session_id, true)
}

/// The server hello; without `base_1_1` it advertises base:1.0 only (an old device), so every
/// session stays end-of-message framed.
pub fn server_hello_with(session_id: u32, base_1_1: bool) -> Vec<u8> {
    server_hello_for(session_id, base_1_1, DatastoreMode::default())
}

/// The server hello of a device in `mode`.
pub fn server_hello_for(session_id: u32, base_1_1: bool, mode: DatastoreMode) -> Vec<u8> {
    let mut caps = Element::new(NS_BASE, "capabilities");
    let all = CAPABILITIES
        .iter()
        .copied()
        .chain(datastore_capabilities(mode));
    for c in all.filter(|c| base_1_1 || *c != CAP_BASE_11) {
        caps.push(Element::leaf(NS_BASE, "capability", c));
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

/// The reply to one rpc message and what the session must do after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub xml: Vec<u8>,
    pub close: bool,
    /// Running changed (a commit, or edit-config on running): the drop-after-commit fault fires here.
    pub applied_to_running: bool,
    pub killed: Option<u32>,
    /// The attributes of `<rpc>`, for a reply built elsewhere (the huge reply).
    pub rpc_attrs: Vec<(String, String)>,
}

impl Reply {
    fn error(rpc_attrs: &[(String, String)], err: YangError) -> Reply {
        Reply {
            xml: rpc_reply(rpc_attrs, vec![err.to_rpc_error()]),
            close: false,
            applied_to_running: false,
            killed: None,
            rpc_attrs: rpc_attrs.to_vec(),
        }
    }
}

fn reply_element(rpc_attrs: &[(String, String)], body: Vec<Element>) -> Element {
    let mut reply = Element::new(NS_BASE, "rpc-reply").with_children(body);
    // Every attribute of <rpc> goes back on <rpc-reply> (RFC 6241 §4.2); the default namespace is ours.
    reply.attrs = rpc_attrs
        .iter()
        .filter(|(k, _)| k != "xmlns")
        .cloned()
        .collect();
    reply
}

fn rpc_reply(rpc_attrs: &[(String, String)], body: Vec<Element>) -> Vec<u8> {
    reply_element(rpc_attrs, body).to_document()
}

/// Namespace of the filler element of a huge reply.
pub const NS_FILLER: &str = "urn:patchpanel:sim:filler";

/// The bytes before and after `filler` bytes of text in a well-formed huge `<rpc-reply><data>`.
pub fn huge_reply_parts(rpc_attrs: &[(String, String)]) -> (Vec<u8>, Vec<u8>) {
    const MARK: &str = "\u{1}FILL\u{1}";
    let doc = rpc_reply(
        rpc_attrs,
        vec![Element::new(NS_BASE, "data").with_child(Element::leaf(NS_FILLER, "filler", MARK))],
    );
    // The marker's control characters never occur in an escaped attribute, so the last match is it.
    let mark = MARK.as_bytes();
    match doc.windows(mark.len()).rposition(|w| w == mark) {
        Some(i) => (doc[..i].to_vec(), doc[i + mark.len()..].to_vec()),
        None => (doc, Vec::new()),
    }
}

/// Handle one message received after the hellos, for `session`.
pub fn handle_rpc(bytes: &[u8], session: u32, store: &Datastore) -> Reply {
    let rpc = match Element::parse(bytes) {
        Ok(rpc) => rpc,
        Err(e) => {
            return Reply::error(
                &[],
                YangError::new("rpc", "malformed-message", e.to_string()),
            )
        }
    };
    if !rpc.is(NS_BASE, "rpc") {
        let err = YangError::new("rpc", "malformed-message", "expected an <rpc> element")
            .with_info("bad-element", &rpc.name);
        return Reply::error(&[], err);
    }
    if rpc.attr("message-id").is_none() {
        let err = YangError::new("rpc", "missing-attribute", "<rpc> has no message-id")
            .with_info("bad-attribute", "message-id")
            .with_info("bad-element", "rpc");
        return Reply::error(&rpc.attrs, err);
    }
    match rpc::dispatch(&rpc, session, store) {
        Ok(done) => Reply {
            xml: rpc_reply(&rpc.attrs, done.body),
            close: done.close,
            applied_to_running: done.applied_to_running,
            killed: done.killed,
            rpc_attrs: rpc.attrs,
        },
        Err(errors) => Reply {
            xml: rpc_reply(
                &rpc.attrs,
                errors.iter().map(YangError::to_rpc_error).collect(),
            ),
            close: false,
            applied_to_running: false,
            killed: None,
            rpc_attrs: rpc.attrs,
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    AwaitingHello,
    Established,
    /// A fault made the session deaf: input is read and dropped, nothing is answered.
    Stalled,
    Closed,
}

/// A reply too large to build in memory: the SSH edge streams `head`, `filler` bytes of `x`, `tail`,
/// each framed with `framing`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HugeReply {
    pub framing: Framing,
    pub head: Vec<u8>,
    pub filler: u64,
    pub tail: Vec<u8>,
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
    /// Sessions ended by `kill-session`: close their channels.
    pub kill: Vec<u32>,
    /// Fault: drop the whole SSH connection now, without sending anything more.
    pub drop_connection: bool,
    /// Fault: stream this after `send`.
    pub huge: Option<HugeReply>,
}

/// Garbage in place of a reply: a broken chunk header, or (EOM) a message that is no XML.
pub fn garbage(framing: Framing) -> Vec<u8> {
    match framing {
        Framing::Chunked => b"\n#zz\n<rpc-reply>\n##\n".to_vec(),
        Framing::Eom => b"\x00\x01<rpc-reply garbage ]]>]]>".to_vec(),
    }
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
        Self::start(session_id, true, DatastoreMode::default())
    }

    /// Like [`Session::new`]; `base_1_1 = false` makes the server offer base:1.0 only.
    pub fn with_base_1_1(session_id: u32, base_1_1: bool) -> (Self, Vec<u8>) {
        Self::start(session_id, base_1_1, DatastoreMode::default())
    }

    /// A session of a device in `mode` (which decides the advertised datastore capabilities).
    pub fn start(session_id: u32, base_1_1: bool, mode: DatastoreMode) -> (Self, Vec<u8>) {
        let hello = framing::encode(
            Framing::Eom,
            &server_hello_for(session_id, base_1_1, mode),
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

    /// Feed bytes from the client; operations run against `store`.
    pub fn on_bytes(&mut self, bytes: &[u8], store: &Datastore) -> Output {
        let mut out = Output::default();
        match self.phase {
            Phase::Closed => {
                out.close = true;
                return out;
            }
            Phase::Stalled => return out,
            _ => {}
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
                    if !store.is_active(self.session_id) {
                        // Killed by another session.
                        self.phase = Phase::Closed;
                        out.close = true;
                        return out;
                    }
                    if store.take_stall() {
                        self.phase = Phase::Stalled;
                        return out;
                    }
                    let framing = self.decoder.framing();
                    let reply = handle_rpc(&message, self.session_id, store);
                    out.kill.extend(reply.killed);
                    if reply.applied_to_running && store.take_drop_after_commit() {
                        self.phase = Phase::Closed;
                        out.drop_connection = true;
                        return out;
                    }
                    if let Some(filler) = store.take_huge() {
                        let (head, tail) = huge_reply_parts(&reply.rpc_attrs);
                        out.huge = Some(HugeReply {
                            framing,
                            head,
                            filler,
                            tail,
                        });
                        self.phase = Phase::Stalled;
                        return out;
                    }
                    if store.take_garbage() {
                        out.send.push(garbage(framing));
                    } else {
                        out.send
                            .push(framing::encode(framing, &reply.xml, MAX_CHUNK));
                    }
                    if reply.close {
                        self.phase = Phase::Closed;
                        out.close = true;
                        return out;
                    }
                }
                Phase::Stalled | Phase::Closed => return out,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::seed_c9300;
    use super::*;
    use tokio_util::sync::CancellationToken;
    use tokio_util::task::TaskTracker;

    fn store_in(mode: DatastoreMode) -> Datastore {
        let s = Datastore::new(
            seed_c9300("c9300"),
            mode,
            CancellationToken::new(),
            TaskTracker::new(),
        );
        for id in 1..=20 {
            s.session_started(id);
        }
        s
    }

    fn store() -> Datastore {
        store_in(DatastoreMode::default())
    }

    const HELLO_11: &str = r#"<?xml version="1.0" encoding="UTF-8"?><hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability><capability>urn:ietf:params:netconf:base:1.1</capability></capabilities></hello>]]>]]>"#;
    const HELLO_10: &str = r#"<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]>"#;

    fn reply_text(bytes: &[u8], cfg: &Datastore) -> String {
        String::from_utf8(handle_rpc(bytes, 1, cfg).xml).unwrap()
    }

    #[test]
    fn server_hello_lists_capabilities_escaped() {
        let hello = String::from_utf8(server_hello(42)).unwrap();
        assert!(hello.contains("<capability>urn:ietf:params:netconf:base:1.1</capability>"));
        assert!(hello.contains("?module=Cisco-IOS-XE-native&amp;revision="));
        assert!(hello.contains("<session-id>42</session-id>"));
        assert!(hello.contains(CAP_CANDIDATE) && hello.contains(CAP_CONFIRMED_COMMIT_11));
        assert!(hello.contains(CAP_WRITABLE_RUNNING) && hello.contains(CAP_ROLLBACK_ON_ERROR));
        assert!(hello.contains(CAP_VALIDATE_11));
        let running_only =
            String::from_utf8(server_hello_for(1, true, DatastoreMode::RunningOnly)).unwrap();
        assert!(!running_only.contains("candidate") && !running_only.contains("confirmed-commit"));
        assert!(running_only.contains(CAP_WRITABLE_RUNNING));
        let candidate_only =
            String::from_utf8(server_hello_for(1, true, DatastoreMode::CandidateOnly)).unwrap();
        assert!(
            candidate_only.contains(CAP_CANDIDATE) && !candidate_only.contains("writable-running")
        );
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
        let cfg = store();
        let xml = reply_text(br#"<nc:rpc xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="urn:uuid:1" xmlns:ex="urn:ex" ex:user="ann &amp; bob"><nc:close-session/></nc:rpc>"#, &cfg);
        assert!(xml.contains(r#"<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="urn:uuid:1" xmlns:ex="urn:ex" ex:user="ann &amp; bob"><ok/></rpc-reply>"#), "{xml}");
        assert!(Element::parse(xml.as_bytes()).is_ok());
    }

    #[test]
    fn get_config_with_filter_and_errors() {
        let cfg = store();
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
            (&br#"<rpc message-id="5" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><edit-config/></rpc>"#[..], "missing-element"),
            (br#"<rpc message-id="5" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><copy-config/></rpc>"#, "operation-not-supported"),
            (br#"<rpc message-id="5" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source><startup/></source></get-config></rpc>"#, "invalid-value"),
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
        let cfg = store();
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

        let cfg = store();
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
        let cfg = store();
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

#[cfg(test)]
mod fault_tests {
    use super::super::faults::Fault;
    use super::super::model::seed_c9300;
    use super::*;
    use tokio_util::sync::CancellationToken;
    use tokio_util::task::TaskTracker;

    const HELLO_10: &str = r#"<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]>"#;
    const GET: &[u8] = br#"<rpc message-id="m&quot;1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source><running/></source><filter type="subtree"/></get-config></rpc>]]>]]>"#;

    fn established(id: u32) -> (Session, Datastore) {
        let store = Datastore::new(
            seed_c9300("c9300"),
            DatastoreMode::default(),
            CancellationToken::new(),
            TaskTracker::new(),
        );
        store.session_started(id);
        let (mut s, _) = Session::new(id);
        assert_eq!(s.on_bytes(HELLO_10.as_bytes(), &store), Output::default());
        (s, store)
    }

    #[test]
    fn stall_swallows_everything_after() {
        let (mut s, store) = established(1);
        store.inject(Fault::StallNextReply).unwrap();
        assert_eq!(s.on_bytes(GET, &store), Output::default());
        assert_eq!(s.on_bytes(GET, &store), Output::default());
    }

    #[test]
    fn garbage_then_normal_again() {
        let (mut s, store) = established(1);
        store.inject(Fault::GarbageFraming).unwrap();
        assert_eq!(s.on_bytes(GET, &store).send, vec![garbage(Framing::Eom)]);
        let next = s.on_bytes(GET, &store);
        assert!(next.send[0].ends_with(b"</rpc-reply>]]>]]>"));
    }

    #[test]
    fn huge_reply_parts_are_a_well_formed_reply() {
        let (mut s, store) = established(1);
        store.inject(Fault::HugeReply { bytes: 5 }).unwrap();
        let out = s.on_bytes(GET, &store);
        let huge = out.huge.unwrap();
        assert_eq!((huge.framing, huge.filler), (Framing::Eom, 5));
        let mut doc = huge.head.clone();
        doc.extend_from_slice(b"xxxxx");
        doc.extend_from_slice(&huge.tail);
        let parsed = Element::parse(&doc).unwrap();
        assert_eq!(parsed.attr("message-id"), Some("m\"1"));
        assert_eq!(parsed.children[0].children[0].text, "xxxxx");
        assert_eq!(
            s.on_bytes(GET, &store),
            Output::default(),
            "deaf afterwards"
        );
    }

    #[test]
    fn drop_after_commit_applies_then_drops() {
        let (mut s, store) = established(1);
        store.inject(Fault::DropAfterCommit).unwrap();
        // A read does not trigger it.
        assert_eq!(s.on_bytes(GET, &store).send.len(), 1);
        let edit = br#"<rpc message-id="2" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><edit-config><target><candidate/></target><config><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><hostname>after</hostname></native></config></edit-config></rpc>]]>]]>"#;
        assert!(s.on_bytes(edit, &store).send[0]
            .windows(4)
            .any(|w| w == b"<ok/"));
        let commit = br#"<rpc message-id="3" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><commit/></rpc>]]>]]>"#;
        let out = s.on_bytes(commit, &store);
        assert!(out.drop_connection && out.send.is_empty());
        assert_eq!(store.read(|c| c.hostname.clone()), "after");
    }

    #[test]
    fn a_killed_session_stops_answering() {
        let (mut s, store) = established(1);
        store.session_ended(1);
        let out = s.on_bytes(GET, &store);
        assert!(out.close && out.send.is_empty());
    }
}
