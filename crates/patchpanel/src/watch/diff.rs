//! What changed between two snapshots, per section (pure apart from the diff's time guard): the
//! `similar` crate diffs the sorted lines, and the removed and added lines are grouped into whole
//! sections added or removed and leaves added, removed or changed inside a section; rendered as
//! plain text lines (values quoted and control and disguising characters made visible; the caller
//! escapes for markdown) and as a one-line summary.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use similar::{Algorithm, DiffTag};

use super::snapshot::{Line, Snapshot, INTERFACE_SECTION};
use crate::iface::canonical;
use crate::text_safety;

/// Longest [`ConfigDiff::summary`], in characters.
pub const MAX_SUMMARY_CHARS: usize = 160;
/// Longest section name shown in the summary, in characters.
const MAX_SUMMARY_SECTION: usize = 48;
/// How long `similar` may look for the shortest edit script before it settles for a longer one.
/// The result does not depend on it: lines the script both removes and adds are cancelled, so
/// the diff is always "old minus new" and "new minus old"; the limit only bounds the time two
/// wholly different 200,000-line configurations can take.
const DIFF_TIME_LIMIT: Duration = Duration::from_secs(2);

/// The differences between two configurations, sections in sorted order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigDiff {
    sections: Vec<SectionDiff>,
}

/// One section's changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionDiff {
    /// `interface GigabitEthernet1/0/3`, `vlan 30`, `hostname`.
    pub name: String,
    pub kind: SectionKind,
    /// In path order; for a section added (removed) every leaf is `Added` (`Removed`).
    pub leaves: Vec<LeafChange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    /// Not in the old configuration.
    Added,
    /// Not in the new configuration.
    Removed,
    /// In both, with leaves that differ.
    Changed,
}

/// A leaf's change. `path` is relative to the section (empty: the section itself, as `hostname`
/// or an entry that only exists); `None` is an empty leaf (`shutdown`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "change")]
pub enum LeafChange {
    Added {
        path: String,
        value: Option<String>,
    },
    Removed {
        path: String,
        value: Option<String>,
    },
    Changed {
        path: String,
        old: Option<String>,
        new: Option<String>,
    },
}

impl LeafChange {
    pub fn path(&self) -> &str {
        match self {
            LeafChange::Added { path, .. }
            | LeafChange::Removed { path, .. }
            | LeafChange::Changed { path, .. } => path,
        }
    }
}

impl SectionDiff {
    /// The interface this section configures (`GigabitEthernet1/0/3`), if it is one.
    pub fn interface(&self) -> Option<&str> {
        self.name.strip_prefix(INTERFACE_SECTION)
    }
}

/// Rendered lines, cut to a count, and how many lines were left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub lines: Vec<String>,
    pub left_out: usize,
}

impl ConfigDiff {
    pub fn between(old: &Snapshot, new: &Snapshot) -> ConfigDiff {
        let (a, b) = (old.lines(), new.lines());
        let deadline = Instant::now().checked_add(DIFF_TIME_LIMIT);
        let ops = similar::capture_diff_slices_deadline(Algorithm::Myers, a, b, deadline);
        let (mut removed, mut added) = (Vec::new(), Vec::new());
        for op in ops {
            let (tag, from, to) = op.as_tag_tuple();
            match tag {
                DiffTag::Equal => {}
                DiffTag::Delete => removed.extend(&a[from]),
                DiffTag::Insert => added.extend(&b[to]),
                DiffTag::Replace => {
                    removed.extend(&a[from]);
                    added.extend(&b[to]);
                }
            }
        }
        let (removed, added) = cancel(removed, added);
        let mut sections = Vec::new();
        let (mut r, mut d) = (removed.as_slice(), added.as_slice());
        while let Some(name) = match (r.first(), d.first()) {
            (Some(x), Some(y)) => Some(x.section.as_str().min(y.section.as_str())),
            (Some(x), None) => Some(x.section.as_str()),
            (None, Some(y)) => Some(y.section.as_str()),
            (None, None) => None,
        } {
            let gone = take_section(&mut r, name);
            let came = take_section(&mut d, name);
            let section = match (old.has_section(name), new.has_section(name)) {
                (false, _) => whole(name, SectionKind::Added, came),
                (_, false) => whole(name, SectionKind::Removed, gone),
                (true, true) => changed(name, gone, came),
            };
            if !section.leaves.is_empty() {
                sections.push(section);
            }
        }
        ConfigDiff { sections }
    }

    pub fn is_empty(&self) -> bool {
        self.sections.is_empty()
    }

    pub fn sections(&self) -> &[SectionDiff] {
        &self.sections
    }

    /// The interfaces whose sections changed (`GigabitEthernet1/0/3`), sorted, each once.
    pub fn interfaces(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .sections
            .iter()
            .filter_map(SectionDiff::interface)
            .map(str::to_string)
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// One line of at most [`MAX_SUMMARY_CHARS`] characters: `Gi1/0/7 description; + vlan 30`,
    /// ending `… N more` when sections were left out.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for (i, s) in self.sections.iter().enumerate() {
            let part = summary_part(s);
            let sep = if out.is_empty() { "" } else { "; " };
            let rest = self.sections.len() - i;
            // Room for this part and, should more follow, for the `; … N more` tail.
            let tail = if rest > 1 { 16 } else { 0 };
            if chars(&out) + chars(sep) + chars(&part) + tail > MAX_SUMMARY_CHARS {
                out.push_str(sep);
                out.push_str(&format!("… {rest} more"));
                return out;
            }
            out.push_str(sep);
            out.push_str(&part);
        }
        out
    }

    /// Plain text lines, at most `max_lines` of them (`interface GigabitEthernet1/0/3:
    /// description "a" → "b"`, `+ vlan 30 name GUEST`, a section added with several leaves as
    /// `+ interface Loopback5` and its leaves indented below); `left_out` counts the lines cut.
    pub fn render(&self, max_lines: usize) -> Rendered {
        let mut lines = Vec::new();
        let mut total = 0;
        for s in &self.sections {
            for line in section_lines(s) {
                total += 1;
                if lines.len() < max_lines {
                    lines.push(line);
                }
            }
        }
        let left_out = total - lines.len();
        Rendered { lines, left_out }
    }
}

/// Drops the lines both removed and added (equal lines an inexact edit script moved): what is
/// left is the old lines not in the new configuration and the new lines not in the old one.
fn cancel<'a>(removed: Vec<&'a Line>, added: Vec<&'a Line>) -> (Vec<&'a Line>, Vec<&'a Line>) {
    let (mut r, mut d) = (Vec::with_capacity(removed.len()), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < removed.len() && j < added.len() {
        match removed[i].cmp(added[j]) {
            std::cmp::Ordering::Less => {
                r.push(removed[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                d.push(added[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    r.extend(&removed[i..]);
    d.extend(&added[j..]);
    (r, d)
}

/// The leading lines of `lines` that belong to `section` (lines are sorted by section first).
fn take_section<'a>(lines: &mut &'a [&'a Line], section: &str) -> &'a [&'a Line] {
    let n = lines.iter().take_while(|l| l.section == section).count();
    let (head, tail) = lines.split_at(n);
    *lines = tail;
    head
}

fn whole(name: &str, kind: SectionKind, lines: &[&Line]) -> SectionDiff {
    let mut leaves: Vec<LeafChange> = lines
        .iter()
        .map(|l| {
            let (path, value) = (l.path.clone(), l.value.clone());
            match kind {
                SectionKind::Removed => LeafChange::Removed { path, value },
                _ => LeafChange::Added { path, value },
            }
        })
        .collect();
    // The same leaf seen through two models (native and ietf-interfaces) is told once.
    leaves.dedup();
    SectionDiff {
        name: name.to_string(),
        kind,
        leaves,
    }
}

/// A section in both: a leaf removed and one added under the same path (and model) is a change.
fn changed(name: &str, gone: &[&Line], came: &[&Line]) -> SectionDiff {
    type Side<'a> = (Vec<&'a Line>, Vec<&'a Line>);
    let mut by_path: BTreeMap<(&str, &str), Side<'_>> = BTreeMap::new();
    for l in gone {
        by_path.entry((&l.path, &l.model)).or_default().0.push(l);
    }
    for l in came {
        by_path.entry((&l.path, &l.model)).or_default().1.push(l);
    }
    let mut leaves = Vec::new();
    for ((path, _), (old, new)) in by_path {
        // An entry's "it exists" line says nothing once the section has leaves on both sides.
        if path.is_empty() && old.iter().chain(&new).all(|l| l.value.is_none()) {
            continue;
        }
        if let ([o], [n]) = (old.as_slice(), new.as_slice()) {
            leaves.push(LeafChange::Changed {
                path: path.to_string(),
                old: o.value.clone(),
                new: n.value.clone(),
            });
            continue;
        }
        for l in old {
            leaves.push(LeafChange::Removed {
                path: path.to_string(),
                value: l.value.clone(),
            });
        }
        for l in new {
            leaves.push(LeafChange::Added {
                path: path.to_string(),
                value: l.value.clone(),
            });
        }
    }
    leaves.dedup();
    SectionDiff {
        name: name.to_string(),
        kind: SectionKind::Changed,
        leaves,
    }
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn summary_part(s: &SectionDiff) -> String {
    let name = cut(&shown(&short_section(&s.name)), MAX_SUMMARY_SECTION);
    match s.kind {
        SectionKind::Added => format!("+ {name}"),
        SectionKind::Removed => format!("- {name}"),
        SectionKind::Changed => {
            let mut what: Vec<String> = Vec::new();
            for leaf in &s.leaves {
                let first = leaf.path().split('/').next().unwrap_or_default();
                let word = first.split('[').next().unwrap_or_default();
                if !word.is_empty() && !what.iter().any(|w| w == word) {
                    what.push(word.to_string());
                }
            }
            if what.is_empty() {
                name
            } else {
                cut(
                    &format!("{name} {}", shown(&what.join(","))),
                    MAX_SUMMARY_SECTION,
                )
            }
        }
    }
}

/// `interface GigabitEthernet1/0/7` → `Gi1/0/7` by the bot's one interface table.
fn short_section(section: &str) -> String {
    let Some(name) = section.strip_prefix(INTERFACE_SECTION) else {
        return section.to_string();
    };
    let typ = canonical::TYPES
        .iter()
        .filter(|t| {
            name.strip_prefix(t.name)
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        })
        .max_by_key(|t| t.name.len());
    match typ {
        Some(t) => format!("{}{}", t.abbreviation, &name[t.name.len()..]),
        None => name.to_string(),
    }
}

fn cut(s: &str, max: usize) -> String {
    if chars(s) <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn section_lines(s: &SectionDiff) -> Vec<String> {
    let name = shown(&s.name);
    let sign = match s.kind {
        SectionKind::Added => "+",
        SectionKind::Removed => "-",
        SectionKind::Changed => {
            return s
                .leaves
                .iter()
                .map(|leaf| format!("{name}: {}", changed_leaf(leaf)))
                .collect();
        }
    };
    match s.leaves.as_slice() {
        [one] => vec![join_words(&[sign, &name, &leaf_words(one)])],
        many => std::iter::once(format!("{sign} {name}"))
            .chain(many.iter().map(|l| format!("    {}", leaf_words(l))))
            .collect(),
    }
}

fn changed_leaf(leaf: &LeafChange) -> String {
    let path = shown(leaf.path());
    match leaf {
        LeafChange::Added { value, .. } => join_words(&["+", &path, &value_word(value)]),
        LeafChange::Removed { value, .. } => join_words(&["-", &path, &value_word(value)]),
        LeafChange::Changed { old, new, .. } => {
            let arrow = format!("{} → {}", quoted_value(old), quoted_value(new));
            join_words(&[&path, &arrow])
        }
    }
}

fn leaf_words(leaf: &LeafChange) -> String {
    let value = match leaf {
        LeafChange::Added { value, .. } | LeafChange::Removed { value, .. } => value,
        LeafChange::Changed { new, .. } => new,
    };
    join_words(&[&shown(leaf.path()), &value_word(value)])
}

fn join_words(words: &[&str]) -> String {
    words
        .iter()
        .filter(|w| !w.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A value beside its path: bare when that reads unambiguously, quoted otherwise.
fn value_word(value: &Option<String>) -> String {
    match value {
        None => String::new(),
        Some(v) if needs_quotes(v) => quoted(v),
        Some(v) => v.clone(),
    }
}

fn quoted_value(value: &Option<String>) -> String {
    match value {
        None => "(empty leaf)".to_string(),
        Some(v) => quoted(v),
    }
}

fn needs_quotes(v: &str) -> bool {
    v.is_empty()
        || v.chars().any(|c| {
            c.is_whitespace()
                || c == '"'
                || c == '\\'
                || is_hidden(c)
                || text_safety::is_disguising(c)
        })
}

/// Characters that would break a rendered line or hide in it.
fn is_hidden(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// `"…"` with `"` and `\` escaped and every control and disguising character visible.
pub fn quoted(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => push_shown(&mut out, c),
        }
    }
    out.push('"');
    out
}

/// Text from the device shown on one line: controls as `\n`, `\t`, `\u{1b}`, disguising
/// characters as `<U+202E>` (the bot's one notation, `text_safety`); nothing else changes.
pub fn shown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_shown(&mut out, c);
    }
    out
}

fn push_shown(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if is_hidden(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
        c if text_safety::is_disguising(c) => out.push_str(&text_safety::visible(c)),
        c => out.push(c),
    }
}

#[cfg(test)]
#[path = "diff_tests.rs"]
mod tests;
