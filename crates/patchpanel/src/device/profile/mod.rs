//! Device profiles: how one `ValidChange` becomes bytes for a YANG model family. Per profile
//! (`iosxe`: Cisco-IOS-XE-native + -switch; `ietf`: ietf-interfaces + ietf-ip) there is an
//! edit-config `<config>` body (quick-xml, removals as `nc:operation`), a subtree filter for the
//! read-back, a parser of that read-back into `model::InterfaceConfig` (via `tree`/`extract`), the
//! snapshot restore (the interface entry with `nc:operation="replace"`), and the RESTCONF PATCH body,
//! DELETE paths and undo paths (serde_json). Nothing here does IO.

pub mod ietf;
pub mod iosxe;

use super::change::ValidChange;
use super::model::{InterfaceConfig, InterfaceName};
use super::tree::XmlError;
use super::tree::{self, Node};
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

pub use super::inventory::Profile;

pub const NC_NS: &str = "urn:ietf:params:xml:ns:netconf:base:1.0";
pub const NATIVE_NS: &str = "http://cisco.com/ns/yang/Cisco-IOS-XE-native";
pub const SWITCH_NS: &str = "http://cisco.com/ns/yang/Cisco-IOS-XE-switch";
pub const IETF_IF_NS: &str = "urn:ietf:params:xml:ns:yang:ietf-interfaces";
pub const IETF_IP_NS: &str = "urn:ietf:params:xml:ns:yang:ietf-ip";
pub const CISCO_IA_NS: &str = "http://cisco.com/yang/cisco-ia";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// Building XML failed (an internal fault; nothing was sent).
    #[error("cannot build the XML payload: {0}")]
    Build(String),
    /// The device's data could not be read (malformed XML, unexpected names): nothing is changed.
    #[error("the device's configuration data is unreadable: {0}")]
    Data(#[source] XmlError),
}

/// The profile from the inventory, else from the capability URIs (or module names) a device lists:
/// the native model wins, ietf-interfaces alone means `Ietf`, and nothing known means `Iosxe` (the
/// fleet this bot is for).
pub fn choose<S: AsRef<str>>(configured: Option<Profile>, capabilities: &[S]) -> Profile {
    if let Some(p) = configured {
        return p;
    }
    let lists = |ns: &str, module: &str| {
        capabilities.iter().any(|c| {
            let c = c.as_ref();
            c == module
                || c.starts_with(ns)
                || c.contains(&format!("module={module}&"))
                || c.ends_with(&format!("module={module}"))
        })
    };
    if !lists(NATIVE_NS, "Cisco-IOS-XE-native") && lists(IETF_IF_NS, "ietf-interfaces") {
        Profile::Ietf
    } else {
        Profile::Iosxe
    }
}

/// How to say "remove": `remove` (RFC 6241 §7.2, silent when absent) where the server speaks
/// base:1.1; `delete` otherwise, sent only for nodes the snapshot shows present (delete fails with
/// `data-missing` on an absent node).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoveOp {
    Remove,
    Delete,
}

impl RemoveOp {
    fn word(self) -> &'static str {
        match self {
            RemoveOp::Remove => "remove",
            RemoveOp::Delete => "delete",
        }
    }
}

/// The interface as read before the change: typed, and raw (for restoring it exactly and for
/// mirroring the release's layout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub config: InterfaceConfig,
    pub entry: Node,
}

/// What an edit is built against.
#[derive(Debug, Clone, Copy)]
pub struct EditContext<'a> {
    pub before: &'a Snapshot,
    pub remove: RemoveOp,
}

/// The children of `<config>` for an edit-config carrying `change`.
pub fn edit_config(change: &ValidChange, ctx: &EditContext<'_>) -> Result<Vec<u8>, ProfileError> {
    match change.profile {
        Profile::Iosxe => iosxe::edit_config(change, ctx),
        Profile::Ietf => ietf::edit_config(change, ctx),
    }
}

/// The subtree filter (content of `<filter type="subtree">`) selecting the whole interface entry.
pub fn read_filter(profile: Profile, name: &InterfaceName) -> Result<Vec<u8>, ProfileError> {
    match profile {
        Profile::Iosxe => iosxe::read_filter(name),
        Profile::Ietf => ietf::read_filter(name),
    }
}

/// The interface out of a get-config `<data>` reply; `None` when the device has no such interface.
pub fn parse_data(
    profile: Profile,
    name: &InterfaceName,
    data: &[u8],
) -> Result<Option<Snapshot>, ProfileError> {
    let tops = data_children(data)?;
    Ok(match profile {
        Profile::Iosxe => iosxe::find(&tops, name),
        Profile::Ietf => ietf::find(&tops, name),
    })
}

/// An edit-config body that puts the snapshot's interface entry back exactly (replace of that entry).
pub fn restore_config(profile: Profile, snapshot: &Snapshot) -> Result<Vec<u8>, ProfileError> {
    let mut x = Xml::new();
    let replace = [("xmlns:nc", NC_NS), ("nc:operation", "replace")];
    match profile {
        Profile::Iosxe => {
            x.open("native", &[("xmlns", NATIVE_NS)]);
            x.open("interface", &[]);
            x.node(&snapshot.entry, Some(NATIVE_NS), &replace, 0)?;
            x.close("interface");
            x.close("native");
        }
        Profile::Ietf => {
            x.open("interfaces", &[("xmlns", IETF_IF_NS)]);
            x.node(&snapshot.entry, Some(IETF_IF_NS), &replace, 0)?;
            x.close("interfaces");
        }
    }
    x.finish()
}

pub use super::restconf::PathSeg;

/// A RESTCONF write: one PATCH (merge) body on the entry, then DELETEs of leaves relative to it.
#[derive(Debug, Clone, PartialEq)]
pub struct RestconfPlan {
    /// `None` when the change only removes things.
    pub patch: Option<serde_json::Value>,
    pub deletes: Vec<Vec<PathSeg>>,
}

/// The entry path (`Cisco-IOS-XE-native:native/interface/GigabitEthernet=1%2F0%2F2`).
pub fn restconf_entry(profile: Profile, name: &InterfaceName) -> Vec<PathSeg> {
    match profile {
        Profile::Iosxe => iosxe::restconf_entry(name),
        Profile::Ietf => ietf::restconf_entry(name),
    }
}

pub fn restconf_plan(change: &ValidChange, before: &InterfaceConfig) -> RestconfPlan {
    match change.profile {
        Profile::Iosxe => iosxe::restconf_plan(change, before),
        Profile::Ietf => ietf::restconf_plan(change, before),
    }
}

/// Leaves the change created that did not exist before: a PATCH of the snapshot cannot remove them,
/// so the restore DELETEs them first.
pub fn restconf_undo(change: &ValidChange, before: &InterfaceConfig) -> Vec<Vec<PathSeg>> {
    match change.profile {
        Profile::Iosxe => iosxe::restconf_undo(change, before),
        Profile::Ietf => ietf::restconf_undo(change, before),
    }
}

/// The interface out of a RESTCONF GET of the entry (object or one-element array form).
pub fn parse_restconf(
    profile: Profile,
    name: &InterfaceName,
    json: &serde_json::Value,
) -> Option<Snapshot> {
    let root = tree::from_json(json);
    match profile {
        Profile::Iosxe => iosxe::find(&root.children, name),
        Profile::Ietf => ietf::find(&root.children, name),
    }
}

/// Top-level elements of a `<data>` reply, whether given as the `<data>` element itself, one
/// top-level element, or several (the content of `<data>`).
fn data_children(data: &[u8]) -> Result<Vec<Node>, ProfileError> {
    let trimmed = data.trim_ascii();
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    match tree::from_xml(trimmed) {
        Ok(root) if root.name == "data" => Ok(root.children),
        Ok(root) => Ok(vec![root]),
        Err(first) => {
            // Several siblings: give them a root. An XML declaration would be illegal inside it.
            let body = match trimmed.strip_prefix(b"<?xml") {
                Some(rest) => match rest.windows(2).position(|w| w == b"?>") {
                    Some(i) => &rest[i + 2..],
                    None => return Err(ProfileError::Data(first)),
                },
                None => trimmed,
            };
            let mut wrapped = Vec::with_capacity(body.len() + 13);
            wrapped.extend_from_slice(b"<data>");
            wrapped.extend_from_slice(body);
            wrapped.extend_from_slice(b"</data>");
            tree::from_xml(&wrapped)
                .map(|r| r.children)
                .map_err(|_| ProfileError::Data(first))
        }
    }
}

/// Removal of an optional node, honouring `RemoveOp` (see there).
fn removal(x: &mut Xml, name: &str, present: bool, op: RemoveOp) {
    if op == RemoveOp::Remove || present {
        x.empty(name, &[("xmlns:nc", NC_NS), ("nc:operation", op.word())]);
    }
}

/// A small escaping XML writer: names are ours (or checked device names), all text and attribute
/// values go through quick-xml's escaping. The first write error is kept and reported by `finish`.
pub(crate) struct Xml {
    w: Writer<Vec<u8>>,
    err: Option<String>,
}

impl Xml {
    pub(crate) fn new() -> Self {
        Xml {
            w: Writer::new(Vec::new()),
            err: None,
        }
    }

    fn put(&mut self, e: Event<'_>) {
        if self.err.is_none() {
            if let Err(e) = self.w.write_event(e) {
                self.err = Some(e.to_string());
            }
        }
    }

    pub(crate) fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let mut s = BytesStart::new(name);
        for a in attrs {
            s.push_attribute(*a);
        }
        self.put(Event::Start(s));
    }

    pub(crate) fn close(&mut self, name: &str) {
        self.put(Event::End(BytesEnd::new(name)));
    }

    pub(crate) fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let mut s = BytesStart::new(name);
        for a in attrs {
            s.push_attribute(*a);
        }
        self.put(Event::Empty(s));
    }

    pub(crate) fn leaf(&mut self, name: &str, text: &str) {
        self.open(name, &[]);
        self.put(Event::Text(BytesText::new(text)));
        self.close(name);
    }

    /// Writes a device-read node back, re-declaring namespaces where they change. Device names are
    /// checked to be plain XML names so nothing read can turn into markup.
    fn node(
        &mut self,
        n: &Node,
        parent_ns: Option<&str>,
        extra: &[(&str, &str)],
        depth: usize,
    ) -> Result<(), ProfileError> {
        if depth > tree::MAX_DEPTH {
            return Err(ProfileError::Data(XmlError::Unexpected(
                "snapshot nested too deeply".into(),
            )));
        }
        if !plain_name(&n.name) {
            return Err(ProfileError::Data(XmlError::Unexpected(format!(
                "element name {:?} cannot be written back",
                n.name.chars().take(40).collect::<String>()
            ))));
        }
        let mut attrs: Vec<(&str, &str)> = Vec::new();
        if n.ns.as_deref() != parent_ns {
            attrs.push(("xmlns", n.ns.as_deref().unwrap_or("")));
        }
        attrs.extend_from_slice(extra);
        match (&n.text, n.children.is_empty()) {
            (None, true) => self.empty(&n.name, &attrs),
            (Some(t), true) => {
                self.open(&n.name, &attrs);
                self.put(Event::Text(BytesText::new(t)));
                self.close(&n.name);
            }
            (_, false) => {
                self.open(&n.name, &attrs);
                for c in &n.children {
                    self.node(c, n.ns.as_deref(), &[], depth + 1)?;
                }
                self.close(&n.name);
            }
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<Vec<u8>, ProfileError> {
        match self.err {
            Some(e) => Err(ProfileError::Build(e)),
            None => Ok(self.w.into_inner()),
        }
    }
}

fn plain_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && s.len() <= 128
}

#[cfg(test)]
mod tests;
