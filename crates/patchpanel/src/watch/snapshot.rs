//! A device's running configuration as a snapshot (pure): the generic data tree (`device::tree`)
//! flattened into sorted lines, one per leaf, each under the section an operator thinks in
//! (`interface GigabitEthernet1/0/3`, `vlan 30`, `vrf definition BLUE`, `hostname`), with a
//! lossless line-based text form for the store and its SHA-256.
//!
//! Without the YANG modules the tree does not say which elements are list entries, so these rules
//! stand in for them:
//! * an element with children is a **list entry** when it has a key leaf: the one the table
//!   [`KNOWN_KEYS`] names for its element name, else a `name` leaf, else an `id` leaf. Its path
//!   segment is `element[key=value]` and the key leaf itself is no line of its own;
//! * repeated sibling containers with no key are numbered `element[#1]`, `element[#2]`, … in the
//!   order of their content (not of the document), so reordering them changes nothing;
//! * repeated leaves (leaf-lists) are one line per value under the same path;
//! * an empty leaf or presence container (`<shutdown/>`, JSON `[null]`) is a line without a value;
//!   a list entry with nothing but its key is a line with an empty path and no value (it exists).
//!
//! Sections: under the IOS-XE `native` root, `interface/<Type>[name=N]` is `interface <Type>N`,
//! `vlan/vlan-list[id=N]` is `vlan N`; under ietf `interfaces`, `interface[name=N]` is
//! `interface N`. Anything else falls back to the generic rule: a top-level leaf is its own
//! section (`hostname`), a top-level list entry is `element key`, a list entry one level down is
//! `element child key` (`vrf definition BLUE`, `router bgp 65000`), and every other leaf belongs to
//! its top-level element's section (`ip`). Under a model root other than `native` and ietf
//! `interfaces` the sections start with the root's name. Same-named containers directly under a
//! model root are read as one (YANG has each container once; a reply split in two reads the
//! same). Namespaces are ignored (local names
//! only), and lines are sorted, so neither prefixes nor sibling order can make a difference.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::device::tree::{self, Node};

/// Most lines a snapshot holds (a large switch's configuration is a few tens of thousands).
pub const MAX_LINES: usize = 200_000;
/// Most bytes of paths and values a snapshot holds.
pub const MAX_BYTES: usize = 32 * 1024 * 1024;
/// Deepest nesting flattened: above what `tree::from_xml`/`from_json` build, so only a tree made
/// by hand can reach it (it bounds the recursion, not the device's data).
pub const MAX_DEPTH: usize = 2 * tree::MAX_DEPTH;

/// First line of the text form; the number changes with the format.
pub const TEXT_HEADER: &str = "patchpanel-snapshot 1";

/// List keys that are neither `name` nor `id`, or that must win over a `name` leaf (a VLAN has a
/// `name` but is keyed by its `id`): element name → key leaf.
pub const KNOWN_KEYS: &[(&str, &str)] = &[
    ("vlan-list", "id"),
    ("without-stitching", "asn-ip"),
    ("address", "ip"),
];

/// Section names of interfaces start with this (the diff's `interfaces()` relies on it).
pub const INTERFACE_SECTION: &str = "interface ";

/// Why a configuration cannot be a snapshot, or stored text is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("the configuration has more than {limit} lines")]
    TooManyLines { limit: usize },
    #[error("the configuration is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the configuration is nested deeper than {limit} levels")]
    TooDeep { limit: usize },
    /// Stored text that is not a snapshot's (line 1 is the header).
    #[error("stored snapshot is corrupt at line {line}: {reason}")]
    Corrupt { line: usize, reason: &'static str },
}

/// One leaf of the configuration. Ordered by section, path, value, then model, which is the
/// snapshot's order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Line {
    /// The configuration path an operator thinks in: `interface GigabitEthernet1/0/3`.
    pub section: String,
    /// The rest of the path inside the section, `/`-separated, list entries as `e[key=value]`;
    /// empty when the section itself is the leaf (`hostname`) or an entry with only its key.
    pub path: String,
    /// The leaf's text exactly as the device sent it; `None` for an empty leaf / presence container.
    pub value: Option<String>,
    /// The model root the line came from (`native`, `interfaces`, …), so two models describing the
    /// same interface stay apart.
    pub model: String,
}

/// A configuration as sorted lines. Made only by [`Snapshot::from_tree`] and
/// [`Snapshot::from_text`], so the lines are always sorted and within the bounds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    lines: Vec<Line>,
}

impl Snapshot {
    /// Flattens a configuration: a `<rpc-reply>`, a `<data>`/`<config>` element, a JSON document's
    /// root (`tree::from_json`), or one model root (`<native>`) itself.
    pub fn from_tree(root: &Node) -> Result<Snapshot, SnapshotError> {
        let mut flat = Flattener::default();
        for model in model_roots(root) {
            flat.model(model)?;
        }
        let mut lines = flat.lines;
        lines.sort_unstable();
        Ok(Snapshot { lines })
    }

    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Whether any line belongs to `section` (binary search: lines are sorted by section first).
    pub fn has_section(&self, section: &str) -> bool {
        let i = self.lines.partition_point(|l| l.section.as_str() < section);
        self.lines.get(i).is_some_and(|l| l.section == section)
    }

    /// The stored form: [`TEXT_HEADER`], then one line per leaf,
    /// `model TAB section TAB path TAB value`, each ending in `\n`. The value is `-` for none and
    /// `=` followed by the text otherwise. In every field `\` `TAB` `LF` `CR` are written `\\` `\t`
    /// `\n` `\r` and the other C0 controls and DEL `\xHH`; everything else is as is.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.lines.len() * 64);
        out.push_str(TEXT_HEADER);
        out.push('\n');
        for l in &self.lines {
            escape_into(&mut out, &l.model);
            out.push('\t');
            escape_into(&mut out, &l.section);
            out.push('\t');
            escape_into(&mut out, &l.path);
            out.push('\t');
            match &l.value {
                None => out.push('-'),
                Some(v) => {
                    out.push('=');
                    escape_into(&mut out, v);
                }
            }
            out.push('\n');
        }
        out
    }

    /// Reads [`Snapshot::to_text`]'s form back; anything else (a missing header or newline, a
    /// wrong field count, a bad escape, lines out of order, over the bounds) is
    /// [`SnapshotError::Corrupt`] or a bound's error, never a panic.
    pub fn from_text(text: &str) -> Result<Snapshot, SnapshotError> {
        let corrupt = |line: usize, reason: &'static str| SnapshotError::Corrupt { line, reason };
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| corrupt(1, "the text does not end with a newline"))?;
        let mut rows = body.split('\n');
        if rows.next() != Some(TEXT_HEADER) {
            return Err(corrupt(1, "not a snapshot (unknown header)"));
        }
        let mut budget = Budget::default();
        let mut lines: Vec<Line> = Vec::new();
        for (i, row) in rows.enumerate() {
            let n = i + 2;
            let mut fields = row.split('\t');
            let (Some(model), Some(section), Some(path), Some(value), None) = (
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
            ) else {
                return Err(corrupt(n, "a line must have four tab-separated fields"));
            };
            let value = match (value, value.strip_prefix('=')) {
                ("-", _) => None,
                (_, Some(v)) => Some(
                    unescape(v)
                        .ok_or_else(|| corrupt(n, "a bad escape or a raw control character"))?,
                ),
                _ => return Err(corrupt(n, "a value must be `-` or start with `=`")),
            };
            let line = Line {
                model: unescape(model)
                    .ok_or_else(|| corrupt(n, "a bad escape or a raw control character"))?,
                section: unescape(section)
                    .ok_or_else(|| corrupt(n, "a bad escape or a raw control character"))?,
                path: unescape(path)
                    .ok_or_else(|| corrupt(n, "a bad escape or a raw control character"))?,
                value,
            };
            budget.add(&line.section, &line.path, line.value.as_deref())?;
            if lines.last().is_some_and(|prev| *prev > line) {
                return Err(corrupt(n, "lines out of order"));
            }
            lines.push(line);
        }
        Ok(Snapshot { lines })
    }

    /// SHA-256 of [`Snapshot::to_text`], lowercase hex: equal digests, equal configurations.
    pub fn digest(&self) -> String {
        let hash = Sha256::digest(self.to_text().as_bytes());
        let mut hex = String::with_capacity(64);
        for b in hash {
            let _ = write!(hex, "{b:02x}");
        }
        hex
    }
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

/// The inverse of `escape_into`; `None` on an escape it never writes (so the form stays one-to-one).
fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        // A raw control character is never written (a stray CR from a CRLF file included).
        if c < ' ' || c == '\u{7f}' {
            return None;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '\\' => out.push('\\'),
            't' => out.push('\t'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            'x' => {
                // Only `\xHH` with uppercase digits for a control other than TAB/LF/CR is ever
                // written; accepting `\x0a` or `\x41` would give one snapshot two texts.
                let (hi, lo) = (chars.next()?, chars.next()?);
                if !is_upper_hex(hi) || !is_upper_hex(lo) {
                    return None;
                }
                let c = char::from_u32(hi.to_digit(16)? * 16 + lo.to_digit(16)?)?;
                if !(c < ' ' || c == '\u{7f}') || matches!(c, '\t' | '\n' | '\r') {
                    return None;
                }
                out.push(c);
            }
            _ => return None,
        }
    }
    Some(out)
}

fn is_upper_hex(c: char) -> bool {
    c.is_ascii_digit() || ('A'..='F').contains(&c)
}

/// Lines and bytes held so far, checked at every line so a huge tree fails early, not by OOM.
#[derive(Default)]
struct Budget {
    lines: usize,
    bytes: usize,
}

impl Budget {
    fn add(&mut self, a: &str, b: &str, value: Option<&str>) -> Result<(), SnapshotError> {
        self.lines += 1;
        self.bytes += a.len() + b.len() + value.map_or(0, str::len);
        if self.lines > MAX_LINES {
            Err(SnapshotError::TooManyLines { limit: MAX_LINES })
        } else if self.bytes > MAX_BYTES {
            Err(SnapshotError::TooLarge { limit: MAX_BYTES })
        } else {
            Ok(())
        }
    }

    /// Gives back what a temporary line held when it is replaced by its final form.
    fn release(&mut self, path: &str, value: Option<&str>) {
        self.lines = self.lines.saturating_sub(1);
        self.bytes = self
            .bytes
            .saturating_sub(path.len() + value.map_or(0, str::len));
    }
}

/// The model roots inside whatever wrapper the caller read.
fn model_roots(root: &Node) -> Vec<&Node> {
    match root.name.as_str() {
        "rpc-reply" => root
            .children_named("data")
            .flat_map(|d| d.children.iter())
            .collect(),
        "data" | "config" | "" => root.children.iter().collect(),
        _ => vec![root],
    }
}

fn is_leaf(n: &Node) -> bool {
    n.children.is_empty()
}

/// The key leaf of a list entry (module doc): `(key name, key value)`.
fn key_of(n: &Node) -> Option<(&str, &str)> {
    if is_leaf(n) {
        return None;
    }
    let known = KNOWN_KEYS
        .iter()
        .find(|(element, _)| *element == n.name)
        .map(|(_, key)| *key);
    known.into_iter().chain(["name", "id"]).find_map(|key| {
        n.children
            .iter()
            .find(|c| c.name == key && is_leaf(c))
            .and_then(|c| c.text.as_deref())
            .map(|v| (key, v))
    })
}

/// How a list entry one level below a top-level container is named as a section.
type SectionName = fn(base: &str, container: &str, entry: &str, key: &str) -> String;

fn generic_section(base: &str, _container: &str, entry: &str, key: &str) -> String {
    format!("{base} {entry} {key}")
}

/// The IOS-XE native table: `interface GigabitEthernet1/0/3`, `vlan 30`; otherwise generic.
fn native_section(base: &str, container: &str, entry: &str, key: &str) -> String {
    match (container, entry) {
        ("interface", _) => format!("interface {entry}{key}"),
        ("vlan", "vlan-list") => format!("vlan {key}"),
        _ => generic_section(base, container, entry, key),
    }
}

/// ietf-interfaces: `interface GigabitEthernet1/0/3`.
fn ietf_section(base: &str, container: &str, entry: &str, key: &str) -> String {
    match entry {
        "interface" => format!("{INTERFACE_SECTION}{key}"),
        _ => generic_section(base, container, entry, key),
    }
}

type Rel = (String, Option<String>);

#[derive(Default)]
struct Flattener {
    lines: Vec<Line>,
    budget: Budget,
}

impl Flattener {
    fn model(&mut self, root: &Node) -> Result<(), SnapshotError> {
        let model = root.name.as_str();
        if is_leaf(root) {
            return self.push(model, model, String::new(), root.text.clone());
        }
        match model {
            "native" => self.top_level(root, model, "", native_section),
            "interfaces" => self.container(root, model, model, ietf_section),
            _ => self.top_level(root, model, &format!("{model} "), generic_section),
        }
    }

    /// The children of a model root, each a section or split into sections.
    fn top_level(
        &mut self,
        root: &Node,
        model: &str,
        prefix: &str,
        name: SectionName,
    ) -> Result<(), SnapshotError> {
        for e in &root.children {
            let section = format!("{prefix}{}", e.name);
            if is_leaf(e) {
                self.push(model, &section, String::new(), e.text.clone())?;
            } else if let Some((key, value)) = key_of(e) {
                let section = format!("{section} {value}");
                self.entry(e, key, model, &section)?;
            } else {
                self.container(e, model, &section, name)?;
            }
        }
        Ok(())
    }

    /// A top-level container: its list entries are sections of their own, the rest is `base`.
    fn container(
        &mut self,
        e: &Node,
        model: &str,
        base: &str,
        name: SectionName,
    ) -> Result<(), SnapshotError> {
        let mut keyed = false;
        for c in &e.children {
            if let Some((key, value)) = key_of(c) {
                keyed = true;
                let section = name(base, &e.name, &c.name, value);
                self.entry(c, key, model, &section)?;
            }
        }
        let mut rels = Vec::new();
        let skip_entries = |c: &Node| key_of(c).is_some();
        let skip_nothing = |_: &Node| false;
        let skip: &dyn Fn(&Node) -> bool = if keyed { &skip_entries } else { &skip_nothing };
        walk(e, skip, "", &mut rels, &mut self.budget, 1)?;
        self.section(model, base, rels)
    }

    /// A list entry that is a section: its lines, or one line saying it exists.
    fn entry(
        &mut self,
        e: &Node,
        key: &str,
        model: &str,
        section: &str,
    ) -> Result<(), SnapshotError> {
        let mut rels = Vec::new();
        let skip = |c: &Node| c.name == key && is_leaf(c);
        walk(e, &skip, "", &mut rels, &mut self.budget, 1)?;
        if rels.is_empty() {
            return self.push(model, section, String::new(), None);
        }
        self.section(model, section, rels)
    }

    fn section(&mut self, model: &str, section: &str, rels: Vec<Rel>) -> Result<(), SnapshotError> {
        for (path, value) in rels {
            self.budget.release(&path, value.as_deref());
            self.push(model, section, path, value)?;
        }
        Ok(())
    }

    fn push(
        &mut self,
        model: &str,
        section: &str,
        path: String,
        value: Option<String>,
    ) -> Result<(), SnapshotError> {
        self.budget.add(section, &path, value.as_deref())?;
        self.lines.push(Line {
            section: section.to_string(),
            path,
            value,
            model: model.to_string(),
        });
        Ok(())
    }
}

/// Names of unkeyed containers that occur more than once among `n`'s children.
fn repeated_containers(n: &Node) -> Vec<&str> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for c in n
        .children
        .iter()
        .filter(|c| !is_leaf(c) && key_of(c).is_none())
    {
        *counts.entry(c.name.as_str()).or_default() += 1;
    }
    counts
        .into_iter()
        .filter(|(_, count)| *count > 1)
        .map(|(name, _)| name)
        .collect()
}

fn join(prefix: &str, segment: &str) -> String {
    if prefix.is_empty() {
        segment.to_string()
    } else {
        format!("{prefix}/{segment}")
    }
}

/// Appends a line for every leaf below `n` (children for which `skip` holds left out), paths
/// under `prefix`.
fn walk(
    n: &Node,
    skip: &dyn Fn(&Node) -> bool,
    prefix: &str,
    out: &mut Vec<Rel>,
    budget: &mut Budget,
    depth: usize,
) -> Result<(), SnapshotError> {
    if depth > MAX_DEPTH {
        return Err(SnapshotError::TooDeep { limit: MAX_DEPTH });
    }
    let repeated = repeated_containers(n);
    let mut groups: BTreeMap<&str, Vec<Vec<Rel>>> = BTreeMap::new();
    let no_skip = |_: &Node| false;
    for c in n.children.iter().filter(|c| !skip(c)) {
        if is_leaf(c) {
            let path = join(prefix, &c.name);
            budget.add(&path, "", c.text.as_deref())?;
            out.push((path, c.text.clone()));
        } else if let Some((key, value)) = key_of(c) {
            let path = join(prefix, &format!("{}[{key}={value}]", c.name));
            let before = out.len();
            let skip_key = |k: &Node| k.name == key && is_leaf(k);
            walk(c, &skip_key, &path, out, budget, depth + 1)?;
            if out.len() == before {
                budget.add(&path, "", None)?;
                out.push((path, None));
            }
        } else if repeated.contains(&c.name.as_str()) {
            let mut rels = Vec::new();
            walk(c, &no_skip, "", &mut rels, budget, depth + 1)?;
            groups.entry(c.name.as_str()).or_default().push(rels);
        } else {
            walk(c, &no_skip, &join(prefix, &c.name), out, budget, depth + 1)?;
        }
    }
    for (name, mut entries) in groups {
        // Numbered in the order of their content, so the document's order does not matter.
        for rels in &mut entries {
            rels.sort_unstable();
        }
        entries.sort_unstable();
        for (i, rels) in entries.into_iter().enumerate() {
            let base = join(prefix, &format!("{name}[#{}]", i + 1));
            for (path, value) in rels {
                budget.release(&path, value.as_deref());
                let full = join(&base, &path);
                budget.add(&full, "", value.as_deref())?;
                out.push((full, value));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;
