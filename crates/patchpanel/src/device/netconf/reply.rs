//! Parsing what the server sends: its `<hello>`, `<rpc-reply>` (`<ok/>`, `<data>`, `<rpc-error>` with
//! every RFC 6241 §4.3 field) and `<notification>`s to skip. Names are compared as (namespace URI,
//! local name), never by prefix. A plain quick-xml reader with a small scope stack is used so the
//! `<data>` subtree can be skipped without resolving it, then handed on as a standalone document.

use super::capabilities::Capabilities;
use super::rpc::{BASE_NS, NOTIFICATION_NS};
pub use super::rpc_error::{readable_path, RpcError};
use quick_xml::escape::escape;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// Why a device's message could not be read (the session is closed on any of them).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// Not well-formed: quick-xml's words about the part named.
    #[error("malformed {what}: {detail}")]
    Malformed { what: &'static str, detail: String },
    /// Well-formed, but not what NETCONF allows here.
    #[error("{0}")]
    Unexpected(String),
}

impl ReplyError {
    fn malformed(what: &'static str, e: impl std::fmt::Display) -> ReplyError {
        ReplyError::Malformed {
            what,
            detail: e.to_string(),
        }
    }
}

/// Longest field kept from an `<rpc-error>` (characters); the rest is cut.
const MAX_FIELD: usize = 2048;
/// Most `<rpc-error>`s / `error-info` entries kept from one reply.
const MAX_ERRORS: usize = 64;
const MAX_DEPTH: usize = 256;

/// The server `<hello>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    pub capabilities: Capabilities,
    pub session_id: Option<u32>,
}

/// What one message from the server is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    Reply(ParsedReply),
    /// An RFC 5277 notification (only on subscribed sessions): not a reply, skip it.
    Notification,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedReply {
    pub message_id: Option<String>,
    /// Every `<rpc-error>`, warnings included, in order.
    pub errors: Vec<RpcError>,
    pub ok: bool,
    /// The `<data>` element as a standalone XML document (in-scope namespaces declared on it).
    pub data: Option<Vec<u8>>,
    /// Local names of other children (e.g. IOS-XE's `<result>` for save-config).
    pub other: Vec<String>,
}

/// Namespace declarations in scope, innermost last: (prefix or "" for the default, URI).
#[derive(Default)]
struct Scopes {
    frames: Vec<Vec<(String, String)>>,
}

impl Scopes {
    fn push(&mut self, e: &BytesStart<'_>) -> Result<(), ReplyError> {
        if self.frames.len() >= MAX_DEPTH {
            return Err(ReplyError::Unexpected("XML nested too deeply".into()));
        }
        let mut frame = Vec::new();
        for a in e.attributes().with_checks(true) {
            let a = a.map_err(|e| ReplyError::malformed("attribute", e))?;
            let key = a.key.as_ref();
            let prefix = if key == b"xmlns" {
                ""
            } else if let Some(p) = key.strip_prefix(b"xmlns:") {
                std::str::from_utf8(p)
                    .map_err(|_| ReplyError::Unexpected("non-UTF-8 prefix".into()))?
            } else {
                continue;
            };
            let uri = a
                .unescape_value()
                .map_err(|e| ReplyError::malformed("namespace", e))?;
            frame.push((prefix.to_string(), uri.into_owned()));
        }
        self.frames.push(frame);
        Ok(())
    }

    fn pop(&mut self) {
        self.frames.pop();
    }

    fn lookup(&self, prefix: &str) -> Option<&str> {
        self.frames
            .iter()
            .rev()
            .flat_map(|f| f.iter().rev())
            .find(|(p, _)| p == prefix)
            .map(|(_, u)| u.as_str())
            .filter(|u| !u.is_empty())
    }

    /// (namespace, local name) of an element name.
    fn resolve<'n>(&self, qname: &'n [u8]) -> (Option<&str>, &'n [u8]) {
        match qname.iter().position(|&b| b == b':') {
            Some(i) => {
                let prefix = std::str::from_utf8(&qname[..i]).unwrap_or("\u{0}");
                (self.lookup(prefix), &qname[i + 1..])
            }
            None => (self.lookup(""), qname),
        }
    }

    /// Every binding in scope, inner declarations shadowing outer ones.
    fn in_scope(&self) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = Vec::new();
        for (p, u) in self.frames.iter().rev().flat_map(|f| f.iter().rev()) {
            if !out.iter().any(|(q, _)| q == p) {
                out.push((p, u));
            }
        }
        out
    }
}

fn reader(bytes: &[u8]) -> Reader<&[u8]> {
    let mut r = Reader::from_reader(bytes);
    r.config_mut().check_end_names = true;
    r
}

fn is_base(ns: Option<&str>) -> bool {
    ns == Some(BASE_NS)
}

fn utf8(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn cut(mut s: String) -> String {
    if let Some((i, _)) = s.char_indices().nth(MAX_FIELD) {
        s.truncate(i);
        s.push('…');
    }
    s
}

/// Reads to the root element, refusing DTDs; returns it and whether it is empty (`<x/>`).
fn root<'a>(r: &mut Reader<&'a [u8]>) -> Result<(BytesStart<'a>, bool), ReplyError> {
    loop {
        match r
            .read_event()
            .map_err(|e| ReplyError::malformed("XML", e))?
        {
            Event::Start(e) => return Ok((e, false)),
            Event::Empty(e) => return Ok((e, true)),
            Event::DocType(_) => {
                return Err(ReplyError::Unexpected("DOCTYPE is not accepted".into()))
            }
            Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => {}
            Event::Text(_) | Event::CData(_) => {
                return Err(ReplyError::Unexpected(
                    "text before the root element".into(),
                ))
            }
            Event::Eof => return Err(ReplyError::Unexpected("no XML element".into())),
            Event::End(_) => return Err(ReplyError::Unexpected("unbalanced end tag".into())),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
}

/// After the root element: only whitespace, comments and PIs may follow.
fn trailer(r: &mut Reader<&[u8]>) -> Result<(), ReplyError> {
    loop {
        match r
            .read_event()
            .map_err(|e| ReplyError::malformed("XML", e))?
        {
            Event::Eof => return Ok(()),
            Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => {}
            Event::Comment(_) | Event::PI(_) => {}
            _ => {
                return Err(ReplyError::Unexpected(
                    "content after the root element".into(),
                ))
            }
        }
    }
}

/// The text content of the element just started (all descendant text), read to its end.
fn text_content(r: &mut Reader<&[u8]>, scopes: &mut Scopes) -> Result<String, ReplyError> {
    let mut out = String::new();
    let mut depth = 0usize;
    loop {
        match r
            .read_event()
            .map_err(|e| ReplyError::malformed("XML", e))?
        {
            Event::Start(e) => {
                scopes.push(&e)?;
                depth += 1;
            }
            Event::End(_) => {
                if depth == 0 {
                    return Ok(out);
                }
                scopes.pop();
                depth -= 1;
            }
            Event::Text(t) => {
                let s = t.unescape().map_err(|e| ReplyError::malformed("text", e))?;
                if out.len() < MAX_FIELD * 4 {
                    out.push_str(&s);
                }
            }
            Event::CData(c) => out.push_str(&String::from_utf8_lossy(&c)),
            Event::Eof => return Err(ReplyError::Unexpected("XML ended inside an element".into())),
            Event::DocType(_) => {
                return Err(ReplyError::Unexpected("DOCTYPE is not accepted".into()))
            }
            Event::Empty(_) | Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
}

/// Skips the element just started; returns the byte range of its content.
fn skip(r: &mut Reader<&[u8]>, e: &BytesStart<'_>) -> Result<std::ops::Range<usize>, ReplyError> {
    let span = r
        .read_to_end(e.name())
        .map_err(|e| ReplyError::malformed("XML", e))?;
    let s = usize::try_from(span.start)
        .map_err(|_| ReplyError::Unexpected("reply too large".into()))?;
    let t =
        usize::try_from(span.end).map_err(|_| ReplyError::Unexpected("reply too large".into()))?;
    Ok(s..t)
}

pub fn parse_hello(bytes: &[u8]) -> Result<ServerHello, ReplyError> {
    let mut r = reader(bytes);
    let mut scopes = Scopes::default();
    let (hello, is_empty) = root(&mut r)?;
    scopes.push(&hello)?;
    let hello_name = hello.name();
    let (ns, local) = scopes.resolve(hello_name.as_ref());
    if !is_base(ns) || local != b"hello" {
        return Err(ReplyError::Unexpected(format!(
            "expected <hello> in the NETCONF namespace, got <{}>",
            utf8(hello.name().as_ref())
        )));
    }
    let mut caps: Vec<String> = Vec::new();
    let mut session_id = None;
    if !is_empty {
        walk_children(&mut r, &mut scopes, |r, scopes, c| {
            if c.is(b"capabilities") && !c.empty {
                walk_children(r, scopes, |r, scopes, c| {
                    if c.is(b"capability") {
                        caps.push(c.text(r, scopes)?);
                        Ok(true)
                    } else {
                        Ok(false)
                    }
                })?;
                Ok(true)
            } else if c.is(b"session-id") {
                let t = c.text(r, scopes)?;
                session_id = t.parse::<u32>().ok();
                if session_id.is_none() {
                    tracing::debug!(session_id = %t, "server hello without a numeric session-id");
                }
                Ok(true)
            } else {
                Ok(false)
            }
        })?;
    }
    trailer(&mut r)?;
    let capabilities = Capabilities::new(caps);
    if capabilities.uris().is_empty() {
        return Err(ReplyError::Unexpected(
            "the server hello lists no capabilities".into(),
        ));
    }
    Ok(ServerHello {
        capabilities,
        session_id,
    })
}

/// A child element met by [`walk_children`].
struct Child<'a> {
    ns: Option<String>,
    local: Vec<u8>,
    start: BytesStart<'a>,
    /// `<x/>`: the reader is already past it, so there is nothing to read.
    empty: bool,
}

impl Child<'_> {
    fn is(&self, local: &[u8]) -> bool {
        is_base(self.ns.as_deref()) && self.local == local
    }

    /// The child's text content, reading to its end tag.
    fn text(&self, r: &mut Reader<&[u8]>, scopes: &mut Scopes) -> Result<String, ReplyError> {
        if self.empty {
            Ok(String::new())
        } else {
            Ok(cut(text_content(r, scopes)?.trim().to_string()))
        }
    }
}

/// Calls `f` for each child element of the element just started, until its end tag. `f` returns
/// whether it read the child through its end; otherwise the child is skipped here.
fn walk_children<'a, F>(
    r: &mut Reader<&'a [u8]>,
    scopes: &mut Scopes,
    mut f: F,
) -> Result<(), ReplyError>
where
    F: FnMut(&mut Reader<&'a [u8]>, &mut Scopes, &Child<'a>) -> Result<bool, ReplyError>,
{
    loop {
        let (start, empty) = match r
            .read_event()
            .map_err(|e| ReplyError::malformed("XML", e))?
        {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => return Ok(()),
            Event::Eof => return Err(ReplyError::Unexpected("XML ended inside an element".into())),
            Event::DocType(_) => {
                return Err(ReplyError::Unexpected("DOCTYPE is not accepted".into()))
            }
            Event::Text(_)
            | Event::CData(_)
            | Event::Decl(_)
            | Event::PI(_)
            | Event::Comment(_) => continue,
        };
        scopes.push(&start)?;
        let start_name = start.name();
        let (ns, local) = scopes.resolve(start_name.as_ref());
        let child = Child {
            ns: ns.map(str::to_string),
            local: local.to_vec(),
            start,
            empty,
        };
        if !f(r, scopes, &child)? && !empty {
            skip(r, &child.start)?;
        }
        scopes.pop();
    }
}

/// Parses one message received after the hellos.
pub fn parse_message(bytes: &[u8]) -> Result<Incoming, ReplyError> {
    let mut r = reader(bytes);
    let mut scopes = Scopes::default();
    let (top, is_empty) = root(&mut r)?;
    scopes.push(&top)?;
    let top_name = top.name();
    let (ns, local) = scopes.resolve(top_name.as_ref());
    if ns == Some(NOTIFICATION_NS) && local == b"notification" {
        return Ok(Incoming::Notification);
    }
    if !is_base(ns) || local != b"rpc-reply" {
        return Err(ReplyError::Unexpected(format!(
            "expected <rpc-reply> in the NETCONF namespace, got <{}>",
            utf8(top.name().as_ref())
        )));
    }
    let mut reply = ParsedReply::default();
    for a in top.attributes().with_checks(true) {
        let a = a.map_err(|e| ReplyError::malformed("attribute", e))?;
        if a.key.as_ref() == b"message-id" {
            let v = a
                .unescape_value()
                .map_err(|e| ReplyError::malformed("message-id", e))?;
            reply.message_id = Some(v.chars().take(128).collect());
        }
    }
    if !is_empty {
        reply_children(bytes, &mut r, &mut scopes, &mut reply)?;
    }
    trailer(&mut r)?;
    Ok(Incoming::Reply(reply))
}

fn reply_children(
    bytes: &[u8],
    r: &mut Reader<&[u8]>,
    scopes: &mut Scopes,
    reply: &mut ParsedReply,
) -> Result<(), ReplyError> {
    loop {
        match r
            .read_event()
            .map_err(|e| ReplyError::malformed("XML", e))?
        {
            Event::Start(e) => {
                scopes.push(&e)?;
                let name = e.name();
                let (ns, local) = scopes.resolve(name.as_ref());
                match (is_base(ns), local) {
                    (true, b"rpc-error") => {
                        let err = rpc_error(r, scopes)?;
                        if reply.errors.len() < MAX_ERRORS {
                            reply.errors.push(err);
                        }
                    }
                    (true, b"data") => {
                        let head = standalone_start(&e, scopes)?;
                        let range = skip(r, &e)?;
                        let inner = bytes
                            .get(range)
                            .ok_or_else(|| ReplyError::Unexpected("bad data span".into()))?;
                        reply.data = Some(standalone(&head, inner, &e));
                    }
                    (true, b"ok") => {
                        reply.ok = true;
                        skip(r, &e)?;
                    }
                    (_, other) => {
                        if reply.other.len() < MAX_ERRORS {
                            reply.other.push(utf8(other));
                        }
                        skip(r, &e)?;
                    }
                }
                scopes.pop();
            }
            Event::Empty(e) => {
                scopes.push(&e)?;
                let name = e.name();
                let (ns, local) = scopes.resolve(name.as_ref());
                match (is_base(ns), local) {
                    (true, b"ok") => reply.ok = true,
                    (true, b"data") => {
                        let head = standalone_start(&e, scopes)?;
                        reply.data = Some(standalone(&head, b"", &e));
                    }
                    (true, b"rpc-error") => {
                        if reply.errors.len() < MAX_ERRORS {
                            reply.errors.push(RpcError {
                                error_severity: "error".into(),
                                ..RpcError::default()
                            });
                        }
                    }
                    (_, other) => {
                        if reply.other.len() < MAX_ERRORS {
                            reply.other.push(utf8(other));
                        }
                    }
                }
                scopes.pop();
            }
            Event::End(_) => return Ok(()),
            Event::Eof => {
                return Err(ReplyError::Unexpected(
                    "XML ended inside <rpc-reply>".into(),
                ))
            }
            Event::DocType(_) => {
                return Err(ReplyError::Unexpected("DOCTYPE is not accepted".into()))
            }
            Event::Text(_)
            | Event::CData(_)
            | Event::Decl(_)
            | Event::PI(_)
            | Event::Comment(_) => {}
        }
    }
}

/// `<data …>` re-declaring every namespace in scope, so the element stands alone.
fn standalone_start(e: &BytesStart<'_>, scopes: &Scopes) -> Result<Vec<u8>, ReplyError> {
    let mut head = Vec::with_capacity(128);
    head.push(b'<');
    head.extend_from_slice(e.name().as_ref());
    for (prefix, uri) in scopes.in_scope() {
        if prefix.is_empty() {
            head.extend_from_slice(b" xmlns=\"");
        } else {
            head.extend_from_slice(b" xmlns:");
            head.extend_from_slice(prefix.as_bytes());
            head.extend_from_slice(b"=\"");
        }
        head.extend_from_slice(escape(uri).as_bytes());
        head.push(b'"');
    }
    for a in e.attributes().with_checks(true) {
        let a = a.map_err(|e| ReplyError::malformed("attribute", e))?;
        let key = a.key.as_ref();
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            continue;
        }
        let v = a
            .unescape_value()
            .map_err(|e| ReplyError::malformed("attribute", e))?;
        head.push(b' ');
        head.extend_from_slice(key);
        head.extend_from_slice(b"=\"");
        head.extend_from_slice(escape(v.as_ref()).as_bytes());
        head.push(b'"');
    }
    head.push(b'>');
    Ok(head)
}

fn standalone(head: &[u8], inner: &[u8], e: &BytesStart<'_>) -> Vec<u8> {
    let name = e.name();
    let mut out = Vec::with_capacity(head.len() + inner.len() + name.as_ref().len() + 3);
    out.extend_from_slice(head);
    out.extend_from_slice(inner);
    out.extend_from_slice(b"</");
    out.extend_from_slice(name.as_ref());
    out.push(b'>');
    out
}

fn rpc_error(r: &mut Reader<&[u8]>, scopes: &mut Scopes) -> Result<RpcError, ReplyError> {
    let mut err = RpcError::default();
    walk_children(r, scopes, |r, scopes, c| {
        if !is_base(c.ns.as_deref()) {
            return Ok(false);
        }
        match c.local.as_slice() {
            b"error-type" => err.error_type = c.text(r, scopes)?,
            b"error-tag" => err.error_tag = c.text(r, scopes)?,
            b"error-severity" => err.error_severity = c.text(r, scopes)?,
            b"error-app-tag" => err.error_app_tag = Some(c.text(r, scopes)?),
            b"error-path" => err.error_path = Some(c.text(r, scopes)?),
            b"error-message" => {
                for a in c.start.attributes().flatten() {
                    if a.key.as_ref() == b"xml:lang" {
                        if let Ok(v) = a.unescape_value() {
                            err.error_message_lang = Some(cut(v.into_owned()));
                        }
                    }
                }
                err.error_message = Some(c.text(r, scopes)?);
            }
            b"error-info" if !c.empty => {
                walk_children(r, scopes, |r, scopes, c| {
                    let text = c.text(r, scopes)?;
                    if err.error_info.len() < MAX_ERRORS {
                        err.error_info.push((utf8(&c.local), text));
                    }
                    Ok(true)
                })?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    if err.error_severity.is_empty() {
        err.error_severity = "error".into();
    }
    Ok(err)
}

#[cfg(test)]
#[path = "reply_tests.rs"]
mod tests;
