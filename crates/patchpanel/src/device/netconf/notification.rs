//! Reading one RFC 5277 `<notification>` (pure): its `eventTime` and the event, with RFC 6470's
//! `netconf-config-change` (who changed which datastore, and the edit list) and
//! `netconf-confirmed-commit` read in full, and every other event named by namespace and local name.
//! yuma's older `yuma-system` module (`sysConfigChange`, `sysConfirmedCommit`) is read the same way;
//! yuma123 2.13 itself sends only the RFC 6470 events (docs/netconf.md §3). Names are compared as
//! (namespace URI, local name), never by prefix. A malformed notification is a [`NotificationError`],
//! never a panic; the session it came on is still usable (the framing delimited it).

use super::error::NetconfError;
use super::rpc::NOTIFICATION_NS;
use super::rpc_error::readable_path;
use crate::device::tree::{from_xml, Node};

/// RFC 6470's module, `ietf-netconf-notifications`.
pub const NETCONF_NOTIFICATIONS_NS: &str = "urn:ietf:params:xml:ns:yang:ietf-netconf-notifications";
/// yuma's (and OpenYuma's) own system module, whose `sysConfigChange` predates RFC 6470.
pub const YUMA_SYSTEM_NS: &str = "http://netconfcentral.org/ns/yuma-system";
/// yuma123's renamed system module (2017-03-26 onwards: only `sysStartup` and `sequence-id`).
pub const YUMA123_SYSTEM_NS: &str = "http://yuma123.org/ns/yuma123-system";

/// Most edits kept from one notification; the rest are counted in `edits_left_out`.
pub const MAX_EDITS: usize = 256;
/// Longest text kept from one field (characters); the rest is cut with `…`.
const MAX_TEXT: usize = 1024;

/// One notification: when the device says the event happened, and what it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// `eventTime` as the device wrote it (RFC 3339), e.g. `2026-12-04T08:37:17Z`.
    pub event_time: String,
    pub event: Event,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A datastore changed: RFC 6470 `netconf-config-change` or yuma's `sysConfigChange`.
    ConfigChange(ConfigChange),
    /// RFC 6470 `netconf-confirmed-commit` (or yuma's `sysConfirmedCommit`). Its `cancel` and
    /// `timeout` events mean running was rolled back, and netconfd 2.13 sends no config change
    /// for that rollback (docs/netconf.md §3).
    ConfirmedCommit(ConfirmedCommit),
    /// Anything else (session start/end, capability changes, vendor events): named only.
    Other { namespace: String, name: String },
}

/// Who made a change (RFC 6470 `changed-by-parms`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangedBy {
    /// The device itself (`<server/>`): no management session made the change.
    Server,
    Session(SessionInfo),
}

/// A management session as RFC 6470 describes it (`username`, `session-id`, `source-host`).
/// Every part is optional here: a device that leaves one out still reported a change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionInfo {
    pub username: Option<String>,
    /// `0` is a session outside NETCONF (RFC 6470 `session-id-or-zero`: the CLI, say).
    pub session_id: Option<u32>,
    pub source_host: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigChange {
    pub changed_by: ChangedBy,
    /// `running` (the default when absent) or `startup`.
    pub datastore: String,
    pub edits: Vec<Edit>,
    /// Edits beyond [`MAX_EDITS`], counted.
    pub edits_left_out: usize,
}

/// One `edit` entry: the top node changed and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// The instance-identifier as sent, prefixes included (they are bound on the element, so keep
    /// them only for display): `/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/10']`.
    pub target: String,
    /// `merge`, `replace`, `create`, `delete` or `remove` (RFC 6241 `edit-operation-type`).
    pub operation: Option<String>,
}

impl Edit {
    /// The target without prefixes: `/native/interface/GigabitEthernet[name='1/0/10']`.
    pub fn path(&self) -> String {
        readable_path(&self.target)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmedCommit {
    /// `start`, `cancel`, `timeout`, `extend` or `complete`.
    pub confirm_event: String,
    /// Absent for `timeout` (no session caused it).
    pub by: Option<SessionInfo>,
}

impl ConfirmedCommit {
    /// Whether the event restored the configuration from before the confirmed commit.
    pub fn rolled_back(&self) -> bool {
        matches!(self.confirm_event.as_str(), "cancel" | "timeout")
    }
}

/// Why a message could not be read as a notification. The session is still usable: count it, read on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotificationError {
    /// Not well-formed XML (or refused: a DTD, too deep).
    #[error("malformed notification: {0}")]
    Malformed(String),
    /// Well-formed, but not a `<notification>` in RFC 5277's namespace.
    #[error("expected a <notification> in the RFC 5277 namespace, got <{name}> in {namespace:?}")]
    NotANotification { namespace: String, name: String },
    /// RFC 5277 §4 requires `eventTime`.
    #[error("the notification has no eventTime")]
    NoEventTime,
    /// No event element beside `eventTime`.
    #[error("the notification carries no event")]
    NoEvent,
}

/// What waiting for a notification on a subscribed session failed with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiveError {
    /// The session is gone (dropped, killed, broken framing) and closed: connect and subscribe again.
    #[error(transparent)]
    Session(#[from] NetconfError),
    /// One message could not be read as a notification; the session is fine: count it, read on.
    #[error(transparent)]
    Notification(#[from] NotificationError),
}

/// Parses one `<notification>` message (a whole document, as the framing delivered it).
pub fn parse_notification(bytes: &[u8]) -> Result<Notification, NotificationError> {
    let root = from_xml(bytes).map_err(|e| NotificationError::Malformed(e.to_string()))?;
    if root.ns.as_deref() != Some(NOTIFICATION_NS) || root.name != "notification" {
        return Err(NotificationError::NotANotification {
            namespace: cut(root.ns.clone().unwrap_or_default()),
            name: cut(root.name.clone()),
        });
    }
    let event_time = root
        .children
        .iter()
        .find(|c| is(c, NOTIFICATION_NS, "eventTime"))
        .and_then(|c| c.text.as_deref())
        .map(|t| cut(t.trim().to_string()))
        .filter(|t| !t.is_empty())
        .ok_or(NotificationError::NoEventTime)?;
    let event = root
        .children
        .iter()
        .find(|c| !is(c, NOTIFICATION_NS, "eventTime") && !is_annotation(c))
        .ok_or(NotificationError::NoEvent)?;
    Ok(Notification {
        event_time,
        event: read_event(event),
    })
}

fn is(n: &Node, ns: &str, name: &str) -> bool {
    n.ns.as_deref() == Some(ns) && n.name == name
}

/// yuma's `sequence-id`, which its system module augments into every `<notification>`: not an event.
fn is_annotation(n: &Node) -> bool {
    n.name == "sequence-id"
        && matches!(
            n.ns.as_deref(),
            Some(YUMA_SYSTEM_NS) | Some(YUMA123_SYSTEM_NS)
        )
}

fn read_event(e: &Node) -> Event {
    let ns = e.ns.as_deref().unwrap_or("");
    match (ns, e.name.as_str()) {
        (NETCONF_NOTIFICATIONS_NS, "netconf-config-change") => {
            Event::ConfigChange(config_change(e, ns, rfc6470_changed_by(e, ns)))
        }
        (YUMA_SYSTEM_NS, "sysConfigChange") => Event::ConfigChange(config_change(
            e,
            ns,
            ChangedBy::Session(yuma_session(e, ns)),
        )),
        (NETCONF_NOTIFICATIONS_NS, "netconf-confirmed-commit") => {
            Event::ConfirmedCommit(ConfirmedCommit {
                confirm_event: text(e, ns, "confirm-event").unwrap_or_default(),
                by: Some(rfc6470_session(e, ns)).filter(|s| *s != SessionInfo::default()),
            })
        }
        (YUMA_SYSTEM_NS, "sysConfirmedCommit") => Event::ConfirmedCommit(ConfirmedCommit {
            confirm_event: text(e, ns, "confirmEvent").unwrap_or_default(),
            by: Some(yuma_session(e, ns)).filter(|s| *s != SessionInfo::default()),
        }),
        _ => Event::Other {
            namespace: cut(ns.to_string()),
            name: cut(e.name.clone()),
        },
    }
}

/// `changed-by`: `<server/>`, or the session's parameters. A missing `changed-by` (mandatory in
/// RFC 6470) is read as an unknown session rather than dropping the change.
fn rfc6470_changed_by(e: &Node, ns: &str) -> ChangedBy {
    match child(e, ns, "changed-by") {
        Some(by) if child(by, ns, "server").is_some() => ChangedBy::Server,
        Some(by) => ChangedBy::Session(rfc6470_session(by, ns)),
        None => ChangedBy::Session(SessionInfo::default()),
    }
}

fn rfc6470_session(n: &Node, ns: &str) -> SessionInfo {
    SessionInfo {
        username: text(n, ns, "username"),
        session_id: text(n, ns, "session-id").and_then(|s| s.parse().ok()),
        source_host: text(n, ns, "source-host"),
    }
}

fn yuma_session(n: &Node, ns: &str) -> SessionInfo {
    SessionInfo {
        username: text(n, ns, "userName"),
        session_id: text(n, ns, "sessionId").and_then(|s| s.parse().ok()),
        source_host: text(n, ns, "remoteHost"),
    }
}

fn config_change(e: &Node, ns: &str, changed_by: ChangedBy) -> ConfigChange {
    let mut edits = Vec::new();
    let mut edits_left_out = 0usize;
    for edit in e.children.iter().filter(|c| is(c, ns, "edit")) {
        let Some(target) = text(edit, ns, "target") else {
            continue;
        };
        if edits.len() < MAX_EDITS {
            edits.push(Edit {
                target,
                operation: text(edit, ns, "operation"),
            });
        } else {
            edits_left_out += 1;
        }
    }
    ConfigChange {
        changed_by,
        datastore: text(e, ns, "datastore").unwrap_or_else(|| "running".to_string()),
        edits,
        edits_left_out,
    }
}

fn child<'a>(n: &'a Node, ns: &str, name: &str) -> Option<&'a Node> {
    n.children.iter().find(|c| is(c, ns, name))
}

/// A leaf's trimmed text (cut to [`MAX_TEXT`]); `None` when absent or empty.
fn text(n: &Node, ns: &str, name: &str) -> Option<String> {
    child(n, ns, name)
        .and_then(|c| c.text.as_deref())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| cut(t.to_string()))
}

fn cut(mut s: String) -> String {
    if let Some((i, _)) = s.char_indices().nth(MAX_TEXT) {
        s.truncate(i);
        s.push('…');
    }
    s
}

#[cfg(test)]
#[path = "notification_tests.rs"]
mod tests;
