//! NETCONF requests as values and their XML: `<hello>` and every `<rpc>` are written with quick-xml's
//! escaping writer (never by pasting text). Caller-built fragments (subtree filters, `<config>` content)
//! are checked to be well-formed XML before they are embedded, so a bug in a profile cannot break out
//! of its element or the message framing.

use super::capabilities::{BASE_1_0, BASE_1_1, CISCO_IA_NS};
use super::framing::find_eom;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, Writer};

/// The NETCONF base namespace (elements of `<rpc>`, `<rpc-reply>`, `<hello>`).
pub const BASE_NS: &str = "urn:ietf:params:xml:ns:netconf:base:1.0";
/// RFC 5277's namespace: `<create-subscription>`, `<notification>`, `<eventTime>`.
pub const NOTIFICATION_NS: &str = "urn:ietf:params:xml:ns:netconf:notification:1.0";
/// RFC 5277 §3.2.3: the default event stream, the one RFC 6470's events are sent on.
pub const NETCONF_STREAM: &str = "NETCONF";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Datastore {
    Running,
    Candidate,
    Startup,
}

impl Datastore {
    pub fn name(self) -> &'static str {
        match self {
            Datastore::Running => "running",
            Datastore::Candidate => "candidate",
            Datastore::Startup => "startup",
        }
    }
}

impl std::fmt::Display for Datastore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum FilterKind {
    Subtree(Vec<u8>),
    XPath(String),
}

/// A `<filter>` for `<get>` / `<get-config>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter(FilterKind);

impl Filter {
    /// A subtree filter (RFC 6241 §6): the XML fragment inside `<filter type="subtree">`, built with
    /// quick-xml by the caller. Checked to be well-formed when the request is built.
    pub fn subtree(fragment: impl Into<Vec<u8>>) -> Filter {
        Filter(FilterKind::Subtree(fragment.into()))
    }

    /// An empty subtree filter: selects nothing (a cheap request that proves liveness).
    pub fn empty() -> Filter {
        Filter::subtree(Vec::new())
    }

    /// An XPath filter (`type="xpath" select="…"`); needs the `:xpath` capability.
    pub fn xpath(select: impl Into<String>) -> Filter {
        Filter(FilterKind::XPath(select.into()))
    }

    pub fn is_xpath(&self) -> bool {
        matches!(self.0, FilterKind::XPath(_))
    }

    /// The subtree fragment (empty for an XPath filter).
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            FilterKind::Subtree(b) => b,
            FilterKind::XPath(_) => &[],
        }
    }
}

/// The content of `<config>` for `<edit-config>`, built with quick-xml by the caller. The prefix `nc`
/// is bound to the base namespace on `<config>`, so `nc:operation="remove"` works without declaring it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigPayload(Vec<u8>);

impl ConfigPayload {
    pub fn from_xml(fragment: impl Into<Vec<u8>>) -> ConfigPayload {
        ConfigPayload(fragment.into())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultOperation {
    Merge,
    Replace,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestOption {
    TestThenSet,
    Set,
    /// Needs `:validate:1.1`.
    TestOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorOption {
    StopOnError,
    ContinueOnError,
    /// Needs `:rollback-on-error`.
    RollbackOnError,
}

/// `<edit-config>` parameters; `None` leaves the server default (merge, test-then-set, stop-on-error).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EditOptions {
    pub default_operation: Option<DefaultOperation>,
    pub test_option: Option<TestOption>,
    pub error_option: Option<ErrorOption>,
}

/// `<commit>` parameters (RFC 6241 §8.4.5.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitOptions {
    /// A confirmed commit: rolled back unless confirmed within `confirm_timeout` (default 600 s).
    pub confirmed: bool,
    pub confirm_timeout: Option<u32>,
    /// Makes a confirmed commit survive this session; confirm or cancel later with the token.
    pub persist: Option<String>,
    /// Confirms (or extends) the persistent confirmed commit with this token.
    pub persist_id: Option<String>,
}

impl CommitOptions {
    /// A confirmed commit that any session can confirm with `persist` (needs `:confirmed-commit:1.1`).
    pub fn confirmed_persistent(timeout_secs: u32, persist: impl Into<String>) -> Self {
        CommitOptions {
            confirmed: true,
            confirm_timeout: Some(timeout_secs),
            persist: Some(persist.into()),
            persist_id: None,
        }
    }

    /// The confirming commit for a persistent confirmed commit.
    pub fn confirming(persist_id: impl Into<String>) -> Self {
        CommitOptions {
            persist_id: Some(persist_id.into()),
            ..CommitOptions::default()
        }
    }
}

/// One request. `name()` is what errors and logs call it.
#[derive(Debug, Clone, Copy)]
pub enum Operation<'a> {
    Get {
        filter: Option<&'a Filter>,
    },
    GetConfig {
        source: Datastore,
        filter: Option<&'a Filter>,
    },
    EditConfig {
        target: Datastore,
        config: &'a ConfigPayload,
        options: &'a EditOptions,
    },
    Lock(Datastore),
    Unlock(Datastore),
    Validate(Datastore),
    Commit(&'a CommitOptions),
    CancelCommit {
        persist_id: Option<&'a str>,
    },
    DiscardChanges,
    /// IOS-XE: `<save-config xmlns="http://cisco.com/yang/cisco-ia"/>` (running → startup).
    SaveConfig,
    CloseSession,
    KillSession(u32),
    /// RFC 5277 §2.1.1 `<create-subscription>` (notification namespace) on one event stream.
    CreateSubscription {
        stream: &'a str,
    },
}

impl Operation<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            Operation::Get { .. } => "get",
            Operation::GetConfig { .. } => "get-config",
            Operation::EditConfig { .. } => "edit-config",
            Operation::Lock(_) => "lock",
            Operation::Unlock(_) => "unlock",
            Operation::Validate(_) => "validate",
            Operation::Commit(_) => "commit",
            Operation::CancelCommit { .. } => "cancel-commit",
            Operation::DiscardChanges => "discard-changes",
            Operation::SaveConfig => "save-config",
            Operation::CloseSession => "close-session",
            Operation::KillSession(_) => "kill-session",
            Operation::CreateSubscription { .. } => "create-subscription",
        }
    }

    /// Whether the request may have changed the device (after a lost reply its outcome is unknown).
    pub fn changes_device(&self) -> bool {
        is_change(self.name())
    }
}

/// Operation names that change configuration.
pub fn is_change(operation: &str) -> bool {
    matches!(
        operation,
        "edit-config" | "commit" | "cancel-commit" | "discard-changes" | "save-config"
    )
}

/// A caller-built fragment is not acceptable XML (a bug in the code that built it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} is not a well-formed XML fragment: {reason}")]
pub struct PayloadError {
    pub what: &'static str,
    pub reason: String,
}

type W = Writer<Vec<u8>>;
type IoResult = std::io::Result<()>;

fn start(w: &mut W, name: &str, attrs: &[(&str, &str)]) -> IoResult {
    let mut e = BytesStart::new(name);
    for (k, v) in attrs {
        e.push_attribute((*k, *v));
    }
    w.write_event(Event::Start(e))
}

fn end(w: &mut W, name: &str) -> IoResult {
    w.write_event(Event::End(BytesEnd::new(name)))
}

fn empty(w: &mut W, name: &str) -> IoResult {
    w.write_event(Event::Empty(BytesStart::new(name)))
}

fn leaf(w: &mut W, name: &str, text: &str) -> IoResult {
    start(w, name, &[])?;
    w.write_event(Event::Text(BytesText::new(text)))?;
    end(w, name)
}

fn datastore(w: &mut W, wrapper: &str, ds: Datastore) -> IoResult {
    start(w, wrapper, &[])?;
    empty(w, ds.name())?;
    end(w, wrapper)
}

fn document(body: impl FnOnce(&mut W) -> IoResult) -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = w
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .and_then(|()| body(&mut w));
    w.into_inner()
}

/// The client `<hello>`: base:1.0, and base:1.1 when offered (never a session-id, RFC 6241 §8.1).
pub fn client_hello(offer_1_1: bool) -> Vec<u8> {
    document(|w| {
        start(w, "hello", &[("xmlns", BASE_NS)])?;
        start(w, "capabilities", &[])?;
        leaf(w, "capability", BASE_1_0)?;
        if offer_1_1 {
            leaf(w, "capability", BASE_1_1)?;
        }
        end(w, "capabilities")?;
        end(w, "hello")
    })
}

/// `<rpc message-id=ID xmlns=base>…</rpc>` for one operation.
pub fn build_rpc(message_id: u64, op: &Operation<'_>) -> Result<Vec<u8>, PayloadError> {
    match op {
        Operation::Get { filter } | Operation::GetConfig { filter, .. } => {
            if let Some(f) = filter {
                check_fragment(f.as_bytes(), "the subtree filter")?;
            }
        }
        Operation::EditConfig { config, .. } => {
            check_fragment(config.as_bytes(), "the <config> payload")?;
        }
        _ => {}
    }
    let id = message_id.to_string();
    Ok(document(|w| {
        start(w, "rpc", &[("message-id", &id), ("xmlns", BASE_NS)])?;
        write_operation(w, op)?;
        end(w, "rpc")
    }))
}

fn write_operation(w: &mut W, op: &Operation<'_>) -> IoResult {
    let name = op.name();
    match op {
        Operation::Get { filter } => {
            start(w, name, &[])?;
            if let Some(f) = filter {
                write_filter(w, f)?;
            }
            end(w, name)
        }
        Operation::GetConfig { source, filter } => {
            start(w, name, &[])?;
            datastore(w, "source", *source)?;
            if let Some(f) = filter {
                write_filter(w, f)?;
            }
            end(w, name)
        }
        Operation::EditConfig {
            target,
            config,
            options,
        } => {
            start(w, name, &[])?;
            datastore(w, "target", *target)?;
            if let Some(d) = options.default_operation {
                let v = match d {
                    DefaultOperation::Merge => "merge",
                    DefaultOperation::Replace => "replace",
                    DefaultOperation::None => "none",
                };
                leaf(w, "default-operation", v)?;
            }
            if let Some(t) = options.test_option {
                let v = match t {
                    TestOption::TestThenSet => "test-then-set",
                    TestOption::Set => "set",
                    TestOption::TestOnly => "test-only",
                };
                leaf(w, "test-option", v)?;
            }
            if let Some(e) = options.error_option {
                let v = match e {
                    ErrorOption::StopOnError => "stop-on-error",
                    ErrorOption::ContinueOnError => "continue-on-error",
                    ErrorOption::RollbackOnError => "rollback-on-error",
                };
                leaf(w, "error-option", v)?;
            }
            start(w, "config", &[("xmlns:nc", BASE_NS)])?;
            w.get_mut().extend_from_slice(config.as_bytes());
            end(w, "config")?;
            end(w, name)
        }
        Operation::Lock(ds) | Operation::Unlock(ds) => {
            start(w, name, &[])?;
            datastore(w, "target", *ds)?;
            end(w, name)
        }
        Operation::Validate(ds) => {
            start(w, name, &[])?;
            datastore(w, "source", *ds)?;
            end(w, name)
        }
        Operation::Commit(c) => {
            if !c.confirmed && c.persist_id.is_none() {
                return empty(w, name);
            }
            start(w, name, &[])?;
            if c.confirmed {
                empty(w, "confirmed")?;
                if let Some(t) = c.confirm_timeout {
                    leaf(w, "confirm-timeout", &t.to_string())?;
                }
                if let Some(p) = &c.persist {
                    leaf(w, "persist", p)?;
                }
            }
            if let Some(p) = &c.persist_id {
                leaf(w, "persist-id", p)?;
            }
            end(w, name)
        }
        Operation::CancelCommit { persist_id } => match persist_id {
            None => empty(w, name),
            Some(p) => {
                start(w, name, &[])?;
                leaf(w, "persist-id", p)?;
                end(w, name)
            }
        },
        Operation::DiscardChanges | Operation::CloseSession => empty(w, name),
        Operation::SaveConfig => {
            let mut e = BytesStart::new(name);
            e.push_attribute(("xmlns", CISCO_IA_NS));
            w.write_event(Event::Empty(e))
        }
        Operation::KillSession(id) => {
            start(w, name, &[])?;
            leaf(w, "session-id", &id.to_string())?;
            end(w, name)
        }
        Operation::CreateSubscription { stream } => {
            start(w, name, &[("xmlns", NOTIFICATION_NS)])?;
            leaf(w, "stream", stream)?;
            end(w, name)
        }
    }
}

fn write_filter(w: &mut W, f: &Filter) -> IoResult {
    match &f.0 {
        FilterKind::Subtree(fragment) => {
            if fragment.is_empty() {
                let mut e = BytesStart::new("filter");
                e.push_attribute(("type", "subtree"));
                return w.write_event(Event::Empty(e));
            }
            start(w, "filter", &[("type", "subtree"), ("xmlns:nc", BASE_NS)])?;
            w.get_mut().extend_from_slice(fragment);
            end(w, "filter")
        }
        FilterKind::XPath(select) => {
            let mut e = BytesStart::new("filter");
            e.push_attribute(("type", "xpath"));
            e.push_attribute(("select", select.as_str()));
            w.write_event(Event::Empty(e))
        }
    }
}

/// Deepest nesting accepted in a caller fragment.
const MAX_FRAGMENT_DEPTH: usize = 256;

/// Accepts a sequence of balanced elements (with text, comments and CDATA inside), in UTF-8, whose
/// namespace prefixes are bound (or are `nc`, bound by the wrapper). Refuses declarations, DTDs,
/// processing instructions, text at the top level and the base:1.0 end-of-message marker.
pub fn check_fragment(bytes: &[u8], what: &'static str) -> Result<(), PayloadError> {
    let fail = |reason: String| PayloadError { what, reason };
    std::str::from_utf8(bytes).map_err(|e| fail(format!("not UTF-8 ({e})")))?;
    if find_eom(bytes).is_some() {
        return Err(fail("contains the end-of-message marker ]]>]]>".into()));
    }
    let mut r = NsReader::from_reader(bytes);
    let mut depth = 0usize;
    loop {
        let (ns, event) = r
            .read_resolved_event()
            .map_err(|e| fail(format!("malformed XML: {e}")))?;
        if let ResolveResult::Unknown(p) = &ns {
            return Err(fail(format!(
                "unbound namespace prefix `{}`",
                String::from_utf8_lossy(p)
            )));
        }
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                for a in e.attributes() {
                    let a = a.map_err(|e| fail(format!("bad attribute: {e}")))?;
                    if let (ResolveResult::Unknown(p), _) = r.resolve_attribute(a.key) {
                        if p != b"nc" {
                            return Err(fail(format!(
                                "unbound namespace prefix `{}`",
                                String::from_utf8_lossy(&p)
                            )));
                        }
                    }
                    a.unescape_value()
                        .map_err(|e| fail(format!("bad attribute value: {e}")))?;
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                    if depth > MAX_FRAGMENT_DEPTH {
                        return Err(fail("nested too deeply".into()));
                    }
                }
            }
            Event::End(_) => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| fail("unbalanced end tag".into()))?;
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(|e| fail(format!("bad text: {e}")))?;
                if depth == 0 && !text.trim().is_empty() {
                    return Err(fail("text outside any element".into()));
                }
            }
            Event::CData(_) | Event::Comment(_) => {}
            Event::Decl(_) => return Err(fail("an XML declaration inside the fragment".into())),
            Event::PI(_) => return Err(fail("a processing instruction".into())),
            Event::DocType(_) => return Err(fail("a DOCTYPE".into())),
            Event::Eof => break,
        }
    }
    if depth != 0 {
        return Err(fail("an element is not closed".into()));
    }
    Ok(())
}

#[cfg(test)]
#[path = "rpc_tests.rs"]
mod tests;
