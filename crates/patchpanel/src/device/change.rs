//! The interface change model (`InterfaceChange`: what a workflow wants done, with the reason it is
//! allowed) and its validation into a `ValidChange`, the only thing payload builders accept. Every rule
//! is checked before anything is sent, and every problem is reported at once, in words a chat user
//! can act on.

mod ipv4;
mod unacceptable;
pub mod vlan;

use super::inventory::Profile;
use crate::iface::InterfaceName;
use crate::text_safety;
use std::fmt;

use ipv4::check_ipv4;
pub use ipv4::{mask_prefix, Ipv4Net};
pub use unacceptable::Unacceptable;
pub use vlan::VlanList;

/// Set a value or remove it (`no description`, `no mtu`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit<T> {
    Set(T),
    Remove,
}

/// Why the change may be made. Required: no change reaches a device without a recorded reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeReason {
    /// A change ticket (NetBox `change_ticket_number`, a Zammad ticket number).
    Ticket { number: String },
    /// An approval given in chat or on a card.
    Approval { id: String, approved_by: String },
}

impl fmt::Display for ChangeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChangeReason::Ticket { number } => write!(f, "ticket {number}"),
            ChangeReason::Approval { id, approved_by } => {
                write!(f, "approval {id} by {approved_by}")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModeChange {
    Access {
        vlan: u16,
    },
    /// `native: None` leaves the native VLAN as it is.
    Trunk {
        native: Option<u16>,
        allowed: VlanList,
    },
    Routed,
}

/// An IPv4 address as received: `mask` is dotted (`255.255.255.0`) or a prefix length (`24`, `/24`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv4Change {
    pub address: String,
    pub mask: String,
}

/// What a workflow asks for. Fields left `None` are not touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceChange {
    pub device: String,
    /// As written by the user or the source of truth (`Gi1/0/2`, `GigabitEthernet1/0/2`).
    pub interface: String,
    pub description: Option<Edit<String>>,
    pub enabled: Option<bool>,
    pub mtu: Option<Edit<u16>>,
    pub mode: Option<ModeChange>,
    pub ipv4: Option<Edit<Ipv4Change>>,
    pub reason: ChangeReason,
}

/// A change that passed validation for one profile. Only `validate` builds it (the private fields
/// see to that), so the applier and every payload builder that takes one never see an unchecked
/// value, and nothing downstream validates it again. Should the device turn out to speak another
/// profile than the one it was validated for, [`ValidChange::for_profile`] validates the same
/// request under that profile's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidChange {
    pub device: String,
    pub interface: InterfaceName,
    pub profile: Profile,
    /// Trimmed; the ticket tag, if any, is already part of the text.
    pub description: Option<Edit<String>>,
    pub enabled: Option<bool>,
    pub mtu: Option<Edit<u16>>,
    /// Trunk lists are normalized (`10,20,30-40`).
    pub mode: Option<ModeChange>,
    pub ipv4: Option<Edit<Ipv4Net>>,
    pub reason: ChangeReason,
    /// What was asked, and the protected interfaces it was checked against.
    request: InterfaceChange,
    protected: Vec<String>,
}

impl ValidChange {
    /// This change for a device speaking `profile`: itself when it was validated for it, else the
    /// same request validated under that profile's rules.
    pub fn for_profile(
        &self,
        profile: Profile,
    ) -> Result<std::borrow::Cow<'_, ValidChange>, Invalid> {
        if profile == self.profile {
            return Ok(std::borrow::Cow::Borrowed(self));
        }
        let rules = Rules {
            profile,
            protected: &self.protected,
        };
        validate(&self.request, &rules).map(std::borrow::Cow::Owned)
    }
}

/// What the device accepts, per profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub mtu_min: u16,
    pub mtu_max: u16,
    pub description_max: usize,
}

/// IOS-XE on a Catalyst 9300. Cisco's published native model (Cisco-IOS-XE-interfaces,
/// `interface-common-grouping`, <https://github.com/YangModels/yang/tree/main/vendor/cisco/xe>)
/// limits `description` to `length "0..200"` since its 2020-11-11 revision ("Updated interface
/// description to 200 chars"); the `##ticket:N##` tag is part of the value, so it counts. The model's
/// `mtu` is `uint16 { range "64..18000" }` for every IOS-XE platform, but a Catalyst 9300 port
/// takes 1500–9198 bytes (Cisco's Catalyst 9000 "Configuring System MTU" guides) and refuses the
/// rest when the configuration is applied; the bot checks the switch's range, the narrower one.
pub const IOSXE_LIMITS: Limits = Limits {
    mtu_min: 1500,
    mtu_max: 9198,
    description_max: 200,
};
/// ietf-ip `ipv4/mtu` is `uint16 { range "68..max" }` (RFC 8344); ietf-interfaces puts no length on
/// `description`, but on IOS-XE it is the same interface description, so IOS-XE's 200 holds.
pub const IETF_LIMITS: Limits = Limits {
    mtu_min: 68,
    mtu_max: u16::MAX,
    description_max: 200,
};

pub fn limits(profile: Profile) -> Limits {
    match profile {
        Profile::Iosxe => IOSXE_LIMITS,
        Profile::Ietf => IETF_LIMITS,
    }
}

/// The context a change is checked in.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub profile: Profile,
    /// Interfaces the bot must never change (uplinks, management), in any spelling.
    pub protected: &'a [String],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Device,
    Interface,
    Description,
    Enabled,
    Mtu,
    Mode,
    Ipv4,
    Reason,
    Change,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Device => "device",
            Field::Interface => "interface",
            Field::Description => "description",
            Field::Enabled => "enabled",
            Field::Mtu => "mtu",
            Field::Mode => "mode",
            Field::Ipv4 => "ipv4",
            Field::Reason => "reason",
            Field::Change => "change",
        })
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: Field,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Every problem found, in field order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the change is not valid: {}", join(.0))]
pub struct Invalid(pub Vec<Problem>);

fn join(p: &[Problem]) -> String {
    p.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// `##ticket:N##`, the tag the original NetBox-driven lab put in the description.
pub fn ticket_tag(ticket: &str) -> String {
    format!("##ticket:{ticket}##")
}

/// `text ##ticket:N##`: any earlier tag is dropped first, so tagging twice changes nothing.
pub fn ticket_tagged(text: &str, ticket: &str) -> String {
    let base = strip_ticket_tags(text);
    let base = base.trim_end();
    if base.is_empty() {
        ticket_tag(ticket)
    } else {
        format!("{base} {}", ticket_tag(ticket))
    }
}

/// The ticket number of the first `##ticket:N##` tag in a description.
pub fn ticket_of(description: &str) -> Option<&str> {
    let start = description.find("##ticket:")? + "##ticket:".len();
    let rest = &description[start..];
    let end = rest.find("##")?;
    Some(&rest[..end])
}

/// `text` without any `##ticket:N##` tag (NetBox keeps descriptions untagged).
pub fn strip_ticket_tags(text: &str) -> String {
    let mut out = text.to_string();
    while let Some(start) = out.find("##ticket:") {
        let after = start + "##ticket:".len();
        match out[after..].find("##") {
            Some(end) => {
                out.replace_range(start..after + end + 2, "");
            }
            None => break,
        }
    }
    out.trim().to_string()
}

/// Checks a change for one profile. All problems are collected; none is sent anywhere.
pub fn validate(change: &InterfaceChange, rules: &Rules<'_>) -> Result<ValidChange, Invalid> {
    let mut problems = Vec::new();
    let mut bad = |field: Field, message: String| problems.push(Problem { field, message });
    let lim = limits(rules.profile);

    let device = change.device.trim().to_string();
    if device.is_empty() {
        bad(Field::Device, "no device named".into());
    }

    let interface = match interface_name(&change.interface, rules.profile) {
        Ok(name) => {
            if is_protected(&name, rules.protected) {
                bad(
                    Field::Interface,
                    format!("{name} is protected; the bot does not change it"),
                );
            }
            Some(name)
        }
        Err(why) => {
            bad(Field::Interface, why.to_string());
            None
        }
    };

    let description = match &change.description {
        None => None,
        Some(Edit::Remove) => Some(Edit::Remove),
        Some(Edit::Set(text)) => match check_description(text, lim.description_max, &change.reason)
        {
            Ok(t) => Some(Edit::Set(t)),
            Err(why) => {
                bad(Field::Description, why.to_string());
                None
            }
        },
    };

    if let Some(Edit::Set(mtu)) = change.mtu {
        if !(lim.mtu_min..=lim.mtu_max).contains(&mtu) {
            bad(
                Field::Mtu,
                format!(
                    "MTU {mtu} is out of range for {} devices ({}–{})",
                    profile_name(rules.profile),
                    lim.mtu_min,
                    lim.mtu_max
                ),
            );
        }
    }

    let mode = match &change.mode {
        None => None,
        Some(_) if rules.profile == Profile::Ietf => {
            bad(
                Field::Mode,
                "the device speaks ietf-interfaces, which has no switchport model; the port mode cannot be changed on it".into(),
            );
            None
        }
        Some(ModeChange::Routed) => Some(ModeChange::Routed),
        Some(ModeChange::Access { vlan }) => match vlan::check_vlan("access", *vlan) {
            Ok(()) => Some(ModeChange::Access { vlan: *vlan }),
            Err(why) => {
                bad(Field::Mode, why.to_string());
                None
            }
        },
        Some(ModeChange::Trunk { native, allowed }) => {
            let native_ok = match native {
                Some(v) => {
                    vlan::check_vlan("native", *v).map_err(|why| bad(Field::Mode, why.to_string()))
                }
                None => Ok(()),
            };
            let allowed = allowed
                .normalized()
                .map_err(|why| bad(Field::Mode, format!("allowed VLANs: {why}")));
            match (native_ok, allowed) {
                (Ok(()), Ok(allowed)) => Some(ModeChange::Trunk {
                    native: *native,
                    allowed,
                }),
                _ => None,
            }
        }
    };

    let ipv4 = match &change.ipv4 {
        None => None,
        Some(Edit::Remove) => Some(Edit::Remove),
        Some(Edit::Set(a)) => match check_ipv4(a) {
            Ok(net) => Some(Edit::Set(net)),
            Err(why) => {
                bad(Field::Ipv4, why.to_string());
                None
            }
        },
    };
    if matches!(change.ipv4, Some(Edit::Set(_)))
        && matches!(
            change.mode,
            Some(ModeChange::Access { .. } | ModeChange::Trunk { .. })
        )
    {
        bad(
            Field::Ipv4,
            "an IPv4 address needs a routed port, but the change also makes it a switchport".into(),
        );
    }

    if change.description.is_none()
        && change.enabled.is_none()
        && change.mtu.is_none()
        && change.mode.is_none()
        && change.ipv4.is_none()
    {
        bad(Field::Change, "the change sets nothing".into());
    }

    if let Err(why) = check_reason(&change.reason) {
        bad(Field::Reason, why.to_string());
    }

    match interface {
        Some(interface) if problems.is_empty() => Ok(ValidChange {
            device,
            interface,
            profile: rules.profile,
            description,
            enabled: change.enabled,
            mtu: change.mtu.clone(),
            mode,
            ipv4,
            reason: change.reason.clone(),
            request: change.clone(),
            protected: rules.protected.to_vec(),
        }),
        _ => Err(Invalid(problems)),
    }
}

pub fn profile_name(p: Profile) -> &'static str {
    match p {
        Profile::Iosxe => "IOS-XE",
        Profile::Ietf => "ietf-interfaces",
    }
}

/// IOS-XE names are read by the one interface table (`gi 1/0/2` → `GigabitEthernet1/0/2`) and must
/// be a type of it; ietf names are any plain name.
fn interface_name(input: &str, profile: Profile) -> Result<InterfaceName, Unacceptable> {
    if let Some(d) = text_safety::find(input) {
        return Err(Unacceptable::Disguised(d));
    }
    let shown: String = input
        .chars()
        .take(64)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    match profile {
        Profile::Iosxe => InterfaceName::parse_iosxe(input)
            .map_err(|why| Unacceptable::NotIosxeInterface { shown, why }),
        Profile::Ietf => InterfaceName::parse(input)
            .map(InterfaceName::without_native)
            .map_err(|why| Unacceptable::NotInterfaceName { shown, why }),
    }
}

fn is_protected(name: &InterfaceName, protected: &[String]) -> bool {
    protected
        .iter()
        .any(|p| InterfaceName::same(p, name.as_str()))
}

/// Positions are characters of the trimmed text (1-based), as the writer of the description
/// counts them. A disguising character inside the change's own `##ticket:N##` tag is the ticket's
/// fault and reported there (`check_reason`), not here.
fn check_description(
    text: &str,
    max: usize,
    reason: &ChangeReason,
) -> Result<String, Unacceptable> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Unacceptable::DescriptionEmpty);
    }
    if let Some((i, c)) = t.chars().enumerate().find(|(_, c)| c.is_control()) {
        return Err(Unacceptable::DescriptionControl {
            code: u32::from(c),
            position: i + 1,
        });
    }
    let tag = match reason {
        ChangeReason::Ticket { number } => Some(ticket_tag(number.trim())),
        ChangeReason::Approval { .. } => None,
    };
    let in_tag = |byte: usize| {
        tag.as_deref().is_some_and(|tag| {
            t.match_indices(tag)
                .any(|(start, m)| (start..start + m.len()).contains(&byte))
        })
    };
    if let Some(d) = text_safety::find_all(t).find(|d| !in_tag(d.byte)) {
        return Err(Unacceptable::Disguised(d));
    }
    let n = t.chars().count();
    if n > max {
        return Err(Unacceptable::DescriptionTooLong { chars: n, max });
    }
    Ok(t.to_string())
}

fn check_reason(reason: &ChangeReason) -> Result<(), Unacceptable> {
    let word = |s: &str| {
        let s = s.trim();
        !s.is_empty()
            && s.chars().count() <= 64
            && !s.chars().any(|c| c.is_control() || c.is_whitespace())
    };
    match reason {
        ChangeReason::Ticket { number } if !word(number) => Err(Unacceptable::NoTicket),
        ChangeReason::Ticket { number } if number.contains('#') => Err(Unacceptable::TicketHash),
        // The ticket number is written into the description's tag.
        ChangeReason::Ticket { number } => match text_safety::find(number.trim()) {
            Some(d) => Err(Unacceptable::TicketDisguised(d)),
            None => Ok(()),
        },
        ChangeReason::Approval { id, approved_by } => {
            match text_safety::find(id).or_else(|| text_safety::find(approved_by)) {
                Some(d) => Err(Unacceptable::ApprovalDisguised(d)),
                None if !word(id) || !word(approved_by) => Err(Unacceptable::ApprovalIncomplete),
                None => Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests;
