//! The NETCONF server protocol, sans IO: one [`Session`] per SSH channel takes raw bytes and returns the
//! framed bytes to send. Hello exchange with the capabilities of the device's datastore mode and framing
//! choice (RFC 6242), `<rpc>` envelope checks and `<rpc-reply>` (RFC 6241 §4), the operations themselves
//! in `rpc`, and the one-shot wire faults (stall, garbage, huge reply, drop after commit).

pub use super::ns::NS_BASE;

use super::error::YangError;
use super::framing::{self, Decoder, Framing};
use super::library;
use super::rpc;
use super::state::DatastoreMode;
use super::store::Datastore;
use super::xmltree::Element;

pub const CAP_BASE_10: &str = "urn:ietf:params:netconf:base:1.0";
pub const CAP_BASE_11: &str = "urn:ietf:params:netconf:base:1.1";
/// Largest message accepted from a client.
pub const MAX_MESSAGE: usize = 4 * 1024 * 1024;
/// Replies are cut into chunks of this size under base:1.1, as real devices do.
pub const MAX_CHUNK: usize = 8 * 1024;

pub const CAP_XPATH: &str = "urn:ietf:params:netconf:capability:xpath:1.0";
pub const CAP_NOTIFICATION: &str = "urn:ietf:params:netconf:capability:notification:1.0";
pub const CAP_INTERLEAVE: &str = "urn:ietf:params:netconf:capability:interleave:1.0";
/// Only `explicit`: the simulator reports what its configuration holds and adds no defaults.
pub const CAP_WITH_DEFAULTS: &str =
    "urn:ietf:params:netconf:capability:with-defaults:1.0?basic-mode=explicit";

/// Protocol capabilities of every mode, as IOS-XE 17 advertises them; each is implemented as far as
/// the module documentation (`sim::device`, "What the simulator implements") says. The datastore
/// capabilities follow the mode; the module capabilities are `library`'s.
pub const CAPABILITIES: &[&str] = &[
    CAP_BASE_10,
    CAP_BASE_11,
    CAP_XPATH,
    CAP_NOTIFICATION,
    CAP_INTERLEAVE,
    CAP_WITH_DEFAULTS,
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
        .chain(datastore_capabilities(mode))
        .map(str::to_owned)
        .chain([library::yang_library_capability()])
        .chain(library::module_capabilities());
    // A base:1.0-only server offers only the 1.0 versions of the capabilities (as netconfd does with
    // `--protocols=netconf1.0`): confirmed-commit:1.1 and validate:1.1 belong to base:1.1.
    let v11 = [CAP_BASE_11, CAP_CONFIRMED_COMMIT_11, CAP_VALIDATE_11];
    for c in all.filter(|c| base_1_1 || !v11.contains(&c.as_str())) {
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

/// Handle one message received after the hellos, for `session` (negotiated base:1.1).
pub fn handle_rpc(bytes: &[u8], session: u32, store: &Datastore) -> Reply {
    handle_rpc_in(bytes, session, store, true)
}

/// Whether a message is an `<rpc>` holding an `<edit-config>` (for the stall-next-edit fault).
fn is_edit_config(message: &[u8]) -> bool {
    Element::parse(message).is_ok_and(|rpc| {
        rpc.is(NS_BASE, "rpc") && rpc.children.iter().any(|op| op.is(NS_BASE, "edit-config"))
    })
}

/// Whether an `<edit-config>` uses the `remove` operation anywhere (RFC 6241 §7.2: new in base:1.1).
fn uses_remove(e: &Element) -> bool {
    e.attrs.iter().any(|(k, v)| {
        (k == "operation" || k.ends_with(":operation"))
            && !k.starts_with("xmlns")
            && v.trim() == "remove"
    }) || e.children.iter().any(uses_remove)
}

/// [`handle_rpc`] in a session that negotiated base:1.1 or only base:1.0. A base:1.0 session does not
/// know the 1.1 `remove` operation (netconfd answers `unknown-element` there as well).
pub fn handle_rpc_in(bytes: &[u8], session: u32, store: &Datastore, base_1_1: bool) -> Reply {
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
    let outcome = if !base_1_1
        && rpc
            .children
            .iter()
            .any(|op| op.is(NS_BASE, "edit-config") && uses_remove(op))
    {
        Err(vec![YangError::new(
            "application",
            "unknown-element",
            "the remove operation needs base:1.1; this session speaks base:1.0",
        )
        .with_info("bad-element", "remove")])
    } else {
        rpc::dispatch(&rpc, session, store)
    };
    match outcome {
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
                    if store.take_stall() || store.take_stall_edit(is_edit_config(&message)) {
                        self.phase = Phase::Stalled;
                        return out;
                    }
                    let framing = self.decoder.framing();
                    let reply = handle_rpc_in(
                        &message,
                        self.session_id,
                        store,
                        framing == Framing::Chunked,
                    );
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
#[path = "netconf_tests.rs"]
mod tests;
