//! W2's pure core: a NetBox interface as it is now (plus the VLAN facts looked up for it and the
//! device's context) becomes the `InterfaceChange` to push to the switch, or every problem at once.
//!
//! The ticket number is checked first (one line of visible characters, one word, at most
//! [`TICKET_MAX`]): a bad one is reported as the ticket number's problem, never as the description's,
//! even though it would end up in the description's tag.
//!
//! What is pushed: the description (tagged `##ticket:N##`, any earlier tag replaced), enabled, the
//! MTU (NetBox `null` removes it) and the L2 mode with its VLANs. **IP addresses are not pushed by
//! W2**: NetBox models them as separate objects with their own life cycle (and the management
//! address lives there too), so an interface edit never changes an address on the device.

use crate::device::change::{
    self, limits, profile_name, ticket_tagged, ChangeReason, Edit, Field, InterfaceChange,
    ModeChange, Problem, Rules, ValidChange, VlanList,
};
use crate::device::Profile;
use crate::iface::InterfaceName;
use crate::netbox::{Interface, Vlan};

/// Longest ticket number accepted: its tag (`##ticket:N##` and a space, 44 characters at most) must
/// leave most of a device's 200-character description to the description itself.
pub const TICKET_MAX: usize = 32;

/// What is wrong with a ticket number (`None`: nothing), in words naming the ticket number, the
/// position and the fix.
pub fn ticket_problem(ticket: &str) -> Option<String> {
    let t = ticket.trim();
    if t.is_empty() {
        return Some("the ticket number is empty: set it in NetBox".to_owned());
    }
    for (i, c) in t.chars().enumerate() {
        let what = match c {
            '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' => "a line break".to_owned(),
            '\t' => "a tab".to_owned(),
            c if c.is_control() => format!("the control character U+{:04X}", u32::from(c)),
            c if crate::text_safety::is_disguising(c) => {
                format!("the invisible character U+{:04X}", u32::from(c))
            }
            c if c.is_whitespace() => "a space".to_owned(),
            '#' => "`#` (it would break the `##ticket:N##` tag)".to_owned(),
            _ => continue,
        };
        return Some(format!(
            "the ticket number contains {what} at character {}: a ticket number is one word of visible characters (e.g. CHG-1234); fix it in NetBox",
            i + 1
        ));
    }
    let n = t.chars().count();
    (n > TICKET_MAX).then(|| {
        format!(
            "the ticket number is {n} characters long; at most {TICKET_MAX} fit in the device's description tag: use a shorter ticket number in NetBox"
        )
    })
}

/// The description without any `##ticket:N##` tag (`None`: nothing is left).
fn untagged(text: &str) -> Option<String> {
    let empty_tag = change::ticket_tag("");
    let tagged = ticket_tagged(text, "");
    let base = tagged
        .strip_suffix(&empty_tag)
        .unwrap_or(&tagged)
        .trim_end();
    (!base.is_empty()).then(|| base.to_owned())
}

/// What NetBox says about one VLAN the interface uses, looked up by its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VlanFact {
    /// NetBox's id (not the VID).
    pub id: u64,
    pub vid: u16,
    pub name: Option<String>,
    /// The site's slug; `None` is a global VLAN.
    pub site: Option<String>,
}

impl From<&Vlan> for VlanFact {
    fn from(v: &Vlan) -> Self {
        VlanFact {
            id: v.id,
            vid: v.vid,
            name: v.name.clone(),
            site: v.site.as_ref().and_then(|s| s.slug.clone()),
        }
    }
}

/// Where the change would go, and what must never be touched there.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The device's name as resolved (NetBox and/or the devices file).
    pub device: &'a str,
    /// The device's NetBox site slug; every VLAN must be defined there.
    pub site: Option<&'a str>,
    pub profile: Profile,
    /// `PATCHPANEL_PROTECTED` entries for this device (any spelling).
    pub protected: &'a [String],
    /// `NETBOX_PROTECTED_TAG`: a NetBox tag (slug) that protects an interface.
    pub protected_tag: &'a str,
}

/// A change that passed every check: `change` goes to `Applier::apply_to`, `valid` says what it
/// sets (normalized) for the chat message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub change: InterfaceChange,
    pub valid: ValidChange,
}

/// The NetBox ids of the VLANs the interface's mode uses (what to look up before [`plan`]).
pub fn vlan_ids(iface: &Interface) -> Vec<u64> {
    let untagged = iface.untagged_vlan.as_ref().map(|v| v.id);
    let mut ids: Vec<u64> = match iface.mode.as_deref() {
        Some("access") | Some("tagged-all") => untagged.into_iter().collect(),
        Some("tagged") => untagged
            .into_iter()
            .chain(iface.tagged_vlans.iter().flatten().map(|v| v.id))
            .collect(),
        _ => Vec::new(),
    };
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The change the interface asks for under `ticket`, or every problem (nothing is partial: one
/// problem means nothing is pushed).
pub fn plan(
    iface: &Interface,
    ticket: &str,
    vlans: &[VlanFact],
    ctx: &Context<'_>,
) -> Result<Plan, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut bad = |field: Field, message: String| problems.push(Problem { field, message });

    for rule in protected_by(iface, ctx) {
        bad(Field::Interface, rule);
    }

    // Positions are counted in NetBox's description, where the person has to fix it.
    let person_text = iface.description.as_deref().unwrap_or_default();
    let ticket_bad = ticket_problem(ticket);
    if let Some(why) = &ticket_bad {
        bad(Field::Reason, why.clone());
    }
    let description = match (crate::text_safety::find(person_text), &ticket_bad) {
        (Some(d), _) => {
            bad(
                Field::Description,
                format!("{d}; remove it from the description in NetBox"),
            );
            None
        }
        // Nothing is pushed; the description is still checked as the person wrote it.
        (None, Some(_)) => untagged(person_text).map(Edit::Set),
        (None, None) => Some(Edit::Set(ticket_tagged(person_text, ticket.trim()))),
    };

    let mtu = match iface.mtu {
        None => Some(Edit::Remove),
        Some(m) => match u16::try_from(m) {
            Ok(m) => Some(Edit::Set(m)),
            Err(_) => {
                let lim = limits(ctx.profile);
                bad(
                    Field::Mtu,
                    format!(
                        "MTU {m} is out of range for {} devices ({}–{})",
                        profile_name(ctx.profile),
                        lim.mtu_min,
                        lim.mtu_max
                    ),
                );
                None
            }
        },
    };

    let mode = match mode_change(iface, vlans, ctx) {
        Ok(mode) => mode,
        Err(mode_problems) => {
            for message in mode_problems {
                bad(Field::Mode, message);
            }
            None
        }
    };

    let change = InterfaceChange {
        device: ctx.device.to_owned(),
        interface: iface.name.clone(),
        description,
        enabled: iface.enabled,
        mtu,
        mode,
        ipv4: None,
        reason: ChangeReason::Ticket {
            number: ticket.trim().to_owned(),
        },
    };
    // Protection by PATCHPANEL_PROTECTED is reported above, naming the rule; `validate` would say
    // it again in other words. `apply_to` still gets the list (defence in depth).
    let rules = Rules {
        profile: ctx.profile,
        protected: &[],
    };
    match change::validate(&change, &rules) {
        Ok(valid) if problems.is_empty() => Ok(Plan { change, valid }),
        Ok(_) => Err(problems),
        Err(invalid) => {
            // A bad ticket number is already reported, in W2's words.
            problems.extend(
                invalid
                    .0
                    .into_iter()
                    .filter(|p| ticket_bad.is_none() || p.field != Field::Reason),
            );
            Err(problems)
        }
    }
}

/// Every rule that protects the interface, in words (empty: not protected).
fn protected_by(iface: &Interface, ctx: &Context<'_>) -> Vec<String> {
    let name = &iface.name;
    let mut rules = Vec::new();
    if ctx.protected.iter().any(|p| same_interface(p, name)) {
        rules.push(format!(
            "{name} is protected on {} by PATCHPANEL_PROTECTED; the bot does not change it",
            ctx.device
        ));
    }
    if iface.has_tag(ctx.protected_tag) {
        rules.push(format!(
            "{name} carries the NetBox tag `{}`, which protects it; the bot does not change it",
            ctx.protected_tag.trim()
        ));
    }
    if iface.mgmt_only == Some(true) {
        rules.push(format!(
            "{name} is a management interface (mgmt_only in NetBox); the bot does not change it"
        ));
    }
    rules
}

/// Same interface in any spelling (`Gi1/0/1` = `GigabitEthernet1/0/1`), as the change validation
/// compares protected names.
fn same_interface(a: &str, b: &str) -> bool {
    InterfaceName::same(a, b)
}

/// Why a VLAN of the interface cannot be used at the device's site.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum SiteVlanError {
    #[error("VLAN id {0} cannot be found in NetBox: pick one of the site's VLANs")]
    Unknown(u64),
    #[error("VLAN {vid} is not defined at site {site}: add it to the site in NetBox or pick one of the site's VLANs")]
    OtherSite { vid: u16, site: String },
    #[error("VLAN {vid} cannot be checked: device {device} has no site in NetBox")]
    NoSite { vid: u16, device: String },
}

/// The VID of the VLAN with NetBox id `id`, if it is defined at the device's site.
fn site_vid(id: u64, vlans: &[VlanFact], ctx: &Context<'_>) -> Result<u16, SiteVlanError> {
    let Some(fact) = vlans.iter().find(|v| v.id == id) else {
        return Err(SiteVlanError::Unknown(id));
    };
    match (ctx.site, fact.site.as_deref()) {
        (Some(site), Some(at)) if site.eq_ignore_ascii_case(at) => Ok(fact.vid),
        (Some(site), _) => Err(SiteVlanError::OtherSite {
            vid: fact.vid,
            site: site.to_owned(),
        }),
        (None, _) => Err(SiteVlanError::NoSite {
            vid: fact.vid,
            device: ctx.device.to_owned(),
        }),
    }
}

/// NetBox's L2 triple → the mode change (`None`: leave L2 alone), or what is wrong with it.
fn mode_change(
    iface: &Interface,
    vlans: &[VlanFact],
    ctx: &Context<'_>,
) -> Result<Option<ModeChange>, Vec<String>> {
    let untagged = iface.untagged_vlan.as_ref().map(|v| v.id);
    match iface.mode.as_deref() {
        None | Some("") => Ok(None),
        Some("access") => {
            let id = untagged.ok_or_else(|| {
                vec!["access mode needs an untagged VLAN: set one in NetBox".to_owned()]
            })?;
            let vlan = site_vid(id, vlans, ctx).map_err(|e| vec![e.to_string()])?;
            Ok(Some(ModeChange::Access { vlan }))
        }
        Some(trunk @ ("tagged" | "tagged-all")) => {
            let mut problems = Vec::new();
            let native = match untagged.map(|id| site_vid(id, vlans, ctx)) {
                None => None,
                Some(Ok(vid)) => Some(vid),
                Some(Err(e)) => {
                    problems.push(e.to_string());
                    None
                }
            };
            let allowed = if trunk == "tagged-all" {
                VlanList::new("all")
            } else {
                let tagged = iface.tagged_vlans.as_deref().unwrap_or_default();
                if tagged.is_empty() {
                    problems.push(
                        "tagged mode without tagged VLANs: add the VLANs the trunk carries in NetBox, or use tagged-all".to_owned(),
                    );
                }
                let mut vids = Vec::with_capacity(tagged.len());
                for v in tagged {
                    match site_vid(v.id, vlans, ctx) {
                        Ok(vid) => vids.push(vid.to_string()),
                        Err(e) => problems.push(e.to_string()),
                    }
                }
                VlanList::new(vids.join(","))
            };
            if problems.is_empty() {
                Ok(Some(ModeChange::Trunk { native, allowed }))
            } else {
                Err(problems)
            }
        }
        Some(other) => Err(vec![format!(
            "NetBox mode `{}` is not supported by the bot: use access, tagged or tagged-all",
            other.chars().take(40).collect::<String>()
        )]),
    }
}

#[cfg(test)]
#[path = "netbox_change_tests.rs"]
mod tests;
