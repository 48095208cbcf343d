//! An `<edit-config>` payload applied to the typed datastore, pure: each top-level unit (the hostname,
//! one native interface entry, one ietf-interfaces entry) is edited as an element tree (`edit`) and then
//! read back into the typed model with the value checks of the native model (MTU 64–18000, VLAN
//! 1–4094, description length 0–200, IPv4 address and mask, VRFs that exist, interfaces that exist;
//! what the switch itself refuses on top is `platform`). Errors carry
//! the path and tag the real server gives (the read-back is `native_parse`). `error-option` decides
//! what happens to the other units.

use super::edit::{self, edit_node, operation_of, Op, Scope};
use super::error::{PathStep, YangError};
use super::model::{IfKind, Interface, NativeConfig, Switchport, NS_IF, NS_IP, NS_NATIVE};
use super::native_parse::{
    invalid, leaf_text, parse_bool, parse_description, parse_ietf_ipv4, parse_native_interface,
    unknown, with, SCHEMA, VLAN_RANGE,
};
use super::render_xml;
use super::xmltree::Element;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorOption {
    StopOnError,
    ContinueOnError,
    RollbackOnError,
}

impl ErrorOption {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "stop-on-error" => Some(Self::StopOnError),
            "continue-on-error" => Some(Self::ContinueOnError),
            "rollback-on-error" => Some(Self::RollbackOnError),
            _ => None,
        }
    }
}

/// Leaves a misbehaving device treats wrongly (fault injection), so read-back verification fails.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValueQuirks {
    /// Descriptions are silently cut to this many characters.
    pub truncate_description: Option<usize>,
    /// Leaves whose new value is silently ignored (the old one stays): `description`, `mtu`,
    /// `shutdown`, `vlan` (access VLAN), `ip`.
    pub ignore: Vec<String>,
}

impl ValueQuirks {
    pub fn is_empty(&self) -> bool {
        self.truncate_description.is_none() && self.ignore.is_empty()
    }

    fn apply(&self, old: Option<&Interface>, new: &mut Interface) {
        if let (Some(max), Some(d)) = (self.truncate_description, new.description.as_mut()) {
            if let Some((cut, _)) = d.char_indices().nth(max) {
                d.truncate(cut);
            }
        }
        let fresh = Interface::blank(new.kind, &new.name);
        let old = old.unwrap_or(&fresh);
        for leaf in &self.ignore {
            match leaf.as_str() {
                "description" => new.description.clone_from(&old.description),
                "mtu" => new.mtu = old.mtu,
                "shutdown" => new.shutdown = old.shutdown,
                "ip" => new.ipv4 = old.ipv4,
                "vlan" => {
                    let old_vlan = match &old.switchport {
                        Some(Switchport::Access { vlan }) => *vlan,
                        _ => None,
                    };
                    if let Some(Switchport::Access { vlan }) = &mut new.switchport {
                        *vlan = old_vlan;
                    }
                }
                _ => {}
            }
        }
    }
}

/// The result of applying one payload: the config to store and every error met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditOutcome {
    pub config: NativeConfig,
    pub errors: Vec<YangError>,
}

/// One independently applied piece of a payload.
enum Unit<'a> {
    Hostname(&'a Element, Op, Scope),
    Native(IfKind, &'a Element, Op, Scope),
    Ietf(&'a Element, Op, Scope),
}

/// Apply `config` (the `<config>` element; `scope` is the scope inside it) to `cfg`.
pub fn apply(
    cfg: &NativeConfig,
    config: &Element,
    scope: &Scope,
    default_op: Op,
    error_option: ErrorOption,
    quirks: &ValueQuirks,
) -> EditOutcome {
    let mut working = cfg.clone();
    let mut errors = Vec::new();
    for unit in units(config, scope, default_op) {
        let result = unit.and_then(|u| apply_unit(&mut working, u, quirks));
        if let Err(e) = result {
            errors.push(e);
            match error_option {
                ErrorOption::ContinueOnError => continue,
                ErrorOption::StopOnError => break,
                ErrorOption::RollbackOnError => {
                    return EditOutcome {
                        config: cfg.clone(),
                        errors,
                    }
                }
            }
        }
    }
    EditOutcome {
        config: working,
        errors,
    }
}

fn container_op(
    e: &Element,
    scope: &Scope,
    inherited: Op,
    path: &[PathStep],
) -> Result<Op, YangError> {
    let op = operation_of(e, scope, path)?.unwrap_or(inherited);
    if matches!(op, Op::Merge | Op::None) {
        Ok(op)
    } else {
        Err(YangError::protocol(
            "operation-not-supported",
            format!("this device does not {op:?} the whole {} container", e.name).to_lowercase(),
        )
        .at(path))
    }
}

fn units<'a>(
    config: &'a Element,
    scope: &Scope,
    default_op: Op,
) -> Vec<Result<Unit<'a>, YangError>> {
    let mut out = Vec::new();
    for top in &config.children {
        let s = scope.enter(top);
        let path = [PathStep::new(&top.ns, &top.name)];
        match (top.ns.as_str(), top.name.as_str()) {
            (NS_NATIVE, "native") => {
                let op = match container_op(top, &s, default_op, &path) {
                    Ok(op) => op,
                    Err(e) => {
                        out.push(Err(e));
                        continue;
                    }
                };
                native_units(top, &s, op, &mut out);
            }
            (NS_IF, "interfaces") => match container_op(top, &s, default_op, &path) {
                Ok(op) => {
                    for c in &top.children {
                        if c.is(NS_IF, "interface") {
                            out.push(Ok(Unit::Ietf(c, op, s.clone())));
                        } else {
                            out.push(Err(unknown(c, &path)));
                        }
                    }
                }
                Err(e) => out.push(Err(e)),
            },
            _ => out.push(Err(unknown(top, &[]))),
        }
    }
    out
}

fn native_units<'a>(
    native: &'a Element,
    s: &Scope,
    op: Op,
    out: &mut Vec<Result<Unit<'a>, YangError>>,
) {
    let base = [PathStep::new(NS_NATIVE, "native")];
    for c in &native.children {
        if c.ns != NS_NATIVE {
            out.push(Err(unknown(c, &base)));
            continue;
        }
        match c.name.as_str() {
            "hostname" => out.push(Ok(Unit::Hostname(c, op, s.clone()))),
            "interface" => {
                let s2 = s.enter(c);
                let path = [base[0].clone(), PathStep::new(NS_NATIVE, "interface")];
                let op2 = match container_op(c, &s2, op, &path) {
                    Ok(op) => op,
                    Err(e) => {
                        out.push(Err(e));
                        continue;
                    }
                };
                for entry in &c.children {
                    match IfKind::ALL
                        .into_iter()
                        .find(|k| entry.is(NS_NATIVE, k.list_name()))
                    {
                        Some(kind) => out.push(Ok(Unit::Native(kind, entry, op2, s2.clone()))),
                        None => out.push(Err(unknown(entry, &path))),
                    }
                }
            }
            "vrf" | "ip" | "router" | "vlan" => out.push(Err(YangError::protocol(
                "operation-not-supported",
                format!(
                    "this simulator edits only hostname and interfaces, not {}",
                    c.name
                ),
            )
            .at(&[base[0].clone(), PathStep::new(NS_NATIVE, &c.name)]))),
            _ => out.push(Err(unknown(c, &base))),
        }
    }
}

fn apply_unit(
    cfg: &mut NativeConfig,
    unit: Unit<'_>,
    quirks: &ValueQuirks,
) -> Result<(), YangError> {
    match unit {
        Unit::Hostname(e, op, s) => {
            let mut path = vec![PathStep::new(NS_NATIVE, "native")];
            let data = Element::leaf(NS_NATIVE, "hostname", cfg.hostname.clone());
            match edit_node(Some(&data), e, op, &s, &SCHEMA, &mut path)? {
                None => cfg.hostname = "Switch".to_owned(),
                Some(h) => {
                    path.push(PathStep::new(NS_NATIVE, "hostname"));
                    let name = leaf_text(&h, &path)?;
                    let ok = (1..=63).contains(&name.len())
                        && name
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
                    if !ok {
                        return Err(invalid(&path, &name, "is not a valid hostname"));
                    }
                    cfg.hostname = name;
                }
            }
            Ok(())
        }
        Unit::Native(kind, e, op, s) => native_unit(cfg, kind, e, op, &s, quirks),
        Unit::Ietf(e, op, s) => ietf_unit(cfg, e, op, &s, quirks),
    }
}

fn valid_name(kind: IfKind, name: &str) -> bool {
    match kind {
        IfKind::Vlan => name.parse::<u16>().is_ok_and(|v| VLAN_RANGE.contains(&v)),
        IfKind::Loopback => name.parse::<u32>().is_ok_and(|v| v <= 2_147_483_647),
        _ => {
            !name.is_empty()
                && name.len() <= 32
                && name
                    .split('/')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        }
    }
}

/// Store `new` in place of the entry with its key, or append it.
fn upsert(cfg: &mut NativeConfig, new: Interface) {
    match cfg
        .interfaces
        .iter_mut()
        .find(|i| i.kind == new.kind && i.name == new.name)
    {
        Some(slot) => *slot = new,
        None => cfg.interfaces.push(new),
    }
}

/// A deleted entry: physical ports fall back to their defaults (`default interface`), logical ones go.
fn delete_entry(cfg: &mut NativeConfig, old: &Interface) {
    if old.kind.is_physical() {
        let mut fresh = Interface::blank(old.kind, &old.name);
        fresh.link_up = old.link_up;
        upsert(cfg, fresh);
    } else {
        cfg.interfaces
            .retain(|i| !(i.kind == old.kind && i.name == old.name));
    }
}

fn missing_name(entry: &Element, path: &[PathStep]) -> YangError {
    YangError::protocol("missing-element", format!("{} has no key name", entry.name))
        .at(&with(path, PathStep::new(&entry.ns, &entry.name)))
        .with_info("bad-element", "name")
}

fn native_unit(
    cfg: &mut NativeConfig,
    kind: IfKind,
    entry: &Element,
    op: Op,
    scope: &Scope,
    quirks: &ValueQuirks,
) -> Result<(), YangError> {
    let mut path = vec![
        PathStep::new(NS_NATIVE, "native"),
        PathStep::new(NS_NATIVE, "interface"),
    ];
    let name = entry
        .child(NS_NATIVE, "name")
        .map(|n| n.text.trim().to_owned())
        .ok_or_else(|| missing_name(entry, &path))?;
    let entry_path = with(&path, edit::step_of(entry, &SCHEMA));
    if !valid_name(kind, &name) {
        return Err(invalid(
            &with(&entry_path, PathStep::new(NS_NATIVE, "name")),
            &name,
            &format!("is not a valid {} number", kind.list_name()),
        ));
    }
    let existing = cfg.interface(kind, &name).cloned();
    let data = existing.as_ref().map(render_xml::native_interface);
    match edit_node(data.as_ref(), entry, op, scope, &SCHEMA, &mut path)? {
        None => {
            if let Some(old) = &existing {
                delete_entry(cfg, old);
            }
            Ok(())
        }
        Some(el) => {
            if existing.is_none() && kind.is_physical() {
                return Err(YangError::application(
                    "invalid-value",
                    format!(
                        "interface {}{name} does not exist on this device",
                        kind.list_name()
                    ),
                )
                .at(&entry_path)
                .with_info("bad-element", kind.list_name()));
            }
            let mut new =
                parse_native_interface(kind, &name, &el, existing.as_ref(), cfg, &entry_path)?;
            quirks.apply(existing.as_ref(), &mut new);
            upsert(cfg, new);
            Ok(())
        }
    }
}

/// `GigabitEthernet1/0/2` → (GigabitEthernet, `1/0/2`).
pub fn split_full_name(full: &str) -> Option<(IfKind, &str)> {
    IfKind::ALL.into_iter().find_map(|k| {
        full.strip_prefix(k.list_name())
            .filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
            .map(|rest| (k, rest))
    })
}

fn ietf_unit(
    cfg: &mut NativeConfig,
    entry: &Element,
    op: Op,
    scope: &Scope,
    quirks: &ValueQuirks,
) -> Result<(), YangError> {
    let mut path = vec![PathStep::new(NS_IF, "interfaces")];
    let full = entry
        .child(NS_IF, "name")
        .map(|n| n.text.trim().to_owned())
        .ok_or_else(|| missing_name(entry, &path))?;
    let entry_path = with(&path, edit::step_of(entry, &SCHEMA));
    let existing = split_full_name(&full).and_then(|(k, n)| cfg.interface(k, n).cloned());
    let data = existing.as_ref().map(render_xml::ietf_interface);
    let result = edit_node(data.as_ref(), entry, op, scope, &SCHEMA, &mut path)?;
    let Some(old) = existing else {
        return match result {
            None => Ok(()),
            Some(_) => Err(YangError::application(
                "invalid-value",
                format!("interface {full} does not exist on this device"),
            )
            .at(&entry_path)
            .with_info("bad-element", "interface")),
        };
    };
    let Some(el) = result else {
        delete_entry(cfg, &old);
        return Ok(());
    };
    let mut new = old.clone();
    new.description = None;
    new.shutdown = false;
    new.ipv4 = None;
    for c in &el.children {
        let p = with(&entry_path, PathStep::new(&c.ns, &c.name));
        match (c.ns.as_str(), c.name.as_str()) {
            (NS_IF, "name") => {}
            (NS_IF, "description") => new.description = Some(parse_description(c, &p)?),
            (NS_IF, "enabled") => new.shutdown = !parse_bool(c, &p)?,
            (NS_IF, "type") => {
                let t = leaf_text(c, &p)?;
                let local = t.rsplit(':').next().unwrap_or("");
                if local != old.kind.iana_type() {
                    return Err(invalid(&p, &t, "does not match the interface's type"));
                }
            }
            (NS_IP, "ipv4") => new.ipv4 = parse_ietf_ipv4(c, &p)?,
            _ => return Err(unknown(c, &entry_path)),
        }
    }
    quirks.apply(Some(&old), &mut new);
    upsert(cfg, new);
    Ok(())
}

#[cfg(test)]
#[path = "native_edit_tests.rs"]
mod tests;
