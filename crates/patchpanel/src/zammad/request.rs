//! The pure reading of a network-change ticket (docs/zammad.md §2): the seven attributes become the
//! `InterfaceChange` the ticket asks for, or every problem at once, each naming the attribute,
//! quoting the value (excerpted, escaped) and saying how to fix it.
//!
//! Rules. Unset is `null` or `""` (blank) and means "leave as is"; for the mode also `::`, as the
//! seed ticket's form sends it. `network_device_name` and `network_interface_name` are required.
//! The interface is read by `crate::iface` (`Gi1/0/5` = `GigabitEthernet1/0/5`) and passed on as
//! written, as W2 does; `change::validate` reads it again for the device's profile. The description
//! gets the ticket tag (`##ticket:N##`, as W2 writes it); `change::validate` bounds it and refuses
//! control and disguising characters.
//! Enabled is `true`/`false`, `"true"`/`"false"` or `"yes"`/`"no"`; the MTU a whole number or a
//! string of digits (its range is the device's, checked by `validate`); the IPv4 address
//! `a.b.c.d/len` or `a.b.c.d/255.255.255.0`; the mode `mode:untagged:tagged` — `access:100:`,
//! `trunk:1:100,200` (also `tagged:…`, ranges `100-110`), `trunk::100,200` keeps the native VLAN.
//! What a ticket cannot ask for: removing an MTU or an address (unset keeps them).

use std::fmt;
use std::net::Ipv4Addr;

use serde_json::Value;

use super::wire::Ticket;
use crate::device::change::vlan::{VLAN_MAX, VLAN_MIN};
use crate::device::change::{
    mask_prefix, ChangeReason, Edit, InterfaceChange, Ipv4Change, ModeChange, VlanList,
    IOSXE_LIMITS,
};
use crate::iface::InterfaceName;
use crate::text_safety::{self, excerpt};

/// Longest excerpt of a value quoted in a problem, in characters.
const QUOTE_MAX: usize = 60;
/// Longest device name (as the chat grammar's `device-name`).
const DEVICE_MAX: usize = 63;

/// A ticket attribute a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Attribute {
    /// The ticket's `number`, which becomes the change's reason.
    Number,
    DeviceName,
    InterfaceName,
    Description,
    Enabled,
    Mtu,
    Ipv4Address,
    ModeAndVlan,
}

impl Attribute {
    /// The attribute's name in Zammad.
    pub fn name(self) -> &'static str {
        match self {
            Attribute::Number => "number",
            Attribute::DeviceName => "network_device_name",
            Attribute::InterfaceName => "network_interface_name",
            Attribute::Description => "network_interface_description",
            Attribute::Enabled => "network_interface_enabled",
            Attribute::Mtu => "network_interface_mtu",
            Attribute::Ipv4Address => "network_interface_ip4_address",
            Attribute::ModeAndVlan => "network_switchport_mode_and_vlan",
        }
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One problem: the attribute (`None`: the ticket as a whole) and a sentence that quotes the
/// value and says how to fix it. Never more than one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeProblem {
    pub attribute: Option<Attribute>,
    pub message: String,
}

impl fmt::Display for AttributeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.attribute {
            Some(a) => write!(f, "{a}: {}", self.message),
            None => write!(f, "ticket: {}", self.message),
        }
    }
}

/// Every problem of a ticket, in attribute order; shown one line per problem (plain text, for a
/// ticket note; the chat escapes it like any outside text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", lines(.0))]
pub struct AttributeProblems(pub Vec<AttributeProblem>);

fn lines(problems: &[AttributeProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A value as a problem quotes it: a string excerpted in double quotes (control characters as
/// spaces, disguising ones as `<U+202E>`, `"` and `\` escaped); any other JSON as its text.
fn quoted(v: &Value) -> String {
    match v {
        Value::String(s) => {
            let e = excerpt(s, QUOTE_MAX);
            format!("\"{}\"", e.replace('\\', "\\\\").replace('"', "\\\""))
        }
        other => excerpt(&other.to_string(), QUOTE_MAX),
    }
}

/// What kind of JSON value it is, for "… is a list, not text".
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "empty",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A text attribute: `None` when unset (null or blank), the string otherwise, a message for any
/// other JSON.
fn text(v: &Value) -> Result<Option<&str>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s)),
        other => Err(format!(
            "{} is {}, not text: set it as text in the ticket",
            quoted(other),
            kind(other)
        )),
    }
}

/// The change the ticket asks for, or every problem at once.
pub fn change_request(ticket: &Ticket) -> Result<InterfaceChange, AttributeProblems> {
    let mut problems = Vec::new();
    let mut bad = |attribute: Attribute, message: String| {
        problems.push(AttributeProblem {
            attribute: Some(attribute),
            message,
        })
    };

    let number = ticket
        .number
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if number.is_none() {
        bad(
            Attribute::Number,
            "the ticket has no number; every change is recorded under its ticket number".into(),
        );
    }
    let device = device(&ticket.network_device_name)
        .map_err(|m| bad(Attribute::DeviceName, m))
        .ok();
    let interface = interface(&ticket.network_interface_name)
        .map_err(|m| bad(Attribute::InterfaceName, m))
        .ok();
    let description = text(&ticket.network_interface_description)
        .map(|d| d.map(|d| Edit::Set(d.to_owned())))
        .map_err(|m| bad(Attribute::Description, m));
    let enabled =
        enabled(&ticket.network_interface_enabled).map_err(|m| bad(Attribute::Enabled, m));
    let mtu = mtu(&ticket.network_interface_mtu).map_err(|m| bad(Attribute::Mtu, m));
    let ipv4 =
        ipv4(&ticket.network_interface_ip4_address).map_err(|m| bad(Attribute::Ipv4Address, m));
    let mode = mode(&ticket.network_switchport_mode_and_vlan).map_err(|ms| {
        for m in ms {
            bad(Attribute::ModeAndVlan, m)
        }
    });

    let (Ok(description), Ok(enabled), Ok(mtu), Ok(ipv4), Ok(mode)) =
        (description, enabled, mtu, ipv4, mode)
    else {
        return Err(AttributeProblems(problems));
    };
    if description.is_none()
        && enabled.is_none()
        && mtu.is_none()
        && ipv4.is_none()
        && mode.is_none()
    {
        problems.push(AttributeProblem {
            attribute: None,
            message: format!(
                "the ticket asks for no change: set at least one of {}, {}, {}, {}, {}",
                Attribute::Description,
                Attribute::Enabled,
                Attribute::Mtu,
                Attribute::Ipv4Address,
                Attribute::ModeAndVlan
            ),
        });
    }
    match (number, device, interface) {
        (Some(number), Some(device), Some(interface)) if problems.is_empty() => {
            // As W2 does: the switch's description names the ticket (`##ticket:N##`), so the
            // running configuration says which change made it.
            let description = description.map(|d| match d {
                Edit::Set(text) => Edit::Set(crate::device::change::ticket_tagged(&text, number)),
                other => other,
            });
            Ok(InterfaceChange {
                device,
                interface,
                description,
                enabled,
                mtu,
                mode,
                ipv4,
                reason: ChangeReason::Ticket {
                    number: number.to_owned(),
                },
            })
        }
        _ => Err(AttributeProblems(problems)),
    }
}

/// A required text: the message when it is unset.
fn required<'a>(v: &'a Value, what: &str) -> Result<&'a str, String> {
    match text(v)? {
        Some(s) => Ok(s.trim()),
        None => Err(format!("is not set: {what}")),
    }
}

/// The first disguising character, as a message (`None`: there is none).
fn disguised(v: &Value, s: &str) -> Option<String> {
    text_safety::find(s).map(|d| format!("{}: {d}; retype the value", quoted(v)))
}

fn device(v: &Value) -> Result<String, String> {
    let name = required(v, "name the device to change, e.g. c9300")?;
    if let Some(m) = disguised(v, name) {
        return Err(m);
    }
    let fits = name.chars().count() <= DEVICE_MAX
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if fits {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "{} is not a device name: use letters, digits, `.`, `-` and `_` (at most {DEVICE_MAX}), e.g. c9300",
            quoted(v)
        ))
    }
}

fn interface(v: &Value) -> Result<String, String> {
    let name = required(v, "name the interface to change, e.g. GigabitEthernet1/0/5")?;
    if let Some(m) = disguised(v, name) {
        return Err(m);
    }
    // `gi 1/0/5` is an IOS-XE name as people write it; any other device's names are plain.
    if InterfaceName::parse_iosxe(name).is_ok() {
        return Ok(name.to_owned());
    }
    match InterfaceName::parse(name) {
        Ok(_) => Ok(name.to_owned()),
        Err(why) => Err(format!(
            "{} is not an interface name ({why}): write it as the switch does, e.g. GigabitEthernet1/0/5 or Gi1/0/5",
            quoted(v)
        )),
    }
}

fn enabled(v: &Value) -> Result<Option<bool>, String> {
    let word = match v {
        Value::Bool(b) => return Ok(Some(*b)),
        Value::String(s) => s.trim().to_ascii_lowercase(),
        Value::Null => return Ok(None),
        _ => String::from("?"),
    };
    match word.as_str() {
        "" => Ok(None),
        "true" | "yes" => Ok(Some(true)),
        "false" | "no" => Ok(Some(false)),
        _ => Err(format!(
            "{} is not yes or no: set true or false (yes or no), or leave it empty to keep the interface as it is",
            quoted(v)
        )),
    }
}

fn mtu(v: &Value) -> Result<Option<Edit<u16>>, String> {
    let hint = format!(
        "set a whole number of bytes such as 9000 (a Catalyst 9300 takes {}–{}), or leave it empty to keep the MTU",
        IOSXE_LIMITS.mtu_min, IOSXE_LIMITS.mtu_max
    );
    let value: Option<u64> = match v {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_u64(),
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            // All digits: a number, too large if it does not fit.
            s.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| s.parse().unwrap_or(u64::MAX))
        }
        _ => None,
    };
    let negative = match v {
        Value::Number(n) => n.as_i64().is_some_and(|n| n < 0),
        Value::String(s) => s.trim().starts_with('-'),
        _ => false,
    };
    match value.map(u16::try_from) {
        Some(Ok(m)) => Ok(Some(Edit::Set(m))),
        Some(Err(_)) => Err(format!("{} is far too large for an MTU: {hint}", quoted(v))),
        None if negative => Err(format!("{} is negative: {hint}", quoted(v))),
        None => Err(format!("{} is not a whole number: {hint}", quoted(v))),
    }
}

fn ipv4(v: &Value) -> Result<Option<Edit<Ipv4Change>>, String> {
    const FORM: &str =
        "write it as 10.1.2.3/24 or 10.1.2.3/255.255.255.0, or leave it empty to keep the address";
    let Some(text) = text(v)? else {
        return Ok(None);
    };
    let Some((address, mask)) = text.trim().split_once('/') else {
        return Err(format!("{} has no prefix length: {FORM}", quoted(v)));
    };
    let (address, mask) = (address.trim(), mask.trim());
    if address.parse::<Ipv4Addr>().is_err() {
        return Err(format!(
            "{} does not start with an IPv4 address: {FORM}",
            quoted(v)
        ));
    }
    if let Err(why) = mask_prefix(mask) {
        return Err(format!("{}: {why}; {FORM}", quoted(v)));
    }
    Ok(Some(Edit::Set(Ipv4Change {
        address: address.to_owned(),
        mask: mask.to_owned(),
    })))
}

/// `mode:untagged:tagged` → the mode change (`None`: leave the mode alone), or every problem.
fn mode(v: &Value) -> Result<Option<ModeChange>, Vec<String>> {
    const FORM: &str = "write mode:untagged:tagged, e.g. access:100: or trunk:1:100,200, or `::` to leave the mode alone";
    let Some(text) = text(v).map_err(|m| vec![m])? else {
        return Ok(None);
    };
    let parts: Vec<&str> = text.split(':').map(str::trim).collect();
    let [mode, untagged, tagged] = parts[..] else {
        return Err(vec![format!(
            "{} is not three parts separated by `:`: {FORM}",
            quoted(v)
        )]);
    };
    let q = quoted(v);
    match mode.to_ascii_lowercase().as_str() {
        "" if untagged.is_empty() && tagged.is_empty() => Ok(None),
        "" => Err(vec![format!("{q} names no mode: {FORM}")]),
        "access" => {
            let mut problems = Vec::new();
            let vlan = vlan(untagged, "access")
                .map_err(|m| problems.push(format!("{q}: {m}; e.g. access:100:")))
                .ok();
            if !tagged.is_empty() {
                problems.push(format!(
                    "{q}: an access port carries no tagged VLANs; leave the part after the second `:` empty (access:100:) or use trunk"
                ));
            }
            match vlan {
                Some(vlan) if problems.is_empty() => Ok(Some(ModeChange::Access { vlan })),
                _ => Err(problems),
            }
        }
        "trunk" | "tagged" => {
            let mut problems = Vec::new();
            let native = if untagged.is_empty() {
                None
            } else {
                vlan(untagged, "native")
                    .map_err(|m| problems.push(format!("{q}: {m}; e.g. trunk:1:100,200")))
                    .ok()
            };
            let allowed = VlanList::new(tagged);
            if tagged.is_empty() {
                problems.push(format!(
                    "{q}: a trunk needs its tagged VLANs after the second `:`, e.g. trunk:1:100,200"
                ));
            } else if let Err(why) = allowed.normalized() {
                problems.push(format!("{q}: tagged VLANs: {why}"));
            }
            if problems.is_empty() {
                Ok(Some(ModeChange::Trunk { native, allowed }))
            } else {
                Err(problems)
            }
        }
        _ => Err(vec![format!(
            "{q}: `{}` is not a mode the bot sets; use access or trunk ({FORM})",
            excerpt(mode, 20).replace('`', "'")
        )]),
    }
}

/// One VLAN number of the mode string, for its role (`access`, `native`).
fn vlan(text: &str, role: &str) -> Result<u16, String> {
    if text.is_empty() {
        return Err(format!("the {role} VLAN is missing"));
    }
    let number = (text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse::<u16>().ok())
        .flatten();
    match number {
        Some(n) if (VLAN_MIN..=VLAN_MAX).contains(&n) => Ok(n),
        Some(n) => Err(format!(
            "the {role} VLAN {n} is out of range ({VLAN_MIN}–{VLAN_MAX})"
        )),
        None => Err(format!(
            "the {role} VLAN `{}` is not a number",
            excerpt(text, 20).replace('`', "'")
        )),
    }
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
